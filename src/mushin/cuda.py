"""``mu.cuda``: PyTorch's ``torch.cuda`` queries a program makes before choosing a device.

``is_available()`` and ``device_count()`` ask CuPy (imported on this first call, never at
``import mushin``) how many NVIDIA GPUs it sees; without CuPy, a driver or a device they say
False and 0. ``manual_seed`` seeds every device's generator, as ``mu.seed`` does (mushin
keeps one seed for all devices).
"""

from __future__ import annotations

from mushin._backend import devices
from mushin._random import seed

__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all"]


def device_count() -> int:
    """How many CUDA devices mushin can use (0 without CuPy or a GPU)."""
    return sum(1 for name in devices() if name.startswith("cuda:"))


def is_available() -> bool:
    """Whether at least one CUDA device can be used (CuPy installed and a GPU visible)."""
    return device_count() > 0


def manual_seed(n: int) -> None:
    """Seed the random draws of every device (the same as ``mu.seed(n)``)."""
    seed(n)


def manual_seed_all(n: int) -> None:
    """Seed the random draws of every device (the same as ``mu.seed(n)``)."""
    seed(n)
