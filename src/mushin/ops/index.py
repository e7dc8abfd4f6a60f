"""Indexing by NumPy-style advanced or flat indices and by masks, scattering into views, and
the positions of elements, with PyTorch's names and arguments.

``index_put``/``put``/``take`` use NumPy-style advanced or flat indices; ``masked_*`` a bool
mask; ``select_scatter``, ``slice_scatter`` and ``diagonal_scatter`` write a tensor into a view;
``nonzero``, ``argwhere``, ``searchsorted``, ``bucketize``, ``isin`` and ``one_hot`` give
positions or memberships (int64 or bool Constants, never differentiated). Every index is an
integer tensor (a ``Constant``) or a host array, never differentiated; the sources and the
values are, to any order (``backward(create_graph=True)``).

The primitive ``index_put`` (overwrite at advanced indices) carries the gradients of the
writes, beside ``getitem`` and ``index_add`` (the primitives of ``x[...]``); its indices
travel as parameters, as backend arrays already checked against the shapes (an index out of
range is an ``IndexError`` naming the operation, as PyTorch raises one). Gathering and
scattering along a dim, and the ``index_*`` operations on slices, are
``mushin/ops/gather_scatter.py``.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, cast

import numpy as np

from mushin._backend import Array, namespace_of
from mushin._check import (
    broadcast_shape,
    host_array,
    is_int,
    is_number,
    operation_name,
    shape_of,
    single_axis,
)
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, Variable, apply, new_constant, storage, unwrap
from mushin.errors import ShapeError
from mushin.ops._index_common import (
    INT64,
    device_array,
    dtype_of,
    in_range,
    index_array,
    is_tensor,
    operand,
    same_dtype,
    scalar,
)
from mushin.ops.elementwise import astype, where
from mushin.ops.shape import broadcast_to, reshape, transpose
from mushin.ops.slicing import GETITEM, INDEX_ADD

# --- primitives --------------------------------------------------------------------------------

def _index_put_forward(xp: Any, x: Array, values: Any, index: tuple[Any, ...]) -> Array:
    out = xp.array(x, copy=True)
    out[index] = values
    return out


def _index_put_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   index: tuple[Any, ...]) -> tuple[Any, ...]:
    grad_x = None
    if parents[0] is not None:
        raw = F.unwrap(g)
        keep = namespace_of(raw).ones(raw.shape, dtype=raw.dtype)
        keep[index] = 0
        grad_x = g * keep
    grad_values = F.getitem(g, index=index) if parents[1] is not None else None
    return grad_x, grad_values


INDEX_PUT = Primitive("index_put", _index_put_forward, _index_put_vjp, saves="none")


def _nonzero_forward(xp: Any, x: Array) -> Array:
    return xp.argwhere(x).astype(INT64)


def _searchsorted_forward(xp: Any, sequence: Array, values: Any, side: str, sorter: Any,
                          dtype: Any) -> Array:
    if sorter is not None:
        sequence = xp.take_along_axis(sequence, sorter, axis=-1)
    if sequence.ndim <= 1:
        found = xp.searchsorted(sequence, values, side=side)
        return xp.asarray(found).astype(dtype)
    rows = sequence.reshape(math.prod(sequence.shape[:-1]), sequence.shape[-1])
    wanted = values.reshape(math.prod(values.shape[:-1]), values.shape[-1])
    out = xp.zeros(wanted.shape, dtype=dtype)
    for row in range(rows.shape[0]):
        out[row] = xp.searchsorted(rows[row], wanted[row], side=side)
    return out.reshape(values.shape)


NONZERO = Primitive("nonzero", _nonzero_forward, None)
SEARCHSORTED = Primitive("searchsorted", _searchsorted_forward, None)
ISIN = Primitive("isin", lambda xp, elements, tests, invert: xp.asarray(
    xp.isin(elements, tests, invert=invert)), None)
ONE_HOT = Primitive("one_hot", lambda xp, x, classes: (
    x[..., None] == xp.arange(classes)).astype(INT64), None)



# --- argument helpers ------------------------------------------------------------------------

def _mask(name: str, mask: Any, reference: Any) -> Array:
    """A bool mask as a backend array on ``reference``'s device."""
    value = unwrap(mask)
    if isinstance(value, bool | list | tuple):
        value = host_array(name, value, "mask")
    if not hasattr(value, "dtype") or np.dtype(value.dtype).kind != "b":
        kind = getattr(value, "dtype", type(value).__name__)
        raise TypeError(f"{operation_name(name)}: mask must be a bool tensor, got {kind}")
    return device_array(name, "mask", value, reference)

