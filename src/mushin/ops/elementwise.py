"""Elementwise operations: each primitive's forward and VJP side by side.

Binary operations broadcast as NumPy does; their VJPs return gradients of the broadcast
shape and the engine sums them back to each operand's shape. A shape mismatch is caught by
the forward (NumPy checks before computing) and re-raised as ``ShapeError``.

Result dtypes follow PyTorch's promotion (``result_dtype``), not NumPy's: a Python number
never widens a tensor (``int64 tensor * 0.5`` is float32, PyTorch's default dtype), a 0-d
tensor widens an n-d one only across categories (bool < integer < floating), and integer
true division gives float32. The binary forwards compute with the array module and then
``conform`` the result to that dtype. The rest of the binary family (``fmod``, ``atan2``,
``lerp``, bitwise operations...) is in ``binary.py``.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from typing import Any

import numpy as np

from mushin._backend import DEFAULT_DTYPE, Array, namespace_of
from mushin._check import (
    broadcast_shape,
    host_array,
    operation_name,
    public_caller,
    rename,
    shape_of,
)
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, apply, new_constant, unwrap
from mushin.errors import ShapeError
from mushin.kernels import cuda

# --- PyTorch's type promotion ------------------------------------------------------------------

_BOOL = np.dtype(np.bool_)
_INT64 = np.dtype(np.int64)
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _promote(first: np.dtype[Any] | None, second: np.dtype[Any] | None) -> Any:
    """PyTorch's promotion of two dtypes: the higher category's dtype (an integer with a float
    gives the float: int64 with float32 is float32), NumPy's rule within one category."""
    if first is None:
        return second
    if second is None or first is second:
        return first
    first_category, second_category = _CATEGORY.get(first.kind), _CATEGORY.get(second.kind)
    if first_category is None or second_category is None:
        raise TypeError(f"{public_caller()}: unsupported dtype "
                        f"{first if first_category is None else second}: expected bools, "
                        "integers or floats")
    if first_category != second_category:
        return first if first_category > second_category else second
    return np.promote_types(first, second)


def _combine(higher: Any, lower: Any) -> Any:
    """A higher tier's dtype, widened by a lower tier's only across categories (PyTorch)."""
    if higher is None:
        return lower
    if lower is None or higher.kind in "fc":
        return higher
    if higher.kind == "b" or lower.kind in "fc":
        return _promote(higher, lower)
    return higher


def _wrapped_dtype(value: Any) -> np.dtype[Any]:
    """The dtype a Python number takes alone: bool, int64 or float32."""
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, numbers.Integral):
        return _INT64
    return DEFAULT_DTYPE


def result_dtype(*operands: Any, floating: bool = False) -> np.dtype[Any]:
    """The dtype PyTorch gives an elementwise operation of ``operands`` (arrays or numbers;
    None is skipped). Tensors with axes decide; 0-d tensors, then numbers, count only when
    their category (bool < integer < floating) is higher, a number then giving its category's
    default (float32, int64); a NumPy scalar counts as a number of its own dtype (the array
    module makes them out of 0-d arrays, so float64 ones appear in float64 gradients).
    ``floating``: an operation whose integer result is float32 (true division, ``atan2``...).
    """
    dims = zeros = numbers_ = None
    for operand in operands:
        if operand is None:
            continue
        dtype = getattr(operand, "dtype", None)
        if dtype is None:
            numbers_ = _promote(numbers_, _wrapped_dtype(operand))
        elif isinstance(operand, np.generic):
            numbers_ = _promote(numbers_, dtype)
        elif operand.ndim:
            dims = _promote(dims, dtype)
        else:
            zeros = _promote(zeros, dtype)
    result = _combine(dims, _combine(zeros, numbers_))
    if result is None:
        result = DEFAULT_DTYPE
    if floating and result.kind in "biu":
        return DEFAULT_DTYPE
    found: np.dtype[Any] = np.dtype(result)
    return found


