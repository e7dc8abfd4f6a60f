"""``normalize_axes``: ``(x - mean) / sqrt(var + eps)`` over some axes, one primitive with a
closed-form VJP (what ``BatchNorm1D``, ``BatchNorm2D`` and ``LayerNorm`` build on), and its
CUDA row kernels for trailing axes (LayerNorm's).

One primitive rather than a composition of means, differences and roots keeps a
normalisation layer at three graph nodes instead of ten.
"""

from __future__ import annotations

import math
from typing import Any

from mushin._backend import Array
from mushin._check import shape_of
from mushin._graph import Primitive
from mushin._tensor import apply
from mushin.errors import ShapeError
from mushin.kernels import cuda
from mushin.kernels.cuda import BLOCK


def _trailing(shape: tuple[int, ...], axes: tuple[int, ...]) -> int:
    """The number of elements the trailing ``axes`` hold (each row of a row kernel), or 0
    when ``axes`` are not the trailing ones (batch normalisation's)."""
    if axes != tuple(range(len(shape) - len(axes), len(shape))):
        return 0
    return math.prod(shape[axis] for axis in axes)


def _normalize_forward(xp: Any, x: Array, axes: tuple[int, ...], eps: float) -> Array:
    centred = x - xp.mean(x, axis=axes, keepdims=True)
    variance = xp.mean(centred * centred, axis=axes, keepdims=True)
    return centred / xp.sqrt(variance + eps)


def _normalize_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   axes: tuple[int, ...], eps: float) -> tuple[Any]:
    x = inputs[0]
    inverse_count = 1.0 / math.prod(parents[0].shape[axis] for axis in axes)
    centred = x - F.sum(x, axis=axes, keepdims=True) * inverse_count
    variance = F.sum(centred * centred, axis=axes, keepdims=True) * inverse_count
    mean_grad = F.sum(g, axis=axes, keepdims=True) * inverse_count
    mean_grad_out = F.sum(g * out, axis=axes, keepdims=True) * inverse_count
    return ((g - mean_grad - out * mean_grad_out) / F.sqrt(variance + eps),)


# --- CUDA: one block per row of the trailing axes ---------------------------------------------

_NORMALIZE = r"""
// One block per row of c values: (x - mean) / sqrt(var + eps), the variance biased.
extern "C" __global__ void mushin_normalize_rows(const T* x, T* y, long long c, double eps) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* r = x + row * c;
    T* o = y + row * c;
    T total = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) total += r[j];
    T mean = block_sum(total, shared) / (T)c;
    T squares = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) squares += (r[j] - mean) * (r[j] - mean);
    T root = sqrt(block_sum(squares, shared) / (T)c + (T)eps);
    for (long long j = threadIdx.x; j < c; j += BLOCK) o[j] = (r[j] - mean) / root;
}

// One block per row: the gradient (g - mean(g) - y * mean(g * y)) / sqrt(var + eps), for the
// input x, the output y and its gradient g.
extern "C" __global__ void mushin_normalize_grad_rows(
        const T* g, const T* x, const T* y, T* dx, long long c, double eps) {
    __shared__ T shared[BLOCK];
    long long row = blockIdx.x;
    const T* gr = g + row * c;
    const T* xr = x + row * c;
    const T* yr = y + row * c;
    T* o = dx + row * c;
    T inverse = (T)1 / (T)c;
    T total = 0, grads = 0, products = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) {
        total += xr[j];
        grads += gr[j];
        products += gr[j] * yr[j];
    }
    T mean = block_sum(total, shared) * inverse;
    T mean_grad = block_sum(grads, shared) * inverse;
    T mean_grad_out = block_sum(products, shared) * inverse;
    T squares = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) squares += (xr[j] - mean) * (xr[j] - mean);
    T root = sqrt(block_sum(squares, shared) * inverse + (T)eps);
    for (long long j = threadIdx.x; j < c; j += BLOCK)
        o[j] = (gr[j] - mean_grad - yr[j] * mean_grad_out) / root;
}
"""


def _normalize_rows(x: Array, columns: int, eps: float) -> Array:
    """``(x - mean) / sqrt(var + eps)`` over each run of ``columns`` trailing elements."""
    xp = cuda.xp_of(x)
    x = xp.ascontiguousarray(x)
    result = xp.empty(x.shape, dtype=x.dtype)
    if x.size:
        cuda.raw(xp, _NORMALIZE, "mushin_normalize_rows", x.dtype.name, "int64")(
            (x.size // columns,), (BLOCK,), (x, result, xp.int64(columns), xp.float64(eps)))
    return result


def _normalize_rows_grad(grad: Array, x: Array, output: Array, columns: int,
                         eps: float) -> Array:
    """The gradient of :func:`_normalize_rows` from its input, output and output gradient."""
    xp = cuda.xp_of(grad)
    arrays = [xp.ascontiguousarray(array) for array in (grad, x, output)]
    result = xp.empty(x.shape, dtype=x.dtype)
    if x.size:
        cuda.raw(xp, _NORMALIZE, "mushin_normalize_grad_rows", x.dtype.name, "int64")(
            (x.size // columns,), (BLOCK,), (*arrays, result, xp.int64(columns),
                                             xp.float64(eps)))
    return result


def _normalize_cuda(xp: Any, x: Array, axes: tuple[int, ...], eps: float) -> Any:
    """The forward over trailing axes (LayerNorm's; float32, float64): one row kernel."""
    columns = _trailing(x.shape, axes)
    if not columns or not cuda.fusable(x):
        return NotImplemented
    return _normalize_rows(x, columns, eps)


def _normalize_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                        axes: tuple[int, ...], eps: float) -> Any:
    """The VJP over trailing axes (float32, float64): one row kernel."""
    x = inputs[0]
    columns = _trailing(tuple(parents[0].shape), axes)
    if not columns or not cuda.fusable(g, x, out):
        return NotImplemented
    return (_normalize_rows_grad(g, x, out, columns, eps),)


NORMALIZE = Primitive("normalize", _normalize_forward, _normalize_vjp, saves="both",
                      cuda_forward=_normalize_cuda, cuda_vjp=_normalize_cuda_vjp)


def normalize_axes(x: Any, axes: tuple[int, ...], eps: float = 1e-5) -> Any:
    """``(x - mean) / sqrt(var + eps)`` with the mean and the (biased) variance over
    ``axes`` (the crate's normalisation; ``mu.nn.functional.normalize`` is PyTorch's
    ``F.normalize``, in ``distance``)."""
    return apply(NORMALIZE, x, axes=tuple(sorted(axes)), eps=float(eps))




def layer_norm(input: Any, normalized_shape: int | tuple[int, ...] | list[int],
               weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """PyTorch's ``F.layer_norm``: ``input`` normalised over its trailing
    ``normalized_shape`` axes, then scaled by ``weight`` and shifted by ``bias`` (each of
    shape ``normalized_shape``) where given."""
    given = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    shape = shape_of(input)
    if (not given or len(given) > len(shape)
            or tuple(shape[len(shape) - len(given):]) != tuple(given)):
        raise ShapeError(f"layer_norm: normalized_shape {normalized_shape!r} must be the "
                         f"trailing axes of the input's shape {shape}")
    result = normalize_axes(input, tuple(range(len(shape) - len(given), len(shape))), eps)
    if weight is not None:
        result = result * weight
    if bias is not None:
        result = result + bias
    return result
