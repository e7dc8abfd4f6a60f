"""mushin's CUDA kernels, compiled for the CPU (tests/cuda_emulator.py), against the portable
NumPy code they replace: every optimizer update, cross-entropy, the activations and
softmax, ReLU's gradient, the max pool's routing and col2im.

This runs wherever g++ does, GPU or not, so a change to a kernel's arithmetic or indexing
fails here first; tests/test_fused.py runs the same kernels through CuPy on a GPU.
"""

from __future__ import annotations

import itertools
import shutil
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest
from cuda_emulator import EmulatedArray, emulated, installed, module

from mushin import _cuda
from mushin.nn import activations, losses, optimizers
from mushin.nn import ops as nn_ops
from mushin.ops import array_ops
from mushin.ops import elementwise as elementwise_ops

pytestmark = pytest.mark.skipif(shutil.which("g++") is None,
                                reason="g++ is needed to compile the kernels for the CPU")


@pytest.fixture(autouse=True)
def _emulator() -> Iterator[None]:
    with installed():
        yield


def _close(found: Any, expected: Any, dtype: str) -> None:
    """Equal up to rounding: the kernels compute what the NumPy path computes, in the same
    dtype, but a sum over a row goes in another order and the compiler may contract a
    multiply-add. The absolute part scales with the largest value (a difference such as
    ``p - 1`` keeps the rounding of its terms)."""
    expected = np.asarray(expected)
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    rtol, atol = (1e-12, 1e-14) if dtype == "float64" else (4e-6, 1e-6)
    np.testing.assert_allclose(np.asarray(found), expected, rtol=rtol, atol=atol * scale)


# --- optimizers --------------------------------------------------------------------------------

def _grid(**choices: list[Any]) -> list[dict[str, Any]]:
    return [dict(zip(choices, values, strict=True))
            for values in itertools.product(*choices.values())]


UPDATES: list[tuple[type[optimizers.Optimizer], dict[str, Any]]] = [
    *((optimizers.SGD, {"lr": 0.05, **grid}) for grid in _grid(
        momentum=[0.0, 0.9], dampening=[0.0, 0.5], weight_decay=[0.0, 0.1])),
    *((optimizers.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": decay})
      for decay in (0.0, 0.1)),
    *((optimizers.Adam, {"lr": 0.05, **grid}) for grid in _grid(
        amsgrad=[False, True], weight_decay=[0.0, 0.1])),
    *((optimizers.AdamW, {"lr": 0.05, "amsgrad": amsgrad}) for amsgrad in (False, True)),
    *((optimizers.RMSprop, {"lr": 0.01, **grid}) for grid in _grid(
        centered=[False, True], momentum=[0.0, 0.5], weight_decay=[0.0, 0.1])),
    *((optimizers.Adagrad, {"lr": 0.1, **grid}) for grid in _grid(
        lr_decay=[0.0, 0.01], weight_decay=[0.0, 0.1], initial_accumulator_value=[0.0, 0.1])),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("kind", "options"), UPDATES,
                         ids=[f"{kind.__name__}-{options}" for kind, options in UPDATES])
def test_optimizer_update(monkeypatch: pytest.MonkeyPatch, dtype: str,
                          kind: type[optimizers.Optimizer], options: dict[str, Any]) -> None:
    """Four steps of ``_update`` on the same gradients: the fused kernel (forced on for
    emulated arrays) and the in-place NumPy steps give the same parameters and state."""
    import mushin as mu

    monkeypatch.setattr(optimizers, "_fused",
                        lambda xp, param, grad: type(param) is EmulatedArray)
    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 5)).astype(dtype)
    grads = [rng.standard_normal((3, 5)).astype(dtype) for _ in range(4)]
    optimizer = kind([mu.variable(np.zeros(1))], **options)
    group = optimizer.param_groups[0]
    results = []
    for convert in (np.array, emulated):
        param, state = convert(start), {}
        for grad in grads:
            optimizer._update(param, convert(grad), state, group)
        results.append([np.asarray(param)] + [np.asarray(state[key]) for key in sorted(state)
                                               if key != "step"])
    for found, expected in zip(results[1], results[0], strict=True):
        _close(found, expected, dtype)


