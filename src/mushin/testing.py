"""Gradient checking: analytic gradients against central finite differences."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from mushin._graph import no_grad
from mushin._tensor import Constant, Tensor, Variable, new_variable, storage

__all__ = ["gradcheck"]


def _as_input(value: Any) -> Tensor:
    """A float64 leaf for each floating input; integer/bool data and Constants stay fixed."""
    if isinstance(value, Constant):
        return value  # pyright: ignore[reportUnknownVariableType] (isinstance on Any)
    data = value.numpy() if isinstance(value, Tensor) else np.asarray(value)
    if data.dtype.kind not in "fc":
        return Constant(data)
    return new_variable(np.array(data, dtype=np.float64))


def _projected(f: Callable[..., Any], inputs: list[Any], seed: np.ndarray[Any, Any]) -> float:
    with no_grad():
        output = f(*inputs)
    return float(np.sum(seed * np.asarray(output.numpy(), dtype=np.float64)))


def gradcheck(f: Callable[..., Variable], *inputs: Any, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3) -> bool:
    """Check the gradients of ``f`` at ``inputs`` against central finite differences.

    Every floating input becomes a float64 leaf ``Variable``; ``f`` may return any shape.
    The check projects the output on a fixed random direction ``s`` and compares, for every
    element of every input, the analytic d(s . f)/dx (one ``backward``) with
    ``(s . f(x + eps) - s . f(x - eps)) / (2 eps)``. Returns ``True``, or raises
    ``AssertionError`` naming the input and its worst element.
    """
    leaves = [_as_input(value) for value in inputs]
    output = f(*leaves)
    if not isinstance(output, Variable):
        raise TypeError("gradcheck: f must return a Variable that depends on the inputs, got "
                        f"{type(output).__name__}")
    seed = np.random.default_rng(0).standard_normal(output.shape)
    output.backward(seed.astype(output.dtype))
    for position, leaf in enumerate(leaves):
        if not isinstance(leaf, Variable):
            continue
        analytic = leaf.grad().numpy().astype(np.float64)
        numeric = np.zeros_like(analytic)
        values = storage(leaf)
        for index in np.ndindex(*values.shape):
            original = values[index]
            values[index] = original + eps
            above = _projected(f, leaves, seed)
            values[index] = original - eps
            below = _projected(f, leaves, seed)
            values[index] = original
            numeric[index] = (above - below) / (2 * eps)
        error = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
        if error.size and (np.max(error) > 0 or not np.all(np.isfinite(analytic))):
            worst = np.unravel_index(int(np.argmax(np.where(np.isfinite(error), error,
                                                            np.inf))), error.shape)
            raise AssertionError(
                f"gradcheck: input {position} (shape {values.shape}), element "
                f"{tuple(int(i) for i in worst)}: analytic gradient {analytic[worst]!r} but "
                f"finite differences give {numeric[worst]!r} (atol={atol}, rtol={rtol})")
    return True
