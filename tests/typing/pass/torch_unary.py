# pyright: strict
"""What the checkers infer for the unary operations of PyTorch (``mushin.ops.unary``): the
operand's kind and shape for the elementwise functions and their methods, a ``Constant``
for the predicates.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu

B = L[4]
N = L[5]
Mask = mu.Constant[*tuple[Any, ...]]


def functions() -> None:
    """``mu.X(x)`` keeps the kind and shape of ``x``."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.acos(mu.tanh(x)), mu.Variable[B, N])
    assert_type(mu.arccos(mu.tanh(c)), mu.Constant[B, N])
    assert_type(mu.asinh(x), mu.Variable[B, N])
    assert_type(mu.arctanh(mu.tanh(c) * 0.5), mu.Constant[B, N])
    assert_type(mu.arctan(x), mu.Variable[B, N])
    assert_type(mu.cosh(x) + mu.sinh(x) + mu.tan(x), mu.Variable[B, N])
    assert_type(mu.exp2(x) + mu.expm1(x) + mu.log1p(x * x), mu.Variable[B, N])
    assert_type(mu.log2(mu.abs(c) + 1.0), mu.Constant[B, N])
    assert_type(mu.log10(mu.square(x) + 1.0), mu.Variable[B, N])
    assert_type(mu.rsqrt(mu.reciprocal(mu.square(x) + 1.0)), mu.Variable[B, N])
    assert_type(mu.deg2rad(mu.rad2deg(x)), mu.Variable[B, N])
    assert_type(mu.ceil(x) + mu.floor(x) + mu.trunc(x) + mu.fix(x), mu.Variable[B, N])
    assert_type(mu.round(x), mu.Variable[B, N])
    assert_type(mu.round(c, decimals=2), mu.Constant[B, N])
    assert_type(mu.frac(x), mu.Variable[B, N])
    assert_type(mu.sign(x) + mu.sgn(x) + mu.angle(x), mu.Variable[B, N])
    assert_type(mu.nan_to_num(x, nan=0.0, posinf=1.0), mu.Variable[B, N])
    assert_type(mu.positive(x), mu.Variable[B, N])
    assert_type(mu.negative(c), mu.Constant[B, N])
    assert_type(mu.absolute(x), mu.Variable[B, N])
    assert_type(mu.conj(x), mu.Variable[B, N])
    assert_type(mu.conj_physical(c), mu.Constant[B, N])
    assert_type(mu.resolve_conj(x), mu.Variable[B, N])
    assert_type(mu.resolve_neg(x), mu.Variable[B, N])
    assert_type(mu.real(x), mu.Variable[B, N])
    assert_type(mu.acos(np.array([0.5])), mu.Constant[*tuple[Any, ...]])


def predicates() -> None:
    """The predicates and ``signbit`` give bool ``Constant``s."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    assert_type(mu.isfinite(x), Mask)
    assert_type(mu.isinf(x), Mask)
    assert_type(mu.isnan(x.freeze()), Mask)
    assert_type(mu.isposinf(x), Mask)
    assert_type(mu.isneginf(x), Mask)
    assert_type(mu.isreal(x), Mask)
    assert_type(mu.signbit(x), Mask)
    assert_type(x.isnan(), Mask)
    assert_type(x.signbit(), Mask)


def methods() -> None:
    """``x.X()`` keeps the kind and shape of ``x``."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.tanh(x).acos(), mu.Variable[B, N])
    assert_type(mu.tanh(c).arcsin(), mu.Constant[B, N])
    assert_type(x.asinh() + x.arcsinh() + x.arctan() + x.tan(), mu.Variable[B, N])
    assert_type((x * x + 2.0).acosh(), mu.Variable[B, N])
    assert_type(x.exp2() + x.expm1() + x.square(), mu.Variable[B, N])
    assert_type(x.round(decimals=1), mu.Variable[B, N])
    assert_type(c.nan_to_num(posinf=1.0), mu.Constant[B, N])
    assert_type(x.ceil().floor().trunc().fix().frac(), mu.Variable[B, N])
    assert_type(x.sign() + x.sgn() + x.angle(), mu.Variable[B, N])
    assert_type(x.positive() + x.negative() + x.absolute(), mu.Variable[B, N])
    assert_type(x.conj().conj_physical().resolve_conj().resolve_neg(), mu.Variable[B, N])


def main() -> None:
    functions()
    predicates()
    methods()


if __name__ == "__main__":
    main()
