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
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from cuda_emulator import EmulatedArray, emulated, installed, module

from mushin._graph import Primitive
from mushin._tensor import array_ops
from mushin.kernels import cuda
from mushin.nn import optimizers
from mushin.nn.functional import activation, conv, loss, norm, pool, special, window
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
    """Four steps of ``_update`` on the same gradients: the fused kernel (which emulated
    arrays take, as CuPy's) and the in-place NumPy steps give the same parameters and
    state."""
    import mushin as mu

    def portable_update_of(param: Any, grad: Any, terms: Any) -> None:
        assert type(param) is not EmulatedArray, "emulated arrays must take the kernel"
        portable_update(param, grad, terms)

    rng = np.random.default_rng(1)
    start = rng.standard_normal((3, 5)).astype(dtype)
    grads = [rng.standard_normal((3, 5)).astype(dtype) for _ in range(4)]
    optimizer = kind([mu.variable(np.zeros(1))], **options)
    portable_update = optimizer._portable_update
    monkeypatch.setattr(optimizer, "_portable_update", portable_update_of)
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
    prim = loss.CROSS_ENTROPY
    expected = prim.forward(np, logits, target, reduction, ignore)
    found = prim.cuda_forward(module, emulated(logits), emulated(target), reduction, ignore)
    _close(found, expected, dtype)
    g = rng.standard_normal(np.shape(expected)).astype(dtype)
    expected_grad, _ = prim.vjp(array_ops(logits), g, (logits, target), None, (None, None),
                                reduction, ignore)
    found_grad, _ = prim.cuda_vjp(_FUSED, emulated(g), (emulated(logits), emulated(target)),
                                  None, (None, None), reduction, ignore)
    _close(found_grad, expected_grad, dtype)


def test_cross_entropy_gives_nan_for_a_target_outside_the_classes() -> None:
    logits = np.zeros((3, 4))
    target = np.array([0, 9, 3])
    prim = loss.CROSS_ENTROPY
    found = prim.cuda_forward(module, emulated(logits), emulated(target), "none", -100)
    assert np.isnan(found[1]) and np.isfinite(found[[0, 2]]).all()
    grad, _ = prim.cuda_vjp(_FUSED, emulated(np.ones(3)), (emulated(logits), emulated(target)),
                            None, (None, None), "none", -100)
    assert np.isnan(grad[1]).all() and np.isfinite(grad[[0, 2]]).all()


# --- activations and softmax ---------------------------------------------------------------------

_FUSED = types.SimpleNamespace(graph_mode=False)

UNARY: list[tuple[Primitive, dict[str, float]]] = [
    # (the primitive, its parameters)
    (special.ERF, {}), (activation.SIGMOID, {}), (activation.GELU, {}), (activation.SILU, {}),
    (activation.LEAKY_RELU, {"slope": 0.03}), (activation.ELU, {"alpha": 1.3}),
    (activation.SOFTPLUS, {"beta": 2.0, "threshold": 15.0}),
]


