"""Learning-rate schedulers: values by hand, 40-step sequences (rates, and momenta for the cyclic
ones) against PyTorch's for every scheduler, resuming by ``last_epoch`` and by state dicts,
``ReduceLROnPlateau`` on metric sequences, and errors."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, cast

import numpy as np
import pytest

import mushin as mu
from mushin.nn.optimizers import SGD, Adam, Optimizer
from mushin.nn.schedulers import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    CosineAnnealingWarmRestarts,
    CyclicLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LinearWarmup,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    OneCycleLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)

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
    ("lambda", lambda o: LambdaLR(o, lambda step: 0.95 ** step),
     lambda t, o: t.LambdaLR(o, lambda step: 0.95 ** step)),
    ("lambda-per-group", lambda o: LambdaLR(o, [lambda step: 1 / (step + 1),
                                                lambda step: 0.5 if step % 4 else 1.0]),
     lambda t, o: t.LambdaLR(o, [lambda step: 1 / (step + 1),
                                 lambda step: 0.5 if step % 4 else 1.0])),
    ("multiplicative", lambda o: MultiplicativeLR(o, lambda step: 0.9 if step < 10 else 1.05),
     lambda t, o: t.MultiplicativeLR(o, lambda step: 0.9 if step < 10 else 1.05)),
    ("multistep", lambda o: MultiStepLR(o, [3, 7, 7, 12], gamma=0.5),
     lambda t, o: t.MultiStepLR(o, [3, 7, 7, 12], gamma=0.5)),
    ("multistep-zero", lambda o: MultiStepLR(o, (0, 30)),
     lambda t, o: t.MultiStepLR(o, (0, 30))),
    ("exponential", lambda o: ExponentialLR(o, 0.9), lambda t, o: t.ExponentialLR(o, 0.9)),
    ("constant", lambda o: ConstantLR(o), lambda t, o: t.ConstantLR(o)),
    ("constant-half", lambda o: ConstantLR(o, 0.5, total_iters=4),
     lambda t, o: t.ConstantLR(o, 0.5, total_iters=4)),
    ("linear", lambda o: LinearLR(o, 0.2, 0.9, total_iters=10),
     lambda t, o: t.LinearLR(o, 0.2, 0.9, total_iters=10)),
    ("linear-down", lambda o: LinearLR(o, 1.0, 0.0, total_iters=25),
     lambda t, o: t.LinearLR(o, 1.0, 0.0, total_iters=25)),
    ("polynomial", lambda o: PolynomialLR(o), lambda t, o: t.PolynomialLR(o)),
    ("polynomial-squared", lambda o: PolynomialLR(o, total_iters=12, power=2.0),
     lambda t, o: t.PolynomialLR(o, total_iters=12, power=2.0)),
    ("warm-restarts", lambda o: CosineAnnealingWarmRestarts(o, 5),
     lambda t, o: t.CosineAnnealingWarmRestarts(o, 5)),
    ("warm-restarts-doubling", lambda o: CosineAnnealingWarmRestarts(o, 3, 2, eta_min=0.001),
     lambda t, o: t.CosineAnnealingWarmRestarts(o, 3, 2, eta_min=0.001)),
    ("cyclic", lambda o: CyclicLR(o, 0.01, 0.1, step_size_up=4),
     lambda t, o: t.CyclicLR(o, 0.01, 0.1, step_size_up=4)),
    ("cyclic-triangular2", lambda o: CyclicLR(o, [0.01, 0.002], [0.1, 0.05], 3, 5,
                                              mode="triangular2"),
     lambda t, o: t.CyclicLR(o, [0.01, 0.002], [0.1, 0.05], 3, 5, mode="triangular2")),
    ("cyclic-exp-range", lambda o: CyclicLR(o, 0.01, 0.1, 5, mode="exp_range", gamma=0.9,
                                            base_momentum=0.7, max_momentum=0.95),
     lambda t, o: t.CyclicLR(o, 0.01, 0.1, 5, mode="exp_range", gamma=0.9, base_momentum=0.7,
                             max_momentum=0.95)),
    ("cyclic-scale-fn", lambda o: CyclicLR(o, 0.01, 0.1, 4, scale_fn=lambda x: 1 / (1 + x),
                                           scale_mode="iterations", cycle_momentum=False),
     lambda t, o: t.CyclicLR(o, 0.01, 0.1, 4, scale_fn=lambda x: 1 / (1 + x),
                             scale_mode="iterations", cycle_momentum=False)),
    ("one-cycle", lambda o: OneCycleLR(o, 0.1, total_steps=40),
     lambda t, o: t.OneCycleLR(o, 0.1, total_steps=40)),
    ("one-cycle-linear", lambda o: OneCycleLR(o, [0.1, 0.3], epochs=5, steps_per_epoch=9,
                                              anneal_strategy="linear", pct_start=0.25),
     lambda t, o: t.OneCycleLR(o, [0.1, 0.3], epochs=5, steps_per_epoch=9,
                               anneal_strategy="linear", pct_start=0.25)),
    ("one-cycle-three-phase", lambda o: OneCycleLR(o, 0.1, 41, three_phase=True,
                                                   div_factor=10.0, final_div_factor=100.0,
                                                   base_momentum=0.8),
     lambda t, o: t.OneCycleLR(o, 0.1, 41, three_phase=True, div_factor=10.0,
                               final_div_factor=100.0, base_momentum=0.8)),
    ("sequential", lambda o: SequentialLR(o, [LinearLR(o, 0.1, total_iters=5),
                                              CosineAnnealingLR(o, 20)], [5]),
     lambda t, o: t.SequentialLR(o, [t.LinearLR(o, 0.1, total_iters=5),
                                     t.CosineAnnealingLR(o, 20)], [5])),
    ("sequential-three", lambda o: SequentialLR(o, [
        ConstantLR(o, 0.5, total_iters=2), ExponentialLR(o, 0.8), StepLR(o, 3, 0.5)], [4, 10]),
     lambda t, o: t.SequentialLR(o, [t.ConstantLR(o, 0.5, total_iters=2),
                                     t.ExponentialLR(o, 0.8), t.StepLR(o, 3, 0.5)], [4, 10])),
    ("sequential-lambda", lambda o: SequentialLR(o, [
        LambdaLR(o, lambda step: (step + 1) / 4), MultiStepLR(o, [0, 5, 9])], [3]),
     lambda t, o: t.SequentialLR(o, [t.LambdaLR(o, lambda step: (step + 1) / 4),
                                     t.MultiStepLR(o, [0, 5, 9])], [3])),
    ("chained", lambda o: ChainedScheduler([ConstantLR(o, 0.1, total_iters=2),
                                            ExponentialLR(o, 0.9)]),
     lambda t, o: t.ChainedScheduler([t.ConstantLR(o, 0.1, total_iters=2),
                                      t.ExponentialLR(o, 0.9)])),
    ("chained-warmup-cosine", lambda o: ChainedScheduler(
        [LinearLR(o, 0.25, total_iters=5), CosineAnnealingLR(o, 15, 0.001)], o),
     lambda t, o: t.ChainedScheduler([t.LinearLR(o, 0.25, total_iters=5),
                                      t.CosineAnnealingLR(o, 15, 0.001)], o)),
]


def _torch_optimizer(name: str = "SGD") -> Any:
    torch = pytest.importorskip("torch")
    groups = [{"params": [torch.zeros(2, requires_grad=True)], "lr": BASE_LRS[0]},
              {"params": [torch.zeros(3, requires_grad=True)], "lr": BASE_LRS[1]}]
    return getattr(torch.optim, name)(groups, lr=1.0)


def _momenta(optimizer: Any) -> list[float]:
    return [group["betas"][0] if "betas" in group else group["momentum"]
            for group in optimizer.param_groups]


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


CYCLIC = [schedule for schedule in SCHEDULES if schedule[0].startswith(("cyclic", "one-cycle"))]


@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
@pytest.mark.parametrize(("make", "make_torch"), [(make, make_torch)
                                                  for _, make, make_torch in CYCLIC],
                         ids=[name for name, _, _ in CYCLIC])
@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
def test_cyclic_momentum_matches_pytorch(make: Callable[[Any], Any],
                                         make_torch: Callable[[Any, Any], Any],
                                         optimizer_name: str) -> None:
    """CyclicLR and OneCycleLR move SGD's ``momentum`` or Adam's first beta against the
    rate, and keep their bounds in the groups under PyTorch's keys."""
    torch = pytest.importorskip("torch")
    torch_optimizer = _torch_optimizer(optimizer_name)
    torch_scheduler = make_torch(torch.optim.lr_scheduler, torch_optimizer)
    optimizer = _optimizer(SGD if optimizer_name == "SGD" else Adam)
    scheduler = make(optimizer)
    for _ in range(40):
        np.testing.assert_allclose(_momenta(optimizer), _momenta(torch_optimizer), rtol=1e-13)
        for key in ("initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"):
            np.testing.assert_allclose(  # nan: a key the scheduler does not set
                [group.get(key, math.nan) for group in optimizer.param_groups],
                [group.get(key, math.nan) for group in torch_optimizer.param_groups],
                rtol=1e-13, err_msg=key)
        scheduler.step()
        torch_scheduler.step()
    if optimizer_name == "Adam":
        assert all(group["betas"][1] == 0.999 for group in optimizer.param_groups)


