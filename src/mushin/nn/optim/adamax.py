"""Adamax: its options and its portable in-place update (any array module, CuPy included)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from mushin._backend import Array, namespace_of
from mushin.nn.optim._inplace import add_weight_decay, count_step, pieces, state_buffer
from mushin.nn.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from mushin.nn.module import Parameter


class _AdamaxStep(NamedTuple):
    """What one Adamax update takes."""

    exp_avg: Array
    exp_inf: Array
    step_size: float
    """``-lr / (1 - beta1 ** step)``."""
    beta1: float
    beta2: float
    eps: float
    weight_decay: float


class Adamax(Optimizer):
    """Adamax (Kingma & Ba): Adam with the second moment replaced by a decaying infinity norm
    of the gradients, with L2 weight decay added to the gradient. PyTorch's
    ``torch.optim.Adamax``."""

    _core_state = ("step", "exp_avg", "exp_inf")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float = 2e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        """``betas`` are the decay rates of the first moment and of the infinity norm.
        ``maximize`` ascends the gradient; ``foreach`` changes nothing here;
        ``capturable=True`` and ``differentiable=True`` are refused."""
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "foreach": foreach,
                                  "maximize": maximize, "differentiable": differentiable,
                                  "capturable": capturable})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _AdamaxStep:
        beta1, beta2 = group["betas"]
        step = count_step(state)
        return _AdamaxStep(state_buffer(state, "exp_avg", param),
                           state_buffer(state, "exp_inf", param),
                           -group["lr"] / (1.0 - beta1 ** float(step)), beta1, beta2,
                           group["eps"], group["weight_decay"])

    def _portable_update(self, param: Array, grad: Array, terms: _AdamaxStep) -> None:
        # exp_avg moves (1 - beta1) of the way toward g; exp_inf = max(beta2 * exp_inf,
        # |g| + eps); p += step_size * exp_avg / exp_inf.
        xp = namespace_of(param)
        exp_avg, exp_inf, step_size, beta1, beta2, eps, weight_decay = terms
        decayed = self._scratch(param, 1) if weight_decay else None
        for p, g, m, top, scratch, d in pieces(param, grad, exp_avg, exp_inf,
                                                self._scratch(param), decayed):
            if d is not None:
                g = add_weight_decay(g, p, weight_decay, out=d)
            xp.subtract(g, m, out=scratch)
            scratch *= 1.0 - beta1
            m += scratch
            top *= beta2
            xp.abs(g, out=scratch)
            scratch += eps
            xp.maximum(top, scratch, out=top)
            xp.divide(m, top, out=scratch)
            scratch *= step_size
            p += scratch

    def _cuda_update(self, param: Array, grad: Array, terms: _AdamaxStep) -> None:
        # No fused kernel yet: the portable steps run on CuPy arrays as they are.
        self._portable_update(param, grad, terms)
