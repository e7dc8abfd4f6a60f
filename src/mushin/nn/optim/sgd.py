"""SGD: its options, its portable in-place update and its CUDA kernel, side by side."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from mushin._backend import Array, namespace_of
from mushin.kernels import cuda
from mushin.nn.optim._inplace import ADD_WEIGHT_DECAY_CUDA, add_weight_decay, pieces
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
