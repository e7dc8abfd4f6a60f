"""Picking elements along an axis: the primitives that route gradients.

The two primitives ``select_along`` (NumPy's ``take_along_axis``) and ``deposit_along`` (its
transpose, a scatter-add) are shared by ``reduce.py``, ``scan.py`` and ``sorting.py``: an
operation that picks elements (``max(x, dim)``, ``sort``, ``median``, ``cummax``...) picks them
with ``select_along``, so its gradient goes to exactly the elements picked. ``values_indices``
and ``as_rows`` are the helpers of those operations.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mushin._backend import DEFAULT_DTYPE, Array, namespace_of
from mushin._check import shape_of, single_axis
from mushin._graph import Primitive
from mushin._tensor import Tensor, ValuesIndices, apply, new_constant
from mushin.ops.shape import reshape


def along_index(xp: Any, index: Array, axis: int) -> tuple[Array, ...]:
    """The advanced index that addresses, in an array of ``index``'s shape but ``axis``, the
    elements ``index`` names along ``axis`` (``take_along_axis`` written as ``x[...]``)."""
    grids: list[Array] = []
    for position, size in enumerate(index.shape):
        if position == axis:
            grids.append(index)
        else:
            shape = [1] * index.ndim
            shape[position] = size
            grids.append(xp.arange(size).reshape(shape))
    return tuple(grids)


def _deposit_forward(xp: Any, g: Array, index: Array, axis: int,
                     shape: tuple[int, ...]) -> Array:
    result = xp.zeros(shape, dtype=g.dtype)
    xp.add.at(result, along_index(xp, index, axis), g)
    return result


SELECT_ALONG = Primitive(
    "select_along", lambda xp, x, index, axis: xp.take_along_axis(x, index, axis=axis),
    lambda F, g, inputs, out, parents, index, axis: (
        F.deposit_along(g, index=index, axis=axis, shape=parents[0].shape),), saves="none")
DEPOSIT_ALONG = Primitive(
    "deposit_along", _deposit_forward,
    lambda F, g, inputs, out, parents, index, axis, shape: (
        F.select_along(g, index=index, axis=axis),), saves="none")


def select_along(x: Any, index: Array, axis: int) -> Any:
    """The elements of ``x`` that the integer array ``index`` (of ``x``'s number of axes, its
    other sizes equal to ``x``'s) names along ``axis``; the gradient goes back to them
    (summed where an element is picked twice)."""
    xp = namespace_of(index)
    shape = list(shape_of(x))
    shape[axis] = index.shape[axis]
    full = xp.ascontiguousarray(xp.broadcast_to(index, tuple(shape)))
    return apply(SELECT_ALONG, x, index=full, axis=axis)


def values_indices(x: Any, index: Array, axis: int, keep: bool,
                   scalar: bool = False) -> ValuesIndices[Any]:
    """``(values, indices)`` of a selecting reduction: ``index`` (keepdims shape, one element
    along ``axis``) picks from ``x``; without ``keep`` the axis is dropped. ``scalar``: ``x``
    was 0-d (and was given here as one element along axis 0)."""
    values = select_along(x, index, axis)
    shape = tuple(index.shape)
    if scalar:
        target: tuple[int, ...] = ()
    elif keep:
        target = shape
    else:
        target = shape[:axis] + shape[axis + 1:]
    xp = namespace_of(index)
    return ValuesIndices(reshape(values, target),
                         new_constant(xp.reshape(index, target).astype(xp.int64)))


def as_rows(name: str, x: Any, dim: Any) -> tuple[Any, int, bool]:
    """``(x, axis, scalar)`` for an operation along one axis ``dim``: a 0-d ``x`` (which takes
    ``dim`` 0 or -1, as PyTorch's does) is given as one element along axis 0."""
    shape = shape_of(x)
    axis = single_axis(name, dim, len(shape))
    if shape:
        return x, axis, False
    if not isinstance(x, Tensor):  # a number: a Python float alone is float32 (PyTorch's)
        x = np.asarray(x, dtype=DEFAULT_DTYPE if isinstance(x, float) else None)
    return reshape(x, (1,)), 0, True
