"""Normalisation: ``normalize_axes``, ``(x - mean) / sqrt(var + eps)`` over some axes, one
primitive with a closed-form VJP and CUDA and CPU row kernels for trailing axes (LayerNorm's);
and PyTorch's functions built on it, ``batch_norm``, ``instance_norm``, ``group_norm``,
``layer_norm``, with ``rms_norm`` and ``local_response_norm`` (compositions).

One primitive rather than a composition of means, differences and roots keeps a
normalisation layer at three graph nodes instead of ten. ``layer_norm`` with its weight (and
bias) of ``normalized_shape`` is one node, ``LAYER_NORM``: on the CPU one kernel forward and
one backward, 2.7 times as fast as the normalisation, product and sum it replaces (a
``(16, 64, 128)`` float32 batch, forward and backward); any other weight keeps that
composition. The running statistics of ``batch_norm`` and ``instance_norm`` are buffers,
updated in place outside the graph, as PyTorch's are.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._check import (
    as_sequence,
    integer,
    is_int,
    number,
    operation_name,
    public_caller,
    shape_of,
)
from mushin._graph import Primitive
from mushin._tensor import Tensor, apply, unwrap, writable
from mushin.errors import ShapeError
from mushin.kernels import cpu, cuda
from mushin.kernels.cuda import BLOCK
from mushin.nn.functional.shape import pad
from mushin.ops import elementwise, reduce, slicing
from mushin.ops.shape import reshape


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
    # An empty input (no element to normalise over) has an empty gradient: any finite factor.
    inverse_count = 1.0 / max(math.prod(parents[0].shape[axis] for axis in axes), 1)
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


# --- CPU: one pass per row of the trailing axes, with the affine scale and shift -----------------
# The row (a LayerNorm's few hundred values) stays in the L1 cache, so its statistics, its
# normalised values and, backward, the two row sums of the gradient cost one read of the arrays
# and one write, against a dozen NumPy passes and their temporaries. Sums are in float64.


@cpu.function
def _row_statistics(values: Array, eps: float) -> tuple[float, float]:
    """The mean of the row ``values`` and ``1 / sqrt(variance + eps)``, summed in float64."""
    columns = values.size
    total = 0.0
    for j in range(columns):
        total += values[j]
    mean = total / columns
    squares = 0.0
    for j in range(columns):
        centred = values[j] - mean
        squares += centred * centred
    return mean, 1.0 / np.sqrt(squares / columns + eps)


@cpu.kernel
def _normalize_rows_kernel(x: Array, weight: Array, bias: Array, eps: float,
                           out: Array) -> None:
    rows, columns = x.shape
    for row in range(rows):
        values = x[row]
        mean, inverse_std = _row_statistics(values, eps)
        result = out[row]
        for j in range(columns):
            result[j] = (values[j] - mean) * inverse_std * weight[j] + bias[j]


@cpu.kernel
def _normalize_rows_grad_kernel(g: Array, x: Array, weight: Array, eps: float, grad_x: Array,
                                grad_weight: Array, grad_bias: Array) -> None:
    rows, columns = x.shape
    for row in range(rows):  # every row adds to grad_weight and grad_bias
        values, grads = x[row], g[row]
        mean, inverse_std = _row_statistics(values, eps)
        grads_sum = 0.0
        products_sum = 0.0
        for j in range(columns):
            normalized = (values[j] - mean) * inverse_std
            scaled = grads[j] * weight[j]
            grads_sum += scaled
            products_sum += scaled * normalized
            grad_weight[j] += grads[j] * normalized
            grad_bias[j] += grads[j]
        mean_grad = grads_sum / columns
        mean_grad_out = products_sum / columns
        result = grad_x[row]
        for j in range(columns):
            normalized = (values[j] - mean) * inverse_std
            result[j] = (grads[j] * weight[j] - mean_grad - normalized * mean_grad_out) \
                * inverse_std


def _rows(array: Array, columns: int) -> Array:
    """``array`` as a C-contiguous ``(rows, columns)`` matrix (a copy only where needed)."""
    return np.ascontiguousarray(array).reshape(-1, columns)


def _affine_cpu(x: Array, weight: Array | None, bias: Array | None, columns: int,
                eps: float) -> Array:
    """``normalize(x) * weight + bias`` over runs of ``columns`` trailing elements (ones and
    zeros where not given) by :func:`_normalize_rows_kernel`."""
    out = np.empty(x.shape, dtype=x.dtype)
    if x.size:
        ones = None if weight is not None and bias is not None else np.ones(columns, x.dtype)
        _normalize_rows_kernel(_rows(x, columns), ones if weight is None else weight.reshape(-1),
                               np.zeros_like(ones) if bias is None else bias.reshape(-1), eps,
                               out.reshape(-1, columns))
    return out


def _affine_cpu_grad(g: Array, x: Array, weight: Array | None, columns: int,
                     eps: float) -> tuple[Array, Array, Array]:
    """The gradients of :func:`_affine_cpu` for ``x``, the weight and the bias (the last two
    flat, float64) by :func:`_normalize_rows_grad_kernel`."""
    grad_x = np.empty(x.shape, dtype=x.dtype)
    grad_weight, grad_bias = np.zeros(columns), np.zeros(columns)
    if x.size:
        _normalize_rows_grad_kernel(
            _rows(g, columns), _rows(x, columns),
            np.ones(columns, x.dtype) if weight is None else weight.reshape(-1), eps,
            grad_x.reshape(-1, columns), grad_weight, grad_bias)
    return grad_x, grad_weight, grad_bias


def _cpu_takes(x: Array, axes: tuple[int, ...], *others: Array | None) -> int:
    """The row length of the CPU kernels for ``x`` normalised over ``axes``, or 0 where they
    do not take it (not float32 or float64 NumPy arrays, ``others`` of another dtype, axes not
    the trailing ones)."""
    if not cpu.fusable(x) or any(other is not None and not (
            other.__class__ is np.ndarray and other.dtype == x.dtype) for other in others):
        return 0
    return _trailing(x.shape, axes)


def _normalize_cpu(xp: Any, x: Array, axes: tuple[int, ...], eps: float) -> Any:
    """The forward over trailing axes (float32, float64): one row kernel."""
    columns = _cpu_takes(x, axes)
    return _affine_cpu(x, None, None, columns, eps) if columns else NotImplemented


def _normalize_cpu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                       axes: tuple[int, ...], eps: float) -> Any:
    """The VJP over trailing axes (float32, float64): one row kernel."""
    x = inputs[0]
    columns = _cpu_takes(x, axes, g)
    return (_affine_cpu_grad(g, x, None, columns, eps)[0],) if columns else NotImplemented


NORMALIZE = Primitive("normalize", _normalize_forward, _normalize_vjp, saves="both",
                      cuda_forward=_normalize_cuda, cuda_vjp=_normalize_cuda_vjp,
                      cpu_forward=_normalize_cpu, cpu_vjp=_normalize_cpu_vjp)


# --- layer_norm with its affine weight and bias: one primitive --------------------------------
# ``normalize(x) * weight + bias`` as one node: on the CPU one kernel forward and one backward
# (which also sums the weight's and the bias's gradients), instead of a normalisation, a
# product and a sum and their three VJPs. The node saves the inputs only; the VJPs recompute
# the normalised values from them (the CUDA one by the normalisation's row kernels).


def _layer_norm_forward(xp: Any, x: Array, weight: Array, bias: Array | None,
                        axes: tuple[int, ...], eps: float) -> Array:
    result = _normalize_forward(xp, x, axes, eps) * weight
    if bias is not None:
        result += bias
    return result


def _layer_norm_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                    axes: tuple[int, ...], eps: float) -> tuple[Any, ...]:
    x, weight, bias = inputs
    inverse_count = 1.0 / max(math.prod(x.shape[axis] for axis in axes), 1)
    centred = x - F.sum(x, axis=axes, keepdims=True) * inverse_count
    inverse_std = 1 / F.sqrt(F.sum(centred * centred, axis=axes, keepdims=True) * inverse_count
                             + eps)
    normalized = centred * inverse_std

    def normalize_grad(scaled: Any) -> Any:
        mean_grad = F.sum(scaled, axis=axes, keepdims=True) * inverse_count
        mean_grad_out = F.sum(scaled * normalized, axis=axes, keepdims=True) * inverse_count
        return (scaled - mean_grad - normalized * mean_grad_out) * inverse_std

    return _affine_grads(F, g, normalized, weight, bias, parents, axes, normalize_grad)


def _affine_grads(F: Any, g: Any, normalized: Any, weight: Any, bias: Any, parents: Any,
                  axes: tuple[int, ...],
                  normalize_grad: Callable[[Any], Any]) -> tuple[Any, ...]:
    """The gradients of ``normalized * weight + bias`` for the input, the weight and the
    bias, ``normalize_grad`` giving the input's from the normalised values' gradient."""
    leading = tuple(range(g.ndim - len(axes)))
    return (normalize_grad(g * weight) if parents[0] is not None else None,
            F.sum(g * normalized, axis=leading, keepdims=False)
            if parents[1] is not None else None,
            F.sum(g, axis=leading, keepdims=False)
            if bias is not None and parents[2] is not None else None)


def _layer_norm_cuda(xp: Any, x: Array, weight: Array, bias: Array | None,
                     axes: tuple[int, ...], eps: float) -> Any:
    normalized = _normalize_cuda(xp, x, axes, eps)
    if normalized is NotImplemented:
        return NotImplemented
    normalized *= weight
    if bias is not None:
        normalized += bias
    return normalized


def _layer_norm_cuda_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                         axes: tuple[int, ...], eps: float) -> Any:
    x, weight, bias = inputs
    columns = _trailing(tuple(x.shape), axes)
    if not columns or not cuda.fusable(g, x):
        return NotImplemented
    normalized = _normalize_rows(x, columns, eps)

    def normalize_grad(scaled: Array) -> Array:
        return _normalize_rows_grad(scaled, x, normalized, columns, eps)

    return _affine_grads(F, g, normalized, weight, bias, parents, axes, normalize_grad)


def _layer_norm_cpu(xp: Any, x: Array, weight: Array, bias: Array | None,
                    axes: tuple[int, ...], eps: float) -> Any:
    columns = _cpu_takes(x, axes, weight, bias)
    return _affine_cpu(x, weight, bias, columns, eps) if columns else NotImplemented


def _layer_norm_cpu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                        axes: tuple[int, ...], eps: float) -> Any:
    x, weight, bias = inputs
    columns = _cpu_takes(x, axes, weight, bias, g)
    if not columns:
        return NotImplemented
    grad_x, grad_weight, grad_bias = _affine_cpu_grad(g, x, weight, columns, eps)
    return (grad_x if parents[0] is not None else None,
            grad_weight.astype(x.dtype).reshape(weight.shape) if parents[1] is not None
            else None,
            grad_bias.astype(x.dtype).reshape(bias.shape)
            if bias is not None and parents[2] is not None else None)


LAYER_NORM = Primitive("layer_norm", _layer_norm_forward, _layer_norm_vjp,
                       cuda_forward=_layer_norm_cuda, cuda_vjp=_layer_norm_cuda_vjp,
                       cpu_forward=_layer_norm_cpu, cpu_vjp=_layer_norm_cpu_vjp)


def normalize_axes(x: Any, axes: tuple[int, ...], eps: float = 1e-5) -> Any:
    """``(x - mean) / sqrt(var + eps)`` with the mean and the (biased) variance over
    ``axes`` (the crate's normalisation; ``mu.nn.functional.normalize`` is PyTorch's
    ``F.normalize``, in ``distance``)."""
    items = as_sequence(axes)
    if items is None or not all(is_int(axis) for axis in items):
        raise TypeError(f"{operation_name('normalize_axes')}: axes must be a tuple of ints, got "
                        f"{axes!r}")
    epsilon = number("normalize_axes", "eps", eps)
    return apply(NORMALIZE, x, axes=tuple(sorted(items)), eps=epsilon)


# --- PyTorch's functions ----------------------------------------------------------------------

def _channel_shape(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The shape that broadcasts a per-channel ``(C,)`` vector against ``(N, C, *)``."""
    return (1, shape[1]) + (1,) * (len(shape) - 2)


