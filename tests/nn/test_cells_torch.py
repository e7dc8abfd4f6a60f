"""RNNCell, LSTMCell and GRUCell against PyTorch in float64: parameter names, shapes and
initialisation, the values and every gradient (inputs, states, parameters) over a loop of
steps, unbatched inputs, second derivatives, a device, and the errors."""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pytest
from oracle import assert_gradients_match

import mushin as mu
from mushin.nn.layers.cell import GRUCell, LSTMCell, RNNCell

torch = pytest.importorskip("torch")

INPUT, HIDDEN, BATCH, STEPS = 3, 4, 2, 5

CELLS: dict[str, tuple[Any, str, dict[str, Any]]] = {
    "rnn-tanh": (RNNCell, "RNNCell", {}),
    "rnn-relu": (RNNCell, "RNNCell", {"nonlinearity": "relu"}),
    "lstm": (LSTMCell, "LSTMCell", {}),
    "gru": (GRUCell, "GRUCell", {}),
}


def _pair(kind: str, **options: Any) -> tuple[Any, Any]:
    ours_class, torch_name, extra = CELLS[kind]
    options = {**extra, **options}
    torch.manual_seed(0)
    theirs = getattr(torch.nn, torch_name)(INPUT, HIDDEN, dtype=torch.float64, **options)
    ours = ours_class(INPUT, HIDDEN, dtype="float64", **options)
    assert [(name, parameter.shape) for name, parameter in ours.named_parameters()] == [
        (name, tuple(parameter.shape)) for name, parameter in theirs.named_parameters()]
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    return ours, theirs


def _states(kind: str, shape: tuple[int, ...], rng: np.random.Generator,
            given: bool) -> tuple[list[Any], list[Any], Any, Any]:
    """Initial states (as leaves of both libraries) and the ``hx`` argument of each."""
    if not given:
        return [], [], None, None
    count = 2 if kind == "lstm" else 1
    values = [rng.standard_normal(shape) for _ in range(count)]
    ours = [mu.variable(value) for value in values]
    theirs = [torch.tensor(value, requires_grad=True) for value in values]
    if kind == "lstm":
        return ours, theirs, tuple(ours), tuple(theirs)
    return ours, theirs, ours[0], theirs[0]


