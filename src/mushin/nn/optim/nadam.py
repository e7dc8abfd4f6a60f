"""NAdam: its options and its portable in-place update (any array module, CuPy included)."""

from __future__ import annotations

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


class _NAdamStep(NamedTuple):
    """What one NAdam update takes."""

    exp_avg: Array
    exp_avg_sq: Array
    beta1: float
    beta2: float
    correction2: float
    """``1 - beta2 ** step``."""
    eps: float
    grad_size: float
    """``-lr * (1 - mu) / (1 - mu_product)``: the factor of the gradient's term."""
    avg_size: float
    """``-lr * mu_next / (1 - mu_product * mu_next)``: the factor of the average's term."""
    shrink: float
    """``1 - lr * weight_decay`` with decoupled weight decay, which scales the parameter
    first; else 1."""
    decay: float
    """The L2 weight decay added to the gradient (0 with decoupled weight decay)."""


class NAdam(Optimizer):
    """NAdam (Dozat): Adam with Nesterov momentum and a momentum schedule, with L2 weight decay
    added to the gradient or, with ``decoupled_weight_decay``, AdamW's. PyTorch's
    ``torch.optim.NAdam``."""

    _core_state = ("step", "mu_product", "exp_avg", "exp_avg_sq")
    _scalar_state = ("mu_product",)

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        """Step ``t`` uses the momentum ``beta1 * (1 - 0.96 ** (t * momentum_decay) / 2)``;
        ``mu_product``, the product of those momenta, is a float in the state. ``maximize``
        ascends the gradient; ``foreach`` changes nothing here; ``capturable=True`` and
        ``differentiable=True`` are refused."""
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "momentum_decay": momentum_decay,
                                  "decoupled_weight_decay": decoupled_weight_decay,
                                  "maximize": maximize, "foreach": foreach,
                                  "capturable": capturable, "differentiable": differentiable})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _NAdamStep:
        lr, weight_decay, momentum_decay = (group["lr"], group["weight_decay"],
                                            group["momentum_decay"])
        beta1, beta2 = group["betas"]
        step = float(count_step(state))
        momentum = beta1 * (1.0 - 0.5 * (0.96 ** (step * momentum_decay)))
        momentum_next = beta1 * (1.0 - 0.5 * (0.96 ** ((step + 1.0) * momentum_decay)))
        product: float = state.get("mu_product", 1.0) * momentum
        state["mu_product"] = product
        decoupled = group["decoupled_weight_decay"]
        return _NAdamStep(
            exp_avg=state_buffer(state, "exp_avg", param),
            exp_avg_sq=state_buffer(state, "exp_avg_sq", param), beta1=beta1, beta2=beta2,
            correction2=1.0 - beta2 ** step, eps=group["eps"],
            grad_size=-lr * (1.0 - momentum) / (1.0 - product),
            avg_size=-lr * momentum_next / (1.0 - product * momentum_next),
            shrink=1.0 - lr * weight_decay if decoupled else 1.0,
            decay=0.0 if decoupled else weight_decay)

    def _portable_update(self, param: Array, grad: Array, terms: _NAdamStep) -> None:
        # The moments as Adam's; denominator = sqrt(exp_avg_sq / correction2) + eps;
        # p += grad_size * g / denominator, then p += avg_size * exp_avg / denominator.
        xp = namespace_of(param)
        (exp_avg, exp_avg_sq, beta1, beta2, correction2, eps, grad_size, avg_size, shrink,
         decay) = terms
        decayed = self._scratch(param, 2) if decay else None
        for p, g, m, v, denominator, scratch, d in pieces(
                param, grad, exp_avg, exp_avg_sq, self._scratch(param),
                self._scratch(param, 1), decayed):
            if shrink != 1.0:
                p *= shrink
            if d is not None:
                g = add_weight_decay(g, p, decay, out=d)
            update_moments(g, m, v, beta1, beta2, scratch)
            xp.divide(v, correction2, out=denominator)
            xp.sqrt(denominator, out=denominator)
            denominator += eps
            xp.divide(g, denominator, out=scratch)
            scratch *= grad_size
            p += scratch
            xp.divide(m, denominator, out=scratch)
            scratch *= avg_size
            p += scratch

    def _cuda_update(self, param: Array, grad: Array, terms: _NAdamStep) -> None:
        # No fused kernel yet: the portable steps run on CuPy arrays as they are.
        self._portable_update(param, grad, terms)
