"""Elementwise operations: each primitive's forward and VJP side by side.

Binary operations broadcast as NumPy does; their VJPs return gradients of the broadcast
shape and the engine sums them back to each operand's shape. A shape mismatch is caught by
the forward (NumPy checks before computing) and re-raised as ``ShapeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mushin._backend import Array
from mushin._check import broadcast_shape, shape_of
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, apply, unwrap
from mushin.errors import ShapeError
from mushin.kernels import cuda


def _binary(name: str, operation: Callable[[Any, Any, Any], Any]) -> Callable[..., Array]:
    """A forward for a broadcasting binary operator that reports shape errors clearly."""

    def forward(xp: Any, first: Any, second: Any) -> Array:
        if first is None or second is None:
            # NumPy would answer with an array of Python objects (for an empty operand).
            raise TypeError(f"{name}: operands must be tensors, arrays or numbers, not None")
        try:
            return operation(xp, first, second)
        except ValueError as error:
            # Raises ShapeError if the shapes are the problem; otherwise it is something else
            # (an integer to a negative integer power) and stays a plain ValueError.
            broadcast_shape(name, shape_of(first), shape_of(second))
            raise ValueError(f"{name}: {error}") from error

    return forward


ADD = Primitive("add", _binary("add", lambda xp, a, b: a + b),
                lambda F, g, inputs, out, parents: (g, g), saves="none")
SUB = Primitive("sub", _binary("sub", lambda xp, a, b: a - b),
                lambda F, g, inputs, out, parents: (g, -g), saves="none")


def _mul_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    first, second = inputs
    return (g * second if parents[0] is not None else None,
            g * first if parents[1] is not None else None)


MUL = Primitive("mul", _binary("mul", lambda xp, a, b: a * b), _mul_vjp)


def _div_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    numerator, denominator = inputs
    grad_numerator = g / denominator
    grad_denominator = None
    if parents[1] is not None:
        grad_denominator = -grad_numerator * numerator / denominator
    return grad_numerator if parents[0] is not None else None, grad_denominator


DIV = Primitive("div", _binary("div", lambda xp, a, b: a / b), _div_vjp)
NEG = Primitive("neg", lambda xp, x: -x, lambda F, g, inputs, out, parents: (-g,), saves="none")


def _pow_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    base, exponent = inputs
    grad_base = grad_exponent = None
    if parents[0] is not None:
        grad_base = g * exponent * base ** (exponent - 1)
    if parents[1] is not None:
        positive = base > 0
        safe_log = F.log(F.where(positive, base, 1))
        grad_exponent = g * out * F.where(positive, safe_log, 0)
    return grad_base, grad_exponent


POW = Primitive("pow", _binary("pow", lambda xp, a, b: a ** b), _pow_vjp, saves="both")
EXP = Primitive("exp", lambda xp, x: xp.exp(x),
                lambda F, g, inputs, out, parents: (g * out,), saves="output")
LOG = Primitive("log", lambda xp, x: xp.log(x),
                lambda F, g, inputs, out, parents: (g / inputs[0],))
SQRT = Primitive("sqrt", lambda xp, x: xp.sqrt(x),
                 lambda F, g, inputs, out, parents: (g / (2 * out),), saves="output")
SIGN = Primitive("sign", lambda xp, x: xp.sign(x), None)
ABS = Primitive("abs", lambda xp, x: xp.abs(x),
                lambda F, g, inputs, out, parents: (g * F.sign(inputs[0]),))
SIN = Primitive("sin", lambda xp, x: xp.sin(x),
                lambda F, g, inputs, out, parents: (g * F.cos(inputs[0]),))
COS = Primitive("cos", lambda xp, x: xp.cos(x),
                lambda F, g, inputs, out, parents: (-g * F.sin(inputs[0]),))


def _atan_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g / (1 + x * x),)


def _atan_vjp_cuda(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    x = inputs[0]
    if not cuda.fusable(g, x):
        return NotImplemented
    return (cuda.pointwise("mushin_atan_grad", "out = g / ((T)1 + x * x);", "g x", g, x),)


ATAN = Primitive("atan", lambda xp, x: xp.arctan(x), _atan_vjp, cuda_vjp=_atan_vjp_cuda)


def _tanh_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    return (g * (1 - out * out),)


def _tanh_vjp_cuda(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> Any:
    if not cuda.fusable(g, out):
        return NotImplemented
    return (cuda.pointwise("mushin_tanh_grad", "out = g * ((T)1 - y * y);", "g y", g, out),)


TANH = Primitive("tanh", lambda xp, x: xp.tanh(x), _tanh_vjp, saves="output",
                 cuda_vjp=_tanh_vjp_cuda)


def _extremum_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    """maximum/minimum: the gradient goes to the chosen operand; ties share it equally."""
    first, second = inputs
    tie = first == second
    half = F.where(tie, g * 0.5, g)
    chosen_first = out == first
    return (F.where(chosen_first, half, 0) if parents[0] is not None else None,
            F.where(chosen_first & ~tie, 0, half) if parents[1] is not None else None)


MAXIMUM = Primitive("maximum", _binary("maximum", lambda xp, a, b: xp.maximum(a, b)),
                    _extremum_vjp, saves="both")
MINIMUM = Primitive("minimum", _binary("minimum", lambda xp, a, b: xp.minimum(a, b)),
                    _extremum_vjp, saves="both")


def _where_forward(xp: Any, condition: Any, first: Any, second: Any) -> Array:
    try:
        return xp.where(condition, first, second)
    except ValueError as error:
        shapes = [shape_of(value) for value in (condition, first, second)]
        raise ShapeError(f"where: condition, x and y of shapes {shapes[0]}, {shapes[1]} and "
                         f"{shapes[2]} cannot be broadcast together") from error


def _where_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    condition = inputs[0]
    return (None,
            F.where(condition, g, 0) if parents[1] is not None else None,
            F.where(condition, 0, g) if parents[2] is not None else None)


WHERE = Primitive("where", _where_forward, _where_vjp)


def _clip_forward(xp: Any, x: Any, lo: Any = None, hi: Any = None) -> Array:
    if lo is not None:
        x = xp.maximum(x, lo)
    if hi is not None:
        x = xp.minimum(x, hi)
    return x


def _clip_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, lo: Any = None,
              hi: Any = None) -> tuple[Any, ...]:
    x = inputs[0]
    if lo is not None:
        g = F.where(x >= lo, g, 0)
    if hi is not None:
        g = F.where(x <= hi, g, 0)
    return (g,)


CLIP = Primitive("clip", _clip_forward, _clip_vjp)


def _astype_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, dtype: Any) -> tuple[Any]:
    return (F.astype(g, dtype=parents[0].dtype),)


ASTYPE = Primitive("astype", lambda xp, x, dtype: x.astype(dtype), _astype_vjp, saves="none")

_COMPARISON_RULES: dict[str, Callable[[Any, Any, Any], Any]] = {
    "less": lambda xp, a, b: a < b, "less_equal": lambda xp, a, b: a <= b,
    "greater": lambda xp, a, b: a > b, "greater_equal": lambda xp, a, b: a >= b,
    "equal": lambda xp, a, b: a == b, "not_equal": lambda xp, a, b: a != b,
    "logical_and": lambda xp, a, b: a & b, "logical_or": lambda xp, a, b: a | b,
    "logical_xor": lambda xp, a, b: a ^ b}
_COMPARISONS = {name: Primitive(name, _binary(name, operation), None)
                for name, operation in _COMPARISON_RULES.items()}
LOGICAL_NOT = Primitive("logical_not", lambda xp, x: ~x, None)


# --- public functions ------------------------------------------------------------------------

@exported("binary_function")
@method("add", "__add__", typing="binary_method")
def add(a: Any, b: Any) -> Any:
    """``a + b``, broadcasting."""
    return apply(ADD, a, b)


@exported("binary_function")
@method("sub", "__sub__", typing="binary_method")
def sub(a: Any, b: Any) -> Any:
    """``a - b``, broadcasting."""
    return apply(SUB, a, b)


@exported("binary_function")
@method("mul", "__mul__", typing="binary_method")
def mul(a: Any, b: Any) -> Any:
    """``a * b`` elementwise, broadcasting."""
    return apply(MUL, a, b)


@exported("binary_function")
@method("div", "__truediv__", typing="binary_method")
def div(a: Any, b: Any) -> Any:
    """``a / b`` elementwise, broadcasting."""
    return apply(DIV, a, b)


@exported("unary_function")
@method("neg", "__neg__", typing="same_type_method")
def neg(x: Any) -> Any:
    """``-x``."""
    return apply(NEG, x)


@exported("binary_function")
@method("pow", "__pow__", typing="binary_method")
def pow(base: Any, exponent: Any) -> Any:
    """``base ** exponent`` elementwise; differentiable in both (the exponent where base > 0)."""
    return apply(POW, base, exponent)


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
def maximum(a: Any, b: Any) -> Any:
    """The elementwise maximum; at ties the gradient is shared equally."""
    return apply(MAXIMUM, a, b)


@exported("binary_function")
@method("minimum", typing="binary_method")
def minimum(a: Any, b: Any) -> Any:
    """The elementwise minimum; at ties the gradient is shared equally."""
    return apply(MINIMUM, a, b)


@exported("where_function")
def where(condition: Any, a: Any, b: Any) -> Any:
    """``a`` where ``condition`` holds, else ``b`` (the condition is never differentiated)."""
    condition = unwrap(condition)
    if condition is None or a is None or b is None:
        # NumPy would make an array of Python objects out of a None.
        raise TypeError("where: the condition, x and y must be tensors, arrays or numbers, "
                        "not None")
    return apply(WHERE, condition, a, b)


@exported("clip_function")
@method("clip", typing=None)
def clip(x: Any, lo: Any = None, hi: Any = None) -> Any:
    """``x`` limited to ``[lo, hi]`` (either may be None); the gradient passes inside."""
    if isinstance(lo, Tensor | list) or hasattr(lo, "shape") or isinstance(
            hi, Tensor | list) or hasattr(hi, "shape"):
        result = x if lo is None else maximum(x, lo)
        return result if hi is None else minimum(result, hi)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: lo ({lo}) is greater than hi ({hi})")
    return apply(CLIP, x, lo=lo, hi=hi)


@exported("same_type_function")
@method("astype", typing="same_type_method")
def astype(x: Any, dtype: Any) -> Any:
    """``x`` converted to ``dtype`` (a ``Variable`` needs a floating dtype)."""
    from mushin._backend import float_dtype, parse_dtype

    try:
        target = float_dtype(dtype) if not isinstance(x, Constant) else parse_dtype(dtype)
    except ValueError as error:
        raise ValueError(f"astype: {error}") from None
    return apply(ASTYPE, x, dtype=target)


def compare(name: str, a: Any, b: Any) -> Constant[*tuple[Any, ...]]:
    """An elementwise comparison (``less``, ``equal``...) or logical operation (``logical_and``,
    ``logical_or``, ``logical_xor``) as a ``Constant`` mask: never differentiated."""
    result: Constant[*tuple[Any, ...]] = apply(_COMPARISONS[name], unwrap(a), unwrap(b))
    return result


@method("__invert__", typing=None)
def logical_not(x: Any) -> Constant[*tuple[Any, ...]]:
    """``~x`` on a bool mask, as a ``Constant``."""
    result: Constant[*tuple[Any, ...]] = apply(LOGICAL_NOT, unwrap(x))
    return result


def _reflected(prim: Primitive) -> Callable[[Any, Any], Any]:
    """``other op x`` for a number or host array ``other`` on the left of a tensor ``x``."""

    def reflected(x: Any, other: Any) -> Any:
        return apply(prim, other, x)

    return reflected


for _name, _prim in (("add", ADD), ("sub", SUB), ("mul", MUL), ("truediv", DIV), ("pow", POW)):
    method(f"__r{_name}__", typing="reflected_method")(_reflected(_prim))


def _comparison(name: str) -> Callable[[Any, Any], Any]:
    """The operator ``x op other`` of the comparison or logical operation ``name``."""

    def compared(x: Any, other: Any) -> Any:
        return compare(name, x, other)

    return compared


for _operator, _name in (("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                         ("ge", "greater_equal"), ("and", "logical_and"), ("or", "logical_or"),
                         ("xor", "logical_xor")):
    method(f"__{_operator}__", typing="comparison_method")(_comparison(_name))
method("__eq__", typing=None)(_comparison("equal"))
method("__ne__", typing=None)(_comparison("not_equal"))
