"""Reductions over axes, with PyTorch's names, arguments and results.

``sum``, ``mean``, ``prod``, ``nansum``, ``nanmean``, ``var``, ``std``, ``var_mean``,
``std_mean``, ``max``, ``min``, ``amax``, ``amin``, ``aminmax``, ``argmax``, ``argmin``,
``all``, ``any``, ``count_nonzero``, ``logsumexp``, ``norm``, ``dist``, ``cov`` and
``corrcoef``.

Every reduction takes PyTorch's ``dim=`` / ``keepdim=`` or NumPy's ``axis=`` / ``keepdims=``
(not both); a positional axis means ``dim``; ``None`` and ``()`` mean every axis. The
primitives receive the axes already normalised to a sorted tuple of positive ints (or None).

The two primitives ``select_along`` (NumPy's ``take_along_axis``) and ``deposit_along`` (its
transpose, a scatter-add) are shared with ``scan.py`` and ``sorting.py``: an operation that
picks elements (``max(x, dim)``, ``sort``, ``median``, ``cummax``...) picks them with
``select_along``, so its gradient goes to exactly the elements picked.
"""

from __future__ import annotations

import builtins
import math
from typing import Any, NamedTuple

import numpy as np

from mushin._backend import Array, accumulator, namespace_of
from mushin._check import (
    as_sequence,
    axis_argument,
    is_int,
    is_number,
    normalize_axis,
    shape_of,
    single_axis,
)
from mushin._graph import PRIMITIVES, Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, ValuesIndices, apply, new_constant, unwrap
from mushin.ops.elementwise import astype, clip, maximum, minimum, sqrt, where
from mushin.ops.shape import getitem, matrix_transpose, reshape

# --- shared helpers ----------------------------------------------------------------------------


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1 (the keepdims shape)."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if index in axis else size for index, size in enumerate(shape))


def _reduced_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None,
                   keep: bool) -> tuple[int, ...]:
    """The shape of a reduction of ``shape`` over ``axis``."""
    if keep:
        return _kept_shape(shape, axis)
    if axis is None:
        return ()
    return tuple(size for index, size in enumerate(shape) if index not in axis)


def _expand(F: Any, g: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """A reduced gradient reshaped so it broadcasts against the input of ``shape``."""
    return g if keepdims else F.reshape(g, shape=_kept_shape(shape, axis))


def data_of(x: Any) -> Array:
    """The backend array of a tensor, an array or a number (a number becomes a NumPy array)."""
    value = unwrap(x)
    if not hasattr(value, "shape"):
        shape_of(value)  # TypeError, naming the public operation, for a non-number
        value = np.asarray(value)
    return value


def reduced_axes(name: str, shape: tuple[int, ...], dim: Any, axis: Any) -> tuple[int, ...] | None:
    """The axes asked for by ``dim=`` or ``axis=`` as sorted positive ints, None for every axis
    (``None`` or ``()``). A 0-d tensor accepts the axes 0 and -1, as PyTorch's does."""
    chosen = axis_argument(name, dim, axis)
    if chosen is None:
        return None
    if not shape:
        items = as_sequence(chosen) or [chosen]
        for item in items:
            if not is_int(item):
                raise TypeError(f"{name}: an axis must be an int, got {item!r}")
            if item not in (0, -1):
                raise ValueError(f"{name}: axis {item} is out of range for a tensor with 0 axes")
        if len(items) > 1:  # 0 and -1 are the same axis
            raise ValueError(f"{name}: repeated axis in {chosen!r}")
        return None
    return normalize_axis(name, chosen, len(shape))


def is_flag(value: Any) -> bool:
    """Whether ``value`` is a bool (Python's or NumPy's)."""
    return isinstance(value, bool | np.bool_)


def keep_flag(name: str, keepdim: Any, keepdims: Any) -> bool:
    """PyTorch's ``keepdim`` or NumPy's ``keepdims`` as one bool (either may ask for it)."""
    for value in (keepdim, keepdims):
        if value is not None and not is_flag(value) and not isinstance(value, int):
            raise TypeError(f"{name}: keepdim must be a bool, got {value!r}")
    return bool(keepdim) or bool(keepdims)


def _with_dtype(name: str, x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype`` first, as PyTorch's ``dtype=`` of a reduction does."""
    if dtype is None:
        return x
    if isinstance(x, int | float | bool):
        x = np.asarray(x)
    try:
        return astype(x, dtype)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _is_integral(x: Any) -> bool:
    """Whether ``x`` holds integers or bools."""
    if isinstance(x, int | bool):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", "f") in "biu"


def _is_half(x: Any) -> bool:
    """Whether ``x`` is float16 (summed in float32, as NumPy's ``mean`` does)."""
    return bool(accumulator(x.data() if isinstance(x, Tensor) else x))


def _count(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[index] for index in axis)


def _check_not_empty(name: str, shape: tuple[int, ...], axis: tuple[int, ...] | None) -> None:
    if builtins.any(shape[index] == 0 for index in (axis if axis is not None
                                                    else range(len(shape)))):
        raise ValueError(f"{name}: cannot reduce an empty axis of a tensor of shape {shape} "
                         "(the reduction has no identity)")


# --- picking elements along an axis: the primitives that route gradients ----------------------

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
    if not isinstance(x, Tensor):
        x = np.asarray(x)
    return reshape(x, (1,)), 0, True


# --- primitives ----------------------------------------------------------------------------

def _sum_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: Any,
             keepdims: bool) -> tuple[Any]:
    shape = parents[0].shape
    return (F.broadcast_to(_expand(F, g, shape, axis, keepdims), shape=shape),)


SUM = Primitive("sum", lambda xp, x, axis, keepdims: xp.sum(x, axis=axis, keepdims=keepdims),
                _sum_vjp, saves="none")


def _share(F: Any, x: Any, value: Any, axis: Any) -> Any:
    """Equal shares, summing to 1 over each reduced slice, of the elements of ``x`` equal to
    ``value`` (a NaN ``value`` is reached by the NaNs): a constant array."""
    data, reference = F.unwrap(x), F.unwrap(value)
    xp = namespace_of(data)
    equal = data == reference
    if data.dtype.kind in "fc":
        equal = equal | (xp.isnan(data) & xp.isnan(reference))
    chosen = equal.astype(data.dtype)
    return chosen / xp.sum(chosen, axis=axis, keepdims=True)


def _extremum_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: Any,
                  keepdims: bool) -> tuple[Any]:
    """max/min over axes: the gradient is shared equally among the elements that reach the
    extremum (PyTorch's ``amax``, and ``max()`` over every axis)."""
    shape = parents[0].shape
    share = _share(F, inputs[0], _expand(F, out, shape, axis, keepdims), axis)
    return (_expand(F, g, shape, axis, keepdims) * share,)


