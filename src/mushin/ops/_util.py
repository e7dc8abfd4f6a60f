"""Argument checks shared by the operations: shapes, axes and operands."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any, cast

from mushin._tensor import ShapeError, Tensor


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a tensor, an array or a scalar (``()``)."""
    if isinstance(value, Tensor):
        return tuple(value._data.shape)
    shape = getattr(value, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(value, int | float | bool):
        return ()
    raise TypeError(f"{_public_caller()}: expected a tensor, an array or a number, got "
                    f"{type(value).__name__}")


def accumulator(array: Any) -> Any:
    """The dtype to sum ``array``'s elements in: float32 for float16, whose running sums overflow
    at 65504 (and stop growing by 1 at 2048) long before a mean, a softmax or a log-sum-exp
    does, as NumPy's ``mean`` does; None (the array's own dtype) otherwise."""
    return "float32" if getattr(array, "dtype", None) == "float16" else None


def _public_caller() -> str:
    """The public mushin function that called (maybe through private helpers) the function
    calling this one: the operation an operand error should name. Only errors pay for it."""
    frame: FrameType | None = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_name
        if not name.startswith(("_", "<")) and str(frame.f_globals.get("__name__")).startswith(
                "mushin."):
            return name
        frame = frame.f_back
    return "mushin"


def broadcast_shape(name: str, first: tuple[int, ...], second: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcast of two shapes, or ``ShapeError`` naming ``name`` and both shapes."""
    if first == second:
        return first
    result: list[int] = []
    for index in range(1, max(len(first), len(second)) + 1):
        left = first[-index] if index <= len(first) else 1
        right = second[-index] if index <= len(second) else 1
        if left != right and left != 1 and right != 1:
            raise ShapeError(f"{name}: shapes {first} and {second} cannot be broadcast together "
                             f"(axis -{index}: {left} vs {right})")
        result.append(left if right == 1 else right)
    return tuple(reversed(result))


def normalize_axis(name: str, axis: Any, ndim: int) -> tuple[int, ...] | None:
    """``axis`` (None, an int or a tuple of ints, negatives allowed) as sorted positives."""
    if axis is None:
        return None
    axes = (axis,) if not isinstance(axis, tuple | list) else tuple(cast("Sequence[Any]", axis))
    result: list[int] = []
    for item in axes:
        if isinstance(item, bool) or not isinstance(item, int):
            raise TypeError(f"{name}: an axis must be an int, got {item!r}")
        if not -ndim <= item < ndim:
            raise ValueError(f"{name}: axis {item} is out of range for a tensor with {ndim} axes")
        result.append(item % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{name}: repeated axis in {axis!r}")
    return tuple(sorted(result))


def check_shape_argument(name: str, shape: Any, allow_minus_one: bool = False) -> tuple[int, ...]:
    """A shape argument (a tuple of non-negative ints; an int means a 1-axis shape)."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, tuple | list):
        raise TypeError(f"{name}: a shape must be a tuple of ints, got {shape!r}")
    sizes = tuple(cast("Sequence[Any]", shape))
    for size in sizes:
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"{name}: a shape must be a tuple of ints, got {sizes!r}")
        if size < 0 and not (allow_minus_one and size == -1):
            raise ValueError(f"{name}: sizes must not be negative, got {sizes!r}")
    return sizes
