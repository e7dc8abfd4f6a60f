"""Cumulative operations along one axis: ``cumsum``, ``cumprod``, ``cummax``, ``cummin``,
``logcumsumexp``, and the differences and integrals built on them: ``diff``, ``trapezoid``
(``trapz``) and ``cumulative_trapezoid``.

Each takes PyTorch's ``dim`` (or NumPy's ``axis=``); a 0-d tensor takes ``dim`` 0 or -1 and is
its own result. ``cummax`` and ``cummin`` return ``(values, indices)`` and pick their values
with ``select_along``, so the gradient goes to the element each running extremum came from.
"""

from __future__ import annotations

import math
from typing import Any, cast

import numpy as np

from mushin._backend import Array, namespace_of
from mushin._check import host_array, integer, is_number, operation_name, shape_of, single_axis
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Tensor, ValuesIndices, apply, new_constant
from mushin.errors import ShapeError
from mushin.ops._picking import as_rows, select_along
from mushin.ops.elementwise import astype, compare
from mushin.ops.join import concat
from mushin.ops.reduce import data_of, reversed_along, shift_in
from mushin.ops.reduce import sum as reduce_sum
from mushin.ops.shape import broadcast_to, reshape
from mushin.ops.slicing import getitem


def accumulate(xp: Any, name: str, data: Array, axis: int) -> Array:
    """``xp.<name>.accumulate`` along ``axis`` (a running maximum, log-add-exp...), by a loop
    over the axis where the array module has no ``accumulate`` for that function."""
    function = getattr(xp, name)
    try:
        return function.accumulate(data, axis=axis)
    except (AttributeError, NotImplementedError, TypeError):
        result = xp.moveaxis(data.copy(), axis, 0)
        for index in range(1, result.shape[0]):
            result[index] = function(result[index - 1], result[index])
        return xp.moveaxis(result, 0, axis)


def _axis_of(name: str, dim: Any, axis: Any) -> Any:
    """PyTorch's ``dim`` or NumPy's ``axis`` (one of them, required)."""
    if dim is not None and axis is not None:
        raise TypeError(f"{operation_name(name)}: give dim= or axis=, not both")
    chosen = dim if dim is not None else axis
    if chosen is None:
        raise TypeError(f"{operation_name(name)}: dim is required (the axis to accumulate along)")
    return chosen


def _along(name: str, x: Any, dim: Any, axis: Any, run: Any) -> Any:
    """``run(x, axis)`` along one axis; a 0-d ``x`` as one element along axis 0."""
    rows, position, scalar = as_rows(name, x, _axis_of(name, dim, axis))
    result = run(rows, position)
    return reshape(result, ()) if scalar else result


# --- primitives ----------------------------------------------------------------------------

def _reverse_cumsum(F: Any, g: Any, axis: int) -> Any:
    flip = reversed_along(axis)
    return F.getitem(F.cumsum(F.getitem(g, index=flip), axis=axis), index=flip)


CUMSUM = Primitive("cumsum", lambda xp, x, axis: xp.cumsum(x, axis=axis),
                   lambda F, g, inputs, out, parents, axis: (_reverse_cumsum(F, g, axis),),
                   saves="none")


def _linear_scan_forward(xp: Any, a: Array, b: Array, axis: int, reverse: bool) -> Array:
    """``y[k] = b[k] + a[k] * y[k - 1]`` along ``axis`` (``y[k + 1]`` when ``reverse``)."""
    a, b = xp.broadcast_arrays(a, b)
    a, b = xp.moveaxis(a, axis, 0), xp.moveaxis(b, axis, 0)
    result = xp.empty(b.shape, dtype=xp.result_type(a, b))
    previous = None
    for index in range(b.shape[0] - 1, -1, -1) if reverse else range(b.shape[0]):
        result[index] = b[index] if previous is None else b[index] + a[index] * previous
        previous = result[index]
    return xp.moveaxis(result, 0, axis)