def conform(xp: Any, result: Any, operands: tuple[Any, ...], floating: bool = False) -> Any:
    """``result`` (computed by the array module with its own promotion) in PyTorch's dtype."""
    dtype = getattr(result, "dtype", None)
    if dtype is None:  # a Python number: every operand was one
        return xp.asarray(result, dtype=result_dtype(*operands, floating=floating))
    if not floating or dtype.kind == "f":
        # Fast paths: the dtype of an operand with axes is what PyTorch gives too; so is the
        # dtype of every array operand where the others are Python numbers (NumPy did not
        # widen it, and PyTorch's numbers never widen within a category).
        same = False
        for operand in operands:
            operand_dtype = getattr(operand, "dtype", None)
            if operand_dtype is dtype:
                if operand.ndim:
                    return result
                same = True
            elif operand_dtype is not None:
                same = False
                break
        if same:
            return result
    target = result_dtype(*operands, floating=floating)
    return result if dtype == target else result.astype(target)


def as_arrays(xp: Any, operands: tuple[Any, ...]) -> tuple[Any, ...]:
    """The operands with every Python number made a 0-d array of its dtype (for operations on
    numbers only, which Python itself would compute: ``2 ** -1``, ``1 // 0``)."""
    return tuple(xp.asarray(value, dtype=_wrapped_dtype(value))
                 if value is not None and getattr(value, "dtype", None) is None else value
                 for value in operands)


_WEAK = (float, int)
"""Python numbers that never widen an array's dtype within its category (NumPy 2 and PyTorch
agree): an array of dtype ``d`` with one of them gives ``d`` when NumPy says so."""


def binary_forward(name: str, operation: Callable[[Any, Any, Any], Any],
                   floating: bool = False) -> Callable[..., Array]:
    """A forward for a broadcasting binary operator that reports shape errors clearly and
    gives PyTorch's result dtype (``floating``: integers give float32). ``operation(xp, a,
    b)`` computes it with the array module ``xp``."""
    return _binary_forward(name, operation, floating, with_module=True)


def infix_forward(name: str, infix: Callable[[Any, Any], Any],
                  floating: bool = False) -> Callable[..., Array]:
    """``binary_forward`` for a function of the ``operator`` module (``operator.mul``),
    called as ``infix(a, b)``: one Python call fewer on the hot path of ``+ - * / **``
    (about 1 % of an operation's cost in ``benchmarks/overhead.py``)."""
    return _binary_forward(name, infix, floating, with_module=False)


def _binary_forward(name: str, operation: Callable[..., Any], floating: bool,
                    with_module: bool) -> Callable[..., Array]:
    def forward(xp: Any, first: Any, second: Any) -> Array:
        if first is None or second is None:
            # NumPy would answer with an array of Python objects (for an empty operand).
            raise TypeError(f"{operation_name(name)}: operands must be tensors, arrays or numbers, "
                            "not None")
        try:
            result = operation(xp, first, second) if with_module else operation(first, second)
            dtype: Any = getattr(result, "dtype", None)
            if dtype is None:  # two Python numbers
                pair = as_arrays(xp, (first, second))
                result = operation(xp, *pair) if with_module else operation(*pair)
            elif (not floating or dtype.kind == "f") and getattr(first, "dtype", None) is dtype \
                    and (second.__class__ in _WEAK or getattr(second, "dtype", None) is dtype):
                return result  # the common case: one dtype, or a number that did not widen it
        except ValueError as error:
            # Raises ShapeError if the shapes are the problem; otherwise it is something else
            # (an integer to a negative integer power) and stays a plain ValueError.
            broadcast_shape(name, shape_of(first), shape_of(second))
            raise ValueError(f"{operation_name(name)}: {error}") from error
        return conform(xp, result, (first, second), floating)

    return forward


ADD = Primitive("add", infix_forward("add", operator.add),
                lambda F, g, inputs, out, parents: (g, g), saves="none")
SUB = Primitive("sub", infix_forward("sub", operator.sub),
                lambda F, g, inputs, out, parents: (g, -g), saves="none")


def _mul_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    first, second = inputs
    return (g * second if parents[0] is not None else None,
            g * first if parents[1] is not None else None)