def _check_channels(function: str, name: str, value: Any, channels: int) -> None:
    """``value`` (a per-channel tensor or None) must have shape ``(channels,)``."""
    if value is not None and shape_of(value) != (channels,):
        raise ShapeError(f"{operation_name(function)}: {name} must have shape ({channels},), one "
                         f"value per channel (axis 1 of the input), got shape {shape_of(value)}")


def _scale_and_shift(function: str, result: Any, weight: Any, bias: Any,
                     broadcast: tuple[int, ...]) -> Any:
    """``result * weight + bias`` with ``(C,)`` vectors broadcast as ``broadcast``; a missing
    one is left out."""
    channels = broadcast[1]
    _check_channels(function, "weight", weight, channels)
    _check_channels(function, "bias", bias, channels)
    if weight is not None:
        result = elementwise.mul(result, reshape(weight, broadcast))
    if bias is not None:
        result = elementwise.add(result, reshape(bias, broadcast))
    return result


def _blend(running: Any, batch: Array, momentum: float) -> None:
    """``running = (1 - momentum) * running + momentum * batch``, in place (a running
    statistic: a buffer, not part of any graph)."""
    held, computed = _backend.backend_of(unwrap(running)), _backend.backend_of(batch)
    if held is not computed:
        raise RuntimeError(f"{public_caller()}: the running statistics are on {held.device} "
                           f"but the input is on {computed.device}; move them with .to(device)")
    if unwrap(running).dtype.kind != "f":
        raise TypeError(f"{public_caller()}: a running statistic must be a floating tensor, "
                        f"got dtype {unwrap(running).dtype}")
    data = writable(running) if isinstance(running, Tensor) else running
    data *= 1 - momentum
    data += momentum * batch.astype(data.dtype, copy=False)


