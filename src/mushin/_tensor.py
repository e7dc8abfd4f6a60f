"""``Tensor``, ``Variable`` and ``Constant``, and :func:`apply`, which records an operation.

The tensor classes are thin: each holds a backend array (``_data``); a ``Variable`` also holds
its graph :class:`~mushin._graph.Node` and its accumulated gradient. Every operation goes
through :func:`apply`, which unwraps the operands, runs the primitive's forward on the
backend, and wraps the result by the kind rule: a ``Variable`` when any operand is a
``Variable``, otherwise a ``Constant``.

The classes are generic over their shape (``Variable[L[32], L[784]]``) for static checking;
at run time the type parameters are ignored and shapes are checked by the operations.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING, Any, Generic, TypeVarTuple, final

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._graph import Node, Primitive, backward_pass, check_finite, state

Shape = TypeVarTuple("Shape")

_SCALARS = (int, float, bool)


class ShapeError(ValueError):
    """An operation received operands whose shapes do not fit together."""


def _is_numpy(array: Any) -> bool:
    return isinstance(array, np.ndarray | np.generic)


class Tensor(Generic[*Shape]):
    """What ``Variable`` and ``Constant`` share: an array on a device, and the operations.

    Methods and operators delegate to the functions of ``mushin.ops``.
    """

    __slots__ = ("_data",)
    _data: Array
    # Makes NumPy's operators defer to ours, so ``array + tensor`` is recorded like
    # ``tensor + array`` instead of silently becoming a plain NumPy array.
    __array_priority__ = 1000

    # --- array facts -----------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """The size of each axis."""
        return tuple(self._data.shape)

    @property
    def ndim(self) -> int:
        """The number of axes."""
        return int(self._data.ndim)

    @property
    def size(self) -> int:
        """The number of elements."""
        return int(self._data.size)

    @property
    def dtype(self) -> np.dtype[Any]:
        """The NumPy dtype of the elements."""
        dtype: np.dtype[Any] = np.dtype(self._data.dtype)
        return dtype

    @property
    def device(self) -> str:
        """``"cpu"`` or ``"cuda:N"``."""
        return _backend.backend_of(self._data).device

    def data(self) -> Array:
        """The backend array itself (NumPy or CuPy), shared, not copied."""
        return self._data

    def numpy(self) -> np.ndarray[Any, Any]:
        """A NumPy copy of the values, on the host."""
        if _is_numpy(self._data):
            return np.array(self._data)
        return np.asarray(self._data.get())

    def item(self) -> float | int | bool:
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        value: float | int | bool = self._data.reshape(()).item()
        return value

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray[Any, Any]:
        values = self.numpy()
        return values if dtype is None else values.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return int(self._data.shape[0])

    def __iter__(self) -> Any:
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[index] for index in range(len(self)))

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous; "
                             "use .item(), or reduce it with mu.max/mu.min first")
        return bool(self.item())

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        values = np.array2string(self.numpy(), separator=", ", precision=4,
                                 threshold=64, edgeitems=3, prefix=" " * 9)
        device = self.device
        where = "" if device == "cpu" else f", device={device}"
        return f"{type(self).__name__}({values}, shape={self.shape}, dtype={self.dtype}{where})"

    # --- operators -------------------------------------------------------------------
    def __add__(self, other: Any) -> Any:
        return apply(_ops.ADD, self, other)

    def __radd__(self, other: Any) -> Any:
        return apply(_ops.ADD, other, self)

    def __sub__(self, other: Any) -> Any:
        return apply(_ops.SUB, self, other)

    def __rsub__(self, other: Any) -> Any:
        return apply(_ops.SUB, other, self)

    def __mul__(self, other: Any) -> Any:
        return apply(_ops.MUL, self, other)

    def __rmul__(self, other: Any) -> Any:
        return apply(_ops.MUL, other, self)

    def __truediv__(self, other: Any) -> Any:
        return apply(_ops.DIV, self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return apply(_ops.DIV, other, self)

    def __pow__(self, other: Any) -> Any:
        return _ops.pow(self, other)

    def __rpow__(self, other: Any) -> Any:
        return _ops.pow(other, self)

    def __matmul__(self, other: Any) -> Any:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _ops.matmul(other, self)

    def __neg__(self) -> Any:
        return apply(_ops.NEG, self)

    def __pos__(self) -> Any:
        return self

    def __abs__(self) -> Any:
        return _ops.abs(self)

    def __lt__(self, other: Any) -> Constant[*Shape]:
        return _ops.compare("less", self, other)

    def __le__(self, other: Any) -> Constant[*Shape]:
        return _ops.compare("less_equal", self, other)

    def __gt__(self, other: Any) -> Constant[*Shape]:
        return _ops.compare("greater", self, other)

    def __ge__(self, other: Any) -> Constant[*Shape]:
        return _ops.compare("greater_equal", self, other)

    def __eq__(self, other: Any) -> Constant[*Shape]:  # type: ignore[override]
        return _ops.compare("equal", self, other)

    def __ne__(self, other: Any) -> Constant[*Shape]:  # type: ignore[override]
        return _ops.compare("not_equal", self, other)

    def __and__(self, other: Any) -> Constant[*Shape]:
        return _ops.compare("logical_and", self, other)

    def __or__(self, other: Any) -> Constant[*Shape]:
        return _ops.compare("logical_or", self, other)

    def __xor__(self, other: Any) -> Constant[*Shape]:
        return _ops.compare("logical_xor", self, other)

    def __invert__(self) -> Constant[*Shape]:
        return _ops.logical_not(self)

    def __getitem__(self, index: Any) -> Any:
        return _ops.getitem(self, index)

    # --- methods ---------------------------------------------------------------------
    def add(self, other: Any) -> Any:
        return _ops.add(self, other)

    def sub(self, other: Any) -> Any:
        return _ops.sub(self, other)

    def mul(self, other: Any) -> Any:
        return _ops.mul(self, other)

    def div(self, other: Any) -> Any:
        return _ops.div(self, other)

    def mm(self, other: Any) -> Any:
        return _ops.mm(self, other)

    def matmul(self, other: Any) -> Any:
        return _ops.matmul(self, other)

    def pow(self, exponent: Any) -> Any:
        return _ops.pow(self, exponent)

    def neg(self) -> Any:
        return _ops.neg(self)

    def exp(self) -> Any:
        return _ops.exp(self)

    def log(self) -> Any:
        return _ops.log(self)

    def sqrt(self) -> Any:
        return _ops.sqrt(self)

    def abs(self) -> Any:
        return _ops.abs(self)

    def sin(self) -> Any:
        return _ops.sin(self)

    def cos(self) -> Any:
        return _ops.cos(self)

    def tanh(self) -> Any:
        return _ops.tanh(self)

    def clip(self, lo: Any = None, hi: Any = None) -> Any:
        return _ops.clip(self, lo, hi)

    def maximum(self, other: Any) -> Any:
        return _ops.maximum(self, other)

    def minimum(self, other: Any) -> Any:
        return _ops.minimum(self, other)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        return _ops.mean(self, axis, keepdims)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        return _ops.max(self, axis, keepdims)

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Any:
        return _ops.min(self, axis, keepdims)

    def var(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False,
            ddof: int = 0) -> Any:
        return _ops.var(self, axis, keepdims, ddof=ddof)

    def logsumexp(self, axis: int | tuple[int, ...] | None = None,
                  keepdims: bool = False) -> Any:
        return _ops.logsumexp(self, axis, keepdims)

    def reshape(self, *shape: Any) -> Any:
        target = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return _ops.reshape(self, target)

    def transpose(self, axes: tuple[int, ...] | None = None) -> Any:
        return _ops.transpose(self, axes)

    @property
    def T(self) -> Any:
        """The matrix transpose: the last two axes swapped (as ``.mT``)."""
        return _ops.matrix_transpose(self)

    @property
    def mT(self) -> Any:
        """The matrix transpose: the last two axes swapped."""
        return _ops.matrix_transpose(self)

    def flatten(self) -> Any:
        return _ops.flatten(self)

    def expand_dims(self, axis: int | tuple[int, ...]) -> Any:
        return _ops.expand_dims(self, axis)

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Any:
        return _ops.squeeze(self, axis)

    def broadcast_to(self, shape: tuple[int, ...]) -> Any:
        return _ops.broadcast_to(self, shape)

    def astype(self, dtype: Any) -> Any:
        return _ops.astype(self, dtype)

    def to(self, device: str) -> Any:
        """A copy on ``device`` (the same tensor if it is already there).

        A ``Variable`` copy stays in the graph: gradients flow back to the original device.
        """
        return _ops.to_device(self, device)


@final
class Variable(Tensor[*Shape]):
    """A tensor tracked in the graph: gradients can be computed with respect to it."""

    __slots__ = ("__weakref__", "_grad", "_node")
    _node: Node
    _grad: Any

    def __init__(self, data: Any, *, dtype: Any = None, device: str | None = None) -> None:
        """A new leaf from array-like ``data`` (always a floating dtype)."""
        array = _to_array(data, dtype, device, floating=True)
        _init_variable(self, array, None)  # type: ignore[arg-type]

    def _accumulate(self, grad: Any) -> None:
        previous = self._grad
        self._grad = grad if previous is None else previous + grad

    def backward(self, grad: Any = None, *, retain_graph: bool = False,
                 create_graph: bool = False) -> None:
        """Accumulate d self / d v into every ``Variable`` v that ``self`` depends on.

        ``grad`` is the seed (ones of ``self``'s shape by default). With ``create_graph``,
        the gradients are themselves recorded, so a further ``backward`` gives second
        derivatives; it implies ``retain_graph``.
        """
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
            ops = _ops.graph_ops()
            previous = state.grad_enabled
            state.grad_enabled = True
            try:
                backward_pass(self._node, _ops.wrap(seed, None), ops, retain_graph=True)
            finally:
                state.grad_enabled = previous
        else:
            backward_pass(self._node, seed, _ops.array_ops(data), retain_graph)

    def grad(self) -> Variable[*Shape]:
        """The accumulated gradient, of this tensor's shape (zeros before any backward)."""
        grad = self._grad
        if grad is None:
            return _new_variable(_backend.namespace_of(self._data).zeros_like(self._data))
        if isinstance(grad, Variable):
            return grad
        if isinstance(grad, Tensor):
            return _new_variable(grad._data)
        return _new_variable(grad)

    def reset(self) -> None:
        """Set the gradients of this tensor and of every ``Variable`` it depends on to zero."""
        from mushin._graph import topological_order

        self._grad = None
        for node in topological_order(self._node):
            owner = node.owner() if node.owner is not None else None
            if owner is not None:
                owner._grad = None

    def freeze(self) -> Constant[*Shape]:
        """A ``Constant`` holding the same values (shared, not copied)."""
        return _new_constant(self._data)

    def detach(self) -> Variable[*Shape]:
        """A new leaf ``Variable`` holding the same values, cut from the graph."""
        return _new_variable(self._data)


@final
class Constant(Tensor[*Shape]):
    """A tensor that is not tracked: no gradient flows to or through it."""

    __slots__ = ()

    def __init__(self, data: Any, *, dtype: Any = None, device: str | None = None) -> None:
        """A constant from array-like ``data`` (integer and bool data are kept)."""
        self._data = _to_array(data, dtype, device, floating=False)

    def unfreeze(self) -> Variable[*Shape]:
        """A new leaf ``Variable`` holding the same values (always a floating dtype)."""
        data = self._data
        if data.dtype.kind not in "fc":
            data = data.astype(_backend.DEFAULT_DTYPE)
        return _new_variable(data)

    if not TYPE_CHECKING:

        def _not_a_variable(self, name):
            raise TypeError(
                f"{name}() needs a Variable, but this is a Constant: gradients are not tracked "
                "for constants; make a Variable with .unfreeze() (or mu.variable(...)) "
                "before building the graph")

        def backward(self, *args, **kwargs):
            self._not_a_variable("backward")

        def grad(self):
            self._not_a_variable("grad")

        def reset(self):
            self._not_a_variable("reset")


# --- construction helpers (the hot path uses these, not __init__) -----------------------

def _init_variable(variable: Variable[Any], data: Array, node: Node | None) -> None:
    variable._data = data
    variable._grad = None
    if node is None:
        node = Node(None, (), None, None, {}, data.shape, data.dtype)
    node.owner = weakref.ref(variable)
    variable._node = node


def _new_variable(data: Array, node: Node | None = None) -> Variable[Any]:
    variable: Variable[Any] = object.__new__(Variable)
    _init_variable(variable, data, node)
    return variable


def _new_constant(data: Array) -> Constant[Any]:
    constant: Constant[Any] = object.__new__(Constant)
    constant._data = data
    return constant


def _to_array(data: Any, dtype: Any, device: str | None, floating: bool) -> Array:
    """A backend array from array-like ``data`` (see ``mu.variable`` for the dtype rules)."""
    if isinstance(data, Tensor):
        data = data._data
    target = _backend.backend(device) if device is not None else None
    if dtype is not None:
        dtype = _backend.float_dtype(dtype) if floating else _backend.parse_dtype(dtype)
    if hasattr(data, "dtype") and hasattr(data, "shape"):
        source = _backend.backend_of(data)
        target = target or source
        array = target.asarray(data, dtype=dtype) if source is target else (
            target.asarray(source.xp.asnumpy(data) if source.device_id is not None else data,
                           dtype=dtype))
        if dtype is None and floating and array.dtype.kind not in "fc":
            array = array.astype(_backend.DEFAULT_DTYPE)
        return array
    target = target or _backend.CPU
    if dtype is None:
        probe = np.asarray(data)
        if probe.dtype.kind == "O" or probe.dtype.kind in "US":
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: expected "
                            "numbers, nested lists of numbers or an array")
        if floating or probe.dtype.kind in "fc":
            dtype = _backend.DEFAULT_DTYPE
    return target.asarray(data, dtype=dtype)


