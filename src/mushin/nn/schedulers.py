"""Learning-rate schedulers (``mu.nn.schedulers``, also ``mu.optim.lr_scheduler``): change each
parameter group's ``lr`` (and, for the cyclic ones, its momentum) as training advances.

Every scheduler follows PyTorch's ``torch.optim.lr_scheduler`` step for step: constructing one
applies the step-0 learning rate, and each ``.step()`` (once per epoch, or once per batch for
``OneCycleLR``, ``CyclicLR`` and warm-ups) moves to the next; ``last_epoch`` counts the steps
(0 right after construction). Where PyTorch's updates are *chainable*, so are these: each
scales the group's current ``lr``, so two schedulers on one optimizer compose as in PyTorch.
``ChainedScheduler`` steps several at once, ``SequentialLR`` hands over from one to the next at
milestones, and ``ReduceLROnPlateau`` steps on a metric instead: ``scheduler.step(val_loss)``.

The base learning rates are the groups' ``lr`` when the first scheduler was attached, kept in
each group as ``"initial_lr"`` (PyTorch's key; ``OneCycleLR`` and ``CyclicLR`` keep their
bounds there too). Constructing with ``last_epoch=k`` resumes after step ``k`` from those. To
resume training, build the optimizer and its schedulers as at the start, then
``load_state_dict`` both. ``LinearWarmup`` is the crate's name for ``LinearLR`` ending at the
base rate.
"""

from __future__ import annotations

import copy
import math
import types
from abc import abstractmethod
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, SupportsFloat, cast

from mushin._check import as_mapping, as_sequence, integer, is_int, number
from mushin.nn.optim.optimizer import Optimizer

__all__ = ["ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
           "CyclicLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR", "LinearWarmup",
           "MultiStepLR", "MultiplicativeLR", "OneCycleLR", "PolynomialLR", "ReduceLROnPlateau",
           "SequentialLR", "StepLR"]


# --- checking what users pass: each helper takes any object and returns it typed ----------

def _finite(owner: str, key: str, value: object) -> float:
    checked = number(owner, key, value)
    if not math.isfinite(checked):
        raise ValueError(f"{owner}: {key} must be finite, got {value!r}")
    return checked


def _positive(owner: str, key: str, value: object) -> float:
    checked = _finite(owner, key, value)
    if checked <= 0:
        raise ValueError(f"{owner}: {key} must be > 0, got {value!r}")
    return checked


def _non_negative(owner: str, key: str, value: object) -> float:
    checked = _finite(owner, key, value)
    if checked < 0:
        raise ValueError(f"{owner}: {key} must be >= 0, got {value!r}")
    return checked


def _fraction(owner: str, key: str, value: object, *, above_zero: bool = False) -> float:
    """A number in [0, 1], or (0, 1] with ``above_zero``."""
    checked = _finite(owner, key, value)
    if checked > 1 or checked < 0 or (above_zero and checked == 0):
        interval = "(0, 1]" if above_zero else "[0, 1]"
        raise ValueError(f"{owner}: {key} must lie in {interval}, got {value!r}")
    return checked


def _choice(owner: str, key: str, value: object, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{owner}: {key} must be one of {', '.join(map(repr, choices))}, got "
                         f"{value!r}")
    return value


