"""Diagonals and triangles, PyTorch's names: ``diagonal``, ``trace``, ``tril``, ``triu``,
``diag``, ``diag_embed`` and ``diagflat``.

``tril`` and ``triu`` are primitives (their gradients are the same triangle of the incoming
gradient). A diagonal is read with one gather (``getitem`` with the diagonal's positions, whose
gradient scatters back) and written with its inverse, ``index_add`` into zeros (whose
gradient reads the diagonal back), so second derivatives follow.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mushin import _backend
from mushin._check import integer, is_int, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply, unwrap
from mushin.errors import ShapeError
from mushin.ops.reduce import sum as reduce_sum
from mushin.ops.shape import RESHAPE, TRANSPOSE, one_axis
from mushin.ops.slicing import INDEX_ADD, getitem

TRIL = Primitive("tril", lambda xp, x, diagonal: xp.tril(x, diagonal),
                 lambda F, g, inputs, out, parents, diagonal: (F.tril(g, diagonal=diagonal),),
                 saves="none")
TRIU = Primitive("triu", lambda xp, x, diagonal: xp.triu(x, diagonal),
                 lambda F, g, inputs, out, parents, diagonal: (F.triu(g, diagonal=diagonal),),
                 saves="none")


def _offset(name: str, value: Any) -> int:
    if not is_int(value):
        raise TypeError(f"{operation_name(name)}: the diagonal offset must be an int, got "
                        f"{value!r}")
    return integer(name, "the diagonal offset", value)


def _positions(rows: int, columns: int, offset: int) -> tuple[Any, Any]:
    """The row and column indices of diagonal ``offset`` of a ``rows`` x ``columns`` matrix
    (above the main diagonal for a positive offset)."""
    if offset >= 0:
        count = max(0, min(rows, columns - offset))
        start_row, start_column = 0, offset
    else:
        count = max(0, min(rows + offset, columns))
        start_row, start_column = -offset, 0
    steps = np.arange(count, dtype=np.int64)
    return steps + start_row, steps + start_column


def _triangle(name: str, prim: Primitive, x: Any, diagonal: Any) -> Any:
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(f"{operation_name(name)}: needs at least 2 axes, got shape {shape}")
    return apply(prim, x, diagonal=_offset(name, diagonal))


@exported("same_type_function")
@method("tril", typing="same_type_method")
def tril(x: Any, diagonal: int = 0) -> Any:
    """The lower triangle of the last two axes: elements above diagonal ``diagonal`` (0: the
    main one; positive: above it) set to zero. The gradient is the same triangle."""
    return _triangle("tril", TRIL, x, diagonal)


@exported("same_type_function")
@method("triu", typing="same_type_method")
def triu(x: Any, diagonal: int = 0) -> Any:
    """The upper triangle of the last two axes: elements below diagonal ``diagonal`` set to
    zero. The gradient is the same triangle."""
    return _triangle("triu", TRIU, x, diagonal)


@exported("runtime_shape_function")
@method("diagonal", typing="runtime_shape_method")
def diagonal(x: Any, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Any:
    """Diagonal ``offset`` of the matrices in the axes ``dim1`` and ``dim2``: those axes are
    removed and the diagonal becomes the last axis."""
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(f"diagonal: needs at least 2 axes, got shape {shape}")
    first = one_axis("diagonal", dim1, len(shape))
    second = one_axis("diagonal", dim2, len(shape))
    if first == second:
        raise ValueError(f"diagonal: dim1 and dim2 must be different axes, got {dim1} and "
                         f"{dim2}")
    rows, columns = _positions(shape[first], shape[second], _offset("diagonal", offset))
    order = tuple(axis for axis in range(len(shape)) if axis not in (first, second))
    moved = apply(TRANSPOSE, x, axes=(*order, first, second))
    return getitem(moved, (Ellipsis, rows, columns))


_read_diagonal = diagonal  # ``diag``'s argument is called ``diagonal``, as PyTorch's


@exported("runtime_shape_function")
@method("trace", typing="runtime_shape_method")
def trace(x: Any) -> Any:
    """The sum of the main diagonal of a matrix (a 0-d tensor)."""
    shape = shape_of(x)
    if len(shape) != 2:
        raise ShapeError(f"trace: expects a matrix (2 axes), got shape {shape}")
    return reduce_sum(diagonal(x))


@exported("runtime_shape_function")
@method("diag_embed", typing="runtime_shape_method")
def diag_embed(x: Any, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Any:
    """Matrices with the last axis of ``x`` on their diagonal ``offset`` and zeros elsewhere,
    in the axes ``dim1`` and ``dim2`` of the result (one axis more than ``x``). The gradient
    reads that diagonal back."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("diag_embed: needs at least 1 axis, got a 0-d tensor")
    shift = _offset("diag_embed", offset)
    ndim = len(shape) + 1
    first = one_axis("diag_embed", dim1, ndim)
    second = one_axis("diag_embed", dim2, ndim)
    if first == second:
        raise ValueError(f"diag_embed: dim1 and dim2 must be different axes, got {dim1} and "
                         f"{dim2}")
    size = shape[-1] + abs(shift)
    rows, columns = _positions(size, size, shift)
    data = unwrap(x)
    backend = _backend.backend_of(data) if hasattr(data, "dtype") else _backend.CPU
    index = (Ellipsis, backend.asarray(rows), backend.asarray(columns))
    square = apply(INDEX_ADD, x, index=index, shape=(*shape[:-1], size, size))
    rest = iter(range(ndim - 2))
    order = tuple(ndim - 2 if axis == first else ndim - 1 if axis == second else next(rest)
                  for axis in range(ndim))
    return apply(TRANSPOSE, square, axes=order)


@exported("runtime_shape_function")
@method("diag", typing="runtime_shape_method")
def diag(x: Any, diagonal: int = 0) -> Any:
    """For a vector, the square matrix with it on diagonal ``diagonal`` (zeros elsewhere); for
    a matrix, its diagonal ``diagonal`` as a vector."""
    shape = shape_of(x)
    if len(shape) == 1:
        return diag_embed(x, diagonal)
    if len(shape) == 2:
        return _read_diagonal(x, diagonal)
    raise ShapeError(f"diag: expects a vector or a matrix, got shape {shape}")


@exported("runtime_shape_function")
@method("diagflat", typing="runtime_shape_method")
def diagflat(x: Any, offset: int = 0) -> Any:
    """The square matrix with the flattened ``x`` on diagonal ``offset``."""
    size = 1
    for length in shape_of(x):
        size *= length
    return diag_embed(apply(RESHAPE, x, shape=(size,)), offset)
