"""Pooling, the crate's ``maxpool2d`` and ``avgpool2d`` on ``(B, C, H, W)`` images and
PyTorch's functions on signals and images, batched or not: ``max_pool1d/2d`` (``dilation``,
``ceil_mode``, ``return_indices``), ``avg_pool1d/2d`` (``ceil_mode``, ``count_include_pad``,
``divisor_override``), ``lp_pool1d/2d`` and the adaptive pools ``adaptive_avg_pool1d/2d`` and
``adaptive_max_pool1d/2d``.

Everything runs on ``(B, C, H, W)``: a 1-d signal ``(B, C, L)`` is an image of height 1, an
unbatched input a batch of one. Max pooling whose windows tile the input (stride == kernel, no
padding, no dilation) is two passes of run maxima, along the rows then the columns, whose 2x2
gradient routing has a CUDA kernel (and, with its pair maxima, CPU kernels); other windows go
one kernel offset at a time, over the input padded on each side (``ceil_mode`` adds rows and
columns after the padding, so that a last partial window exists). Average pooling divides
each window's sum by its size, which PyTorch's rules make differ from window to window at the
borders. Every backward rule is itself a primitive with its own VJP (pooling's scatters and
gathers are adjoint pairs), so second derivatives work through all of them.

The adaptive pools' windows run from ``floor(i * L / out)`` to ``ceil((i + 1) * L / out)``:
where ``out`` divides ``L`` they tile, and are a plain pooling; otherwise the average is the
``area`` resampling of ``resample.py`` and the maximum a gather at each window's first
maximum (``plane_take``, whose adjoint adds back with one ``bincount``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple, cast

import numpy as np

from mushin import _backend
from mushin import _typing as typed
from mushin._backend import Array
from mushin._check import INT64_MAX, is_int, is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._tensor import apply, new_constant, unwrap
from mushin.errors import ShapeError
from mushin.kernels import cpu, cuda
from mushin.nn.functional.resample import adaptive_windows, average_taps, resample
from mushin.nn.functional.window import Pair, check_image, ints, kernel_offsets, output_size, pair
from mushin.ops.elementwise import abs as absolute
from mushin.ops.elementwise import pow as power
from mushin.ops.elementwise import where
from mushin.ops.reduce import mean
from mushin.ops.shape import reshape

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


# On NumPy (float32, float64) the pairs of a 2x2 pool run as kernels: the maximum of each pair
# in one pass, and its gradient written straight into both slots of the result in one pass,
# where NumPy makes a mask, a product and a difference over stride-2 slots (measured on the
# cnn benchmark's pools, see benchmarks/README.md).


@cpu.kernel
def _pair_max_kernel(x: Array, out: Array, axis: int) -> None:
    # NaN wins, as in NumPy's maximum
    for image in range(out.shape[0]):
        for channel in range(out.shape[1]):
            for row in range(out.shape[2]):
                for column in range(out.shape[3]):
                    if axis == 3:
                        first = x[image, channel, row, 2 * column]
                        second = x[image, channel, row, 2 * column + 1]
                    else:
                        first = x[image, channel, 2 * row, column]
                        second = x[image, channel, 2 * row + 1, column]
                    out[image, channel, row, column] = (
                        first if first >= second or first != first else second)


@cpu.kernel
def _pair_scatter_kernel(x: Array, grad: Array, best: Array, result: Array, axis: int) -> None:
    # the portable rules exactly: along the rows the first slot takes g * (a >= b) and the
    # second the rest; along the columns each takes g times whether it is the first maximum
    for image in range(grad.shape[0]):
        for channel in range(grad.shape[1]):
            for row in range(grad.shape[2]):
                for column in range(grad.shape[3]):
                    g = grad[image, channel, row, column]
                    if axis == 3:
                        picked = g * (x[image, channel, row, 2 * column]
                                      >= x[image, channel, row, 2 * column + 1])
                        result[image, channel, row, 2 * column] = picked
                        result[image, channel, row, 2 * column + 1] = g - picked
                    else:
                        hit = x[image, channel, 2 * row, column] == best[image, channel, row,
                                                                         column]
                        result[image, channel, 2 * row, column] = g * hit
                        result[image, channel, 2 * row + 1, column] = g * (not hit)


def _pairs_fuse(axis: int, size: int, *arrays: Array) -> bool:
    """Whether the pair kernels take a run pass: pairs along the last two axes of float32 or
    float64 NumPy images of one dtype."""
    return (size == 2 and axis in (2, 3) and arrays[0].ndim == 4
            and all(cpu.fusable(array) and array.dtype == arrays[0].dtype
                    for array in arrays))


def _channel_major(x: Array) -> bool:
    """Whether ``x`` ``(B, C, H, W)`` lies channel after channel in memory, as a
    convolution's output (and what follows it) does."""
    return bool(x.strides[1] > x.strides[0])


def _in_memory_order(*arrays: Array) -> list[Array]:
    """``arrays`` (images like ``x``, the first) with the batch and channel axes swapped
    where ``x`` is channel-major: the pair kernels then run along ``x``'s memory, three
    times faster than across it (0.15 against 0.54 ms for the maxima of the cnn benchmark's
    first activation, channel-major)."""
    if not _channel_major(arrays[0]):
        return list(arrays)
    return [array.swapaxes(0, 1) for array in arrays]


def _run_max_cpu(xp: Any, x: Array, axis: int, size: int) -> Any:
    if not _pairs_fuse(axis, size, x):
        return NotImplemented
    shape = list(x.shape)
    shape[axis] //= 2
    if _channel_major(x):  # the result keeps x's layout, for the next pass
        out = xp.empty((shape[1], shape[0], *shape[2:]), dtype=x.dtype).swapaxes(0, 1)
    else:
        out = xp.empty(shape, dtype=x.dtype)
    _pair_max_kernel(*_in_memory_order(x, out), axis)
    return out


def _run_max_scatter_cpu(xp: Any, grad: Array, x: Array, best: Array, axis: int,
                         size: int) -> Any:
    if not _pairs_fuse(axis, size, grad, x, best):
        return NotImplemented
    result = _scatter_target(xp, grad, x, axis, size)  # x's layout
    _pair_scatter_kernel(*_in_memory_order(x, grad, best, result), axis)
    return result


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
        F.run_max_scatter(g, inputs[0], out, axis=axis, size=size),), saves="both",
    cpu_forward=_run_max_cpu)
