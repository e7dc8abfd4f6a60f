"""The Bessel and Airy functions and the orthogonal polynomials of ``torch.special``
(``mu.special``; ``i0`` is also ``mu.i0`` and ``x.i0()``), each a primitive with its gradient.

The Bessel and Airy functions take their values from ``scipy.special`` on the CPU and
``cupyx.scipy.special`` on CuPy, through the helpers of ``mushin/ops/special.py``
(``scipy_forward``, ``library``...). PyTorch does not differentiate them; they are
differentiated here, with the known derivatives written with the function set ``F`` so that
second derivatives work: ``i0' = i1``, ``i0e' = i1e - sign i0e``,
``bessel_j0' = -bessel_j1``, ``airy_ai' = Ai'`` (the primitive ``airy_ai_prime``, whose own
derivative is ``x Ai``)...

The orthogonal polynomials (Chebyshev ``T``, ``U``, ``V``, ``W`` and their shifted forms,
Hermite, Laguerre, Legendre) are primitives of ``(x, n)`` that follow PyTorch's own
recurrences, written with the array module, so they give PyTorch's values bit for bit where it
uses the recurrence. As in PyTorch they are not differentiated, neither in ``x`` nor in the
degree (an integer): their backward raises ``NotImplementedError``.

An integer or bool input gives a float32 result, as PyTorch's default dtype; a float input
keeps its dtype.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from mushin._backend import Array
from mushin._check import rename
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply
from mushin.ops.special import as_floating, float_dtype, library, safe_divisor, scipy_forward

# --- Bessel and Airy functions ----------------------------------------------------------------

I0 = Primitive("i0", scipy_forward("i0", "i0"),
               lambda F, g, inputs, out, parents: (g * F.i1(inputs[0]),))
I0E = Primitive("i0e", scipy_forward("i0e", "i0e"),
                lambda F, g, inputs, out, parents: (
                    g * (F.i1e(inputs[0]) - F.sign(inputs[0]) * out),), saves="both")


def _i1_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * F.where(x == 0, 0.5, F.i0(x) - out / safe_divisor(F, x)),)


def _i1e_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * F.where(x == 0, 0.5, F.i0e(x) - out * (F.sign(x) + 1 / safe_divisor(F, x))),)


I1 = Primitive("i1", scipy_forward("i1", "i1"), _i1_vjp, saves="both")
I1E = Primitive("i1e", scipy_forward("i1e", "i1e"), _i1e_vjp, saves="both")


def _bessel_j1_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * F.where(x == 0, 0.5, F.bessel_j0(x) - out / safe_divisor(F, x)),)


def _bessel_y1_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * (F.bessel_y0(x) - out / x),)


def _k1_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * (-F.modified_bessel_k0(x) - out / x),)


def _k1e_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any]:
    x = inputs[0]
    return (g * (out - F.scaled_modified_bessel_k0(x) - out / x),)


BESSEL_J0 = Primitive("bessel_j0", scipy_forward("bessel_j0", "j0"),
                      lambda F, g, inputs, out, parents: (-g * F.bessel_j1(inputs[0]),))
BESSEL_J1 = Primitive("bessel_j1", scipy_forward("bessel_j1", "j1"), _bessel_j1_vjp, saves="both")
BESSEL_Y0 = Primitive("bessel_y0", scipy_forward("bessel_y0", "y0"),
                      lambda F, g, inputs, out, parents: (-g * F.bessel_y1(inputs[0]),))
BESSEL_Y1 = Primitive("bessel_y1", scipy_forward("bessel_y1", "y1"), _bessel_y1_vjp, saves="both")
MODIFIED_BESSEL_K0 = Primitive("modified_bessel_k0", scipy_forward("modified_bessel_k0", "k0"),
                               lambda F, g, inputs, out, parents: (
                                   -g * F.modified_bessel_k1(inputs[0]),))
MODIFIED_BESSEL_K1 = Primitive("modified_bessel_k1", scipy_forward("modified_bessel_k1", "k1"),
                               _k1_vjp, saves="both")
SCALED_MODIFIED_BESSEL_K0 = Primitive(
    "scaled_modified_bessel_k0", scipy_forward("scaled_modified_bessel_k0", "k0e"),
    lambda F, g, inputs, out, parents: (
        g * (out - F.scaled_modified_bessel_k1(inputs[0])),), saves="both")
SCALED_MODIFIED_BESSEL_K1 = Primitive(
    "scaled_modified_bessel_k1", scipy_forward("scaled_modified_bessel_k1", "k1e"), _k1e_vjp,
    saves="both")


def _spherical_bessel_j0_forward(xp: Any, x: Any) -> Array:
    x = as_floating(xp, "spherical_bessel_j0", x)
    nonzero = xp.where(x == 0, 1, x)
    result = xp.where(x == 0, 1, xp.sin(nonzero) / nonzero)
    return xp.asarray(xp.where(xp.isinf(x), 0, result), dtype=x.dtype)


def _spherical_bessel_j0_vjp(F: Any, g: Any, inputs: Any, out: Any,
                             parents: Any) -> tuple[Any]:
    # (x cos x - sin x) / x^2 = (cos x - j0(x)) / x, and 0 at 0, written there as -x / 3
    # (0, with the second derivative's limit -1/3).
    x = inputs[0]
    return (g * F.where(x == 0, x * (-1 / 3), (F.cos(x) - out) / safe_divisor(F, x)),)


SPHERICAL_BESSEL_J0 = Primitive("spherical_bessel_j0", _spherical_bessel_j0_forward,
                                _spherical_bessel_j0_vjp, saves="both")


def _airy(index: int) -> Callable[..., Array]:
    """The forward of Ai (``index`` 0) or Ai' (1): one output of SciPy's ``airy``."""

    def forward(xp: Any, x: Any) -> Array:
        dtype = float_dtype("airy_ai", x)
        return xp.asarray(library(xp, "airy")(x)[index], dtype=dtype)

    return forward


AIRY_AI_PRIME = Primitive("airy_ai_prime", _airy(1),
                          lambda F, g, inputs, out, parents: (
                              g * inputs[0] * F.airy_ai(inputs[0]),))  # Ai'' = x Ai
AIRY_AI = Primitive("airy_ai", _airy(0),
                    lambda F, g, inputs, out, parents: (g * F.airy_ai_prime(inputs[0]),))


@exported("unary_function")
@exported("unary_function", namespace="special", name="i0")
@exported("unary_function", namespace="special", name="modified_bessel_i0")
@method("i0", typing="same_type_method")
def i0(x: Any) -> Any:
    """The modified Bessel function of the first kind of order 0 (also
    ``mu.special.modified_bessel_i0``); gradient ``i1``."""
    return apply(I0, x)


@exported("unary_function", namespace="special", name="i0e")
def i0e(x: Any) -> Any:
    """The exponentially scaled ``i0``: ``exp(-|x|) * i0(x)``."""
    return apply(I0E, x)


@exported("unary_function", namespace="special", name="i1")
@exported("unary_function", namespace="special", name="modified_bessel_i1")
def i1(x: Any) -> Any:
    """The modified Bessel function of the first kind of order 1 (also
    ``mu.special.modified_bessel_i1``)."""
    return apply(I1, x)


@exported("unary_function", namespace="special", name="i1e")
def i1e(x: Any) -> Any:
    """The exponentially scaled ``i1``: ``exp(-|x|) * i1(x)``."""
    return apply(I1E, x)


@exported("unary_function", namespace="special", name="bessel_j0")
def bessel_j0(x: Any) -> Any:
    """The Bessel function of the first kind of order 0; gradient ``-bessel_j1``."""
    return apply(BESSEL_J0, x)


@exported("unary_function", namespace="special", name="bessel_j1")
def bessel_j1(x: Any) -> Any:
    """The Bessel function of the first kind of order 1."""
    return apply(BESSEL_J1, x)


@exported("unary_function", namespace="special", name="bessel_y0")
def bessel_y0(x: Any) -> Any:
    """The Bessel function of the second kind of order 0 (NaN for x < 0)."""
    return apply(BESSEL_Y0, x)


@exported("unary_function", namespace="special", name="bessel_y1")
def bessel_y1(x: Any) -> Any:
    """The Bessel function of the second kind of order 1 (NaN for x < 0)."""
    return apply(BESSEL_Y1, x)


@exported("unary_function", namespace="special", name="modified_bessel_k0")
def modified_bessel_k0(x: Any) -> Any:
    """The modified Bessel function of the second kind of order 0 (NaN for x < 0)."""
    return apply(MODIFIED_BESSEL_K0, x)


@exported("unary_function", namespace="special", name="modified_bessel_k1")
def modified_bessel_k1(x: Any) -> Any:
    """The modified Bessel function of the second kind of order 1 (NaN for x < 0)."""
    return apply(MODIFIED_BESSEL_K1, x)


@exported("unary_function", namespace="special", name="scaled_modified_bessel_k0")
def scaled_modified_bessel_k0(x: Any) -> Any:
    """``exp(x) * modified_bessel_k0(x)``."""
    return apply(SCALED_MODIFIED_BESSEL_K0, x)


@exported("unary_function", namespace="special", name="scaled_modified_bessel_k1")
def scaled_modified_bessel_k1(x: Any) -> Any:
    """``exp(x) * modified_bessel_k1(x)``."""
    return apply(SCALED_MODIFIED_BESSEL_K1, x)


@exported("unary_function", namespace="special", name="spherical_bessel_j0")
def spherical_bessel_j0(x: Any) -> Any:
    """The spherical Bessel function of the first kind of order 0, ``sin(x) / x`` (1 at 0)."""
    return apply(SPHERICAL_BESSEL_J0, x)


@exported("unary_function", namespace="special", name="airy_ai")
def airy_ai(x: Any) -> Any:
    """The Airy function ``Ai``; gradient ``Ai'`` (whose own is ``x Ai``)."""
    return apply(AIRY_AI, x)


