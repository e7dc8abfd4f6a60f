"""Adagrad: its options, its portable in-place update and its CUDA kernel, side by side."""

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


class _AdagradStep(NamedTuple):
    """What both forms of one Adagrad update take."""

    square_sum: Array
    lr: float
    """The learning rate decayed for this step."""
    eps: float
    weight_decay: float


class Adagrad(Optimizer):
    """Adagrad (Duchi et al.): steps scaled by the root of the summed squared gradients, with
    an optionally decaying learning rate. PyTorch's ``torch.optim.Adagrad``."""

    _core_state = ("step", "sum")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]],
                 lr: float = 1e-2, lr_decay: float = 0.0, weight_decay: float = 0.0,
                 initial_accumulator_value: float = 0.0, eps: float = 1e-10,
                 foreach: bool | None = None, *, maximize: bool = False,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        """Step ``t`` uses the learning rate ``lr / (1 + (t - 1) * lr_decay)``; the sum of
        squares starts at ``initial_accumulator_value``. ``maximize`` ascends the gradient;
        ``foreach`` and ``fused`` change nothing here; ``differentiable=True`` is refused."""
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "foreach": foreach, "maximize": maximize,
                                  "differentiable": differentiable, "fused": fused})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _AdagradStep:
        step = count_step(state)
        lr = group["lr"] / (1.0 + (step - 1) * group["lr_decay"])
        square_sum = state_buffer(state, "sum", param, group["initial_accumulator_value"])
        return _AdagradStep(square_sum, lr, group["eps"], group["weight_decay"])

    def _portable_update(self, param: Array, grad: Array, terms: _AdagradStep) -> None:
        # In place throughout, as SGD: state buffers and scratch, sliced by pieces.
        xp = namespace_of(param)
        square_sum, lr, eps, weight_decay = terms
        decayed = self._scratch(param, 1) if weight_decay else None
        for p, g, total, scratch, d in pieces(param, grad, square_sum, self._scratch(param),
                                               decayed):
            if d is not None:
                g = add_weight_decay(g, p, weight_decay, out=d)
            xp.multiply(g, g, out=scratch)
            total += scratch
            xp.sqrt(total, out=scratch)
            scratch += eps
            xp.divide(g, scratch, out=scratch)
            scratch *= lr
            p -= scratch

    def _cuda_update(self, param: Array, grad: Array, terms: _AdagradStep) -> None:
        body = ADD_WEIGHT_DECAY_CUDA + ("total = total + d * d;\n"
                                        "p = p - d / (sqrt(total) + eps) * lr;")
        kernel = cuda.elementwise(cuda.xp_of(param), "T g, T lr, T eps, T decay",
                                  "T p, T total", body, "mushin_adagrad")
        kernel(grad, *(cuda.scalar(param, value) for value in (
            terms.lr, terms.eps, terms.weight_decay)), param, terms.square_sum)
