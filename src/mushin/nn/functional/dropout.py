"""``dropout``: inverted dropout, a random mask applied with one multiplication.

The mask is drawn from mushin's generator (reproducible after ``mu.seed``) and holds 0 or
``1 / (1 - p)``, so the product is the whole operation and its gradient (``mul``'s).
"""

from __future__ import annotations

from typing import Any

from mushin import _backend
from mushin import _typing as typed
from mushin._check import probability
from mushin._random import generator
from mushin._tensor import unwrap
from mushin.ops.elementwise import mul


@typed.activation_function
def dropout(x: Any, p: float = 0.5, training: bool = True) -> Any:
    """Inverted dropout: each element zeroed with probability ``p`` and the rest scaled by
    ``1 / (1 - p)`` while ``training``; ``x`` itself otherwise."""
    p = probability("dropout", "p", p)
    if not training or p == 0:
        return x
    data = unwrap(x)
    backend = _backend.backend_of(data)
    if p == 1:
        return mul(x, backend.xp.zeros(data.shape, dtype=data.dtype))
    # the generators draw float32 or float64 only: a narrower dtype's draws are float32
    draw_dtype = data.dtype if data.dtype.itemsize >= 4 else "float32"
    draws = generator(backend).random(data.shape, dtype=draw_dtype)
    mask = (draws >= p).astype(data.dtype)
    mask *= 1.0 / (1.0 - p)
    return mul(x, mask)