# --- orthogonal polynomials -------------------------------------------------------------------


def _degree(xp: Any, n: Any) -> Array:
    """The degree ``n`` as int64, truncated as PyTorch casts it; NaN, infinite or out-of-range
    degrees as -1 (the value 0, where a C++ cast would be undefined)."""
    n = xp.asarray(n)
    if n.dtype.kind == "f":
        valid = xp.isfinite(n) & (xp.abs(n) < 2.0 ** 62)
        n = xp.where(valid, xp.trunc(xp.where(valid, n, -1)), -1)
    return n.astype("int64")


def _recurrence(xp: Any, n: Array, first: Array, step: Callable[[int, Array, Array], Array],
                skip: Array | None = None) -> Array:
    """``P_n`` of a three-term recurrence for every element: ``P_0 = 1``, ``P_1 = first``,
    ``P_m = step(m, P_(m-1), P_(m-2))``; 0 for ``n < 0``. Elements where ``skip`` holds are
    left out of the loop's length (another formula gives them)."""
    result = xp.where(n == 0, xp.ones_like(first), first)
    steps = n if skip is None else xp.where(skip, 0, n)
    top = int(steps.max()) if steps.size else 0
    previous, current = xp.ones_like(first), first
    for m in range(2, top + 1):
        previous, current = current, step(m, current, previous)
        result = xp.where(steps == m, current, result)
    return xp.where(n < 0, xp.zeros_like(result), result)


