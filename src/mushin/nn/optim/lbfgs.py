"""L-BFGS: a quasi-Newton optimizer driven by a closure, with an optional strong-Wolfe line
search; PyTorch's ``torch.optim.LBFGS`` step for step.

Unlike the other optimizers it treats all its parameters as one flat vector: the gradient is
gathered into one array, the search direction comes from the last ``history_size`` steps and
gradient changes (the two-loop recursion), and each step may evaluate the loss several times,
so ``step`` needs a ``closure`` that recomputes it. Scalars (step length, curvature terms) are
Python floats; vectors are arrays on the parameters' device.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from mushin._backend import Array, backend_of, namespace_of
from mushin._check import as_mapping
from mushin._graph import enable_grad
from mushin._tensor import Tensor, storage, unwrap, writable
from mushin.nn.optim.optimizer import Optimizer, gradient_array

if TYPE_CHECKING:
    from mushin.nn.module import Parameter

_VECTOR_STATE = ("d", "prev_flat_grad")
_LIST_STATE = ("old_dirs", "old_stps")
_NUMBER_STATE = ("t", "H_diag", "prev_loss")


def _cubic_minimum(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                   bounds: tuple[float, float] | None = None) -> float:
    """The minimiser of the cubic through ``(x1, f1)`` and ``(x2, f2)`` with slopes ``g1``
    and ``g2``, clamped to ``bounds`` (by default the interval between the two points); the
    middle of the bounds when the cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    discriminant = d1 * d1 - g1 * g2
    if discriminant < 0:
        return (low + high) / 2.0
    d2 = math.sqrt(discriminant)
    if x1 <= x2:
        position = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        position = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(position, low), high)


class _Point(NamedTuple):
    """One trial of the line search: step length, loss, flat gradient, slope along d."""

    t: float
    f: float
    g: Array
    gtd: float


def _dot(first: Array, second: Array) -> float:
    return float(namespace_of(first).dot(first, second))


def _strong_wolfe(evaluate: Callable[[float], tuple[float, Array]], d: Array, t: float,
                  start: _Point, max_ls: int, c1: float = 1e-4, c2: float = 0.9,
                  tolerance_change: float = 1e-9) -> tuple[float, Array, float, int]:
    """A step length satisfying the strong Wolfe conditions along ``d``, from ``start`` (step
    0) and the first trial ``t``: bracket a good interval, then zoom into it by cubic
    interpolation until the bracket is shorter than ``tolerance_change`` (PyTorch's fixed
    1e-9, not the optimizer's option). Returns ``(loss, flat gradient, t, evaluations)``."""
    xp = namespace_of(d)
    largest_direction = float(xp.max(xp.abs(d)))
    f, gtd = start.f, start.gtd
    f_new, g_new = evaluate(t)
    evaluations = 1
    current = _Point(t, f_new, g_new, _dot(g_new, d))
    previous = start
    bracket: list[_Point] = []
    done = False
    iterations = 0
    while iterations < max_ls:
        if current.f > f + c1 * current.t * gtd or (iterations > 1
                                                       and current.f >= previous.f):
            bracket = [previous, current]
            break
        if abs(current.gtd) <= -c2 * gtd:
            bracket = [current]
            done = True
            break
        if current.gtd >= 0:
            bracket = [previous, current]
            break
        # extrapolate: a cubic step between 1.01 and 10 times the current one
        t_next = _cubic_minimum(previous.t, previous.f, previous.gtd, current.t, current.f,
                                current.gtd, bounds=(current.t + 0.01 * (current.t - previous.t),
                                                     current.t * 10))
        previous = current
        f_new, g_new = evaluate(t_next)
        evaluations += 1
        current = _Point(t_next, f_new, g_new, _dot(g_new, d))
        iterations += 1
    if iterations == max_ls:
        bracket = [start._replace(t=0.0), current]

    # zoom: shrink the bracket around a point that satisfies the conditions
    insufficient_progress = False
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    while not done and iterations < max_ls:
        if abs(bracket[1].t - bracket[0].t) * largest_direction < tolerance_change:
            break
        t = _cubic_minimum(bracket[0].t, bracket[0].f, bracket[0].gtd, bracket[1].t,
                           bracket[1].f, bracket[1].gtd)
        top, bottom = max(bracket[0].t, bracket[1].t), min(bracket[0].t, bracket[1].t)
        margin = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < margin:  # too close to an end of the bracket
            if insufficient_progress or t >= top or t <= bottom:
                t = top - margin if abs(t - top) < abs(t - bottom) else bottom + margin
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(t)
        evaluations += 1
        iterations += 1
        trial = _Point(t, f_new, g_new, _dot(g_new, d))
        if trial.f > f + c1 * t * gtd or trial.f >= bracket[low].f:
            bracket[high] = trial
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(trial.gtd) <= -c2 * gtd:
                done = True
            elif trial.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = trial
    best = bracket[low]
    return best.f, best.g, best.t, evaluations


