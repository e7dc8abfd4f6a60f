"""Array backends: which array module serves a device, and dtype/device parsing.

The CPU is NumPy. ``cuda`` / ``cuda:N`` is CuPy, imported only when a CUDA device is asked
for, so ``import mushin`` never needs it. Everything else in mushin reaches the array module
through :func:`namespace_of` (the module that owns an array) or :func:`backend` (the module
for a device name), never by importing NumPy functions for device arrays.
"""

from __future__ import annotations

import threading
from types import ModuleType
from typing import Any

import numpy as np

Array = Any
"""A backend array (``numpy.ndarray``, ``cupy.ndarray``...). Typed ``Any``: each backend
has its own class and they share no useful static interface."""

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
DEFAULT_DTYPE = np.dtype(np.float32)


def parse_dtype(dtype: Any) -> np.dtype[Any]:
    """A NumPy dtype from a dtype, a type or a name; ``ValueError`` for anything else."""
    if isinstance(dtype, np.dtype):
        return dtype
    try:
        parsed: np.dtype[Any] = np.dtype(dtype)
    except TypeError as error:
        raise ValueError(f"unknown dtype {dtype!r}: expected a NumPy dtype or its name, "
                         "such as 'float32' or 'float64'") from error
    return parsed


def float_dtype(dtype: Any) -> np.dtype[Any]:
    """A floating dtype for a ``Variable``; integer or bool dtypes are refused."""
    parsed = parse_dtype(dtype)
    if parsed not in _FLOAT_DTYPES:
        raise ValueError(f"a Variable needs a floating dtype (float16, float32 or float64), "
                         f"got {parsed}")
    return parsed


class Backend:
    """An array module bound to one device: ``xp`` is NumPy or CuPy."""

    __slots__ = ("device", "device_id", "xp")

    def __init__(self, device: str, xp: ModuleType, device_id: int | None) -> None:
        self.device = device
        self.xp = xp
        self.device_id = device_id

    def asarray(self, values: Any, dtype: np.dtype[Any] | None = None) -> Array:
        """``values`` as an array on this device (copies across devices)."""
        if self.device_id is None:
            if not isinstance(values, np.ndarray) and hasattr(values, "__cuda_array_interface__"):
                values = values.get()
            return np.asarray(values, dtype=dtype)
        with self.xp.cuda.Device(self.device_id):
            return self.xp.asarray(values, dtype=dtype)

    def __repr__(self) -> str:
        return f"Backend({self.device!r})"


CPU = Backend("cpu", np, None)
_backends: dict[str, Backend] = {"cpu": CPU}
_lock = threading.Lock()


def _import_cupy() -> ModuleType:
    try:
        import cupy  # type: ignore[import-not-found,unused-ignore]
    except ImportError as error:
        raise RuntimeError("CUDA was asked for but CuPy is not installed: install the GPU "
                           "extra, `pip install mushin[gpu]`") from error
    module: ModuleType = cupy
    return module


def backend(device: str | Backend | None) -> Backend:
    """The backend for ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; ``ValueError`` otherwise."""
    if device is None:
        return CPU
    if isinstance(device, Backend):
        return device
    found = _backends.get(device)
    if found is not None:
        return found
    if not isinstance(device, str):
        raise TypeError(f"device must be a string such as 'cpu' or 'cuda:0', got {device!r}")
    name, _, index = device.partition(":")
    if name != "cuda" or (index and not index.isdigit()):
        raise ValueError(f"unknown device {device!r}: expected 'cpu', 'cuda' or 'cuda:N'")
    device_id = int(index) if index else 0
    with _lock:
        cupy = _import_cupy()
        count = cupy.cuda.runtime.getDeviceCount()
        if device_id >= count:
            raise RuntimeError(f"device {device!r} does not exist: {count} CUDA device(s) found")
        found = Backend(f"cuda:{device_id}", cupy, device_id)
        _backends[device] = found
        _backends[found.device] = found
    return found


def backend_of(array: Array) -> Backend:
    """The backend that owns ``array`` (NumPy arrays and scalars are on the CPU)."""
    if isinstance(array, np.ndarray | np.generic):
        return CPU
    device = getattr(array, "device", None)
    device_id = getattr(device, "id", None)
    if isinstance(device_id, int):
        return backend(f"cuda:{device_id}")
    raise TypeError(f"unsupported array type {type(array).__name__}")


def namespace_of(array: Array) -> ModuleType:
    """The array module of ``array``: NumPy on the CPU, else the array's own namespace."""
    if isinstance(array, np.ndarray | np.generic):
        return np
    return backend_of(array).xp


def devices() -> list[str]:
    """The devices available here: ``"cpu"`` and one ``"cuda:N"`` per visible GPU."""
    found = ["cpu"]
    try:
        import cupy  # type: ignore[import-not-found,unused-ignore]

        count = cupy.cuda.runtime.getDeviceCount()
    except Exception:  # no CuPy, no driver or no device: the CPU only
        return found
    found.extend(f"cuda:{index}" for index in range(count))
    return found
