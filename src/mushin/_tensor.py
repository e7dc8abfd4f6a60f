"""``Tensor``, ``Variable`` and ``Constant``, and :func:`apply`, which records an operation.

The tensor classes are thin: each holds a backend array (``_data``); a ``Variable`` also holds
its graph :class:`~mushin._graph.Node` and its accumulated gradient. Every operation goes
through :func:`apply`, which unwraps the operands, runs the primitive's forward on the
backend, and wraps the result by the kind rule: a ``Variable`` when any operand is a
``Variable``, otherwise a ``Constant``.

The classes are generic over their shape (``Variable[L[32], L[784]]``) for static checking;
at run time the type parameters are ignored and shapes are checked by the operations.
"""

# pyright: reportPrivateUsage=false
# (This module defines the tensors' slots and the helpers that build and read them; every
# other module goes through those helpers and the public methods.)
from __future__ import annotations

import builtins
import functools
import threading
import weakref
from collections.abc import Callable
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any, Generic, NamedTuple, Self, TypeVar, cast, final, overload

import numpy as np

from mushin import _backend, _graph
from mushin._backend import Array
from mushin._check import INT64_MAX, INT64_MIN, is_int, operation_name, public_caller
from mushin._graph import (
    PRIMITIVES,
    Node,
    Primitive,
    backward_pass,
    check_finite,
    moved_node,
    new_node,
    node_mark,
    state,
)
from mushin._typing import rows_method
from mushin.errors import ShapeError

if TYPE_CHECKING:
    # For the checkers the shape defaults to "known only at run time", so a bare ``Variable``
    # means ``Variable[*tuple[Any, ...]]`` (TypeVarTuple defaults are in ``typing`` from 3.13).
    from collections.abc import Sequence
    from typing import Literal, TypeAlias

    from numpy.typing import DTypeLike
    from typing_extensions import TypeVarTuple, Unpack

    from mushin._tensor_methods import TensorMethods
    from mushin._typing import AnyShape, Scalar

    Shape = TypeVarTuple("Shape", default=Unpack[tuple[Any, ...]])
    Target = TypeVarTuple("Target")

    IntegerDType: TypeAlias = (
        np.dtype[np.integer[Any]] | np.dtype[np.bool_] | type[int] | type[bool]
        | type[np.integer[Any]] | type[np.bool_]
        | Literal["int8", "int16", "int32", "int64", "uint8", "bool", "long", "short"])
    """A dtype that is certainly an integer or bool one: a conversion to it, or a factory
    given it, makes a ``Constant`` (integers are not tracked)."""
    FloatDType: TypeAlias = np.dtype[np.floating[Any]] | type[float] | type[np.floating[Any]]
    """A dtype that is certainly a floating one: a conversion to it keeps the kind."""
else:
    from typing import TypeVarTuple

    Shape = TypeVarTuple("Shape")
    TensorMethods = Generic

_SCALARS = (int, float, bool)


def _axis(name: str, dim: Any, ndim: int) -> int:
    """``dim`` as an axis of a tensor of ``ndim`` axes (negative counts from the end)."""
    if not is_int(dim):
        raise TypeError(f"{name}: dim must be an int, got {dim!r}")
    if ndim == 0 or not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor of {ndim} axes")
    return int(dim) % ndim


def _is_numpy(array: Any) -> bool:
    return isinstance(array, np.ndarray | np.generic)


