"""Every operation of mushin, one module per family; re-exported here and in ``mushin``."""

from mushin.ops._namespace import array_ops, graph_ops, unwrap, wrap
from mushin.ops.elementwise import (
    ADD,
    DIV,
    MUL,
    NEG,
    SUB,
    abs,
    add,
    astype,
    clip,
    compare,
    cos,
    div,
    exp,
    log,
    logical_not,
    maximum,
    minimum,
    mul,
    neg,
    pow,
    sin,
    sqrt,
    sub,
    tanh,
    where,
)
from mushin.ops.linalg import matmul, mm
from mushin.ops.reduce import logsumexp, max, mean, min, sum, var
from mushin.ops.shape import (
    broadcast_to,
    concat,
    expand_dims,
    flatten,
    getitem,
    matrix_transpose,
    reshape,
    squeeze,
    stack,
    sum_to,
    to_device,
    transpose,
)

__all__ = [
    "ADD", "DIV", "MUL", "NEG", "SUB",
    "abs", "add", "array_ops", "astype", "broadcast_to", "clip", "compare", "concat", "cos",
    "div", "exp", "expand_dims", "flatten", "getitem", "graph_ops", "log", "logical_not",
    "logsumexp", "matmul", "matrix_transpose", "max", "maximum", "mean", "min", "minimum", "mm",
    "mul", "neg", "pow", "reshape", "sin", "sqrt", "squeeze", "stack", "sub", "sum", "sum_to",
    "tanh", "to_device", "transpose", "unwrap", "var", "where", "wrap",
]
