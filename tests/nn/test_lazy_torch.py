"""The lazy layers against PyTorch's: ``LazyLinear``, ``LazyConv1d/2d/3d``,
``LazyConvTranspose1d/2d/3d``, ``LazyBatchNorm1d/2d/3d`` and ``LazyInstanceNorm1d/2d/3d``.

Each is built beside PyTorch's, called once (both become their regular class, with the state
dict names and shapes PyTorch gives), then given PyTorch's values and compared in float64
(output and gradients, and an optimizer made before the first call stepping the same
parameters); the weights drawn at the first call are those of the regular layer built then;
the placeholders before the first call, ``load_state_dict`` into a lazy layer, ``.to()`` before
the first call, the errors, and a run on the stand-in GPU device."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from layer_oracle import assert_gradients_equal, copy_parameters, torch

import mushin as mu
from mushin import nn

# (name, arguments, input shape, the regular class's name)
CASES: list[tuple[str, tuple[Any, ...], dict[str, Any], tuple[int, ...], str]] = [
    ("LazyLinear", (4,), {}, (2, 5, 3), "Linear"),
    ("LazyLinear", (4,), {"bias": False}, (6, 3), "Linear"),
    ("LazyConv1d", (4, 3), {"padding": 1, "groups": 2}, (2, 6, 7), "Conv1d"),
    ("LazyConv2d", (5, 3), {"stride": 2, "padding_mode": "reflect", "padding": 1},
     (2, 3, 7, 6), "Conv2d"),
    ("LazyConv2d", (4, (2, 3)), {"bias": False}, (3, 6, 5), "Conv2d"),
    ("LazyConv3d", (2, 2), {"dilation": 2}, (1, 2, 5, 5, 6), "Conv3d"),
    ("LazyConvTranspose1d", (4, 3), {"stride": 2, "output_padding": 1}, (2, 3, 5),
     "ConvTranspose1d"),
    ("LazyConvTranspose2d", (4, 3), {"groups": 2}, (2, 6, 4, 5), "ConvTranspose2d"),
    ("LazyConvTranspose3d", (2, 2), {"padding": 1}, (1, 3, 3, 4, 3), "ConvTranspose3d"),
    ("LazyBatchNorm1d", (), {}, (5, 3), "BatchNorm1d"),
    ("LazyBatchNorm1d", (), {"momentum": None, "affine": False}, (4, 3, 6), "BatchNorm1d"),
    ("LazyBatchNorm2d", (), {"eps": 1e-3}, (3, 4, 3, 2), "BatchNorm2d"),
    ("LazyBatchNorm3d", (), {"track_running_stats": False}, (2, 3, 2, 3, 2), "BatchNorm3d"),
    ("LazyInstanceNorm1d", (), {}, (2, 3, 7), "InstanceNorm1d"),
    ("LazyInstanceNorm2d", (), {"affine": False}, (2, 4, 5, 3), "InstanceNorm2d"),
    ("LazyInstanceNorm3d", (), {"track_running_stats": False}, (2, 2, 3, 4, 3),
     "InstanceNorm3d"),
]
IDS = [f"{case[0]}-{index}" for index, case in enumerate(CASES)]


def _input(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize(("name", "args", "kwargs", "shape", "regular"), CASES, ids=IDS)
def test_first_call_becomes_the_regular_layer_as_pytorchs(
        name: str, args: tuple[Any, ...], kwargs: dict[str, Any], shape: tuple[int, ...],
        regular: str) -> None:
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    assert isinstance(ours, getattr(nn, regular))  # a subclass, as PyTorch's
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_parameters()] == [
        name for name, _ in theirs.named_parameters()]
    # optimizers made before the first call, as PyTorch allows
    learnt = bool(list(theirs.parameters()))
    optimizers = [mu.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9),
                  torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)] if learnt else []
    placeholders = list(ours.parameters())
    x = _input(shape)
    ours(mu.constant(x))
    theirs(torch.tensor(x))
    assert type(ours) is getattr(nn, regular)
    assert type(theirs) is getattr(torch.nn, regular)
    assert [id(parameter) for parameter in ours.parameters()] == [
        id(parameter) for parameter in placeholders]
    mine, other = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(other)
    for key, value in other.items():
        assert mine[key].shape == tuple(value.shape), key
        assert mine[key].dtype == value.numpy().dtype, key
    # the same values from here on: equal outputs, gradients and optimizer steps
    copy_parameters(ours, theirs)
    x = _input(shape, seed=1)
    for _ in range(2):
        mine_x = mu.variable(x, dtype="float64")
        other_x = torch.tensor(x, requires_grad=True)
        output, expected = ours(mine_x), theirs(other_x)
        np.testing.assert_allclose(output.numpy(), expected.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        cotangent = _input(tuple(expected.shape), seed=2)
        for optimizer in optimizers:
            optimizer.zero_grad()
        (output * mu.constant(cotangent)).sum().backward()
        (expected * torch.tensor(cotangent)).sum().backward()
        np.testing.assert_allclose(mine_x.grad().numpy(), other_x.grad.numpy(), rtol=1e-10,
                                   atol=1e-12)
        assert_gradients_equal(ours, theirs)
        for optimizer in optimizers:
            optimizer.step()
    for key, value in theirs.state_dict().items():
        np.testing.assert_allclose(ours.state_dict()[key].numpy(), value.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=key)


FIRST_DRAWS: list[tuple[Callable[[], Any], Callable[[], Any], tuple[int, ...]]] = [
    (lambda: nn.LazyLinear(4), lambda: nn.Linear(3, 4), (2, 3)),
    (lambda: nn.LazyConv2d(4, 3, groups=2), lambda: nn.Conv2d(6, 4, 3, groups=2),
     (1, 6, 5, 5)),
    (lambda: nn.LazyConvTranspose1d(3, 2), lambda: nn.ConvTranspose1d(5, 3, 2), (2, 5, 4)),
    (lambda: nn.LazyBatchNorm2d(), lambda: nn.BatchNorm2d(3), (2, 3, 2, 2)),
]


@pytest.mark.parametrize(("lazy", "regular", "shape"), FIRST_DRAWS)
def test_parameters_are_drawn_as_the_regular_layer_built_at_the_first_call(
        lazy: Callable[[], Any], regular: Callable[[], Any], shape: tuple[int, ...]) -> None:
    """No random draw at construction (PyTorch's lazy layers draw none either): the first call
    draws what the regular layer's constructor would draw at that moment."""
    mu.seed(5)
    layer = lazy()
    layer(mu.constant(_input(shape), dtype="float32"))
    mu.seed(5)
    expected = regular()
    assert type(layer) is type(expected)
    for (name, found), (_, wanted) in zip(layer.state_dict().items(),
                                          expected.state_dict().items(), strict=True):
        if not name.startswith("running") and name != "num_batches_tracked":
            np.testing.assert_array_equal(found.numpy(), wanted.numpy(), err_msg=name)
    # PyTorch's lazy layers draw the regular layer's values as well
    torch.manual_seed(5)
    their_lazy = torch.nn.LazyLinear(4)
    their_lazy(torch.ones(2, 3))
    torch.manual_seed(5)
    assert torch.equal(their_lazy.weight, torch.nn.Linear(3, 4).weight)


def test_placeholders_before_the_first_call() -> None:
    """PyTorch's placeholders are UninitializedParameter objects; here (Variable and Constant
    being final classes) they are empty tensors the layer tracks: the state dict has the same
    names, an optimizer takes them, and a deep copy is a lazy layer of its own."""
    layer = nn.LazyBatchNorm1d()
    theirs = torch.nn.LazyBatchNorm1d()
    assert list(layer.state_dict()) == list(theirs.state_dict())
    assert layer.weight is not None and layer.weight.shape == (0,)
    assert layer.running_mean is not None and layer.running_mean.shape == (0,)
    copied = copy.deepcopy(layer)
    copied(mu.randn(4, 2))
    assert type(copied) is nn.BatchNorm1d and copied.weight is not None
    assert copied.weight.shape == (2,)
    assert layer.has_uninitialized_params() and layer.weight.shape == (0,)
    layer(mu.randn(4, 5))
    assert layer.weight.shape == (5,)


def test_initialize_parameters_and_has_uninitialized_params_follow_pytorch() -> None:
    ours, theirs = nn.LazyLinear(3), torch.nn.LazyLinear(3)
    ours.initialize_parameters(mu.ones(2, 5))
    theirs.initialize_parameters(torch.ones(2, 5))
    # initialised, but still of the lazy class until the first forward
    assert type(ours).__name__ == type(theirs).__name__ == "LazyLinear"
    assert ours.has_uninitialized_params() == theirs.has_uninitialized_params() is False
    assert ours.weight.shape == tuple(theirs.weight.shape) == (3, 5)
    ours(mu.ones(2, 5))
    assert type(ours) is nn.Linear
    # without placeholders (no affine parameters, no running statistics) nothing is pending,
    # and the layer still becomes the regular one (its size read from the input)
    norm = nn.LazyBatchNorm1d(affine=False, track_running_stats=False)
    assert not norm.has_uninitialized_params()
    assert not torch.nn.LazyBatchNorm1d(affine=False,
                                        track_running_stats=False).has_uninitialized_params()
    norm(mu.randn(4, 3))
    assert type(norm) is nn.BatchNorm1d and norm.num_features == 3


def test_load_state_dict_initialises_a_lazy_layer_as_pytorchs() -> None:
    source = torch.nn.Conv2d(4, 6, 3, groups=2).double()
    state = {name: value.numpy() for name, value in source.state_dict().items()}
    ours = nn.LazyConv2d(6, 3, groups=2).double()
    theirs = torch.nn.LazyConv2d(6, 3, groups=2).double()
    ours.load_state_dict(state)
    theirs.load_state_dict(source.state_dict())
    assert type(ours).__name__ == type(theirs).__name__ == "LazyConv2d"
    assert ours.weight.shape == tuple(theirs.weight.shape) == (6, 2, 3, 3)
    x = _input((1, 4, 5, 5))
    np.testing.assert_allclose(ours(mu.constant(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    # PyTorch's convolution keeps in_channels = 0 after a load (its Linear does set
    # in_features); the size read from the state is kept here
    assert type(ours) is nn.Conv2d and ours.in_channels == 4
    norm = nn.LazyInstanceNorm2d()
    norm.load_state_dict({name: value.numpy() for name, value in
                          torch.nn.InstanceNorm2d(5, affine=True, track_running_stats=True)
                          .state_dict().items()})
    assert norm.weight is not None and norm.weight.shape == (5,)
    # nested in another module, a lazy layer must be initialised first (no hook reaches it)
    model = nn.Sequential(nn.LazyLinear(2))
    with pytest.raises(ValueError, match=r"'0.weight': expected shape \(0,\), got \(2, 3\)"):
        model.load_state_dict({"0.weight": np.ones((2, 3)), "0.bias": np.ones(2)})


def test_conversions_and_modes_before_the_first_call_are_kept() -> None:
    layer = nn.LazyLinear(3).double()
    layer.eval()
    layer(mu.ones(2, 4, dtype="float64"))
    assert layer.weight.dtype == np.float64 and layer.bias is not None
    assert layer.bias.dtype == np.float64
    assert not layer.training
    frozen = nn.LazyConv1d(2, 3)
    frozen.freeze()
    output = frozen(mu.constant(np.ones((1, 2, 5), dtype=np.float32)))
    assert isinstance(output, mu.Constant) and not frozen.training


def test_reprs_show_the_arguments_then_the_regular_layer() -> None:
    layer = nn.LazyConv2d(5, 3, stride=2)
    assert repr(layer) == ("LazyConv2d(out_channels=5, kernel_size=3, stride=2, padding=0, "
                           "dilation=1, groups=1, bias=True, padding_mode='zeros')")
    layer(mu.ones(1, 2, 6, 6))
    # mushin's class is Conv2D (nn.Conv2d is the same class)
    assert repr(layer).replace("Conv2D", "Conv2d") == repr(torch.nn.Conv2d(2, 5, 3, stride=2))


def test_errors_name_the_layer_and_the_input() -> None:
    with pytest.raises(mu.ShapeError, match=r"LazyConv2d: expected a 3-d \(unbatched\) or 4-d "
                                            r"\(batched\) input, got shape \(5, 5\)"):
        nn.LazyConv2d(4, 3)(mu.ones(5, 5))
    with pytest.raises(mu.ShapeError, match=r"LazyLinear: expected an input with at least one "
                                            r"axis"):
        nn.LazyLinear(4)(mu.constant(1.0))
    with pytest.raises(mu.ShapeError, match=r"LazyBatchNorm1d: expected an input of shape "
                                            r"\(N, C, \*\)"):
        nn.LazyBatchNorm1d()(mu.ones(3))
    with pytest.raises(mu.ShapeError, match="LazyInstanceNorm2d: expected an input of 3 or 4 "
                                            "axes"):
        nn.LazyInstanceNorm2d()(mu.ones(3, 4))
    # the regular constructor checks the arguments when it runs, at the first call
    with pytest.raises(ValueError, match="must both be divisible by groups"):
        nn.LazyConv1d(4, 3, groups=3)(mu.ones(1, 3, 5))
    layer = nn.LazyLinear(2)
    with pytest.raises(TypeError, match=r"LazyLinear.forward\(\) needs an input"):
        layer.forward()


def test_unbatched_instance_norm_reads_its_channel_axis() -> None:
    """PyTorch's lazy instance normalisations read axis 1 even for an unbatched ``(C, L)``
    input (and then fail); the channel axis is read here."""
    layer = nn.LazyInstanceNorm1d()
    x = _input((3, 5))
    output = layer(mu.constant(x))
    assert layer.num_features == 3
    expected = torch.nn.InstanceNorm1d(3, affine=True, track_running_stats=True).double()(
        torch.tensor(x))
    np.testing.assert_allclose(output.numpy(), expected.detach().numpy(), rtol=1e-5)


@pytest.mark.parametrize(("name", "args", "shape"), [
    ("LazyLinear", (4,), (3, 5)), ("LazyConv2d", (3, 2), (2, 2, 4, 4)),
    ("LazyConvTranspose1d", (2, 3), (2, 3, 4)), ("LazyBatchNorm2d", (), (2, 3, 2, 2)),
    ("LazyInstanceNorm1d", (), (2, 3, 4)),
])
def test_runs_on_a_device_like_on_the_cpu(device: str, name: str, args: tuple[Any, ...],
                                          shape: tuple[int, ...]) -> None:
    """Built on the device (each device draws from its own generator), then given the CPU
    layer's values: the same results."""
    x = _input(shape, seed=3)
    results: dict[str, list[np.ndarray]] = {}
    state: dict[str, np.ndarray] = {}
    for where in ("cpu", device):
        layer = getattr(nn, name)(*args).double().to(where)
        layer(mu.constant(x, device=where))
        assert all(parameter.device == where for parameter in layer.parameters())
        if where == "cpu":
            state = {key: value.numpy() for key, value in layer.state_dict().items()}
        layer.load_state_dict(state)
        value = mu.variable(x, dtype="float64", device=where)
        output = layer(value)
        assert output.device == where
        (output * mu.constant(_input(output.shape, seed=5), device=where)).sum().backward()
        results[where] = [output.numpy(), value.grad().numpy(),
                          *(parameter.grad().numpy() for parameter in layer.parameters()),
                          *(buffer.numpy() for buffer in layer.buffers())]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)
