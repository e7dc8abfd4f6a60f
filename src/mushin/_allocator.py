"""glibc's allocator told to keep freed memory for reuse (``keep_freed_memory``, called once
when mushin is imported): a training step frees its activations and gradients and the next
step takes the same memory again, without faulting fresh pages in."""

from __future__ import annotations

import ctypes
import os
import platform

# The convolution's and the LSTM's big temporaries (im2col's columns, the input gradient's
# products, the LSTM backward's columns) once lived in per-thread buffers reused from step to
# step, for the same reason. With freed memory kept, fresh arrays cost no more (cnn step 7.9
# against 8.3 ms, lstm 9.6 against 9.8, in-process A/B on 2026-12-08), and the buffers held
# 3 MiB beyond the step's peak (benchmarks/README.md), so they are gone.

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

