"""The random state of mushin: ``mu.seed`` and one generator per device.

Every random draw (``randn``, ``randu``, the initialisers, dropout, shuffling) takes its
device's generator from :func:`generator`, so one ``seed`` makes them all reproducible.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from mushin._backend import Backend
from mushin._check import is_int

_random_lock = threading.Lock()
_seed: int | None = None
_generators: dict[str, Any] = {}


def seed(n: int) -> None:
    """Make every later random draw (``randn``, ``randu``, initialisers, dropout, shuffling)
    reproducible, on every device."""
    global _seed
    if not is_int(n):
        raise TypeError(f"seed must be an int, got {n!r}")
    if n < 0:
        raise ValueError(f"seed must not be negative, got {n}")
    with _random_lock:
        _seed = int(n)
        _generators.clear()


def manual_seed(n: int) -> None:
    """PyTorch's name for :func:`seed` (every device's generator); unlike PyTorch it returns
    nothing."""
    seed(n)


def generator(backend: Backend) -> Any:
    """The random generator of ``backend``'s device (NumPy's or CuPy's ``Generator``)."""
    found = _generators.get(backend.device)
    if found is None:
        with _random_lock:
            found = _generators.get(backend.device)
            if found is None:
                offset = 0 if backend.device_id is None else backend.device_id + 1
                entropy = None if _seed is None else _seed + offset
                if backend.device_id is None:
                    found = np.random.default_rng(entropy)
                else:
                    with backend.xp.cuda.Device(backend.device_id):
                        found = backend.xp.random.default_rng(entropy)
                _generators[backend.device] = found
    return found
