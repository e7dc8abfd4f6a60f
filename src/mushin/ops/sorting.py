"""Ordering and order statistics: ``sort``, ``argsort``, ``msort``, ``topk``, ``kthvalue``,
``median``, ``nanmedian``, ``mode``, ``quantile``, ``nanquantile``; and counting: ``unique``,
``unique_consecutive``, ``bincount``, ``histc``.

Orders are stable (equal elements keep their order, in both directions) and NaN sorts above
every number, as PyTorch's. The values of ``sort``, ``topk``, ``kthvalue``, ``median(x, dim)``
and ``mode`` are picked with ``select_along``, so the gradient goes to the elements picked;
``median(x)`` over every element shares it among the elements equal to the median, as
PyTorch's does. The counting operations give ``Constant``s.
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from mushin._backend import Array, namespace_of
from mushin._check import (
    host_array,
    integer,
    is_int,
    is_number,
    operation_name,
    shape_of,
    single_axis,
)
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, ValuesIndices, apply, new_constant
from mushin.ops._picking import as_rows, select_along, values_indices
from mushin.ops.elementwise import where
from mushin.ops.join import stack
from mushin.ops.reduce import data_of, is_flag, keep_flag
from mushin.ops.scan import accumulate
from mushin.ops.shape import reshape


def order_of(xp: Any, data: Array, axis: int, descending: bool) -> Array:
    """The stable sorting permutation of ``data`` along ``axis`` (NaN above every number; in
    descending order equal elements keep their order too)."""
    if not descending:
        return xp.argsort(data, axis=axis, kind="stable")
    flipped = xp.argsort(xp.flip(data, axis), axis=axis, kind="stable")
    return xp.flip(data.shape[axis] - 1 - flipped, axis)


def _flag(name: str, argument: str, value: Any) -> bool:
    if not is_flag(value):
        raise TypeError(f"{operation_name(name)}: {argument} must be a bool, got {value!r}")
    return bool(value)


def _sorted(name: str, x: Any, dim: Any, descending: Any) -> tuple[Any, Array, int, bool]:
    """``(rows, order, axis, scalar)``: ``x`` as rows along ``dim`` and its sorting order."""
    rows, axis, scalar = as_rows(name, x, dim)
    data = data_of(rows)
    return rows, order_of(namespace_of(data), data, axis, _flag(name, "descending", descending)
                          ), axis, scalar


@exported("values_indices_function")
@method("sort", typing="values_indices_method")
def sort(x: Any, dim: Any = -1, descending: Any = False, *, stable: Any = False
         ) -> ValuesIndices[Any]:
    """``(values, indices)``: ``x`` sorted along ``dim`` (ascending by default) and where each
    value came from. Always stable (``stable`` is accepted); NaN sorts last ascending, first
    descending. The gradient goes back to each value's place."""
    _flag("sort", "stable", stable)
    rows, order, axis, scalar = _sorted("sort", x, dim, descending)
    values = select_along(rows, order, axis)
    indices = new_constant(order.astype(namespace_of(order).int64))
    if scalar:
        return ValuesIndices(reshape(values, ()), new_constant(order.reshape(())))
    return ValuesIndices(values, indices)


@exported("index_function")
@method("argsort", typing="index_method")
def argsort(x: Any, dim: Any = -1, descending: Any = False, *, stable: Any = False) -> Constant:
    """The indices that sort ``x`` along ``dim`` (int64, a stable order)."""
    return sort(x, dim, descending, stable=stable).indices


@exported("unary_function")
@method("msort", typing="same_type_method")
def msort(x: Any) -> Any:
    """``x`` sorted along its first axis (``sort(x, 0).values``)."""
    return sort(x, 0).values


