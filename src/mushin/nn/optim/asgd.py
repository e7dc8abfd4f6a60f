"""ASGD (averaged stochastic gradient descent): its options and its in-place update."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from mushin._backend import Array, namespace_of
from mushin.nn.optim._inplace import add_weight_decay, count_step, pieces, state_buffer
from mushin.nn.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from mushin.nn.module import Parameter


class _ASGDStep(NamedTuple):
    """What one ASGD update takes."""

    average: Array
    """``ax``: the running average of the parameter."""
    eta: float
    """This step's learning rate."""
    mu: float
    """This step's averaging weight (1: the average becomes the parameter)."""
    lambd: float
    weight_decay: float


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky): SGD with a decaying rate ``eta_t = lr / (1 + lambd *
    lr * t) ** alpha`` and a parameter shrink ``1 - lambd * eta``, keeping in ``state["ax"]``
    the average of the iterates after step ``t0``. PyTorch's ``torch.optim.ASGD``.

    The state's ``eta`` and ``mu`` are Python floats (float64); PyTorch keeps them as tensors
    of its default dtype, so the two agree exactly under ``torch.set_default_dtype(
    torch.float64)``.
    """

    _core_state = ("step", "eta", "mu", "ax")
    _scalar_state = ("eta", "mu")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float = 1e-2,
                 lambd: float = 1e-4, alpha: float = 0.75, t0: float = 1e6,
                 weight_decay: float = 0.0, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        """``lambd`` is the decay term, ``alpha`` the power of the rate's decay, ``t0`` the
        step after which averaging starts; ``maximize`` ascends the gradient, ``foreach``
        changes nothing here, ``differentiable=True`` and ``capturable=True`` are refused."""
        super().__init__(params, {"lr": lr, "lambd": lambd, "alpha": alpha, "t0": t0,
                                  "weight_decay": weight_decay, "foreach": foreach,
                                  "maximize": maximize, "differentiable": differentiable,
                                  "capturable": capturable})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _ASGDStep:
        lr, lambd = group["lr"], group["lambd"]
        state.setdefault("eta", lr)
        state.setdefault("mu", 1.0)
        step = count_step(state)
        terms = _ASGDStep(state_buffer(state, "ax", param), state["eta"], state["mu"], lambd,
                          group["weight_decay"])
        # The rate and averaging weight of the next step, as PyTorch updates them.
        state["eta"] = lr / ((1.0 + lambd * lr * step) ** group["alpha"])
        state["mu"] = 1.0 / max(1.0, step - group["t0"])
        return terms

    def _portable_update(self, param: Array, grad: Array, terms: _ASGDStep) -> None:
        # p *= 1 - lambd * eta; p -= eta * g; ax += (p - ax) * mu (or ax = p when mu is 1).
        xp = namespace_of(param)
        average, eta, mu, lambd, weight_decay = terms
        decayed = self._scratch(param, 1) if weight_decay else None
        for p, g, ax, scratch, d in pieces(param, grad, average, self._scratch(param),
                                            decayed):
            if d is not None:
                g = add_weight_decay(g, p, weight_decay, out=d)
            p *= 1.0 - lambd * eta
            p -= xp.multiply(g, eta, out=scratch)
            if mu != 1.0:
                xp.subtract(p, ax, out=scratch)
                scratch *= mu
                ax += scratch
            else:
                ax[...] = p

    def _cuda_update(self, param: Array, grad: Array, terms: _ASGDStep) -> None:
        # No fused kernel yet: the portable steps run on CuPy arrays as they are.
        self._portable_update(param, grad, terms)
