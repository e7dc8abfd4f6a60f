"""What ``src/mushin/_typing.py`` declares, in order: each callable's static type, written with
the rules of ``rules.py``, and the decorators that give those types to the library's functions.

Signatures are templates (see ``model.py``): ``{kind}`` is each kind in turn, and a pattern's
``{first}``, ``{other}``, ``{result}`` and ``{options}`` come from its table.
"""

from __future__ import annotations

from model import (
    Bound,
    Comment,
    Declaration,
    Decorator,
    Descriptor,
    ForKinds,
    ForPairs,
    Function,
    Section,
    Text,
)
from rules import (
    BOUND_PAIRS,
    BROADCASTS,
    BROADCASTS_TO,
    CLASS_INDICES,
    CLASS_PROBABILITIES,
    FUNCTION_PAIRS,
    HOST_OPERAND,
    LOSSES,
    MATMULS,
    MATRIX_PRODUCTS,
    REDUCTIONS,
    RESHAPE_SIZES,
    RESHAPES,
    TRANSPOSES,
    VARIANCES,
    Form,
)

DESCRIPTOR = "MethodDescriptor, Protocol"

BOUND_OPERATION = "(self: {first}, other: {other}) -> {result}"
"""A two-operand method bound to its tensor, ``x.add(other)``."""
FUNCTION_OPERATION = "(a: {first}, b: {other}, /) -> {result}"
"""A two-operand function, ``mm(a, b)``."""
BINARY_OPERATION = "(a: {first}, b: {other}, /, *args: P.args, **kwargs: P.kwargs) -> {result}"
"""An elementwise two-operand function, ``add(a, b, alpha=2)``: its options pass through."""
BOUND_FORM = "(self: {kind}[*Shape], {options}) -> {kind}[{result}]"
"""A one-operand method, of its tensor's kind."""
FUNCTION_FORM = "(x: {kind}[*AnyShape], {options}) -> {kind}[{result}]"
"""A one-operand function, of ``x``'s kind."""
CLASS_INDEX_FORM = "(x: {kind}[{shape}], {options}, ignore_index: int = ...) -> {kind}[{result}]"
"""``nll`` and ``cross_entropy`` with class indices."""

HOST_ARRAY_FUNCTIONS = (
    "(a: Variable[*AnyShape], b: HostArray, /) -> Variable[*AnyShape]",
    "(a: HostArray, b: Variable[*AnyShape], /) -> Variable[*AnyShape]",
    "(a: Constant[*AnyShape] | HostArray, b: HostArray, /) -> Constant[*AnyShape]",
    "(a: HostArray, b: Constant[*AnyShape], /) -> Constant[*AnyShape]",
    "(a: Tensor[*AnyShape], b: HostArray, /) -> Tensor[*AnyShape]",
    "(a: HostArray, b: Tensor[*AnyShape], /) -> Tensor[*AnyShape]",
)
"""The matrix products with a host array operand: a run-time shape."""


def _passing(operands: str, result: str) -> str:
    """A two-operand function's signature whose further options pass through (``P``)."""
    return f"({operands}, /, *args: P.args, **kwargs: P.kwargs) -> {result}"


def _descriptor(name: str, bound: str, doc: str) -> Descriptor:
    """The descriptor of the method whose bound type is the generic class ``bound``."""
    return Descriptor(name, DESCRIPTOR, doc, (f"TensorT -> {bound}[TensorT]",))


def _pool_forms(dims: int) -> tuple[Form, Form]:
    """A ``dims``-d pooling's input and output: ``(N, C, *spatial)`` or, unbatched, ``(C,
    *spatial)``; the channels (and the batch) are kept, the spatial sizes known at run time."""
    spatial = ", ".join(["Any"] * dims)
    return (Form(f"N, C, {spatial}", result=f"N, C, {spatial}"),
            Form(f"C, {spatial}", result=f"C, {spatial}"))


POOL_DIMS = (1, 2, 3)
POOL_INDICES = "tuple[{kind}[{result}], Constant[{result}]]"
"""A max pooling's ``(values, indices)``: the indices are a ``Constant`` of the values' shape."""
MAX_POOL_OPTIONS = ("kernel_size: int | Sequence[int], stride: int | Sequence[int] | None = ..., "
                    "padding: int | Sequence[int] = ..., dilation: int | Sequence[int] = ..., "
                    "ceil_mode: bool = ...")
"""The options of ``max_pool1d/2d/3d`` before ``return_indices``."""


def _adaptive_options(dims: int) -> str:
    """The options of ``adaptive_max_pool1d/2d/3d`` before ``return_indices`` (in 2-d and 3-d,
    a ``None`` size keeps the input's)."""
    return f"output_size: int | Sequence[int{'' if dims == 1 else ' | None'}]"


def _max_pool(name: str, dims: int, options: str, doc: str) -> Function:
    """A max pooling with ``return_indices``: the values for ``False`` (the default), the pair
    ``(values, indices)`` for ``True`` (by keyword), either for a ``bool``."""
    forms = _pool_forms(dims)
    pair = POOL_INDICES
    return Function(name, "Protocol", doc, (
        f"(input: Untyped, {options}, return_indices: bool = ...) -> Untyped",
        ForKinds(f"(input: {{kind}}[{{shape}}], {options}, return_indices: Literal[False] = ...) "
                 "-> {kind}[{result}]", forms),
        ForKinds(f"(input: {{kind}}[{{shape}}], {options}, *, return_indices: Literal[True]) -> "
                 f"{pair}", forms),
        ForKinds(f"(input: {{kind}}[{{shape}}], {options}, return_indices: bool = ...) -> "
                 f"{{kind}}[{{result}}] | {pair}", forms)))


def _with_indices(name: str, dims: int, options: str, doc: str) -> Function:
    """A ``..._with_indices`` max pooling: ``(values, indices)`` whatever ``return_indices``
    says."""
    return Function(name, "Protocol", doc, (
        f"(input: Untyped, {options}, return_indices: bool = ...) -> Untyped",
        ForKinds(f"(input: {{kind}}[{{shape}}], {options}, return_indices: bool = ...) -> "
                 f"{POOL_INDICES}", _pool_forms(dims))))