def _values(dtype: str) -> np.ndarray:
    values = np.random.default_rng(0).standard_normal((7, 33)) * 3
    values[0, :6] = [0.0, -0.0, 25.0, -25.0, 1e-8, -40.0]  # both tails and zero
    values[1, :3] = [np.nan, np.inf, -np.inf]
    return values.astype(dtype)


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("prim", "parameters"), UNARY, ids=[case[0].name for case in UNARY])
def test_activation(dtype: str, prim: Primitive, parameters: dict[str, float]) -> None:
    """The CUDA rules (forward and VJP) against the portable ones."""
    assert prim.cuda_forward is not None and prim.cuda_vjp is not None
    x = _values(dtype)
    g = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    expected = prim.forward(np, x, **parameters)
    found = prim.cuda_forward(module, emulated(x), **parameters)
    assert type(found) is EmulatedArray  # the kernel ran
    _close(found, expected, dtype)
    output = expected if prim.save_output else None
    expected_grad = prim.vjp(array_ops(x), g, (x,), output, (None,), **parameters)[0]
    found_grad = prim.cuda_vjp(_FUSED, emulated(g), (emulated(x),),
                               None if output is None else emulated(output), (None,),
                               **parameters)[0]
    assert type(found_grad) is EmulatedArray
    _close(found_grad, expected_grad, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_tanh_gradient(dtype: str) -> None:
    y = np.tanh(_values(dtype))
    g = np.random.default_rng(2).standard_normal(y.shape).astype(dtype)
    tanh = elementwise_ops.TANH
    expected = tanh.vjp(array_ops(y), g, (None,), y, (None,))[0]
    assert tanh.cuda_vjp is not None
    found = tanh.cuda_vjp(_FUSED, emulated(g), (None,), emulated(y), (None,))[0]
    assert type(found) is EmulatedArray  # the kernel ran
    _close(found, expected, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_atan_gradient(dtype: str) -> None:
    x = _values(dtype)
    g = np.random.default_rng(4).standard_normal(x.shape).astype(dtype)
    atan = elementwise_ops.ATAN
    expected = atan.vjp(array_ops(x), g, (x,), None, (None,))[0]
    np.testing.assert_allclose(expected, g / (1 + x.astype("float64") ** 2),
                               rtol=1e-6 if dtype == "float32" else 1e-12)
    assert atan.cuda_vjp is not None
    found = atan.cuda_vjp(_FUSED, emulated(g), (emulated(x),), None, (None,))[0]
    assert type(found) is EmulatedArray  # the kernel ran
    _close(found, expected, dtype)
    # float16 keeps the portable path: the CUDA rule declines it.
    half = x.astype("float16")
    assert atan.cuda_vjp(_FUSED, emulated(half), (emulated(half),), None, (None,)) is (
        NotImplemented)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("take_log", [False, True], ids=["softmax", "logsoftmax"])
@pytest.mark.parametrize("shape", [(7, 33), (2, 3, 300), (4, 1)])
def test_softmax_rows(dtype: str, take_log: bool, shape: tuple[int, ...]) -> None:
    prim = activation.LOGSOFTMAX if take_log else activation.SOFTMAX
    assert prim.cuda_forward is not None and prim.cuda_vjp is not None
    rng = np.random.default_rng(3)
    x = (rng.standard_normal(shape) * 3).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    axis = len(shape) - 1
    expected = prim.forward(np, x, axis)
    _close(prim.cuda_forward(module, emulated(x), axis), expected, dtype)
    expected_grad = prim.vjp(array_ops(x), g, (x,), expected, (None,), axis=axis)[0]
    found_grad = prim.cuda_vjp(_FUSED, emulated(g), (emulated(x),), emulated(expected),
                               (None,), axis=axis)[0]
    _close(found_grad, expected_grad, dtype)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("shape", "axes"), [((6, 33), (1,)), ((2, 3, 300), (2,)),
                                             ((2, 3, 4, 5), (2, 3)), ((5, 1), (1,))])
def test_normalize_rows(dtype: str, shape: tuple[int, ...], axes: tuple[int, ...]) -> None:
    prim = norm.NORMALIZE
    rng = np.random.default_rng(6)
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    expected = prim.forward(np, x, axes, 1e-5)
    found = prim.run_forward(module, emulated(x), axes=axes, eps=1e-5)
    assert type(found) is EmulatedArray  # the kernel ran
    _close(found, expected, dtype)
    parent = types.SimpleNamespace(shape=shape)
    expected_grad = prim.vjp(array_ops(x), g, (x,), expected, (parent,), axes=axes, eps=1e-5)[0]
    assert prim.cuda_vjp is not None
    found_grad = prim.cuda_vjp(_FUSED, emulated(g), (emulated(x),), emulated(expected),
                               (parent,), axes=axes, eps=1e-5)[0]
    assert type(found_grad) is EmulatedArray  # the kernel ran
    _close(found_grad, expected_grad, dtype)


# --- ReLU, max pooling, col2im ---------------------------------------------------------------

@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
def test_relu_gradient_and_pair_max_routing() -> None:
    rng = np.random.default_rng(4)
    g, y = rng.standard_normal((2, 5, 6)), np.maximum(_values("float64")[:5, :6], 0)[None]
    assert activation.RELU.cuda_vjp is not None
    relu_grad = activation.RELU.cuda_vjp(_FUSED, emulated(g), (None,),
                                         emulated(np.broadcast_to(y, g.shape)), (None,))[0]
    assert type(relu_grad) is EmulatedArray  # the kernel ran
    np.testing.assert_array_equal(np.asarray(relu_grad), g * (y > 0))
    first, second = rng.standard_normal((2, 4, 3))
    first[0, :2] = second[0, :2]  # ties go to the first
    first[1, 0], second[1, 1] = np.nan, np.nan
    grad = rng.standard_normal((4, 3))
    slots = [emulated(np.zeros((4, 3))) for _ in range(2)]
    pool._pair_max_scatter(emulated(grad), emulated(first), emulated(second), *slots)
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
    out_size = window.output_size("conv2d", shape, kernel, stride, padding, dilation)
    rng = np.random.default_rng(5)
    columns = rng.standard_normal((channels, *kernel, batch, *out_size))
    expected = conv._col2im(np, columns, shape, kernel, stride, padding, dilation)
    found = conv._col2im_cuda(emulated(columns), shape, kernel, stride, padding, dilation)
    np.testing.assert_allclose(np.asarray(found), expected, rtol=1e-12, atol=1e-14)
    # The input gradient's CUDA rule (the columns, then the kernel, whatever the stride)
    # against the portable forward; NumPy stands in for CuPy's array functions.
    grad = rng.standard_normal((batch, 2, *out_size))
    weight = rng.standard_normal((2, channels, *kernel))
    geometry = {"input_shape": shape, "stride": stride, "padding": padding,
                "dilation": dilation, "groups": 1}
    expected = conv.CONV2D_INPUT_GRAD.forward(np, grad, weight, **geometry)
    numpy_as_cupy = types.SimpleNamespace(
        __name__="cupy", **{name: getattr(np, name) for name in (
            "empty", "matmul", "result_type", "swapaxes")})
    found = conv.CONV2D_INPUT_GRAD.run_forward(
        numpy_as_cupy, emulated(grad), emulated(weight), **geometry)
    assert type(found) is EmulatedArray  # the kernel ran
    _close(found, expected, "float64")


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize(("shape", "axis"), [((2, 3, 4, 7), 3), ((2, 3, 5, 6), 2)])
def test_run_max_scatter_rule(dtype: str, shape: tuple[int, ...], axis: int) -> None:
    """The 2x2 max pool's routing through the CUDA rule, along the rows and the columns, an
    odd size leaving an incomplete run, with ties and NaNs."""
    prim = pool.RUN_MAX_SCATTER
    x = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    x[0, 0, :2, :2] = 1.0  # ties
    x[1, 2, 2, 2] = np.nan
    best = pool.RUN_MAX.forward(np, x, axis=axis, size=2)
    grad = np.random.default_rng(8).standard_normal(best.shape).astype(dtype)
    expected = prim.forward(np, grad, x, best, axis=axis, size=2)
    # ``np``: the rule allocates the result with the operands' module (CuPy's on a GPU)
    assert prim.cuda_forward is not None
    found = prim.cuda_forward(np, emulated(grad), emulated(x), emulated(best), axis=axis,
                              size=2)
    assert type(found) is EmulatedArray  # the kernel ran
    np.testing.assert_array_equal(np.asarray(found), expected)


def test_the_emulator_stands_in_for_cupy() -> None:
    """The fused paths take the emulated arrays for CuPy's (else the tests above would compare
    the NumPy path with itself)."""
    assert cuda.on_gpu(emulated([1.0])) and cuda.enabled(module)
    assert not cuda.on_gpu(np.ones(1))