@exported("values_indices_function")
@method("topk", typing="values_indices_method")
def topk(x: Any, k: Any, dim: Any = -1, largest: Any = True, sorted: Any = True
         ) -> ValuesIndices[Any]:
    """``(values, indices)`` of the ``k`` largest (``largest=False``: smallest) elements along
    ``dim``, in order (the first of ties first); the gradient goes to them."""
    _flag("topk", "sorted", sorted)
    rows, order, axis, scalar = _sorted("topk", x, dim, _flag("topk", "largest", largest))
    size = shape_of(rows)[axis]
    count = integer("topk", "k", k, minimum=0)
    if count > size:
        raise ValueError(f"topk: k ({count}) is larger than the size of dim {dim} ({size})")
    chosen = order[(slice(None),) * axis + (slice(0, count),)]
    values = select_along(rows, chosen, axis)
    indices = chosen.astype(namespace_of(chosen).int64)
    if scalar:
        return ValuesIndices(reshape(values, ()), new_constant(indices.reshape(())))
    return ValuesIndices(values, new_constant(indices))


def _pick(rows: Any, order: Array, position: Array, axis: int, keep: bool,
          scalar: bool) -> ValuesIndices[Any]:
    """``(values, indices)`` of the elements at sorted ``position`` (keepdims shape)."""
    xp = namespace_of(order)
    index = xp.take_along_axis(order, position, axis=axis)
    return values_indices(rows, index, axis, keep, scalar)


@exported("values_indices_function")
@method("kthvalue", typing="values_indices_method")
def kthvalue(x: Any, k: Any, dim: Any = -1, keepdim: Any = False) -> ValuesIndices[Any]:
    """``(values, indices)`` of the ``k``-th smallest element (``k`` from 1) along ``dim``."""
    rows, order, axis, scalar = _sorted("kthvalue", x, dim, False)
    size = shape_of(rows)[axis]
    rank = integer("kthvalue", "k", k, minimum=1)
    if rank > size:
        raise ValueError(f"kthvalue: k ({rank}) is larger than the size of dim {dim} ({size})")
    xp = namespace_of(order)
    shape = list(order.shape)
    shape[axis] = 1
    position = xp.full(tuple(shape), rank - 1, dtype=xp.int64)
    return _pick(rows, order, position, axis, keep_flag("kthvalue", keepdim, None), scalar)


# --- medians ---------------------------------------------------------------------------------

def _median_all_forward(xp: Any, x: Array, ignore_nan: bool) -> Array:
    flat = xp.reshape(x, (-1,))
    missing = xp.isnan(flat) if flat.dtype.kind in "fc" else None
    if missing is not None and ignore_nan:
        flat = flat[~missing]
    elif missing is not None and bool(xp.any(missing)):
        return xp.asarray(xp.nan, dtype=x.dtype)
    if flat.size == 0:
        return xp.asarray(xp.nan if x.dtype.kind in "fc" else 0, dtype=x.dtype)
    return xp.sort(flat)[(flat.size - 1) // 2]


def _median_all_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                    ignore_nan: bool) -> tuple[Any]:
    """The gradient shared equally among the elements equal to the median (PyTorch's)."""
    data, value = F.unwrap(inputs[0]), F.unwrap(out)
    xp = namespace_of(data)
    chosen = (data == value) | (xp.isnan(data) & xp.isnan(value))
    share = chosen.astype(data.dtype)
    total = xp.sum(share)
    return (g * (share / total if float(total) else share),)


MEDIAN_ALL = Primitive("median_all", _median_all_forward, _median_all_vjp, saves="both")