def _pools() -> tuple[Declaration, ...]:
    """PyTorch's pooling functions, for 1-d, 2-d and 3-d inputs, batched or not."""
    declarations: list[Declaration] = []
    for dims in POOL_DIMS:
        layout = ("(N, C, L)", "(N, C, H, W)", "(N, C, D, H, W)")[dims - 1]
        declarations += [
            Function(f"Pool{dims}dFunction", "Protocol[P]",
                     f"``avg_pool{dims}d``, ``lp_pool{dims}d``, ``adaptive_avg_pool{dims}d``: "
                     f"{layout} (or unbatched)\nto the same channels, the spatial sizes known "
                     "at run time; ``input``'s kind.",
                     ("(input: Untyped, *args: P.args, **kwargs: P.kwargs) -> Untyped",
                      ForKinds("(input: {kind}[{shape}], *args: P.args, **kwargs: P.kwargs) -> "
                               "{kind}[{result}]", _pool_forms(dims)))),
            _max_pool(f"MaxPool{dims}dFunction", dims, MAX_POOL_OPTIONS,
                      f"``max_pool{dims}d``: as ``Pool{dims}dFunction``, and ``(values, "
                      "indices)`` with\n``return_indices=True``."),
            _with_indices(f"MaxPool{dims}dWithIndicesFunction", dims, MAX_POOL_OPTIONS,
                          f"``max_pool{dims}d_with_indices``: ``(values, indices)``."),
            _max_pool(f"AdaptiveMaxPool{dims}dFunction", dims, _adaptive_options(dims),
                      f"``adaptive_max_pool{dims}d``: as ``Pool{dims}dFunction``, and "
                      "``(values, indices)``\nwith ``return_indices=True``."),
            _with_indices(f"AdaptiveMaxPool{dims}dWithIndicesFunction", dims,
                          _adaptive_options(dims),
                          f"``adaptive_max_pool{dims}d_with_indices``: ``(values, indices)``."),
        ]
    return tuple(declarations)


