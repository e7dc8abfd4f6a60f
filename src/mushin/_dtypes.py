"""PyTorch's dtype names (``mu.float32``, ``mu.long``...): NumPy dtypes, so ``x.dtype ==
mu.float32`` holds and every ``dtype=`` argument takes them. ``mu.float``, ``mu.int`` and
``mu.bool`` are set by the facade as attributes only, outside ``__all__``, so that
``from mushin import *`` does not hide Python's builtins."""

from __future__ import annotations

import numpy as np

float16 = half = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = double = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = short = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = long = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)

__all__ = ["double", "float16", "float32", "float64", "half", "int8", "int16", "int32", "int64",
           "long", "short", "uint8"]
