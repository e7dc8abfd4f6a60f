"""mushin: reverse-mode automatic differentiation on dynamic graphs, on the CPU and NVIDIA GPUs.

    import mushin as mu
    x = mu.eye((1, 1, 2, 3), 3.0).freeze()      # a Constant: not tracked
    w = mu.randn((1, 1, 3, 2))                  # a Variable: tracked
    z = mu.mm(w, x)
    z.backward()
    w.grad()                                    # d z / d w

See README.md and docs/ for the tour; docs/api.md is the reference.
"""

from mushin import _dtypes, data, distributed, linalg, nn, ops, special, testing
from mushin._backend import devices
from mushin._creation import (
    constant,
    custom,
    eye,
    fill,
    ones,
    randn,
    randu,
    variable,
    zeros,
)
from mushin._dtypes import *  # noqa: F403  (PyTorch's dtype names)
from mushin._graph import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from mushin._random import seed
from mushin._tensor import Constant, Tensor, Variable
from mushin.errors import ShapeError
from mushin.io import load, save
from mushin.ops import *  # noqa: F403  (every operation: see mushin/ops/__init__.py)

__version__ = "0.1.0"

__all__ = [
    "Constant", "ShapeError", "Tensor", "Variable", "constant", "custom", "data", "detect_anomaly",
    "devices", "distributed", "enable_grad", "eye", "fill", "is_grad_enabled", "linalg", "load",
    "nn", "no_grad", "ones", "randn", "randu", "save", "seed", "special", "testing", "variable",
    "zeros",
]
__all__ += ops.__all__  # every operation, as generated in mushin/ops/__init__.py
__all__ += _dtypes.__all__
float = _dtypes.float32  # PyTorch's mu.float, mu.int, mu.bool: not in __all__
int = _dtypes.int32
bool = _dtypes.bool_