class LBFGS(Optimizer):
    """L-BFGS (limited-memory BFGS) over all parameters as one vector: PyTorch's
    ``torch.optim.LBFGS``, driven by ``step(closure)``.

    Each ``step`` runs up to ``max_iter`` iterations (and ``max_eval`` loss evaluations): the
    direction is the inverse-Hessian estimate of the last ``history_size`` steps times the
    negative gradient, and the step length is ``lr`` (the first iteration ever: ``lr *
    min(1, 1 / sum|g|)``) or, with ``line_search_fn="strong_wolfe"``, a strong-Wolfe line
    search from there. It stops early when the largest gradient element is at most
    ``tolerance_grad``, or the loss or the parameters change by less than
    ``tolerance_change``. Only one parameter group; the state is kept under the first
    parameter, as PyTorch does.
    """

    _core_state = ("func_evals", "n_iter")
    _optional_state = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad",
                       "prev_loss", "al")

    def __init__(self, params: Iterable[Parameter | dict[str, Any]], lr: float = 1.0,
                 max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        """``max_eval`` defaults to ``max_iter * 5 // 4``; ``line_search_fn`` is None (fixed
        steps of ``lr``) or ``"strong_wolfe"``."""
        if max_eval is None and isinstance(max_iter, int) and not isinstance(max_iter, bool):
            max_eval = max_iter * 5 // 4
        super().__init__(params, {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                                  "tolerance_grad": tolerance_grad,
                                  "tolerance_change": tolerance_change,
                                  "history_size": history_size,
                                  "line_search_fn": line_search_fn})
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS: per-parameter options (several parameter groups) are not "
                             f"supported, got {len(self.param_groups)} groups")

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Refused after the first: L-BFGS has one parameter group, as PyTorch's."""
        if self.param_groups:
            raise ValueError("LBFGS: per-parameter options (several parameter groups) are not "
                             "supported")
        super().add_param_group(group)

    # --- the parameters as one flat vector ----------------------------------------------
    @property
    def _params(self) -> list[Parameter]:
        return cast("list[Parameter]", self.param_groups[0]["params"])

    def _flat_grad(self) -> Array:
        xp = namespace_of(storage(self._params[0]))
        pieces: list[Array] = []
        for param in self._params:
            grad = gradient_array(param)
            pieces.append(xp.zeros(storage(param).size, dtype=storage(param).dtype) if grad is None
                          else xp.asarray(grad, dtype=storage(param).dtype).reshape(-1))
        return xp.concatenate(pieces)

    def _move(self, t: float, direction: Array) -> None:
        """Add ``t * direction`` to the parameters, in place."""
        offset = 0
        for param in self._params:
            data = writable(param)
            data += direction[offset:offset + data.size].reshape(data.shape) * t
            offset += data.size

    def _evaluate(self, closure: Callable[[], Any]) -> float:
        with enable_grad():
            return float(closure())

    # --- the step --------------------------------------------------------------------------
    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Run up to ``max_iter`` L-BFGS iterations; returns the loss of the closure's first
        call. ``closure`` is required: it clears the gradients, recomputes the loss, calls
        ``backward`` and returns the loss (it runs with recording on)."""
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step: needs a closure that clears the gradients, recomputes "
                            "the loss, calls backward and returns the loss, got "
                            f"{type(closure).__name__}")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state.setdefault(id(self._params[0]), {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        with enable_grad():
            first_loss = closure()
        loss = float(first_loss)
        evaluations = 1
        state["func_evals"] += 1
        flat_grad = self._flat_grad()
        xp = namespace_of(flat_grad)
        if float(xp.max(xp.abs(flat_grad))) <= tolerance_grad:
            return first_loss

        d: Array | None = state.get("d")
        t: float = state.get("t", lr)
        old_dirs: list[Array] = state.get("old_dirs", [])
        old_stps: list[Array] = state.get("old_stps", [])
        ro: list[float] = state.get("ro", [])
        h_diag: float = state.get("H_diag", 1.0)
        prev_flat_grad: Array | None = state.get("prev_flat_grad")
        prev_loss: float | None = state.get("prev_loss")

        iteration = 0
        while iteration < max_iter:
            iteration += 1
            state["n_iter"] += 1
            # the direction: steepest descent at first, then the two-loop recursion
            if state["n_iter"] == 1 or d is None or prev_flat_grad is None:
                direction = -flat_grad
                old_dirs, old_stps, ro, h_diag = [], [], [], 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = _dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / _dot(y, y)
                count = len(old_dirs)
                al: list[float] = state.setdefault("al", [0.0] * history_size)
                if len(al) < history_size:
                    al.extend([0.0] * (history_size - len(al)))
                q = -flat_grad
                for i in range(count - 1, -1, -1):
                    al[i] = _dot(old_stps[i], q) * ro[i]
                    q -= old_dirs[i] * al[i]
                direction = r = q * h_diag
                for i in range(count):
                    be_i = _dot(old_dirs[i], r) * ro[i]
                    r += old_stps[i] * (al[i] - be_i)
            d = direction
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss

            # the step length
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / float(xp.sum(xp.abs(flat_grad)))) * lr
            else:
                t = lr
            gtd = _dot(flat_grad, direction)
            if gtd > -tolerance_change:
                break

            step_evaluations = 0
            if group["line_search_fn"] is not None:
                start = [storage(param).copy() for param in self._params]

                def along(step: float, start: list[Array] = start,
                          direction: Array = direction) -> tuple[float, Array]:
                    self._move(step, direction)
                    value = self._evaluate(closure)
                    gradient = self._flat_grad()
                    for param, saved in zip(self._params, start, strict=True):
                        writable(param)[...] = saved
                    return value, gradient

                loss, flat_grad, t, step_evaluations = _strong_wolfe(
                    along, direction, t, _Point(0.0, loss, flat_grad, gtd),
                    max_eval - evaluations)
                self._move(t, direction)
                optimal = float(xp.max(xp.abs(flat_grad))) <= tolerance_grad
            else:
                self._move(t, direction)
                optimal = False
                if iteration != max_iter:  # not re-evaluated after the last iteration
                    loss = self._evaluate(closure)
                    flat_grad = self._flat_grad()
                    optimal = float(xp.max(xp.abs(flat_grad))) <= tolerance_grad
                    step_evaluations = 1
            evaluations += step_evaluations
            state["func_evals"] += step_evaluations

            if iteration == max_iter or evaluations >= max_eval or optimal:
                break
            if float(xp.max(xp.abs(direction * t))) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state.update({"d": d, "t": t, "old_dirs": old_dirs, "old_stps": old_stps, "ro": ro,
                      "H_diag": h_diag, "prev_flat_grad": prev_flat_grad,
                      "prev_loss": prev_loss})
        return first_loss

    # --- what the per-parameter optimizers implement; L-BFGS steps all at once -------------
    def _step_terms(self, param: Array, state: dict[str, Any], group: dict[str, Any]) -> Any:
        raise TypeError("LBFGS updates all parameters at once in step(closure)")

    def _portable_update(self, param: Array, grad: Array, terms: Any) -> None:
        raise TypeError("LBFGS updates all parameters at once in step(closure)")

    def _cuda_update(self, param: Array, grad: Array, terms: Any) -> None:
        raise TypeError("LBFGS updates all parameters at once in step(closure)")

    def _loaded_entry(self, where: str, entry: object, param: Parameter) -> dict[str, Any]:
        """A saved L-BFGS state (kept under the first parameter), checked: counts, numbers,
        flat vectors of the total parameter size (moved to the parameters' device and dtype)
        and lists of them."""
        saved = as_mapping(entry)
        if saved is None:
            raise ValueError(f"{where} must be a dict, got {type(entry).__name__}")
        known = set(self._core_state) | set(self._optional_state)
        unknown = sorted(map(str, set(saved) - known))
        missing = sorted(set(self._core_state) - set(saved))
        if missing or unknown:
            raise ValueError(f"{where} has the wrong entries (missing: {missing or 'none'}; "
                             f"unknown: {unknown or 'none'})")
        size = sum(int(storage(p).size) for p in self._params)
        target = backend_of(storage(param))
        dtype = storage(param).dtype

        def vector(key: str, value: Any) -> Array:
            array: Any = unwrap(value) if isinstance(value, Tensor) else value
            if not hasattr(array, "shape") or tuple(array.shape) != (size,):
                raise ValueError(f"{where}: {key!r} must be a flat vector of {size} elements "
                                 f"(the parameters' total size), got {value!r:.80}")
            copied: Array = target.asarray(array, dtype=dtype).copy()
            return copied

        def scalar(key: str, value: Any) -> float:
            number = value.item() if hasattr(value, "item") else value
            if isinstance(number, bool) or not isinstance(number, int | float):
                raise ValueError(f"{where}: {key!r} must be a number, got {value!r:.80}")
            return float(number)

        loaded: dict[str, Any] = {}
        for key, value in saved.items():
            if key in ("func_evals", "n_iter"):
                count = value.item() if hasattr(value, "item") else value
                if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise ValueError(f"{where}: {key!r} must be an int >= 0, got {value!r}")
                loaded[key] = int(count)
            elif value is None:
                loaded[key] = None
            elif key in _VECTOR_STATE:
                loaded[key] = vector(key, value)
            elif key in _LIST_STATE:
                loaded[key] = [vector(key, item) for item in value]
            elif key in ("ro", "al"):
                loaded[key] = [0.0 if item is None else scalar(key, item) for item in value]
            else:
                loaded[key] = scalar(key, value)
        return loaded
