"""PyTorch's ``F.unfold`` (im2col: every sliding block of an image as a column) and its
adjoint ``F.fold`` (col2im: the columns summed back into an image).

Both read one index: the position, in the zero-padded image flattened to one axis per
channel, of each element of each block, ``(kernel offset, block)`` in PyTorch's order. Unfold
is an ``index_select`` of those positions and fold an ``index_add`` of the columns into zeros
at them; each is the other's gradient, so both differentiate to any order.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from mushin import _typing as typed
from mushin._check import operation_name, shape_of
from mushin._creation import zeros
from mushin._tensor import unwrap
from mushin.errors import ShapeError
from mushin.nn.functional.shape import pad
from mushin.nn.functional.window import Pair, pair
from mushin.ops.gather_scatter import index_add, index_select
from mushin.ops.shape import reshape
from mushin.ops.slicing import getitem


def _geometry(name: str, kernel_size: int | Sequence[int], dilation: int | Sequence[int],
              padding: int | Sequence[int], stride: int | Sequence[int]
              ) -> tuple[Pair, Pair, Pair, Pair]:
    """The kernel, dilation, padding and stride as (height, width) pairs, checked."""
    return (pair(name, "kernel_size", kernel_size, 1), pair(name, "dilation", dilation, 1),
            pair(name, "padding", padding, 0), pair(name, "stride", stride, 1))


def _blocks(name: str, size: Pair, kernel: Pair, dilation: Pair, padding: Pair,
            stride: Pair) -> Pair:
    """The number of sliding blocks along the height and the width of an image of ``size``;
    ``ShapeError`` where there is none."""
    counts = tuple((size[axis] + 2 * padding[axis] - dilation[axis] * (kernel[axis] - 1) - 1)
                   // stride[axis] + 1 for axis in (0, 1))
    if min(counts) < 1:
        raise ShapeError(
            f"{operation_name(name)}: an image of spatial size {size} with kernel_size={kernel}, "
            f"dilation={dilation}, padding={padding} has no sliding block (calculated "
            f"{counts[0]} x {counts[1]} blocks; each must be at least 1)")
    return counts[0], counts[1]


def _positions(padded_width: int, kernel: Pair, dilation: Pair, stride: Pair,
               blocks: Pair) -> np.ndarray:
    """The flat position in the padded image of element (kernel offset, block) of the
    columns, kernel offsets and blocks both in row-major order: ``(K * L,)``."""
    rows = (np.arange(kernel[0])[:, None, None, None] * dilation[0]
            + np.arange(blocks[0])[None, None, :, None] * stride[0])
    columns = (np.arange(kernel[1])[None, :, None, None] * dilation[1]
               + np.arange(blocks[1])[None, None, None, :] * stride[1])
    return (rows * padded_width + columns).reshape(-1)


@typed.runtime_shape_function
def unfold(input: Any, kernel_size: int | Sequence[int], dilation: int | Sequence[int] = 1,
           padding: int | Sequence[int] = 0, stride: int | Sequence[int] = 1) -> Any:
    """PyTorch's ``F.unfold``: the sliding blocks of ``input`` ``(N, C, H, W)`` or ``(C, H,
    W)`` as columns, ``(N, C * kh * kw, L)`` or ``(C * kh * kw, L)`` for ``L`` blocks (each
    argument an int or a (height, width) pair; the input zero-padded by ``padding``)."""
    name = "unfold"
    shape = shape_of(input)
    if len(shape) not in (3, 4):
        raise ShapeError(f"{operation_name(name)}: expected an input of shape (N, C, H, W) "
                         f"or (C, H, W), got shape {shape}")
    kernel, dilation_, padding_, stride_ = _geometry(name, kernel_size, dilation, padding,
                                                     stride)
    height, width = shape[-2:]
    blocks = _blocks(name, (height, width), kernel, dilation_, padding_, stride_)
    if padding_ != (0, 0):
        input = pad(input, (padding_[1], padding_[1], padding_[0], padding_[0]))
    lead = shape[:-2]
    flat = reshape(input, (*lead, (height + 2 * padding_[0]) * (width + 2 * padding_[1])))
    positions = _positions(width + 2 * padding_[1], kernel, dilation_, stride_, blocks)
    columns = index_select(flat, len(lead), positions)
    return reshape(columns, (*lead[:-1], lead[-1] * kernel[0] * kernel[1],
                             blocks[0] * blocks[1]))


@typed.runtime_shape_function
def fold(input: Any, output_size: int | Sequence[int], kernel_size: int | Sequence[int],
         dilation: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
         stride: int | Sequence[int] = 1) -> Any:
    """PyTorch's ``F.fold``, the adjoint of ``unfold``: columns ``(N, C * kh * kw, L)`` or
    ``(C * kh * kw, L)`` summed into images ``(N, C, H, W)`` or ``(C, H, W)`` of
    ``output_size`` ``(H, W)``, each column's elements added where ``unfold`` read them (so
    overlapping blocks add up)."""
    name = "fold"
    shape = shape_of(input)
    if len(shape) not in (2, 3):
        raise ShapeError(f"{operation_name(name)}: expected an input of shape (N, C * kh * kw, L) "
                         f"or (C * kh * kw, L), got shape {shape}")
    size = pair(name, "output_size", output_size, 1)
    kernel, dilation_, padding_, stride_ = _geometry(name, kernel_size, dilation, padding,
                                                     stride)
    per_block = kernel[0] * kernel[1]
    if shape[-2] % per_block:
        raise ShapeError(f"{operation_name(name)}: the size of the input's dimension "
                         f"{len(shape) - 2} ({shape[-2]}, of shape {shape}) must be divisible by "
                         f"the product of kernel_size={kernel} ({per_block})")
    blocks = _blocks(name, size, kernel, dilation_, padding_, stride_)
    if shape[-1] != blocks[0] * blocks[1]:
        raise ShapeError(
            f"{operation_name(name)}: given output_size={size}, kernel_size={kernel}, "
            f"dilation={dilation_}, "
            f"padding={padding_}, stride={stride_}, the input's last dimension must match the "
            f"calculated number of sliding blocks {blocks[0]} * {blocks[1]} = "
            f"{blocks[0] * blocks[1]}, got shape {shape}")
    lead = (*shape[:-2], shape[-2] // per_block)
    padded_size = (size[0] + 2 * padding_[0], size[1] + 2 * padding_[1])
    positions = _positions(padded_size[1], kernel, dilation_, stride_, blocks)
    data = unwrap(input)
    image = zeros(*lead, padded_size[0] * padded_size[1], dtype=data.dtype,
                  device=getattr(input, "device", None))
    image = index_add(image, len(lead), positions,
                      reshape(input, (*lead, per_block * shape[-1])))
    image = reshape(image, (*lead, *padded_size))
    if padding_ == (0, 0):
        return image
    return getitem(image, (Ellipsis, slice(padding_[0], padding_[0] + size[0]),
                           slice(padding_[1], padding_[1] + size[1])))
