"""How a fused CPU kernel is compiled and called: the mechanism every CPU kernel body uses.

On the CPU a chain of element-wise NumPy passes is bound by memory traffic and by NumPy's
missing functions: GELU's exact ``erf`` through SciPy costs 15 ns an element, eight times a
whole NumPy pass, and a layer norm or an Adam update is a dozen passes over its arrays. A
kernel body does such a chain in one pass over its arrays. Bodies are plain
Python loops compiled by Numba (an optional accelerator: ``pip install mushin[fast]``); where
Numba is not installed, or :func:`portable` is active, every primitive runs its portable NumPy
rule, which stays the reference the tests compare the kernels against
(``tests/test_cpu_kernels.py``).

The bodies live beside the primitive (or optimizer) they serve, registered as its
``cpu_forward`` / ``cpu_vjp`` (``mushin._graph.Primitive``): a rule returns ``NotImplemented``
for arrays its kernel does not take, and the portable rule runs. Every kernel computes the
same quantities as the portable rule in the arrays' own dtype (or wider); only rounding
differs.

Numba compiles a kernel at its first call and caches the machine code on disk, so a later
process loads it in milliseconds. Kernels release the GIL: threads run them at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import os
import pathlib
import threading
import types
from collections.abc import Callable, Generator
from typing import Any

import numpy as np

_disabled = threading.local()
_available: bool | None = None

def available() -> bool:
    """Whether Numba is installed and the kernels are not switched off by the environment
    (``MUSHIN_CPU_KERNELS=0``)."""
    global _available
    if _available is None:
        _available = (os.environ.get("MUSHIN_CPU_KERNELS", "1") != "0"
                      and importlib.util.find_spec("numba") is not None)
    return _available


def enabled(xp: Any) -> bool:
    """Whether ``xp`` is NumPy and its fused kernels may run in this thread."""
    return xp is np and available() and not getattr(_disabled, "on", False)


@contextlib.contextmanager
def portable() -> Generator[None]:
    """Run every primitive's portable NumPy rule in this thread while the block runs: the
    reference the kernels are tested against."""
    before = getattr(_disabled, "on", False)
    _disabled.on = True
    try:
        yield
    finally:
        _disabled.on = before


def fusable(array: Any, *others: Any) -> bool:
    """Whether ``array`` is a float32 or float64 NumPy array, and ``others`` arrays of its
    shape and dtype: what the point-wise and row kernels take."""
    return (array.__class__ is np.ndarray and array.dtype.char in "fd"
            and all(other.__class__ is np.ndarray and other.shape == array.shape
                    and other.dtype == array.dtype for other in others))


def float32_contiguous(array: Any, *others: Any) -> bool:
    """Whether the arrays are C-contiguous float32 NumPy arrays of one shape: what the
    float32 point-wise kernels (``erf``, GELU) take, read as flat runs."""
    return (fusable(array, *others) and array.dtype == np.float32
            and all(each.flags.c_contiguous for each in (array, *others)))


def map_float32(kernel: Kernel, x: Any) -> Any:
    """``kernel(x, out)`` on the flat runs of ``x`` and of a new ``out`` like it, for a
    C-contiguous float32 NumPy ``x``; ``NotImplemented`` for anything else (the portable rule
    runs): a point-wise float32 kernel's forward rule (``erf``, GELU)."""
    if not float32_contiguous(x):
        return NotImplemented
    out = np.empty_like(x)
    kernel(x.reshape(-1), out.reshape(-1))
    return out


class Kernel:
    """A Python function compiled by Numba at its first call."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.compiled: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        compiled = self.compiled
        if compiled is None:
            compiled = self.compiled = _njit(self.function, nogil=True)
        return compiled(*args)


class Function:
    """A scalar helper of kernel bodies (``erf`` of one float...): a kernel that names it is
    compiled with the helper compiled and inlined into it. Called by Python, it runs as
    written."""

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function
        self.compiled: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        return self.function(*args)

    def numba(self) -> Callable[..., Any]:
        """The helper compiled by Numba, to be inlined into the kernels that name it."""
        if self.compiled is None:
            self.compiled = _njit(self.function, inline="always")
        return self.compiled


def function(body: Callable[..., Any]) -> Function:
    """Decorator: ``body`` as a :class:`Function`, a scalar helper of kernel bodies."""
    return Function(body)


def kernel(function: Callable[..., Any]) -> Kernel:
    """Decorator: ``function`` (a Numba-compilable loop) as a :class:`Kernel`. Call it only
    where :func:`enabled` holds.

    A kernel runs on the core that calls it (no ``numba.prange``). Measured on the
    2-core machine of ``benchmarks/README.md`` (2026-12-08), a GPT step whose GELU ran on
    Numba's two threads took 2.2 times as long as with one: those threads and OpenBLAS's
    (which spin between matrix products) took the cores from each other. A pool of sleeping
    Python threads made every large kernel slower too: waking one takes 40 to 130 µs."""
    return Kernel(function)


_OPTIONS: dict[str, Any] = {
    # ``contract`` (fused multiply-add) and ``reassoc`` (vectorised sums) only: NaN and inf
    # keep their IEEE meaning, as in NumPy.
    "fastmath": ("contract", "reassoc"),  # (a set for Numba, see ``_njit``)
    # A float division by zero gives inf or NaN, as in NumPy, rather than Python's
    # ZeroDivisionError, whose check in every division stops the loop from being vectorised
    # (GELU's erf took 1.5 ms per 524,288 elements with it, 0.3 ms without).
    "error_model": "numpy",
}


def _njit(function: Callable[..., Any], **options: Any) -> Callable[..., Any]:
    """``function`` compiled by Numba with :data:`_OPTIONS`, its machine code cached on disk."""
    numba = _numba()
    config = numba.core.config
    body, helpers = _with_numba_globals(function)
    # Numba checks a cached kernel against its own file only: a changed helper from another
    # file (or changed options) would leave it stale. So the cache directory is named after
    # the sources of the kernel and its helpers, and after the options.
    settings = {**_OPTIONS, **options}
    digest = hashlib.sha256(repr(sorted(settings.items(), key=str)).encode())
    for path in sorted({function.__code__.co_filename,
                        *(helper.function.__code__.co_filename for helper in helpers)}):
        digest.update(pathlib.Path(path).read_bytes())
    root = os.environ.get("NUMBA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mushin")
    flags = {**settings, "fastmath": set(settings["fastmath"])}
    saved = config.CACHE_DIR
    config.CACHE_DIR = os.path.join(root, f"kernels-{digest.hexdigest()[:16]}")
    try:
        compiled: Callable[..., Any] = numba.njit(body, cache=True, **flags)
    except RuntimeError:  # no writable cache directory: compile at every start
        compiled = numba.njit(body, **flags)
    finally:
        config.CACHE_DIR = saved
    return compiled


def _numba() -> Any:
    """Numba (untyped, hence ``Any``), imported on the first compilation."""
    return importlib.import_module("numba")


def _with_numba_globals(function: Callable[..., Any]) -> tuple[Callable[..., Any], list[Function]]:
    """A copy of ``function`` whose globals give the compiled form of each :class:`Function`
    it names; and those functions."""
    named = {name: value for name, value in function.__globals__.items()
             if name in function.__code__.co_names and isinstance(value, Function)}
    body = types.FunctionType(
        function.__code__,
        {**function.__globals__, **{name: helper.numba() for name, helper in named.items()}},
        function.__name__, function.__defaults__, function.__closure__)
    body.__qualname__ = function.__qualname__
    body.__module__ = function.__module__
    return body, list(named.values())
