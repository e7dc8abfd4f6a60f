"""A stand-in for CuPy on machines without a GPU: a device array type that NumPy refuses.

``FakeArray`` wraps a NumPy array but behaves like a CuPy array toward NumPy: converting it
implicitly (``np.asarray``, a NumPy function or ufunc) raises ``TypeError``. The module
offers CuPy's interface (the NumPy-like functions, ``cuda.Device``, ``random``,
``asnumpy``), each unwrapping its arguments, calling NumPy and wrapping the result. Registered
as the device kind ``"fake"`` (``device="fake:0"``), it lets the test suite run every operation,
layer and optimizer through mushin's device path and so prove that the library never hands
a device array to NumPy.
"""

from __future__ import annotations

import contextlib
import importlib
import sys
import types
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np


class _Device:
    def __init__(self, index: int = 0) -> None:
        self.id = index

    def __enter__(self) -> _Device:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _unwrap(value: Any) -> Any:
    if isinstance(value, FakeArray):
        return value._array
    if isinstance(value, np.ndarray):
        raise TypeError("a NumPy array was passed where a device array is needed: move it "
                        "with cupy.asarray first")
    if isinstance(value, tuple):
        return tuple(_unwrap(item) for item in value)
    if isinstance(value, list):
        return [_unwrap(item) for item in value]
    return value


def _wrap(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return FakeArray(value)
    if isinstance(value, np.generic):
        return FakeArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(item) for item in value)
    if isinstance(value, list):
        return [_wrap(item) for item in value]
    return value


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise TypeError("implicit conversion of a device array to a NumPy array is not allowed")


host_reads = 0
"""How many times device data was read back by the host (``get``, ``item``, ``bool``,
``int``, ``float``, ``index``): on a GPU each is a synchronising copy, which a training step
should not make behind the user's back (tests/test_devices.py counts them)."""


def _read_back() -> None:
    global host_reads
    host_reads += 1


