"""Statistics over axes, with PyTorch's names, arguments and results.

``var``, ``std``, ``var_mean``, ``std_mean``, ``norm``, ``dist``, ``cov`` and ``corrcoef``.
They take the reductions' arguments (``reduce.py``: PyTorch's ``dim=`` / ``keepdim=`` or
NumPy's ``axis=`` / ``keepdims=``) and are composed of their primitives, with two of their own:
``std_sqrt`` and ``norm_p``, whose gradients are 0 where PyTorch's are (at a zero deviation, a
zero norm).
"""

from __future__ import annotations

import builtins
import math
from typing import Any

import numpy as np

from mushin._backend import Array, namespace_of
from mushin._check import is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Tensor, apply
from mushin.ops.elementwise import astype, clip, sqrt, where
from mushin.ops.linalg import MATMUL
from mushin.ops.reduce import (
    SUM,
    check_not_empty,
    data_of,
    equal_shares,
    expand_reduced,
    is_flag,
    is_half,
    is_integral,
    keep_flag,
    mean,
    mean_over,
    reduced_axes,
    reduced_count,
    reduced_shape,
    with_dtype,
)
from mushin.ops.reduce import sum as reduce_sum
from mushin.ops.shape import matrix_transpose, reshape
from mushin.ops.slicing import getitem

# --- primitives ----------------------------------------------------------------------------

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
    full_g = expand_reduced(F, g, shape, axis, keepdims)
    full_out = expand_reduced(F, out, shape, axis, keepdims)
    if p == 0:
        return (None,)
    if p == 1:
        return (full_g * F.sign(x),)
    if p in (math.inf, -math.inf):
        return (full_g * F.sign(x) * equal_shares(F, F.abs(x), full_out, axis),)
    zero_out = F.unwrap(full_out) == 0
    if p == 2:
        return (F.where(zero_out, 0, full_g * x / F.where(zero_out, 1, full_out)),)
    zero_x = F.unwrap(x) == 0
    scaled = F.where(zero_x, 0, F.sign(x) * F.where(zero_x, 1, F.abs(x)) ** (p - 1))
    scale = F.where(zero_out, 0, full_g / F.where(zero_out, 1, full_out) ** (p - 1))
    return (scaled * scale,)


NORM = Primitive("norm_p", _norm_forward, _norm_vjp, saves="both")
"""``(sum |x|^p)^(1/p)`` over axes, with PyTorch's gradients at zero (0, not NaN)."""


# --- variance ----------------------------------------------------------------------------------

def _correction(name: str, dim: Any, args: tuple[Any, ...], correction: Any, unbiased: Any,
                ddof: Any, keepdim: Any) -> tuple[Any, float, Any]:
    """``(dim, correction, keepdim)`` from PyTorch's spellings: ``var(x, unbiased)``,
    ``var(x, dim, unbiased, keepdim)``, ``correction=``, ``unbiased=``, or NumPy's ``ddof=``."""
    if is_flag(dim):
        if unbiased is not None or args:
            raise TypeError(f"{operation_name(name)}: unbiased was given twice")
        unbiased, dim = dim, None
    if len(args) > 2:
        raise TypeError(f"{operation_name(name)}: takes at most (x, dim, unbiased, keepdim) "
                        f"positionally, got {len(args) + 2} arguments")
    if args:
        if not is_flag(args[0]):
            raise TypeError(f"{operation_name(name)}: the argument after dim is unbiased (a bool), "
                            f"got {args[0]!r}; give keepdim= by name")
        if unbiased is not None:
            raise TypeError(f"{operation_name(name)}: unbiased was given twice")
        unbiased = args[0]
        if len(args) == 2:
            keepdim = args[1]
    given = [value for value in (correction, unbiased, ddof) if value is not None]
    if len(given) > 1:
        raise TypeError(f"{operation_name(name)}: give one of correction=, unbiased= and ddof=, "
                        "not several")
    if unbiased is not None:
        if not is_flag(unbiased):
            raise TypeError(f"{operation_name(name)}: unbiased must be a bool, got {unbiased!r}")
        return dim, 1.0 if unbiased else 0.0, keepdim
    value = correction if correction is not None else ddof
    if value is None:
        return dim, 1.0, keepdim
    if not is_number(value):
        raise TypeError(f"{operation_name(name)}: correction must be a number, got {value!r}")
    return dim, float(value), keepdim