@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
def test_one_cycle_drives_sgd_momentum_like_pytorch() -> None:
    """The moved momentum reaches the update: 30 SGD steps under OneCycleLR equal
    PyTorch's."""
    torch = pytest.importorskip("torch")
    start = np.array([1.0, -2.0, 0.5])
    param = mu.variable(start.copy())
    optimizer = SGD([param], lr=0.1, momentum=0.9, nesterov=True)
    scheduler = OneCycleLR(optimizer, 0.5, total_steps=30)
    torch_param = torch.tensor(start, requires_grad=True)
    torch_optimizer = torch.optim.SGD([torch_param], lr=0.1, momentum=0.9, nesterov=True)
    torch_scheduler = torch.optim.lr_scheduler.OneCycleLR(torch_optimizer, 0.5, total_steps=30)
    for _ in range(30):
        optimizer.zero_grad()
        (param * param * param * param).sum().backward()
        optimizer.step()
        scheduler.step()
        torch_optimizer.zero_grad()
        (torch_param ** 4).sum().backward()
        torch_optimizer.step()
        torch_scheduler.step()
    np.testing.assert_allclose(param.numpy(), torch_param.detach().numpy(), rtol=1e-12)


@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
def test_warm_restarts_take_fractional_epochs_like_pytorch() -> None:
    torch = pytest.importorskip("torch")
    torch_optimizer = _torch_optimizer()
    torch_scheduler = torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(torch_optimizer, 2, 3)
    optimizer = _optimizer()
    scheduler = CosineAnnealingWarmRestarts(optimizer, 2, 3)
    for epoch in range(12):
        for batch in range(4):
            scheduler.step(epoch + batch / 4)
            torch_scheduler.step(epoch + batch / 4)
            np.testing.assert_allclose(scheduler.get_last_lr(), torch_scheduler.get_last_lr(),
                                       rtol=1e-13)
    assert scheduler.last_epoch == 11
    with pytest.raises(ValueError, match=r"CosineAnnealingWarmRestarts\.step: epoch must be >= 0"):
        scheduler.step(-1)


