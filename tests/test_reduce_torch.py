"""Reductions, scans, sorting and statistics (``mushin.ops.reduce``, ``statistics``, ``scan``,
``sorting``) against PyTorch (float64): the argument spellings, the return conventions,
float32 results, gradients where elements tie or are zero, second derivatives, and the error
messages.

PyTorch's operator database (``tests/op_db.py``) runs its sample inputs on these operations;
this file covers what it does not.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(16)
X = RNG.standard_normal((3, 4, 5))


def _close(got: Any, want: Any, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """``got`` (a mushin tensor, or a tuple of them) holds PyTorch's ``want``."""
    if isinstance(want, tuple | list):
        assert isinstance(got, tuple) and len(got) == len(want)
        for have, expected in zip(got, want, strict=True):
            _close(have, expected, rtol, atol)
        return
    have = got.numpy() if isinstance(got, mu.Tensor) else np.asarray(got)
    expected = want.detach().numpy() if isinstance(want, torch.Tensor) else np.asarray(want)
    assert have.shape == expected.shape, (have.shape, expected.shape)
    np.testing.assert_allclose(have, expected, rtol=rtol, atol=atol, equal_nan=True)


def _grads(mu_fn: Callable[[Any], Any], torch_fn: Callable[[Any], Any], x: np.ndarray,
           second: bool = False) -> None:
    """The gradient of ``sum(f(x) * c)`` (and with ``second``, of ``sum(grad * d)``) agrees
    with PyTorch's."""
    rng = np.random.default_rng(3)
    tx = torch.tensor(x, requires_grad=True)
    out = torch_fn(tx)
    c = rng.standard_normal(tuple(out.shape))
    (grad,) = torch.autograd.grad((out * torch.tensor(c)).sum(), tx, create_graph=second)
    mx = mu.variable(x)
    result = mu_fn(mx)
    assert result.dtype == np.float64
    _close(result, out)
    (result * mu.constant(c)).sum().backward(create_graph=second)
    first = mx.grad()
    _close(first, grad)
    if not second:
        return
    d = rng.standard_normal(x.shape)
    hessian = None
    if grad.requires_grad:  # else the function is linear
        (hessian,) = torch.autograd.grad((grad * torch.tensor(d)).sum(), tx, allow_unused=True)
    mx.reset()
    (first * mu.constant(d)).sum().backward()
    _close(mx.grad(), np.zeros_like(x) if hessian is None else hessian)


# --- spellings ------------------------------------------------------------------------------

REDUCTIONS = ["sum", "mean", "prod", "nansum", "nanmean", "amax", "amin", "logsumexp"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_dim_and_axis_spellings_agree_with_torch(name: str) -> None:
    function = getattr(mu, name)
    reference = getattr(torch, name)
    if name == "prod":  # PyTorch's prod takes one dim: NumPy's for several
        def reference(t: Any, dim: Any = None, keepdim: bool = False) -> Any:
            return np.prod(t.numpy(), axis=dim, keepdims=keepdim)
    x, tx = mu.constant(X), torch.tensor(X)
    _close(function(x, 1), reference(tx, 1))
    _close(function(x, dim=-1, keepdim=True), reference(tx, dim=-1, keepdim=True))
    _close(function(x, axis=1, keepdims=True), reference(tx, 1, keepdim=True))
    _close(getattr(x, name)(dim=(0, 2)), reference(tx, dim=(0, 2)))
    _close(getattr(x, name)(axis=[0, -1], keepdims=True),
           reference(tx, dim=(0, -1), keepdim=True))
    if name != "logsumexp":
        _close(function(x), reference(tx))
    with pytest.raises(TypeError, match=f"^{name}: give dim= or axis="):
        function(x, dim=0, axis=1)


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "logsumexp", "nansum", "all", "var"])
def test_an_empty_tuple_of_axes_reduces_every_axis(name: str) -> None:
    """PyTorch's ``dim=()``, the contract's: every axis (``torch.all`` and ``torch.any`` read
    it as no axis, and ``torch.logsumexp`` fails on it: their reduction over every axis is the
    reference here)."""
    x = mu.constant(X)
    everything = torch.tensor(X)
    expected = (torch.logsumexp(everything, (0, 1, 2)) if name == "logsumexp"
                else getattr(torch, name)(everything))
    _close(getattr(mu, name)(x, axis=()), expected)
    _close(getattr(mu, name)(x, dim=()), expected)
    assert getattr(mu, name)(x, axis=(), keepdims=True).shape == (1, 1, 1)


