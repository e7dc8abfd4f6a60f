"""``mu.distributions`` against ``torch.distributions``: ``log_prob``, ``entropy``, ``cdf``,
``icdf``, moments and ``kl_divergence`` of ``Normal``, ``Categorical`` and ``Bernoulli`` in
float64, values and gradients (1e-10 relative); ``rsample``'s gradients; the statistics of
draws from mushin's own generator (``mu.manual_seed``); shapes, validation and a stand-in
device."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.distributions import (
    Bernoulli,
    Categorical,
    Distribution,
    Normal,
    kl_divergence,
    register_kl,
)

torch = pytest.importorskip("torch")

RTOL = 1e-10
RNG = np.random.default_rng(3)
LOC = RNG.normal(size=(4, 3))
SCALE = RNG.uniform(0.5, 2.0, size=(4, 3))
VALUES = RNG.normal(size=(2, 4, 3))
LOGITS = RNG.normal(size=(4, 5))
PROBS = RNG.uniform(0.1, 1.0, size=(4, 5))
INDICES = RNG.integers(0, 5, size=(6, 4))
BINARY_PROBS = RNG.uniform(0.05, 0.95, size=(4, 3))
BINARY_VALUES = RNG.integers(0, 2, size=(2, 4, 3)).astype(np.float64)


def _pair(*arrays: np.ndarray) -> tuple[list[Any], list[Any]]:
    """Each array as a float64 mushin Variable and a PyTorch tensor that requires grad."""
    return ([mu.variable(array.copy(), dtype="float64") for array in arrays],
            [torch.tensor(array, requires_grad=True) for array in arrays])


def _assert_matches(compute: Callable[..., Any], torch_compute: Callable[..., Any],
                    *arrays: np.ndarray) -> None:
    """``compute`` on mushin Variables equals ``torch_compute`` on PyTorch tensors, in value
    and in the gradients of its sum (weighted, so every element's gradient counts)."""
    ours, theirs = _pair(*arrays)
    found, expected = compute(*ours), torch_compute(*theirs)
    np.testing.assert_allclose(found.numpy(), expected.detach().numpy(), rtol=RTOL, atol=1e-13)
    weights = np.linspace(0.5, 1.5, math.prod(found.shape)).reshape(found.shape)
    (found * mu.constant(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    for variable, tensor in zip(ours, theirs, strict=True):
        gradient = np.zeros(tensor.shape) if tensor.grad is None else tensor.grad.numpy()
        np.testing.assert_allclose(variable.grad().numpy(), gradient, rtol=RTOL, atol=1e-12)


TD = torch.distributions
NORMAL_CASES: dict[str, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "log_prob": (lambda loc, scale: Normal(loc, scale).log_prob(mu.constant(VALUES)),
                 lambda loc, scale: TD.Normal(loc, scale).log_prob(torch.tensor(VALUES))),
    "entropy": (lambda loc, scale: Normal(loc, scale).entropy(),
                lambda loc, scale: TD.Normal(loc, scale).entropy()),
    "cdf": (lambda loc, scale: Normal(loc, scale).cdf(mu.constant(VALUES)),
            lambda loc, scale: TD.Normal(loc, scale).cdf(torch.tensor(VALUES))),
    "icdf": (lambda loc, scale: Normal(loc, scale).icdf(mu.constant(BINARY_PROBS)),
             lambda loc, scale: TD.Normal(loc, scale).icdf(torch.tensor(BINARY_PROBS))),
    "variance": (lambda loc, scale: Normal(loc, scale).variance,
                 lambda loc, scale: TD.Normal(loc, scale).variance),
    "stddev": (lambda loc, scale: Normal(loc, scale).stddev * Normal(loc, scale).mean,
               lambda loc, scale: TD.Normal(loc, scale).stddev * TD.Normal(loc, scale).mean),
    "log_prob-broadcast-number": (lambda loc, scale: Normal(loc[0], 0.7).log_prob(0.25),
                                  lambda loc, scale: TD.Normal(loc[0], 0.7).log_prob(
                                      torch.tensor(0.25, dtype=torch.float64))),
    "kl": (lambda loc, scale: kl_divergence(Normal(loc, scale), Normal(loc[0] * 2, scale[1])),
           lambda loc, scale: TD.kl_divergence(TD.Normal(loc, scale),
                                               TD.Normal(loc[0] * 2, scale[1]))),
}


@pytest.mark.parametrize("case", NORMAL_CASES)
def test_normal_matches_pytorch(case: str) -> None:
    _assert_matches(*NORMAL_CASES[case], LOC, SCALE)


def _categorical(library: Any, kind: str, param: Any) -> Any:
    distribution = Categorical if library is mu else TD.Categorical
    return distribution(**{kind: param})


CATEGORICAL_CASES: dict[str, Callable[[Any, str, Any], Any]] = {
    "log_prob": lambda lib, kind, p: _categorical(lib, kind, p).log_prob(
        mu.constant(INDICES) if lib is mu else torch.tensor(INDICES)),
    "log_prob-one-index": lambda lib, kind, p: _categorical(lib, kind, p).log_prob(
        mu.constant(np.array(3)) if lib is mu else torch.tensor(3)),
    "entropy": lambda lib, kind, p: _categorical(lib, kind, p).entropy(),
    "probs": lambda lib, kind, p: _categorical(lib, kind, p).probs,
    "logits": lambda lib, kind, p: _categorical(lib, kind, p).logits,
    "kl": lambda lib, kind, p: (kl_divergence if lib is mu else TD.kl_divergence)(
        _categorical(lib, kind, p), _categorical(lib, kind, p[:, [1, 0, 2, 4, 3]] * 2)),
}


@pytest.mark.parametrize("kind", ["probs", "logits"])
@pytest.mark.parametrize("case", CATEGORICAL_CASES)
def test_categorical_matches_pytorch(case: str, kind: str) -> None:
    compute = CATEGORICAL_CASES[case]
    _assert_matches(lambda p: compute(mu, kind, p), lambda p: compute(torch, kind, p),
                    PROBS if kind == "probs" else LOGITS)


def _bernoulli(library: Any, kind: str, param: Any) -> Any:
    distribution = Bernoulli if library is mu else TD.Bernoulli
    return distribution(**{kind: param})


BERNOULLI_CASES: dict[str, Callable[[Any, str, Any], Any]] = {
    "log_prob": lambda lib, kind, p: _bernoulli(lib, kind, p).log_prob(
        mu.constant(BINARY_VALUES) if lib is mu else torch.tensor(BINARY_VALUES)),
    "entropy": lambda lib, kind, p: _bernoulli(lib, kind, p).entropy(),
    "variance": lambda lib, kind, p: _bernoulli(lib, kind, p).variance,
    "probs-and-logits": lambda lib, kind, p: (_bernoulli(lib, kind, p).probs
                                              * _bernoulli(lib, kind, p).logits),
    "kl": lambda lib, kind, p: (kl_divergence if lib is mu else TD.kl_divergence)(
        _bernoulli(lib, kind, p), _bernoulli(lib, kind, p.flip(0) if lib is torch
                                             else p[::-1])),
}


@pytest.mark.parametrize("kind", ["probs", "logits"])
@pytest.mark.parametrize("case", BERNOULLI_CASES)
def test_bernoulli_matches_pytorch(case: str, kind: str) -> None:
    compute = BERNOULLI_CASES[case]
    param = BINARY_PROBS if kind == "probs" else LOC
    _assert_matches(lambda p: compute(mu, kind, p), lambda p: compute(torch, kind, p), param)


def test_kl_is_infinite_where_q_has_no_mass() -> None:
    p, q = np.array([[0.5, 0.5, 0.0]]), np.array([[0.5, 0.0, 0.5]])
    for ours_p, ours_q, theirs_p, theirs_q in [
            (Categorical(probs=p), Categorical(probs=q), TD.Categorical(probs=torch.tensor(p)),
             TD.Categorical(probs=torch.tensor(q))),
            (Bernoulli(probs=np.array([0.0, 0.3, 1.0])), Bernoulli(probs=np.array([0.2, 0.0,
                                                                                   1.0])),
             TD.Bernoulli(probs=torch.tensor([0.0, 0.3, 1.0], dtype=torch.float64)),
             TD.Bernoulli(probs=torch.tensor([0.2, 0.0, 1.0], dtype=torch.float64)))]:
        np.testing.assert_allclose(kl_divergence(ours_p, ours_q).numpy(),
                                   TD.kl_divergence(theirs_p, theirs_q).numpy(), rtol=RTOL)


def test_rsample_gradients_flow_to_loc_and_scale() -> None:
    loc, scale = mu.variable(LOC.copy()), mu.variable(SCALE.copy())
    draws = Normal(loc, scale).rsample((50,))
    assert draws.shape == (50, 4, 3) and isinstance(draws, mu.Variable)
    noise = (draws.numpy() - LOC) / SCALE
    (draws * draws).sum().backward()
    np.testing.assert_allclose(loc.grad().numpy(), (2 * draws.numpy()).sum(0), rtol=1e-10)
    np.testing.assert_allclose(scale.grad().numpy(), (2 * draws.numpy() * noise).sum(0),
                               rtol=1e-10)


# --- draws -----------------------------------------------------------------------------------

def test_normal_draws_have_the_right_statistics() -> None:
    mu.manual_seed(0)
    draws = Normal(mu.variable(np.array([0.0, 3.0])), np.array([1.0, 0.5])).sample((40000,))
    assert isinstance(draws, mu.Constant) and draws.shape == (40000, 2)
    values = draws.numpy()
    np.testing.assert_allclose(values.mean(0), [0.0, 3.0], atol=0.02)
    np.testing.assert_allclose(values.var(0), [1.0, 0.25], rtol=0.03)


def test_categorical_draws_have_the_right_frequencies() -> None:
    mu.manual_seed(1)
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]])
    draws = Categorical(probs=mu.variable(probs)).sample((30000,))
    assert draws.shape == (30000, 2) and draws.dtype == np.int64
    for row in range(2):
        frequencies = np.bincount(draws.numpy()[:, row], minlength=3) / 30000
        np.testing.assert_allclose(frequencies, probs[row], atol=0.01)


