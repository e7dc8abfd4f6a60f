"""mushin: reverse-mode automatic differentiation on dynamic graphs, on the CPU and NVIDIA GPUs.

    import mushin as mu
    x = mu.eye((1, 1, 2, 3), 3.0).freeze()      # a Constant: not tracked
    w = mu.randn((1, 1, 3, 2))                  # a Variable: tracked
    z = mu.mm(w, x)
    z.backward()
    w.grad()                                    # d z / d w

See README.md and docs/ for the tour; docs/api.md is the reference.
"""

from mushin import (
    _allocator,
    _dtypes,
    accelerator,
    backends,
    cuda,
    data,
    distributed,
    distributions,
    linalg,
    nn,
    ops,
    optim,
    special,
    testing,
    utils,
)
from mushin._backend import device, devices
from mushin._creation import (
    arange,
    as_tensor,
    bernoulli,
    constant,
    custom,
    empty,
    empty_like,
    empty_permuted,
    empty_strided,
    eye,
    fill,
    from_numpy,
    full,
    full_like,
    is_floating_point,
    is_tensor,
    linspace,
    logspace,
    normal,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    randu,
    scalar_tensor,
    tensor,
    tril_indices,
    triu_indices,
    variable,
    zeros,
    zeros_like,
)
from mushin._dtypes import *  # noqa: F403  (PyTorch's dtype names)
from mushin._graph import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from mushin._random import manual_seed, seed
from mushin._tensor import Constant, Tensor, Variable
from mushin.errors import ShapeError
from mushin.io import load, save
from mushin.ops import *  # noqa: F403  (every operation: see mushin/ops/__init__.py)

__version__ = "0.1.0"

__all__ = [
    "Constant", "ShapeError", "Tensor", "Variable", "arange", "as_tensor", "bernoulli",
    "constant", "custom", "data", "detect_anomaly", "devices", "distributed", "empty",
    "empty_like", "empty_permuted", "empty_strided", "enable_grad", "eye", "fill", "from_numpy",
    "full", "full_like", "is_floating_point", "is_grad_enabled", "is_tensor", "linalg",
    "linspace", "load", "logspace", "nn", "no_grad", "normal", "numel", "ones", "optim",
    "ones_like", "rand", "rand_like", "randint", "randint_like", "randn", "randn_like",
    "randperm", "randu", "save", "scalar_tensor", "seed", "special", "tensor", "testing",
    "tril_indices", "triu_indices", "utils", "variable", "zeros", "zeros_like",
]
__all__ += [
    "accelerator", "backends", "cuda", "device", "inference_mode", "manual_seed",
    "set_grad_enabled",
]
__all__ += ops.__all__  # every operation, as generated in mushin/ops/__init__.py
__all__ += _dtypes.__all__
__all__ += ["distributions"]
_allocator.keep_freed_memory()  # freed activations are reused, not faulted in again each step
float = _dtypes.float32  # PyTorch's mu.float, mu.int, mu.bool: not in __all__
int = _dtypes.int32
bool = _dtypes.bool_
