"""Checkpoints: ``save`` and ``load`` named tensors in the safetensors format.

A safetensors file is an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, and the raw little-endian data: nothing in it is ever
executed, unlike a pickle. ``save`` writes the whole file to a temporary file beside the
target, flushes it to disk and renames it over the target in one step, so a crash or an error
leaves either the previous checkpoint or the new one, never half a file. Where the system
offers unnamed files (Linux's ``O_TMPFILE``), the data is written to a file that has no name
until it is complete, so a process killed mid-write leaves nothing behind; only a kill in the
instant between naming the finished file and the rename leaves a complete copy named
``.NAME.<16 hex digits>.tmp``. Elsewhere the temporary file has that name from the start and
a killed save may leave it half written. ``load`` never reads those files, and they may be
deleted. ``load`` checks the header against the file's size before reading or allocating
anything, and every error it raises names the file.

Saving over a file is what ``torch.save`` does, less the risk: the new file keeps the old
one's permission bits (a ``0600`` checkpoint stays ``0600``) and, where the system allows,
its owner and group; a symbolic link is followed (its target is replaced, the link stays a
link); a file the caller may not write is refused, as ``open`` refuses it. A path that is not
a regular file (a directory, a named pipe, a device, a socket) is refused by both ``save`` and
``load`` without opening it, so neither ever blocks on a pipe. The only name safetensors
reserves, ``__metadata__``, is refused before anything is written.

What can be saved is a flat mapping of names to arrays: a module (anything with a
``state_dict()`` method returning one) or a ``dict`` of name -> tensor or array. Nested values
(an optimizer's ``state_dict()``, say) must first be flattened into names such as
``"state.0.exp_avg"``; plain numbers must be wrapped as arrays (``np.asarray(step)``).
"""

from __future__ import annotations

import importlib
import json
import math
import os
import stat
from collections.abc import Mapping
from typing import Any, Protocol, cast, overload

import numpy as np

from mushin._atomic import write_bytes
from mushin._backend import backend_of
from mushin._tensor import Constant, Tensor, new_constant

_HEADER_LIMIT = 100_000_000
"""The largest header accepted, in bytes (the safetensors library's own limit)."""

_RESERVED_NAMES = frozenset({"__metadata__"})
"""Header keys that safetensors reserves (the file's free-form metadata), not tensor names."""

_ARRAY_BYTES_LIMIT = np.iinfo(np.intp).max
"""NumPy refuses an array whose nonzero sizes multiply past this (even when one size is 0)."""

_SPECIAL_KINDS = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
                  (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
"""What a path that is neither a regular file nor a directory may be, in words."""

_ITEM_SIZES = {"F64": 8, "F32": 4, "F16": 2, "I64": 8, "U64": 8, "I32": 4, "U32": 4,
               "I16": 2, "U16": 2, "I8": 1, "U8": 1, "BOOL": 1}
"""Bytes per element of each safetensors dtype that NumPy can hold."""


class HasStateDict(Protocol):
    """Anything that can describe itself as a mapping of names to tensors (a module)."""

    def state_dict(self) -> Mapping[str, Any]:
        """The object's named tensors."""
        ...


def _safetensors() -> tuple[Any, type[Exception]]:
    """The safetensors NumPy API and the library's error type (an optional dependency, in
    the ``nn`` extra)."""
    try:
        api = importlib.import_module("safetensors.numpy")
    except ImportError as error:
        raise ImportError("mu.save and mu.load need the safetensors package: "
                          "`pip install safetensors` (or `pip install mushin[nn]`)") from error
    error_type: type[Exception] = importlib.import_module("safetensors").SafetensorError
    return api, error_type


def _path(function: str, path: object) -> str:
    kind = type(path).__name__
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"{function}: path must be a str or os.PathLike, got {kind}")
    return os.fsdecode(cast("str | os.PathLike[str] | os.PathLike[bytes]", path))


def _check_regular(function: str, name: str, mode: int) -> None:
    """Raise unless ``mode`` (of the file ``name``, symbolic links followed) is a regular
    file's: ``IsADirectoryError`` for a directory, ``ValueError`` for anything else."""
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(f"{function}: {name!r} is a directory; give the path of a "
                                "file, such as 'model.safetensors'")
    for is_kind, kind in _SPECIAL_KINDS:
        if is_kind(mode):
            raise ValueError(f"{function}: {name!r} is {kind}, not a regular file; "
                             "checkpoints are read from and written to regular files only")
    if not stat.S_ISREG(mode):
        raise ValueError(f"{function}: {name!r} is not a regular file")