def test_reductions_over_empty_axes_follow_torch() -> None:
    empty = np.zeros((0, 3))
    _close(mu.sum(mu.constant(empty), 0), np.zeros(3))
    _close(mu.prod(mu.constant(empty), 0), np.ones(3))
    _close(mu.logsumexp(mu.constant(empty), 0), np.full(3, -np.inf))
    _close(mu.mean(mu.constant(empty), 0), np.full(3, np.nan))
    _close(mu.var(mu.constant(empty), 0), np.full(3, np.nan))
    assert mu.all(mu.constant(empty)).item() is True
    assert mu.any(mu.constant(empty)).item() is False
    for call in (lambda: mu.max(mu.constant(empty)), lambda: mu.amax(mu.constant(empty), 0),
                 lambda: mu.max(mu.constant(empty), 0), lambda: mu.argmin(mu.constant(empty)),
                 lambda: mu.median(mu.constant(empty), 0)):
        with pytest.raises(ValueError, match="empty"):
            call()


def test_dtype_argument_converts_first() -> None:
    ints = np.arange(1, 7).reshape(2, 3)
    x = mu.constant(ints)
    assert mu.sum(x).dtype == np.int64
    assert mu.sum(x, dtype=mu.float32).dtype == np.float32
    assert mu.mean(x, 1, dtype=mu.float64).dtype == np.float64
    _close(mu.prod(x, 1, dtype=mu.float64), torch.prod(torch.tensor(ints), 1,
                                                       dtype=torch.float64))
    _close(mu.cumsum(x, 1, dtype=mu.float32), torch.cumsum(torch.tensor(ints), 1).float())
    assert mu.cumsum(mu.constant(np.array([True, True])), 0).dtype == np.int64


# --- variance ----------------------------------------------------------------------------------

