"""Losses: values against float64 NumPy formulas for every reduction, gradients against
finite differences, stability at +-1e4, and the errors for bad targets."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn import losses
from mushin.testing import gradcheck

REDUCTIONS = ["mean", "sum", "none"]


def _reduce(values: np.ndarray, reduction: str) -> np.ndarray:
    if reduction == "mean":
        return np.asarray(values.mean())
    if reduction == "sum":
        return np.asarray(values.sum())
    return values


def _log_softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    peak = x.max(axis=axis, keepdims=True)
    return x - peak - np.log(np.exp(x - peak).sum(axis=axis, keepdims=True))


def _picked(log_probs: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``log_probs[n, target[n, ...], ...]`` by explicit loops (the reference)."""
    result = np.zeros(target.shape)
    for index in np.ndindex(*target.shape):
        result[index] = log_probs[(index[0], target[index], *index[1:])]
    return result


RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3)) * 2
TARGET = RNG.standard_normal((4, 3)) * 2
PROBS = RNG.uniform(0.05, 0.95, (4, 3))
BINARY = RNG.uniform(0.0, 1.0, (4, 3))

# name, loss(x, target, reduction), x, target, per-element reference
ELEMENTWISE: list[tuple[str, Callable[..., Any], np.ndarray, np.ndarray,
                        Callable[[np.ndarray, np.ndarray], np.ndarray]]] = [
    ("mse", losses.mse, X, TARGET, lambda x, t: (x - t) ** 2),
    ("l1", losses.l1, X, TARGET, lambda x, t: np.abs(x - t)),
    ("huber", losses.huber, X, TARGET, lambda x, t: np.where(
        np.abs(x - t) < 1, 0.5 * (x - t) ** 2, np.abs(x - t) - 0.5)),
    ("huber-2", lambda x, t, r: losses.huber(x, t, r, delta=2.0), X, TARGET,
     lambda x, t: np.where(np.abs(x - t) < 2, 0.5 * (x - t) ** 2, 2 * (np.abs(x - t) - 1))),
    ("binary_cross_entropy", losses.binary_cross_entropy, PROBS, BINARY,
     lambda p, t: -(t * np.log(p) + (1 - t) * np.log(1 - p))),
    ("bce_with_logits", losses.bce_with_logits, X, BINARY,
     lambda z, t: -(t * np.log(1 / (1 + np.exp(-z))) + (1 - t) * np.log(1 / (1 + np.exp(z))))),
    ("kl_div", losses.kl_div, np.log(PROBS), BINARY,
     lambda a, t: t * (np.log(t) - a)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize(("name", "loss", "x", "target", "reference"), ELEMENTWISE,
                         ids=[case[0] for case in ELEMENTWISE])
def test_elementwise_losses(name: str, loss: Callable[..., Any], x: np.ndarray,
                            target: np.ndarray,
                            reference: Callable[[np.ndarray, np.ndarray], np.ndarray],
                            reduction: str) -> None:
    result = loss(mu.constant(x), mu.constant(target), reduction)
    np.testing.assert_allclose(result.numpy(), _reduce(reference(x, target), reduction),
                               rtol=1e-12, atol=1e-14)
    assert gradcheck(lambda a: loss(a, mu.constant(target), reduction), x)


@pytest.mark.parametrize(("name", "loss"), [("binary_cross_entropy",
                                             losses.binary_cross_entropy),
                                            ("bce_with_logits", losses.bce_with_logits),
                                            ("mse", losses.mse), ("kl_div", losses.kl_div)])
def test_variable_targets_get_gradients(name: str, loss: Callable[..., Any]) -> None:
    x = PROBS if name == "binary_cross_entropy" else np.log(PROBS)
    assert gradcheck(lambda a, t: loss(a, t), x, BINARY)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 2, 2)], ids=["2d", "4d"])
def test_class_index_losses(shape: tuple[int, ...], reduction: str) -> None:
    rng = np.random.default_rng(1)
    logits = rng.standard_normal(shape) * 3
    target = rng.integers(0, shape[1], (shape[0], *shape[2:]))
    expected = -_picked(_log_softmax(logits), target)
    result = losses.cross_entropy(mu.constant(logits), mu.constant(target), reduction)
    np.testing.assert_allclose(result.numpy(), _reduce(expected, reduction), rtol=1e-12)
    log_probs = _log_softmax(logits)
    result = losses.nll(mu.constant(log_probs), target, reduction)
    np.testing.assert_allclose(result.numpy(), _reduce(expected, reduction), rtol=1e-12)
    assert gradcheck(lambda a: losses.cross_entropy(a, mu.constant(target), reduction), logits)
    assert gradcheck(lambda a: losses.nll(a, mu.constant(target), reduction), log_probs)


def test_cross_entropy_gradient_is_softmax_minus_one_hot() -> None:
    logits = np.array([[2.0, -1.0, 0.5], [0.0, 0.0, 3.0]])
    leaf = mu.variable(logits, dtype="float64")
    losses.cross_entropy(leaf, mu.constant(np.array([0, 2])), "sum").backward()
    softmax = np.exp(_log_softmax(logits))
    np.testing.assert_allclose(leaf.grad().numpy(), softmax - np.eye(3)[[0, 2]], rtol=1e-12)


