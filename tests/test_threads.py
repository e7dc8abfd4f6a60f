"""Thread safety: recording modes are per thread, and concurrent training is deterministic.

``no_grad``, ``enable_grad`` and ``detect_anomaly`` change only the thread that enters them,
and restore exactly what that thread had before, even when one context object is shared by
several threads or re-entered (a decorated recursive function). Two threads training two
models at once get, bit for bit, what they get one after the other. The random generator
behind ``mu.seed`` is shared by the threads: each draw is atomic (no draw is torn or repeated),
but which thread gets which draw depends on timing, so reproducible programs draw their
random numbers (initialisation, dropout masks, shuffles) before starting threads or in one
thread.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn import activations, losses
from mushin.nn.layers import Linear, Sequential
from mushin.nn.optimizers import SGD, Adam, Optimizer

_TIMEOUT = 60.0


@pytest.fixture(autouse=True)
def _frequent_thread_switches() -> Iterator[None]:
    """Switch threads every few microseconds instead of every 5 ms, so that the threads of a
    test interleave inside operations and inside each training step."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(previous)


def _run_concurrently(*targets: Callable[[], Any]) -> list[Any]:
    """Run each target in its own thread, all released together; return their results in
    order, re-raising the first exception a thread raised."""
    start = threading.Barrier(len(targets))
    results: list[Any] = [None] * len(targets)
    errors: list[BaseException] = []

    def run(position: int, target: Callable[[], Any]) -> None:
        try:
            start.wait(timeout=_TIMEOUT)
            results[position] = target()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=run, args=(position, target))
               for position, target in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=_TIMEOUT)
        assert not thread.is_alive(), "a thread did not finish: deadlock or hang"
    if errors:
        raise errors[0]
    return results


# --- recording modes --------------------------------------------------------------------------

def _records_gradients() -> bool:
    """Whether this thread records: the gradient of x * x reaches x."""
    x = mu.variable(np.array([3.0]))
    (x * x).backward()
    return bool(x.grad().numpy()[0] == 6.0)


@pytest.mark.parametrize("mode", [mu.no_grad, mu.detect_anomaly])
def test_a_mode_entered_in_one_thread_does_not_reach_another(mode: Callable[[], Any]) -> None:
    inside, outside_checked = threading.Event(), threading.Event()

    def in_mode() -> tuple[bool, bool]:
        with mode():
            inside.set()
            assert outside_checked.wait(timeout=_TIMEOUT)
            return mu.is_grad_enabled(), _anomaly_detected()

    def outside() -> tuple[bool, bool]:
        assert inside.wait(timeout=_TIMEOUT)
        try:
            return mu.is_grad_enabled(), _anomaly_detected()
        finally:
            outside_checked.set()

    in_mode_result, outside_result = _run_concurrently(in_mode, outside)
    assert outside_result == (True, False)
    expected = (False, False) if mode is mu.no_grad else (True, True)
    assert in_mode_result == expected


def _anomaly_detected() -> bool:
    """Whether ``detect_anomaly`` is active on this thread: log(0) raises under it."""
    with np.errstate(divide="ignore"):
        try:
            mu.log(mu.constant(np.zeros(1)))
        except FloatingPointError:
            return True
    return False


def test_a_decorated_recursive_function_restores_recording() -> None:
    @mu.no_grad()
    def countdown(steps: int) -> bool:
        return countdown(steps - 1) if steps else mu.is_grad_enabled()

    assert countdown(3) is False
    assert mu.is_grad_enabled()
    assert _records_gradients()


def test_a_context_object_re_entered_restores_each_level() -> None:
    anomaly = mu.detect_anomaly()
    with anomaly:
        with anomaly:
            assert _anomaly_detected()
        assert _anomaly_detected()
    assert not _anomaly_detected()


@pytest.mark.parametrize("shared", [mu.no_grad(), mu.enable_grad(), mu.detect_anomaly()],
                         ids=["no_grad", "enable_grad", "detect_anomaly"])
def test_one_context_object_shared_by_two_threads_restores_each_threads_own_state(
        shared: Any) -> None:
    """Thread A enters ``shared``; thread B enters ``no_grad`` and ``detect_anomaly``, then
    ``shared``; A leaves first. A must get back its own state, not what B had when it entered
    ``shared``, and B its own when it leaves."""
    first_entered, second_entered, first_left = (threading.Event() for _ in range(3))

    def snapshot() -> tuple[bool, bool]:
        return mu.is_grad_enabled(), _anomaly_detected()

    def first() -> tuple[bool, bool]:
        before = snapshot()
        with shared:
            first_entered.set()
            assert second_entered.wait(timeout=_TIMEOUT)
        first_left.set()
        after = snapshot()
        assert after == before
        return after

    def second() -> tuple[bool, bool]:
        assert first_entered.wait(timeout=_TIMEOUT)
        with mu.no_grad(), mu.detect_anomaly():
            before = snapshot()
            with shared:
                second_entered.set()
                assert first_left.wait(timeout=_TIMEOUT)
            after = snapshot()
        assert after == before
        return snapshot()

    first_after, second_after = _run_concurrently(first, second)
    assert first_after == (True, False)
    assert second_after == (True, False)


def test_modes_flipped_constantly_in_many_threads_never_leak() -> None:
    """Eight threads enter and leave modes thousands of times while computing; each always
    sees exactly the modes it entered."""

    def worker(index: int) -> int:
        checks = 0
        x = mu.variable(np.array([float(index + 1)]))
        for step in range(300):
            use_no_grad = (step + index) % 2 == 0
            with mu.no_grad() if use_no_grad else mu.enable_grad():
                y = x * x
                assert isinstance(y, mu.Variable)
                assert mu.is_grad_enabled() is not use_no_grad
                assert (y._node.prim is None) is use_no_grad
                checks += 1
            assert mu.is_grad_enabled()
        return checks

    results = _run_concurrently(*(lambda index=index: worker(index) for index in range(8)))
    assert results == [300] * 8


