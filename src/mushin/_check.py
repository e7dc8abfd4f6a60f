"""Every argument check of mushin: one definition each, the operation's name in each message.

The checks raise the exception a caller should see (``TypeError`` for a value of the wrong
type, ``ValueError`` for one out of range, ``ShapeError`` for shapes that do not fit) with a
message that starts with the operation's name. Predicates (``is_int``, ``is_number``) serve the
checks whose messages say more than "must be an int".

The name a message gives is the public function the user called (``operation_name``): a check
made inside a helper that another public function calls (``stack`` calling ``expand_dims``, a
layer's constructor calling ``zeros``) names the function the user called, found on the call
stack when (and only when) the check fails.
"""

from __future__ import annotations

import inspect
import math
import numbers
import sysconfig
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any, TypeGuard, TypeVar, cast

import numpy as np

from mushin.errors import ShapeError

_Function = TypeVar("_Function", bound=Callable[..., Any])


def is_int(value: object) -> TypeGuard[int]:
    """Whether ``value`` is an integer (Python's or NumPy's), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[float]:
    """Whether ``value`` is a real number (Python's or NumPy's), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def number(name: str, argument: str, value: object) -> float:
    """``value`` as a float, or ``TypeError``: ``{name}: {argument} must be a number``."""
    if not is_number(value):
        raise TypeError(f"{operation_name(name)}: {argument} must be a number, got {value!r}")
    return float(value)


INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
"""The range of PyTorch's ints (sizes, offsets, counts): a Python int beyond it is refused."""


def integer(name: str, argument: str, value: object, minimum: int | None = None) -> int:
    """``value`` as an int, or ``TypeError``: ``{name}: {argument} must be an int``; with a
    ``minimum``, ``ValueError`` below it: ``{name}: {argument} must be at least {minimum}``;
    ``ValueError`` beyond int64."""
    if not is_int(value):
        raise TypeError(f"{operation_name(name)}: {argument} must be an int, got {value!r}")
    if not INT64_MIN <= value <= INT64_MAX:
        raise ValueError(f"{operation_name(name)}: {argument} must fit in int64, got {value}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{operation_name(name)}: {argument} must be at least {minimum}, "
                         f"got {value}")
    return int(value)


def probability(name: str, argument: str, value: object) -> float:
    """A probability in [0, 1] (a dropout rate), or ``ValueError`` saying so."""
    if not is_number(value) or not 0 <= value <= 1:
        raise ValueError(f"{operation_name(name)}: {argument} must be a probability in "
                         f"[0, 1], got {value!r}")
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


_CALLS = ("__init__", "__new__", "__call__", "forward")
"""The methods whose frames stand for their class: constructing a layer, calling it."""


_LIBRARIES = ("<frozen", *{path for key, path in sysconfig.get_paths().items()
                           if key in ("stdlib", "platstdlib", "purelib", "platlib")})
"""Where Python's and the installed packages' code lives (and Python's frozen modules): their
frames between two mushin frames (``collections.Counter`` consuming a mushin generator) are
not the user's code."""


def _is_mushin(frame: FrameType) -> bool:
    module = str(frame.f_globals.get("__name__"))
    return module == "mushin" or module.startswith("mushin.")


def _is_library(frame: FrameType) -> bool:
    return frame.f_code.co_filename.startswith(_LIBRARIES)


def _public_name(frame: FrameType) -> str | None:
    """The public name a mushin frame runs under: its function's, or its class's for a
    constructor or a call (``Linear`` for ``Linear.__init__`` and ``Linear.forward``); None
    for a private helper, a check of this module, a comprehension or another special
    method."""
    if frame.f_globals.get("__name__") == __name__:
        return None
    name = frame.f_code.co_name
    if name in _CALLS:
        owner = frame.f_locals.get("self", frame.f_locals.get("cls"))
        kind = owner if isinstance(owner, type) else type(owner)
        name = kind.__name__ if owner is not None else "_"
    return None if name.startswith(("_", "<")) else name


def entry_point() -> str | None:
    """The public mushin function (or layer) that the user's code called, through which this
    check was reached: the outermost public frame of the innermost run of mushin frames on
    the call stack (library frames within the run do not end it). None outside any."""
    frame = inspect.currentframe()
    found = None
    while frame is not None and (_is_mushin(frame) or _is_library(frame)):
        if _is_mushin(frame):
            found = _public_name(frame) or found
        frame = frame.f_back
    return found


