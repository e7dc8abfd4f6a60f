"""Joins and splits, PyTorch's names: ``concat`` and ``stack`` (the ``concat`` primitive and
PyTorch's promotion of joined tensors, which the rest of the package uses too), ``cat`` and its
aliases, the ``h/v/d/column_stack`` family, ``split``, ``chunk``, ``unbind``, ``tensor_split``
and the ``h/v/dsplit`` family, ``meshgrid``, ``cartesian_prod``, ``combinations`` and
``block_diag``.

Each is composed of the shape primitives (``concat``, ``getitem``, ``reshape``,
``broadcast_to``), so each gradient comes from its parts: a join hands every operand its
slice of the gradient, a split scatters each piece's gradient back into place.
"""

from __future__ import annotations

import builtins
import itertools
import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from mushin._backend import DEFAULT_DTYPE, Array, namespace_of
from mushin._check import (
    INT64_MAX,
    axis_argument,
    integer,
    is_int,
    normalize_axis,
    operation_name,
    shape_of,
)
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Tensor, apply, new_constant, unwrap
from mushin.errors import ShapeError
from mushin.ops.rearrange import clone
from mushin.ops.shape import BROADCAST_TO, RESHAPE, atleast_1d, atleast_2d, atleast_3d, one_axis
from mushin.ops.slicing import GETITEM, getitem


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


# --- concat and stack: the joins that the rest of the package uses too ---------------------------

def join_axis(name: str, dim: Any, axis: Any) -> Any:
    """A join's axis from PyTorch's ``dim=`` or NumPy's ``axis=`` (not both); 0 by default."""
    chosen = axis_argument(name, dim, axis)
    if chosen is None:
        return 0
    if not is_int(chosen):
        raise TypeError(f"{operation_name(name)}: dim must be an int, got {chosen!r}")
    return chosen

def _join_dtype(value: Any) -> np.dtype[Any]:
    """The dtype a joined operand counts with: its own, or for a Python number the tensor
    PyTorch would make of it (bool, int64, float32)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        own: np.dtype[Any] = np.dtype(dtype)
        return own
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, int):
        return np.dtype(np.int64)
    if isinstance(value, float):
        return DEFAULT_DTYPE
    found: np.dtype[Any] = np.asarray(value).dtype
    return found


def _common_dtype(tensors: Sequence[Any]) -> Any:
    """PyTorch's result dtype of joined tensors: floating beats integer beats bool, and within
    a category the widest wins (int64 with float32 gives float32, as in PyTorch)."""
    dtypes = [_join_dtype(unwrap(tensor)) for tensor in tensors]
    if len(set(dtypes)) <= 1:
        return None
    for kinds in ("fc", "iu", "b"):
        found = [dtype for dtype in dtypes if dtype.kind in kinds]
        if found:
            return np.result_type(*found)
    return None


def promoted(tensors: list[Any], among: list[Any] | None = None) -> list[Any]:
    """The tensors of a join cast to the common dtype of ``among`` (by default the tensors
    themselves): PyTorch's promotion."""
    target = _common_dtype(tensors if among is None else among)
    # Python numbers become arrays of the dtype they count with (a float is float32).
    tensors = [np.asarray(tensor, dtype=target or _join_dtype(tensor))
               if isinstance(tensor, bool | int | float) else tensor for tensor in tensors]
    if target is None:
        return tensors
    from mushin.ops.elementwise import astype

    return [tensor if np.dtype(getattr(unwrap(tensor), "dtype", target)) == target
            else astype(tensor, target) if isinstance(tensor, Tensor)
            else tensor.astype(target) for tensor in tensors]


def tensor_list(name: str, tensors: Any) -> list[Any]:
    """The tensors of a join (a list, a tuple or any iterable of them, not one tensor)."""
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__") or hasattr(
            tensors, "dtype"):
        raise TypeError(f"{operation_name(name)}: expected a sequence of tensors, got "
                        f"{type(cast('object', tensors)).__name__}")
    items = list(cast("Sequence[Any]", tensors))
    for index, item in enumerate(items):
        if not (isinstance(item, Tensor | bool | int | float | list) or hasattr(item, "shape")):
            raise TypeError(f"{operation_name(name)}: expected a tensor, an array or a number as "
                            f"element {index}, got {type(item).__name__}")
    return items