def _from_running_stats(input: Any, running_mean: Any, running_var: Any, eps: float,
                        broadcast: tuple[int, ...]) -> Any:
    """``(input - running_mean) / sqrt(running_var + eps)`` per channel (evaluation mode)."""
    mean, variance = unwrap(running_mean), unwrap(running_var)
    xp = _backend.namespace_of(variance)
    inverse_std = 1 / xp.sqrt(variance + eps)
    return elementwise.mul(elementwise.sub(input, mean.reshape(broadcast)),
                           inverse_std.reshape(broadcast))


def batch_norm(input: Any, running_mean: Any, running_var: Any, weight: Any = None,
               bias: Any = None, training: bool = False, momentum: float = 0.1,
               eps: float = 1e-5) -> Any:
    """PyTorch's ``F.batch_norm``: ``input`` ``(N, C, *)`` normalised per channel ``C``, then
    scaled by ``weight`` and shifted by ``bias`` (each ``(C,)``) where given.

    While ``training`` the statistics are the batch's (mean and biased variance over every
    axis but 1), and ``running_mean`` / ``running_var``, where given, are updated in place:
    ``running = (1 - momentum) * running + momentum * batch`` with the batch's unbiased
    variance. Otherwise the running statistics normalise (they must be given).
    """
    dims = shape_of(input)
    if len(dims) < 2:
        raise ShapeError(f"{operation_name('batch_norm')}: expected an input of shape (N, C, *) "
                         f"with at least 2 axes, got shape {dims}")
    _check_channels("batch_norm", "running_mean", running_mean, dims[1])
    _check_channels("batch_norm", "running_var", running_var, dims[1])
    momentum = number("batch_norm", "momentum", momentum)
    eps = number("batch_norm", "eps", eps)
    broadcast = _channel_shape(dims)
    axes = (0, *range(2, len(dims)))
    if training:
        count = math.prod(dims[axis] for axis in axes)
        if count <= 1:
            raise ValueError(f"{operation_name('batch_norm')}: expected more than 1 value per "
                             f"channel when training, got an input of shape {dims}")
        data = unwrap(input)
        xp = _backend.namespace_of(data)
        if running_mean is not None:
            _blend(running_mean, xp.mean(data, axis=axes), momentum)
        if running_var is not None:
            _blend(running_var, xp.var(data, axis=axes) * (count / (count - 1)), momentum)
        result = normalize_axes(input, axes, eps)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{operation_name('batch_norm')}: running_mean and running_var must "
                             "be given when not training (training=False)")
        result = _from_running_stats(input, running_mean, running_var, eps, broadcast)
    return _scale_and_shift("batch_norm", result, weight, bias, broadcast)


