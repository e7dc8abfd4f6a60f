"""Runs mushin's CUDA kernels (``mushin.kernels.cuda``) on the CPU, so that their arithmetic and
indexing are tested on machines without a GPU.

Each kernel's CUDA C source is compiled as C++ with g++: an ``ElementwiseKernel`` body becomes
the body of a loop over the elements, and a ``RawKernel`` runs each block on one
``std::thread`` per CUDA thread (8 to a block), with a barrier for ``__syncthreads()`` and
``__shared__`` arrays made function-statics (the blocks run one after another). ``module``
stands in for CuPy toward ``mushin.kernels.cuda`` (install it with ``installed()``), and
``EmulatedArray`` is a NumPy array that ``mushin.kernels.cuda.on_gpu`` takes for a CuPy one. What
this cannot show is CuPy's own handling of the kernels (its parameter parsing, launch
limits, NVRTC): the GPU cases of tests/test_fused.py cover that where a GPU exists.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

import numpy as np


class EmulatedArray(np.ndarray):  # type: ignore[type-arg]
    """A NumPy array that looks like a CuPy one to ``mushin.kernels.cuda.on_gpu``."""


EmulatedArray.__module__ = "cupy_emulated"


def emulated(values: Any) -> EmulatedArray:
    """A contiguous ``EmulatedArray`` copy of ``values``."""
    return np.array(values, order="C").view(EmulatedArray)


_C_TYPES = {"float64": "double", "float32": "float", "bool": "bool", "int32": "int",
            "int64": "long long"}
_CTYPES: dict[str, Any] = {"double": ctypes.c_double, "float": ctypes.c_float,
                           "int": ctypes.c_int, "long long": ctypes.c_longlong,
                           "bool": ctypes.c_bool}
_THREADS = 8
"""Threads per emulated block."""
_CACHE = os.path.join(tempfile.gettempdir(), f"mushin-cuda-emulator-{os.getuid()}")

_MATH = r"""
#include <cmath>
using std::erf; using std::exp; using std::expm1; using std::fabs; using std::log;
using std::log1p; using std::nan; using std::sqrt;
"""
_PRELUDE = _MATH + r"""
#include <barrier>
#include <thread>
#include <vector>
struct Dim3 { unsigned x = 0, y = 0, z = 0; };
thread_local Dim3 threadIdx;
Dim3 blockIdx, blockDim, gridDim;
std::barrier<>* block_barrier;
#define __global__
#define __device__
#define __shared__ static
inline void __syncthreads() { block_barrier->arrive_and_wait(); }
template <class F> void launch(unsigned grid, unsigned block, F body) {
    gridDim.x = grid;
    blockDim.x = block;
    std::barrier<> barrier(block);
    block_barrier = &barrier;
    for (unsigned b = 0; b < grid; ++b) {
        blockIdx.x = b;
        std::vector<std::thread> threads;
        for (unsigned t = 0; t < block; ++t)
            threads.emplace_back([&, t] { threadIdx.x = t; body(); });
        for (auto& thread : threads) thread.join();
    }
}
"""


def _library(code: str) -> ctypes.CDLL:
    """``code`` compiled into a shared library (cached on disk by its text)."""
    os.makedirs(_CACHE, exist_ok=True)
    path = os.path.join(_CACHE, hashlib.sha256(code.encode()).hexdigest()[:20])
    if not os.path.exists(path + ".so"):
        with open(path + ".cpp", "w") as source:
            source.write(code)
        subprocess.run(["g++", "-std=c++20", "-O0", "-shared", "-fPIC", "-pthread",
                        path + ".cpp", "-o", path + ".tmp.so"], check=True)
        os.replace(path + ".tmp.so", path + ".so")
    return ctypes.CDLL(path + ".so")


def _params(text: str) -> list[tuple[str, str]]:
    return [(kind, name) for kind, name in (part.split() for part in text.split(","))]


class _Elementwise:
    """CuPy's ``ElementwiseKernel`` for arrays of one shape (or scalars)."""

    def __init__(self, in_params: str, out_params: str, body: str, name: str) -> None:
        self.inputs, self.outputs = _params(in_params), _params(out_params)
        self.body, self.name = body, name

    def __call__(self, *args: Any) -> Any:
        inputs, given = args[:len(self.inputs)], args[len(self.inputs):]
        types: dict[str, str] = {}
        for (kind, _), value in zip(self.inputs + self.outputs, [*inputs, *given], strict=False):
            if len(kind) == 1 and hasattr(value, "dtype"):
                types.setdefault(kind, np.dtype(value.dtype).name)
        shape = next(np.shape(value) for value in args if isinstance(value, np.ndarray))
        outputs = list(given) or [np.empty(shape, dtype=types[kind])
                                  for kind, _ in self.outputs]
        c_type = {kind: _C_TYPES[name] for kind, name in types.items()}
        c_type.update({name: _C_TYPES[name] for name in ("int32", "int64")})
        parameters, loads, call = [], [], []
        for (kind, name), value in zip(self.inputs, inputs, strict=True):
            if isinstance(value, np.ndarray):
                parameters.append(f"const {c_type[kind]}* p_{name}")
                loads.append(f"const {c_type[kind]} {name} = p_{name}[i];")
                call.append(np.ascontiguousarray(np.broadcast_to(value, shape)))
            else:
                parameters.append(f"{c_type[kind]} {name}")
                call.append(_CTYPES[c_type[kind]](value.item() if hasattr(value, "item")
                                                  else value))
        buffers = [np.ascontiguousarray(np.broadcast_to(array, shape)).copy()
                   for array in outputs]
        for (kind, name), buffer in zip(self.outputs, buffers, strict=True):
            parameters.append(f"{c_type[kind]}* p_{name}")
            loads.append(f"{c_type[kind]}& {name} = p_{name}[i];")
            call.append(buffer)
        typedefs = "".join(f"typedef {ctype} {kind};\n" for kind, ctype in c_type.items()
                           if len(kind) == 1)
        code = (f"{_MATH}{typedefs}extern \"C\" void run({', '.join(parameters)}, "
                f"long long n) {{\n for (long long i = 0; i < n; ++i) {{\n"
                f"  {' '.join(loads)}\n  {self.body}\n }}\n}}\n")
        arguments = [value.ctypes.data_as(ctypes.c_void_p) if isinstance(value, np.ndarray)
                     else value for value in call]
        _library(code).run(*arguments, ctypes.c_longlong(int(np.prod(shape))))
        for target, buffer in zip(outputs, buffers, strict=True):
            target[...] = buffer
        results = [np.asarray(output).view(EmulatedArray) for output in outputs]
        return results[0] if len(results) == 1 else tuple(results)