# --- advanced and flat indices -----------------------------------------------------------------

def _indexed_shape(shape: tuple[int, ...], items: tuple[Any, ...]) -> tuple[int, ...]:
    """The shape of ``x[items]`` for ``items`` of full slices and integer arrays, one per
    leading axis (NumPy's rule: the arrays' broadcast shape goes where the first array is
    when they are adjacent, else first)."""
    arrays = [position for position, item in enumerate(items) if not isinstance(item, slice)]
    joined: tuple[int, ...] = ()
    for position in arrays:
        joined = broadcast_shape("index_put", joined, tuple(items[position].shape))
    kept = [shape[position] for position, item in enumerate(items) if isinstance(item, slice)]
    rest = list(shape[len(items):])
    if not arrays:
        return tuple(kept + rest)
    if arrays == list(range(arrays[0], arrays[-1] + 1)):
        before = [shape[position] for position in range(arrays[0])]
        after = [shape[position] for position in range(arrays[-1] + 1, len(items))]
        return tuple(before) + joined + tuple(after + rest)
    return joined + tuple(kept + rest)


def _check_values(name: str, values: Any, target: tuple[int, ...]) -> None:
    got = shape_of(values)
    if len(got) > len(target) or builtins.any(
            size not in (1, want) for size, want in zip(reversed(got), reversed(target),
                                                        strict=False)):
        raise ShapeError(f"{operation_name(name)}: values of shape {got} cannot be broadcast to "
                         "the indexed "
                         f"shape {target}")


def _put_values(name: str, x: Any, items: tuple[Any, ...], values: Any, accumulate: bool) -> Any:
    """``x`` with ``values`` written (or added) at the advanced index ``items``."""
    if isinstance(values, Tensor | list | tuple) or hasattr(values, "shape"):
        values = same_dtype(name, "values", values, x)
    else:
        values = new_constant(scalar(name, "values", values, x))
    _check_values(name, values, _indexed_shape(shape_of(x), items))
    if accumulate:
        return x + apply(INDEX_ADD, values, index=items, shape=shape_of(x))
    return apply(INDEX_PUT, x, values, index=items)


