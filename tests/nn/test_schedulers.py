"""Learning-rate schedulers: values by hand, sequences against PyTorch's, state dicts, errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn.optimizers import SGD, Adam, Optimizer
from mushin.nn.schedulers import CosineAnnealingLR, LinearWarmup, LRScheduler, StepLR

BASE_LRS = (0.1, 0.02)


def _optimizer(optimizer_type: type[SGD] | type[Adam] = SGD) -> Optimizer:
    groups: list[Any] = [{"params": [mu.zeros((2,))], "lr": BASE_LRS[0]},
                         {"params": [mu.zeros((3,))], "lr": BASE_LRS[1]}]
    return optimizer_type(groups, lr=1.0)


def _sequence(scheduler: LRScheduler, steps: int) -> list[list[float]]:
    """The learning rates after construction and after each of ``steps`` steps."""
    found = [scheduler.get_last_lr()]
    for _ in range(steps):
        scheduler.step()
        found.append(scheduler.get_last_lr())
    return found


# --- by hand ---------------------------------------------------------------------------------

def test_step_lr_by_hand() -> None:
    scheduler = StepLR(_optimizer(), step_size=3, gamma=0.5)
    expected = [[lr * 0.5 ** (step // 3) for lr in BASE_LRS] for step in range(10)]
    np.testing.assert_allclose(_sequence(scheduler, 9), expected, rtol=1e-12)


def test_cosine_annealing_by_hand() -> None:
    eta_min, period = 0.001, 4
    scheduler = CosineAnnealingLR(_optimizer(), T_max=period, eta_min=eta_min)
    expected = [[eta_min + (lr - eta_min) * (1 + math.cos(math.pi * step / period)) / 2
                 for lr in BASE_LRS] for step in range(13)]  # past T_max it climbs back
    np.testing.assert_allclose(_sequence(scheduler, 12), expected, rtol=1e-12)


def test_linear_warmup_by_hand() -> None:
    scheduler = LinearWarmup(_optimizer(), warmup_steps=4, start_factor=0.2)
    factors = [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0]
    np.testing.assert_allclose(_sequence(scheduler, 6),
                               [[lr * factor for lr in BASE_LRS] for factor in factors],
                               rtol=1e-12)
    assert LinearWarmup(_optimizer(), 3).get_last_lr() == pytest.approx(
        [lr / 3 for lr in BASE_LRS])


def test_scheduled_rate_drives_the_step() -> None:
    param = mu.variable(np.array([1.0, 2.0]))
    optimizer = SGD([param], lr=1.0)
    scheduler = LinearWarmup(optimizer, warmup_steps=2, start_factor=0.5)
    (param * mu.constant(np.array([1.0, -1.0]))).sum().backward()
    optimizer.step()  # lr 0.5
    scheduler.step()
    optimizer.step()  # lr 0.75
    np.testing.assert_allclose(param.numpy(), [1.0 - 1.25, 2.0 + 1.25])
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.75)


# --- against PyTorch -------------------------------------------------------------------------

# (name, mushin scheduler of an optimizer, PyTorch scheduler of torch.optim.lr_scheduler and
# an optimizer)
SCHEDULES: list[tuple[str, Callable[[Any], Any], Callable[[Any, Any], Any]]] = [
    ("step", lambda o: StepLR(o, 7, gamma=0.3),
     lambda torch_schedulers, o: torch_schedulers.StepLR(o, 7, gamma=0.3)),
    ("step-default", lambda o: StepLR(o, 2),
     lambda torch_schedulers, o: torch_schedulers.StepLR(o, 2)),
    ("cosine", lambda o: CosineAnnealingLR(o, 10),
     lambda torch_schedulers, o: torch_schedulers.CosineAnnealingLR(o, 10)),
    ("cosine-eta-min", lambda o: CosineAnnealingLR(o, T_max=7, eta_min=0.005),
     lambda torch_schedulers, o: torch_schedulers.CosineAnnealingLR(o, 7, eta_min=0.005)),
    ("warmup", lambda o: LinearWarmup(o, 8, start_factor=0.1),
     lambda torch_schedulers, o: torch_schedulers.LinearLR(o, 0.1, total_iters=8)),
    ("warmup-default", lambda o: LinearWarmup(o, 5),
     lambda torch_schedulers, o: torch_schedulers.LinearLR(o, total_iters=5)),
]


def _torch_optimizer() -> Any:
    torch = pytest.importorskip("torch")
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": BASE_LRS[0]},
              {"params": [torch.zeros(3, requires_grad=True)], "lr": BASE_LRS[1]}]
    return torch.optim.SGD(groups, lr=1.0)


@pytest.mark.parametrize(("make", "make_torch"), [(make, make_torch)
                                                  for _, make, make_torch in SCHEDULES],
                         ids=[name for name, _, _ in SCHEDULES])
@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")  # no optimizer steps here
def test_sequence_matches_pytorch(make: Callable[[Any], Any],
                                  make_torch: Callable[[Any, Any], Any]) -> None:
    torch_optimizer = _torch_optimizer()
    expected = _sequence(make_torch(pytest.importorskip("torch").optim.lr_scheduler,
                                    torch_optimizer), 40)
    optimizer = _optimizer()
    found = _sequence(make(optimizer), 40)
    np.testing.assert_allclose(found, expected, rtol=1e-13, atol=1e-16)
    np.testing.assert_allclose([group["lr"] for group in optimizer.param_groups],
                               [group["lr"] for group in torch_optimizer.param_groups],
                               rtol=1e-13)


@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
def test_warmup_then_cosine_composes_as_pytorch() -> None:
    torch = pytest.importorskip("torch")
    torch_optimizer = _torch_optimizer()
    torch_schedulers = [torch.optim.lr_scheduler.LinearLR(torch_optimizer, 0.25, total_iters=5),
                        torch.optim.lr_scheduler.CosineAnnealingLR(torch_optimizer, 20)]
    optimizer = _optimizer()
    schedulers = [LinearWarmup(optimizer, 5, start_factor=0.25), CosineAnnealingLR(optimizer, 20)]
    for _ in range(30):
        for scheduler in (*schedulers, *torch_schedulers):
            scheduler.step()
        np.testing.assert_allclose([group["lr"] for group in optimizer.param_groups],
                                   [group["lr"] for group in torch_optimizer.param_groups],
                                   rtol=1e-12)


# --- state dicts ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", [make for _, make, _ in SCHEDULES],
                         ids=[name for name, _, _ in SCHEDULES])
def test_state_dict_resumes_identically(make: Callable[[Any], LRScheduler]) -> None:
    optimizer = _optimizer(Adam)
    scheduler = make(optimizer)
    for _ in range(6):
        scheduler.step()
    optimizer_state, scheduler_state = optimizer.state_dict(), scheduler.state_dict()
    continued = _sequence(scheduler, 12)

    resumed_optimizer = _optimizer(Adam)
    resumed = make(resumed_optimizer)
    resumed_optimizer.load_state_dict(optimizer_state)
    resumed.load_state_dict(scheduler_state)
    assert resumed.last_epoch == 6
    assert _sequence(resumed, 12) == continued


def test_load_state_dict_checks_first() -> None:
    scheduler = StepLR(_optimizer(), 3)
    state = scheduler.state_dict()
    assert set(state) == {"last_epoch", "base_lrs", "last_lr", "step_size", "gamma"}
    for bad in ({**state, "step_size": 0}, {**state, "base_lrs": [0.1]},
                {**state, "last_epoch": -2}, {**state, "extra": 1},
                {key: value for key, value in state.items() if key != "gamma"}):
        with pytest.raises(ValueError, match="StepLR"):
            scheduler.load_state_dict(bad)
        assert scheduler.state_dict() == state


# --- errors ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda o: StepLR(o, 0), ValueError, "step_size must be at least 1"),
    (lambda o: StepLR(o, 2.0), TypeError, "step_size must be an int"),  # type: ignore[arg-type]
    (lambda o: StepLR(o, 2, gamma=0.0), ValueError, "gamma must be > 0"),
    (lambda o: CosineAnnealingLR(o, 0), ValueError, "T_max must be at least 1"),
    (lambda o: CosineAnnealingLR(o, 5, eta_min=-1.0), ValueError, "eta_min must be >= 0"),
    (lambda o: LinearWarmup(o, 5, start_factor=0.0), ValueError, r"start_factor must lie"),
    (lambda o: LinearWarmup(o, 5, start_factor=1.5), ValueError, r"start_factor must lie"),
    (lambda o: LinearWarmup(o, True), TypeError, "warmup_steps must be an int"),
    (lambda o: StepLR(object(), 2), TypeError, "expected a mushin optimizer"),  # type: ignore[arg-type]
])
def test_bad_arguments(make: Callable[[Any], Any], error: type[Exception],
                       message: str) -> None:
    optimizer = _optimizer()
    with pytest.raises(error, match=message):
        make(optimizer)
    assert [group["lr"] for group in optimizer.param_groups] == list(BASE_LRS)