DECLARATIONS: tuple[Declaration, ...] = (
    Section("elementwise binary operations: + - * / ** maximum minimum"),
    Bound("_Binary", "Generic[TensorT]",
          "``tensor op other`` bound to a tensor: the kind rule and the typed broadcasts.",
          (ForPairs(BOUND_OPERATION, (*BROADCASTS, HOST_OPERAND), BOUND_PAIRS),)),
    _descriptor("BinaryMethod", "_Binary",
                "An elementwise binary method or operator (``x.add``, ``x + y``)."),
    Descriptor("ReflectedMethod", DESCRIPTOR,
               "A reflected operator with a number on the left (``2 * x``): ``x``'s type.",
               ("TensorT -> Callable[[Scalar], TensorT]",)),
    Function("BinaryFunction", "Protocol[P]",
             "``add``, ``sub``, ``mul``, ``div``, ``pow``, ``maximum``, ``minimum``.",
             (ForPairs(BINARY_OPERATION, BROADCASTS, (("Variable", "Tensor"),)),
              _passing("a: Variable[*AnyShape], b: HostArray", "Variable[*AnyShape]"),
              ForPairs(BINARY_OPERATION, BROADCASTS, (("Tensor", "Variable"),)),
              _passing("a: Scalar, b: Variable[*Shape]", "Variable[*Shape]"),
              _passing("a: HostArray, b: Variable[*AnyShape]", "Variable[*AnyShape]"),
              ForPairs(BINARY_OPERATION, BROADCASTS, (("Constant", "Constant"),)),
              _passing("a: Scalar, b: Constant[*Shape]", "Constant[*Shape]"),
              ForPairs(BINARY_OPERATION, BROADCASTS, (("Tensor", "Tensor"),)),
              _passing("a: Scalar, b: Tensor[*Shape]", "Tensor[*Shape]"),
              _passing("a: Scalar, b: Scalar", "Constant[*NoAxes]"),
              _passing("a: Constant[*AnyShape] | HostArray | Scalar, b: HostArray",
                       "Constant[*AnyShape]"),
              _passing("a: HostArray, b: Constant[*AnyShape] | Scalar", "Constant[*AnyShape]"),
              _passing("a: Tensor[*AnyShape], b: HostArray", "Tensor[*AnyShape]"),
              _passing("a: HostArray, b: Tensor[*AnyShape]", "Tensor[*AnyShape]"))),

    Section("comparisons and logical operators: a Constant mask"),
    Bound("_Comparison", "Protocol[TensorT_co]",
          "``tensor < other`` and the like, bound to a tensor: a ``Constant`` mask.",
          (ForPairs(BOUND_OPERATION, BROADCASTS, (("Tensor", "Tensor"),), "Constant"),
           "(self, other: HostArray) -> Constant[*AnyShape]")),
    _descriptor("ComparisonMethod", "_Comparison",
                "A comparison or logical operator (``<``, ``&``...)."),

    Section("elementwise unary operations"),
    Descriptor("SameTypeMethod", "MethodDescriptor, Protocol[P]",
               "A method whose result has its tensor's type (``exp``, ``astype``...).",
               ("TensorT -> Callable[P, TensorT]",)),
    Function("UnaryFunction", "Protocol", "``exp``, ``log``, ``sin``...: the operand's type.",
             ("(x: TensorT, /) -> TensorT",
              "(x: Scalar, /) -> Constant[*NoAxes]",
              "(x: HostArray, /) -> Constant[*AnyShape]")),
    Function("SameTypeFunction", "Protocol[P]",
             "A function whose result has ``x``'s type (``astype``).",
             ("(x: TensorT, /, *args: P.args, **kwargs: P.kwargs) -> TensorT",)),
    Function("ClipFunction", "Protocol",
             "``clamp(x, min, max)`` (``clip``): ``x``'s type for number bounds, else a "
             "run-time shape\n(NumPy's ``lo=``/``hi=`` keywords are accepted too).",
             ("(x: TensorT, min: Scalar | None = None, max: Scalar | None = None, "
              "**bounds: Scalar | None) -> TensorT",
              "(x: Variable[*AnyShape], min: Bound = None, max: Bound = None, "
              "**bounds: Bound) -> Variable[*AnyShape]",
              "(x: Tensor[*AnyShape], min: Variable[*AnyShape], max: Bound = None, "
              "**bounds: Bound) -> Variable[*AnyShape]",
              "(x: Tensor[*AnyShape], min: Bound, max: Variable[*AnyShape], "
              "**bounds: Bound) -> Variable[*AnyShape]",
              "(x: Tensor[*AnyShape], *, lo: Variable[*AnyShape] | Bound = None, "
              "hi: Variable[*AnyShape]) -> Variable[*AnyShape]",
              "(x: Tensor[*AnyShape], *, lo: Variable[*AnyShape], "
              "hi: Bound = None) -> Variable[*AnyShape]",
              "(x: Constant[*AnyShape], min: ConstantBound = None, max: ConstantBound = None, "
              "**bounds: ConstantBound) -> Constant[*AnyShape]",
              "(x: Tensor[*AnyShape], min: Bound = None, max: Bound = None, "
              "**bounds: Bound) -> Tensor[*AnyShape]")),

    Section("matrix products"),
    Bound("_MatrixProduct", "Generic[TensorT]",
          "``mm`` bound to a tensor: ``[*B, M, K] @ [K, N] -> [*B, M, N]``.",
          (ForPairs(BOUND_OPERATION, (*MATRIX_PRODUCTS, HOST_OPERAND), BOUND_PAIRS),)),
    _descriptor("MatrixProductMethod", "_MatrixProduct", "The method ``mm``."),
    Function("MatrixProductFunction", "Protocol", "The function ``mm``.",
             (ForPairs(FUNCTION_OPERATION, MATRIX_PRODUCTS, FUNCTION_PAIRS),
              *HOST_ARRAY_FUNCTIONS)),
    Bound("_Matmul", "Generic[TensorT]",
          "``matmul`` and ``@`` bound to a tensor: ``[*B, M, K] @ [K, N] -> [*B, M, N]``.",
          (ForPairs(BOUND_OPERATION, (*MATMULS, HOST_OPERAND), BOUND_PAIRS),)),
    _descriptor("MatmulMethod", "_Matmul", "The method ``matmul`` and ``@``."),
    Function("MatmulFunction", "Protocol", "The function ``matmul`` and ``@``.",
             (ForPairs(FUNCTION_OPERATION, MATMULS, FUNCTION_PAIRS), *HOST_ARRAY_FUNCTIONS)),

    Section("reductions"),
    Bound("_Reduction", "Generic[TensorT]",
          "A reduction bound to a tensor: 0-d over every axis, else a run-time shape.",
          (ForKinds(BOUND_FORM, REDUCTIONS),)),
    _descriptor("ReductionMethod", "_Reduction",
                "The method ``sum``, ``mean``, ``max``, ``min``, ``logsumexp``."),
    Function("ReductionFunction", "Protocol",
             "The function ``sum``, ``mean``, ``max``, ``min``, ``logsumexp``.",
             (ForKinds(FUNCTION_FORM, REDUCTIONS),
              "(x: HostArray | Scalar, dim: Axis | None = None, keepdim: bool = False, *, "
              "axis: Axis | None = None, keepdims: bool = False, dtype: Any = None) -> "
              "Constant[*AnyShape]")),
    Bound("_Extremum", "Generic[TensorT]",
          "``max``/``min`` bound to a tensor: 0-d over every axis, ``(values, indices)``\n"
          "along a ``dim``, values over ``axis=``, the elementwise extremum with another tensor.",
          (ForKinds("(self: {kind}[*Shape]) -> {kind}[*NoAxes]"),
           ForKinds("(self: {kind}[*Shape], dim: int, keepdim: bool = False) -> "
                    "ValuesIndices[{kind}[*AnyShape]]"),
           ForKinds("(self: {kind}[*Shape], *, axis: Axis | None = None, "
                    "keepdims: bool = False) -> {kind}[*AnyShape]"),
           "(self: Tensor[*Shape], other: Variable[*AnyShape]) -> Variable[*AnyShape]",
           ForKinds("(self: {kind}[*Shape], other: Constant[*AnyShape] | HostArray | Scalar) -> "
                    "{kind}[*AnyShape]"))),
    _descriptor("ExtremumMethod", "_Extremum", "The methods ``max`` and ``min``."),
    Function("ExtremumFunction", "Protocol",
             "The functions ``max`` and ``min`` (see ``_Extremum``).",
             (ForKinds("(x: {kind}[*AnyShape]) -> {kind}[*NoAxes]"),
              ForKinds("(x: {kind}[*AnyShape], dim: int, keepdim: bool = False) -> "
                       "ValuesIndices[{kind}[*AnyShape]]"),
              ForKinds("(x: {kind}[*AnyShape], *, axis: Axis | None = None, "
                       "keepdims: bool = False) -> {kind}[*AnyShape]"),
              "(x: Tensor[*AnyShape], other: Variable[*AnyShape]) -> Variable[*AnyShape]",
              ForKinds("(x: {kind}[*AnyShape], other: Constant[*AnyShape] | HostArray | Scalar) "
                       "-> {kind}[*AnyShape]"),
              "(x: HostArray | Scalar, *args: Any, **kwargs: Any) -> Constant[*AnyShape]")),
    Bound("_Variance", "Generic[TensorT]",
          "``var`` bound to a tensor: 0-d over every axis, else a run-time shape.",
          (ForKinds(BOUND_FORM, VARIANCES),)),
    _descriptor("VarianceMethod", "_Variance", "The method ``var`` (and ``std``)."),
    Function("VarianceFunction", "Protocol", "The function ``var`` (and ``std``).",
             (ForKinds(FUNCTION_FORM, VARIANCES),
              "(x: HostArray | Scalar, dim: Axis | None = None, *args: Any, **kwargs: Any) -> "
              "Constant[*AnyShape]")),

    Section("shapes"),
    Bound("_Reshape", "Protocol[TensorT_co]",
          "``reshape`` bound to a tensor: the shape given, ``Any`` for a ``-1``.",
          (ForKinds(BOUND_FORM, (*RESHAPES, *RESHAPE_SIZES)),)),
    _descriptor("ReshapeMethod", "_Reshape",
                "The method ``reshape(shape)`` or ``reshape(*sizes)``."),
    Function("ReshapeFunction", "Protocol", "The function ``reshape(x, shape)``.",
             (ForKinds(FUNCTION_FORM, RESHAPES),)),
    Bound("_Transpose", "Generic[TensorT]",
          "``transpose`` bound to a tensor: up to 4 axes reversed, else a run-time shape.",
          (ForKinds("(self: {kind}[{shape}], {options}) -> {kind}[{result}]", TRANSPOSES),)),
    _descriptor("TransposeMethod", "_Transpose", "The method ``transpose(axes=None)``."),
    Function("TransposeFunction", "Protocol", "The function ``transpose(x, axes=None)``.",
             (ForKinds("(x: {kind}[{shape}], {options}) -> {kind}[{result}]", TRANSPOSES),)),
    Descriptor("MatrixTransposeProperty", DESCRIPTOR,
               "``x.T`` and ``x.mT``: the last two axes swapped.",
               (ForKinds("{kind}[*B, M, N] -> {kind}[*B, N, M]"),)),
    Bound("_Flatten", "Generic[TensorT]",
          "``flatten`` bound to a tensor: one axis of run-time size, or the axes ``start_dim`` "
          "to\n``end_dim`` joined (a run-time shape).",
          (ForKinds("(self: {kind}[*Shape]) -> {kind}[Any]"),
           ForKinds("(self: {kind}[*Shape], start_dim: int, end_dim: int = -1) -> "
                    "{kind}[*AnyShape]"))),
    _descriptor("FlattenMethod", "_Flatten", "The method ``flatten(start_dim=0, end_dim=-1)``."),
    Function("FlattenFunction", "Protocol", "The function ``flatten(x)``: one axis.",
             (ForKinds("(x: {kind}[*AnyShape]) -> {kind}[Any]"),
              ForKinds("(x: {kind}[*AnyShape], start_dim: int, end_dim: int = -1) -> "
                       "{kind}[*AnyShape]"))),
    Bound("_Broadcast", "Generic[TensorT]", "``broadcast_to`` bound to a tensor.",
          (ForKinds("(self: {kind}[*Shape], {options}) -> {kind}[{result}]", BROADCASTS_TO),)),
    _descriptor("BroadcastMethod", "_Broadcast", "The method ``broadcast_to(shape)``."),
    Function("BroadcastFunction", "Protocol", "The function ``broadcast_to(x, shape)``.",
             (ForKinds("(x: {kind}[*AnyShape], {options}) -> {kind}[{result}]",
                       BROADCASTS_TO),)),
    Descriptor("RuntimeShapeMethod", "MethodDescriptor, Protocol[P]",
               "A method keeping the kind, with a run-time shape (``squeeze``, indexing).",
               (ForKinds("{kind}[*Shape] -> Callable[P, {kind}[*AnyShape]]"),)),
    Function("RuntimeShapeFunction", "Protocol[P]",
             "A function like ``squeeze(x, axis)``: ``x``'s kind, a run-time shape.",
             ("(x: Untyped, /, *args: P.args, **kwargs: P.kwargs) -> Untyped",
              ForKinds("(x: {kind}[*AnyShape], /, *args: P.args, **kwargs: P.kwargs) -> "
                       "{kind}[*AnyShape]"))),
    Descriptor("RowsMethod", DESCRIPTOR, "``iter(x)``: the sub-tensors along the first axis.",
               (ForKinds("{kind}[N, *Shape] -> Callable[[], Iterator[{kind}[*Shape]]]"),)),
    Function("JoinFunction", "Protocol",
             "``cat``, ``concat`` and ``stack``: the tensors' common kind; a run-time shape.",
             (ForKinds("(tensors: Sequence[{kind}[*AnyShape]], dim: int | None = None, *, "
                       "axis: int | None = None) -> {kind}[*AnyShape]"),)),
    Function("WhereFunction", "Protocol",
             "``where(condition, a, b)``: ``a`` and ``b`` of one shape, or numbers.",
             ("(condition: Tensor[*AnyShape] | HostArray | bool, a: Variable[*Shape], "
              "b: Tensor[*Shape] | Scalar) -> Variable[*Shape]",
              "(condition: Tensor[*AnyShape] | HostArray | bool, a: Tensor[*Shape] | Scalar, "
              "b: Variable[*Shape]) -> Variable[*Shape]",
              "(condition: Tensor[*AnyShape] | HostArray | bool, a: Constant[*Shape], "
              "b: Constant[*Shape] | Scalar) -> Constant[*Shape]",
              "(condition: Tensor[*AnyShape] | HostArray | bool, a: Scalar, "
              "b: Constant[*Shape]) -> Constant[*Shape]",
              "(condition: Tensor[*AnyShape] | HostArray | bool, a: Tensor[*Shape], "
              "b: Tensor[*Shape] | Scalar) -> Tensor[*Shape]",
              "(condition: Tensor[*AnyShape] | HostArray | bool, a: Scalar, "
              "b: Tensor[*Shape]) -> Tensor[*Shape]",
              "(condition: Tensor[*Shape], a: Scalar, b: Scalar) -> Constant[*Shape]",
              "(condition: Tensor[*AnyShape] | HostArray | bool, a: HostArray | Scalar, "
              "b: HostArray | Scalar) -> Constant[*AnyShape]")),


    Section("operations of run-time shape: indices, several results, three operands"),
    Descriptor("IndexMethod", "MethodDescriptor, Protocol[P]",
               "A method giving integer or bool results (``argmax``, ``isnan``...): a "
               "``Constant``.",
               ("Tensor[*Shape] -> Callable[P, Constant[*AnyShape]]",)),
    Function("IndexFunction", "Protocol[P]",
             "A function giving integer or bool results (``argmax``...): a ``Constant``.",
             ("(x: Tensor[*AnyShape] | HostArray | Scalar, /, *args: P.args, "
              "**kwargs: P.kwargs) -> Constant[*AnyShape]",)),
    Descriptor("ValuesIndicesMethod", "MethodDescriptor, Protocol[P]",
               "A method giving values and their indices (``topk``, ``sort``, ``max(dim)``).",
               (ForKinds("{kind}[*Shape] -> Callable[P, ValuesIndices[{kind}[*AnyShape]]]"),)),
    Function("ValuesIndicesFunction", "Protocol[P]",
             "A function giving values of ``x``'s kind and their indices (``topk``...).",
             (ForKinds("(x: {kind}[*AnyShape], /, *args: P.args, **kwargs: P.kwargs) -> "
                       "ValuesIndices[{kind}[*AnyShape]]"),)),
    Descriptor("SplitMethod", "MethodDescriptor, Protocol[P]",
               "A method giving several tensors of its kind (``split``, ``chunk``...).",
               (ForKinds("{kind}[*Shape] -> Callable[P, tuple[{kind}[*AnyShape], ...]]"),)),
    Function("SplitFunction", "Protocol[P]",
             "A function giving several tensors of ``x``'s kind (``split``, ``unbind``...).",
             (ForKinds("(x: {kind}[*AnyShape], /, *args: P.args, **kwargs: P.kwargs) -> "
                       "tuple[{kind}[*AnyShape], ...]"),)),
    Function("TernaryFunction", "Protocol[P]",
             "``lerp``, ``addcmul``, ``addmm``...: a ``Variable`` when any operand is one;\n"
             "a run-time shape.",
             ("(a: Variable[*AnyShape], b: Operand, c: Operand, /, *args: P.args, "
              "**kwargs: P.kwargs) -> Variable[*AnyShape]",
              "(a: Operand, b: Variable[*AnyShape], c: Operand, /, *args: P.args, "
              "**kwargs: P.kwargs) -> Variable[*AnyShape]",
              "(a: Operand, b: Operand, c: Variable[*AnyShape], /, *args: P.args, "
              "**kwargs: P.kwargs) -> Variable[*AnyShape]",
              "(a: ConstantOperand, b: ConstantOperand, c: ConstantOperand, /, *args: P.args, "
              "**kwargs: P.kwargs) -> Constant[*AnyShape]",
              "(a: Operand, b: Operand, c: Operand, /, *args: P.args, **kwargs: P.kwargs) -> "
              "Tensor[*AnyShape]")),
    Function("MixedFunction", "Protocol[P]",
             "A function of two operands of any shapes (``outer``, ``cdist``...): a "
             "``Variable``\nwhen either is one; a run-time shape.",
             ("(a: Untyped, b: Any, /, *args: P.args, **kwargs: P.kwargs) -> Untyped",
              "(a: Operand, b: Untyped, /, *args: P.args, **kwargs: P.kwargs) -> Untyped",
              "(a: Variable[*AnyShape], b: Operand, /, *args: P.args, **kwargs: P.kwargs) -> "
              "Variable[*AnyShape]",
              "(a: Operand, b: Variable[*AnyShape], /, *args: P.args, **kwargs: P.kwargs) -> "
              "Variable[*AnyShape]",
              "(a: ConstantOperand, b: ConstantOperand, /, *args: P.args, **kwargs: P.kwargs) "
              "-> Constant[*AnyShape]",
              "(a: Operand, b: Operand, /, *args: P.args, **kwargs: P.kwargs) -> "
              "Tensor[*AnyShape]")),
    Function("ManyFunction", "Protocol[P]",
             "A function of a sequence of tensors (``cat``, ``einsum``'s operands, "
             "``block_diag``...):\na ``Variable`` when any is one; a run-time shape.",
             ("(tensors: Sequence[Constant[*AnyShape]], /, *args: P.args, "
              "**kwargs: P.kwargs) -> Constant[*AnyShape]",
              "(tensors: Sequence[Tensor[*AnyShape]], /, *args: P.args, "
              "**kwargs: P.kwargs) -> Tensor[*AnyShape]")),

    Bound("_Mixed", "Generic[TensorT]",
          "A method of two operands of any shapes bound to a tensor (``x.outer(y)``): a "
          "``Variable``\nwhen either is one; a run-time shape.",
          ("(self: Variable[*Shape], other: Operand, /, *args: Any, **kwargs: Any) -> "
           "Variable[*AnyShape]",
           "(self: Constant[*Shape], other: Variable[*AnyShape], /, *args: Any, **kwargs: Any) -> "
           "Variable[*AnyShape]",
           "(self: Tensor[*Shape], other: Variable[*AnyShape], /, *args: Any, **kwargs: Any) -> "
           "Variable[*AnyShape]",
           "(self: Constant[*Shape], other: ConstantOperand, /, *args: Any, **kwargs: Any) -> "
           "Constant[*AnyShape]",
           "(self: Tensor[*Shape], other: Operand, /, *args: Any, **kwargs: Any) -> "
           "Tensor[*AnyShape]")),
    _descriptor("MixedMethod", "_Mixed", "A method of two operands of any shapes."),
    Bound("_Ternary", "Generic[TensorT]",
          "A method of three operands bound to a tensor (``x.addmm(a, b)``, ``x.lerp(y, w)``,\n"
          "``x.clamp(lo, hi)``): a ``Variable`` when any is one; a run-time shape.",
          ("(self: Variable[*Shape], b: Operand | None = ..., c: Operand | None = ..., /, "
           "*args: Any, **kwargs: Any) -> Variable[*AnyShape]",
           "(self: Constant[*Shape], b: Variable[*AnyShape], c: Operand | None = ..., /, "
           "*args: Any, **kwargs: Any) -> Variable[*AnyShape]",
           "(self: Tensor[*Shape], b: Variable[*AnyShape], c: Operand | None = ..., /, "
           "*args: Any, **kwargs: Any) -> Variable[*AnyShape]",
           "(self: Constant[*Shape], b: Operand | None, c: Variable[*AnyShape], /, *args: Any, "
           "**kwargs: Any) -> Variable[*AnyShape]",
           "(self: Tensor[*Shape], b: Operand | None, c: Variable[*AnyShape], /, *args: Any, "
           "**kwargs: Any) -> Variable[*AnyShape]",
           "(self: Constant[*Shape], b: ConstantOperand | None = ..., "
           "c: ConstantOperand | None = ..., /, *args: Any, **kwargs: Any) -> "
           "Constant[*AnyShape]",
           "(self: Tensor[*Shape], b: Operand | None = ..., c: Operand | None = ..., /, "
           "*args: Any, **kwargs: Any) -> Tensor[*AnyShape]")),
    _descriptor("TernaryMethod", "_Ternary", "A method of three operands."),
    Bound("_Scatter", "Generic[TensorT]",
          "``x.scatter_add(dim, index, src)`` and the like bound to a tensor: ``x``'s shape, a\n"
          "``Variable`` when ``x`` or ``src`` is one.",
          ("(self: Variable[*Shape], dim: int, index: Any, src: Operand, /, *args: Any, "
           "**kwargs: Any) -> Variable[*Shape]",
           "(self: Constant[*Shape], dim: int, index: Any, src: Variable[*AnyShape], /, "
           "*args: Any, **kwargs: Any) -> Variable[*Shape]",
           "(self: Tensor[*Shape], dim: int, index: Any, src: Variable[*AnyShape], /, "
           "*args: Any, **kwargs: Any) -> Variable[*Shape]",
           "(self: Constant[*Shape], dim: int, index: Any, src: ConstantOperand = ..., /, "
           "*args: Any, **kwargs: Any) -> Constant[*Shape]",
           "(self: Tensor[*Shape], dim: int, index: Any, src: Operand = ..., /, *args: Any, "
           "**kwargs: Any) -> Tensor[*Shape]")),
    _descriptor("ScatterMethod", "_Scatter",
                "``scatter``, ``scatter_add``, ``index_add``... as methods."),
    Function("ScatterFunction", "Protocol",
             "``scatter(x, dim, index, src)``, ``index_add``...: ``x``'s shape, a ``Variable`` "
             "when\n``x`` or ``src`` is one.",
             ("(x: Variable[*Shape], dim: int, index: Any, src: Operand = ..., /, *args: Any, "
              "**kwargs: Any) -> Variable[*Shape]",
              "(x: Tensor[*Shape], dim: int, index: Any, src: Variable[*AnyShape], /, "
              "*args: Any, **kwargs: Any) -> Variable[*Shape]",
              "(x: Constant[*Shape], dim: int, index: Any, src: ConstantOperand = ..., /, "
              "*args: Any, **kwargs: Any) -> Constant[*Shape]",
              "(x: Tensor[*Shape], dim: int, index: Any, src: Operand = ..., /, *args: Any, "
              "**kwargs: Any) -> Tensor[*Shape]")),
    Bound("_Fill", "Generic[TensorT]",
          "``x.masked_fill(mask, value)``, ``x.put(index, source)``... bound to a tensor: "
          "``x``'s\nshape, a ``Variable`` when ``x`` or the values are one.",
          ("(self: Variable[*Shape], where: Any, values: Operand, /, *args: Any, "
           "**kwargs: Any) -> Variable[*Shape]",
           "(self: Tensor[*Shape], where: Any, values: Variable[*AnyShape], /, *args: Any, "
           "**kwargs: Any) -> Variable[*Shape]",
           "(self: Constant[*Shape], where: Any, values: ConstantOperand, /, *args: Any, "
           "**kwargs: Any) -> Constant[*Shape]",
           "(self: Tensor[*Shape], where: Any, values: Operand, /, *args: Any, "
           "**kwargs: Any) -> Tensor[*Shape]")),
    _descriptor("FillMethod", "_Fill",
                "``masked_fill``, ``masked_scatter``, ``put``... as methods."),
    Function("FillFunction", "Protocol",
             "``masked_fill(x, mask, value)``, ``put``, ``index_put``...: ``x``'s shape, a "
             "``Variable``\nwhen ``x`` or the values are one.",
             ("(x: Variable[*Shape], where: Any, values: Operand, /, *args: Any, "
              "**kwargs: Any) -> Variable[*Shape]",
              "(x: Tensor[*Shape], where: Any, values: Variable[*AnyShape], /, *args: Any, "
              "**kwargs: Any) -> Variable[*Shape]",
              "(x: Constant[*Shape], where: Any, values: ConstantOperand, /, *args: Any, "
              "**kwargs: Any) -> Constant[*Shape]",
              "(x: Tensor[*Shape], where: Any, values: Operand, /, *args: Any, "
              "**kwargs: Any) -> Tensor[*Shape]")),
    Function("EinsumFunction", "Protocol",
             "``einsum(equation, *operands)`` (or a list of operands): a ``Variable`` when "
             "any\nis one.",
             ("(equation: str, a: Variable[*AnyShape], /, *operands: Operand) -> "
              "Variable[*AnyShape]",
              "(equation: str, a: Operand, b: Variable[*AnyShape], /, *operands: Operand) -> "
              "Variable[*AnyShape]",
              "(equation: str, a: Operand, b: Operand, c: Variable[*AnyShape], /, "
              "*operands: Operand) -> Variable[*AnyShape]",
              "(equation: str, /, *operands: ConstantOperand) -> Constant[*AnyShape]",
              "(equation: str, operands: Sequence[Constant[*AnyShape]], /) -> "
              "Constant[*AnyShape]",
              "(equation: str, /, *operands: Operand) -> Tensor[*AnyShape]",
              "(equation: str, operands: Sequence[Tensor[*AnyShape]], /) -> Tensor[*AnyShape]",
              "(operands: Sequence[Tensor[*AnyShape]], equation: str, /) -> "
              "Tensor[*AnyShape]")),

    Function("PredicateFunction", "Protocol[P]",
             "A question about tensors answered by a Python ``bool`` (``allclose``, "
             "``equal``).",
             ("(a: Operand, b: Operand, /, *args: P.args, **kwargs: P.kwargs) -> bool",)),
    Descriptor("PredicateMethod", "MethodDescriptor, Protocol[P]",
               "A method answering with a Python ``bool`` (``x.allclose(y)``, ``x.equal(y)``).",
               ("Tensor[*Shape] -> Callable[P, bool]",)),

    Section("modules (mu.nn)"),
    Text('''class HasForward(Protocol[Forward_co]):
    """Anything with a ``forward``: a module."""

    @property
    def forward(self) -> Forward_co: ...'''),
    Descriptor("ForwardCall", DESCRIPTOR,
               "``Module.__call__`` typed as each module's own ``forward``: ``layer(x)`` is "
               "checked like\n``layer.forward(x)``, so shapes flow through layers.",
               ("HasForward[Callable[P, Forward]] -> Callable[P, Forward]",)),

    Section("mu.nn functions: activations, functional layers, losses"),
    Function("ActivationFunction", "Protocol[P]",
             "An activation (``relu``, ``softmax(input, dim)``...) or ``dropout``: the "
             "operand's kind\nand shape; a number gives a 0-d ``Constant``. The operand is "
             "PyTorch's ``input``, also\nby keyword (``F.relu(input=x)``).",
             ("(input: TensorT, *args: P.args, **kwargs: P.kwargs) -> TensorT",
              "(input: Scalar, *args: P.args, **kwargs: P.kwargs) -> Constant[*NoAxes]",
              "(input: HostArray, *args: P.args, **kwargs: P.kwargs) -> Constant[*AnyShape]")),
    Function("BatchFlattenFunction", "Protocol",
             "``mu.nn.ops.flatten(x)``: the first axis kept, the others joined into one axis "
             "whose\nsize (a product) is known only at run time.",
             ("(x: Untyped) -> Untyped", ForKinds("(x: {kind}[N, *Shape]) -> {kind}[N, Any]"))),
    Function("PoolFunction", "Protocol[P]",
             "``maxpool2d``, ``avgpool2d``: ``(N, C, H, W)`` to ``(N, C, Ho, Wo)``, the output "
             "size\nknown only at run time; ``x``'s kind.",
             ("(x: Untyped, /, *args: P.args, **kwargs: P.kwargs) -> Untyped",
              ForKinds("(x: {kind}[N, C, Any, Any], /, *args: P.args, "
                                "**kwargs: P.kwargs) -> {kind}[N, C, Any, Any]"))),
    *_pools(),
    Text('''Reduced: TypeAlias = Literal["mean", "sum"]
"""A ``reduction`` to one number: the loss is 0-d."""
Unreduced: TypeAlias = Literal["none"]
"""``reduction="none"``: one loss per element (per sample for the class losses)."""'''),
    Function("LossFunction", "Protocol[P]",
             "``mse``, ``l1``, ``huber``, ``binary_cross_entropy``, ``bce_with_logits``,\n"
             "``kl_div``: a target of the input's shape (or a host array). The result is 0-d "
             "for\n``\"mean\"`` and ``\"sum\"``, of the input's shape for ``\"none\"``, and of "
             "run-time shape when\nthe reduction is not a literal or other options are given; "
             "a ``Variable`` when either\noperand is one.",
             ("(x: Untyped, target: Any, /, *args: P.args, **kwargs: P.kwargs) -> Untyped",
              ForPairs("(x: {first}, target: {other}, /, {options}) -> {result}", LOSSES,
                       FUNCTION_PAIRS))),
    Text('''ClassIndices: TypeAlias = "Constant[N, *Rest] | HostArray"
"""Integer class indices for an ``(N, C, *Rest)`` input: ``(N, *Rest)``."""'''),
    Function("NllFunction", "Protocol",
             "``nll(log_probs, target)``: integer class indices, ``(N, C, *Rest)`` with\n"
             "``(N, *Rest)`` (``(C,)`` with a 0-d target). The result has the input's kind: "
             "0-d for\n``\"mean\"`` and ``\"sum\"``, the target's shape for ``\"none\"``. (The "
             "``[*B, C]`` forms\nmatch inputs whose leading axes are known only at run time, "
             "such as a ``Linear``'s\noutput for an input of run-time shape, "
             "``[*tuple[Any, ...], C]``.)",
             ("(x: Untyped, target: Any, reduction: str = ..., ignore_index: int = ...) -> "
              "Untyped",
              ForKinds(CLASS_INDEX_FORM, CLASS_INDICES))),
    Function("CrossEntropyFunction", "Protocol",
             "``cross_entropy(logits, target)``: as ``nll``, or a floating target of the "
             "logits'\nshape (class probabilities).",
             ("(x: Untyped, target: Any, reduction: str = ..., ignore_index: int = ...) -> "
              "Untyped",
              ForKinds(CLASS_INDEX_FORM, CLASS_INDICES),
              Comment("class probabilities: a floating target of the logits' shape"),
              ForPairs("(x: {first}, target: {other}, {options}, ignore_index: int = ...) -> "
                       "{result}", CLASS_PROBABILITIES, FUNCTION_PAIRS))),
)
"""The declarations of ``_typing.py``, for the checkers only (inside ``if TYPE_CHECKING:``)."""