def test_variance_spellings_follow_torch() -> None:
    x, tx = mu.variable(X), torch.tensor(X)
    _close(mu.var(x), torch.var(tx))
    _close(x.var(1), tx.var(1))
    _close(mu.var(x, 1, False, True), torch.var(tx, 1, False, True))
    _close(mu.var(x, False), torch.var(tx, False))
    _close(mu.var(x, dim=(0, 2), correction=2), torch.var(tx, dim=(0, 2), correction=2))
    _close(mu.var(x, axis=1, ddof=0, keepdims=True), torch.var(tx, 1, correction=0,
                                                               keepdim=True))
    _close(mu.std(x, 0, unbiased=False), torch.std(tx, 0, unbiased=False))
    _close(x.std(dim=2, correction=0.5, keepdim=True),
           tx.std(dim=2, correction=0.5, keepdim=True))
    _close(mu.var_mean(x, 1), torch.var_mean(tx, 1))
    _close(mu.std_mean(x, dim=(1, 2), keepdim=True), torch.std_mean(tx, dim=(1, 2),
                                                                    keepdim=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _close(mu.var(mu.constant(np.ones(1))), torch.var(torch.ones(1, dtype=torch.float64)))
    with pytest.raises(TypeError, match=r"^var: give one of correction"):
        mu.var(x, 1, unbiased=True, correction=1)
    with pytest.raises(TypeError, match=r"^std: the argument after dim"):
        mu.std(x, 1, 2)


def test_std_has_a_zero_gradient_where_every_deviation_is_zero() -> None:
    x = mu.variable(np.array([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]))
    mu.std(x, 1).sum().backward()
    tx = torch.tensor(x.numpy(), requires_grad=True)
    torch.std(tx, 1).sum().backward()
    _close(x.grad(), tx.grad)


# --- extrema ---------------------------------------------------------------------------------

def test_max_and_min_have_torchs_four_forms() -> None:
    x, tx = mu.variable(X), torch.tensor(X)
    _close(mu.max(x), torch.max(tx))
    pair = mu.max(x, 1)
    assert isinstance(pair, tuple) and pair.indices.dtype == np.int64
    _close(pair, tuple(torch.max(tx, 1)))
    _close(x.min(dim=-1, keepdim=True), tuple(tx.min(dim=-1, keepdim=True)))
    _close(mu.max(x, axis=(0, 2)), torch.amax(tx, dim=(0, 2)))
    _close(x.min(axis=1, keepdims=True), torch.amin(tx, 1, keepdim=True))
    other = RNG.standard_normal((4, 5))
    _close(mu.max(x, mu.constant(other)), torch.max(tx, torch.tensor(other)))
    _close(x.min(mu.constant(other)), tx.min(torch.tensor(other)))
    _close(mu.aminmax(x, dim=1), tuple(torch.aminmax(tx, dim=1)))
    _close(x.aminmax(), tuple(tx.aminmax()))
    _close(mu.argmax(x), torch.argmax(tx))
    _close(mu.argmin(x, 2, keepdim=True), torch.argmin(tx, 2, keepdim=True))
    _close(x.argmax(keepdim=True), tx.argmax(keepdim=True))
    with pytest.raises(TypeError, match=r"^max: dim must be an int"):
        mu.max(x, (0, 1))


def test_gradients_of_ties_follow_torch() -> None:
    values = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    _grads(lambda t: mu.max(t), torch.max, values)
    _grads(lambda t: mu.max(t, 1).values, lambda t: torch.max(t, 1).values, values)
    _grads(lambda t: mu.amax(t, 1), lambda t: torch.amax(t, 1), values)
    _grads(lambda t: mu.median(t), torch.median, values)
    _grads(lambda t: mu.median(t, 1).values, lambda t: torch.median(t, 1).values, values)
    _grads(lambda t: mu.norm(t, math.inf), lambda t: torch.norm(t, math.inf), values)
    _grads(lambda t: mu.cummax(t, 1).values, lambda t: torch.cummax(t, 1).values, values)
    _grads(lambda t: mu.cummin(t, 0).values, lambda t: torch.cummin(t, 0).values, values)


# --- products ----------------------------------------------------------------------------------

ZEROS = [np.array([[0.5, 0.0, 2.0, -1.5], [1.5, 2.0, -0.5, 3.0], [0.0, 1.0, 0.0, 2.0]]),
         np.array([[2.0, -1.0, 0.0, 0.0], [0.0, 3.0, 0.5, 1.5], [1.0, 1.0, 1.0, 0.0]])]


@pytest.mark.parametrize("values", ZEROS)
def test_products_have_exact_gradients_through_zeros(values: np.ndarray) -> None:
    _grads(lambda t: mu.prod(t, 1), lambda t: torch.prod(t, 1), values, second=True)
    _grads(lambda t: mu.prod(t), torch.prod, values, second=True)
    _grads(lambda t: mu.cumprod(t, 1), lambda t: torch.cumprod(t, 1), values, second=True)
    _grads(lambda t: mu.cumprod(t, dim=0), lambda t: torch.cumprod(t, 0), values, second=True)


SECOND_ORDER: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("logsumexp", lambda t: mu.logsumexp(t, 1), lambda t: torch.logsumexp(t, 1)),
    ("var", lambda t: mu.var(t, 0), lambda t: torch.var(t, 0)),
    ("std", lambda t: t.std(1), lambda t: t.std(1)),
    ("norm-3", lambda t: mu.norm(t, 3, 1), lambda t: torch.norm(t, 3, 1)),
    ("norm-2", lambda t: mu.norm(t), torch.norm),
    ("norm-2.5", lambda t: mu.norm(t, 2.5), lambda t: torch.norm(t, 2.5)),  # 1.5: 4 s in torch
    ("dist", lambda t: mu.dist(t, mu.constant(X[1, 0, :4])),
     lambda t: torch.dist(t, torch.tensor(X[1, 0, :4]))),
    ("cumsum", lambda t: mu.cumsum(t, 1), lambda t: torch.cumsum(t, 1)),
    ("logcumsumexp", lambda t: mu.logcumsumexp(t, 1), lambda t: torch.logcumsumexp(t, 1)),
    ("sort", lambda t: mu.sort(t, 1, descending=True).values,
     lambda t: torch.sort(t, 1, descending=True).values),
    ("topk", lambda t: t.topk(2).values * t.topk(2).values,
     lambda t: t.topk(2).values * t.topk(2).values),
    ("quantile", lambda t: mu.quantile(t, 0.3, 1) ** 2, lambda t: torch.quantile(t, 0.3, 1) ** 2),
    ("cov", lambda t: mu.cov(t) ** 2, lambda t: torch.cov(t) ** 2),
    ("corrcoef", lambda t: mu.corrcoef(t), torch.corrcoef),
    ("trapezoid", lambda t: mu.trapezoid(t * t, dx=0.5), lambda t: torch.trapezoid(t * t, dx=0.5)),
    ("cumulative_trapezoid", lambda t: mu.cumulative_trapezoid(t * t, dim=0),
     lambda t: torch.cumulative_trapezoid(t * t, dim=0)),
    ("diff", lambda t: mu.diff(t * t, 2, 1), lambda t: torch.diff(t * t, 2, 1)),
    ("nanmean", lambda t: mu.nanmean(t * t, 1), lambda t: torch.nanmean(t * t, 1)),
    ("kthvalue", lambda t: mu.kthvalue(t, 2, 0).values ** 2,
     lambda t: torch.kthvalue(t, 2, 0).values ** 2),
]


@pytest.mark.parametrize(("name", "function", "reference"), SECOND_ORDER,
                         ids=[case[0] for case in SECOND_ORDER])
def test_second_derivatives_agree_with_torch(name: str, function: Callable[[Any], Any],
                                             reference: Callable[[Any], Any]) -> None:
    _grads(function, reference, X[0, :3, :4].copy(), second=True)


def test_logcumsumexp_does_not_overflow() -> None:
    values = np.array([[-1000.0, 0.0, 1000.0, 999.0], [5.0, -np.inf, 5.0, 1e3]])
    _grads(lambda t: mu.logcumsumexp(t, 1), lambda t: torch.logcumsumexp(t, 1), values)


# --- float32 -----------------------------------------------------------------------------------

FLOAT32: list[Callable[[Any], Any]] = [
    mu.sum, mu.mean, mu.prod, mu.nansum, mu.nanmean, mu.var, mu.std, mu.amax, mu.logsumexp,
    mu.norm, mu.median, mu.nanmedian, lambda t: mu.max(t, 0).values, mu.msort,
    lambda t: mu.var_mean(t, 0)[0], lambda t: mu.std_mean(t)[1], lambda t: mu.cumsum(t, 0),
    lambda t: mu.cumprod(t, 1), lambda t: mu.logcumsumexp(t, 1), lambda t: mu.cummax(t, 0)[0],
    lambda t: mu.sort(t).values, lambda t: mu.topk(t, 2).values, lambda t: mu.mode(t).values,
    lambda t: mu.kthvalue(t, 1).values, lambda t: mu.quantile(t, 0.5, 1),
    lambda t: mu.nanquantile(t, mu.constant(np.array([0.2, 0.7], np.float32))),
    lambda t: mu.diff(t), mu.trapezoid, mu.cumulative_trapezoid, mu.cov, mu.corrcoef,
    lambda t: mu.dist(t, 1.0), lambda t: mu.histc(t, 4), lambda t: mu.unique(t),
    lambda t: mu.aminmax(t).max,
]


@pytest.mark.parametrize("function", FLOAT32)
def test_float32_stays_float32(function: Callable[[Any], Any]) -> None:
    x = mu.variable(X[0, :3, :4].astype(np.float32))
    result = function(x)
    assert result.dtype == np.float32
    if isinstance(result, mu.Variable):
        result.sum().backward()
        assert x.grad().dtype == np.float32


# --- ordering ----------------------------------------------------------------------------------

TIES = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, np.nan, 1.0],
                 [np.nan, 0.0, 0.0, np.nan, -1.0, 0.0, 5.0]])


