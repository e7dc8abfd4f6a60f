"""Max and average pooling of ``(B, C, H, W)`` images: ``maxpool2d`` and ``avgpool2d``.

Max pooling whose windows tile the input (stride == kernel, no padding) is two passes of
run maxima, along the rows then the columns, whose 2x2 gradient routing has a CUDA kernel;
other pooling goes one kernel offset at a time. Every backward rule is itself a primitive
with its own VJP (pooling's scatters and gathers are adjoint pairs), so second derivatives
work through all of them.
"""

from __future__ import annotations

import math
from typing import Any, cast

from mushin import _backend
from mushin import _typing as typed
from mushin._backend import Array
from mushin._check import shape_of
from mushin._graph import Primitive
from mushin._tensor import Constant, apply, unwrap
from mushin.kernels import cuda
from mushin.nn.functional.shape import pad
from mushin.nn.functional.window import (
    Pair,
    check_image,
    kernel_offsets,
    output_size,
    padded,
    pair,
)
from mushin.ops.shape import reshape

_NO_DILATION: Pair = (1, 1)  # pooling windows are contiguous

# --- tiling max pooling: run maxima -----------------------------------------------------------

# Max pooling whose windows tile the input (stride == kernel, no padding: the usual 2x2) is
# two primitives: the maximum of each run of kw pixels along the rows, then of each run of kh
# of those along the columns. Each pass reads its input through ``size`` strided slices whose
# inner loops run along whole image rows, where one reduction over the two small window axes
# would run one tiny inner loop per window; and each saves its output, so the backward pass
# routes the gradient with comparisons only, never recomputing a maximum. The first maximum
# of the first row that holds a window's maximum is the window's first maximum in row-major
# order, the one PyTorch picks.

def _runs(x: Array, axis: int, size: int) -> list[Array]:
    """The ``size`` strided views of ``x`` that take every ``size``-th element along ``axis``
    from offsets 0 to ``size - 1``: view ``j`` holds the ``j``-th element of each run of
    ``size`` (an incomplete run at the end is left out)."""
    count = x.shape[axis] // size
    lead = (slice(None),) * axis
    return [x[(*lead, slice(offset, count * size, size))] for offset in range(size)]


def _maximum_of(xp: Any, arrays: list[Array]) -> Array:
    """The element-wise maximum of ``arrays``, in a fresh array."""
    if len(arrays) == 1:
        return arrays[0].copy()
    result = xp.maximum(arrays[0], arrays[1])
    for array in arrays[2:]:
        xp.maximum(result, array, out=result)
    return result


def _first_hits(xp: Any, candidates: list[Array], best: Array) -> list[Array]:
    """For each of ``candidates`` in order, a mask of where it is the first to equal ``best``;
    the last one takes every place the others left, so each place has exactly one hit."""
    if len(candidates) == 1:
        return [xp.ones(best.shape, dtype=bool)]
    hits: list[Array] = []
    taken: Array = None
    for index, values in enumerate(candidates):
        if taken is None:
            hit = taken = values == best
        elif index == len(candidates) - 1:
            hit = ~taken
        else:
            hit = (values == best) & ~taken
            taken = taken | hit
        hits.append(hit)
    return hits


def _scatter_target(xp: Any, grad: Array, x: Array, axis: int, size: int) -> Array:
    """The result of a run-max scatter before its runs are written: ``x``'s shape and memory
    layout in ``grad``'s dtype, zero past the last complete run."""
    result = xp.empty_like(x, dtype=grad.dtype)
    end = x.shape[axis] // size * size
    if end < x.shape[axis]:
        result[(slice(None),) * axis + (slice(end, None),)] = 0
    return result