@exported("fill_function")
@method("index_put", typing="fill_method")
def index_put(input: Any, indices: Any, values: Any, accumulate: bool = False) -> Any:
    """``input`` with ``out[indices] = values`` (``+=`` with ``accumulate``, where repeats all
    add): ``indices`` is a tuple of integer or bool tensors (``None`` for a whole axis), one
    per leading axis. Gradients: ``values`` the output's at ``indices``; ``input`` the output's
    (off the written places unless ``accumulate``)."""
    x = operand("index_put", input)
    shape = shape_of(x)
    if not isinstance(indices, tuple | list):
        raise TypeError(f"index_put: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    items: list[Any] = []
    axis = 0
    for item in tuple(cast("tuple[Any, ...]", indices)):
        if item is None:
            items.append(slice(None))
            axis += 1
            continue
        array = index_array("index_put", "an index", item, x, allow_bool=True)
        if array.dtype.kind == "b":
            if array.ndim == 0:
                raise IndexError("index_put: a 0-d bool index is not supported")
            covered = shape[axis:axis + array.ndim]
            if tuple(array.shape) != covered:
                raise IndexError(f"index_put: a bool index of shape {tuple(array.shape)} does "
                                 f"not match the axes {covered} of the input of shape {shape}")
            items.extend(array.nonzero())
            axis += array.ndim
            continue
        if axis >= len(shape):
            raise IndexError(f"index_put: too many indices for an input of shape {shape}")
        items.append(in_range("index_put", "index", array, shape[axis], negative=True))
        axis += 1
    if axis > len(shape):
        raise IndexError(f"index_put: too many indices for an input of shape {shape}")
    return _put_values("index_put", x, tuple(items), values, bool(accumulate))


def _flat_index(name: str, index: Any, x: Any) -> Array:
    idx = index_array(name, "index", index, x)
    return in_range(name, "index", idx, math.prod(shape_of(x)), negative=True)


@exported("fill_function")
@method("put", typing="fill_method")
def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Any:
    """``input`` with the elements at the flat positions ``index`` (negatives count from the
    end) set to ``source``'s (added with ``accumulate``); ``source`` has as many elements as
    ``index``."""
    x = operand("put", input)
    shape = shape_of(x)
    idx = _flat_index("put", index, x)
    source = same_dtype("put", "source", source, x)
    if math.prod(shape_of(source)) != idx.size:
        raise ShapeError(f"put: source has {math.prod(shape_of(source))} elements but index "
                         f"has {idx.size}")
    flat = reshape(x, (-1,))
    out = _put_values("put", flat, (idx.reshape(-1),), reshape(source, (-1,)), bool(accumulate))
    return reshape(out, shape)


@exported("runtime_shape_function")
@method("take", typing="runtime_shape_method")
def take(input: Any, index: Any) -> Any:
    """The elements of ``input`` at the flat positions ``index`` (negatives count from the
    end), in ``index``'s shape; the gradient adds back into the places read."""
    x = operand("take", input)
    idx = _flat_index("take", index, x)
    return apply(GETITEM, reshape(x, (-1,)), index=(idx,))


# --- masks -----------------------------------------------------------------------------------

def _masked(name: str, input: Any, mask: Any) -> tuple[Any, Array, tuple[int, ...]]:
    """``input`` and ``mask`` broadcast together (the input only where it must grow)."""
    x = operand(name, input)
    array = _mask(name, mask, x)
    shape = broadcast_shape(name, shape_of(x), tuple(array.shape))
    if shape_of(x) != shape:
        x = broadcast_to(x, shape)
    if tuple(array.shape) != shape:
        array = namespace_of(array).broadcast_to(array, shape)
    return x, array, shape


@exported("fill_function")
@method("masked_fill", typing="fill_method")
def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    """``input`` with ``value`` (a number or a 0-d tensor) where the bool ``mask`` holds, the
    two broadcast together. Gradients: ``input`` the output's off the mask, a tensor ``value``
    their sum on it."""
    x = operand("masked_fill", input)
    dtype = dtype_of(x)
    if is_tensor(value):
        if value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                             f"{value.shape}")
        if value.dtype != dtype:
            if isinstance(value, Variable) and dtype.kind != "f":
                raise TypeError(f"masked_fill: a Variable value cannot fill a tensor of dtype "
                                f"{dtype}")
            value = astype(value, dtype)
    else:
        value = scalar("masked_fill", "value", value, x)
    array = _mask("masked_fill", mask, x)
    broadcast_shape("masked_fill", shape_of(x), tuple(array.shape))
    return where(array, value, x)


@exported("runtime_shape_function")
@method("masked_select", typing="runtime_shape_method")
def masked_select(input: Any, mask: Any) -> Any:
    """The elements of ``input`` where the bool ``mask`` holds (the two broadcast together),
    as one axis; the gradient goes back to those places."""
    x, array, _ = _masked("masked_select", input, mask)
    positions = namespace_of(array).flatnonzero(array)
    return apply(GETITEM, reshape(x, (-1,)), index=(positions,))


@exported("fill_function")
@method("masked_scatter", typing="fill_method")
def masked_scatter(input: Any, mask: Any, source: Any) -> Any:
    """``input`` with the places where ``mask`` holds filled, in order, by ``source``'s first
    elements (the input and mask broadcast together). Gradients: ``input`` the output's off
    the mask; ``source`` the output's on it, in order (zero for elements not used)."""
    x, array, shape = _masked("masked_scatter", input, mask)
    source = same_dtype("masked_scatter", "source", source, x)
    positions = namespace_of(array).flatnonzero(array)
    count = int(positions.size)
    available = math.prod(shape_of(source))
    if available < count:
        raise ShapeError(f"masked_scatter: the mask selects {count} elements but source has "
                         f"only {available}")
    used = apply(GETITEM, reshape(source, (-1,)), index=(slice(0, count),))
    out = apply(INDEX_PUT, reshape(x, (-1,)), used, index=(positions,))
    return reshape(out, shape)


# --- scatter into views ------------------------------------------------------------------------

