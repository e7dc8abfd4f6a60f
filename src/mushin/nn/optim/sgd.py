"""SGD: its options, its portable in-place update, its fused CPU kernel and its CUDA kernel,
side by side."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from mushin._backend import Array, namespace_of
from mushin.kernels import cpu, cuda
from mushin.nn.optim._inplace import (
    ADD_WEIGHT_DECAY_CUDA,
    add_weight_decay,
    cpu_fusable,
    pieces,
)
from mushin.nn.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from mushin.nn.module import Parameter


class _SGDStep(NamedTuple):
    """What both forms of one SGD update take."""

    buffer: Array | None
    """The momentum buffer; None without momentum."""
    started: bool
    """False at the first step, where the buffer becomes the gradient."""
    lr: float
    momentum: float
    dampening: float
    nesterov: bool
    weight_decay: float


class SGD(Optimizer):
    """Stochastic gradient descent, with optional momentum (heavy-ball or Nesterov) and L2
    weight decay added to the gradient: PyTorch's ``torch.optim.SGD``."""

    _optional_state = ("momentum_buffer",)

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float = 1e-3,
                 momentum: float = 0.0, nesterov: bool = False, weight_decay: float = 0.0, *,
                 dampening: float = 0.0, maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False, fused: bool | None = None) -> None:
        """``lr`` is the learning rate (PyTorch's default, 1e-3); ``dampening`` scales the
        gradient into the momentum buffer by ``1 - dampening``; ``nesterov`` needs
        ``momentum > 0`` and no ``dampening``.

        The positional order is the crate's, ``(params, lr, momentum, nesterov,
        weight_decay)``, where PyTorch's is ``(params, lr, momentum, dampening, weight_decay,
        nesterov)``: pass anything after ``momentum`` by keyword (a number where the flag
        ``nesterov`` belongs raises ``TypeError``). ``maximize`` ascends the gradient;
        ``foreach`` and ``fused`` choose PyTorch's implementation and change nothing here (a
        fused CUDA kernel runs wherever it applies); ``differentiable=True`` is refused."""
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize, "foreach": foreach,
                                  "differentiable": differentiable, "fused": fused})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _SGDStep:
        momentum = group["momentum"]
        buffer = state.get("momentum_buffer") if momentum else None
        started = buffer is not None
        if momentum and buffer is None:
            buffer = state["momentum_buffer"] = namespace_of(param).empty_like(param)
        return _SGDStep(buffer, started, group["lr"], momentum, group["dampening"],
                        group["nesterov"], group["weight_decay"])

    def _portable_update(self, param: Array, grad: Array, terms: _SGDStep) -> None:
        # In place throughout: buf *= m; buf += g; p -= lr * buf, the products written into
        # the optimizer's scratch arrays, so a step allocates nothing; a large parameter is
        # updated one cache-sized slice at a time (pieces).
        xp = namespace_of(param)
        buffer, started, lr, momentum, dampening, nesterov, weight_decay = terms
        decayed = self._scratch(param, 1) if weight_decay else None
        for p, g, b, scratch, d in pieces(param, grad, buffer, self._scratch(param), decayed):
            if d is not None:
                g = add_weight_decay(g, p, weight_decay, out=d)
            if b is not None:
                if started:
                    b *= momentum
                    b += xp.multiply(g, 1.0 - dampening, out=scratch) if dampening else g
                else:  # the first step: the buffer starts as the gradient
                    b[...] = g
                if nesterov:
                    ahead = xp.multiply(b, momentum, out=scratch)
                    ahead += g
                    g = ahead
                else:
                    g = b
            p -= xp.multiply(g, lr, out=scratch)

    def _cpu_update(self, param: Array, grad: Array, terms: _SGDStep) -> bool:
        if not cpu_fusable(param, grad, terms.buffer):
            return False
        # Without momentum the parameter stands in for the absent buffer, which the kernel
        # then never touches.
        buffer = param if terms.buffer is None else terms.buffer
        if not grad.flags.c_contiguous:  # a transposed view, say: copied, read in C order
            scratch = self._scratch(param)
            np.copyto(scratch, grad)
            grad = scratch
        _sgd_kernel(param.reshape(-1), grad.reshape(-1), buffer.reshape(-1), terms.lr,
                    terms.weight_decay, terms.momentum, 1.0 - terms.dampening,
                    terms.buffer is not None, terms.started, terms.dampening != 0.0,
                    terms.nesterov)
        return True

    def _cuda_update(self, param: Array, grad: Array, terms: _SGDStep) -> None:
        # keep = 1 - dampening scales the gradient into the buffer (skipped where it is 1).
        xp = cuda.xp_of(param)
        lr, decay = cuda.scalar(param, terms.lr), cuda.scalar(param, terms.weight_decay)
        if terms.buffer is None:
            kernel = cuda.elementwise(xp, "T g, T lr, T decay", "T p",
                                      ADD_WEIGHT_DECAY_CUDA + "p = p - d * lr;", "mushin_sgd")
            kernel(grad, lr, decay, param)
            return
        kernel = cuda.elementwise(
            xp, "T g, T lr, T decay, T momentum, T keep, int32 nesterov, int32 started",
            "T p, T b", ADD_WEIGHT_DECAY_CUDA + """
        if (started) b = b * momentum + (keep != (T)1 ? d * keep : d); else b = d;
        T u = nesterov ? b * momentum + d : b;
        p = p - u * lr;""", "mushin_sgd_momentum")
        kernel(grad, lr, decay, cuda.scalar(param, terms.momentum),
               cuda.scalar(param, 1.0 - terms.dampening), xp.int32(terms.nesterov),
               xp.int32(terms.started), param, terms.buffer)


@cpu.kernel
def _sgd_kernel(p: Array, g: Array, b: Array, lr: float, decay: float, momentum: float,
                keep: float, has_buffer: bool, started: bool, dampened: bool,
                nesterov: bool) -> None:
    # SGD._portable_update's steps, element by element, in one pass over the flat arrays, with
    # the factors in the arrays' dtype (float32 arrays are updated in float32, as there).
    dtype = p.dtype.type
    lr, decay, momentum, keep = dtype(lr), dtype(decay), dtype(momentum), dtype(keep)
    for i in range(p.size):
        d = g[i]
        if decay != 0:
            d = p[i] * decay + d
        u = d
        if has_buffer:
            if started:
                u = b[i] * momentum + (d * keep if dampened else d)
            b[i] = u
            if nesterov:
                u = u * momentum + d
        p[i] = p[i] - u * lr
