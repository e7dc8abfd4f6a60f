"""Making tensors: the crate's makers (``fill``, ``eye``, ``randn``, ``randu``, ``custom``,
``zeros``, ``ones``, ``variable``, ``constant``) and PyTorch's factories (``tensor``,
``arange``, ``linspace``, ``full``, ``empty``, the ``*_like`` functions, ``rand``,
``randint``, ``randperm``, ``multinomial``, ``bernoulli``, ``normal``...). The random state
behind them is ``mushin._random``: ``mu.seed`` makes every draw reproducible.

**The form decides the kind.** A shape given as one tuple (or list), the crate's form
(``mu.randn((3, 2))``, ``mu.zeros((3, 4))``), gives a leaf ``Variable``; sizes given as
separate ints, PyTorch's form (``mu.zeros(3, 4)``, ``mu.randn(2)``), ``size=``, and
``tensor``, ``full``, ``arange``, the ``*_like`` functions and ``x.new_*`` give a
``Constant``, as PyTorch gives a tensor without ``requires_grad``. An explicit
``requires_grad=True/False`` overrides both. Integers are never tracked: an integer or bool
``dtype`` needs a ``Constant`` form (a tuple shape with one, or ``requires_grad=True``, is a
``ValueError`` saying so). Each factory takes keyword-only ``dtype=`` (float32 by default for
floating results) and ``device=``.

Statically, a factory given a tuple shape returns ``Variable[*Shape]`` with the tuple's sizes,
so ``w: Variable[L[784], L[10]] = randn((784, 10))`` checks the sizes against the annotation
(the checkers infer the literal sizes from it); up to four separate ints type the shape of the
``Constant`` the same way; ``variable``, ``constant`` and ``tensor`` return tensors whose shape
is known only at run time.
"""

# pyright: reportOverlappingOverload=false
# (Overloads select the kind by the dtype and requires_grad literals; the checkers compare the
# shape parameters one at a time and call some of them overlapping. tests/typing checks them.)
from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeAlias, TypeVar, cast, overload

import numpy as np

from mushin import _backend
from mushin._backend import Backend
from mushin._check import (
    INT64_MAX,
    INT64_MIN,
    check_shape_argument,
    host_array,
    integer,
    is_int,
    is_number,
    number,
    operation_name,
)
from mushin._random import generator
from mushin._tensor import Constant, Tensor, Variable, new_constant, new_variable, unwrap