@exported("mixed_function")
@method("select_scatter", typing="mixed_method")
def select_scatter(input: Any, src: Any, dim: int, index: int) -> Any:
    """``input`` with ``input.select(dim, index)`` replaced by ``src`` (of that shape).
    Gradients: ``src`` the output's there, ``input`` the output's elsewhere."""
    x = operand("select_scatter", input)
    shape = shape_of(x)
    if not shape:
        raise ShapeError("select_scatter: the input must have at least one axis")
    axis = single_axis("select_scatter", dim, len(shape))
    if not is_int(index):
        raise TypeError(f"select_scatter: index must be an int, got {index!r}")
    if not -shape[axis] <= index < shape[axis]:
        raise IndexError(f"select_scatter: index {index} is out of range for axis {axis} of "
                         f"size {shape[axis]}")
    items = (slice(None),) * axis + (int(index) % shape[axis],)
    src = same_dtype("select_scatter", "src", src, x)
    want = shape[:axis] + shape[axis + 1:]
    if shape_of(src) != want:
        raise ShapeError(f"select_scatter: src has shape {shape_of(src)}, expected {want}")
    return apply(INDEX_PUT, x, src, index=items)


@exported("mixed_function")
@method("slice_scatter", typing="mixed_method")
def slice_scatter(input: Any, src: Any, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Any:
    """``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src`` (of that
    slice's shape). Gradients: ``src`` the output's there, ``input`` the output's elsewhere."""
    x = operand("slice_scatter", input)
    shape = shape_of(x)
    if not shape:
        raise ShapeError("slice_scatter: the input must have at least one axis")
    axis = single_axis("slice_scatter", dim, len(shape))
    for what, bound in (("start", start), ("end", end)):
        if bound is not None and not is_int(bound):
            raise TypeError(f"slice_scatter: {what} must be an int or None, got {bound!r}")
    if not is_int(step) or step <= 0:
        raise ValueError(f"slice_scatter: step must be a positive int, got {step!r}")
    chosen = slice(start, end, step)
    count = len(range(*chosen.indices(shape[axis])))
    src = same_dtype("slice_scatter", "src", src, x)
    want = (*shape[:axis], count, *shape[axis + 1:])
    if shape_of(src) != want:
        raise ShapeError(f"slice_scatter: src has shape {shape_of(src)}, expected {want}")
    return apply(INDEX_PUT, x, src, index=(slice(None),) * axis + (chosen,))


@exported("mixed_function")
@method("diagonal_scatter", typing="mixed_method")
def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Any:
    """``input`` with its diagonal ``offset`` over axes ``dim1``, ``dim2`` replaced by
    ``src`` (shaped as ``diagonal`` gives it: the other axes, then the diagonal). Gradients:
    ``src`` the output's diagonal, ``input`` the output's elsewhere."""
    x = operand("diagonal_scatter", input)
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(f"diagonal_scatter: the input needs at least 2 axes, got shape {shape}")
    first = single_axis("diagonal_scatter", dim1, len(shape))
    second = single_axis("diagonal_scatter", dim2, len(shape))
    if first == second:
        raise ValueError(f"diagonal_scatter: dim1 and dim2 must differ, got {dim1} and {dim2}")
    if not is_int(offset):
        raise TypeError(f"diagonal_scatter: offset must be an int, got {offset!r}")
    rows, cols = shape[first], shape[second]
    length = builtins.max(0, builtins.min(rows, cols - offset) if offset >= 0
                          else builtins.min(rows + offset, cols))
    others = [axis for axis in range(len(shape)) if axis not in (first, second)]
    order = (*others, first, second)
    src = same_dtype("diagonal_scatter", "src", src, x)
    want = (*tuple(shape[axis] for axis in others), length)
    if shape_of(src) != want:
        raise ShapeError(f"diagonal_scatter: src has shape {shape_of(src)}, expected {want}")
    data = unwrap(x)
    xp = namespace_of(data) if hasattr(data, "dtype") else np
    steps = xp.arange(length, dtype=INT64)
    row_index = steps + builtins.max(-offset, 0)
    col_index = steps + builtins.max(offset, 0)
    moved = transpose(x, order)
    items = (slice(None),) * len(others) + (row_index, col_index)
    out = apply(INDEX_PUT, moved, src, index=items)
    inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
    return transpose(out, inverse)


# --- positions, searches, membership ---------------------------------------------------------

@exported("index_function")
@method("nonzero", typing="index_method")
def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """The positions of the nonzero elements: an int64 ``(n, ndim)`` Constant, or with
    ``as_tuple=True`` one 1-d Constant per axis (a 0-d input counts as one axis)."""
    data = unwrap(operand("nonzero", input))
    if not hasattr(data, "dtype"):
        data = np.asarray(data)
    found: Constant = apply(NONZERO, data)
    if not as_tuple:
        return found
    positions = storage(found)
    xp = namespace_of(positions)
    if data.ndim == 0:
        return (new_constant(xp.zeros(positions.shape[0], dtype=INT64)),)
    return tuple(new_constant(xp.ascontiguousarray(positions[:, axis]))
                 for axis in range(data.ndim))


@exported("index_function")
@method("argwhere", typing="index_method")
def argwhere(input: Any) -> Any:
    """The positions of the nonzero elements as an int64 ``(n, ndim)`` Constant."""
    return nonzero(input)


@exported("index_function")
def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Any:
    """Where each value of ``input`` would go in ``sorted_sequence`` (along its last axis;
    leading axes pair with ``input``'s) to keep it sorted: the first such place, the last with
    ``right=True`` or ``side="right"``. ``sorter`` sorts an unsorted sequence. An int64
    Constant (int32 with ``out_int32``)."""
    sequence = operand("searchsorted", sorted_sequence, "sorted_sequence")
    seq = device_array("searchsorted", "sorted_sequence", sequence, sequence)
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: side='left' and right=True contradict each other")
    chosen = "right" if right or side == "right" else "left"
    if seq.ndim == 0:
        raise ShapeError("searchsorted: sorted_sequence must have at least one axis")
    if is_number(input) or isinstance(input, bool):
        if seq.ndim != 1:
            raise ShapeError("searchsorted: a number input needs a 1-d sorted_sequence, got "
                             f"shape {tuple(seq.shape)}")
        values: Any = device_array("searchsorted", "input", np.asarray(input), seq)
    else:
        values = device_array("searchsorted", "input", operand("searchsorted", input), seq)
        if seq.ndim > 1 and (values.ndim != seq.ndim or
                             tuple(values.shape[:-1]) != tuple(seq.shape[:-1])):
            raise ShapeError(f"searchsorted: the leading axes of sorted_sequence "
                             f"{tuple(seq.shape)} and input {tuple(values.shape)} must match")
    order = None
    if sorter is not None:
        order = index_array("searchsorted", "sorter", sorter, seq)
        if tuple(order.shape) != tuple(seq.shape):
            raise ShapeError(f"searchsorted: sorter has shape {tuple(order.shape)}, expected "
                             f"{tuple(seq.shape)}")
        order = in_range("searchsorted", "sorter", order, seq.shape[-1])
    dtype = np.dtype(np.int32) if out_int32 else INT64
    return apply(SEARCHSORTED, seq, values, side=chosen, sorter=order, dtype=dtype)


@exported("index_function")
def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False,
              right: bool = False) -> Any:
    """The bucket of each value of ``input`` among the sorted 1-d ``boundaries``:
    ``searchsorted(boundaries, input, right=right)``."""
    bounds = operand("bucketize", boundaries, "boundaries")
    if len(shape_of(bounds)) != 1:
        raise ShapeError(f"bucketize: boundaries must be 1-d, got shape {shape_of(bounds)}")
    return searchsorted(bounds, input, out_int32=out_int32, right=right)


