# pyright: reportOverlappingOverload=false
# (Like mypy's, pyright's overload consistency check compares the shape parameters one parameter
# at a time and calls overloads that do match at call sites unreachable; tests/typing checks
# every overload where it is used instead.)
"""Static types of the operations: how kinds and shapes flow, for mypy and pyright.

A tensor's type names its kind and its shape, ``Variable[L[32], L[784]]``; a size known only
at run time is ``Any``, and a bare ``Variable`` (``Variable[*tuple[Any, ...]]``) is a tensor
whose whole shape is known only at run time. The rules are those of API.md: the result of an
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

    from mushin._tensor import Constant, Tensor, Variable

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

    # --- elementwise binary operations: + - * / ** maximum minimum ---------------------------

    class _Binary(Generic[TensorT]):
        """``tensor op other`` bound to a tensor: the kind rule and the typed broadcasts."""

        @overload
        def __call__(self: _Binary[Variable[*Shape]],
                     other: Tensor[*Shape] | Tensor[*NoAxes] | Scalar) -> Variable[*Shape]: ...
        @overload
        def __call__(self: _Binary[Variable[*B, N]],
                     other: Tensor[N] | Tensor[*B, One]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Variable[*NoAxes]], other: Tensor[*B]) -> Variable[*B]: ...
        @overload
        def __call__(self: _Binary[Variable[N]], other: Tensor[*B, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Variable[*B, M, N]],
                     other: Tensor[M, N] | Tensor[One, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Variable[M, N]],
                     other: Tensor[*B, M, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Variable[One, N]],
                     other: Tensor[*B, M, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Variable[*B, One]], other: Tensor[*B, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Variable[*B, K, M, N]],
                     other: Tensor[K, M, N]) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Variable[K, M, N]],
                     other: Tensor[*B, K, M, N]) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Variable[*Shape]], other: HostArray) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self: _Binary[Constant[*Shape]],
                     other: Constant[*Shape] | Constant[*NoAxes] | Scalar) -> Constant[*Shape]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, N]],
                     other: Constant[N] | Constant[*B, One]) -> Constant[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*NoAxes]], other: Constant[*B]) -> Constant[*B]: ...
        @overload
        def __call__(self: _Binary[Constant[N]], other: Constant[*B, N]) -> Constant[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, M, N]],
                     other: Constant[M, N] | Constant[One, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[M, N]],
                     other: Constant[*B, M, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[One, N]],
                     other: Constant[*B, M, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, One]],
                     other: Constant[*B, N]) -> Constant[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, K, M, N]],
                     other: Constant[K, M, N]) -> Constant[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[K, M, N]],
                     other: Constant[*B, K, M, N]) -> Constant[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*Shape]], other: HostArray) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self: _Binary[Constant[*Shape]],
                     other: Variable[*Shape] | Variable[*NoAxes]) -> Variable[*Shape]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, N]],
                     other: Variable[N] | Variable[*B, One]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*NoAxes]], other: Variable[*B]) -> Variable[*B]: ...
        @overload
        def __call__(self: _Binary[Constant[N]], other: Variable[*B, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, M, N]],
                     other: Variable[M, N] | Variable[One, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[M, N]],
                     other: Variable[*B, M, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[One, N]],
                     other: Variable[*B, M, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, One]],
                     other: Variable[*B, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, K, M, N]],
                     other: Variable[K, M, N]) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[K, M, N]],
                     other: Variable[*B, K, M, N]) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*Shape]],
                     other: Tensor[*Shape] | Tensor[*NoAxes]) -> Tensor[*Shape]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, N]],
                     other: Tensor[N] | Tensor[*B, One]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*NoAxes]], other: Tensor[*B]) -> Tensor[*B]: ...
        @overload
        def __call__(self: _Binary[Constant[N]], other: Tensor[*B, N]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, M, N]],
                     other: Tensor[M, N] | Tensor[One, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[M, N]],
                     other: Tensor[*B, M, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[One, N]],
                     other: Tensor[*B, M, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, One]], other: Tensor[*B, N]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Binary[Constant[*B, K, M, N]],
                     other: Tensor[K, M, N]) -> Tensor[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Constant[K, M, N]],
                     other: Tensor[*B, K, M, N]) -> Tensor[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*Shape]],
                     other: Variable[*Shape] | Variable[*NoAxes]) -> Variable[*Shape]: ...
        @overload
        def __call__(self: _Binary[Tensor[*B, N]],
                     other: Variable[N] | Variable[*B, One]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*NoAxes]], other: Variable[*B]) -> Variable[*B]: ...
        @overload
        def __call__(self: _Binary[Tensor[N]], other: Variable[*B, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*B, M, N]],
                     other: Variable[M, N] | Variable[One, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[M, N]],
                     other: Variable[*B, M, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[One, N]],
                     other: Variable[*B, M, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*B, One]], other: Variable[*B, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*B, K, M, N]],
                     other: Variable[K, M, N]) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[K, M, N]],
                     other: Variable[*B, K, M, N]) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*Shape]],
                     other: Tensor[*Shape] | Tensor[*NoAxes] | Scalar) -> Tensor[*Shape]: ...
        @overload
        def __call__(self: _Binary[Tensor[*B, N]],
                     other: Tensor[N] | Tensor[*B, One]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*NoAxes]], other: Tensor[*B]) -> Tensor[*B]: ...
        @overload
        def __call__(self: _Binary[Tensor[N]], other: Tensor[*B, N]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*B, M, N]],
                     other: Tensor[M, N] | Tensor[One, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[M, N]], other: Tensor[*B, M, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[One, N]],
                     other: Tensor[*B, M, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*B, One]], other: Tensor[*B, N]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*B, K, M, N]],
                     other: Tensor[K, M, N]) -> Tensor[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[K, M, N]],
                     other: Tensor[*B, K, M, N]) -> Tensor[*B, K, M, N]: ...
        @overload
        def __call__(self: _Binary[Tensor[*Shape]], other: HostArray) -> Tensor[*AnyShape]: ...
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    class BinaryMethod(MethodDescriptor, Protocol):
        """An elementwise binary method or operator (``x.add``, ``x + y``)."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _Binary[TensorT]: ...

    class ReflectedMethod(MethodDescriptor, Protocol):
        """A reflected operator with a number on the left (``2 * x``): ``x``'s type."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any],
                    /) -> Callable[[Scalar], TensorT]: ...

    class BinaryFunction(Protocol):
        """``add``, ``sub``, ``mul``, ``div``, ``pow``, ``maximum``, ``minimum``."""

        @overload
        def __call__(self, a: Variable[*Shape], b: Tensor[*Shape] | Tensor[*NoAxes] | Scalar,
                     /) -> Variable[*Shape]: ...
        @overload
        def __call__(self, a: Variable[*B, N], b: Tensor[N] | Tensor[*B, One],
                     /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Variable[*NoAxes], b: Tensor[*B], /) -> Variable[*B]: ...
        @overload
        def __call__(self, a: Variable[N], b: Tensor[*B, N], /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Variable[*B, M, N], b: Tensor[M, N] | Tensor[One, N],
                     /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Variable[M, N], b: Tensor[*B, M, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Variable[One, N], b: Tensor[*B, M, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Variable[*B, One], b: Tensor[*B, N], /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Variable[*B, K, M, N], b: Tensor[K, M, N],
                     /) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self, a: Variable[K, M, N], b: Tensor[*B, K, M, N],
                     /) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self, a: Variable[*AnyShape], b: HostArray, /) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, a: Tensor[*Shape], b: Variable[*Shape] | Variable[*NoAxes],
                     /) -> Variable[*Shape]: ...
        @overload
        def __call__(self, a: Tensor[*B, N], b: Variable[N] | Variable[*B, One],
                     /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[*NoAxes], b: Variable[*B], /) -> Variable[*B]: ...
        @overload
        def __call__(self, a: Tensor[N], b: Variable[*B, N], /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, N], b: Variable[M, N] | Variable[One, N],
                     /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[M, N], b: Variable[*B, M, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[One, N], b: Variable[*B, M, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, One], b: Variable[*B, N], /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, K, M, N], b: Variable[K, M, N],
                     /) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self, a: Tensor[K, M, N], b: Variable[*B, K, M, N],
                     /) -> Variable[*B, K, M, N]: ...
        @overload
        def __call__(self, a: Scalar, b: Variable[*Shape], /) -> Variable[*Shape]: ...
        @overload
        def __call__(self, a: HostArray, b: Variable[*AnyShape], /) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, a: Constant[*Shape], b: Constant[*Shape] | Constant[*NoAxes] | Scalar,
                     /) -> Constant[*Shape]: ...
        @overload
        def __call__(self, a: Constant[*B, N], b: Constant[N] | Constant[*B, One],
                     /) -> Constant[*B, N]: ...
        @overload
        def __call__(self, a: Constant[*NoAxes], b: Constant[*B], /) -> Constant[*B]: ...
        @overload
        def __call__(self, a: Constant[N], b: Constant[*B, N], /) -> Constant[*B, N]: ...
        @overload
        def __call__(self, a: Constant[*B, M, N], b: Constant[M, N] | Constant[One, N],
                     /) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self, a: Constant[M, N], b: Constant[*B, M, N], /) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self, a: Constant[One, N], b: Constant[*B, M, N], /) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self, a: Constant[*B, One], b: Constant[*B, N], /) -> Constant[*B, N]: ...
        @overload
        def __call__(self, a: Constant[*B, K, M, N], b: Constant[K, M, N],
                     /) -> Constant[*B, K, M, N]: ...
        @overload
        def __call__(self, a: Constant[K, M, N], b: Constant[*B, K, M, N],
                     /) -> Constant[*B, K, M, N]: ...
        @overload
        def __call__(self, a: Scalar, b: Constant[*Shape], /) -> Constant[*Shape]: ...
        @overload
        def __call__(self, a: Tensor[*Shape], b: Tensor[*Shape] | Tensor[*NoAxes] | Scalar,
                     /) -> Tensor[*Shape]: ...
        @overload
        def __call__(self, a: Tensor[*B, N], b: Tensor[N] | Tensor[*B, One],
                     /) -> Tensor[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[*NoAxes], b: Tensor[*B], /) -> Tensor[*B]: ...
        @overload
        def __call__(self, a: Tensor[N], b: Tensor[*B, N], /) -> Tensor[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, N], b: Tensor[M, N] | Tensor[One, N],
                     /) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[M, N], b: Tensor[*B, M, N], /) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[One, N], b: Tensor[*B, M, N], /) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, One], b: Tensor[*B, N], /) -> Tensor[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, K, M, N], b: Tensor[K, M, N],
                     /) -> Tensor[*B, K, M, N]: ...
        @overload
        def __call__(self, a: Tensor[K, M, N], b: Tensor[*B, K, M, N],
                     /) -> Tensor[*B, K, M, N]: ...
        @overload
        def __call__(self, a: Scalar, b: Tensor[*Shape], /) -> Tensor[*Shape]: ...
        @overload
        def __call__(self, a: Scalar, b: Scalar, /) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, a: Constant[*AnyShape] | HostArray | Scalar, b: HostArray,
                     /) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, a: HostArray, b: Constant[*AnyShape] | Scalar,
                     /) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, a: Tensor[*AnyShape], b: HostArray, /) -> Tensor[*AnyShape]: ...
        @overload
        def __call__(self, a: HostArray, b: Tensor[*AnyShape], /) -> Tensor[*AnyShape]: ...

    # --- comparisons and logical operators: a Constant mask -----------------------------------

    class _Comparison(Protocol[TensorT_co]):
        """``tensor < other`` and the like, bound to a tensor: a ``Constant`` mask."""

        @overload
        def __call__(self: _Comparison[Tensor[*Shape]],
                     other: Tensor[*Shape] | Tensor[*NoAxes] | Scalar) -> Constant[*Shape]: ...
        @overload
        def __call__(self: _Comparison[Tensor[*B, N]],
                     other: Tensor[N] | Tensor[*B, One]) -> Constant[*B, N]: ...
        @overload
        def __call__(self: _Comparison[Tensor[*NoAxes]], other: Tensor[*B]) -> Constant[*B]: ...
        @overload
        def __call__(self: _Comparison[Tensor[N]], other: Tensor[*B, N]) -> Constant[*B, N]: ...
        @overload
        def __call__(self: _Comparison[Tensor[*B, M, N]],
                     other: Tensor[M, N] | Tensor[One, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _Comparison[Tensor[M, N]],
                     other: Tensor[*B, M, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _Comparison[Tensor[One, N]],
                     other: Tensor[*B, M, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _Comparison[Tensor[*B, One]],
                     other: Tensor[*B, N]) -> Constant[*B, N]: ...
        @overload
        def __call__(self: _Comparison[Tensor[*B, K, M, N]],
                     other: Tensor[K, M, N]) -> Constant[*B, K, M, N]: ...
        @overload
        def __call__(self: _Comparison[Tensor[K, M, N]],
                     other: Tensor[*B, K, M, N]) -> Constant[*B, K, M, N]: ...
        @overload
        def __call__(self, other: HostArray) -> Constant[*AnyShape]: ...

    class ComparisonMethod(MethodDescriptor, Protocol):
        """A comparison or logical operator (``<``, ``&``...)."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _Comparison[TensorT]: ...

    # --- elementwise unary operations -----------------------------------------------------------

    class SameTypeMethod(MethodDescriptor, Protocol[P]):
        """A method whose result has its tensor's type (``exp``, ``astype``...)."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> Callable[P, TensorT]: ...

    class UnaryFunction(Protocol):
        """``exp``, ``log``, ``sin``...: the operand's type."""

        @overload
        def __call__(self, x: TensorT, /) -> TensorT: ...
        @overload
        def __call__(self, x: Scalar, /) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: HostArray, /) -> Constant[*AnyShape]: ...

    class SameTypeFunction(Protocol[P]):
        """A function whose result has ``x``'s type (``astype``)."""

        def __call__(self, x: TensorT, /, *args: P.args, **kwargs: P.kwargs) -> TensorT: ...

    class ClipFunction(Protocol):
        """``clip(x, lo, hi)``: ``x``'s type for number bounds, else a run-time shape."""

        @overload
        def __call__(self, x: TensorT, lo: Scalar | None = None,
                     hi: Scalar | None = None) -> TensorT: ...
        @overload
        def __call__(self, x: Variable[*AnyShape], lo: Tensor[*AnyShape] | Scalar | None = None,
                     hi: Tensor[*AnyShape] | Scalar | None = None) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], lo: Variable[*AnyShape],
                     hi: Tensor[*AnyShape] | Scalar | None = None) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], lo: Tensor[*AnyShape] | Scalar | None,
                     hi: Variable[*AnyShape]) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], lo: Constant[*AnyShape] | Scalar | None = None,
                     hi: Constant[*AnyShape] | Scalar | None = None) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], lo: Tensor[*AnyShape] | Scalar | None = None,
                     hi: Tensor[*AnyShape] | Scalar | None = None) -> Tensor[*AnyShape]: ...

    # --- matrix products ------------------------------------------------------------------------

    class _MatrixProduct(Generic[TensorT]):
        """``mm`` bound to a tensor: ``[*B, M, K] @ [K, N] -> [*B, M, N]``."""

        @overload
        def __call__(self: _MatrixProduct[Variable[*B, M, K]],
                     other: Tensor[K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Variable[*B, M, K]],
                     other: Tensor[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Variable[M, K]],
                     other: Tensor[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Variable[*Shape]],
                     other: HostArray) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[*B, M, K]],
                     other: Constant[K, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[*B, M, K]],
                     other: Constant[*B, K, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[M, K]],
                     other: Constant[*B, K, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[*Shape]],
                     other: HostArray) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[*B, M, K]],
                     other: Variable[K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[*B, M, K]],
                     other: Variable[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[M, K]],
                     other: Variable[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[*B, M, K]],
                     other: Tensor[K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[*B, M, K]],
                     other: Tensor[*B, K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Constant[M, K]],
                     other: Tensor[*B, K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Tensor[*B, M, K]],
                     other: Variable[K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Tensor[*B, M, K]],
                     other: Variable[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Tensor[M, K]],
                     other: Variable[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Tensor[*B, M, K]],
                     other: Tensor[K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Tensor[*B, M, K]],
                     other: Tensor[*B, K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Tensor[M, K]],
                     other: Tensor[*B, K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _MatrixProduct[Tensor[*Shape]],
                     other: HostArray) -> Tensor[*AnyShape]: ...
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    class MatrixProductMethod(MethodDescriptor, Protocol):
        """The method ``mm``."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _MatrixProduct[TensorT]: ...

    class MatrixProductFunction(Protocol):
        """The function ``mm``."""

        @overload
        def __call__(self, a: Variable[*B, M, K], b: Tensor[K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Variable[*B, M, K], b: Tensor[*B, K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Variable[M, K], b: Tensor[*B, K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, K], b: Variable[K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, K], b: Variable[*B, K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[M, K], b: Variable[*B, K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Constant[*B, M, K], b: Constant[K, N], /) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self, a: Constant[*B, M, K], b: Constant[*B, K, N],
                     /) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self, a: Constant[M, K], b: Constant[*B, K, N], /) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, K], b: Tensor[K, N], /) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, K], b: Tensor[*B, K, N], /) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[M, K], b: Tensor[*B, K, N], /) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self, a: Variable[*AnyShape], b: HostArray, /) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, a: HostArray, b: Variable[*AnyShape], /) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, a: Constant[*AnyShape] | HostArray, b: HostArray,
                     /) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, a: HostArray, b: Constant[*AnyShape], /) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, a: Tensor[*AnyShape], b: HostArray, /) -> Tensor[*AnyShape]: ...
        @overload
        def __call__(self, a: HostArray, b: Tensor[*AnyShape], /) -> Tensor[*AnyShape]: ...

    class _Matmul(Generic[TensorT]):
        """``matmul`` and ``@`` bound to a tensor: ``[*B, M, K] @ [K, N] -> [*B, M, N]``."""

        @overload
        def __call__(self: _Matmul[Variable[*B, K]], other: Tensor[K, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Variable[*B, M, K]],
                     other: Tensor[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Variable[M, K]],
                     other: Tensor[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Variable[*B, M, K]], other: Tensor[K]) -> Variable[*B, M]: ...
        @overload
        def __call__(self: _Matmul[Variable[K]], other: Tensor[*B, K, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Variable[K]], other: Tensor[K]) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self: _Matmul[Variable[*Shape]], other: HostArray) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, K]], other: Constant[K, N]) -> Constant[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, M, K]],
                     other: Constant[*B, K, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[M, K]],
                     other: Constant[*B, K, N]) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, M, K]], other: Constant[K]) -> Constant[*B, M]: ...
        @overload
        def __call__(self: _Matmul[Constant[K]], other: Constant[*B, K, N]) -> Constant[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[K]], other: Constant[K]) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self: _Matmul[Constant[*Shape]], other: HostArray) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, K]], other: Variable[K, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, M, K]],
                     other: Variable[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[M, K]],
                     other: Variable[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, M, K]], other: Variable[K]) -> Variable[*B, M]: ...
        @overload
        def __call__(self: _Matmul[Constant[K]], other: Variable[*B, K, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[K]], other: Variable[K]) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, K]], other: Tensor[K, N]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, M, K]],
                     other: Tensor[*B, K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[M, K]],
                     other: Tensor[*B, K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[*B, M, K]], other: Tensor[K]) -> Tensor[*B, M]: ...
        @overload
        def __call__(self: _Matmul[Constant[K]], other: Tensor[*B, K, N]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Constant[K]], other: Tensor[K]) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self: _Matmul[Tensor[*B, K]], other: Variable[K, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Tensor[*B, M, K]],
                     other: Variable[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Tensor[M, K]],
                     other: Variable[*B, K, N]) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Tensor[*B, M, K]], other: Variable[K]) -> Variable[*B, M]: ...
        @overload
        def __call__(self: _Matmul[Tensor[K]], other: Variable[*B, K, N]) -> Variable[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Tensor[K]], other: Variable[K]) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self: _Matmul[Tensor[*B, K]], other: Tensor[K, N]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Tensor[*B, M, K]],
                     other: Tensor[*B, K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Tensor[M, K]], other: Tensor[*B, K, N]) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self: _Matmul[Tensor[*B, M, K]], other: Tensor[K]) -> Tensor[*B, M]: ...
        @overload
        def __call__(self: _Matmul[Tensor[K]], other: Tensor[*B, K, N]) -> Tensor[*B, N]: ...
        @overload
        def __call__(self: _Matmul[Tensor[K]], other: Tensor[K]) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self: _Matmul[Tensor[*Shape]], other: HostArray) -> Tensor[*AnyShape]: ...
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    class MatmulMethod(MethodDescriptor, Protocol):
        """The method ``matmul`` and ``@``."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _Matmul[TensorT]: ...

    class MatmulFunction(Protocol):
        """The function ``matmul`` and ``@``."""

        @overload
        def __call__(self, a: Variable[*B, K], b: Tensor[K, N], /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Variable[*B, M, K], b: Tensor[*B, K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Variable[M, K], b: Tensor[*B, K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Variable[*B, M, K], b: Tensor[K], /) -> Variable[*B, M]: ...
        @overload
        def __call__(self, a: Variable[K], b: Tensor[*B, K, N], /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Variable[K], b: Tensor[K], /) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, a: Tensor[*B, K], b: Variable[K, N], /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, K], b: Variable[*B, K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[M, K], b: Variable[*B, K, N], /) -> Variable[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, K], b: Variable[K], /) -> Variable[*B, M]: ...
        @overload
        def __call__(self, a: Tensor[K], b: Variable[*B, K, N], /) -> Variable[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[K], b: Variable[K], /) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, a: Constant[*B, K], b: Constant[K, N], /) -> Constant[*B, N]: ...
        @overload
        def __call__(self, a: Constant[*B, M, K], b: Constant[*B, K, N],
                     /) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self, a: Constant[M, K], b: Constant[*B, K, N], /) -> Constant[*B, M, N]: ...
        @overload
        def __call__(self, a: Constant[*B, M, K], b: Constant[K], /) -> Constant[*B, M]: ...
        @overload
        def __call__(self, a: Constant[K], b: Constant[*B, K, N], /) -> Constant[*B, N]: ...
        @overload
        def __call__(self, a: Constant[K], b: Constant[K], /) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, a: Tensor[*B, K], b: Tensor[K, N], /) -> Tensor[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, K], b: Tensor[*B, K, N], /) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[M, K], b: Tensor[*B, K, N], /) -> Tensor[*B, M, N]: ...
        @overload
        def __call__(self, a: Tensor[*B, M, K], b: Tensor[K], /) -> Tensor[*B, M]: ...
        @overload
        def __call__(self, a: Tensor[K], b: Tensor[*B, K, N], /) -> Tensor[*B, N]: ...
        @overload
        def __call__(self, a: Tensor[K], b: Tensor[K], /) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, a: Variable[*AnyShape], b: HostArray, /) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, a: HostArray, b: Variable[*AnyShape], /) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, a: Constant[*AnyShape] | HostArray, b: HostArray,
                     /) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, a: HostArray, b: Constant[*AnyShape], /) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, a: Tensor[*AnyShape], b: HostArray, /) -> Tensor[*AnyShape]: ...
        @overload
        def __call__(self, a: HostArray, b: Tensor[*AnyShape], /) -> Tensor[*AnyShape]: ...

    # --- reductions -----------------------------------------------------------------------------

    class _Reduction(Generic[TensorT]):
        """A reduction bound to a tensor: 0-d over every axis, else a run-time shape."""

        @overload
        def __call__(self: _Reduction[Variable[*Shape]], axis: None = None,
                     keepdims: Literal[False] = False) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self: _Reduction[Variable[*Shape]], axis: Axis | None = None,
                     keepdims: bool = False) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self: _Reduction[Constant[*Shape]], axis: None = None,
                     keepdims: Literal[False] = False) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self: _Reduction[Constant[*Shape]], axis: Axis | None = None,
                     keepdims: bool = False) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self: _Reduction[Tensor[*Shape]], axis: None = None,
                     keepdims: Literal[False] = False) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self: _Reduction[Tensor[*Shape]], axis: Axis | None = None,
                     keepdims: bool = False) -> Tensor[*AnyShape]: ...
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    class ReductionMethod(MethodDescriptor, Protocol):
        """The method ``sum``, ``mean``, ``max``, ``min``, ``logsumexp``."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _Reduction[TensorT]: ...

    class ReductionFunction(Protocol):
        """The function ``sum``, ``mean``, ``max``, ``min``, ``logsumexp``."""

        @overload
        def __call__(self, x: Variable[*AnyShape], axis: None = None,
                     keepdims: Literal[False] = False) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Variable[*AnyShape], axis: Axis | None = None,
                     keepdims: bool = False) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], axis: None = None,
                     keepdims: Literal[False] = False) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], axis: Axis | None = None,
                     keepdims: bool = False) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], axis: None = None,
                     keepdims: Literal[False] = False) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], axis: Axis | None = None,
                     keepdims: bool = False) -> Tensor[*AnyShape]: ...
        @overload
        def __call__(self, x: HostArray | Scalar, axis: Axis | None = None,
                     keepdims: bool = False) -> Constant[*AnyShape]: ...

    class _Variance(Generic[TensorT]):
        """``var`` bound to a tensor: 0-d over every axis, else a run-time shape."""

        @overload
        def __call__(self: _Variance[Variable[*Shape]], axis: None = None,
                     keepdims: Literal[False] = False, ddof: int = 0) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self: _Variance[Variable[*Shape]], axis: Axis | None = None,
                     keepdims: bool = False, ddof: int = 0) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self: _Variance[Constant[*Shape]], axis: None = None,
                     keepdims: Literal[False] = False, ddof: int = 0) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self: _Variance[Constant[*Shape]], axis: Axis | None = None,
                     keepdims: bool = False, ddof: int = 0) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self: _Variance[Tensor[*Shape]], axis: None = None,
                     keepdims: Literal[False] = False, ddof: int = 0) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self: _Variance[Tensor[*Shape]], axis: Axis | None = None,
                     keepdims: bool = False, ddof: int = 0) -> Tensor[*AnyShape]: ...
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    class VarianceMethod(MethodDescriptor, Protocol):
        """The method ``var``."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _Variance[TensorT]: ...

    class VarianceFunction(Protocol):
        """The function ``var``."""

        @overload
        def __call__(self, x: Variable[*AnyShape], axis: None = None,
                     keepdims: Literal[False] = False, *, ddof: int = 0) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Variable[*AnyShape], axis: Axis | None = None, keepdims: bool = False,
                     *, ddof: int = 0) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], axis: None = None,
                     keepdims: Literal[False] = False, *, ddof: int = 0) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], axis: Axis | None = None, keepdims: bool = False,
                     *, ddof: int = 0) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], axis: None = None,
                     keepdims: Literal[False] = False, *, ddof: int = 0) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], axis: Axis | None = None, keepdims: bool = False,
                     *, ddof: int = 0) -> Tensor[*AnyShape]: ...
        @overload
        def __call__(self, x: HostArray | Scalar, axis: Axis | None = None, keepdims: bool = False,
                     *, ddof: int = 0) -> Constant[*AnyShape]: ...

    # --- shapes ---------------------------------------------------------------------------------

    class _Reshape(Protocol[TensorT_co]):
        """``reshape`` bound to a tensor: the shape given, ``Any`` for a ``-1``."""

        @overload
        def __call__(self: _Reshape[Variable[*Shape]], shape: tuple[Literal[-1]],
                     /) -> Variable[Any]: ...
        @overload
        def __call__(self: _Reshape[Variable[*Shape]], shape: tuple[Literal[-1], N],
                     /) -> Variable[Any, N]: ...
        @overload
        def __call__(self: _Reshape[Variable[*Shape]], shape: tuple[N, Literal[-1]],
                     /) -> Variable[N, Any]: ...
        @overload
        def __call__(self: _Reshape[Variable[*Shape]], shape: tuple[*Target],
                     /) -> Variable[*Target]: ...
        @overload
        def __call__(self: _Reshape[Variable[*Shape]], shape: list[int],
                     /) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self: _Reshape[Variable[*Shape]], size: Literal[-1], /) -> Variable[Any]: ...
        @overload
        def __call__(self: _Reshape[Variable[*Shape]], first: Literal[-1], second: N,
                     /) -> Variable[Any, N]: ...
        @overload
        def __call__(self: _Reshape[Variable[*Shape]], first: N, second: Literal[-1],
                     /) -> Variable[N, Any]: ...
        @overload
        def __call__(self: _Reshape[Variable[*Shape]], *shape: *Target) -> Variable[*Target]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], shape: tuple[Literal[-1]],
                     /) -> Constant[Any]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], shape: tuple[Literal[-1], N],
                     /) -> Constant[Any, N]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], shape: tuple[N, Literal[-1]],
                     /) -> Constant[N, Any]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], shape: tuple[*Target],
                     /) -> Constant[*Target]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], shape: list[int],
                     /) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], size: Literal[-1], /) -> Constant[Any]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], first: Literal[-1], second: N,
                     /) -> Constant[Any, N]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], first: N, second: Literal[-1],
                     /) -> Constant[N, Any]: ...
        @overload
        def __call__(self: _Reshape[Constant[*Shape]], *shape: *Target) -> Constant[*Target]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], shape: tuple[Literal[-1]],
                     /) -> Tensor[Any]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], shape: tuple[Literal[-1], N],
                     /) -> Tensor[Any, N]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], shape: tuple[N, Literal[-1]],
                     /) -> Tensor[N, Any]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], shape: tuple[*Target],
                     /) -> Tensor[*Target]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], shape: list[int], /) -> Tensor[*AnyShape]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], size: Literal[-1], /) -> Tensor[Any]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], first: Literal[-1], second: N,
                     /) -> Tensor[Any, N]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], first: N, second: Literal[-1],
                     /) -> Tensor[N, Any]: ...
        @overload
        def __call__(self: _Reshape[Tensor[*Shape]], *shape: *Target) -> Tensor[*Target]: ...

    class ReshapeMethod(MethodDescriptor, Protocol):
        """The method ``reshape(shape)`` or ``reshape(*sizes)``."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _Reshape[TensorT]: ...

    class ReshapeFunction(Protocol):
        """The function ``reshape(x, shape)``."""

        @overload
        def __call__(self, x: Variable[*AnyShape], shape: tuple[Literal[-1]],
                     /) -> Variable[Any]: ...
        @overload
        def __call__(self, x: Variable[*AnyShape], shape: tuple[Literal[-1], N],
                     /) -> Variable[Any, N]: ...
        @overload
        def __call__(self, x: Variable[*AnyShape], shape: tuple[N, Literal[-1]],
                     /) -> Variable[N, Any]: ...
        @overload
        def __call__(self, x: Variable[*AnyShape], shape: tuple[*Target],
                     /) -> Variable[*Target]: ...
        @overload
        def __call__(self, x: Variable[*AnyShape], shape: list[int], /) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], shape: tuple[Literal[-1]],
                     /) -> Constant[Any]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], shape: tuple[Literal[-1], N],
                     /) -> Constant[Any, N]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], shape: tuple[N, Literal[-1]],
                     /) -> Constant[N, Any]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], shape: tuple[*Target],
                     /) -> Constant[*Target]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], shape: list[int], /) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], shape: tuple[Literal[-1]], /) -> Tensor[Any]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], shape: tuple[Literal[-1], N],
                     /) -> Tensor[Any, N]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], shape: tuple[N, Literal[-1]],
                     /) -> Tensor[N, Any]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], shape: tuple[*Target], /) -> Tensor[*Target]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], shape: list[int], /) -> Tensor[*AnyShape]: ...

    class _Transpose(Generic[TensorT]):
        """``transpose`` bound to a tensor: up to 4 axes reversed, else a run-time shape."""

        @overload
        def __call__(self: _Transpose[Variable[M, N]], axes: None = None) -> Variable[N, M]: ...
        @overload
        def __call__(self: _Transpose[Variable[K, M, N]],
                     axes: None = None) -> Variable[N, M, K]: ...
        @overload
        def __call__(self: _Transpose[Variable[J, K, M, N]],
                     axes: None = None) -> Variable[N, M, K, J]: ...
        @overload
        def __call__(self: _Transpose[Variable[N]], axes: None = None) -> Variable[N]: ...
        @overload
        def __call__(self: _Transpose[Variable[*Shape]],
                     axes: Sequence[int] | None = None) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self: _Transpose[Constant[M, N]], axes: None = None) -> Constant[N, M]: ...
        @overload
        def __call__(self: _Transpose[Constant[K, M, N]],
                     axes: None = None) -> Constant[N, M, K]: ...
        @overload
        def __call__(self: _Transpose[Constant[J, K, M, N]],
                     axes: None = None) -> Constant[N, M, K, J]: ...
        @overload
        def __call__(self: _Transpose[Constant[N]], axes: None = None) -> Constant[N]: ...
        @overload
        def __call__(self: _Transpose[Constant[*Shape]],
                     axes: Sequence[int] | None = None) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self: _Transpose[Tensor[M, N]], axes: None = None) -> Tensor[N, M]: ...
        @overload
        def __call__(self: _Transpose[Tensor[K, M, N]], axes: None = None) -> Tensor[N, M, K]: ...
        @overload
        def __call__(self: _Transpose[Tensor[J, K, M, N]],
                     axes: None = None) -> Tensor[N, M, K, J]: ...
        @overload
        def __call__(self: _Transpose[Tensor[N]], axes: None = None) -> Tensor[N]: ...
        @overload
        def __call__(self: _Transpose[Tensor[*Shape]],
                     axes: Sequence[int] | None = None) -> Tensor[*AnyShape]: ...
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    class TransposeMethod(MethodDescriptor, Protocol):
        """The method ``transpose(axes=None)``."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _Transpose[TensorT]: ...

    class TransposeFunction(Protocol):
        """The function ``transpose(x, axes=None)``."""

        @overload
        def __call__(self, x: Variable[M, N], axes: None = None) -> Variable[N, M]: ...
        @overload
        def __call__(self, x: Variable[K, M, N], axes: None = None) -> Variable[N, M, K]: ...
        @overload
        def __call__(self, x: Variable[J, K, M, N], axes: None = None) -> Variable[N, M, K, J]: ...
        @overload
        def __call__(self, x: Variable[N], axes: None = None) -> Variable[N]: ...
        @overload
        def __call__(self, x: Variable[*Shape],
                     axes: Sequence[int] | None = None) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[M, N], axes: None = None) -> Constant[N, M]: ...
        @overload
        def __call__(self, x: Constant[K, M, N], axes: None = None) -> Constant[N, M, K]: ...
        @overload
        def __call__(self, x: Constant[J, K, M, N], axes: None = None) -> Constant[N, M, K, J]: ...
        @overload
        def __call__(self, x: Constant[N], axes: None = None) -> Constant[N]: ...
        @overload
        def __call__(self, x: Constant[*Shape],
                     axes: Sequence[int] | None = None) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[M, N], axes: None = None) -> Tensor[N, M]: ...
        @overload
        def __call__(self, x: Tensor[K, M, N], axes: None = None) -> Tensor[N, M, K]: ...
        @overload
        def __call__(self, x: Tensor[J, K, M, N], axes: None = None) -> Tensor[N, M, K, J]: ...
        @overload
        def __call__(self, x: Tensor[N], axes: None = None) -> Tensor[N]: ...
        @overload
        def __call__(self, x: Tensor[*Shape],
                     axes: Sequence[int] | None = None) -> Tensor[*AnyShape]: ...

    class MatrixTransposeProperty(MethodDescriptor, Protocol):
        """``x.T`` and ``x.mT``: the last two axes swapped."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: Variable[*B, M, N], owner: type[Any],
                    /) -> Variable[*B, N, M]: ...
        @overload
        def __get__(self, instance: Constant[*B, M, N], owner: type[Any],
                    /) -> Constant[*B, N, M]: ...
        @overload
        def __get__(self, instance: Tensor[*B, M, N], owner: type[Any], /) -> Tensor[*B, N, M]: ...

    class FlattenMethod(MethodDescriptor, Protocol):
        """The method ``flatten()``: one axis of run-time size."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: Variable[*Shape], owner: type[Any],
                    /) -> Callable[[], Variable[Any]]: ...
        @overload
        def __get__(self, instance: Constant[*Shape], owner: type[Any],
                    /) -> Callable[[], Constant[Any]]: ...
        @overload
        def __get__(self, instance: Tensor[*Shape], owner: type[Any],
                    /) -> Callable[[], Tensor[Any]]: ...

    class FlattenFunction(Protocol):
        """The function ``flatten(x)``: one axis."""

        @overload
        def __call__(self, x: Variable[*AnyShape]) -> Variable[Any]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape]) -> Constant[Any]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape]) -> Tensor[Any]: ...

    class _Broadcast(Generic[TensorT]):
        """``broadcast_to`` bound to a tensor."""

        @overload
        def __call__(self: _Broadcast[Variable[*Shape]],
                     shape: tuple[*Target]) -> Variable[*Target]: ...
        @overload
        def __call__(self: _Broadcast[Variable[*Shape]],
                     shape: list[int]) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self: _Broadcast[Constant[*Shape]],
                     shape: tuple[*Target]) -> Constant[*Target]: ...
        @overload
        def __call__(self: _Broadcast[Constant[*Shape]],
                     shape: list[int]) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self: _Broadcast[Tensor[*Shape]],
                     shape: tuple[*Target]) -> Tensor[*Target]: ...
        @overload
        def __call__(self: _Broadcast[Tensor[*Shape]], shape: list[int]) -> Tensor[*AnyShape]: ...
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    class BroadcastMethod(MethodDescriptor, Protocol):
        """The method ``broadcast_to(shape)``."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: TensorT, owner: type[Any], /) -> _Broadcast[TensorT]: ...

    class BroadcastFunction(Protocol):
        """The function ``broadcast_to(x, shape)``."""

        @overload
        def __call__(self, x: Variable[*AnyShape], shape: tuple[*Target]) -> Variable[*Target]: ...
        @overload
        def __call__(self, x: Variable[*AnyShape], shape: list[int]) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], shape: tuple[*Target]) -> Constant[*Target]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], shape: list[int]) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], shape: tuple[*Target]) -> Tensor[*Target]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], shape: list[int]) -> Tensor[*AnyShape]: ...

    class RuntimeShapeMethod(MethodDescriptor, Protocol[P]):
        """A method keeping the kind, with a run-time shape (``squeeze``, indexing)."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: Variable[*Shape], owner: type[Any],
                    /) -> Callable[P, Variable[*AnyShape]]: ...
        @overload
        def __get__(self, instance: Constant[*Shape], owner: type[Any],
                    /) -> Callable[P, Constant[*AnyShape]]: ...
        @overload
        def __get__(self, instance: Tensor[*Shape], owner: type[Any],
                    /) -> Callable[P, Tensor[*AnyShape]]: ...

    class RuntimeShapeFunction(Protocol[P]):
        """A function like ``squeeze(x, axis)``: ``x``'s kind, a run-time shape."""

        @overload
        def __call__(self, x: Variable[*AnyShape], /, *args: P.args,
                     **kwargs: P.kwargs) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*AnyShape], /, *args: P.args,
                     **kwargs: P.kwargs) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*AnyShape], /, *args: P.args,
                     **kwargs: P.kwargs) -> Tensor[*AnyShape]: ...

    class RowsMethod(MethodDescriptor, Protocol):
        """``iter(x)``: the sub-tensors along the first axis."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: Variable[N, *Shape], owner: type[Any],
                    /) -> Callable[[], Iterator[Variable[*Shape]]]: ...
        @overload
        def __get__(self, instance: Constant[N, *Shape], owner: type[Any],
                    /) -> Callable[[], Iterator[Constant[*Shape]]]: ...
        @overload
        def __get__(self, instance: Tensor[N, *Shape], owner: type[Any],
                    /) -> Callable[[], Iterator[Tensor[*Shape]]]: ...

    class JoinFunction(Protocol):
        """``concat`` and ``stack``: the tensors' common kind; a run-time shape."""

        @overload
        def __call__(self, tensors: Sequence[Variable[*AnyShape]],
                     axis: int = 0) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, tensors: Sequence[Constant[*AnyShape]],
                     axis: int = 0) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, tensors: Sequence[Tensor[*AnyShape]],
                     axis: int = 0) -> Tensor[*AnyShape]: ...

    class WhereFunction(Protocol):
        """``where(condition, a, b)``: ``a`` and ``b`` of one shape, or numbers."""

        @overload
        def __call__(self, condition: Tensor[*AnyShape] | HostArray | bool, a: Variable[*Shape],
                     b: Tensor[*Shape] | Scalar) -> Variable[*Shape]: ...
        @overload
        def __call__(self, condition: Tensor[*AnyShape] | HostArray | bool,
                     a: Tensor[*Shape] | Scalar, b: Variable[*Shape]) -> Variable[*Shape]: ...
        @overload
        def __call__(self, condition: Tensor[*AnyShape] | HostArray | bool, a: Constant[*Shape],
                     b: Constant[*Shape] | Scalar) -> Constant[*Shape]: ...
        @overload
        def __call__(self, condition: Tensor[*AnyShape] | HostArray | bool, a: Scalar,
                     b: Constant[*Shape]) -> Constant[*Shape]: ...
        @overload
        def __call__(self, condition: Tensor[*AnyShape] | HostArray | bool, a: Tensor[*Shape],
                     b: Tensor[*Shape] | Scalar) -> Tensor[*Shape]: ...
        @overload
        def __call__(self, condition: Tensor[*AnyShape] | HostArray | bool, a: Scalar,
                     b: Tensor[*Shape]) -> Tensor[*Shape]: ...
        @overload
        def __call__(self, condition: Tensor[*Shape], a: Scalar, b: Scalar) -> Constant[*Shape]: ...
        @overload
        def __call__(self, condition: Tensor[*AnyShape] | HostArray | bool, a: HostArray | Scalar,
                     b: HostArray | Scalar) -> Constant[*AnyShape]: ...

    # --- modules (mu.nn) ------------------------------------------------------------------------

    class HasForward(Protocol[Forward_co]):
        """Anything with a ``forward``: a module."""

        @property
        def forward(self) -> Forward_co: ...

    class ForwardCall(MethodDescriptor, Protocol):
        """``Module.__call__`` typed as each module's own ``forward``: ``layer(x)`` is checked like
        ``layer.forward(x)``, so shapes flow through layers."""

        @overload
        def __get__(self, instance: None, owner: type[Any], /) -> Callable[..., Any]: ...
        @overload
        def __get__(self, instance: HasForward[Callable[P, Forward]], owner: type[Any],
                    /) -> Callable[P, Forward]: ...

    # --- mu.nn functions: activations, functional layers, losses ------------------------------

    class ActivationFunction(Protocol[P]):
        """An activation (``relu``, ``softmax(x, axis)``...) or ``dropout``: the operand's kind
        and shape; a number gives a 0-d ``Constant``."""

        @overload
        def __call__(self, x: TensorT, /, *args: P.args, **kwargs: P.kwargs) -> TensorT: ...
        @overload
        def __call__(self, x: Scalar, /, *args: P.args,
                     **kwargs: P.kwargs) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: HostArray, /, *args: P.args,
                     **kwargs: P.kwargs) -> Constant[*AnyShape]: ...

    class BatchFlattenFunction(Protocol):
        """``mu.nn.ops.flatten(x)``: the first axis kept, the others joined into one axis whose
        size (a product) is known only at run time."""

        @overload
        def __call__(self, x: Untyped) -> Untyped: ...
        @overload
        def __call__(self, x: Variable[N, *Shape]) -> Variable[N, Any]: ...
        @overload
        def __call__(self, x: Constant[N, *Shape]) -> Constant[N, Any]: ...
        @overload
        def __call__(self, x: Tensor[N, *Shape]) -> Tensor[N, Any]: ...

    class PoolFunction(Protocol[P]):
        """``maxpool2d``, ``avgpool2d``: ``(N, C, H, W)`` to ``(N, C, Ho, Wo)``, the output size
        known only at run time; ``x``'s kind."""

        @overload
        def __call__(self, x: Untyped, /, *args: P.args, **kwargs: P.kwargs) -> Untyped: ...
        @overload
        def __call__(self, x: Variable[N, C, Any, Any], /, *args: P.args,
                     **kwargs: P.kwargs) -> Variable[N, C, Any, Any]: ...
        @overload
        def __call__(self, x: Constant[N, C, Any, Any], /, *args: P.args,
                     **kwargs: P.kwargs) -> Constant[N, C, Any, Any]: ...
        @overload
        def __call__(self, x: Tensor[N, C, Any, Any], /, *args: P.args,
                     **kwargs: P.kwargs) -> Tensor[N, C, Any, Any]: ...

    Reduced: TypeAlias = Literal["mean", "sum"]
    """A ``reduction`` to one number: the loss is 0-d."""
    Unreduced: TypeAlias = Literal["none"]
    """``reduction="none"``: one loss per element (per sample for the class losses)."""

    class LossFunction(Protocol[P]):
        """``mse``, ``l1``, ``huber``, ``binary_cross_entropy``, ``bce_with_logits``,
        ``kl_div``: a target of the input's shape (or a host array). The result is 0-d for
        ``"mean"`` and ``"sum"``, of the input's shape for ``"none"``, and of run-time shape when
        the reduction is not a literal or other options are given; a ``Variable`` when either
        operand is one."""

        @overload
        def __call__(self, x: Untyped, target: Any, /, *args: P.args,
                     **kwargs: P.kwargs) -> Untyped: ...
        @overload
        def __call__(self, x: Variable[*Shape], target: Tensor[*Shape] | HostArray, /,
                     reduction: Reduced = ...) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Variable[*Shape], target: Tensor[*Shape] | HostArray, /,
                     reduction: Unreduced) -> Variable[*Shape]: ...
        @overload
        def __call__(self, x: Variable[*Shape], target: Tensor[*Shape] | HostArray, /,
                     *args: P.args, **kwargs: P.kwargs) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Variable[*Shape], /,
                     reduction: Reduced = ...) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Variable[*Shape], /,
                     reduction: Unreduced) -> Variable[*Shape]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Variable[*Shape], /,
                     *args: P.args, **kwargs: P.kwargs) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*Shape], target: Constant[*Shape] | HostArray, /,
                     reduction: Reduced = ...) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: Constant[*Shape], target: Constant[*Shape] | HostArray, /,
                     reduction: Unreduced) -> Constant[*Shape]: ...
        @overload
        def __call__(self, x: Constant[*Shape], target: Constant[*Shape] | HostArray, /,
                     *args: P.args, **kwargs: P.kwargs) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Tensor[*Shape] | HostArray, /,
                     reduction: Reduced = ...) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Tensor[*Shape] | HostArray, /,
                     reduction: Unreduced) -> Tensor[*Shape]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Tensor[*Shape] | HostArray, /,
                     *args: P.args, **kwargs: P.kwargs) -> Tensor[*AnyShape]: ...

    ClassIndices: TypeAlias = "Constant[N, *Rest] | HostArray"
    """Integer class indices for an ``(N, C, *Rest)`` input: ``(N, *Rest)``."""

    class NllFunction(Protocol):
        """``nll(log_probs, target)``: integer class indices, ``(N, C, *Rest)`` with
        ``(N, *Rest)`` (``(C,)`` with a 0-d target). The result has the input's kind: 0-d for
        ``"mean"`` and ``"sum"``, the target's shape for ``"none"``. (The ``[*B, C]`` forms
        match inputs whose leading axes are known only at run time, such as a ``Linear``'s
        output for an input of run-time shape, ``[*tuple[Any, ...], C]``.)"""

        @overload
        def __call__(self, x: Untyped, target: Any, reduction: str = ...,
                     ignore_index: int = ...) -> Untyped: ...
        @overload
        def __call__(self, x: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Reduced = ..., ignore_index: int = ...) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Variable[N, *Rest]: ...
        @overload
        def __call__(self, x: Variable[*B, C], target: Constant[*B] | HostArray,
                     reduction: Reduced = ..., ignore_index: int = ...) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Variable[*B, C], target: Constant[*B] | HostArray,
                     reduction: Unreduced, ignore_index: int = ...) -> Variable[*B]: ...
        @overload
        def __call__(self, x: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: str = ..., ignore_index: int = ...) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Variable[*B, C], target: Constant[*B] | HostArray,
                     reduction: str = ..., ignore_index: int = ...) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Reduced = ..., ignore_index: int = ...) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Constant[N, *Rest]: ...
        @overload
        def __call__(self, x: Constant[*B, C], target: Constant[*B] | HostArray,
                     reduction: Reduced = ..., ignore_index: int = ...) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: Constant[*B, C], target: Constant[*B] | HostArray,
                     reduction: Unreduced, ignore_index: int = ...) -> Constant[*B]: ...
        @overload
        def __call__(self, x: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: str = ..., ignore_index: int = ...) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*B, C], target: Constant[*B] | HostArray,
                     reduction: str = ..., ignore_index: int = ...) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Reduced = ..., ignore_index: int = ...) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Tensor[N, *Rest]: ...
        @overload
        def __call__(self, x: Tensor[*B, C], target: Constant[*B] | HostArray,
                     reduction: Reduced = ..., ignore_index: int = ...) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[*B, C], target: Constant[*B] | HostArray, reduction: Unreduced,
                     ignore_index: int = ...) -> Tensor[*B]: ...
        @overload
        def __call__(self, x: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: str = ..., ignore_index: int = ...) -> Tensor[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*B, C], target: Constant[*B] | HostArray, reduction: str = ...,
                     ignore_index: int = ...) -> Tensor[*AnyShape]: ...

    class CrossEntropyFunction(Protocol):
        """``cross_entropy(logits, target)``: as ``nll``, or a floating target of the logits'
        shape (class probabilities)."""

        @overload
        def __call__(self, x: Untyped, target: Any, reduction: str = ...,
                     ignore_index: int = ...) -> Untyped: ...
        @overload
        def __call__(self, x: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Reduced = ..., ignore_index: int = ...) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Variable[N, *Rest]: ...
        @overload
        def __call__(self, x: Variable[*B, C], target: Constant[*B] | HostArray,
                     reduction: Reduced = ..., ignore_index: int = ...) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Variable[*B, C], target: Constant[*B] | HostArray,
                     reduction: Unreduced, ignore_index: int = ...) -> Variable[*B]: ...
        @overload
        def __call__(self, x: Variable[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: str = ..., ignore_index: int = ...) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Variable[*B, C], target: Constant[*B] | HostArray,
                     reduction: str = ..., ignore_index: int = ...) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Reduced = ..., ignore_index: int = ...) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Constant[N, *Rest]: ...
        @overload
        def __call__(self, x: Constant[*B, C], target: Constant[*B] | HostArray,
                     reduction: Reduced = ..., ignore_index: int = ...) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: Constant[*B, C], target: Constant[*B] | HostArray,
                     reduction: Unreduced, ignore_index: int = ...) -> Constant[*B]: ...
        @overload
        def __call__(self, x: Constant[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: str = ..., ignore_index: int = ...) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*B, C], target: Constant[*B] | HostArray,
                     reduction: str = ..., ignore_index: int = ...) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Reduced = ..., ignore_index: int = ...) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Tensor[N, *Rest]: ...
        @overload
        def __call__(self, x: Tensor[*B, C], target: Constant[*B] | HostArray,
                     reduction: Reduced = ..., ignore_index: int = ...) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[*B, C], target: Constant[*B] | HostArray, reduction: Unreduced,
                     ignore_index: int = ...) -> Tensor[*B]: ...
        @overload
        def __call__(self, x: Tensor[N, C, *Rest], target: ClassIndices[N, *Rest],
                     reduction: str = ..., ignore_index: int = ...) -> Tensor[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*B, C], target: Constant[*B] | HostArray, reduction: str = ...,
                     ignore_index: int = ...) -> Tensor[*AnyShape]: ...
        # class probabilities: a floating target of the logits' shape
        @overload
        def __call__(self, x: Variable[*Shape], target: Tensor[*Shape], reduction: Reduced = ...,
                     ignore_index: int = ...) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Variable[N, C, *Rest], target: Tensor[N, C, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Variable[N, *Rest]: ...
        @overload
        def __call__(self, x: Variable[*Shape], target: Tensor[*Shape], reduction: str = ...,
                     ignore_index: int = ...) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Variable[*Shape], reduction: Reduced = ...,
                     ignore_index: int = ...) -> Variable[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[N, C, *Rest], target: Variable[N, C, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Variable[N, *Rest]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Variable[*Shape], reduction: str = ...,
                     ignore_index: int = ...) -> Variable[*AnyShape]: ...
        @overload
        def __call__(self, x: Constant[*Shape], target: Constant[*Shape], reduction: Reduced = ...,
                     ignore_index: int = ...) -> Constant[*NoAxes]: ...
        @overload
        def __call__(self, x: Constant[N, C, *Rest], target: Constant[N, C, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Constant[N, *Rest]: ...
        @overload
        def __call__(self, x: Constant[*Shape], target: Constant[*Shape], reduction: str = ...,
                     ignore_index: int = ...) -> Constant[*AnyShape]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Tensor[*Shape], reduction: Reduced = ...,
                     ignore_index: int = ...) -> Tensor[*NoAxes]: ...
        @overload
        def __call__(self, x: Tensor[N, C, *Rest], target: Tensor[N, C, *Rest],
                     reduction: Unreduced, ignore_index: int = ...) -> Tensor[N, *Rest]: ...
        @overload
        def __call__(self, x: Tensor[*Shape], target: Tensor[*Shape], reduction: str = ...,
                     ignore_index: int = ...) -> Tensor[*AnyShape]: ...

# --- the decorators: identities at run time, the types above for the checkers ------------------

def binary_method(method: Callable[..., object]) -> BinaryMethod:
    """Type an elementwise binary method or operator (``add``, ``__add__``...)."""
    return cast("BinaryMethod", method)


def reflected_method(method: Callable[..., object]) -> ReflectedMethod:
    """Type a reflected operator (``__radd__``...): a number on the left."""
    return cast("ReflectedMethod", method)


def comparison_method(method: Callable[..., object]) -> ComparisonMethod:
    """Type a comparison or logical operator: a ``Constant`` mask."""
    return cast("ComparisonMethod", method)


def matrix_product_method(method: Callable[..., object]) -> MatrixProductMethod:
    """Type the method ``mm``."""
    return cast("MatrixProductMethod", method)


def matmul_method(method: Callable[..., object]) -> MatmulMethod:
    """Type the method ``matmul`` and the operator ``@``."""
    return cast("MatmulMethod", method)


def reduction_method(method: Callable[..., object]) -> ReductionMethod:
    """Type a reduction method (``sum``, ``mean``...)."""
    return cast("ReductionMethod", method)


def variance_method(method: Callable[..., object]) -> VarianceMethod:
    """Type the method ``var``."""
    return cast("VarianceMethod", method)


def reshape_method(method: Callable[..., object]) -> ReshapeMethod:
    """Type the method ``reshape``."""
    return cast("ReshapeMethod", method)


def transpose_method(method: Callable[..., object]) -> TransposeMethod:
    """Type the method ``transpose``."""
    return cast("TransposeMethod", method)


def matrix_transpose_property(getter: Callable[[Any], Any]) -> MatrixTransposeProperty:
    """A property (``.T``, ``.mT``) typed as the matrix transpose."""
    return cast("MatrixTransposeProperty", property(getter))


def flatten_method(method: Callable[..., object]) -> FlattenMethod:
    """Type the method ``flatten``."""
    return cast("FlattenMethod", method)


def broadcast_method(method: Callable[..., object]) -> BroadcastMethod:
    """Type the method ``broadcast_to``."""
    return cast("BroadcastMethod", method)


def runtime_shape_method(method: Callable[Concatenate[Any, P], Any]) -> RuntimeShapeMethod[P]:
    """Type a method whose result keeps the kind and has a shape known only at run time."""
    return cast("RuntimeShapeMethod[P]", method)


def same_type_method(method: Callable[Concatenate[Any, P], Any]) -> SameTypeMethod[P]:
    """Type a method whose result has its tensor's kind and shape (``exp``, ``astype``...)."""
    return cast("SameTypeMethod[P]", method)


def rows_method(method: Callable[..., object]) -> RowsMethod:
    """Type ``__iter__``: the sub-tensors along the first axis."""
    return cast("RowsMethod", method)


def binary_function(function: Callable[..., object]) -> BinaryFunction:
    """Type an elementwise binary function (``add``, ``maximum``...)."""
    return cast("BinaryFunction", function)


def unary_function(function: Callable[..., object]) -> UnaryFunction:
    """Type an elementwise unary function (``exp``, ``sin``...)."""
    return cast("UnaryFunction", function)


def matrix_product_function(function: Callable[..., object]) -> MatrixProductFunction:
    """Type the function ``mm``."""
    return cast("MatrixProductFunction", function)


def matmul_function(function: Callable[..., object]) -> MatmulFunction:
    """Type the function ``matmul``."""
    return cast("MatmulFunction", function)


def reduction_function(function: Callable[..., object]) -> ReductionFunction:
    """Type a reduction function (``sum``, ``mean``...)."""
    return cast("ReductionFunction", function)


def variance_function(function: Callable[..., object]) -> VarianceFunction:
    """Type the function ``var``."""
    return cast("VarianceFunction", function)


def reshape_function(function: Callable[..., object]) -> ReshapeFunction:
    """Type the function ``reshape``."""
    return cast("ReshapeFunction", function)


def transpose_function(function: Callable[..., object]) -> TransposeFunction:
    """Type the function ``transpose``."""
    return cast("TransposeFunction", function)


def flatten_function(function: Callable[..., object]) -> FlattenFunction:
    """Type the function ``flatten``."""
    return cast("FlattenFunction", function)


def broadcast_function(function: Callable[..., object]) -> BroadcastFunction:
    """Type the function ``broadcast_to``."""
    return cast("BroadcastFunction", function)


def runtime_shape_function(
        function: Callable[Concatenate[Any, P], Any]) -> RuntimeShapeFunction[P]:
    """Type a function whose result keeps ``x``'s kind and has a run-time shape."""
    return cast("RuntimeShapeFunction[P]", function)


def same_type_function(function: Callable[Concatenate[Any, P], Any]) -> SameTypeFunction[P]:
    """Type a function whose result has ``x``'s kind and shape (``astype``)."""
    return cast("SameTypeFunction[P]", function)


def clip_function(function: Callable[..., object]) -> ClipFunction:
    """Type the function ``clip``."""
    return cast("ClipFunction", function)


def join_function(function: Callable[..., object]) -> JoinFunction:
    """Type ``concat`` and ``stack``."""
    return cast("JoinFunction", function)


def where_function(function: Callable[..., object]) -> WhereFunction:
    """Type the function ``where``."""
    return cast("WhereFunction", function)


def forward_call(method: Callable[..., object]) -> ForwardCall:
    """Type ``Module.__call__`` as each module's ``forward`` (see ``ForwardCall``)."""
    return cast("ForwardCall", method)


def activation_function(function: Callable[Concatenate[Any, P], Any]) -> ActivationFunction[P]:
    """Type an activation (or ``dropout``): the result has ``x``'s kind and shape."""
    return cast("ActivationFunction[P]", function)


def batch_flatten_function(function: Callable[..., object]) -> BatchFlattenFunction:
    """Type ``mu.nn.ops.flatten``: the first axis kept, the rest joined."""
    return cast("BatchFlattenFunction", function)


def pool_function(function: Callable[Concatenate[Any, P], Any]) -> PoolFunction[P]:
    """Type a 2-D pooling function: ``(N, C, H, W)`` to ``(N, C, run-time, run-time)``."""
    return cast("PoolFunction[P]", function)


def loss_function(function: Callable[Concatenate[Any, Any, P], Any]) -> LossFunction[P]:
    """Type a loss whose target has the input's shape."""
    return cast("LossFunction[P]", function)


def nll_function(function: Callable[..., object]) -> NllFunction:
    """Type ``nll``: integer class indices."""
    return cast("NllFunction", function)


def cross_entropy_function(function: Callable[..., object]) -> CrossEntropyFunction:
    """Type ``cross_entropy``: class indices or class probabilities."""
    return cast("CrossEntropyFunction", function)
