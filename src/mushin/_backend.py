"""Array backends: which array module serves a device, and dtype/device parsing.

The CPU is NumPy. ``cuda`` / ``cuda:N`` is CuPy, imported only when a CUDA device is asked
for, so ``import mushin`` never needs it. Everything else in mushin reaches the array module
through :func:`namespace_of` (the module that owns an array) or :func:`backend` (the module
for a device name), never by importing NumPy functions for device arrays.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

from mushin._check import public_caller

Array = Any
"""A backend array (``numpy.ndarray``, ``cupy.ndarray``...). Typed ``Any``: each backend
has its own class and they share no useful static interface."""

_FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
DEFAULT_DTYPE = np.dtype(np.float32)
REAL_KINDS = "biuf"
"""The dtype kinds a tensor may have: bool, integers and floats (complex numbers, strings and
Python objects are refused where they would enter: docs/api.md, Dtypes)."""


def parse_dtype(dtype: Any) -> np.dtype[Any]:
    """A NumPy dtype from a dtype, a type or a name: ``ValueError`` for what names none,
    ``TypeError`` for one that is not a real number or bool dtype (``complex64``, ``str``)."""
    if isinstance(dtype, np.dtype):
        parsed: np.dtype[Any] = dtype  # pyright: ignore[reportUnknownVariableType]
    else:
        try:
            parsed = np.dtype(dtype)
        except (TypeError, ValueError, OverflowError) as error:
            raise ValueError(f"{public_caller()}: unknown dtype {dtype!r}: expected a NumPy "
                             "dtype or its name, such as 'float32' or 'float64'") from error
    check_real_dtype(parsed)
    return parsed


def check_real_dtype(dtype: np.dtype[Any]) -> None:
    """``TypeError`` naming the operation unless ``dtype`` is a bool, integer or float one."""
    if dtype.kind not in REAL_KINDS:
        raise TypeError(f"{public_caller()}: unsupported dtype {dtype}: mushin's tensors hold "
                        "bools, integers or floats (complex numbers, strings and objects "
                        "are not supported)")


def float_dtype(dtype: Any) -> np.dtype[Any]:
    """A floating dtype for a ``Variable``; integer or bool dtypes are refused."""
    parsed = parse_dtype(dtype)
    if parsed not in _FLOAT_DTYPES:
        raise ValueError(f"{public_caller()}: a Variable needs a floating dtype (float16, "
                         f"float32 or float64), got {parsed}")
    return parsed


class Backend:
    """An array module bound to one device: ``xp`` is NumPy or CuPy."""

    __slots__ = ("device", "device_id", "xp")

    def __init__(self, device: str, xp: ModuleType, device_id: int | None) -> None:
        self.device = device
        self.xp = xp
        self.device_id = device_id

    def asarray(self, values: Any, dtype: np.dtype[Any] | None = None) -> Array:
        """``values`` as an array on this device (copies across devices); what the array
        module cannot convert (a ragged list, a string as a number) raises naming the
        function called."""
        try:
            if self.device_id is None:
                if type(values) in _array_kinds:
                    values = values.get()
                return np.asarray(values, dtype=dtype)
            with self.xp.cuda.Device(self.device_id):
                return self.xp.asarray(values, dtype=dtype)
        except (TypeError, ValueError, OverflowError) as error:
            kind = TypeError if isinstance(error, TypeError) else ValueError
            raise kind(f"{public_caller()}: cannot make an array of {type(values).__name__}: "
                       f"{error}") from None

    def __repr__(self) -> str:
        return f"Backend({self.device!r})"


CPU = Backend("cpu", np, None)
_backends: dict[str, Backend] = {"cpu": CPU, "cpu:0": CPU}
_lock = threading.Lock()


def _import_cupy() -> ModuleType:
    try:
        module = importlib.import_module("cupy")
    except ImportError as error:
        raise RuntimeError("CUDA was asked for but CuPy is not installed: install the GPU "
                           "extra, `pip install mushin[gpu]`") from error
    _array_kinds[module.ndarray] = "cuda"
    _array_modules[module.ndarray] = module
    return module


_device_kinds: dict[str, Callable[[], ModuleType]] = {"cuda": _import_cupy}
"""Device kinds other than the CPU: name -> loader of a CuPy-like array module."""
_array_kinds: dict[type, str] = {}
"""Array type -> the device kind that owns it (filled as the kinds are loaded)."""
_array_modules: dict[type, ModuleType] = {}
"""Array type -> its array module: the same for every device of a kind."""


def register_device_kind(name: str, module: ModuleType, array_type: type) -> None:
    """Make ``name:N`` devices served by ``module``, a CuPy-like array module.

    This is how the test suite runs every operation on a stand-in device backend on machines
    without a GPU; ``module`` must offer CuPy's interface (``cuda.Device``,
    ``cuda.runtime.getDeviceCount``, ``asarray``, ``random.default_rng``...).
    """
    with _lock:
        _device_kinds[name] = lambda: module
        _array_kinds[array_type] = name
        _array_modules[array_type] = module


class device(str):
    """PyTorch's ``torch.device``: a device name, ``mu.device("cpu")``, ``mu.device("cuda",
    1)`` or ``mu.device("cuda:1")``. It is a ``str`` (``"cuda:1"``), so it goes wherever a
    device name does (``model.to(device)``, ``x.to(device)``, ``device=``); ``type`` and
    ``index`` are its parts. Creating one checks only the spelling, not that the device
    exists (as PyTorch)."""

    def __new__(cls, type: str, index: int | None = None) -> device:
        if isinstance(type, device) and index is None:
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a name such as 'cpu' or 'cuda:0', got "
                            f"{type!r}")
        name, colon, number = type.partition(":")
        if name not in ("cpu", "cuda") or (colon and not number.isdigit()):
            raise ValueError(f"device: expected 'cpu', 'cuda' or 'cuda:N', got {type!r}")
        if index is not None:
            if colon:
                raise ValueError(f"device: {type!r} already has an index; got index={index}")
            if isinstance(index, bool) or not isinstance(index, int) or index < 0:
                raise ValueError(f"device: index must be a non-negative int, got {index!r}")
            if name == "cpu" and index != 0:
                raise ValueError(f"device: the CPU has only index 0, got {index}")
            number = str(index)
        text = f"{name}:{number}" if number else name
        return super().__new__(cls, text)

    @property
    def type(self) -> str:
        """``"cpu"`` or ``"cuda"``."""
        return str(self).partition(":")[0]

    # PyTorch's attribute; it hides str.index (a device is never searched as text).
    @property
    def index(self) -> int | None:  # type: ignore[override]  # pyright: ignore[reportIncompatibleMethodOverride]
        """The device's number, or ``None`` when the name has none."""
        number = str(self).partition(":")[2]
        return int(number) if number else None

    def __repr__(self) -> str:
        index = self.index
        return (f"device(type={self.type!r})" if index is None
                else f"device(type={self.type!r}, index={index})")


