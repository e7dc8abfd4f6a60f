"""Binary and ternary elementwise operations beyond the arithmetic core of ``elementwise.py``.

Rounded division (``floor_divide``, ``div(rounding_mode=...)``), ``fmod``, ``remainder``,
``atan2``, ``hypot``, ``copysign``, ``fmax``/``fmin``, ``logaddexp``, ``xlogy``, ``lerp``,
``addcmul``/``addcdiv``, ``float_power``, ``ldexp``; the comparisons and logical operations by
PyTorch's names (``eq``, ``lt``, ``logical_and``...); the bitwise operations on integers and
bools; ``isclose``, ``allclose``, ``equal``. Names, arguments, result dtypes (PyTorch's
promotion, see ``elementwise.result_dtype``) and gradients at the non-differentiable points
are PyTorch's. Integer and bool results are ``Constant``s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np

from mushin._backend import Array, check_real_dtype
from mushin._check import host_array, is_number, operation_name, rename
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, apply, storage, unwrap
from mushin.ops.elementwise import (
    FLOOR_DIVIDE,
    POW,
    add,
    astype,
    binary_forward,
    compare,
    conform,
    div,
    mul,
    quiet,
    refuse_integer_zero,
    result_dtype,
)
from mushin.ops.elementwise import logical_not as _logical_not

_LOG2 = math.log(2.0)


def _integer_kind(name: str, *operands: Any, bools: bool = True) -> None:
    """``TypeError`` unless every operand is an integer (or, with ``bools``, a bool)."""
    allowed = "biu" if bools else "iu"
    for operand in operands:
        dtype = getattr(operand, "dtype", None)
        kind = dtype.kind if dtype is not None else (
            "b" if isinstance(operand, bool) else "i" if isinstance(operand, int) else "f")
        if kind not in allowed:
            what = "integer or bool" if bools else "integer"
            found = dtype if dtype is not None else type(operand).__name__
            raise TypeError(f"{operation_name(name)}: expected {what} tensors, got {found}")


def _floating_kind(name: str, *operands: Any) -> None:
    """``TypeError`` unless every tensor operand is floating (numbers may be anything)."""
    for operand in operands:
        dtype = getattr(operand, "dtype", None)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"{operation_name(name)}: expected floating tensors, got {dtype}")


# --- rounded division, fmod, remainder -----------------------------------------------------------

def _fmod(xp: Any, a: Any, b: Any) -> Array:
    refuse_integer_zero("fmod", xp, a, b)
    with quiet(xp):
        return xp.fmod(a, b)


def _remainder(xp: Any, a: Any, b: Any) -> Array:
    refuse_integer_zero("remainder", xp, a, b)
    with quiet(xp):
        return xp.remainder(a, b)


def _fmod_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    a, b = inputs
    return (g if parents[0] is not None else None,
            -g * F.trunc_divide(a, b) if parents[1] is not None else None)


def _remainder_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    a, b = inputs
    return (g if parents[0] is not None else None,
            -g * F.floor_divide(a, b) if parents[1] is not None else None)


FMOD = Primitive("fmod", binary_forward("fmod", _fmod), _fmod_vjp)
REMAINDER = Primitive("remainder", binary_forward("remainder", _remainder), _remainder_vjp)


@exported("binary_function")
@method("floor_divide", "__floordiv__", typing="binary_method")
def floor_divide(input: Any, other: Any) -> Any:
    """``input // other``: the quotient rounded down (Python's ``//``); an integer dtype stays
    integer (division by zero raises ``ZeroDivisionError``). Gradient zero."""
    return apply(FLOOR_DIVIDE, input, other)


@exported("binary_function")
@method("fmod", typing="binary_method")
def fmod(input: Any, other: Any) -> Any:
    """C's ``fmod``: the remainder of the division truncated towards zero, with the sign of
    ``input``. Gradients ``g`` and ``-g * trunc(input / other)``."""
    return apply(FMOD, input, other)


@exported("binary_function")
@method("remainder", "__mod__", typing="binary_method")
def remainder(input: Any, other: Any) -> Any:
    """Python's ``%``: ``input - other * floor(input / other)``, with the sign of ``other``.
    Gradients ``g`` and ``-g * floor(input / other)``."""
    return apply(REMAINDER, input, other)


def _reflected(function: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``other op x`` for a number or array ``other`` on the left of a tensor ``x``."""

    def reflected(x: Any, other: Any) -> Any:
        return function(other, x)

    return rename(reflected, function.__name__)


