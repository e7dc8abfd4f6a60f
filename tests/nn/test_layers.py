"""Layers: parameter layouts and defaults, values against NumPy, finite-difference gradients,
running statistics, frozen behaviour, devices, repr and errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn.layers import (
    ELU,
    GELU,
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2D,
    ReLU,
    Sequential,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from mushin.nn.module import Module
from mushin.testing import gradcheck

# name, layer factory, input shape (float64 layers, small sizes)
LAYERS: list[tuple[str, Callable[[], Module], tuple[int, ...]]] = [
    ("linear", lambda: Linear(4, 3, dtype="float64"), (2, 4)),
    ("conv", lambda: Conv2D(2, 3, 2, stride=2, padding=1, dtype="float64"), (2, 2, 4, 3)),
    ("conv-groups", lambda: Conv2D(4, 2, (1, 2), groups=2, bias=False, dtype="float64"),
     (1, 4, 3, 3)),
    ("maxpool", lambda: MaxPool2D(2, stride=1), (1, 2, 3, 3)),
    ("avgpool", lambda: AvgPool2D(2, padding=1), (1, 2, 3, 3)),
    ("flatten", lambda: Flatten(), (2, 2, 3)),
    ("batchnorm1d", lambda: BatchNorm1D(3, dtype="float64"), (4, 3)),
    ("batchnorm2d", lambda: BatchNorm2D(2, dtype="float64"), (2, 2, 2, 2)),
    ("layernorm", lambda: LayerNorm((2, 3), dtype="float64"), (2, 2, 3)),
    ("sequential", lambda: Sequential(Linear(3, 3, dtype="float64"), LayerNorm(3,
                                                                               dtype="float64")),
     (2, 3)),
    ("activation-layers", lambda: Sequential(Linear(3, 4, dtype="float64"), GELU(), SiLU(),
                                             Softplus(0.5), Softmax(axis=0), Tanh()), (2, 3)),
]
IDS = [case[0] for case in LAYERS]


def _set_parameters(layer: Module, seed: int) -> None:
    """Random, non-trivial values for every parameter (BN's weight of 1 hides mistakes)."""
    rng = np.random.default_rng(seed)
    for parameter in layer.parameters():
        parameter._data[...] = rng.standard_normal(parameter.shape)


@pytest.mark.parametrize(("name", "make", "shape"), LAYERS, ids=IDS)
def test_gradients_match_finite_differences(name: str, make: Callable[[], Module],
                                            shape: tuple[int, ...]) -> None:
    layer = make()
    _set_parameters(layer, 0)
    names = [parameter_name for parameter_name, _ in layer.named_parameters()]
    x = np.random.default_rng(1).standard_normal(shape)

    def run(value: Any, *parameters: Any) -> Any:
        for parameter_name, parameter in zip(names, parameters, strict=True):
            owner = layer
            *path, attribute = parameter_name.split(".")
            for part in path:
                owner = owner._modules[part]
            setattr(owner, attribute, parameter)
        return layer(value)

    assert gradcheck(run, x, *(parameter.numpy() for parameter in layer.parameters()))


@pytest.mark.parametrize(("name", "make", "shape"), LAYERS, ids=IDS)
def test_every_layer_runs_on_a_device_like_on_the_cpu(device: str, name: str,
                                                      make: Callable[[], Module],
                                                      shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(2).standard_normal(shape)
    cpu = make()
    _set_parameters(cpu, 3)
    cpu_x = mu.variable(x, dtype="float64")
    cpu_y = cpu(cpu_x)
    # A weighted sum: a plain sum gives normalisation layers an input gradient of exactly
    # zero, which leaves only rounding noise to compare.
    weights = np.random.default_rng(4).standard_normal(cpu_y.shape)
    (cpu_y * mu.constant(weights)).sum().backward()
    moved = make()
    moved.load_state_dict(cpu.state_dict())
    moved.to(device)
    device_x = mu.variable(x, dtype="float64", device=device)
    device_y = moved(device_x)
    (device_y * mu.constant(weights, device=device)).sum().backward()
    assert device_y.device == device
    # The device's BLAS and reductions sum in another order than NumPy's.
    np.testing.assert_allclose(device_y.numpy(), cpu_y.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(device_x.grad().numpy(), cpu_x.grad().numpy(), rtol=1e-10,
                               atol=1e-12)
    for (_, mine), (_, other) in zip(moved.named_parameters(), cpu.named_parameters(),
                                     strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad().numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_linear_layout_initialisation_and_values() -> None:
    mu.seed(0)
    layer = Linear(50, 40)
    assert layer.weight.shape == (40, 50) and layer.bias is not None
    assert layer.bias.shape == (40,)
    assert layer.weight.dtype == np.float32
    bound = 1 / math.sqrt(50)
    for parameter in (layer.weight, layer.bias):
        values = parameter.numpy()
        assert np.abs(values).max() <= bound
        assert np.abs(values).max() > 0.9 * bound  # spread over the whole interval
    x = np.random.default_rng(0).standard_normal((3, 7, 50)).astype(np.float32)
    result = layer(mu.constant(x))
    assert result.shape == (3, 7, 40) and result.dtype == np.float32
    np.testing.assert_allclose(result.numpy(), x @ layer.weight.numpy().T + layer.bias.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert Linear(3, 2, bias=False).bias is None
    with pytest.raises(mu.ShapeError, match="should have 50 features"):
        layer(mu.ones((2, 49)))


def test_conv_layout_and_initialisation() -> None:
    layer = Conv2D(4, 6, (3, 2), groups=2, dtype="float64")
    assert layer.weight.shape == (6, 2, 3, 2) and layer.weight.dtype == np.float64
    bound = 1 / math.sqrt(2 * 3 * 2)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert layer.bias is not None and np.abs(layer.bias.numpy()).max() <= bound
    assert layer(mu.ones((1, 4, 5, 5), dtype="float64")).shape == (1, 6, 3, 4)
    with pytest.raises(mu.ShapeError, match="has 3 channels"):
        layer(mu.ones((1, 3, 5, 5)))
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2D(3, 6, 3, groups=2)


def test_batchnorm_updates_running_statistics_like_pytorch() -> None:
    layer = BatchNorm2D(3, momentum=0.2, dtype="float64")
    rng = np.random.default_rng(4)
    batches = [rng.standard_normal((4, 3, 2, 5)) * 3 + 1 for _ in range(2)]
    mean, var = np.zeros(3), np.ones(3)
    for batch in batches:
        result = layer(mu.constant(batch))
        batch_mean = batch.mean(axis=(0, 2, 3))
        batch_var = batch.var(axis=(0, 2, 3))
        expected = (batch - batch_mean[:, None, None]) / np.sqrt(batch_var[:, None, None] + 1e-5)
        np.testing.assert_allclose(result.numpy(), expected, rtol=1e-10, atol=1e-12)
        mean = 0.8 * mean + 0.2 * batch_mean
        var = 0.8 * var + 0.2 * batch.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(layer.running_mean.numpy(), mean, rtol=1e-12)  # type: ignore
    np.testing.assert_allclose(layer.running_var.numpy(), var, rtol=1e-12)  # type: ignore
    assert layer.num_batches_tracked.item() == 2  # type: ignore[union-attr]
    layer.freeze()
    frozen = layer(mu.constant(batches[0])).numpy()
    np.testing.assert_allclose(frozen, (batches[0] - mean[:, None, None])
                               / np.sqrt(var[:, None, None] + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(layer.running_mean.numpy(), mean, rtol=1e-12)  # type: ignore


def test_batchnorm_cumulative_average_and_untracked_statistics() -> None:
    layer = BatchNorm1D(2, momentum=None, dtype="float64")
    batches = [np.array([[1.0, 2.0], [3.0, 6.0]]), np.array([[5.0, 0.0], [7.0, 2.0]])]
    for batch in batches:
        layer(mu.constant(batch))
    np.testing.assert_allclose(layer.running_mean.numpy(),  # type: ignore[union-attr]
                               np.mean([batch.mean(axis=0) for batch in batches], axis=0))
    untracked = BatchNorm1D(2, track_running_stats=False, affine=False).freeze()
    assert untracked.state_dict() == {}
    values = untracked(mu.constant(batches[0])).numpy()
    np.testing.assert_allclose(values, [[-1.0, -1.0], [1.0, 1.0]], rtol=1e-4)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        BatchNorm1D(2)(mu.ones((1, 2)))
    with pytest.raises(mu.ShapeError, match=r"\(N, C\) or \(N, C, L\) with C = 2"):
        BatchNorm1D(2)(mu.ones((3, 4)))


def test_layernorm_values_and_errors() -> None:
    layer = LayerNorm(4, dtype="float64")
    _set_parameters(layer, 5)
    x = np.random.default_rng(6).standard_normal((2, 3, 4))
    normalised = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    expected = normalised * layer.weight.numpy() + layer.bias.numpy()  # type: ignore
    np.testing.assert_allclose(layer(mu.constant(x)).numpy(), expected, rtol=1e-10)
    assert LayerNorm(3, elementwise_affine=False).parameters() == []
    assert [name for name, _ in LayerNorm(3, bias=False).named_parameters()] == ["weight"]
    with pytest.raises(mu.ShapeError, match=r"last axes are \(4,\)"):
        layer(mu.ones((2, 5)))


def test_embedding_initialisation_padding_and_lookup() -> None:
    mu.seed(1)
    layer = Embedding(1000, 8, padding_idx=-1)
    assert layer.padding_idx == 999
    values = layer.weight.numpy()
    np.testing.assert_array_equal(values[999], 0.0)
    assert abs(values[:999].std() - 1.0) < 0.05
    indices = np.array([[3, 999], [0, 3]])
    result = layer(mu.constant(indices))
    np.testing.assert_array_equal(result.numpy(), values[indices])
    result.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad().numpy()[[3, 0, 999]],
                                  [[2.0] * 8, [1.0] * 8, [0.0] * 8])
    with pytest.raises(ValueError, match="padding_idx must be an int"):
        Embedding(3, 2, padding_idx=3)


def test_dropout_layer_follows_the_training_flag() -> None:
    layer = Dropout(0.5)
    x = mu.ones((50, 50))
    assert (layer(x).numpy() == 0).any()
    layer.freeze()
    assert layer(x) is x
    with pytest.raises(ValueError, match="probability"):
        Dropout(2.0)


def test_flatten_and_pooling_layers() -> None:
    x = mu.constant(np.arange(48.0).reshape(2, 2, 3, 4))
    assert Flatten()(x).shape == (2, 24)
    assert Flatten(0, 1)(x).shape == (4, 3, 4)
    assert Flatten(2)(x).shape == (2, 2, 12)
    with pytest.raises(ValueError, match="comes after"):
        Flatten(2, 1)(x)
    pooled = MaxPool2D(2)(x)
    np.testing.assert_array_equal(pooled.numpy()[0, 0], [[5.0, 7.0]])
    assert AvgPool2D((1, 2))(x).shape == (2, 2, 3, 2)


def test_every_layer_takes_dtype_and_device() -> None:
    for make in (lambda **k: Linear(2, 2, **k), lambda **k: Conv2D(1, 1, 1, **k),
                 lambda **k: BatchNorm1D(2, **k), lambda **k: BatchNorm2D(2, **k),
                 lambda **k: LayerNorm(2, **k), lambda **k: Embedding(2, 2, **k),
                 lambda **k: Dropout(0.1, **k), lambda **k: MaxPool2D(2, **k),
                 lambda **k: AvgPool2D(2, **k), lambda **k: Flatten(**k),
                 lambda **k: ReLU(**k), lambda **k: LogSoftmax(1, **k)):
        layer = make(dtype="float64", device="cpu")
        assert all(parameter.dtype == np.float64 for parameter in layer.parameters())
        with pytest.raises(ValueError, match="unknown device"):
            make(device="tpu")
        with pytest.raises(ValueError, match="floating dtype"):
            make(dtype="int32")


def test_reprs_follow_pytorch() -> None:
    assert repr(Linear(3, 2, bias=False)) == "Linear(in_features=3, out_features=2, bias=False)"
    assert repr(Conv2D(1, 6, 5)) == "Conv2D(1, 6, kernel_size=(5, 5), stride=(1, 1))"
    assert repr(Conv2D(2, 4, 3, stride=2, padding=1, dilation=2, groups=2, bias=False)) == (
        "Conv2D(2, 4, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), dilation=(2, 2), "
        "groups=2, bias=False)")
    assert repr(MaxPool2D(2)) == "MaxPool2D(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))"
    assert repr(BatchNorm2D(16)) == (
        "BatchNorm2D(16, eps=1e-05, momentum=0.1, affine=True, track_running_stats=True)")
    assert repr(LayerNorm(10)) == "LayerNorm((10,), eps=1e-05, elementwise_affine=True)"
    assert repr(Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
    assert repr(Dropout(0.2)) == "Dropout(p=0.2)"
    assert repr(Flatten()) == "Flatten(start_dim=1, end_dim=-1)"


ACTIVATION_LAYERS: list[Callable[[], Module]] = [
    ReLU, Sigmoid, Tanh, GELU, SiLU, lambda: LeakyReLU(0.1), lambda: ELU(2.0),
    lambda: Softplus(3.0, 5.0), lambda: Softmax(0), lambda: LogSoftmax(),
]


@pytest.mark.parametrize("make", ACTIVATION_LAYERS)
def test_activation_layers_keep_kind_dtype_and_shape_and_hold_no_parameters(
        make: Callable[[], Module]) -> None:
    layer = make()
    assert layer.parameters() == []
    assert layer.state_dict() == {}
    x = np.random.default_rng(4).standard_normal((3, 2, 4)).astype(np.float32)
    constant_out = layer(mu.constant(x))
    variable_out = layer(mu.variable(x))
    assert isinstance(constant_out, mu.Constant)
    assert isinstance(variable_out, mu.Variable)
    assert constant_out.shape == (3, 2, 4)
    assert constant_out.dtype == np.float32
    np.testing.assert_array_equal(constant_out.numpy(), variable_out.numpy())


def test_activation_layer_reprs_and_bad_arguments() -> None:
    assert repr(ReLU()) == "ReLU()"
    assert repr(LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    assert repr(ELU()) == "ELU(alpha=1.0)"
    assert repr(Softplus(2.0)) == "Softplus(beta=2.0, threshold=20.0)"
    assert repr(Softmax(axis=1)) == "Softmax(axis=1)"
    assert repr(LogSoftmax()) == "LogSoftmax(axis=-1)"
    with pytest.raises(TypeError, match="negative_slope"):
        LeakyReLU("0.1")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="alpha"):
        ELU(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="beta"):
        Softplus(0.0)
    with pytest.raises(TypeError, match="axis"):
        Softmax(1.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="axis"):
        Softmax(axis=2)(mu.ones((2, 2)))
