"""``LSTM(..., proj_size=k)``, PyTorch's projected LSTM, with PyTorch as the oracle: parameter
names, shapes and order, values and every gradient (second derivatives too) in float64,
padded, unbatched and packed inputs, finite differences, the stand-in device and the
errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from oracle import assert_gradients_match

import mushin as mu
from mushin.nn.layers.recurrent import LSTM
from mushin.nn.utils import rnn
from mushin.testing import gradcheck

torch = pytest.importorskip("torch")

FEATURES, HIDDEN, PROJ, BATCH, STEPS = 3, 5, 2, 2, 4
CONFIGS = [
    pytest.param({}, id="one-layer"),
    pytest.param({"num_layers": 2}, id="two-layers"),
    pytest.param({"bidirectional": True}, id="bidirectional"),
    pytest.param({"num_layers": 2, "bidirectional": True}, id="two-layers-bidirectional"),
    pytest.param({"bias": False, "batch_first": True}, id="no-bias-batch-first"),
]


def _torch_pair(config: dict[str, Any], proj_size: int = PROJ) -> tuple[Any, Any]:
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(FEATURES, HIDDEN, proj_size=proj_size, dtype=torch.float64,
                           **config)
    ours = LSTM(FEATURES, HIDDEN, proj_size=proj_size, dtype="float64", **config)
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    return ours, theirs


def _initial(layer: LSTM, rng: np.random.Generator, batch: int | None) -> list[Any]:
    count = layer.num_layers * layer.num_directions
    return [rng.standard_normal((count, size) if batch is None else (count, batch, size))
            for size in (layer.proj_size, layer.hidden_size)]


@pytest.mark.parametrize("config", CONFIGS)
def test_parameters_are_pytorchs(config: dict[str, Any]) -> None:
    """Names, shapes and registration order equal PyTorch's (``weight_hr_l{k}`` last in
    each layer and direction); weights drawn from U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    torch.manual_seed(0)
    theirs = torch.nn.LSTM(FEATURES, HIDDEN, proj_size=PROJ, **config)
    ours = LSTM(FEATURES, HIDDEN, proj_size=PROJ, **config)
    assert [(name, tuple(value.shape)) for name, value in ours.state_dict().items()] == [
        (name, tuple(value.shape)) for name, value in theirs.state_dict().items()]
    bound = 1 / math.sqrt(HIDDEN)
    for parameter in ours.parameters():
        assert np.abs(parameter.numpy()).max() <= bound
    assert ours.proj_size == PROJ