def instance_norm(input: Any, running_mean: Any = None, running_var: Any = None,
                  weight: Any = None, bias: Any = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Any:
    """PyTorch's ``F.instance_norm``: each channel of each sample of ``input`` ``(N, C, *)``
    normalised over its own spatial axes, then scaled by ``weight`` and shifted by ``bias``
    (each ``(C,)``) where given.

    With ``use_input_stats`` (the default) the statistics are each instance's, and
    ``running_mean`` / ``running_var``, where given, are blended in place with their means
    over the batch (the unbiased variance, as ``batch_norm``); otherwise the running
    statistics normalise (they must be given).
    """
    dims = shape_of(input)
    if len(dims) < 3:
        raise ShapeError(f"{operation_name('instance_norm')}: expected an input of shape (N, C, *) "
                         f"with at least one spatial axis, got shape {dims}")
    _check_channels("instance_norm", "running_mean", running_mean, dims[1])
    _check_channels("instance_norm", "running_var", running_var, dims[1])
    momentum = number("instance_norm", "momentum", momentum)
    eps = number("instance_norm", "eps", eps)
    broadcast = _channel_shape(dims)
    axes = tuple(range(2, len(dims)))
    if use_input_stats:
        count = math.prod(dims[2:])
        if count <= 1:
            raise ValueError(f"{operation_name('instance_norm')}: expected more than 1 spatial "
                             f"element when training, got an input of shape {dims}")
        data = unwrap(input)
        xp = _backend.namespace_of(data)
        if running_mean is not None:
            _blend(running_mean, xp.mean(xp.mean(data, axis=axes), axis=0), momentum)
        if running_var is not None:
            unbiased = xp.var(data, axis=axes) * (count / (count - 1))
            _blend(running_var, xp.mean(unbiased, axis=0), momentum)
        result = normalize_axes(input, axes, eps)
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{operation_name('instance_norm')}: running_mean and running_var "
                             "must be given when use_input_stats is False")
        result = _from_running_stats(input, running_mean, running_var, eps, broadcast)
    return _scale_and_shift("instance_norm", result, weight, bias, broadcast)