class FakeArray:
    """A device array: NumPy values inside, refused by NumPy outside."""

    __slots__ = ("_array",)
    __array_priority__ = 100

    def __init__(self, array: np.ndarray) -> None:
        self._array = array

    __array__ = _refuse
    __array_ufunc__ = None  # NumPy ufuncs (np.sin(x), ndarray + x) raise TypeError
    __array_function__ = _refuse

    @property
    def device(self) -> _Device:
        return _Device(0)

    @property
    def shape(self) -> tuple[int, ...]:
        return self._array.shape

    @property
    def dtype(self) -> np.dtype[Any]:
        return self._array.dtype

    @property
    def ndim(self) -> int:
        return self._array.ndim

    @property
    def size(self) -> int:
        return self._array.size

    @property
    def T(self) -> FakeArray:
        return FakeArray(self._array.T)

    @property
    def mT(self) -> FakeArray:
        return FakeArray(self._array.mT)

    @property
    def flags(self) -> Any:
        return self._array.flags

    @property
    def strides(self) -> tuple[int, ...]:
        return self._array.strides

    def get(self) -> np.ndarray:
        """A host copy (CuPy's ``ndarray.get``)."""
        _read_back()
        return self._array.copy()

    def item(self) -> Any:
        _read_back()
        return self._array.item()

    def __len__(self) -> int:
        return len(self._array)

    def __iter__(self) -> Iterator[Any]:
        return (_wrap(item) for item in self._array)

    def __bool__(self) -> bool:
        _read_back()
        return bool(self._array)

    def __float__(self) -> float:
        _read_back()
        return float(self._array)

    def __int__(self) -> int:
        _read_back()
        return int(self._array)

    def __index__(self) -> int:
        _read_back()
        return self._array.__index__()

    def __repr__(self) -> str:
        return f"FakeArray({self._array!r})"

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._array[_unwrap(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._array[_unwrap(key)] = _unwrap(value)

    def __getattr__(self, name: str) -> Any:
        """Array methods (``astype``, ``reshape``, ``sum``...) run on the values inside. No
        dunder name is forwarded: NumPy would read ``__array_interface__`` and convert the
        array, which CuPy refuses; nor ``__array_namespace__``, which CuPy 14 lacks."""
        if name.startswith("__"):
            raise AttributeError(name)
        method = getattr(self._array, name)
        if not callable(method):
            return _wrap(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            return _wrap(method(*_unwrap(args), **{k: _unwrap(v) for k, v in kwargs.items()}))

        return call


def _operator(name: str, in_place: bool = False) -> Callable[..., Any]:
    def run(self: FakeArray, *args: Any) -> Any:
        result = getattr(self._array, name)(*_unwrap(args))
        if result is NotImplemented:
            return result
        if in_place:
            return self
        return _wrap(result)

    run.__name__ = name
    return run


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or",
              "xor", "lshift", "rshift"):
    for _prefix in ("__", "__r", "__i"):
        setattr(FakeArray, f"{_prefix}{_name}__",
                _operator(f"{_prefix}{_name}__", in_place=_prefix == "__i"))
for _name in ("neg", "pos", "abs", "invert", "lt", "le", "gt", "ge", "eq", "ne"):
    setattr(FakeArray, f"__{_name}__", _operator(f"__{_name}__"))
FakeArray.__hash__ = None  # type: ignore[assignment]


class _Function:
    """A NumPy function or ufunc that takes and returns device arrays."""

    def __init__(self, function: Any) -> None:
        self._function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        kwargs = {key: _unwrap(value) for key, value in kwargs.items()}
        return _wrap(self._function(*_unwrap(args), **kwargs))

    def __getattr__(self, name: str) -> Any:
        """Ufunc methods such as ``np.add.at``."""
        return _Function(getattr(self._function, name))


def asarray(values: Any, dtype: Any = None) -> FakeArray:
    """A device copy of host values (or the device array itself)."""
    if isinstance(values, FakeArray):
        return values if dtype is None else FakeArray(values._array.astype(dtype, copy=False))
    return FakeArray(np.array(values, dtype=dtype))


def array(values: Any, dtype: Any = None, copy: bool = True) -> FakeArray:
    inner = values._array if isinstance(values, FakeArray) else values
    return FakeArray(np.array(inner, dtype=dtype, copy=copy))


def asnumpy(values: Any) -> np.ndarray:
    return values.get() if isinstance(values, FakeArray) else np.asarray(values)


class _Generator:
    def __init__(self, seed: int | None) -> None:
        self._generator = np.random.default_rng(seed)

    def __getattr__(self, name: str) -> Any:
        return _Function(getattr(self._generator, name))


class _Namespace:
    """A NumPy or SciPy submodule whose functions take and return device arrays."""

    def __init__(self, module: Any) -> None:
        self._module = module

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._module, name)
        return _Function(value) if callable(value) and not isinstance(value, type) else value


random = types.SimpleNamespace(default_rng=_Generator)
linalg = _Namespace(np.linalg)
# What cupyx.scipy offers on a real GPU, found by mushin._backend.scipy_of.
scipy_special = _Namespace(importlib.import_module("scipy.special"))
scipy_linalg = _Namespace(importlib.import_module("scipy.linalg"))
# CuPy's cupy.lib.stride_tricks (a strided view of a device array is a device array).
lib = types.SimpleNamespace(stride_tricks=types.SimpleNamespace(
    as_strided=_Function(np.lib.stride_tricks.as_strided)))
cuda = types.SimpleNamespace(
    Device=_Device,
    runtime=types.SimpleNamespace(getDeviceCount=lambda: 1),
    Stream=types.SimpleNamespace(null=types.SimpleNamespace(synchronize=lambda: None)),
)
ndarray = FakeArray
newaxis = None


def __getattr__(name: str) -> Any:
    """Every other NumPy name: dtypes and constants as they are, functions device-wrapped."""
    value = getattr(np, name)
    if isinstance(value, type) or not callable(value):
        return value
    return _Function(value)


@contextlib.contextmanager
def registered() -> Iterator[str]:
    """Register this module as mushin's ``fake`` device kind; yields the device name."""
    from mushin import _backend

    _backend.register_device_kind("fake", sys.modules[__name__], FakeArray)
    yield "fake:0"