def _run(kind: str, batched: bool = True, given_state: bool = True, **options: Any) -> None:
    ours, theirs = _pair(kind, **options)
    rng = np.random.default_rng(1)
    lead = (BATCH,) if batched else ()
    inputs = [rng.standard_normal((*lead, INPUT)) for _ in range(STEPS)]
    ours_inputs = [mu.variable(value) for value in inputs]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in inputs]
    ours_initial, theirs_initial, ours_hx, theirs_hx = _states(kind, (*lead, HIDDEN), rng,
                                                               given_state)
    ours_loss: Any = 0.0
    theirs_loss: Any = 0.0
    for step in range(STEPS):
        ours_hx = ours(ours_inputs[step], ours_hx)
        theirs_hx = theirs(theirs_inputs[step], theirs_hx)
        ours_outputs = ours_hx if kind == "lstm" else (ours_hx,)
        theirs_outputs = theirs_hx if kind == "lstm" else (theirs_hx,)
        for mine, other in zip(ours_outputs, theirs_outputs, strict=True):
            assert mine.shape == tuple(other.shape)
            np.testing.assert_allclose(mine.numpy(), other.detach().numpy(), rtol=1e-10,
                                       atol=1e-12)
            seed = rng.standard_normal(mine.shape)
            ours_loss = ours_loss + (mine * seed).sum()
            theirs_loss = theirs_loss + (other * torch.tensor(seed)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    assert_gradients_match([*ours_inputs, *ours_initial], [*theirs_inputs, *theirs_initial],
                           ours, theirs)


@pytest.mark.parametrize("kind", list(CELLS))
def test_a_loop_of_steps_matches_pytorch(kind: str) -> None:
    _run(kind)


@pytest.mark.parametrize("kind", list(CELLS))
def test_unbatched_and_zero_states_match_pytorch(kind: str) -> None:
    _run(kind, batched=False)
    _run(kind, given_state=False)


@pytest.mark.parametrize("kind", list(CELLS))
def test_without_bias_matches_pytorch(kind: str) -> None:
    _run(kind, bias=False)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_one_step_from_zeros_gives_every_parameter_a_gradient(kind: str) -> None:
    ours, theirs = _pair(kind)
    x = np.random.default_rng(2).standard_normal((BATCH, INPUT))
    ours_out = ours(mu.constant(x))
    theirs_out = theirs(torch.tensor(x))
    if kind == "lstm":
        ours_out, theirs_out = ours_out[0] + ours_out[1], theirs_out[0] + theirs_out[1]
    (ours_out ** 2).sum().backward()
    (theirs_out ** 2).sum().backward()
    assert_gradients_match([], [], ours, theirs)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_second_derivatives_match_pytorch(kind: str) -> None:
    ours, theirs = _pair(kind)
    rng = np.random.default_rng(3)
    x, h = rng.standard_normal((BATCH, INPUT)), rng.standard_normal((BATCH, HIDDEN))
    ours_leaves = [mu.variable(x), mu.variable(h)]
    theirs_leaves = [torch.tensor(x, requires_grad=True), torch.tensor(h, requires_grad=True)]
    if kind == "lstm":
        ours_h, ours_c = ours(ours_leaves[0], (ours_leaves[1], ours_leaves[1] * 0.5))
        theirs_h, theirs_c = theirs(theirs_leaves[0], (theirs_leaves[1], theirs_leaves[1] * 0.5))
        ours_out, theirs_out = ours_h * ours_c, theirs_h * theirs_c
    else:
        ours_out = ours(ours_leaves[0], ours_leaves[1])
        theirs_out = theirs(theirs_leaves[0], theirs_leaves[1])
    (ours_out ** 2).sum().backward(create_graph=True)
    grads = torch.autograd.grad((theirs_out ** 2).sum(), theirs_leaves, create_graph=True)
    sum((grad ** 2).sum() for grad in grads).backward()
    ours_grads = [leaf.grad() for leaf in ours_leaves]
    for tensor in [*ours_leaves, *ours.parameters()]:
        tensor.reset()
    ((ours_grads[0] ** 2).sum() + (ours_grads[1] ** 2).sum()).backward()
    assert_gradients_match(ours_leaves, theirs_leaves, ours, theirs)


@pytest.mark.parametrize("kind", list(CELLS))
def test_initialisation_and_repr_follow_pytorch(kind: str) -> None:
    ours_class, torch_name, extra = CELLS[kind]
    layer = ours_class(10, 400, **extra)
    bound = 1 / math.sqrt(400)
    for name, parameter in layer.named_parameters():
        values = parameter.numpy()
        assert values.dtype == np.float32
        assert np.abs(values).max() <= bound, name
        assert abs(values.std() - bound / math.sqrt(3)) < 0.1 * bound, name
    theirs = getattr(torch.nn, torch_name)(10, 400, bias=False, **extra)
    assert repr(ours_class(10, 400, bias=False, **extra)) == repr(theirs)
    assert [name for name, _ in ours_class(10, 4, bias=False, **extra).named_parameters()] == [
        "weight_ih", "weight_hh"]
    assert set(ours_class(3, 4, **extra).state_dict()) == set(
        getattr(torch.nn, torch_name)(3, 4, **extra).state_dict())


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm", "gru"])
def test_signatures_follow_pytorch(kind: str) -> None:
    ours_class, torch_name, _ = CELLS[kind]
    ours = inspect.signature(ours_class).parameters
    theirs = inspect.signature(getattr(torch.nn, torch_name)).parameters
    assert list(ours) == list(theirs)
    assert all(ours[name].default == parameter.default for name, parameter in theirs.items())
    positional = ours_class(INPUT, HIDDEN, False, *(("relu",) if kind == "rnn-tanh" else ()),
                            "cpu", "float64")
    assert positional.weight_ih.dtype == np.float64 and positional.bias_ih is None


def test_exported_under_pytorch_names() -> None:
    assert mu.nn.LSTMCell is LSTMCell and mu.nn.GRUCell is GRUCell
    assert mu.nn.RNNCell is RNNCell


def test_frozen_cell_returns_constants() -> None:
    cell = LSTMCell(INPUT, HIDDEN)
    cell.freeze()
    hidden, state = cell(mu.randn(BATCH, INPUT))
    assert isinstance(hidden, mu.Constant) and isinstance(state, mu.Constant)


@pytest.mark.parametrize("kind", ["rnn-tanh", "lstm", "gru"])
def test_runs_on_a_device_like_on_the_cpu(kind: str, device: str) -> None:
    ours_class, _, extra = CELLS[kind]
    cpu = ours_class(INPUT, HIDDEN, dtype="float64", **extra)
    moved = ours_class(INPUT, HIDDEN, dtype="float64", device=device, **extra)
    moved.load_state_dict(cpu.state_dict())
    rng = np.random.default_rng(4)
    values = [rng.standard_normal((BATCH, INPUT)) for _ in range(3)]
    results = []
    for layer, where in ((cpu, "cpu"), (moved, device)):
        inputs = [mu.variable(value, device=where) for value in values]
        hx = None
        for x in inputs:
            hx = layer(x, hx)
        out = hx[0] * hx[1] if kind == "lstm" else hx
        assert out.device == where
        (out ** 2).sum().backward()
        results.append([out, *(x.grad() for x in inputs),
                        *(p.grad() for p in layer.parameters())])
    for mine, other in zip(*results, strict=True):
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-10, atol=1e-12)