MUL = Primitive("mul", infix_forward("mul", operator.mul), _mul_vjp)


def _div_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    numerator, denominator = inputs
    grad_numerator = g / denominator
    grad_denominator = None
    if parents[1] is not None:
        grad_denominator = -grad_numerator * numerator / denominator
    return grad_numerator if parents[0] is not None else None, grad_denominator


# (typeshed's ``truediv`` and ``pow`` take their operands' types from a protocol pyright cannot
# solve here)
DIV = Primitive("div", infix_forward("div", operator.truediv,  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                                     floating=True), _div_vjp)


def _neg_forward(xp: Any, x: Any) -> Array:
    result = -x
    return result if getattr(result, "dtype", None) is not None else conform(xp, result, (x,))


NEG = Primitive("neg", _neg_forward, lambda F, g, inputs, out, parents: (-g,), saves="none")


def _pow_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    """PyTorch's choices: no gradient to the base where the exponent is 0 (``x ** 0`` at
    ``x = 0``); no gradient to the exponent where the base is 0 and the exponent >= 0; NaN for
    a negative base (the logarithm of a negative number)."""
    base, exponent = inputs
    grad_base = grad_exponent = None
    if parents[0] is not None:
        if isinstance(exponent, int | float):
            grad_base = g * 0 if exponent == 0 else g * exponent * base ** (exponent - 1)
        else:
            grad_base = F.where(exponent == 0, 0, g * exponent * base ** (exponent - 1))
    if parents[1] is not None:
        if isinstance(base, int | float):
            log_base = math.log(base) if base > 0 else -math.inf if base == 0 else math.nan
            grad_exponent = g * out * log_base
            if base == 0:
                grad_exponent = F.where(exponent >= 0, 0, grad_exponent)
        else:
            grad_exponent = F.where((base == 0) & (exponent >= 0), 0, g * out * F.log(base))
    return grad_base, grad_exponent


POW = Primitive("pow", infix_forward("pow", operator.pow),  # pyright: ignore[reportUnknownMemberType, reportUnknownArgumentType]
                _pow_vjp, saves="both")
def floating(xp: Any, x: Any) -> Any:
    """The operand of a floating function (``exp``, ``sqrt``...): integer and bool arrays, and
    Python numbers, become float32, PyTorch's default dtype (NumPy would give float64)."""
    dtype = getattr(x, "dtype", None)
    if dtype is not None and dtype.kind == "f":
        return x
    if dtype is not None and dtype.kind == "c":
        raise TypeError(f"complex tensors are not supported, got dtype {dtype}")
    return xp.asarray(x, dtype=DEFAULT_DTYPE)


EXP = Primitive("exp", lambda xp, x: xp.exp(floating(xp, x)),
                lambda F, g, inputs, out, parents: (g * out,), saves="output")
LOG = Primitive("log", lambda xp, x: xp.log(floating(xp, x)),
                lambda F, g, inputs, out, parents: (g / inputs[0],))
SQRT = Primitive("sqrt", lambda xp, x: xp.sqrt(floating(xp, x)),
                 lambda F, g, inputs, out, parents: (g / (2 * out),), saves="output")
SIGN = Primitive("sign", lambda xp, x: xp.sign(x), None)
ABS = Primitive("abs", lambda xp, x: xp.abs(x),
                lambda F, g, inputs, out, parents: (g * F.sign(inputs[0]),))
SIN = Primitive("sin", lambda xp, x: xp.sin(floating(xp, x)),
                lambda F, g, inputs, out, parents: (g * F.cos(inputs[0]),))
COS = Primitive("cos", lambda xp, x: xp.cos(floating(xp, x)),
                lambda F, g, inputs, out, parents: (-g * F.sin(inputs[0]),))


def _atan_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g / (1 + x * x),)


