"""The typing rules of mushin as data: how kinds and shapes flow through the operations.

``generate.py`` expands these tables, through the declarations of ``catalogue.py``, into the
overloads of ``src/mushin/_typing.py``. Shapes are written as they go inside the brackets of a
tensor type (``"*B, M, N"`` is ``Tensor[*B, M, N]``); ``*Shape`` and ``*B`` are any axes,
``*NoAxes`` a 0-d tensor and ``*AnyShape`` a shape known only at run time.

Order matters: mypy and pyright take the first overload that matches, so each table lists the
narrower forms first, and the generated file keeps every order given here.
"""

from __future__ import annotations

from typing import NamedTuple

# --- the kind rule (docs/api.md#the-kind-rule) -----------------------------------------

KINDS = ("Variable", "Constant", "Tensor")
"""The kinds of tensor, narrowest first: ``Variable`` and ``Constant`` are disjoint ``Tensor``
subclasses, and ``Tensor`` is either."""


def result_kind(first: str, other: str) -> str:
    """The kind of an operation's result: a ``Variable`` when either operand is one, a
    ``Constant`` when both are, else (a ``Tensor`` that may be either) a ``Tensor``."""
    if "Variable" in (first, other):
        return "Variable"
    return "Constant" if first == other == "Constant" else "Tensor"


def takes_numbers(first: str, other: str) -> bool:
    """Whether the overloads for operands of kinds ``(first, other)`` also take a number or a
    host array as ``other``. Those count as ``Constant`` operands: they may stand where ``other``
    may be a ``Constant`` and a ``Constant`` there gives the same result."""
    return other != "Variable" and result_kind(first, "Constant") == result_kind(first, other)


BOUND_PAIRS = (("Variable", "Tensor"), ("Constant", "Constant"), ("Constant", "Variable"),
               ("Constant", "Tensor"), ("Tensor", "Variable"), ("Tensor", "Tensor"))
"""The kind pairs of a method's overloads (``x.add(y)``), in order: the tensor ``x`` is bound
first, so the pairs go by its kind, each narrowest first."""

FUNCTION_PAIRS = (("Variable", "Tensor"), ("Tensor", "Variable"), ("Constant", "Constant"),
                  ("Tensor", "Tensor"))
"""The kind pairs of a two-operand function's overloads (``add(x, y)``, a loss), in order: a
``Variable`` on either side, then two ``Constant`` operands, then any."""

# --- shape patterns of two operands -----------------------------------------------------------

NUMBER = "Scalar"
"""In ``Pattern.other``: a number may stand for the other operand (where the kinds allow)."""
HOST_ARRAY = "HostArray"
"""In ``Pattern.other``: a host array may stand for the other operand (where the kinds allow)."""


class Pattern(NamedTuple):
    """Two operands' shapes and the result's shape: ``other`` lists the alternatives the second
    operand may take (shapes, ``NUMBER``, ``HOST_ARRAY``), ``options`` the further parameters."""

    first: str
    other: tuple[str, ...]
    result: str
    options: str = ""


BROADCASTS = (
    Pattern("*Shape", ("*Shape", "*NoAxes", NUMBER), "*Shape"),  # equal shapes; a 0-d other
    Pattern("*B, N", ("N", "*B, One"), "*B, N"),  # a trailing vector; a column of size-1 axes
    Pattern("*NoAxes", ("*B",), "*B"),  # a 0-d first operand
    Pattern("N", ("*B, N",), "*B, N"),  # a vector first
    Pattern("*B, M, N", ("M, N", "One, N"), "*B, M, N"),  # a trailing matrix; a row
    Pattern("M, N", ("*B, M, N",), "*B, M, N"),  # a matrix first
    Pattern("One, N", ("*B, M, N",), "*B, M, N"),  # a row first
    Pattern("*B, One", ("*B, N",), "*B, N"),  # a column first
    Pattern("*B, K, M, N", ("K, M, N",), "*B, K, M, N"),  # a trailing 3-d block
    Pattern("K, M, N", ("*B, K, M, N",), "*B, K, M, N"),  # a 3-d block first
)
"""The broadcasts typed for elementwise operations, each in both orders; others are valid at
run time but type errors when the shapes are annotated."""

HOST_OPERAND = Pattern("*Shape", (HOST_ARRAY,), "*AnyShape")
"""A host array as the other operand of a method: its shape, so the result's, is not known."""

MATRIX_PRODUCTS = (
    Pattern("*B, M, K", ("K, N",), "*B, M, N"),
    Pattern("*B, M, K", ("*B, K, N",), "*B, M, N"),  # batched, equal leading axes
    Pattern("M, K", ("*B, K, N",), "*B, M, N"),
)
"""``mm``: ``[*B, M, K] @ [K, N] -> [*B, M, N]``, and batched."""

MATMULS = (
    Pattern("*B, K", ("K, N",), "*B, N"),
    *MATRIX_PRODUCTS[1:],
    Pattern("*B, M, K", ("K",), "*B, M"),  # matrix @ vector
    Pattern("K", ("*B, K, N",), "*B, N"),  # vector @ matrix
    Pattern("K", ("K",), "*NoAxes"),  # vector @ vector
)
"""``matmul`` and ``@``: as ``mm``, its first operand's leading axes any, and vectors."""

