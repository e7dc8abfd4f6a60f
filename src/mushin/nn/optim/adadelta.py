"""Adadelta: its options and its portable in-place update (any array module, CuPy included)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from mushin._backend import Array, namespace_of
from mushin.nn.optim._inplace import add_weight_decay, count_step, pieces, state_buffer
from mushin.nn.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from mushin.nn.module import Parameter


class _AdadeltaStep(NamedTuple):
    """What one Adadelta update takes."""

    square_avg: Array
    acc_delta: Array
    lr: float
    rho: float
    eps: float
    weight_decay: float


class Adadelta(Optimizer):
    """Adadelta (Zeiler): steps scaled by the ratio of the running root mean squares of past
    updates and of gradients, with L2 weight decay added to the gradient. PyTorch's
    ``torch.optim.Adadelta``."""

    _core_state = ("step", "square_avg", "acc_delta")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float = 1.0,
                 rho: float = 0.9, eps: float = 1e-6, weight_decay: float = 0.0,
                 foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        """``rho`` (in [0, 1]) is the decay rate of both running averages; ``lr`` scales the
        step. ``maximize`` ascends the gradient; ``foreach`` changes nothing here;
        ``capturable=True`` and ``differentiable=True`` are refused."""
        super().__init__(params, {"lr": lr, "rho": rho, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize,
                                  "capturable": capturable, "foreach": foreach,
                                  "differentiable": differentiable})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _AdadeltaStep:
        count_step(state)
        return _AdadeltaStep(state_buffer(state, "square_avg", param),
                             state_buffer(state, "acc_delta", param), group["lr"],
                             group["rho"], group["eps"], group["weight_decay"])

    def _portable_update(self, param: Array, grad: Array, terms: _AdadeltaStep) -> None:
        # square_avg = rho * square_avg + (1 - rho) * g * g
        # delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * g
        # acc_delta = rho * acc_delta + (1 - rho) * delta * delta; p -= lr * delta
        xp = namespace_of(param)
        square_avg, acc_delta, lr, rho, eps, weight_decay = terms
        decayed = self._scratch(param, 2) if weight_decay else None
        for p, g, average, accumulated, scratch, delta, d in pieces(
                param, grad, square_avg, acc_delta, self._scratch(param),
                self._scratch(param, 1), decayed):
            if d is not None:
                g = add_weight_decay(g, p, weight_decay, out=d)
            xp.multiply(g, 1.0 - rho, out=scratch)
            scratch *= g
            average *= rho
            average += scratch
            xp.add(average, eps, out=scratch)
            xp.sqrt(scratch, out=scratch)
            xp.add(accumulated, eps, out=delta)
            xp.sqrt(delta, out=delta)
            delta /= scratch
            delta *= g
            xp.multiply(delta, 1.0 - rho, out=scratch)
            scratch *= delta
            accumulated *= rho
            accumulated += scratch
            delta *= lr
            p -= delta

    def _cuda_update(self, param: Array, grad: Array, terms: _AdadeltaStep) -> None:
        # No fused kernel yet: the portable steps run on CuPy arrays as they are.
        self._portable_update(param, grad, terms)