def _atan_vjp_cuda(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    x = inputs[0]
    if not cuda.fusable(g, x):
        return NotImplemented
    return (cuda.pointwise("mushin_atan_grad", "out = g / ((T)1 + x * x);", "g x", g, x),)


ATAN = Primitive("atan", lambda xp, x: xp.arctan(floating(xp, x)), _atan_vjp,
                 cuda_vjp=_atan_vjp_cuda)


def _tanh_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    return (g * (1 - out * out),)


def _tanh_vjp_cuda(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    if not cuda.fusable(g, out):
        return NotImplemented
    return (cuda.pointwise("mushin_tanh_grad", "out = g * ((T)1 - y * y);", "g y", g, out),)


TANH = Primitive("tanh", lambda xp, x: xp.tanh(floating(xp, x)), _tanh_vjp, saves="output",
                 cuda_vjp=_tanh_vjp_cuda)


def _extremum_vjp(larger: bool) -> Callable[..., tuple[Any, ...]]:
    """maximum (``larger``) or minimum: the gradient goes to the chosen operand, ties share it
    equally, and where either is NaN both get it (PyTorch's rule)."""

    def vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
        first, second = inputs
        shared = F.where(first == second, g * 0.5, g)
        first_loses = first < second if larger else first > second
        second_loses = first > second if larger else first < second
        return (F.where(first_loses, 0, shared) if parents[0] is not None else None,
                F.where(second_loses, 0, shared) if parents[1] is not None else None)

    return vjp


MAXIMUM = Primitive("maximum", binary_forward("maximum", lambda xp, a, b: xp.maximum(a, b)),
                    _extremum_vjp(True))
MINIMUM = Primitive("minimum", binary_forward("minimum", lambda xp, a, b: xp.minimum(a, b)),
                    _extremum_vjp(False))


def _where_forward(xp: Any, condition: Any, first: Any, second: Any) -> Array:
    try:
        result = xp.where(condition, first, second)
    except ValueError as error:
        shapes = [shape_of(value) for value in (condition, first, second)]
        raise ShapeError(f"where: condition, x and y of shapes {shapes[0]}, {shapes[1]} and "
                         f"{shapes[2]} cannot be broadcast together") from error
    return conform(xp, result, (first, second))


def _where_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    condition = inputs[0]
    return (None,
            F.where(condition, g, 0) if parents[1] is not None else None,
            F.where(condition, 0, g) if parents[2] is not None else None)


WHERE = Primitive("where", _where_forward, _where_vjp)


def _clamp_forward(xp: Any, x: Any, lo: Any, hi: Any) -> Array:
    result = x
    try:
        if lo is not None:
            result = xp.maximum(result, lo)
        if hi is not None:
            result = xp.minimum(result, hi)
    except ValueError as error:
        shapes = [shape_of(value) for value in (x, lo, hi) if value is not None]
        raise ShapeError(f"clamp: input and bounds of shapes {', '.join(map(str, shapes))} "
                         "cannot be broadcast together") from error
    return conform(xp, result, (x, lo, hi))


def _clamp_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    """PyTorch's rule: ``x`` gets the gradient where ``lo <= x <= hi``; a bound gets it where
    it is the result (``lo`` where ``x < lo < hi``, ``hi`` where ``x > hi`` or ``hi < lo``)."""
    x, lo, hi = inputs
    grad_x = grad_lo = grad_hi = None
    if lo is not None and hi is not None:
        if parents[0] is not None:
            grad_x = F.where((x >= lo) & (x <= hi), g, 0)
        if parents[1] is not None:
            grad_lo = F.where((x < lo) & (lo < hi), g, 0)
        if parents[2] is not None:
            grad_hi = F.where((x > hi) | (hi < lo), g, 0)
    elif lo is not None:
        grad_x = F.where(x >= lo, g, 0) if parents[0] is not None else None
        grad_lo = F.where(x < lo, g, 0) if parents[1] is not None else None
    else:
        grad_x = F.where(x <= hi, g, 0) if parents[0] is not None else None
        grad_hi = F.where(x > hi, g, 0) if parents[2] is not None else None
    return grad_x, grad_lo, grad_hi


CLAMP = Primitive("clamp", _clamp_forward, _clamp_vjp)


def _astype_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, dtype: Any) -> tuple[Any]:
    return (F.astype(g, dtype=parents[0].dtype),)


ASTYPE = Primitive("astype", lambda xp, x, dtype: xp.asarray(x).astype(dtype), _astype_vjp,
                   saves="none")  # (asarray: a Python number, softmax(1, 0, dtype=...))


def _predicate(name: str, operation: Callable[[Any, Any, Any], Any]) -> Callable[..., Array]:
    """A forward for a comparison or logical operation: a bool array, never promoted."""

    def forward(xp: Any, first: Any, second: Any) -> Array:
        if first is None or second is None:
            raise TypeError(f"{operation_name(name)}: operands must be tensors, arrays or numbers, "
                            "not None")
        try:
            result = operation(xp, first, second)
        except ValueError as error:
            broadcast_shape(name, shape_of(first), shape_of(second))
            raise ValueError(f"{operation_name(name)}: {error}") from error
        return result if getattr(result, "dtype", None) is not None else xp.asarray(result)

    return forward


_COMPARISON_RULES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "less": lambda xp, a, b: a < b, "less_equal": lambda xp, a, b: a <= b,
    "greater": lambda xp, a, b: a > b, "greater_equal": lambda xp, a, b: a >= b,
    "equal": lambda xp, a, b: a == b, "not_equal": lambda xp, a, b: a != b,
    "logical_and": lambda xp, a, b: xp.logical_and(a, b),
    "logical_or": lambda xp, a, b: xp.logical_or(a, b),
    "logical_xor": lambda xp, a, b: xp.logical_xor(a, b)}
