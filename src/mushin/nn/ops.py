"""Functional layers (``mu.nn.ops``): linear, convolution, pooling, padding, dropout,
embedding lookup and flattening, on ``(B, C, H, W)`` images where spatial.

Convolution is im2col plus one matrix product per group for the whole batch, the bias added
in place: the columns are one strided view of the input (every window a set of strides)
copied once, and the backward passes are matrix products too (col2im adds back one kernel
offset at a time, never one pixel at a time). Its output is channel-major in memory (the
``(B, O, Ho, Wo)`` view of the product, not a transposed copy), a layout the element-wise
operations after it keep and its backward reads as a matrix without a copy. On NumPy its
temporaries that never leave it (the columns, the input gradient's products) live in
per-thread buffers reused from step to step (see ``_take``).
Max pooling whose windows tile the input (stride == kernel, no padding) is two passes of
run maxima, along the rows then the columns; other pooling goes one kernel offset at a
time. Every backward rule is itself a primitive with its own VJP (convolution's input and
weight gradients, pooling's scatters and gathers are adjoint pairs), so second derivatives
work through all of them. Output sizes are PyTorch's:
``floor((H + 2 * padding - dilation * (kernel - 1) - 1) / stride) + 1``.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from mushin import _backend, _cuda
from mushin import _typing as typed
from mushin._backend import Array
from mushin._creation import generator
from mushin._graph import Primitive
from mushin._tensor import ShapeError, Tensor, apply, value_range
from mushin.ops._util import shape_of
from mushin.ops.elementwise import mul
from mushin.ops.shape import reshape

Pair = tuple[int, int]

# --- argument checks ------------------------------------------------------------------------


def _pair(name: str, argument: str, value: int | Sequence[int], minimum: int) -> Pair:
    """An int or a pair of ints (height, width), each at least ``minimum``."""
    pair = (value, value) if isinstance(value, int) else value
    if (not isinstance(pair, tuple | list) or len(pair) != 2
            or any(isinstance(item, bool) or not isinstance(item, int) for item in pair)):
        raise TypeError(f"{name}: {argument} must be an int or a pair of ints, got {value!r}")
    if min(pair) < minimum:
        raise ValueError(f"{name}: {argument} must be at least {minimum}, got {value!r}")
    return int(pair[0]), int(pair[1])


def _check_image(name: str, shape: tuple[int, ...]) -> None:
    if len(shape) != 4:
        raise ShapeError(f"{name}: expected an input of shape (B, C, H, W), got shape {shape}")


def _output_size(name: str, shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair,
                 dilation: Pair) -> Pair:
    sizes: list[int] = []
    for axis in (0, 1):
        reach = dilation[axis] * (kernel[axis] - 1) + 1
        padded = shape[2 + axis] + 2 * padding[axis]
        if padded < reach:
            raise ShapeError(
                f"{name}: the input of shape {shape} is too small: padded to "
                f"{shape[2] + 2 * padding[0]}x{shape[3] + 2 * padding[1]} it is smaller than "
                f"the kernel's reach of {dilation[0] * (kernel[0] - 1) + 1}x"
                f"{dilation[1] * (kernel[1] - 1) + 1}")
        sizes.append((padded - reach) // stride[axis] + 1)
    return sizes[0], sizes[1]


# --- workspaces -------------------------------------------------------------------------------

# The big temporaries of a convolution that never leave it (the im2col columns, the input
# gradient's spread rows and their product) are written into reused buffers on NumPy. Fresh
# arrays of a few MB are freed when a training step ends, glibc hands their pages back to the
# system, and the next step faults them in again; reusing the buffers saves about 8% of the
# CNN benchmark's step. Each thread keeps, per purpose ("columns", "rows", "products") and
# dtype, the latest buffer of at most _WORKSPACE_LIMIT bytes (a larger temporary is a fresh
# array, as is a smaller one's replacement when a bigger one is needed): at most three
# buffers per dtype, 96 MB in the worst case, held for as long as the thread lives. A buffer
# is out of the cache while in use, so a nested or concurrent use never shares it. Device
# arrays are always fresh: CuPy's memory pool already reuses device memory.
_WORKSPACE_LIMIT = 32 * 1024 * 1024
_workspaces = threading.local()


def _take(xp: Any, purpose: str, shape: tuple[int, ...], dtype: Any) -> Array:
    """An uninitialized array of ``shape``: a reused buffer on NumPy (give it back with
    ``_give_back`` once it is dead), a fresh array elsewhere."""
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    size = math.prod(shape)
    cache: dict[tuple[str, Any], Array] | None = getattr(_workspaces, "cache", None)
    if cache is None:
        cache = _workspaces.cache = {}
    buffer = cache.pop((purpose, np.dtype(dtype)), None)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size, dtype=dtype)  # the smaller one, if any, is freed
    return buffer[:size].reshape(shape)


def _give_back(xp: Any, purpose: str, array: Array) -> None:
    """Keep the buffer under ``array`` (from ``_take``, dead now) for the next ``_take``."""
    if xp is not np:
        return
    buffer = array
    while buffer.base is not None:
        buffer = buffer.base
    if buffer.nbytes <= _WORKSPACE_LIMIT:
        _workspaces.cache[(purpose, array.dtype)] = buffer


# --- sliding windows --------------------------------------------------------------------------

def _padded(xp: Any, x: Array, padding: Pair, value: float = 0.0) -> Array:
    if padding == (0, 0):
        return x
    widths = ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1]))
    return xp.pad(x, widths, constant_values=value)


def _offsets(kernel: Pair, stride: Pair, dilation: Pair,
             out_size: Pair) -> Iterator[tuple[int, int, tuple[Any, ...]]]:
    """For each kernel offset (i, j): the strided slice of the padded input it sees."""
    for row in range(kernel[0]):
        top = row * dilation[0]
        for column in range(kernel[1]):
            left = column * dilation[1]
            yield row, column, (
                Ellipsis,
                slice(top, top + stride[0] * (out_size[0] - 1) + 1, stride[0]),
                slice(left, left + stride[1] * (out_size[1] - 1) + 1, stride[1]))


def _im2col(xp: Any, x: Array, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
            out_size: Pair) -> Array:
    """The columns ``(C, kh, kw, B, Ho, Wo)``: what each kernel offset sees at each output.

    A strided view of the padded input (each window is a set of strides, nothing is copied)
    copied once into a contiguous workspace (``_take``: give it back once used). Channels
    come first so that a group's columns reshape, without a copy, into one matrix
    ``(C / groups * kh * kw, B * Ho * Wo)``: the whole batch is one matrix product.
    """
    batch, channels = x.shape[:2]
    padded = _padded(xp, x, padding)
    batch_step, channel_step, row_step, column_step = padded.strides
    windows = xp.lib.stride_tricks.as_strided(
        padded, shape=(channels, *kernel, batch, *out_size),
        strides=(channel_step, dilation[0] * row_step, dilation[1] * column_step, batch_step,
                 stride[0] * row_step, stride[1] * column_step))
    columns = _take(xp, "columns", windows.shape, x.dtype)
    columns[...] = windows
    return columns


def _col2im(xp: Any, columns: Array, input_shape: tuple[int, ...], kernel: Pair, stride: Pair,
            padding: Pair, dilation: Pair) -> Array:
    """The adjoint of ``_im2col``: each column summed back onto the pixel it came from.

    Channel-major like the columns, ``(C, B, H, W)`` in memory, so that each kernel offset
    adds one block without transposing it; the result is the ``(B, C, H, W)`` view of that.
    """
    batch, channels, height, width = input_shape
    out_size = columns.shape[-2:]
    result = xp.zeros((channels, batch, height + 2 * padding[0], width + 2 * padding[1]),
                      dtype=columns.dtype)
    for row, column, window in _offsets(kernel, stride, dilation, out_size):
        result[window] += columns[:, row, column]
    return xp.swapaxes(result, 0, 1)[..., padding[0]:padding[0] + height,
                                     padding[1]:padding[1] + width]


def _grouped(xp: Any, first: Array, second: Array, out: Array | None = None) -> Array:
    """``first @ second`` over a leading group axis, into ``out`` if given; one plain 2-D
    product for one group."""
    if out is not None:
        if first.shape[0] == 1:
            xp.matmul(first[0], second[0], out=out[0])
        else:
            xp.matmul(first, second, out=out)
        return out
    if first.shape[0] == 1:
        return (first[0] @ second[0])[None]
    return xp.matmul(first, second)


def _grad_rows(xp: Any, grad: Array, groups: int) -> Array:
    """The output gradient ``(B, O, Ho, Wo)`` as ``(groups, O / groups, B * Ho * Wo)``: free
    (a view) when it has the channel-major layout of ``conv2d``'s own output."""
    out_channels = grad.shape[1]
    return xp.swapaxes(grad, 0, 1).reshape(groups, out_channels // groups, -1)


def _conv_forward(xp: Any, x: Array, weight: Array, bias: Array | None, stride: Pair,
                  padding: Pair, dilation: Pair, groups: int) -> Array:
    batch = x.shape[0]
    out_channels = weight.shape[0]
    kernel = (weight.shape[2], weight.shape[3])
    out_size = _output_size("conv2d", tuple(x.shape), kernel, stride, padding, dilation)
    columns = _im2col(xp, x, kernel, stride, padding, dilation, out_size)
    matrix = weight.reshape(groups, out_channels // groups, -1)
    result = _grouped(xp, matrix, columns.reshape(groups, matrix.shape[2], -1))
    _give_back(xp, "columns", columns)
    if bias is not None:  # added in place to the product, a fresh array
        rows = bias.reshape(groups, out_channels // groups, 1)
        if rows.dtype == result.dtype:
            result += rows
        else:
            result = result + rows
    # The product is channel-major, (O, B, Ho, Wo) in memory. The result is its (B, O, Ho, Wo)
    # view, not a transposed copy: element-wise operations after it keep that layout, and the
    # backward passes read the gradient back as the (O, B * Ho * Wo) matrix without a copy.
    return xp.swapaxes(result.reshape(out_channels, batch, *out_size), 0, 1)


def _conv_input_grad_forward(xp: Any, grad: Array, weight: Array, input_shape: tuple[int, ...],
                             stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Array:
    batch, channels, height, width = input_shape
    out_channels, out_height, out_width = grad.shape[1:]
    kernel = (weight.shape[2], weight.shape[3])
    matrix = xp.swapaxes(weight.reshape(groups, out_channels // groups, -1), 1, 2)
    full_height, full_width = height + 2 * padding[0], width + 2 * padding[1]
    product_shape = (groups, matrix.shape[1], batch * out_height)
    product_dtype = xp.result_type(weight.dtype, grad.dtype)
    # on CuPy (float32, float64), one gathering kernel sums the columns back
    fused = _cuda.enabled(xp) and np.dtype(product_dtype).char in "fd"
    if stride != (1, 1) or 2 * out_width < full_width or fused:
        product = _take(xp, "products", (*product_shape[:2], product_shape[2] * out_width),
                        product_dtype)
        _grouped(xp, matrix, _grad_rows(xp, grad, groups), product)
        columns = product.reshape(channels, *kernel, batch, out_height, out_width)
        image = (_cuda.col2im(columns, input_shape, kernel, stride, padding, dilation) if fused
                 else _col2im(xp, columns, input_shape, kernel, stride, padding, dilation))
        _give_back(xp, "products", product)
        return image
    # Stride 1: the gradient spread over the padded input's full width Wp (zeros past the Wo
    # outputs of each row), so that each kernel offset's columns land on the input as one
    # contiguous run per channel and image, starting at i * Wp + j: kh * kw long additions
    # instead of one short one per output row each, for a product at most twice as wide.
    rows = _take(xp, "rows", (out_channels, batch, out_height, full_width), grad.dtype)
    rows[..., :out_width] = xp.swapaxes(grad, 0, 1)
    rows[..., out_width:] = 0
    product = _take(xp, "products", (*product_shape[:2], product_shape[2] * full_width),
                    product_dtype)
    _grouped(xp, matrix, rows.reshape(groups, out_channels // groups, -1), product)
    _give_back(xp, "rows", rows)
    columns = product.reshape(channels, *kernel, batch, out_height * full_width)
    # A spare row: the last offsets' runs end up to (kw - 1) * dilation past the image.
    result = xp.zeros((channels, batch, (full_height + 1) * full_width), dtype=columns.dtype)
    for row in range(kernel[0]):
        for column in range(kernel[1]):
            start = row * dilation[0] * full_width + column * dilation[1]
            result[..., start:start + out_height * full_width] += columns[:, row, column]
    _give_back(xp, "products", product)
    image = result[..., :full_height * full_width].reshape(channels, batch, full_height,
                                                           full_width)
    return xp.swapaxes(image, 0, 1)[..., padding[0]:padding[0] + height,
                                    padding[1]:padding[1] + width]


def _conv_weight_grad_forward(xp: Any, x: Array, grad: Array, weight_shape: tuple[int, ...],
                              stride: Pair, padding: Pair, dilation: Pair,
                              groups: int) -> Array:
    kernel = (weight_shape[2], weight_shape[3])
    out_size = (grad.shape[2], grad.shape[3])
    columns = _im2col(xp, x, kernel, stride, padding, dilation, out_size)
    columns = columns.reshape(groups, -1, grad.shape[0] * out_size[0] * out_size[1])
    # (C / groups * kh * kw, O / groups) per group, transposed at the end (it is small):
    # OpenBLAS runs this orientation of the long, thin product faster.
    product = _grouped(xp, columns, xp.swapaxes(_grad_rows(xp, grad, groups), 1, 2))
    _give_back(xp, "columns", columns)
    return xp.swapaxes(product, 1, 2).reshape(weight_shape)


def _conv_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, **geometry: Any) -> tuple[
        Any, ...]:
    x, weight, _ = inputs
    grad_x = grad_weight = grad_bias = None
    if parents[0] is not None:
        grad_x = F.conv2d_input_grad(g, weight, input_shape=parents[0].shape, **geometry)
    if parents[1] is not None:
        grad_weight = F.conv2d_weight_grad(x, g, weight_shape=parents[1].shape, **geometry)
    if parents[2] is not None:
        grad_bias = F.sum(g, axis=(0, 2, 3), keepdims=False)
    return grad_x, grad_weight, grad_bias


def _conv_input_grad_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                         input_shape: tuple[int, ...], **geometry: Any) -> tuple[Any, ...]:
    grad_output, weight = inputs
    grad_grad = grad_weight = None
    if parents[0] is not None:
        grad_grad = F.conv2d(g, weight, None, **geometry)
    if parents[1] is not None:
        grad_weight = F.conv2d_weight_grad(g, grad_output, weight_shape=parents[1].shape,
                                           **geometry)
    return grad_grad, grad_weight


def _conv_weight_grad_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                          weight_shape: tuple[int, ...], **geometry: Any) -> tuple[Any, ...]:
    x, grad_output = inputs
    grad_x = grad_grad = None
    if parents[0] is not None:
        grad_x = F.conv2d_input_grad(grad_output, g, input_shape=parents[0].shape, **geometry)
    if parents[1] is not None:
        grad_grad = F.conv2d(x, g, None, **geometry)
    return grad_x, grad_grad


CONV2D = Primitive("conv2d", _conv_forward, _conv_vjp)
CONV2D_INPUT_GRAD = Primitive("conv2d_input_grad", _conv_input_grad_forward,
                              _conv_input_grad_vjp)
CONV2D_WEIGHT_GRAD = Primitive("conv2d_weight_grad", _conv_weight_grad_forward,
                               _conv_weight_grad_vjp)


def conv2d(x: Any, weight: Any, bias: Any = None, stride: int | Pair = 1,
           padding: int | Pair = 0, dilation: int | Pair = 1, groups: int = 1) -> Any:
    """The 2-D convolution (PyTorch's cross-correlation) of ``x`` ``(B, C, H, W)`` with
    ``weight`` ``(O, C / groups, kh, kw)``, plus ``bias`` ``(O,)``: shape ``(B, O, Ho, Wo)``."""
    x_shape, weight_shape = shape_of(x), shape_of(weight)
    _check_image("conv2d", x_shape)
    if len(weight_shape) != 4:
        raise ShapeError(f"conv2d: expected a weight of shape (O, C / groups, kh, kw), got "
                         f"shape {weight_shape}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"conv2d: groups must be a positive int, got {groups!r}")
    if weight_shape[0] % groups:
        raise ValueError(f"conv2d: {weight_shape[0]} output channels are not divisible by "
                         f"groups={groups}")
    if x_shape[1] != weight_shape[1] * groups:
        raise ShapeError(f"conv2d: the input of shape {x_shape} has {x_shape[1]} channels but "
                         f"the weight of shape {weight_shape} with groups={groups} expects "
                         f"{weight_shape[1] * groups}")
    stride_pair = _pair("conv2d", "stride", stride, 1)
    padding_pair = _pair("conv2d", "padding", padding, 0)
    dilation_pair = _pair("conv2d", "dilation", dilation, 1)
    _output_size("conv2d", x_shape, (weight_shape[2], weight_shape[3]), stride_pair,
                 padding_pair, dilation_pair)
    geometry = {"stride": stride_pair, "padding": padding_pair, "dilation": dilation_pair,
                "groups": groups}
    if bias is not None and shape_of(bias) != (weight_shape[0],):
        raise ShapeError(f"conv2d: expected a bias of shape ({weight_shape[0]},), got shape "
                         f"{shape_of(bias)}")
    return apply(CONV2D, x, weight, bias, **geometry)


# --- pooling --------------------------------------------------------------------------------

_NO_DILATION = (1, 1)


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


def _run_max_scatter_forward(xp: Any, grad: Array, x: Array, best: Array, axis: int,
                             size: int) -> Array:
    """The gradient of ``RUN_MAX``: each run's ``grad`` onto the run's first maximum in
    ``x`` (``best`` holds the maxima), written straight into the strided slots of the result
    as products by the masks (no ``where``: NumPy's branches on every element)."""
    result = xp.empty_like(x, dtype=grad.dtype)  # x's memory layout
    end = x.shape[axis] // size * size
    if end < x.shape[axis]:
        result[(slice(None),) * axis + (slice(end, None),)] = 0
    slots, candidates = _runs(result, axis, size), _runs(x, axis, size)
    if size == 2 and _cuda.fusable(grad, *candidates):  # the rule below, any axis, one kernel
        _cuda.pair_max_scatter(grad, candidates[0], candidates[1], slots[0], slots[1])
        return result
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
        F.run_max_gather(g, inputs[1], inputs[2], axis=axis, size=size), None, None))
RUN_MAX_GATHER = Primitive(
    "run_max_gather", _run_max_gather_forward,
    lambda F, g, inputs, out, parents, axis, size: (
        F.run_max_scatter(g, inputs[1], inputs[2], axis=axis, size=size), None, None))


def _maxpool_forward(xp: Any, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array:
    out_size = _output_size("maxpool2d", tuple(x.shape), kernel, stride, padding, _NO_DILATION)
    padded = _padded(xp, x, padding, -math.inf)
    result: Array = None
    for _, _, window in _offsets(kernel, stride, _NO_DILATION, out_size):
        result = padded[window].copy() if result is None else xp.maximum(result, padded[window])
    return result


def _argmax_offsets(xp: Any, x: Array, kernel: Pair, stride: Pair, padding: Pair) -> Array:
    """The kernel offset (``i * kw + j``) of each window's maximum, the first one at ties."""
    out_size = _output_size("maxpool2d", tuple(x.shape), kernel, stride, padding, _NO_DILATION)
    padded = _padded(xp, x, padding, -math.inf)
    best: Array = None
    chosen: Array = None
    for row, column, window in _offsets(kernel, stride, _NO_DILATION, out_size):
        values = padded[window]
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
    for row, column, window in _offsets(kernel, stride, _NO_DILATION, grad.shape[2:]):
        if offsets is None:
            result[window] += grad
        else:
            result[window] += xp.where(offsets == row * kernel[1] + column, grad, 0)
    return result[..., padding[0]:padding[0] + height, padding[1]:padding[1] + width]


def _pool_gather_forward(xp: Any, x: Array, offsets: Array | None, kernel: Pair, stride: Pair,
                         padding: Pair) -> Array:
    """Each window's value at its argmax (``offsets``), or its mean (``offsets`` None): the
    adjoint of ``_pool_scatter_forward``, and average pooling itself."""
    out_size = _output_size("pool2d", tuple(x.shape), kernel, stride, padding, _NO_DILATION)
    padded = _padded(xp, x, padding)
    result: Array = None
    for row, column, window in _offsets(kernel, stride, _NO_DILATION, out_size):
        values = padded[window]
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


def _pool_arguments(name: str, x: Any, kernel: Any, stride: Any, padding: Any) -> dict[
        str, Pair]:
    shape = shape_of(x)
    _check_image(name, shape)
    kernel_pair = _pair(name, "kernel", kernel, 1)
    stride_pair = kernel_pair if stride is None else _pair(name, "stride", stride, 1)
    padding_pair = _pair(name, "padding", padding, 0)
    if padding_pair[0] * 2 > kernel_pair[0] or padding_pair[1] * 2 > kernel_pair[1]:
        raise ValueError(f"{name}: padding {padding_pair} must be at most half the kernel "
                         f"size {kernel_pair}")
    _output_size(name, shape, kernel_pair, stride_pair, padding_pair, _NO_DILATION)
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


# --- linear, embedding, padding, dropout, flatten ----------------------------------------------


def _linear_forward(xp: Any, x: Array, weight: Array, bias: Array | None) -> Array:
    # Row-major out, whatever the input: ``(weight @ x.T).T`` is up to 30% faster in OpenBLAS
    # for one product, but a Fortran-ordered result makes every later elementwise operation
    # that meets a row-major operand (a residual sum, say) about 5x slower; on the MLP
    # benchmark the trick gained only 5%.
    result = xp.matmul(x, weight.T)
    if bias is None:
        return result
    if bias.dtype != result.dtype:
        return result + bias
    result += bias  # in place on the fresh product: no second (batch, out) array
    return result


def _linear_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    x, weight, _ = inputs
    grad_x = grad_weight = grad_bias = None
    if parents[0] is not None:  # nothing for a Constant input (the data): no product
        grad_x = g @ weight
    if parents[1] is not None:
        out_features, in_features = parents[1].shape
        rows = F.reshape(g, shape=(-1, out_features)) if g.ndim != 2 else g
        columns = F.reshape(x, shape=(-1, in_features)) if x.ndim != 2 else x
        grad_weight = F.matrix_transpose(rows) @ columns  # (out, in): the weight's layout
    if parents[2] is not None:
        lead = tuple(range(g.ndim - 1))
        grad_bias = (g if not lead else F.sum(g, axis=lead, keepdims=False) if F.graph_mode
                     else g.sum(axis=lead))
    return grad_x, grad_weight, grad_bias


LINEAR = Primitive("linear", _linear_forward, _linear_vjp)


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T + bias`` on the last axis of ``x``: weight ``(out, in)``, bias
    ``(out,)``."""
    x_shape, weight_shape = shape_of(x), shape_of(weight)
    if len(weight_shape) != 2:
        raise ShapeError(f"linear: expected a weight of shape (out_features, in_features), "
                         f"got shape {weight_shape}")
    if not x_shape or x_shape[-1] != weight_shape[1]:
        raise ShapeError(f"linear: the input of shape {x_shape} should have "
                         f"{weight_shape[1]} features on its last axis, as the weight of "
                         f"shape {weight_shape}")
    if bias is not None and shape_of(bias) != (weight_shape[0],):
        raise ShapeError(f"linear: expected a bias of shape ({weight_shape[0]},), got shape "
                         f"{shape_of(bias)}")
    return apply(LINEAR, x, weight, bias)


def _embedding_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   padding_idx: int | None) -> tuple[Any, ...]:
    indices = F.unwrap(inputs[0])
    if padding_idx is not None:
        g = F.where((indices != padding_idx)[..., None], g, 0)
    return None, F.index_add(g, index=(indices,), shape=parents[1].shape)


EMBEDDING = Primitive("embedding", lambda xp, indices, weight, padding_idx: weight[indices],
                      _embedding_vjp, saves="inputs")


def embedding(indices: Any, weight: Any, padding_idx: int | None = None) -> Any:
    """The rows of ``weight`` ``(num_embeddings, dim)`` picked by the integer ``indices``
    (any shape): shape ``(*indices.shape, dim)``. The row ``padding_idx`` gets no gradient."""
    index_data = indices._data if isinstance(indices, Tensor) else indices
    weight_shape = shape_of(weight)
    if len(weight_shape) != 2:
        raise ShapeError(f"embedding: expected a weight of shape (num_embeddings, dim), got "
                         f"shape {weight_shape}")
    # The indices follow the weight to its device (they are small; the table may not be).
    # Their range is read on the host where they come from there (value_range), else from
    # the device.
    bounds = value_range(indices)
    index_data = _backend.backend_of(weight._data if isinstance(weight, Tensor) else weight
                                     ).asarray(index_data)
    if index_data.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index_data.dtype}")
    if index_data.size:
        low, high = bounds or (int(index_data.min()), int(index_data.max()))
        if low < 0 or high >= weight_shape[0]:
            raise IndexError(f"embedding: indices must lie in [0, {weight_shape[0]}), got "
                             f"values from {low} to {high}")
    return apply(EMBEDDING, index_data, weight, padding_idx=padding_idx)


PAD = Primitive("pad",
                lambda xp, x, widths, value: xp.pad(x, widths, constant_values=value),
                lambda F, g, inputs, out, parents, widths, value: (F.getitem(g, index=tuple(
                    slice(before, before + size) for (before, _), size in zip(
                        widths, parents[0].shape, strict=True))),),
                saves="none")


def pad(x: Any, pad_width: tuple[int, ...] | list[int], value: float = 0.0) -> Any:
    """``x`` padded with ``value`` as PyTorch's ``F.pad``: ``pad_width`` holds (before,
    after) pairs starting from the LAST axis, ``(left, right, top, bottom, ...)``."""
    shape = shape_of(x)
    widths_given = tuple(pad_width)
    if (len(widths_given) % 2 or len(widths_given) // 2 > len(shape)
            or any(isinstance(w, bool) or not isinstance(w, int) for w in widths_given)):
        raise ValueError(f"pad: pad_width must hold an even number of ints, two per axis, for "
                         f"at most the {len(shape)} axes of shape {shape}; got {pad_width!r}")
    if any(width < 0 for width in widths_given):
        raise ValueError(f"pad: widths must not be negative, got {pad_width!r}")
    pairs = [(widths_given[index], widths_given[index + 1])
             for index in range(0, len(widths_given), 2)]
    widths = tuple([(0, 0)] * (len(shape) - len(pairs)) + pairs[::-1])
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"pad: value must be a number, got {value!r}")
    return apply(PAD, x, widths=widths, value=value)


@typed.activation_function
def dropout(x: Any, p: float = 0.5, training: bool = True) -> Any:
    """Inverted dropout: each element zeroed with probability ``p`` and the rest scaled by
    ``1 / (1 - p)`` while ``training``; ``x`` itself otherwise."""
    if isinstance(p, bool) or not isinstance(p, int | float) or not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be a probability in [0, 1], got {p!r}")
    if not training or p == 0:
        return x
    data = x._data if isinstance(x, Tensor) else x
    backend = _backend.backend_of(data)
    if p == 1:
        return mul(x, backend.xp.zeros(data.shape, dtype=data.dtype))
    draw_dtype = data.dtype if data.dtype.itemsize >= 4 else "float32"
    draws = generator(backend).random(data.shape, dtype=draw_dtype)
    mask = (draws >= p).astype(data.dtype)
    mask *= 1.0 / (1.0 - p)
    return mul(x, mask)


@typed.batch_flatten_function
def flatten(x: Any) -> Any:
    """``x`` as ``(B, everything else)``: axis 0 kept, the others joined."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("flatten: needs at least one axis (the batch), got a 0-d tensor")
    return reshape(x, (shape[0], math.prod(shape[1:])))