def _host_array(name: str, value: object) -> np.ndarray[Any, Any]:
    """``value`` (a tensor or a NumPy/device array) as a C-ordered NumPy array."""
    kind = type(value).__name__
    array: np.ndarray[Any, Any]
    if isinstance(value, Tensor):
        array = value.numpy()
    elif isinstance(value, np.ndarray | np.generic):
        array = np.asarray(cast(Any, value))
    else:
        if isinstance(value, Mapping):
            raise TypeError(f"save: {name!r} holds a nested dict; save a flat mapping of "
                            "names to tensors (flatten nested state into names such as "
                            f"'{name}.key')")
        try:
            owner = backend_of(value)
        except TypeError:
            raise TypeError(f"save: {name!r} must be a tensor or an array, got {kind}") from None
        array = owner.xp.asnumpy(value)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"save: {name!r} has dtype {array.dtype}; safetensors holds bool, "
                        "integer and floating arrays")
    return array if array.flags.c_contiguous else array.copy(order="C")


def _named_arrays(module_or_dict: object) -> dict[str, np.ndarray[Any, Any]]:
    tensors: Any = module_or_dict
    state_dict = getattr(tensors, "state_dict", None)
    if not isinstance(tensors, Mapping) and callable(state_dict):
        tensors = state_dict()
    if not isinstance(tensors, Mapping):
        raise TypeError("save: expected a module (anything with a state_dict() method) or a "
                        f"dict of name -> tensor, got {type(module_or_dict).__name__}")
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    for name, value in cast("Mapping[object, object]", tensors).items():
        if not isinstance(name, str) or not name:
            raise TypeError(f"save: every name must be a non-empty str, got {name!r}")
        if name in _RESERVED_NAMES:
            raise ValueError(f"save: the name {name!r} is reserved by the safetensors format "
                             "(it holds the file's metadata, not a tensor); rename that tensor")
        arrays[name] = _host_array(name, value)
    return arrays


def _is_path(value: object) -> bool:
    return isinstance(value, str | os.PathLike)


@overload
def save(path: str | os.PathLike[str], module_or_dict: HasStateDict | Mapping[str, Any]
         ) -> None: ...
@overload
def save(path: HasStateDict | Mapping[str, Any], module_or_dict: str | os.PathLike[str]
         ) -> None: ...


def save(path: Any, module_or_dict: Any) -> None:
    """Write the tensors of a module, or of a dict of name -> tensor or array, to ``path``.

    PyTorch's order, ``save(obj, path)``, is accepted too: the path is the argument that is a
    ``str`` or ``os.PathLike``.

    The file is in the safetensors format, written atomically: on any error the previous file
    at ``path`` (if any) is left as it was and no temporary file remains; a process killed
    while saving leaves the previous file too (see the module's documentation for what else
    it may leave). A previous file keeps its permission bits (and, where the system allows,
    its owner and group), and a symbolic link at ``path`` stays one: its target is replaced.
    Every check (names, values, the path) is made before anything is written: a path that
    is a directory raises ``IsADirectoryError``, one that is a pipe, a device or a socket
    ``ValueError``, a file the caller may not write ``PermissionError``, and the name
    ``__metadata__`` (reserved by safetensors) ``ValueError``.
    """
    if not _is_path(path) and _is_path(module_or_dict):
        path, module_or_dict = module_or_dict, path
    target = _path("save", path)
    try:
        previous: os.stat_result | None = os.stat(target)  # symbolic links followed
    except FileNotFoundError:
        previous = None
    if previous is not None:
        _check_regular("save", target, previous.st_mode)
        if not os.access(target, os.W_OK):
            raise PermissionError(f"save: {target!r} is read-only for this user (mode "
                                  f"{stat.filemode(previous.st_mode)}); make it writable or "
                                  "save elsewhere")
    api, _ = _safetensors()
    payload: bytes = api.save(_named_arrays(module_or_dict))
    directory = os.path.dirname(os.path.realpath(target))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: the directory {directory!r} does not exist")
    write_bytes(target, payload)


def _int_list(value: object) -> list[int] | None:
    """``value`` as a list of non-negative ints if it is one (JSON numbers), else ``None``."""
    if not isinstance(value, list):
        return None
    items = cast("list[object]", value)
    ints = [item for item in items if type(item) is int and item >= 0]
    return ints if len(ints) == len(items) else None