def test_sort_is_stable_both_ways_with_nan_above_numbers() -> None:
    x, tx = mu.constant(TIES), torch.tensor(TIES)
    for descending in (False, True):
        _close(mu.sort(x, descending=descending),
               tuple(torch.sort(tx, descending=descending, stable=True)))
        _close(x.argsort(0, descending=descending),
               torch.argsort(tx, dim=0, descending=descending, stable=True))
    _close(mu.msort(x), torch.msort(tx))
    _close(mu.sort(mu.constant(np.float64(2.0)), 0), tuple(torch.sort(torch.tensor(2.0), 0)))


def test_order_statistics_with_nans_follow_torch() -> None:
    x, tx = mu.constant(TIES), torch.tensor(TIES)
    _close(mu.median(x), torch.median(tx))
    _close(mu.nanmedian(x), torch.nanmedian(tx))
    _close(mu.median(x, 1), tuple(torch.median(tx, 1)))
    _close(mu.nanmedian(x, 1), tuple(torch.nanmedian(tx, 1)))
    _close(x.median(axis=1), torch.median(tx, 1).values)
    allnan = np.array([[np.nan, np.nan], [1.0, np.nan]])
    _close(mu.nanmedian(mu.constant(allnan), 1), tuple(torch.nanmedian(torch.tensor(allnan), 1)))
    _close(mu.quantile(x, 0.4, 1), torch.quantile(tx, 0.4, 1))
    _close(mu.nanquantile(x, 0.4, 1, keepdim=True), torch.nanquantile(tx, 0.4, 1, keepdim=True))
    for interpolation in ("linear", "lower", "higher", "midpoint", "nearest"):
        q = torch.tensor([0.0, 0.25, 0.5, 0.8, 1.0], dtype=torch.float64)
        _close(mu.nanquantile(x, mu.constant(q.numpy()), 1, interpolation=interpolation),
               torch.nanquantile(tx, q, 1, interpolation=interpolation))
        _close(mu.quantile(mu.constant(X), 0.35, interpolation=interpolation, keepdim=True),
               torch.quantile(torch.tensor(X), 0.35, interpolation=interpolation,
                              keepdim=True))