def _operands(xp: Any, name: str, x: Any, n: Any) -> tuple[Array, Array]:
    """``x`` in the result's dtype and the degree ``n`` as int64, broadcast together."""
    dtype = float_dtype(name, x, n)
    x, degree = xp.broadcast_arrays(xp.asarray(x, dtype=dtype), _degree(xp, n))
    return x, degree


_CHEBYSHEV_TRIG_FROM = {("t", False): 6, ("u", False): 8, ("v", False): 8, ("w", False): 8,
                        ("t", True): 6, ("u", True): 6, ("v", True): 6, ("w", True): 4}
"""The degree above which PyTorch evaluates a Chebyshev polynomial inside (-1, 1) by its
trigonometric form rather than the recurrence."""


def _chebyshev(kind: str, shifted: bool) -> Callable[..., Array]:
    """The forward of the Chebyshev polynomial of the ``kind`` t, u, v or w (of ``2x - 1``
    when ``shifted``), computed as PyTorch does."""
    name = f"{'shifted_' if shifted else ''}chebyshev_polynomial_{kind}"
    trig_from = _CHEBYSHEV_TRIG_FROM[kind, shifted]

    def forward(xp: Any, x: Any, n: Any) -> Array:
        x, n = _operands(xp, name, x, n)
        y = x + x - 1 if shifted else x
        first = {"t": y, "u": y + y, "v": y + y - 1, "w": y + y + 1}[kind]
        inside = (xp.abs(y) < 1) & (n > trig_from)
        result = _recurrence(xp, n, first, lambda m, q, p: (y + y) * q - p, skip=inside)
        theta = xp.arccos(xp.clip(y, -1, 1))
        degree = n.astype(x.dtype)
        if kind == "t":
            trig = xp.cos(degree * theta)
        elif kind == "u":
            trig = xp.sin((degree + 1) * theta) / xp.where(inside, xp.sin(theta), 1)
        elif kind == "v":
            trig = xp.cos((degree + 0.5) * theta) / xp.where(inside, xp.cos(theta / 2), 1)
        else:
            trig = xp.sin((degree + 0.5) * theta) / xp.where(inside, xp.sin(theta / 2), 1)
        result = xp.where(inside, trig, result)
        sign = xp.where(n % 2 == 0, 1, -1).astype(x.dtype)
        at_one = {"t": 1, "u": n + 1, "v": 1, "w": n + n + 1}[kind]
        at_minus_one = sign * {"t": 1, "u": n + 1, "v": n + n + 1, "w": 1}[kind]
        result = xp.where(y == 1, at_one, xp.where(y == -1, at_minus_one, result))
        return xp.asarray(xp.where(n < 0, 0, result), dtype=x.dtype)

    return forward


