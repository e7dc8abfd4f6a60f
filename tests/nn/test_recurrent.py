"""RNN, LSTM and GRU: PyTorch as the oracle (forward, final states, every gradient, second
derivatives), finite differences, parameter layout, shapes, modes, devices and errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from oracle import assert_gradients_match

import mushin as mu
from mushin.nn.layers.recurrent import GRU, LSTM, RNN
from mushin.testing import gradcheck

LAYERS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
CONFIGS = [
    pytest.param({}, id="one-layer"),
    pytest.param({"num_layers": 2}, id="two-layers"),
    pytest.param({"bidirectional": True}, id="bidirectional"),
    pytest.param({"num_layers": 2, "bidirectional": True}, id="two-layers-bidirectional"),
    pytest.param({"bias": False}, id="no-bias"),
    pytest.param({"batch_first": False, "num_layers": 2}, id="time-first"),
]
INPUT, HIDDEN, BATCH, STEPS = 3, 4, 2, 5


def _states(kind: str, output: Any) -> list[Any]:
    """The final state tensors of a layer's result, as a list."""
    return list(output[1]) if kind == "LSTM" else [output[1]]


def _initial(kind: str, layer: Any, rng: np.random.Generator, batch: int | None) -> list[Any]:
    count = layer.num_layers * layer.num_directions
    size = layer.hidden_size
    shape = (count, size) if batch is None else (count, batch, size)
    return [rng.standard_normal(shape) for _ in range(2 if kind == "LSTM" else 1)]


def _expected_names(layers: int, bidirectional: bool, bias: bool) -> list[str]:
    names = []
    for layer in range(layers):
        for suffix in ("", "_reverse") if bidirectional else ("",):
            kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh") if bias else (
                "weight_ih", "weight_hh")
            names += [f"{kind}_l{layer}{suffix}" for kind in kinds]
    return names


# --- PyTorch as the oracle -----------------------------------------------------------------------


def _torch_pair(kind: str, config: dict[str, Any]) -> tuple[Any, Any]:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    options = {"batch_first": True, **config}
    theirs = getattr(torch.nn, kind)(INPUT, HIDDEN, dtype=torch.float64, **options)
    ours = LAYERS[kind](INPUT, HIDDEN, dtype="float64", **options)
    assert [name for name, _ in ours.named_parameters()] == [
        name for name, _ in theirs.named_parameters()]
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    return ours, theirs


