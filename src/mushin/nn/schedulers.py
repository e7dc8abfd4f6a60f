"""Learning-rate schedulers: change each parameter group's ``lr`` as training advances.

``StepLR``, ``CosineAnnealingLR`` and ``LinearWarmup`` follow PyTorch's
``torch.optim.lr_scheduler`` step for step: constructing one applies the step-0 learning rate
(``LinearWarmup`` starts low at once), and each ``.step()`` (usually once per epoch, or per
batch for warm-up) moves to the next. The updates are PyTorch's *chainable* forms: each scales
the group's current ``lr``, so two schedulers on one optimizer compose (a warm-up and a cosine
decay, say) as in PyTorch.

The base learning rates are the groups' ``lr`` when the first scheduler was attached, kept in
each group as ``"initial_lr"`` (PyTorch's key). To resume training, build the optimizer and its
schedulers as at the start, then ``load_state_dict`` both.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from mushin._check import as_mapping, as_sequence, integer, is_int, number
from mushin.nn.optim.optimizer import Optimizer


def _finite(owner: str, key: str, value: object) -> float:
    checked = number(owner, key, value)
    if not math.isfinite(checked):
        raise ValueError(f"{owner}: {key} must be finite, got {value!r}")
    return checked


def _checked_optimizer(owner: str, optimizer: object) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected a mushin optimizer (mu.nn.optimizers.SGD, "
                        f"Adam...), got {type(optimizer).__name__}")
    return optimizer


class LRScheduler(ABC):
    """The common base: the step counter, ``get_last_lr`` and the state dict.

    A subclass validates its settings, stores them as attributes named in ``_settings``, and
    implements ``_next_lrs``: the learning rates for step ``last_epoch`` from the current ones.
    """

    _settings: tuple[str, ...] = ()

    def __init__(self, optimizer: Optimizer) -> None:
        """Attach to ``optimizer`` and apply the learning rate of step 0."""
        self.optimizer = _checked_optimizer(type(self).__name__, optimizer)
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs: list[float] = [group["initial_lr"] for group in optimizer.param_groups]
        """Each group's learning rate before any scheduler changed it."""
        self.last_epoch = -1
        """How many times ``step()`` has been called (0 right after construction)."""
        self._last_lr: list[float] = []
        self.step()

    @abstractmethod
    def _next_lrs(self) -> list[float]:
        """The groups' learning rates for step ``last_epoch``."""

    def step(self) -> None:
        """Advance one step and set each group's ``lr``."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self._next_lrs(), strict=True):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group as this scheduler last set it."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's progress and settings (not the optimizer's: save that separately)."""
        return {"last_epoch": self.last_epoch, "base_lrs": list(self.base_lrs),
                "last_lr": list(self._last_lr),
                **{key: getattr(self, key) for key in self._settings}}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``; every entry is checked before anything changes."""
        name = f"{type(self).__name__}.load_state_dict"
        expected = {"last_epoch", "base_lrs", "last_lr", *self._settings}
        given = as_mapping(state_dict)
        if given is None or set(given) != expected:
            found = sorted(map(str, given)) if given is not None else type(state_dict).__name__
            raise ValueError(f"{name}: expected the keys {sorted(expected)}, got {found}")
        groups = len(self.optimizer.param_groups)
        lists: dict[str, list[float]] = {}
        for key in ("base_lrs", "last_lr"):
            values = as_sequence(given[key])
            if values is None or len(values) != groups:
                raise ValueError(f"{name}: {key} must list one learning rate for each of the "
                                 f"{groups} parameter group(s), got {given[key]!r}")
            lists[key] = [_finite(name, key, value) for value in values]
        last_epoch = given["last_epoch"]
        if not is_int(last_epoch) or last_epoch < 0:
            raise ValueError(f"{name}: last_epoch must be an int >= 0, got {last_epoch!r}")
        settings = self._checked_settings({key: given[key] for key in self._settings})
        self.last_epoch = last_epoch
        self.base_lrs = lists["base_lrs"]
        self._last_lr = lists["last_lr"]
        for key, value in settings.items():
            setattr(self, key, value)

    @abstractmethod
    def _checked_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        """``settings`` validated, as this scheduler stores them."""


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps: PyTorch's ``StepLR``."""

    _settings = ("step_size", "gamma")

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        """Decay by ``gamma`` after steps ``step_size``, ``2 * step_size``..."""
        settings = self._checked_settings({"step_size": step_size, "gamma": gamma})
        self.step_size: int = settings["step_size"]
        self.gamma: float = settings["gamma"]
        super().__init__(optimizer)

    def _checked_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        name = type(self).__name__
        gamma = _finite(name, "gamma", settings["gamma"])
        if gamma <= 0:
            raise ValueError(f"{name}: gamma must be > 0, got {gamma}")
        return {"step_size": integer(name, "step_size", settings["step_size"], minimum=1),
                "gamma": gamma}

    def _next_lrs(self) -> list[float]:
        decays = self.last_epoch > 0 and self.last_epoch % self.step_size == 0
        factor = self.gamma if decays else 1.0
        return [group["lr"] * factor for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base learning rate down to ``eta_min`` over ``T_max``
    steps (then back up, periodically, if stepped further): PyTorch's ``CosineAnnealingLR``.

    At step ``t`` the rate is ``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``.
    """

    _settings = ("T_max", "eta_min")

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        """Anneal over ``T_max`` steps to ``eta_min``."""
        settings = self._checked_settings({"T_max": T_max, "eta_min": eta_min})
        self.T_max: int = settings["T_max"]
        self.eta_min: float = settings["eta_min"]
        super().__init__(optimizer)

    def _checked_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        name = type(self).__name__
        eta_min = _finite(name, "eta_min", settings["eta_min"])
        if eta_min < 0:
            raise ValueError(f"{name}: eta_min must be >= 0, got {eta_min}")
        return {"T_max": integer(name, "T_max", settings["T_max"], minimum=1), "eta_min": eta_min}

    def _next_lrs(self) -> list[float]:
        step, period, low = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if step == 0:
            return [group["lr"] for group in groups]
        if (step - 1 - period) % (2 * period) == 0:  # leaving the minimum: restart the climb
            rise = (1 - math.cos(math.pi / period)) / 2
            return [group["lr"] + (base - low) * rise
                    for base, group in zip(self.base_lrs, groups, strict=True)]
        ratio = (1 + math.cos(math.pi * step / period)) / (
            1 + math.cos(math.pi * (step - 1) / period))
        return [ratio * (group["lr"] - low) + low for group in groups]


class LinearWarmup(LRScheduler):
    """Ramp the learning rate linearly from ``start_factor * base_lr`` to ``base_lr`` over
    ``warmup_steps`` steps, then leave it: PyTorch's ``LinearLR`` with ``end_factor=1``.

    At step ``t`` the rate is ``base_lr * (start_factor + (1 - start_factor) * min(t,
    warmup_steps) / warmup_steps)``.
    """

    _settings = ("warmup_steps", "start_factor")

    def __init__(self, optimizer: Optimizer, warmup_steps: int,
                 start_factor: float = 1.0 / 3) -> None:
        """Warm up over ``warmup_steps`` steps from ``start_factor`` (in (0, 1]) of the base
        rate; PyTorch's default start is a third."""
        settings = self._checked_settings({"warmup_steps": warmup_steps,
                                           "start_factor": start_factor})
        self.warmup_steps: int = settings["warmup_steps"]
        self.start_factor: float = settings["start_factor"]
        super().__init__(optimizer)

    def _checked_settings(self, settings: dict[str, Any]) -> dict[str, Any]:
        name = type(self).__name__
        start_factor = _finite(name, "start_factor", settings["start_factor"])
        if not 0 < start_factor <= 1:
            raise ValueError(f"{name}: start_factor must lie in (0, 1], got {start_factor}")
        return {"warmup_steps": integer(name, "warmup_steps", settings["warmup_steps"], minimum=1),
                "start_factor": start_factor}

    def _next_lrs(self) -> list[float]:
        step, start = self.last_epoch, self.start_factor
        groups = self.optimizer.param_groups
        if step == 0:
            return [group["lr"] * start for group in groups]
        if step > self.warmup_steps:
            return [group["lr"] for group in groups]
        factor = 1.0 + (1.0 - start) / (self.warmup_steps * start + (step - 1) * (1.0 - start))
        return [group["lr"] * factor for group in groups]