def _median(name: str, ignore_nan: bool, x: Any, dim: Any, keepdim: Any, axis: Any,
            keepdims: Any) -> Any:
    if dim is not None and axis is not None:
        raise TypeError(f"{operation_name(name)}: give dim= or axis=, not both")
    keep = keep_flag(name, keepdim, keepdims)
    if dim is None and axis is None:
        return apply(MEDIAN_ALL, x if isinstance(x, Tensor) else data_of(x),
                     ignore_nan=ignore_nan)
    chosen = dim if dim is not None else axis
    if not is_int(chosen):
        raise TypeError(f"{operation_name(name)}: dim must be an int, got {chosen!r}")
    rows, order, position_axis, scalar = _sorted(name, x, chosen, False)
    size = shape_of(rows)[position_axis]
    if size == 0:
        raise ValueError(f"{operation_name(name)}: cannot take the median along the empty axis "
                         f"{chosen} of a tensor of shape {shape_of(x)}")
    data = data_of(rows)
    xp = namespace_of(data)
    missing = xp.isnan(data) if data.dtype.kind in "fc" else xp.zeros(data.shape, dtype=bool)
    if ignore_nan:
        present = xp.sum(~missing, axis=position_axis, keepdims=True)
        position = xp.maximum(present - 1, 0) // 2
    else:
        shape = list(data.shape)
        shape[position_axis] = 1
        position = xp.full(tuple(shape), (size - 1) // 2, dtype=xp.int64)
        # A slice holding a NaN has the median NaN: its first NaN, sorted after the numbers.
        nans = xp.sum(missing, axis=position_axis, keepdims=True)
        position = xp.where(nans > 0, size - nans, position)
    result = _pick(rows, order, position.astype(xp.int64), position_axis, keep, scalar)
    return result.values if dim is None else result


@exported("extremum_function")
@method("median", typing="extremum_method")
def median(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool = False) -> Any:
    """The lower median (the ``(n - 1) // 2``-th smallest; NaN where a NaN is present): of
    every element by default (the gradient shared among the elements equal to it); along
    ``dim`` the named tuple ``(values, indices)`` (the gradient to the index); along
    ``axis=`` the values."""
    return _median("median", False, x, dim, keepdim, axis, keepdims)


@exported("extremum_function")
@method("nanmedian", typing="extremum_method")
def nanmedian(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
              keepdims: bool = False) -> Any:
    """``median`` ignoring NaNs (NaN only where every element is NaN)."""
    return _median("nanmedian", True, x, dim, keepdim, axis, keepdims)


@exported("values_indices_function")
@method("mode", typing="values_indices_method")
def mode(x: Any, dim: Any = -1, keepdim: Any = False) -> ValuesIndices[Any]:
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest of equally
    frequent ones) and the index of its last occurrence; the gradient goes to that element."""
    rows, axis, scalar = as_rows("mode", x, dim)
    data = data_of(rows)
    xp = namespace_of(data)
    size = data.shape[axis]
    if size == 0:
        raise ValueError(f"mode: cannot take the mode along the empty axis {dim} of a tensor "
                         f"of shape {shape_of(x)}")
    moved = xp.moveaxis(data, axis, -1)
    order = xp.argsort(moved, axis=-1, kind="stable")
    ordered = xp.take_along_axis(moved, order, axis=-1)
    edge = ordered[..., 1:] != ordered[..., :-1]
    ones = xp.ones((*ordered.shape[:-1], 1), dtype=bool)
    starts = xp.concatenate([ones, edge], axis=-1)
    ends = xp.concatenate([edge, ones], axis=-1)
    positions = xp.arange(size)
    start = accumulate(xp, "maximum", xp.where(starts, positions, 0), moved.ndim - 1)
    end = xp.flip(accumulate(xp, "minimum", xp.flip(xp.where(ends, positions, size), -1),
                             moved.ndim - 1), -1)
    best = xp.argmax(end - start, axis=-1, keepdims=True)
    first = xp.take_along_axis(start, best, axis=-1)
    last = xp.take_along_axis(end, best, axis=-1)
    inside = (positions >= first) & (positions <= last)
    index = xp.max(xp.where(inside, order, -1), axis=-1, keepdims=True)
    return values_indices(rows, xp.moveaxis(index, -1, axis), axis,
                          keep_flag("mode", keepdim, None), scalar)


# --- quantiles -------------------------------------------------------------------------------

_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _probabilities(name: str, q: Any) -> tuple[list[float], bool]:
    """The quantile levels ``q`` (a number, or a 0-d or 1-D tensor) and whether it was one."""
    if is_number(q):
        levels, single = [float(q)], True
    else:
        values = q.numpy() if isinstance(q, Tensor) else host_array(name, q, "q")
        if values.ndim > 1 or values.dtype.kind not in "fiu" or not values.size:
            raise ValueError(f"{operation_name(name)}: q must be a number or a non-empty 0-d or "
                             f"1-D tensor of numbers, got shape {values.shape} and dtype "
                             f"{values.dtype}")
        levels, single = [float(value) for value in values.reshape(-1)], values.ndim == 0
    for level in levels:
        if not 0 <= level <= 1:
            raise ValueError(f"{operation_name(name)}: q must be in [0, 1], got {level}")
    return levels, single


def _quantile(name: str, ignore_nan: bool, x: Any, q: Any, dim: Any, keepdim: Any,
              interpolation: Any) -> Any:
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{operation_name(name)}: interpolation must be one of "
                         f"{', '.join(_INTERPOLATIONS)}, got {interpolation!r}")
    levels, single = _probabilities(name, q)
    keep = keep_flag(name, keepdim, None)
    if data_of(x).dtype.kind != "f":
        raise TypeError(f"{operation_name(name)}: expects a floating tensor, got dtype "
                        f"{data_of(x).dtype}")
    shape = shape_of(x)
    if dim is None:
        rows, axis, scalar = reshape(x, (-1,)), 0, False
        target: tuple[int, ...] = (1,) * len(shape) if keep else ()
    else:
        rows, axis, scalar = as_rows(name, x, dim)
        kept = list(shape_of(rows))
        kept[axis] = 1
        target = () if scalar else tuple(kept) if keep else tuple(
            kept[:axis] + kept[axis + 1:])
    size = shape_of(rows)[axis]
    if size == 0:
        raise ValueError(f"{operation_name(name)}: expects a non-empty tensor, got shape {shape}")
    ordered = sort(rows, axis).values
    data = data_of(rows)
    xp = namespace_of(data)
    missing = xp.isnan(data)
    if ignore_nan:
        last = xp.sum(~missing, axis=axis, keepdims=True).astype(data.dtype) - 1
    else:
        # A slice holding a NaN has the quantile NaN: rank it at the end, where NaNs sort.
        shape_kept = list(data.shape)
        shape_kept[axis] = 1
        last = xp.full(tuple(shape_kept), size - 1, dtype=data.dtype)
    nan_slice = xp.any(missing, axis=axis, keepdims=True)
    results: list[Any] = []
    for index, level in enumerate(levels):
        rank = xp.maximum(last * level, 0)
        if not ignore_nan:
            rank = xp.where(nan_slice, size - 1, rank)
        below = xp.floor(rank).astype(xp.int64)
        above = xp.ceil(rank).astype(xp.int64)
        if interpolation == "lower":
            value = select_along(ordered, below, axis)
        elif interpolation == "higher":
            value = select_along(ordered, above, axis)
        elif interpolation == "nearest":
            value = select_along(ordered, xp.round(rank).astype(xp.int64), axis)
        else:
            low = select_along(ordered, below, axis)
            high = select_along(ordered, above, axis)
            weight: Any = 0.5
            if interpolation == "linear":
                weight = new_constant((rank - below).astype(data.dtype))
                if isinstance(q, Tensor) and not isinstance(q, Constant):
                    # PyTorch's quantile is differentiable in q through the weight.
                    fixed = nan_slice if not ignore_nan else last < 0
                    level_t = reshape(q, (-1,))[index] if not single else reshape(q, ())
                    weight = where(fixed, weight, level_t * new_constant(last)
                                   - new_constant(below.astype(data.dtype)))
            value = low + (high - low) * weight
        results.append(reshape(value, target))
    return results[0] if single else stack(results, 0)


@exported("runtime_shape_function")
@method("quantile", typing="runtime_shape_method")
def quantile(x: Any, q: Any, dim: Any = None, keepdim: bool = False, *,
             interpolation: str = "linear") -> Any:
    """The ``q``-quantiles of ``x`` along ``dim`` (of every element by default): ``q`` a
    number in [0, 1] or a 1-D tensor of them (its axis first in the result); between two
    elements ``interpolation`` picks ``linear``, ``lower``, ``higher``, ``midpoint`` or
    ``nearest``. NaN where a NaN is present. Differentiable through the elements used."""
    return _quantile("quantile", False, x, q, dim, keepdim, interpolation)


@exported("runtime_shape_function")
@method("nanquantile", typing="runtime_shape_method")
def nanquantile(x: Any, q: Any, dim: Any = None, keepdim: bool = False, *,
                interpolation: str = "linear") -> Any:
    """``quantile`` ignoring NaNs (NaN only where every element is NaN)."""
    return _quantile("nanquantile", True, x, q, dim, keepdim, interpolation)


# --- counting --------------------------------------------------------------------------------

def _unique_flat(xp: Any, flat: Array) -> tuple[Array, Array, Array]:
    """Sorted distinct values of a 1-D array, the inverse and the counts (NaNs kept apart)."""
    if flat.size == 0:
        empty = xp.zeros((0,), dtype=xp.int64)
        return flat, empty, empty
    order = xp.argsort(flat, kind="stable")
    ordered = flat[order]
    starts = xp.concatenate([xp.ones((1,), dtype=bool), ordered[1:] != ordered[:-1]])
    group = xp.cumsum(starts) - 1
    inverse = xp.empty(flat.shape, dtype=xp.int64)
    inverse[order] = group
    beginnings = xp.nonzero(starts)[0]
    counts = xp.diff(xp.concatenate([beginnings, xp.asarray([flat.size])]))
    return ordered[starts], inverse, counts.astype(xp.int64)


def _results(values: Array, inverse: Array, counts: Array, return_inverse: bool,
             return_counts: bool) -> Any:
    result: list[Constant] = [new_constant(values)]
    if return_inverse:
        result.append(new_constant(inverse.astype(namespace_of(inverse).int64)))
    if return_counts:
        result.append(new_constant(counts.astype(namespace_of(counts).int64)))
    return result[0] if len(result) == 1 else tuple(result)


def _slices(name: str, data: Array, dim: Any) -> tuple[Array, int]:
    """The slices of ``data`` along ``dim`` as the rows of a 2-D array, and the axis."""
    if not data.ndim:
        raise ValueError(f"{operation_name(name)}: dim needs a tensor with at least one axis")
    axis = single_axis(name, dim, data.ndim)
    xp = namespace_of(data)
    moved = xp.moveaxis(data, axis, 0)
    return xp.reshape(moved, (moved.shape[0], math.prod(moved.shape[1:]))), axis


@exported("index_function")
@method("unique", typing="index_method")
def unique(x: Any, sorted: Any = True, return_inverse: Any = False, return_counts: Any = False,
           dim: Any = None) -> Any:
    """The distinct values of ``x`` in ascending order (a ``Constant``; along ``dim``, the
    distinct slices), with the inverse indices (which value each element, or slice, became)
    and the counts when asked: a tuple then, as PyTorch's. Always sorted."""
    for argument, value in (("sorted", sorted), ("return_inverse", return_inverse),
                            ("return_counts", return_counts)):
        _flag("unique", argument, value)
    data = data_of(x)
    xp = namespace_of(data)
    if dim is None:
        values, inverse, counts = _unique_flat(xp, xp.reshape(data, (-1,)))
        return _results(values, xp.reshape(inverse, data.shape), counts, return_inverse,
                        return_counts)
    rows, axis = _slices("unique", data, dim)
    if rows.shape[0] == 0 or rows.shape[1] == 0:
        count = builtins.min(rows.shape[0], 1)
        values = xp.moveaxis(xp.moveaxis(data, axis, 0)[:count], 0, axis)
        return _results(values, xp.zeros((rows.shape[0],), dtype=xp.int64),
                        xp.full((count,), rows.shape[0], dtype=xp.int64), return_inverse,
                        return_counts)
    # Lexicographic order of the rows: sort by the last column first, stably.
    order = xp.arange(rows.shape[0])
    for column in range(rows.shape[1] - 1, -1, -1):
        order = order[xp.argsort(rows[order, column], kind="stable")]
    ordered = rows[order]
    starts = xp.concatenate([xp.ones((1,), dtype=bool),
                             xp.any(ordered[1:] != ordered[:-1], axis=1)])
    group = xp.cumsum(starts) - 1
    inverse = xp.empty((rows.shape[0],), dtype=xp.int64)
    inverse[order] = group
    beginnings = xp.nonzero(starts)[0]
    counts = xp.diff(xp.concatenate([beginnings, xp.asarray([rows.shape[0]])]))
    values = xp.take(data, order[starts], axis=axis)
    return _results(values, inverse, counts, return_inverse, return_counts)