method("__rfloordiv__", typing="reflected_method")(_reflected(floor_divide))
method("__rmod__", typing="reflected_method")(_reflected(remainder))


# --- differentiable binary functions -------------------------------------------------------------

def _atan2_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    y, x = inputs
    scale = g / (x * x + y * y)
    return (scale * x if parents[0] is not None else None,
            -scale * y if parents[1] is not None else None)


def _hypot_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    a, b = inputs
    scale = g / out
    return (scale * a if parents[0] is not None else None,
            scale * b if parents[1] is not None else None)


def _copysign_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    a = inputs[0]
    # d|a|·sign(b)/da = out / a, taken as 0 at a == 0 (PyTorch); the sign has no gradient.
    return (F.where(a == 0, 0, g * out / a) if parents[0] is not None else None, None)


def _fextremum_vjp(larger: bool) -> Callable[..., tuple[Any, ...]]:
    """fmax (``larger``) or fmin: the gradient goes to ``input`` where it is chosen, ties and a
    NaN ``other`` included, else to ``other`` (PyTorch's rule)."""

    def vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
        a, b = inputs
        first = ((a >= b) if larger else (a <= b)) | (b != b)
        return (F.where(first, g, 0) if parents[0] is not None else None,
                F.where(first, 0, g) if parents[1] is not None else None)

    return vjp


def _logaddexp_vjp(base: float) -> Callable[..., tuple[Any, ...]]:
    """logaddexp (``base`` 1) or logaddexp2 (``base`` ln 2): ``g / (1 + b**(other - input))``
    to ``input`` and symmetrically to ``other``."""

    def vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
        a, b = inputs
        return (g / (1 + F.exp((b - a) * base)) if parents[0] is not None else None,
                g / (1 + F.exp((a - b) * base)) if parents[1] is not None else None)

    return vjp


def _xlogy(xp: Any, x: Any, y: Any) -> Array:
    with quiet(xp):
        product = x * xp.log(y)
        result = xp.where(x == 0, 0, product)
        return xp.where(y != y, y, result)


def _xlogy_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    x, y = inputs
    grad_x = None
    if parents[0] is not None:  # g log(y), but 0 where x = 0 and y <= 0 (PyTorch's)
        grad_x = F.where((x == 0) & (y <= 0), 0, F.xlogy(g, y))
    return grad_x, g * x / y if parents[1] is not None else None


def _floating(name: str, operation: Callable[[Any, Any, Any], Any]) -> Callable[..., Array]:
    """A forward of a floating function (integers give float32), its warnings silenced."""

    def silenced(xp: Any, a: Any, b: Any) -> Array:
        with quiet(xp):
            return operation(xp, a, b)

    return binary_forward(name, silenced, floating=True)


ATAN2 = Primitive("atan2", _floating("atan2", lambda xp, a, b: xp.arctan2(a, b)), _atan2_vjp)
HYPOT = Primitive("hypot", _floating("hypot", lambda xp, a, b: xp.hypot(a, b)), _hypot_vjp,
                  saves="both")
COPYSIGN = Primitive("copysign", _floating("copysign", lambda xp, a, b: xp.copysign(a, b)),
                     _copysign_vjp, saves="both")
FMAX = Primitive("fmax", binary_forward("fmax", lambda xp, a, b: xp.fmax(a, b)),
                 _fextremum_vjp(True))
