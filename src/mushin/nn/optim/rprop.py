"""Rprop (resilient backpropagation): its options and its in-place update."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, NamedTuple

from mushin._backend import Array, namespace_of
from mushin.nn.optim._inplace import count_step, state_buffer
from mushin.nn.optim.optimizer import Optimizer

if TYPE_CHECKING:
    from mushin.nn.module import Parameter


class _RpropStep(NamedTuple):
    """What one Rprop update takes."""

    previous: Array
    """The gradient of the previous step (zeroed where its sign flipped)."""
    step_size: Array
    """Each element's own step size."""
    etas: tuple[float, float]
    step_sizes: tuple[float, float]


class Rprop(Optimizer):
    """Rprop: each element moves by its own step size against the sign of its gradient; the
    step size grows by ``etaplus`` while the gradient keeps its sign, shrinks by ``etaminus``
    when it flips (and that element then rests one step), and stays within ``step_sizes``.
    ``lr`` is the initial step size. PyTorch's ``torch.optim.Rprop``.
    """

    _core_state = ("step", "prev", "step_size")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float = 1e-2,
                 etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50.0), *,
                 capturable: bool = False, foreach: bool | None = None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        """``etas`` is ``(etaminus, etaplus)`` with ``0 < etaminus < 1 < etaplus``;
        ``step_sizes`` the ``(min, max)`` step sizes."""
        super().__init__(params, {"lr": lr, "etas": etas, "step_sizes": step_sizes,
                                  "foreach": foreach, "maximize": maximize,
                                  "differentiable": differentiable, "capturable": capturable})

    def _step_terms(self, param: Array, state: dict[str, Any],
                    group: dict[str, Any]) -> _RpropStep:
        count_step(state)
        return _RpropStep(state_buffer(state, "prev", param),
                          state_buffer(state, "step_size", param, group["lr"]),
                          group["etas"], group["step_sizes"])

    def _portable_update(self, param: Array, grad: Array, terms: _RpropStep) -> None:
        # s = sign(g * prev) in {-1, 0, 1}; step_size *= etaplus / etaminus / 1 where s is
        # 1 / -1 / 0, then clipped; g is zeroed where s is -1; p -= sign(g) * step_size;
        # prev = g. The factors come from s by exact arithmetic, with no masks (nothing is
        # allocated): etaplus * (s + |s|) / 2 + (1 - |s|) + etaminus * (|s| - s) / 2.
        xp = namespace_of(param)
        previous, step_size, (minus, plus), (smallest, largest) = terms
        sign = xp.multiply(grad, previous, out=self._scratch(param))
        xp.sign(sign, out=sign)
        flipped = xp.abs(sign, out=self._scratch(param, 1))
        factor = xp.add(sign, flipped, out=self._scratch(param, 2))
        factor *= plus / 2
        factor -= flipped  # etaplus - 1 is exact (etaplus > 1), so adding 1 restores it
        factor += 1.0
        flipped -= sign  # 2 where the gradient's sign flipped, else 0
        factor += xp.multiply(flipped, minus / 2, out=sign)
        step_size *= factor
        xp.clip(step_size, smallest, largest, out=step_size)
        kept = flipped
        kept *= -0.5
        kept += 1.0  # 0 where the sign flipped, else 1
        kept *= grad
        previous[...] = kept
        step = xp.sign(kept, out=sign)
        step *= step_size
        param -= step

    def _cuda_update(self, param: Array, grad: Array, terms: _RpropStep) -> None:
        # No fused kernel yet: the portable steps run on CuPy arrays as they are.
        self._portable_update(param, grad, terms)