def test_mode_cummax_and_topk_pick_torchs_elements() -> None:
    counts = np.array([[3.0, 1.0, 2.0, 1.0, 3.0], [4.0, 4.0, 2.0, 2.0, 9.0]])
    _close(mu.mode(mu.constant(counts)), tuple(torch.mode(torch.tensor(counts))))
    _close(mu.constant(counts).mode(0, True), tuple(torch.tensor(counts).mode(0, True)))
    x, tx = mu.constant(TIES), torch.tensor(TIES)
    _close(mu.cummax(x, 1), tuple(torch.cummax(tx, 1)))
    _close(x.cummin(dim=1), tuple(tx.cummin(dim=1)))
    _close(mu.topk(mu.constant(X), 3, 1, largest=False), tuple(torch.topk(torch.tensor(X), 3, 1,
                                                                          largest=False)))
    _close(mu.kthvalue(mu.constant(X), 2, 0, True), tuple(torch.kthvalue(torch.tensor(X), 2, 0,
                                                                         True)))


def test_counting_operations_follow_torch() -> None:
    ints = np.array([[3, 1, 3], [0, 1, 1], [3, 1, 3]])
    x, tx = mu.constant(ints), torch.tensor(ints)
    for dim in (None, 0, 1):
        _close(mu.unique(x, return_inverse=True, return_counts=True, dim=dim),
               torch.unique(tx, return_inverse=True, return_counts=True, dim=dim))
        _close(x.unique_consecutive(return_inverse=True, return_counts=True, dim=dim),
               tx.unique_consecutive(return_inverse=True, return_counts=True, dim=dim))
    _close(mu.count_nonzero(x, 1), torch.count_nonzero(tx, 1))
    _close(x.count_nonzero(), tx.count_nonzero())
    flat = np.array([4, 0, 1, 1, 4])
    weights = np.array([0.5, 1.0, 2.0, 0.25, 1.0], np.float32)
    _close(mu.bincount(mu.constant(flat), minlength=7),
           torch.bincount(torch.tensor(flat), minlength=7))
    counted = mu.bincount(mu.constant(flat), mu.constant(weights))
    assert counted.dtype == np.float32
    _close(counted, torch.bincount(torch.tensor(flat), torch.tensor(weights)))
    _close(mu.histc(mu.constant(X), 7), torch.histc(torch.tensor(X), 7))
    _close(mu.constant(X).histc(5, -1.0, 1.0), torch.tensor(X).histc(5, -1.0, 1.0))
    assert mu.all(mu.constant(X) > -10, 1).dtype == np.bool_
    _close(mu.any(mu.constant(X) > 1.5, dim=(0, 2)), torch.any(torch.tensor(X) > 1.5, dim=(0, 2)))