def _compare(kind: str, config: dict[str, Any], with_state: bool, batched: bool = True) -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair(kind, config)
    rng = np.random.default_rng(1)
    batch_first = config.get("batch_first", True)
    shape = ((BATCH, STEPS, INPUT) if batch_first else (STEPS, BATCH, INPUT)) if batched \
        else (STEPS, INPUT)
    x = rng.standard_normal(shape)
    initial = _initial(kind, ours, rng, BATCH if batched else None) if with_state else []
    ours_inputs = [mu.variable(value) for value in (x, *initial)]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in (x, *initial)]

    def hidden_argument(values: list[Any]) -> Any:
        if not with_state:
            return None
        return tuple(values[1:]) if kind == "LSTM" else values[1]

    ours_result = ours(ours_inputs[0], hidden_argument(ours_inputs))
    theirs_result = theirs(theirs_inputs[0], hidden_argument(theirs_inputs))
    ours_outputs = [ours_result[0], *_states(kind, ours_result)]
    theirs_outputs = [theirs_result[0], *_states(kind, theirs_result)]
    ours_loss = ours_outputs[0].sum() * 0.0
    theirs_loss = theirs_outputs[0].sum() * 0.0
    for mine, other in zip(ours_outputs, theirs_outputs, strict=True):
        np.testing.assert_allclose(mine.numpy(), other.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        seed = rng.standard_normal(mine.shape)
        ours_loss = ours_loss + (mine * seed).sum()
        theirs_loss = theirs_loss + (other * torch.tensor(seed)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    assert_gradients_match(ours_inputs, theirs_inputs, ours, theirs)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("config", CONFIGS)
def test_matches_pytorch(kind: str, config: dict[str, Any]) -> None:
    _compare(kind, config, with_state=False)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("config", [{"num_layers": 2, "bidirectional": True},
                                    {"batch_first": False}])
def test_matches_pytorch_from_a_given_state(kind: str, config: dict[str, Any]) -> None:
    _compare(kind, config, with_state=True)


@pytest.mark.parametrize("kind", LAYERS)
def test_matches_pytorch_on_one_unbatched_sequence(kind: str) -> None:
    _compare(kind, {"num_layers": 2, "bidirectional": True}, with_state=True, batched=False)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("config", [{}, {"num_layers": 2, "bidirectional": True}])
def test_default_layout_is_time_first_like_pytorch(kind: str, config: dict[str, Any]) -> None:
    """Without ``batch_first``, both libraries read ``(time, batch, features)``: the same
    weights give the same outputs and final states, with neither side passing the flag."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(INPUT, HIDDEN, dtype=torch.float64, **config)
    ours = LAYERS[kind](INPUT, HIDDEN, dtype="float64", **config)
    assert ours.batch_first is False and theirs.batch_first is False
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    x = np.random.default_rng(8).standard_normal((STEPS, BATCH, INPUT))
    ours_result = ours(mu.constant(x))
    with torch.no_grad():
        theirs_result = theirs(torch.tensor(x))
    assert ours_result[0].shape == (STEPS, BATCH, HIDDEN * ours.num_directions)
    for mine, other in zip([ours_result[0], *_states(kind, ours_result)],
                           [theirs_result[0], *_states(kind, theirs_result)], strict=True):
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-10, atol=1e-12)


def test_relu_rnn_matches_pytorch() -> None:
    _compare("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True},
             with_state=True)


@pytest.mark.parametrize(("kind", "config"), [
    *((kind, config) for config in ({}, {"num_layers": 2, "bidirectional": True})
      for kind in LAYERS),
    ("RNN", {"nonlinearity": "relu"}),  # only the RNN has a nonlinearity argument
])
def test_second_derivatives_match_pytorch(kind: str, config: dict[str, Any]) -> None:
    """backward(create_graph=True), then a loss of the gradients, against torch.autograd."""
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair(kind, config)
    rng = np.random.default_rng(2)
    x = rng.standard_normal((BATCH, STEPS, INPUT))
    initial = _initial(kind, ours, rng, BATCH)
    ours_inputs = [mu.variable(value) for value in (x, *initial)]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in (x, *initial)]
    states_in = (lambda values: tuple(values[1:])) if kind == "LSTM" else (
        lambda values: values[1])
    ours_result = ours(ours_inputs[0], states_in(ours_inputs))
    theirs_result = theirs(theirs_inputs[0], states_in(theirs_inputs))
    ours_loss = (ours_result[0] ** 2).sum() + (_states(kind, ours_result)[-1] ** 2).sum()
    theirs_loss = (theirs_result[0] ** 2).sum() + (_states(kind, theirs_result)[-1] ** 2).sum()

    theirs_grads = torch.autograd.grad(theirs_loss, theirs_inputs, create_graph=True)
    sum(((grad ** 2) * (index + 1)).sum() for index, grad in enumerate(theirs_grads)).backward()
    ours_loss.backward(create_graph=True)
    ours_grads = [value.grad() for value in ours_inputs]
    for value in ours_inputs:
        value.reset()
    for parameter in ours.parameters():
        parameter.reset()
    second = ours_grads[0].sum() * 0.0
    for index, grad in enumerate(ours_grads):
        second = second + ((grad ** 2) * (index + 1)).sum()
    second.backward()
    for mine, other in zip(ours_inputs, theirs_inputs, strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-8,
                                   atol=1e-10)
    for (name, mine), (_, other) in zip(ours.named_parameters(), theirs.named_parameters(),
                                        strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=name)


@pytest.mark.parametrize("kind", LAYERS)
def test_second_derivatives_through_the_parameter_gradients(kind: str) -> None:
    """A loss of the weights' and biases' own gradients (a gradient penalty on them), against
    torch.autograd: the recorded backward of every parameter, biases included."""
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair(kind, {"num_layers": 2})
    x = np.random.default_rng(5).standard_normal((BATCH, STEPS, INPUT))
    ours_loss = (ours(mu.variable(x))[0] ** 2).sum()
    theirs_loss = (theirs(torch.tensor(x))[0] ** 2).sum()
    theirs_parameters = list(theirs.parameters())
    theirs_grads = torch.autograd.grad(theirs_loss, theirs_parameters, create_graph=True)
    sum((grad ** 2).sum() for grad in theirs_grads).backward()
    ours_loss.backward(create_graph=True)
    ours_grads = [parameter.grad() for parameter in ours.parameters()]
    for parameter in ours.parameters():
        parameter.reset()
    penalty = ours_grads[0].sum() * 0.0
    for grad in ours_grads:
        penalty = penalty + (grad ** 2).sum()
    penalty.backward()
    for (name, mine), other in zip(ours.named_parameters(), theirs_parameters, strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=name)


# --- finite differences --------------------------------------------------------------------------


@pytest.mark.parametrize("kind", LAYERS)
def test_gradients_match_finite_differences(kind: str) -> None:
    layer = LAYERS[kind](2, 3, bidirectional=True, batch_first=True, dtype="float64")
    names = [name for name, _ in layer.named_parameters()]
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 3, 2))
    initial = _initial(kind, layer, rng, 2)

    def run(value: Any, *rest: Any) -> Any:
        states, parameters = rest[:len(initial)], rest[len(initial):]
        for name, parameter in zip(names, parameters, strict=True):
            setattr(layer, name, parameter)
        output, final = layer(value, tuple(states) if kind == "LSTM" else states[0])
        finals = final if kind == "LSTM" else (final,)
        return mu.concat([output.flatten(), *(state.flatten() for state in finals)], 0)

    assert gradcheck(run, x, *initial, *(parameter.numpy() for parameter in layer.parameters()))


# --- layout, shapes, modes -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", LAYERS)
def test_parameters_have_pytorch_names_shapes_and_init(kind: str) -> None:
    gates = {"RNN": 1, "LSTM": 4, "GRU": 3}[kind]
    layer = LAYERS[kind](5, 6, num_layers=2, bidirectional=True)
    assert [name for name, _ in layer.named_parameters()] == _expected_names(2, True, True)
    shapes = dict((name, parameter.shape) for name, parameter in layer.named_parameters())
    assert shapes["weight_ih_l0"] == (gates * 6, 5)
    assert shapes["weight_ih_l1_reverse"] == (gates * 6, 12)
    assert shapes["weight_hh_l1"] == (gates * 6, 6)
    assert shapes["bias_hh_l0_reverse"] == (gates * 6,)
    assert all(parameter.dtype == np.float32 for parameter in layer.parameters())
    values = np.concatenate([parameter.numpy().ravel() for parameter in layer.parameters()])
    bound = 1 / math.sqrt(6)
    assert values.min() >= -bound and values.max() <= bound
    # U(-bound, bound) has standard deviation bound / sqrt(3)
    assert abs(values.std() - bound / math.sqrt(3)) < 0.05 * bound
    assert list(layer.state_dict()) == _expected_names(2, True, True)
    assert [name for name, _ in LAYERS[kind](5, 6, bias=False).named_parameters()] == \
        _expected_names(1, False, False)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize(("batch_first", "batched"), [(True, True), (False, True), (True, False)])
def test_output_and_state_shapes(kind: str, batch_first: bool, batched: bool) -> None:
    layer = LAYERS[kind](3, 4, num_layers=3, bidirectional=True, batch_first=batch_first)
    shape = ((2, 7, 3) if batch_first else (7, 2, 3)) if batched else (7, 3)
    output, *rest = layer(mu.randn(shape))
    states = list(rest[0]) if kind == "LSTM" else rest
    expected_output = ((2, 7, 8) if batch_first else (7, 2, 8)) if batched else (7, 8)
    assert output.shape == expected_output
    for state in states:
        assert state.shape == ((6, 2, 4) if batched else (6, 4))


@pytest.mark.parametrize("kind", LAYERS)
def test_the_final_state_is_the_last_output_of_each_direction(kind: str) -> None:
    layer = LAYERS[kind](3, 4, bidirectional=True, batch_first=True)
    output, state = layer(mu.randn((2, 5, 3)))
    final = (state[0] if kind == "LSTM" else state).numpy()
    np.testing.assert_array_equal(final[0], output.numpy()[:, -1, :4])
    np.testing.assert_array_equal(final[1], output.numpy()[:, 0, 4:])


@pytest.mark.parametrize("kind", LAYERS)
def test_float32_stays_float32(kind: str) -> None:
    layer = LAYERS[kind](3, 4, num_layers=2, batch_first=True)
    x = mu.randn((2, 5, 3))
    output, _ = layer(x)
    assert output.dtype == np.float32
    output.sum().backward()
    assert x.grad().dtype == np.float32
    assert all(parameter.grad().dtype == np.float32 for parameter in layer.parameters())


@pytest.mark.parametrize("kind", LAYERS)
def test_frozen_layer_gives_constants_and_no_parameter_gradients(kind: str) -> None:
    layer = LAYERS[kind](3, 4, num_layers=2, dropout=0.5, batch_first=True).freeze()
    x = mu.randn((2, 5, 3))
    assert isinstance(layer(x.freeze())[0], mu.Constant)
    first, _ = layer(x)
    second, _ = layer(x)
    np.testing.assert_array_equal(first.numpy(), second.numpy())  # dropout is off
    first.sum().backward()
    assert np.any(x.grad().numpy() != 0)
    assert all(parameter._grad is None for parameter in layer.parameters())


def test_dropout_between_layers_while_training() -> None:
    mu.seed(0)
    layer = LSTM(3, 4, num_layers=2, dropout=0.5, batch_first=True)
    reference = LSTM(3, 4, num_layers=2, batch_first=True)
    reference.load_state_dict(layer.state_dict())
    x = mu.randn((4, 6, 3))
    dropped, (_, dropped_cells) = layer(x)
    plain, (_, plain_cells) = reference(x)
    # the first layer's states are untouched; the second layer sees a thinned input
    np.testing.assert_allclose(dropped_cells.numpy()[0], plain_cells.numpy()[0], rtol=1e-6)
    assert not np.allclose(dropped.numpy(), plain.numpy())
    layer.freeze()
    np.testing.assert_allclose(layer(x)[0].numpy(), plain.numpy(), rtol=1e-6)


@pytest.mark.parametrize("kind", LAYERS)
def test_retained_graph_gives_the_same_gradients_twice(kind: str) -> None:
    layer = LAYERS[kind](3, 4, batch_first=True, dtype="float64")
    x = mu.randn((2, 5, 3), dtype="float64")
    output, _ = layer(x)
    loss = (output ** 2).sum()
    loss.backward(retain_graph=True)
    once = x.grad().numpy()
    loss.backward()
    np.testing.assert_allclose(x.grad().numpy(), 2 * once, rtol=1e-12)
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


@pytest.mark.parametrize("kind", [*LAYERS, "RNN-relu"])
def test_runs_on_a_device_like_on_the_cpu(kind: str, device: str) -> None:
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 5, 3))
    options: dict[str, Any] = {"num_layers": 2, "bidirectional": True, "batch_first": True,
                              "dtype": "float64"}
    if kind == "RNN-relu":
        kind, options["nonlinearity"] = "RNN", "relu"
    cpu = LAYERS[kind](3, 4, **options)
    cpu_x = mu.variable(x)
    cpu_output, _ = cpu(cpu_x)
    (cpu_output ** 2).sum().backward()
    moved = LAYERS[kind](3, 4, **options, device=device)
    moved.load_state_dict(cpu.state_dict())
    device_x = mu.variable(x, device=device)
    device_output, _ = moved(device_x)
    (device_output ** 2).sum().backward()
    assert device_output.device == device
    # cuBLAS sums in another order than NumPy's BLAS: a few units of rounding, which a small
    # gradient (1e-4 here and there) turns into a relative difference of some 1e-12.
    tolerance = {"rtol": 1e-10, "atol": 1e-13}
    np.testing.assert_allclose(device_output.numpy(), cpu_output.numpy(), **tolerance)
    np.testing.assert_allclose(device_x.grad().numpy(), cpu_x.grad().numpy(), **tolerance)
    for (name, mine), (_, other) in zip(moved.named_parameters(), cpu.named_parameters(),
                                        strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad().numpy(), **tolerance,
                                   err_msg=name)


def test_repr_shows_the_arguments() -> None:
    assert repr(LSTM(3, 4, num_layers=2, bidirectional=True)) == \
        "LSTM(3, 4, num_layers=2, bidirectional=True)"
    assert repr(RNN(3, 4, nonlinearity="relu", batch_first=True)) == \
        "RNN(3, 4, batch_first=True, nonlinearity='relu')"
    assert repr(GRU(3, 4, batch_first=False)) == "GRU(3, 4)"


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("arguments", "error", "match"), [
    ({"hidden_size": 0}, ValueError, "hidden_size must be at least 1"),
    ({"input_size": 2.5}, TypeError, "input_size must be an int"),
    ({"num_layers": True}, TypeError, "num_layers must be an int"),
    ({"dropout": 1.5}, ValueError, r"dropout must be in \[0, 1\]"),
    ({"bidirectional": "yes"}, TypeError, "bidirectional must be True or False"),
    ({"dtype": "int32"}, ValueError, "floating dtype"),
])
def test_bad_constructor_arguments(arguments: dict[str, Any], error: type[Exception],
                                   match: str) -> None:
    options: dict[str, Any] = {"input_size": 3, "hidden_size": 4, **arguments}
    with pytest.raises(error, match=match):
        GRU(**options)


def test_unknown_nonlinearity() -> None:
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        RNN(3, 4, nonlinearity="sigmoid")


@pytest.mark.parametrize("kind", LAYERS)
def test_bad_inputs_name_what_was_expected(kind: str) -> None:
    layer = LAYERS[kind](3, 4, num_layers=2, batch_first=True)
    with pytest.raises(mu.ShapeError, match=r"expected 3 input features .* shape \(2, 5, 4\)"):
        layer(mu.randn((2, 5, 4)))
    with pytest.raises(mu.ShapeError, match=r"3 axes .* got shape \(2, 2, 5, 3\)"):
        layer(mu.randn((2, 2, 5, 3)))
    with pytest.raises(mu.ShapeError, match=r"at least one time step, got shape \(2, 0, 3\)"):
        layer(mu.randn((2, 0, 3)))
    with pytest.raises(TypeError, match="must be a tensor"):
        layer(np.zeros((2, 5, 3)))
    states = [mu.zeros((2, 3, 4))] * (2 if kind == "LSTM" else 1)
    with pytest.raises(mu.ShapeError, match=r"initial state of shape \(2, 2, 4\).*\(2, 3, 4\)"):
        layer(mu.randn((2, 5, 3)), tuple(states) if kind == "LSTM" else states[0])
    states = [mu.zeros((2, 2, 4), dtype="float64")] * (2 if kind == "LSTM" else 1)
    with pytest.raises(TypeError, match="input's dtype float32, got float64"):
        layer(mu.randn((2, 5, 3)), tuple(states) if kind == "LSTM" else states[0])


def test_lstm_state_must_be_a_pair() -> None:
    with pytest.raises(TypeError, match=r"hx must be a pair \(h_0, c_0\)"):
        LSTM(3, 4, batch_first=True)(mu.randn((2, 5, 3)), mu.zeros((1, 2, 4)))


@pytest.mark.parametrize("steps", [1, 4])
@pytest.mark.parametrize("config", [{}, {"bias": False, "bidirectional": True},
                                    {"num_layers": 2, "batch_first": False}])
@pytest.mark.parametrize("kind", LAYERS)
def test_gradients_from_a_constant_input(kind: str, config: dict[str, Any], steps: int) -> None:
    """The fused layers' other paths: no input gradient (a constant input, as in
    training on data), one time step, the states' and parameters' gradients only, and the
    forward without a gradient to come (no_grad), which keeps nothing for a backward."""
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair(kind, config)
    rng = np.random.default_rng(5)
    batch_first = config.get("batch_first", True)
    x = rng.standard_normal((BATCH, steps, INPUT) if batch_first else (steps, BATCH, INPUT))
    initial = _initial(kind, ours, rng, BATCH)
    ours_states = [mu.variable(value) for value in initial]
    theirs_states = [torch.tensor(value, requires_grad=True) for value in initial]

    def hidden_argument(values: list[Any]) -> Any:
        return tuple(values) if kind == "LSTM" else values[0]

    ours_result = ours(mu.constant(x), hidden_argument(ours_states))
    theirs_result = theirs(torch.tensor(x), hidden_argument(theirs_states))
    ours_output, ours_finals = ours_result[0], _states(kind, ours_result)
    theirs_output, theirs_finals = theirs_result[0], _states(kind, theirs_result)
    with mu.no_grad():
        plain, _ = ours(mu.constant(x), hidden_argument([mu.constant(value)
                                                         for value in initial]))
    np.testing.assert_array_equal(plain.numpy(), ours_output.numpy())
    ours_loss = ours_output.sum() * 0.0
    theirs_loss = theirs_output.sum() * 0.0
    for mine, other in zip([ours_output, *ours_finals], [theirs_output, *theirs_finals],
                           strict=True):
        np.testing.assert_allclose(mine.numpy(), other.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        seed = rng.standard_normal(mine.shape)
        ours_loss = ours_loss + (mine * seed).sum()
        theirs_loss = theirs_loss + (other * torch.tensor(seed)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    assert_gradients_match(ours_states, theirs_states, ours, theirs)
