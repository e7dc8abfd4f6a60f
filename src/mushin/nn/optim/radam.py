"""RAdam: its options and its portable in-place update (any array module, CuPy included)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from mushin._backend import Array, namespace_of
from mushin.nn.optim._inplace import (
    add_weight_decay,
    count_step,
    pieces,
    state_buffer,
    update_moments,
)
from mushin.nn.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from mushin.nn.module import Parameter


class _RAdamStep(NamedTuple):
    """What one RAdam update takes."""

    exp_avg: Array
    exp_avg_sq: Array
    beta1: float
    beta2: float
    correction1: float
    """``1 - beta1 ** step``."""
    lr: float
    adaptive: float | None
    """``sqrt(1 - beta2 ** step)`` where the variance is tractable (rho_t > 5), else None:
    an un-adapted (SGD with momentum) step."""
    rectification: float
    eps: float
    shrink: float
    """``1 - lr * weight_decay`` with decoupled weight decay, which scales the parameter
    first; else 1."""
    decay: float
    """The L2 weight decay added to the gradient (0 with decoupled weight decay)."""


class RAdam(Optimizer):
    """RAdam (Liu et al.): Adam with its adaptive learning rate rectified while the variance
    estimate is unreliable, with L2 weight decay added to the gradient or, with
    ``decoupled_weight_decay``, AdamW's. PyTorch's ``torch.optim.RAdam``."""

    _core_state = ("step", "exp_avg", "exp_avg_sq")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        """``betas`` are the decay rates of the first and second moment averages;
        ``decoupled_weight_decay`` shrinks the parameters as AdamW does. ``maximize`` ascends
        the gradient; ``foreach`` changes nothing here; ``capturable=True`` and
        ``differentiable=True`` are refused."""
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "maximize": maximize,
                                  "foreach": foreach, "capturable": capturable,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  "differentiable": differentiable})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _RAdamStep:
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        step = float(count_step(state))
        correction2 = 1.0 - beta2 ** step
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * step * (beta2 ** step) / correction2
        tractable = rho_t > 5.0
        rectification = math.sqrt((rho_t - 4.0) * (rho_t - 2.0) * rho_inf / (
            (rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)) if tractable else 1.0
        decoupled = group["decoupled_weight_decay"]
        return _RAdamStep(
            exp_avg=state_buffer(state, "exp_avg", param),
            exp_avg_sq=state_buffer(state, "exp_avg_sq", param), beta1=beta1, beta2=beta2,
            correction1=1.0 - beta1 ** step, lr=lr,
            adaptive=correction2 ** 0.5 if tractable else None, rectification=rectification,
            eps=group["eps"], shrink=1.0 - lr * weight_decay if decoupled else 1.0,
            decay=0.0 if decoupled else weight_decay)

    def _portable_update(self, param: Array, grad: Array, terms: _RAdamStep) -> None:
        # The moments as Adam's; p -= exp_avg / correction1 * lr, times
        # sqrt(correction2) / (sqrt(exp_avg_sq) + eps) * rectification where tractable.
        xp = namespace_of(param)
        (exp_avg, exp_avg_sq, beta1, beta2, correction1, lr, adaptive, rectification, eps,
         shrink, decay) = terms
        decayed = self._scratch(param, 2) if decay else None
        for p, g, m, v, scratch, factor, d in pieces(
                param, grad, exp_avg, exp_avg_sq, self._scratch(param),
                self._scratch(param, 1), decayed):
            if shrink != 1.0:
                p *= shrink
            if d is not None:
                g = add_weight_decay(g, p, decay, out=d)
            update_moments(g, m, v, beta1, beta2, scratch)
            xp.divide(m, correction1, out=scratch)
            scratch *= lr
            if adaptive is not None:
                xp.sqrt(v, out=factor)
                factor += eps
                xp.divide(adaptive, factor, out=factor)
                scratch *= factor
                scratch *= rectification
            p -= scratch

    def _cuda_update(self, param: Array, grad: Array, terms: _RAdamStep) -> None:
        # No fused kernel yet: the portable steps run on CuPy arrays as they are.
        self._portable_update(param, grad, terms)