def test_differences_and_integrals_follow_torch() -> None:
    x, tx = mu.variable(X), torch.tensor(X)
    edge = RNG.standard_normal((3, 1, 5))
    _close(mu.diff(x, 2, 1, prepend=mu.constant(edge), append=mu.constant(edge)),
           torch.diff(tx, 2, 1, prepend=torch.tensor(edge), append=torch.tensor(edge)))
    _close(x.diff(dim=0), tx.diff(dim=0))
    bools = np.array([True, True, False, True])
    _close(mu.diff(mu.constant(bools)), torch.diff(torch.tensor(bools)))
    points = np.sort(RNG.standard_normal(5))
    _close(mu.trapezoid(x, mu.constant(points)), torch.trapezoid(tx, torch.tensor(points)))
    _close(mu.trapz(x, dim=1), torch.trapz(tx, dim=1))
    _close(mu.cumulative_trapezoid(x, mu.constant(points), dim=-1),
           torch.cumulative_trapezoid(tx, torch.tensor(points), dim=-1))
    weights = np.array([1, 2, 1, 3, 1])
    observations = np.array([0.5, 1.0, 2.0, 1.0, 0.25])
    _close(mu.cov(x[0], correction=0, fweights=mu.constant(weights),
                  aweights=mu.constant(observations)),
           torch.cov(tx[0], correction=0, fweights=torch.tensor(weights),
                     aweights=torch.tensor(observations)))
    _close(mu.cov(x[0, 0]), torch.cov(tx[0, 0]))
    _close(mu.corrcoef(x[1]), torch.corrcoef(tx[1]))


# --- errors ----------------------------------------------------------------------------------