AMAX = Primitive("amax", lambda xp, x, axis, keepdims: xp.max(x, axis=axis, keepdims=keepdims),
                 _extremum_vjp, saves="both")
AMIN = Primitive("amin", lambda xp, x, axis, keepdims: xp.min(x, axis=axis, keepdims=keepdims),
                 _extremum_vjp, saves="both")


def reversed_along(axis: int) -> tuple[Any, ...]:
    """The index reversing ``axis``."""
    return (*(slice(None),) * axis, slice(None, None, -1))


def shift_in(F: Any, t: Any, axis: int, fill: float, forward: bool = True) -> Any:
    """``t`` moved one place along ``axis`` (towards higher indices when ``forward``), the
    freed place holding ``fill``: ``[fill, t0, t1...]`` (a VJP helper, differentiable)."""
    data = F.unwrap(t)
    xp = namespace_of(data)
    size = data.shape[axis]
    pad_shape = list(data.shape)
    pad_shape[axis] = 1
    pad = xp.full(tuple(pad_shape), fill, dtype=data.dtype)
    before = (slice(None),) * axis
    if forward:
        body = F.getitem(t, index=(*before, slice(0, size - 1)))
        return F.concat(pad, body, axis=axis, sizes=(1, size - 1))
    body = F.getitem(t, index=(*before, slice(1, size)))
    return F.concat(body, pad, axis=axis, sizes=(size - 1, 1))


def _prod_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: Any,
              keepdims: bool) -> tuple[Any]:
    """The product of the other elements. Without zeros ``out / x``; with zeros the products
    of the elements before and after each one (running products over the reduced axes laid
    out as one), which stay exact to every order of derivative."""
    x = inputs[0]
    shape = parents[0].shape
    full_g = _expand(F, g, shape, axis, keepdims)
    data = F.unwrap(x)
    if not bool(namespace_of(data).any(data == 0)):
        return (full_g * _expand(F, out, shape, axis, keepdims) / x,)
    reduced = tuple(range(len(shape))) if axis is None else tuple(axis)
    kept = tuple(index for index in range(len(shape)) if index not in reduced)
    order = kept + reduced
    lead = tuple(shape[index] for index in kept)
    rows = F.reshape(F.transpose(x, axes=order),
                     shape=(*lead, math.prod(shape[index] for index in reduced)))
    last = len(lead)
    flip = reversed_along(last)
    before = shift_in(F, F.cumprod(rows, axis=last), last, 1.0)
    after = F.getitem(shift_in(F, F.cumprod(F.getitem(rows, index=flip), axis=last), last, 1.0),
                      index=flip)
    others = F.reshape(before * after, shape=tuple(shape[index] for index in order))
    inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
    return (full_g * F.transpose(others, axes=inverse),)


PROD = Primitive("prod", lambda xp, x, axis, keepdims: xp.prod(x, axis=axis, keepdims=keepdims),
                 _prod_vjp, saves="both")