def _checked_header(where: str, header_bytes: bytes, data_length: int) -> None:
    """Raise ``ValueError`` unless the header describes tensors that fit the data section."""
    try:
        header: object = json.loads(header_bytes.decode("utf-8"))
    # ValueError also covers numbers too long to convert; RecursionError, arrays nested
    # thousands deep.
    except (ValueError, RecursionError) as error:
        raise ValueError(f"{where}: the header is not valid JSON (corrupt file?): "
                         f"{error}") from None
    if not isinstance(header, dict):
        raise ValueError(f"{where}: the header must be a JSON object, got "
                         f"{type(header).__name__} (corrupt file?)")
    for name, entry in cast("dict[str, object]", header).items():
        if name == "__metadata__":
            continue
        fields = cast("dict[str, object]", entry) if isinstance(entry, dict) else {}
        if set(fields) != {"dtype", "shape", "data_offsets"}:
            raise ValueError(f"{where}: the header entry of {name!r} must have exactly dtype, "
                             "shape and data_offsets (corrupt file?)")
        dtype = fields["dtype"]
        if not isinstance(dtype, str) or dtype not in _ITEM_SIZES:
            raise ValueError(f"{where}: {name!r} has dtype {dtype!r}, which NumPy cannot hold "
                             f"(supported: {', '.join(_ITEM_SIZES)})")
        shape = _int_list(fields["shape"])
        if shape is None:
            raise ValueError(f"{where}: {name!r} has an invalid shape {fields['shape']!r}")
        offsets = _int_list(fields["data_offsets"])
        if offsets is None or len(offsets) != 2 or not offsets[0] <= offsets[1] <= data_length:
            raise ValueError(f"{where}: {name!r} claims bytes {fields['data_offsets']!r}, "
                             f"outside the {data_length}-byte data section (truncated or "
                             "corrupt file?)")
        if offsets[1] - offsets[0] != math.prod(shape) * _ITEM_SIZES[dtype]:
            raise ValueError(f"{where}: {name!r} has shape {shape} of {dtype} but spans "
                             f"{offsets[1] - offsets[0]} bytes (corrupt file?)")
        if math.prod(size for size in shape if size) * _ITEM_SIZES[dtype] > _ARRAY_BYTES_LIMIT:
            raise ValueError(f"{where}: {name!r} has shape {shape}, larger than any array can "
                             "be (corrupt file?)")


def load(path: str | os.PathLike[str]) -> dict[str, Constant[*tuple[Any, ...]]]:
    """Read a safetensors file: a dict of name -> ``Constant`` on the CPU.

    Nothing in the file is executed. A truncated or corrupt file, or one whose header claims
    more bytes than the file holds, raises ``ValueError`` naming the file and the problem; so
    does a path that is a pipe, a device or a socket (refused without opening it: nothing
    blocks), and a directory raises ``IsADirectoryError``.
    """
    source = _path("load", path)
    where = f"load: {source!r}"
    _check_regular("load", source, os.stat(source).st_mode)
    # O_NONBLOCK: should the path become a pipe after the check above, opening it returns at
    # once (and fstat refuses it) instead of waiting for a writer. It does nothing to a file.
    descriptor = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                         | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0))
    with open(descriptor, "rb") as file:
        status = os.fstat(descriptor)
        _check_regular("load", source, status.st_mode)
        size = status.st_size
        if size < 8:
            raise ValueError(f"{where} is not a safetensors file: {size} bytes, fewer than the "
                             "8-byte header length (truncated?)")
        header_length = int.from_bytes(file.read(8), "little")
        if header_length > _HEADER_LIMIT:
            raise ValueError(f"{where}: the header claims {header_length} bytes, more than the "
                             f"{_HEADER_LIMIT}-byte limit (corrupt or not a safetensors file?)")
        if header_length > size - 8:
            raise ValueError(f"{where}: the header claims {header_length} bytes, but only "
                             f"{size - 8} follow (truncated or not a safetensors file?)")
        _checked_header(where, file.read(header_length), size - 8 - header_length)
        file.seek(0)
        payload = file.read()
    if len(payload) != size:
        raise ValueError(f"{where} changed size while it was read")
    api, error_type = _safetensors()
    try:
        arrays: dict[str, np.ndarray[Any, Any]] = api.load(payload)
    # The library's own checks (holes, overlaps...), and NumPy's refusals of what the header
    # checks above let through (more axes than NumPy holds, say): all name the file.
    except (error_type, ValueError) as error:
        raise ValueError(f"{where} is not a valid safetensors file: {error}") from None
    return {name: new_constant(array) for name, array in arrays.items()}
