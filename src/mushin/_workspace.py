"""Memory reused from step to step on the CPU, so that a training step does not fault in fresh
pages at every step: scratch buffers (``borrow`` / ``give_back``) for the big temporaries of
an operation that never leave it, and glibc's allocator told to keep freed memory
(``keep_freed_memory``) for the arrays that do (activations, gradients)."""

from __future__ import annotations

import ctypes
import math
import os
import platform
import threading
from typing import Any

import numpy as np

from mushin._backend import Array

# The big temporaries of an operation that never leave it (a convolution's im2col columns, its
# input gradient's spread rows and their product, in nn/functional/conv.py; the LSTM's backward
# columns, in nn/functional/recurrent/lstm.py) are written into reused buffers on NumPy. Fresh
# arrays of a few MB are freed when a training step ends, glibc hands their pages back to the
# system, and the next step faults them in again; reusing the buffers saves about 8% of the
# CNN benchmark's step. Each thread keeps, per purpose ("columns", "rows", "products"...) and
# dtype, the latest buffer of at most _WORKSPACE_LIMIT bytes (a larger temporary is a fresh
# array, as is a smaller one's replacement when a bigger one is needed): at most five
# buffers per dtype, 160 MB in the worst case, held for as long as the thread lives. A buffer
# is out of the cache while in use, so a nested or concurrent use never shares it. Device
# arrays are always fresh: CuPy's memory pool already reuses device memory.
_WORKSPACE_LIMIT = 32 * 1024 * 1024
_workspaces = threading.local()


def borrow(xp: Any, purpose: str, shape: tuple[int, ...], dtype: Any) -> Array:
    """An uninitialized array of ``shape``: a reused buffer on NumPy (give it back with
    ``give_back`` once it is dead), a fresh array elsewhere."""
    if xp is not np:
        return xp.empty(shape, dtype=dtype)
    size = math.prod(shape)
    cache: dict[tuple[str, Any], Array] | None = getattr(_workspaces, "cache", None)
    if cache is None:
        cache = _workspaces.cache = {}
    buffer = cache.pop((purpose, np.dtype(dtype)), None)
    if buffer is None or buffer.size < size:
        buffer = np.empty(size, dtype=dtype)  # the smaller one, if any, is freed
    return buffer[:size].reshape(shape)


def give_back(xp: Any, purpose: str, array: Array) -> None:
    """Keep the buffer under ``array`` (from ``borrow``, dead now) for the next ``borrow``."""
    if xp is not np:
        return
    buffer = array
    while buffer.base is not None:
        buffer = buffer.base
    if buffer.nbytes <= _WORKSPACE_LIMIT:
        _workspaces.cache[(purpose, array.dtype)] = buffer


# glibc's malloc hands a freed block of 128 KiB or more back to the system (``munmap``, or a
# trim of the heap's top), raising that threshold as such blocks come and go. A training step
# frees its activations and gradients, megabytes each, at its end, and the next step faults
# their pages in again, zeroed by the kernel: on the CNN benchmark (2 cores) that made a step
# take 1.6 to 1.8 times as long as with freed memory kept for reuse. ``mallopt``'s options
# (glibc's documented ``M_MMAP_THRESHOLD`` and ``M_TRIM_THRESHOLD``) keep blocks up to 32 MiB
# on the heap and up to 256 MiB of free heap unreturned. A variable the user set in the
# environment (``MALLOC_MMAP_THRESHOLD_``, ``MALLOC_TRIM_THRESHOLD_``) wins, and
# ``MUSHIN_KEEP_FREED_MEMORY=0`` leaves the allocator alone.
_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_KEPT = ((_M_MMAP_THRESHOLD, "MALLOC_MMAP_THRESHOLD_", 32 << 20),
         (_M_TRIM_THRESHOLD, "MALLOC_TRIM_THRESHOLD_", 256 << 20))


def keep_freed_memory() -> bool:
    """Tell glibc's allocator to keep freed memory for reuse (see above); whether it did
    (not off glibc, nor with ``MUSHIN_KEEP_FREED_MEMORY=0``)."""
    if os.environ.get("MUSHIN_KEEP_FREED_MEMORY", "1") == "0" or platform.libc_ver()[0] != "glibc":
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    return all(name in os.environ or mallopt(option, value) == 1
               for option, name, value in _KEPT)

