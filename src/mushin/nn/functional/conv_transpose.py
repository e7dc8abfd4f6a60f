"""``conv_transpose1d``, ``conv_transpose2d`` and ``conv_transpose3d``: PyTorch's transposed
convolutions, built on the input-gradient kernel of ``conv2d`` (``conv.py``).

A transposed convolution is the adjoint of a convolution: its forward is a convolution's input
gradient (the columns ``weight.T @ input``, summed back onto the output by col2im), not a
convolution of an input spread out with zeros, which would multiply stride² times as many
zeros as numbers. Its gradients are the adjoint pair the other way round: the input's is a
``conv2d`` of the output gradient, the weight's ``conv2d``'s weight gradient with the input
and the output gradient in swapped roles. All are primitives with their own VJPs, so second
derivatives work. The weight has PyTorch's layout ``(in, out / groups, k...)``, which is
exactly the ``(O, C / groups, k...)`` weight of the convolution it is the adjoint of.

A 3-d one is the 2-D one of each input depth slice, the weight's depth folded into its output
channels: each slice's ``kd`` contributions, then spread along the output's depth (the depth's
col2im: each contribution padded to its place, all summed).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mushin._backend import Array
from mushin._check import operation_name, shape_of
from mushin._graph import Primitive
from mushin._tensor import apply
from mushin.errors import ShapeError
from mushin.nn.functional.conv import (
    KERNEL_AXES,
    check_groups,
    check_input,
    conv_cropped,
    conv_input_grad_cuda,
    conv_input_grad_forward,
)
from mushin.nn.functional.shape import pad
from mushin.nn.functional.window import Pair, ints
from mushin.ops.shape import permute, reshape
from mushin.ops.slicing import getitem


def _with_bias(image: Array, bias: Array | None) -> Array:
    """``image`` ``(B, C, H, W)`` (a fresh array) plus ``bias`` ``(C,)`` on its channels."""
    if bias is None:
        return image
    rows = bias.reshape(1, -1, 1, 1)
    if rows.dtype == image.dtype:
        image += rows
        return image
    return image + rows


def _transpose_forward(xp: Any, x: Array, weight: Array, bias: Array | None,
                       output_shape: tuple[int, ...], stride: Pair, padding: Pair,
                       dilation: Pair, groups: int) -> Array:
    image = conv_input_grad_forward(xp, x, weight, output_shape, stride, padding, dilation,
                                    groups)
    return _with_bias(image, bias)


def _transpose_cuda(xp: Any, x: Array, weight: Array, bias: Array | None,
                    output_shape: tuple[int, ...], stride: Pair, padding: Pair,
                    dilation: Pair, groups: int) -> Any:
    image = conv_input_grad_cuda(xp, x, weight, output_shape, stride, padding, dilation,
                                 groups)
    if image is NotImplemented:
        return image
    return _with_bias(image, bias)


def _transpose_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   output_shape: tuple[int, ...], **geometry: Any) -> tuple[Any, ...]:
    x, weight, _ = inputs
    grad_x = grad_weight = grad_bias = None
    if parents[0] is not None:
        grad_x = conv_cropped(F, g, weight, parents[0].shape, geometry)
    if parents[1] is not None:
        grad_weight = F.conv2d_weight_grad(g, x, weight_shape=parents[1].shape, **geometry)
    if parents[2] is not None:
        grad_bias = F.sum(g, axis=(0, 2, 3), keepdims=False)
    return grad_x, grad_weight, grad_bias


CONV_TRANSPOSE2D = Primitive("conv_transpose2d", _transpose_forward, _transpose_vjp,
                             cuda_forward=_transpose_cuda)


def _transpose_volumes(x: Any, weight: Any, bias: Any, sizes: tuple[int, ...],
                       stride: tuple[int, ...], padding: tuple[int, ...],
                       dilation: tuple[int, ...], groups: int) -> Any:
    """The transposed 3-d convolution of ``x`` ``(B, C, D, H, W)`` to ``sizes`` (the output's
    depth, height and width): the 2-D one of each depth slice, with ``kd`` times the output
    channels (the weight's depth folded into them), then each kernel depth's contributions,
    ``stride`` apart, added at ``offset * dilation`` along the output's depth."""
    batch, channels, depth, height, width = shape_of(x)
    kernel_depth, kernel_height, kernel_width = shape_of(weight)[2:]
    out_channels = shape_of(weight)[1] * groups
    slices = reshape(permute(x, (0, 2, 1, 3, 4)), (batch * depth, channels, height, width))
    kernels = reshape(weight, (channels, -1, kernel_height, kernel_width))
    planes = apply(CONV_TRANSPOSE2D, slices, kernels, None,
                   output_shape=(batch * depth, out_channels * kernel_depth, *sizes[1:]),
                   stride=stride[1:], padding=padding[1:], dilation=dilation[1:],
                   groups=groups)
    # (B * D, O * kd, Ho, Wo), each group's channels (o, kd) -> (B, O, kd, D, Ho, Wo)
    parts = permute(reshape(planes, (batch, depth, out_channels, kernel_depth, *sizes[1:])),
                    (0, 2, 3, 1, 4, 5))
    if stride[0] > 1:  # the depth slices stride[0] apart: zeros between them
        parts = reshape(pad(reshape(parts, (*shape_of(parts)[:4], 1, *sizes[1:])),
                            (0, 0, 0, 0, 0, stride[0] - 1)),
                        (batch, out_channels, kernel_depth, depth * stride[0], *sizes[1:]))
    spread = (depth - 1) * stride[0] + 1
    full = max(dilation[0] * (kernel_depth - 1) + spread, padding[0] + sizes[0])
    every = slice(None)
    result: Any = None
    for offset in range(kernel_depth):
        start = offset * dilation[0]
        part = getitem(parts, (every, every, offset, slice(0, spread)))
        placed = pad(part, (0, 0, 0, 0, start, full - start - spread))
        result = placed if result is None else result + placed
    result = getitem(result, (every, every, slice(padding[0], padding[0] + sizes[0])))
    return result if bias is None else result + reshape(bias, (out_channels, 1, 1, 1))


def _transpose(name: str, dims: int, input: Any, weight: Any, bias: Any, stride: Any,
               padding: Any, output_padding: Any, groups: Any, dilation: Any) -> Any:
    """The ``dims``-d transposed convolution (1, 2 or 3) as the 2-D primitive (a 1-d one on a
    unit height axis, a 3-d one by ``_transpose_volumes``, an unbatched input with a batch
    axis of one)."""
    x_shape, weight_shape = shape_of(input), shape_of(weight)
    batched = check_input(name, dims, x_shape)
    if len(weight_shape) != dims + 2:
        raise ShapeError(f"{operation_name(name)}: expected a weight of shape (C, O / groups, "
                         f"{KERNEL_AXES[dims]}), "
                         f"got shape {weight_shape}")
    groups = check_groups(name, groups)
    if weight_shape[0] % groups:
        raise ValueError(f"{operation_name(name)}: {weight_shape[0]} input channels are not "
                         f"divisible by groups={groups}")
    channels = x_shape[-dims - 1]
    if channels != weight_shape[0]:
        raise ShapeError(f"{operation_name(name)}: the input of shape {x_shape} has {channels} "
                         f"channels but the weight of shape {weight_shape} expects "
                         f"{weight_shape[0]}")
    out_channels = weight_shape[1] * groups
    if bias is not None and shape_of(bias) != (out_channels,):
        raise ShapeError(f"{operation_name(name)}: expected a bias of shape ({out_channels},), got "
                         f"shape {shape_of(bias)}")
    if isinstance(padding, str):
        raise ValueError(f"{operation_name(name)}: padding must be an int or a tuple of ints "
                         f"(transposed convolutions take no 'same' or 'valid'), got {padding!r}")
    strides = ints(name, "stride", stride, 1, dims)
    paddings = ints(name, "padding", padding, 0, dims)
    extras = ints(name, "output_padding", output_padding, 0, dims)
    dilations = ints(name, "dilation", dilation, 1, dims)
    for extra, step, spread in zip(extras, strides, dilations, strict=True):
        if extra >= step and extra >= spread:
            raise ValueError(f"{operation_name(name)}: output_padding must be smaller than the "
                             f"stride or the dilation, got output_padding={extras}, "
                             f"stride={strides}, dilation={dilations}")
    sizes = tuple((size - 1) * step - 2 * margin + spread * (kernel - 1) + extra + 1
                  for size, step, margin, spread, kernel, extra in zip(
                      x_shape[-dims:], strides, paddings, dilations, weight_shape[2:], extras,
                      strict=True))
    if min(sizes) < 1:
        raise ShapeError(f"{operation_name(name)}: the input of shape {x_shape} gives an output of "
                         f"size {sizes}, too small (padding={paddings})")
    x = input if batched else reshape(input, (1, *x_shape))
    if dims == 3:
        result = _transpose_volumes(x, weight, bias, sizes, strides, paddings, dilations,
                                    groups)
        return result if batched else reshape(result, shape_of(result)[1:])
    if dims == 1:
        x = reshape(x, (*shape_of(x)[:2], 1, shape_of(x)[2]))
        weight = reshape(weight, (*weight_shape[:2], 1, weight_shape[2]))
        strides, paddings, dilations = (1, *strides), (0, *paddings), (1, *dilations)
        sizes = (1, *sizes)
    result = apply(CONV_TRANSPOSE2D, x, weight, bias,
                   output_shape=(shape_of(x)[0], out_channels, *sizes), stride=strides,
                   padding=paddings, dilation=dilations, groups=groups)
    shape = shape_of(result)
    if dims == 1:
        shape = (*shape[:2], shape[3])
    if not batched:
        shape = shape[1:]
    return result if shape == shape_of(result) else reshape(result, shape)


def conv_transpose1d(input: Any, weight: Any, bias: Any = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Any:
    """PyTorch's ``F.conv_transpose1d``: the transposed 1-D convolution of ``input``
    ``(B, C, L)`` or unbatched ``(C, L)`` with ``weight`` ``(C, O / groups, k)``, plus ``bias``
    ``(O,)``: shape ``(B, O, Lo)`` with ``Lo = (L - 1) * stride - 2 * padding + dilation *
    (k - 1) + output_padding + 1`` (the adjoint of ``conv1d``; ``output_padding``, smaller
    than the stride or the dilation, picks among the input sizes a strided ``conv1d`` maps to
    ``L``)."""
    return _transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                      output_padding, groups, dilation)


def conv_transpose2d(input: Any, weight: Any, bias: Any = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Any:
    """PyTorch's ``F.conv_transpose2d``: the transposed 2-D convolution of ``input``
    ``(B, C, H, W)`` or unbatched ``(C, H, W)`` with ``weight`` ``(C, O / groups, kh, kw)``,
    plus ``bias`` ``(O,)``: shape ``(B, O, Ho, Wo)`` with ``Ho = (H - 1) * stride - 2 *
    padding + dilation * (kh - 1) + output_padding + 1`` (and so for the width): the adjoint
    of ``conv2d``, computed by its input-gradient kernel."""
    return _transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                      output_padding, groups, dilation)


def conv_transpose3d(input: Any, weight: Any, bias: Any = None,
                     stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                     output_padding: int | Sequence[int] = 0, groups: int = 1,
                     dilation: int | Sequence[int] = 1) -> Any:
    """PyTorch's ``F.conv_transpose3d``: the transposed 3-D convolution of ``input``
    ``(B, C, D, H, W)`` or unbatched ``(C, D, H, W)`` with ``weight`` ``(C, O / groups, kd,
    kh, kw)``, plus ``bias`` ``(O,)``: shape ``(B, O, Do, Ho, Wo)``, each size as
    ``conv_transpose1d``'s (the adjoint of ``conv3d``)."""
    return _transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                      output_padding, groups, dilation)