_COMPARISONS = {name: Primitive(name, _predicate(name, operation), None)
                for name, operation in _COMPARISON_RULES.items()}


def _logical_not_forward(xp: Any, x: Any) -> Array:
    if x is None:
        raise TypeError("logical_not: the operand must be a tensor, an array or a number, "
                        "not None")
    return xp.asarray(xp.logical_not(x))


LOGICAL_NOT = Primitive("logical_not", _logical_not_forward, None)


# --- rounded division (the rest of the family is in binary.py) -------------------------------

def quiet(xp: Any) -> Any:
    """NumPy's floating-point warnings silenced (PyTorch gives NaN and infinities quietly)."""
    return np.errstate(all="ignore") if xp is np else _NoErrstate()


class _NoErrstate:
    """A context that does nothing (array modules without ``errstate``)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def refuse_integer_zero(name: str, xp: Any, first: Any, second: Any) -> None:
    """PyTorch's ``ZeroDivisionError`` for an integer division (or remainder) by zero, where
    NumPy would give 0 with a warning."""
    if result_dtype(first, second).kind in "biu" and bool(xp.any(xp.asarray(second) == 0)):
        raise ZeroDivisionError(f"{operation_name(name)}: integer division by zero")


def _floor_divide(xp: Any, a: Any, b: Any) -> Array:
    refuse_integer_zero("floor_divide", xp, a, b)
    with quiet(xp):
        return xp.floor_divide(a, b)


def _trunc_divide(xp: Any, a: Any, b: Any) -> Array:
    refuse_integer_zero("div", xp, a, b)
    if result_dtype(a, b).kind in "biu":
        quotient = xp.floor_divide(a, b)
        # Floor and truncation differ where the exact quotient is negative and inexact.
        return quotient + ((quotient < 0) & (quotient * b != a))
    with quiet(xp):
        return xp.trunc(xp.true_divide(a, b))


def _no_gradient(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[None, None]:
    """Rounded division is piecewise constant: no gradient to either operand (PyTorch's)."""
    return None, None


FLOOR_DIVIDE = Primitive("floor_divide", binary_forward("floor_divide", _floor_divide),
                         _no_gradient, saves="none")
TRUNC_DIVIDE = Primitive("trunc_divide", binary_forward("div", _trunc_divide), _no_gradient,
                         saves="none")


def rounded_division(name: str, input: Any, other: Any, rounding_mode: Any) -> Any:
    """``div`` with ``rounding_mode="trunc"`` or ``"floor"``."""
    if rounding_mode == "floor":
        return apply(FLOOR_DIVIDE, input, other)
    if rounding_mode == "trunc":
        return apply(TRUNC_DIVIDE, input, other)
    raise ValueError(f"{operation_name(name)}: rounding_mode must be None, 'trunc' or 'floor', got "
                     f"{rounding_mode!r}")


# --- public functions ------------------------------------------------------------------------

def _scaled(name: str, input: Any, other: Any, factor: Any) -> Any:
    """``alpha * other`` for ``add``/``sub``/``rsub`` (an integer ``alpha`` for integers)."""
    alpha: Any = factor
    if not isinstance(alpha, numbers.Number) or isinstance(alpha, complex):
        raise TypeError(f"{operation_name(name)}: alpha must be a number, got {alpha!r}")
    if not isinstance(alpha, numbers.Integral) and result_dtype(
            unwrap(input), unwrap(other)).kind in "biu":
        raise TypeError(f"{operation_name(name)}: alpha must be an integer for integer or bool "
                        f"tensors, got {alpha!r}")
    if factor == 1:  # (not ``alpha``: the checkers read a numbers.Number as never equal to 1)
        return other
    if isinstance(other, int | float) and not isinstance(other, bool):
        return _times(other, alpha)
    return mul(other, alpha)


def _times(first: Any, second: Any) -> Any:
    """``first * second`` for two Python numbers."""
    return first * second


@exported("binary_function")
@method("add", "__add__", typing="binary_method")
def add(input: Any, other: Any, *, alpha: Any = 1) -> Any:
    """``input + alpha * other``, broadcasting; the gradients are ``g`` and ``alpha * g``."""
    if alpha.__class__ is not int or alpha != 1:  # any alpha but the default: checked
        other = _scaled("add", input, other, alpha)
    return apply(ADD, input, other)


@exported("binary_function")
@exported("binary_function", name="subtract")
@method("sub", "subtract", "__sub__", typing="binary_method")
def sub(input: Any, other: Any, *, alpha: Any = 1) -> Any:
    """``input - alpha * other``, broadcasting (not for two bool tensors: use ``logical_xor``)."""
    if alpha.__class__ is not int or alpha != 1:  # any alpha but the default: checked
        other = _scaled("sub", input, other, alpha)
    return apply(SUB, input, other)


@exported("binary_function")
@method("rsub", typing="binary_method")
def rsub(input: Any, other: Any, *, alpha: Any = 1) -> Any:
    """``other - alpha * input`` (``sub`` with the operands swapped)."""
    if alpha.__class__ is not int or alpha != 1:  # any alpha but the default: checked
        input = _scaled("rsub", other, input, alpha)
    return apply(SUB, other, input)


@exported("binary_function")
@exported("binary_function", name="multiply")
@method("mul", "multiply", "__mul__", typing="binary_method")
def mul(input: Any, other: Any) -> Any:
    """``input * other`` elementwise, broadcasting."""
    return apply(MUL, input, other)


@exported("binary_function")
@exported("binary_function", name="divide")
@method("div", "divide", "__truediv__", typing="binary_method")
def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Any:
    """``input / other`` elementwise, broadcasting: true division (integers give float32), or
    rounded with ``rounding_mode="trunc"`` (towards zero) or ``"floor"`` (downwards), which
    keep an integer dtype and whose gradient is zero."""
    if rounding_mode is None:
        return apply(DIV, input, other)
    return rounded_division("div", input, other, rounding_mode)


@exported("binary_function")
@method("true_divide", typing="binary_method")
def true_divide(input: Any, other: Any) -> Any:
    """``input / other``: ``div`` without rounding (integers give float32)."""
    return apply(DIV, input, other)


@exported("unary_function")
@exported("unary_function", name="negative")
@method("neg", "negative", "__neg__", typing="same_type_method")
def neg(x: Any) -> Any:
    """``-x``."""
    return apply(NEG, x)


@exported("binary_function")
@method("pow", "__pow__", typing="binary_method")
def pow(input: Any, exponent: Any) -> Any:
    """``input ** exponent`` elementwise; differentiable in both. As in PyTorch, the base gets
    no gradient where the exponent is 0, nor the exponent where the base is 0 and the exponent
    is not negative; a negative base gives the exponent a NaN gradient."""
    return apply(POW, input, exponent)


@exported("unary_function")
@method("exp", typing="same_type_method")
def exp(x: Any) -> Any:
    """``e ** x``."""
    return apply(EXP, x)


@exported("unary_function")
@method("log", typing="same_type_method")
def log(x: Any) -> Any:
    """The natural logarithm."""
    return apply(LOG, x)


@exported("unary_function")
@method("sqrt", typing="same_type_method")
def sqrt(x: Any) -> Any:
    """The square root."""
    return apply(SQRT, x)


@exported("unary_function")
@method("abs", typing="same_type_method")
@method("__abs__", typing=None)
def abs(x: Any) -> Any:
    """``|x|`` (gradient 0 at 0)."""
    return apply(ABS, x)


@exported("unary_function")
@method("sin", typing="same_type_method")
def sin(x: Any) -> Any:
    """The sine."""
    return apply(SIN, x)


@exported("unary_function")
@method("cos", typing="same_type_method")
def cos(x: Any) -> Any:
    """The cosine."""
    return apply(COS, x)


@exported("unary_function")
@method("atan", typing="same_type_method")
def atan(x: Any) -> Any:
    """The arctangent, in radians in (-pi/2, pi/2)."""
    return apply(ATAN, x)


@exported("unary_function")
@method("tanh", typing="same_type_method")
def tanh(x: Any) -> Any:
    """The hyperbolic tangent."""
    return apply(TANH, x)


@exported("binary_function")
@method("maximum", typing="binary_method")
def maximum(input: Any, other: Any) -> Any:
    """The elementwise maximum (NaN if either is NaN); at ties the gradient is shared
    equally, and where either is NaN both operands get it (PyTorch's rule)."""
    return apply(MAXIMUM, input, other)


@exported("binary_function")
@method("minimum", typing="binary_method")
def minimum(input: Any, other: Any) -> Any:
    """The elementwise minimum (NaN if either is NaN); at ties the gradient is shared
    equally, and where either is NaN both operands get it (PyTorch's rule)."""
    return apply(MINIMUM, input, other)


_ABSENT: Any = object()


@exported("where_function")
def where(condition: Any, input: Any = _ABSENT, other: Any = _ABSENT) -> Any:
    """``input`` where ``condition`` holds, else ``other`` (the condition is never
    differentiated); the result dtype is PyTorch's promotion of the two (numbers do not widen
    a tensor). ``where(condition)`` alone is ``nonzero(condition, as_tuple=True)``: a tuple
    of int64 index ``Constant``s, one per axis."""
    condition = unwrap(condition)
    if input is _ABSENT and other is _ABSENT:
        if condition is None or isinstance(condition, int | float | bool):
            raise TypeError("where: the condition alone must be a tensor or an array, got "
                            f"{type(condition).__name__}")
        xp: Any = namespace_of(condition) if hasattr(condition, "dtype") else np
        array = xp.asarray(condition) if hasattr(condition, "dtype") else host_array(
            "where", condition, "condition")
        return tuple(new_constant(index.astype(_INT64))
                     for index in xp.nonzero(xp.atleast_1d(array) if array.ndim == 0
                                             else array))
    if input is _ABSENT or other is _ABSENT:
        raise TypeError("where: give the condition alone, or the condition, input and other")
    if condition is None or input is None or other is None:
        # NumPy would make an array of Python objects out of a None.
        raise TypeError("where: the condition, x and y must be tensors, arrays or numbers, "
                        "not None")
    return apply(WHERE, condition, input, other)


@method("where", typing="ternary_method")
def _where_method(input: Any, condition: Any, other: Any) -> Any:
    """``x.where(condition, other)``: ``where(condition, x, other)``, PyTorch's method."""
    return where(condition, input, other)


@exported("clip_function")
@exported("clip_function", name="clip")
@method("clamp", typing="ternary_method")
@method("clip", typing=None)
def clamp(input: Any, min: Any = None, max: Any = None, *, lo: Any = None,
          hi: Any = None) -> Any:
    """``input`` limited to ``[min, max]`` (either may be None, not both; numbers or tensors,
    broadcasting), ``minimum(maximum(input, min), max)``: where ``min > max`` the result is
    ``max``. PyTorch's gradients: ``input`` gets it where ``min <= input <= max``, ``min``
    where ``input < min < max``, ``max`` where ``input > max`` or ``max < min``. ``lo=`` and
    ``hi=`` are older spellings of ``min=`` and ``max=``."""
    if lo is not None:
        if min is not None:
            raise TypeError("clamp: give min= or lo=, not both")
        min = lo
    if hi is not None:
        if max is not None:
            raise TypeError("clamp: give max= or hi=, not both")
        max = hi
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return apply(CLAMP, input, min, max)


clip = clamp


@exported("binary_function")
@method("clamp_min", typing="binary_method")
def clamp_min(input: Any, min: Any) -> Any:
    """``clamp(input, min=min)``: the elementwise maximum, ties to ``input``."""
    if min is None:
        raise TypeError(f"{operation_name('clamp_min')}: min must be a number or a tensor, "
                        "not None")
    return apply(CLAMP, input, min, None)


@exported("binary_function")
@method("clamp_max", typing="binary_method")
def clamp_max(input: Any, max: Any) -> Any:
    """``clamp(input, max=max)``: the elementwise minimum, ties to ``input``."""
    if max is None:
        raise TypeError(f"{operation_name('clamp_max')}: max must be a number or a tensor, "
                        "not None")
    return apply(CLAMP, input, None, max)


@exported("same_type_function")
@method("astype", typing="same_type_method")
def astype(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype`` (a ``Variable`` needs a floating dtype)."""
    from mushin._backend import float_dtype, parse_dtype

    target = float_dtype(dtype) if not isinstance(x, Constant) else parse_dtype(dtype)
    return apply(ASTYPE, x, dtype=target)


def compare(name: str, a: Any, b: Any) -> Constant[*tuple[Any, ...]]:
    """An elementwise comparison (``less``, ``equal``...) or logical operation (``logical_and``,
    ``logical_or``, ``logical_xor``: nonzero is true) as a bool ``Constant`` mask: never
    differentiated."""
    result: Constant[*tuple[Any, ...]] = apply(_COMPARISONS[name], unwrap(a), unwrap(b))
    return result


def logical_not(x: Any) -> Constant[*tuple[Any, ...]]:
    """``x == 0`` as a bool ``Constant`` mask (nonzero is true)."""
    result: Constant[*tuple[Any, ...]] = apply(LOGICAL_NOT, unwrap(x))
    return result


def _reflected(prim: Primitive) -> Callable[[Any, Any], Any]:
    """``other op x`` for a number or host array ``other`` on the left of a tensor ``x``."""

    def reflected(x: Any, other: Any) -> Any:
        return apply(prim, other, x)

    return rename(reflected, prim.name)


for _name, _prim in (("add", ADD), ("sub", SUB), ("mul", MUL), ("truediv", DIV), ("div", DIV),
                     ("pow", POW)):
    method(f"__r{_name}__", typing="reflected_method")(_reflected(_prim))


def _comparison(name: str) -> Callable[[Any, Any], Any]:
    """The operator ``x op other`` of the comparison ``name``."""

    def compared(x: Any, other: Any) -> Any:
        return compare(name, x, other)

    return rename(compared, name)


for _operator, _name in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                         ("ge", "greater_equal")):
    method(f"__{_operator}__", typing="comparison_method")(_comparison(_name))
method("__eq__", typing=None)(_comparison("equal"))
method("__ne__", typing=None)(_comparison("not_equal"))
