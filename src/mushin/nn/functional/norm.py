"""Normalisation: ``normalize_axes``, ``(x - mean) / sqrt(var + eps)`` over some axes, one
primitive with a closed-form VJP and CUDA row kernels for trailing axes (LayerNorm's); and
PyTorch's functions built on it, ``batch_norm``, ``instance_norm``, ``group_norm``,
``layer_norm``, with ``rms_norm`` and ``local_response_norm`` (compositions).

One primitive rather than a composition of means, differences and roots keeps a
normalisation layer at three graph nodes instead of ten. The running statistics of
``batch_norm`` and ``instance_norm`` are buffers, updated in place outside the graph, as
PyTorch's are.
"""

from __future__ import annotations

import math
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
from mushin.kernels import cuda
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


NORMALIZE = Primitive("normalize", _normalize_forward, _normalize_vjp, saves="both",
                      cuda_forward=_normalize_cuda, cuda_vjp=_normalize_cuda_vjp)


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


def layer_norm(input: Any, normalized_shape: int | tuple[int, ...] | list[int],
               weight: Any = None, bias: Any = None, eps: float = 1e-5) -> Any:
    """PyTorch's ``F.layer_norm``: ``input`` normalised over its trailing
    ``normalized_shape`` axes, then scaled by ``weight`` and shifted by ``bias`` (each of
    shape ``normalized_shape``) where given."""
    axes = trailing_axes("layer_norm", input, normalized_shape)
    result = normalize_axes(input, axes, number("layer_norm", "eps", eps))
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