# --- cross-entropy -------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("index_dtype", ["int64", "uint8"])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize(("rows", "classes"), [(1, 1), (7, 10), (130, 3), (3, 300)])
@pytest.mark.parametrize("ignored", ["none", "some", "all"])
def test_cross_entropy(dtype: str, index_dtype: str, reduction: str, rows: int, classes: int,
                       ignored: str) -> None:
    rng = np.random.default_rng(rows * classes)
    logits = (rng.standard_normal((rows, classes)) * 4).astype(dtype)
    target = rng.integers(0, classes, rows).astype(index_dtype)
    ignore = -100 if index_dtype == "int64" else 255
    if ignored == "some":
        target[::3] = ignore
    elif ignored == "all":
        target[:] = ignore
    expected = losses._cross_entropy_forward(np, logits, target, reduction, ignore)
    found = _cuda.cross_entropy(emulated(logits), emulated(target), reduction, ignore)
    _close(found, expected, dtype)
    g = rng.standard_normal(np.shape(expected)).astype(dtype)
    expected_grad, _ = losses._cross_entropy_vjp(array_ops(logits), g, (logits, target), None,
                                                 (None, None), reduction, ignore)
    found_grad = _cuda.cross_entropy_grad(emulated(logits), emulated(target), emulated(g),
                                          reduction, ignore)
    _close(found_grad, expected_grad, dtype)


def test_cross_entropy_gives_nan_for_a_target_outside_the_classes() -> None:
    logits = np.zeros((3, 4))
    target = np.array([0, 9, 3])
    found = _cuda.cross_entropy(emulated(logits), emulated(target), "none", -100)
    assert np.isnan(found[1]) and np.isfinite(found[[0, 2]]).all()
    grad = _cuda.cross_entropy_grad(emulated(logits), emulated(target), emulated(np.ones(3)),
                                    "none", -100)
    assert np.isnan(grad[1]).all() and np.isfinite(grad[[0, 2]]).all()


# --- activations and softmax ---------------------------------------------------------------------

_FUSED = types.SimpleNamespace(graph_mode=False)

UNARY: list[tuple[str, Callable[..., Any], Callable[..., Any], dict[str, float], str]] = [
    # (name, forward, VJP, parameters, what the VJP saves)
    ("erf", activations._erf_forward, activations._erf_vjp, {}, "inputs"),
    ("sigmoid", activations._sigmoid_forward, activations._sigmoid_vjp, {}, "output"),
    ("gelu", activations._gelu_forward, activations._gelu_vjp, {}, "inputs"),
    ("silu", activations._silu_forward, activations._silu_vjp, {}, "inputs"),
    ("leaky_relu", activations._leaky_relu_forward, activations._leaky_relu_vjp,
     {"slope": 0.03}, "inputs"),
    ("elu", activations._elu_forward, activations._elu_vjp, {"alpha": 1.3}, "both"),
    ("softplus", activations._softplus_forward, activations._softplus_vjp,
     {"beta": 2.0, "threshold": 15.0}, "inputs"),
]


def _values(dtype: str) -> np.ndarray:
    values = np.random.default_rng(0).standard_normal((7, 33)) * 3
    values[0, :6] = [0.0, -0.0, 25.0, -25.0, 1e-8, -40.0]  # both tails and zero
    values[1, :3] = [np.nan, np.inf, -np.inf]
    return values.astype(dtype)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("name", "forward", "vjp", "parameters", "saves"), UNARY,
                         ids=[case[0] for case in UNARY])