@exported("index_function")
@method("unique_consecutive", typing="index_method")
def unique_consecutive(x: Any, return_inverse: Any = False, return_counts: Any = False,
                       dim: Any = None) -> Any:
    """``x`` with each run of equal consecutive values (or slices along ``dim``) kept once,
    with the inverse indices and the run lengths when asked (a tuple then)."""
    for argument, value in (("return_inverse", return_inverse),
                            ("return_counts", return_counts)):
        _flag("unique_consecutive", argument, value)
    data = data_of(x)
    xp = namespace_of(data)
    if dim is None:
        rows = xp.reshape(data, (-1, 1))
        axis = None
    else:
        rows, axis = _slices("unique_consecutive", data, dim)
    size = rows.shape[0]
    if size == 0:
        empty = xp.zeros((0,), dtype=xp.int64)
        values = xp.reshape(data, (-1,)) if axis is None else data
        return _results(values, xp.reshape(empty, data.shape) if axis is None else empty,
                        empty, return_inverse, return_counts)
    starts = xp.concatenate([xp.ones((1,), dtype=bool),
                             xp.any(rows[1:] != rows[:-1], axis=1)])
    inverse = xp.cumsum(starts) - 1
    beginnings = xp.nonzero(starts)[0]
    counts = xp.diff(xp.concatenate([beginnings, xp.asarray([size])]))
    if axis is None:
        return _results(xp.reshape(data, (-1,))[starts], xp.reshape(inverse, data.shape),
                        counts, return_inverse, return_counts)
    return _results(xp.take(data, beginnings, axis=axis), inverse, counts, return_inverse,
                    return_counts)


