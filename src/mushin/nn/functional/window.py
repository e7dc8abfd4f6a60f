"""The geometry of sliding windows over ``(B, C, H, W)`` images, shared by convolution and
pooling: the (height, width) arguments (``pair``; ``ints`` for any number of spatial axes),
the output size, the padded input and the strided slice that each kernel offset sees.

Output sizes are PyTorch's: ``floor((H + 2 * padding - dilation * (kernel - 1) - 1) / stride)
+ 1``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from mushin._backend import Array
from mushin._check import INT64_MAX, is_int, operation_name
from mushin.errors import ShapeError

Pair = tuple[int, int]
"""A (height, width) pair: a kernel size, a stride, a padding or a dilation."""


def pair(name: str, argument: str, value: int | Sequence[int], minimum: int) -> Pair:
    """An int or a pair of ints (height, width), each at least ``minimum``."""
    given = (value, value) if is_int(value) else value
    if (not isinstance(given, tuple | list) or len(given) != 2
            or any(not is_int(item) for item in given)):
        raise TypeError(f"{operation_name(name)}: {argument} must be an int or a pair of ints, got "
                        f"{value!r}")
    if min(given) < minimum:
        raise ValueError(f"{operation_name(name)}: {argument} must be at least {minimum}, got "
                         f"{value!r}")
    if max(given) > INT64_MAX:
        raise ValueError(f"{operation_name(name)}: {argument} must fit in int64, got {value!r}")
    return int(given[0]), int(given[1])


def ints(name: str, argument: str, value: int | Sequence[int], minimum: int,
         count: int) -> tuple[int, ...]:
    """An int (the same on every axis) or ``count`` ints, one per spatial axis, each at least
    ``minimum``: the stride, padding, dilation... of a ``count``-d convolution."""
    given = (value,) * count if is_int(value) else value
    if (not isinstance(given, tuple | list) or len(given) != count
            or any(not is_int(item) for item in given)):
        what = "an int or a tuple of one int" if count == 1 else f"an int or {count} ints"
        raise TypeError(f"{operation_name(name)}: {argument} must be {what}, got {value!r}")
    if min(given) < minimum:
        raise ValueError(f"{operation_name(name)}: {argument} must be at least {minimum}, got "
                         f"{value!r}")
    if max(given) > INT64_MAX:
        raise ValueError(f"{operation_name(name)}: {argument} must fit in int64, got {value!r}")
    return tuple(int(item) for item in given)


def check_image(name: str, shape: tuple[int, ...]) -> None:
    """``ShapeError`` unless ``shape`` is a batch of images, ``(B, C, H, W)``."""
    if len(shape) != 4:
        raise ShapeError(f"{operation_name(name)}: expected an input of shape (B, C, H, W), got "
                         f"shape {shape}")


def output_size(name: str, shape: tuple[int, ...], kernel: Pair, stride: Pair, padding: Pair,
                dilation: Pair) -> Pair:
    """The (height, width) of the output for the input ``shape``; ``ShapeError`` where the
    padded input is smaller than the kernel's reach."""
    sizes: list[int] = []
    for axis in (0, 1):
        reach = dilation[axis] * (kernel[axis] - 1) + 1
        padded_size = shape[2 + axis] + 2 * padding[axis]
        if padded_size < reach:
            raise ShapeError(
                f"{operation_name(name)}: the input of shape {shape} is too small: padded to "
                f"{shape[2] + 2 * padding[0]}x{shape[3] + 2 * padding[1]} it is smaller than "
                f"the kernel's reach of {dilation[0] * (kernel[0] - 1) + 1}x"
                f"{dilation[1] * (kernel[1] - 1) + 1}")
        sizes.append((padded_size - reach) // stride[axis] + 1)
    return sizes[0], sizes[1]


def padded(xp: Any, x: Array, padding: Pair, value: float = 0.0) -> Array:
    """``x`` with ``padding`` rows and columns of ``value`` on each side (``x`` itself for no
    padding)."""
    if padding == (0, 0):
        return x
    widths = ((0, 0), (0, 0), (padding[0], padding[0]), (padding[1], padding[1]))
    return xp.pad(x, widths, constant_values=value)


def kernel_offsets(kernel: Pair, stride: Pair, dilation: Pair,
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
