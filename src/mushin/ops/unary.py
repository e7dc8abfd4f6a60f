"""Elementwise unary operations with PyTorch's names: inverse trigonometric and hyperbolic
functions, rounding, signs, exponentials and logarithms in other bases, predicates
(``isnan``...), ``nan_to_num`` and the identities of real tensors (``conj``, ``real``...).

Each primitive's forward computes with the array module ``xp`` (NumPy or CuPy) and its VJP
with ``F`` only, so gradients are recorded too (``backward(create_graph=True)``). Dtypes follow
PyTorch: an integer or bool tensor given to a floating function (``acos``, ``exp2``,
``log1p``...) gives a float32 result (PyTorch's default dtype); the rounding operations and
``sign`` keep an integer dtype; the predicates and ``signbit`` give bool ``Constant``s. At the
points where an operation is not differentiable the gradient is PyTorch's: 0 for the rounding
operations, ``sign`` and ``angle``. Complex tensors are refused.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from mushin._backend import DEFAULT_DTYPE, Array
from mushin._check import integer, is_number, operation_name
from mushin._graph import VJP, Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, Variable, apply, unwrap
from mushin.ops import elementwise

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_DEGREE = math.pi / 180.0


# --- operands ----------------------------------------------------------------------------------

def _real_array(name: str, xp: Any, x: Any) -> Array:
    """``x`` as an array of a real dtype, or ``TypeError``. A Python number becomes the
    tensor PyTorch would make of it: bool, int64 or float32 (the default dtype)."""
    if not hasattr(x, "dtype"):
        if isinstance(x, complex) or not isinstance(x, int | float):
            raise TypeError(f"{operation_name(name)}: expected a tensor, an array or a real "
                            f"number, got {type(x).__name__}")
        x = xp.asarray(x, dtype=DEFAULT_DTYPE) if isinstance(x, float) else xp.asarray(x)
    kind = x.dtype.kind
    if kind not in "biuf":
        what = "complex tensors are not supported" if kind == "c" else "expected a numeric tensor"
        raise TypeError(f"{operation_name(name)}: {what}, got dtype {x.dtype}")
    return x


def _floating(name: str, xp: Any, x: Any) -> Array:
    """A real operand of a floating function: integer and bool data become float32."""
    x = _real_array(name, xp, x)
    return x if x.dtype.kind == "f" else x.astype(DEFAULT_DTYPE)


def _rounding(name: str, xp: Any, x: Any) -> Array:
    """A real operand of a rounding function: bool data is refused, as PyTorch does."""
    x = _real_array(name, xp, x)
    if x.dtype.kind == "b":
        raise TypeError(f"{operation_name(name)}: expected a numeric tensor, got dtype bool")
    return x


def _check_real(name: str, x: Any) -> None:
    """Refuse complex data (and anything that is not numeric) before an identity returns ``x``."""
    data = unwrap(x)
    if hasattr(data, "dtype"):
        kind = data.dtype.kind
        if kind not in "biuf":
            what = ("complex tensors are not supported" if kind == "c"
                    else "expected a numeric tensor")
            raise TypeError(f"{operation_name(name)}: {what}, got dtype {data.dtype}")
    elif not is_number(data) and not isinstance(data, bool):
        raise TypeError(f"{operation_name(name)}: expected a tensor, an array or a real number, "
                        f"got {type(data).__name__}")


def _untracked(x: Any) -> Any:
    """The operand of a predicate: a ``Variable`` as a ``Constant`` sharing its values (so the
    result is a ``Constant``, by ``apply``'s fast path); anything else unchanged."""
    if isinstance(x, Variable):
        return x.freeze()  # pyright: ignore[reportUnknownVariableType] (isinstance on Any)
    return x


def _floating_primitive(name: str, compute: Callable[[Any, Any], Array], vjp: VJP,
                        saves: str = "inputs") -> Primitive:
    """A primitive computing ``compute(xp, x)`` on a floating operand (integers → float32)."""

    def forward(xp: Any, x: Any) -> Array:
        return compute(xp, _floating(name, xp, x))

    return Primitive(name, forward, vjp, saves)


def _zero_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
              **params: Any) -> tuple[Any]:
    """The gradient of a piecewise-constant operation: 0 everywhere (PyTorch's choice at the
    jumps too)."""
    return (F.zeros_like(g),)


def _pass_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    """The gradient of an operation of slope 1 (``frac``)."""
    return (g,)


