"""The 3-d convolutions and pools against PyTorch in float64: ``F.conv3d``,
``F.conv_transpose3d``, ``F.max_pool3d`` (indices), ``F.avg_pool3d``, ``F.lp_pool3d`` and the
adaptive 3-d pools, batched and unbatched, values and gradients over odd sizes with stride,
padding, dilation, groups and ceil_mode; second derivatives; the layers (state dicts, reprs,
forward); the errors; and a run on the stand-in GPU device."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _compare(name: str, arrays: list[np.ndarray], seed: int = 0, **kwargs: Any) -> None:
    """``F.<name>`` and PyTorch's on the same float64 operands: equal values (and indices)
    and equal gradients of every operand under the same random output gradient."""
    mine = [mu.variable(array, dtype="float64") for array in arrays]
    their = [torch.tensor(array, requires_grad=True) for array in arrays]
    result, expected = getattr(F, name)(*mine, **kwargs), getattr(TF, name)(*their, **kwargs)
    if isinstance(expected, tuple):
        (result, indices), (expected, expected_indices) = result, expected
        assert isinstance(indices, mu.Constant) and indices.dtype == np.int64
        np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    cotangent = np.random.default_rng(seed).standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    for found, wanted in zip(mine, their, strict=True):
        np.testing.assert_allclose(found.grad().numpy(), wanted.grad.numpy(), rtol=1e-10,
                                   atol=1e-11)


def _random(*shapes: tuple[int, ...]) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    return [rng.standard_normal(shape) for shape in shapes]


# (input, weight, keyword arguments)
CONV3D_CASES: list[tuple[tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ((2, 3, 5, 6, 7), (4, 3, 2, 3, 2), {}),
    ((2, 4, 7, 6, 5), (6, 2, 3, 2, 3), {"stride": (2, 1, 2), "padding": (1, 2, 0),
                                        "dilation": (2, 1, 1), "groups": 2}),
    ((4, 7, 6, 5), (6, 4, 2, 2, 3), {"padding": "same", "dilation": (1, 2, 1)}),  # unbatched
    ((1, 2, 6, 5, 5), (2, 2, 3, 1, 2), {"padding": "valid", "stride": 3}),
]


@pytest.mark.parametrize(("shape", "weight", "kwargs"), CONV3D_CASES)
def test_conv3d_matches_torch(shape: tuple[int, ...], weight: tuple[int, ...],
                              kwargs: dict[str, Any]) -> None:
    _compare("conv3d", _random(shape, weight, (weight[0],)), **kwargs)


CONV_TRANSPOSE3D_CASES: list[tuple[tuple[int, ...], tuple[int, ...], dict[str, Any]]] = [
    ((2, 3, 3, 4, 2), (3, 2, 2, 3, 2), {}),
    ((2, 4, 4, 3, 5), (4, 3, 3, 2, 3), {"stride": (2, 3, 1), "padding": (1, 0, 1),
                                        "output_padding": (1, 2, 0), "dilation": (1, 1, 2),
                                        "groups": 2}),
    ((4, 4, 3, 5), (4, 3, 2, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1,
                                     "dilation": (2, 1, 2)}),  # unbatched
    ((1, 2, 3, 3, 3), (2, 1, 1, 2, 2), {"padding": (0, 1, 1), "output_padding": (1, 0, 0),
                                        "dilation": (2, 1, 1)}),  # output_padding >= stride
]


@pytest.mark.parametrize(("shape", "weight", "kwargs"), CONV_TRANSPOSE3D_CASES)
def test_conv_transpose3d_matches_torch(shape: tuple[int, ...], weight: tuple[int, ...],
                                        kwargs: dict[str, Any]) -> None:
    out_channels = weight[1] * kwargs.get("groups", 1)
    _compare("conv_transpose3d", _random(shape, weight, (out_channels,)), **kwargs)


POOL_CASES: list[tuple[str, tuple[int, ...], dict[str, Any]]] = [
    ("max_pool3d", (2, 3, 6, 8, 4), {"kernel_size": 2}),  # tiling
    ("max_pool3d", (2, 3, 7, 8, 9), {"kernel_size": (2, 3, 2), "stride": (2, 1, 3),
                                     "padding": 1, "dilation": (1, 2, 1), "ceil_mode": True,
                                     "return_indices": True}),
    ("max_pool3d", (3, 5, 4, 5), {"kernel_size": 3, "stride": 2, "padding": 1,
                                  "return_indices": True}),  # unbatched
    ("max_pool3d_with_indices", (1, 2, 5, 5, 5), {"kernel_size": (3, 2, 2), "stride": 2}),
    ("avg_pool3d", (2, 3, 7, 8, 9), {"kernel_size": (3, 3, 2), "stride": (2, 1, 3),
                                     "padding": 1, "ceil_mode": True,
                                     "count_include_pad": False}),
    ("avg_pool3d", (2, 3, 7, 8, 9), {"kernel_size": (3, 3, 2), "stride": (2, 1, 3),
                                     "padding": 1, "ceil_mode": True}),
    ("avg_pool3d", (3, 7, 6, 5), {"kernel_size": 3, "padding": 1, "divisor_override": 5}),
    ("adaptive_avg_pool3d", (2, 3, 7, 8, 9), {"output_size": (3, 5, 4)}),
    ("adaptive_avg_pool3d", (3, 6, 4, 5), {"output_size": (3, None, 1)}),
    ("adaptive_avg_pool3d", (2, 2, 3, 4, 5), {"output_size": 1}),
    ("adaptive_max_pool3d", (2, 3, 7, 8, 9), {"output_size": (3, None, 4),
                                              "return_indices": True}),
    ("adaptive_max_pool3d", (3, 6, 4, 6), {"output_size": (3, 2, 3), "return_indices": True}),
    ("adaptive_max_pool3d_with_indices", (1, 2, 5, 6, 7), {"output_size": 4}),
]


@pytest.mark.parametrize(("name", "shape", "kwargs"), POOL_CASES)
def test_pool3d_matches_torch(name: str, shape: tuple[int, ...], kwargs: dict[str, Any]) -> None:
    _compare(name, _random(shape), **kwargs)


@pytest.mark.parametrize("norm_type", [1.0, 2.0, 3.5])
def test_lp_pool3d_matches_torch(norm_type: float) -> None:
    array = np.abs(_random((2, 3, 5, 7, 6))[0]) + 0.1
    _compare("lp_pool3d", [array], norm_type=norm_type, kernel_size=(2, 3, 2), stride=(1, 2, 2),
             ceil_mode=True)


def test_max_pool3d_gradient_goes_to_the_first_maximum() -> None:
    x = mu.variable(np.ones((1, 1, 2, 2, 2)), dtype="float64")
    values, indices = F.max_pool3d(x, 2, return_indices=True)
    values.sum().backward()
    assert indices.numpy().ravel().tolist() == [0]
    assert x.grad().numpy().ravel().tolist() == [1.0] + [0.0] * 7


# --- second derivatives -------------------------------------------------------------------------

SECOND: list[tuple[str, Callable[..., Any], tuple[int, ...], tuple[int, ...] | None]] = [
    ("conv3d", lambda f, x, w: f.conv3d(x, w, stride=(2, 1, 1), padding=1, groups=2),
     (1, 2, 4, 3, 4), (4, 1, 2, 2, 2)),
    ("conv_transpose3d", lambda f, x, w: f.conv_transpose3d(x, w, stride=2, padding=(1, 0, 1),
                                                            output_padding=1),
     (1, 2, 2, 3, 2), (2, 3, 3, 2, 2)),
    ("max_pool3d", lambda f, x: f.max_pool3d(x * x, 2, 1, 1), (1, 2, 3, 4, 3), None),
    ("avg_pool3d", lambda f, x: f.avg_pool3d(x * x, 2, 1, 1, True, False), (1, 2, 3, 4, 3),
     None),
    ("adaptive_max_pool3d", lambda f, x: f.adaptive_max_pool3d(x * x, (2, 3, 2)),
     (1, 2, 3, 4, 5), None),
]


@pytest.mark.parametrize(("name", "function", "shape", "weight"), SECOND,
                         ids=[case[0] for case in SECOND])
def test_second_derivatives_match_torch(name: str, function: Callable[..., Any],
                                        shape: tuple[int, ...],
                                        weight: tuple[int, ...] | None) -> None:
    arrays = _random(shape) if weight is None else _random(shape, weight)
    mine = [mu.variable(array, dtype="float64") for array in arrays]
    their = [torch.tensor(array, requires_grad=True) for array in arrays]
    (function(F, *mine) ** 3).sum().backward(create_graph=True)
    penalty = sum(((tensor.grad() ** 2).sum() for tensor in mine), mu.constant(0.0))
    for tensor in mine:
        tensor.reset()
    penalty.backward()
    grads = torch.autograd.grad((function(TF, *their) ** 3).sum(), their, create_graph=True)
    sum((grad ** 2).sum() for grad in grads).backward()
    for found, wanted in zip(mine, their, strict=True):
        np.testing.assert_allclose(found.grad().numpy(), wanted.grad.numpy(), rtol=1e-9,
                                   atol=1e-9)


# --- the layers ---------------------------------------------------------------------------------

Maker = Callable[[Any, Any], Any]

LAYERS: list[tuple[str, Maker, tuple[int, ...]]] = [
    ("Conv3d", lambda m, d: m.Conv3d(4, 6, (2, 3, 2), stride=(1, 2, 1), padding=1, groups=2,
                                     dtype=d), (2, 4, 5, 6, 4)),
    ("Conv3d-same-reflect", lambda m, d: m.Conv3d(2, 3, 2, padding="same",
                                                  padding_mode="reflect", bias=False,
                                                  dtype=d), (2, 4, 5, 3)),
    ("ConvTranspose3d", lambda m, d: m.ConvTranspose3d(4, 2, (2, 2, 3), stride=2, padding=1,
                                                       output_padding=(1, 0, 1), groups=2,
                                                       dtype=d), (2, 4, 3, 4, 3)),
    ("MaxPool3d", lambda m, d: m.MaxPool3d(2, 1, 1, ceil_mode=True), (2, 3, 4, 5, 4)),
    ("AvgPool3d", lambda m, d: m.AvgPool3d((2, 3, 2), 2, count_include_pad=False, padding=1),
     (3, 5, 4, 6)),
    ("LPPool3d", lambda m, d: m.LPPool3d(2, 2), (2, 3, 4, 4, 5)),
    ("AdaptiveAvgPool3d", lambda m, d: m.AdaptiveAvgPool3d((2, None, 3)), (2, 3, 5, 4, 7)),
    ("AdaptiveMaxPool3d", lambda m, d: m.AdaptiveMaxPool3d(2), (2, 3, 5, 4, 7)),
]


@pytest.mark.parametrize(("name", "make", "shape"), LAYERS, ids=[case[0] for case in LAYERS])
def test_layer_matches_torch(name: str, make: Maker, shape: tuple[int, ...]) -> None:
    theirs = make(torch.nn, torch.float64)
    mine = make(nn, mu.float64)
    assert repr(mine) == repr(theirs)
    state = theirs.state_dict()
    assert {key: tuple(value.shape) for key, value in mine.state_dict().items()} == {
        key: tuple(value.shape) for key, value in state.items()}
    mine.load_state_dict({key: value.numpy() for key, value in state.items()})
    array = np.abs(_random(shape)[0]) + 0.1
    np.testing.assert_allclose(mine(mu.constant(array)).numpy(),
                               theirs(torch.tensor(array)).detach().numpy(), rtol=1e-10,
                               atol=1e-12)


def test_layer_initialisation_follows_pytorch() -> None:
    layer = nn.Conv3d(3, 8, (2, 3, 4), dtype=mu.float64)
    bound = 1 / np.sqrt(3 * 2 * 3 * 4)
    assert np.abs(layer.weight.numpy()).max() <= bound
    assert layer.bias is not None and np.abs(layer.bias.numpy()).max() <= bound
    transposed = nn.ConvTranspose3d(3, 8, 2, groups=1, bias=False, dtype=mu.float64)
    assert transposed.weight.shape == (3, 8, 2, 2, 2) and transposed.bias is None


def test_conv_transpose3d_layer_picks_the_output_padding() -> None:
    layer = nn.ConvTranspose3d(2, 3, 3, stride=2, padding=1, dtype=mu.float64)
    x = mu.constant(np.ones((1, 2, 3, 3, 3)))
    assert layer(x, output_size=(6, 5, 6)).shape == (1, 3, 6, 5, 6)


# --- errors and the device ----------------------------------------------------------------------

def test_errors_name_the_problem() -> None:
    x = mu.constant(np.zeros((1, 2, 4, 4, 4)))
    with pytest.raises(mu.ShapeError, match=r"conv3d: expected an input of shape "
                                            r"\(B, C, D, H, W\) or \(C, D, H, W\)"):
        F.conv3d(mu.constant(np.zeros((2, 4, 4))), mu.constant(np.zeros((1, 2, 1, 1, 1))))
    with pytest.raises(mu.ShapeError, match=r"conv3d: expected a weight of shape "
                                            r"\(O, C / groups, kd, kh, kw\)"):
        F.conv3d(x, mu.constant(np.zeros((1, 2, 1, 1))))
    with pytest.raises(mu.ShapeError, match=r"conv3d: the input of shape .* is too small"):
        F.conv3d(x, mu.constant(np.zeros((1, 2, 5, 1, 1))))
    with pytest.raises(ValueError, match="conv_transpose3d: output_padding must be smaller"):
        F.conv_transpose3d(x, mu.constant(np.zeros((2, 1, 1, 1, 1))), output_padding=1)
    with pytest.raises(mu.ShapeError, match=r"max_pool3d: expected an input of shape "
                                            r"\(B, C, D, H, W\)"):
        F.max_pool3d(mu.constant(np.zeros((4, 4, 4))), 2)
    with pytest.raises(ValueError, match=r"avg_pool3d: padding .* at most half the kernel"):
        F.avg_pool3d(x, 2, padding=2)
    with pytest.raises(TypeError, match="max_pool3d: kernel_size must be an int or 3 ints"):
        F.max_pool3d(x, (2, 2))
    with pytest.raises(TypeError, match="adaptive_avg_pool3d: output_size must be an int or "
                                        "three"):
        F.adaptive_avg_pool3d(x, (2, 2))
    with pytest.raises(TypeError, match="MaxPool3d: stride must be an int or 3 ints"):
        nn.MaxPool3d(2, (1, 1))


@pytest.mark.parametrize(("name", "make", "shape"), LAYERS[:1] + LAYERS[2:4] + LAYERS[7:],
                         ids=["Conv3d", "ConvTranspose3d", "MaxPool3d", "AdaptiveMaxPool3d"])
def test_runs_on_a_device_like_on_the_cpu(device: str, name: str, make: Maker,
                                          shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(6).standard_normal(shape)
    results = {}
    for where in ("cpu", device):
        mu.seed(1)
        layer = make(nn, mu.float64).to(where)
        value = mu.variable(x, dtype="float64", device=where)
        output = layer(value)
        weights = np.random.default_rng(7).standard_normal(output.shape)
        (output * mu.constant(weights, device=where)).sum().backward()
        assert output.device == where
        results[where] = [output.numpy(), value.grad().numpy(),
                          *(parameter.grad().numpy() for parameter in layer.parameters())]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)