def _linear_scan_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: int,
                     reverse: bool) -> tuple[Any, ...]:
    """The adjoint of a linear recurrence is the recurrence run the other way, its
    coefficients moved by one place."""
    a = inputs[0]
    # y[k] feeds y[k - 1] through a[k - 1] (reverse), or y[k + 1] through a[k + 1].
    coefficients = shift_in(F, a, axis, 0.0, forward=reverse)
    adjoint = F.linear_scan(coefficients, g, axis=axis, reverse=not reverse)
    grad_a = None
    if parents[0] is not None:
        grad_a = adjoint * shift_in(F, out, axis, 0.0, forward=not reverse)
    return grad_a, adjoint if parents[1] is not None else None


LINEAR_SCAN = Primitive("linear_scan", _linear_scan_forward, _linear_scan_vjp, saves="both")
"""``y[k] = b[k] + a[k] * y[k -/+ 1]``: what the exact gradient of ``cumprod`` is made of."""


def _cumprod_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: int) -> tuple[Any]:
    """d/dx_k = sum over i >= k of g_i times the product of x_j, j <= i, j != k. Without
    zeros that is ``reverse_cumsum(g * out) / x``; with zeros, the running product before k
    times ``R_k = g_k + x_(k+1) R_(k+1)`` (a linear recurrence), exact to every order."""
    x = inputs[0]
    data = F.unwrap(x)
    if not bool(namespace_of(data).any(data == 0)):
        return (_reverse_cumsum(F, g * out, axis) / x,)
    following = F.linear_scan(shift_in(F, x, axis, 0.0, forward=False), g, axis=axis,
                              reverse=True)
    return (shift_in(F, out, axis, 1.0) * following,)


CUMPROD = Primitive("cumprod", lambda xp, x, axis: xp.cumprod(x, axis=axis), _cumprod_vjp,
                    saves="both")


def _logcumsumexp_forward(xp: Any, x: Array, axis: int) -> Array:
    with np.errstate(invalid="ignore"):
        return accumulate(xp, "logaddexp", x, axis)


def _logcumsumexp_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                      axis: int) -> tuple[Any]:
    """d/dx_k = sum over i >= k of g_i exp(x_k - out_i), summed in log space for the positive
    and the negative parts of g separately, so nothing overflows. Where ``out_i`` is -inf
    every ``x_k``, k <= i, is -inf and gets 0: a finite stand-in avoids ``inf - inf``."""
    x = inputs[0]
    flip = reversed_along(axis)
    signs = F.unwrap(g)
    xp = namespace_of(signs)
    level = F.where(F.unwrap(out) == -math.inf, 0, out)

    def part(mask: Any, magnitude: Any) -> Any:
        logs = F.where(mask, F.log(F.where(mask, magnitude, 1)), -math.inf)
        tail = F.getitem(F.logcumsumexp(F.getitem(logs - level, index=flip), axis=axis),
                         index=flip)
        return F.exp(x + tail)

    positive, negative = signs > 0, signs < 0
    parts = [part(positive, g) if bool(xp.any(positive)) else None,
             part(negative, -g) if bool(xp.any(negative)) else None]
    if parts[0] is None and parts[1] is None:
        return (F.zeros_like(g),)
    if parts[1] is None:
        return (parts[0],)
    return (parts[1] * -1 if parts[0] is None else parts[0] - parts[1],)


LOGCUMSUMEXP = Primitive("logcumsumexp", _logcumsumexp_forward, _logcumsumexp_vjp,
                         saves="both")


# --- public functions ------------------------------------------------------------------------

def _cumulative(name: str, prim: Primitive, x: Any, dim: Any, axis: Any, dtype: Any) -> Any:
    if dtype is not None:
        x = astype(x if isinstance(x, Tensor) else host_array(name, x), dtype)

    def run(rows: Any, position: int) -> Any:
        return apply(prim, rows, axis=position)

    return _along(name, x, dim, axis, run)


@exported("same_type_function")
@method("cumsum", typing="same_type_method")
def cumsum(x: Any, dim: Any = None, *, dtype: Any = None, axis: Any = None) -> Any:
    """The running sum along ``dim`` (``dtype`` converts ``x`` first; integers and bools sum
    to int64). The gradient is the reversed running sum of the output's gradient."""
    return _cumulative("cumsum", CUMSUM, x, dim, axis, dtype)