# --- inverse trigonometric and hyperbolic functions --------------------------------------------

ACOS = _floating_primitive("acos", lambda xp, x: xp.arccos(x),
                           lambda F, g, inputs, out, parents:
                           (-g / F.sqrt(1 - inputs[0] * inputs[0]),))
ASIN = _floating_primitive("asin", lambda xp, x: xp.arcsin(x),
                           lambda F, g, inputs, out, parents:
                           (g / F.sqrt(1 - inputs[0] * inputs[0]),))
ACOSH = _floating_primitive("acosh", lambda xp, x: xp.arccosh(x),
                            lambda F, g, inputs, out, parents:
                            (g / F.sqrt(inputs[0] * inputs[0] - 1),))
ASINH = _floating_primitive("asinh", lambda xp, x: xp.arcsinh(x),
                            lambda F, g, inputs, out, parents:
                            (g / F.sqrt(inputs[0] * inputs[0] + 1),))
ATANH = _floating_primitive("atanh", lambda xp, x: xp.arctanh(x),
                            lambda F, g, inputs, out, parents:
                            (g / (1 - inputs[0] * inputs[0]),))
COSH = _floating_primitive("cosh", lambda xp, x: xp.cosh(x),
                           lambda F, g, inputs, out, parents: (g * F.sinh(inputs[0]),))
SINH = _floating_primitive("sinh", lambda xp, x: xp.sinh(x),
                           lambda F, g, inputs, out, parents: (g * F.cosh(inputs[0]),))
TAN = _floating_primitive("tan", lambda xp, x: xp.tan(x),
                          lambda F, g, inputs, out, parents: (g * (1 + out * out),),
                          saves="output")

# --- exponentials, logarithms, powers ----------------------------------------------------------

EXP2 = _floating_primitive("exp2", lambda xp, x: xp.exp2(x),
                           lambda F, g, inputs, out, parents: (g * out * _LN2,),
                           saves="output")
EXPM1 = _floating_primitive("expm1", lambda xp, x: xp.expm1(x),
                            lambda F, g, inputs, out, parents: (g * (out + 1),),
                            saves="output")
LOG1P = _floating_primitive("log1p", lambda xp, x: xp.log1p(x),
                            lambda F, g, inputs, out, parents: (g / (inputs[0] + 1),))
LOG2 = _floating_primitive("log2", lambda xp, x: xp.log2(x),
                           lambda F, g, inputs, out, parents: (g / (inputs[0] * _LN2),))
LOG10 = _floating_primitive("log10", lambda xp, x: xp.log10(x),
                            lambda F, g, inputs, out, parents: (g / (inputs[0] * _LN10),))
RSQRT = _floating_primitive("rsqrt", lambda xp, x: 1 / xp.sqrt(x),
                            lambda F, g, inputs, out, parents: (g * -0.5 * out * out * out,),
                            saves="output")
RECIPROCAL = _floating_primitive("reciprocal", lambda xp, x: 1 / x,
                                 lambda F, g, inputs, out, parents: (-g * out * out,),
                                 saves="output")
DEG2RAD = _floating_primitive("deg2rad", lambda xp, x: x * _DEGREE,
                              lambda F, g, inputs, out, parents: (g * _DEGREE,), saves="none")
RAD2DEG = _floating_primitive("rad2deg", lambda xp, x: x * (1 / _DEGREE),
                              lambda F, g, inputs, out, parents: (g * (1 / _DEGREE),),
                              saves="none")


def _square_forward(xp: Any, x: Any) -> Array:
    x = _real_array("square", xp, x)
    if x.dtype.kind == "b":
        x = x.astype(xp.int64)  # PyTorch squares a bool tensor as int64
    return x * x


SQUARE = Primitive("square", _square_forward,
                   lambda F, g, inputs, out, parents: (g * (2 * inputs[0]),))


# --- rounding and signs ------------------------------------------------------------------------

def _rounding_forward(name: str, rule: Callable[[Any, Any], Array]) -> Callable[..., Array]:
    """The forward of ``ceil``/``floor``/``trunc``: integer tensors are returned unchanged."""

    def forward(xp: Any, x: Any) -> Array:
        x = _rounding(name, xp, x)
        return x.copy() if x.dtype.kind in "iu" else rule(xp, x)

    return forward


CEIL = Primitive("ceil", _rounding_forward("ceil", lambda xp, x: xp.ceil(x)), _zero_vjp,
                 saves="none")
