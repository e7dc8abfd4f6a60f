"""PyTorch's loss functions under PyTorch's names (``mushin.nn.functional.criteria``) against
``torch.nn.functional``, in float64: what PyTorch's op_db samples (tests/test_op_db.py) leave
out — label smoothing with weights and probability targets, ``ignore_index`` with weights,
the legacy ``size_average``/``reduce`` pair, second derivatives, float32, and the errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import mushin as mu
from mushin.nn.functional import criteria

RNG = np.random.default_rng(11)


def _both(values: np.ndarray) -> tuple[mu.Variable, torch.Tensor]:
    return mu.Variable(values.copy()), torch.tensor(values, requires_grad=True)


def _check(ours: Callable[[Any], Any], theirs: Callable[[Any], Any], values: np.ndarray,
           rtol: float = 1e-10) -> None:
    x, t = _both(values)
    got, expected = ours(x), theirs(t)
    np.testing.assert_allclose(got.numpy(), expected.detach().numpy(), rtol=rtol, atol=1e-12)
    got.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(x.grad().numpy(), t.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("var", [0.5, 1e-9])
def test_gaussian_nll_loss_takes_one_float_variance(reduction: str, var: float) -> None:
    # PyTorch's float ``var``: the same variance for every entry, clamped at eps as a tensor's
    target = RNG.standard_normal((4, 5))
    _check(lambda x: criteria.gaussian_nll_loss(x, mu.Constant(target), var, full=True,
                                                reduction=reduction),
           lambda t: TF.gaussian_nll_loss(t, torch.tensor(target), var, full=True,
                                          reduction=reduction),
           RNG.standard_normal((4, 5)))


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_weights_ignore_index_and_smoothing(reduction: str,
                                                          smoothing: float) -> None:
    logits = RNG.standard_normal((6, 4, 3))
    target = RNG.integers(0, 4, (6, 3))
    target[0, 1] = target[4, 2] = -1
    weight = RNG.uniform(0.5, 2.0, 4)
    _check(lambda x: criteria.cross_entropy(
        x, mu.Constant(target), weight=mu.Constant(weight), ignore_index=-1,
        reduction=reduction, label_smoothing=smoothing),
        lambda t: TF.cross_entropy(t, torch.tensor(target), weight=torch.tensor(weight),
                                   ignore_index=-1, reduction=reduction,
                                   label_smoothing=smoothing), logits)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_probabilities_with_weights_and_smoothing(reduction: str) -> None:
    logits = RNG.standard_normal((5, 3))
    probabilities = RNG.dirichlet(np.ones(3), 5)
    weight = RNG.uniform(0.5, 2.0, 3)
    _check(lambda x: criteria.cross_entropy(x, mu.Constant(probabilities),
                                            weight=mu.Constant(weight), reduction=reduction,
                                            label_smoothing=0.1),
           lambda t: TF.cross_entropy(t, torch.tensor(probabilities),
                                      weight=torch.tensor(weight), reduction=reduction,
                                      label_smoothing=0.1), logits)


def test_nll_loss_weighted_mean_divides_by_the_kept_weights() -> None:
    log_probs = np.log(RNG.dirichlet(np.ones(5), 8))
    target = RNG.integers(0, 5, 8)
    target[3] = 7
    weight = RNG.uniform(0.1, 3.0, 5)
    _check(lambda x: criteria.nll_loss(x, mu.Constant(target), weight=mu.Constant(weight),
                                       ignore_index=7),
           lambda t: TF.nll_loss(t, torch.tensor(target), weight=torch.tensor(weight),
                                 ignore_index=7), log_probs)


@pytest.mark.parametrize(("size_average", "reduce", "reduction"),
                         [(None, False, "none"), (False, None, "sum"), (True, True, "mean")])
def test_the_legacy_size_average_and_reduce_arguments(size_average: Any, reduce: Any,
                                                      reduction: str) -> None:
    x, target = RNG.standard_normal((4, 3)), RNG.standard_normal((4, 3))
    got = criteria.mse_loss(mu.Constant(x), mu.Constant(target), size_average=size_average,
                            reduce=reduce)
    expected = TF.mse_loss(torch.tensor(x), torch.tensor(target), reduction=reduction)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-12)


def test_second_derivative_of_the_smoothed_cross_entropy() -> None:
    logits = RNG.standard_normal((3, 4))
    target = np.array([0, 3, 1])
    x, t = _both(logits)
    loss = criteria.cross_entropy(x, mu.Constant(target), label_smoothing=0.3)
    loss.backward(create_graph=True)
    grad = x.grad()
    x.reset()
    (grad * grad).sum().backward()
    expected_loss = TF.cross_entropy(t, torch.tensor(target), label_smoothing=0.3)
    (expected_grad,) = torch.autograd.grad(expected_loss, t, create_graph=True)
    (expected_grad * expected_grad).sum().backward()
    np.testing.assert_allclose(grad.numpy(), expected_grad.detach().numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad().numpy(), t.grad.numpy(), rtol=1e-9)


def test_float32_stays_float32() -> None:
    x = mu.Variable(RNG.standard_normal((4, 3)).astype(np.float32))
    target = mu.Constant(RNG.standard_normal((4, 3)).astype(np.float32))
    for loss in (criteria.mse_loss, criteria.smooth_l1_loss, criteria.soft_margin_loss,
                 criteria.binary_cross_entropy_with_logits):
        assert loss(x, target).dtype == np.float32


@pytest.mark.parametrize(("call", "error", "message"), [
    (lambda x: criteria.mse_loss(x, mu.Constant(np.zeros(3))), mu.ShapeError, "mse_loss"),
    (lambda x: criteria.l1_loss(x, x, reduction="avg"), ValueError, "l1_loss: reduction"),
    (lambda x: criteria.nll_loss(x, mu.Constant(np.array([0, 9]))), IndexError, "nll_loss"),
    (lambda x: criteria.cross_entropy(x, mu.Constant(np.array([0.5, 1.0]))), mu.ShapeError,
     "cross_entropy"),
    (lambda x: criteria.cross_entropy(x, mu.Constant(np.array([0, 1])), label_smoothing=2),
     ValueError, "label_smoothing"),
    (lambda x: criteria.multi_margin_loss(x, mu.Constant(np.array([0, 1])), p=3), ValueError,
     "multi_margin_loss"),
    (lambda x: criteria.gaussian_nll_loss(x, x, mu.Constant(-np.ones((2, 3)))), ValueError,
     "gaussian_nll_loss"),
    (lambda x: criteria.smooth_l1_loss(x, x, beta=-1), ValueError, "smooth_l1_loss"),
    (lambda x: criteria.mse_loss([1.0, 2.0], x), TypeError, "mse_loss"),
])
def test_mistakes_are_named(call: Callable[[Any], Any], error: type[Exception],
                            message: str) -> None:
    x = mu.Variable(RNG.standard_normal((2, 3)))
    with pytest.raises(error, match=message):
        call(x)