def group_norm(input: Any, num_groups: int, weight: Any = None, bias: Any = None,
               eps: float = 1e-5) -> Any:
    """PyTorch's ``F.group_norm``: the channels of ``input`` ``(N, C, *)`` split into
    ``num_groups`` groups of consecutive channels, each group of each sample normalised over
    its channels and spatial axes, then scaled by ``weight`` and shifted by ``bias`` (each
    ``(C,)``, per channel) where given."""
    dims = shape_of(input)
    if len(dims) < 2:
        raise ShapeError(f"{operation_name('group_norm')}: expected an input of shape (N, C, *) "
                         f"with at least 2 axes, got shape {dims}")
    groups = integer("group_norm", "num_groups", num_groups, minimum=1)
    if dims[1] % groups:
        raise ValueError(f"{operation_name('group_norm')}: the input's {dims[1]} channels (axis 1) "
                         f"must be divisible by num_groups={groups}, got shape {dims}")
    if dims[0] * dims[1] // groups * math.prod(dims[2:]) == 1:
        raise ValueError(f"{operation_name('group_norm')}: expected more than 1 value per group, "
                         f"got an input of shape {dims} and num_groups={groups}")
    grouped = reshape(input, (dims[0], groups, -1) if dims[0] else (0, groups, 0))
    result = reshape(normalize_axes(grouped, (2,), number("group_norm", "eps", eps)),
                           dims)
    return _scale_and_shift("group_norm", result, weight, bias, _channel_shape(dims))


def normalized_sizes(function: str, normalized_shape: Any) -> tuple[int, ...]:
    """``normalized_shape`` (an int, or a tuple or list of ints) as a tuple of positive ints
    (``layer_norm``'s, ``rms_norm``'s and their layers')."""
    sizes = [normalized_shape] if is_int(normalized_shape) else as_sequence(normalized_shape)
    if not sizes or any(not is_int(size) or size < 1 for size in sizes):
        raise ValueError(f"{operation_name(function)}: normalized_shape must be a positive int or "
                         f"a tuple of them, got {normalized_shape!r}")
    return tuple(int(size) for size in sizes)