FLOOR = Primitive("floor", _rounding_forward("floor", lambda xp, x: xp.floor(x)), _zero_vjp,
                  saves="none")
TRUNC = Primitive("trunc", _rounding_forward("trunc", lambda xp, x: xp.trunc(x)), _zero_vjp,
                  saves="none")


def _round_forward(xp: Any, x: Any, decimals: int) -> Array:
    x = _rounding("round", xp, x)
    if x.dtype.kind in "iu":
        if decimals != 0:
            raise TypeError(f"round: decimals={decimals} needs a floating tensor, got dtype "
                            f"{x.dtype}")
        return x.copy()
    if decimals == 0:
        return xp.rint(x)  # halves to even, as PyTorch
    if decimals > 0:
        scale = 10.0 ** decimals
        return xp.rint(x * scale) / scale
    scale = 10.0 ** -decimals
    return xp.rint(x / scale) * scale


ROUND = Primitive("round", _round_forward, _zero_vjp, saves="none")


def _frac_forward(xp: Any, x: Any) -> Array:
    x = _rounding("frac", xp, x)
    if x.dtype.kind != "f":
        raise TypeError(f"frac: expected a floating tensor, got dtype {x.dtype}")
    return x - xp.trunc(x)


FRAC = Primitive("frac", _frac_forward, _pass_vjp, saves="none")


def _sign_forward(xp: Any, x: Any) -> Array:
    x = _real_array("sign", xp, x)
    if x.dtype.kind == "b":
        return x.copy()
    # (x > 0) - (x < 0): 0 for NaN and for both zeros, as PyTorch (NumPy's sign keeps NaN).
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


# Named "sgn": the primitive "sign" (elementwise.py, used by abs's VJP) has no gradient,
# whereas PyTorch's sign has the gradient 0.
SGN = Primitive("sgn", _sign_forward, _zero_vjp, saves="none")


def _signbit_forward(xp: Any, x: Any) -> Array:
    x = _real_array("signbit", xp, x)
    return xp.signbit(x) if x.dtype.kind == "f" else x < 0


SIGNBIT = Primitive("signbit", _signbit_forward, None)


def _angle_forward(xp: Any, x: Any) -> Array:
    x = _floating("angle", xp, x)
    half_turn = xp.where(x < 0, xp.asarray(math.pi, dtype=x.dtype),
                         xp.asarray(0, dtype=x.dtype))
    return xp.where(xp.isnan(x), x, half_turn)


ANGLE = Primitive("angle", _angle_forward, _zero_vjp, saves="none")


# --- predicates and nan_to_num -----------------------------------------------------------------

def _predicate(name: str, rule: Callable[[Any, Any], Array], non_floating: bool) -> Primitive:
    """A bool-valued primitive: ``rule`` on floating data; integer and bool data are finite, so
    the result there is ``non_floating`` everywhere."""

    def forward(xp: Any, x: Any) -> Array:
        x = _real_array(name, xp, x)
        if x.dtype.kind == "f":
            return rule(xp, x)
        return xp.full(x.shape, non_floating, dtype=bool)

    return Primitive(name, forward, None)


ISFINITE = _predicate("isfinite", lambda xp, x: xp.isfinite(x), True)
ISINF = _predicate("isinf", lambda xp, x: xp.isinf(x), False)
ISNAN = _predicate("isnan", lambda xp, x: xp.isnan(x), False)
ISPOSINF = _predicate("isposinf", lambda xp, x: x == math.inf, False)
ISNEGINF = _predicate("isneginf", lambda xp, x: x == -math.inf, False)
ISREAL = _predicate("isreal", lambda xp, x: xp.ones(x.shape, dtype=bool), True)


def _nan_to_num_forward(xp: Any, x: Any, nan: float, posinf: float | None,
                        neginf: float | None) -> Array:
    x = _real_array("nan_to_num", xp, x)
    if x.dtype.kind != "f":
        return x.copy()
    info = np.finfo(x.dtype)  # the dtype's limits, not the data: no device array reaches NumPy
    with np.errstate(over="ignore"):  # a replacement beyond the dtype's range becomes inf
        values = [np.asarray(value, dtype=x.dtype)
                  for value in (nan, info.max if posinf is None else posinf,
                                info.min if neginf is None else neginf)]
    x = xp.where(xp.isnan(x), xp.asarray(values[0]), x)
    x = xp.where(x == math.inf, xp.asarray(values[1]), x)
    return xp.where(x == -math.inf, xp.asarray(values[2]), x)


