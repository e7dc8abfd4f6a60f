"""``conv1d``, ``conv2d`` and ``conv3d`` (PyTorch's, with "same" / "valid" padding and
unbatched inputs; ``conv_tbc``, ``conv1d`` of time-first sequences): the 2-D convolution
primitive of ``(B, C, H, W)`` images, its two gradient primitives and the im2col / col2im
pair they are built on (col2im with its CUDA kernel). A 1-D convolution is the 2-D one on a
unit height axis, a 3-D one the 2-D one of the depth slices each output reads stacked into the
channels; the transposed convolutions (``conv_transpose.py``) are the input-gradient
primitive.

Convolution is im2col plus one matrix product per group for the whole batch, the bias added
in place: the columns are one strided view of the input (every window a set of strides)
copied once, and the backward passes are matrix products too (col2im adds back one kernel
offset at a time, never one pixel at a time). Its output is channel-major in memory (the
``(B, O, Ho, Wo)`` view of the product, not a transposed copy), a layout the element-wise
operations after it keep and its backward reads as a matrix without a copy. The input and
weight gradients are primitives with their own VJPs (an adjoint pair with ``conv2d``), so
second derivatives work through them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mushin._backend import Array
from mushin._check import is_int, operation_name, shape_of
from mushin._graph import Primitive
from mushin._tensor import apply
from mushin.errors import ShapeError
from mushin.kernels import cuda
from mushin.nn.functional.shape import pad
from mushin.nn.functional.window import Pair, ints, kernel_offsets, output_size, padded
from mushin.ops.join import stack
from mushin.ops.shape import permute, reshape
from mushin.ops.slicing import getitem

# --- im2col and col2im ------------------------------------------------------------------------

def _im2col(xp: Any, x: Array, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
            out_size: Pair) -> Array:
    """The columns ``(C, kh, kw, B, Ho, Wo)``: what each kernel offset sees at each output.

    A strided view of the padded input (each window is a set of strides, nothing is copied)
    copied once into a contiguous array. Channels
    come first so that a group's columns reshape, without a copy, into one matrix
    ``(C / groups * kh * kw, B * Ho * Wo)``: the whole batch is one matrix product.
    """
    batch, channels = x.shape[:2]
    source = padded(xp, x, padding)
    columns = xp.empty((channels, *kernel, batch, *out_size), dtype=x.dtype)
    # (A Numba loop doing this copy took 1.5 to 2 times as long as NumPy's: 0.84 against 0.57
    # ms for conv2 of benchmarks/cnn.py, benchmarks/README.md's cnn section.)
    batch_step, channel_step, row_step, column_step = source.strides
    columns[...] = xp.lib.stride_tricks.as_strided(
        source, shape=columns.shape,
        strides=(channel_step, dilation[0] * row_step, dilation[1] * column_step, batch_step,
                 stride[0] * row_step, stride[1] * column_step))
    return columns


def _col2im(xp: Any, columns: Array, input_shape: tuple[int, ...], kernel: Pair, stride: Pair,
            padding: Pair, dilation: Pair) -> Array:
    """The adjoint of ``_im2col``: each column summed back onto the pixel it came from.

    Channel-major like the columns, ``(C, B, H, W)`` in memory, so that each kernel offset
    adds one block without transposing it; the result is the ``(B, C, H, W)`` view of that.
    On CuPy (float32, float64) one gathering kernel does it (``_col2im_cuda``).
    """
    if _col2im_gathers(xp, columns.dtype):
        return _col2im_cuda(columns, input_shape, kernel, stride, padding, dilation)
    batch, channels, height, width = input_shape
    out_size = columns.shape[-2:]
    result = xp.zeros((channels, batch, height + 2 * padding[0], width + 2 * padding[1]),
                      dtype=columns.dtype)
    for row, column, window in kernel_offsets(kernel, stride, dilation, out_size):
        result[window] += columns[:, row, column]
    return xp.swapaxes(result, 0, 1)[..., padding[0]:padding[0] + height,
                                     padding[1]:padding[1] + width]


def _col2im_gathers(xp: Any, dtype: Any) -> bool:
    """Whether ``_col2im`` runs as the gathering CUDA kernel: on CuPy, for float32 and
    float64."""
    return cuda.enabled(xp) and np.dtype(dtype).char in "fd"


_COL2IM = r"""
// The adjoint of im2col, gathered: each pixel (b, c, y, x) of the (B, C, H, W) result sums
// the columns (C, kh, kw, B, Ho, Wo) of every kernel offset and output position that read
// it. One thread per pixel, no atomics: the sum's order is fixed.
extern "C" __global__ void mushin_col2im(
        const T* columns, T* image, long long batch, long long channels, long long height,
        long long width, int kh, int kw, int out_h, int out_w, int stride_h, int stride_w,
        int pad_h, int pad_w, int dil_h, int dil_w) {
    long long total = batch * channels * height * width;
    for (long long index = (long long)blockIdx.x * blockDim.x + threadIdx.x; index < total;
         index += (long long)gridDim.x * blockDim.x) {
        long long x = index % width, y = (index / width) % height;
        long long c = (index / (width * height)) % channels;
        long long b = index / (width * height * channels);
        T sum = 0;
        for (int i = 0; i < kh; ++i) {
            long long row = y + pad_h - (long long)i * dil_h;
            if (row < 0 || row % stride_h) continue;
            row /= stride_h;
            if (row >= out_h) continue;
            for (int j = 0; j < kw; ++j) {
                long long column = x + pad_w - (long long)j * dil_w;
                if (column < 0 || column % stride_w) continue;
                column /= stride_w;
                if (column >= out_w) continue;
                sum += columns[((((c * kh + i) * kw + j) * batch + b) * out_h + row) * out_w
                               + column];
            }
        }
        image[index] = sum;
    }
}
"""


def _col2im_cuda(columns: Array, input_shape: tuple[int, ...], kernel: Pair, stride: Pair,
                 padding: Pair, dilation: Pair) -> Array:
    """``_col2im`` in one CUDA kernel: the ``(B, C, H, W)`` image (contiguous) whose im2col
    adjoint the columns ``(C, kh, kw, B, Ho, Wo)`` are, padding dropped."""
    xp = cuda.xp_of(columns)
    columns = xp.ascontiguousarray(columns)
    batch, channels, height, width = input_shape
    image = xp.empty(input_shape, dtype=columns.dtype)
    total = batch * channels * height * width
    if total:
        # 256 threads a block, at most 65535 blocks: the kernel's grid-stride loop does the rest
        blocks = min(-(-total // 256), 65535)
        cuda.raw(xp, _COL2IM, "mushin_col2im", columns.dtype.name, "int64")(
            (blocks,), (256,), (columns, image, *(xp.int64(v) for v in input_shape),
                                *(xp.int32(v) for v in (*kernel, *columns.shape[-2:], *stride,
                                                        *padding, *dilation))))
    return image


# --- the forward and the two gradients --------------------------------------------------------

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
    out_size = output_size("conv2d", tuple(x.shape), kernel, stride, padding, dilation)
    columns = _im2col(xp, x, kernel, stride, padding, dilation, out_size)
    matrix = weight.reshape(groups, out_channels // groups, -1)
    result = _grouped(xp, matrix, columns.reshape(groups, matrix.shape[2], -1))
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


def conv_input_grad_forward(xp: Any, grad: Array, weight: Array, input_shape: tuple[int, ...],
                            stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Array:
    """The input gradient ``(B, C, H, W)`` of a convolution given its output gradient: by
    columns and col2im, or at stride 1 over a wide enough output by spread rows. Also the
    forward of a transposed convolution."""
    out_width = grad.shape[3]
    if stride != (1, 1) or 2 * out_width < input_shape[3] + 2 * padding[1]:
        return _input_grad_by_columns(xp, grad, weight, input_shape, stride, padding,
                                      dilation, groups)
    return _input_grad_by_spread_rows(xp, grad, weight, input_shape, padding, dilation, groups)


def conv_input_grad_cuda(xp: Any, grad: Array, weight: Array, input_shape: tuple[int, ...],
                         stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Any:
    """Where col2im gathers (CuPy, float32 and float64): the columns whatever the stride,
    summed back by one kernel launch rather than one addition per kernel offset."""
    if not _col2im_gathers(xp, xp.result_type(weight.dtype, grad.dtype)):
        return NotImplemented
    return _input_grad_by_columns(xp, grad, weight, input_shape, stride, padding, dilation,
                                  groups)


def _input_grad_by_columns(xp: Any, grad: Array, weight: Array, input_shape: tuple[int, ...],
                           stride: Pair, padding: Pair, dilation: Pair, groups: int) -> Array:
    """The input gradient as the columns ``weight.T @ grad``, summed back by col2im."""
    batch, channels = input_shape[:2]
    out_channels, out_height, out_width = grad.shape[1:]
    kernel = (weight.shape[2], weight.shape[3])
    matrix = xp.swapaxes(weight.reshape(groups, out_channels // groups, -1), 1, 2)
    product = xp.empty((groups, matrix.shape[1], batch * out_height * out_width),
                       dtype=xp.result_type(weight.dtype, grad.dtype))
    _grouped(xp, matrix, _grad_rows(xp, grad, groups), product)
    columns = product.reshape(channels, *kernel, batch, out_height, out_width)
    image = _col2im(xp, columns, input_shape, kernel, stride, padding, dilation)
    return image


def _input_grad_by_spread_rows(xp: Any, grad: Array, weight: Array,
                               input_shape: tuple[int, ...], padding: Pair, dilation: Pair,
                               groups: int) -> Array:
    """The input gradient at stride 1, where the output is at least half the padded width.

    The gradient spread over the padded input's full width Wp (zeros past the Wo outputs of
    each row), so that each kernel offset's columns land on the input as one contiguous run
    per channel and image, starting at i * Wp + j: kh * kw long additions instead of one short
    one per output row each, for a product at most twice as wide.
    """
    batch, channels, height, width = input_shape
    out_channels, out_height, out_width = grad.shape[1:]
    kernel = (weight.shape[2], weight.shape[3])
    matrix = xp.swapaxes(weight.reshape(groups, out_channels // groups, -1), 1, 2)
    full_height, full_width = height + 2 * padding[0], width + 2 * padding[1]
    rows = xp.empty((out_channels, batch, out_height, full_width), dtype=grad.dtype)
    rows[..., :out_width] = xp.swapaxes(grad, 0, 1)
    rows[..., out_width:] = 0
    product = xp.empty((groups, matrix.shape[1], batch * out_height * full_width),
                       dtype=xp.result_type(weight.dtype, grad.dtype))
    _grouped(xp, matrix, rows.reshape(groups, out_channels // groups, -1), product)
    columns = product.reshape(channels, *kernel, batch, out_height * full_width)
    # A spare row: the last offsets' runs end up to (kw - 1) * dilation past the image.
    result = xp.zeros((channels, batch, (full_height + 1) * full_width), dtype=columns.dtype)
    for row in range(kernel[0]):
        for column in range(kernel[1]):
            start = row * dilation[0] * full_width + column * dilation[1]
            result[..., start:start + out_height * full_width] += columns[:, row, column]
    image = result[..., :full_height * full_width].reshape(channels, batch, full_height,
                                                           full_width)
    return xp.swapaxes(image, 0, 1)[..., padding[0]:padding[0] + height,
                                    padding[1]:padding[1] + width]


def _conv_weight_grad_forward(xp: Any, x: Array, grad: Array, weight_shape: tuple[int, ...],
                              stride: Pair, padding: Pair, dilation: Pair,
                              groups: int) -> Array:
    kernel = (weight_shape[2], weight_shape[3])
    out_size = (grad.shape[2], grad.shape[3])
    if not grad.size:  # an empty batch (or output): no term reaches the weight (PyTorch's 0)
        return xp.zeros(weight_shape, dtype=xp.result_type(x.dtype, grad.dtype))
    columns = _im2col(xp, x, kernel, stride, padding, dilation, out_size)
    columns = columns.reshape(groups, -1, grad.shape[0] * out_size[0] * out_size[1])
    # (C / groups * kh * kw, O / groups) per group, transposed at the end (it is small):
    # OpenBLAS runs this orientation of the long, thin product faster.
    product = _grouped(xp, columns, xp.swapaxes(_grad_rows(xp, grad, groups), 1, 2))
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


def conv_cropped(F: Any, x: Any, weight: Any, shape: tuple[int, ...], geometry: Any) -> Any:
    """``conv2d(x, weight)`` cropped to the height and width of ``shape``: the two differ only
    for a transposed convolution whose ``output_padding`` reaches its stride (allowed where
    the dilation is larger), whose last rows or columns no output position reads."""
    result = F.conv2d(x, weight, None, **geometry)
    height, width = shape[2], shape[3]
    if tuple(result.shape[2:]) != (height, width):
        result = F.getitem(result, index=(slice(None), slice(None), slice(0, height),
                                          slice(0, width)))
    return result


def _conv_input_grad_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                         input_shape: tuple[int, ...], **geometry: Any) -> tuple[Any, ...]:
    grad_output, weight = inputs
    grad_grad = grad_weight = None
    if parents[0] is not None:
        grad_grad = conv_cropped(F, g, weight, parents[0].shape, geometry)
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
        grad_grad = conv_cropped(F, x, g, parents[1].shape, geometry)
    return grad_x, grad_grad


CONV2D = Primitive("conv2d", _conv_forward, _conv_vjp)
CONV2D_INPUT_GRAD = Primitive("conv2d_input_grad", conv_input_grad_forward,
                              _conv_input_grad_vjp, cuda_forward=conv_input_grad_cuda)
CONV2D_WEIGHT_GRAD = Primitive("conv2d_weight_grad", _conv_weight_grad_forward,
                               _conv_weight_grad_vjp)


# --- the public functions -----------------------------------------------------------------------

_IMAGE = {1: "(B, C, L) or (C, L)", 2: "(B, C, H, W) or (C, H, W)",
          3: "(B, C, D, H, W) or (C, D, H, W)"}
KERNEL_AXES = {1: "k", 2: "kh, kw", 3: "kd, kh, kw"}
"""The kernel's axes of a ``dims``-d convolution's weight, for the error messages."""


def check_input(name: str, dims: int, shape: tuple[int, ...]) -> bool:
    """Whether ``shape`` is batched (``dims + 2`` axes); ``ShapeError`` unless it is that or
    unbatched (``dims + 1`` axes)."""
    if len(shape) not in (dims + 1, dims + 2):
        raise ShapeError(f"{operation_name(name)}: expected an input of shape {_IMAGE[dims]}, got "
                         f"shape {shape}")
    return len(shape) == dims + 2


def check_groups(name: str, groups: Any) -> int:
    """``groups`` as a positive int; ``ValueError`` otherwise."""
    if not is_int(groups) or groups < 1:
        raise ValueError(f"{operation_name(name)}: groups must be a positive int, got {groups!r}")
    return int(groups)


def conv_padding(name: str, padding: Any, kernel: tuple[int, ...], stride: tuple[int, ...],
                 dilation: tuple[int, ...]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The zeros a convolution adds (before, after) on each spatial axis, PyTorch's rules:
    an int or one int per axis on both sides; ``"valid"`` none; ``"same"`` (stride 1 only)
    ``dilation * (kernel - 1)`` in all, half before, the odd one after."""
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * len(kernel), (0,) * len(kernel)
        if padding != "same":
            raise ValueError(f"{operation_name(name)}: padding must be an int, a tuple of ints, "
                             f"'same' or 'valid', got {padding!r}")
        if any(step != 1 for step in stride):
            raise ValueError(f"{operation_name(name)}: padding='same' is not supported for strided "
                             f"convolutions, got stride={stride}")
        totals = [spread * (size - 1) for spread, size in zip(dilation, kernel, strict=True)]
        return tuple(total // 2 for total in totals), tuple(total - total // 2
                                                            for total in totals)
    both = ints(name, "padding", padding, 0, len(kernel))
    return both, both


