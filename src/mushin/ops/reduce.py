"""Reductions over axes, with PyTorch's names, arguments and results.

``sum``, ``mean``, ``prod``, ``nansum``, ``nanmean``, ``max``, ``min``, ``amax``, ``amin``,
``aminmax``, ``argmax``, ``argmin``, ``all``, ``any``, ``count_nonzero`` and ``logsumexp``, and
the argument helpers and VJP helpers that every reduction shares. The statistics (``var``,
``std``, ``var_mean``, ``std_mean``, ``norm``, ``dist``, ``cov``, ``corrcoef``) are in
``statistics.py``; the ``select_along`` / ``deposit_along`` primitives that picking operations
share (``max(x, dim)`` among them) in ``_picking.py``.

Every reduction takes PyTorch's ``dim=`` / ``keepdim=`` or NumPy's ``axis=`` / ``keepdims=``
(not both); a positional axis means ``dim``; ``None`` and ``()`` mean every axis. The
primitives receive the axes already normalised to a sorted tuple of positive ints (or None).
"""

from __future__ import annotations

import builtins
import math
from typing import Any, NamedTuple

import numpy as np

from mushin._backend import DEFAULT_DTYPE, Array, accumulator, namespace_of
from mushin._check import (
    as_sequence,
    axis_argument,
    is_int,
    normalize_axis,
    operation_name,
    shape_of,
    single_axis,
)
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, apply, new_constant, storage, unwrap
from mushin.ops._picking import as_rows, values_indices
from mushin.ops.elementwise import astype, maximum, minimum, where

# --- shared helpers ----------------------------------------------------------------------------


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1 (the keepdims shape)."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if index in axis else size for index, size in enumerate(shape))


def reduced_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None,
                   keep: bool) -> tuple[int, ...]:
    """The shape of a reduction of ``shape`` over ``axis``."""
    if keep:
        return _kept_shape(shape, axis)
    if axis is None:
        return ()
    return tuple(size for index, size in enumerate(shape) if index not in axis)