def _logsumexp_forward(xp: Any, x: Array, axis: Any, keepdims: bool) -> Array:
    shape = tuple(x.shape)
    if builtins.any(shape[index] == 0 for index in (axis if axis is not None
                                                    else range(len(shape)))):
        return xp.full(_reduced_shape(shape, axis, keepdims), -xp.inf,
                       dtype=x.dtype if x.dtype.kind == "f" else xp.float64)
    peak = xp.max(x, axis=axis, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)
    wide = accumulator(x)
    total = xp.log(xp.sum(xp.exp(x - peak), axis=axis, keepdims=True, dtype=wide)) + peak
    if wide is not None:
        total = total.astype(x.dtype)
    return total if keepdims else xp.reshape(total, _reduced_shape(shape, axis, False))


def _logsumexp_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: Any,
                   keepdims: bool) -> tuple[Any]:
    x = inputs[0]
    shape = parents[0].shape
    # softmax(x), normalised again rather than exp(x - out): out is rounded to its dtype, and
    # at |out| ~ 1e4 in float32 that rounding alone would put a 1e-4 error in every gradient.
    unnormalised = F.exp(x - _expand(F, out, shape, axis, keepdims))
    return (_expand(F, g, shape, axis, keepdims)
            * (unnormalised / F.sum(unnormalised, axis=axis, keepdims=True)),)


LOGSUMEXP = Primitive("logsumexp", _logsumexp_forward, _logsumexp_vjp, saves="both")


def _std_sqrt_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    zero = F.unwrap(out) == 0
    return (F.where(zero, 0, g / (2 * F.where(zero, 1, out))),)


STD_SQRT = Primitive("std_sqrt", lambda xp, x: xp.sqrt(x), _std_sqrt_vjp, saves="output")
"""The square root of a variance: its gradient is 0 where the deviation is 0 (PyTorch's)."""


def _norm_forward(xp: Any, x: Array, p: float, axis: Any, keepdims: bool) -> Array:
    magnitude = xp.abs(x)
    if p == math.inf:
        return xp.max(magnitude, axis=axis, keepdims=keepdims)
    if p == -math.inf:
        return xp.min(magnitude, axis=axis, keepdims=keepdims)
    if p == 0:
        return xp.sum(magnitude != 0, axis=axis, keepdims=keepdims).astype(x.dtype)
    if p == 1:
        return xp.sum(magnitude, axis=axis, keepdims=keepdims)
    if p == 2:
        return xp.sqrt(xp.sum(magnitude * magnitude, axis=axis, keepdims=keepdims))
    with np.errstate(divide="ignore"):
        return xp.sum(magnitude ** p, axis=axis, keepdims=keepdims) ** (1.0 / p)


def _norm_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, p: float, axis: Any,
              keepdims: bool) -> tuple[Any]:
    x = inputs[0]
    shape = parents[0].shape
    full_g = _expand(F, g, shape, axis, keepdims)
    full_out = _expand(F, out, shape, axis, keepdims)
    if p == 0:
        return (None,)
    if p == 1:
        return (full_g * F.sign(x),)
    if p in (math.inf, -math.inf):
        return (full_g * F.sign(x) * _share(F, F.abs(x), full_out, axis),)
    zero_out = F.unwrap(full_out) == 0
    if p == 2:
        return (F.where(zero_out, 0, full_g * x / F.where(zero_out, 1, full_out)),)
    zero_x = F.unwrap(x) == 0
    scaled = F.where(zero_x, 0, F.sign(x) * F.where(zero_x, 1, F.abs(x)) ** (p - 1))
    scale = F.where(zero_out, 0, full_g / F.where(zero_out, 1, full_out) ** (p - 1))
    return (scaled * scale,)


NORM = Primitive("norm_p", _norm_forward, _norm_vjp, saves="both")
"""``(sum |x|^p)^(1/p)`` over axes, with PyTorch's gradients at zero (0, not NaN)."""

ALL = Primitive("all", lambda xp, x, axis, keepdims: xp.all(x, axis=axis, keepdims=keepdims),
                None)
ANY = Primitive("any", lambda xp, x, axis, keepdims: xp.any(x, axis=axis, keepdims=keepdims),
                None)
COUNT_NONZERO = Primitive(
    "count_nonzero",
    lambda xp, x, axis: xp.sum(x != 0, axis=axis, dtype=xp.int64), None)


def _arg_forward(pick: str) -> Any:
    def forward(xp: Any, x: Array, axis: Any, keepdims: bool) -> Array:
        if axis is None:
            flat = getattr(xp, pick)(xp.reshape(x, (-1,)))
            return xp.reshape(xp.asarray(flat, dtype=xp.int64), (1,) * x.ndim if keepdims else ())
        return getattr(xp, pick)(x, axis=axis, keepdims=keepdims).astype(xp.int64)

    return forward