def join_tensors(name: str, tensors: Any, dim: Any) -> Any:
    """``cat`` and its aliases, errors named ``name``: the tensors joined along ``dim``."""
    tensors = tensor_list(name, tensors)
    if not tensors:
        raise ValueError(f"{operation_name(name)}: needs at least one tensor")
    given = tensors  # every tensor counts for the dtype, even a skipped one
    shapes = [shape_of(tensor) for tensor in tensors]
    # PyTorch's legacy rule: 1-D empty tensors are skipped when others are not.
    kept = [index for index, shape in enumerate(shapes) if shape != (0,)]
    if kept and len(kept) < len(tensors):
        tensors = [tensors[index] for index in kept]
        shapes = [shapes[index] for index in kept]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ShapeError(f"{operation_name(name)}: cannot concatenate 0-d tensors; use stack")
    position = (normalize_axis(name, dim, ndim) or (0,))[0]
    for shape in shapes[1:]:
        if len(shape) != ndim or builtins.any(
                size != first for index, (size, first) in enumerate(zip(shape, shapes[0],
                                                                        strict=True))
                if index != position):
            raise ShapeError(f"{operation_name(name)}: shapes {shapes[0]} and {shape} differ "
                             f"outside axis {position}")
    return apply(CONCAT, *promoted(tensors, given), axis=position,
                 sizes=tuple(shape[position] for shape in shapes))