ERRORS: list[tuple[Callable[[Any], Any], type[Exception], str]] = [
    (lambda x: mu.sum(x, 3), ValueError, "^sum: axis 3 is out of range"),
    (lambda x: mu.mean(x, 1.5), TypeError, "^mean: an axis must be an int"),
    (lambda x: mu.amax(x, (0, 0)), ValueError, "^amax: repeated axis"),
    (lambda x: mu.max(x, 0, axis=1), TypeError, "^max: give dim= or axis="),
    (lambda x: mu.max(x, 1.5), TypeError, "^max: dim must be an int"),
    (lambda x: mu.argmax(x, (0, 1)), TypeError, "^argmax: dim must be one int"),
    (lambda x: mu.aminmax(x, dim=(0,)), TypeError, "^aminmax: dim must be an int"),
    (lambda x: mu.sum(x, keepdim="yes"), TypeError, "^sum: keepdim must be a bool"),
    (lambda x: mu.var(x, True, True), TypeError, "^var: unbiased was given twice"),
    (lambda x: mu.var(x, correction="one"), TypeError, "^var: correction must be a number"),
    (lambda x: mu.cumsum(x), TypeError, "^cumsum: dim is required"),
    (lambda x: mu.cumprod(x, 5), IndexError, "^cumprod: dim 5 is out of range"),
    (lambda x: mu.sort(x, descending=1), TypeError, "^sort: descending must be a bool"),
    (lambda x: mu.topk(x, 6), ValueError, r"^topk: k \(6\) is larger"),
    (lambda x: mu.kthvalue(x, 0), ValueError, "^kthvalue: k must be at least 1"),
    (lambda x: mu.quantile(x, 1.5), ValueError, r"^quantile: q must be in \[0, 1\]"),
    (lambda x: mu.quantile(x, 0.5, interpolation="cubic"), ValueError,
     "^quantile: interpolation must be one of"),
    (lambda x: mu.quantile(mu.constant(np.arange(3)), 0.5), TypeError,
     "^quantile: expects a floating tensor"),
    (lambda x: mu.median(x, (0, 1)), TypeError, "^median: dim must be an int"),
    (lambda x: mu.norm(x, "nuc", dim=(0, 0)), ValueError, r"^norm: repeated axis"),
    (lambda x: mu.norm(x, "max"), ValueError, "^norm: p must be a number"),
    (lambda x: mu.bincount(x), TypeError, "^bincount: expects a 1-D tensor"),
    (lambda x: mu.bincount(mu.constant(np.array([1, -1]))), ValueError,
     "^bincount: the values must not be negative"),
    (lambda x: mu.histc(mu.constant(np.arange(3))), TypeError, "^histc: expects a floating"),
    (lambda x: mu.histc(x, 4, 2.0, 1.0), ValueError, r"^histc: max \(1.0\) must not be less"),
    (lambda x: mu.diff(mu.constant(np.float64(1.0))), ValueError, "^diff: expects a tensor"),
    (lambda x: mu.diff(x, -1), ValueError, "^diff: n must be at least 0"),
    (lambda x: mu.diff(x, 1, 0, prepend=mu.constant(np.ones((2, 2)))), mu.ShapeError,
     "^diff: prepend/append of shape"),
    (lambda x: mu.trapezoid(x, mu.constant(np.ones(3))), mu.ShapeError, "^trapezoid: x of shape"),
    (lambda x: mu.cov(mu.constant(np.ones((2, 2, 2)))), ValueError, "^cov: expects a 1-D or"),
    (lambda x: mu.cov(x, fweights=mu.constant(np.ones(5))), TypeError,
     "^cov: fweights must be integers"),
    (lambda x: mu.unique(x, sorted=None), TypeError, "^unique: sorted must be a bool"),
    (lambda x: mu.nanmean(mu.constant(np.arange(3))), TypeError, "^nanmean: expects a floating"),
    (lambda x: mu.mode(mu.constant(np.zeros((2, 0)))), ValueError, "^mode: cannot take the mode"),
]


@pytest.mark.parametrize(("call", "kind", "message"), ERRORS,
                         ids=[case[2].strip("^").split(":")[0] + f"-{index}"
                              for index, case in enumerate(ERRORS)])