ARGMAX = Primitive("argmax", _arg_forward("argmax"), None)
ARGMIN = Primitive("argmin", _arg_forward("argmin"), None)


# --- sums and means ----------------------------------------------------------------------------

def _reduce(prim: Primitive, x: Any, axes: tuple[int, ...] | None, keep: bool,
            name: str | None = None) -> Any:
    """``prim`` over ``axes``; ``name`` is the public operation named in errors."""
    if prim is not SUM:
        _check_not_empty(name or prim.name, shape_of(x), axes)
    return apply(prim, x, axis=axes, keepdims=keep)


@exported("reduction_function")
@method("sum", typing="reduction_method")
def sum(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool = False, dtype: Any = None) -> Any:
    """The sum over ``dim`` (every axis by default, or for ``()``); 0 over an empty axis.
    ``dtype`` converts ``x`` first. Integers and bools sum to int64."""
    x = _with_dtype("sum", x, dtype)
    axes = reduced_axes("sum", shape_of(x), dim, axis)
    return apply(SUM, x, axis=axes, keepdims=keep_flag("sum", keepdim, keepdims))


def _mean(x: Any, axes: tuple[int, ...] | None, keep: bool) -> Any:
    """The mean of floating ``x`` over normalised ``axes`` (NaN over an empty axis)."""
    if _is_half(x):
        return astype(_mean(astype(x, "float32"), axes, keep), "float16")
    count = _count(shape_of(x), axes)
    total = apply(SUM, x, axis=axes, keepdims=keep)
    if count == 0:
        with np.errstate(invalid="ignore"):
            return total * math.nan
    return total * (1.0 / count)


@exported("reduction_function")
@method("mean", typing="reduction_method")
def mean(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False, dtype: Any = None) -> Any:
    """The mean over ``dim`` (every axis by default); NaN over an empty axis, as PyTorch's.
    ``dtype`` converts ``x`` first; integers and bools are averaged in float64 (PyTorch
    refuses them)."""
    x = _with_dtype("mean", x, dtype)
    axes = reduced_axes("mean", shape_of(x), dim, axis)
    keep = keep_flag("mean", keepdim, keepdims)
    if _is_integral(x):
        x = astype(x if isinstance(x, Tensor) else np.asarray(x), "float64")
    return _mean(x, axes, keep)


@exported("reduction_function")
@method("prod", typing="reduction_method")
def prod(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False, dtype: Any = None) -> Any:
    """The product over ``dim`` (every axis by default); 1 over an empty axis. The gradient is
    the product of the other elements, exact where some are zero."""
    x = _with_dtype("prod", x, dtype)
    axes = reduced_axes("prod", shape_of(x), dim, axis)
    return apply(PROD, x, axis=axes, keepdims=keep_flag("prod", keepdim, keepdims))


def _nan_mask(x: Any) -> Any:
    """A bool array: where ``x`` is NaN (all False for integers)."""
    data = data_of(x)
    xp = namespace_of(data)
    if data.dtype.kind not in "fc":
        return xp.zeros(data.shape, dtype=bool)
    return xp.isnan(data)


@exported("reduction_function")
@method("nansum", typing="reduction_method")
def nansum(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool = False, dtype: Any = None) -> Any:
    """The sum over ``dim`` counting NaNs as zero (they get a zero gradient)."""
    x = _with_dtype("nansum", x, dtype)
    axes = reduced_axes("nansum", shape_of(x), dim, axis)
    cleaned = where(_nan_mask(x), 0, x) if data_of(x).dtype.kind in "fc" else x
    return apply(SUM, cleaned, axis=axes, keepdims=keep_flag("nansum", keepdim, keepdims))


@exported("reduction_function")
@method("nanmean", typing="reduction_method")
def nanmean(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool = False, dtype: Any = None) -> Any:
    """The mean over ``dim`` of the elements that are not NaN (NaN where all are)."""
    x = _with_dtype("nanmean", x, dtype)
    if _is_integral(x):
        raise TypeError(f"nanmean: expects a floating tensor, got dtype {data_of(x).dtype} "
                        "(give dtype=)")
    axes = reduced_axes("nanmean", shape_of(x), dim, axis)
    keep = keep_flag("nanmean", keepdim, keepdims)
    mask = _nan_mask(x)
    xp = namespace_of(mask)
    counts = xp.sum(~mask, axis=axes, keepdims=keep).astype(data_of(x).dtype)
    total = apply(SUM, where(mask, 0, x), axis=axes, keepdims=keep)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total / new_constant(counts)


# --- variance ----------------------------------------------------------------------------------