@exported("index_function")
def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Any:
    """Whether each of ``elements`` is among ``test_elements`` (either may be a number), as a
    bool Constant of ``elements``' shape; ``invert=True`` asks whether it is not."""
    first = operand("isin", elements, "elements")
    second = operand("isin", test_elements, "test_elements")
    reference = first if is_tensor(first) else second
    return apply(ISIN, device_array("isin", "elements", first, reference),
                 device_array("isin", "test_elements", second, reference),
                 invert=bool(invert))


@exported("index_function")
def one_hot(tensor: Any, num_classes: int = -1) -> Any:
    """The int64 one-hot encoding of the class indices in ``tensor``: a new last axis of
    ``num_classes`` (one more than the largest class with -1)."""
    data = index_array("one_hot", "tensor", tensor, operand("one_hot", tensor))
    if not is_int(num_classes):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if num_classes == -1:
        if not data.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; give it")
        num_classes = int(data.max()) + 1
    elif num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    if data.size:
        if int(data.min()) < 0:
            raise ValueError(f"one_hot: class values must be non-negative, got {int(data.min())}")
        if int(data.max()) >= num_classes:
            raise ValueError(f"one_hot: class value {int(data.max())} is out of range for "
                             f"{num_classes} classes")
    return apply(ONE_HOT, data, classes=int(num_classes))