def _nan_to_num_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, nan: float,
                    posinf: float | None, neginf: float | None) -> tuple[Any]:
    return (F.where(F.isfinite(inputs[0]), g, 0),)


NAN_TO_NUM = Primitive("nan_to_num", _nan_to_num_forward, _nan_to_num_vjp)


def _identity_forward(xp: Any, x: Any) -> Array:
    return xp.asarray(_real_array("positive", xp, x))


# Only for operands that are not tensors yet (a tensor is returned itself, as PyTorch does).
AS_TENSOR = Primitive("positive", _identity_forward, _pass_vjp, saves="none")


def _itself(name: str, x: Any) -> Any:
    """A real tensor ``x`` itself (PyTorch returns the same tensor); an array or a number as a
    ``Constant``."""
    _check_real(name, x)
    if isinstance(x, Tensor):
        return x  # pyright: ignore[reportUnknownVariableType] (isinstance on Any)
    return apply(AS_TENSOR, x)


# --- public functions: inverse trigonometric and hyperbolic ------------------------------------

@exported("unary_function")
@exported("unary_function", name="arccos")
@method("acos", "arccos", typing="same_type_method")
def acos(x: Any) -> Any:
    """The arccosine, in radians in [0, pi] (NaN outside [-1, 1]); the gradient is
    ``-1 / sqrt(1 - x**2)``."""
    return apply(ACOS, x)


@exported("unary_function")
@exported("unary_function", name="arcsin")
@method("asin", "arcsin", typing="same_type_method")
def asin(x: Any) -> Any:
    """The arcsine, in radians in [-pi/2, pi/2] (NaN outside [-1, 1]); the gradient is
    ``1 / sqrt(1 - x**2)``."""
    return apply(ASIN, x)


@exported("unary_function", name="arctan")
@method("arctan", typing="same_type_method")
def arctan(x: Any) -> Any:
    """``atan`` under NumPy's name: the arctangent, in radians in (-pi/2, pi/2)."""
    return elementwise.atan(x)


@exported("unary_function")
@exported("unary_function", name="arccosh")
@method("acosh", "arccosh", typing="same_type_method")
def acosh(x: Any) -> Any:
    """The inverse hyperbolic cosine (NaN below 1); the gradient is ``1 / sqrt(x**2 - 1)``."""
    return apply(ACOSH, x)


@exported("unary_function")
@exported("unary_function", name="arcsinh")
@method("asinh", "arcsinh", typing="same_type_method")
def asinh(x: Any) -> Any:
    """The inverse hyperbolic sine; the gradient is ``1 / sqrt(x**2 + 1)``."""
    return apply(ASINH, x)


@exported("unary_function")
@exported("unary_function", name="arctanh")
@method("atanh", "arctanh", typing="same_type_method")
def atanh(x: Any) -> Any:
    """The inverse hyperbolic tangent (infinite at ±1, NaN beyond); the gradient is
    ``1 / (1 - x**2)``."""
    return apply(ATANH, x)


@exported("unary_function")
@method("cosh", typing="same_type_method")
def cosh(x: Any) -> Any:
    """The hyperbolic cosine; the gradient is ``sinh(x)``."""
    return apply(COSH, x)


@exported("unary_function")
@method("sinh", typing="same_type_method")
def sinh(x: Any) -> Any:
    """The hyperbolic sine; the gradient is ``cosh(x)``."""
    return apply(SINH, x)


@exported("unary_function")
@method("tan", typing="same_type_method")
def tan(x: Any) -> Any:
    """The tangent; the gradient is ``1 + tan(x)**2``."""
    return apply(TAN, x)


# --- public functions: exponentials, logarithms, powers ----------------------------------------

@exported("unary_function")
@method("exp2", typing="same_type_method")
def exp2(x: Any) -> Any:
    """``2 ** x``; the gradient is ``2 ** x * ln 2``."""
    return apply(EXP2, x)


@exported("unary_function")
@method("expm1", typing="same_type_method")
def expm1(x: Any) -> Any:
    """``exp(x) - 1``, accurate near 0; the gradient is ``exp(x)``."""
    return apply(EXPM1, x)


@exported("unary_function")
@method("log1p", typing="same_type_method")
def log1p(x: Any) -> Any:
    """``log(1 + x)``, accurate near 0; the gradient is ``1 / (1 + x)``."""
    return apply(LOG1P, x)


