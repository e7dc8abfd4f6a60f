"""``conv_transpose1d`` and ``conv_transpose2d``: PyTorch's transposed convolutions, built on the
input-gradient kernel of ``conv2d`` (``conv.py``).

A transposed convolution is the adjoint of a convolution: its forward is a convolution's input
gradient (the columns ``weight.T @ input``, summed back onto the output by col2im), not a
convolution of an input spread out with zeros, which would multiply stride² times as many
zeros as numbers. Its gradients are the adjoint pair the other way round: the input's is a
``conv2d`` of the output gradient, the weight's ``conv2d``'s weight gradient with the input
and the output gradient in swapped roles. All are primitives with their own VJPs, so second
derivatives work. The weight has PyTorch's layout ``(in, out / groups, k...)``, which is
exactly the ``(O, C / groups, k...)`` weight of the convolution it is the adjoint of.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mushin._backend import Array
from mushin._check import shape_of
from mushin._graph import Primitive
from mushin._tensor import apply
from mushin.errors import ShapeError
from mushin.nn.functional.conv import (
    check_groups,
    check_input,
    conv_cropped,
    conv_input_grad_cuda,
    conv_input_grad_forward,
)
from mushin.nn.functional.window import Pair, ints
from mushin.ops.shape import reshape


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


def _transpose(name: str, dims: int, input: Any, weight: Any, bias: Any, stride: Any,
               padding: Any, output_padding: Any, groups: Any, dilation: Any) -> Any:
    """The ``dims``-d transposed convolution (1 or 2) as the 2-D primitive (a 1-d one on a
    unit height axis, an unbatched input with a batch axis of one)."""
    x_shape, weight_shape = shape_of(input), shape_of(weight)
    batched = check_input(name, dims, x_shape)
    if len(weight_shape) != dims + 2:
        kernel_axes = "k" if dims == 1 else "kh, kw"
        raise ShapeError(f"{name}: expected a weight of shape (C, O / groups, {kernel_axes}), "
                         f"got shape {weight_shape}")
    groups = check_groups(name, groups)
    if weight_shape[0] % groups:
        raise ValueError(f"{name}: {weight_shape[0]} input channels are not divisible by "
                         f"groups={groups}")
    channels = x_shape[-dims - 1]
    if channels != weight_shape[0]:
        raise ShapeError(f"{name}: the input of shape {x_shape} has {channels} channels but "
                         f"the weight of shape {weight_shape} expects {weight_shape[0]}")
    out_channels = weight_shape[1] * groups
    if bias is not None and shape_of(bias) != (out_channels,):
        raise ShapeError(f"{name}: expected a bias of shape ({out_channels},), got shape "
                         f"{shape_of(bias)}")
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int or a tuple of ints (transposed "
                         f"convolutions take no 'same' or 'valid'), got {padding!r}")
    strides = ints(name, "stride", stride, 1, dims)
    paddings = ints(name, "padding", padding, 0, dims)
    extras = ints(name, "output_padding", output_padding, 0, dims)
    dilations = ints(name, "dilation", dilation, 1, dims)
    for extra, step, spread in zip(extras, strides, dilations, strict=True):
        if extra >= step and extra >= spread:
            raise ValueError(f"{name}: output_padding must be smaller than the stride or the "
                             f"dilation, got output_padding={extras}, stride={strides}, "
                             f"dilation={dilations}")
    sizes = tuple((size - 1) * step - 2 * margin + spread * (kernel - 1) + extra + 1
                  for size, step, margin, spread, kernel, extra in zip(
                      x_shape[-dims:], strides, paddings, dilations, weight_shape[2:], extras,
                      strict=True))
    if min(sizes) < 1:
        raise ShapeError(f"{name}: the input of shape {x_shape} gives an output of size "
                         f"{sizes}, too small (padding={paddings})")
    x = input if batched else reshape(input, (1, *x_shape))
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