def test_bad_arguments_name_what_was_expected() -> None:
    with pytest.raises(ValueError, match="RNNCell: nonlinearity must be 'tanh' or 'relu'"):
        RNNCell(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="LSTMCell: hidden_size must be at least 1"):
        LSTMCell(3, 0)
    with pytest.raises(TypeError, match="GRUCell: input_size must be an int"):
        GRUCell(3.0, 4)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="GRUCell: bias must be True or False"):
        GRUCell(3, 4, bias=1)  # type: ignore[arg-type]
    cell = LSTMCell(INPUT, HIDDEN)
    with pytest.raises(mu.ShapeError, match=r"LSTMCell: expected an input of 2 axes .* "
                                            r"got shape \(1, 2, 3\)"):
        cell(mu.randn(1, 2, INPUT))
    with pytest.raises(mu.ShapeError, match=r"expected 3 input features .* shape \(2, 5\)"):
        cell(mu.randn(2, 5))
    with pytest.raises(mu.ShapeError, match=r"LSTMCell: expected c of shape \(2, 4\)"):
        cell(mu.randn(2, INPUT), (mu.randn(2, HIDDEN), mu.randn(3, HIDDEN)))
    with pytest.raises(TypeError, match="LSTMCell: hx must be a pair"):
        cell(mu.randn(2, INPUT), mu.randn(2, HIDDEN))  # type: ignore[arg-type]
    gru = GRUCell(INPUT, HIDDEN)
    with pytest.raises(mu.ShapeError, match=r"GRUCell: expected hx of shape \(4,\)"):
        gru(mu.randn(INPUT), mu.randn(1, HIDDEN))
    with pytest.raises(TypeError, match="GRUCell: hx must have the input's dtype float32"):
        gru(mu.randn(2, INPUT), mu.randn(2, HIDDEN).double())
    with pytest.raises(TypeError, match="RNNCell: the input must be a tensor"):
        RNNCell(INPUT, HIDDEN)(np.zeros((2, INPUT)))  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="floating dtype"):
        RNNCell(INPUT, HIDDEN)(mu.zeros(2, INPUT, dtype=mu.long))
