"""``mu.backends.cudnn``: PyTorch's cuDNN switches (``benchmark``, ``deterministic``,
``enabled``), kept so that ``mu.backends.cudnn.benchmark = True`` ports unchanged.

mushin does not call cuDNN: its convolutions have one algorithm each and give the same
result on every run, so none of these flags changes anything. ``is_available()`` is False.
"""

from __future__ import annotations

__all__ = ["benchmark", "deterministic", "enabled", "is_available"]

benchmark = False
"""Read and written by programs; mushin has no algorithm to choose, so it has no effect."""
deterministic = False
"""mushin's convolutions are always deterministic, whatever this says."""
enabled = True
"""Accepted for PyTorch's programs; mushin never uses cuDNN."""


def is_available() -> bool:
    """False: mushin does not use cuDNN."""
    return False
