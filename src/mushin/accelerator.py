"""``mu.accelerator``: PyTorch's device-agnostic ``torch.accelerator`` queries.

mushin's only accelerator kind is CUDA (through CuPy), so ``is_available()`` is
``mu.cuda.is_available()`` and ``current_accelerator()`` is ``mu.device("cuda")`` when one is
available and ``None`` otherwise, which lets the idiom of recent PyTorch programs port by the
rename: ``device = mu.accelerator.current_accelerator() if mu.accelerator.is_available() else
mu.device("cpu")``.
"""

from __future__ import annotations

from mushin import cuda
from mushin._backend import device

__all__ = ["current_accelerator", "device_count", "is_available"]


def is_available() -> bool:
    """Whether an accelerator (a CUDA GPU usable through CuPy) is available."""
    return cuda.is_available()


def device_count() -> int:
    """How many accelerator devices there are (0 on a machine without one)."""
    return cuda.device_count()


def current_accelerator(check_available: bool = False) -> device | None:
    """``mu.device("cuda")`` when a GPU can be used, ``None`` otherwise (PyTorch also returns
    ``None`` without an accelerator; ``check_available`` is accepted for its signature)."""
    if not isinstance(check_available, bool):
        raise TypeError(f"current_accelerator: check_available must be a bool, got "
                        f"{check_available!r}")
    return device("cuda") if is_available() else None