def is_device_name(value: str) -> bool:
    """Whether ``value`` spells a device (``"cpu"``, ``"cuda"``, ``"cuda:1"``...), present or
    not: the test ``x.to("float64")`` makes, without an exception."""
    if value in _backends:
        return True
    name, _, index = value.partition(":")
    return name in _device_kinds and (not index or index.isdigit())


def backend(device: str | Backend | None) -> Backend:
    """The backend for ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; ``ValueError`` otherwise."""
    if device is None:
        return CPU
    if isinstance(device, Backend):
        return device
    if not isinstance(device, str):
        raise TypeError(f"{public_caller()}: device must be a string such as 'cpu' or "
                        f"'cuda:0', got {device!r}")
    found = _backends.get(device)
    if found is not None:
        return found
    name, _, index = device.partition(":")
    loader = _device_kinds.get(name)
    if loader is None or (index and not index.isdigit()):
        raise ValueError(f"{public_caller()}: unknown device {device!r}: expected 'cpu', "
                         "'cuda' or 'cuda:N'")
    device_id = int(index) if index else 0
    with _lock:
        module = loader()
        count = module.cuda.runtime.getDeviceCount()
        if device_id >= count:
            raise RuntimeError(f"{public_caller()}: device {device!r} does not exist: "
                               f"{count} {name} device(s) found")
        found = Backend(f"{name}:{device_id}", module, device_id)
        _backends[device] = found
        _backends[found.device] = found
    return found


def backend_of(array: Array) -> Backend:
    """The backend that owns ``array`` (NumPy arrays and scalars are on the CPU)."""
    if isinstance(array, np.ndarray | np.generic):
        return CPU
    kind = _array_kinds.get(type(array))  # pyright: ignore[reportUnknownArgumentType]
    if kind is None:
        raise TypeError(f"{public_caller()}: unsupported array type {type(array).__name__}: "
                        "expected a NumPy or CuPy array")
    return backend(f"{kind}:{array.device.id}")


def namespace_of(array: Array) -> ModuleType:
    """The array module of ``array``: NumPy on the CPU, else the array's own namespace."""
    if isinstance(array, np.ndarray | np.generic):
        return np
    module = _array_modules.get(type(array))  # pyright: ignore[reportUnknownArgumentType]
    return module if module is not None else backend_of(array).xp


def scipy_of(xp: ModuleType, name: str) -> Any:
    """SciPy's submodule ``name`` (``"special"``, ``"linalg"``) for the array module ``xp``:
    SciPy's own for NumPy, ``cupyx.scipy``'s for CuPy, or what a registered device kind offers
    as ``xp.scipy_<name>`` (the test suite's stand-in device). Imported on first use."""
    if xp is np:
        return importlib.import_module(f"scipy.{name}")
    if xp.__name__ == "cupy":
        return importlib.import_module(f"cupyx.scipy.{name}")
    found = getattr(xp, f"scipy_{name}", None)
    if found is None:
        raise NotImplementedError(f"scipy.{name} is not available for the array module "
                                  f"{xp.__name__}")
    return found


def devices() -> list[str]:
    """The devices available here: ``"cpu"`` and one ``"cuda:N"`` per visible GPU."""
    found = ["cpu"]
    try:
        count = importlib.import_module("cupy").cuda.runtime.getDeviceCount()
    except Exception:  # no CuPy, no driver or no device: the CPU only
        return found
    found.extend(f"cuda:{index}" for index in range(count))
    return found


def accumulator(array: Any) -> Any:
    """The dtype to sum ``array``'s elements in: float32 for float16, whose running sums overflow
    at 65504 (and stop growing by 1 at 2048) long before a mean, a softmax or a log-sum-exp
    does, as NumPy's ``mean`` does; None (the array's own dtype) otherwise."""
    return "float32" if getattr(array, "dtype", None) == "float16" else None