RUN_MAX_SCATTER = Primitive(
    "run_max_scatter", _run_max_scatter_forward,
    lambda F, g, inputs, out, parents, axis, size: (
        F.run_max_gather(g, inputs[1], inputs[2], axis=axis, size=size), None, None),
    cuda_forward=_run_max_scatter_cuda, cpu_forward=_run_max_scatter_cpu)
RUN_MAX_GATHER = Primitive(
    "run_max_gather", _run_max_gather_forward,
    lambda F, g, inputs, out, parents, axis, size: (
        F.run_max_scatter(g, inputs[1], inputs[2], axis=axis, size=size), None, None))


# --- any window: one kernel offset at a time --------------------------------------------------

Margins = tuple[Pair, Pair]
"""The rows of padding above and below an image and its columns left and right of it:
``((top, bottom), (left, right))``."""

_NO_MARGINS: Margins = ((0, 0), (0, 0))


class Window(NamedTuple):
    """The windows of a pooling of ``(B, C, H, W)`` images: their (height, width) ``kernel``,
    ``stride`` and ``dilation``, the ``margins`` padded around the input (the bottom and
    right ones with the rows and columns ``ceil_mode`` adds) and the output's (height,
    width)."""

    kernel: Pair
    stride: Pair
    dilation: Pair
    margins: Margins
    out_size: Pair


Divisor = int | tuple[tuple[int, ...], tuple[int, ...]]
"""What average pooling divides each window's sum by: one number, or the size of each row of
windows and of each column of windows (a window's size is the product of its two)."""


def _margined(xp: Any, x: Array, margins: Margins, value: float = 0.0) -> Array:
    """``x`` padded with ``value`` by ``margins`` (``x`` itself where there are none)."""
    if margins == _NO_MARGINS:
        return x
    return xp.pad(x, ((0, 0), (0, 0), *margins), constant_values=value)


def _views(window: Window) -> Iterator[tuple[int, int, tuple[Any, ...]]]:
    """For each kernel offset (i, j): the strided slice of the padded input it sees."""
    return kernel_offsets(window.kernel, window.stride, window.dilation, window.out_size)


def _divisors(xp: Any, divisor: Divisor, dtype: Any) -> Any:
    """The divisor of each window's sum: a number, or the ``(Ho, Wo)`` array of the windows'
    sizes."""
    if isinstance(divisor, int):
        return divisor
    rows, columns = divisor
    return xp.asarray(np.outer(rows, columns), dtype=dtype)


def _maxpool_forward(xp: Any, x: Array, window: Window) -> Array:
    source = _margined(xp, x, window.margins, -math.inf)
    result: Array = None
    for _, _, view in _views(window):
        if result is None:
            result = source[view].copy()
        else:
            xp.maximum(result, source[view], out=result)
    return result


def _argmax_offsets(xp: Any, x: Array, window: Window) -> Array:
    """The kernel offset (``i * kw + j``) of each window's maximum, the first one at ties."""
    source = _margined(xp, x, window.margins, -math.inf)
    best: Array = None
    chosen: Array = None
    for row, column, view in _views(window):
        values = source[view]
        if best is None:
            best = values
            chosen = xp.zeros(values.shape, dtype=xp.int32)
            continue
        better = values > best
        best = xp.where(better, values, best)
        chosen = xp.where(better, row * window.kernel[1] + column, chosen)
    return chosen


def _pool_scatter_forward(xp: Any, grad: Array, offsets: Array | None,
                          input_shape: tuple[int, ...], window: Window,
                          divisor: Divisor | None) -> Array:
    """Each window's gradient back onto the input: to its argmax (``offsets``, max pooling)
    or onto each of its elements (``offsets`` None, average pooling), divided by ``divisor``
    if given."""
    if divisor is not None:
        grad = grad / _divisors(xp, divisor, grad.dtype)
    batch, channels, height, width = input_shape
    (top, bottom), (left, right) = window.margins
    result = xp.zeros((batch, channels, height + top + bottom, width + left + right),
                      dtype=grad.dtype)
    for row, column, view in _views(window):
        if offsets is None:
            result[view] += grad
        else:
            result[view] += xp.where(offsets == row * window.kernel[1] + column, grad, 0)
    return result[..., top:top + height, left:left + width]


def _pool_gather_forward(xp: Any, x: Array, offsets: Array | None, window: Window,
                         divisor: Divisor | None) -> Array:
    """Each window's value at its argmax (``offsets``), or its sum (``offsets`` None), divided
    by ``divisor`` if given: the adjoint of ``_pool_scatter_forward``, and average pooling
    itself."""
    source = _margined(xp, x, window.margins)
    result: Array = None
    for row, column, view in _views(window):
        values = source[view]
        if offsets is not None:
            values = xp.where(offsets == row * window.kernel[1] + column, values, 0)
        if result is None:
            result = values if offsets is not None else values.copy()
        else:
            result += values
    if divisor is not None:
        result /= _divisors(xp, divisor, result.dtype)
    return result


def _maxpool_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                 window: Window) -> tuple[Any]:
    x = F.unwrap(inputs[0])
    offsets = _argmax_offsets(_backend.namespace_of(x), x, window)
    return (F.pool2d_scatter(g, offsets=offsets, input_shape=parents[0].shape, window=window,
                             divisor=None),)


MAXPOOL2D = Primitive("maxpool2d", _maxpool_forward, _maxpool_vjp)
POOL2D_SCATTER = Primitive(
    "pool2d_scatter", _pool_scatter_forward,
    lambda F, g, inputs, out, parents, offsets, input_shape, window, divisor: (
        F.pool2d_gather(g, offsets=offsets, window=window, divisor=divisor),),
    saves="none")
POOL2D_GATHER = Primitive(
    "pool2d_gather", _pool_gather_forward,
    lambda F, g, inputs, out, parents, offsets, window, divisor: (
        F.pool2d_scatter(g, offsets=offsets, input_shape=parents[0].shape, window=window,
                         divisor=divisor),),
    saves="none")