FMIN = Primitive("fmin", binary_forward("fmin", lambda xp, a, b: xp.fmin(a, b)),
                 _fextremum_vjp(False))
LOGADDEXP = Primitive("logaddexp", _floating("logaddexp", lambda xp, a, b: xp.logaddexp(a, b)),
                      _logaddexp_vjp(1.0))
LOGADDEXP2 = Primitive("logaddexp2",
                       _floating("logaddexp2", lambda xp, a, b: xp.logaddexp2(a, b)),
                       _logaddexp_vjp(_LOG2))
XLOGY = Primitive("xlogy", _floating("xlogy", _xlogy), _xlogy_vjp)


@exported("binary_function")
@exported("binary_function", name="arctan2")
@method("atan2", "arctan2", typing="binary_method")
def atan2(input: Any, other: Any) -> Any:
    """The angle of the point ``(other, input)`` (``x = other``, ``y = input``) in radians, in
    [-pi, pi]. Gradients ``g * x / (x² + y²)`` and ``-g * y / (x² + y²)`` (NaN at the origin,
    as in PyTorch)."""
    return apply(ATAN2, input, other)


@exported("binary_function")
@method("hypot", typing="binary_method")
def hypot(input: Any, other: Any) -> Any:
    """``sqrt(input² + other²)`` without overflow. Gradients ``g * input / out`` and
    ``g * other / out``."""
    return apply(HYPOT, input, other)


@exported("binary_function")
@method("copysign", typing="binary_method")
def copysign(input: Any, other: Any) -> Any:
    """``|input|`` with the sign of ``other`` (integers give float32). Gradient ``g * out /
    input`` to ``input`` (0 where ``input`` is 0), none to ``other``."""
    return apply(COPYSIGN, input, other)


@exported("binary_function")
@method("fmax", typing="binary_method")
def fmax(input: Any, other: Any) -> Any:
    """The elementwise maximum ignoring NaN (NaN only where both are). The gradient goes to the
    chosen operand, to ``input`` at ties."""
    return apply(FMAX, input, other)


@exported("binary_function")
@method("fmin", typing="binary_method")
def fmin(input: Any, other: Any) -> Any:
    """The elementwise minimum ignoring NaN (NaN only where both are). The gradient goes to the
    chosen operand, to ``input`` at ties."""
    return apply(FMIN, input, other)


@exported("binary_function")
@method("logaddexp", typing="binary_method")
def logaddexp(input: Any, other: Any) -> Any:
    """``log(exp(input) + exp(other))`` without overflow. Gradients ``g * sigmoid(input -
    other)`` and ``g * sigmoid(other - input)``."""
    return apply(LOGADDEXP, input, other)


@exported("binary_function")
@method("logaddexp2", typing="binary_method")
def logaddexp2(input: Any, other: Any) -> Any:
    """``log2(2**input + 2**other)`` without overflow."""
    return apply(LOGADDEXP2, input, other)


@exported("binary_function")
@exported("binary_function", namespace="special")
@method("xlogy", typing="binary_method")
def xlogy(input: Any, other: Any) -> Any:
    """``input * log(other)``, 0 where ``input`` is 0 (NaN where ``other`` is NaN). Gradients
    ``g * log(other)`` (0 where ``input`` is 0) and ``g * input / other``."""
    return apply(XLOGY, input, other)


@exported("binary_function")
@method("ldexp", typing="binary_method")
def ldexp(input: Any, other: Any) -> Any:
    """``input * 2 ** other`` (floating: integers give float32); differentiable in both."""
    if isinstance(other, int | float) and not isinstance(input, int | float):
        try:
            scale = 2.0 ** other  # in Python's float64, not as a float32 0-d tensor
        except OverflowError:
            scale = math.inf
        return mul(input, scale)
    return mul(input, apply(POW, 2.0, other))