def _check_reach(name: str, shape: tuple[int, ...], kernel: tuple[int, ...],
                 padding: tuple[int, ...], dilation: tuple[int, ...]) -> None:
    """``ShapeError`` where the padded input is smaller than the kernel's reach."""
    dims = len(kernel)
    padded_sizes = [size + extra for size, extra in zip(shape[-dims:], padding, strict=True)]
    reach = [spread * (size - 1) + 1 for spread, size in zip(dilation, kernel, strict=True)]
    if any(size < needed for size, needed in zip(padded_sizes, reach, strict=True)):
        raise ShapeError(f"{operation_name(name)}: the input of shape {shape} is too small: padded "
                         f"to {'x'.join(map(str, padded_sizes))} it is smaller than the kernel's "
                         f"reach of {'x'.join(map(str, reach))}")


def _convolve_volumes(x: Any, weight: Any, bias: Any, stride: tuple[int, ...],
                      padding: tuple[int, ...], dilation: tuple[int, ...], groups: int) -> Any:
    """The 3-d convolution of ``x`` ``(B, C, D, H, W)`` as one 2-D one: the ``kd`` depth
    slices each output depth reads stacked into the channels (``(B * Do, C * kd, H, W)``, the
    depth's im2col), the weight's depth folded into its channels to match, each group's
    channels staying together. Gradients and second derivatives are those of the 2-D
    primitive and of the slicing around it."""
    batch, channels, depth = shape_of(x)[:3]
    out_channels, _, kernel_depth, kernel_height, kernel_width = shape_of(weight)
    if padding[0]:
        x = pad(x, (0, 0, 0, 0, padding[0], padding[0]))
    reach = dilation[0] * (kernel_depth - 1) + 1
    out_depth = (depth + 2 * padding[0] - reach) // stride[0] + 1
    every = slice(None)
    slices = [getitem(x, (every, every, slice(offset * dilation[0],
                                              offset * dilation[0]
                                              + stride[0] * (out_depth - 1) + 1, stride[0])))
              for offset in range(kernel_depth)]
    height, width = shape_of(x)[3:]
    # (B, C, kd, Do, H, W) -> (B, Do, C, kd, H, W): channel c's kd slices side by side
    stacked = permute(stack(slices, axis=2), (0, 3, 1, 2, 4, 5))
    images = reshape(stacked, (batch * out_depth, channels * kernel_depth, height, width))
    kernels = reshape(weight, (out_channels, -1, kernel_height, kernel_width))
    result = apply(CONV2D, images, kernels, bias, stride=stride[1:], padding=padding[1:],
                   dilation=dilation[1:], groups=groups)
    out_height, out_width = shape_of(result)[2:]
    return permute(reshape(result, (batch, out_depth, out_channels, out_height, out_width)),
                   (0, 2, 1, 3, 4))