def _max_pool(x: Any, window: Window) -> Any:
    """The maximum of each window of ``x`` ``(B, C, H, W)``: run maxima along the rows, then
    the columns, where the windows tile the input (a pass of size 1 is left out)."""
    kernel = window.kernel
    if window.stride != kernel or window.dilation != (1, 1) or window.margins != _NO_MARGINS:
        return apply(MAXPOOL2D, x, window=window)
    rows = apply(RUN_MAX, x, axis=3, size=kernel[1]) if kernel[1] > 1 or kernel[0] == 1 else x
    return apply(RUN_MAX, rows, axis=2, size=kernel[0]) if kernel[0] > 1 else rows


def _indices(x: Any, window: Window) -> Any:
    """PyTorch's ``return_indices``: the position ``h * W + w`` in its ``(H, W)`` plane of
    each window's first maximum, a ``Constant`` of int64."""
    array = unwrap(x)
    xp = _backend.namespace_of(array)
    offsets = _argmax_offsets(xp, array, window)
    (_, kernel_width), (row_step, column_step) = window.kernel, window.stride
    (row_spread, column_spread), ((top, _), (left, _)) = window.dilation, window.margins
    rows = ((xp.arange(window.out_size[0]) * row_step - top).reshape(-1, 1)
            + offsets // kernel_width * row_spread)
    columns = (xp.arange(window.out_size[1]) * column_step - left
               + offsets % kernel_width * column_spread)
    return new_constant((rows * array.shape[3] + columns).astype(xp.int64))


# --- gathering at chosen positions: the adaptive maximum ---------------------------------------

def _plane_take_forward(xp: Any, x: Array, index: Array) -> Array:
    """``x``'s element at ``index`` in each ``(H, W)`` plane, a flat position ``h * W + w``;
    ``index`` (an int64 array) has ``x``'s leading axes and the result's last two."""
    planes = x.reshape(*x.shape[:-2], -1)
    taken = xp.take_along_axis(planes, index.reshape(*index.shape[:-2], -1), axis=-1)
    return taken.reshape(index.shape)


def _plane_put_forward(xp: Any, values: Array, index: Array, shape: tuple[int, ...]) -> Array:
    """The adjoint of ``_plane_take_forward``: zeros of ``shape`` with each of ``values``
    added at its position, by one ``bincount``."""
    size, count = shape[-2] * shape[-1], math.prod(shape[:-2])
    starts = xp.arange(count).reshape(*shape[:-2], 1, 1) * size
    sums = xp.bincount((index + starts).ravel(), weights=values.ravel(),
                       minlength=count * size)
    return sums.astype(values.dtype, copy=False).reshape(shape)


# The positions are parameters, not operands (they have no gradient): take and put are each
# other's VJP and need nothing saved.
PLANE_TAKE = Primitive(
    "plane_take", _plane_take_forward,
    lambda F, g, inputs, out, parents, index: (
        F.plane_put(g, index=index, shape=parents[0].shape),),
    saves="none")
PLANE_PUT = Primitive(
    "plane_put", _plane_put_forward,
    lambda F, g, inputs, out, parents, index, shape: (F.plane_take(g, index=index),),
    saves="none")


def _adaptive_argmax(xp: Any, x: Array, out_size: Pair) -> Array:
    """The position ``h * W + w`` of the first maximum (in row-major order, as PyTorch picks
    it) of each adaptive window of ``x`` ``(B, C, H, W)``."""
    batch, channels, height, width = x.shape
    rows = xp.asarray(adaptive_windows(height, out_size[0])[0])  # (Kh, Ho)
    columns = xp.asarray(adaptive_windows(width, out_size[1])[0])  # (Kw, Wo)
    # (B, C, Kh, Ho, Kw, Wo): a window's repeated last row or column comes after the element
    # it repeats, so the first maximum is one of the window's own.
    windows = x[:, :, rows[:, :, None, None], columns[None, None, :, :]]
    spans = rows.shape[0], columns.shape[0]
    flat = windows.transpose(0, 1, 3, 5, 2, 4).reshape(batch, channels, *out_size,
                                                       spans[0] * spans[1])
    best = flat.argmax(axis=-1)
    picked_rows = rows[best // spans[1], xp.arange(out_size[0]).reshape(-1, 1)]
    picked_columns = columns[best % spans[1], xp.arange(out_size[1])]
    return (picked_rows * width + picked_columns).astype(xp.int64)


# --- the crate's functions --------------------------------------------------------------------

def _crate_window(name: str, x: Any, kernel: Any, stride: Any, padding: Any) -> Window:
    """The windows of ``maxpool2d`` and ``avgpool2d``: pairs or ints, padding at most half the
    kernel, no dilation."""
    shape = shape_of(x)
    check_image(name, shape)
    kernel_pair = pair(name, "kernel", kernel, 1)
    stride_pair = kernel_pair if stride is None else pair(name, "stride", stride, 1)
    padding_pair = pair(name, "padding", padding, 0)
    if padding_pair[0] * 2 > kernel_pair[0] or padding_pair[1] * 2 > kernel_pair[1]:
        raise ValueError(f"{operation_name(name)}: padding {padding_pair} must be at most half the "
                         f"kernel size {kernel_pair}")
    out_size = output_size(name, shape, kernel_pair, stride_pair, padding_pair, (1, 1))
    margins = ((padding_pair[0], padding_pair[0]), (padding_pair[1], padding_pair[1]))
    return Window(kernel_pair, stride_pair, (1, 1), margins, out_size)


@typed.pool_function
def maxpool2d(x: Any, kernel: int | Pair, stride: int | Pair | None = None,
              padding: int | Pair = 0) -> Any:
    """The maximum of each ``kernel`` window of ``x`` ``(B, C, H, W)``, windows ``stride``
    apart (``kernel`` by default) over the input padded with -inf; the gradient goes to
    each window's (first) maximum."""
    return _max_pool(x, _crate_window("maxpool2d", x, kernel, stride, padding))


@typed.pool_function
def avgpool2d(x: Any, kernel: int | Pair, stride: int | Pair | None = None,
              padding: int | Pair = 0) -> Any:
    """The mean of each ``kernel`` window of ``x`` ``(B, C, H, W)``, windows ``stride``
    apart (``kernel`` by default); zero padding counts in the mean (PyTorch's default)."""
    window = _crate_window("avgpool2d", x, kernel, stride, padding)
    return apply(POOL2D_GATHER, x, offsets=None, window=window,
                 divisor=window.kernel[0] * window.kernel[1])


# --- PyTorch's functions: the arguments -------------------------------------------------------

_LAYOUTS = {1: "(B, C, L) or (C, L)", 2: "(B, C, H, W) or (C, H, W)",
            3: "(B, C, D, H, W) or (C, D, H, W)"}


def _check_layout(name: str, dims: int, shape: tuple[int, ...]) -> None:
    """``ShapeError`` unless ``shape`` is a batched or unbatched ``dims``-d input."""
    if len(shape) not in (dims + 1, dims + 2):
        raise ShapeError(f"{operation_name(name)}: expected an input of shape {_LAYOUTS[dims]}, "
                         f"got shape {shape}")


def _as_images(name: str, dims: int, input: Any) -> Any:
    """``input``, batched or not, as ``(B, C, H, W)``: an unbatched one gains a batch axis of
    1 and a signal ``(B, C, L)`` a height of 1."""
    shape = shape_of(input)
    _check_layout(name, dims, shape)
    split = len(shape) - dims
    images = (1,) * (dims + 2 - len(shape)) + shape[:split] + (1,) * (2 - dims) + shape[split:]
    return input if images == shape else reshape(input, images)


def _as_given(result: Any, shape: tuple[int, ...], dims: int) -> Any:
    """A result in the images' layout back in that of the input of ``shape``."""
    found = shape_of(result)
    wanted = (*shape[:len(shape) - dims], *found[4 - dims:])
    return result if wanted == found else reshape(result, wanted)


def _sizes(name: str, argument: str, value: Any, minimum: int, dims: int) -> tuple[int, ...]:
    """A size argument: an int or ``dims`` ints, each at least ``minimum`` (a one-element
    sequence stands for every axis, as PyTorch's ``_pair`` reads it)."""
    items = list(cast("Sequence[Any]", value)) if isinstance(value, tuple | list) else []
    given = items[0] if len(items) == 1 else cast("Any", value)
    return ints(name, argument, given, minimum, dims)


class _Axis(NamedTuple):
    """One spatial axis of a pooling's windows: their size, step and spread, the margins
    padded before and after it (after: with what ``ceil_mode`` adds) and the output's size."""

    kernel: int
    stride: int
    dilation: int
    margins: Pair
    out_size: int


def _axes(name: str, dims: int, shape: tuple[int, ...], kernel_size: Any, stride: Any,
          padding: Any, dilation: Any, ceil_mode: bool) -> list[_Axis]:
    """The windows along each of the last ``dims`` axes of an input of ``shape``, with
    PyTorch's checks and output sizes: with ``ceil_mode`` a last window may pass the end, if
    it starts inside the input or its left padding."""
    kernel = _sizes(name, "kernel_size", kernel_size, 1, dims)
    no_stride = stride is None or (isinstance(stride, tuple | list) and not stride)
    steps = kernel if no_stride else _sizes(name, "stride", stride, 1, dims)
    pads = _sizes(name, "padding", padding, 0, dims)
    spreads = _sizes(name, "dilation", dilation, 1, dims)
    reaches = tuple(spread * (size - 1) + 1 for spread, size in zip(spreads, kernel,
                                                                    strict=True))
    # PyTorch bounds the 1-d and 3-d pools' padding by half the kernel, the 2-d pools' by
    # half its reach
    limits = reaches if dims == 2 else kernel
    if any(2 * margin > limit for margin, limit in zip(pads, limits, strict=True)):
        what = "kernel size" if limits == kernel else "dilated kernel size"
        raise ValueError(f"{operation_name(name)}: padding {pads} must be at most half the {what} "
                         f"{limits}")
    axes: list[_Axis] = []
    for size, size_of_kernel, step, margin, spread, reach in zip(
            shape[-dims:], kernel, steps, pads, spreads, reaches, strict=True):
        count = (size + 2 * margin - reach + (step - 1 if ceil_mode else 0)) // step + 1
        if ceil_mode and (count - 1) * step >= size + margin:
            count -= 1
        end = margin + max(0, (count - 1) * step + reach - size - 2 * margin)
        axes.append(_Axis(size_of_kernel, step, spread, (margin, end), count))
    if min(axis.out_size for axis in axes) < 1:
        raise ShapeError(f"{operation_name(name)}: the input of shape {shape} is too small: with "
                         f"kernel_size {kernel}, stride {steps}, padding {pads} and dilation "
                         f"{spreads} the output would be {tuple(axis.out_size for axis in axes)}")
    return axes


def _window_of(rows: _Axis, columns: _Axis) -> Window:
    """The 2-D windows whose rows and columns are these."""
    return Window((rows.kernel, columns.kernel), (rows.stride, columns.stride),
                  (rows.dilation, columns.dilation), (rows.margins, columns.margins),
                  (rows.out_size, columns.out_size))


_UNIT_AXIS = _Axis(1, 1, 1, (0, 0), 1)


def _window(name: str, dims: int, shape: tuple[int, ...], kernel_size: Any, stride: Any,
            padding: Any, dilation: Any, ceil_mode: bool) -> Window:
    """The windows of a ``dims``-d pooling (1 or 2) of an input of ``shape`` as 2-D windows
    (a 1-d one's of height 1)."""
    axes = _axes(name, dims, shape, kernel_size, stride, padding, dilation, ceil_mode)
    return _window_of(_UNIT_AXIS if dims == 1 else axes[0], axes[-1])


def _divisor(name: str, images: tuple[int, ...], window: Window, count_include_pad: bool,
             divisor_override: Any) -> Divisor:
    """PyTorch's divisor of each window's sum: ``divisor_override``, else the window clipped
    to the padded input (``count_include_pad``) or to the input."""
    if divisor_override is not None:
        if not is_int(divisor_override) or divisor_override == 0:
            raise ValueError(f"{operation_name(name)}: divisor_override must be a non-zero int, "
                             f"got {divisor_override!r}")
        return int(divisor_override)
    sizes: list[tuple[int, ...]] = []
    for size, kernel, step, (margin, _), count in zip(
            images[2:], window.kernel, window.stride, window.margins, window.out_size,
            strict=True):
        starts = [index * step - margin for index in range(count)]
        ends = [min(start + kernel, size + margin) for start in starts]
        if not count_include_pad:
            starts, ends = [max(start, 0) for start in starts], [min(end, size) for end in ends]
        sizes.append(tuple(end - start for start, end in zip(starts, ends, strict=True)))
    if all(set(found) <= {kernel} for found, kernel in zip(sizes, window.kernel, strict=True)):
        return window.kernel[0] * window.kernel[1]
    return sizes[0], sizes[1]


def _max_pooling(name: str, dims: int, input: Any, kernel_size: Any, stride: Any,
                 padding: Any, dilation: Any, ceil_mode: bool, return_indices: bool) -> Any:
    if dims == 3:
        return _max_pooling3d(name, input, kernel_size, stride, padding, dilation, ceil_mode,
                              return_indices)
    shape = shape_of(input)
    x = _as_images(name, dims, input)
    window = _window(name, dims, shape, kernel_size, stride, padding, dilation, ceil_mode)
    result = _as_given(_max_pool(x, window), shape, dims)
    if return_indices:
        return result, _as_given(_indices(x, window), shape, dims)
    return result


def _avg_pooling(name: str, dims: int, input: Any, kernel_size: Any, stride: Any,
                 padding: Any, ceil_mode: bool, count_include_pad: bool,
                 divisor_override: Any) -> Any:
    if dims == 3:
        return _avg_pooling3d(name, input, kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override)
    shape = shape_of(input)
    x = _as_images(name, dims, input)
    window = _window(name, dims, shape, kernel_size, stride, padding, 1, ceil_mode)
    divisor = _divisor(name, shape_of(x), window, count_include_pad, divisor_override)
    return _as_given(apply(POOL2D_GATHER, x, offsets=None, window=window, divisor=divisor),
                     shape, dims)


# --- 3-d pooling: the planes, then the depth ----------------------------------------------------

# A 3-d pooling is two 2-D ones: over the (H, W) plane of each depth slice (the depth folded
# into the channels), then along the depth (the plane's outputs flattened into one axis, a
# window one wide). Both a window's maximum and PyTorch's divisors split so (a window's size
# is the product of its sizes along the axes), and the first maximum in the depth of the
# planes' first maxima is the window's first in (d, h, w) order, the one PyTorch picks; the
# gradients are the 2-D pools' own, second derivatives included.

def _volumes(name: str, input: Any) -> Any:
    """``input``, batched or not, as ``(B, C, D, H, W)``."""
    shape = shape_of(input)
    _check_layout(name, 3, shape)
    return input if len(shape) == 5 else reshape(input, (1, *shape))


def _planes_then_depth(x: Any, planes: Callable[[Any], Any], depth_size: int,
                       depth: Callable[[Any], Any]) -> tuple[Any, Any]:
    """``planes`` (a pooling of ``(B, C', H, W)``) over the planes of ``x`` ``(B, C, D, H, W)``,
    then ``depth`` (a pooling of ``(B, C, D, L)`` to ``depth_size`` along ``D``) over the
    depth: the planes' result ``(B, C, D, Ho * Wo)`` and the whole one ``(B, C, Do, Ho,
    Wo)``."""
    batch, channels, size, height, width = shape_of(x)
    flat = planes(reshape(x, (batch, channels * size, height, width)))
    out_height, out_width = shape_of(flat)[2:]
    flat = reshape(flat, (batch, channels, size, out_height * out_width))
    result = depth(flat)
    return flat, reshape(result, (batch, channels, depth_size, out_height, out_width))


def _volume_indices(plane_indices: Any, depth_indices: Any, shape: tuple[int, ...]) -> Any:
    """PyTorch's ``return_indices`` of a 3-d pooling, each maximum's ``d * H * W + h * W +
    w``, from the planes' (``h * W + w``, ``(B, C * D, Ho, Wo)``) and the depth's (``d * Ho *
    Wo + j`` in the ``(D, Ho * Wo)`` planes of the planes' result, ``(B, C, Do, Ho * Wo)``)."""
    in_planes, in_depth = unwrap(plane_indices), unwrap(depth_indices)
    xp = _backend.namespace_of(in_depth)
    batch, channels, size, height, width = shape
    flat_size = in_planes.shape[2] * in_planes.shape[3]
    slices = in_depth // flat_size
    picked = xp.take_along_axis(in_planes.reshape(batch, channels, size, flat_size), slices,
                                axis=2)
    out_height, out_width = in_planes.shape[2:]
    return new_constant((slices * (height * width) + picked).reshape(
        batch, channels, in_depth.shape[2], out_height, out_width))


def _as_given3d(result: Any, shape: tuple[int, ...]) -> Any:
    """A ``(B, C, Do, Ho, Wo)`` result without its batch axis where the input had none."""
    return result if len(shape) == 5 else reshape(result, shape_of(result)[1:])


def _max_pooling3d(name: str, input: Any, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool, return_indices: bool) -> Any:
    shape = shape_of(input)
    x = _volumes(name, input)
    depth_axis, rows, columns = _axes(name, 3, shape, kernel_size, stride, padding, dilation,
                                      ceil_mode)
    planes = _window_of(rows, columns)
    depth = _window_of(depth_axis, _Axis(1, 1, 1, (0, 0), rows.out_size * columns.out_size))
    flat, result = _planes_then_depth(x, lambda images: _max_pool(images, planes),
                                      depth_axis.out_size, lambda flat: _max_pool(flat, depth))
    if not return_indices:
        return _as_given3d(result, shape)
    plane_indices = _indices(reshape(x, (shape_of(x)[0], -1, *shape_of(x)[3:])), planes)
    indices = _volume_indices(plane_indices, _indices(flat, depth), shape_of(x))
    return _as_given3d(result, shape), _as_given3d(indices, shape)


def _avg_pooling3d(name: str, input: Any, kernel_size: Any, stride: Any, padding: Any,
                   ceil_mode: bool, count_include_pad: bool, divisor_override: Any) -> Any:
    shape = shape_of(input)
    x = _volumes(name, input)
    depth_axis, rows, columns = _axes(name, 3, shape, kernel_size, stride, padding, 1,
                                      ceil_mode)
    planes = _window_of(rows, columns)
    depth = _window_of(depth_axis, _Axis(1, 1, 1, (0, 0), rows.out_size * columns.out_size))
    batch, channels, size, height, width = shape_of(x)
    # divisor_override divides the planes' sums; the depth then adds them up
    plane_divisor = _divisor(name, (batch, channels * size, height, width), planes,
                             count_include_pad, divisor_override)
    depth_divisor = 1 if divisor_override is not None else _divisor(
        name, (batch, channels, size, rows.out_size * columns.out_size), depth, count_include_pad,
        None)
    _, result = _planes_then_depth(
        x, lambda images: apply(POOL2D_GATHER, images, offsets=None, window=planes,
                                divisor=plane_divisor),
        depth_axis.out_size, lambda flat: apply(POOL2D_GATHER, flat, offsets=None, window=depth,
                                             divisor=depth_divisor))
    return _as_given3d(result, shape)


# --- PyTorch's max and average pooling --------------------------------------------------------

@typed.max_pool1d_function
def max_pool1d(input: Any, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool1d``: the maximum of each window of ``kernel_size`` elements
    ``dilation`` apart, windows ``stride`` apart (``kernel_size`` by default), of ``input``
    ``(B, C, L)`` or ``(C, L)`` padded with -inf by ``padding`` (at most half the kernel) on
    each side: ``Lo = floor((L + 2 * padding - dilation * (kernel_size - 1) - 1) / stride) + 1``
    (rounded up with ``ceil_mode``, a last window starting inside the input or its left
    padding). ``return_indices=True`` also returns each maximum's position in ``L``."""
    return _max_pooling("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)


@typed.max_pool2d_function
def max_pool2d(input: Any, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool2d``: ``max_pool1d`` over the height and the width of ``input``
    ``(B, C, H, W)`` or ``(C, H, W)`` (each argument an int or a (height, width) pair; the
    padding at most half the dilated kernel). ``return_indices=True`` also returns each
    maximum's position ``h * W + w`` in its plane; the gradient goes to each window's first
    maximum."""
    return _max_pooling("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)


@typed.max_pool1d_with_indices_function
def max_pool1d_with_indices(input: Any, kernel_size: int | Sequence[int],
                            stride: int | Sequence[int] | None = None,
                            padding: int | Sequence[int] = 0,
                            dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool1d_with_indices``: ``max_pool1d`` returning the indices too,
    whatever ``return_indices`` says (as PyTorch's)."""
    return _max_pooling("max_pool1d_with_indices", 1, input, kernel_size, stride, padding,
                        dilation, ceil_mode, True)


@typed.max_pool2d_with_indices_function
def max_pool2d_with_indices(input: Any, kernel_size: int | Sequence[int],
                            stride: int | Sequence[int] | None = None,
                            padding: int | Sequence[int] = 0,
                            dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool2d_with_indices``: ``max_pool2d`` returning the indices too,
    whatever ``return_indices`` says (as PyTorch's)."""
    return _max_pooling("max_pool2d_with_indices", 2, input, kernel_size, stride, padding,
                        dilation, ceil_mode, True)


@typed.pool1d_function
def avg_pool1d(input: Any, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """PyTorch's ``F.avg_pool1d``: the mean of each window of ``input`` ``(B, C, L)`` or
    ``(C, L)``, sizes as ``max_pool1d``'s (zero padding, no dilation). A window's sum is
    divided by its length within the padded input (``count_include_pad``) or within the
    input."""
    return _avg_pooling("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, None)


@typed.pool2d_function
def avg_pool2d(input: Any, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Any:
    """PyTorch's ``F.avg_pool2d``: ``avg_pool1d`` over the height and the width of ``input``
    ``(B, C, H, W)`` or ``(C, H, W)``; ``divisor_override`` (a non-zero int) divides every
    window's sum instead of its size."""
    return _avg_pooling("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


@typed.max_pool3d_function
def max_pool3d(input: Any, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
               return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool3d``: ``max_pool1d`` over the depth, the height and the width
    of ``input`` ``(B, C, D, H, W)`` or ``(C, D, H, W)`` (each argument an int or three; the
    padding at most half the kernel). ``return_indices=True`` also returns each maximum's
    position ``d * H * W + h * W + w`` in its volume; the gradient goes to each window's
    first maximum in (d, h, w) order."""
    return _max_pooling("max_pool3d", 3, input, kernel_size, stride, padding, dilation,
                        ceil_mode, return_indices)


@typed.max_pool3d_with_indices_function
def max_pool3d_with_indices(input: Any, kernel_size: int | Sequence[int],
                            stride: int | Sequence[int] | None = None,
                            padding: int | Sequence[int] = 0,
                            dilation: int | Sequence[int] = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Any:
    """PyTorch's ``F.max_pool3d_with_indices``: ``max_pool3d`` returning the indices too,
    whatever ``return_indices`` says (as PyTorch's)."""
    return _max_pooling("max_pool3d_with_indices", 3, input, kernel_size, stride, padding,
                        dilation, ceil_mode, True)


@typed.pool3d_function
def avg_pool3d(input: Any, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Any:
    """PyTorch's ``F.avg_pool3d``: ``avg_pool1d`` over the depth, the height and the width of
    ``input`` ``(B, C, D, H, W)`` or ``(C, D, H, W)``; ``divisor_override`` (a non-zero int)
    divides every window's sum instead of its size."""
    return _avg_pooling("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                        count_include_pad, divisor_override)


def _lp_pooling(name: str, dims: int, input: Any, norm_type: Any, kernel_size: Any,
                stride: Any, ceil_mode: bool) -> Any:
    """PyTorch's power-average pooling, as it composes it."""
    if not is_number(norm_type):
        raise TypeError(f"{operation_name(name)}: norm_type must be a number, got {norm_type!r}")
    if math.isinf(norm_type):  # the largest (or smallest) magnitude
        sign_of = 1 if norm_type > 0 else -1
        return sign_of * _max_pooling(name, dims, sign_of * absolute(input), kernel_size,
                                      stride, 0, 1, ceil_mode, False)
    means = _avg_pooling(name, dims, power(input, norm_type), kernel_size, stride, 0, ceil_mode,
                         True, None)
    size = math.prod(_sizes(name, "kernel_size", kernel_size, 1, dims))
    # PyTorch's sign(means) * relu(|means|) is ``means``, but its gradient is 0 where a window
    # sums to 0, there stopping the root's infinite one: a ``where`` (a product would make NaN).
    stopped = where(means != 0, means, 0.0)
    return (stopped * size) ** (1.0 / norm_type)


@typed.pool1d_function
def lp_pool1d(input: Any, norm_type: float, kernel_size: int | Sequence[int],
              stride: int | Sequence[int] | None = None, ceil_mode: bool = False) -> Any:
    """PyTorch's ``F.lp_pool1d``: ``(sum of x ** p over each window) ** (1 / p)`` with
    ``p = norm_type`` (windows as ``avg_pool1d``'s, unpadded); an infinite ``p`` is the
    largest magnitude (-inf: the smallest). A window whose sum is negative gives 0."""
    return _lp_pooling("lp_pool1d", 1, input, norm_type, kernel_size, stride, ceil_mode)


@typed.pool2d_function
def lp_pool2d(input: Any, norm_type: float, kernel_size: int | Sequence[int],
              stride: int | Sequence[int] | None = None, ceil_mode: bool = False) -> Any:
    """PyTorch's ``F.lp_pool2d``: ``lp_pool1d`` over the height and the width."""
    return _lp_pooling("lp_pool2d", 2, input, norm_type, kernel_size, stride, ceil_mode)


@typed.pool3d_function
def lp_pool3d(input: Any, norm_type: float, kernel_size: int | Sequence[int],
              stride: int | Sequence[int] | None = None, ceil_mode: bool = False) -> Any:
    """PyTorch's ``F.lp_pool3d``: ``lp_pool1d`` over the depth, the height and the width."""
    return _lp_pooling("lp_pool3d", 3, input, norm_type, kernel_size, stride, ceil_mode)


# --- PyTorch's adaptive pooling ---------------------------------------------------------------

def _output_sizes(name: str, dims: int, output_size: Any, shape: tuple[int, ...],
                  images: tuple[int, ...]) -> Pair:
    """The adaptive output's (height, width): ``output_size`` an int or one per axis (in 2-d,
    ``None`` keeps the input's size)."""
    given: list[Any] = []
    if is_int(output_size):
        given = [output_size] * dims
    elif isinstance(output_size, tuple | list):
        given = list(cast("Sequence[Any]", output_size))
    if len(given) != dims or any(not is_int(item) and (item is not None or dims == 1)
                                 for item in given):
        what = ("an int or a tuple of one int" if dims == 1
                else "an int or a pair of ints or Nones (None keeps the input's size)")
        raise TypeError(f"{operation_name(name)}: output_size must be {what}, got {output_size!r}")
    sizes = tuple(images[4 - dims + axis] if item is None else int(item)
                  for axis, item in enumerate(given))
    if min(sizes) < 0:
        raise ValueError(f"{operation_name(name)}: output_size must be at least 0, got "
                         f"{output_size!r}")
    if max(sizes) > INT64_MAX:
        raise ValueError(f"{operation_name(name)}: output_size must fit in int64, got "
                         f"{output_size!r}")
    if min(images[1:]) == 0:
        raise ShapeError(f"{operation_name(name)}: expected an input with channels and every "
                         f"spatial axis non-empty, got shape {shape}")
    return (1, sizes[0]) if dims == 1 else (sizes[0], sizes[1])


def _tiling(images: tuple[int, ...], out_size: Pair) -> Window | None:
    """The plain pooling whose windows are the adaptive ones, where each output size divides
    the input's (they tile it), else None."""
    if min(out_size) < 1 or images[2] % out_size[0] or images[3] % out_size[1]:
        return None
    kernel = (images[2] // out_size[0], images[3] // out_size[1])
    return Window(kernel, kernel, (1, 1), _NO_MARGINS, out_size)


def _adaptive_avg(name: str, dims: int, input: Any, output_size: Any) -> Any:
    shape = shape_of(input)
    x = _as_images(name, dims, input)
    images = shape_of(x)
    out_size = _output_sizes(name, dims, output_size, shape, images)
    window = _tiling(images, out_size)
    if out_size == (1, 1):  # the global average: one reduction
        result = mean(x, (2, 3), True)
    elif window is not None:
        result = apply(POOL2D_GATHER, x, offsets=None, window=window,
                       divisor=window.kernel[0] * window.kernel[1])
    else:
        dtype = unwrap(x).dtype
        result = resample(x, [(axis, None if images[axis] == size
                                else average_taps(images[axis], size, dtype))
                              for axis, size in ((3, out_size[1]), (2, out_size[0]))])
    return _as_given(result, shape, dims)


def _adaptive_max(name: str, dims: int, input: Any, output_size: Any,
                  return_indices: bool) -> Any:
    shape = shape_of(input)
    x = _as_images(name, dims, input)
    images = shape_of(x)
    out_size = _output_sizes(name, dims, output_size, shape, images)
    window = _tiling(images, out_size)
    if window is not None:
        result = _max_pool(x, window)
        indices = _indices(x, window) if return_indices else None
    else:
        array = unwrap(x)
        index = _adaptive_argmax(_backend.namespace_of(array), array, out_size)
        result = apply(PLANE_TAKE, x, index=index)
        indices = new_constant(index)
    if return_indices:
        return _as_given(result, shape, dims), _as_given(indices, shape, dims)
    return _as_given(result, shape, dims)


@typed.pool1d_function
def adaptive_avg_pool1d(input: Any, output_size: int | Sequence[int]) -> Any:
    """PyTorch's ``F.adaptive_avg_pool1d``: ``input`` ``(B, C, L)`` or ``(C, L)`` to
    ``output_size`` means, the ``i``-th over ``floor(i * L / out)`` to ``ceil((i + 1) * L /
    out)`` (exclusive)."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


@typed.pool2d_function
def adaptive_avg_pool2d(input: Any, output_size: int | Sequence[int | None]) -> Any:
    """PyTorch's ``F.adaptive_avg_pool2d``: ``adaptive_avg_pool1d`` over the height and the
    width of ``input`` ``(B, C, H, W)`` or ``(C, H, W)``; ``output_size`` an int or a
    (height, width) pair whose ``None`` keeps the input's size."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


@typed.adaptive_max_pool1d_function
def adaptive_max_pool1d(input: Any, output_size: int | Sequence[int],
                        return_indices: bool = False) -> Any:
    """PyTorch's ``F.adaptive_max_pool1d``: the maxima of ``adaptive_avg_pool1d``'s windows;
    ``return_indices=True`` also returns each one's position in ``L``."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


@typed.adaptive_max_pool2d_function
def adaptive_max_pool2d(input: Any, output_size: int | Sequence[int | None],
                        return_indices: bool = False) -> Any:
    """PyTorch's ``F.adaptive_max_pool2d``: the maxima of ``adaptive_avg_pool2d``'s windows;
    ``return_indices=True`` also returns each one's position ``h * W + w`` in its plane."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


@typed.adaptive_max_pool1d_with_indices_function
def adaptive_max_pool1d_with_indices(input: Any, output_size: int | Sequence[int],
                                     return_indices: bool = False) -> Any:
    """PyTorch's ``F.adaptive_max_pool1d_with_indices``: ``adaptive_max_pool1d`` returning
    the indices too, whatever ``return_indices`` says."""
    return _adaptive_max("adaptive_max_pool1d_with_indices", 1, input, output_size, True)


@typed.adaptive_max_pool2d_with_indices_function
def adaptive_max_pool2d_with_indices(input: Any, output_size: int | Sequence[int | None],
                                     return_indices: bool = False) -> Any:
    """PyTorch's ``F.adaptive_max_pool2d_with_indices``: ``adaptive_max_pool2d`` returning
    the indices too, whatever ``return_indices`` says."""
    return _adaptive_max("adaptive_max_pool2d_with_indices", 2, input, output_size, True)


# --- 3-d adaptive pooling: the planes, then the depth -------------------------------------------

def _adaptive3d(name: str, input: Any, output_size: Any) -> tuple[Any, tuple[Any, Any, Any]]:
    """The input as ``(B, C, D, H, W)`` and the output's (depth, height, width), ``None``
    where ``output_size`` keeps the input's."""
    shape = shape_of(input)
    x = _volumes(name, input)
    given: list[Any] = []
    if is_int(output_size):
        given = [output_size] * 3
    elif isinstance(output_size, tuple | list):
        given = list(cast("Sequence[Any]", output_size))
    if len(given) != 3 or any(not is_int(item) and item is not None for item in given):
        raise TypeError(f"{operation_name(name)}: output_size must be an int or three ints or "
                        f"Nones (None keeps the input's size), got {output_size!r}")
    if min((item for item in given if item is not None), default=0) < 0:
        raise ValueError(f"{operation_name(name)}: output_size must be at least 0, got "
                         f"{output_size!r}")
    if min(shape[-4:]) == 0:
        raise ShapeError(f"{operation_name(name)}: expected an input with channels and every "
                         f"spatial axis non-empty, got shape {shape}")
    return x, (given[0], given[1], given[2])


def _adaptive_avg3d(name: str, input: Any, output_size: Any) -> Any:
    x, (depth, height, width) = _adaptive3d(name, input, output_size)
    depth_size = shape_of(x)[2] if depth is None else depth
    _, result = _planes_then_depth(
        x, lambda images: _adaptive_avg(name, 2, images, (height, width)), depth_size,
        lambda flat: _adaptive_avg(name, 2, flat, (depth, None)))
    return _as_given3d(result, shape_of(input))


def _adaptive_max3d(name: str, input: Any, output_size: Any, return_indices: bool) -> Any:
    x, (depth, height, width) = _adaptive3d(name, input, output_size)
    batch, channels, size, full_height, full_width = shape_of(x)
    values, plane_indices = _adaptive_max(
        name, 2, reshape(x, (batch, channels * size, full_height, full_width)),
        (height, width), True)
    out_height, out_width = shape_of(values)[2:]
    flat = reshape(values, (batch, channels, size, out_height * out_width))
    result, depth_indices = _adaptive_max(name, 2, flat, (depth, None), True)
    result = reshape(result, (batch, channels, shape_of(result)[2], out_height, out_width))
    shape = shape_of(input)
    if not return_indices:
        return _as_given3d(result, shape)
    indices = _volume_indices(plane_indices, depth_indices, shape_of(x))
    return _as_given3d(result, shape), _as_given3d(indices, shape)


@typed.pool3d_function
def adaptive_avg_pool3d(input: Any, output_size: int | Sequence[int | None]) -> Any:
    """PyTorch's ``F.adaptive_avg_pool3d``: ``adaptive_avg_pool1d`` over the depth, the height
    and the width of ``input`` ``(B, C, D, H, W)`` or ``(C, D, H, W)``; ``output_size`` an
    int or three, each ``None`` keeping the input's size."""
    return _adaptive_avg3d("adaptive_avg_pool3d", input, output_size)


@typed.adaptive_max_pool3d_function
def adaptive_max_pool3d(input: Any, output_size: int | Sequence[int | None],
                        return_indices: bool = False) -> Any:
    """PyTorch's ``F.adaptive_max_pool3d``: the maxima of ``adaptive_avg_pool3d``'s windows;
    ``return_indices=True`` also returns each one's position ``d * H * W + h * W + w`` in its
    volume."""
    return _adaptive_max3d("adaptive_max_pool3d", input, output_size, return_indices)


@typed.adaptive_max_pool3d_with_indices_function
def adaptive_max_pool3d_with_indices(input: Any, output_size: int | Sequence[int | None],
                                     return_indices: bool = False) -> Any:
    """PyTorch's ``F.adaptive_max_pool3d_with_indices``: ``adaptive_max_pool3d`` returning
    the indices too, whatever ``return_indices`` says."""
    return _adaptive_max3d("adaptive_max_pool3d_with_indices", input, output_size, True)