def _as_float64(name: str, value: Any) -> Any:
    """An operand of ``float_power`` in float64 (a tensor through ``astype``, so gradients flow
    back in the operand's dtype)."""
    if isinstance(value, Tensor):
        if value.dtype.kind == "c":
            raise TypeError(f"{operation_name(name)}: complex tensors are not supported")
        return cast("Any", value) if value.dtype == np.float64 else astype(value, np.float64)
    if isinstance(value, bool | int | float):
        return float(value)
    if hasattr(value, "dtype"):
        check_real_dtype(value.dtype)
        return value.astype(np.float64)
    return host_array(name, value).astype(np.float64)


@exported("binary_function")
@method("float_power", typing="binary_method")
def float_power(input: Any, exponent: Any) -> Any:
    """``input ** exponent`` computed in float64 whatever the operands' dtypes (the result is
    float64); gradients as ``pow``'s, cast back to each operand's dtype."""
    if isinstance(input, bool | int | float) and isinstance(exponent, bool | int | float):
        raise TypeError("float_power: expected a tensor for input or exponent, got two numbers")
    return apply(POW, _as_float64("float_power", input), _as_float64("float_power", exponent))


# --- non-differentiable binary functions: Constants ----------------------------------------------

def _nextafter(xp: Any, a: Any, b: Any) -> Array:
    _floating_kind("nextafter", a, b)
    return xp.nextafter(a, b)


def _heaviside(xp: Any, x: Any, values: Any) -> Array:
    return xp.where(x == 0, values, x > 0)


def _integer_function(name: str) -> Callable[[Any, Any, Any], Array]:
    """The array module's function ``name`` (``gcd``, ``lcm``) on integers only."""

    def forward(xp: Any, a: Any, b: Any) -> Array:
        _integer_kind(name, a, b, bools=False)
        result: Array = getattr(xp, name)(a, b)
        return result

    return forward


NEXTAFTER = Primitive("nextafter", binary_forward("nextafter", _nextafter),
                      lambda F, g, inputs, out, parents: (g, None), saves="none")
HEAVISIDE = Primitive("heaviside", binary_forward("heaviside", _heaviside), None)
GCD = Primitive("gcd", binary_forward("gcd", _integer_function("gcd")), None)
LCM = Primitive("lcm", binary_forward("lcm", _integer_function("lcm")), None)