ANY_CALLABLE = "Callable[..., object]"
SELF_AND = "Callable[Concatenate[Any, P], Any]"
"""A callable whose parameters after the tensor are kept (``ParamSpec``)."""


def _method(name: str, returns: str, doc: str, takes: str = ANY_CALLABLE) -> Decorator:
    return Decorator(name, f"method: {takes}", returns, doc)


def _function(name: str, returns: str, doc: str, takes: str = ANY_CALLABLE) -> Decorator:
    return Decorator(name, f"function: {takes}", returns, doc)


DECORATORS = (
    _method("binary_method", "BinaryMethod",
            "Type an elementwise binary method or operator (``add``, ``__add__``...)."),
    _method("reflected_method", "ReflectedMethod",
            "Type a reflected operator (``__radd__``...): a number on the left."),
    _method("comparison_method", "ComparisonMethod",
            "Type a comparison or logical operator: a ``Constant`` mask."),
    _method("matrix_product_method", "MatrixProductMethod", "Type the method ``mm``."),
    _method("matmul_method", "MatmulMethod", "Type the method ``matmul`` and the operator ``@``."),
    _method("reduction_method", "ReductionMethod",
            "Type a reduction method (``sum``, ``mean``...)."),
    _method("extremum_method", "ExtremumMethod", "Type the methods ``max`` and ``min``."),
    _function("extremum_function", "ExtremumFunction", "Type the functions ``max`` and ``min``."),
    _method("variance_method", "VarianceMethod", "Type the method ``var``."),
    _method("reshape_method", "ReshapeMethod", "Type the method ``reshape``."),
    _method("transpose_method", "TransposeMethod", "Type the method ``transpose``."),
    Decorator("matrix_transpose_property", "getter: Callable[[Any], Any]",
              "MatrixTransposeProperty",
              "A property (``.T``, ``.mT``) typed as the matrix transpose.", "property(getter)"),
    _method("flatten_method", "FlattenMethod", "Type the method ``flatten``."),
    _method("broadcast_method", "BroadcastMethod", "Type the method ``broadcast_to``."),
    _method("runtime_shape_method", "RuntimeShapeMethod[P]",
            "Type a method whose result keeps the kind and has a shape known only at run time.",
            SELF_AND),
    _method("same_type_method", "SameTypeMethod[P]",
            "Type a method whose result has its tensor's kind and shape (``exp``, ``astype``...).",
            SELF_AND),
    _method("rows_method", "RowsMethod",
            "Type ``__iter__``: the sub-tensors along the first axis."),
    _function("binary_function", "BinaryFunction[P]",
              "Type an elementwise binary function (``add``, ``maximum``...).",
              "Callable[Concatenate[Any, Any, P], Any]"),
    _function("unary_function", "UnaryFunction",
              "Type an elementwise unary function (``exp``, ``sin``...)."),
    _function("matrix_product_function", "MatrixProductFunction", "Type the function ``mm``."),
    _function("matmul_function", "MatmulFunction", "Type the function ``matmul``."),
    _function("reduction_function", "ReductionFunction",
              "Type a reduction function (``sum``, ``mean``...)."),
    _function("variance_function", "VarianceFunction", "Type the function ``var``."),
    _function("reshape_function", "ReshapeFunction", "Type the function ``reshape``."),
    _function("transpose_function", "TransposeFunction", "Type the function ``transpose``."),
    _function("flatten_function", "FlattenFunction", "Type the function ``flatten``."),
    _function("broadcast_function", "BroadcastFunction", "Type the function ``broadcast_to``."),
    _function("runtime_shape_function", "RuntimeShapeFunction[P]",
              "Type a function whose result keeps ``x``'s kind and has a run-time shape.",
              SELF_AND),
    _function("same_type_function", "SameTypeFunction[P]",
              "Type a function whose result has ``x``'s kind and shape (``astype``).", SELF_AND),
    _function("clip_function", "ClipFunction", "Type the function ``clip``."),
    _function("join_function", "JoinFunction", "Type ``concat`` and ``stack``."),
    _function("where_function", "WhereFunction", "Type the function ``where``."),
    _method("index_method", "IndexMethod[P]",
            "Type a method giving integer or bool results: a ``Constant``.", SELF_AND),
    _function("index_function", "IndexFunction[P]",
              "Type a function giving integer or bool results: a ``Constant``.", SELF_AND),
    _method("values_indices_method", "ValuesIndicesMethod[P]",
            "Type a method giving ``(values, indices)``.", SELF_AND),
    _function("values_indices_function", "ValuesIndicesFunction[P]",
              "Type a function giving ``(values, indices)``.", SELF_AND),
    _method("split_method", "SplitMethod[P]",
            "Type a method giving a tuple of tensors of its kind.", SELF_AND),
    _function("split_function", "SplitFunction[P]",
              "Type a function giving a tuple of tensors of ``x``'s kind.", SELF_AND),
    _function("ternary_function", "TernaryFunction[P]",
              "Type a function of three operands: a ``Variable`` when any is one.",
              "Callable[Concatenate[Any, Any, Any, P], Any]"),
    _function("mixed_function", "MixedFunction[P]",
              "Type a function of two operands of any shapes: a ``Variable`` when either is "
              "one.", "Callable[Concatenate[Any, Any, P], Any]"),
    _function("many_function", "ManyFunction[P]",
              "Type a function of a sequence of tensors.", SELF_AND),
    _method("mixed_method", "MixedMethod",
            "Type a method of two operands of any shapes: a ``Variable`` when either is one."),
    _method("ternary_method", "TernaryMethod",
            "Type a method of three operands: a ``Variable`` when any is one."),
    _method("scatter_method", "ScatterMethod",
            "Type ``x.scatter(dim, index, src)`` and the like: ``x``'s shape."),
    _function("scatter_function", "ScatterFunction",
              "Type ``scatter(x, dim, index, src)`` and the like: ``x``'s shape."),
    _method("fill_method", "FillMethod",
            "Type ``x.masked_fill(mask, value)`` and the like: ``x``'s shape."),
    _function("fill_function", "FillFunction",
              "Type ``masked_fill(x, mask, value)`` and the like: ``x``'s shape."),
    _function("einsum_function", "EinsumFunction", "Type ``einsum``."),
    _function("predicate_function", "PredicateFunction[P]",
              "Type a function answering with a Python ``bool``.",
              "Callable[Concatenate[Any, Any, P], Any]"),
    _method("predicate_method", "PredicateMethod[P]",
            "Type a method answering with a Python ``bool``.", SELF_AND),
    _method("forward_call", "ForwardCall",
            "Type ``Module.__call__`` as each module's ``forward`` (see ``ForwardCall``)."),
    _function("activation_function", "ActivationFunction[P]",
              "Type an activation (or ``dropout``): the result has ``x``'s kind and shape.",
              SELF_AND),
    _function("batch_flatten_function", "BatchFlattenFunction",
              "Type ``mu.nn.ops.flatten``: the first axis kept, the rest joined."),
    _function("pool_function", "PoolFunction[P]",
              "Type a 2-D pooling function: ``(N, C, H, W)`` to ``(N, C, run-time, run-time)``.",
              SELF_AND),
    *(decorator for dims in POOL_DIMS for decorator in (
        _function(f"pool{dims}d_function", f"Pool{dims}dFunction[P]",
                  f"Type a {dims}-d pooling: the channels (and the batch) kept.", SELF_AND),
        _function(f"max_pool{dims}d_function", f"MaxPool{dims}dFunction",
                  f"Type ``max_pool{dims}d``: the values, or ``(values, indices)``."),
        _function(f"max_pool{dims}d_with_indices_function", f"MaxPool{dims}dWithIndicesFunction",
                  f"Type ``max_pool{dims}d_with_indices``: ``(values, indices)``."),
        _function(f"adaptive_max_pool{dims}d_function", f"AdaptiveMaxPool{dims}dFunction",
                  f"Type ``adaptive_max_pool{dims}d``: the values, or ``(values, indices)``."),
        _function(f"adaptive_max_pool{dims}d_with_indices_function",
                  f"AdaptiveMaxPool{dims}dWithIndicesFunction",
                  f"Type ``adaptive_max_pool{dims}d_with_indices``: ``(values, indices)``."))),
    _function("loss_function", "LossFunction[P]", "Type a loss whose target has the input's shape.",
              "Callable[Concatenate[Any, Any, P], Any]"),
    _function("nll_function", "NllFunction", "Type ``nll``: integer class indices."),
    _function("cross_entropy_function", "CrossEntropyFunction",
              "Type ``cross_entropy``: class indices or class probabilities."),
)
"""The decorators, in order: each returns its argument, typed for the checkers."""