class Tensor(TensorMethods[*Shape]):
    """What ``Variable`` and ``Constant`` share: an array on a device, and the operations.

    Its operators and the methods that mirror operations are bound by the op families
    (``mushin._surface.method``); the class itself holds the array facts.
    """

    # ``_version`` counts the in-place changes of the values (``writable``), so a graph that
    # saved them can tell they changed (PyTorch's version counter). It is made on first need
    # (``counter_of``: ``None`` until the values change in place or another tensor views
    # them, or a node saves a Constant) and shared by the tensors that view the same values:
    # ``[count, weakref to each tracked view...]``. A Variable's node holds it too
    # (``Node.counter``), where the nodes that saved the Variable's values look it up.
    __slots__ = ("_data", "_version")
    _data: Array
    _version: list[Any] | None
    # Makes NumPy's operators defer to ours, so ``array + tensor`` is recorded like
    # ``tensor + array`` instead of silently becoming a plain NumPy array.
    __array_priority__ = 1000

    # --- array facts -----------------------------------------------------------------
    @property
    def shape(self) -> tuple[*Shape]:
        """The size of each axis."""
        return tuple(self._data.shape)

    @property
    def ndim(self) -> builtins.int:
        """The number of axes."""
        return builtins.int(self._data.ndim)

    @overload
    def size(self) -> tuple[*Shape]: ...
    @overload
    def size(self, dim: builtins.int) -> builtins.int: ...

    def size(self, dim: builtins.int | None = None) -> Any:
        """The shape (a tuple), as PyTorch's ``x.size()``; ``x.size(d)`` is the size of axis
        ``d`` (negative counts from the end)."""
        shape = tuple(self._data.shape)
        if dim is None:
            return shape
        return shape[_axis("size", dim, len(shape))]

    def numel(self) -> builtins.int:
        """The number of elements."""
        return builtins.int(self._data.size)

    def nelement(self) -> builtins.int:
        """The number of elements (PyTorch's other name for ``numel``)."""
        return builtins.int(self._data.size)

    def dim(self) -> builtins.int:
        """The number of axes (``ndim``)."""
        return builtins.int(self._data.ndim)

    def ndimension(self) -> builtins.int:
        """The number of axes (PyTorch's other name for ``dim``)."""
        return builtins.int(self._data.ndim)

    def element_size(self) -> builtins.int:
        """The size of one element in bytes."""
        return builtins.int(self._data.dtype.itemsize)

    def is_floating_point(self) -> builtins.bool:
        """Whether the elements are floating-point numbers."""
        return builtins.bool(self._data.dtype.kind == "f")

    @property
    def requires_grad(self) -> builtins.bool:
        """Whether gradients are tracked: True for a ``Variable``, False for a ``Constant``
        (read-only: ``.unfreeze()`` / ``.freeze()`` change the kind)."""
        return self.__class__ is Variable

    def detach(self) -> Constant[*Shape]:
        """A ``Constant`` holding the same values (shared, not copied), cut from the graph;
        an in-place change of either is seen by a graph that saved the other (they share
        the version counter, as in PyTorch)."""
        return cast("Constant[*Shape]", _alias(self))

    @property
    def is_leaf(self) -> builtins.bool:
        """PyTorch's ``is_leaf``: True for a ``Constant`` and for a Variable not made by a
        recorded operation."""
        return True

    @property
    def grad_fn(self) -> str | None:
        """The name of the recorded operation that made this tensor (None: a leaf)."""
        return None

    def tolist(self) -> Any:
        """The values as nested Python lists of numbers (a number for a 0-d tensor)."""
        return self.numpy().tolist()

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of the elements."""
        dtype: np.dtype[Any] = np.dtype(self._data.dtype)
        return dtype

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda:N"``."""
        return _backend.backend_of(self._data).device

    def array(self) -> Array:
        """The backend array (NumPy or CuPy), shared, not copied. On the CPU it is a read-only
        view: a write through it would change values the graph may have saved without the
        version check of the in-place methods. CuPy has no read-only arrays: a write through
        a CuPy array is untracked (use the in-place methods, or ``x.data``)."""
        data = self._data
        if data.__class__ is np.ndarray and data.flags.writeable:
            data = data.view()
            data.flags.writeable = False
        return data

    @property
    def data(self) -> Constant[*Shape]:
        """PyTorch's ``x.data``: an untracked ``Constant`` sharing ``x``'s values. Changes
        through it (``p.data.add_(u)``, ``m.bias.data.fill_(0)``) reach ``x`` and, as in
        PyTorch, are not version-checked. ``x.data = t`` makes ``t``'s values ``x``'s."""
        return cast("Constant[*Shape]", new_constant(self._data))

    @data.setter
    def data(self, value: Tensor[*AnyShape]) -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a tensor to take the values of, got "
                            f"{type(value).__name__}")
        array = value._data
        if self.__class__ is Variable:
            if array.dtype.kind != "f":
                raise TypeError(f"data: a Variable holds floating values, got dtype "
                                f"{array.dtype}")
            if tuple(array.shape) != tuple(self._data.shape):
                cast(Any, self)._replace_grad(None)  # a gradient of the old shape
        replace_array(self, array)

    def numpy(self) -> np.ndarray[Any, Any]:
        """A NumPy copy of the values, on the host."""
        if _is_numpy(self._data):
            return np.array(self._data)
        return np.asarray(self._data.get())

    def item(self) -> builtins.float | builtins.int | builtins.bool:
        """The value of a one-element tensor as a Python number."""
        if self._data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        value: builtins.float | builtins.int | builtins.bool = self._data.reshape(()).item()
        return value

    def __float__(self) -> builtins.float:
        if self._data.size != 1:
            raise ValueError("float(): only a one-element tensor converts to a Python number, "
                             f"got shape {self.shape}")
        return builtins.float(self._data.reshape(()).item())

    def __int__(self) -> builtins.int:
        if self._data.size != 1:
            raise ValueError("int(): only a one-element tensor converts to a Python number, "
                             f"got shape {self.shape}")
        return builtins.int(self._data.reshape(()).item())

    def __index__(self) -> builtins.int:
        if self._data.size != 1 or self._data.dtype.kind not in "iub":
            raise TypeError(f"{operation_name('__index__')}: only a one-element integer tensor "
                            f"can be used as an index, got shape {self.shape} and dtype "
                            f"{self.dtype}")
        return builtins.int(self._data.reshape(()).item())

    def __array__(self, dtype: Any = None,
                  copy: builtins.bool | None = None) -> np.ndarray[Any, Any]:
        values = self.numpy()
        return values if dtype is None else values.astype(dtype, copy=False)

    def __len__(self) -> builtins.int:
        if self._data.ndim == 0:
            raise TypeError(f"{operation_name('len')}: len() of a 0-d tensor")
        return int(self._data.shape[0])

    @rows_method
    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError(f"{operation_name('iter')}: iteration over a 0-d tensor")
        return (self[index] for index in range(len(self)))

    def __bool__(self) -> builtins.bool:
        if self._data.size != 1:
            raise ValueError(f"{operation_name('bool')}: the truth value of a tensor of shape "
                             f"{self.shape} is ambiguous; use .item(), or reduce it with "
                             "mu.max/mu.min first")
        return builtins.bool(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        # A summary that never copies the whole tensor (a broadcast view of 10^10 elements
        # prints in microseconds): NumPy summarises a host array, views included, without
        # copying; from a device only what is shown comes over, each long axis cut to its
        # first and last 3 elements around one that NumPy's "..." stands for.
        data, shown, summarised = self._data, 3, self._data.size > 64
        if not _is_numpy(data):
            if summarised:
                xp = _backend.namespace_of(data)
                for axis, size in enumerate(data.shape):
                    if size > 2 * shown + 1:
                        kept = [*range(shown + 1), *range(size - shown, size)]
                        data = xp.take(data, xp.asarray(kept), axis=axis)
            data = np.asarray(data.get())
        values = np.array2string(data, separator=", ", precision=4, edgeitems=shown,
                                 threshold=0 if summarised else 64, prefix=" " * 9)
        device = self.device
        where = "" if device == "cpu" else f", device={device}"
        return f"{type(self).__name__}({values}, shape={self.shape}, dtype={self.dtype}{where})"

    # --- operations ----------------------------------------------------------------
    # The operators and methods that mirror operations (``x + y``, ``x.sum()``...) are bound
    # to the class by the op families (``mushin.ops``), each beside its operation, with
    # ``mushin._surface.method``. The checkers see them through ``TensorMethods``, generated
    # from those bindings; the few whose types need their own overloads are declared here.
    if TYPE_CHECKING:

        @overload  # type: ignore[override]
        def __eq__(self, other: Tensor[*Shape] | Scalar) -> Constant[*Shape]: ...
        @overload
        def __eq__(self, other: object) -> Constant: ...
        def __eq__(self, other: object) -> Constant: ...  # pyright: ignore[reportIncompatibleMethodOverride]

        @overload  # type: ignore[override]
        def __ne__(self, other: Tensor[*Shape] | Scalar) -> Constant[*Shape]: ...
        @overload
        def __ne__(self, other: object) -> Constant: ...
        def __ne__(self, other: object) -> Constant: ...  # pyright: ignore[reportIncompatibleMethodOverride]

        def __invert__(self) -> Constant[*Shape]: ...
        def __abs__(self) -> Self: ...

        # Item assignment and the augmented assignments change the tensor in place
        # (``mushin.ops.inplace``): its kind and shape stay. The checkers type ``x += y``
        # through ``__add__`` (same kind and shape as ``x`` whenever the write is valid):
        # declaring ``__iadd__`` and its kin here makes mypy check each against the overloads
        # of ``__add__``, which took it 17 minutes instead of seconds.
        def __setitem__(self, key: Any,
                        value: Tensor[*AnyShape] | Scalar | builtins.bool) -> None: ...

        @overload
        def clip(self, lo: Scalar | None = None, hi: Scalar | None = None) -> Self: ...
        @overload
        def clip(self, lo: Tensor[*AnyShape] | Scalar | None = None,
                 hi: Tensor[*AnyShape] | Scalar | None = None) -> Tensor[*AnyShape]: ...
        def clip(self, lo: Tensor[*AnyShape] | Scalar | None = None,
                 hi: Tensor[*AnyShape] | Scalar | None = None) -> Any: ...

    # The conversions and the ``new_*`` makers are bound by ``mushin.ops.creation``; their
    # types are declared here, by hand (the kind depends on the dtype). The names ``float``,
    # ``int``, ``bool`` and ``type`` are methods in this class's scope, so its annotations
    # spell Python's as ``builtins.float``...
    if TYPE_CHECKING:

        def float(self, memory_format: Any = None) -> Self: ...
        def double(self, memory_format: Any = None) -> Self: ...
        def half(self, memory_format: Any = None) -> Self: ...
        def long(self, memory_format: Any = None) -> Constant[*Shape]: ...
        def int(self, memory_format: Any = None) -> Constant[*Shape]: ...
        def short(self, memory_format: Any = None) -> Constant[*Shape]: ...
        def char(self, memory_format: Any = None) -> Constant[*Shape]: ...
        def byte(self, memory_format: Any = None) -> Constant[*Shape]: ...
        def bool(self, memory_format: Any = None) -> Constant[*Shape]: ...

        @overload
        def to(self, dtype: IntegerDType, /, non_blocking: builtins.bool = False,
               copy: builtins.bool = False, *, memory_format: Any = None) -> Constant[*Shape]: ...
        @overload
        def to(self, device: str | None, dtype: IntegerDType, /,
               non_blocking: builtins.bool = False, copy: builtins.bool = False, *,
               memory_format: Any = None) -> Constant[*Shape]: ...
        @overload
        def to(self, device: str | None = None, *, dtype: IntegerDType,
               non_blocking: builtins.bool = False, copy: builtins.bool = False,
               memory_format: Any = None) -> Constant[*Shape]: ...
        @overload
        def to(self, other: Tensor[*AnyShape], /, non_blocking: builtins.bool = False,
               copy: builtins.bool = False, *, memory_format: Any = None) -> Tensor[*Shape]: ...
        @overload
        def to(self, device: DTypeLike | str | None = None, dtype: DTypeLike | None = None,
               non_blocking: builtins.bool = False, copy: builtins.bool = False, *,
               memory_format: Any = None) -> Self: ...
        def to(self, *args: Any, **kwargs: Any) -> Any: ...

        @overload
        def type(self, dtype: None = None, non_blocking: builtins.bool = False) -> str: ...
        @overload
        def type(self, dtype: IntegerDType,
                 non_blocking: builtins.bool = False) -> Constant[*Shape]: ...
        @overload
        def type(self, dtype: FloatDType, non_blocking: builtins.bool = False) -> Self: ...
        @overload
        def type(self, dtype: DTypeLike, non_blocking: builtins.bool = False) -> Tensor[*Shape]: ...
        def type(self, dtype: Any = None, non_blocking: builtins.bool = False) -> Any: ...

        def type_as(self, other: Tensor[*AnyShape]) -> Tensor[*Shape]: ...

        @overload
        def new_zeros(self, size: tuple[*Target], /, *, dtype: DTypeLike | None = None,
                      device: str | None = None,
                      requires_grad: Literal[False] = False) -> Constant[*Target]: ...
        @overload
        def new_zeros(self, *sizes: builtins.int, size: Sequence[builtins.int] | None = None,
                      dtype: DTypeLike | None = None, device: str | None = None,
                      requires_grad: Literal[False] = False) -> Constant: ...
        @overload
        def new_zeros(self, *sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
                      device: str | None = None, requires_grad: Literal[True]) -> Variable: ...
        def new_zeros(self, *sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
                      device: str | None = None, requires_grad: builtins.bool = False) -> Any: ...

        @overload
        def new_ones(self, size: tuple[*Target], /, *, dtype: DTypeLike | None = None,
                     device: str | None = None,
                     requires_grad: Literal[False] = False) -> Constant[*Target]: ...
        @overload
        def new_ones(self, *sizes: builtins.int, size: Sequence[builtins.int] | None = None,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[False] = False) -> Constant: ...
        @overload
        def new_ones(self, *sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
                     device: str | None = None, requires_grad: Literal[True]) -> Variable: ...
        def new_ones(self, *sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
                     device: str | None = None, requires_grad: builtins.bool = False) -> Any: ...

        @overload
        def new_empty(self, size: tuple[*Target], /, *, dtype: DTypeLike | None = None,
                      device: str | None = None,
                      requires_grad: Literal[False] = False) -> Constant[*Target]: ...
        @overload
        def new_empty(self, *sizes: builtins.int, size: Sequence[builtins.int] | None = None,
                      dtype: DTypeLike | None = None, device: str | None = None,
                      requires_grad: Literal[False] = False) -> Constant: ...
        @overload
        def new_empty(self, *sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
                      device: str | None = None, requires_grad: Literal[True]) -> Variable: ...
        def new_empty(self, *sizes: Any, size: Any = None, dtype: DTypeLike | None = None,
                      device: str | None = None, requires_grad: builtins.bool = False) -> Any: ...

        @overload
        def new_full(self, size: tuple[*Target], fill_value: Scalar | builtins.bool, *,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[False] = False) -> Constant[*Target]: ...
        @overload
        def new_full(self, size: Sequence[builtins.int], fill_value: Scalar | builtins.bool, *,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[False] = False) -> Constant: ...
        @overload
        def new_full(self, size: Sequence[builtins.int], fill_value: Scalar | builtins.bool, *,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: Literal[True]) -> Variable: ...
        def new_full(self, size: Any, fill_value: Scalar | builtins.bool, *,
                     dtype: DTypeLike | None = None, device: str | None = None,
                     requires_grad: builtins.bool = False) -> Any: ...

        @overload
        def new_empty_strided(self, size: tuple[*Target], stride: Sequence[builtins.int], *,
                              dtype: DTypeLike | None = None, device: str | None = None,
                              requires_grad: Literal[False] = False) -> Constant[*Target]: ...
        @overload
        def new_empty_strided(self, size: Sequence[builtins.int],
                              stride: Sequence[builtins.int], *, dtype: DTypeLike | None = None,
                              device: str | None = None,
                              requires_grad: builtins.bool = False) -> Tensor: ...
        def new_empty_strided(self, size: Any, stride: Sequence[builtins.int], *,
                              dtype: DTypeLike | None = None, device: str | None = None,
                              requires_grad: builtins.bool = False) -> Any: ...

        @overload
        def new_tensor(self, data: Any, *, dtype: DTypeLike | None = None,
                       device: str | None = None,
                       requires_grad: Literal[False] = False) -> Constant: ...
        @overload
        def new_tensor(self, data: Any, *, dtype: DTypeLike | None = None,
                       device: str | None = None, requires_grad: Literal[True]) -> Variable: ...
        def new_tensor(self, data: Any, *, dtype: DTypeLike | None = None,
                       device: str | None = None, requires_grad: builtins.bool = False) -> Any: ...

        def bernoulli(self, p: builtins.float | None = None) -> Constant[*Shape]: ...

    def __pos__(self) -> Self:
        return self


_accumulation_lock = threading.Lock()


class RemovableHandle:
    """What a ``register_*_hook`` returns: ``remove()`` unregisters the hook."""

    __slots__ = ("_hook", "_hooks")

    def __init__(self, hooks: list[Any], hook: Any) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


@final
class Variable(Tensor[*Shape]):
    """A tensor tracked in the graph: gradients can be computed with respect to it."""

    # ``_summed``, where set, is the gradient array this Variable made by summing two
    # gradients: no VJP, other tensor or ``grad()`` result shares it, so later gradients are
    # added to it in place (``_accumulate``). Code that replaces ``_grad`` uses
    # ``_replace_grad``, which forgets it, as ``grad()`` does when it hands the array out.
    __slots__ = ("__weakref__", "_grad", "_node", "_summed")
    _node: Node
    _grad: Any
    _summed: Any

    def __init__(self, data: Any, *, dtype: Any = None, device: str | None = None) -> None:
        """A new leaf from array-like ``data`` (always a floating dtype)."""
        array = to_array(data, dtype, device, floating=True)
        _init_variable(self, array)

    def _accumulate(self, grad: Any) -> None:
        """Add the gradient ``grad`` (the parameter's shape and dtype) to the stored one: in
        place into an array this Variable made by an earlier sum, else as a new sum (the
        first gradient may be shared with a VJP's values, and is not written). Threads that
        run backward passes at once take turns here, so no addition is lost."""
        with _accumulation_lock:
            previous = self._grad
            if previous is None:
                self._replace_grad(grad)
            elif previous is getattr(self, "_summed", None) and not isinstance(previous, Tensor):
                previous += grad  # a NumPy scalar (a 0-d sum) makes a new one
                self._grad = self._summed = previous
            else:
                self._grad = self._summed = previous + grad

    def register_post_accumulate_grad_hook(
            self, hook: Callable[[Variable[*Shape]], None]) -> RemovableHandle:
        """Call ``hook(self)`` each time a backward pass has added to this leaf's gradient
        (PyTorch's; data-parallel training starts a bucket's all-reduce from it). Returns a
        handle whose ``remove()`` unregisters it."""
        if not callable(hook):
            raise TypeError(f"register_post_accumulate_grad_hook: hook must be callable, got "
                            f"{type(hook).__name__}")
        if self._node.prim is not None:
            raise RuntimeError(
                "register_post_accumulate_grad_hook: only a leaf Variable accumulates a "
                f"gradient; this one is the result of '{self._node.name}'")
        if self._node.hooks is None:
            self._node.hooks = []
        self._node.hooks.append(hook)
        _graph.hooked_leaves = True
        return RemovableHandle(self._node.hooks, hook)

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Self:
        """PyTorch's ``requires_grad_()``: a leaf Variable is tracked already; a result of an
        operation run under ``no_grad`` (whose own ``backward`` raises) becomes a leaf of its
        own. ``False`` is refused: the kind of a tensor is its type (``.detach()`` gives a
        Constant)."""
        if requires_grad is not True:
            raise TypeError("requires_grad_(False): a Variable stays tracked; use .detach() "
                            "(or .freeze()) for an untracked Constant with the same values")
        if self._node.prim is not None:
            raise RuntimeError(
                f"requires_grad_: this Variable is the result of '{self._node.name}', not a "
                "leaf; use x.detach().unfreeze() for a new leaf with its values")
        self._node.made_by = None
        return self

    @property
    def is_leaf(self) -> builtins.bool:
        """Whether this Variable was made directly (a parameter, an input), rather than by an
        operation while recording (PyTorch's ``is_leaf``)."""
        return self._node.prim is None

    @property
    def grad_fn(self) -> str | None:
        """The name of the operation that made this Variable while recording, or None for a
        leaf (PyTorch gives an object; its name is what programs print)."""
        node = self._node
        return None if node.prim is None else node.prim.name

    def _replace_grad(self, grad: Any) -> None:
        """Set the stored gradient to ``grad`` (None clears it), which may be shared."""
        self._grad = grad
        self._summed = None

    def backward(self, grad: Any = None, *, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d self / d v into every ``Variable`` v that ``self`` depends on.

        ``grad`` is the seed (ones of ``self``'s shape by default). With ``create_graph``,
        the gradients are themselves recorded, so a further ``backward`` gives second
        derivatives; it implies ``retain_graph``.
        """
        made_by = self._node.made_by
        if made_by is not None:
            raise RuntimeError(
                f"backward: this Variable was computed by '{made_by}' under mu.no_grad(), so "
                "it is a leaf with no graph back to its inputs (their gradients would silently "
                "stay zero); compute it with recording on to differentiate through it, or call "
                "x.requires_grad_() to use it as a leaf of its own")
        data = self._data
        if grad is None:
            seed = _backend.namespace_of(data).ones_like(data)
        else:
            seed = grad._data if isinstance(grad, Tensor) else grad
            seed = _backend.backend_of(data).asarray(seed, dtype=data.dtype)
            if tuple(seed.shape) != tuple(data.shape):
                raise ShapeError(f"backward: the seed gradient has shape {tuple(seed.shape)} "
                                 f"but the tensor has shape {tuple(data.shape)}")
        if create_graph:
            ops = graph_ops()
            previous = state.grad_enabled
            state.grad_enabled = True
            try:
                backward_pass(self._node, wrap(seed, None), ops, retain_graph=True)
            finally:
                state.grad_enabled = previous
        else:
            backward_pass(self._node, seed, array_ops(data), retain_graph)

    def grad(self) -> Variable[*Shape]:
        """The accumulated gradient, of this tensor's shape (zeros before any backward)."""
        grad = self._grad
        if grad is None:
            grad = new_variable(_backend.namespace_of(self._data).zeros_like(self._data))
        elif not isinstance(grad, Variable):
            grad = new_variable(grad._data if isinstance(grad, Tensor) else grad)
            # The returned Variable shares the array, so it is no longer this Variable's
            # alone: a later gradient makes a new sum rather than changing what it holds.
            self._summed = None
        return cast("Variable[*Shape]", grad)

    def reset(self) -> None:
        """Set the gradients of this tensor and of every ``Variable`` it depends on to zero."""
        from mushin._graph import topological_order

        self._replace_grad(None)
        for node in topological_order(self._node):
            owner = node.owner()
            if owner is not None:
                owner._replace_grad(None)

    def freeze(self) -> Constant[*Shape]:
        """A ``Constant`` holding the same values (shared, not copied, and sharing the
        version counter, as ``detach``)."""
        return cast("Constant[*Shape]", _alias(self))

    def __deepcopy__(self, memo: dict[int, Any]) -> Variable[*Shape]:
        """A new leaf with a copy of the values and of the gradient (``copy.deepcopy`` of a
        model gives independent parameters, as for target networks)."""
        copied = cast("Variable[*Shape]", new_variable(self._data.copy()))
        grad = self._grad
        if grad is not None:
            copied._grad = (grad._data if isinstance(grad, Tensor) else grad).copy()
        memo[id(self)] = copied
        return copied


@final
class Constant(Tensor[*Shape]):
    """A tensor that is not tracked: no gradient flows to or through it."""

    # ``_range``, where set, bounds the values of integer data moved to a device from the
    # host: the (smallest, largest) value, read there before the copy. cross_entropy, nll and
    # embedding check class indices against it instead of reading the device (a synchronising
    # copy); ``value_range`` below reads it.
    __slots__ = ("_range",)

    def __init__(self, data: Any, *, dtype: Any = None, device: str | None = None) -> None:
        """A constant from array-like ``data`` (integer and bool data are kept)."""
        self._data = to_array(data, dtype, device, floating=False)
        self._version = None
        if device is not None and self._data.__class__ is not np.ndarray:
            bounds = host_range(data)
            if bounds is not None and self._data.dtype.kind in "iu":
                self._range = bounds

    if not TYPE_CHECKING:

        def requires_grad_(self, requires_grad=True):
            """PyTorch's ``requires_grad_()``: ``False`` returns this Constant; ``True``
            raises ``TypeError`` (the kind is the type: ``.unfreeze()`` makes a Variable)."""
            if requires_grad:
                raise TypeError("requires_grad_(): a Constant cannot become tracked in place "
                                "(the kind of a tensor is its type); use x = x.unfreeze()")
            return self

    def unfreeze(self) -> Variable[*Shape]:
        """A new leaf ``Variable`` holding the same values (always a floating dtype)."""
        data = self._data
        if data.dtype.kind not in "fc":
            data = data.astype(_backend.DEFAULT_DTYPE)
        return cast("Variable[*Shape]", new_variable(data))

    if not TYPE_CHECKING:

        def _not_a_variable(self, name):
            raise TypeError(
                f"{name}() needs a Variable, but this is a Constant: gradients are not tracked "
                "for constants; make a Variable with .unfreeze() (or mu.variable(...)) "
                "before building the graph")

        def backward(self, *args, **kwargs):
            """Always a ``TypeError``: a Constant is not tracked (``.unfreeze()`` makes a
            Variable)."""
            self._not_a_variable("backward")

        def grad(self):
            """Always a ``TypeError``: a Constant has no gradient."""
            self._not_a_variable("grad")

        def reset(self):
            """Always a ``TypeError``: a Constant has no gradient to reset."""
            self._not_a_variable("reset")


# --- construction helpers (the hot path uses these, not __init__) -----------------------

_Values = TypeVar("_Values")


class ValuesIndices(NamedTuple, Generic[_Values]):
    """What ``max(x, dim)``, ``sort``, ``topk``, ``kthvalue``... return, as PyTorch's named
    tuples do: ``values`` (of ``x``'s kind) and their ``indices`` (an int64 ``Constant``)."""

    values: _Values
    indices: Constant


def _init_variable(variable: Variable, data: Array) -> None:
    variable._data = data
    variable._grad = None
    variable._version = None
    variable._node = new_node(variable, None, (), None, None, _NO_PARAMS, data.shape, data.dtype)


def new_variable(data: Array, *, no_grad_result: Primitive | None = None) -> Variable:
    """A new leaf ``Variable`` holding the backend array ``data`` (not copied).
    ``no_grad_result``: the leaf is the result of that operation, run while recording was off
    (``mu.no_grad()``)."""
    variable: Variable = object.__new__(Variable)
    _init_variable(variable, data)
    if no_grad_result is not None:
        variable._node.made_by = no_grad_result.name
    return variable


def _is_numpy_scalar(value: Any) -> bool:
    return isinstance(value, np.generic)


def host_range(data: Any) -> tuple[int, int] | None:
    """The smallest and largest value of integer host data (a NumPy array, a nested list or a
    ``Tensor`` of either), or None: not integers, empty, or not on the host."""
    values: Any = data._data if isinstance(data, Tensor) else data
    if values.__class__ is list or values.__class__ is tuple:
        values = np.asarray(values)
    if values.__class__ is not np.ndarray or values.dtype.kind not in "iu" or not values.size:
        return None
    return int(values.min()), int(values.max())


def value_range(tensor: Any) -> tuple[int, int] | None:
    """Bounds on the values of ``tensor`` known without reading a device: those recorded when
    its data came from the host (``Constant._range``), or the host data's own."""
    recorded: tuple[int, int] | None = getattr(tensor, "_range", None)
    return recorded if recorded is not None else host_range(tensor)


def stored_grad(variable: Variable) -> Any:
    """The gradient ``variable`` holds, as it is: None, a backend array, or a ``Variable``
    after a recorded backward (``grad()`` wraps it, and hands it out for good)."""
    return variable._grad


def _alias(tensor: Tensor[*tuple[Any, ...]]) -> Constant:
    """A ``Constant`` on ``tensor``'s values sharing its version counter (``detach``)."""
    counter = tensor._version
    if counter is None:
        counter = counter_of(tensor)
        if tensor.__class__ is Variable:
            add_view(counter, weakref.ref(tensor))
    constant = new_constant(tensor._data)
    constant._version = counter
    return constant


def storage(tensor: Any) -> Array:
    """The backend array of ``tensor`` itself, to read (``x.array()`` is the public,
    read-only form)."""
    return tensor._data


def writable(tensor: Any) -> Array:
    """The backend array of ``tensor``, about to be changed in place: bumps the tensor's
    version, so a graph that saved these values raises at backward instead of using the new
    ones. Every in-place write to a tensor's values goes through here."""
    counter = tensor._version
    if counter is None:
        counter = counter_of(tensor)
    counter[0] += 1
    _graph.note_write()
    return tensor._data


def counter_of(tensor: Any) -> list[Any]:
    """``tensor``'s version counter, made at version 0 if it has none (a Variable's node holds
    it too: see ``Tensor._version``)."""
    counter: list[Any] | None = tensor._version
    if counter is None:
        counter = tensor._version = [0]
        if tensor.__class__ is Variable:
            tensor._node.counter = counter
    return counter


def change_in_place(name: str, tensor: Any, compute: Callable[[Any], Any], *,
                    casting: str = "same_kind") -> Any:
    """Write ``compute(tensor)`` (the out-of-place operation) into ``tensor``'s values and
    return ``tensor``: the in-place methods' one mechanism, with PyTorch's rules.

    A ``Constant``, or a ``Variable`` while recording is off, just takes the new values. A
    non-leaf ``Variable`` while recording also takes the operation's node, so its history
    goes on through the operation (a node of the operation that saved the old values keeps
    a copy of them, made before the write). A leaf ``Variable`` while recording is refused,
    as a tracked tensor that other tracked tensors view. The result must keep the tensor's
    shape and, for arithmetic (``casting="same_kind"``), a dtype that casts to its dtype;
    ``casting="unsafe"`` (``fill_``, ``copy_``, item assignment) casts any values, as PyTorch
    does.
    """
    _check_changeable(name, tensor)
    data = tensor._data
    if any(step == 0 and size > 1 for step, size in zip(data.strides, data.shape, strict=True)):
        raise RuntimeError(
            f"{operation_name(name)}: the tensor of shape {tuple(data.shape)} is a broadcast "
            "view (expand, broadcast_to): several of its elements are one value in memory, so "
            "it cannot be changed in place; change a clone() of it")
    recording = tensor.__class__ is Variable and state.grad_enabled
    source: Any = tensor
    first = 0
    if recording:
        node = tensor._node
        if node.prim is None:
            raise RuntimeError(
                f"{operation_name(name)}: the leaf Variable of shape {tensor.shape} is changed "
                "in place while operations are recorded; do it inside `with mu.no_grad():` (as "
                f"an optimizer step does), or through its untracked values: x.data.{name}(...)")
        _refuse_tracked_views(name, tensor)
        source = wrap(tensor._data, node)
        source._version = counter_of(tensor)
        first = node_mark()
    result = compute(source)
    values = unwrap(result)
    shape = tuple(getattr(values, "shape", ()))
    if shape != tuple(tensor._data.shape):
        raise ShapeError(f"{operation_name(name)}: the result has shape {shape}, but the tensor "
                         f"changed in place has shape {tuple(tensor._data.shape)}: an in-place "
                         "operation cannot change a tensor's shape (broadcasting may not grow it)")
    dtype = tensor._data.dtype
    if casting == "same_kind" and not np.can_cast(values.dtype, dtype, "same_kind"):
        raise TypeError(f"{operation_name(name)}: the result's dtype {values.dtype} cannot be "
                        f"cast to the dtype {dtype} of the tensor changed in place")
    tracked = _has_history(result)
    if tracked and tensor.__class__ is Constant:
        raise TypeError(f"{operation_name(name)}: the values written depend on a tracked "
                        "Variable, but the tensor changed in place is a Constant, which records "
                        "no gradient; make it a Variable first (.unfreeze()), or write under "
                        "mu.no_grad()")
    if recording and tracked:
        _keep_saved_values(result._node, tensor._data, first)
    target = writable(tensor)
    if values is not target:
        target[...] = values
    if recording:
        node = moved_node(result._node, tensor) if tracked else new_node(
            tensor, None, (), None, None, _NO_PARAMS, shape, dtype)
        node.dtype = dtype
        if node.output is not None and node.counter is not tensor._version:
            # The node's saved result (a fresh array, copied into the tensor) keeps the
            # counter it was saved with: it is not the tensor's values.
            own = node.counter if node.counter is not None else [0]
            kept = [entry for entry in node.versions or () if entry[0] >= 0]
            result = [(-1, own, entry[2]) for entry in node.versions or () if entry[0] < 0]
            node.versions = (*kept, *(result or [(-1, own, 0)]))
        node.counter = tensor._version
        tensor._node = node  # (its node before no longer owns it: see ``Node.owner``)
    return tensor


def _check_changeable(name: str, tensor: object) -> None:
    if tensor.__class__ is not Variable and tensor.__class__ is not Constant:
        raise TypeError(f"{operation_name(name)}: expected a mu.Tensor to change in place, got "
                        f"{type(tensor).__name__}")


def _has_history(result: Any) -> bool:
    """Whether ``result`` is a Variable made by a recorded operation."""
    return result.__class__ is Variable and result._node.prim is not None


def _keep_saved_values(root: Node, data: Array, first: int) -> None:
    """Give each node made since the mark ``first`` (the in-place operation's) that saved
    ``data``, or a view of it, a copy of that value, taken before ``data`` is overwritten."""
    xp: Any = _backend.namespace_of(data)
    stack: list[Node] = [root]
    seen: set[Node] = set()
    while stack:
        node = stack.pop()
        if node.created < first or node in seen:
            continue
        seen.add(node)
        stack.extend(parent for parent in node.parents if parent is not None)
        copied: dict[int, Any] = {}
        for position, value in enumerate(node.inputs or ()):
            if value is data or (getattr(value, "base", None) is not None
                                 and xp.may_share_memory(value, data)):
                copied[position] = value.copy()
        output = node.output
        if output is not None and (output is data or (output.base is not None
                                                      and xp.may_share_memory(output, data))):
            copied[-1] = node.output = output.copy()
        if copied:
            inputs = node.inputs or ()
            node.inputs = tuple(copied.get(position, value)
                                for position, value in enumerate(inputs))
            # The copies are the node's own: their versions, 0, never change.
            node.versions = (*(entry for entry in node.versions or () if entry[0] not in copied),
                             *((position, [0], 0) for position in copied))


def _refuse_tracked_views(name: str, tensor: Variable) -> None:
    """Raise if another live tracked tensor views ``tensor``'s values: its graph would not
    know they changed."""
    counter = tensor._version
    if counter is None:
        return
    for ref in counter[1:]:
        other = ref() if ref is not None else None
        if other is not None and other is not tensor:
            raise RuntimeError(
                f"{operation_name(name)}: this Variable of shape {tensor.shape} shares its "
                f"values with another tracked tensor of shape {other.shape} (a view: a reshape, "
                "slice, transpose or expand of it, or the tensor it views), whose graph would "
                "not know of the change; change a clone() in place, or use the out-of-place "
                "operation")


def replace_grad(variable: Variable, grad: Any) -> None:
    """Set the gradient ``variable`` holds (None clears it); ``grad`` may be shared."""
    variable._replace_grad(grad)


def replace_array(tensor: Tensor, array: Array) -> None:
    """Make ``array`` the values of ``tensor`` (a module moved to another device, or converted
    to another dtype, keeps its parameter objects). A leaf ``Variable``'s node learns the new
    dtype too: the engine casts each gradient to its node's dtype, so a parameter converted
    from float32 to float64 would otherwise receive float32 gradients."""
    node = getattr(tensor, "_node", None)
    if node is not None and node.prim is not None and tuple(array.shape) != node.shape:
        raise ShapeError(f"data: this Variable is the result of '{node.name}' of shape "
                         f"{node.shape}; values of shape {tuple(array.shape)} cannot replace "
                         "its values (a leaf's may change shape)")
    tensor._data = array
    if node is not None and node.prim is None:
        node.dtype = array.dtype
        node.shape = tuple(array.shape)


def record_range(constant: Constant, bounds: tuple[int, int]) -> None:
    """Record the (smallest, largest) value of ``constant``'s integer data, read on the host
    before it moved to a device (see ``value_range``)."""
    constant._range = bounds


def new_constant(data: Array) -> Constant:
    """A ``Constant`` holding the backend array ``data`` (not copied)."""
    constant: Constant = object.__new__(Constant)
    constant._data = data
    constant._version = None
    return constant


def to_array(data: Any, dtype: Any, device: str | None, floating: bool) -> Array:
    """A backend array from array-like ``data`` (see ``mu.variable`` for the dtype rules).
    Only bools, integers and floats enter: complex numbers, strings and objects (an array of
    them, or of numbers too big for int64) raise ``TypeError`` naming the function called."""
    if isinstance(data, Tensor):
        data = data._data
    target = _backend.backend(device) if device is not None else None
    if dtype is not None:
        dtype = _backend.float_dtype(dtype) if floating else _backend.parse_dtype(dtype)
    if hasattr(data, "dtype") and hasattr(data, "shape"):
        _backend.check_real_dtype(data.dtype)
        target = target or _backend.backend_of(data)
        array = target.asarray(data, dtype=dtype)
        if dtype is None and floating and array.dtype.kind != "f":
            return array.astype(_backend.DEFAULT_DTYPE)
        # A new tensor owns its values, as torch.tensor's do: in-place optimizer updates must
        # never reach the caller's array.
        if type(array) is type(data) and target.xp.may_share_memory(array, data):
            array = array.copy()
        return array
    target = target or _backend.CPU
    try:
        probe = np.asarray(data)
    except ValueError as error:  # a ragged nested list
        raise ValueError(f"{public_caller()}: cannot make a tensor from {type(data).__name__}"
                         f" ({error})") from None
    if probe.dtype.kind not in _backend.REAL_KINDS:
        raise TypeError(f"{public_caller()}: cannot make a tensor from "
                        f"{type(data).__name__} (as an array: {probe.dtype}): expected "
                        "numbers within int64 or float64, bools, nested lists of them or "
                        "an array of a bool, integer or float dtype")
    if dtype is None and (floating or probe.dtype.kind == "f"):
        dtype = _backend.DEFAULT_DTYPE
    return target.asarray(probe, dtype=dtype)


# --- recording an operation ---------------------------------------------------------------

def _operand_array(name: str, value: Any, reference: Array | None) -> Array:
    """A non-tensor operand of the operation ``name`` as an array (Python scalars stay
    scalars: weak dtype). Operands that are not real numbers or bools (a string, a complex
    array, an int beyond int64) raise naming the operation."""
    if isinstance(value, _SCALARS) or value is None:
        _refuse_wide_ints(name, (value,))
        return value
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        if value.dtype.kind == "c":
            raise TypeError(f"{operation_name(name)}: complex tensors are not supported, got "
                            f"an operand of dtype {value.dtype}")
        if value.dtype.kind not in _backend.REAL_KINDS:
            raise TypeError(f"{operation_name(name)}: expected a numeric tensor, an array or "
                            f"a number, got an operand of dtype {value.dtype}")
        return value
    try:
        probe = np.asarray(value)
    except ValueError as error:  # a ragged nested list
        raise TypeError(f"{operation_name(name)}: unsupported operand of type "
                        f"{type(value).__name__} ({error})") from None
    if reference is None or probe.dtype.kind not in _backend.REAL_KINDS:
        raise TypeError(f"{operation_name(name)}: unsupported operand of type "
                        f"{type(value).__name__}")
    dtype = None
    if probe.dtype.kind == "f":  # a list of floats is weak, as a Python float: the tensor's
        # floating dtype, or PyTorch's default float32 beside an integer or bool tensor
        dtype = reference.dtype if reference.dtype.kind == "f" else _backend.DEFAULT_DTYPE
    return _backend.backend_of(reference).asarray(value, dtype=dtype)


def _refuse_wide_ints(name: str, operands: tuple[Any, ...]) -> None:
    """``ValueError`` naming the operation if a Python int operand does not fit in int64."""
    for operand in operands:
        if operand.__class__ is int and not INT64_MIN <= operand <= INT64_MAX:
            raise ValueError(f"{operation_name(name)}: the integer {operand} does not fit in "
                             "int64")


def _named_error(name: str, error: Exception) -> Exception:
    """``error`` remade with a message that starts with the name of the operation the user
    called (``operation_name``: ``stack`` where its helper ``expand_dims`` failed, in place of
    the helper's name): the array module's own messages ("slice step cannot be zero") do not
    say which operation failed. An ``OverflowError`` (a Python int beyond int64) becomes a
    ``ValueError``; ``error`` itself comes back where its message names the operation."""
    entry = operation_name(name)
    message = str(error)
    if message.startswith(f"{entry}:"):
        return error
    if message.startswith(f"{name}: "):
        message = message[len(name) + 2:]
    for kind in (ShapeError, IndexError, TypeError, ValueError):
        if isinstance(error, kind):
            return kind(f"{entry}: {message}")
    if isinstance(error, OverflowError):
        return ValueError(f"{entry}: {message}")
    return error


def _check_same_device(prim: Primitive, arrays: list[Array]) -> None:
    """Raise if the array operands live on different devices."""
    devices = {_backend.backend_of(array).device for array in arrays
               if not isinstance(array, _SCALARS) and array is not None
               and not isinstance(array, np.generic)}
    if len(devices) > 1:
        raise RuntimeError(f"{operation_name(prim.name)}: operands are on different devices "
                           f"({', '.join(sorted(devices))}); move them with .to(device)")


_NO_PARAMS: dict[str, Any] = {}


def apply(prim: Primitive, *operands: Any, **params: Any) -> Any:
    """Run ``prim`` on the operands and record it in the graph if any is a ``Variable``.

    This is the hot path of every operation: the common case (NumPy arrays and Python
    scalars) takes one pass over the operands and creates one node.
    """
    arrays: list[Array] = []
    parents: list[Node | None] = []
    tracked = False
    reference = None
    numpy_only = True
    versioned = False  # whether an operand has a version to record (see below)
    for operand in operands:
        kind = operand.__class__
        if kind is Variable:
            data = operand._data
            tracked = True
            parents.append(operand._node)
            if operand._version is not None:
                versioned = True
        elif kind is Constant:
            data = operand._data
            parents.append(None)
            versioned = True
        else:
            parents.append(None)
            arrays.append(operand)
            if kind not in _SCALARS and operand is not None:
                numpy_only = False
            continue
        arrays.append(data)
        if data.__class__ is not np.ndarray:
            numpy_only = False
        if reference is None:
            reference = data
    if numpy_only:
        xp: Any = np
        forward = prim.host_forward
    else:
        if reference is None:
            reference = next((value for value in arrays if hasattr(value, "dtype")), None)
        for position, operand in enumerate(operands):
            if not isinstance(operand, Tensor):
                arrays[position] = _operand_array(prim.name, operand, reference)
        _check_same_device(prim, arrays)
        xp = np if reference is None or _is_numpy(reference) else _backend.namespace_of(
            reference)
        forward = prim.run_forward
    if reference is None:
        # Python numbers alone: NumPy would compute an int beyond int64 with Python's own
        # ints, without bound (``pow(-3, 10**30)`` never returns)
        _refuse_wide_ints(prim.name, operands)
    try:
        output = forward(xp, *arrays, **params)
    except (TypeError, ValueError, IndexError, OverflowError) as error:
        named = _named_error(prim.name, error)
        if named is error:
            raise
        raise named from error
    if xp is np and output.__class__ is not np.ndarray and (
            output.__class__ in _SCALARS or _is_numpy_scalar(output)):
        output = np.asarray(output)  # (Python numbers alone: their ints were checked above)
    if reference is None and output.dtype == np.float64 and "dtype" not in params and any(
            operand.__class__ is float for operand in operands):
        # Python numbers alone: a float gives PyTorch's default dtype, float32 (mu.exp(1.0))
        output = output.astype(np.float32)
    if state.anomaly:
        check_finite(prim.name, output, "forward")
    # A result that views an operand's values (a reshape, a slice, a transpose...) shares
    # that operand's version counter: changing either in place changes both.
    # (A forward that returns an operand itself returns its first: ``x.float()`` of a float.)
    counter = None
    if output.base is not None or (arrays and output is arrays[0]):
        counter = _shared_counter(output, operands)
    if not tracked:
        constant: Constant = object.__new__(Constant)
        constant._data = output
        constant._version = counter
        return constant
    if not state.grad_enabled or prim.vjp is None:
        variable = new_variable(output, no_grad_result=prim if prim.vjp else None)
        variable._version = variable._node.counter = counter
        if counter is not None:
            add_view(counter, weakref.ref(variable))
        return variable
    variable = object.__new__(Variable)
    variable._data = output
    variable._grad = None
    variable._node = node = new_node(
        variable, prim, tuple(parents), tuple(arrays) if prim.save_inputs else None,
        output if prim.save_output else None, params or _NO_PARAMS, output.shape, output.dtype)
    variable._version = counter
    if counter is not None:
        node.counter = counter
        add_view(counter, weakref.ref(variable))
    if versioned and prim.save_inputs:
        # What the node checks at backward (``check_versions``) besides the values saved at
        # version 0 (the usual case, implied): for each tensor operand with a version counter,
        # its position, the counter (None: on its node) and the version it had when saved.
        saved: list[tuple[int, list[Any] | None, int]] = []
        for position, operand in enumerate(operands):
            kind = operand.__class__
            if kind is Variable:
                found = operand._version
                if found is not None:
                    saved.append((position, None, found[0]))
            elif kind is Constant:
                found = counter_of(operand)
                saved.append((position, found, found[0]))
        if counter is not None and prim.save_output:
            saved.append((-1, None, counter[0]))
        node.versions = tuple(saved)
    elif counter is not None and prim.save_output:
        node.versions = ((-1, None, counter[0]),)
    return variable


def _shared_counter(output: Array, operands: tuple[Any, ...]) -> list[Any] | None:
    """The version counter of the operand whose values ``output`` views (made if it has
    none yet), or None if it views none of them."""
    for operand in operands:
        kind = operand.__class__
        if kind is not Variable and kind is not Constant:
            continue
        data = operand._data
        if data is output or (data.size and output.size and _backend.namespace_of(
                data).may_share_memory(data, output)):
            counter: list[Any] | None = operand._version
            if counter is None:
                counter = counter_of(operand)
                if kind is Variable:
                    add_view(counter, weakref.ref(operand))
            return counter
    return None


def add_view(counter: list[Any], view: weakref.ref[Any] | None) -> None:
    """Record in ``counter`` a tracked tensor that shares its values (the references to the
    tensors that died are dropped every 32 records, so the list stays as long as the live
    views)."""
    counter.append(view)
    if len(counter) % 32 == 0:
        counter[1:] = [ref for ref in counter[1:] if ref is not None and ref() is not None]


# --- the two function sets a VJP runs with (see ``mushin._graph.Primitive``) ------------------
# ``array_ops(reference)`` runs each primitive's forward directly on backend arrays: the fast,
# usual backward pass. ``graph_ops()`` runs each primitive through ``apply``, so the backward
# pass is itself recorded (``backward(create_graph=True)``). Both expose every registered
# primitive by name (``F.cos(x)``, ``F.sum(g, axis=(0,))``) plus the few helpers the engine needs.

def wrap(value: Any, node: Node | None) -> Any:
    """A saved value as a tensor: a ``Variable`` on ``node``, or a ``Constant``."""
    if node is None:
        if value is None or isinstance(value, int | float | bool | Tensor):
            return value  # pyright: ignore[reportUnknownVariableType] (isinstance on Any)
        return new_constant(value)
    variable: Variable = object.__new__(Variable)
    variable._data = value
    variable._version = node.counter
    variable._grad = None
    variable._node = node
    return variable


def unwrap(value: Any) -> Any:
    """The backend array of a tensor; anything else unchanged."""
    return value._data if isinstance(value, Tensor) else value


def _unwrapped(prim: Primitive) -> Any:
    """A non-differentiable primitive on tensors: computed on the arrays, a ``Constant``."""

    def run(*operands: Any, **params: Any) -> Any:
        return apply(prim, *(unwrap(operand) for operand in operands), **params)

    return run


_array_cache: dict[tuple[int, int], SimpleNamespace] = {}
_graph_cache: dict[int, SimpleNamespace] = {}


def _build_array_ops(xp: ModuleType) -> SimpleNamespace:
    # A primitive with a fused rule for ``xp`` runs through it (``F.softmax`` in a VJP).
    functions = {name: functools.partial(
        prim.run_forward if (prim.cpu_forward if xp is np else prim.cuda_forward) is not None
        else prim.forward, xp)
        for name, prim in PRIMITIVES.items()}
    return SimpleNamespace(graph_mode=False, xp=xp, wrap=wrap, unwrap=unwrap,
                           zeros_like=xp.zeros_like, **functions)


def array_ops(reference: Array) -> SimpleNamespace:
    """The function set on plain arrays of ``reference``'s array module."""
    xp = np if isinstance(reference, np.ndarray) else _backend.namespace_of(reference)
    key = (id(xp), len(PRIMITIVES))
    found = _array_cache.get(key)
    if found is None:
        found = _array_cache[key] = _build_array_ops(xp)
    return found


def graph_ops() -> SimpleNamespace:
    """The function set on tensors, recording every step (for ``create_graph=True``)."""
    found = _graph_cache.get(len(PRIMITIVES))
    if found is None:
        functions = {name: (functools.partial(apply, prim) if prim.vjp is not None
                            else _unwrapped(prim)) for name, prim in PRIMITIVES.items()}

        def zeros_like(value: Any) -> Any:
            data = unwrap(value)
            return new_constant(_backend.namespace_of(data).zeros_like(data))

        found = _graph_cache[len(PRIMITIVES)] = SimpleNamespace(
            graph_mode=True, xp=None, wrap=wrap, unwrap=unwrap, zeros_like=zeros_like,
            **functions)
    return found
