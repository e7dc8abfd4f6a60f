"""Shape operations: reshape, transpose, broadcast, concatenate, index, move between devices.

``sum_to`` is the inverse of ``broadcast_to``: the engine uses it to sum every gradient back
to its operand's shape, and the two are each other's VJP.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any, cast

from mushin import _backend
from mushin._backend import Array
from mushin._check import check_shape_argument, normalize_axis, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, apply, host_range, unwrap
from mushin.errors import ShapeError

RESHAPE = Primitive("reshape", lambda xp, x, shape: xp.reshape(x, shape),
                    lambda F, g, inputs, out, parents, shape: (
                        F.reshape(g, shape=parents[0].shape),), saves="none")


def _transpose_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   axes: tuple[int, ...]) -> tuple[Any]:
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
    return (F.transpose(g, axes=inverse),)


TRANSPOSE = Primitive("transpose", lambda xp, x, axes: xp.transpose(x, axes), _transpose_vjp,
                      saves="none")
MATRIX_TRANSPOSE = Primitive("matrix_transpose", lambda xp, x: xp.swapaxes(x, -1, -2),
                             lambda F, g, inputs, out, parents: (F.matrix_transpose(g),),
                             saves="none")
BROADCAST_TO = Primitive("broadcast_to", lambda xp, x, shape: xp.broadcast_to(x, shape),
                         lambda F, g, inputs, out, parents, shape: (g,), saves="none")


def _sum_to_forward(xp: Any, x: Array, shape: tuple[int, ...]) -> Array:
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + index for index, size in enumerate(shape)
                                      if size == 1 and x.shape[lead + index] != 1)
    summed = xp.sum(x, axis=axes, keepdims=True) if axes else x
    return xp.reshape(summed, shape) if lead or summed.shape != shape else summed


SUM_TO = Primitive("sum_to", _sum_to_forward,
                   lambda F, g, inputs, out, parents, shape: (
                       F.broadcast_to(g, shape=parents[0].shape),), saves="none")


def _concat_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: int,
                sizes: tuple[int, ...]) -> tuple[Any, ...]:
    grads: list[Any] = []
    start = 0
    for parent, size in zip(parents, sizes, strict=True):
        if parent is not None:
            index = (slice(None),) * axis + (slice(start, start + size),)
            grads.append(F.getitem(g, index=index))
        else:
            grads.append(None)
        start += size
    return tuple(grads)


def _concat_forward(xp: Any, *arrays: Array, axis: int, sizes: tuple[int, ...]) -> Array:
    return xp.concatenate(arrays, axis=axis)


CONCAT = Primitive("concat", _concat_forward, _concat_vjp, saves="none")


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


TO_DEVICE = Primitive("to_device",
                      lambda xp, x, device, source: _backend.backend(device).asarray(x),
                      lambda F, g, inputs, out, parents, device, source: (
                          F.to_device(g, device=source, source=device),), saves="none")


# --- public functions ------------------------------------------------------------------------

@exported("reshape_function")
def reshape(x: Any, shape: Any) -> Any:
    """``x`` with a new shape of the same size; one size may be -1 (inferred)."""
    old = shape_of(x)
    new = check_shape_argument("reshape", shape, allow_minus_one=True)
    unknown = new.count(-1)
    known = math.prod(size for size in new if size != -1)
    total = math.prod(old)
    if unknown > 1:
        raise ValueError(f"reshape: only one size may be -1, got {new}")
    if unknown:
        if known == 0 or total % known:
            raise ShapeError(f"reshape: cannot reshape a tensor of shape {old} into {new}")
        new = tuple(total // known if size == -1 else size for size in new)
    elif known != total:
        raise ShapeError(f"reshape: cannot reshape a tensor of shape {old} ({total} elements) "
                         f"into {new} ({known} elements)")
    return apply(RESHAPE, x, shape=new)


@exported("flatten_function")
@method("flatten", typing="flatten_method")
def flatten(x: Any) -> Any:
    """``x`` as one axis."""
    return reshape(x, (math.prod(shape_of(x)),))


@exported("transpose_function")
@method("transpose", typing="transpose_method")
def transpose(x: Any, axes: Any = None) -> Any:
    """The axes permuted by ``axes``; all reversed by default (NumPy's ``transpose``)."""
    ndim = len(shape_of(x))
    if axes is None:
        order = tuple(reversed(range(ndim)))
    else:
        order = tuple(axis % ndim if isinstance(axis, int) and -ndim <= axis < ndim else -1
                      for axis in axes)
        if sorted(order) != list(range(ndim)):
            raise ValueError(f"transpose: axes {tuple(axes)} are not a permutation of the "
                             f"{ndim} axes of a tensor of shape {shape_of(x)}")
    return apply(TRANSPOSE, x, axes=order)


@method("T", "mT", typing="matrix_transpose_property")
def matrix_transpose(x: Any) -> Any:
    """The last two axes swapped (``x.T`` and ``x.mT``)."""
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(f"matrix_transpose: needs at least 2 axes, got shape {shape}")
    return apply(MATRIX_TRANSPOSE, x)


@exported("runtime_shape_function")
@method("expand_dims", typing="runtime_shape_method")
def expand_dims(x: Any, axis: int | tuple[int, ...]) -> Any:
    """``x`` with new size-1 axes at the positions ``axis`` of the result."""
    shape = shape_of(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    positions = normalize_axis("expand_dims", axes, len(shape) + len(axes)) or ()
    sizes = iter(shape)
    new = tuple(1 if index in positions else next(sizes)
                for index in range(len(shape) + len(positions)))
    return apply(RESHAPE, x, shape=new)


@exported("runtime_shape_function")
@method("squeeze", typing="runtime_shape_method")
def squeeze(x: Any, axis: int | tuple[int, ...] | None = None) -> Any:
    """``x`` without the size-1 axes ``axis`` (all of them by default)."""
    shape = shape_of(x)
    axes = normalize_axis("squeeze", axis, len(shape))
    if axes is None:
        axes = tuple(index for index, size in enumerate(shape) if size == 1)
    for index in axes:
        if shape[index] != 1:
            raise ShapeError(f"squeeze: axis {index} of shape {shape} has size {shape[index]}, "
                             "not 1")
    return apply(RESHAPE, x, shape=tuple(size for index, size in enumerate(shape)
                                         if index not in axes))


@exported("broadcast_function")
@method("broadcast_to", typing="broadcast_method")
def broadcast_to(x: Any, shape: Any) -> Any:
    """``x`` broadcast to ``shape`` (NumPy's rules)."""
    old = shape_of(x)
    new = check_shape_argument("broadcast_to", shape)
    pairs = zip(reversed(old), reversed(new), strict=False)
    if len(old) > len(new) or builtins.any(size not in (1, target) for size, target in pairs):
        raise ShapeError(f"broadcast_to: cannot broadcast shape {old} to {new}")
    return apply(BROADCAST_TO, x, shape=new)


def sum_to(x: Any, shape: Any) -> Any:
    """``x`` summed down to ``shape`` (the inverse of ``broadcast_to``)."""
    old = shape_of(x)
    new = check_shape_argument("sum_to", shape)
    pairs = zip(reversed(new), reversed(old), strict=False)
    if len(new) > len(old) or builtins.any(size not in (1, source) for size, source in pairs):
        raise ShapeError(f"sum_to: cannot sum shape {old} down to {new}")
    return apply(SUM_TO, x, shape=new)


@exported("join_function")
def concat(tensors: Any, axis: int = 0) -> Any:
    """The tensors joined along an existing ``axis``; other axes must agree."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("concat: needs at least one tensor")
    shapes = [shape_of(tensor) for tensor in tensors]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ShapeError("concat: cannot concatenate 0-d tensors; use stack")
    position = (normalize_axis("concat", axis, ndim) or (0,))[0]
    for shape in shapes[1:]:
        if len(shape) != ndim or builtins.any(
                size != first for index, (size, first) in enumerate(zip(shape, shapes[0],
                                                                        strict=True))
                if index != position):
            raise ShapeError(f"concat: shapes {shapes[0]} and {shape} differ outside axis "
                             f"{position}")
    return apply(CONCAT, *tensors, axis=position, sizes=tuple(shape[position] for shape in shapes))


@exported("join_function")
def stack(tensors: Any, axis: int = 0) -> Any:
    """The tensors, all of one shape, joined along a new ``axis``."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = {shape_of(tensor) for tensor in tensors}
    if len(shapes) > 1:
        raise ShapeError(f"stack: all tensors must have one shape, got {sorted(shapes)}")
    return concat([expand_dims(tensor, axis) for tensor in tensors], axis)


def _index_item(item: Any) -> Any:
    item = unwrap(item)
    if isinstance(item, list):
        return _backend.CPU.asarray(item)
    if isinstance(item, float):
        raise TypeError(f"getitem: indices must be ints, slices, None, Ellipsis or integer "
                        f"arrays, got the float {item}")
    return item


def _is_mask(item: Any) -> bool:
    return hasattr(item, "dtype") and item.dtype.kind == "b"


def _check_masks(shape: tuple[int, ...], items: tuple[Any, ...]) -> None:
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
                raise IndexError(f"getitem: a boolean index of shape {tuple(item.shape)} "
                                 f"does not match the axes {selected} it selects from, in a "
                                 f"tensor of shape {shape}")
            axis += item.ndim
        elif item is not None:
            axis += 1


@method("__getitem__", typing="runtime_shape_method")
def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` with ints, slices, None, ``...`` and integer or bool arrays."""
    indices = cast("Sequence[Any]", index) if isinstance(index, tuple) else (index,)
    items = tuple(_index_item(item) for item in indices)
    data = unwrap(x)
    if builtins.any(_is_mask(item) for item in items):
        _check_masks(shape_of(x), items)
    converted: list[Any] = []
    for item in items:
        if hasattr(item, "dtype") and not isinstance(item, type(data)):
            item = _backend.backend_of(data).asarray(item)
        if hasattr(item, "dtype") and item.dtype.kind == "b":
            converted.extend(item.nonzero())
        else:
            converted.append(item)
    return apply(GETITEM, x, index=tuple(converted))


@method("to", typing="same_type_method")
def to_device(x: Any, device: str) -> Any:
    """``x`` copied to ``device`` (``x`` itself if it is already there).

    A ``Variable`` copy stays in the graph: gradients flow back to the original device.
    """
    target = _backend.backend(device)
    source = _backend.backend_of(unwrap(x))
    if target is source:
        return x
    moved: Any = apply(TO_DEVICE, x, device=target.device, source=source.device)
    if moved.__class__ is Constant and source is _backend.CPU:
        bounds = host_range(x)
        if bounds is not None:
            moved._range = bounds
    return moved


@method("reshape", typing="reshape_method")
def _reshape_method(x: Any, *shape: Any) -> Any:
    """``x`` with a new shape of the same size: ``x.reshape((2, 3))`` or ``x.reshape(2, 3)``
    (one size may be -1, inferred), as ``mu.reshape(x, shape)``."""
    target = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
    return reshape(x, target)