# --- the random generator ---------------------------------------------------------------------

def test_concurrent_draws_are_atomic() -> None:
    """Four threads drawing at once get, between them, exactly the rows one thread would draw
    after the same seed: none torn, repeated or lost (the order between threads is free)."""
    calls, rows = 4 * 200, 16
    mu.seed(1234)
    sequential = np.stack([mu.randn((rows,), dtype="float64").numpy() for _ in range(calls)])

    def draw() -> list[np.ndarray[Any, Any]]:
        return [mu.randn((rows,), dtype="float64").numpy() for _ in range(calls // 4)]

    mu.seed(1234)
    concurrent = np.stack([row for rows_drawn in _run_concurrently(*[draw] * 4)
                           for row in rows_drawn])
    order = np.lexsort(sequential.T[::-1])
    np.testing.assert_array_equal(concurrent[np.lexsort(concurrent.T[::-1])], sequential[order])


# --- training in two threads --------------------------------------------------------------------

def _model_and_data(index: int) -> tuple[Sequential, np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """A small MLP and a regression task, both from fixed seeds (drawn in this thread)."""
    mu.seed(100 + index)
    model = Sequential(Linear(6, 16), activations.tanh, Linear(16, 16), activations.relu,
                       Linear(16, 3))
    rng = np.random.default_rng(index)
    inputs = rng.standard_normal((64, 6)).astype(np.float32)
    targets = np.sin(inputs[:, :3] * (index + 1)).astype(np.float32)
    return model, inputs, targets


def _train(model: Sequential, optimizer: Optimizer, inputs: np.ndarray[Any, Any],
           targets: np.ndarray[Any, Any], steps: int) -> tuple[list[float], list[Any]]:
    """``steps`` steps of minibatch training (batches taken in a fixed order); returns every
    loss and the final parameters."""
    losses_seen = []
    for step in range(steps):
        rows = slice(16 * (step % 4), 16 * (step % 4 + 1))
        optimizer.zero_grad()
        loss = losses.mse(model(mu.constant(inputs[rows])), mu.constant(targets[rows]))
        loss.backward()
        optimizer.step()
        losses_seen.append(loss.item())
    return losses_seen, [parameter.numpy() for parameter in model.parameters()]


@pytest.mark.parametrize("make_optimizer", [
    lambda params: SGD(params, lr=0.05, momentum=0.9),
    lambda params: Adam(params, lr=1e-2)], ids=["SGD", "Adam"])
def test_two_threads_training_two_models_match_training_one_after_the_other(
        make_optimizer: Callable[[Any], Optimizer]) -> None:
    steps = 200

    def run(index: int) -> Callable[[], tuple[list[float], list[Any]]]:
        model, inputs, targets = _model_and_data(index)
        optimizer = make_optimizer(model.parameters())
        return lambda: _train(model, optimizer, inputs, targets, steps)

    sequential = [run(0)(), run(1)()]
    concurrent = _run_concurrently(run(0), run(1))
    for (expected_losses, expected_params), (losses_seen, params) in zip(
            sequential, concurrent, strict=True):
        assert losses_seen == expected_losses
        for expected, actual in zip(expected_params, params, strict=True):
            np.testing.assert_array_equal(actual, expected)
    # The two tasks differ, so matching results are not one model's results twice.
    assert sequential[0][0] != sequential[1][0]
    assert sequential[0][0][-1] < sequential[0][0][0] / 2


def test_a_thread_training_under_no_grad_elsewhere_still_learns() -> None:
    """One thread evaluates under ``no_grad`` in a loop while another trains: the trainer's
    gradients are unaffected (its result equals training alone)."""
    model, inputs, targets = _model_and_data(0)
    alone = _train(model, SGD(model.parameters(), lr=0.05), inputs, targets, 100)

    model, inputs, targets = _model_and_data(0)
    optimizer = SGD(model.parameters(), lr=0.05)
    training_done = threading.Event()
    evaluator_model, evaluator_inputs, _ = _model_and_data(1)

    def evaluate() -> int:
        evaluations = 0
        while not training_done.is_set():
            with mu.no_grad():
                evaluator_model(mu.constant(evaluator_inputs))
            evaluations += 1
        return evaluations

    def train() -> tuple[list[float], list[Any]]:
        try:
            return _train(model, optimizer, inputs, targets, 100)
        finally:
            training_done.set()

    trained, evaluations = _run_concurrently(train, evaluate)
    assert evaluations > 0
    assert trained[0] == alone[0]
    for expected, actual in zip(alone[1], trained[1], strict=True):
        np.testing.assert_array_equal(actual, expected)


def test_threads_accumulating_into_one_leaf_lose_no_update() -> None:
    """4 threads x 60 backward passes into a shared 10**6-element leaf: every element's
    gradient is 240 (it used to come out 230-238: two threads' in-place sums interleaved)."""
    weight = mu.variable(np.zeros(1_000_000))

    def accumulate() -> None:
        for _ in range(60):
            (weight * 1.0).sum().backward()

    threads = [threading.Thread(target=accumulate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=_TIMEOUT)
    assert not any(thread.is_alive() for thread in threads)
    grad = weight.grad().numpy()
    assert grad.min() == grad.max() == 240.0