@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize("with_state", [False, True])
def test_matches_pytorch(config: dict[str, Any], with_state: bool) -> None:
    ours, theirs = _torch_pair(config)
    rng = np.random.default_rng(1)
    batch_first = config.get("batch_first", False)
    x = rng.standard_normal((BATCH, STEPS, FEATURES) if batch_first
                            else (STEPS, BATCH, FEATURES))
    initial = _initial(ours, rng, BATCH) if with_state else []
    ours_inputs = [mu.variable(value) for value in (x, *initial)]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in (x, *initial)]
    ours_output, ours_states = ours(ours_inputs[0],
                                    tuple(ours_inputs[1:]) if with_state else None)
    theirs_output, theirs_states = theirs(theirs_inputs[0],
                                          tuple(theirs_inputs[1:]) if with_state else None)
    directions = ours.num_directions
    assert ours_output.shape[-1] == directions * PROJ
    assert ours_states[0].shape == (ours.num_layers * directions, BATCH, PROJ)
    assert ours_states[1].shape == (ours.num_layers * directions, BATCH, HIDDEN)
    ours_loss = ours_output.sum() * 0.0
    theirs_loss = theirs_output.sum() * 0.0
    for mine, other in zip([ours_output, *ours_states], [theirs_output, *theirs_states],
                           strict=True):
        np.testing.assert_allclose(mine.numpy(), other.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        seed = rng.standard_normal(mine.shape)
        ours_loss = ours_loss + (mine * seed).sum()
        theirs_loss = theirs_loss + (other * torch.tensor(seed)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    assert_gradients_match(ours_inputs, theirs_inputs, ours, theirs)


def test_matches_pytorch_on_one_unbatched_sequence() -> None:
    ours, theirs = _torch_pair({"num_layers": 2, "bidirectional": True})
    rng = np.random.default_rng(2)
    x = rng.standard_normal((STEPS, FEATURES))
    initial = _initial(ours, rng, None)
    ours_output, (ours_h, ours_c) = ours(mu.constant(x), tuple(mu.constant(value)
                                                               for value in initial))
    with torch.no_grad():
        theirs_output, (theirs_h, theirs_c) = theirs(torch.tensor(x), tuple(
            torch.tensor(value) for value in initial))
    assert ours_output.shape == (STEPS, 2 * PROJ) and ours_h.shape == (4, PROJ)
    for mine, other in ((ours_output, theirs_output), (ours_h, theirs_h), (ours_c, theirs_c)):
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("steps", [1, 3])
def test_gradients_from_a_constant_input(steps: int) -> None:
    """Only the states' and parameters' gradients (a constant input, as in training on data),
    one step or several."""
    ours, theirs = _torch_pair({"num_layers": 2})
    rng = np.random.default_rng(3)
    x = rng.standard_normal((steps, BATCH, FEATURES))
    initial = _initial(ours, rng, BATCH)
    ours_states = [mu.variable(value) for value in initial]
    theirs_states = [torch.tensor(value, requires_grad=True) for value in initial]
    ours_output, (ours_h, _) = ours(mu.constant(x), tuple(ours_states))
    theirs_output, (theirs_h, _) = theirs(torch.tensor(x), tuple(theirs_states))
    ((ours_output ** 2).sum() + ours_h.sum()).backward()
    ((theirs_output ** 2).sum() + theirs_h.sum()).backward()
    assert_gradients_match(ours_states, theirs_states, ours, theirs)


@pytest.mark.parametrize("config", [{}, {"num_layers": 2, "bidirectional": True}])
def test_second_derivatives_match_pytorch(config: dict[str, Any]) -> None:
    """backward(create_graph=True), then a loss of the input, state and parameter gradients,
    against torch.autograd."""
    ours, theirs = _torch_pair(config)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((STEPS, BATCH, FEATURES))
    initial = _initial(ours, rng, BATCH)
    ours_inputs = [mu.variable(value) for value in (x, *initial)]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in (x, *initial)]
    ours_output, (ours_h, ours_c) = ours(ours_inputs[0], tuple(ours_inputs[1:]))
    theirs_output, (theirs_h, theirs_c) = theirs(theirs_inputs[0], tuple(theirs_inputs[1:]))
    ours_loss = (ours_output ** 2).sum() + (ours_h ** 2).sum() + (ours_c ** 2).sum()
    theirs_loss = (theirs_output ** 2).sum() + (theirs_h ** 2).sum() + (theirs_c ** 2).sum()
    theirs_wrt = [*theirs_inputs, *theirs.parameters()]
    theirs_grads = torch.autograd.grad(theirs_loss, theirs_wrt, create_graph=True)
    sum(((grad ** 2) * (index + 1)).sum() for index, grad in enumerate(theirs_grads)).backward()
    ours_loss.backward(create_graph=True)
    ours_wrt = [*ours_inputs, *ours.parameters()]
    ours_grads = [value.grad() for value in ours_wrt]
    for value in ours_wrt:
        value.reset()
    second = ours_grads[0].sum() * 0.0
    for index, grad in enumerate(ours_grads):
        second = second + ((grad ** 2) * (index + 1)).sum()
    second.backward()
    for mine, other in zip(ours_wrt, theirs_wrt, strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-8,
                                   atol=1e-10)


def test_gradients_match_finite_differences() -> None:
    layer = LSTM(2, 3, proj_size=1, bidirectional=True, dtype="float64")
    names = [name for name, _ in layer.named_parameters()]
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 2, 2))
    initial = _initial(layer, rng, 2)

    def run(value: Any, hidden: Any, cell: Any, *parameters: Any) -> Any:
        for name, parameter in zip(names, parameters, strict=True):
            setattr(layer, name, parameter)
        output, (final_hidden, final_cell) = layer(value, (hidden, cell))
        return mu.concat([output.flatten(), final_hidden.flatten(), final_cell.flatten()], 0)

    assert gradcheck(run, x, *initial, *(parameter.numpy() for parameter in layer.parameters()))


@pytest.mark.parametrize(("lengths", "enforce_sorted"), [([4, 2, 2], True),
                                                         ([1, 4, 3, 4], False)])