if TYPE_CHECKING:
    from numpy.typing import DTypeLike
    from typing_extensions import TypeVarTuple

    from mushin._typing import Shape

    Target = TypeVarTuple("Target")
    D0 = TypeVar("D0", bound=int)
    D1 = TypeVar("D1", bound=int)
    D2 = TypeVar("D2", bound=int)
    D3 = TypeVar("D3", bound=int)
    Number: TypeAlias = float | np.number[Any]

    class SizeFactory(Protocol):
        """``zeros``, ``ones``, ``empty``: a tuple shape (a ``Variable``) or sizes as ints (a
        ``Constant``); ``requires_grad`` overrides the form."""

        @overload
        def __call__(self, shape: tuple[*Target], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[True] | None = None) -> Variable[*Target]: ...
        @overload
        def __call__(self, shape: tuple[*Target], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False]) -> Constant[*Target]: ...
        @overload
        def __call__(self, shape: list[int], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[True] | None = None) -> Variable: ...
        @overload
        def __call__(self, d0: D0, /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant[D0]: ...
        @overload
        def __call__(self, d0: D0, d1: D1, /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant[D0, D1]: ...
        @overload
        def __call__(self, d0: D0, d1: D1, d2: D2, /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant[D0, D1, D2]: ...
        @overload
        def __call__(self, d0: D0, d1: D1, d2: D2, d3: D3, /, *,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant[D0, D1, D2, D3]: ...
        @overload
        def __call__(self, *sizes: int, size: Sequence[int] | None = None,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant: ...
        @overload
        def __call__(self, *sizes: int, size: Sequence[int] | None = None,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[True]) -> Variable: ...
        @overload
        def __call__(self, *sizes: int | Sequence[int], size: Sequence[int] | None = None,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: bool | None = None) -> Tensor: ...

    class FloatFactory(Protocol):
        """``randn``, ``rand``, ``randu``: as ``SizeFactory`` (floating dtypes only)."""

        @overload
        def __call__(self, shape: tuple[*Target], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[True] | None = None) -> Variable[*Target]: ...
        @overload
        def __call__(self, shape: tuple[*Target], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False]) -> Constant[*Target]: ...
        @overload
        def __call__(self, shape: list[int], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[True] | None = None) -> Variable: ...
        @overload
        def __call__(self, d0: D0, /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant[D0]: ...
        @overload
        def __call__(self, d0: D0, d1: D1, /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant[D0, D1]: ...
        @overload
        def __call__(self, d0: D0, d1: D1, d2: D2, /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant[D0, D1, D2]: ...
        @overload
        def __call__(self, d0: D0, d1: D1, d2: D2, d3: D3, /, *,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant[D0, D1, D2, D3]: ...
        @overload
        def __call__(self, *sizes: int, size: Sequence[int] | None = None,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[False] | None = None) -> Constant: ...
        @overload
        def __call__(self, *sizes: int, size: Sequence[int] | None = None,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[True]) -> Variable: ...
        @overload
        def __call__(self, *sizes: int | Sequence[int], size: Sequence[int] | None = None,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: bool | None = None) -> Tensor: ...

    class LikeFactory(Protocol):
        """``zeros_like``, ``ones_like``, ``empty_like``, ``rand_like``, ``randn_like``: a
        ``Constant`` of the input's shape (a ``Variable`` with ``requires_grad=True``)."""

        @overload
        def __call__(self, input: Tensor[*Shape], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None, requires_grad: Literal[False] = False,
                     memory_format: Any = None) -> Constant[*Shape]: ...
        @overload
        def __call__(self, input: Tensor[*Shape], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None, requires_grad: Literal[True],
                     memory_format: Any = None) -> Variable[*Shape]: ...
        @overload
        def __call__(self, input: Tensor[*Shape], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None, requires_grad: bool,
                     memory_format: Any = None) -> Tensor[*Shape]: ...


_TORCH_NAMES = {"int": "int32", "long": "int64", "short": "int16", "char": "int8",
                "byte": "uint8", "bool": "bool", "half": "float16", "float": "float32",
                "double": "float64"}
"""PyTorch's dtype names, as in ``"torch.long"`` (``mu.long``...); a bare name is NumPy's."""


_MISSING: Any = object()
"""The default of an argument whose absence differs from None."""


# --- argument helpers ----------------------------------------------------------------------------

def _dtype(name: str, dtype: Any, default: np.dtype[Any] | None = None) -> np.dtype[Any]:
    """``dtype`` (a NumPy dtype, a type or a name; PyTorch's names too) as a NumPy dtype;
    ``default`` (float32 unless given) when it is None."""
    if dtype is None:
        return _backend.DEFAULT_DTYPE if default is None else default
    if isinstance(dtype, str) and dtype.startswith(("torch.", "mushin.")):
        short = dtype.partition(".")[2]
        dtype = _TORCH_NAMES.get(short, short)
    return _backend.parse_dtype(dtype)


def _device(name: str, device: Any) -> Backend:
    """The backend of ``device`` (the CPU for None), with the op's name in any error."""
    return _backend.backend(device)


def _trackable(dtype: np.dtype[Any]) -> bool:
    """Whether a ``Variable`` may hold ``dtype`` (float16, float32 or float64)."""
    try:
        _backend.float_dtype(dtype)
    except ValueError:
        return False
    return True


def _tracked(name: str, dtype: np.dtype[Any], requires_grad: Any, default: bool) -> bool:
    """Whether the result is a ``Variable``: ``requires_grad`` if given, else ``default`` (an
    integer or bool dtype cannot be tracked: ``ValueError`` where a ``Variable`` is asked
    for)."""
    if requires_grad is None:
        if default and not _trackable(dtype):
            raise ValueError(f"{operation_name(name)}: a Variable (what a tuple shape makes) needs "
                             f"a floating dtype (float16, float32 or float64), got {dtype}; for a "
                             "Constant give the sizes as ints or pass requires_grad=False")
        return default
    if not isinstance(requires_grad, bool):
        raise TypeError(f"{operation_name(name)}: requires_grad must be True or False, got "
                        f"{requires_grad!r}")
    if requires_grad and not _trackable(dtype):
        raise ValueError(f"{operation_name(name)}: only a floating dtype (float16, float32 or "
                         f"float64) can require gradients, got {dtype}")
    return requires_grad


def _wrap(array: Any, tracked: bool) -> Any:
    """The new tensor: a leaf ``Variable`` or a ``Constant`` holding ``array``."""
    return new_variable(array) if tracked else new_constant(array)


def _size_item(value: Any) -> Any:
    """A size given as a one-element integer tensor becomes its int (as PyTorch takes it)."""
    tensor = _tensor_or_none(value)
    return value if tensor is None else operator.index(tensor)


def _tensor_or_none(value: Any) -> Tensor | None:
    """``value`` if it is a tensor (typed with a run-time shape), else None."""
    return value if isinstance(value, Tensor) else None  # pyright: ignore[reportUnknownVariableType] (isinstance on Any)


def _sizes(name: str, sizes: tuple[Any, ...], size: Any) -> tuple[tuple[int, ...], bool]:
    """The shape of a factory's arguments, and whether it came in the crate's form (one
    tuple or list: a ``Variable`` by default)."""
    if size is not None:
        if sizes:
            raise TypeError(f"{operation_name(name)}: give the sizes either positionally or as "
                            "size=, not both")
        if isinstance(size, tuple | list):
            size = [_size_item(item) for item in cast("Sequence[Any]", size)]
        return check_shape_argument(name, size), False
    if len(sizes) == 1 and isinstance(sizes[0], tuple | list):
        items = [_size_item(item) for item in cast("Sequence[Any]", sizes[0])]
        return check_shape_argument(name, items), True
    if not sizes:
        raise TypeError(f"{operation_name(name)}: missing the size: a tuple shape such as (3, 4), "
                        "or the sizes as ints such as 3, 4")
    items = [_size_item(item) for item in sizes]
    if not all(is_int(item) for item in items):
        raise TypeError(f"{operation_name(name)}: a shape must be a tuple of ints, or the sizes "
                        f"given as ints, got {sizes!r}")
    return check_shape_argument(name, items), False


def _scalar(name: str, argument: str, value: Any) -> Any:
    """A number argument (a Python or NumPy number, or a one-element tensor) as a Python
    number; bools stay bools."""
    tensor = _tensor_or_none(value)
    if tensor is not None:
        if tensor.numel() != 1:
            raise ValueError(f"{operation_name(name)}: {argument} must be a number or a "
                             f"one-element tensor, got a tensor of shape {tensor.shape}")
        value = tensor.item()
    if isinstance(value, bool) or value.__class__ is np.bool_:
        return bool(value)
    if not is_number(value):
        raise TypeError(f"{operation_name(name)}: {argument} must be a number, got {value!r}")
    if isinstance(value, np.generic):
        return value.item()  # pyright: ignore[reportUnknownVariableType] (isinstance on Any)
    return value


def _number_dtype(value: Any) -> np.dtype[Any]:
    """PyTorch's dtype for a Python number: bool, int64, or the default float32."""
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, int):
        return np.dtype(np.int64)
    return _backend.DEFAULT_DTYPE


def _floating(name: str, dtype: np.dtype[Any]) -> np.dtype[Any]:
    """``dtype`` if it is floating, else ``ValueError`` (random draws are floating)."""
    if not _trackable(dtype):
        raise ValueError(f"{operation_name(name)}: needs a floating dtype (float16, float32 or "
                         f"float64), got {dtype}")
    return dtype


def _standard_normal(where: Backend, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
    draw = generator(where).standard_normal(shape, dtype=dtype if dtype.itemsize >= 4 else None)
    return draw.astype(dtype, copy=False)


def _uniform(where: Backend, shape: tuple[int, ...], dtype: np.dtype[Any]) -> Any:
    draw = generator(where).random(shape, dtype=dtype if dtype.itemsize >= 4 else None)
    return draw.astype(dtype, copy=False)


def _crate_target(shape: Any, dtype: Any, device: str | None, name: str) -> tuple[
        tuple[int, ...], np.dtype[Any], Backend]:
    return (check_shape_argument(name, shape),
            _backend.float_dtype(_backend.DEFAULT_DTYPE if dtype is None else dtype),
            _backend.backend(device))


def _size_factory(function: Callable[..., Any]) -> SizeFactory:
    return cast("SizeFactory", function)


def _float_factory(function: Callable[..., Any]) -> FloatFactory:
    return cast("FloatFactory", function)


def _like_factory(function: Callable[..., Any]) -> LikeFactory:
    return cast("LikeFactory", function)


def _make(name: str, sizes: tuple[Any, ...], size: Any, dtype: Any, device: Any,
          requires_grad: Any, fill: Callable[[Backend, tuple[int, ...], np.dtype[Any]], Any],
          floating: bool = False) -> Any:
    shape, crate_form = _sizes(name, sizes, size)
    kind = _dtype(name, dtype)
    if floating:
        _floating(name, kind)
    tracked = _tracked(name, kind, requires_grad, crate_form)
    return _wrap(fill(_device(name, device), shape, kind), tracked)


# --- the crate's makers, with PyTorch's forms --------------------------------------------------

@overload
def fill(shape: tuple[*Shape], value: float, *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable[*Shape]: ...


@overload
def fill(shape: int | list[int], value: float, *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable: ...


def fill(shape: Any, value: float, *, dtype: DTypeLike | None = None,
         device: str | None = None) -> Variable:
    """A leaf whose every element is ``value`` (the crate's; ``full`` is PyTorch's)."""
    size, kind, where = _crate_target(shape, dtype, device, "fill")
    return new_variable(where.xp.full(size, number("fill", "value", value), dtype=kind))


@_size_factory
def zeros(*sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
          device: str | None = None, requires_grad: bool | None = None) -> Any:
    """Zeros: ``zeros((3, 4))`` a leaf ``Variable``, ``zeros(3, 4)`` a ``Constant``."""
    return _make("zeros", sizes, size, dtype, device, requires_grad,
                 lambda where, shape, kind: where.xp.zeros(shape, dtype=kind))


@_size_factory
def ones(*sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
         device: str | None = None, requires_grad: bool | None = None) -> Any:
    """Ones: ``ones((3, 4))`` a leaf ``Variable``, ``ones(3, 4)`` a ``Constant``."""
    return _make("ones", sizes, size, dtype, device, requires_grad,
                 lambda where, shape, kind: where.xp.ones(shape, dtype=kind))


@_size_factory
def empty(*sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
          device: str | None = None, requires_grad: bool | None = None) -> Any:
    """Uninitialised values (any values: write them before reading), as ``zeros``."""
    return _make("empty", sizes, size, dtype, device, requires_grad,
                 lambda where, shape, kind: where.xp.empty(shape, dtype=kind))


@_float_factory
def randn(*sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
          device: str | None = None, requires_grad: bool | None = None) -> Any:
    """Draws from the standard normal distribution: ``randn((3, 4))`` a leaf ``Variable``,
    ``randn(3, 4)`` a ``Constant``."""
    return _make("randn", sizes, size, dtype, device, requires_grad, _standard_normal,
                 floating=True)


@_float_factory
def rand(*sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
         device: str | None = None, requires_grad: bool | None = None) -> Any:
    """Draws from the uniform distribution on [0, 1): ``rand((3, 4))`` a leaf ``Variable``,
    ``rand(3, 4)`` a ``Constant`` (PyTorch's name for the crate's ``randu``)."""
    return _make("rand", sizes, size, dtype, device, requires_grad, _uniform, floating=True)


@_float_factory
def randu(*sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
          device: str | None = None, requires_grad: bool | None = None) -> Any:
    """Draws from the uniform distribution on [0, 1) (the crate's name for ``rand``)."""
    return _make("randu", sizes, size, dtype, device, requires_grad, _uniform, floating=True)


@overload
def eye(shape: tuple[*Shape], /, value: float = 1.0, *, dtype: DTypeLike | None = None,
        device: str | None = None,
        requires_grad: Literal[True] | None = None) -> Variable[*Shape]: ...


@overload
def eye(shape: tuple[*Shape], /, value: float = 1.0, *, dtype: DTypeLike | None = None,
        device: str | None = None, requires_grad: Literal[False]) -> Constant[*Shape]: ...


@overload
def eye(shape: list[int], /, value: float = 1.0, *, dtype: DTypeLike | None = None,
        device: str | None = None, requires_grad: Literal[True] | None = None) -> Variable: ...


@overload
def eye(n: D0, /, m: None = None, *, dtype: DTypeLike | None = None, device: str | None = None,
        requires_grad: Literal[False] | None = None) -> Constant[D0, D0]: ...


@overload
def eye(n: D0, /, m: D1, *, dtype: DTypeLike | None = None, device: str | None = None,
        requires_grad: Literal[False] | None = None) -> Constant[D0, D1]: ...


@overload
def eye(n: int, /, m: int | None = None, *, dtype: DTypeLike | None = None,
        device: str | None = None, requires_grad: Literal[True]) -> Variable[Any, Any]: ...


def eye(  # type: ignore[misc]  # (the crate's value and PyTorch's m share the 2nd place)
        n: Any, /, m: Any = _MISSING, *, value: Any = _MISSING, dtype: DTypeLike | None = None,
        device: str | None = None, requires_grad: bool | None = None) -> Any:
    """The identity. PyTorch's ``eye(n, m=None)``: an ``n`` by ``m`` (``n`` by ``n``)
    ``Constant`` with ones on the diagonal. The crate's ``eye(shape, value=1.0)`` (a tuple
    shape): a leaf ``Variable`` with ``value`` on the main diagonal of the last two axes."""
    if isinstance(n, tuple | list):
        size = check_shape_argument("eye", n)
        if value is _MISSING:
            value = 1.0 if m is _MISSING else m
        elif m is not _MISSING:
            raise TypeError("eye: give the diagonal value once (eye(shape, value))")
        if len(size) < 2:
            raise ValueError(f"eye: the shape needs at least 2 axes, got {size}")
        kind = _dtype("eye", dtype)
        tracked = _tracked("eye", kind, requires_grad, True)
        where = _device("eye", device)
        matrix = where.xp.eye(size[-2], size[-1], dtype=kind) * kind.type(
            number("eye", "value", value))
        return _wrap(where.xp.ascontiguousarray(where.xp.broadcast_to(matrix, size)), tracked)
    if value is not _MISSING:
        raise TypeError("eye: value= belongs to the crate's form eye(shape, value), with a "
                        "tuple shape")
    if not is_int(_size_item(n)):
        raise TypeError(f"eye: the shape must be a tuple of ints (or the sizes n, m given as "
                        f"ints), got {n!r}")
    rows = _count("eye", "n", n)
    columns = rows if m is _MISSING or m is None else _count("eye", "m", m)
    check_shape_argument("eye", (rows, columns))  # more elements than int64 counts
    kind = _dtype("eye", dtype)
    tracked = _tracked("eye", kind, requires_grad, False)
    return _wrap(_device("eye", device).xp.eye(rows, columns, dtype=kind), tracked)


def _count(name: str, argument: str, value: Any) -> int:
    """A non-negative int argument (a size or a count)."""
    count = integer(name, argument, _size_item(value))
    if count < 0:
        raise ValueError(f"{operation_name(name)}: {argument} must not be negative, got {count}")
    return count


@overload
def custom(values: Sequence[float], shape: tuple[*Shape], *, dtype: DTypeLike | None = None,
           device: str | None = None) -> Variable[*Shape]: ...


@overload
def custom(values: Sequence[float], shape: int | list[int], *, dtype: DTypeLike | None = None,
           device: str | None = None) -> Variable: ...


def custom(values: Sequence[float], shape: Any, *, dtype: DTypeLike | None = None,
           device: str | None = None) -> Variable:
    """A leaf from a flat sequence of values in row-major order."""
    size, kind, where = _crate_target(shape, dtype, device, "custom")
    flat = host_array("custom", values, "values").astype(kind)
    if flat.ndim != 1:
        raise ValueError(f"custom: values must be a flat sequence, got {flat.ndim} axes")
    if flat.size != math.prod(size):
        raise ValueError(f"custom: {flat.size} values cannot fill shape {size} "
                         f"({math.prod(size)} elements)")
    return new_variable(where.asarray(flat.reshape(size)))


def variable(values: Any, *, dtype: DTypeLike | None = None,
             device: str | None = None) -> Variable:
    """A leaf ``Variable`` from a nested list, an array or a scalar (always floating)."""
    return Variable(values, dtype=dtype, device=device)


def constant(values: Any, *, dtype: DTypeLike | None = None,
             device: str | None = None) -> Constant:
    """A ``Constant`` from a nested list, an array or a scalar (integer and bool data kept)."""
    return Constant(values, dtype=dtype, device=device)


# --- PyTorch's factories: from data --------------------------------------------------------------

@overload
def tensor(
        data: float, *, dtype: DTypeLike | None = None, device: str | None = None,
        requires_grad: Literal[False] = False) -> Constant[*tuple[()]]: ...


@overload
def tensor(data: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
           requires_grad: Literal[False] = False) -> Constant: ...


@overload
def tensor(data: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
           requires_grad: Literal[True]) -> Variable: ...


@overload
def tensor(data: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
           requires_grad: bool) -> Tensor: ...


def tensor(data: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
           requires_grad: bool = False) -> Any:
    """A new ``Constant`` (a copy) from a number, a nested list, an array or a tensor, as
    ``torch.tensor``: Python ints give int64, floats float32, bools bool, arrays keep their
    dtype. ``requires_grad=True`` gives a leaf ``Variable`` (a floating dtype)."""
    kind = None if dtype is None else _dtype("tensor", dtype)
    where = None if device is None else _device("tensor", device).device
    made = Constant(data, dtype=kind, device=where)  # a copy, as torch.tensor makes
    if _tracked("tensor", made.dtype, requires_grad, False):
        return new_variable(unwrap(made))
    return made


@overload
def as_tensor(data: Tensor[*Shape], dtype: None = None,
              device: str | None = None) -> Tensor[*Shape]: ...


@overload
def as_tensor(data: Any, dtype: DTypeLike | None = None, device: str | None = None) -> Tensor: ...


def as_tensor(data: Any, dtype: DTypeLike | None = None, device: str | None = None) -> Any:
    """``data`` as a tensor, sharing its memory where it can, as ``torch.as_tensor``: a tensor
    of the dtype and device asked for is returned itself (a ``Variable`` stays one); an array
    of them is wrapped without a copy; anything else becomes a new ``Constant``."""
    kind = None if dtype is None else _dtype("as_tensor", dtype)
    tensor = _tensor_or_none(data)
    if tensor is not None:
        return tensor.to(device=device, dtype=kind)  # itself when nothing changes
    if hasattr(data, "dtype") and hasattr(data, "shape"):
        where = _device("as_tensor", device) if device is not None else None
        _backend.check_real_dtype(data.dtype)
        return new_constant((where or _backend.backend_of(data)).asarray(data, dtype=kind))
    return Constant(data, dtype=kind, device=device)


def from_numpy(array: np.ndarray[Any, Any]) -> Constant:
    """A ``Constant`` sharing the memory of the NumPy array ``array`` (its dtype kept), as
    ``torch.from_numpy``."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a NumPy array, got {type(array).__name__}")
    _backend.check_real_dtype(array.dtype)
    return new_constant(array)


@overload
def scalar_tensor(s: float, *, dtype: DTypeLike | None = None, device: str | None = None,
                  requires_grad: Literal[False] = False) -> Constant[*tuple[()]]: ...


@overload
def scalar_tensor(s: float, *, dtype: DTypeLike | None = None, device: str | None = None,
                  requires_grad: Literal[True]) -> Variable[*tuple[()]]: ...


def scalar_tensor(s: float, *, dtype: DTypeLike | None = None, device: str | None = None,
                  requires_grad: bool = False) -> Any:
    """A 0-d ``Constant`` holding the number ``s`` (float32 unless ``dtype`` says otherwise,
    as ``torch.scalar_tensor``)."""
    value = _scalar("scalar_tensor", "s", s)
    kind = _dtype("scalar_tensor", dtype)
    tracked = _tracked("scalar_tensor", kind, requires_grad, False)
    return _wrap(_device("scalar_tensor", device).xp.asarray(value, dtype=kind), tracked)


# --- PyTorch's factories: filled, ranges ---------------------------------------------------------

@overload
def full(size: tuple[*Shape], fill_value: Number | bool | Tensor, *,
         dtype: DTypeLike | None = None, device: str | None = None,
         requires_grad: Literal[False] = False) -> Constant[*Shape]: ...


@overload
def full(size: tuple[*Shape], fill_value: Number | bool | Tensor, *,
         dtype: DTypeLike | None = None, device: str | None = None,
         requires_grad: Literal[True]) -> Variable[*Shape]: ...


@overload
def full(size: Sequence[int], fill_value: Number | bool | Tensor, *,
         dtype: DTypeLike | None = None, device: str | None = None,
         requires_grad: bool = False) -> Tensor: ...


def full(size: Any, fill_value: Any, *, dtype: DTypeLike | None = None,
         device: str | None = None, requires_grad: bool = False) -> Any:
    """A ``Constant`` of shape ``size`` whose every element is ``fill_value``, as
    ``torch.full``: the dtype is ``fill_value``'s (bool, int64, or float32) unless given."""
    shape = _sizes("full", (size,), None)[0]
    value = _scalar("full", "fill_value", fill_value)
    if is_int(value) and not INT64_MIN <= value <= INT64_MAX:  # as PyTorch's int64 scalars
        raise ValueError(f"full: fill_value must fit in int64, got {value}")
    kind = _dtype("full", dtype, _number_dtype(value))
    tracked = _tracked("full", kind, requires_grad, False)
    return _wrap(_device("full", device).xp.full(shape, value, dtype=kind), tracked)


def _like(name: str, input: Any, dtype: Any, device: Any, requires_grad: Any,
          fill: Callable[[Backend, tuple[int, ...], np.dtype[Any]], Any],
          floating: bool = False) -> Any:
    tensor = _tensor_or_none(input)
    if tensor is None:
        raise TypeError(f"{operation_name(name)}: input must be a tensor, got "
                        f"{type(input).__name__}")
    kind = tensor.dtype if dtype is None else _dtype(name, dtype)
    if floating:
        _floating(name, kind)
    where = _device(name, tensor.device if device is None else device)
    tracked = _tracked(name, kind, requires_grad, False)
    return _wrap(fill(where, tensor.shape, kind), tracked)


@_like_factory
def zeros_like(input: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
               requires_grad: bool = False, memory_format: Any = None) -> Any:
    """A ``Constant`` of zeros with ``input``'s shape, dtype and device (unless given)."""
    return _like("zeros_like", input, dtype, device, requires_grad,
                 lambda where, shape, kind: where.xp.zeros(shape, dtype=kind))


@_like_factory
def ones_like(input: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
              requires_grad: bool = False, memory_format: Any = None) -> Any:
    """A ``Constant`` of ones with ``input``'s shape, dtype and device (unless given)."""
    return _like("ones_like", input, dtype, device, requires_grad,
                 lambda where, shape, kind: where.xp.ones(shape, dtype=kind))


@_like_factory
def empty_like(input: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
               requires_grad: bool = False, memory_format: Any = None) -> Any:
    """An uninitialised ``Constant`` with ``input``'s shape, dtype and device."""
    return _like("empty_like", input, dtype, device, requires_grad,
                 lambda where, shape, kind: where.xp.empty(shape, dtype=kind))


@_like_factory
def rand_like(input: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
              requires_grad: bool = False, memory_format: Any = None) -> Any:
    """Uniform draws on [0, 1) with ``input``'s shape, dtype and device (a ``Constant``)."""
    return _like("rand_like", input, dtype, device, requires_grad, _uniform, floating=True)


@_like_factory
def randn_like(input: Any, *, dtype: DTypeLike | None = None, device: str | None = None,
               requires_grad: bool = False, memory_format: Any = None) -> Any:
    """Standard normal draws with ``input``'s shape, dtype and device (a ``Constant``)."""
    return _like("randn_like", input, dtype, device, requires_grad, _standard_normal,
                 floating=True)


@overload
def full_like(input: Tensor[*Shape], fill_value: Number | bool | Tensor, *,
              dtype: DTypeLike | None = None, device: str | None = None,
              requires_grad: Literal[False] = False,
              memory_format: Any = None) -> Constant[*Shape]: ...


@overload
def full_like(input: Tensor[*Shape], fill_value: Number | bool | Tensor, *,
              dtype: DTypeLike | None = None, device: str | None = None,
              requires_grad: Literal[True], memory_format: Any = None) -> Variable[*Shape]: ...


def full_like(input: Any, fill_value: Any, *, dtype: DTypeLike | None = None,
              device: str | None = None, requires_grad: bool = False,
              memory_format: Any = None) -> Any:
    """A ``Constant`` of ``input``'s shape, dtype and device whose every element is
    ``fill_value``."""
    value = _scalar("full_like", "fill_value", fill_value)
    return _like("full_like", input, dtype, device, requires_grad,
                 lambda where, shape, kind: where.xp.full(shape, value, dtype=kind))


@overload
def empty_strided(size: tuple[*Shape], stride: Sequence[int], *,
                  dtype: DTypeLike | None = None, device: str | None = None,
                  requires_grad: Literal[False] = False) -> Constant[*Shape]: ...


@overload
def empty_strided(size: Sequence[int], stride: Sequence[int], *,
                  dtype: DTypeLike | None = None, device: str | None = None,
                  requires_grad: bool = False) -> Tensor: ...


def empty_strided(size: Any, stride: Any, *, dtype: DTypeLike | None = None,
                  device: str | None = None, requires_grad: bool = False) -> Any:
    """An uninitialised ``Constant`` of shape ``size``. The ``stride`` is checked (one int
    per axis) but not kept: mushin's arrays are laid out by their array module."""
    shape = _sizes("empty_strided", (), size)[0]
    _check_strides("empty_strided", shape, stride)
    return empty(size=shape, dtype=dtype, device=device, requires_grad=requires_grad)


def _check_strides(name: str, shape: tuple[int, ...], stride: Any) -> None:
    if not isinstance(stride, tuple | list) or len(cast("Sequence[Any]", stride)) != len(
            shape) or not all(is_int(item) for item in cast("Sequence[Any]", stride)):
        raise TypeError(f"{operation_name(name)}: stride must be a tuple of {len(shape)} ints (one "
                        f"per axis of {shape}), got {stride!r}")


@overload
def empty_permuted(size: tuple[*Shape], physical_layout: Sequence[int], *,
                   dtype: DTypeLike | None = None, device: str | None = None,
                   requires_grad: Literal[False] = False) -> Constant[*Shape]: ...


@overload
def empty_permuted(size: Sequence[int], physical_layout: Sequence[int], *,
                   dtype: DTypeLike | None = None, device: str | None = None,
                   requires_grad: bool = False) -> Tensor: ...


def empty_permuted(size: Any, physical_layout: Any, *, dtype: DTypeLike | None = None,
                   device: str | None = None, requires_grad: bool = False) -> Any:
    """An uninitialised ``Constant`` of shape ``size``; ``physical_layout`` (a permutation of
    the axes) is checked but not kept, as for ``empty_strided``."""
    shape = _sizes("empty_permuted", (), size)[0]
    layout = cast("Sequence[Any]", physical_layout) if isinstance(
        physical_layout, tuple | list) else None
    if layout is None or sorted(layout) != list(range(len(shape))):
        raise ValueError(f"empty_permuted: physical_layout must be a permutation of the "
                         f"{len(shape)} axes, got {physical_layout!r}")
    return empty(size=shape, dtype=dtype, device=device, requires_grad=requires_grad)


def _range_dtype(name: str, dtype: Any, values: Sequence[Any]) -> np.dtype[Any]:
    """int64 when every bound is an int (or bool), else float32, unless ``dtype`` is given."""
    default = np.dtype(np.int64) if all(
        isinstance(value, int) for value in values) else _backend.DEFAULT_DTYPE
    return _dtype(name, dtype, default)


def arange(start: Number | Tensor, end: Number | Tensor | None = None,
           step: Number | Tensor = 1, *, dtype: DTypeLike | None = None,
           device: str | None = None, requires_grad: bool = False) -> Constant[Any]:
    """The 1-d ``Constant`` ``start, start + step, ...`` up to ``end`` (excluded);
    ``arange(end)`` starts at 0. Integer bounds give int64, any float bound float32, unless
    ``dtype`` is given (as ``torch.arange``)."""
    if end is None:
        start, end = 0, start
    low = _scalar("arange", "start", start)
    high = _scalar("arange", "end", end)
    stride = _scalar("arange", "step", step)
    kind = _range_dtype("arange", dtype, (low, high, stride))
    if stride == 0:
        raise ValueError("arange: step must not be zero")
    for name, value in (("start", low), ("end", high), ("step", stride)):
        if not math.isfinite(value):
            raise ValueError(f"arange: {name} must be finite, got {value}")
    if (high - low) * stride < 0:
        raise ValueError(f"arange: the step {stride} cannot go from {low} to {high}")
    bounds = (low, high, stride)
    if any(is_int(value) and not INT64_MIN <= value <= INT64_MAX for value in bounds):
        raise ValueError(f"arange: integer bounds must fit in int64, got start {low}, end "
                         f"{high}, step {stride}")
    exact = all(isinstance(value, int) for value in bounds)  # counted without rounding
    count = max(-((low - high) // stride) if exact else math.ceil((high - low) / stride), 0)
    if count > INT64_MAX:
        raise ValueError(f"arange: from {low} to {high} by {stride} makes {count} elements, "
                         "more than int64 can count")
    where = _device("arange", device)
    tracked = _tracked("arange", kind, requires_grad, False)
    if kind.kind in "iu" and all(isinstance(value, int) for value in (low, high, stride)):
        return cast("Constant[Any]", _wrap(where.xp.arange(
            int(low), int(high), int(stride), dtype=kind), tracked))
    values = where.xp.arange(count, dtype=np.float64) * float(stride) + float(low)
    return cast("Constant[Any]", _wrap(values.astype(kind), tracked))


def _spaced(name: str, start: Any, end: Any, steps: Any) -> tuple[float, float, int]:
    low = _scalar(name, "start", start)
    high = _scalar(name, "end", end)
    return float(low), float(high), _count(name, "steps", steps)


def _linear_points(xp: Any, low: float, high: float, steps: int) -> Any:
    """``steps`` evenly spaced float64 points from ``low`` to ``high``, both included: the
    first half counted from ``low``, the second from ``high``, so both ends are exact."""
    if steps == 1:
        return xp.full((1,), low, dtype=np.float64)
    step = (high - low) / (steps - 1)
    index = xp.arange(steps, dtype=np.float64)
    return xp.where(index < steps // 2, low + step * index, high - step * (steps - 1 - index))


def linspace(start: Number | Tensor, end: Number | Tensor, steps: int, *,
             dtype: DTypeLike | None = None, device: str | None = None,
             requires_grad: bool = False) -> Constant[Any]:
    """A 1-d ``Constant`` of ``steps`` evenly spaced values from ``start`` to ``end``, both
    included (float32 unless ``dtype`` is given)."""
    low, high, count = _spaced("linspace", start, end, steps)
    kind = _dtype("linspace", dtype)
    where = _device("linspace", device)
    tracked = _tracked("linspace", kind, requires_grad, False)
    return cast("Constant[Any]", _wrap(
        _linear_points(where.xp, low, high, count).astype(kind), tracked))


def logspace(start: Number | Tensor, end: Number | Tensor, steps: int, base: float = 10.0, *,
             dtype: DTypeLike | None = None, device: str | None = None,
             requires_grad: bool = False) -> Constant[Any]:
    """A 1-d ``Constant`` of ``steps`` values ``base ** x`` for ``x`` evenly spaced from
    ``start`` to ``end`` (float32 unless ``dtype`` is given)."""
    low, high, count = _spaced("logspace", start, end, steps)
    radix = float(_scalar("logspace", "base", base))
    kind = _dtype("logspace", dtype)
    where = _device("logspace", device)
    tracked = _tracked("logspace", kind, requires_grad, False)
    points = where.xp.power(radix, _linear_points(where.xp, low, high, count))
    return cast("Constant[Any]", _wrap(points.astype(kind), tracked))


def _triangle_indices(name: str, row: Any, col: Any, offset: Any, dtype: Any, device: Any,
                      lower: bool) -> Any:
    rows = _count(name, "row", row)
    columns = _count(name, "col", col)
    shift = _size_item(offset)
    if not is_int(shift):
        raise TypeError(f"{operation_name(name)}: offset must be an int, got {offset!r}")
    shift = integer(name, "offset", shift)
    check_shape_argument(name, (rows, columns))  # more elements than int64 counts
    kind = _dtype(name, dtype, np.dtype(np.int64))
    xp = _device(name, device).xp
    make = xp.tril_indices if lower else xp.triu_indices
    # An offset past either edge selects all or nothing: clipped, NumPy's arithmetic stays in int64.
    first, second = make(rows, max(-rows, min(shift, columns)), columns)
    return new_constant(xp.stack([first, second]).astype(kind))


def tril_indices(row: int, col: int, offset: int = 0, *, dtype: DTypeLike | None = None,
                 device: str | None = None) -> Constant[Literal[2], Any]:
    """The (row, column) indices of the lower triangle of a ``row`` by ``col`` matrix (on and
    below the diagonal ``offset``), as a ``(2, N)`` int64 ``Constant`` in row-major order."""
    return cast("Constant[Literal[2], Any]", _triangle_indices(
        "tril_indices", row, col, offset, dtype, device, lower=True))


def triu_indices(row: int, col: int, offset: int = 0, *, dtype: DTypeLike | None = None,
                 device: str | None = None) -> Constant[Literal[2], Any]:
    """The (row, column) indices of the upper triangle of a ``row`` by ``col`` matrix (on and
    above the diagonal ``offset``), as a ``(2, N)`` int64 ``Constant`` in row-major order."""
    return cast("Constant[Literal[2], Any]", _triangle_indices(
        "triu_indices", row, col, offset, dtype, device, lower=False))


# --- PyTorch's random factories ------------------------------------------------------------------

@overload
def randint(high: int, size: tuple[*Shape], /, *, dtype: DTypeLike | None = None,
            device: str | None = None, requires_grad: bool = False) -> Constant[*Shape]: ...


@overload
def randint(low: int, high: int, size: tuple[*Shape], /, *, dtype: DTypeLike | None = None,
            device: str | None = None, requires_grad: bool = False) -> Constant[*Shape]: ...


@overload
def randint(low: int = 0, high: int | None = None, size: Sequence[int] | None = None, *,
            dtype: DTypeLike | None = None, device: str | None = None,
            requires_grad: bool = False) -> Constant: ...


def randint(low: Any = 0, high: Any = None, size: Any = None, *,
            dtype: DTypeLike | None = None, device: str | None = None,
            requires_grad: bool = False) -> Any:
    """Integers drawn uniformly from ``[low, high)`` in a ``Constant`` of shape ``size``:
    ``randint(high, size)`` or ``randint(low, high, size)`` (int64 unless ``dtype`` is
    given)."""
    if size is None:
        if high is None:
            raise TypeError("randint: missing the size: randint(high, size) or "
                            "randint(low, high, size)")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    shape = _sizes("randint", (), size)[0]
    bottom, top = _bounds("randint", low, high)
    kind = _dtype("randint", dtype, np.dtype(np.int64))
    tracked = _tracked("randint", kind, requires_grad, False)
    return _wrap(_integers(_device("randint", device), bottom, top, shape, kind), tracked)


def _bounds(name: str, low: Any, high: Any) -> tuple[int, int]:
    bottom = _size_item(low)
    top = _size_item(high)
    if not (is_int(bottom) and is_int(top)):
        raise TypeError(f"{operation_name(name)}: low and high must be ints, got {low!r} and "
                        f"{high!r}")
    if bottom < INT64_MIN or top > INT64_MAX:
        raise ValueError(f"{operation_name(name)}: low and high must fit in int64, got {bottom} "
                         f"and {top}")
    if bottom >= top:
        raise ValueError(f"{operation_name(name)}: low ({bottom}) must be smaller than high "
                         f"({top})")
    return int(bottom), int(top)


def _integers(where: Backend, low: int, high: int, shape: tuple[int, ...],
              dtype: np.dtype[Any]) -> Any:
    draw = generator(where).integers(low, high, size=shape, dtype=np.int64)
    return draw.astype(dtype, copy=False)


@overload
def randint_like(input: Tensor[*Shape], low: int = 0, high: int | None = None, *,
                 dtype: DTypeLike | None = None, device: str | None = None,
                 requires_grad: bool = False, memory_format: Any = None) -> Constant[*Shape]: ...


@overload
def randint_like(input: Any, low: int = 0, high: int | None = None, *,
                 dtype: DTypeLike | None = None, device: str | None = None,
                 requires_grad: bool = False, memory_format: Any = None) -> Constant: ...


def randint_like(input: Any, low: Any = 0, high: Any = None, *, dtype: DTypeLike | None = None,
                 device: str | None = None, requires_grad: bool = False,
                 memory_format: Any = None) -> Any:
    """Integers drawn uniformly from ``[low, high)`` with ``input``'s shape, dtype and device:
    ``randint_like(x, high)`` or ``randint_like(x, low, high)``."""
    if high is None:
        low, high = 0, low
    bottom, top = _bounds("randint_like", low, high)
    return _like("randint_like", input, dtype, device, requires_grad,
                 lambda where, shape, kind: _integers(where, bottom, top, shape, kind))


def randperm(n: int, *, dtype: DTypeLike | None = None, device: str | None = None,
             requires_grad: bool = False) -> Constant[Any]:
    """A random permutation of ``0, ..., n - 1`` as a 1-d int64 ``Constant``."""
    count = _count("randperm", "n", n)
    kind = _dtype("randperm", dtype, np.dtype(np.int64))
    tracked = _tracked("randperm", kind, requires_grad, False)
    where = _device("randperm", device)
    order = where.xp.argsort(generator(where).random(count, dtype=np.float64))
    return cast("Constant[Any]", _wrap(order.astype(kind), tracked))


def bernoulli(input: Tensor[*Shape], p: float | None = None) -> Constant[*Shape]:
    """Draws of 1 (with probability ``input``, or ``p`` if given) or 0, as a ``Constant`` of
    ``input``'s shape and dtype; no gradient flows, as in PyTorch."""
    if not isinstance(input, Tensor):
        raise TypeError(f"bernoulli: input must be a tensor, got {type(input).__name__}")
    data = unwrap(input)
    kind = _floating("bernoulli", input.dtype)
    where = _backend.backend_of(data)
    if p is None:
        chances = data
        # Checked where the values are on the host; a device's are not read back (a
        # synchronising copy): there a probability below 0 draws 0s, above 1 draws 1s.
        if isinstance(data, np.ndarray) and data.size and not (
                np.all(data >= 0) and np.all(data <= 1)):
            raise ValueError("bernoulli: the probabilities must be in [0, 1]")
    else:
        chances = float(_scalar("bernoulli", "p", p))
        if not 0 <= chances <= 1:
            raise ValueError(f"bernoulli: p must be in [0, 1], got {chances}")
    draw = generator(where).random(input.shape, dtype=np.float64) < chances
    return cast("Constant[*Shape]", new_constant(draw.astype(kind)))


@overload
def normal(mean: Tensor[*Shape], std: float = 1.0, size: None = None, *,
           generator: None = None) -> Constant[*Shape]: ...


@overload
def normal(mean: float, std: Tensor[*Shape], size: None = None, *,
           generator: None = None) -> Constant[*Shape]: ...


@overload
def normal(mean: Tensor, std: Tensor, size: None = None, *, generator: None = None) -> Constant: ...


@overload
def normal(mean: float, std: float, size: tuple[*Shape], *, generator: None = None,
           dtype: DTypeLike | None = None, device: str | None = None,
           requires_grad: bool = False, layout: Any = None) -> Constant[*Shape]: ...


@overload
def normal(mean: float, std: float, size: Sequence[int], *, generator: None = None,
           dtype: DTypeLike | None = None, device: str | None = None,
           requires_grad: bool = False, layout: Any = None) -> Constant: ...


def normal(mean: Any, std: Any = 1.0, size: Any = None, *, generator: Any = None,
           dtype: DTypeLike | None = None, device: str | None = None,
           requires_grad: bool = False, layout: Any = None) -> Any:
    """Draws from normal distributions, as a ``Constant`` (PyTorch's draws carry no
    gradient either): ``normal(mean, std)`` with a tensor ``mean`` and/or ``std`` (broadcast
    together), or ``normal(mean, std, size)`` with two numbers (float32 unless ``dtype``)."""
    if generator is not None:
        raise TypeError("normal: generator= is not supported: mushin draws from its own "
                        "generator (seed it with mu.seed)")
    if layout is not None and str(layout) not in ("torch.strided", "strided"):
        raise ValueError(f"normal: only the strided layout exists, got {layout!r}")
    tensors = [tensor for tensor in map(_tensor_or_none, (mean, std)) if tensor is not None]
    if tensors:
        if size is not None:
            raise TypeError("normal: a size is taken only with a number mean and std; with "
                            "tensors the shape is theirs")
        return _normal_of_tensors(mean, std, tensors)
    centre = float(_scalar("normal", "mean", mean))
    spread = float(_scalar("normal", "std", std))
    if spread < 0:
        raise ValueError(f"normal: std must not be negative, got {spread}")
    if size is None:
        raise TypeError("normal: with a number mean and std, give the size: "
                        "normal(mean, std, size)")
    shape = _sizes("normal", (), size)[0]
    kind = _floating("normal", _dtype("normal", dtype))
    where = _device("normal", device)
    tracked = _tracked("normal", kind, requires_grad, False)
    draw = _standard_normal(where, shape, np.dtype(np.float64)) * spread + centre
    return _wrap(draw.astype(kind), tracked)


def _normal_of_tensors(mean: Any, std: Any, tensors: list[Tensor]) -> Constant:
    reference = unwrap(tensors[0])
    devices = sorted({tensor.device for tensor in tensors})
    if len(devices) > 1:
        raise RuntimeError(f"normal: mean and std are on different devices ({', '.join(devices)}); "
                           "move them with .to(device)")
    xp = _backend.namespace_of(reference)
    kind = np.result_type(*(tensor.dtype for tensor in tensors))
    _floating("normal", kind)
    centre = unwrap(mean) if isinstance(mean, Tensor) else _scalar("normal", "mean", mean)
    spread = unwrap(std) if isinstance(std, Tensor) else _scalar("normal", "std", std)
    if isinstance(std, Tensor):
        if isinstance(spread, np.ndarray) and np.any(spread < 0):  # not read back from a device
            raise ValueError("normal: std must not be negative")
    elif spread < 0:
        raise ValueError(f"normal: std must not be negative, got {spread}")
    try:
        shape = np.broadcast_shapes(tuple(xp.shape(centre)), tuple(xp.shape(spread)))
    except ValueError:
        raise ValueError(f"normal: mean of shape {tuple(xp.shape(centre))} and std of shape "
                         f"{tuple(xp.shape(spread))} do not broadcast") from None
    draw = _standard_normal(_backend.backend_of(reference), shape, np.dtype(np.float64))
    return new_constant((draw * spread + centre).astype(kind))


# --- questions about tensors -------------------------------------------------------------------

def is_tensor(obj: object) -> bool:
    """Whether ``obj`` is a mushin tensor (a ``Variable`` or a ``Constant``)."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:
    """Whether ``input``'s elements are floating-point numbers."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_floating_point: expected a tensor, got {type(input).__name__}")
    return input.is_floating_point()


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    if not isinstance(input, Tensor):
        raise TypeError(f"numel: expected a tensor, got {type(input).__name__}")
    return input.numel()


# --- for the ``x.new_*`` methods (bound in mushin.ops.creation) ----------------------------------

def new_filled(name: str, like: Tensor, sizes: tuple[Any, ...], size: Any, fill_value: Any,
               dtype: Any, device: Any, requires_grad: Any) -> Any:
    """What ``like.new_zeros(...)`` (``fill_value`` "zeros"), ``new_ones`` ("ones"),
    ``new_empty`` ("empty") and ``new_full`` (a number) make: a ``Constant`` (a ``Variable``
    with ``requires_grad=True``) of the sizes given, with ``like``'s dtype and device unless
    given."""
    if not isinstance(like, Tensor):
        raise TypeError(f"{operation_name(name)}: expected a tensor, got {type(like).__name__}")
    shape = _sizes(name, sizes, size)[0]
    kind = like.dtype if dtype is None else _dtype(name, dtype)
    where = _device(name, like.device if device is None else device)
    tracked = _tracked(name, kind, requires_grad, False)
    if fill_value == "zeros":
        array = where.xp.zeros(shape, dtype=kind)
    elif fill_value == "ones":
        array = where.xp.ones(shape, dtype=kind)
    elif fill_value == "empty":
        array = where.xp.empty(shape, dtype=kind)
    else:
        array = where.xp.full(shape, _scalar(name, "fill_value", fill_value), dtype=kind)
    return _wrap(array, tracked)


def new_data(like: Tensor, data: Any, dtype: Any, device: Any, requires_grad: Any) -> Any:
    """What ``like.new_tensor(data)`` makes: ``tensor(data)`` with ``like``'s dtype and device
    unless given."""
    if not isinstance(like, Tensor):
        raise TypeError(f"new_tensor: expected a tensor, got {type(like).__name__}")
    kind = like.dtype if dtype is None else _dtype("new_tensor", dtype)
    return tensor(data, dtype=kind, device=like.device if device is None else device,
                  requires_grad=bool(requires_grad))


def parse_dtype(name: str, dtype: Any) -> np.dtype[Any]:
    """``dtype`` (a NumPy dtype, a type, a name, PyTorch's names ``"long"``, ``"torch.float"``
    included) as a NumPy dtype, with ``name`` in the error."""
    return _dtype(name, dtype)


def count(name: str, argument: str, value: Any) -> int:
    """A non-negative int argument (a size or a count), or the error naming ``name``."""
    return _count(name, argument, value)


def trackable(dtype: np.dtype[Any]) -> bool:
    """Whether a ``Variable`` may hold ``dtype`` (float16, float32 or float64)."""
    return _trackable(dtype)


def check_sizes(name: str, size: Any, stride: Any) -> tuple[int, ...]:
    """The shape ``size`` of ``new_empty_strided``, its ``stride`` checked (one int per axis)."""
    shape = _sizes(name, (), size)[0]
    _check_strides(name, shape, stride)
    return shape