@exported("same_type_function")
@method("cumprod", typing="same_type_method")
def cumprod(x: Any, dim: Any = None, *, dtype: Any = None, axis: Any = None) -> Any:
    """The running product along ``dim``; its gradient is exact where elements are zero."""
    return _cumulative("cumprod", CUMPROD, x, dim, axis, dtype)


@exported("same_type_function")
@method("logcumsumexp", typing="same_type_method")
def logcumsumexp(x: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """``log(cumsum(exp(x)))`` along ``dim``, computed without overflow."""
    data = data_of(x)
    if data.dtype.kind not in "fc":
        x = astype(x if isinstance(x, Tensor) else data, "float64")
    return _cumulative("logcumsumexp", LOGCUMSUMEXP, x, dim, axis, None)


def _running_extremum(name: str, ufunc: str, x: Any, dim: Any, axis: Any
                      ) -> ValuesIndices[Any]:
    rows, position, scalar = as_rows(name, x, _axis_of(name, dim, axis))
    data = data_of(rows)
    xp = namespace_of(data)
    values = accumulate(xp, ufunc, data, position)
    reached = data == values
    if data.dtype.kind in "fc":
        reached = reached | xp.isnan(data)  # a NaN holds the running extremum from there on
    shape = [1] * data.ndim
    shape[position] = data.shape[position]
    positions = xp.arange(data.shape[position]).reshape(shape)
    index = accumulate(xp, "maximum", xp.where(reached, positions, 0), position)
    picked = select_along(rows, index, position)
    index = index.astype(xp.int64)
    if scalar:
        return ValuesIndices(reshape(picked, ()), new_constant(xp.reshape(index, ())))
    return ValuesIndices(picked, new_constant(index))


@exported("values_indices_function")
@method("cummax", typing="values_indices_method")
def cummax(x: Any, dim: Any = None, *, axis: Any = None) -> ValuesIndices[Any]:
    """``(values, indices)``: the running maximum along ``dim`` and where it was reached (the
    last of ties; a NaN holds from where it appears); the gradient goes to those elements."""
    return _running_extremum("cummax", "maximum", x, dim, axis)


@exported("values_indices_function")
@method("cummin", typing="values_indices_method")
def cummin(x: Any, dim: Any = None, *, axis: Any = None) -> ValuesIndices[Any]:
    """``(values, indices)``: the running minimum along ``dim`` and where it was reached."""
    return _running_extremum("cummin", "minimum", x, dim, axis)


def _operand(value: Any) -> Any:
    """A tensor as it is; anything else as a NumPy array."""
    if isinstance(value, Tensor):
        return cast("Any", value)
    return np.asarray(value)


def _edge(name: str, value: Any, shape: tuple[int, ...], axis: int) -> Any:
    """``prepend``/``append`` of ``diff``: a tensor of ``x``'s shape but along ``axis``, or a
    number (one element along ``axis``)."""
    if isinstance(value, int | float | bool) or not shape_of(value):
        target = (*shape[:axis], 1, *shape[axis + 1:])
        return broadcast_to(_operand(value), target)
    given = shape_of(value)
    if len(given) != len(shape) or any(size != want for index, (size, want) in
                                       enumerate(zip(given, shape, strict=True))
                                       if index != axis):
        raise ShapeError(f"{operation_name(name)}: prepend/append of shape {given} must match the "
                         f"input's shape {shape} except along dim {axis}")
    return value


@exported("runtime_shape_function")
@method("diff", typing="runtime_shape_method")
def diff(x: Any, n: Any = 1, dim: Any = -1, prepend: Any = None, append: Any = None) -> Any:
    """The ``n``-th forward difference ``x[i+1] - x[i]`` along ``dim``, after joining
    ``prepend`` and ``append`` to ``x`` along it (bools give ``!=``); ``n=0`` gives ``x``."""
    shape = shape_of(x)
    if not shape:
        raise ValueError(f"{operation_name('diff')}: expects a tensor with at least one axis, got "
                         "a 0-d tensor")
    count = integer("diff", "n", n, minimum=0)
    axis = single_axis("diff", dim, len(shape))
    if count == 0:
        return x  # PyTorch's: no difference taken, prepend and append unused
    parts = [_edge("diff", prepend, shape, axis)] if prepend is not None else []
    parts.append(x if isinstance(x, Tensor) else np.asarray(x))
    if append is not None:
        parts.append(_edge("diff", append, shape, axis))
    result: Any = concat(parts, axis) if len(parts) > 1 else parts[0]
    logical = data_of(result).dtype.kind == "b"
    before = (slice(None),) * axis
    for _ in range(count):
        if shape_of(result)[axis] == 0:
            break
        later = getitem(result, (*before, slice(1, None)))
        earlier = getitem(result, (*before, slice(None, -1)))
        result = compare("not_equal", later, earlier) if logical else later - earlier
    return result


def _spacing(name: str, y: Any, x: Any, dx: Any, axis: int) -> Any:
    """The widths of the intervals along ``axis``: ``diff(x)`` (``x`` 1-D along ``axis``, or
    ``y``'s shape), or the number ``dx``."""
    if x is None:
        if dx is None:
            return 1.0
        if not is_number(dx):
            raise TypeError(f"{operation_name(name)}: dx must be a number, got {dx!r}")
        return float(dx)
    if dx is not None:
        raise TypeError(f"{operation_name(name)}: give x or dx, not both")
    shape, given = shape_of(y), shape_of(x)
    if len(given) == 1 and len(shape) > 1:
        if given[0] != shape[axis]:
            raise ShapeError(f"{operation_name(name)}: x of shape {given} must have the size of "
                             f"y's axis {axis} ({shape[axis]})")
        target = [1] * len(shape)
        target[axis] = given[0]
        return diff(reshape(x if isinstance(x, Tensor) else np.asarray(x), tuple(target)),
                    dim=axis)
    spacing = diff(x, dim=axis - len(shape) if len(given) != len(shape) else axis)
    return spacing


def _trapezoids(name: str, y: Any, x: Any, dx: Any, dim: Any) -> tuple[Any, int]:
    """The area of each interval along ``dim`` and the axis."""
    shape = shape_of(y)
    if not shape:
        raise ValueError(f"{operation_name(name)}: expects y with at least one axis, got a 0-d "
                         "tensor")
    axis = single_axis(name, dim, len(shape))
    if y is not None and not isinstance(y, Tensor):
        y = np.asarray(y)
    if data_of(y).dtype.kind in "biu":
        y = astype(y, "float64")
    spacing = _spacing(name, y, x, dx, axis)
    before = (slice(None),) * axis
    heights = getitem(y, (*before, slice(1, None))) + getitem(y, (*before, slice(None, -1)))
    return heights * spacing * 0.5, axis


@exported("runtime_shape_function")
def trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: Any = -1) -> Any:
    """The integral of ``y`` along ``dim`` by the trapezoidal rule, at the sample points
    ``x`` (1-D, or ``y``'s shape) or a constant spacing ``dx`` (1 by default)."""
    areas, axis = _trapezoids("trapezoid", y, x, dx, dim)
    return reduce_sum(areas, axis)


@exported("runtime_shape_function")
def trapz(y: Any, x: Any = None, *, dx: Any = None, dim: Any = -1) -> Any:
    """``trapezoid`` under its older name."""
    areas, axis = _trapezoids("trapz", y, x, dx, dim)
    return reduce_sum(areas, axis)


@exported("runtime_shape_function")
def cumulative_trapezoid(y: Any, x: Any = None, *, dx: Any = None, dim: Any = -1) -> Any:
    """The running trapezoidal integral of ``y`` along ``dim`` (one fewer element along it)."""
    areas, axis = _trapezoids("cumulative_trapezoid", y, x, dx, dim)
    return apply(CUMSUM, areas, axis=axis)