def expand_reduced(F: Any, g: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """A reduced gradient reshaped so it broadcasts against the input of ``shape``."""
    return g if keepdims else F.reshape(g, shape=_kept_shape(shape, axis))


def data_of(x: Any) -> Array:
    """The backend array of a tensor, an array or a number (a number becomes a NumPy array)."""
    value = unwrap(x)
    if not hasattr(value, "shape"):
        shape_of(value)  # TypeError, naming the public operation, for a non-number
        # A Python float alone is float32, PyTorch's default dtype (docs/api.md, Conventions).
        value = np.asarray(value, dtype=DEFAULT_DTYPE if isinstance(value, float) else None)
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
                raise TypeError(f"{operation_name(name)}: an axis must be an int, got {item!r}")
            if item not in (0, -1):
                raise ValueError(f"{operation_name(name)}: axis {item} is out of range for a "
                                 "tensor with 0 axes")
        if len(items) > 1:  # 0 and -1 are the same axis
            raise ValueError(f"{operation_name(name)}: repeated axis in {chosen!r}")
        return None
    return normalize_axis(name, chosen, len(shape))


def is_flag(value: Any) -> bool:
    """Whether ``value`` is a bool (Python's or NumPy's)."""
    return isinstance(value, bool | np.bool_)


def keep_flag(name: str, keepdim: Any, keepdims: Any) -> bool:
    """PyTorch's ``keepdim`` or NumPy's ``keepdims`` as one bool (either may ask for it)."""
    for value in (keepdim, keepdims):
        if value is not None and not is_flag(value) and not isinstance(value, int):
            raise TypeError(f"{operation_name(name)}: keepdim must be a bool, got {value!r}")
    return bool(keepdim) or bool(keepdims)


def with_dtype(name: str, x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype`` first, as PyTorch's ``dtype=`` of a reduction does."""
    if dtype is None:
        return x
    if isinstance(x, int | float | bool):
        x = np.asarray(x)
    try:
        return astype(x, dtype)
    except ValueError as error:
        raise ValueError(f"{operation_name(name)}: {error}") from None


def is_integral(x: Any) -> bool:
    """Whether ``x`` holds integers or bools."""
    if isinstance(x, int | bool):
        return True
    dtype = getattr(x, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", "f") in "biu"


def is_half(x: Any) -> bool:
    """Whether ``x`` is float16 (summed in float32, as NumPy's ``mean`` does)."""
    return bool(accumulator(storage(x) if isinstance(x, Tensor) else x))


def reduced_count(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[index] for index in axis)


def check_not_empty(name: str, shape: tuple[int, ...], axis: tuple[int, ...] | None) -> None:
    if builtins.any(shape[index] == 0 for index in (axis if axis is not None
                                                    else range(len(shape)))):
        raise ValueError(f"{operation_name(name)}: cannot reduce an empty axis of a tensor of "
                         f"shape {shape} "
                         "(the reduction has no identity)")


# --- primitives ----------------------------------------------------------------------------

def _sum_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: Any,
             keepdims: bool) -> tuple[Any]:
    shape = parents[0].shape
    return (F.broadcast_to(expand_reduced(F, g, shape, axis, keepdims), shape=shape),)


SUM = Primitive("sum", lambda xp, x, axis, keepdims: xp.sum(x, axis=axis, keepdims=keepdims),
                _sum_vjp, saves="none")


def equal_shares(F: Any, x: Any, value: Any, axis: Any) -> Any:
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
    share = equal_shares(F, inputs[0], expand_reduced(F, out, shape, axis, keepdims), axis)
    return (expand_reduced(F, g, shape, axis, keepdims) * share,)


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
    full_g = expand_reduced(F, g, shape, axis, keepdims)
    data = F.unwrap(x)
    if not bool(namespace_of(data).any(data == 0)):
        return (full_g * expand_reduced(F, out, shape, axis, keepdims) / x,)
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
    x = xp.asarray(x)  # a Python number: logsumexp(1.5)
    shape = tuple(x.shape)
    if builtins.any(shape[index] == 0 for index in (axis if axis is not None
                                                    else range(len(shape)))):
        return xp.full(reduced_shape(shape, axis, keepdims), -xp.inf,
                       dtype=x.dtype if x.dtype.kind == "f" else xp.float64)
    peak = xp.max(x, axis=axis, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)
    wide = accumulator(x)
    total = xp.log(xp.sum(xp.exp(x - peak), axis=axis, keepdims=True, dtype=wide)) + peak
    if wide is not None:
        total = total.astype(x.dtype)
    return total if keepdims else xp.reshape(total, reduced_shape(shape, axis, False))


def _logsumexp_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: Any,
                   keepdims: bool) -> tuple[Any]:
    x = inputs[0]
    shape = parents[0].shape
    # softmax(x), normalised again rather than exp(x - out): out is rounded to its dtype, and
    # at |out| ~ 1e4 in float32 that rounding alone would put a 1e-4 error in every gradient.
    unnormalised = F.exp(x - expand_reduced(F, out, shape, axis, keepdims))
    return (expand_reduced(F, g, shape, axis, keepdims)
            * (unnormalised / F.sum(unnormalised, axis=axis, keepdims=True)),)


LOGSUMEXP = Primitive("logsumexp", _logsumexp_forward, _logsumexp_vjp, saves="both")


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
        check_not_empty(name or prim.name, shape_of(x), axes)
    return apply(prim, x, axis=axes, keepdims=keep)


@exported("reduction_function")
@method("sum", typing="reduction_method")
def sum(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
        keepdims: bool = False, dtype: Any = None) -> Any:
    """The sum over ``dim`` (every axis by default, or for ``()``); 0 over an empty axis.
    ``dtype`` converts ``x`` first. Integers and bools sum to int64."""
    x = with_dtype("sum", x, dtype)
    axes = reduced_axes("sum", shape_of(x), dim, axis)
    return apply(SUM, x, axis=axes, keepdims=keep_flag("sum", keepdim, keepdims))


def mean_over(x: Any, axes: tuple[int, ...] | None, keep: bool) -> Any:
    """The mean of floating ``x`` over normalised ``axes`` (NaN over an empty axis)."""
    if is_half(x):
        return astype(mean_over(astype(x, "float32"), axes, keep), "float16")
    count = reduced_count(shape_of(x), axes)
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
    x = with_dtype("mean", x, dtype)
    axes = reduced_axes("mean", shape_of(x), dim, axis)
    keep = keep_flag("mean", keepdim, keepdims)
    if is_integral(x):
        x = astype(x if isinstance(x, Tensor) else np.asarray(x), "float64")
    return mean_over(x, axes, keep)


@exported("reduction_function")
@method("prod", typing="reduction_method")
def prod(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False, dtype: Any = None) -> Any:
    """The product over ``dim`` (every axis by default); 1 over an empty axis. The gradient is
    the product of the other elements, exact where some are zero."""
    x = with_dtype("prod", x, dtype)
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
    x = with_dtype("nansum", x, dtype)
    axes = reduced_axes("nansum", shape_of(x), dim, axis)
    cleaned = where(_nan_mask(x), 0, x) if data_of(x).dtype.kind in "fc" else x
    return apply(SUM, cleaned, axis=axes, keepdims=keep_flag("nansum", keepdim, keepdims))


@exported("reduction_function")
@method("nanmean", typing="reduction_method")
def nanmean(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
            keepdims: bool = False, dtype: Any = None) -> Any:
    """The mean over ``dim`` of the elements that are not NaN (NaN where all are)."""
    x = with_dtype("nanmean", x, dtype)
    if is_integral(x):
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


# --- extrema -----------------------------------------------------------------------------------

def _is_operand(value: Any) -> bool:
    """Whether ``max``'s second argument is another tensor (the elementwise form)."""
    return isinstance(value, Tensor) or (hasattr(value, "shape") and hasattr(value, "dtype"))


def _extremum(name: str, prim: Primitive, pick: str, x: Any, dim: Any, keepdim: Any,
              axis: Any, keepdims: Any) -> Any:
    if _is_operand(dim):
        if axis is not None or keepdim or keepdims:
            raise TypeError(f"{operation_name(name)}: the elementwise {name}(x, other) takes no "
                            "axis")
        return (maximum if prim is AMAX else minimum)(x, dim)
    keep = keep_flag(name, keepdim, keepdims)
    if dim is not None:
        if axis is not None:
            raise TypeError(f"{operation_name(name)}: give dim= or axis=, not both")
        if not is_int(dim):
            raise TypeError(f"{operation_name(name)}: dim must be an int (for several axes use "
                            f"a{name}(x, dim) or axis=), got {dim!r}")
        rows, position, scalar = as_rows(name, x, dim)
        shape = shape_of(rows)
        if shape[position] == 0:
            raise ValueError(f"{operation_name(name)}: cannot reduce the empty axis {dim} of a "
                             "tensor of "
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
    x = with_dtype("amax", x, dtype)
    axes = reduced_axes("amax", shape_of(x), dim, axis)
    return _reduce(AMAX, x, axes, keep_flag("amax", keepdim, keepdims))


@exported("reduction_function")
@method("amin", typing="reduction_method")
def amin(x: Any, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
         keepdims: bool = False, dtype: Any = None) -> Any:
    """The minimum over ``dim`` (an int or a tuple; every axis by default); tied elements
    share the gradient equally. An empty axis raises ``ValueError``."""
    x = with_dtype("amin", x, dtype)
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
            raise ValueError(f"{operation_name(name)}: cannot take the {name} of an empty tensor")
        result: Constant = apply(prim, data, axis=None, keepdims=keep)
        return result
    if isinstance(chosen, tuple):
        raise TypeError(f"{operation_name(name)}: dim must be one int, got {chosen!r}")
    if not shape:
        single_axis(name, chosen, 0)
        result = apply(prim, data, axis=None, keepdims=False)
        return result
    position = single_axis(name, chosen, len(shape))
    if shape[position] == 0:
        raise ValueError(f"{operation_name(name)}: cannot reduce the empty axis {chosen} of a "
                         "tensor of shape "
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
    x = with_dtype("logsumexp", x, dtype)
    if is_integral(x):
        x = astype(x if isinstance(x, Tensor) else np.asarray(x), "float32")  # PyTorch's
    axes = reduced_axes("logsumexp", shape_of(x), dim, axis)
    return apply(LOGSUMEXP, x, axis=axes, keepdims=keep_flag("logsumexp", keepdim, keepdims))