RESUMES: list[tuple[str, Callable[[Any], Any], Callable[[Any, Any], Any]]] = [
    ("step", lambda o: StepLR(o, 3, 0.5, last_epoch=5),
     lambda t, o: t.StepLR(o, 3, 0.5, last_epoch=5)),
    ("multistep", lambda o: MultiStepLR(o, [2, 6, 9], last_epoch=4),
     lambda t, o: t.MultiStepLR(o, [2, 6, 9], last_epoch=4)),
    ("exponential", lambda o: ExponentialLR(o, 0.9, last_epoch=6),
     lambda t, o: t.ExponentialLR(o, 0.9, last_epoch=6)),
    ("cosine", lambda o: CosineAnnealingLR(o, 10, 0.001, last_epoch=3),
     lambda t, o: t.CosineAnnealingLR(o, 10, 0.001, last_epoch=3)),
    ("linear", lambda o: LinearLR(o, 0.2, total_iters=8, last_epoch=2),
     lambda t, o: t.LinearLR(o, 0.2, total_iters=8, last_epoch=2)),
    ("polynomial", lambda o: PolynomialLR(o, 10, 2.0, last_epoch=4),
     lambda t, o: t.PolynomialLR(o, 10, 2.0, last_epoch=4)),
    ("constant", lambda o: ConstantLR(o, 0.5, 6, last_epoch=3),
     lambda t, o: t.ConstantLR(o, 0.5, 6, last_epoch=3)),
    ("lambda", lambda o: LambdaLR(o, lambda step: 0.9 ** step, last_epoch=4),
     lambda t, o: t.LambdaLR(o, lambda step: 0.9 ** step, last_epoch=4)),
    ("warm-restarts", lambda o: CosineAnnealingWarmRestarts(o, 4, 2, last_epoch=5),
     lambda t, o: t.CosineAnnealingWarmRestarts(o, 4, 2, last_epoch=5)),
]


