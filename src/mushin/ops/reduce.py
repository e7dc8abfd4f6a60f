"""Reductions over axes: ``sum``, ``mean``, ``max``, ``min``, ``var``, ``logsumexp``.

Each takes ``axis=None | int | tuple`` (negatives allowed) and ``keepdims=False``. The
primitives receive the axes already normalised to a sorted tuple of positive ints (or None).
"""

from __future__ import annotations

import builtins
import math
from typing import Any

from mushin._backend import Array, accumulator
from mushin._check import normalize_axis, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Tensor, apply
from mushin.ops.elementwise import astype


def _kept_shape(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> tuple[int, ...]:
    """``shape`` with the reduced axes set to 1 (the keepdims shape)."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if index in axis else size for index, size in enumerate(shape))


def _expand(F: Any, g: Any, shape: tuple[int, ...], axis: Any, keepdims: bool) -> Any:
    """A reduced gradient reshaped so it broadcasts against the input of ``shape``."""
    return g if keepdims else F.reshape(g, shape=_kept_shape(shape, axis))


def _sum_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: Any,
             keepdims: bool) -> tuple[Any]:
    shape = parents[0].shape
    return (F.broadcast_to(_expand(F, g, shape, axis, keepdims), shape=shape),)


SUM = Primitive("sum", lambda xp, x, axis, keepdims: xp.sum(x, axis=axis, keepdims=keepdims),
                _sum_vjp, saves="none")


def _extremum_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: Any,
                  keepdims: bool) -> tuple[Any]:
    """max/min: the gradient is shared equally among the elements that reach the extremum."""
    x = inputs[0]
    shape = parents[0].shape
    chosen = F.astype(x == _expand(F, out, shape, axis, keepdims), dtype=g.dtype)
    share = chosen / F.sum(chosen, axis=axis, keepdims=True)
    return (_expand(F, g, shape, axis, keepdims) * share,)


AMAX = Primitive("amax", lambda xp, x, axis, keepdims: xp.max(x, axis=axis, keepdims=keepdims),
                 _extremum_vjp, saves="both")
AMIN = Primitive("amin", lambda xp, x, axis, keepdims: xp.min(x, axis=axis, keepdims=keepdims),
                 _extremum_vjp, saves="both")


def _logsumexp_forward(xp: Any, x: Array, axis: Any, keepdims: bool) -> Array:
    peak = xp.max(x, axis=axis, keepdims=True)
    peak = xp.where(xp.isfinite(peak), peak, 0)
    wide = accumulator(x)
    total = xp.log(xp.sum(xp.exp(x - peak), axis=axis, keepdims=True, dtype=wide)) + peak
    if wide is not None:
        total = total.astype(x.dtype)
    return total if keepdims else xp.reshape(total, tuple(
        size for index, size in enumerate(total.shape)
        if axis is not None and index not in axis))


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


def _reduce(prim: Primitive, x: Any, axis: Any, keepdims: bool) -> Any:
    shape = shape_of(x)
    axes = normalize_axis(prim.name, axis, len(shape))
    if prim is not SUM and builtins.any(
            shape[index] == 0 for index in (axes if axes is not None else range(len(shape)))):
        raise ValueError(f"{prim.name}: cannot reduce an empty axis of a tensor of shape {shape}")
    return apply(prim, x, axis=axes, keepdims=bool(keepdims))


@exported("reduction_function")
@method("sum", typing="reduction_method")
def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The sum over ``axis`` (all axes by default)."""
    return _reduce(SUM, x, axis, keepdims)


def _count(shape: tuple[int, ...], axis: tuple[int, ...] | None) -> int:
    if axis is None:
        return math.prod(shape)
    return math.prod(shape[index] for index in axis)


@exported("reduction_function")
@method("mean", typing="reduction_method")
def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The mean over ``axis`` (all axes by default)."""
    shape = shape_of(x)
    count = _count(shape, normalize_axis("mean", axis, len(shape)))
    if count == 0:
        raise ValueError(f"mean: cannot average over an empty axis of a tensor of shape {shape}")
    if _is_integral(x):  # NumPy's rule: integers and bools are averaged in float64
        return mean(astype(x, "float64"), axis, keepdims)
    if accumulator(x.data() if isinstance(x, Tensor) else x):
        return _in_float32(mean, x, axis, keepdims)
    return _reduce(SUM, x, axis, keepdims) * (1.0 / count)


def _is_integral(x: Any) -> bool:
    """Whether ``x`` holds integers or bools (whose sum could wrap around)."""
    dtype = getattr(x, "dtype", None)
    return dtype is not None and getattr(dtype, "kind", "f") in "biu"


def _in_float32(reduction: Any, x: Any, axis: Any, keepdims: bool, **options: Any) -> Any:
    """``reduction`` of float16 ``x`` computed in float32 and rounded back to float16."""
    return astype(reduction(astype(x, "float32"), axis, keepdims, **options), "float16")


@exported("reduction_function")
@method("max", typing="reduction_method")
def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The maximum over ``axis``; tied elements share the gradient equally."""
    return _reduce(AMAX, x, axis, keepdims)


@exported("reduction_function")
@method("min", typing="reduction_method")
def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """The minimum over ``axis``; tied elements share the gradient equally."""
    return _reduce(AMIN, x, axis, keepdims)


@exported("variance_function")
@method("var", typing="variance_method")
def var(x: Any, axis: Any = None, keepdims: bool = False, ddof: int = 0) -> Any:
    """The variance over ``axis`` with ``ddof`` delta degrees of freedom (NumPy's)."""
    shape = shape_of(x)
    count = _count(shape, normalize_axis("var", axis, len(shape)))
    if count - ddof <= 0:
        raise ValueError(f"var: {count} element(s) with ddof={ddof} leave no degree of freedom")
    if _is_integral(x):
        return var(astype(x, "float64"), axis, keepdims, ddof=ddof)
    if accumulator(x.data() if isinstance(x, Tensor) else x):
        return _in_float32(var, x, axis, keepdims, ddof=ddof)
    centred = x - mean(x, axis, keepdims=True)
    return _reduce(SUM, centred * centred, axis, keepdims) * (1.0 / (count - ddof))


@exported("reduction_function")
@method("logsumexp", typing="reduction_method")
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    """``log(sum(exp(x)))`` over ``axis``, computed without overflow."""
    return _reduce(LOGSUMEXP, x, axis, keepdims)
