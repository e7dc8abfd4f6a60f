"""The hand-written head of ``src/mushin/_typing.py``: the checkers' settings, the module
docstring explaining the scheme, the imports, and the type variables and aliases the generated
declarations use. ``generate.py`` writes it after the generated-file notice."""

PRELUDE = '''# pyright: reportOverlappingOverload=false
# (Like mypy's, pyright's overload consistency check compares the shape parameters one parameter
# at a time and calls overloads that do match at call sites unreachable; tests/typing checks
# every overload where it is used instead.)
"""Static types of the operations: how kinds and shapes flow, for mypy and pyright.

A tensor's type names its kind and its shape, ``Variable[L[32], L[784]]``; a size known only
at run time is ``Any``, and a bare ``Variable`` (``Variable[*tuple[Any, ...]]``) is a tensor
whose whole shape is known only at run time. The rules are those of docs/api.md: the result of an
operation is a ``Variable`` when any operand is one, a ``Constant`` when every operand is a
``Constant`` (or a number or host array), and its shape is the operands' common shape for the
broadcasts typed here:

- equal shapes, a number or a 0-d operand, a trailing vector (``[*B, N] + [N]``), a trailing
  matrix or 3-d block (``[*B, M, N] + [M, N]``), a row (``[*B, M, N] + [1, N]``) or a column
  (``[*B, N] + [*B, 1]``) of size-1 axes, each in both orders;
- ``[*B, M, K] @ [K, N] -> [*B, M, N]``, batched with equal leading axes, and vectors for
  ``matmul``;
- a reduction over every axis is 0-d; over some axes its shape is known only at run time.

Other broadcasts are valid at run time but are type errors when the shapes are annotated.

Python's type system cannot say "the same kind of tensor with another shape", so a method
whose result keeps its tensor's kind but changes its shape is typed as a *descriptor*: the
decorators at the end of this module return the function they are given, unchanged, and tell
the checkers that ``x.add`` on a tensor of type ``T`` is a ``_Binary[T]``, a callable whose
overloads (selected by the kind and shape inside ``T``) give the result's type. These bound
types are nominal classes, not protocols, so the checkers compare them by name: structural
comparisons of their many overloads would be slow. Functions
that share a signature (``add``, ``sub``...) share one protocol with an overloaded
``__call__``. All of this exists for the checkers only (``TYPE_CHECKING``): at run time only
the decorators remain, and they cost nothing after import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import (
    TYPE_CHECKING,
    Any,
    Concatenate,
    Generic,
    Literal,
    ParamSpec,
    Protocol,
    TypeAlias,
    TypeVar,
    TypeVarTuple,
    cast,
    final,
    overload,
)

if TYPE_CHECKING:
    import numpy as np

    from mushin._tensor import Constant, Tensor, ValuesIndices, Variable

    Shape = TypeVarTuple("Shape")
    """The shape of a tensor, whole."""
    B = TypeVarTuple("B")
    """Leading (batch) axes carried through an operation unchanged."""
    Target = TypeVarTuple("Target")
    """A shape given as an argument (``reshape``, ``broadcast_to``)."""
    J = TypeVar("J")
    K = TypeVar("K")
    M = TypeVar("M")
    N = TypeVar("N")
    C = TypeVar("C")
    """Channels (pooling) or classes (class-index losses)."""
    Rest = TypeVarTuple("Rest")
    """Trailing axes after a class axis (``(N, C, d1, ...)`` inputs of the class losses)."""

    @final
    class _NoValue:
        """A type no value has: the bound of ``Untyped``."""

    Untyped = TypeVar("Untyped", bound=_NoValue)
    """Matches only an argument typed ``Any`` (a layer's ``Any`` result, say): an overload
    ``(x: Untyped) -> Untyped`` listed first makes the result ``Any``, as mypy does, where
    pyright would otherwise try the other overloads, find several, and call the result
    Unknown (an error wherever strict mode meets it)."""
    P = ParamSpec("P")
    Forward = TypeVar("Forward")
    Forward_co = TypeVar("Forward_co", covariant=True)

    One: TypeAlias = Literal[1]
    """A size-1 axis, which broadcasts against any size."""
    AnyShape: TypeAlias = tuple[Any, ...]
    """A shape known only at run time: ``Variable[*AnyShape]``, the same as a bare ``Variable``."""
    NoAxes: TypeAlias = tuple[()]
    """The shape of a 0-d tensor: ``Variable[*NoAxes]``. (pyright 1.1.414 reads
    ``Variable[()]`` as the default shape, "known only at run time", so it is spelled out.)"""
    Scalar: TypeAlias = float | np.number[Any]
    """A number operand (``int`` and ``bool`` are accepted where ``float`` is)."""
    HostArray: TypeAlias = np.ndarray[Any, Any] | list[Any]
    """A NumPy array or nested list operand: its shape is not known statically."""
    Operand: TypeAlias = "Tensor[*AnyShape] | HostArray | Scalar"
    """Any operand of an operation: a tensor, a host array or a number."""
    ConstantOperand: TypeAlias = "Constant[*AnyShape] | HostArray | Scalar"
    """An operand that is not tracked: a ``Constant``, a host array or a number."""
    Bound: TypeAlias = "Tensor[*AnyShape] | Scalar | None"
    """A bound of ``clamp``: a tensor, a number or none."""
    ConstantBound: TypeAlias = "Constant[*AnyShape] | Scalar | None"
    """A bound of ``clamp`` that is not tracked."""
    Axis: TypeAlias = int | Sequence[int]
    """An ``axis`` argument: one axis or several (negative values count from the end)."""
    TensorT = TypeVar("TensorT", bound="Tensor[*AnyShape]")
    """Any tensor: the operand whose type a result keeps, or the tensor a method is bound to."""
    TensorT_co = TypeVar("TensorT_co", bound="Tensor[*AnyShape]", covariant=True)
    """The tensor a method is bound to, where every kind is typed alike (comparisons,
    ``reshape``): a protocol, so a ``Variable`` or ``Constant`` matches ``Tensor`` patterns."""

    class MethodDescriptor(Protocol):
        """What the method descriptors below share.

        Looking a method up on a tensor applies ``__get__``, which gives the precise type. When
        pyright matches a tensor against a protocol such as ``Iterable`` or ``SupportsAbs`` it
        does not apply ``__get__`` and calls the descriptor itself: that accepts anything.
        """

        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...
'''