def _constant(prim: Primitive, *operands: Any) -> Constant[*tuple[Any, ...]]:
    """A non-differentiable operation on the operands' values: a ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(prim, *(unwrap(value) for value in operands))
    return result


@exported("binary_function")
@method("nextafter", typing="binary_method")
def nextafter(input: Any, other: Any) -> Any:
    """The next floating-point value after ``input`` towards ``other`` (floating tensors).
    Gradient ``g`` to ``input`` (the step is below rounding), none to ``other`` (PyTorch's)."""
    return apply(NEXTAFTER, input, other)


@exported("index_function")
@method("heaviside", typing="comparison_method")
def heaviside(input: Any, values: Any) -> Constant[*tuple[Any, ...]]:
    """The step function: 0 where ``input < 0``, ``values`` where ``input == 0``, 1 where
    ``input > 0`` (a ``Constant``: not differentiable)."""
    return _constant(HEAVISIDE, input, values)


@exported("index_function")
@method("gcd", typing="comparison_method")
def gcd(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """The greatest common divisor of integers (non-negative; ``gcd(0, 0) = 0``)."""
    return _constant(GCD, input, other)


@exported("index_function")
@method("lcm", typing="comparison_method")
def lcm(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """The least common multiple of integers (non-negative; 0 if either is 0)."""
    return _constant(LCM, input, other)


# --- ternary: lerp, addcmul, addcdiv ---------------------------------------------------------

def _lerp_forward(xp: Any, start: Any, end: Any, weight: Any) -> Array:
    if start is None or end is None or weight is None:
        raise TypeError("lerp: input, end and weight must be tensors, arrays or numbers, "
                        "not None")
    _floating_kind("lerp", start, end, weight)
    difference = end - start
    # PyTorch's formula: from the nearer end, so that weight 1 gives ``end`` exactly.
    if isinstance(weight, int | float):
        result = start + weight * difference if weight < 0.5 else (
            end - difference * (1 - weight))
    else:
        result = xp.where(weight < 0.5, start + weight * difference,
                          end - difference * (1 - weight))
    return conform(xp, result, (start, end, weight), floating=True)


def _lerp_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    start, end, weight = inputs
    return (g * (1 - weight) if parents[0] is not None else None,
            g * weight if parents[1] is not None else None,
            g * (end - start) if parents[2] is not None else None)


LERP = Primitive("lerp", _lerp_forward, _lerp_vjp)


@exported("ternary_function")
@method("lerp", typing="ternary_method")
def lerp(input: Any, end: Any, weight: Any) -> Any:
    """``input + weight * (end - input)`` (``weight`` a number or a tensor, broadcasting).
    Gradients ``g * (1 - weight)``, ``g * weight`` and ``g * (end - input)``."""
    return apply(LERP, input, end, weight)


def _check_value(name: str, value: Any, *operands: Any) -> None:
    if not is_number(value) and not isinstance(value, bool):
        raise TypeError(f"{operation_name(name)}: value must be a number, got {value!r}")
    if not float(value).is_integer() and result_dtype(
            *(unwrap(operand) for operand in operands)).kind in "biu":
        raise TypeError(f"{operation_name(name)}: value must be an integer for integer tensors, "
                        f"got {value!r}")


@exported("ternary_function")
@method("addcmul", typing="ternary_method")
def addcmul(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
    """``input + value * tensor1 * tensor2``, broadcasting; differentiable in the three."""
    _check_value("addcmul", value, input, tensor1, tensor2)
    product = mul(tensor1, tensor2)
    return add(input, product if value == 1 else mul(product, value))


@exported("ternary_function")
@method("addcdiv", typing="ternary_method")
def addcdiv(input: Any, tensor1: Any, tensor2: Any, *, value: Any = 1) -> Any:
    """``input + value * tensor1 / tensor2``, broadcasting; differentiable in the three.
    Integer ``tensor1`` and ``tensor2`` are refused (PyTorch no longer divides them)."""
    _check_value("addcdiv", value, input, tensor1, tensor2)
    if result_dtype(unwrap(tensor1), unwrap(tensor2)).kind in "biu":
        raise TypeError("addcdiv: integer division of tensor1 by tensor2 is not supported; "
                        "make either floating")
    quotient = div(tensor1, tensor2)
    return add(input, quotient if value == 1 else mul(quotient, value))


# --- comparisons and logical operations by PyTorch's names --------------------------------------

def _comparison(name: str, short: str, doc: str) -> Callable[[Any, Any], Any]:
    """The public comparison ``short`` (``eq``...) of the comparison primitive ``name``."""

    def compared(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
        return compare(name, input, other)

    compared.__doc__ = doc
    return rename(compared, short)


eq = _comparison("equal", "eq", "``input == other`` elementwise: a bool ``Constant``.")
ne = _comparison("not_equal", "ne", "``input != other`` elementwise: a bool ``Constant``.")
lt = _comparison("less", "lt", "``input < other`` elementwise: a bool ``Constant``.")
le = _comparison("less_equal", "le", "``input <= other`` elementwise: a bool ``Constant``.")
gt = _comparison("greater", "gt", "``input > other`` elementwise: a bool ``Constant``.")
ge = _comparison("greater_equal", "ge", "``input >= other`` elementwise: a bool ``Constant``.")
for _function, _aliases in ((eq, ()), (ne, ("not_equal",)), (lt, ("less",)),
                            (le, ("less_equal",)), (gt, ("greater",)),
                            (ge, ("greater_equal",))):
    exported("index_function")(_function)
    for _alias in _aliases:
        exported("index_function", name=_alias)(_function)
    method(_function.__name__, *_aliases, typing="comparison_method")(_function)


@exported("index_function")
@method("logical_and", typing="comparison_method")
def logical_and(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """Both nonzero, elementwise: a bool ``Constant`` (any dtype; nonzero is true)."""
    return compare("logical_and", input, other)


@exported("index_function")
@method("logical_or", typing="comparison_method")
def logical_or(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """Either nonzero, elementwise: a bool ``Constant`` (any dtype; nonzero is true)."""
    return compare("logical_or", input, other)


@exported("index_function")
@method("logical_xor", typing="comparison_method")
def logical_xor(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """Exactly one nonzero, elementwise: a bool ``Constant`` (any dtype)."""
    return compare("logical_xor", input, other)


@exported("index_function")
@method("logical_not", typing="index_method")
def logical_not(input: Any) -> Constant[*tuple[Any, ...]]:
    """``input == 0`` elementwise: a bool ``Constant`` (any dtype; nonzero is true)."""
    return _logical_not(input)


# --- bitwise operations (integers and bools) ----------------------------------------------------

def _bitwise(name: str, operation: Callable[[Any, Any, Any], Any],
             shift: bool = False) -> Callable[..., Array]:
    def forward(xp: Any, a: Any, b: Any) -> Array:
        _integer_kind(name, a, b)
        if shift and result_dtype(a, b).kind == "b":
            raise TypeError(f"{operation_name(name)}: expected integer tensors, got two bools")
        return operation(xp, a, b)

    return binary_forward(name, forward)


BITWISE_AND = Primitive("bitwise_and", _bitwise("bitwise_and", lambda xp, a, b: a & b), None)
BITWISE_OR = Primitive("bitwise_or", _bitwise("bitwise_or", lambda xp, a, b: a | b), None)
BITWISE_XOR = Primitive("bitwise_xor", _bitwise("bitwise_xor", lambda xp, a, b: a ^ b), None)
# NumPy's shifts are PyTorch's: a count outside [0, bits) gives 0 (or -1, right-shifting a
# negative number).
LEFT_SHIFT = Primitive("bitwise_left_shift", _bitwise(
    "bitwise_left_shift", lambda xp, a, b: xp.left_shift(a, b), shift=True), None)
RIGHT_SHIFT = Primitive("bitwise_right_shift", _bitwise(
    "bitwise_right_shift", lambda xp, a, b: xp.right_shift(a, b), shift=True), None)


def _bitwise_not(xp: Any, x: Any) -> Array:
    if x is None:
        raise TypeError("bitwise_not: the operand must be a tensor, an array or a number, "
                        "not None")
    _integer_kind("bitwise_not", x)
    return conform(xp, xp.invert(x), (x,))


BITWISE_NOT = Primitive("bitwise_not", _bitwise_not, None)


@exported("index_function")
@method("bitwise_and", "__and__", typing="comparison_method")
def bitwise_and(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """``input & other`` on integers or bools (floats are refused): a ``Constant``."""
    return _constant(BITWISE_AND, input, other)


@exported("index_function")
@method("bitwise_or", "__or__", typing="comparison_method")
def bitwise_or(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """``input | other`` on integers or bools (floats are refused): a ``Constant``."""
    return _constant(BITWISE_OR, input, other)


@exported("index_function")
@method("bitwise_xor", "__xor__", typing="comparison_method")
def bitwise_xor(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """``input ^ other`` on integers or bools (floats are refused): a ``Constant``."""
    return _constant(BITWISE_XOR, input, other)


@exported("index_function")
@method("bitwise_left_shift", "__lshift__", typing="comparison_method")
def bitwise_left_shift(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """``input << other`` on integers: a ``Constant`` (0 for a count outside [0, bits))."""
    return _constant(LEFT_SHIFT, input, other)


@exported("index_function")
@method("bitwise_right_shift", "__rshift__", typing="comparison_method")
def bitwise_right_shift(input: Any, other: Any) -> Constant[*tuple[Any, ...]]:
    """``input >> other`` on integers, arithmetic (sign-filling): a ``Constant``."""
    return _constant(RIGHT_SHIFT, input, other)


@exported("index_function")
@method("bitwise_not", typing="index_method")
@method("__invert__", typing=None)
def bitwise_not(input: Any) -> Constant[*tuple[Any, ...]]:
    """``~input``: each bit flipped on integers, logical not on bools (floats are refused)."""
    return _constant(BITWISE_NOT, input)


for _name, _function in (("and", bitwise_and), ("or", bitwise_or), ("xor", bitwise_xor),
                         ("lshift", bitwise_left_shift), ("rshift", bitwise_right_shift)):
    method(f"__r{_name}__", typing="reflected_method")(_reflected(_function))


# --- closeness and equality ----------------------------------------------------------------------

def _isclose_forward(xp: Any, a: Any, b: Any, rtol: float, atol: float,
                     equal_nan: bool) -> Array:
    if a is None or b is None:
        raise TypeError("isclose: operands must be tensors, arrays or numbers, not None")
    try:
        return xp.asarray(xp.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    except ValueError as error:
        from mushin._check import broadcast_shape, shape_of

        broadcast_shape("isclose", shape_of(a), shape_of(b))
        raise ValueError(f"isclose: {error}") from error


ISCLOSE = Primitive("isclose", _isclose_forward, None)


def _tolerances(name: str, rtol: Any, atol: Any) -> tuple[float, float]:
    for argument, value in (("rtol", rtol), ("atol", atol)):
        if not is_number(value):
            raise TypeError(f"{operation_name(name)}: {argument} must be a number, got {value!r}")
        if value < 0:
            raise ValueError(f"{operation_name(name)}: {argument} must be at least 0, got "
                             f"{value!r}")
    return float(rtol), float(atol)


@exported("index_function")
@method("isclose", typing="index_method")
def isclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
            equal_nan: bool = False) -> Constant[*tuple[Any, ...]]:
    """``|input - other| <= atol + rtol * |other|`` elementwise (equal infinities are close;
    NaNs are close to each other only with ``equal_nan``): a bool ``Constant``."""
    return _isclose("isclose", input, other, rtol, atol, equal_nan)


def _isclose(name: str, input: Any, other: Any, rtol: Any, atol: Any,
             equal_nan: Any) -> Constant[*tuple[Any, ...]]:
    rtol, atol = _tolerances(name, rtol, atol)
    result: Constant[*tuple[Any, ...]] = apply(ISCLOSE, unwrap(input), unwrap(other),
                                               rtol=rtol, atol=atol, equal_nan=bool(equal_nan))
    return result


@exported("predicate_function")
@method("allclose", typing="predicate_method")
def allclose(input: Any, other: Any, rtol: float = 1e-05, atol: float = 1e-08,
             equal_nan: bool = False) -> bool:
    """Whether every element of ``isclose(input, other, ...)`` holds: a Python ``bool``."""
    close = _isclose("allclose", input, other, rtol, atol, equal_nan)
    return bool(storage(close).all())


@exported("predicate_function")
@method("equal", typing="predicate_method")
def equal(input: Any, other: Any) -> bool:
    """Whether the two have the same shape and the same values: a Python ``bool`` (no
    broadcasting; NaN is never equal)."""
    first, second = unwrap(input), unwrap(other)
    if not hasattr(first, "shape"):
        first = host_array("equal", first)
    if not hasattr(second, "shape"):
        second = host_array("equal", second, "other")
    if tuple(first.shape) != tuple(second.shape):
        return False
    return bool(storage(compare("equal", first, second)).all())

