"""Adam and AdamW: their options, their portable in-place update, their fused CPU kernel and
their CUDA kernel, side by side (AdamW is Adam with the weight decay decoupled from the
gradient)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mushin._backend import Array, namespace_of
from mushin.kernels import cpu, cuda
from mushin.nn.optim._inplace import (
    ADD_WEIGHT_DECAY_CUDA,
    add_weight_decay,
    count_step,
    cpu_fusable,
    pieces,
    state_buffer,
    update_moments,
)
from mushin.nn.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from mushin.nn.module import Parameter


class _AdamStep(NamedTuple):
    """What both forms of one Adam update take."""

    exp_avg: Array
    exp_avg_sq: Array
    largest: Array | None
    """AMSGrad's running maximum of ``exp_avg_sq``; None without AMSGrad."""
    step_size: float
    """``-lr / (1 - beta1 ** step)``."""
    beta1: float
    beta2: float
    correction2: float
    """``sqrt(1 - beta2 ** step)``."""
    eps: float
    shrink: float
    """``1 - lr * weight_decay`` for AdamW, which scales the parameter first; else 1."""
    decay: float
    """The L2 weight decay added to the gradient: ``weight_decay``, 0 when decoupled (AdamW)."""


class Adam(Optimizer):
    """Adam (Kingma & Ba), optionally AMSGrad, with L2 weight decay added to the gradient:
    PyTorch's ``torch.optim.Adam``."""

    _core_state = ("step", "exp_avg", "exp_avg_sq")
    _optional_state = ("max_exp_avg_sq",)

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False, fused: bool | None = None,
                 decoupled_weight_decay: bool = False) -> None:
        """``betas`` are the decay rates of the first and second moment averages;
        ``decoupled_weight_decay=True`` makes it AdamW; ``maximize`` ascends the gradient;
        ``foreach`` and ``fused`` change nothing here (a fused CUDA kernel runs wherever it
        applies); ``capturable=True`` and ``differentiable=True`` are refused."""
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize, "foreach": foreach,
                                  "capturable": capturable, "differentiable": differentiable,
                                  "fused": fused,
                                  "decoupled_weight_decay": decoupled_weight_decay})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _AdamStep:
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        step = count_step(state)
        decoupled = group["decoupled_weight_decay"]
        return _AdamStep(
            exp_avg=state_buffer(state, "exp_avg", param),
            exp_avg_sq=state_buffer(state, "exp_avg_sq", param),
            largest=state_buffer(state, "max_exp_avg_sq", param) if group["amsgrad"] else None,
            step_size=-lr / (1.0 - beta1 ** step), beta1=beta1, beta2=beta2,
            correction2=math.sqrt(1.0 - beta2 ** step), eps=group["eps"],
            shrink=1.0 - lr * weight_decay if decoupled else 1.0,
            decay=0.0 if decoupled else weight_decay)

    def _portable_update(self, param: Array, grad: Array, terms: _AdamStep) -> None:
        # In place throughout, as SGD: state buffers and scratch, sliced by pieces.
        xp = namespace_of(param)
        exp_avg, exp_avg_sq, largest, step_size, beta1, beta2, correction2, eps, shrink, decay = (
            terms)
        decayed = self._scratch(param, 1) if decay else None
        for p, g, m, v, top, scratch, d in pieces(param, grad, exp_avg, exp_avg_sq, largest,
                                                   self._scratch(param), decayed):
            if shrink != 1.0:
                p *= shrink
            if d is not None:
                g = add_weight_decay(g, p, decay, out=d)
            update_moments(g, m, v, beta1, beta2, scratch)
            if top is not None:
                xp.maximum(top, v, out=top)
                v = top
            xp.sqrt(v, out=scratch)
            scratch /= correction2
            scratch += eps
            xp.divide(m, scratch, out=scratch)
            scratch *= step_size
            p += scratch

    def _cpu_update(self, param: Array, grad: Array, terms: _AdamStep) -> bool:
        if not cpu_fusable(param, grad, terms.exp_avg, terms.exp_avg_sq, terms.largest):
            return False
        # Without AMSGrad, exp_avg_sq stands in for the absent running maximum, which the
        # kernel then never reads.
        largest = terms.exp_avg_sq if terms.largest is None else terms.largest
        if not grad.flags.c_contiguous:  # a transposed view, say: copied, read in C order
            scratch = self._scratch(param)
            np.copyto(scratch, grad)
            grad = scratch
        _adam_kernel(param.reshape(-1), grad.reshape(-1), terms.exp_avg.reshape(-1),
                     terms.exp_avg_sq.reshape(-1), largest.reshape(-1), terms.step_size,
                     1.0 - terms.beta1, terms.beta2, 1.0 - terms.beta2, terms.correction2,
                     terms.eps, terms.shrink, terms.decay, terms.largest is not None)
        return True

    def _cuda_update(self, param: Array, grad: Array, terms: _AdamStep) -> None:
        xp = cuda.xp_of(param)
        amsgrad = terms.largest is not None
        body = """
        if (shrink != (T)1) p = p * shrink;
        """ + ADD_WEIGHT_DECAY_CUDA + """
        m = m + (d - m) * one_minus_beta1;
        v = v * beta2 + d * one_minus_beta2 * d;
        """ + ("top = (v > top || v != v) ? v : top; T w = top;" if amsgrad else "T w = v;") + """
        T denominator = sqrt(w) / correction2 + eps;
        p = p + m / denominator * step_size;"""
        kernel = cuda.elementwise(
            xp, "T g, T step_size, T one_minus_beta1, T beta2, T one_minus_beta2, "
            "T correction2, T eps, T shrink, T decay",
            "T p, T m, T v" + (", T top" if amsgrad else ""), body,
            "mushin_amsgrad" if amsgrad else "mushin_adam")
        outputs = [param, terms.exp_avg, terms.exp_avg_sq] + (
            [terms.largest] if terms.largest is not None else [])
        kernel(grad, *(cuda.scalar(param, value) for value in (
            terms.step_size, 1.0 - terms.beta1, terms.beta2, 1.0 - terms.beta2,
            terms.correction2, terms.eps, terms.shrink, terms.decay)), *outputs)