def _correction(name: str, dim: Any, args: tuple[Any, ...], correction: Any, unbiased: Any,
                ddof: Any, keepdim: Any) -> tuple[Any, float, Any]:
    """``(dim, correction, keepdim)`` from PyTorch's spellings: ``var(x, unbiased)``,
    ``var(x, dim, unbiased, keepdim)``, ``correction=``, ``unbiased=``, or NumPy's ``ddof=``."""
    if is_flag(dim):
        if unbiased is not None or args:
            raise TypeError(f"{name}: unbiased was given twice")
        unbiased, dim = dim, None
    if len(args) > 2:
        raise TypeError(f"{name}: takes at most (x, dim, unbiased, keepdim) positionally, got "
                        f"{len(args) + 2} arguments")
    if args:
        if not is_flag(args[0]):
            raise TypeError(f"{name}: the argument after dim is unbiased (a bool), got "
                            f"{args[0]!r}; give keepdim= by name")
        if unbiased is not None:
            raise TypeError(f"{name}: unbiased was given twice")
        unbiased = args[0]
        if len(args) == 2:
            keepdim = args[1]
    given = [value for value in (correction, unbiased, ddof) if value is not None]
    if len(given) > 1:
        raise TypeError(f"{name}: give one of correction=, unbiased= and ddof=, not several")
    if unbiased is not None:
        if not is_flag(unbiased):
            raise TypeError(f"{name}: unbiased must be a bool, got {unbiased!r}")
        return dim, 1.0 if unbiased else 0.0, keepdim
    value = correction if correction is not None else ddof
    if value is None:
        return dim, 1.0, keepdim
    if not is_number(value):
        raise TypeError(f"{name}: correction must be a number, got {value!r}")
    return dim, float(value), keepdim


def _variance(name: str, x: Any, axes: tuple[int, ...] | None, correction: float,
              keep: bool) -> tuple[Any, Any]:
    """``(variance, mean)`` of ``x`` over normalised ``axes``: the sum of squared deviations
    over ``max(0, n - correction)``, so NaN or infinity where that is 0, as PyTorch's."""
    if _is_integral(x):
        x = astype(x if isinstance(x, Tensor) else np.asarray(x), "float64")
    if _is_half(x):
        variance, average = _variance(name, astype(x, "float32"), axes, correction, keep)
        return astype(variance, "float16"), astype(average, "float16")
    shape = shape_of(x)
    count = _count(shape, axes)
    average = _mean(x, axes, True)
    centred = x - average
    total = apply(SUM, centred * centred, axis=axes, keepdims=keep)
    divisor = builtins.max(0.0, count - correction)
    with np.errstate(invalid="ignore"):
        variance = total * (1.0 / divisor if divisor > 0 else math.inf)
    if not keep:
        average = reshape(average, _reduced_shape(shape, axes, False))
    return variance, average


@exported("variance_function")
@method("var", typing="variance_method")
def var(x: Any, dim: Any = None, *args: Any, correction: Any = None, unbiased: Any = None,
        ddof: Any = None, keepdim: bool = False, axis: Any = None, keepdims: bool = False) -> Any:
    """The variance over ``dim``: squared deviations summed over ``n - correction``
    (``correction=1`` by default, Bessel's; ``unbiased=False`` or ``ddof=0`` for 0). NaN or
    infinity where ``n - correction <= 0``, as PyTorch's."""
    dim, amount, keepdim = _correction("var", dim, args, correction, unbiased, ddof, keepdim)
    axes = reduced_axes("var", shape_of(x), dim, axis)
    return _variance("var", x, axes, amount, keep_flag("var", keepdim, keepdims))[0]


@exported("variance_function")
@method("std", typing="variance_method")
def std(x: Any, dim: Any = None, *args: Any, correction: Any = None, unbiased: Any = None,
        ddof: Any = None, keepdim: bool = False, axis: Any = None, keepdims: bool = False) -> Any:
    """The standard deviation over ``dim``: ``sqrt(var(...))`` with ``var``'s arguments; the
    gradient is 0 where every deviation is 0 (PyTorch's)."""
    dim, amount, keepdim = _correction("std", dim, args, correction, unbiased, ddof, keepdim)
    axes = reduced_axes("std", shape_of(x), dim, axis)
    return apply(STD_SQRT, _variance("std", x, axes, amount,
                                     keep_flag("std", keepdim, keepdims))[0])


@exported("split_function")
def var_mean(x: Any, dim: Any = None, *args: Any, correction: Any = None, unbiased: Any = None,
             ddof: Any = None, keepdim: bool = False, axis: Any = None,
             keepdims: bool = False) -> tuple[Any, Any]:
    """``(var(x, ...), mean(x, ...))`` over the same axes, with ``var``'s arguments."""
    dim, amount, keepdim = _correction("var_mean", dim, args, correction, unbiased, ddof,
                                       keepdim)
    axes = reduced_axes("var_mean", shape_of(x), dim, axis)
    return _variance("var_mean", x, axes, amount, keep_flag("var_mean", keepdim, keepdims))


