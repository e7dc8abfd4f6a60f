"""The argument helpers shared by the indexing families (``gather_scatter`` and ``index``): an
operand as a tensor or a host array, an index as an int64 backend array on the tensor's device
and checked against an axis (an index out of range is an ``IndexError`` naming the operation,
as PyTorch raises one), values made of the tensor's dtype, numbers as 0-d arrays.

The names the families import are public (this module is the private part): ``operand``,
``is_tensor``, ``dtype_of``, ``device_array``, ``index_array``, ``in_range``, ``same_dtype``,
``scalar``, and ``INT64``, the dtype of every index.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._check import host_array, integer, is_int, is_number, operation_name
from mushin._tensor import Tensor, new_constant, unwrap

INT64 = np.dtype(np.int64)


def is_tensor(value: Any) -> bool:
    """Whether ``value`` is a mushin tensor (a predicate that leaves ``value`` untyped)."""
    return isinstance(value, Tensor)


def operand(name: str, value: Any, what: str = "input") -> Any:
    """``value`` as an operand: a tensor or backend array as it is, numbers and nested lists
    as a host array."""
    if is_tensor(value) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        return value
    if is_number(value) or isinstance(value, bool | list | tuple):
        return host_array(name, value, what)
    raise TypeError(f"{operation_name(name)}: {what} must be a tensor, an array or a number, got "
                    f"{type(value).__name__}")


def dtype_of(value: Any) -> np.dtype[Any]:
    dtype: np.dtype[Any] = np.dtype(unwrap(value).dtype)
    return dtype


def device_array(name: str, what: str, value: Any, reference: Any) -> Array:
    """A backend array of ``value`` on the device of ``reference`` (host values are copied
    there; a device array elsewhere is refused)."""
    target = _backend.backend_of(unwrap(reference)) if hasattr(
        unwrap(reference), "dtype") else _backend.CPU
    data = unwrap(value)
    if not hasattr(data, "dtype"):
        return target.asarray(data)
    source = _backend.backend_of(data)
    if source is target:
        return data
    if source is not _backend.CPU:
        raise RuntimeError(f"{operation_name(name)}: {what} is on {source.device} but the tensor "
                           f"is on {target.device}; move it with .to(device)")
    return target.asarray(data)


def index_array(name: str, what: str, index: Any, reference: Any,
                allow_bool: bool = False) -> Array:
    """``index`` as an int64 backend array on ``reference``'s device; ``TypeError`` unless
    it holds integers (or, with ``allow_bool``, bools)."""
    value: Any = unwrap(index)
    if is_int(value):
        value = np.asarray(integer(name, what, value), dtype=INT64)
    elif isinstance(value, list | tuple):
        value = host_array(name, value, what)
        if not value.size:
            value = value.astype(INT64)
    elif not (hasattr(value, "dtype") and hasattr(value, "shape")):
        raise TypeError(f"{operation_name(name)}: {what} must be an integer tensor, got "
                        f"{type(value).__name__}")
    kind = np.dtype(value.dtype).kind
    if kind not in "iu" and not (allow_bool and kind == "b"):
        raise TypeError(f"{operation_name(name)}: {what} must be an integer tensor (int64), got "
                        f"dtype {value.dtype}")
    array = device_array(name, what, value, reference)
    return array if kind == "b" or array.dtype == INT64 else array.astype(INT64)


def in_range(name: str, what: str, index: Array, size: int, negative: bool = False) -> Array:
    """``index`` checked against an axis of ``size`` (``IndexError`` naming ``name``); with
    ``negative``, -size..-1 count from the end and are returned as positions."""
    if not index.size:
        return index
    low, high = int(index.min()), int(index.max())
    floor = -size if negative else 0
    if low < floor or high >= size:
        bad = low if low < floor else high
        raise IndexError(f"{operation_name(name)}: {what} {bad} is out of range for an axis of "
                         f"size {size}")
    return index % size if low < 0 else index


def same_dtype(name: str, what: str, value: Any, x: Any) -> Any:
    """``value`` (a tensor of ``x``'s dtype, or host data/numbers made so) as an operand."""
    if is_tensor(value) or (hasattr(value, "dtype") and not isinstance(
            value, np.ndarray | np.generic)):
        if dtype_of(value) != dtype_of(x):
            raise TypeError(f"{operation_name(name)}: {what} has dtype {dtype_of(value)} but the "
                            f"input has dtype {dtype_of(x)}; they must be the same")
        return value
    host = np.asarray(operand(name, value, what))
    return new_constant(device_array(name, what, host.astype(dtype_of(x)), x))


def scalar(name: str, what: str, value: Any, x: Any) -> Array:
    """A number as a 0-d array of ``x``'s dtype on ``x``'s device (PyTorch casts it)."""
    if not (is_number(value) or isinstance(value, bool)):
        raise TypeError(f"{operation_name(name)}: {what} must be a number or a 0-d tensor, got "
                        f"{type(value).__name__}")
    try:
        host = np.asarray(value).astype(dtype_of(x))
    except OverflowError:  # a Python int beyond the dtype (PyTorch: "without overflow")
        raise ValueError(f"{operation_name(name)}: {what} {value} cannot be converted to "
                         f"{dtype_of(x)} without overflow") from None
    return device_array(name, what, host, x)