def test_packed_sequences_match_pytorch(lengths: list[int], enforce_sorted: bool) -> None:
    ours, theirs = _torch_pair({"num_layers": 2, "bidirectional": True})
    rng = np.random.default_rng(6)
    x = rng.standard_normal((max(lengths), len(lengths), FEATURES))
    initial = _initial(ours, rng, len(lengths))
    ours_inputs = [mu.variable(value) for value in (x, *initial)]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in (x, *initial)]
    ours_output, ours_states = ours(
        rnn.pack_padded_sequence(ours_inputs[0], lengths, enforce_sorted=enforce_sorted),
        tuple(ours_inputs[1:]))
    theirs_output, theirs_states = theirs(
        torch.nn.utils.rnn.pack_padded_sequence(theirs_inputs[0], lengths,
                                                enforce_sorted=enforce_sorted),
        tuple(theirs_inputs[1:]))
    ours_padded, _ = rnn.pad_packed_sequence(ours_output)
    theirs_padded, _ = torch.nn.utils.rnn.pad_packed_sequence(theirs_output)
    assert ours_padded.shape == (max(lengths), len(lengths), 2 * PROJ)
    ours_loss = ours_padded.sum() * 0.0
    theirs_loss = theirs_padded.sum() * 0.0
    for mine, other in zip([ours_padded, *ours_states], [theirs_padded, *theirs_states],
                           strict=True):
        np.testing.assert_allclose(mine.numpy(), other.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        seed = rng.standard_normal(mine.shape)
        ours_loss = ours_loss + (mine * seed).sum()
        theirs_loss = theirs_loss + (other * torch.tensor(seed)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    assert_gradients_match(ours_inputs, theirs_inputs, ours, theirs)


def test_frozen_layer_gives_constants() -> None:
    layer = LSTM(FEATURES, HIDDEN, proj_size=PROJ, dtype="float64").freeze()
    output, (hidden, _) = layer(mu.constant(np.ones((STEPS, BATCH, FEATURES))))
    assert isinstance(output, mu.Constant) and isinstance(hidden, mu.Constant)
    assert output.shape == (STEPS, BATCH, PROJ)


def test_float32_stays_float32() -> None:
    layer = LSTM(FEATURES, HIDDEN, proj_size=PROJ)
    output, (hidden, cell) = layer(mu.randn((STEPS, BATCH, FEATURES)))
    assert output.dtype == hidden.dtype == cell.dtype == np.float32


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    rng = np.random.default_rng(7)
    x = rng.standard_normal((STEPS, BATCH, FEATURES))
    options: dict[str, Any] = {"num_layers": 2, "bidirectional": True, "proj_size": PROJ,
                               "dtype": "float64"}
    cpu = LSTM(FEATURES, HIDDEN, **options)
    moved = LSTM(FEATURES, HIDDEN, **options, device=device)
    moved.load_state_dict(cpu.state_dict())
    results = []
    for layer, where in ((cpu, "cpu"), (moved, device)):
        value = mu.variable(x, device=where)
        output, (hidden, _) = layer(value)
        ((output ** 2).sum() + hidden.sum()).backward()
        assert output.device == where
        results.append([output.numpy(), value.grad().numpy(),
                        *(parameter.grad().numpy() for parameter in layer.parameters())])
    for mine, other in zip(*results, strict=True):
        np.testing.assert_allclose(mine, other, rtol=1e-10, atol=1e-13)


def test_repr_and_positional_arguments() -> None:
    """PyTorch's repr (``proj_size`` right after the sizes) and positional order (``proj_size``,
    ``device``, ``dtype`` after ``bidirectional``)."""
    layer = LSTM(3, 5, 2, True, False, 0.0, True, 2, "cpu", "float64")
    assert repr(layer) == repr(torch.nn.LSTM(3, 5, 2, True, False, 0.0, True, 2)) == \
        "LSTM(3, 5, proj_size=2, num_layers=2, bidirectional=True)"
    assert layer.weight_hr_l1_reverse.dtype == np.float64


@pytest.mark.parametrize(("proj_size", "error", "match"), [
    (5, ValueError, r"LSTM: proj_size must be smaller than hidden_size \(5\), got 5"),
    (-1, ValueError, "LSTM: proj_size must be at least 0, got -1"),
    (1.5, TypeError, "LSTM: proj_size must be an int, got 1.5"),
])
def test_bad_proj_size(proj_size: Any, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        LSTM(3, 5, proj_size=proj_size)


def test_initial_hidden_state_is_projection_wide() -> None:
    layer = LSTM(FEATURES, HIDDEN, proj_size=PROJ)
    x = mu.randn((STEPS, BATCH, FEATURES))
    with pytest.raises(mu.ShapeError, match=r"LSTM: expected an initial state of shape "
                                            r"\(1, 2, 2\).*got shape \(1, 2, 5\)"):
        layer(x, (mu.zeros((1, BATCH, HIDDEN)), mu.zeros((1, BATCH, HIDDEN))))
    with pytest.raises(mu.ShapeError, match=r"initial state of shape \(1, 2, 5\).*\(1, 2, 2\)"):
        layer(x, (mu.zeros((1, BATCH, PROJ)), mu.zeros((1, BATCH, PROJ))))
