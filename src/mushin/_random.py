"""The random state of mushin: ``mu.seed`` and one generator per device.

Every random draw (``randn``, ``randu``, the initialisers, dropout, shuffling) takes its
device's generator from :func:`generator`, so one ``seed`` makes them all reproducible.
"""

from __future__ import annotations

import threading
from typing import Any, SupportsInt

import numpy as np

from mushin._backend import Backend
from mushin._check import is_int, operation_name

_random_lock = threading.Lock()
_seed: int | None = None
_generators: dict[str, Any] = {}
_SEED_MIN, _SEED_MAX = -(2**63), 2**64 - 1
"""The seeds ``torch.manual_seed`` takes (a negative one is read as an unsigned 64-bit int)."""


def seed(n: int) -> None:
    """Make every later random draw (``randn``, ``randu``, initialisers, dropout, shuffling)
    reproducible, on every device."""
    global _seed
    if not is_int(n):
        raise TypeError(f"{operation_name('seed')}: the seed must be an int, got {n!r}")
    if n < 0:
        raise ValueError(f"{operation_name('seed')}: the seed must not be negative, got {n}")
    with _random_lock:
        _seed = int(n)
        _generators.clear()


def manual_seed(n: SupportsInt) -> None:
    """PyTorch's name for :func:`seed` (every device's generator), taking what
    ``torch.manual_seed`` takes: anything ``int()`` converts, from -2**63 to 2**64 - 1 (a
    negative seed counts modulo 2**64); unlike PyTorch it returns nothing."""
    try:
        value = int(n)
    except (TypeError, ValueError, OverflowError) as error:  # a float NaN or infinity, ...
        kind = TypeError if isinstance(error, TypeError) else ValueError
        raise kind(f"manual_seed: the seed must be an int or convert to one, got "
                   f"{type(n).__name__} ({error})") from None
    if not _SEED_MIN <= value <= _SEED_MAX:
        raise ValueError(f"manual_seed: the seed must be from -2**63 to 2**64 - 1, got {value}")
    seed(value % 2**64)


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