def _convolve(name: str, dims: int, input: Any, weight: Any, bias: Any, stride: Any,
              padding: Any, dilation: Any, groups: Any) -> Any:
    """The ``dims``-d convolution (1, 2 or 3) as the 2-D primitive: a 1-d one on a unit
    height axis, a 3-d one with the depth folded (``_convolve_volumes``), an unbatched input
    with a batch axis of one, an odd "same" padding's extra zero added after the input
    first."""
    x_shape, weight_shape = shape_of(input), shape_of(weight)
    batched = check_input(name, dims, x_shape)
    if len(weight_shape) != dims + 2:
        raise ShapeError(f"{operation_name(name)}: expected a weight of shape (O, C / groups, "
                         f"{KERNEL_AXES[dims]}), "
                         f"got shape {weight_shape}")
    groups = check_groups(name, groups)
    if weight_shape[0] % groups:
        raise ValueError(f"{operation_name(name)}: {weight_shape[0]} output channels are not "
                         f"divisible by groups={groups}")
    channels = x_shape[-dims - 1]
    if channels != weight_shape[1] * groups:
        raise ShapeError(f"{operation_name(name)}: the input of shape {x_shape} has {channels} "
                         f"channels but the weight of shape {weight_shape} with groups={groups} "
                         f"expects {weight_shape[1] * groups}")
    if bias is not None and shape_of(bias) != (weight_shape[0],):
        raise ShapeError(f"{operation_name(name)}: expected a bias of shape ({weight_shape[0]},), "
                         f"got shape {shape_of(bias)}")
    strides = ints(name, "stride", stride, 1, dims)
    dilations = ints(name, "dilation", dilation, 1, dims)
    kernel = tuple(weight_shape[2:])
    before, after = conv_padding(name, padding, kernel, strides, dilations)
    _check_reach(name, x_shape, kernel,
                 tuple(first + second for first, second in zip(before, after, strict=True)),
                 dilations)
    x = input if batched else reshape(input, (1, *x_shape))
    extra = [last - first for first, last in zip(before, after, strict=True)]
    if any(extra):  # "same" with an odd total: the one zero more goes after
        x = pad(x, tuple(width for added in reversed(extra) for width in (0, added)))
    if dims == 3:
        result = _convolve_volumes(x, weight, bias, strides, before, dilations, groups)
        return result if batched else reshape(result, shape_of(result)[1:])
    if dims == 1:
        x = reshape(x, (*shape_of(x)[:2], 1, shape_of(x)[2]))
        weight = reshape(weight, (*weight_shape[:2], 1, weight_shape[2]))
        strides, before, dilations = (1, *strides), (0, *before), (1, *dilations)
    result = apply(CONV2D, x, weight, bias, stride=strides, padding=before,
                   dilation=dilations, groups=groups)
    shape = shape_of(result)
    if dims == 1:
        shape = (*shape[:2], shape[3])
    if not batched:
        shape = shape[1:]
    return result if shape == shape_of(result) else reshape(result, shape)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
           groups: int = 1) -> Any:
    """PyTorch's ``F.conv1d``: the 1-D convolution (cross-correlation) of ``input``
    ``(B, C, L)`` or unbatched ``(C, L)`` with ``weight`` ``(O, C / groups, k)``, plus
    ``bias`` ``(O,)``: shape ``(B, O, Lo)`` (``(O, Lo)``), ``Lo = floor((L + 2 * padding -
    dilation * (k - 1) - 1) / stride) + 1``. ``padding`` is an int, ``"valid"`` (none) or
    ``"same"`` (stride 1: ``Lo = L``, an odd total's extra zero after). The 2-D convolution
    on a unit height axis."""
    return _convolve("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input: Any, weight: Any, bias: Any = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
           groups: int = 1) -> Any:
    """PyTorch's ``F.conv2d``: the 2-D convolution (cross-correlation) of ``input``
    ``(B, C, H, W)`` or unbatched ``(C, H, W)`` with ``weight`` ``(O, C / groups, kh, kw)``,
    plus ``bias`` ``(O,)``: shape ``(B, O, Ho, Wo)`` (``(O, Ho, Wo)``) with PyTorch's output
    sizes. ``padding`` is an int, a (height, width) pair, ``"valid"`` (none) or ``"same"``
    (stride 1: the output keeps the input's size; an odd total's extra zero goes below and to
    the right, as in PyTorch)."""
    return _convolve("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input: Any, weight: Any, bias: Any = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
           groups: int = 1) -> Any:
    """PyTorch's ``F.conv3d``: the 3-D convolution (cross-correlation) of ``input``
    ``(B, C, D, H, W)`` or unbatched ``(C, D, H, W)`` with ``weight`` ``(O, C / groups, kd,
    kh, kw)``, plus ``bias`` ``(O,)``: shape ``(B, O, Do, Ho, Wo)`` with PyTorch's output
    sizes. ``padding`` is an int, three ints, ``"valid"`` or ``"same"`` (as ``conv2d``'s).
    One 2-D convolution of the input's depth slices stacked into its channels."""
    return _convolve("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def conv_tbc(input: Any, weight: Any, bias: Any, pad: int = 0) -> Any:
    """PyTorch's ``F.conv_tbc``: the 1-D convolution of time-first sequences, ``input``
    ``(T, B, C)`` with ``weight`` ``(k, C, O)``, plus ``bias`` ``(O,)``, ``pad`` zeros at each
    end of the time axis: ``(T + 2 * pad - k + 1, B, O)``. ``conv1d`` on the batch-first
    views."""
    dims, kernel = shape_of(input), shape_of(weight)
    if len(dims) != 3 or len(kernel) != 3 or kernel[1] != dims[2]:
        raise ShapeError(f"{operation_name('conv_tbc')}: expected an input (T, B, C) and a weight "
                         f"(k, C, O) with one C, got shapes {dims} and {kernel}")
    if not is_int(pad) or pad < 0:
        raise ValueError(f"{operation_name('conv_tbc')}: pad must be an int >= 0, got {pad!r}")
    result = conv1d(permute(input, (1, 2, 0)), permute(weight, (2, 1, 0)), bias, padding=pad)
    return permute(result, (2, 0, 1))
