# pyright: strict
"""What the checkers infer for the special functions (``mushin.ops.special``,
``mushin.ops.bessel``, ``mu.special``) and the activations of ``mu.nn.functional``: the
operand's kind and shape for the elementwise functions, softmax and their methods; a run-time
shape where the shape changes (``glu``) or two operands of any shapes meet (``polygamma``'s
order and operand, ``prelu``).

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import mushin as mu
import mushin.nn.functional as F

B = L[4]
N = L[5]
Runtime = mu.Variable[*tuple[Any, ...]]


def special_functions() -> None:
    """``mu.X(x)`` and ``mu.special.X(x)`` keep the kind and shape of ``x``."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    unit = mu.tanh(x) * 0.5
    assert_type(mu.erf(x) + mu.erfc(x) + mu.erfinv(unit), mu.Variable[B, N])
    assert_type(mu.special.erfcx(c), mu.Constant[B, N])
    assert_type(mu.lgamma(x * x + 1.0) + mu.digamma(x * x + 1.0), mu.Variable[B, N])
    assert_type(mu.special.gammaln(c * c + 1.0), mu.Constant[B, N])
    assert_type(mu.special.psi(c * c + 1.0), mu.Constant[B, N])
    assert_type(mu.mvlgamma(x * x + 2.0, 2), mu.Variable[B, N])
    assert_type(mu.special.multigammaln(c * c + 2.0, p=3), mu.Constant[B, N])
    assert_type(mu.polygamma(1, x * x + 1.0), Runtime)
    assert_type(mu.i0(x) + mu.special.i0e(x) + mu.special.i1(x) + mu.special.i1e(x),
                mu.Variable[B, N])
    assert_type(mu.special.ndtr(x) + mu.special.log_ndtr(x), mu.Variable[B, N])
    assert_type(mu.special.ndtri(mu.sigmoid(c)), mu.Constant[B, N])
    assert_type(mu.special.bessel_j0(x) + mu.special.bessel_y1(x * x + 1.0), mu.Variable[B, N])
    assert_type(mu.special.modified_bessel_k0(c * c + 1.0), mu.Constant[B, N])
    assert_type(mu.special.scaled_modified_bessel_k1(x * x + 1.0), mu.Variable[B, N])
    assert_type(mu.special.spherical_bessel_j0(x) + mu.special.airy_ai(x), mu.Variable[B, N])
    assert_type(mu.sinc(x) + mu.special.entr(x * x), mu.Variable[B, N])
    assert_type(mu.logit(mu.sigmoid(x), eps=1e-6), mu.Variable[B, N])
    assert_type(mu.special.expit(c), mu.Constant[B, N])
    assert_type(mu.special.xlog1py(x, c), mu.Variable[B, N])
    assert_type(mu.special.xlogy(c, c * c + 1.0), mu.Constant[B, N])
    assert_type(mu.special.zeta(c + 3.0, c * c + 1.0), mu.Constant[B, N])
    assert_type(mu.special.chebyshev_polynomial_t(x, 3), mu.Variable[B, N])
    assert_type(mu.special.legendre_polynomial_p(c, 2.0), mu.Constant[B, N])


def softmax_and_methods() -> None:
    """``softmax`` and ``log_softmax`` keep the kind and shape; so do the methods."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.softmax(x, 1), mu.Variable[B, N])
    assert_type(mu.log_softmax(c, dim=0, dtype=mu.float64), mu.Constant[B, N])
    assert_type(mu.special.softmax(x, -1), mu.Variable[B, N])
    assert_type(mu.special.log_softmax(c, 1), mu.Constant[B, N])
    assert_type(x.softmax(1) + x.log_softmax(dim=0), mu.Variable[B, N])
    assert_type(x.sigmoid() + x.erf() + x.erfc() + x.lgamma() + x.digamma() + x.i0(),
                mu.Variable[B, N])
    assert_type(c.sinc() + c.logit(eps=0.01) + c.mvlgamma(1) + c.polygamma(2), mu.Constant[B, N])
    assert_type(mu.sigmoid(x).erfinv(), mu.Variable[B, N])


def activations() -> None:
    """The activations of ``mu.nn.functional`` keep the kind and shape, but ``glu`` (half an
    axis) and ``prelu`` (two operands)."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(F.relu(x, inplace=False) + F.relu6(x) + F.elu(x, 0.5) + F.selu(x),
                mu.Variable[B, N])
    assert_type(F.celu(c, alpha=2.0) + F.leaky_relu(c, 0.1), mu.Constant[B, N])
    assert_type(F.rrelu(x, 0.1, 0.3, training=False), mu.Variable[B, N])
    assert_type(F.gelu(x, approximate="tanh") + F.silu(x) + F.mish(x), mu.Variable[B, N])
    assert_type(F.softplus(c, beta=2.0, threshold=10.0) + F.softsign(c), mu.Constant[B, N])
    assert_type(F.softshrink(x, 0.5) + F.hardshrink(x, lambd=0.5) + F.tanhshrink(x),
                mu.Variable[B, N])
    assert_type(F.hardtanh(x, -2.0, 2.0) + F.hardswish(x) + F.hardsigmoid(x),
                mu.Variable[B, N])
    assert_type(F.logsigmoid(c) + F.threshold(c, 0.1, 20.0), mu.Constant[B, N])
    assert_type(F.softmax(x, 1) + F.log_softmax(x, dim=1) + F.softmin(x, 0), mu.Variable[B, N])
    assert_type(F.sigmoid(c) + F.tanh(c), mu.Constant[B, N])
    assert_type(F.glu(x, dim=0), Runtime)
    assert_type(F.prelu(x, mu.constant([0.25])), Runtime)


def main() -> None:
    special_functions()
    softmax_and_methods()
    activations()


if __name__ == "__main__":
    main()
