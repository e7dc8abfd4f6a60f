"""L-BFGS against ``torch.optim.LBFGS`` in float64: the Rosenbrock function and a small
regression, with fixed steps and with the strong-Wolfe line search, every parameter and every
returned loss equal to PyTorch's after every ``step(closure)``; the state dict, resuming, a
stand-in device, and the argument checks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn.optimizers import LBFGS

torch = pytest.importorskip("torch")

RTOL = 1e-10
"""Each ``step`` runs up to ``max_iter`` iterations, and rounding differences in the gradients
(~1e-16, from summation order) grow from one to the next: the configurations keep to 5
iterations a step, 6 steps, where they stay under 1e-11 (a wrong rule is off by far more)."""
RNG = np.random.default_rng(5)
INPUTS = RNG.normal(size=(20, 3))
TARGETS = np.tanh(INPUTS @ np.array([0.7, -1.2, 0.4]))[:, None] + 0.05 * RNG.normal(size=(20, 1))
REGRESSION_START = {"w1": 0.5 * RNG.normal(size=(3, 4)), "b1": np.zeros(4),
                    "w2": 0.5 * RNG.normal(size=(4, 1)), "b2": np.array([0.1])}
ROSENBROCK_START = {"xy": np.array([-1.5, 2.0])}


def _rosenbrock(params: dict[str, Any], library: Any, device: str | None = None) -> Any:
    x, y = params["xy"][0], params["xy"][1]
    return (1 - x) ** 2 + 100 * (y - x * x) ** 2


def _regression(params: dict[str, Any], library: Any, device: str | None = None) -> Any:
    if library is mu:
        inputs, targets = (mu.constant(INPUTS, device=device), mu.constant(TARGETS, device=device))
    else:
        inputs, targets = torch.tensor(INPUTS), torch.tensor(TARGETS)
    hidden = library.tanh(inputs @ params["w1"] + params["b1"])
    residual = hidden @ params["w2"] + params["b2"] - targets
    return (residual * residual).mean()


PROBLEMS: dict[str, tuple[Callable[..., Any], dict[str, np.ndarray]]] = {
    "rosenbrock": (_rosenbrock, ROSENBROCK_START), "regression": (_regression, REGRESSION_START)}


def _run(library: Any, problem: str, options: dict[str, Any], steps: int,
         device: str | None = None) -> tuple[list[float], list[dict[str, np.ndarray]]]:
    """The losses ``step`` returned and the parameters after each step."""
    loss_of, start = PROBLEMS[problem]
    if library is torch:
        params = {key: torch.tensor(value, requires_grad=True) for key, value in start.items()}
        optimizer: Any = torch.optim.LBFGS(list(params.values()), **options)
    else:
        params = {key: mu.variable(value.copy(), dtype="float64", device=device)
                  for key, value in start.items()}
        optimizer = LBFGS(list(params.values()), **options)

    def closure() -> Any:
        optimizer.zero_grad()
        loss = loss_of(params, library, device)
        loss.backward()
        return loss

    losses, trajectory = [], []
    for _ in range(steps):
        losses.append(float(optimizer.step(closure).detach() if library is torch
                            else optimizer.step(closure)))
        trajectory.append({key: (value.detach().numpy() if library is torch
                                 else value.numpy()).copy() for key, value in params.items()})
    return losses, trajectory


def _assert_same(found: tuple[list[float], list[dict[str, np.ndarray]]],
                 expected: tuple[list[float], list[dict[str, np.ndarray]]]) -> None:
    np.testing.assert_allclose(found[0], expected[0], rtol=RTOL, atol=1e-14)
    for step, (ours, theirs) in enumerate(zip(found[1], expected[1], strict=True)):
        for key in ours:
            np.testing.assert_allclose(ours[key], theirs[key], rtol=RTOL, atol=1e-12,
                                       err_msg=f"{key} after step {step + 1}")


CONFIGS: list[tuple[str, dict[str, Any]]] = [
    ("rosenbrock", {"lr": 0.05}),
    ("rosenbrock", {"line_search_fn": "strong_wolfe"}),  # to the minimum in 6 steps
    ("regression", {"lr": 0.5, "max_iter": 5}),
    ("regression", {"lr": 0.8, "history_size": 2, "max_iter": 5}),
    ("regression", {"line_search_fn": "strong_wolfe", "max_iter": 5}),
    ("regression", {"line_search_fn": "strong_wolfe", "max_iter": 4, "max_eval": 6,
                    "history_size": 3}),
    ("regression", {"lr": 0.5, "tolerance_change": 1e-4, "tolerance_grad": 1e-3}),
]
CONFIG_IDS = [f"{problem}-{options}" for problem, options in CONFIGS]


@pytest.mark.parametrize(("problem", "options"), CONFIGS, ids=CONFIG_IDS)
def test_every_step_matches_pytorch(problem: str, options: dict[str, Any]) -> None:
    _assert_same(_run(mu, problem, options, 6), _run(torch, problem, options, 6))


def test_the_line_search_reaches_rosenbrocks_minimum() -> None:
    _, trajectory = _run(mu, "rosenbrock", {"line_search_fn": "strong_wolfe"}, 6)
    np.testing.assert_allclose(trajectory[-1]["xy"], [1.0, 1.0], atol=1e-5)


def test_defaults_are_pytorchs() -> None:
    ours = LBFGS([mu.variable(np.zeros(2))]).defaults
    theirs = torch.optim.LBFGS([torch.zeros(2, requires_grad=True)]).defaults
    assert ours == theirs
    assert LBFGS([mu.variable(np.zeros(2))], max_iter=8).defaults["max_eval"] == 10


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_state_dict_round_trip_resumes_identically(line_search_fn: str | None) -> None:
    options = {"lr": 0.5, "history_size": 3, "max_iter": 4, "line_search_fn": line_search_fn}
    expected = _run(torch, "regression", options, 4)
    loss_of, start = PROBLEMS["regression"]
    params = {key: mu.variable(value.copy(), dtype="float64") for key, value in start.items()}
    optimizer = LBFGS(list(params.values()), **options)

    def closure_for(optimizer: LBFGS) -> Callable[[], Any]:
        def closure() -> Any:
            optimizer.zero_grad()
            loss = loss_of(params, mu)
            loss.backward()
            return loss
        return closure

    losses = [float(optimizer.step(closure_for(optimizer))) for _ in range(2)]
    saved = optimizer.state_dict()
    assert list(saved["state"]) == [0]  # kept under the first parameter, as PyTorch's
    entry = saved["state"][0]
    assert {"func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
            "prev_flat_grad", "prev_loss"} <= set(entry)
    assert isinstance(entry["d"], mu.Constant) and entry["d"].shape == (21,)
    assert all(isinstance(step, mu.Constant) for step in entry["old_stps"])
    resumed = LBFGS(list(params.values()), **options)
    resumed.load_state_dict(saved)
    losses += [float(resumed.step(closure_for(resumed))) for _ in range(2)]
    np.testing.assert_allclose(losses, expected[0], rtol=RTOL)
    for key, value in params.items():
        np.testing.assert_allclose(value.numpy(), expected[1][-1][key], rtol=RTOL, atol=1e-13)
    entry["d"] = mu.constant(np.zeros(5))
    with pytest.raises(ValueError, match=r"'d' must be a flat vector of 21 elements"):
        resumed.load_state_dict(saved)


def test_an_optimal_start_returns_at_once() -> None:
    param = mu.variable(np.array([1.0, 1.0]))
    optimizer = LBFGS([param])
    calls = []

    def closure() -> Any:
        calls.append(1)
        optimizer.zero_grad()
        loss = _rosenbrock({"xy": param}, mu)
        loss.backward()
        return loss

    assert float(optimizer.step(closure)) == 0.0
    assert len(calls) == 1
    np.testing.assert_array_equal(param.numpy(), [1.0, 1.0])


def test_parameters_without_gradient_count_as_zero() -> None:
    used, unused = mu.variable(np.array([3.0])), mu.variable(np.array([5.0]))
    optimizer = LBFGS([used, unused], lr=0.5, max_iter=3)

    def closure() -> Any:
        optimizer.zero_grad()
        loss = (used * used).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    assert abs(float(used.numpy()[0])) < 3.0
    np.testing.assert_array_equal(unused.numpy(), [5.0])


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
def test_steps_on_a_device_match_the_cpu(line_search_fn: str | None, device: str) -> None:
    options = {"lr": 0.5, "line_search_fn": line_search_fn, "history_size": 3}
    expected = _run(mu, "regression", options, 3)
    found = _run(mu, "regression", options, 3, device=device)
    np.testing.assert_allclose(found[0], expected[0], rtol=1e-9)
    for ours, theirs in zip(found[1], expected[1], strict=True):
        for key in ours:
            np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda p: LBFGS(p, line_search_fn="backtracking"), ValueError,
     "LBFGS: line_search_fn must be None or 'strong_wolfe'"),
    (lambda p: LBFGS(p, history_size=0), ValueError, "LBFGS: history_size must be an int >= 1"),
    (lambda p: LBFGS(p, max_iter=2.5), ValueError, "LBFGS: max_iter must be an int"),  # type: ignore[arg-type]
    (lambda p: LBFGS(p, lr=-1.0), ValueError, "LBFGS: lr must be a finite number >= 0"),
    (lambda p: LBFGS([{"params": p[:1]}, {"params": p[1:]}]), ValueError,
     "LBFGS: per-parameter options"),
    (lambda p: LBFGS(p).step(), TypeError, "LBFGS.step: needs a closure"),
    (lambda p: LBFGS(p).add_param_group({"params": [mu.variable(np.ones(1))]}), ValueError,
     "LBFGS: per-parameter options"),
])
def test_bad_arguments(make: Callable[[list[Any]], Any], error: type[Exception],
                       message: str) -> None:
    with pytest.raises(error, match=message):
        make([mu.variable(np.ones(2)), mu.variable(np.ones(3))])


def test_public_paths() -> None:
    assert mu.optim.LBFGS is LBFGS
    assert mu.nn.optimizers.LBFGS is LBFGS