def test_bernoulli_draws_have_the_right_mean() -> None:
    mu.manual_seed(2)
    draws = Bernoulli(logits=mu.variable(np.array([-1.0, 0.0, 2.0]))).sample((30000,))
    assert draws.shape == (30000, 3) and set(np.unique(draws.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.numpy().mean(0), 1 / (1 + np.exp([1.0, 0.0, -2.0])),
                               atol=0.01)


@pytest.mark.parametrize("make", [
    lambda: Normal(np.zeros(3), 1.0), lambda: Categorical(logits=np.zeros((3, 4))),
    lambda: Bernoulli(probs=np.full(3, 0.5))])
def test_draws_repeat_after_manual_seed(make: Callable[[], Distribution[Any]]) -> None:
    mu.manual_seed(7)
    first = make().sample((5,)).numpy()
    mu.manual_seed(7)
    np.testing.assert_array_equal(make().sample((5,)).numpy(), first)


# --- shapes and moments -----------------------------------------------------------------------

def test_shapes_follow_pytorch() -> None:
    for ours, theirs in [
            (Normal(np.zeros((4, 3)), 1.0), TD.Normal(torch.zeros(4, 3), 1.0)),
            (Normal(0.0, 1.0), TD.Normal(0.0, 1.0)),
            (Categorical(logits=np.zeros((4, 5))), TD.Categorical(logits=torch.zeros(4, 5))),
            (Categorical(probs=np.ones(5)), TD.Categorical(probs=torch.ones(5))),
            (Bernoulli(probs=0.3), TD.Bernoulli(probs=0.3)),
            (Bernoulli(logits=np.zeros(3)), TD.Bernoulli(logits=torch.zeros(3)))]:
        assert ours.batch_shape == tuple(theirs.batch_shape)
        assert ours.event_shape == tuple(theirs.event_shape) == ()
        for sample_shape in [(), (2,), (2, 3)]:
            assert ours.sample(sample_shape).shape == tuple(theirs.sample(sample_shape).shape)
        assert ours.sample(6).shape == (6, *ours.batch_shape)
    assert Normal(0.0, 1.0).loc.dtype == np.float32  # numbers alone: the default dtype
    assert Normal(mu.zeros((2,), dtype="float64"), 2.0).scale.dtype == np.float64
    assert Categorical(probs=np.ones((2, 5))).param_shape == (2, 5)


def test_moments_and_modes() -> None:
    probs = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    categorical = Categorical(probs=probs)
    np.testing.assert_array_equal(categorical.mode.numpy(), [1, 0])
    assert np.isnan(categorical.mean.numpy()).all() and categorical.mean.shape == (2,)
    assert np.isnan(categorical.variance.numpy()).all()
    bernoulli = Bernoulli(probs=np.array([0.2, 0.5, 0.9]))
    np.testing.assert_array_equal(bernoulli.mode.numpy(), [0.0, np.nan, 1.0])
    np.testing.assert_allclose(bernoulli.stddev.numpy(), np.sqrt([0.16, 0.25, 0.09]))
    normal = Normal(np.array([1.0, 2.0]), np.array([0.5, 3.0]))
    np.testing.assert_array_equal(normal.mode.numpy(), [1.0, 2.0])
    np.testing.assert_allclose(normal.perplexity().numpy(),
                               torch.distributions.Normal(torch.tensor([1.0, 2.0]),
                                                          torch.tensor([0.5, 3.0]))
                               .entropy().exp().numpy(), rtol=1e-6)


def test_reprs_follow_pytorch() -> None:
    assert repr(Normal(0.0, 1.0)) == "Normal(loc: 0.0, scale: 1.0)"
    assert repr(Categorical(logits=np.zeros((2, 3)))) == "Categorical(logits: (2, 3))"
    assert repr(Bernoulli(probs=np.full(4, 0.5))) == "Bernoulli(probs: (4,))"


def test_register_kl_adds_a_pair() -> None:
    class Shifted(Normal[Any]):
        """A subclass: the most specific registered pair wins over Normal's."""

    @register_kl(Shifted, Normal)
    def _shifted_normal(p: Shifted, q: Normal[Any]) -> Any:
        return mu.zeros(p.batch_shape)

    p = Shifted(np.zeros(2), 1.0)
    np.testing.assert_array_equal(kl_divergence(p, Normal(1.0, 1.0)).numpy(), [0.0, 0.0])
    np.testing.assert_allclose(kl_divergence(Normal(np.zeros(2), 1.0), p).numpy(), [0.0, 0.0])
    with pytest.raises(NotImplementedError, match="no KL divergence is registered for Normal "
                                                  "and Bernoulli"):
        kl_divergence(Normal(0.0, 1.0), Bernoulli(probs=0.5))


# --- validation --------------------------------------------------------------------------------

@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: Normal(0.0, 0.0), ValueError, "Normal: scale must be positive"),
    (lambda: Normal(math.nan, 1.0), ValueError, r"Normal: loc must be a number \(not NaN\)"),
    (lambda: Normal(np.zeros(3), np.ones(2)), ValueError, "Normal: the parameters' shapes do "
                                                          "not broadcast"),
    (lambda: Normal("0", 1.0), TypeError, "Normal: loc must be a tensor, an array or a number"),
    (lambda: Categorical(), ValueError, "Categorical: give either probs or logits"),
    (lambda: Categorical(probs=np.ones(2), logits=np.ones(2)), ValueError, "not both"),
    (lambda: Categorical(probs=np.array([0.5, -0.1])), ValueError,
     "Categorical: probs must be finite, non-negative"),
    (lambda: Categorical(logits=np.array(1.0)), ValueError, "must have at least one axis"),
    (lambda: Bernoulli(probs=np.array([0.5, 1.5])), ValueError,
     r"Bernoulli: probs must be probabilities in \[0, 1\]"),
    (lambda: Bernoulli(), ValueError, "Bernoulli: give either probs or logits"),
    (lambda: Categorical(logits=np.zeros(3)).log_prob(np.array(3)), ValueError,
     r"Categorical\.log_prob: value must be category indices in \[0, 3\)"),
    (lambda: Categorical(logits=np.zeros((2, 3))).log_prob(np.zeros(3)), ValueError,
     r"Categorical\.log_prob: a value of shape \(3,\) does not broadcast"),
    (lambda: Bernoulli(probs=0.5).log_prob(0.5), ValueError,
     r"Bernoulli\.log_prob: value must be 0 or 1"),
    (lambda: Normal(0.0, 1.0).sample((-1,)), TypeError, "sample_shape must be a tuple of ints"),
    (lambda: Normal(0.0, 1.0).sample(2.5), TypeError, "sample_shape"),
    (lambda: Bernoulli(probs=0.5).rsample(), NotImplementedError,
     "Bernoulli has no differentiable rsample"),
    (lambda: Normal(0.0, 1.0, validate_args=1), TypeError, "validate_args must be None, True"),
])
def test_bad_arguments(make: Callable[[], Any], error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_validation_can_be_turned_off() -> None:
    assert Normal(0.0, -1.0, validate_args=False).scale.item() == -1.0
    Distribution.set_default_validate_args(False)
    try:
        assert Bernoulli(probs=2.0).probs.item() == 2.0
    finally:
        Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError, match="probs"):
        Bernoulli(probs=2.0)