def operation_name(name: str) -> str:
    """The name an error raised by the operation ``name`` gives: the public function the user
    called (``entry_point``), or ``name`` where that is it (or its namespaced name,
    ``linalg.cross`` for ``cross`` or ``linalg_cross``) or where none is found. Only errors
    pay for the search."""
    entry = entry_point()
    if entry is None or entry in (name, name.rpartition(".")[2], name.replace(".", "_")):
        return name
    return entry


def rename(function: _Function, name: str) -> _Function:
    """``function``, made by a factory, under its public name ``name``: its ``__name__`` and
    its code's, which ``entry_point`` reads on the call stack."""
    function.__name__ = function.__qualname__ = name
    code = function.__code__
    function.__code__ = code.replace(co_name=name, co_qualname=name)
    return function


def host_array(name: str, value: Any, what: str = "input") -> Any:
    """``value`` (a number, a bool, a nested list of them) as a NumPy array of a bool, integer
    or float dtype, or ``TypeError`` naming the operation (a ragged list, strings, objects,
    an int beyond int64)."""
    try:
        array = np.asarray(value)
    except (ValueError, TypeError, OverflowError) as error:  # ragged
        raise TypeError(f"{operation_name(name)}: {what} must be a tensor, an array, a number "
                        f"or a nested list of numbers, got {type(value).__name__} ({error})"
                        ) from None
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{operation_name(name)}: {what} must be a tensor, an array, a number "
                        f"or a nested list of numbers, got {type(value).__name__} of dtype "
                        f"{array.dtype}")
    return array


def public_caller() -> str:
    """The public mushin function the user called, for an error raised where the operation's
    name is not at hand."""
    return entry_point() or "mushin"


def broadcast_shape(name: str, first: tuple[int, ...], second: tuple[int, ...]) -> tuple[int, ...]:
    """NumPy's broadcast of two shapes, or ``ShapeError`` naming ``name`` and both shapes."""
    if first == second:
        return first
    result: list[int] = []
    for index in range(1, max(len(first), len(second)) + 1):
        left = first[-index] if index <= len(first) else 1
        right = second[-index] if index <= len(second) else 1
        if left != right and left != 1 and right != 1:
            raise ShapeError(f"{operation_name(name)}: shapes {first} and {second} cannot be "
                             f"broadcast together (axis -{index}: {left} vs {right})")
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
            raise TypeError(f"{operation_name(name)}: an axis must be an int, got {item!r}")
        if not -ndim <= item < ndim:
            raise ValueError(f"{operation_name(name)}: axis {item} is out of range for a "
                             f"tensor with {ndim} axes")
        result.append(item % ndim)
    if len(set(result)) != len(result):
        raise ValueError(f"{operation_name(name)}: repeated axis in {axis!r}")
    return tuple(sorted(result))


def check_shape_argument(name: str, shape: Any, allow_minus_one: bool = False) -> tuple[int, ...]:
    """A shape argument (a tuple of non-negative ints; an int means a 1-axis shape)."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    if not isinstance(shape, tuple | list):
        raise TypeError(f"{operation_name(name)}: a shape must be a tuple of ints, got {shape!r}")
    sizes = tuple(cast("Sequence[Any]", shape))
    for size in sizes:
        if not is_int(size):
            raise TypeError(f"{operation_name(name)}: a shape must be a tuple of ints, "
                            f"got {sizes!r}")
        if size < 0 and not (allow_minus_one and size == -1):
            raise ValueError(f"{operation_name(name)}: sizes must not be negative, got {sizes!r}")
    if math.prod(size for size in sizes if size > 0) > INT64_MAX:
        raise ValueError(f"{operation_name(name)}: a shape of {sizes!r} holds more elements "
                         "than int64 can count")
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
        raise TypeError(f"{operation_name(name)}: give dim= or axis=, not both")
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
        raise TypeError(f"{operation_name(name)}: give keepdim= or keepdims=, not both")
    chosen = keepdims if keepdim is _UNSET or keepdim is None else keepdim
    if chosen is _UNSET or chosen is None:
        return False
    if not isinstance(chosen, bool | int):
        raise TypeError(f"{operation_name(name)}: keepdim must be a bool, got {chosen!r}")
    return bool(chosen)


def single_axis(name: str, dim: Any, ndim: int) -> int:
    """One axis (PyTorch's ``dim`` of ``argmax``, ``cumsum``, ``softmax``...) as a positive
    int; a 0-d tensor accepts 0 and -1, as PyTorch's does."""
    if not is_int(dim):
        raise TypeError(f"{operation_name(name)}: dim must be an int, got {dim!r}")
    span = max(ndim, 1)
    if not -span <= dim < span:
        raise IndexError(f"{operation_name(name)}: dim {dim} is out of range for a tensor "
                         f"with {ndim} axes")
    return int(dim) % span