@cpu.kernel
def _adam_kernel(p: Array, g: Array, m: Array, v: Array, top: Array, step_size: float,
                 one_minus_beta1: float, beta2: float, one_minus_beta2: float,
                 correction2: float, eps: float, shrink: float, decay: float,
                 amsgrad: bool) -> None:
    # Adam._portable_update's steps, element by element, in one pass over the flat arrays, with
    # the factors in the arrays' dtype (float32 arrays are updated in float32, as there).
    dtype = p.dtype.type
    step_size, one_minus_beta1, beta2, one_minus_beta2, correction2, eps, shrink, decay = (
        dtype(step_size), dtype(one_minus_beta1), dtype(beta2), dtype(one_minus_beta2),
        dtype(correction2), dtype(eps), dtype(shrink), dtype(decay))
    for i in range(p.size):
        w = p[i] * shrink  # exact where shrink is 1 (Adam), which the portable steps skip
        d = g[i]
        if decay != 0:
            d = w * decay + d
        mean = m[i] + (d - m[i]) * one_minus_beta1
        square = v[i] * beta2 + d * one_minus_beta2 * d
        m[i] = mean
        v[i] = square
        if amsgrad:  # np.maximum: NaN in either wins
            if not (square > top[i] or square != square):
                square = top[i]
            top[i] = square
        p[i] = w + mean / (np.sqrt(square) / correction2 + eps) * step_size


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter): each step first shrinks the
    parameters by ``lr * weight_decay``. PyTorch's ``torch.optim.AdamW``: ``Adam`` with
    ``decoupled_weight_decay=True``."""

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach: bool | None = None,
                 capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        """As :class:`Adam`, with ``weight_decay`` decoupled (and 0.01 by default)."""
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