def _flag(owner: str, key: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {key} must be True or False, got {value!r}")
    return value


def _per_group(owner: str, key: str, value: object, groups: int,
               check: Callable[[str, str, object], float]) -> list[float]:
    """``value`` for each of ``groups`` parameter groups: one number for all, or a list or
    tuple of one per group (PyTorch's convention for ``max_lr``, ``min_lr``...)."""
    values = as_sequence(value)
    if values is None:
        return [check(owner, key, value)] * groups
    if len(values) != groups:
        raise ValueError(f"{owner}: {key} must be a number or a list of one per parameter "
                         f"group ({groups}), got {len(values)} values")
    return [check(owner, f"{key}[{index}]", entry) for index, entry in enumerate(values)]


def _checked_optimizer(owner: str, optimizer: object) -> Optimizer:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{owner}: expected a mushin optimizer (mu.nn.optimizers.SGD, "
                        f"Adam...), got {type(optimizer).__name__}")
    return optimizer


def _group_rates(optimizer: Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


# --- the bases ------------------------------------------------------------------------------

class _Scheduler:
    """What every scheduler shares: its optimizer, ``get_last_lr`` and a checked state dict.

    A subclass stores its settings (and any progress beyond the step count and the rates) as
    attributes named in ``_settings``, validated by ``_checked_settings``.
    """

    _progress: tuple[str, ...] = ("last_epoch", "last_lr")
    """The entries of every state dict besides the settings."""
    _settings: tuple[str, ...] = ()

    optimizer: Optimizer
    last_epoch: int
    """How many times ``step()`` has been called (0 right after construction)."""
    base_lrs: list[float]
    """Each group's learning rate before any scheduler changed it."""
    _last_lr: list[float]

    def get_last_lr(self) -> list[float]:
        """The learning rate of each group as this scheduler last set it."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's progress and settings (not the optimizer's: save that separately)."""
        progress = {"last_epoch": self.last_epoch, "last_lr": list(self._last_lr),
                    "base_lrs": list(getattr(self, "base_lrs", ()))}
        return {**{key: progress[key] for key in self._progress},
                **{key: copy.copy(getattr(self, key)) for key in self._settings}}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``; every entry is checked before anything changes."""
        name = f"{type(self).__name__}.load_state_dict"
        expected = {*self._progress, *self._settings}
        given = as_mapping(state_dict)
        if given is None or set(given) != expected:
            found = sorted(map(str, given)) if given is not None else type(state_dict).__name__
            raise ValueError(f"{name}: expected the keys {sorted(expected)}, got {found}")
        groups = len(self.optimizer.param_groups)
        lists: dict[str, list[float]] = {}
        for key in {"base_lrs", "last_lr"} & set(self._progress):
            values = as_sequence(given[key])
            if values is None or len(values) != groups:
                raise ValueError(f"{name}: {key} must list one learning rate for each of the "
                                 f"{groups} parameter group(s), got {given[key]!r}")
            lists[key] = [_finite(name, key, value) for value in values]
        last_epoch = given["last_epoch"]
        if not is_int(last_epoch) or last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an int >= -1, got {last_epoch!r}")
        settings = self._checked_settings({key: given[key] for key in self._settings}, name)
        self.last_epoch = int(last_epoch)
        if "base_lrs" in lists:
            self.base_lrs = lists["base_lrs"]
        self._last_lr = lists["last_lr"]
        for key, value in settings.items():
            setattr(self, key, value)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        """``settings`` validated (errors name ``owner``), as this scheduler stores them."""
        return settings


class LRScheduler(_Scheduler):
    """The base of the step-driven schedulers (PyTorch's ``LRScheduler``): the step counter
    and the groups' base rates.

    A subclass validates its settings before calling ``__init__`` and implements
    ``_next_lrs``: the rates of step ``last_epoch``, from the current ones for the chainable
    schedulers. ``_closed_form_lrs`` gives them from the base rates alone, where PyTorch has
    that form (``SequentialLR`` uses it when it hands over at a milestone).
    """

    _progress = ("last_epoch", "base_lrs", "last_lr")
    _is_initial = False
    """True while the constructor applies the step-0 rates (PyTorch's ``_is_initial``)."""

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        """Attach to ``optimizer`` and apply the rates of step ``last_epoch + 1``; a
        ``last_epoch`` other than -1 resumes, and needs each group's ``initial_lr``."""
        name = type(self).__name__
        self.optimizer = _checked_optimizer(name, optimizer)
        last_epoch = integer(name, "last_epoch", last_epoch, minimum=-1)
        groups = self.optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for index, group in enumerate(groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{name}: param_groups[{index}] has no 'initial_lr', which "
                                   f"resuming with last_epoch={last_epoch} needs: load the "
                                   "optimizer's state dict first")
        self.base_lrs = [group["initial_lr"] for group in groups]
        self.last_epoch = last_epoch
        self._last_lr = []
        self._initial_step()

    def _initial_step(self) -> None:
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def step(self) -> None:
        """Advance one step and set each group's ``lr``."""
        self.last_epoch += 1
        self._set_lrs(self._next_lrs())

    def _set_lrs(self, lrs: Iterable[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs, strict=True):
            group["lr"] = lr
        self._last_lr = _group_rates(self.optimizer)

    def _restart(self) -> None:
        """Go to step 0 (PyTorch's ``_update_lr(0)``): where ``SequentialLR`` hands over."""
        self.last_epoch = 0
        closed_form = self._closed_form_lrs()
        self._set_lrs(closed_form if closed_form is not None else self._next_lrs())

    @abstractmethod
    def _next_lrs(self) -> list[float]:
        """The groups' learning rates for step ``last_epoch``."""

    def _closed_form_lrs(self) -> list[float] | None:
        """The rates of step ``last_epoch`` from the base rates; None without that form."""
        return None

    def _unchanged(self) -> list[float]:
        return _group_rates(self.optimizer)

    def _scaled(self, factor: float) -> list[float]:
        return [group["lr"] * factor for group in self.optimizer.param_groups]


# --- fixed schedules ------------------------------------------------------------------------

class _LambdaScheduler(LRScheduler):
    """LambdaLR's and MultiplicativeLR's shared part: one function of the step per group.

    The state dict holds, as PyTorch's, each function's ``__dict__`` where it is a callable
    object (None for plain functions and lambdas, which cannot be saved)."""

    lr_lambdas: list[Callable[[int], float]]

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
                 last_epoch: int = -1) -> None:
        """``lr_lambda``: one function for every group, or a list of one per group."""
        name = type(self).__name__
        groups = len(_checked_optimizer(name, optimizer).param_groups)
        given = as_sequence(lr_lambda)
        functions: list[object] = [lr_lambda] * groups if given is None else given
        if len(functions) != groups:
            raise ValueError(f"{name}: expected {groups} lr_lambdas (one per parameter "
                             f"group), got {len(functions)}")
        self.lr_lambdas = []
        for index, function in enumerate(functions):
            if not callable(function):
                raise TypeError(f"{name}: lr_lambda {index} must be a function of the step, "
                                f"got {type(function).__name__}")
            self.lr_lambdas.append(cast("Callable[[int], float]", function))
        super().__init__(optimizer, last_epoch)

    def state_dict(self) -> dict[str, Any]:
        """As :meth:`LRScheduler.state_dict`, with ``lr_lambdas``."""
        return {**super().state_dict(), "lr_lambdas": [
            None if isinstance(function, types.FunctionType) or not hasattr(function, "__dict__")
            else dict(vars(function)) for function in self.lr_lambdas]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """As :meth:`LRScheduler.load_state_dict`; a saved callable object's attributes are
        restored into this scheduler's."""
        name = f"{type(self).__name__}.load_state_dict"
        mapping = as_mapping(state_dict)
        if mapping is None:
            super().load_state_dict(state_dict)  # raises, naming what was expected
        given = dict(mapping or {})
        saved = as_sequence(given.pop("lr_lambdas", None))
        if saved is None or len(saved) != len(self.lr_lambdas) or not all(
                entry is None or as_mapping(entry) is not None for entry in saved):
            raise ValueError(f"{name}: lr_lambdas must list None or a dict of attributes for "
                             f"each of the {len(self.lr_lambdas)} function(s)")
        super().load_state_dict(given)
        for function, attributes in zip(self.lr_lambdas, saved, strict=True):
            if attributes is not None:
                vars(function).update(attributes)


class LambdaLR(_LambdaScheduler):
    """The base rate times ``lr_lambda(step)``: PyTorch's ``LambdaLR``."""

    def _next_lrs(self) -> list[float]:
        return [base * function(self.last_epoch)
                for function, base in zip(self.lr_lambdas, self.base_lrs, strict=True)]


class MultiplicativeLR(_LambdaScheduler):
    """The current rate times ``lr_lambda(step)`` at each step: PyTorch's
    ``MultiplicativeLR``."""

    def _next_lrs(self) -> list[float]:
        if self._is_initial:
            return self._unchanged()
        return [group["lr"] * function(self.last_epoch)
                for function, group in zip(self.lr_lambdas, self.optimizer.param_groups,
                                           strict=True)]


class StepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps: PyTorch's ``StepLR``."""

    _settings = ("step_size", "gamma")
    step_size: int
    gamma: float

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        """Decay by ``gamma`` after steps ``step_size``, ``2 * step_size``..."""
        self.__dict__.update(self._checked_settings({"step_size": step_size, "gamma": gamma},
                                                    type(self).__name__))
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"step_size": integer(owner, "step_size", settings["step_size"], minimum=1),
                "gamma": _positive(owner, "gamma", settings["gamma"])}

    def _next_lrs(self) -> list[float]:
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._unchanged()
        return self._scaled(self.gamma)

    def _closed_form_lrs(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size)
                for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at each of the ``milestones`` (steps; a
    milestone listed twice decays twice): PyTorch's ``MultiStepLR``."""

    _settings = ("milestones", "gamma")
    milestones: Counter[int]
    gamma: float

    def __init__(self, optimizer: Optimizer, milestones: Iterable[int], gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        """``milestones``: the steps at which to decay."""
        self.__dict__.update(self._checked_settings({"milestones": milestones, "gamma": gamma},
                                                    type(self).__name__))
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        given = settings["milestones"]
        mapping = as_mapping(given)
        if mapping is not None:  # a saved Counter: milestone -> how many times
            steps = [step for step, count in mapping.items()
                     for _ in range(integer(owner, "a milestone's count", count, minimum=1))]
        elif isinstance(given, Iterable) and not isinstance(given, str):
            steps = list(cast("Iterable[object]", given))
        else:
            raise TypeError(f"{owner}: milestones must be a list of steps, got {given!r}")
        return {"milestones": Counter(integer(owner, "each milestone", step, minimum=0)
                                      for step in steps),
                "gamma": _positive(owner, "gamma", settings["gamma"])}

    def _next_lrs(self) -> list[float]:
        if self.last_epoch not in self.milestones:
            return self._unchanged()
        return self._scaled(self.gamma ** self.milestones[self.last_epoch])

    def _closed_form_lrs(self) -> list[float]:
        steps = sorted(self.milestones.elements())
        return [base * self.gamma ** bisect_right(steps, self.last_epoch)
                for base in self.base_lrs]


class ConstantLR(LRScheduler):
    """``factor`` times the base rate for the first ``total_iters`` steps, then the base rate:
    PyTorch's ``ConstantLR``."""

    _settings = ("factor", "total_iters")
    factor: float
    total_iters: int

    def __init__(self, optimizer: Optimizer, factor: float = 1.0 / 3, total_iters: int = 5,
                 last_epoch: int = -1) -> None:
        """``factor`` lies in (0, 1]."""
        self.__dict__.update(self._checked_settings(
            {"factor": factor, "total_iters": total_iters}, type(self).__name__))
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"factor": _fraction(owner, "factor", settings["factor"], above_zero=True),
                "total_iters": integer(owner, "total_iters", settings["total_iters"],
                                       minimum=0)}

    def _next_lrs(self) -> list[float]:
        if self.last_epoch == 0:
            return self._scaled(self.factor)
        if self.last_epoch != self.total_iters:
            return self._unchanged()
        return self._scaled(1.0 / self.factor)

    def _closed_form_lrs(self) -> list[float]:
        factor = self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor)
        return [base * factor for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Move the rate linearly from ``start_factor`` to ``end_factor`` times the base rate over
    ``total_iters`` steps, then keep it: PyTorch's ``LinearLR``.

    At step ``t`` the rate is ``base_lr * (start_factor + (end_factor - start_factor) *
    min(t, total_iters) / total_iters)``.
    """

    _settings: tuple[str, ...] = ("start_factor", "end_factor", "total_iters")
    start_factor: float
    end_factor: float
    total_iters: int

    def __init__(self, optimizer: Optimizer, start_factor: float = 1.0 / 3,
                 end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1) -> None:
        """``start_factor`` lies in (0, 1], ``end_factor`` in [0, 1]."""
        self.__dict__.update(self._checked_settings(
            {"start_factor": start_factor, "end_factor": end_factor,
             "total_iters": total_iters}, type(self).__name__))
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"start_factor": _fraction(owner, "start_factor", settings["start_factor"],
                                          above_zero=True),
                "end_factor": _fraction(owner, "end_factor", settings["end_factor"]),
                "total_iters": integer(owner, "total_iters", settings["total_iters"],
                                       minimum=1)}

    def _next_lrs(self) -> list[float]:
        start, end, total = self.start_factor, self.end_factor, self.total_iters
        if self.last_epoch == 0:
            return self._scaled(start)
        if self._is_initial or self.last_epoch > total:
            return self._unchanged()
        return self._scaled(1.0 + (end - start) / (total * start + (self.last_epoch - 1) * (
            end - start)))

    def _closed_form_lrs(self) -> list[float]:
        start, end, total = self.start_factor, self.end_factor, self.total_iters
        factor = start + (end - start) * min(total, self.last_epoch) / total
        return [base * factor for base in self.base_lrs]


class LinearWarmup(LinearLR):
    """Ramp the learning rate linearly from ``start_factor * base_lr`` to ``base_lr`` over
    ``warmup_steps`` steps, then leave it: the crate's name for PyTorch's ``LinearLR`` with
    ``end_factor=1``.

    At step ``t`` the rate is ``base_lr * (start_factor + (1 - start_factor) * min(t,
    warmup_steps) / warmup_steps)``.
    """

    _settings = ("warmup_steps", "start_factor")

    def __init__(self, optimizer: Optimizer, warmup_steps: int,
                 start_factor: float = 1.0 / 3, last_epoch: int = -1) -> None:
        """Warm up over ``warmup_steps`` steps from ``start_factor`` (in (0, 1]) of the base
        rate; PyTorch's default start is a third."""
        settings = self._checked_settings({"warmup_steps": warmup_steps,
                                           "start_factor": start_factor}, type(self).__name__)
        self.start_factor, self.end_factor = settings["start_factor"], 1.0
        self.total_iters = settings["warmup_steps"]
        LRScheduler.__init__(self, optimizer, last_epoch)  # LinearLR's checks name its keys

    @property
    def warmup_steps(self) -> int:
        """The number of warm-up steps: ``LinearLR``'s ``total_iters``."""
        return self.total_iters

    @warmup_steps.setter
    def warmup_steps(self, steps: int) -> None:
        self.total_iters = steps

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"warmup_steps": integer(owner, "warmup_steps", settings["warmup_steps"],
                                        minimum=1),
                "start_factor": _fraction(owner, "start_factor", settings["start_factor"],
                                          above_zero=True)}


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by ``gamma`` at every step: PyTorch's ``ExponentialLR``."""

    _settings = ("gamma",)
    gamma: float

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        """``gamma`` > 0 is the factor per step."""
        self.__dict__.update(self._checked_settings({"gamma": gamma}, type(self).__name__))
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"gamma": _positive(owner, "gamma", settings["gamma"])}

    def _next_lrs(self) -> list[float]:
        return self._unchanged() if self._is_initial else self._scaled(self.gamma)

    def _closed_form_lrs(self) -> list[float]:
        return [base * self.gamma ** self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """Decay the learning rate to 0 over ``total_iters`` steps as ``base_lr * (1 - t /
    total_iters) ** power``, then keep it: PyTorch's ``PolynomialLR``."""

    _settings = ("total_iters", "power")
    total_iters: int
    power: float

    def __init__(self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0,
                 last_epoch: int = -1) -> None:
        """``power`` 1 decays linearly."""
        self.__dict__.update(self._checked_settings({"total_iters": total_iters,
                                                     "power": power}, type(self).__name__))
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"total_iters": integer(owner, "total_iters", settings["total_iters"],
                                       minimum=1),
                "power": _finite(owner, "power", settings["power"])}

    def _next_lrs(self) -> list[float]:
        step, total = self.last_epoch, self.total_iters
        if self._is_initial or step > total:
            return self._unchanged()
        return self._scaled(((1.0 - step / total) / (1.0 - (step - 1) / total)) ** self.power)

    def _closed_form_lrs(self) -> list[float]:
        factor = (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters) ** self.power
        return [base * factor for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Follow half a cosine from the base learning rate down to ``eta_min`` over ``T_max``
    steps (then back up, periodically, if stepped further): PyTorch's ``CosineAnnealingLR``.

    At step ``t`` the rate is ``eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2``.
    """

    _settings = ("T_max", "eta_min")
    T_max: int
    eta_min: float

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        """Anneal over ``T_max`` steps to ``eta_min``."""
        self.__dict__.update(self._checked_settings({"T_max": T_max, "eta_min": eta_min},
                                                    type(self).__name__))
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"T_max": integer(owner, "T_max", settings["T_max"], minimum=1),
                "eta_min": _non_negative(owner, "eta_min", settings["eta_min"])}

    def _next_lrs(self) -> list[float]:
        step, period, low = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if self._is_initial:
            return self._unchanged()
        if (step - 1 - period) % (2 * period) == 0:  # leaving the minimum: restart the climb
            rise = (1 - math.cos(math.pi / period)) / 2
            return [group["lr"] + (base - low) * rise
                    for base, group in zip(self.base_lrs, groups, strict=True)]
        ratio = (1 + math.cos(math.pi * step / period)) / (
            1 + math.cos(math.pi * (step - 1) / period))
        return [ratio * (group["lr"] - low) + low for group in groups]

    def _closed_form_lrs(self) -> list[float]:
        low, cosine = self.eta_min, math.cos(math.pi * self.last_epoch / self.T_max)
        return [low + (base - low) * (1 + cosine) / 2 for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """Cosine annealing from the base rate to ``eta_min`` that restarts: the first period is
    ``T_0`` steps, each next one ``T_mult`` times longer (SGDR): PyTorch's
    ``CosineAnnealingWarmRestarts``.

    ``step(epoch)`` also takes a fractional epoch (``epoch + batch / batches``) to anneal
    within an epoch, as PyTorch's does.
    """

    _settings = ("T_0", "T_mult", "eta_min", "T_i", "T_cur")
    T_0: int
    T_mult: int
    eta_min: float
    T_i: int
    """The length of the current period."""
    T_cur: float
    """Steps (or epochs) since the last restart."""

    def __init__(self, optimizer: Optimizer, T_0: int, T_mult: int = 1, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        """``T_0`` >= 1 and ``T_mult`` >= 1 are ints; ``eta_min`` the lowest rate."""
        self.__dict__.update(self._checked_settings(
            {"T_0": T_0, "T_mult": T_mult, "eta_min": eta_min, "T_i": T_0,
             "T_cur": last_epoch}, type(self).__name__))
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"T_0": integer(owner, "T_0", settings["T_0"], minimum=1),
                "T_mult": integer(owner, "T_mult", settings["T_mult"], minimum=1),
                "eta_min": _non_negative(owner, "eta_min", settings["eta_min"]),
                "T_i": integer(owner, "T_i", settings["T_i"], minimum=1),
                "T_cur": _finite(owner, "T_cur", settings["T_cur"])}

    def step(self, epoch: float | None = None) -> None:
        """Advance one step, or go to ``epoch`` (a number >= 0, possibly fractional)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            epoch = _non_negative(type(self).__name__ + ".step", "epoch", epoch)
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    restarts = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1,
                                            self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult ** restarts - 1) / (
                        self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult ** restarts
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self._next_lrs())

    def _next_lrs(self) -> list[float]:
        low, cosine = self.eta_min, math.cos(math.pi * self.T_cur / self.T_i)
        return [low + (base - low) * (1 + cosine) / 2 for base in self.base_lrs]


# --- cyclic schedules, which move the momentum too ----------------------------------------

def _momentum_key(owner: str, optimizer: Optimizer) -> str:
    """The group option a cyclic schedule moves: ``betas`` (its first entry) or
    ``momentum``."""
    if "betas" in optimizer.defaults:
        return "betas"
    if "momentum" in optimizer.defaults:
        return "momentum"
    raise ValueError(f"{owner}: cycle_momentum=True needs an optimizer with momentum or betas "
                     f"(SGD, RMSprop, Adam...), got {type(optimizer).__name__}; pass "
                     "cycle_momentum=False")


def _set_momentum(group: dict[str, Any], key: str, momentum: float) -> None:
    group[key] = (momentum, *group["betas"][1:]) if key == "betas" else momentum


class CyclicLR(LRScheduler):
    """Cycle the learning rate between ``base_lr`` and ``max_lr`` (up over ``step_size_up``
    steps, down over ``step_size_down``), and the momentum the other way between
    ``max_momentum`` and ``base_momentum``: PyTorch's ``CyclicLR`` (Smith's cyclical learning
    rates; step it once per batch).

    ``mode`` scales each cycle's amplitude: ``"triangular"`` keeps it, ``"triangular2"``
    halves it every cycle, ``"exp_range"`` multiplies it by ``gamma ** step``; ``scale_fn``
    (a function of the cycle or, with ``scale_mode="iterations"``, of the step) replaces it.
    """

    _settings = ("max_lrs", "total_size", "step_ratio", "mode", "gamma", "scale_mode",
                 "cycle_momentum", "base_momentums", "max_momentums")
    max_lrs: list[float]
    total_size: float
    step_ratio: float
    mode: str
    gamma: float
    scale_mode: str
    cycle_momentum: bool
    base_momentums: list[float]
    max_momentums: list[float]

    def __init__(self, optimizer: Optimizer, base_lr: float | list[float],
                 max_lr: float | list[float], step_size_up: int = 2000,
                 step_size_down: int | None = None, mode: str = "triangular",
                 gamma: float = 1.0, scale_fn: Callable[[float], float] | None = None,
                 scale_mode: str = "cycle", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.8,
                 max_momentum: float | list[float] = 0.9, last_epoch: int = -1) -> None:
        """Rates and momenta: one number for every group or a list of one per group."""
        name = type(self).__name__
        self.optimizer = _checked_optimizer(name, optimizer)
        base_lrs = _per_group(name, "base_lr", base_lr, len(optimizer.param_groups),
                              _non_negative)
        up = _positive(name, "step_size_up", step_size_up)
        down = up if step_size_down is None else _positive(name, "step_size_down",
                                                          step_size_down)
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"{name}: scale_fn must be a function or None, got "
                            f"{type(scale_fn).__name__}")
        self.scale_fn_custom = scale_fn
        """The user's ``scale_fn`` (not saved in the state dict, as in PyTorch)."""
        if scale_fn is None:  # the mode decides what the amplitude follows
            scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.__dict__.update(self._checked_settings({
            "max_lrs": max_lr, "total_size": up + down, "step_ratio": up / (up + down),
            "mode": mode, "gamma": gamma, "scale_mode": scale_mode,
            "cycle_momentum": cycle_momentum,
            "base_momentums": base_momentum, "max_momentums": max_momentum}, name))
        key = _momentum_key(name, optimizer) if self.cycle_momentum else ""
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs, strict=True):
                group["lr"] = lr
            if self.cycle_momentum:
                for group, low, high in zip(optimizer.param_groups, self.base_momentums,
                                            self.max_momentums, strict=True):
                    _set_momentum(group, key, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        count = len(self.optimizer.param_groups)
        mode = settings["mode"]  # any name where the user's scale_fn replaces the modes
        return {
            "max_lrs": _per_group(owner, "max_lr", settings["max_lrs"], count, _non_negative),
            "total_size": _positive(owner, "total_size", settings["total_size"]),
            "step_ratio": _fraction(owner, "step_ratio", settings["step_ratio"]),
            "mode": str(mode) if self.scale_fn_custom is not None else _choice(
                owner, "mode", mode, ("triangular", "triangular2", "exp_range")),
            "gamma": _positive(owner, "gamma", settings["gamma"]),
            "scale_mode": _choice(owner, "scale_mode", settings["scale_mode"],
                                  ("cycle", "iterations")),
            "cycle_momentum": _flag(owner, "cycle_momentum", settings["cycle_momentum"]),
            "base_momentums": _per_group(owner, "base_momentum", settings["base_momentums"],
                                         count, _fraction),
            "max_momentums": _per_group(owner, "max_momentum", settings["max_momentums"],
                                        count, _fraction)}

    def scale_fn(self, x: float) -> float:
        """The amplitude's scale at cycle (or step) ``x``."""
        if self.scale_fn_custom is not None:
            return self.scale_fn_custom(x)
        if self.mode == "triangular2":
            return float(1 / (2.0 ** (x - 1)))
        if self.mode == "exp_range":
            return float(self.gamma ** x)
        return 1.0

    def _next_lrs(self) -> list[float]:
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base + (top - base) * scale_factor * scale
               for base, top in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            key = _momentum_key(type(self).__name__, self.optimizer)
            for group, low, high in zip(self.optimizer.param_groups, self.base_momentums,
                                        self.max_momentums, strict=True):
                _set_momentum(group, key, high - (high - low) * scale_factor * scale)
        return lrs


class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin): the rate climbs from ``max_lr / div_factor`` to
    ``max_lr`` over the first ``pct_start`` of ``total_steps``, then anneals to
    ``max_lr / div_factor / final_div_factor`` (``three_phase``: back down symmetrically
    first, then to the minimum), the momentum moving the other way between ``max_momentum``
    and ``base_momentum``: PyTorch's ``OneCycleLR``. Step it once per batch.

    ``anneal_strategy`` is ``"cos"`` or ``"linear"``; ``total_steps`` may be given as
    ``epochs * steps_per_epoch``. Stepping past ``total_steps`` raises ``ValueError``.
    """

    _settings = ("total_steps", "pct_start", "anneal_strategy", "cycle_momentum",
                 "three_phase")
    total_steps: int
    pct_start: float
    anneal_strategy: str
    cycle_momentum: bool
    three_phase: bool

    def __init__(self, optimizer: Optimizer, max_lr: float | list[float],
                 total_steps: int | None = None, epochs: int | None = None,
                 steps_per_epoch: int | None = None, pct_start: float = 0.3,
                 anneal_strategy: str = "cos", cycle_momentum: bool = True,
                 base_momentum: float | list[float] = 0.85,
                 max_momentum: float | list[float] = 0.95, div_factor: float = 25.0,
                 final_div_factor: float = 1e4, three_phase: bool = False,
                 last_epoch: int = -1) -> None:
        """Rates and momenta: one number for every group or a list of one per group."""
        name = type(self).__name__
        groups = _checked_optimizer(name, optimizer).param_groups
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError(f"{name}: give total_steps, or epochs and steps_per_epoch")
            total_steps = integer(name, "epochs", epochs, minimum=1) * integer(
                name, "steps_per_epoch", steps_per_epoch, minimum=1)
        self.__dict__.update(self._checked_settings({
            "total_steps": total_steps, "pct_start": pct_start,
            "anneal_strategy": anneal_strategy, "cycle_momentum": cycle_momentum,
            "three_phase": three_phase}, name))
        max_lrs = _per_group(name, "max_lr", max_lr, len(groups), _non_negative)
        divisor = _positive(name, "div_factor", div_factor)
        final_divisor = _positive(name, "final_div_factor", final_div_factor)
        key = _momentum_key(name, optimizer) if self.cycle_momentum else ""
        highs = _per_group(name, "max_momentum", max_momentum, len(groups), _fraction)
        lows = _per_group(name, "base_momentum", base_momentum, len(groups), _fraction)
        if last_epoch == -1:
            for group, top in zip(groups, max_lrs, strict=True):
                group["initial_lr"] = top / divisor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_divisor
            if self.cycle_momentum:
                for group, high, low in zip(groups, highs, lows, strict=True):
                    _set_momentum(group, key, high)
                    group["max_momentum"], group["base_momentum"] = high, low
        super().__init__(optimizer, last_epoch)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        return {"total_steps": integer(owner, "total_steps", settings["total_steps"],
                                       minimum=1),
                "pct_start": _fraction(owner, "pct_start", settings["pct_start"]),
                "anneal_strategy": _choice(owner, "anneal_strategy",
                                           settings["anneal_strategy"], ("cos", "linear")),
                "cycle_momentum": _flag(owner, "cycle_momentum", settings["cycle_momentum"]),
                "three_phase": _flag(owner, "three_phase", settings["three_phase"])}

    def _phases(self) -> list[tuple[float, str, str, str, str]]:
        """Each phase's last step and the group keys its rate and momentum move between."""
        up = float(self.pct_start * self.total_steps) - 1
        last = self.total_steps - 1
        if self.three_phase:
            return [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                    (float(2 * self.pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                     "base_momentum", "max_momentum"),
                    (last, "initial_lr", "min_lr", "max_momentum", "max_momentum")]
        return [(up, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                (last, "max_lr", "min_lr", "base_momentum", "max_momentum")]

    def _anneal(self, start: float, end: float, fraction: float) -> float:
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1)
        return (end - start) * fraction + start

    def _next_lrs(self) -> list[float]:
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"{type(self).__name__}: stepped {step} times, but total_steps "
                             f"is {self.total_steps}")
        phases = self._phases()
        key = _momentum_key(type(self).__name__, self.optimizer) if self.cycle_momentum else ""
        lrs: list[float] = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for index, (end, lr_from, lr_to, momentum_from, momentum_to) in enumerate(phases):
                if step <= end or index == len(phases) - 1:
                    fraction = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr_from], group[lr_to], fraction))
                    if self.cycle_momentum:
                        _set_momentum(group, key, self._anneal(
                            group[momentum_from], group[momentum_to], fraction))
                    break
                start = end
        return lrs