@exported("index_function")
@method("bincount", typing="index_method")
def bincount(x: Any, weights: Any = None, minlength: Any = 0) -> Constant:
    """How many times each value 0, 1, ... occurs in the 1-D non-negative integer ``x`` (at
    least ``minlength`` bins); with ``weights``, the sum of the weights instead (float)."""
    data = data_of(x)
    xp = namespace_of(data)
    if data.ndim != 1 or data.dtype.kind not in "iub":
        raise TypeError(f"bincount: expects a 1-D tensor of non-negative integers, got shape "
                        f"{tuple(data.shape)} and dtype {data.dtype}")
    if data.size and int(xp.min(data)) < 0:
        raise ValueError("bincount: the values must not be negative")
    length = integer("bincount", "minlength", minlength, minimum=0)
    if weights is None:
        counted = xp.bincount(data.astype(xp.int64), minlength=length)
        return new_constant(counted.astype(xp.int64))
    weighting = data_of(weights)
    if tuple(weighting.shape) != tuple(data.shape):
        raise ValueError(f"bincount: weights of shape {tuple(weighting.shape)} must have the "
                         f"input's shape {tuple(data.shape)}")
    dtype = weighting.dtype if weighting.dtype.kind == "f" else xp.float64
    counted = xp.bincount(data.astype(xp.int64), weights=weighting, minlength=length)
    return new_constant(counted.astype(dtype))