LOSSES = (
    Pattern("*Shape", ("*Shape", HOST_ARRAY), "*NoAxes", "reduction: Reduced = ..."),
    Pattern("*Shape", ("*Shape", HOST_ARRAY), "*Shape", "reduction: Unreduced"),
    Pattern("*Shape", ("*Shape", HOST_ARRAY), "*AnyShape", "*args: P.args, **kwargs: P.kwargs"),
)
"""A loss of an input and a target of its shape: 0-d for ``"mean"`` and ``"sum"``, the input's
shape for ``"none"``, a run-time shape for a reduction that is not a literal or other options."""

CLASS_PROBABILITIES = (
    Pattern("*Shape", ("*Shape",), "*NoAxes", "reduction: Reduced = ..."),
    Pattern("N, C, *Rest", ("N, C, *Rest",), "N, *Rest", "reduction: Unreduced"),
    Pattern("*Shape", ("*Shape",), "*AnyShape", "reduction: str = ..."),
)
"""``cross_entropy`` with a floating target of the logits' shape (class probabilities)."""

# --- forms of one operand ---------------------------------------------------------------------


class Form(NamedTuple):
    """One operand's form: its ``shape``, the further parameters, the result's shape."""

    shape: str = ""
    options: str = ""
    result: str = ""


REDUCTIONS = (
    Form(options="dim: None = None, keepdim: Literal[False] = False, *, axis: None = None, "
                 "keepdims: Literal[False] = False, dtype: Any = None", result="*NoAxes"),
    Form(options="dim: Axis | None = None, keepdim: bool = False, *, axis: Axis | None = None, "
                 "keepdims: bool = False, dtype: Any = None", result="*AnyShape"),
)
"""A reduction: 0-d over every axis, else a run-time shape. PyTorch's ``dim``/``keepdim`` and
NumPy's ``axis``/``keepdims`` are both accepted."""

VARIANCES = (
    Form(options="dim: None = None, *, correction: float | None = None, "
                 "unbiased: bool | None = None, ddof: float | None = None, "
                 "keepdim: Literal[False] = False, axis: None = None, "
                 "keepdims: Literal[False] = False", result="*NoAxes"),
    Form(options="dim: Axis | bool | None = None, *args: Any, correction: float | None = None, "
                 "unbiased: bool | None = None, ddof: float | None = None, "
                 "keepdim: bool = False, axis: Axis | None = None, keepdims: bool = False",
         result="*AnyShape"),
)
"""``var``/``std``: PyTorch's ``correction`` (and ``unbiased``), NumPy's ``ddof``."""

RESHAPES = (
    Form(options="shape: tuple[Literal[-1]], /", result="Any"),
    Form(options="shape: tuple[Literal[-1], N], /", result="Any, N"),
    Form(options="shape: tuple[N, Literal[-1]], /", result="N, Any"),
    Form(options="shape: tuple[*Target], /", result="*Target"),
    Form(options="shape: list[int], /", result="*AnyShape"),
)
"""``reshape(shape)``: the shape given, ``Any`` for a ``-1``."""

RESHAPE_SIZES = (
    Form(options="size: Literal[-1], /", result="Any"),
    Form(options="first: Literal[-1], second: N, /", result="Any, N"),
    Form(options="first: N, second: Literal[-1], /", result="N, Any"),
    Form(options="*shape: *Target", result="*Target"),
)
"""The method's other spelling, ``reshape(*sizes)``."""

TRANSPOSES = (
    Form("M, N", "axes: None = None", "N, M"),
    Form("K, M, N", "axes: None = None", "N, M, K"),
    Form("J, K, M, N", "axes: None = None", "N, M, K, J"),
    Form("N", "axes: None = None", "N"),
    Form("*Shape", "axes: Sequence[int] | None = None", "*AnyShape"),
    Form("*Shape", "dim0: int, dim1: int, /", "*AnyShape"),
    Form("*Shape", "*, axes: Sequence[int] | None = None", "*AnyShape"),
)
"""``transpose``: up to 4 axes reversed, else a run-time shape."""

BROADCASTS_TO = (
    Form(options="shape: tuple[*Target]", result="*Target"),
    Form(options="shape: list[int]", result="*AnyShape"),
)
"""``broadcast_to(shape)``: the shape given."""

CLASS_INDICES = (
    Form("N, C, *Rest", "target: ClassIndices[N, *Rest], reduction: Reduced = ...", "*NoAxes"),
    Form("N, C, *Rest", "target: ClassIndices[N, *Rest], reduction: Unreduced", "N, *Rest"),
    Form("*B, C", "target: Constant[*B] | HostArray, reduction: Reduced = ...", "*NoAxes"),
    Form("*B, C", "target: Constant[*B] | HostArray, reduction: Unreduced", "*B"),
    Form("N, C, *Rest", "target: ClassIndices[N, *Rest], reduction: str = ...", "*AnyShape"),
    Form("*B, C", "target: Constant[*B] | HostArray, reduction: str = ...", "*AnyShape"),
)
"""``nll`` and ``cross_entropy`` with integer class indices: ``(N, C, *Rest)`` with
``(N, *Rest)``, or ``[*B, C]`` with ``[*B]`` (leading axes known only at run time)."""