def test_public_paths() -> None:
    assert mu.distributions.Normal is Normal
    assert mu.distributions.kl_divergence is kl_divergence
    for name in mu.distributions.__all__:
        assert hasattr(torch.distributions, name), name


# --- devices -------------------------------------------------------------------------------------

def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    def compute(on: str | None) -> list[np.ndarray]:
        loc = mu.variable(LOC.copy(), device=on)
        logits = mu.variable(LOGITS.copy(), device=on)
        normal = Normal(loc, mu.constant(SCALE, device=on))
        categorical = Categorical(logits=logits)
        bernoulli = Bernoulli(logits=loc)
        results = [normal.log_prob(mu.constant(VALUES, device=on)), normal.entropy(),
                   categorical.log_prob(mu.constant(INDICES, device=on)),
                   categorical.entropy(),
                   bernoulli.log_prob(mu.constant(BINARY_VALUES, device=on)),
                   kl_divergence(categorical, Categorical(logits=logits * 2)),
                   kl_divergence(bernoulli, Bernoulli(probs=mu.constant(BINARY_PROBS,
                                                                          device=on)))]
        sum(result.sum() for result in results).backward()
        for draws in (normal.sample((3,)), categorical.sample((3,)), bernoulli.sample((3,)),
                      normal.rsample()):
            assert draws.device == (on or "cpu")
        return [result.numpy() for result in results] + [loc.grad().numpy(),
                                                          logits.grad().numpy()]

    for ours, theirs in zip(compute(device), compute(None), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
