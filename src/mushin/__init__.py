"""mushin: reverse-mode automatic differentiation on dynamic graphs, on the CPU and NVIDIA GPUs.

    import mushin as mu
    x = mu.eye((1, 1, 2, 3), 3.0).freeze()      # a Constant: not tracked
    w = mu.randn((1, 1, 3, 2))                  # a Variable: tracked
    z = mu.mm(w, x)
    z.backward()
    w.grad()                                    # d z / d w

See README.md and docs/ for the tour; API.md is the contract.
"""

from mushin import data, distributed, nn, testing
from mushin._backend import devices
from mushin._creation import (
    constant,
    custom,
    eye,
    fill,
    ones,
    randn,
    randu,
    seed,
    variable,
    zeros,
)
from mushin._graph import detect_anomaly, enable_grad, is_grad_enabled, no_grad
from mushin._tensor import Constant, ShapeError, Tensor, Variable
from mushin.io import load, save
from mushin.ops import (
    abs,
    add,
    astype,
    broadcast_to,
    clip,
    concat,
    cos,
    div,
    exp,
    expand_dims,
    flatten,
    log,
    logsumexp,
    matmul,
    max,
    maximum,
    mean,
    min,
    minimum,
    mm,
    mul,
    neg,
    pow,
    reshape,
    sin,
    sqrt,
    squeeze,
    stack,
    sub,
    sum,
    tanh,
    transpose,
    var,
    where,
)

__version__ = "0.1.0"

__all__ = [
    "Constant", "ShapeError", "Tensor", "Variable", "abs", "add", "astype", "broadcast_to", "clip",
    "concat", "constant", "cos", "custom", "data", "detect_anomaly", "devices", "distributed",
    "div",
    "enable_grad", "exp", "expand_dims", "eye", "fill", "flatten", "is_grad_enabled", "load",
    "log", "logsumexp", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul", "neg",
    "nn", "no_grad", "ones", "pow", "randn", "randu", "reshape", "save", "seed", "sin", "sqrt",
    "squeeze", "stack", "sub", "sum", "tanh", "testing", "transpose", "var", "variable", "where",
    "zeros",
]