@pytest.mark.parametrize(("make", "make_torch"), [(make, make_torch)
                                                  for _, make, make_torch in RESUMES],
                         ids=[name for name, _, _ in RESUMES])
@pytest.mark.filterwarnings("ignore:Detected call of:UserWarning")
def test_last_epoch_resumes_like_pytorch(make: Callable[[Any], Any],
                                         make_torch: Callable[[Any, Any], Any]) -> None:
    """A scheduler built with ``last_epoch=k`` over groups that hold ``initial_lr`` (as after
    loading an optimizer's state) continues as PyTorch's does: its first step is ``k + 1``."""
    torch = pytest.importorskip("torch")
    torch_optimizer, optimizer = _torch_optimizer(), _optimizer()
    for group in (*torch_optimizer.param_groups, *optimizer.param_groups):
        group["initial_lr"] = group["lr"]
    found = _sequence(make(optimizer), 15)
    expected = _sequence(make_torch(torch.optim.lr_scheduler, torch_optimizer), 15)
    np.testing.assert_allclose(found, expected, rtol=1e-13)


def test_last_epoch_needs_initial_lr() -> None:
    with pytest.raises(KeyError, match=r"param_groups\[0\] has no 'initial_lr'"):
        StepLR(_optimizer(), 3, last_epoch=4)


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
    """Including the schedulers a SequentialLR or ChainedScheduler drives, and the momenta
    the cyclic ones set (they live in the optimizer's groups)."""
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


# --- ReduceLROnPlateau -------------------------------------------------------------------------

METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.8, 0.81, 0.79, 0.8, 0.8, 0.8, 0.8, 0.78, 0.7,
           0.71, 0.72, 0.73, 0.74, 0.75, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.59, 0.6, 0.61, 0.62]
PLATEAU_OPTIONS: list[dict[str, Any]] = [
    {},
    {"patience": 2},
    {"mode": "max", "factor": 0.5, "patience": 1},
    {"threshold_mode": "abs", "threshold": 0.05, "cooldown": 2, "patience": 1,
     "min_lr": [0.05, 0.001]},
    {"patience": 0, "eps": 0.004, "min_lr": 0.01, "factor": 0.7},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.0, "patience": 0, "cooldown": 1},
]


