"""Special functions (``mu.special``, ``mu.erf``...) and the activations of
``mu.nn.functional`` against PyTorch in float64: values, first and second derivatives, the
method forms, dtype rules and every error message. (PyTorch's own sample inputs run in
``tests/op_db.py``; this file covers what those do not.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import scipy.special

import mushin as mu
import mushin.nn.functional as MF
from mushin.testing import gradcheck

torch = pytest.importorskip("torch")
TF = torch.nn.functional
TS = torch.special

RNG = np.random.default_rng(0)
WIDE = np.concatenate([np.linspace(-9.5, 9.5, 39), [0.0, -0.0, 1e-9, 5.001, 20.0, -30.0]])
POSITIVE = np.linspace(0.05, 12.0, 31)
UNIT = np.linspace(-0.98, 0.98, 25)
PROBABILITY = np.linspace(0.01, 0.99, 25)


def _close(got: Any, want: Any, rtol: float = 1e-9, atol: float = 1e-12) -> None:
    want = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    have = got.numpy() if isinstance(got, mu.Tensor) else np.asarray(got)
    assert have.shape == want.shape
    np.testing.assert_allclose(have, want, rtol=rtol, atol=atol, equal_nan=True)


# (mushin function, torch function, inputs): elementwise functions of one tensor
UNARY: list[tuple[str, Callable[..., Any], Callable[..., Any], np.ndarray]] = [
    ("erf", mu.erf, torch.erf, WIDE),
    ("erfc", mu.erfc, torch.erfc, WIDE),
    ("special.erfcx", mu.special.erfcx, TS.erfcx, WIDE),
    ("erfinv", mu.erfinv, torch.erfinv, UNIT),
    ("special.ndtr", mu.special.ndtr, TS.ndtr, WIDE),
    ("special.ndtri", mu.special.ndtri, TS.ndtri, PROBABILITY),
    ("special.log_ndtr", mu.special.log_ndtr, TS.log_ndtr, WIDE),
    ("lgamma", mu.lgamma, torch.lgamma, WIDE + 0.25),
    ("special.gammaln", mu.special.gammaln, TS.gammaln, POSITIVE),
    ("digamma", mu.digamma, torch.digamma, WIDE + 0.25),
    ("special.psi", mu.special.psi, TS.psi, POSITIVE),
    ("i0", mu.i0, torch.i0, WIDE),
    ("special.i0e", mu.special.i0e, TS.i0e, WIDE),
    ("special.i1", mu.special.i1, TS.i1, WIDE),
    ("special.i1e", mu.special.i1e, TS.i1e, WIDE),
    ("special.modified_bessel_i0", mu.special.modified_bessel_i0, TS.modified_bessel_i0, WIDE),
    ("special.modified_bessel_i1", mu.special.modified_bessel_i1, TS.modified_bessel_i1, WIDE),
    ("special.modified_bessel_k0", mu.special.modified_bessel_k0, TS.modified_bessel_k0,
     POSITIVE),
    ("special.modified_bessel_k1", mu.special.modified_bessel_k1, TS.modified_bessel_k1,
     POSITIVE),
    ("special.scaled_modified_bessel_k0", mu.special.scaled_modified_bessel_k0,
     TS.scaled_modified_bessel_k0, POSITIVE),
    ("special.scaled_modified_bessel_k1", mu.special.scaled_modified_bessel_k1,
     TS.scaled_modified_bessel_k1, POSITIVE),
    ("special.bessel_j0", mu.special.bessel_j0, TS.bessel_j0, POSITIVE[POSITIVE < 5]),
    ("special.bessel_j1", mu.special.bessel_j1, TS.bessel_j1, POSITIVE[POSITIVE < 5]),
    ("special.bessel_y0", mu.special.bessel_y0, TS.bessel_y0, POSITIVE[POSITIVE < 5]),
    ("special.bessel_y1", mu.special.bessel_y1, TS.bessel_y1, POSITIVE[POSITIVE < 5]),
    ("special.spherical_bessel_j0", mu.special.spherical_bessel_j0, TS.spherical_bessel_j0,
     WIDE),
    ("special.airy_ai", mu.special.airy_ai, TS.airy_ai, WIDE),
    ("sinc", mu.sinc, torch.sinc, WIDE),
    ("special.entr", mu.special.entr, TS.entr, np.concatenate([[-1.0, 0.0], POSITIVE])),
    ("sigmoid", mu.sigmoid, torch.sigmoid, WIDE),
    ("special.expit", mu.special.expit, TS.expit, WIDE),
    ("logit", mu.logit, torch.logit, PROBABILITY),
]
UNARY_IDS = [case[0] for case in UNARY]
NOT_DIFFERENTIATED_BY_TORCH = {"special.modified_bessel_i0", "special.modified_bessel_i1",
                               "special.modified_bessel_k0", "special.modified_bessel_k1",
                               "special.scaled_modified_bessel_k0",
                               "special.scaled_modified_bessel_k1", "special.bessel_j0",
                               "special.bessel_j1", "special.bessel_y0", "special.bessel_y1",
                               "special.spherical_bessel_j0", "special.airy_ai"}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize(("name", "function", "reference", "values"), UNARY, ids=UNARY_IDS)
def test_values_and_gradients_match_torch(name: str, function: Callable[..., Any],
                                          reference: Callable[..., Any],
                                          values: np.ndarray) -> None:
    x = mu.variable(values, dtype="float64")
    got = function(x)
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    want = reference(t)
    # PyTorch's own Bessel J and Y approximations are good to about 1e-8 (SciPy's, to 1e-15)
    # and its Airy function to about 1e-6 (at x = -2.5)
    loose = name.startswith(("special.bessel", "special.airy"))
    _close(got, want, rtol=1e-5 if loose else 1e-9, atol=1e-6 if loose else 1e-12)
    if name in NOT_DIFFERENTIATED_BY_TORCH:
        return
    cotangent = RNG.standard_normal(values.shape)
    (got * mu.constant(cotangent)).sum().backward()
    (expected,) = torch.autograd.grad(want, t, torch.from_numpy(cotangent))
    _close(x.grad(), expected, rtol=1e-7, atol=1e-10)


# the derivatives PyTorch lacks, against SciPy's derivative functions
BESSEL_DERIVATIVES: list[tuple[Callable[..., Any], Callable[[np.ndarray], np.ndarray]]] = [
    (mu.special.bessel_j0, lambda x: scipy.special.jvp(0, x)),
    (mu.special.bessel_j1, lambda x: scipy.special.jvp(1, x)),
    (mu.special.bessel_y0, lambda x: scipy.special.yvp(0, x)),
    (mu.special.bessel_y1, lambda x: scipy.special.yvp(1, x)),
    (mu.special.modified_bessel_k0, lambda x: scipy.special.kvp(0, x)),
    (mu.special.modified_bessel_k1, lambda x: scipy.special.kvp(1, x)),
    (mu.special.scaled_modified_bessel_k0,
     lambda x: np.exp(x) * (scipy.special.k0(x) + scipy.special.kvp(0, x))),
    (mu.special.scaled_modified_bessel_k1,
     lambda x: np.exp(x) * (scipy.special.k1(x) + scipy.special.kvp(1, x))),
    (mu.special.spherical_bessel_j0,
     lambda x: scipy.special.spherical_jn(0, x, derivative=True)),
    (mu.special.airy_ai, lambda x: scipy.special.airy(x)[1]),
]


@pytest.mark.parametrize(("function", "derivative"), BESSEL_DERIVATIVES)
def test_bessel_and_airy_gradients_match_scipy(function: Callable[..., Any],
                                               derivative: Callable[[np.ndarray], np.ndarray]
                                               ) -> None:
    x = mu.variable(POSITIVE, dtype="float64")
    function(x).sum().backward()
    _close(x.grad(), derivative(POSITIVE), rtol=1e-9)


def test_gradients_at_zero_follow_the_limits() -> None:
    x = mu.variable([0.0, 0.0, 0.0, 0.0, 0.0], dtype="float64")
    for function, limit in ((mu.special.i1, 0.5), (mu.special.i1e, 0.5),
                            (mu.special.bessel_j1, 0.5), (mu.sinc, 0.0),
                            (mu.special.spherical_bessel_j0, 0.0)):
        x.reset()
        function(x).sum().backward()
        np.testing.assert_allclose(x.grad().numpy(), limit)
    # second derivatives at 0: the limits (PyTorch's sinc gives NaN there)
    for function, limit in ((mu.sinc, -np.pi ** 2 / 3), (mu.special.spherical_bessel_j0, -1 / 3)):
        x.reset()
        function(x).sum().backward(create_graph=True)
        gradient = x.grad()
        x.reset()
        gradient.sum().backward()
        np.testing.assert_allclose(x.grad().numpy(), limit)


SECOND_ORDER: list[tuple[Callable[..., Any], Callable[..., Any], np.ndarray]] = [
    (mu.erf, torch.erf, WIDE[:10] / 3),
    (mu.erfinv, torch.erfinv, UNIT),
    (mu.lgamma, torch.lgamma, POSITIVE),
    (mu.digamma, torch.digamma, POSITIVE),
    (mu.i0, torch.i0, WIDE[:12] / 2),
    (mu.special.i0e, TS.i0e, POSITIVE),
    (mu.special.ndtri, TS.ndtri, PROBABILITY),
    (mu.special.log_ndtr, TS.log_ndtr, WIDE[:12]),
    (lambda x: mu.polygamma(2, x), lambda x: torch.polygamma(2, x), POSITIVE),
    (lambda x: mu.mvlgamma(x, 3), lambda x: torch.mvlgamma(x, 3), POSITIVE + 1.5),
    (mu.sigmoid, torch.sigmoid, WIDE),
    (lambda x: mu.softmax(x, 0), lambda x: torch.softmax(x, 0), WIDE[:8]),
    (lambda x: mu.log_softmax(x, 0), lambda x: torch.log_softmax(x, 0), WIDE[:8]),
    (lambda x: MF.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"), WIDE),
    (MF.gelu, TF.gelu, WIDE),
    (MF.logsigmoid, TF.logsigmoid, WIDE),
    (MF.mish, TF.mish, WIDE),
    (MF.selu, TF.selu, WIDE + 0.01),  # PyTorch's second derivative at 0 is its right one
    (MF.hardswish, TF.hardswish, WIDE + 0.01),
]


@pytest.mark.parametrize(("function", "reference", "values"), SECOND_ORDER)
def test_second_derivatives_match_torch(function: Callable[..., Any],
                                        reference: Callable[..., Any],
                                        values: np.ndarray) -> None:
    x = mu.variable(values, dtype="float64")
    y = function(x).sum()
    y.backward(create_graph=True)
    gradient = x.grad()
    x.reset()
    gradient.sum().backward()
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    (torch_first,) = torch.autograd.grad(reference(t).sum(), t, create_graph=True)
    (torch_second,) = torch.autograd.grad(torch_first.sum(), t)
    _close(gradient, torch_first, rtol=1e-8, atol=1e-10)
    _close(x.grad(), torch_second, rtol=1e-6, atol=1e-8)


# --- functions with parameters ----------------------------------------------------------------

def test_polygamma_mvlgamma_logit_and_methods() -> None:
    values = POSITIVE
    t = torch.tensor(values, dtype=torch.float64)
    x = mu.constant(values, dtype="float64")
    for n in range(4):
        _close(mu.polygamma(n, x), torch.polygamma(n, t))
        _close(mu.special.polygamma(n, x), TS.polygamma(n, t))
        _close(x.polygamma(n), t.polygamma(n))
    for p in (1, 2, 4):
        _close(mu.mvlgamma(x + 2, p), torch.mvlgamma(t + 2, p))
        _close(mu.special.multigammaln(x + 2, p), TS.multigammaln(t + 2, p))
        _close((x + 2).mvlgamma(p), (t + 2).mvlgamma(p))
    probabilities = np.array([-0.5, 0.0, 0.05, 0.3, 0.97, 1.0, 1.5])
    tp = torch.tensor(probabilities, requires_grad=True)
    for eps in (None, 0.1, -1.0):
        xp = mu.variable(probabilities, dtype="float64")
        got = mu.logit(xp, eps) if eps is None else xp.logit(eps=eps)
        want = torch.logit(tp, eps)
        _close(got, want)
        got.sum().backward()
        (expected,) = torch.autograd.grad(want.sum(), tp)
        _close(xp.grad(), expected)
    for method, reference in (("erf", "erf"), ("erfc", "erfc"), ("lgamma", "lgamma"),
                              ("digamma", "digamma"), ("i0", "i0"), ("sinc", "sinc"),
                              ("sigmoid", "sigmoid")):
        _close(getattr(x, method)(), getattr(t, reference)())
    _close(mu.constant(UNIT).erfinv(), torch.tensor(UNIT).erfinv())


def test_xlogy_xlog1py_and_zeta_broadcast_and_differentiate() -> None:
    for ours, theirs, x_values, y_values in (
            (mu.special.xlog1py, TS.xlog1py,
             np.array([[0.0, 1.5, -2.0, 0.0], [0.0, 0.0, 3.0, 1.0]]),
             np.array([-1.0, -2.0, 2.5, 0.5])),
            (mu.special.xlogy, TS.xlogy, np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]]),
             np.array([-1.0, 0.0, 2.5]))):
        x = mu.variable(x_values, dtype="float64")
        y = mu.variable(y_values, dtype="float64")
        tx = torch.tensor(x_values, requires_grad=True)
        ty = torch.tensor(y_values, requires_grad=True)
        got, want = ours(x, y), theirs(tx, ty)
        _close(got, want)
        cotangent = RNG.standard_normal(x_values.shape)
        (got * mu.constant(cotangent)).sum().backward()
        expected = torch.autograd.grad(want, (tx, ty), torch.from_numpy(cotangent))
        _close(x.grad(), expected[0])
        _close(y.grad(), expected[1])
    s = np.array([1.5, 2.0, 3.0, 4.5])
    q = mu.variable([0.5, 1.0, 2.0, 7.0], dtype="float64")
    got = mu.special.zeta(mu.constant(s), q)
    _close(got, TS.zeta(torch.tensor(s), torch.tensor(q.numpy())))
    got.sum().backward()
    _close(q.grad(), -s * scipy.special.zeta(s + 1, q.numpy()))
    _close(mu.special.zeta(2.0, mu.constant([1.0, 2.0], dtype="float64")),
           TS.zeta(2.0, torch.tensor([1.0, 2.0], dtype=torch.float64)))


POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
               "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
               "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h",
               "hermite_polynomial_he", "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("name", POLYNOMIALS)
def test_polynomials_match_torch(name: str) -> None:
    x = np.concatenate([np.linspace(-1.5, 1.5, 13), [-1.0, 0.0, 1.0, 0.5, 3.0]])[:, None]
    n = np.array([-2.0, 0.0, 1.0, 2.0, 3.7, 5.0, 7.0, 9.0, 12.0, 30.0, np.nan, 600.0])
    got = getattr(mu.special, name)(mu.constant(x), mu.constant(n))
    want = getattr(TS, name)(torch.tensor(x), torch.tensor(n))
    _close(got, want, rtol=1e-9, atol=1e-9)
    # an int degree, and float32 staying float32
    single = getattr(mu.special, name)(mu.constant(x.astype(np.float32)), 4)
    assert single.dtype == np.float32
    _close(single, getattr(TS, name)(torch.tensor(x.astype(np.float32)), 4), rtol=1e-5,
           atol=1e-5)
    with pytest.raises(NotImplementedError, match=name):
        getattr(mu.special, name)(mu.variable(x), 3).sum().backward()


def test_dtypes_float32_stays_and_integers_become_float32() -> None:
    small = mu.constant(np.array([0.25, 0.5], dtype=np.float32))
    for function in (mu.erf, mu.erfc, mu.lgamma, mu.digamma, mu.i0, mu.sinc, mu.sigmoid,
                     mu.special.ndtr, mu.special.i1e, mu.special.bessel_j0,
                     mu.special.airy_ai, mu.special.entr, mu.logit,
                     lambda x: mu.softmax(x, 0), lambda x: mu.polygamma(1, x),
                     lambda x: mu.special.xlog1py(x, 2.0)):
        assert function(small).dtype == np.float32
        assert function(mu.constant(np.array([1, 2]))).dtype == np.float32
    half = mu.constant(np.array([0.5], dtype=np.float16))
    assert mu.erf(half).dtype == np.float16


def test_special_namespace_reexports() -> None:
    x = mu.constant([0.5, 1.5])
    for name in ("exp2", "expm1", "log1p", "round"):
        _close(getattr(mu.special, name)(x), getattr(TS, name)(torch.tensor([0.5, 1.5])),
               rtol=1e-6)
    _close(mu.special.logsumexp(x, 0), TS.logsumexp(torch.tensor([0.5, 1.5]), 0), rtol=1e-6)


# --- softmax family ---------------------------------------------------------------------------

def test_softmax_dim_axis_dtype_empty_and_0d() -> None:
    values = RNG.standard_normal((3, 4, 5))
    t = torch.tensor(values)
    x = mu.constant(values, dtype="float64")
    for dim in (0, 1, -1):
        _close(mu.softmax(x, dim), torch.softmax(t, dim))
        _close(mu.softmax(x, axis=dim), torch.softmax(t, dim))
        _close(x.softmax(dim), t.softmax(dim))
        _close(x.log_softmax(dim=dim), t.log_softmax(dim))
        _close(mu.special.softmax(x, dim), TS.softmax(t, dim))
        _close(mu.special.log_softmax(x, dim), TS.log_softmax(t, dim))
        _close(MF.softmin(x, dim), TF.softmin(t, dim))
        _close(MF.log_softmax(x, dim), TF.log_softmax(t, dim))
        _close(MF.logsoftmax(x, axis=dim), TF.log_softmax(t, dim))
    _close(mu.softmax(x), torch.softmax(t, -1))
    converted = mu.softmax(mu.constant(values.astype(np.float32)), 1, dtype=mu.float64)
    assert converted.dtype == np.float64
    assert mu.log_softmax(mu.constant(values.astype(np.float32)), 1).dtype == np.float32
    empty = mu.variable(np.zeros((5, 0, 0)))
    result = mu.softmax(empty, -1)
    assert result.shape == (5, 0, 0)
    result.sum().backward()
    assert empty.grad().shape == (5, 0, 0)
    assert MF.log_softmax(mu.constant(np.zeros((2, 0))), 1).shape == (2, 0)
    scalar = mu.variable(3.0, dtype="float64")
    _close(mu.softmax(scalar, 0), torch.softmax(torch.tensor(3.0), 0))
    _close(mu.log_softmax(scalar, -1), torch.tensor(0.0))


# --- nn.functional activations ----------------------------------------------------------------

ACTIVATIONS: list[tuple[str, Callable[..., Any], Callable[..., Any]]] = [
    ("relu", MF.relu, TF.relu),
    ("relu6", MF.relu6, TF.relu6),
    ("elu", lambda x: MF.elu(x, 0.7), lambda x: TF.elu(x, 0.7)),
    ("selu", MF.selu, TF.selu),
    ("celu", lambda x: MF.celu(x, alpha=2.0), lambda x: TF.celu(x, alpha=2.0)),
    ("leaky_relu", lambda x: MF.leaky_relu(x, negative_slope=0.2),
     lambda x: TF.leaky_relu(x, negative_slope=0.2)),
    ("rrelu-eval", lambda x: MF.rrelu(x, 0.1, 0.3), lambda x: TF.rrelu(x, 0.1, 0.3)),
    ("gelu", MF.gelu, TF.gelu),
    ("gelu-tanh", lambda x: MF.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh")),
    ("silu", MF.silu, TF.silu),
    ("mish", MF.mish, TF.mish),
    ("softplus", lambda x: MF.softplus(x, beta=2, threshold=3),
     lambda x: TF.softplus(x, beta=2, threshold=3)),
    ("softsign", MF.softsign, TF.softsign),
    ("softshrink", lambda x: MF.softshrink(x, 1.0), lambda x: TF.softshrink(x, 1.0)),
    ("hardshrink", lambda x: MF.hardshrink(x, lambd=1.0), lambda x: TF.hardshrink(x, 1.0)),
    ("tanhshrink", MF.tanhshrink, TF.tanhshrink),
    ("hardtanh", lambda x: MF.hardtanh(x, -2.0, 3.0), lambda x: TF.hardtanh(x, -2.0, 3.0)),
    ("hardswish", MF.hardswish, TF.hardswish),
    ("hardsigmoid", MF.hardsigmoid, TF.hardsigmoid),
    ("logsigmoid", MF.logsigmoid, TF.logsigmoid),
    ("threshold", lambda x: MF.threshold(x, 0.5, -3.0), lambda x: TF.threshold(x, 0.5, -3.0)),
    ("glu", lambda x: MF.glu(x, 0), lambda x: TF.glu(x, 0)),
    ("glu-last", MF.glu, TF.glu),
    ("sigmoid", MF.sigmoid, torch.sigmoid),
    ("tanh", MF.tanh, torch.tanh),
]


@pytest.mark.parametrize(("name", "function", "reference"), ACTIVATIONS,
                         ids=[case[0] for case in ACTIVATIONS])
def test_activations_match_torch(name: str, function: Callable[..., Any],
                                 reference: Callable[..., Any]) -> None:
    # off the kinks (0, the thresholds, +-3) so that every gradient is defined
    values = np.array([[-40.0, -3.7, -2.5, -1.2, -0.4, 0.3],
                       [0.9, 1.7, 2.2, 3.4, 8.0, 40.0]])
    x = mu.variable(values, dtype="float64")
    t = torch.tensor(values, requires_grad=True)
    got, want = function(x), reference(t)
    _close(got, want, rtol=1e-7)  # PyTorch's hardsigmoid divides by 6 in single precision
    cotangent = RNG.standard_normal(tuple(want.shape))
    (got * mu.constant(cotangent)).sum().backward()
    (expected,) = torch.autograd.grad(want, t, torch.from_numpy(cotangent))
    _close(x.grad(), expected, rtol=1e-7)
    narrow = function(mu.constant(values.astype(np.float32)))
    assert narrow.dtype == np.float32


def test_gradients_at_the_kinks_follow_torch() -> None:
    values = np.array([-3.0, 0.0, 3.0, 6.0, -1.0, 1.0, 0.5])
    for ours, theirs in ((MF.relu, TF.relu), (MF.relu6, TF.relu6), (MF.hardtanh, TF.hardtanh),
                         (MF.hardswish, TF.hardswish), (MF.hardsigmoid, TF.hardsigmoid),
                         (lambda x: MF.threshold(x, 0.5, 2.0),
                          lambda x: TF.threshold(x, 0.5, 2.0)),
                         (MF.softshrink, TF.softshrink), (MF.hardshrink, TF.hardshrink),
                         (MF.leaky_relu, TF.leaky_relu), (MF.elu, TF.elu)):
        x = mu.variable(values, dtype="float64")
        t = torch.tensor(values, requires_grad=True)
        ours(x).sum().backward()
        (expected,) = torch.autograd.grad(theirs(t).sum(), t)
        _close(x.grad(), expected, rtol=1e-7)


def test_prelu_per_channel_and_single_slope() -> None:
    values = RNG.standard_normal((2, 3, 4))
    for weight_values in (np.array([0.1, 0.2, 0.3]), np.array([0.25]), np.array(0.4)):
        x = mu.variable(values, dtype="float64")
        w = mu.variable(weight_values, dtype="float64")
        tx = torch.tensor(values, requires_grad=True)
        tw = torch.tensor(weight_values, requires_grad=True)
        got, want = MF.prelu(x, w), TF.prelu(tx, tw)
        _close(got, want)
        got.sum().backward()
        grads = torch.autograd.grad(want.sum(), (tx, tw))
        _close(x.grad(), grads[0])
        _close(w.grad(), grads[1])
    assert MF.prelu(mu.constant(0.5), mu.constant([0.25])).shape == ()


def test_rrelu_training_draws_slopes_in_range_and_repeats_after_seed() -> None:
    values = -np.linspace(0.5, 5.0, 200)
    mu.seed(7)
    first = MF.rrelu(mu.constant(values), 0.1, 0.3, training=True).numpy()
    mu.seed(7)
    again = MF.rrelu(mu.constant(values), 0.1, 0.3, training=True).numpy()
    np.testing.assert_array_equal(first, again)
    slopes = first / values
    assert slopes.min() >= 0.1 and slopes.max() <= 0.3 and slopes.std() > 0.01
    positive = MF.rrelu(mu.constant([1.0, 2.0]), training=True)
    np.testing.assert_array_equal(positive.numpy(), [1.0, 2.0])
    x = mu.variable(values)
    mu.seed(7)
    MF.rrelu(x, 0.1, 0.3, training=True).sum().backward()
    np.testing.assert_allclose(x.grad().numpy(), slopes, rtol=1e-6)


def test_gradcheck_composites() -> None:
    values = RNG.standard_normal((3, 4))
    for function in (MF.mish, MF.softsign, MF.tanhshrink, lambda x: MF.glu(x, 1),
                     lambda x: MF.softmin(x, 0), lambda x: MF.celu(x, 0.5)):
        assert gradcheck(function, values)


# --- errors -----------------------------------------------------------------------------------

def test_errors_name_the_operation() -> None:
    x = mu.ones((2, 3))
    cases: list[tuple[Callable[[], Any], type[Exception], str]] = [
        (lambda: mu.polygamma(-1, x), ValueError, "polygamma: n must be at least 0"),
        (lambda: mu.polygamma(1.5, x), TypeError, "polygamma: n must be an int"),
        (lambda: mu.mvlgamma(x, 0), ValueError, "mvlgamma: p must be at least 1"),
        (lambda: mu.logit(x, eps="0.1"), TypeError, "logit: eps must be a number"),
        (lambda: mu.softmax(x, 2), IndexError, "softmax: axis 2 is out of range"),
        (lambda: mu.log_softmax(x, -3), ValueError, "log_softmax: axis -3 is out of range"),
        (lambda: mu.softmax(x, (0, 1)), TypeError, "softmax: dim must be one int"),
        (lambda: mu.softmax(x, 0, axis=1), TypeError, "softmax: give dim= or axis="),
        (lambda: mu.erf(None), TypeError, "erf: expected a tensor"),
        (lambda: mu.erf("a"), TypeError, "erf"),
        (lambda: mu.special.i0e(np.array([1j])), TypeError, "i0e: complex tensors"),
        (lambda: MF.hardtanh(x, 1.0, 0.0), ValueError, "hardtanh: min_val"),
        (lambda: MF.softshrink(x, -1.0), ValueError, "softshrink: lambd must be at least 0"),
        (lambda: MF.celu(x, 0.0), ValueError, "celu: alpha must not be 0"),
        (lambda: MF.rrelu(x, 0.5, 0.1), ValueError, "rrelu: lower"),
        (lambda: MF.gelu(x, approximate="fast"), ValueError, "gelu: approximate must be"),
        (lambda: MF.glu(mu.ones((2, 5))), ValueError, "glu: the halving axis 1 must have an "
                                                       "even size"),
        (lambda: MF.glu(mu.ones(())), ValueError, "glu: needs a tensor"),
        (lambda: MF.glu(x, 3), IndexError, "glu: dim 3 is out of range"),
        (lambda: MF.prelu(x, mu.ones((2,))), ValueError, "prelu: weight must have 1 element"),
        (lambda: MF.leaky_relu(x, "0.1"), TypeError, "leaky_relu: negative_slope"),
        (lambda: MF.threshold(x, None, 1.0), TypeError, "threshold: threshold must be"),
    ]
    for call, kind, message in cases:
        with pytest.raises(kind, match=message):
            call()
    q = mu.variable([1.0, 2.0])
    with pytest.raises(NotImplementedError, match="zeta: the derivative with respect to x"):
        mu.special.zeta(q, 2.0).sum().backward()