def trailing_axes(function: str, input: Any, normalized_shape: Any) -> tuple[int, ...]:
    """The trailing axes of ``input`` that ``normalized_shape`` (an int or sizes) names;
    ``ShapeError`` if they are not its last sizes."""
    sizes = normalized_sizes(function, normalized_shape)
    dims = shape_of(input)
    if len(sizes) > len(dims) or dims[len(dims) - len(sizes):] != sizes:
        raise ShapeError(f"{operation_name(function)}: expected an input whose last axes are "
                         f"{sizes} (normalized_shape), got shape {dims}")
    return tuple(range(len(dims) - len(sizes), len(dims)))


def _affine_fits(input: Any, weight: Any, bias: Any, sizes: tuple[int, ...]) -> bool:
    """Whether :data:`LAYER_NORM` takes the arguments: floating tensors of one dtype, the
    weight (and the bias, if any) of shape ``sizes`` (others broadcast through the
    composition)."""
    return (isinstance(input, Tensor) and input.dtype.kind == "f"
            and all(isinstance(value, Tensor) and value.dtype == input.dtype
                    and shape_of(value) == sizes
                    for value in ((weight,) if bias is None else (weight, bias))))


def layer_norm(input: Any, normalized_shape: int | tuple[int, ...] | list[int],
               weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """PyTorch's ``F.layer_norm``: ``input`` normalised over its trailing
    ``normalized_shape`` axes, then scaled by ``weight`` and shifted by ``bias`` (each of
    shape ``normalized_shape``) where given."""
    axes = trailing_axes("layer_norm", input, normalized_shape)
    eps = number("layer_norm", "eps", eps)
    if _affine_fits(input, weight, bias, shape_of(input)[len(shape_of(input)) - len(axes):]):
        return apply(LAYER_NORM, input, weight, bias, axes=axes, eps=eps)
    result = normalize_axes(input, axes, eps)
    if weight is not None:
        result = elementwise.mul(result, weight)
    if bias is not None:
        result = elementwise.add(result, bias)
    return result


def rms_norm(input: Any, normalized_shape: int | tuple[int, ...] | list[int],
             weight: Any = None, eps: float | None = None) -> Any:
    """PyTorch's ``F.rms_norm``: ``input / sqrt(mean(input ** 2) + eps)`` over its trailing
    ``normalized_shape`` axes, scaled by ``weight`` (of shape ``normalized_shape``) where
    given; ``eps`` defaults to the machine epsilon of the input's dtype."""
    axes = trailing_axes("rms_norm", input, normalized_shape)
    if eps is None:
        data = unwrap(input)
        eps = float(np.finfo(data.dtype if data.dtype.kind == "f" else np.float32).eps)
    squares = reduce.mean(elementwise.mul(input, input), axis=axes, keepdims=True)
    result = elementwise.div(input, elementwise.sqrt(elementwise.add(
        squares, number("rms_norm", "eps", eps))))
    if weight is not None:
        result = elementwise.mul(result, weight)
    return result


def local_response_norm(input: Any, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Any:
    """PyTorch's ``F.local_response_norm``: ``input`` ``(N, C, *)`` divided by
    ``(k + alpha * mean of input ** 2 over a window of size channels) ** beta``, the window
    centred on each channel (``size // 2`` channels before, ``(size - 1) // 2`` after, zeros
    beyond the edges, always divided by ``size``)."""
    dims = shape_of(input)
    if len(dims) < 3:
        raise ShapeError(f"{operation_name('local_response_norm')}: expected an input of shape (N, "
                         f"C, *) with at least 3 axes, got shape {dims}")
    window = integer("local_response_norm", "size", size, minimum=1)
    alpha = number("local_response_norm", "alpha", alpha)
    beta = number("local_response_norm", "beta", beta)
    k = number("local_response_norm", "k", k)
    if not math.prod(dims):
        return input
    squares = elementwise.mul(input, input)
    padded = pad(squares, (0, 0) * (len(dims) - 2) + (window // 2, (window - 1) // 2))
    # The window sums, one shifted slice of the channels per position in the window.
    total = None
    for start in range(window):
        part = slicing.getitem(padded, (slice(None), slice(start, start + dims[1])))
        total = part if total is None else elementwise.add(total, part)
    divisor = elementwise.pow(elementwise.add(elementwise.mul(total, alpha / window), k), beta)
    return elementwise.div(input, divisor)