def _hermite(physicists: bool) -> Callable[..., Array]:
    """The forward of the Hermite polynomial ``H_n`` (``physicists``) or ``He_n``, NaN above
    PyTorch's largest degree (512 in float64, 128 in float32)."""

    def forward(xp: Any, x: Any, n: Any) -> Array:
        x, n = _operands(xp, "hermite_polynomial_h" if physicists else "hermite_polynomial_he",
                         x, n)
        limit = {"float64": 512, "float32": 128}.get(x.dtype.name, 1024)
        too_high = n > limit
        if physicists:
            result = _recurrence(xp, n, x + x, lambda m, q, p: (x + x) * q - (2 * (m - 1)) * p,
                                 skip=too_high)
        else:
            result = _recurrence(xp, n, x, lambda m, q, p: x * q - (m - 1) * p, skip=too_high)
        return xp.asarray(xp.where(too_high, math.nan, result), dtype=x.dtype)

    return forward


def _laguerre_forward(xp: Any, x: Any, n: Any) -> Array:
    x, n = _operands(xp, "laguerre_polynomial_l", x, n)
    result = _recurrence(xp, n, 1 - x,
                         lambda m, q, p: ((2 * (m - 1) + (1 - x)) * q - (m - 1) * p) / m)
    return xp.asarray(xp.where((x == 0) & (n >= 0), 1, result), dtype=x.dtype)


def _legendre_forward(xp: Any, x: Any, n: Any) -> Array:
    x, n = _operands(xp, "legendre_polynomial_p", x, n)
    result = _recurrence(xp, n, x, lambda m, q, p: ((2 * m - 1) * x * q - (m - 1) * p) / m)
    sign = xp.where(n % 2 == 0, 1, -1)
    result = xp.where((xp.abs(x) == 1) & (n >= 0), xp.where(x > 0, 1, sign), result)
    return xp.asarray(result, dtype=x.dtype)


def _no_derivative(name: str) -> Callable[..., tuple[Any, Any]]:
    """The VJP of a polynomial: PyTorch defines no derivative in ``x`` or in the degree."""

    def vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, Any]:
        raise NotImplementedError(f"{name}: the derivative is not implemented (PyTorch has "
                                  "none either)")

    return vjp


def _polynomial(name: str, forward: Callable[..., Array]) -> Primitive:
    return Primitive(name, forward, _no_derivative(name), saves="none")


CHEBYSHEV_POLYNOMIAL_T = _polynomial("chebyshev_polynomial_t", _chebyshev("t", False))
CHEBYSHEV_POLYNOMIAL_U = _polynomial("chebyshev_polynomial_u", _chebyshev("u", False))
CHEBYSHEV_POLYNOMIAL_V = _polynomial("chebyshev_polynomial_v", _chebyshev("v", False))
CHEBYSHEV_POLYNOMIAL_W = _polynomial("chebyshev_polynomial_w", _chebyshev("w", False))
SHIFTED_CHEBYSHEV_POLYNOMIAL_T = _polynomial("shifted_chebyshev_polynomial_t",
                                             _chebyshev("t", True))