# --- schedulers of schedulers ---------------------------------------------------------------

def _checked_schedulers(owner: str, schedulers: object,
                        optimizer: Optimizer | None) -> tuple[list[LRScheduler], Optimizer]:
    """A non-empty list of step-driven schedulers of one optimizer, and that optimizer."""
    entries = list(cast("Iterable[object]", schedulers)) if isinstance(
        schedulers, Iterable) else []
    if not entries:
        raise ValueError(f"{owner}: expected a non-empty list of schedulers, got "
                         f"{schedulers!r}")
    given: list[LRScheduler] = []
    for index, scheduler in enumerate(entries):
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{owner}: scheduler {index} is a ReduceLROnPlateau, which steps "
                             "on a metric and cannot be driven from here")
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"{owner}: scheduler {index} must be a learning-rate scheduler, "
                            f"got {type(scheduler).__name__}")
        given.append(scheduler)
    target = given[0].optimizer if optimizer is None else _checked_optimizer(owner, optimizer)
    for index, scheduler in enumerate(given):
        if scheduler.optimizer is not target:
            raise ValueError(f"{owner}: every scheduler must belong to the same optimizer; "
                             f"scheduler {index} ({type(scheduler).__name__}) has another")
    return given, target


def _undo_step(scheduler: LRScheduler) -> None:
    """Take back the constructor's step of ``scheduler`` (and of those it drives)."""
    if isinstance(scheduler, SequentialLR | ChainedScheduler):
        for inner in scheduler.schedulers:
            _undo_step(inner)
    else:
        scheduler.last_epoch -= 1


