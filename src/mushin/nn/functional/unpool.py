"""PyTorch's ``F.max_unpool1d``, ``F.max_unpool2d`` and ``F.max_unpool3d``: the partial inverse
of max pooling, each pooled value put back at the position ``F.max_pool*d(return_indices=True)``
found it (``h * W + w`` in its plane, ``(d * H + h) * W + w`` in its volume), zeros elsewhere.

An unpooling is a ``scatter`` of the values into a zero plane along its flattened spatial
axes; its gradient is the output gradient gathered at the indices (``scatter``'s), as
PyTorch's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from mushin import _typing as typed
from mushin._check import is_int, operation_name, shape_of
from mushin._creation import zeros
from mushin._tensor import unwrap
from mushin.errors import ShapeError
from mushin.nn.functional.window import ints
from mushin.ops.gather_scatter import scatter
from mushin.ops.shape import reshape


def unpool_output_size(name: str, spatial: tuple[int, ...], kernel: tuple[int, ...],
                       stride: tuple[int, ...], padding: tuple[int, ...],
                       output_size: Sequence[int] | None) -> tuple[int, ...]:
    """The spatial size of the unpooled output: ``(d - 1) * stride - 2 * padding + kernel``
    per axis, or ``output_size`` (its spatial sizes, or with ``(N, C)`` before them), each
    strictly within ``stride`` of that default, as PyTorch's ``_unpool_output_size``."""
    default = tuple((size - 1) * step - 2 * pad + reach for size, step, pad, reach
                    in zip(spatial, stride, padding, kernel, strict=True))
    if output_size is None:
        return default
    given = tuple(output_size)
    if len(given) == len(kernel) + 2:
        given = given[2:]
    if len(given) != len(kernel) or any(not is_int(size) for size in given):
        raise ValueError(f"{operation_name(name)}: output_size should be a sequence of "
                         f"{len(kernel)} or {len(kernel) + 2} ints, got {output_size!r}")
    for axis, (size, wanted, step) in enumerate(zip(given, default, stride, strict=True)):
        if not wanted - step < size < wanted + step:
            raise ValueError(f"{operation_name(name)}: invalid output_size {tuple(given)} (dim "
                             f"{axis} must be between {wanted - step} and {wanted + step}, "
                             "exclusive)")
    return tuple(int(size) for size in given)


def _max_unpool(name: str, dims: int, input: Any, indices: Any, kernel_size: Any, stride: Any,
                padding: Any, output_size: Sequence[int] | None) -> Any:
    """``max_unpool1d``, ``max_unpool2d`` or ``max_unpool3d`` (``dims`` 1, 2 or 3)."""
    kernel = ints(name, "kernel_size", kernel_size, 1, dims)
    steps = kernel if stride is None else ints(name, "stride", stride, 1, dims)
    pads = ints(name, "padding", padding, 0, dims)
    shape = shape_of(input)
    if len(shape) not in (dims + 1, dims + 2):
        axes = {1: "(N, C, L) or (C, L)", 2: "(N, C, H, W) or (C, H, W)",
                3: "(N, C, D, H, W) or (C, D, H, W)"}[dims]
        raise ShapeError(f"{operation_name(name)}: expected an input of shape {axes}, got shape "
                         f"{shape}")
    if shape_of(indices) != shape:
        raise ShapeError(f"{operation_name(name)}: the indices must have the input's shape "
                         f"{shape}, got shape {shape_of(indices)}")
    positions = unwrap(indices)
    if getattr(positions, "dtype", None) is None or positions.dtype.kind not in "iu":
        raise TypeError(f"{operation_name(name)}: indices must be an integer tensor, got "
                        f"{getattr(positions, 'dtype', type(indices).__name__)}")
    sizes = unpool_output_size(name, shape[-dims:], kernel, steps, pads, output_size)
    plane = math.prod(sizes)
    if positions.size:
        low, high = int(positions.min()), int(positions.max())
        if low < 0 or high >= plane:
            bad = low if low < 0 else high
            planes = "volumes" if dims == 3 else "planes"
            raise IndexError(f"{operation_name(name)}: found an invalid max index {bad} (the "
                             f"output {planes} are of size {'x'.join(map(str, sizes))})")
    lead = shape[:-dims]
    count = math.prod(shape[-dims:])
    data = unwrap(input)
    out = zeros(*lead, plane, dtype=data.dtype, device=getattr(input, "device", None))
    out = scatter(out, len(lead), reshape(indices, (*lead, count)),
                  reshape(input, (*lead, count)))
    return reshape(out, (*lead, *sizes))


@typed.runtime_shape_function
def max_unpool1d(input: Any, indices: Any, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> Any:
    """PyTorch's ``F.max_unpool1d``: ``input`` ``(N, C, L)`` or ``(C, L)`` put back at its
    ``indices`` (from ``max_pool1d(..., return_indices=True)``) in zeros of length ``(L - 1)
    * stride - 2 * padding + kernel_size`` (``stride`` the kernel size by default) or
    ``output_size``."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


@typed.runtime_shape_function
def max_unpool2d(input: Any, indices: Any, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> Any:
    """PyTorch's ``F.max_unpool2d``: ``input`` ``(N, C, H, W)`` or ``(C, H, W)`` put back at
    its ``indices`` (``h * W + w``, from ``max_pool2d(..., return_indices=True)``) in zero
    planes of ``(H - 1) * stride - 2 * padding + kernel_size`` by the same for the width, or
    ``output_size``."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


@typed.runtime_shape_function
def max_unpool3d(input: Any, indices: Any, kernel_size: int | Sequence[int],
                 stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
                 output_size: Sequence[int] | None = None) -> Any:
    """PyTorch's ``F.max_unpool3d``: ``input`` ``(N, C, D, H, W)`` or ``(C, D, H, W)`` put back
    at its ``indices`` (``(d * H + h) * W + w``, from ``max_pool3d(..., return_indices=True)``)
    in zero volumes of ``(size - 1) * stride - 2 * padding + kernel_size`` per spatial axis, or
    ``output_size``."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)