def _run_max_scatter_forward(xp: Any, grad: Array, x: Array, best: Array, axis: int,
                             size: int) -> Array:
    """The gradient of ``RUN_MAX``: each run's ``grad`` onto the run's first maximum in
    ``x`` (``best`` holds the maxima), written straight into the strided slots of the result
    as products by the masks (no ``where``: NumPy's branches on every element)."""
    result = _scatter_target(xp, grad, x, axis, size)
    slots, candidates = _runs(result, axis, size), _runs(x, axis, size)
    if size == 2 and axis == x.ndim - 1:
        # Pairs along the rows: the first is the first maximum where it is at least the
        # second (as with ``_first_hits``, a NaN maximum goes to the second), and the second
        # slot takes the rest of the gradient, grad - 0 or grad - grad exactly: a quarter
        # faster than two masks and two products over these stride-2 slots (along the
        # columns, whose slots are whole rows, the masks are faster).
        xp.multiply(grad, candidates[0] >= candidates[1], out=slots[0])
        xp.subtract(grad, slots[0], out=slots[1])
        return result
    for slot, hit in zip(slots, _first_hits(xp, candidates, best), strict=True):
        xp.multiply(grad, hit, out=slot)
    return result


def _run_max_scatter_cuda(xp: Any, grad: Array, x: Array, best: Array, axis: int,
                          size: int) -> Any:
    """Pairs (the 2x2 pool's runs) along any axis: the pairs' rule above in one kernel."""
    candidates = _runs(x, axis, size)
    if size != 2 or not cuda.fusable(grad, *candidates):
        return NotImplemented
    result = _scatter_target(xp, grad, x, axis, size)
    slots = _runs(result, axis, size)
    _pair_max_scatter(grad, candidates[0], candidates[1], slots[0], slots[1])
    return result


def _pair_max_scatter(grad: Array, first: Array, second: Array, first_slot: Array,
                      second_slot: Array) -> None:
    """The gradient of ``maximum(first, second)``, which the first of a pair takes where it
    is at least the second: ``grad`` into ``first_slot`` there, the rest into
    ``second_slot`` (``grad - 0`` or ``grad - grad`` exactly, as the portable path)."""
    kernel = cuda.elementwise(cuda.xp_of(grad), "T g, U a, U b", "T s0, T s1",
                              "T picked = g * (T)(a >= b); s0 = picked; s1 = g - picked;",
                              "mushin_pair_max_scatter")
    kernel(grad, first, second, first_slot, second_slot)


def _run_max_gather_forward(xp: Any, values: Array, x: Array, best: Array, axis: int,
                            size: int) -> Array:
    """The adjoint of ``_run_max_scatter_forward``: each run's element of ``values`` at the
    run's first maximum in ``x``."""
    result: Array = None
    for part, hit in zip(_runs(values, axis, size),
                         _first_hits(xp, _runs(x, axis, size), best), strict=True):
        result = part * hit if result is None else result + part * hit
    return result


# The routing follows ``x`` and its run maxima, operands without a gradient (the maxima's
# positions are piecewise constant): scatter and gather are each other's VJP.
RUN_MAX = Primitive(
    "run_max", lambda xp, x, axis, size: _maximum_of(xp, _runs(x, axis, size)),
    lambda F, g, inputs, out, parents, axis, size: (
        F.run_max_scatter(g, inputs[0], out, axis=axis, size=size),), saves="both")
RUN_MAX_SCATTER = Primitive(
    "run_max_scatter", _run_max_scatter_forward,
    lambda F, g, inputs, out, parents, axis, size: (
        F.run_max_gather(g, inputs[1], inputs[2], axis=axis, size=size), None, None),
    cuda_forward=_run_max_scatter_cuda)
RUN_MAX_GATHER = Primitive(
    "run_max_gather", _run_max_gather_forward,
    lambda F, g, inputs, out, parents, axis, size: (
        F.run_max_scatter(g, inputs[1], inputs[2], axis=axis, size=size), None, None))


# --- any window: one kernel offset at a time --------------------------------------------------