# --- recording an operation ---------------------------------------------------------------

def _operand_array(value: Any, reference: Array | None) -> Array:
    """A non-tensor operand as an array (Python scalars stay scalars: weak dtype)."""
    if isinstance(value, _SCALARS) or value is None:
        return value
    if hasattr(value, "dtype") and hasattr(value, "shape"):
        return value
    if reference is None:
        raise TypeError(f"unsupported operand of type {type(value).__name__}")
    probe = np.asarray(value)
    if probe.dtype.kind not in "biuf":
        raise TypeError(f"unsupported operand of type {type(value).__name__}")
    dtype = reference.dtype if probe.dtype.kind == "f" else None
    return _backend.backend_of(reference).asarray(value, dtype=dtype)


def _check_same_device(prim: Primitive, arrays: list[Array]) -> None:
    """Raise if the array operands live on different devices."""
    devices = {_backend.backend_of(array).device for array in arrays
               if not isinstance(array, _SCALARS) and array is not None
               and not isinstance(array, np.generic)}
    if len(devices) > 1:
        raise RuntimeError(f"{prim.name}: operands are on different devices "
                           f"({', '.join(sorted(devices))}); move them with .to(device)")


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
    for operand in operands:
        kind = operand.__class__
        if kind is Variable:
            data = operand._data
            tracked = True
            parents.append(operand._node)
        elif kind is Constant:
            data = operand._data
            parents.append(None)
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
    else:
        if reference is None:
            reference = next((value for value in arrays if hasattr(value, "dtype")), None)
        for position, operand in enumerate(operands):
            if not isinstance(operand, Tensor):
                arrays[position] = _operand_array(operand, reference)
        _check_same_device(prim, arrays)
        xp = np if reference is None or _is_numpy(reference) else _backend.namespace_of(
            reference)
    output = prim.forward(xp, *arrays, **params)
    if xp is np and output.__class__ is not np.ndarray:
        output = np.asarray(output)
    if state.anomaly:
        check_finite(prim.name, output, "forward")
    if not tracked:
        constant: Constant[Any] = object.__new__(Constant)
        constant._data = output
        return constant
    if not state.grad_enabled or prim.vjp is None:
        return _new_variable(output)
    node = Node(prim, tuple(parents), tuple(arrays) if prim.save_inputs else None,
                output if prim.save_output else None, params, output.shape, output.dtype)
    variable: Variable[Any] = object.__new__(Variable)
    variable._data = output
    variable._grad = None
    variable._node = node
    node.owner = weakref.ref(variable)
    return variable


from mushin import ops as _ops  # noqa: E402 - the operations need the classes above