def test_mistakes_raise_clear_errors(call: Callable[[Any], Any], kind: type[Exception],
                                     message: str) -> None:
    with pytest.raises(kind, match=message):
        call(mu.variable(X[0]))


# --- devices ---------------------------------------------------------------------------------

def _pick(pair: Any) -> Any:
    return pair.values * 1.0


DEVICE_CASES: list[tuple[str, Callable[[Any], Any]]] = [
    ("reductions", lambda a: mu.sum(a, 1) + mu.mean(a, dim=1) + mu.nansum(a, 1)
     + mu.nanmean(a, 1) + mu.var(a, 1) + mu.std(a, 1) + mu.logsumexp(a, 1)),
    ("prod-with-zero", lambda a: mu.prod(a * (a > 0), 1) + mu.prod(a, 0).sum()),
    ("extrema", lambda a: _pick(mu.max(a, 1)) + mu.amin(a, 1) + mu.median(a, 1).values
     + mu.nanmedian(a, 1).values + mu.aminmax(a, dim=1).max + mu.max(a) + mu.median(a)),
    ("norms", lambda a: mu.norm(a, 3, 1) + mu.norm(a, math.inf, 1) + mu.dist(a, 1.0)),
    ("scans", lambda a: mu.cumsum(a, 1) + mu.cumprod(a * (a > 0), 1) + mu.logcumsumexp(a, 1)
     + mu.cummax(a, 1).values + mu.cummin(a, 0).values),
    ("sorting", lambda a: mu.sort(a, 1, descending=True).values[:, :2] + mu.topk(a, 2).values
     + mu.kthvalue(a, 2, 1, keepdim=True).values + mu.mode(a.round(), 1, True).values),
    ("quantiles", lambda a: mu.quantile(a, 0.3, 1) + mu.nanquantile(a, 0.6, 1)),
    ("differences", lambda a: mu.diff(a, 1, 0).sum(0) + mu.trapezoid(a, dim=0)
     + mu.cumulative_trapezoid(a, dim=0).sum(0)),
    ("statistics", lambda a: mu.cov(a).sum(1) + mu.corrcoef(a).sum(0)),
]


@pytest.mark.parametrize(("name", "function"), DEVICE_CASES, ids=[case[0] for case in DEVICE_CASES])
def test_operations_on_a_device_match_the_cpu(device: str, name: str,
                                              function: Callable[[Any], Any]) -> None:
    values = np.random.default_rng(9).standard_normal((4, 5))
    results = {}
    for where in ("cpu", device):
        x = mu.variable(values, dtype="float64", device=where)
        output = function(x)
        assert output.device == where
        seed = np.linspace(-1.0, 1.0, math.prod(output.shape)).reshape(output.shape)
        output.backward(mu.constant(seed, device=where))
        results[where] = (output.numpy(), x.grad().numpy())
    for got, want in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_counting_on_a_device_matches_the_cpu(device: str) -> None:
    values = np.array([[3.0, 1.0, 3.0], [0.0, 1.0, 1.0]])
    for where in ("cpu", device):
        x = mu.constant(values, device=where)
        labels = mu.constant(np.array([2, 0, 2, 1]), device=where)
        found = [*mu.unique(x, return_inverse=True, return_counts=True),
                 *mu.unique(x, dim=1, return_inverse=True),
                 *mu.unique_consecutive(x, return_counts=True), mu.bincount(labels, minlength=4),
                 mu.histc(x, 3), mu.argsort(x, 1), mu.argmax(x, 1), mu.count_nonzero(x),
                 mu.all(x, 1), mu.any(x)]
        assert all(result.device == where for result in found)
        if where == "cpu":
            expected = [result.numpy() for result in found]
        else:
            for result, want in zip(found, expected, strict=True):
                np.testing.assert_array_equal(result.numpy(), want)