def _maxpool_forward(xp: Any, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array:
    out_size = output_size("maxpool2d", tuple(x.shape), kernel, stride, padding, _NO_DILATION)
    source = padded(xp, x, padding, -math.inf)
    result: Array = None
    for _, _, window in kernel_offsets(kernel, stride, _NO_DILATION, out_size):
        result = source[window].copy() if result is None else xp.maximum(result, source[window])
    return result


def _argmax_offsets(xp: Any, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array:
    """The kernel offset (``i * kw + j``) of each window's maximum, the first one at ties."""
    out_size = output_size("maxpool2d", tuple(x.shape), kernel, stride, padding, _NO_DILATION)
    source = padded(xp, x, padding, -math.inf)
    best: Array = None
    chosen: Array = None
    for row, column, window in kernel_offsets(kernel, stride, _NO_DILATION, out_size):
        values = source[window]
        if best is None:
            best = values
            chosen = xp.zeros(values.shape, dtype=xp.int32)
            continue
        better = values > best
        best = xp.where(better, values, best)
        chosen = xp.where(better, row * kernel[1] + column, chosen)
    return chosen


def _pool_scatter_forward(xp: Any, grad: Array, offsets: Array | None,
                          input_shape: tuple[int, ...], kernel: Pair, stride: Pair,
                          padding: Pair) -> Array:
    """Each window's gradient back onto the input: to its argmax (``offsets``, max pooling)
    or spread evenly over the window (``offsets`` None, average pooling)."""
    if offsets is None:
        grad = grad * (1.0 / (kernel[0] * kernel[1]))
    batch, channels, height, width = input_shape
    result = xp.zeros((batch, channels, height + 2 * padding[0], width + 2 * padding[1]),
                      dtype=grad.dtype)
    for row, column, window in kernel_offsets(kernel, stride, _NO_DILATION, grad.shape[2:]):
        if offsets is None:
            result[window] += grad
        else:
            result[window] += xp.where(offsets == row * kernel[1] + column, grad, 0)
    return result[..., padding[0]:padding[0] + height, padding[1]:padding[1] + width]


def _pool_gather_forward(xp: Any, x: Array, offsets: Array | None, kernel: Pair, stride: Pair,
                         padding: Pair) -> Array:
    """Each window's value at its argmax (``offsets``), or its mean (``offsets`` None): the
    adjoint of ``_pool_scatter_forward``, and average pooling itself."""
    out_size = output_size("pool2d", tuple(x.shape), kernel, stride, padding, _NO_DILATION)
    source = padded(xp, x, padding)
    result: Array = None
    for row, column, window in kernel_offsets(kernel, stride, _NO_DILATION, out_size):
        values = source[window]
        if offsets is not None:
            values = xp.where(offsets == row * kernel[1] + column, values, 0)
        result = values.copy() if result is None else result + values
    if offsets is None:
        result = result * (1.0 / (kernel[0] * kernel[1]))
    return result


def _maxpool_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, kernel: Pair,
                 stride: Pair, padding: Pair) -> tuple[Any]:
    x = F.unwrap(inputs[0])
    offsets = _argmax_offsets(_backend.namespace_of(x), x, kernel, stride, padding)
    return (F.pool2d_scatter(g, offsets=offsets, input_shape=parents[0].shape, kernel=kernel,
                             stride=stride, padding=padding),)


MAXPOOL2D = Primitive("maxpool2d", _maxpool_forward, _maxpool_vjp)
POOL2D_SCATTER = Primitive(
    "pool2d_scatter", _pool_scatter_forward,
    lambda F, g, inputs, out, parents, offsets, input_shape, kernel, stride, padding: (
        F.pool2d_gather(g, offsets=offsets, kernel=kernel, stride=stride, padding=padding),),
    saves="none")
POOL2D_GATHER = Primitive(
    "pool2d_gather", _pool_gather_forward,
    lambda F, g, inputs, out, parents, offsets, kernel, stride, padding: (
        F.pool2d_scatter(g, offsets=offsets, input_shape=parents[0].shape, kernel=kernel,
                         stride=stride, padding=padding),),
    saves="none")


# --- the public functions ---------------------------------------------------------------------

def _pool_arguments(name: str, x: Any, kernel: Any, stride: Any, padding: Any) -> dict[
        str, Pair]:
    shape = shape_of(x)
    check_image(name, shape)
    kernel_pair = pair(name, "kernel", kernel, 1)
    stride_pair = kernel_pair if stride is None else pair(name, "stride", stride, 1)
    padding_pair = pair(name, "padding", padding, 0)
    if padding_pair[0] * 2 > kernel_pair[0] or padding_pair[1] * 2 > kernel_pair[1]:
        raise ValueError(f"{name}: padding {padding_pair} must be at most half the kernel "
                         f"size {kernel_pair}")
    output_size(name, shape, kernel_pair, stride_pair, padding_pair, _NO_DILATION)
    return {"kernel": kernel_pair, "stride": stride_pair, "padding": padding_pair}


@typed.pool_function
def maxpool2d(x: Any, kernel: int | Pair, stride: int | Pair | None = None,
              padding: int | Pair = 0) -> Any:
    """The maximum of each ``kernel`` window of ``x`` ``(B, C, H, W)``, windows ``stride``
    apart (``kernel`` by default) over the input padded with -inf; the gradient goes to
    each window's (first) maximum."""
    arguments = _pool_arguments("maxpool2d", x, kernel, stride, padding)
    kernel_pair = arguments["kernel"]
    if arguments["stride"] == kernel_pair and arguments["padding"] == (0, 0):
        # Tiling windows: the maxima of runs along the rows, then along the columns.
        rows = apply(RUN_MAX, x, axis=3, size=kernel_pair[1])
        return apply(RUN_MAX, rows, axis=2, size=kernel_pair[0])
    return apply(MAXPOOL2D, x, **arguments)


@typed.pool_function
def avgpool2d(x: Any, kernel: int | Pair, stride: int | Pair | None = None,
              padding: int | Pair = 0) -> Any:
    """The mean of each ``kernel`` window of ``x`` ``(B, C, H, W)``, windows ``stride``
    apart (``kernel`` by default); zero padding counts in the mean (PyTorch's default)."""
    return apply(POOL2D_GATHER, x, offsets=None,
                 **_pool_arguments("avgpool2d", x, kernel, stride, padding))


# --- PyTorch's names and arguments ------------------------------------------------------------

def _batched(name: str, x: Any) -> tuple[Any, bool]:
    """``x`` as ``(B, C, H, W)``: an unbatched ``(C, H, W)`` image gains a batch axis of 1
    (the flag says so, for ``_unbatched``)."""
    shape = shape_of(x)
    if len(shape) == 3:
        return reshape(x, (1, *shape)), True
    check_image(name, shape)
    return x, False


def _unbatched(result: Any, added: bool) -> Any:
    return reshape(result, shape_of(result)[1:]) if added else result


def _torch_stride(stride: Any) -> Any:
    """PyTorch's ``stride``: ``None`` or an empty sequence both mean the kernel size."""
    return None if stride is None or stride == () or stride == [] else _torch_pair(stride)


def _torch_pair(value: Any) -> Any:
    """PyTorch's sizes: a one-element sequence stands for both axes."""
    items: list[Any] = (list(cast("tuple[Any, ...]", value))
                        if isinstance(value, (tuple, list)) else [])
    return items[0] if len(items) == 1 else cast("Any", value)


def _ceil_extra(name: str, x: Any, kernel_size: Any, stride: Any, padding: Any) -> Pair:
    """The rows and columns ``ceil_mode`` adds after the bottom and right padding: PyTorch's
    output size rounds up, but a last window must start inside the input or its left
    padding."""
    arguments = _pool_arguments(name, x, kernel_size, stride, padding)
    shape = shape_of(x)
    extra: list[int] = []
    for axis in (0, 1):
        size, kernel = shape[2 + axis], arguments["kernel"][axis]
        step, margin = arguments["stride"][axis], arguments["padding"][axis]
        count = -(-(size + 2 * margin - kernel) // step) + 1
        if (count - 1) * step >= size + margin:
            count -= 1
        extra.append(max(0, (count - 1) * step + kernel - (size + 2 * margin)))
    return extra[0], extra[1]


def max_pool2d(input: Any, kernel_size: int | Pair, stride: int | Pair | None = None,
               padding: int | Pair = 0, dilation: int | Pair = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool2d`` over ``maxpool2d``: ``(B, C, H, W)`` or ``(C, H, W)``.
    ``dilation`` other than 1, ``ceil_mode`` and ``return_indices`` are refused."""
    if pair("max_pool2d", "dilation", _torch_pair(dilation), 1) != _NO_DILATION:
        raise NotImplementedError(f"max_pool2d: dilation {dilation!r} is not supported (only 1)")
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    x, added = _batched("max_pool2d", input)
    kernel_size, padding = _torch_pair(kernel_size), _torch_pair(padding)
    stride = _torch_stride(stride)
    if ceil_mode:
        extra = _ceil_extra("max_pool2d", x, kernel_size, stride, padding)
        if extra != (0, 0):
            margin = pair("max_pool2d", "padding", padding, 0)
            x = pad(x, (margin[1], margin[1] + extra[1], margin[0], margin[0] + extra[0]),
                    value=-math.inf)
            padding = 0
    return _unbatched(maxpool2d(x, kernel_size, stride, padding), added)


def avg_pool2d(input: Any, kernel_size: int | Pair, stride: int | Pair | None = None,
               padding: int | Pair = 0, ceil_mode: bool = False,
               count_include_pad: bool = True, divisor_override: int | None = None) -> Any:
    """PyTorch's ``F.avg_pool2d`` over ``avgpool2d``: ``(B, C, H, W)`` or ``(C, H, W)``.
    ``count_include_pad=False`` divides each window's sum by its count of input pixels,
    ``divisor_override`` by that number; ``ceil_mode`` is refused."""
    if divisor_override is not None and (isinstance(divisor_override, bool)
                                         or not isinstance(divisor_override, int)
                                         or divisor_override == 0):
        raise ValueError(f"avg_pool2d: divisor_override must be a non-zero int, got "
                         f"{divisor_override!r}")
    x, added = _batched("avg_pool2d", input)
    kernel_size, padding = _torch_pair(kernel_size), _torch_pair(padding)
    stride = _torch_stride(stride)
    if ceil_mode:
        extra = _ceil_extra("avg_pool2d", x, kernel_size, stride, padding)
        if extra != (0, 0):
            return _unbatched(_avg_pool2d_ceil(x, kernel_size, stride, padding, extra,
                                               count_include_pad, divisor_override), added)
    result = avgpool2d(x, kernel_size, stride, padding)
    kernel = pair("avg_pool2d", "kernel_size", kernel_size, 1)
    if divisor_override is not None:
        result = result * (kernel[0] * kernel[1] / divisor_override)
    elif not count_include_pad and pair("avg_pool2d", "padding", padding, 0) != (0, 0):
        shape = shape_of(x)
        array = unwrap(x)
        ones = Constant(_backend.namespace_of(array).ones((1, 1, shape[2], shape[3]),
                                                          dtype=array.dtype))
        result = result / avgpool2d(ones, kernel_size, stride, padding)
    return _unbatched(result, added)


def _avg_pool2d_ceil(x: Any, kernel_size: Any, stride: Any, padding: Any, extra: Pair,
                     count_include_pad: bool, divisor_override: int | None) -> Any:
    """``avg_pool2d`` with ``ceil_mode`` windows that reach past the padding: the windows'
    sums over ``x`` padded with zeros, divided as PyTorch does (the window clipped to the
    padded input, or its input pixels, or ``divisor_override``)."""
    margin = pair("avg_pool2d", "padding", padding, 0)
    kernel = pair("avg_pool2d", "kernel_size", kernel_size, 1)
    widths = (margin[1], margin[1] + extra[1], margin[0], margin[0] + extra[0])
    sums = avgpool2d(pad(x, widths), kernel_size, stride, 0)
    if divisor_override is not None:
        return sums * (kernel[0] * kernel[1] / divisor_override)
    shape = shape_of(x)
    array = unwrap(x)
    xp = _backend.namespace_of(array)
    counted = xp.zeros((1, 1, shape[2] + 2 * margin[0] + extra[0],
                        shape[3] + 2 * margin[1] + extra[1]), dtype=array.dtype)
    if count_include_pad:
        counted[..., :shape[2] + 2 * margin[0], :shape[3] + 2 * margin[1]] = 1
    else:
        counted[..., margin[0]:margin[0] + shape[2], margin[1]:margin[1] + shape[3]] = 1
    return sums / avgpool2d(Constant(counted), kernel_size, stride, 0)