def _variance(name: str, x: Any, axes: tuple[int, ...] | None, correction: float,
              keep: bool) -> tuple[Any, Any]:
    """``(variance, mean)`` of ``x`` over normalised ``axes``: the sum of squared deviations
    over ``max(0, n - correction)``, so NaN or infinity where that is 0, as PyTorch's."""
    if is_integral(x):
        x = astype(x if isinstance(x, Tensor) else np.asarray(x), "float64")
    if is_half(x):
        variance, average = _variance(name, astype(x, "float32"), axes, correction, keep)
        return astype(variance, "float16"), astype(average, "float16")
    shape = shape_of(x)
    count = reduced_count(shape, axes)
    average = mean_over(x, axes, True)
    centred = x - average
    total = apply(SUM, centred * centred, axis=axes, keepdims=keep)
    divisor = builtins.max(0.0, count - correction)
    with np.errstate(invalid="ignore"):
        variance = total * (1.0 / divisor if divisor > 0 else math.inf)
    if not keep:
        average = reshape(average, reduced_shape(shape, axes, False))
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


# --- norms -------------------------------------------------------------------------------------

def _norm_order(name: str, p: Any) -> float:
    if isinstance(p, str):
        if p == "fro":
            return 2.0
        raise ValueError(f"{operation_name(name)}: p must be a number, 'fro' or 'nuc', got {p!r}")
    if not is_number(p):
        raise TypeError(f"{operation_name(name)}: p must be a number, 'fro' or 'nuc', got {p!r}")
    return float(p)


@exported("runtime_shape_function")
@method("norm", typing="runtime_shape_method")
def norm(x: Any, p: Any = "fro", dim: Any = None, keepdim: bool = False, *, dtype: Any = None,
         axis: Any = None, keepdims: bool = False) -> Any:
    """PyTorch's ``torch.norm``: the vector ``p``-norm ``(sum |x|^p)^(1/p)`` over ``dim``
    (every axis by default); ``p`` may be ``inf``, ``-inf``, 0 (the count of nonzeros) or
    ``'fro'`` (2), or ``'nuc'``, the nuclear norm of the matrices over the two axes ``dim``
    (the last two by default: ``mu.linalg.matrix_norm``). The gradient at a zero norm is 0, and
    ties of ``inf``-norms share it."""
    keep = keep_flag("norm", keepdim, keepdims)
    if isinstance(p, str) and p == "nuc":
        from mushin.ops.norms import matrix_norm

        chosen = axis if dim is None else dim
        return matrix_norm(with_dtype("norm", x, dtype), "nuc",
                           dim=(-2, -1) if chosen is None else chosen, keepdim=keep)
    order = _norm_order("norm", p)
    x = with_dtype("norm", x, dtype)
    if is_integral(x):
        raise TypeError(f"norm: expects a floating tensor, got dtype {data_of(x).dtype}")
    axes = reduced_axes("norm", shape_of(x), dim, axis)
    if order in (math.inf, -math.inf):
        check_not_empty("norm", shape_of(x), axes)
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
        raise ValueError(f"{operation_name(name)}: weights must be 1-D with one weight per "
                         f"observation ({observations}), got shape {shape}")
    data = data_of(weights)
    if integral and data.dtype.kind not in "iu":
        raise TypeError(f"{operation_name(name)}: fweights must be integers, got dtype "
                        f"{data.dtype}")
    if bool(namespace_of(data).any(data < 0)):
        raise ValueError(f"{operation_name(name)}: weights must not be negative")
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
        raise ValueError(f"{operation_name('cov')}: expects a 1-D or 2-D tensor, got shape {shape}")
    if not is_number(correction):
        raise TypeError(f"{operation_name('cov')}: correction must be a number, got {correction!r}")
    if is_integral(x):
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
        total = reduce_sum(weights)
        average = reduce_sum(rows * weights, 1, keepdim=True) / total
    if weights is None:
        factor: Any = total - correction
    elif correction == 0:
        factor = total
    elif aweights is None:
        factor = total - correction
    else:
        factor = total - correction * reduce_sum(weights * aweights) / total
    centred = rows - average
    scaled = centred if weights is None else centred * weights
    product = apply(MATMUL, centred, matrix_transpose(scaled))
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