def test_activation(dtype: str, name: str, forward: Callable[..., Any],
                    vjp: Callable[..., Any], parameters: dict[str, float], saves: str) -> None:
    x = _values(dtype)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    expected = forward(np, x, **parameters)
    found = forward(np, emulated(x), **parameters)
    assert type(found) is EmulatedArray  # the kernel ran
    _close(found, expected, dtype)
    output = expected if saves != "inputs" else None
    expected_grad = vjp(array_ops(x), g, (x,), output, (None,), **parameters)[0]
    found_grad = vjp(_FUSED, emulated(g), (emulated(x),),
                     None if output is None else emulated(output), (None,), **parameters)[0]
    _close(found_grad, expected_grad, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tanh_gradient(dtype: str) -> None:
    y = np.tanh(_values(dtype))
    g = np.random.default_rng(2).standard_normal(y.shape).astype(dtype)
    expected = elementwise_ops._tanh_vjp(array_ops(y), g, (None,), y, (None,))[0]
    found = elementwise_ops._tanh_vjp(_FUSED, emulated(g), (None,), emulated(y), (None,))[0]
    _close(found, expected, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("take_log", [False, True], ids=["softmax", "logsoftmax"])
@pytest.mark.parametrize("shape", [(7, 33), (2, 3, 300), (4, 1)])
def test_softmax_rows(dtype: str, take_log: bool, shape: tuple[int, ...]) -> None:
    forward, vjp = ((activations._logsoftmax_forward, activations._logsoftmax_vjp) if take_log
                    else (activations._softmax_forward, activations._softmax_vjp))
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    axis = len(shape) - 1
    expected = forward(np, x, axis)
    _close(forward(np, emulated(x), axis), expected, dtype)
    expected_grad = vjp(array_ops(x), g, (x,), expected, (None,), axis=axis)[0]
    found_grad = vjp(_FUSED, emulated(g), (emulated(x),), emulated(expected), (None,),
                     axis=axis)[0]
    _close(found_grad, expected_grad, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("shape", "axes"), [((6, 33), (1,)), ((2, 3, 300), (2,)),
                                             ((2, 3, 4, 5), (2, 3)), ((5, 1), (1,))])
def test_normalize_rows(dtype: str, shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
    from mushin.nn.layers import norm

    rng = np.random.default_rng(6)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    expected = norm._normalize_forward(np, x, axes, 1e-5)
    _close(norm._normalize_forward(np, emulated(x), axes, 1e-5), expected, dtype)
    parent = types.SimpleNamespace(shape=shape)
    expected_grad = norm._normalize_vjp(array_ops(x), g, (x,), expected, (parent,), axes=axes,
                                        eps=1e-5)[0]
    found_grad = norm._normalize_vjp(_FUSED, emulated(g), (emulated(x),), emulated(expected),
                                     (parent,), axes=axes, eps=1e-5)[0]
    assert type(found_grad) is EmulatedArray  # the kernel ran
    _close(found_grad, expected_grad, dtype)


# --- ReLU, max pooling, col2im ---------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_relu_gradient_and_pair_max_routing() -> None:
    rng = np.random.default_rng(4)
    g, y = rng.standard_normal((2, 5, 6)), np.maximum(_values("float64")[:5, :6], 0)[None]
    np.testing.assert_array_equal(np.asarray(_cuda.relu_grad(emulated(g), emulated(y))),
                                  g * (y > 0))
    first, second = rng.standard_normal((2, 4, 3))
    first[0, :2] = second[0, :2]  # ties go to the first
    first[1, 0], second[1, 1] = np.nan, np.nan
    grad = rng.standard_normal((4, 3))
    slots = [emulated(np.zeros((4, 3))) for _ in range(2)]
    _cuda.pair_max_scatter(emulated(grad), emulated(first), emulated(second), *slots)
    picked = grad * (first >= second)
    np.testing.assert_array_equal(np.asarray(slots[0]), picked)
    np.testing.assert_array_equal(np.asarray(slots[1]), grad - picked)


@pytest.mark.parametrize(("shape", "kernel", "stride", "padding", "dilation"), [
    ((2, 3, 9, 9), (3, 3), (1, 1), (0, 0), (1, 1)),
    ((2, 3, 9, 9), (3, 3), (1, 1), (1, 1), (1, 1)),
    ((2, 3, 10, 7), (3, 2), (2, 2), (1, 1), (1, 1)),
    ((1, 2, 11, 11), (3, 3), (2, 3), (0, 2), (1, 1)),
    ((2, 2, 12, 12), (3, 3), (1, 1), (2, 2), (2, 2)),
    ((1, 3, 5, 5), (5, 5), (1, 1), (0, 0), (1, 1)),
    ((3, 4, 13, 6), (2, 3), (3, 1), (1, 0), (2, 1)),
])
def test_col2im(shape: tuple[int, int, int, int], kernel: tuple[int, int],
                stride: tuple[int, int], padding: tuple[int, int],
                dilation: tuple[int, int]) -> None:
    batch, channels = shape[:2]
    out_size = nn_ops._output_size("conv2d", shape, kernel, stride, padding, dilation)
    columns = np.random.default_rng(5).standard_normal((channels, *kernel, batch, *out_size))
    expected = nn_ops._col2im(np, columns, shape, kernel, stride, padding, dilation)
    found = _cuda.col2im(emulated(columns), shape, kernel, stride, padding, dilation)
    np.testing.assert_allclose(np.asarray(found), expected, rtol=1e-12, atol=1e-14)


def test_the_emulator_stands_in_for_cupy() -> None:
    """The fused paths take the emulated arrays for CuPy's (else the tests above would compare
    the NumPy path with itself)."""
    assert _cuda.on_gpu(emulated([1.0])) and _cuda.enabled(module)
    assert not _cuda.on_gpu(np.ones(1))
