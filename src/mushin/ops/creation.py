"""The tensor methods that make or convert tensors, PyTorch's: dtype conversions (``x.float()``,
``x.long()``, ``x.to(dtype)``, ``x.type(dtype)``, ``x.type_as(y)``), ``x.to(device, dtype)``,
``x.cpu()``, ``x.cuda()``,
``x.new_zeros``/``new_ones``/``new_empty``/``new_full``/``new_empty_strided``/``new_tensor``,
``multinomial`` (``mu.multinomial`` and the method) and ``x.bernoulli``. The factories
themselves are ``mushin._creation``.

A conversion to a floating dtype keeps the kind (a ``Variable``'s gradient flows back,
converted to its dtype); a conversion of a ``Variable`` to an integer or bool dtype gives a
``Constant``: integers are not tracked. Each method's static type is declared by hand in
``Tensor`` (``mushin._tensor``).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from mushin import _backend, _creation
from mushin._check import is_int, operation_name
from mushin._random import generator
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, Variable, apply, new_constant, unwrap
from mushin.ops import rearrange
from mushin.ops.elementwise import ASTYPE


def _tensor_argument(name: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{operation_name(name)}: expected a tensor, got {type(x).__name__}")
    return x  # pyright: ignore[reportUnknownVariableType] (isinstance on Any)


def convert(name: str, x: Any, dtype: Any, copy: bool = False) -> Any:
    """``x`` with its elements converted to ``dtype``: ``x`` itself when it already has it
    (a copy with ``copy=True``); a ``Variable`` stays one for a floating dtype and becomes a
    ``Constant`` for an integer or bool one."""
    tensor = _tensor_argument(name, x)
    kind = _creation.parse_dtype(name, dtype)
    source = tensor.dtype
    if kind == source and not copy:
        return tensor
    if tensor.__class__ is Variable and _creation.trackable(kind):
        return apply(ASTYPE, tensor, dtype=kind)
    data = unwrap(tensor)
    with np.errstate(invalid="ignore", over="ignore"):
        if source.kind == "f" and kind.kind in "iu" and kind.itemsize < 8:
            # Through int64, so out-of-range values wrap as PyTorch's do (uint8(-1) is 255)
            # instead of taking the C cast's undefined value.
            data = unwrap(apply(ASTYPE, data, dtype=np.dtype(np.int64)))
        return apply(ASTYPE, data, dtype=kind)


@method("float", typing=None)
def to_float(x: Any, memory_format: Any = None) -> Any:
    """``x`` as float32 (``x`` itself if it is float32)."""
    return convert("float", x, np.float32)


@method("double", typing=None)
def to_double(x: Any, memory_format: Any = None) -> Any:
    """``x`` as float64 (``x`` itself if it is float64)."""
    return convert("double", x, np.float64)


@method("half", typing=None)
def to_half(x: Any, memory_format: Any = None) -> Any:
    """``x`` as float16 (``x`` itself if it is float16)."""
    return convert("half", x, np.float16)


@method("long", typing=None)
def to_long(x: Any, memory_format: Any = None) -> Any:
    """``x`` as int64, a ``Constant`` (floats are truncated toward zero)."""
    return convert("long", x, np.int64)


@method("int", typing=None)
def to_int(x: Any, memory_format: Any = None) -> Any:
    """``x`` as int32, a ``Constant`` (floats are truncated toward zero)."""
    return convert("int", x, np.int32)


@method("short", typing=None)
def to_short(x: Any, memory_format: Any = None) -> Any:
    """``x`` as int16, a ``Constant`` (floats are truncated toward zero)."""
    return convert("short", x, np.int16)


@method("char", typing=None)
def to_char(x: Any, memory_format: Any = None) -> Any:
    """``x`` as int8, a ``Constant`` (PyTorch's ``char``; floats are truncated toward zero)."""
    return convert("char", x, np.int8)


@method("byte", typing=None)
def to_byte(x: Any, memory_format: Any = None) -> Any:
    """``x`` as uint8, a ``Constant`` (PyTorch's ``byte``)."""
    return convert("byte", x, np.uint8)


@method("bool", typing=None)
def to_bool(x: Any, memory_format: Any = None) -> Any:
    """``x`` as bool, a ``Constant``: True where an element is not zero."""
    return convert("bool", x, np.bool_)


def to(x: Any, *args: Any, dtype: Any = None, device: Any = None, non_blocking: bool = False,
       copy: bool = False, memory_format: Any = None) -> Any:
    """``x`` on another device and/or with another dtype, as PyTorch's ``x.to``:
    ``x.to(device)``, ``x.to(dtype)``, ``x.to(device, dtype)``, ``x.to(other)`` (``other``'s
    device and dtype), keywords too. ``x`` itself when nothing changes (a copy with
    ``copy=True``). A ``Variable`` copy stays in the graph; converted to an integer or bool
    dtype it is a ``Constant``."""
    tensor = _tensor_argument("to", x)
    rest = list(args)
    if rest and not isinstance(rest[0], bool):
        first = rest.pop(0)
        if isinstance(first, Tensor):
            if dtype is not None or device is not None:
                raise TypeError("to: give either another tensor or dtype=/device=, not both")
            device, dtype = first.device, first.dtype
        elif first is None or (isinstance(first, str) and _backend.is_device_name(first)):
            if device is not None:
                raise TypeError("to: the device is given twice")
            device = first
            if rest and not isinstance(rest[0], bool):
                if dtype is not None:
                    raise TypeError("to: the dtype is given twice")
                dtype = rest.pop(0)
        else:
            if dtype is not None:
                raise TypeError("to: the dtype is given twice")
            dtype = first
    if len(rest) > 2 or not all(isinstance(flag, bool) for flag in rest):
        raise TypeError(f"to: unexpected arguments {tuple(args)!r}: expected to(device, dtype, "
                        "non_blocking=False, copy=False), to(dtype) or to(other)")
    if len(rest) == 2:
        copy = rest[1]
    if not isinstance(copy, bool):
        raise TypeError(f"to: copy must be True or False, got {copy!r}")
    result: Any = tensor
    if device is not None:
        result = rearrange.to_device(result, device)
    if dtype is not None:
        result = convert("to", result, dtype, copy=copy and result is tensor)
    elif copy and result is tensor:
        result = convert("to", result, tensor.dtype, copy=True)
    return result


# ``Tensor.to`` (typed by hand in ``Tensor``); ``rearrange.to_device`` is the device move it uses.
method("to", typing=None)(to)


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor"}
_TYPE_DTYPES = {name: dtype for dtype, name in _TYPE_NAMES.items()}


@method("type", typing=None)
def to_type(x: Any, dtype: Any = None, non_blocking: bool = False) -> Any:
    """Without a dtype, the type's name in PyTorch's style (``"mushin.FloatTensor"``,
    ``"mushin.cuda.FloatTensor"`` on a GPU); with one, ``x`` converted to it (a name such as
    ``"torch.LongTensor"`` also moves it to that name's device kind)."""
    tensor = _tensor_argument("type", x)
    if dtype is None:
        where = "" if tensor.device == "cpu" else f"{tensor.device.partition(':')[0]}."
        return f"mushin.{where}{_TYPE_NAMES.get(tensor.dtype.name, tensor.dtype.name)}"
    if isinstance(dtype, str) and dtype.endswith("Tensor"):
        parts = dtype.split(".")
        kind = _TYPE_DTYPES.get(parts[-1])
        if kind is None or parts[0] not in ("torch", "mushin") or len(parts) not in (2, 3):
            raise ValueError(f"type: unknown tensor type {dtype!r}: expected a name such as "
                             "'torch.FloatTensor' or 'torch.cuda.LongTensor'")
        device = parts[1] if len(parts) == 3 else "cpu"
        if device != tensor.device.partition(":")[0]:
            return to(tensor, device, kind)
        return convert("type", tensor, kind)
    return convert("type", tensor, dtype)


@method("type_as", typing=None)
def type_as(x: Any, other: Any) -> Any:
    """``x`` converted to ``other``'s dtype (and moved to its device)."""
    reference = _tensor_argument("type_as", other)
    return to(_tensor_argument("type_as", x), reference.device, reference.dtype)


@method("cpu", typing="same_type_method")
def cpu(x: Any, memory_format: Any = None) -> Any:
    """``x`` on the CPU (``x`` itself when it is there already), as PyTorch's ``x.cpu()``."""
    return to(_tensor_argument("cpu", x), "cpu")


@method("cuda", typing="same_type_method")
def cuda(x: Any, device: Any = None, non_blocking: bool = False,
         memory_format: Any = None) -> Any:
    """``x`` on a CUDA device: ``device`` (an index or a name; the first GPU by default), as
    PyTorch's ``x.cuda()``."""
    name = "cuda:0" if device is None else f"cuda:{device}" if is_int(device) else str(device)
    return to(_tensor_argument("cuda", x), name)


@method("new_zeros", typing=None)
def new_zeros(x: Any, *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Any:
    """A ``Constant`` of zeros of the sizes given (a tuple, or ints), with ``x``'s dtype and
    device unless given."""
    return _creation.new_filled("new_zeros", x, sizes, size, "zeros", dtype, device,
                                requires_grad)


@method("new_ones", typing=None)
def new_ones(x: Any, *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Any:
    """A ``Constant`` of ones of the sizes given, with ``x``'s dtype and device unless given."""
    return _creation.new_filled("new_ones", x, sizes, size, "ones", dtype, device,
                                requires_grad)


@method("new_empty", typing=None)
def new_empty(x: Any, *sizes: Any, size: Any = None, dtype: Any = None, device: Any = None,
              requires_grad: bool = False) -> Any:
    """An uninitialised ``Constant`` of the sizes given, with ``x``'s dtype and device unless
    given."""
    return _creation.new_filled("new_empty", x, sizes, size, "empty", dtype, device,
                                requires_grad)


@method("new_full", typing=None)
def new_full(x: Any, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False) -> Any:
    """A ``Constant`` of shape ``size`` filled with ``fill_value``, with ``x``'s dtype and
    device unless given."""
    if isinstance(fill_value, str):
        raise TypeError(f"new_full: fill_value must be a number, got {fill_value!r}")
    return _creation.new_filled("new_full", x, (), size, fill_value, dtype, device,
                                requires_grad)


@method("new_empty_strided", typing=None)
def new_empty_strided(x: Any, size: Any, stride: Any, *, dtype: Any = None, device: Any = None,
                      requires_grad: bool = False) -> Any:
    """An uninitialised ``Constant`` of shape ``size`` (``stride`` checked, not kept), with
    ``x``'s dtype and device unless given."""
    target = _creation.check_sizes("new_empty_strided", size, stride)
    return _creation.new_filled("new_empty_strided", x, (), target, "empty", dtype, device,
                                requires_grad)


@method("new_tensor", typing=None)
def new_tensor(x: Any, data: Any, *, dtype: Any = None, device: Any = None,
               requires_grad: bool = False) -> Any:
    """A new ``Constant`` (a copy) of ``data``, with ``x``'s dtype and device unless given."""
    return _creation.new_data(x, data, dtype, device, requires_grad)


@exported("index_function")
@method("multinomial", typing="index_method")
def multinomial(input: Any, num_samples: int, replacement: bool = False) -> Constant:
    """Category indices drawn from the (unnormalised) probabilities in each row of ``input``
    (a vector or a matrix): ``num_samples`` per row, with or without replacement, as an int64
    ``Constant`` of shape ``(num_samples,)`` or ``(rows, num_samples)``."""
    input = _tensor_argument("multinomial", input)
    if input.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must have 1 or 2 axes, got shape {input.shape}")
    count = _creation.count("multinomial", "num_samples", num_samples)
    if count == 0:
        raise ValueError("multinomial: num_samples must be positive, got 0")
    if not isinstance(replacement, bool):
        raise TypeError(f"multinomial: replacement must be True or False, got {replacement!r}")
    weights = unwrap(input)
    xp = _backend.namespace_of(weights)
    rows = weights.reshape(math.prod(weights.shape[:-1]), weights.shape[-1]).astype(np.float64)
    categories = rows.shape[1]
    host = rows if rows.__class__ is np.ndarray else rows.get()  # checked on the host
    if categories == 0 or not np.all(np.isfinite(host)) or np.any(host < 0):
        raise ValueError("multinomial: the probabilities must be finite and non-negative, in "
                         "at least one category")
    if np.any(host.sum(axis=1) <= 0):
        raise ValueError("multinomial: every row of probabilities must have a positive sum")
    draws = generator(_backend.backend_of(weights))
    if replacement:
        cumulative = xp.cumsum(rows, axis=1)
        cumulative /= cumulative[:, -1:]
        offsets = xp.arange(rows.shape[0], dtype=np.float64)[:, None]
        uniform = draws.random((rows.shape[0], count), dtype=np.float64)
        found = xp.searchsorted((cumulative + offsets).ravel(), (uniform + offsets).ravel(),
                                side="right").reshape(rows.shape[0], count)
        chosen = xp.minimum(found - (offsets * categories).astype(np.int64), categories - 1)
    else:
        if count > categories or np.any((host > 0).sum(axis=1) < count):
            raise ValueError(f"multinomial: cannot draw {count} samples without replacement "
                             f"from rows with fewer positive probabilities")
        # Exponential races: the categories in increasing order of E / p, E ~ Exp(1), come
        # out as successive draws without replacement (zero probabilities never win).
        keys = -xp.log1p(-draws.random(rows.shape, dtype=np.float64))
        with np.errstate(divide="ignore"):
            keys = keys / rows
        chosen = xp.argsort(keys, axis=1)[:, :count]
    shape = (count,) if input.ndim == 1 else (rows.shape[0], count)
    return new_constant(chosen.astype(np.int64).reshape(shape))


@method("bernoulli", typing=None)
def bernoulli(x: Any, p: float | None = None) -> Any:
    """Draws of 1 with probability ``x`` (or ``p``), else 0: ``mu.bernoulli``."""
    return _creation.bernoulli(x, p)
