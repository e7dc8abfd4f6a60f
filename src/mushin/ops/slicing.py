"""Indexing and slices along an axis, PyTorch's names: ``x[...]`` (ints, slices, None, ``...``
and integer or bool arrays), ``narrow``, ``select`` and ``unfold``.

Each applies the ``getitem`` primitive, whose transpose ``index_add`` (a scatter-add) scatters
the gradient back, summed where an element is picked more than once; the indexing families
(``index.py``...) and the linear algebra compose the two as well.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._check import is_int, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply, unwrap
from mushin.errors import ShapeError
from mushin.ops.shape import RESHAPE, TRANSPOSE, one_axis


def _is_basic(index: tuple[Any, ...]) -> bool:
    """Whether an index uses only ints, slices, None and Ellipsis (no element repeats)."""
    return builtins.all(isinstance(item, int | slice) or item is None or item is Ellipsis
                        for item in index)


def _index_add_forward(xp: Any, g: Array, index: Any, shape: tuple[int, ...]) -> Array:
    result = xp.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        result[index] = g
    else:
        xp.add.at(result, index, g)
    return result


def _getitem_forward(xp: Any, x: Array, index: Any) -> Array:
    try:
        return x[index]
    except IndexError as error:
        raise IndexError(f"getitem: {error} (tensor of shape {tuple(x.shape)})") from error


GETITEM = Primitive("getitem", _getitem_forward,
                    lambda F, g, inputs, out, parents, index: (
                        F.index_add(g, index=index, shape=parents[0].shape),), saves="none")
INDEX_ADD = Primitive("index_add", _index_add_forward,
                      lambda F, g, inputs, out, parents, index, shape: (
                          F.getitem(g, index=index),), saves="none")


# --- argument helpers ---------------------------------------------------------------------------

def _int_value(name: str, what: str, value: Any) -> int:
    """An int argument that PyTorch also takes as a 0-d integer tensor (``narrow``'s start)."""
    data = unwrap(value)
    if hasattr(data, "dtype") and getattr(data, "ndim", None) == 0 and data.dtype.kind in "iu":
        return int(data.item())
    if not is_int(value):
        raise TypeError(f"{operation_name(name)}: {what} must be an int, got {value!r}")
    return int(value)


# --- indexing -----------------------------------------------------------------------------------

def _index_item(name: str, item: Any) -> Any:
    item = unwrap(item)
    if isinstance(item, list):
        return _backend.CPU.asarray(item)
    if isinstance(item, float):
        raise TypeError(f"{operation_name(name)}: indices must be ints, slices, None, Ellipsis "
                        "or integer "
                        f"arrays, got the float {item}")
    return item


def _is_mask(item: Any) -> bool:
    return hasattr(item, "dtype") and item.dtype.kind == "b"


def _check_masks(name: str, shape: tuple[int, ...], items: tuple[Any, ...]) -> None:
    """Raise ``IndexError`` unless every bool mask has the shape of the axes it selects from.

    The masks become integer arrays (their ``nonzero()``) before indexing, and an integer
    array is only checked against the axis bounds: a mask too short would pass silently.
    """
    consumed = builtins.sum(0 if item is None or item is Ellipsis else
                            item.ndim if _is_mask(item) else 1 for item in items)
    axis = 0
    for item in items:
        if item is Ellipsis:
            axis += builtins.max(len(shape) - consumed, 0)
        elif _is_mask(item):
            selected = shape[axis:axis + item.ndim]
            if axis + item.ndim <= len(shape) and tuple(item.shape) != selected:
                raise IndexError(f"{operation_name(name)}: a boolean index of shape "
                                 f"{tuple(item.shape)} "
                                 f"does not match the axes {selected} it selects from, in a "
                                 f"tensor of shape {shape}")
            axis += item.ndim
        elif item is not None:
            axis += 1


def index_items(name: str, x: Any, index: Any) -> tuple[Any, ...]:
    """``x[index]``'s index as the tuple the backend indexes with: bool masks checked and
    made integer arrays, integer arrays moved to ``x``'s device (``x[index] = v`` too)."""
    indices = cast("Sequence[Any]", index) if isinstance(index, tuple) else (index,)
    items = tuple(_index_item(name, item) for item in indices)
    data = unwrap(x)
    if builtins.any(_is_mask(item) for item in items):
        _check_masks(name, shape_of(x), items)
    converted: list[Any] = []
    for item in items:
        if hasattr(item, "dtype") and not isinstance(item, type(data)):
            item = _backend.backend_of(data).asarray(item)
        if hasattr(item, "dtype") and item.dtype.kind == "b" and item.ndim:
            converted.extend(item.nonzero())
        else:
            converted.append(item)
    return tuple(converted)


@method("__getitem__", typing="runtime_shape_method")
def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` with ints, slices, None, ``...`` and integer or bool arrays (a 0-d bool
    adds an axis of size 1 or 0, as in NumPy and PyTorch). The gradient is scattered back
    (summed where an element is picked more than once)."""
    return apply(GETITEM, x, index=index_items("getitem", x, index))


# --- slices along an axis -------------------------------------------------------------------------

@exported("runtime_shape_function")
@method("narrow", typing="runtime_shape_method")
def narrow(x: Any, dim: int, start: Any, length: int) -> Any:
    """The ``length`` elements from ``start`` (negative: from the end) along ``dim``."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("narrow: a 0-d tensor has no axis to narrow")
    axis = one_axis("narrow", dim, len(shape))
    begin = _int_value("narrow", "start", start)
    count = _int_value("narrow", "length", length)
    size = shape[axis]
    if not -size <= begin <= size:
        raise IndexError(f"narrow: start {begin} is out of range for dim {dim} of size {size}")
    if begin < 0:
        begin += size
    if count < 0 or begin + count > size:
        raise IndexError(f"narrow: start {begin} + length {count} exceeds dim {dim} of size "
                         f"{size}")
    return apply(GETITEM, x, index=(slice(None),) * axis + (slice(begin, begin + count),))


@exported("runtime_shape_function")
@method("select", typing="runtime_shape_method")
def select(x: Any, dim: int, index: Any) -> Any:
    """The slice at ``index`` (negative: from the end) along ``dim``, which is removed."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("select: a 0-d tensor has no axis to select from")
    axis = one_axis("select", dim, len(shape))
    position = _int_value("select", "index", index)
    if not -shape[axis] <= position < shape[axis]:
        raise IndexError(f"select: index {position} is out of range for dim {dim} of size "
                         f"{shape[axis]}")
    return apply(GETITEM, x, index=(slice(None),) * axis + (position % shape[axis],))


@method("unfold", typing="runtime_shape_method")
def unfold(x: Any, dimension: int, size: int, step: int) -> Any:
    """``x.unfold(dim, size, step)``: every window of ``size`` elements along ``dim``, ``step``
    apart; the windows replace ``dim`` and their elements form a new last axis."""
    shape = shape_of(x)
    axis = one_axis("unfold", dimension, len(shape))
    if not is_int(size) or not is_int(step):
        raise TypeError(f"unfold: size and step must be ints, got {size!r} and {step!r}")
    if step <= 0:
        raise ValueError(f"unfold: step must be positive, got {step}")
    length = shape[axis] if shape else 1
    if not 0 <= size <= length:
        raise ShapeError(f"unfold: size {size} does not fit in dim {dimension} of size {length} "
                         f"(tensor of shape {shape})")
    if not shape:
        return apply(GETITEM, apply(RESHAPE, x, shape=(1,)), index=(slice(0, size),))
    count = (length - size) // step + 1
    windows = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    gathered = getitem(x, (slice(None),) * axis + (windows,))
    order = tuple(range(axis + 1)) + tuple(range(axis + 2, len(shape) + 1)) + (axis + 1,)
    return apply(TRANSPOSE, gathered, axes=order)