class _Raw:
    """CuPy's ``RawKernel``: ``kernel(grid, block, args)``, 1-D grids and blocks."""

    def __init__(self, code: str, name: str) -> None:
        # Blocks of _THREADS threads, not 128: the kernels are written for any power-of-two
        # BLOCK (their loops stride by it, their reductions halve it), and an emulated thread
        # is an OS thread.
        code = re.sub(r"#define BLOCK \d+", f"#define BLOCK {_THREADS}", code)
        found = re.search(rf'extern "C" __global__ void {name}\((.*?)\)', code, re.S)
        assert found is not None, f"no kernel {name} in the source"
        self.parameters = [" ".join(part.split()) for part in found.group(1).split(",")]
        names = [part.split()[-1].lstrip("*") for part in self.parameters]
        wrapper = (f'extern "C" void run(unsigned grid, unsigned block, '
                   f'{", ".join(self.parameters)}) {{ launch(grid, block, [&] {{ '
                   f'{name}({", ".join(names)}); }}); }}\n')
        self.library = _library(_PRELUDE + code + "\n" + wrapper)

    def __call__(self, grid: tuple[int], block: tuple[int], args: tuple[Any, ...]) -> None:
        arguments: list[Any] = [ctypes.c_uint(grid[0]), ctypes.c_uint(min(block[0], _THREADS))]
        for parameter, value in zip(self.parameters, args, strict=True):
            if "*" in parameter:
                assert isinstance(value, np.ndarray) and value.flags.c_contiguous
                arguments.append(value.ctypes.data_as(ctypes.c_void_p))
            else:
                kind = parameter.rsplit(" ", 1)[0]
                arguments.append(_CTYPES[kind](float(value) if kind in ("double", "float")
                                               else int(value)))
        self.library.run(*arguments)


class _Module:
    """The part of CuPy that mushin's kernels use, on ``EmulatedArray``s."""

    __name__ = "cupy"
    int32 = np.int32
    int64 = np.int64
    float64 = np.float64
    ElementwiseKernel = _Elementwise
    RawKernel = _Raw

    @staticmethod
    def empty(shape: Any, dtype: Any) -> EmulatedArray:
        return np.empty(shape, dtype=dtype).view(EmulatedArray)

    @staticmethod
    def ascontiguousarray(values: Any, dtype: Any = None) -> EmulatedArray:
        return np.ascontiguousarray(values, dtype=dtype).view(EmulatedArray)


module = _Module()


@contextlib.contextmanager
def installed() -> Iterator[None]:
    """mushin's CUDA kernels go to this emulator while the block runs (every kernel body reaches
    CuPy through ``mushin.kernels.cuda.xp_of``)."""
    from mushin.kernels import cuda

    original = cuda.xp_of
    cuda.xp_of = lambda array: module
    try:
        yield
    finally:
        cuda.xp_of = original