def test_ignore_index_counts_for_nothing() -> None:
    logits = np.random.default_rng(2).standard_normal((4, 3))
    target = np.array([1, -100, 2, -100])
    leaf = mu.variable(logits, dtype="float64")
    loss = losses.cross_entropy(leaf, mu.constant(target))
    kept = -_picked(_log_softmax(logits[[0, 2]]), target[[0, 2]])
    np.testing.assert_allclose(loss.item(), kept.mean(), rtol=1e-12)
    loss.backward()
    np.testing.assert_array_equal(leaf.grad().numpy()[[1, 3]], 0.0)
    none = losses.nll(mu.constant(logits), mu.constant(target), "none").numpy()
    np.testing.assert_array_equal(none[[1, 3]], 0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        everything_ignored = losses.cross_entropy(mu.constant(logits),
                                                  mu.constant(np.full(4, -100)))
    assert np.isnan(everything_ignored.item())


def test_probability_targets() -> None:
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((3, 4))
    probabilities = rng.dirichlet(np.ones(4), size=3)
    expected = -(probabilities * _log_softmax(logits)).sum(axis=1)
    for reduction in REDUCTIONS:
        result = losses.cross_entropy(mu.constant(logits), mu.constant(probabilities),
                                      reduction)
        np.testing.assert_allclose(result.numpy(), _reduce(expected, reduction), rtol=1e-12)
    assert gradcheck(lambda a: losses.cross_entropy(a, mu.constant(probabilities)), logits)


def test_unbatched_class_losses() -> None:
    logits = np.array([0.5, -1.0, 2.0])
    expected = -_log_softmax(logits, axis=0)[2]
    assert losses.cross_entropy(mu.constant(logits), 2).item() == pytest.approx(expected)
    none = losses.cross_entropy(mu.constant(logits), mu.constant(np.array(2)), "none")
    assert none.shape == ()
    assert gradcheck(lambda a: losses.cross_entropy(a, 2), logits)


def test_stable_at_large_logits() -> None:
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4]])
    binary = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    with warnings.catch_warnings(), np.errstate(over="raise", divide="raise",
                                                invalid="raise"):
        warnings.simplefilter("error")
        leaf = mu.variable(logits, dtype="float64")
        cross = losses.cross_entropy(leaf, mu.constant(np.array([0, 1])), "none")
        cross.sum().backward()
        np.testing.assert_allclose(cross.numpy(), [0.0, 2e4])
        np.testing.assert_allclose(leaf.grad().numpy(),
                                   [[0.0, 0.0, 0.0], [0.0, -1.0, 1.0]], atol=1e-300)
        leaf = mu.variable(logits, dtype="float64")
        bce = losses.bce_with_logits(leaf, mu.constant(binary), "none")
        bce.sum().backward()
        np.testing.assert_allclose(bce.numpy(), [[0.0, 0.0, np.log(2)], [0.0, 1e4, 1e4]])
        assert np.all(np.isfinite(leaf.grad().numpy()))
        saturated = mu.variable(np.array([0.0, 1.0, 0.0, 1.0]), dtype="float64")
        clamped = losses.binary_cross_entropy(saturated, mu.constant(
            np.array([1.0, 0.0, 0.0, 1.0])), "none")
        clamped.sum().backward()
        np.testing.assert_array_equal(clamped.numpy(), [100.0, 100.0, 0.0, 0.0])
        assert np.all(np.isfinite(saturated.grad().numpy()))


def test_float32_stays_float32() -> None:
    logits = mu.variable(np.random.default_rng(4).standard_normal((3, 4)).astype(np.float32))
    for loss in (losses.cross_entropy(logits, mu.constant(np.array([0, 1, 3]))),
                 losses.mse(logits, np.zeros((3, 4))), losses.huber(logits, np.zeros((3, 4))),
                 losses.bce_with_logits(logits, np.ones((3, 4))),
                 losses.kl_div(logits, np.full((3, 4), 0.25))):
        assert loss.dtype == np.float32
        loss.backward()
        assert logits.grad().dtype == np.float32
        logits.reset()


def test_shape_mismatch_names_the_loss_and_both_shapes() -> None:
    x = mu.ones((4, 3))
    for name in ("mse", "l1", "huber", "binary_cross_entropy", "bce_with_logits", "kl_div"):
        with pytest.raises(mu.ShapeError, match=rf"{name}: .*\(4, 3\).*\(3, 4\)"):
            getattr(losses, name)(x * 0.5, mu.constant(np.ones((3, 4))))
    with pytest.raises(mu.ShapeError, match=r"cross_entropy: .*\(4, 3\).*\(4,\).*\(3,\)"):
        losses.cross_entropy(x, mu.constant(np.array([0, 1, 2])))
    with pytest.raises(mu.ShapeError, match=r"cross_entropy: .*\(4, 3\).*\(3, 4\)"):
        losses.cross_entropy(x, mu.constant(np.ones((3, 4))))


def test_bad_targets_and_arguments_raise() -> None:
    x = mu.ones((2, 3))
    with pytest.raises(IndexError, match="class index 3 is out of range for 3 classes"):
        losses.cross_entropy(x, mu.constant(np.array([0, 3])))
    with pytest.raises(IndexError, match="class index -1"):
        losses.nll(x, np.array([-1, 0]))
    with pytest.raises(TypeError, match="class-index targets must be integers"):
        losses.nll(x, mu.constant(np.array([0.0, 1.0])))
    with pytest.raises(ValueError, match="reduction must be one of"):
        losses.mse(x, np.ones((2, 3)), reduction="average")
    with pytest.raises(ValueError, match=r"must lie in \[0, 1\]"):
        losses.binary_cross_entropy(x * 2.0, np.ones((2, 3)))
    with pytest.raises(ValueError, match="delta must be a positive number"):
        losses.huber(x, np.ones((2, 3)), delta=0)