@exported("unary_function")
@method("log2", typing="same_type_method")
def log2(x: Any) -> Any:
    """The base-2 logarithm; the gradient is ``1 / (x ln 2)``."""
    return apply(LOG2, x)


@exported("unary_function")
@method("log10", typing="same_type_method")
def log10(x: Any) -> Any:
    """The base-10 logarithm; the gradient is ``1 / (x ln 10)``."""
    return apply(LOG10, x)


@exported("unary_function")
@method("rsqrt", typing="same_type_method")
def rsqrt(x: Any) -> Any:
    """``1 / sqrt(x)``; the gradient is ``-rsqrt(x)**3 / 2``."""
    return apply(RSQRT, x)


@exported("unary_function")
@method("reciprocal", typing="same_type_method")
def reciprocal(x: Any) -> Any:
    """``1 / x`` (float32 for an integer tensor); the gradient is ``-1 / x**2``."""
    return apply(RECIPROCAL, x)


@exported("unary_function")
@method("square", typing="same_type_method")
def square(x: Any) -> Any:
    """``x * x`` (integer tensors stay integer, bool becomes int64); the gradient is ``2x``."""
    return apply(SQUARE, x)


@exported("unary_function")
@method("deg2rad", typing="same_type_method")
def deg2rad(x: Any) -> Any:
    """Degrees to radians, ``x * pi / 180``."""
    return apply(DEG2RAD, x)


@exported("unary_function")
@method("rad2deg", typing="same_type_method")
def rad2deg(x: Any) -> Any:
    """Radians to degrees, ``x * 180 / pi``."""
    return apply(RAD2DEG, x)


# --- public functions: rounding and signs ------------------------------------------------------

@exported("unary_function")
@method("ceil", typing="same_type_method")
def ceil(x: Any) -> Any:
    """The smallest integer not below ``x`` (integer tensors unchanged); gradient 0."""
    return apply(CEIL, x)


@exported("unary_function")
@method("floor", typing="same_type_method")
def floor(x: Any) -> Any:
    """The largest integer not above ``x`` (integer tensors unchanged); gradient 0."""
    return apply(FLOOR, x)


@exported("unary_function")
@exported("unary_function", name="fix")
@method("trunc", "fix", typing="same_type_method")
def trunc(x: Any) -> Any:
    """``x`` rounded toward zero (integer tensors unchanged); gradient 0."""
    return apply(TRUNC, x)


@exported("same_type_function")
@method("round", typing="same_type_method")
def round(x: Any, *, decimals: int = 0) -> Any:
    """``x`` rounded to ``decimals`` decimal places (negative: to tens, hundreds...), halves
    to even as PyTorch (``round(2.5) == 2``); gradient 0. Integer tensors are returned
    unchanged (``decimals`` must then be 0)."""
    return apply(ROUND, x, decimals=integer("round", "decimals", decimals))


@exported("unary_function")
@method("frac", typing="same_type_method")
def frac(x: Any) -> Any:
    """The fractional part ``x - trunc(x)``, with ``x``'s sign (floating tensors only);
    gradient 1."""
    return apply(FRAC, x)


@exported("unary_function")
@method("sign", typing="same_type_method")
def sign(x: Any) -> Any:
    """-1, 0 or 1 by the sign of ``x`` (0 for NaN and for ±0; integer and bool tensors keep
    their dtype); gradient 0."""
    return apply(SGN, x)


@exported("unary_function")
@method("sgn", typing="same_type_method")
def sgn(x: Any) -> Any:
    """``sign`` (on complex tensors PyTorch gives ``x / |x|``; mushin's are real)."""
    return apply(SGN, x)


@exported("index_function")
@method("signbit", typing="index_method")
def signbit(x: Any) -> Constant[*tuple[Any, ...]]:
    """Whether the sign bit is set (True for -0.0 and negative numbers), a bool ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(SIGNBIT, _untracked(x))
    return result


@exported("unary_function")
@method("angle", typing="same_type_method")
def angle(x: Any) -> Any:
    """The argument of a real number: ``pi`` below 0, else 0 (NaN kept; float32 for an
    integer tensor); gradient 0."""
    return apply(ANGLE, x)


# --- public functions: predicates and nan_to_num -----------------------------------------------

@exported("index_function")
@method("isfinite", typing="index_method")
def isfinite(x: Any) -> Constant[*tuple[Any, ...]]:
    """Whether each element is finite (neither infinite nor NaN), a bool ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(ISFINITE, _untracked(x))
    return result


