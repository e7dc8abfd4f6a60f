"""Every argument check of mushin: one definition each, the operation's name in each message.

The checks raise the exception a caller should see (``TypeError`` for a value of the wrong
type, ``ValueError`` for one out of range, ``ShapeError`` for shapes that do not fit) with a
message that starts with the operation's name. Predicates (``is_int``, ``is_number``) serve the
checks whose messages say more than "must be an int".
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping, Sequence
from types import FrameType
from typing import Any, TypeGuard, cast

from mushin.errors import ShapeError


def is_int(value: object) -> TypeGuard[int]:
    """Whether ``value`` is an integer (Python's or NumPy's), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[float]:
    """Whether ``value`` is a real number (Python's or NumPy's), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number(name: str, argument: str, value: object) -> float:
    """``value`` as a float, or ``TypeError``: ``{name}: {argument} must be a number``."""
    if not is_number(value):
        raise TypeError(f"{name}: {argument} must be a number, got {value!r}")
    return float(value)


def integer(name: str, argument: str, value: object, minimum: int | None = None) -> int:
    """``value`` as an int, or ``TypeError``: ``{name}: {argument} must be an int``; with a
    ``minimum``, ``ValueError`` below it: ``{name}: {argument} must be at least {minimum}``."""
    if not is_int(value):
        raise TypeError(f"{name}: {argument} must be an int, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: {argument} must be at least {minimum}, got {value}")
    return int(value)


def probability(name: str, argument: str, value: object) -> float:
    """A probability in [0, 1] (a dropout rate), or ``ValueError`` saying so."""
    if not is_number(value) or not 0 <= value <= 1:
        raise ValueError(f"{name}: {argument} must be a probability in [0, 1], got {value!r}")
    return float(value)


def shape_of(value: Any) -> tuple[int, ...]:
    """The shape of a tensor, an array or a scalar (``()``); ``TypeError`` for anything else."""
    shape = getattr(value, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(value, int | float | bool):
        return ()
    raise TypeError(f"{public_caller()}: expected a tensor, an array or a number, got "
                    f"{type(value).__name__}")


def public_caller() -> str:
    """The public mushin function that called (maybe through private helpers) the function
    calling this one: the operation an operand error should name. Only errors pay for it."""
    here = inspect.currentframe()
    frame: FrameType | None = here.f_back.f_back if here and here.f_back else None
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
        if not is_int(item):
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
        if not is_int(size):
            raise TypeError(f"{name}: a shape must be a tuple of ints, got {sizes!r}")
        if size < 0 and not (allow_minus_one and size == -1):
            raise ValueError(f"{name}: sizes must not be negative, got {sizes!r}")
    return sizes


def as_sequence(value: object) -> list[Any] | None:
    """The items of ``value`` if it is a list or a tuple, else ``None``."""
    if isinstance(value, list | tuple):
        return list(cast("Sequence[Any]", value))
    return None


def as_mapping(value: object) -> Mapping[Any, Any] | None:
    """``value`` if it is a mapping, else ``None``."""
    return cast("Mapping[object, Any]", value) if isinstance(value, Mapping) else None


_UNSET: Any = object()


def axis_argument(name: str, dim: Any = _UNSET, axis: Any = _UNSET) -> Any:
    """The axes asked for by PyTorch's ``dim=`` or NumPy's ``axis=`` (not both): None for
    every axis. ``()`` means every axis, as PyTorch's ``dim=()`` does (docs/porting.md)."""
    if dim is not _UNSET and axis is not _UNSET and dim is not None and axis is not None:
        raise TypeError(f"{name}: give dim= or axis=, not both")
    chosen: Any = axis if dim is _UNSET or dim is None else dim
    if chosen is _UNSET:
        return None
    if isinstance(chosen, tuple | list):
        axes = tuple(cast("Sequence[Any]", chosen))
        return axes if axes else None
    return chosen


def keep_argument(name: str, keepdim: Any = _UNSET, keepdims: Any = _UNSET) -> bool:
    """PyTorch's ``keepdim=`` or NumPy's ``keepdims=`` (not both), as a bool."""
    if keepdim is not _UNSET and keepdims is not _UNSET and keepdim is not None \
            and keepdims is not None and bool(keepdim) != bool(keepdims):
        raise TypeError(f"{name}: give keepdim= or keepdims=, not both")
    chosen = keepdims if keepdim is _UNSET or keepdim is None else keepdim
    if chosen is _UNSET or chosen is None:
        return False
    if not isinstance(chosen, bool | int):
        raise TypeError(f"{name}: keepdim must be a bool, got {chosen!r}")
    return bool(chosen)


def single_axis(name: str, dim: Any, ndim: int) -> int:
    """One axis (PyTorch's ``dim`` of ``argmax``, ``cumsum``, ``softmax``...) as a positive
    int; a 0-d tensor accepts 0 and -1, as PyTorch's does."""
    if not is_int(dim):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    span = max(ndim, 1)
    if not -span <= dim < span:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {ndim} axes")
    return int(dim) % span