class _SchedulerOfSchedulers(LRScheduler):
    """SequentialLR's and ChainedScheduler's shared part: the schedulers they drive, whose
    state dicts their own holds under ``schedulers``."""

    schedulers: list[LRScheduler]

    def _next_lrs(self) -> list[float]:
        raise TypeError(f"{type(self).__name__} drives other schedulers and has no rates of "
                        "its own to restart from; it cannot be a SequentialLR's later stage")

    def state_dict(self) -> dict[str, Any]:
        """As :meth:`LRScheduler.state_dict`, with each driven scheduler's under
        ``schedulers``."""
        return {**super().state_dict(),
                "schedulers": [scheduler.state_dict() for scheduler in self.schedulers]}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """As :meth:`LRScheduler.load_state_dict`; each driven scheduler loads its own."""
        name = f"{type(self).__name__}.load_state_dict"
        mapping = as_mapping(state_dict)
        if mapping is None:
            super().load_state_dict(state_dict)  # raises, naming what was expected
        given = dict(mapping or {})
        inner = as_sequence(given.pop("schedulers", None))
        if inner is None or len(inner) != len(self.schedulers):
            raise ValueError(f"{name}: schedulers must list the state of each of the "
                             f"{len(self.schedulers)} scheduler(s)")
        super().load_state_dict(given)
        for scheduler, saved in zip(self.schedulers, inner, strict=True):
            scheduler.load_state_dict(saved)