@exported("index_function")
@method("isinf", typing="index_method")
def isinf(x: Any) -> Constant[*tuple[Any, ...]]:
    """Whether each element is +inf or -inf, a bool ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(ISINF, _untracked(x))
    return result


@exported("index_function")
@method("isnan", typing="index_method")
def isnan(x: Any) -> Constant[*tuple[Any, ...]]:
    """Whether each element is NaN, a bool ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(ISNAN, _untracked(x))
    return result


@exported("index_function")
@method("isposinf", typing="index_method")
def isposinf(x: Any) -> Constant[*tuple[Any, ...]]:
    """Whether each element is +inf, a bool ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(ISPOSINF, _untracked(x))
    return result


@exported("index_function")
@method("isneginf", typing="index_method")
def isneginf(x: Any) -> Constant[*tuple[Any, ...]]:
    """Whether each element is -inf, a bool ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(ISNEGINF, _untracked(x))
    return result


@exported("index_function")
@method("isreal", typing="index_method")
def isreal(x: Any) -> Constant[*tuple[Any, ...]]:
    """Whether each element is real: True everywhere (mushin's tensors are real), a bool
    ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(ISREAL, _untracked(x))
    return result


def _replacement(argument: str, value: Any, optional: bool) -> float | None:
    """A replacement value of ``nan_to_num``: a real number (or None where allowed)."""
    if value is None and optional:
        return None
    if not is_number(value):
        expected = "a number or None" if optional else "a number"
        raise TypeError(f"nan_to_num: {argument} must be {expected}, got {value!r}")
    return float(value)


@exported("same_type_function")
@method("nan_to_num", typing="same_type_method")
def nan_to_num(x: Any, nan: float = 0.0, posinf: float | None = None,
               neginf: float | None = None) -> Any:
    """``x`` with NaN replaced by ``nan``, +inf by ``posinf`` and -inf by ``neginf`` (by default
    the dtype's largest and smallest finite numbers); integer tensors unchanged. The gradient
    passes where ``x`` is finite and is 0 at the replaced elements."""
    return apply(NAN_TO_NUM, x, nan=_replacement("nan", nan, optional=False),
                 posinf=_replacement("posinf", posinf, optional=True),
                 neginf=_replacement("neginf", neginf, optional=True))


# --- public functions: aliases and the identities of real tensors ------------------------------

@exported("unary_function")
def negative(x: Any) -> Any:
    """``neg`` under NumPy's name: ``-x`` (the method ``x.negative()`` is bound with ``neg``
    in ``elementwise.py``)."""
    return elementwise.neg(x)


@exported("unary_function")
@method("absolute", typing="same_type_method")
def absolute(x: Any) -> Any:
    """``abs`` under NumPy's name: ``|x|`` (gradient 0 at 0)."""
    return elementwise.abs(x)


@exported("unary_function")
@method("positive", typing="same_type_method")
def positive(x: Any) -> Any:
    """``+x``: the tensor itself (bool tensors are refused, as PyTorch does)."""
    if getattr(unwrap(x), "dtype", None) == np.dtype(bool) or isinstance(x, bool):
        raise TypeError("positive: the + operator is not supported on bool tensors")
    return _itself("positive", x)


@exported("unary_function")
@method("conj", typing="same_type_method")
def conj(x: Any) -> Any:
    """The complex conjugate: on a real tensor, the tensor itself."""
    return _itself("conj", x)


@exported("unary_function")
@method("conj_physical", typing="same_type_method")
def conj_physical(x: Any) -> Any:
    """The complex conjugate, computed: on a real tensor, the tensor itself."""
    return _itself("conj_physical", x)


@exported("unary_function")
@method("resolve_conj", typing="same_type_method")
def resolve_conj(x: Any) -> Any:
    """PyTorch's materialisation of a lazy conjugate: mushin has none, so ``x`` itself."""
    return _itself("resolve_conj", x)


@exported("unary_function")
@method("resolve_neg", typing="same_type_method")
def resolve_neg(x: Any) -> Any:
    """PyTorch's materialisation of a lazy negation: mushin has none, so ``x`` itself."""
    return _itself("resolve_neg", x)


@exported("unary_function")
def real(x: Any) -> Any:
    """The real part: on a real tensor, the tensor itself. (PyTorch's ``x.real`` is a
    property; mushin offers the function only.)"""
    return _itself("real", x)
