"""How a CUDA kernel is compiled, cached and called: the mechanism every kernel body uses.

On a GPU a small training step is bound by the host: each CuPy call costs some 10 to 50 us of
Python and launch work, whatever its size, so an update written as eight NumPy-style operations
costs eight launches. A kernel body (CuPy's ``ElementwiseKernel`` or a ``RawKernel``) does such
a chain in one launch, compiled on first use and cached by CuPy on disk. The bodies live beside
the primitive or optimizer they serve; this module holds what they share: the test of whether
arrays can take a kernel, the caches, and the device helpers of the row kernels.

Every kernel computes the same quantities in the same order as the portable path, in the
arrays' own dtype; only rounding differs (CUDA contracts ``a * b + c`` into one fused
multiply-add). ``tests/test_cuda_kernels.py`` compiles each kernel as C++ and compares it with
the portable path on any machine (it replaces :func:`xp_of`, so every body must reach CuPy
through it); ``tests/test_fused.py`` compares it with the CPU on a GPU.
"""

from __future__ import annotations

import functools
from typing import Any

from mushin._backend import Array, namespace_of

BLOCK = 128
"""Threads per block of the row kernels (one block per row)."""


def enabled(xp: Any) -> bool:
    """Whether ``xp`` is CuPy, whose arrays the kernels take."""
    return getattr(xp, "__name__", None) == "cupy"


def on_gpu(array: Any) -> bool:
    """Whether ``array`` is a CuPy array (cheaper than finding its namespace)."""
    return type(array).__module__.startswith("cupy")


def fusable(array: Any, *others: Any) -> bool:
    """Whether ``array`` is a float32 or float64 CuPy array, and ``others`` arrays of its
    shape and dtype: what the point-wise and row kernels take. (float16 keeps the portable
    path: its kernels would need float32 arithmetic to match it.)"""
    return (on_gpu(array) and array.dtype.char in "fd"
            and all(other.shape == array.shape and other.dtype == array.dtype
                    for other in others))


def xp_of(array: Array) -> Any:
    """CuPy (the array module of ``array``); the CPU emulator of the tests replaces it."""
    return namespace_of(array)


def scalar(array: Array, value: float) -> Any:
    """``value`` as a scalar of ``array``'s dtype: a kernel's ``T`` argument."""
    return array.dtype.type(value)


@functools.cache
def elementwise(xp: Any, in_params: str, out_params: str, body: str, name: str) -> Any:
    """A cached ``xp.ElementwiseKernel`` (CuPy compiles it at its first call)."""
    return xp.ElementwiseKernel(in_params, out_params, body, name)


def pointwise(name: str, body: str, names: str, *arrays: Array, **scalars: float) -> Array:
    """One ``ElementwiseKernel`` pass: ``body`` (CUDA C) sets ``out`` from ``arrays`` (of one
    dtype, ``T``, named by the space-separated ``names``) and the ``scalars`` (of ``T`` too).
    """
    first = arrays[0]
    in_params = ", ".join([f"T {label}" for label in names.split()]
                          + [f"T {label}" for label in scalars])
    kernel = elementwise(xp_of(first), in_params, "T out", body, name)
    return kernel(*arrays, *(scalar(first, value) for value in scalars.values()))


_C_TYPES = {"float32": "float", "float64": "double", "int8": "signed char",
            "int16": "short", "int32": "int", "int64": "long long", "uint8": "unsigned char",
            "uint16": "unsigned short", "uint32": "unsigned int",
            "uint64": "unsigned long long"}


@functools.cache
def raw(xp: Any, source: str, name: str, value_type: str, index_type: str) -> Any:
    """A cached ``xp.RawKernel`` for ``source``, whose values are ``T`` (``value_type``) and
    indices ``I`` (``index_type``), with ``BLOCK`` and the row helpers below defined."""
    code = (f"typedef {_C_TYPES[value_type]} T;\ntypedef {_C_TYPES[index_type]} I;\n"
            f"#define BLOCK {BLOCK}\n{_HELPERS}\n{source}")
    return xp.RawKernel(code, name)


_HELPERS = r"""
// The block's maximum (NaN wins, as NumPy's) and sum of one value per thread, left in
// shared[0]; every thread must call them.
__device__ T block_max(T value, T* shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int half = BLOCK / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) {
            T other = shared[threadIdx.x + half];
            T mine = shared[threadIdx.x];
            if (other > mine || other != other) shared[threadIdx.x] = other;
        }
        __syncthreads();
    }
    T result = shared[0];
    __syncthreads();
    return result;
}

__device__ T block_sum(T value, T* shared) {
    shared[threadIdx.x] = value;
    __syncthreads();
    for (int half = BLOCK / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half) shared[threadIdx.x] += shared[threadIdx.x + half];
        __syncthreads();
    }
    T result = shared[0];
    __syncthreads();
    return result;
}

// The maximum m of row r (c values) and the sum of exp(x - m) over it.
__device__ void row_stats(const T* r, long long c, T* shared, T* m, T* s) {
    T best = r[0];
    for (long long j = threadIdx.x; j < c; j += BLOCK) {
        T v = r[j];
        if (v > best || v != v) best = v;
    }
    *m = block_max(best, shared);
    T total = 0;
    for (long long j = threadIdx.x; j < c; j += BLOCK) total += exp(r[j] - *m);
    *s = block_sum(total, shared);
}
"""