@pytest.mark.parametrize("options", PLATEAU_OPTIONS, ids=map(str, PLATEAU_OPTIONS))
def test_reduce_on_plateau_matches_pytorch(options: dict[str, Any]) -> None:
    torch = pytest.importorskip("torch")
    torch_optimizer = _torch_optimizer()
    torch_scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(torch_optimizer, **options)
    optimizer = _optimizer()
    scheduler = ReduceLROnPlateau(optimizer, **options)
    assert scheduler.get_last_lr() == list(BASE_LRS)
    for step, metric in enumerate(METRICS):
        # a one-element tensor works as the metric, as in PyTorch
        scheduler.step(mu.constant(np.array(metric)) if step % 2 else metric)
        torch_scheduler.step(metric)
        assert scheduler.get_last_lr() == torch_scheduler.get_last_lr(), step
        assert (scheduler.best, scheduler.num_bad_epochs, scheduler.cooldown_counter) == (
            torch_scheduler.best, torch_scheduler.num_bad_epochs,
            torch_scheduler.cooldown_counter)
    assert scheduler.last_epoch == len(METRICS)


def test_reduce_on_plateau_state_dict_resumes_identically() -> None:
    options = {"patience": 1, "cooldown": 1, "factor": 0.5}
    scheduler = ReduceLROnPlateau(_optimizer(), **options)
    for metric in METRICS[:8]:
        scheduler.step(metric)
    state = scheduler.state_dict()
    assert state["best"] == 0.8 and state["mode"] == "min"
    continued = []
    for metric in METRICS[8:]:
        scheduler.step(metric)
        continued.append(scheduler.get_last_lr())
    optimizer = _optimizer()
    resumed = ReduceLROnPlateau(optimizer, **options)
    for group, lr in zip(optimizer.param_groups, state["last_lr"], strict=True):
        group["lr"] = lr  # what loading the optimizer's own state dict restores
    resumed.load_state_dict(state)
    found = []
    for metric in METRICS[8:]:
        resumed.step(metric)
        found.append(resumed.get_last_lr())
    assert found == continued
    for bad in ({**state, "mode": "median"}, {**state, "num_bad_epochs": -1},
                {**state, "min_lrs": [0.1]}, {**state, "factor": 1.0}):
        with pytest.raises(ValueError, match=r"ReduceLROnPlateau\.load_state_dict"):
            resumed.load_state_dict(bad)


class _Decay:
    """A callable object: its attributes go into LambdaLR's state dict, as in PyTorch."""

    def __init__(self, rate: float) -> None:
        self.rate = rate

    def __call__(self, step: int) -> float:
        return float(self.rate ** step)


def test_lambda_state_dict_saves_callable_objects_only() -> None:
    optimizer = _optimizer()
    scheduler = LambdaLR(optimizer, [_Decay(0.5), lambda step: 1.0])
    scheduler.step()
    state = scheduler.state_dict()
    assert state["lr_lambdas"] == [{"rate": 0.5}, None]
    resumed = LambdaLR(_optimizer(), [_Decay(0.9), lambda step: 1.0])
    resumed.load_state_dict(state)
    assert cast(_Decay, resumed.lr_lambdas[0]).rate == 0.5
    resumed.step()
    scheduler.step()
    assert resumed.get_last_lr() == scheduler.get_last_lr()
    with pytest.raises(ValueError, match=r"LambdaLR\.load_state_dict: lr_lambdas must list"):
        resumed.load_state_dict({**state, "lr_lambdas": [None]})