@exported("split_function")
def std_mean(x: Any, dim: Any = None, *args: Any, correction: Any = None, unbiased: Any = None,
             ddof: Any = None, keepdim: bool = False, axis: Any = None,
             keepdims: bool = False) -> tuple[Any, Any]:
    """``(std(x, ...), mean(x, ...))`` over the same axes, with ``var``'s arguments."""
    dim, amount, keepdim = _correction("std_mean", dim, args, correction, unbiased, ddof,
                                       keepdim)
    axes = reduced_axes("std_mean", shape_of(x), dim, axis)
    variance, average = _variance("std_mean", x, axes, amount,
                                  keep_flag("std_mean", keepdim, keepdims))
    return apply(STD_SQRT, variance), average


# --- extrema -----------------------------------------------------------------------------------

def _is_operand(value: Any) -> bool:
    """Whether ``max``'s second argument is another tensor (the elementwise form)."""
    return isinstance(value, Tensor) or (hasattr(value, "shape") and hasattr(value, "dtype"))


def _extremum(name: str, prim: Primitive, pick: str, x: Any, dim: Any, keepdim: Any,
              axis: Any, keepdims: Any) -> Any:
    if _is_operand(dim):
        if axis is not None or keepdim or keepdims:
            raise TypeError(f"{name}: the elementwise {name}(x, other) takes no axis")
        return (maximum if prim is AMAX else minimum)(x, dim)
    keep = keep_flag(name, keepdim, keepdims)
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{name}: give dim= or axis=, not both")
        if not is_int(dim):
            raise TypeError(f"{name}: dim must be an int (for several axes use "
                            f"a{name}(x, dim) or axis=), got {dim!r}")
        rows, position, scalar = as_rows(name, x, dim)
        shape = shape_of(rows)
        if shape[position] == 0:
            raise ValueError(f"{name}: cannot reduce the empty axis {dim} of a tensor of "
                             f"shape {shape_of(x)}")
        data = data_of(rows)
        index = getattr(namespace_of(data), pick)(data, axis=position, keepdims=True)
        return values_indices(rows, index, position, keep, scalar)
    axes = reduced_axes(name, shape_of(x), None, axis)
    return _reduce(prim, x, axes, keep, name)


@exported("extremum_function")
@method("max", typing="extremum_method")
def max(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool = False) -> Any:
    """The maximum: of every element by default (ties share the gradient equally); along one
    ``dim`` the named tuple ``(values, indices)`` (the gradient goes to the index chosen);
    over ``axis=`` (an int or a tuple) the values; ``max(x, other)`` the elementwise
    maximum. An empty axis raises ``ValueError``."""
    return _extremum("max", AMAX, "argmax", x, dim, keepdim, axis, keepdims)


@exported("extremum_function")
@method("min", typing="extremum_method")
def min(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool = False) -> Any:
    """The minimum, with ``max``'s forms: every element, ``(values, indices)`` along ``dim``,
    the values over ``axis=``, or ``min(x, other)`` elementwise."""
    return _extremum("min", AMIN, "argmin", x, dim, keepdim, axis, keepdims)


@exported("reduction_function")
@method("amax", typing="reduction_method")
def amax(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False, dtype: Any = None) -> Any:
    """The maximum over ``dim`` (an int or a tuple; every axis by default); tied elements
    share the gradient equally. An empty axis raises ``ValueError``."""
    x = _with_dtype("amax", x, dtype)
    axes = reduced_axes("amax", shape_of(x), dim, axis)
    return _reduce(AMAX, x, axes, keep_flag("amax", keepdim, keepdims))


@exported("reduction_function")
@method("amin", typing="reduction_method")
def amin(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False, dtype: Any = None) -> Any:
    """The minimum over ``dim`` (an int or a tuple; every axis by default); tied elements
    share the gradient equally. An empty axis raises ``ValueError``."""
    x = _with_dtype("amin", x, dtype)
    axes = reduced_axes("amin", shape_of(x), dim, axis)
    return _reduce(AMIN, x, axes, keep_flag("amin", keepdim, keepdims))


class MinMax(NamedTuple):
    """What ``aminmax`` returns: ``min`` and ``max``, as PyTorch's named tuple."""

    min: Any
    max: Any


@exported("split_function")
@method("aminmax", typing="split_method")
def aminmax(x: Any, *, dim: Any = None, keepdim: bool = False, axis: Any = None,
            keepdims: bool = False) -> MinMax:
    """``(min, max)`` over ``dim`` (one axis, or every axis by default), a named tuple."""
    if dim is not None and not is_int(dim):
        raise TypeError(f"aminmax: dim must be an int or None, got {dim!r}")
    axes = reduced_axes("aminmax", shape_of(x), dim, axis)
    keep = keep_flag("aminmax", keepdim, keepdims)
    return MinMax(_reduce(AMIN, x, axes, keep, "aminmax"),
                  _reduce(AMAX, x, axes, keep, "aminmax"))