@exported("join_function")
def concat(tensors: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """The tensors joined along an existing axis ``dim`` (0 by default; NumPy's ``axis=``
    too); the other axes must agree. Mixed dtypes promote as in PyTorch; 1-D empty tensors
    are skipped. Each gradient is its slice of the result's."""
    return join_tensors("concat", tensors, join_axis("concat", dim, axis))


@exported("join_function")
def stack(tensors: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """The tensors, all of one shape, joined along a new axis ``dim`` (0 by default)."""
    tensors = tensor_list("stack", tensors)
    if not tensors:
        raise ValueError(f"{operation_name('stack')}: needs at least one tensor")
    shapes = [shape_of(tensor) for tensor in tensors]
    if len(set(shapes)) > 1:
        raise ShapeError(f"{operation_name('stack')}: all tensors must have one shape, got "
                         f"{sorted(set(shapes))}")
    chosen = join_axis("stack", dim, axis)
    position = (normalize_axis("stack", chosen, len(shapes[0]) + 1) or (0,))[0]
    shape = shapes[0]
    lifted = (*shape[:position], 1, *shape[position:])
    tensors = promoted(tensors)
    return apply(CONCAT, *[apply(RESHAPE, tensor, shape=lifted) for tensor in tensors],
                 axis=position, sizes=(1,) * len(tensors))


# --- joins ---------------------------------------------------------------------------------------

@exported("join_function")
def cat(tensors: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """The tensors joined along an existing axis ``dim`` (0 by default; NumPy's ``axis=``
    too); the other axes must agree. Mixed dtypes promote as in PyTorch, and 1-D empty tensors
    are skipped, as PyTorch's legacy rule says. Each gradient is its slice of the result's."""
    return join_tensors("cat", tensors, join_axis("cat", dim, axis))


@exported("join_function")
def concatenate(tensors: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """``cat`` (NumPy's name)."""
    return join_tensors("concatenate", tensors, join_axis("concatenate", dim, axis))


def _as_tuple(name: str, tensors: Any) -> list[Any]:
    items = tensor_list(name, tensors)
    if not items:
        raise ValueError(f"{operation_name(name)}: needs at least one tensor")
    return items


@exported("join_function")
def hstack(tensors: Any) -> Any:
    """The tensors joined column-wise: along axis 1, or axis 0 for 1-D tensors (0-d tensors
    count as 1-D)."""
    items = atleast_1d(_as_tuple("hstack", tensors))
    return join_tensors("hstack", items, 0 if len(shape_of(items[0])) == 1 else 1)


@exported("join_function")
def vstack(tensors: Any) -> Any:
    """The tensors joined row-wise, along axis 0, after making each at least 2-D (a vector
    becomes one row)."""
    return join_tensors("vstack", atleast_2d(_as_tuple("vstack", tensors)), 0)


@exported("join_function")
def row_stack(tensors: Any) -> Any:
    """``vstack``."""
    return join_tensors("row_stack", atleast_2d(_as_tuple("row_stack", tensors)), 0)


@exported("join_function")
def dstack(tensors: Any) -> Any:
    """The tensors joined depth-wise, along axis 2, after making each at least 3-D."""
    return join_tensors("dstack", atleast_3d(_as_tuple("dstack", tensors)), 2)


@exported("join_function")
def column_stack(tensors: Any) -> Any:
    """The tensors joined as columns, along axis 1: 0-d and 1-D tensors become columns
    (shape ``(n, 1)``), others are joined as they are."""
    columns: list[Any] = []
    for tensor in _as_tuple("column_stack", tensors):
        shape = shape_of(tensor)
        columns.append(apply(RESHAPE, tensor, shape=(math.prod(shape), 1))
                       if len(shape) <= 1 else tensor)
    return join_tensors("column_stack", columns, 1)


# --- splits --------------------------------------------------------------------------------------

def _pieces(x: Any, axis: int,
            bounds: Sequence[tuple[int | None, int | None]]) -> tuple[Any, ...]:
    """The slices ``x[start:stop]`` along ``axis``, one per pair of ``bounds``."""
    lead = (slice(None),) * axis
    return tuple(apply(GETITEM, x, index=(*lead, slice(start, stop))) for start, stop in bounds)


def _split_axis(name: str, x: Any, dim: Any) -> tuple[tuple[int, ...], int]:
    shape = shape_of(x)
    if not shape:
        raise ShapeError(f"{operation_name(name)}: a 0-d tensor has no axis to split")
    return shape, one_axis(name, dim, len(shape))


def _by_sizes(name: str, x: Any, sizes: Any, axis: int, shape: tuple[int, ...]) -> tuple[Any, ...]:
    counts = tuple(cast("Sequence[Any]", sizes))
    if builtins.any(not is_int(size) or size < 0 for size in counts):
        raise ValueError(f"{operation_name(name)}: split sizes must be non-negative ints, got "
                         f"{counts!r}")
    if builtins.sum(counts) != shape[axis]:
        raise ShapeError(f"{operation_name(name)}: split sizes {counts} add up to "
                         f"{builtins.sum(counts)}, but dim {axis} of shape {shape} has size "
                         f"{shape[axis]}")
    ends = list(itertools.accumulate(counts))
    return _pieces(x, axis, list(zip([0, *ends[:-1]], ends, strict=True)))


@exported("split_function")
@method("split", typing="split_method")
def split(x: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
    """``x`` cut along ``dim`` into pieces of ``split_size_or_sections`` elements (an int: the
    last piece may be smaller) or of the sizes listed (which must add up to the axis)."""
    shape, axis = _split_axis("split", x, dim)
    if isinstance(split_size_or_sections, tuple | list):
        return _by_sizes("split", x, split_size_or_sections, axis, shape)
    size = split_size_or_sections
    if not is_int(size):
        raise TypeError(f"split: split_size_or_sections must be an int or a list of ints, got "
                        f"{size!r}")
    length = shape[axis]
    if size < 0 or (size == 0 and length):
        raise ValueError(f"split: split size must be positive, got {size}")
    if length == 0:
        return _pieces(x, axis, [(0, 0)])
    return _pieces(x, axis, [(start, builtins.min(start + size, length))
                             for start in range(0, length, size)])


@exported("split_function")
@method("split_with_sizes", typing="split_method")
def split_with_sizes(x: Any, split_sizes: Any, dim: int = 0) -> tuple[Any, ...]:
    """``x`` cut along ``dim`` into pieces of the sizes listed (adding up to the axis)."""
    shape, axis = _split_axis("split_with_sizes", x, dim)
    if not isinstance(split_sizes, tuple | list):
        raise TypeError(f"split_with_sizes: split_sizes must be a list of ints, got "
                        f"{split_sizes!r}")
    return _by_sizes("split_with_sizes", x, split_sizes, axis, shape)


@exported("split_function")
@method("chunk", typing="split_method")
def chunk(x: Any, chunks: int, dim: int = 0) -> tuple[Any, ...]:
    """``x`` cut along ``dim`` into at most ``chunks`` pieces of ``ceil(size / chunks)``
    elements (the last may be smaller, and there may be fewer pieces, as in PyTorch)."""
    shape, axis = _split_axis("chunk", x, dim)
    if not is_int(chunks) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    length = shape[axis]
    if length == 0:
        return _pieces(x, axis, [(0, 0)] * chunks)
    size = -(-length // chunks)
    return _pieces(x, axis, [(start, builtins.min(start + size, length))
                             for start in range(0, length, size)])


@exported("split_function")
@method("unbind", typing="split_method")
def unbind(x: Any, dim: int = 0) -> tuple[Any, ...]:
    """The slices of ``x`` along ``dim``, which each lacks."""
    shape, axis = _split_axis("unbind", x, dim)
    lead = (slice(None),) * axis
    return tuple(apply(GETITEM, x, index=(*lead, index)) for index in range(shape[axis]))


def _host_indices(name: str, value: Any) -> Any:
    """A tensor of split indices or sections as a NumPy int64 array on the host."""
    data = unwrap(value)
    if hasattr(data, "get") and not isinstance(data, np.ndarray | np.generic):
        data = data.get()  # a CuPy array
    array: np.ndarray[Any, Any] = np.asarray(cast("Any", data))
    if array.dtype.kind not in "iu" or array.ndim > 1:
        raise TypeError(f"{operation_name(name)}: indices_or_sections must be an int, a list of "
                        f"ints or a 0-d or 1-D integer tensor, got dtype {array.dtype} and shape "
                        f"{array.shape}")
    return array.astype(np.int64)


def _at_indices(x: Any, axis: int, indices: Sequence[int]) -> tuple[Any, ...]:
    starts: list[int | None] = [0, *indices]
    stops: list[int | None] = [*indices, None]
    return _pieces(x, axis, list(zip(starts, stops, strict=True)))


def _sections(name: str, x: Any, sections: int, axis: int, length: int) -> tuple[Any, ...]:
    if sections <= 0:
        raise ValueError(f"{operation_name(name)}: the number of sections must be positive, got "
                         f"{sections}")
    small, extra = divmod(length, integer(name, "the number of sections", sections))
    sizes = [small + 1] * extra + [small] * (sections - extra)
    ends = list(itertools.accumulate(sizes))
    return _pieces(x, axis, list(zip([0, *ends[:-1]], ends, strict=True)))


@exported("split_function")
@method("tensor_split", typing="split_method")
def tensor_split(x: Any, indices_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
    """``x`` cut along ``dim`` into ``n`` nearly equal pieces (an int: the first ``size % n``
    one element longer), or before each index listed (Python slicing: ``x[:i0]``,
    ``x[i0:i1]``... ``x[ik:]``)."""
    shape, axis = _split_axis("tensor_split", x, dim)
    given = indices_or_sections
    if hasattr(unwrap(given), "dtype") and not is_int(given):
        values = _host_indices("tensor_split", given)
        given = int(values) if values.ndim == 0 else [int(item) for item in values]
    if isinstance(given, tuple | list):
        items = tuple(cast("Sequence[Any]", given))
        if builtins.any(not is_int(item) for item in items):
            raise TypeError(f"{operation_name('tensor_split')}: indices must be ints, got "
                            f"{items!r}")
        return _at_indices(x, axis, [int(item) for item in items])
    if not is_int(given):
        raise TypeError(f"{operation_name('tensor_split')}: indices_or_sections must be an int, a "
                        f"list of ints or an integer tensor, got {given!r}")
    return _sections("tensor_split", x, int(given), axis, shape[axis])


def _directional(name: str, x: Any, sections: Any, axis: int) -> tuple[Any, ...]:
    shape = shape_of(x)
    if isinstance(sections, tuple | list) or (hasattr(unwrap(sections), "dtype")
                                               and not is_int(sections)):
        return tensor_split(x, sections, axis)
    if not is_int(sections) or sections <= 0:
        raise ValueError(f"{operation_name(name)}: sections must be a positive int or a list of "
                         f"indices, got {sections!r}")
    if shape[axis] % sections:
        raise ShapeError(f"{operation_name(name)}: dim {axis} of size {shape[axis]} does not "
                         f"divide into {sections} equal sections (tensor of shape {shape})")
    return _sections(name, x, int(sections), axis, shape[axis])


@exported("split_function")
@method("hsplit", typing="split_method")
def hsplit(x: Any, sections: Any) -> tuple[Any, ...]:
    """``x`` cut column-wise (axis 1; axis 0 of a 1-D tensor): into ``sections`` equal parts,
    or before each index listed."""
    ndim = len(shape_of(x))
    if ndim < 1:
        raise ShapeError("hsplit: needs at least 1 axis, got a 0-d tensor")
    return _directional("hsplit", x, sections, 1 if ndim > 1 else 0)


@exported("split_function")
@method("vsplit", typing="split_method")
def vsplit(x: Any, sections: Any) -> tuple[Any, ...]:
    """``x`` cut row-wise (axis 0; at least 2 axes): into equal parts, or before each index."""
    if len(shape_of(x)) < 2:
        raise ShapeError(f"vsplit: needs at least 2 axes, got shape {shape_of(x)}")
    return _directional("vsplit", x, sections, 0)


@exported("split_function")
@method("dsplit", typing="split_method")
def dsplit(x: Any, sections: Any) -> tuple[Any, ...]:
    """``x`` cut depth-wise (axis 2; at least 3 axes): into equal parts, or before each
    index."""
    if len(shape_of(x)) < 3:
        raise ShapeError(f"dsplit: needs at least 3 axes, got shape {shape_of(x)}")
    return _directional("dsplit", x, sections, 2)


# --- grids and products -------------------------------------------------------------------------

def _operands(name: str, tensors: tuple[Any, ...]) -> list[Any]:
    """Varargs tensors, or one list or tuple of them."""
    if len(tensors) == 1 and isinstance(tensors[0], tuple | list):
        return list(cast("Sequence[Any]", tensors[0]))
    return list(tensors)


@exported("split_function")
def meshgrid(*tensors: Any, indexing: str = "ij") -> tuple[Any, ...]:
    """Coordinate grids from 0-d or 1-D tensors (varargs or one list): each result has one
    axis per tensor and holds its tensor's values along its own axis. ``indexing="ij"``
    (PyTorch's default) puts them in order; ``"xy"`` swaps the first two axes."""
    items = _operands("meshgrid", tensors)
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not items:
        raise ValueError("meshgrid: needs at least one tensor")
    sizes: list[int] = []
    for tensor in items:
        shape = shape_of(tensor)
        if len(shape) > 1:
            raise ShapeError(f"meshgrid: expects 0-d or 1-D tensors, got shape {shape}")
        sizes.append(math.prod(shape))
    order = list(range(len(items)))
    if indexing == "xy" and len(items) >= 2:
        order[0], order[1] = 1, 0
    target = tuple(sizes[index] for index in order)
    grids: list[Any] = []
    for index, tensor in enumerate(items):
        position = order.index(index)
        spread = tuple(sizes[index] if axis == position else 1 for axis in range(len(items)))
        grids.append(apply(BROADCAST_TO, apply(RESHAPE, tensor, shape=spread), shape=target))
    return tuple(grids)


@exported("runtime_shape_function")
def cartesian_prod(*tensors: Any) -> Any:
    """Every combination of one element from each 1-D tensor, as rows (shape ``(count,
    len(tensors))``); one tensor is returned as it is (a copy)."""
    items = _operands("cartesian_prod", tensors)
    if not items:
        raise ValueError("cartesian_prod: needs at least one tensor")
    for tensor in items:
        if len(shape_of(tensor)) != 1:
            raise ShapeError(f"cartesian_prod: expects 1-D tensors, got shape "
                             f"{shape_of(tensor)}")
    if len(items) == 1:
        return clone(items[0])
    grids = meshgrid(*items, indexing="ij")
    return stack([apply(RESHAPE, grid, shape=(math.prod(shape_of(grid)),)) for grid in grids],
                 dim=1)


@exported("runtime_shape_function")
def combinations(x: Any, r: int = 2, with_replacement: bool = False) -> Any:
    """The ``r``-element combinations of the elements of the 1-D ``x``, as rows (Python's
    ``itertools.combinations`` order; with repeats if ``with_replacement``). ``r=0`` gives an
    empty 1-D tensor, as PyTorch's."""
    shape = shape_of(x)
    if len(shape) != 1:
        raise ShapeError(f"{operation_name('combinations')}: expects a 1-D tensor, got shape "
                         f"{shape}")
    if not is_int(r) or r < 0:
        raise ValueError(f"{operation_name('combinations')}: r must be a non-negative int, got "
                         f"{r!r}")
    if r == 0:
        return apply(GETITEM, x, index=(slice(0, 0),))
    count = math.comb(shape[0] + r - 1, r) if with_replacement else math.comb(shape[0], r)
    if r > INT64_MAX or count * r > INT64_MAX:
        raise ValueError(f"{operation_name('combinations')}: {count} combinations of r={r} "
                         "elements are more than a tensor can hold")
    chooser = itertools.combinations_with_replacement if with_replacement \
        else itertools.combinations
    rows = np.array(list(chooser(range(shape[0]), r)), dtype=np.int64).reshape(-1, r)
    return getitem(x, rows)


@exported("runtime_shape_function")
def block_diag(*tensors: Any) -> Any:
    """A matrix with the tensors (0-d, 1-D as one row, or 2-D) along its diagonal and zeros
    elsewhere; mixed dtypes promote as in ``cat``."""
    items = _operands("block_diag", tensors)
    blocks: list[Any] = []
    for tensor in items:
        shape = shape_of(tensor)
        if len(shape) > 2:
            raise ShapeError(f"block_diag: expects tensors with at most 2 axes, got shape "
                             f"{shape}")
        blocks.append(apply(RESHAPE, tensor, shape=(1,) * (2 - len(shape)) + shape))
    if not blocks:
        return _zeros_like_of(None, (1, 0))
    blocks = promoted(blocks)
    widths = [shape_of(block)[1] for block in blocks]
    total = builtins.sum(widths)
    rows: list[Any] = []
    before = 0
    for block, width in zip(blocks, widths, strict=True):
        height = shape_of(block)[0]
        parts = [block]
        if before:
            parts.insert(0, _zeros_like_of(block, (height, before)))
        if total - before - width:
            parts.append(_zeros_like_of(block, (height, total - before - width)))
        rows.append(join_tensors("block_diag", parts, 1) if len(parts) > 1 else block)
        before += width
    return join_tensors("block_diag", rows, 0) if len(rows) > 1 else clone(rows[0])


def _zeros_like_of(reference: Any, shape: tuple[int, ...]) -> Any:
    """A ``Constant`` of zeros of ``shape``, with ``reference``'s dtype and device (the
    default dtype on the host without one)."""
    data = unwrap(reference)
    if not hasattr(data, "dtype"):
        return new_constant(np.zeros(shape, dtype=DEFAULT_DTYPE))
    return new_constant(namespace_of(data).zeros(shape, dtype=data.dtype))