@exported("index_function")
@method("histc", typing="index_method")
def histc(x: Any, bins: Any = 100, min: Any = 0, max: Any = 0) -> Constant:
    """The histogram of ``x`` in ``bins`` equal bins over [``min``, ``max``] (the data's range
    when both are 0); elements outside are ignored, ``max`` itself falls in the last bin. A
    ``Constant`` of ``x``'s dtype."""
    data = data_of(x)
    xp = namespace_of(data)
    if data.dtype.kind != "f":
        raise TypeError(f"histc: expects a floating tensor, got dtype {data.dtype}")
    count = integer("histc", "bins", bins, minimum=1)
    if not is_number(min) or not is_number(max):
        raise TypeError(f"histc: min and max must be numbers, got {min!r} and {max!r}")
    low, high = float(min), float(max)
    if low == high and data.size:
        low, high = float(xp.min(data)), float(xp.max(data))
    if low == high:
        low, high = low - 1, high + 1
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"histc: the range [{low}, {high}] is not finite")
    if low > high:
        raise ValueError(f"histc: max ({high}) must not be less than min ({low})")
    flat = xp.reshape(data, (-1,))
    inside = flat[(flat >= low) & (flat <= high)]
    position = ((inside - low) * count / (high - low)).astype(xp.int64)
    position = xp.minimum(position, count - 1)
    counted = xp.bincount(position, minlength=count)[:count]
    return new_constant(counted.astype(data.dtype))
