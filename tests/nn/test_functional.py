"""Functional ops (``mu.nn.ops``): convolution, pooling, padding, dropout, linear, embedding
and flatten against loop-based float64 references, finite differences and their errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mushin as mu
from mushin.nn import ops
from mushin.testing import gradcheck


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else value


def _windows(x: np.ndarray, kernel: tuple[int, int], stride: tuple[int, int],
             dilation: tuple[int, int]) -> tuple[int, int, Any]:
    """Output size and a function giving the (already padded) window at (i, j)."""
    height = (x.shape[2] - dilation[0] * (kernel[0] - 1) - 1) // stride[0] + 1
    width = (x.shape[3] - dilation[1] * (kernel[1] - 1) - 1) // stride[1] + 1

    def window(i: int, j: int) -> np.ndarray:
        top, left = i * stride[0], j * stride[1]
        return x[:, :, top:top + dilation[0] * (kernel[0] - 1) + 1:dilation[0],
                 left:left + dilation[1] * (kernel[1] - 1) + 1:dilation[1]]

    return height, width, window


def _reference_conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray | None,
                    stride: Any = 1, padding: Any = 0, dilation: Any = 1,
                    groups: int = 1) -> np.ndarray:
    pad = _pair(padding)
    padded = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])))
    height, width, window = _windows(padded, weight.shape[2:], _pair(stride), _pair(dilation))
    out_channels, group_channels = weight.shape[:2]
    per_group = out_channels // groups
    result = np.zeros((x.shape[0], out_channels, height, width))
    for channel in range(out_channels):
        first = channel // per_group * group_channels
        for i in range(height):
            for j in range(width):
                patch = window(i, j)[:, first:first + group_channels]
                result[:, channel, i, j] = (patch * weight[channel]).sum(axis=(1, 2, 3))
    return result if bias is None else result + bias[:, None, None]


def _reference_pool(x: np.ndarray, kernel: Any, stride: Any, padding: Any,
                    kind: str) -> np.ndarray:
    pad = _pair(padding)
    fill = -np.inf if kind == "max" else 0.0
    padded = np.pad(x, ((0, 0), (0, 0), (pad[0], pad[0]), (pad[1], pad[1])),
                    constant_values=fill)
    height, width, window = _windows(padded, _pair(kernel), _pair(stride or kernel), (1, 1))
    result = np.zeros((*x.shape[:2], height, width))
    for i in range(height):
        for j in range(width):
            patch = window(i, j)
            result[:, :, i, j] = patch.max(axis=(2, 3)) if kind == "max" else patch.mean(
                axis=(2, 3))
    return result


CONV_CASES = [
    {},
    {"stride": 2},
    {"padding": 1},
    {"stride": (2, 1), "padding": (0, 2)},
    {"dilation": 2, "padding": 2},
    {"groups": 2, "stride": 3},
]


@pytest.mark.parametrize("geometry", CONV_CASES, ids=[str(case) for case in CONV_CASES])
def test_conv2d_values_and_gradients(geometry: dict[str, Any]) -> None:
    rng = np.random.default_rng(0)
    groups = geometry.get("groups", 1)
    x = rng.standard_normal((2, 4, 7, 6))
    weight = rng.standard_normal((6, 4 // groups, 3, 2))
    bias = rng.standard_normal(6)
    result = ops.conv2d(mu.constant(x), mu.constant(weight), mu.constant(bias), **geometry)
    np.testing.assert_allclose(result.numpy(), _reference_conv(x, weight, bias, **geometry),
                               rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, w, b: ops.conv2d(a, w, b, **geometry), x[:1, :, :5, :5],
                     weight, bias)


def test_conv2d_second_derivatives() -> None:
    rng = np.random.default_rng(1)
    weight = rng.standard_normal((2, 2, 2, 2))

    def weight_gradient(x: Any, w: Any) -> Any:
        ops.conv2d(x, w, stride=2, padding=1).sum().backward(create_graph=True)
        return w.grad()

    first = mu.variable(rng.standard_normal((1, 2, 4, 4)), dtype="float64")
    kernel = mu.variable(weight, dtype="float64")
    penalty = (weight_gradient(first, kernel) ** 2).sum()
    first.reset()  # drop the first backward's d/dx, keep only the penalty's
    penalty.backward()
    # d/dx sum(grad_w ** 2) = 2 * conv-transpose of grad_w with ones: checked by differences.
    x0 = first.numpy()
    eps = 1e-6
    numeric = np.zeros_like(x0)
    for index in np.ndindex(*x0.shape):
        values = []
        for sign in (1, -1):
            shifted = x0.copy()
            shifted[index] += sign * eps
            probe = mu.variable(shifted, dtype="float64")
            w = mu.variable(weight, dtype="float64")
            ops.conv2d(probe, w, stride=2, padding=1).sum().backward()
            values.append(float((w.grad().numpy() ** 2).sum()))
        numeric[index] = (values[0] - values[1]) / (2 * eps)
    np.testing.assert_allclose(first.grad().numpy(), numeric, rtol=1e-5, atol=1e-6)


POOL_CASES = [(2, None, 0), (3, 2, 1), ((2, 3), (1, 2), (1, 1)), (3, 1, 0)]


@pytest.mark.parametrize(("kernel", "stride", "padding"), POOL_CASES,
                         ids=[str(case) for case in POOL_CASES])
def test_pooling_values_and_gradients(kernel: Any, stride: Any, padding: Any) -> None:
    x = np.random.default_rng(2).standard_normal((2, 3, 7, 6))
    for kind, function in (("max", ops.maxpool2d), ("avg", ops.avgpool2d)):
        result = function(mu.constant(x), kernel, stride, padding)
        np.testing.assert_allclose(result.numpy(),
                                   _reference_pool(x, kernel, stride, padding, kind),
                                   rtol=1e-12)
        assert gradcheck(lambda a, f=function: f(a, kernel, stride, padding), x[:1, :2])


def test_maxpool_routes_the_gradient_to_the_first_maximum() -> None:
    x = np.array([[[[1.0, 5.0, 5.0], [2.0, 0.0, 5.0], [1.0, 1.0, 1.0]]]])
    leaf = mu.variable(x, dtype="float64")
    ops.maxpool2d(leaf, 2, stride=1).sum().backward()
    # windows: top-left -> 5 at (0, 1); top-right -> first 5 at (0, 1); bottom-left -> 2 at
    # (1, 0); bottom-right -> 5 at (1, 2).
    np.testing.assert_array_equal(leaf.grad().numpy()[0, 0],
                                  [[0.0, 2.0, 0.0], [1.0, 0.0, 1.0], [0.0, 0.0, 0.0]])


@given(st.integers(3, 9), st.integers(1, 3), st.integers(1, 3), st.integers(0, 1),
       st.integers(1, 2))
def test_output_sizes_follow_pytorch(size: int, kernel: int, stride: int, padding: int,
                                     dilation: int) -> None:
    x = mu.constant(np.zeros((1, 1, size, size + 1)))
    reach = dilation * (kernel - 1) + 1
    expected = ((size + 2 * padding - reach) // stride + 1,
                (size + 1 + 2 * padding - reach) // stride + 1)
    weight = mu.constant(np.zeros((1, 1, kernel, kernel)))
    if size + 2 * padding < reach:
        with pytest.raises(mu.ShapeError, match="too small"):
            ops.conv2d(x, weight, stride=stride, padding=padding, dilation=dilation)
        return
    assert ops.conv2d(x, weight, stride=stride, padding=padding,
                      dilation=dilation).shape[2:] == expected
    if padding * 2 <= kernel:
        pooled = ((size + 2 * padding - kernel) // stride + 1,
                  (size + 1 + 2 * padding - kernel) // stride + 1)
        assert ops.maxpool2d(x, kernel, stride, padding).shape[2:] == pooled
        assert ops.avgpool2d(x, kernel, stride, padding).shape[2:] == pooled


def test_spatial_errors_name_the_problem() -> None:
    x = mu.constant(np.zeros((2, 3, 4, 4)))
    # (C, H, W) is one unbatched image, as in PyTorch; two axes are not an image.
    with pytest.raises(mu.ShapeError, match=r"conv2d: .*\(B, C, H, W\) or \(C, H, W\).*"
                                            r"\(4, 4\)"):
        ops.conv2d(mu.constant(np.zeros((4, 4))), mu.constant(np.zeros((2, 3, 3, 3))))
    with pytest.raises(mu.ShapeError, match=r"3 channels but the weight .* expects 2"):
        ops.conv2d(x, mu.constant(np.zeros((2, 2, 3, 3))))
    with pytest.raises(mu.ShapeError, match="too small"):
        ops.conv2d(x, mu.constant(np.zeros((2, 3, 5, 5))))
    with pytest.raises(mu.ShapeError, match=r"bias of shape \(2,\)"):
        ops.conv2d(x, mu.constant(np.zeros((2, 3, 3, 3))), mu.constant(np.zeros(3)))
    with pytest.raises(ValueError, match="not divisible by groups=2"):
        ops.conv2d(mu.constant(np.zeros((2, 4, 4, 4))), mu.constant(np.zeros((3, 2, 1, 1))),
                   groups=2)
    with pytest.raises(ValueError, match="stride must be at least 1"):
        ops.conv2d(x, mu.constant(np.zeros((2, 3, 3, 3))), stride=0)
    with pytest.raises(TypeError, match="padding must be an int or 2 ints"):
        ops.conv2d(x, mu.constant(np.zeros((2, 3, 3, 3))), padding=1.5)  # type: ignore[arg-type]
    with pytest.raises(mu.ShapeError, match=r"maxpool2d: .*too small"):
        ops.maxpool2d(x, 5)
    with pytest.raises(ValueError, match="at most half the kernel"):
        ops.avgpool2d(x, 2, padding=2)
    with pytest.raises(mu.ShapeError, match="avgpool2d: expected an input of shape"):
        ops.avgpool2d(mu.constant(np.zeros((4, 4))), 2)


def test_pad_follows_pytorch_order_and_gradients() -> None:
    x = np.random.default_rng(3).standard_normal((2, 3, 4))
    result = ops.pad(mu.constant(x), (1, 2, 3, 0), value=-1.0)
    np.testing.assert_array_equal(result.numpy(), np.pad(
        x, ((0, 0), (3, 0), (1, 2)), constant_values=-1.0))
    assert ops.pad(mu.constant(x), (1, 1)).shape == (2, 3, 6)
    assert gradcheck(lambda a: ops.pad(a, (0, 1, 1, 1, 2, 0)), x)
    with pytest.raises(ValueError, match="even number of ints"):
        ops.pad(mu.constant(x), (1, 2, 3))
    with pytest.raises(ValueError, match="even number of ints"):
        ops.pad(mu.constant(x), (1,) * 8)
    with pytest.raises(ValueError, match="must not be negative"):
        ops.pad(mu.constant(x), (-1, 0))


def test_dropout_masks_scales_and_is_reproducible() -> None:
    x = mu.ones((400, 250))
    mu.seed(7)
    first = ops.dropout(x, 0.3)
    mu.seed(7)
    second = ops.dropout(x, 0.3)
    values = first.numpy()
    np.testing.assert_array_equal(values, second.numpy())
    assert set(np.unique(values)) == {0.0, np.float32(1 / 0.7)}
    assert abs((values == 0).mean() - 0.3) < 0.01
    assert values.dtype == np.float32
    first.sum().backward()
    np.testing.assert_array_equal(x.grad().numpy(), values)


def test_dropout_identity_cases_and_errors() -> None:
    x = mu.ones((3, 3))
    assert ops.dropout(x, 0.5, training=False) is x
    assert ops.dropout(x, 0.0) is x
    np.testing.assert_array_equal(ops.dropout(x, 1.0).numpy(), 0.0)
    for bad in (-0.1, 1.5, True):
        with pytest.raises(ValueError, match="probability in"):
            ops.dropout(x, bad)


def test_linear_values_shapes_and_gradients() -> None:
    rng = np.random.default_rng(4)
    weight, bias = rng.standard_normal((3, 5)), rng.standard_normal(3)
    for shape in ((5,), (4, 5), (2, 4, 5)):
        x = rng.standard_normal(shape)
        result = ops.linear(mu.constant(x), mu.constant(weight), mu.constant(bias))
        np.testing.assert_allclose(result.numpy(), x @ weight.T + bias, rtol=1e-12)
        assert gradcheck(ops.linear, x, weight, bias)
    assert gradcheck(ops.linear, rng.standard_normal((2, 5)), weight)
    with pytest.raises(mu.ShapeError, match=r"linear: the input of shape \(2, 4\) should have 5"):
        ops.linear(mu.ones((2, 4)), mu.constant(weight))
    with pytest.raises(mu.ShapeError, match=r"bias of shape \(3,\)"):
        ops.linear(mu.ones((2, 5)), mu.constant(weight), mu.ones((5,)))


def test_embedding_lookup_gradients_and_errors() -> None:
    table = np.random.default_rng(5).standard_normal((6, 3))
    indices = np.array([[1, 4, 1], [0, 5, 2]])
    np.testing.assert_array_equal(ops.embedding(indices, mu.constant(table)).numpy(),
                                  table[indices])
    assert gradcheck(lambda w: ops.embedding(mu.constant(indices), w), table)
    leaf = mu.variable(table, dtype="float64")
    ops.embedding(indices, leaf, padding_idx=1).sum().backward()
    expected = np.zeros((6, 3))
    for index in indices.reshape(-1):
        if index != 1:
            expected[index] += 1
    np.testing.assert_array_equal(leaf.grad().numpy(), expected)
    with pytest.raises(IndexError, match=r"indices must lie in \[0, 6\)"):
        ops.embedding(np.array([6]), leaf)
    with pytest.raises(TypeError, match="indices must be integers"):
        ops.embedding(np.array([1.0]), leaf)


def test_flatten_keeps_the_batch_axis() -> None:
    x = np.arange(24.0).reshape(2, 3, 4)
    np.testing.assert_array_equal(ops.flatten(mu.constant(x)).numpy(), x.reshape(2, 12))
    assert gradcheck(ops.flatten, x)
    with pytest.raises(mu.ShapeError, match="0-d"):
        ops.flatten(mu.constant(1.0))
