"""The fused CPU kernels of the recurrent layers (mushin.kernels.cpu): the LSTM's per-step
gate, cell and hidden-state kernels of its forward and its backpropagation through time
(``recurrent/lstm.py``).

Each configuration runs with the kernels and with the portable rules (inside
``cpu.portable()``), and against PyTorch's ``nn.LSTM`` from the same weights: outputs, final
states and every gradient, float32 and float64, on odd sizes, a batch of one, no bias, two
bidirectional layers, packed sequences, NaN inputs and partial gradients."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.kernels import cpu
from mushin.nn.layers.recurrent import LSTM
from mushin.nn.utils import rnn

pytest.importorskip("numba")
torch = pytest.importorskip("torch")

lstm_module = importlib.import_module("mushin.nn.functional.recurrent.lstm")

Arrays = list[np.ndarray]
FEATURES, HIDDEN = 5, 7


def _pair(dtype: str, **options: Any) -> tuple[Any, Any]:
    """A mushin LSTM and PyTorch's, with the same (PyTorch's) initial weights."""
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(FEATURES, HIDDEN, batch_first=True, dtype=getattr(torch, dtype),
                           **options)
    ours = LSTM(FEATURES, HIDDEN, batch_first=True, dtype=dtype, **options)
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    return ours, theirs


def _inputs(dtype: str, shape: tuple[int, int], layer: Any) -> Arrays:
    """A ``(batch, steps, FEATURES)`` input and the initial ``h_0``, ``c_0``."""
    rng = np.random.default_rng(1)
    batch, steps = shape
    count = layer.num_layers * layer.num_directions
    return [rng.standard_normal((batch, steps, FEATURES)).astype(dtype),
            rng.standard_normal((count, batch, layer.proj_size or layer.hidden_size)).astype(
                dtype),
            rng.standard_normal((count, batch, layer.hidden_size)).astype(dtype)]


def _ours(layer: Any, values: Arrays, wanted: tuple[bool, ...] = (True, True, True)) -> Arrays:
    """Output, h_n, c_n and the gradients (inputs that ``wanted``, then the parameters) of a
    loss that weighs every output differently."""
    x, h0, c0 = (mu.tensor(value, requires_grad=want) for value, want in zip(
        values, wanted, strict=True))
    output, (hidden, cell) = layer(x, (h0, c0))
    weights = np.random.default_rng(2).standard_normal(output.shape).astype(values[0].dtype)
    ((output * mu.constant(weights)).sum() + (hidden * hidden).sum() + cell.sum()).backward()
    grads = [tensor.grad().numpy() for tensor, want in zip((x, h0, c0), wanted, strict=True)
             if want]
    return [output.numpy(), hidden.numpy(), cell.numpy(), *grads,
            *(parameter.grad().numpy() for parameter in layer.parameters()
              if layer.training)]


def _theirs(layer: Any, values: Arrays) -> Arrays:
    x, h0, c0 = (torch.tensor(value, requires_grad=True) for value in values)
    output, (hidden, cell) = layer(x, (h0, c0))
    weights = np.random.default_rng(2).standard_normal(tuple(output.shape)).astype(
        values[0].dtype)
    ((output * torch.from_numpy(weights)).sum() + (hidden * hidden).sum()
     + cell.sum()).backward()
    return [output.detach().numpy(), hidden.detach().numpy(), cell.detach().numpy(),
            *(tensor.grad.numpy() for tensor in (x, h0, c0)),
            *(parameter.grad.numpy() for parameter in layer.parameters())]


def _close(found: Arrays, expected: Arrays, dtype: str, oracle: bool = False) -> None:
    if dtype == "float64":
        rtol, atol = (1e-10, 1e-12) if oracle else (1e-12, 1e-13)
    else:
        rtol, atol = (2e-4, 2e-5) if oracle else (2e-5, 2e-6)
    assert len(found) == len(expected)
    for one, other in zip(found, expected, strict=True):
        assert one.shape == other.shape and one.dtype == other.dtype
        np.testing.assert_allclose(one, other, rtol=rtol, atol=atol)


CONFIGS = [
    pytest.param({}, (3, 4), id="one-layer"),
    pytest.param({}, (1, 9), id="batch-of-one"),
    pytest.param({"bias": False}, (2, 5), id="no-bias"),
    pytest.param({"num_layers": 2, "bidirectional": True, "dropout": 0.0}, (3, 6),
                 id="two-layers-bidirectional"),
    pytest.param({}, (2, 1), id="one-step"),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("options", "shape"), CONFIGS)
def test_lstm_kernels_match_the_portable_rules_and_pytorch(dtype: str, options: dict[str, Any],
                                                           shape: tuple[int, int]) -> None:
    ours, theirs = _pair(dtype, **options)
    values = _inputs(dtype, shape, ours)
    fused = _ours(ours, values)
    ours.zero_grad()
    with cpu.portable():
        portable = _ours(ours, values)
    _close(fused, portable, dtype)
    _close(fused, _theirs(theirs, values), dtype, oracle=True)


def test_the_kernels_run_outside_portable_only(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: dict[str, int] = {}
    for name in ("_gates_kernel", "_hidden_kernel", "_backward_kernel"):
        kernel = getattr(lstm_module, name)

        def counted(*arguments: Any, kernel: Any = kernel, name: str = name) -> None:
            calls[name] = calls.get(name, 0) + 1
            kernel(*arguments)

        monkeypatch.setattr(lstm_module, name, counted)
    ours, _ = _pair("float32")
    values = _inputs("float32", (2, 3), ours)
    with cpu.portable():
        _ours(ours, values)
    assert calls == {}
    _ours(ours, values)
    assert calls == {"_gates_kernel": 3, "_hidden_kernel": 3, "_backward_kernel": 3}


@pytest.mark.parametrize("wanted", [(False, True, False), (True, False, False),
                                    (False, False, True)])
def test_partial_gradients_match_the_portable_rules(wanted: tuple[bool, ...]) -> None:
    """Only some inputs want a gradient; with frozen weights none of theirs is computed."""
    ours, _ = _pair("float64", num_layers=2)
    ours.freeze()
    values = _inputs("float64", (3, 4), ours)
    fused = _ours(ours, values, wanted)
    with cpu.portable():
        portable = _ours(ours, values, wanted)
    _close(fused, portable, "float64")


def test_without_gradients_the_forward_matches_the_portable_rule() -> None:
    ours, theirs = _pair("float32", bidirectional=True)
    values = _inputs("float32", (3, 5), ours)
    with mu.no_grad():
        fused = ours(mu.constant(values[0]))
        with cpu.portable():
            portable = ours(mu.constant(values[0]))
    found = [fused[0].numpy(), *(state.numpy() for state in fused[1])]
    _close(found, [portable[0].numpy(), *(state.numpy() for state in portable[1])], "float32")
    with torch.no_grad():
        output, (hidden, cell) = theirs(torch.from_numpy(values[0]))
    _close(found, [output.numpy(), hidden.numpy(), cell.numpy()], "float32", oracle=True)


def test_packed_sequences_match_the_portable_rules() -> None:
    ours, _ = _pair("float64")
    rng = np.random.default_rng(3)
    lengths = [5, 3, 3, 1]
    padded = rng.standard_normal((len(lengths), 5, FEATURES))

    def run() -> Arrays:
        x = mu.tensor(padded, requires_grad=True)
        output, (hidden, cell) = ours(rnn.pack_padded_sequence(x, lengths, batch_first=True))
        loss = (output.data * output.data).sum() + (hidden * hidden).sum() + cell.sum()
        loss.backward()
        return [hidden.numpy(), cell.numpy(), x.grad().numpy(),
                *(parameter.grad().numpy() for parameter in ours.parameters())]

    fused = run()
    ours.zero_grad()
    with cpu.portable():
        portable = run()
    _close(fused, portable, "float64")


def test_nan_inputs_propagate_as_in_the_portable_rules() -> None:
    ours, _ = _pair("float32")
    values = _inputs("float32", (3, 4), ours)
    values[0][1, 2, 0] = np.nan
    values[0][0, 0, 1] = np.inf
    fused = _ours(ours, values)
    ours.zero_grad()
    with cpu.portable():
        portable = _ours(ours, values)
    for one, other in zip(fused, portable, strict=True):
        np.testing.assert_array_equal(np.isnan(one), np.isnan(other))
        np.testing.assert_allclose(one, other, rtol=2e-5, atol=2e-6)


def test_a_projection_runs_the_portable_rules() -> None:
    """PyTorch's ``proj_size``: the kernels decline it, the result is still PyTorch's."""
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(FEATURES, HIDDEN, batch_first=True, proj_size=3, dtype=torch.float64)
    ours = LSTM(FEATURES, HIDDEN, batch_first=True, proj_size=3, dtype="float64")
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    values = _inputs("float64", (2, 4), ours)
    _close(_ours(ours, values), _theirs(theirs, values), "float64", oracle=True)
