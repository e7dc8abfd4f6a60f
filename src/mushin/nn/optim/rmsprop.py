"""RMSprop: its options, its portable in-place update and its CUDA kernel, side by side."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from mushin._backend import Array, namespace_of
from mushin.kernels import cuda
from mushin.nn.optim._inplace import (
    ADD_WEIGHT_DECAY_CUDA,
    add_weight_decay,
    count_step,
    pieces,
    state_buffer,
)
from mushin.nn.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from mushin.nn.module import Parameter


class _RMSpropStep(NamedTuple):
    """What both forms of one RMSprop update take."""

    square_avg: Array
    grad_avg: Array | None
    """The running mean gradient, when centered; else None."""
    buffer: Array | None
    """The momentum buffer, with momentum; else None."""
    lr: float
    alpha: float
    eps: float
    weight_decay: float
    momentum: float


class RMSprop(Optimizer):
    """RMSprop (Hinton): steps scaled by a running root mean square of the gradients,
    optionally centered and with momentum. PyTorch's ``torch.optim.RMSprop``."""

    _core_state = ("step", "square_avg")
    _optional_state = ("momentum_buffer", "grad_avg")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0,
                 centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        """``alpha`` is the decay rate of the mean square; ``centered`` subtracts the squared
        mean gradient (an estimate of the variance). ``maximize`` ascends the gradient;
        ``foreach`` changes nothing here; ``capturable=True`` and ``differentiable=True`` are
        refused."""
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                                  "centered": centered, "weight_decay": weight_decay,
                                  "capturable": capturable, "foreach": foreach,
                                  "maximize": maximize, "differentiable": differentiable})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _RMSpropStep:
        momentum = group["momentum"]
        count_step(state)
        return _RMSpropStep(
            square_avg=state_buffer(state, "square_avg", param),
            grad_avg=state_buffer(state, "grad_avg", param) if group["centered"] else None,
            buffer=state_buffer(state, "momentum_buffer", param) if momentum > 0 else None,
            lr=group["lr"], alpha=group["alpha"], eps=group["eps"],
            weight_decay=group["weight_decay"], momentum=momentum)

    def _portable_update(self, param: Array, grad: Array, terms: _RMSpropStep) -> None:
        # In place throughout, as SGD: state buffers and scratch, sliced by pieces.
        xp = namespace_of(param)
        square_avg, grad_avg, buffer, lr, alpha, eps, weight_decay, momentum = terms
        decayed = self._scratch(param, 1) if weight_decay else None
        for p, g, sq, avg, b, scratch, d in pieces(param, grad, square_avg, grad_avg, buffer,
                                                    self._scratch(param), decayed):
            if d is not None:
                g = add_weight_decay(g, p, weight_decay, out=d)
            xp.multiply(g, 1.0 - alpha, out=scratch)
            scratch *= g
            sq *= alpha
            sq += scratch
            if avg is not None:
                xp.subtract(g, avg, out=scratch)
                scratch *= 1.0 - alpha
                avg += scratch
                xp.multiply(avg, avg, out=scratch)
                xp.subtract(sq, scratch, out=scratch)
                xp.sqrt(scratch, out=scratch)
            else:
                xp.sqrt(sq, out=scratch)
            scratch += eps
            xp.divide(g, scratch, out=scratch)
            if b is not None:
                b *= momentum
                b += scratch
                xp.multiply(b, lr, out=scratch)
            else:
                scratch *= lr
            p -= scratch

    def _cuda_update(self, param: Array, grad: Array, terms: _RMSpropStep) -> None:
        # One kernel per combination of centered and momentum: its outputs are the parameter
        # and the buffers that combination keeps.
        centered, with_momentum = terms.grad_avg is not None, terms.buffer is not None
        body = ADD_WEIGHT_DECAY_CUDA + "sq = sq * alpha + d * one_minus_alpha * d;\n" + (
            "avg = avg + (d - avg) * one_minus_alpha; T root = sqrt(sq - avg * avg);\n"
            if centered else "T root = sqrt(sq);\n") + "T u = d / (root + eps);\n" + (
            "b = b * momentum + u; p = p - b * lr;" if with_momentum else "p = p - u * lr;")
        outputs = "T p, T sq" + (", T avg" if centered else "") + (
            ", T b" if with_momentum else "")
        kernel = cuda.elementwise(cuda.xp_of(param), "T g, T lr, T alpha, T one_minus_alpha, "
                                  "T eps, T decay, T momentum", outputs, body,
                                  f"mushin_rmsprop_{int(centered)}{int(with_momentum)}")
        arrays = [param, terms.square_avg] + [array for array in (terms.grad_avg, terms.buffer)
                                              if array is not None]
        kernel(grad, *(cuda.scalar(param, value) for value in (
            terms.lr, terms.alpha, 1.0 - terms.alpha, terms.eps, terms.weight_decay,
            terms.momentum)), *arrays)