def test_public_paths() -> None:
    from mushin.optim.lr_scheduler import StepLR as Imported

    torch = pytest.importorskip("torch")
    assert Imported is StepLR
    assert mu.optim.lr_scheduler.OneCycleLR is OneCycleLR
    for name in mu.nn.schedulers.__all__:
        assert getattr(mu.optim.lr_scheduler, name) is getattr(mu.nn.schedulers, name)
        if name != "LinearWarmup":  # the crate's own
            assert hasattr(torch.optim.lr_scheduler, name), name


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
    (lambda o: StepLR(o, 2, last_epoch=-2), ValueError, "last_epoch must be at least -1"),
    (lambda o: LambdaLR(o, [lambda step: 1.0]), ValueError, "LambdaLR: expected 2 lr_lambdas"),
    (lambda o: MultiplicativeLR(o, 0.9), TypeError,  # type: ignore[arg-type]
     "MultiplicativeLR: lr_lambda 0 must be a function"),
    (lambda o: MultiStepLR(o, [2, -1]), ValueError, "each milestone must be at least 0"),
    (lambda o: MultiStepLR(o, 5), TypeError, "milestones must be a list"),  # type: ignore[arg-type]
    (lambda o: ExponentialLR(o, -0.5), ValueError, "ExponentialLR: gamma must be > 0"),
    (lambda o: ConstantLR(o, factor=1.5), ValueError, r"ConstantLR: factor must lie in \(0, 1\]"),
    (lambda o: LinearLR(o, end_factor=1.5), ValueError, r"end_factor must lie in \[0, 1\]"),
    (lambda o: LinearLR(o, total_iters=0), ValueError, "total_iters must be at least 1"),
    (lambda o: PolynomialLR(o, power=math.inf), ValueError, "PolynomialLR: power must be finite"),
    (lambda o: CosineAnnealingWarmRestarts(o, 0), ValueError, "T_0 must be at least 1"),
    (lambda o: CosineAnnealingWarmRestarts(o, 2, 1.5), TypeError,  # type: ignore[arg-type]
     "T_mult must be an int"),
    (lambda o: CyclicLR(o, 0.01, [0.1]), ValueError,
     "CyclicLR: max_lr must be a number or a list of one per parameter group"),
    (lambda o: CyclicLR(o, 0.01, 0.1, mode="sine"), ValueError, "CyclicLR: mode must be one of"),
    (lambda o: CyclicLR(o, 0.01, 0.1, step_size_up=0), ValueError, "step_size_up must be > 0"),
    (lambda o: CyclicLR(mu.optim.Adagrad([mu.zeros((1,))]), 0.01, 0.1), ValueError,
     "cycle_momentum=True needs an optimizer with momentum or betas"),
    (lambda o: OneCycleLR(o, 0.1), ValueError, "give total_steps, or epochs and steps_per_epoch"),
    (lambda o: OneCycleLR(o, 0.1, 10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda o: OneCycleLR(o, 0.1, 10, pct_start=1.2), ValueError, "pct_start must lie"),
    (lambda o: OneCycleLR(o, 0.1, epochs=0, steps_per_epoch=3), ValueError,
     "epochs must be at least 1"),
    (lambda o: SequentialLR(o, [StepLR(o, 2)], [3]), ValueError, "expected 0 milestone"),
    (lambda o: SequentialLR(o, [], []), ValueError, "expected a non-empty list of schedulers"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), StepLR(o, 3), StepLR(o, 4)], [5, 2]), ValueError,
     "milestones must be in increasing order"),
    (lambda o: SequentialLR(o, [StepLR(o, 2), ReduceLROnPlateau(o)], [5]),  # type: ignore[list-item]
     ValueError, "scheduler 1 is a ReduceLROnPlateau"),
    (lambda o: ChainedScheduler([StepLR(o, 2), StepLR(_optimizer(), 3)]), ValueError,
     "scheduler 1 .StepLR. has another"),
    (lambda o: ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode must be one of"),
    (lambda o: ReduceLROnPlateau(o, factor=1.0), ValueError, r"factor must lie in \[0, 1\)"),
    (lambda o: ReduceLROnPlateau(o, patience=-1), ValueError, "patience must be at least 0"),
    (lambda o: ReduceLROnPlateau(o, threshold_mode="relative"), ValueError, "threshold_mode"),
    (lambda o: ReduceLROnPlateau(o, min_lr=[0.1, 0.1, 0.1]), ValueError,
     "min_lr must be a number or a list of one per parameter group"),
])
def test_bad_arguments(make: Callable[[Any], Any], error: type[Exception],
                       message: str) -> None:
    optimizer = _optimizer()
    with pytest.raises(error, match=message):
        make(optimizer)
    assert [group["lr"] for group in optimizer.param_groups] == list(BASE_LRS)