SHIFTED_CHEBYSHEV_POLYNOMIAL_U = _polynomial("shifted_chebyshev_polynomial_u",
                                             _chebyshev("u", True))
SHIFTED_CHEBYSHEV_POLYNOMIAL_V = _polynomial("shifted_chebyshev_polynomial_v",
                                             _chebyshev("v", True))
SHIFTED_CHEBYSHEV_POLYNOMIAL_W = _polynomial("shifted_chebyshev_polynomial_w",
                                             _chebyshev("w", True))
HERMITE_POLYNOMIAL_H = _polynomial("hermite_polynomial_h", _hermite(True))
HERMITE_POLYNOMIAL_HE = _polynomial("hermite_polynomial_he", _hermite(False))
LAGUERRE_POLYNOMIAL_L = _polynomial("laguerre_polynomial_l", _laguerre_forward)
LEGENDRE_POLYNOMIAL_P = _polynomial("legendre_polynomial_p", _legendre_forward)


def _polynomial_function(prim: Primitive, doc: str) -> Callable[[Any, Any], Any]:
    """The public function of a polynomial primitive: ``(x, n)``, ``n`` truncated to an int."""

    def polynomial(x: Any, n: Any) -> Any:
        return apply(prim, x, n)

    polynomial.__doc__ = (f"{doc} of degree ``n`` (a number or a tensor, truncated to an "
                          "integer; 0 for n < 0), as PyTorch computes it. Not differentiable.")
    return rename(polynomial, prim.name)


chebyshev_polynomial_t = _polynomial_function(
    CHEBYSHEV_POLYNOMIAL_T, "The Chebyshev polynomial of the first kind ``T_n(x)``")
chebyshev_polynomial_u = _polynomial_function(
    CHEBYSHEV_POLYNOMIAL_U, "The Chebyshev polynomial of the second kind ``U_n(x)``")
chebyshev_polynomial_v = _polynomial_function(
    CHEBYSHEV_POLYNOMIAL_V, "The Chebyshev polynomial of the third kind ``V_n(x)``")
chebyshev_polynomial_w = _polynomial_function(
    CHEBYSHEV_POLYNOMIAL_W, "The Chebyshev polynomial of the fourth kind ``W_n(x)``")
shifted_chebyshev_polynomial_t = _polynomial_function(
    SHIFTED_CHEBYSHEV_POLYNOMIAL_T, "The shifted Chebyshev polynomial ``T_n(2x - 1)``")
shifted_chebyshev_polynomial_u = _polynomial_function(
    SHIFTED_CHEBYSHEV_POLYNOMIAL_U, "The shifted Chebyshev polynomial ``U_n(2x - 1)``")
shifted_chebyshev_polynomial_v = _polynomial_function(
    SHIFTED_CHEBYSHEV_POLYNOMIAL_V, "The shifted Chebyshev polynomial ``V_n(2x - 1)``")
shifted_chebyshev_polynomial_w = _polynomial_function(
    SHIFTED_CHEBYSHEV_POLYNOMIAL_W, "The shifted Chebyshev polynomial ``W_n(2x - 1)``")
hermite_polynomial_h = _polynomial_function(
    HERMITE_POLYNOMIAL_H, "The physicists' Hermite polynomial ``H_n(x)`` (NaN above degree "
    "512 in float64, 128 in float32)")
hermite_polynomial_he = _polynomial_function(
    HERMITE_POLYNOMIAL_HE, "The probabilists' Hermite polynomial ``He_n(x)`` (NaN above "
    "degree 512 in float64, 128 in float32)")
laguerre_polynomial_l = _polynomial_function(
    LAGUERRE_POLYNOMIAL_L, "The Laguerre polynomial ``L_n(x)``")
legendre_polynomial_p = _polynomial_function(
    LEGENDRE_POLYNOMIAL_P, "The Legendre polynomial ``P_n(x)``")
for _function in (chebyshev_polynomial_t, chebyshev_polynomial_u, chebyshev_polynomial_v,
                  chebyshev_polynomial_w, shifted_chebyshev_polynomial_t,
                  shifted_chebyshev_polynomial_u, shifted_chebyshev_polynomial_v,
                  shifted_chebyshev_polynomial_w, hermite_polynomial_h, hermite_polynomial_he,
                  laguerre_polynomial_l, legendre_polynomial_p):
    exported("binary_function", namespace="special")(_function)