def _arg(name: str, prim: Primitive, x: Any, dim: Any, keepdim: Any, axis: Any,
         keepdims: Any) -> Constant:
    chosen = axis_argument(name, dim, axis)
    keep = keep_flag(name, keepdim, keepdims)
    data = data_of(x)
    shape = tuple(data.shape)
    if chosen is None:
        if not data.size:
            raise ValueError(f"{name}: cannot take the {name} of an empty tensor")
        result: Constant = apply(prim, data, axis=None, keepdims=keep)
        return result
    if isinstance(chosen, tuple):
        raise TypeError(f"{name}: dim must be one int, got {chosen!r}")
    if not shape:
        single_axis(name, chosen, 0)
        result = apply(prim, data, axis=None, keepdims=False)
        return result
    position = single_axis(name, chosen, len(shape))
    if shape[position] == 0:
        raise ValueError(f"{name}: cannot reduce the empty axis {chosen} of a tensor of shape "
                         f"{shape}")
    result = apply(prim, data, axis=position, keepdims=keep)
    return result


@exported("index_function")
@method("argmax", typing="index_method")
def argmax(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool = False) -> Constant:
    """The index of the maximum along ``dim`` (int64; the first of ties, or of NaNs); with no
    ``dim`` the index into the flattened tensor."""
    return _arg("argmax", ARGMAX, x, dim, keepdim, axis, keepdims)


@exported("index_function")
@method("argmin", typing="index_method")
def argmin(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
           keepdims: bool = False) -> Constant:
    """The index of the minimum along ``dim`` (int64); with no ``dim`` into the flattened
    tensor."""
    return _arg("argmin", ARGMIN, x, dim, keepdim, axis, keepdims)


@exported("index_function")
@method("all", typing="index_method")
def all(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool = False) -> Constant:
    """Whether every element over ``dim`` is nonzero (a bool ``Constant``; True when empty)."""
    data = data_of(x)
    axes = reduced_axes("all", tuple(data.shape), dim, axis)
    result: Constant = apply(ALL, data, axis=axes, keepdims=keep_flag("all", keepdim, keepdims))
    return result


@exported("index_function")
@method("any", typing="index_method")
def any(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool = False) -> Constant:
    """Whether some element over ``dim`` is nonzero (a bool ``Constant``; False when empty)."""
    data = data_of(x)
    axes = reduced_axes("any", tuple(data.shape), dim, axis)
    result: Constant = apply(ANY, data, axis=axes, keepdims=keep_flag("any", keepdim, keepdims))
    return result


@exported("index_function")
@method("count_nonzero", typing="index_method")
def count_nonzero(x: Any, dim: Any = None, *, axis: Any = None) -> Constant:
    """The number of nonzero elements over ``dim`` (an int or a tuple; every axis by
    default), an int64 ``Constant``."""
    data = data_of(x)
    axes = reduced_axes("count_nonzero", tuple(data.shape), dim, axis)
    result: Constant = apply(COUNT_NONZERO, data, axis=axes)
    return result


@exported("reduction_function")
@method("logsumexp", typing="reduction_method")
def logsumexp(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
              keepdims: bool = False, dtype: Any = None) -> Any:
    """``log(sum(exp(x)))`` over ``dim`` (every axis by default; PyTorch requires ``dim``),
    computed without overflow; -inf over an empty axis."""
    x = _with_dtype("logsumexp", x, dtype)
    if _is_integral(x):
        x = astype(x if isinstance(x, Tensor) else np.asarray(x), "float32")  # PyTorch's
    axes = reduced_axes("logsumexp", shape_of(x), dim, axis)
    return apply(LOGSUMEXP, x, axis=axes, keepdims=keep_flag("logsumexp", keepdim, keepdims))


# --- norms -------------------------------------------------------------------------------------

def _norm_order(name: str, p: Any) -> float:
    if isinstance(p, str):
        if p == "fro":
            return 2.0
        if p == "nuc":
            # The nuclear norm lives in the linear algebra family, which imports this one.
            raise NotImplementedError(f"{name}: p='nuc' is a matrix norm: use "
                                      "mu.linalg.matrix_norm(x, 'nuc', dim)")
        raise ValueError(f"{name}: p must be a number, 'fro' or 'nuc', got {p!r}")
    if not is_number(p):
        raise TypeError(f"{name}: p must be a number, 'fro' or 'nuc', got {p!r}")
    return float(p)