class SequentialLR(_SchedulerOfSchedulers):
    """Run ``schedulers`` one after another, switching at ``milestones`` (the steps at which
    the next one starts from its own step 0): PyTorch's ``SequentialLR``, e.g. a
    ``LinearLR`` warm-up, then ``CosineAnnealingLR``."""

    _settings = ("milestones",)
    milestones: list[int]

    def __init__(self, optimizer: Optimizer, schedulers: Sequence[LRScheduler],
                 milestones: Sequence[int], last_epoch: int = -1) -> None:
        """``milestones``: one increasing step fewer than there are schedulers."""
        name = type(self).__name__
        self.optimizer = _checked_optimizer(name, optimizer)
        self.schedulers, _ = _checked_schedulers(name, schedulers, optimizer)
        self.milestones = self._checked_settings({"milestones": milestones}, name)[
            "milestones"]
        if len(self.milestones) != len(self.schedulers) - 1:
            raise ValueError(f"{name}: expected {len(self.schedulers) - 1} milestone(s) (one "
                             f"fewer than the schedulers), got {len(self.milestones)}")
        self.last_epoch = integer(name, "last_epoch", last_epoch, minimum=-1) + 1
        groups = self.optimizer.param_groups
        for group in groups:
            group["lr"] = group["initial_lr"]
        self.base_lrs = [group["initial_lr"] for group in groups]
        _undo_step(self)
        first = self.schedulers[bisect_right(self.milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        given = as_sequence(settings["milestones"])
        if given is None:
            raise TypeError(f"{owner}: milestones must be a list of steps, got "
                            f"{settings['milestones']!r}")
        steps = [integer(owner, "each milestone", step, minimum=0) for step in given]
        if steps != sorted(steps):
            raise ValueError(f"{owner}: milestones must be in increasing order, got {steps}")
        return {"milestones": steps}

    def step(self) -> None:
        """Advance one step: the current stage's scheduler steps, or, at a milestone, the
        next one starts."""
        self.last_epoch += 1
        index = bisect_right(self.milestones, self.last_epoch)
        scheduler = self.schedulers[index]
        if index > 0 and self.milestones[index - 1] == self.last_epoch:
            scheduler._restart()
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ChainedScheduler(_SchedulerOfSchedulers):
    """Step several schedulers of one optimizer together, each scaling what the previous
    left: PyTorch's ``ChainedScheduler``."""

    def __init__(self, schedulers: Sequence[LRScheduler],
                 optimizer: Optimizer | None = None) -> None:
        """``optimizer`` defaults to the schedulers' own."""
        name = type(self).__name__
        self.schedulers, self.optimizer = _checked_schedulers(name, schedulers, optimizer)
        self.last_epoch = 0
        self.base_lrs = [group["initial_lr"] for group in self.optimizer.param_groups]
        self._last_lr = _group_rates(self.optimizer)

    def step(self) -> None:
        """Step every scheduler, in order."""
        self.last_epoch += 1
        for scheduler in self.schedulers:
            scheduler.step()
        self._last_lr = _group_rates(self.optimizer)


# --- on a metric ----------------------------------------------------------------------------

class ReduceLROnPlateau(_Scheduler):
    """Multiply the learning rate by ``factor`` once a metric has stopped improving for
    ``patience`` steps: PyTorch's ``ReduceLROnPlateau``; call ``step(metric)`` after each
    evaluation.

    ``mode`` ``"min"`` (a loss) or ``"max"`` (an accuracy); an improvement beats the best so
    far by ``threshold``, relative (``threshold_mode="rel"``) or absolute (``"abs"``). After a
    reduction, ``cooldown`` steps pass before bad steps count again; no rate goes below
    ``min_lr`` (one for all groups or a list of one per group), and changes smaller than
    ``eps`` are skipped. Unlike PyTorch's, it is not an ``LRScheduler`` subclass (its ``step``
    takes the metric), so ``SequentialLR`` and ``ChainedScheduler`` refuse it as PyTorch's do.
    """

    _settings = ("mode", "factor", "patience", "threshold", "threshold_mode", "cooldown",
                 "min_lrs", "default_min_lr", "eps", "best", "num_bad_epochs",
                 "cooldown_counter")
    mode: str
    factor: float
    patience: int
    threshold: float
    threshold_mode: str
    cooldown: int
    min_lrs: list[float]
    default_min_lr: float | None
    """``min_lr`` when one number was given for all groups (None for a list)."""
    eps: float
    best: float
    """The best metric so far."""
    num_bad_epochs: int
    """Steps since the last improvement."""
    cooldown_counter: int

    def __init__(self, optimizer: Optimizer, mode: str = "min", factor: float = 0.1,
                 patience: int = 10, threshold: float = 1e-4, threshold_mode: str = "rel",
                 cooldown: int = 0, min_lr: float | list[float] = 0.0,
                 eps: float = 1e-8) -> None:
        """``factor`` lies in [0, 1)."""
        name = type(self).__name__
        self.optimizer = _checked_optimizer(name, optimizer)
        groups = len(self.optimizer.param_groups)
        min_lrs = _per_group(name, "min_lr", min_lr, groups, _non_negative)
        self.__dict__.update(self._checked_settings({
            "mode": mode, "factor": factor, "patience": patience, "threshold": threshold,
            "threshold_mode": threshold_mode, "cooldown": cooldown, "min_lrs": min_lrs,
            "default_min_lr": min_lrs[0] if as_sequence(min_lr) is None else None,
            "eps": eps, "best": math.inf if mode == "min" else -math.inf,
            "num_bad_epochs": 0, "cooldown_counter": 0}, name))
        self.last_epoch = 0
        self._last_lr = _group_rates(self.optimizer)

    def _checked_settings(self, settings: dict[str, Any], owner: str) -> dict[str, Any]:
        factor = _finite(owner, "factor", settings["factor"])
        if not 0 <= factor < 1:
            raise ValueError(f"{owner}: factor must lie in [0, 1), got {factor!r}")
        default = settings["default_min_lr"]
        best = number(owner, "best", settings["best"])
        if math.isnan(best):
            raise ValueError(f"{owner}: best must be a number, got {best}")
        return {
            "mode": _choice(owner, "mode", settings["mode"], ("min", "max")),
            "factor": factor,
            "patience": integer(owner, "patience", settings["patience"], minimum=0),
            "threshold": _non_negative(owner, "threshold", settings["threshold"]),
            "threshold_mode": _choice(owner, "threshold_mode", settings["threshold_mode"],
                                      ("rel", "abs")),
            "cooldown": integer(owner, "cooldown", settings["cooldown"], minimum=0),
            "min_lrs": _per_group(owner, "min_lrs", settings["min_lrs"],
                                  len(self.optimizer.param_groups), _non_negative),
            "default_min_lr": None if default is None else _non_negative(
                owner, "default_min_lr", default),
            "eps": _non_negative(owner, "eps", settings["eps"]),
            "best": best,
            "num_bad_epochs": integer(owner, "num_bad_epochs", settings["num_bad_epochs"],
                                      minimum=0),
            "cooldown_counter": integer(owner, "cooldown_counter",
                                        settings["cooldown_counter"], minimum=0)}

    @property
    def in_cooldown(self) -> bool:
        """Whether bad steps are being ignored after a reduction."""
        return self.cooldown_counter > 0

    def _is_better(self, current: float) -> bool:
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return current < self.best * (1.0 - self.threshold)
            return current < self.best - self.threshold
        if self.threshold_mode == "rel":
            return current > self.best * (self.threshold + 1.0)
        return current > self.best + self.threshold

    def step(self, metrics: SupportsFloat) -> None:
        """Record this evaluation's metric (a number or a one-element tensor) and reduce the
        rates if it has not improved for more than ``patience`` steps."""
        current = float(metrics)
        self.last_epoch += 1
        if self._is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0  # bad steps in the cooldown do not count
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = _group_rates(self.optimizer)

    def _reduce_lr(self) -> None:
        groups = self.optimizer.param_groups
        if len(groups) != len(self.min_lrs):
            if self.default_min_lr is None:
                raise RuntimeError(f"{type(self).__name__}: the optimizer has "
                                   f"{len(groups)} parameter groups but min_lr lists "
                                   f"{len(self.min_lrs)}; set min_lrs to one per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, lowest in zip(groups, self.min_lrs, strict=True):
            old = float(group["lr"])
            new = max(old * self.factor, lowest)
            if old - new > self.eps:
                group["lr"] = new
