"""Every operation of mushin, one module per family; re-exported here and in ``mushin``.

The family modules define the functions with loose types (an operand is ``Any``: a tensor, an
array or a number), which is how they call one another. The public names exported here are the
same function objects, given their static types (kinds and shapes, for mypy and pyright) by
``mushin._typing``; nothing is wrapped at run time.
"""

from mushin import _typing as typed
from mushin.ops import elementwise, linalg, reduce, shape
from mushin.ops._namespace import array_ops, graph_ops, unwrap, wrap
from mushin.ops.elementwise import (
    ADD,
    DIV,
    MAXIMUM,
    MINIMUM,
    MUL,
    NEG,
    POW,
    SUB,
    compare,
    logical_not,
)
from mushin.ops.shape import getitem, matrix_transpose, sum_to, to_device

add = typed.binary_function(elementwise.add)
sub = typed.binary_function(elementwise.sub)
mul = typed.binary_function(elementwise.mul)
div = typed.binary_function(elementwise.div)
pow = typed.binary_function(elementwise.pow)
maximum = typed.binary_function(elementwise.maximum)
minimum = typed.binary_function(elementwise.minimum)
neg = typed.unary_function(elementwise.neg)
exp = typed.unary_function(elementwise.exp)
log = typed.unary_function(elementwise.log)
sqrt = typed.unary_function(elementwise.sqrt)
abs = typed.unary_function(elementwise.abs)
sin = typed.unary_function(elementwise.sin)
cos = typed.unary_function(elementwise.cos)
tanh = typed.unary_function(elementwise.tanh)
where = typed.where_function(elementwise.where)
clip = typed.clip_function(elementwise.clip)
astype = typed.same_type_function(elementwise.astype)

mm = typed.matrix_product_function(linalg.mm)
matmul = typed.matmul_function(linalg.matmul)

sum = typed.reduction_function(reduce.sum)
mean = typed.reduction_function(reduce.mean)
max = typed.reduction_function(reduce.max)
min = typed.reduction_function(reduce.min)
logsumexp = typed.reduction_function(reduce.logsumexp)
var = typed.variance_function(reduce.var)

reshape = typed.reshape_function(shape.reshape)
flatten = typed.flatten_function(shape.flatten)
transpose = typed.transpose_function(shape.transpose)
expand_dims = typed.runtime_shape_function(shape.expand_dims)
squeeze = typed.runtime_shape_function(shape.squeeze)
broadcast_to = typed.broadcast_function(shape.broadcast_to)
concat = typed.join_function(shape.concat)
stack = typed.join_function(shape.stack)

__all__ = [
    "ADD", "DIV", "MAXIMUM", "MINIMUM", "MUL", "NEG", "POW", "SUB",
    "abs", "add", "array_ops", "astype", "broadcast_to", "clip", "compare", "concat", "cos",
    "div", "exp", "expand_dims", "flatten", "getitem", "graph_ops", "log", "logical_not",
    "logsumexp", "matmul", "matrix_transpose", "max", "maximum", "mean", "min", "minimum", "mm",
    "mul", "neg", "pow", "reshape", "sin", "sqrt", "squeeze", "stack", "sub", "sum", "sum_to",
    "tanh", "to_device", "transpose", "unwrap", "var", "where", "wrap",
]