@exported("runtime_shape_function")
@method("norm", typing="runtime_shape_method")
def norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: bool = False) -> Any:
    """PyTorch's ``torch.norm``: the vector ``p``-norm ``(sum |x|^p)^(1/p)`` over ``dim``
    (every axis by default); ``p`` may be ``inf``, ``-inf``, 0 (the count of nonzeros) or
    ``'fro'`` (2). The gradient at a zero norm is 0, and ties of ``inf``-norms share it.
    ``p='nuc'`` is refused: ``mu.linalg.matrix_norm(x, 'nuc')`` has it."""
    keep = keep_flag("norm", keepdim, keepdims)
    order = _norm_order("norm", p)
    x = _with_dtype("norm", x, dtype)
    if _is_integral(x):
        raise TypeError(f"norm: expects a floating tensor, got dtype {data_of(x).dtype}")
    axes = reduced_axes("norm", shape_of(x), dim, axis)
    if order in (math.inf, -math.inf):
        _check_not_empty("norm", shape_of(x), axes)
    return apply(NORM, x, p=order, axis=axes, keepdims=keep)


@exported("mixed_function")
@method("dist", typing="runtime_shape_method")
def dist(x: Any, other: Any, p: Any = 2) -> Any:
    """``norm(x - other, p)`` over every element, the operands broadcast."""
    return norm(x - other if isinstance(x, Tensor) else data_of(x) - other, _norm_order(
        "dist", p))


# --- covariance --------------------------------------------------------------------------------

def _weights(name: str, weights: Any, observations: int, integral: bool) -> Any:
    shape = shape_of(weights)
    if len(shape) > 1 or (shape and shape[0] != observations) or not shape:
        raise ValueError(f"{name}: weights must be 1-D with one weight per observation "
                         f"({observations}), got shape {shape}")
    data = data_of(weights)
    if integral and data.dtype.kind not in "iu":
        raise TypeError(f"{name}: fweights must be integers, got dtype {data.dtype}")
    if bool(namespace_of(data).any(data < 0)):
        raise ValueError(f"{name}: weights must not be negative")
    return weights


@exported("runtime_shape_function")
@method("cov", typing="runtime_shape_method")
def cov(x: Any, *, correction: Any = 1, fweights: Any = None, aweights: Any = None) -> Any:
    """The covariance matrix of the variables in the rows of ``x`` (observations in its
    columns; a 1-D ``x`` is one variable, giving a 0-d result), normalised by
    ``n - correction``; ``fweights`` (integer repeat counts) and ``aweights`` (observation
    weights) as NumPy's and PyTorch's."""
    shape = shape_of(x)
    if len(shape) > 2:
        raise ValueError(f"cov: expects a 1-D or 2-D tensor, got shape {shape}")
    if not is_number(correction):
        raise TypeError(f"cov: correction must be a number, got {correction!r}")
    if _is_integral(x):
        x = astype(x if isinstance(x, Tensor) else np.asarray(x), "float64")
    rows = reshape(x, (1, shape[0] if shape else 1)) if len(shape) < 2 else x
    observations = shape_of(rows)[1]
    weights: Any = None
    if fweights is not None:
        weights = _weights("cov", fweights, observations, True)
    if aweights is not None:
        checked = _weights("cov", aweights, observations, False)
        weights = checked if weights is None else weights * checked
    if weights is None:
        total: Any = float(observations)
        average = mean(rows, 1, keepdim=True)
    else:
        total = sum(weights)
        average = sum(rows * weights, 1, keepdim=True) / total
    if weights is None:
        factor: Any = total - correction
    elif correction == 0:
        factor = total
    elif aweights is None:
        factor = total - correction
    else:
        factor = total - correction * sum(weights * aweights) / total
    centred = rows - average
    scaled = centred if weights is None else centred * weights
    # The matrix product by its primitive's name: the linear algebra family imports this one.
    product = apply(PRIMITIVES["matmul"], centred, matrix_transpose(scaled))
    if isinstance(factor, float):
        with np.errstate(invalid="ignore", divide="ignore"):
            result = product * (1.0 / factor if factor > 0 else math.inf)
    else:
        factor_data = data_of(factor)
        positive = factor_data > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            result = product / where(positive, factor, 0)
    # PyTorch squeezes the matrix: one variable gives a 0-d result.
    return reshape(result, ()) if shape_of(rows)[0] == 1 else result


@exported("runtime_shape_function")
@method("corrcoef", typing="runtime_shape_method")
def corrcoef(x: Any) -> Any:
    """Pearson's correlation coefficients of the variables in the rows of ``x`` (``cov``
    normalised by the standard deviations, clipped to [-1, 1])."""
    covariance = cov(x)
    if not shape_of(covariance):
        with np.errstate(invalid="ignore", divide="ignore"):
            return covariance / covariance
    size = shape_of(covariance)[0]
    diagonal = np.arange(size)
    deviation = sqrt(getitem(covariance, (diagonal, diagonal)))
    with np.errstate(invalid="ignore", divide="ignore"):
        result = covariance / reshape(deviation, (size, 1)) / reshape(deviation, (1, size))
    return clip(result, -1.0, 1.0)
