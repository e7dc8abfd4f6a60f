# pyright: strict
"""What the checkers infer for PyTorch's reductions, scans, sorting and statistics
(``mushin.ops.reduce``, ``statistics``, ``scan``, ``sorting``): 0-d results over every axis,
run-time shapes along axes, ``(values, indices)`` named tuples, ``Constant`` indices and counts.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import numpy as np

import mushin as mu
from mushin._tensor import ValuesIndices

B = L[4]
N = L[5]
Scalar = mu.Variable[*tuple[()]]  # 0-d; pyright needs ``*tuple[()]`` rather than ``()``
Runtime = mu.Variable[*tuple[Any, ...]]  # a shape known only at run time
Fixed = mu.Constant[*tuple[Any, ...]]


def reductions() -> None:
    """Every axis gives a 0-d tensor; ``dim``/``axis`` a run-time shape; the kind is kept."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.sum(x), Scalar)
    assert_type(x.sum(1, keepdim=True), Runtime)
    assert_type(mu.sum(x, axis=()), Runtime)
    assert_type(mu.mean(c, dim=(0, 1)), Fixed)
    assert_type(mu.prod(x, 0), Runtime)
    assert_type(x.nansum(), Scalar)
    assert_type(mu.nanmean(x, axis=1, keepdims=True), Runtime)
    assert_type(mu.amax(x, 1), Runtime)
    assert_type(c.amin(), mu.Constant[*tuple[()]])
    assert_type(mu.logsumexp(x, 1), Runtime)
    assert_type(mu.var(x), Scalar)
    assert_type(x.std(1, correction=0), Runtime)
    assert_type(mu.var(c, dim=0, unbiased=False, keepdim=True), Fixed)
    assert_type(mu.norm(x, 2.0, 1), Runtime)
    assert_type(x.norm(), Runtime)


def extrema() -> None:
    """``max``/``min``/``median``: a value, ``(values, indices)``, the values, elementwise."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.max(x), Scalar)
    assert_type(mu.max(x, 1), ValuesIndices[Runtime])
    assert_type(x.min(dim=0, keepdim=True), ValuesIndices[Runtime])
    assert_type(mu.max(c, axis=(0, 1)), Fixed)
    assert_type(mu.min(x, c), Runtime)
    assert_type(mu.median(x), Scalar)
    assert_type(mu.nanmedian(c, 1), ValuesIndices[Fixed])
    assert_type(x.median(axis=0), Runtime)
    values, indices = mu.max(x, 1)
    assert_type(values, Runtime)
    assert_type(indices, mu.Constant)
    assert_type(mu.argmax(x), Fixed)
    assert_type(x.argmin(1, keepdim=True), Fixed)
    assert_type(mu.all(x > 0.0, 1), Fixed)
    assert_type(x.any(), Fixed)
    assert_type(mu.count_nonzero(c, 0), Fixed)


def pairs() -> None:
    """Functions giving two tensors of the operand's kind."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    low, high = mu.aminmax(x, dim=1)
    assert_type(low, Runtime)
    assert_type(high, Runtime)
    variance, average = mu.var_mean(x, 1)
    assert_type(variance + average, Runtime)
    deviation, _ = mu.std_mean(x.freeze())
    assert_type(deviation, Fixed)


def scans_and_sorting() -> None:
    """Running operations keep the shape; sorting gives ``(values, indices)``."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    c = x.freeze()
    assert_type(mu.cumsum(x, 1), mu.Variable[B, N])
    assert_type(x.cumprod(0), mu.Variable[B, N])
    assert_type(mu.logcumsumexp(c, 1), mu.Constant[B, N])
    assert_type(mu.cummax(x, 1), ValuesIndices[Runtime])
    assert_type(c.cummin(0).values, Fixed)
    assert_type(mu.sort(x), ValuesIndices[Runtime])
    assert_type(x.sort(0, descending=True).indices, mu.Constant)
    assert_type(mu.argsort(x, 1), Fixed)
    assert_type(mu.msort(x), mu.Variable[B, N])
    assert_type(mu.topk(x, 2), ValuesIndices[Runtime])
    assert_type(x.kthvalue(2, 0), ValuesIndices[Runtime])
    assert_type(mu.mode(c), ValuesIndices[Fixed])
    assert_type(mu.quantile(x, 0.5, 1), Runtime)
    assert_type(x.nanquantile(0.25), Runtime)
    assert_type(mu.diff(x, 1, 0), Runtime)
    assert_type(mu.trapezoid(x), Runtime)
    assert_type(mu.cumulative_trapezoid(c, dx=0.5), Fixed)


def statistics_and_counting() -> None:
    """Covariances keep the kind; counts are ``Constant``s."""
    x: mu.Variable[B, N] = mu.randn((4, 5))
    assert_type(mu.cov(x), Runtime)
    assert_type(x.corrcoef(), Runtime)
    assert_type(mu.dist(x, x.freeze()), Runtime)
    labels = mu.constant(np.array([0, 2, 2, 1]))
    assert_type(mu.bincount(labels), Fixed)
    assert_type(mu.histc(x, 4), Fixed)
    assert_type(mu.unique(labels), Fixed)
    assert_type(labels.unique_consecutive(), Fixed)


def main() -> None:
    reductions()
    extrema()
    pairs()
    scans_and_sorting()
    statistics_and_counting()


if __name__ == "__main__":
    main()
