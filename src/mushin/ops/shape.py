"""Shape operations, PyTorch's names: reshapes and views, permutations and transposes, size-1
axes, broadcasts and repeats, flips and rolls, slices along an axis, indexing, copies, and
moving between devices. Joins and splits are in ``join.py``; diagonals and triangles in
``triangle.py``.

``sum_to`` is the inverse of ``broadcast_to``: the engine uses it to sum every gradient back
to its operand's shape, and the two are each other's VJP. Many of these are views in PyTorch;
here they are new tensors with the same values and gradients.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any, cast

import numpy as np

from mushin import _backend
from mushin._backend import DEFAULT_DTYPE, Array
from mushin._check import (
    axis_argument,
    broadcast_shape,
    check_shape_argument,
    is_int,
    normalize_axis,
    shape_of,
    single_axis,
)
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, apply, host_range, new_constant, unwrap
from mushin.errors import ShapeError

RESHAPE = Primitive("reshape", lambda xp, x, shape: xp.reshape(x, shape),
                    lambda F, g, inputs, out, parents, shape: (
                        F.reshape(g, shape=parents[0].shape),), saves="none")


def _transpose_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   axes: tuple[int, ...]) -> tuple[Any]:
    inverse = tuple(sorted(range(len(axes)), key=axes.__getitem__))
    return (F.transpose(g, axes=inverse),)


TRANSPOSE = Primitive("transpose", lambda xp, x, axes: xp.transpose(x, axes), _transpose_vjp,
                      saves="none")
MATRIX_TRANSPOSE = Primitive("matrix_transpose", lambda xp, x: xp.swapaxes(x, -1, -2),
                             lambda F, g, inputs, out, parents: (F.matrix_transpose(g),),
                             saves="none")
BROADCAST_TO = Primitive("broadcast_to", lambda xp, x, shape: xp.broadcast_to(x, shape),
                         lambda F, g, inputs, out, parents, shape: (g,), saves="none")


def _sum_to_forward(xp: Any, x: Array, shape: tuple[int, ...]) -> Array:
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + index for index, size in enumerate(shape)
                                      if size == 1 and x.shape[lead + index] != 1)
    summed = xp.sum(x, axis=axes, keepdims=True) if axes else x
    return xp.reshape(summed, shape) if lead or summed.shape != shape else summed


SUM_TO = Primitive("sum_to", _sum_to_forward,
                   lambda F, g, inputs, out, parents, shape: (
                       F.broadcast_to(g, shape=parents[0].shape),), saves="none")


def _concat_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, axis: int,
                sizes: tuple[int, ...]) -> tuple[Any, ...]:
    grads: list[Any] = []
    start = 0
    for parent, size in zip(parents, sizes, strict=True):
        if parent is not None:
            index = (slice(None),) * axis + (slice(start, start + size),)
            grads.append(F.getitem(g, index=index))
        else:
            grads.append(None)
        start += size
    return tuple(grads)


def _concat_forward(xp: Any, *arrays: Array, axis: int, sizes: tuple[int, ...]) -> Array:
    return xp.concatenate(arrays, axis=axis)


CONCAT = Primitive("concat", _concat_forward, _concat_vjp, saves="none")


def _is_basic(index: tuple[Any, ...]) -> bool:
    """Whether an index uses only ints, slices, None and Ellipsis (no element repeats)."""
    return builtins.all(isinstance(item, int | slice) or item is None or item is Ellipsis
                        for item in index)


def _index_add_forward(xp: Any, g: Array, index: Any, shape: tuple[int, ...]) -> Array:
    result = xp.zeros(shape, dtype=g.dtype)
    if _is_basic(index):
        result[index] = g
    else:
        xp.add.at(result, index, g)
    return result


def _getitem_forward(xp: Any, x: Array, index: Any) -> Array:
    try:
        return x[index]
    except IndexError as error:
        raise IndexError(f"getitem: {error} (tensor of shape {tuple(x.shape)})") from error


GETITEM = Primitive("getitem", _getitem_forward,
                    lambda F, g, inputs, out, parents, index: (
                        F.index_add(g, index=index, shape=parents[0].shape),), saves="none")
INDEX_ADD = Primitive("index_add", _index_add_forward,
                      lambda F, g, inputs, out, parents, index, shape: (
                          F.getitem(g, index=index),), saves="none")


TO_DEVICE = Primitive("to_device",
                      lambda xp, x, device, source: _backend.backend(device).asarray(x),
                      lambda F, g, inputs, out, parents, device, source: (
                          F.to_device(g, device=source, source=device),), saves="none")

FLIP = Primitive("flip", lambda xp, x, dims: xp.flip(x, axis=dims) if dims else x,
                 lambda F, g, inputs, out, parents, dims: (F.flip(g, dims=dims),), saves="none")
ROLL = Primitive("roll", lambda xp, x, shifts, dims: xp.roll(x, shifts, axis=dims) if dims else x,
                 lambda F, g, inputs, out, parents, shifts, dims: (
                     F.roll(g, shifts=tuple(-shift for shift in shifts), dims=dims),),
                 saves="none")
CLONE = Primitive("clone", lambda xp, x: xp.array(x, copy=True),
                  lambda F, g, inputs, out, parents: (g,), saves="none")


# --- argument helpers ---------------------------------------------------------------------------

def _sizes(name: str, what: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """PyTorch's ``*sizes`` arguments: ``f(2, 3)`` or ``f((2, 3))`` (a list, a tuple, a
    ``torch.Size``-like sequence), as one tuple."""
    if len(args) == 1 and isinstance(args[0], tuple | list):
        return tuple(cast("Sequence[Any]", args[0]))
    for item in args:
        if not is_int(item):
            raise TypeError(f"{name}: {what} must be ints, got {args!r}")
    return tuple(args)


def one_axis(name: str, dim: Any, ndim: int) -> int:
    """One axis (negatives allowed) as a positive int; a 0-d tensor takes 0 and -1."""
    return single_axis(name, dim, ndim)


def _items(value: Any) -> tuple[Any, ...]:
    """A tuple or list argument's items; anything else as a 1-tuple (``dims=1``)."""
    if isinstance(value, tuple | list):
        return tuple(cast("Sequence[Any]", value))
    return (value,)


def _permutation(name: str, dims: Sequence[Any], shape: tuple[int, ...]) -> tuple[int, ...]:
    """``dims`` checked to be a permutation of the axes of ``shape`` (negatives allowed)."""
    ndim = len(shape)
    order = tuple(int(axis) % ndim if is_int(axis) and -ndim <= axis < ndim else -1
                  for axis in dims)
    if sorted(order) != list(range(ndim)):
        raise ValueError(f"{name}: axes {tuple(dims)} are not a permutation of the {ndim} axes "
                         f"of a tensor of shape {shape}")
    return order


def _int_value(name: str, what: str, value: Any) -> int:
    """An int argument that PyTorch also takes as a 0-d integer tensor (``narrow``'s start)."""
    data = unwrap(value)
    if hasattr(data, "dtype") and getattr(data, "ndim", None) == 0 and data.dtype.kind in "iu":
        return int(data.item())
    if not is_int(value):
        raise TypeError(f"{name}: {what} must be an int, got {value!r}")
    return int(value)


# --- reshapes -----------------------------------------------------------------------------------

@exported("reshape_function")
def reshape(x: Any, shape: Any) -> Any:
    """``x`` with a new shape of the same size; one size may be -1 (inferred). The gradient is
    reshaped back."""
    old = shape_of(x)
    new = check_shape_argument("reshape", shape, allow_minus_one=True)
    return apply(RESHAPE, x, shape=_infer_shape("reshape", old, new))


def _infer_shape(name: str, old: tuple[int, ...], new: tuple[int, ...]) -> tuple[int, ...]:
    """``new`` with its -1 (at most one) replaced by the size that keeps ``old``'s count."""
    unknown = new.count(-1)
    known = math.prod(size for size in new if size != -1)
    total = math.prod(old)
    if unknown > 1:
        raise ValueError(f"{name}: only one size may be -1, got {new}")
    if unknown:
        if known == 0 or total % known:
            raise ShapeError(f"{name}: cannot reshape a tensor of shape {old} into {new}")
        return tuple(total // known if size == -1 else size for size in new)
    if known != total:
        raise ShapeError(f"{name}: cannot reshape a tensor of shape {old} ({total} elements) "
                         f"into {new} ({known} elements)")
    return new


@method("reshape", typing="reshape_method")
def _reshape_method(x: Any, *shape: Any) -> Any:
    """``x`` with a new shape of the same size: ``x.reshape((2, 3))`` or ``x.reshape(2, 3)``
    (one size may be -1, inferred), as ``mu.reshape(x, shape)``."""
    target = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
    return reshape(x, target)


@method("view", typing="reshape_method")
def view(x: Any, *shape: Any) -> Any:
    """``x.view(2, 3)`` or ``x.view((2, 3))``: ``x`` with a new shape of the same size (one
    size may be -1), as ``reshape``. A new tensor rather than a view of the same memory;
    PyTorch's ``view(dtype)`` (reinterpreting the bits) is not supported."""
    if len(shape) == 1 and not isinstance(shape[0], int | tuple | list) and not is_int(shape[0]):
        raise TypeError(f"view: expected a shape (ints or a tuple of ints), got {shape[0]!r}; "
                        "view(dtype), which reinterprets the bits, is not supported")
    old = shape_of(x)
    new = check_shape_argument("view", _sizes("view", "sizes", shape), allow_minus_one=True)
    return apply(RESHAPE, x, shape=_infer_shape("view", old, new))


@method("view_as", typing="runtime_shape_method")
def view_as(x: Any, other: Any) -> Any:
    """``x`` with ``other``'s shape (same number of elements)."""
    return apply(RESHAPE, x, shape=_infer_shape("view_as", shape_of(x), shape_of(other)))


@method("reshape_as", typing="runtime_shape_method")
def reshape_as(x: Any, other: Any) -> Any:
    """``x`` with ``other``'s shape (same number of elements)."""
    return apply(RESHAPE, x, shape=_infer_shape("reshape_as", shape_of(x), shape_of(other)))


@exported("flatten_function")
@method("flatten", typing="flatten_method")
def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """The axes ``start_dim`` to ``end_dim`` (all by default) joined into one; a 0-d tensor
    becomes shape ``(1,)``."""
    shape = shape_of(x)
    if not shape:
        one_axis("flatten", start_dim, 0)
        one_axis("flatten", end_dim, 0)
        return apply(RESHAPE, x, shape=(1,))
    start = one_axis("flatten", start_dim, len(shape))
    end = one_axis("flatten", end_dim, len(shape))
    if start > end:
        raise ValueError(f"flatten: start_dim ({start_dim}) comes after end_dim ({end_dim}) in "
                         f"a tensor of shape {shape}")
    new = (*shape[:start], math.prod(shape[start:end + 1]), *shape[end + 1:])
    return apply(RESHAPE, x, shape=new)


@exported("flatten_function")
@method("ravel", typing="flatten_method")
def ravel(x: Any) -> Any:
    """``x`` as one axis (row-major order)."""
    return apply(RESHAPE, x, shape=(math.prod(shape_of(x)),))


@exported("runtime_shape_function")
@method("unflatten", typing="runtime_shape_method")
def unflatten(x: Any, dim: int, sizes: Any) -> Any:
    """Axis ``dim`` split into axes of ``sizes`` (one may be -1, inferred)."""
    shape = shape_of(x)
    axis = one_axis("unflatten", dim, len(shape))
    if not shape:
        raise ShapeError("unflatten: a 0-d tensor has no axis to unflatten")
    new = check_shape_argument("unflatten", sizes, allow_minus_one=True)
    if not new:
        raise ValueError("unflatten: sizes must not be empty")
    inner = _infer_shape("unflatten", (shape[axis],), new)
    return apply(RESHAPE, x, shape=shape[:axis] + inner + shape[axis + 1:])


@exported("runtime_shape_function")
@method("expand_dims", typing="runtime_shape_method")
def expand_dims(x: Any, axis: int | tuple[int, ...]) -> Any:
    """``x`` with new size-1 axes at the positions ``axis`` of the result (NumPy's)."""
    shape = shape_of(x)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    positions = normalize_axis("expand_dims", axes, len(shape) + len(axes)) or ()
    sizes = iter(shape)
    new = tuple(1 if index in positions else next(sizes)
                for index in range(len(shape) + len(positions)))
    return apply(RESHAPE, x, shape=new)


@exported("runtime_shape_function")
@method("unsqueeze", typing="runtime_shape_method")
def unsqueeze(x: Any, dim: int) -> Any:
    """``x`` with a new size-1 axis at position ``dim`` of the result (``-1``: last)."""
    shape = shape_of(x)
    position = one_axis("unsqueeze", dim, len(shape) + 1)
    return apply(RESHAPE, x, shape=(*shape[:position], 1, *shape[position:]))


@exported("runtime_shape_function")
@method("squeeze", typing="runtime_shape_method")
def squeeze(x: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """``x`` without its size-1 axes: all of them by default, else those among ``dim`` (an int
    or a tuple); as in PyTorch, a chosen axis whose size is not 1 is kept."""
    shape = shape_of(x)
    given = axis if dim is None else dim
    if isinstance(given, tuple | list) and not given:
        return apply(RESHAPE, x, shape=shape)  # PyTorch's squeeze(x, ()): no axis chosen
    chosen = axis_argument("squeeze", dim, axis)
    if not shape:
        if chosen is not None:
            items = _items(chosen)
            for item in items:
                one_axis("squeeze", item, 0)
            if len(items) > 1:  # 0 and -1 are the same axis
                raise ValueError(f"squeeze: repeated axis in {chosen!r}")
        return apply(RESHAPE, x, shape=())
    axes = normalize_axis("squeeze", chosen, len(shape))
    if axes is None:
        axes = tuple(range(len(shape)))
    return apply(RESHAPE, x, shape=tuple(size for index, size in enumerate(shape)
                                         if index not in axes or size != 1))


# --- permutations -------------------------------------------------------------------------------

@exported("runtime_shape_function")
@method("permute", typing="runtime_shape_method")
def permute(x: Any, *args: Any, dims: Any = None) -> Any:
    """The axes reordered: axis ``i`` of the result is axis ``dims[i]`` of ``x``
    (``mu.permute(x, (2, 0, 1))``, ``x.permute(2, 0, 1)``, ``dims=``)."""
    if dims is not None and args:
        raise TypeError("permute: give the axes positionally or as dims=, not both")
    given = args if dims is None else (dims,)
    order = _permutation("permute", _sizes("permute", "dims", given), shape_of(x))
    return apply(TRANSPOSE, x, axes=order)


def _moved(name: str, shape: tuple[int, ...], source: Any, destination: Any) -> tuple[int, ...]:
    """The permutation that moves the axes ``source`` to the positions ``destination``."""
    ndim = len(shape)
    sources = _items(source)
    targets = _items(destination)
    if len(sources) != len(targets):
        raise ValueError(f"{name}: source {sources} and destination {targets} must have the "
                         "same number of axes")
    moved = [one_axis(name, item, ndim) for item in sources]
    placed = [one_axis(name, item, ndim) for item in targets]
    if len(set(moved)) != len(moved) or len(set(placed)) != len(placed):
        raise ValueError(f"{name}: repeated axis in source {sources} or destination {targets}")
    if not ndim:
        return ()
    order: list[int] = [-1] * ndim
    for axis, position in zip(moved, placed, strict=True):
        order[position] = axis
    rest = iter(axis for axis in range(ndim) if axis not in moved)
    return tuple(next(rest) if axis == -1 else axis for axis in order)


@exported("runtime_shape_function")
@method("movedim", typing="runtime_shape_method")
def movedim(x: Any, source: Any, destination: Any) -> Any:
    """The axes ``source`` (an int or a sequence) moved to the positions ``destination``;
    the other axes keep their order."""
    return apply(TRANSPOSE, x, axes=_moved("movedim", shape_of(x), source, destination))


@exported("runtime_shape_function")
@method("moveaxis", typing="runtime_shape_method")
def moveaxis(x: Any, source: Any, destination: Any) -> Any:
    """``movedim`` (NumPy's name)."""
    return apply(TRANSPOSE, x, axes=_moved("moveaxis", shape_of(x), source, destination))


def _swap(name: str, x: Any, first: Any, second: Any) -> Any:
    shape = shape_of(x)
    one = one_axis(name, first, len(shape))
    other = one_axis(name, second, len(shape))
    order = list(range(len(shape)))
    if shape:
        order[one], order[other] = order[other], order[one]
    return apply(TRANSPOSE, x, axes=tuple(order))


@exported("runtime_shape_function")
@method("swapaxes", typing="runtime_shape_method")
def swapaxes(x: Any, axis0: int, axis1: int) -> Any:
    """The axes ``axis0`` and ``axis1`` exchanged."""
    return _swap("swapaxes", x, axis0, axis1)


@exported("runtime_shape_function")
@method("swapdims", typing="runtime_shape_method")
def swapdims(x: Any, dim0: int, dim1: int) -> Any:
    """The axes ``dim0`` and ``dim1`` exchanged."""
    return _swap("swapdims", x, dim0, dim1)


@exported("transpose_function")
@method("transpose", typing="transpose_method")
def transpose(x: Any, dim0: Any = None, dim1: Any = None, *, axes: Any = None) -> Any:
    """PyTorch's ``transpose(x, dim0, dim1)`` exchanges two axes; ``transpose(x)`` reverses
    them all, and ``transpose(x, axes)`` with a tuple or list (or ``axes=``) permutes them as
    NumPy's ``transpose`` does."""
    shape = shape_of(x)
    if dim1 is not None:
        if axes is not None:
            raise TypeError("transpose: give two axes or axes=, not both")
        return _swap("transpose", x, dim0, dim1)
    if dim0 is not None:
        if axes is not None:
            raise TypeError("transpose: give a permutation or axes=, not both")
        if not isinstance(dim0, tuple | list):
            raise TypeError(f"transpose: expected two axes or a permutation, got only {dim0!r}")
        axes = cast("Any", dim0)
    if axes is None:
        order = tuple(reversed(range(len(shape))))
    else:
        order = _permutation("transpose", _items(axes), shape)
    return apply(TRANSPOSE, x, axes=order)


@exported("transpose_function")
@method("t", typing="transpose_method")
def t(x: Any) -> Any:
    """A matrix transposed; a 0-d or 1-D tensor unchanged (at most 2 axes, as PyTorch's)."""
    shape = shape_of(x)
    if len(shape) > 2:
        raise ShapeError(f"t: expects a tensor with at most 2 axes, got shape {shape}; use "
                         "transpose(x, dim0, dim1) or x.mT")
    return apply(TRANSPOSE, x, axes=tuple(reversed(range(len(shape)))))


@method("T", "mT", "H", "mH", typing="matrix_transpose_property")
def matrix_transpose(x: Any) -> Any:
    """The last two axes swapped: ``x.T`` and ``x.mT`` (and ``x.H``, ``x.mH``, the same for
    real tensors). ``.T`` is the matrix transpose, as the contract says, not PyTorch's reversal
    of every axis (docs/porting.md)."""
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(f"matrix_transpose: needs at least 2 axes, got shape {shape}")
    return apply(MATRIX_TRANSPOSE, x)


# --- broadcasts and repeats ---------------------------------------------------------------------

@exported("broadcast_function")
@method("broadcast_to", typing="broadcast_method")
def broadcast_to(x: Any, shape: Any) -> Any:
    """``x`` broadcast to ``shape`` (NumPy's rules); the gradient is summed back."""
    old = shape_of(x)
    new = check_shape_argument("broadcast_to", shape)
    _check_broadcast("broadcast_to", old, new)
    return apply(BROADCAST_TO, x, shape=new)


def _check_broadcast(name: str, old: tuple[int, ...], new: tuple[int, ...]) -> None:
    pairs = zip(reversed(old), reversed(new), strict=False)
    if len(old) > len(new) or builtins.any(size not in (1, target) for size, target in pairs):
        raise ShapeError(f"{name}: cannot broadcast shape {old} to {new}")


@method("expand", typing="runtime_shape_method")
def expand(x: Any, *sizes: Any) -> Any:
    """``x.expand(3, -1, 4)``: ``x`` broadcast to the sizes given, -1 keeping an axis's size;
    new axes go in front. The gradient is summed back."""
    old = shape_of(x)
    new = check_shape_argument("expand", _sizes("expand", "sizes", sizes), allow_minus_one=True)
    lead = len(new) - len(old)
    if lead < 0:
        raise ShapeError(f"expand: {len(new)} sizes {new} for a tensor of shape {old}: give at "
                         "least one size per axis")
    if -1 in new[:lead]:
        raise ValueError(f"expand: -1 cannot be the size of a new leading axis, got {new}")
    target = tuple(old[index - lead] if size == -1 else size for index, size in enumerate(new))
    _check_broadcast("expand", old, target)
    return apply(BROADCAST_TO, x, shape=target)


@method("expand_as", typing="runtime_shape_method")
def expand_as(x: Any, other: Any) -> Any:
    """``x`` broadcast to ``other``'s shape."""
    target = shape_of(other)
    _check_broadcast("expand_as", shape_of(x), target)
    return apply(BROADCAST_TO, x, shape=target)


def broadcast_shapes(*shapes: Any) -> tuple[int, ...]:
    """The shape that ``shapes`` (each a tuple of ints, or an int) broadcast to together."""
    result: tuple[int, ...] = ()
    for shape in shapes:
        result = broadcast_shape("broadcast_shapes", result,
                                 check_shape_argument("broadcast_shapes", shape))
    return result


@exported("split_function")
def broadcast_tensors(*tensors: Any) -> tuple[Any, ...]:
    """The tensors broadcast to their common shape, as a tuple; each gradient is summed back."""
    if len(tensors) == 1 and isinstance(tensors[0], tuple | list):
        tensors = tuple(cast("Sequence[Any]", tensors[0]))
    target: tuple[int, ...] = ()
    for tensor in tensors:
        target = broadcast_shape("broadcast_tensors", target, shape_of(tensor))
    return tuple(apply(BROADCAST_TO, tensor, shape=target) for tensor in tensors)


def _repeat(name: str, x: Any, repeats: tuple[int, ...]) -> Any:
    """``x`` (with leading size-1 axes up to ``len(repeats)``) repeated ``repeats[i]`` times
    along axis ``i``, whole copies after one another: one broadcast between two reshapes."""
    shape = shape_of(x)
    for count in repeats:
        if not is_int(count):
            raise TypeError(f"{name}: repeats must be ints, got {repeats}")
        if count < 0:
            raise ValueError(f"{name}: repeats must be non-negative ints, got {repeats}")
    full = (1,) * (len(repeats) - len(shape)) + shape
    spread = tuple(size for pair in zip((1,) * len(full), full, strict=True) for size in pair)
    wide = tuple(size for pair in zip(repeats, full, strict=True) for size in pair)
    result = apply(BROADCAST_TO, apply(RESHAPE, x, shape=spread), shape=wide)
    return apply(RESHAPE, result, shape=tuple(
        count * size for count, size in zip(repeats, full, strict=True)))


@method("repeat", typing="runtime_shape_method")
def repeat(x: Any, *sizes: Any) -> Any:
    """``x.repeat(2, 3)``: ``x`` tiled ``sizes[i]`` times along axis ``i`` (at least one size
    per axis; extra sizes add leading axes). The gradient sums over the copies."""
    repeats = _sizes("repeat", "sizes", sizes)
    if len(repeats) < len(shape_of(x)):
        raise ValueError(f"repeat: {len(repeats)} repeats {repeats} for a tensor of shape "
                         f"{shape_of(x)}: give at least one per axis")
    return _repeat("repeat", x, repeats)


@exported("runtime_shape_function")
@method("tile", typing="runtime_shape_method")
def tile(x: Any, dims: Any) -> Any:
    """``x`` tiled ``dims[i]`` times along axis ``i``; fewer ``dims`` than axes are padded
    with 1s in front (unlike ``repeat``)."""
    repeats = _sizes("tile", "dims", (dims,))
    ndim = len(shape_of(x))
    return _repeat("tile", x, (1,) * (ndim - len(repeats)) + repeats)


def _host_ints(name: str, value: Any) -> Any:
    """Integer values (a tensor, an array or a list) as a NumPy int64 array on the host."""
    data = unwrap(value)
    if hasattr(data, "get") and not isinstance(data, np.ndarray | np.generic):
        data = data.get()  # a CuPy array
    array: np.ndarray[Any, Any] = np.asarray(cast("Any", data))
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integers, got values of dtype {array.dtype}")
    return array.astype(np.int64)


@exported("runtime_shape_function")
@method("repeat_interleave", typing="runtime_shape_method")
def repeat_interleave(x: Any, repeats: Any = None, dim: Any = None, *,
                      output_size: Any = None) -> Any:
    """Each element repeated ``repeats`` times (an int, or one count per element along
    ``dim``) in place, along ``dim`` (of the flattened ``x`` by default). With ``x`` alone,
    integer counts: the indices ``0, 1, ...`` each repeated its count (a ``Constant``)."""
    if repeats is None:
        counts = _host_ints("repeat_interleave", x)
        if counts.ndim != 1 or (counts < 0).any():
            raise ValueError("repeat_interleave: counts must be a 1-D tensor of non-negative "
                             f"ints, got shape {counts.shape}")
        positions = np.repeat(np.arange(len(counts)), counts)
        data = unwrap(x)
        return new_constant(_backend.backend_of(data).asarray(positions)
                            if hasattr(data, "dtype") else positions)
    if dim is None:
        x = ravel(x)
        dim = 0
    shape = shape_of(x)
    axis = one_axis("repeat_interleave", dim, len(shape))
    if not shape:
        x, shape = apply(RESHAPE, x, shape=(1,)), (1,)
    if is_int(repeats) or (hasattr(unwrap(repeats), "dtype") and shape_of(repeats) in ((), (1,))):
        count = repeats if is_int(repeats) else int(_host_ints("repeat_interleave",
                                                               repeats).reshape(()))
        if count < 0:
            raise ValueError(f"repeat_interleave: repeats must not be negative, got {count}")
        total = shape[axis] * count
        if output_size is not None and output_size != total:
            raise ValueError(f"repeat_interleave: output_size {output_size} but the result has "
                             f"{total} along dim {dim}")
        spread = (*shape[:axis + 1], 1, *shape[axis + 1:])
        wide = (*shape[:axis + 1], count, *shape[axis + 1:])
        result = apply(BROADCAST_TO, apply(RESHAPE, x, shape=spread), shape=wide)
        return apply(RESHAPE, result, shape=(*shape[:axis], total, *shape[axis + 1:]))
    counts = _host_ints("repeat_interleave", repeats)
    if counts.shape != (shape[axis],) or (counts < 0).any():
        raise ValueError(f"repeat_interleave: repeats must hold one non-negative count per "
                         f"element of dim {dim} (size {shape[axis]}), got shape {counts.shape}")
    positions = np.repeat(np.arange(shape[axis]), counts)
    if output_size is not None and output_size != len(positions):
        raise ValueError(f"repeat_interleave: output_size {output_size} but the result has "
                         f"{len(positions)} along dim {dim}")
    return getitem(x, (slice(None),) * axis + (positions,))


# --- flips and rolls ----------------------------------------------------------------------------

@exported("same_type_function")
@method("flip", typing="same_type_method")
def flip(x: Any, *args: Any, dims: Any = None) -> Any:
    """``x`` reversed along the axes ``dims`` (``mu.flip(x, (0, 1))``, ``x.flip(0, 1)``,
    ``dims=``). The gradient is flipped back."""
    shape = shape_of(x)
    if dims is not None and args:
        raise TypeError("flip: give the axes positionally or as dims=, not both")
    if dims is None and not args:
        raise TypeError("flip: missing the axes to flip (dims)")
    axes = _sizes("flip", "dims", args if dims is None else (dims,))
    chosen = normalize_axis("flip", axes, builtins.max(len(shape), 1)) or ()
    return apply(FLIP, x, dims=chosen if shape else ())


@exported("same_type_function")
@method("fliplr", typing="same_type_method")
def fliplr(x: Any) -> Any:
    """``x`` reversed along axis 1 (left to right); needs at least 2 axes."""
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(f"fliplr: needs at least 2 axes, got shape {shape}")
    return apply(FLIP, x, dims=(1,))


@exported("same_type_function")
@method("flipud", typing="same_type_method")
def flipud(x: Any) -> Any:
    """``x`` reversed along axis 0 (up to down); needs at least 1 axis."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("flipud: needs at least 1 axis, got a 0-d tensor")
    return apply(FLIP, x, dims=(0,))


@exported("same_type_function")
@method("roll", typing="same_type_method")
def roll(x: Any, shifts: Any, dims: Any = None) -> Any:
    """``x`` shifted circularly by ``shifts`` along ``dims`` (ints or tuples of one length);
    without ``dims``, the flattened ``x`` is rolled and its shape restored."""
    shape = shape_of(x)
    steps = _items(shifts)
    if builtins.any(not is_int(step) for step in steps):
        raise TypeError(f"roll: shifts must be ints, got {shifts!r}")
    if dims is None:
        if len(steps) != 1:
            raise ValueError(f"roll: {len(steps)} shifts need as many dims, got none")
        flat = apply(ROLL, ravel(x), shifts=(int(steps[0]),), dims=(0,))
        return apply(RESHAPE, flat, shape=shape)
    axes = _items(dims)
    if len(axes) != len(steps):
        raise ValueError(f"roll: shifts {steps} and dims {axes} must have the same length")
    chosen = tuple(one_axis("roll", axis, len(shape)) for axis in axes)
    if not shape:
        return apply(ROLL, x, shifts=(), dims=())
    return apply(ROLL, x, shifts=tuple(int(step) for step in steps), dims=chosen)


@exported("runtime_shape_function")
@method("rot90", typing="runtime_shape_method")
def rot90(x: Any, k: int = 1, dims: Any = (0, 1)) -> Any:
    """``x`` rotated by ``k`` quarter turns in the plane of the two axes ``dims``, from the
    first towards the second."""
    shape = shape_of(x)
    axes = _items(dims)
    if len(axes) != 2:
        raise ValueError(f"rot90: dims must name two axes, got {dims!r}")
    if len(shape) < 2:
        raise ShapeError(f"rot90: needs at least 2 axes, got shape {shape}")
    if not is_int(k):
        raise TypeError(f"rot90: k must be an int, got {k!r}")
    first, second = (one_axis("rot90", axis, len(shape)) for axis in axes)
    if first == second:
        raise ValueError(f"rot90: dims must be two different axes, got {dims!r}")
    turns = int(k) % 4
    if turns == 0:
        return clone(x)
    if turns == 2:
        return apply(FLIP, x, dims=tuple(sorted((first, second))))
    flipped = apply(FLIP, x, dims=(second if turns == 1 else first,))
    return _swap("rot90", flipped, first, second)


# --- slices along an axis -------------------------------------------------------------------------

@exported("runtime_shape_function")
@method("narrow", typing="runtime_shape_method")
def narrow(x: Any, dim: int, start: Any, length: int) -> Any:
    """The ``length`` elements from ``start`` (negative: from the end) along ``dim``."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("narrow: a 0-d tensor has no axis to narrow")
    axis = one_axis("narrow", dim, len(shape))
    begin = _int_value("narrow", "start", start)
    count = _int_value("narrow", "length", length)
    size = shape[axis]
    if not -size <= begin <= size:
        raise IndexError(f"narrow: start {begin} is out of range for dim {dim} of size {size}")
    if begin < 0:
        begin += size
    if count < 0 or begin + count > size:
        raise IndexError(f"narrow: start {begin} + length {count} exceeds dim {dim} of size "
                         f"{size}")
    return apply(GETITEM, x, index=(slice(None),) * axis + (slice(begin, begin + count),))


@exported("runtime_shape_function")
@method("select", typing="runtime_shape_method")
def select(x: Any, dim: int, index: Any) -> Any:
    """The slice at ``index`` (negative: from the end) along ``dim``, which is removed."""
    shape = shape_of(x)
    if not shape:
        raise ShapeError("select: a 0-d tensor has no axis to select from")
    axis = one_axis("select", dim, len(shape))
    position = _int_value("select", "index", index)
    if not -shape[axis] <= position < shape[axis]:
        raise IndexError(f"select: index {position} is out of range for dim {dim} of size "
                         f"{shape[axis]}")
    return apply(GETITEM, x, index=(slice(None),) * axis + (position % shape[axis],))


@method("unfold", typing="runtime_shape_method")
def unfold(x: Any, dimension: int, size: int, step: int) -> Any:
    """``x.unfold(dim, size, step)``: every window of ``size`` elements along ``dim``, ``step``
    apart; the windows replace ``dim`` and their elements form a new last axis."""
    shape = shape_of(x)
    axis = one_axis("unfold", dimension, len(shape))
    if not is_int(size) or not is_int(step):
        raise TypeError(f"unfold: size and step must be ints, got {size!r} and {step!r}")
    if step <= 0:
        raise ValueError(f"unfold: step must be positive, got {step}")
    length = shape[axis] if shape else 1
    if not 0 <= size <= length:
        raise ShapeError(f"unfold: size {size} does not fit in dim {dimension} of size {length} "
                         f"(tensor of shape {shape})")
    if not shape:
        return apply(GETITEM, apply(RESHAPE, x, shape=(1,)), index=(slice(0, size),))
    count = (length - size) // step + 1
    windows = np.arange(count)[:, None] * step + np.arange(size)[None, :]
    gathered = getitem(x, (slice(None),) * axis + (windows,))
    order = tuple(range(axis + 1)) + tuple(range(axis + 2, len(shape) + 1)) + (axis + 1,)
    return apply(TRANSPOSE, gathered, axes=order)


# --- copies -----------------------------------------------------------------------------------

@method("contiguous", typing="same_type_method")
def contiguous(x: Any, memory_format: Any = None) -> Any:
    """``x`` itself: mushin's tensors need no particular memory layout."""
    return x


@exported("same_type_function")
@method("clone", typing="same_type_method")
def clone(x: Any, *, memory_format: Any = None) -> Any:
    """A copy of ``x`` with its own memory; the gradient passes through unchanged."""
    return apply(CLONE, x)


def _at_least(name: str, ndim: int, tensors: tuple[Any, ...]) -> Any:
    several = len(tensors) != 1 or isinstance(tensors[0], tuple | list)
    items = tuple(cast("Sequence[Any]", tensors[0])) if len(tensors) == 1 and several \
        else tensors
    results: list[Any] = []
    for tensor in items:
        shape = shape_of(tensor)
        if len(shape) >= ndim:
            results.append(tensor)
            continue
        new: tuple[int, ...]
        if ndim == 3 and len(shape) == 2:
            new = (*shape, 1)
        elif ndim == 3 and len(shape) == 1:
            new = (1, *shape, 1)
        else:
            new = (1,) * (ndim - len(shape)) + shape
        results.append(apply(RESHAPE, tensor, shape=new))
    return tuple(results) if several else results[0]


@exported("runtime_shape_function")
def atleast_1d(*tensors: Any) -> Any:
    """The tensor with at least 1 axis (a 0-d tensor becomes shape ``(1,)``); several tensors
    (or one list of them) give a tuple."""
    return _at_least("atleast_1d", 1, tensors)


@exported("runtime_shape_function")
def atleast_2d(*tensors: Any) -> Any:
    """The tensor with at least 2 axes (new ones in front); several tensors give a tuple."""
    return _at_least("atleast_2d", 2, tensors)


@exported("runtime_shape_function")
def atleast_3d(*tensors: Any) -> Any:
    """The tensor with at least 3 axes (``(n,)`` becomes ``(1, n, 1)``, ``(m, n)`` becomes
    ``(m, n, 1)``, as NumPy's and PyTorch's); several tensors give a tuple."""
    return _at_least("atleast_3d", 3, tensors)


# --- joins used across the package (the PyTorch family is in join.py) ---------------------------

def join_axis(name: str, dim: Any, axis: Any) -> Any:
    """A join's axis from PyTorch's ``dim=`` or NumPy's ``axis=`` (not both); 0 by default."""
    chosen = axis_argument(name, dim, axis)
    if chosen is None:
        return 0
    if not is_int(chosen):
        raise TypeError(f"{name}: dim must be an int, got {chosen!r}")
    return chosen


def sum_to(x: Any, shape: Any) -> Any:
    """``x`` summed down to ``shape`` (the inverse of ``broadcast_to``)."""
    old = shape_of(x)
    new = check_shape_argument("sum_to", shape)
    pairs = zip(reversed(new), reversed(old), strict=False)
    if len(new) > len(old) or builtins.any(size not in (1, source) for size, source in pairs):
        raise ShapeError(f"sum_to: cannot sum shape {old} down to {new}")
    return apply(SUM_TO, x, shape=new)


def _join_dtype(value: Any) -> np.dtype[Any]:
    """The dtype a joined operand counts with: its own, or for a Python number the tensor
    PyTorch would make of it (bool, int64, float32)."""
    dtype = getattr(value, "dtype", None)
    if dtype is not None:
        own: np.dtype[Any] = np.dtype(dtype)
        return own
    if isinstance(value, bool):
        return np.dtype(np.bool_)
    if isinstance(value, int):
        return np.dtype(np.int64)
    if isinstance(value, float):
        return DEFAULT_DTYPE
    found: np.dtype[Any] = np.asarray(value).dtype
    return found


def _common_dtype(tensors: Sequence[Any]) -> Any:
    """PyTorch's result dtype of joined tensors: floating beats integer beats bool, and within
    a category the widest wins (int64 with float32 gives float32, as in PyTorch)."""
    dtypes = [_join_dtype(unwrap(tensor)) for tensor in tensors]
    if len(set(dtypes)) <= 1:
        return None
    for kinds in ("fc", "iu", "b"):
        found = [dtype for dtype in dtypes if dtype.kind in kinds]
        if found:
            return np.result_type(*found)
    return None


def promoted(tensors: list[Any], among: list[Any] | None = None) -> list[Any]:
    """The tensors of a join cast to the common dtype of ``among`` (by default the tensors
    themselves): PyTorch's promotion."""
    target = _common_dtype(tensors if among is None else among)
    # Python numbers become arrays of the dtype they count with (a float is float32).
    tensors = [np.asarray(tensor, dtype=target or _join_dtype(tensor))
               if isinstance(tensor, bool | int | float) else tensor for tensor in tensors]
    if target is None:
        return tensors
    from mushin.ops.elementwise import astype

    return [tensor if np.dtype(getattr(unwrap(tensor), "dtype", target)) == target
            else astype(tensor, target) if isinstance(tensor, Tensor)
            else tensor.astype(target) for tensor in tensors]


def tensor_list(name: str, tensors: Any) -> list[Any]:
    """The tensors of a join (a list, a tuple or any iterable of them, not one tensor)."""
    if isinstance(tensors, Tensor) or not hasattr(tensors, "__iter__") or hasattr(
            tensors, "dtype"):
        raise TypeError(f"{name}: expected a sequence of tensors, got "
                        f"{type(cast('object', tensors)).__name__}")
    items = list(cast("Sequence[Any]", tensors))
    for index, item in enumerate(items):
        if not (isinstance(item, Tensor | bool | int | float | list) or hasattr(item, "shape")):
            raise TypeError(f"{name}: expected a tensor, an array or a number as element "
                            f"{index}, got {type(item).__name__}")
    return items


def join_tensors(name: str, tensors: Any, dim: Any) -> Any:
    """``cat`` and its aliases, errors named ``name``: the tensors joined along ``dim``."""
    tensors = tensor_list(name, tensors)
    if not tensors:
        raise ValueError(f"{name}: needs at least one tensor")
    given = tensors  # every tensor counts for the dtype, even a skipped one
    shapes = [shape_of(tensor) for tensor in tensors]
    # PyTorch's legacy rule: 1-D empty tensors are skipped when others are not.
    kept = [index for index, shape in enumerate(shapes) if shape != (0,)]
    if kept and len(kept) < len(tensors):
        tensors = [tensors[index] for index in kept]
        shapes = [shapes[index] for index in kept]
    ndim = len(shapes[0])
    if ndim == 0:
        raise ShapeError(f"{name}: cannot concatenate 0-d tensors; use stack")
    position = (normalize_axis(name, dim, ndim) or (0,))[0]
    for shape in shapes[1:]:
        if len(shape) != ndim or builtins.any(
                size != first for index, (size, first) in enumerate(zip(shape, shapes[0],
                                                                        strict=True))
                if index != position):
            raise ShapeError(f"{name}: shapes {shapes[0]} and {shape} differ outside axis "
                             f"{position}")
    return apply(CONCAT, *promoted(tensors, given), axis=position,
                 sizes=tuple(shape[position] for shape in shapes))


@exported("join_function")
def concat(tensors: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """The tensors joined along an existing axis ``dim`` (0 by default; NumPy's ``axis=``
    too); the other axes must agree. Mixed dtypes promote as in PyTorch; 1-D empty tensors
    are skipped. Each gradient is its slice of the result's."""
    return join_tensors("concat", tensors, join_axis("concat", dim, axis))


@exported("join_function")
def stack(tensors: Any, dim: Any = None, *, axis: Any = None) -> Any:
    """The tensors, all of one shape, joined along a new axis ``dim`` (0 by default)."""
    tensors = tensor_list("stack", tensors)
    if not tensors:
        raise ValueError("stack: needs at least one tensor")
    shapes = [shape_of(tensor) for tensor in tensors]
    if len(set(shapes)) > 1:
        raise ShapeError(f"stack: all tensors must have one shape, got {sorted(set(shapes))}")
    chosen = join_axis("stack", dim, axis)
    position = (normalize_axis("stack", chosen, len(shapes[0]) + 1) or (0,))[0]
    shape = shapes[0]
    lifted = (*shape[:position], 1, *shape[position:])
    tensors = promoted(tensors)
    return apply(CONCAT, *[apply(RESHAPE, tensor, shape=lifted) for tensor in tensors],
                 axis=position, sizes=(1,) * len(tensors))


# --- indexing -----------------------------------------------------------------------------------

def _index_item(item: Any) -> Any:
    item = unwrap(item)
    if isinstance(item, list):
        return _backend.CPU.asarray(item)
    if isinstance(item, float):
        raise TypeError(f"getitem: indices must be ints, slices, None, Ellipsis or integer "
                        f"arrays, got the float {item}")
    return item


def _is_mask(item: Any) -> bool:
    return hasattr(item, "dtype") and item.dtype.kind == "b"


def _check_masks(shape: tuple[int, ...], items: tuple[Any, ...]) -> None:
    """Raise ``IndexError`` unless every bool mask has the shape of the axes it selects from.

    The masks become integer arrays (their ``nonzero()``) before indexing, and an integer
    array is only checked against the axis bounds: a mask too short would pass silently.
    """
    consumed = builtins.sum(0 if item is None or item is Ellipsis else
                            item.ndim if _is_mask(item) else 1 for item in items)
    axis = 0
    for item in items:
        if item is Ellipsis:
            axis += builtins.max(len(shape) - consumed, 0)
        elif _is_mask(item):
            selected = shape[axis:axis + item.ndim]
            if axis + item.ndim <= len(shape) and tuple(item.shape) != selected:
                raise IndexError(f"getitem: a boolean index of shape {tuple(item.shape)} "
                                 f"does not match the axes {selected} it selects from, in a "
                                 f"tensor of shape {shape}")
            axis += item.ndim
        elif item is not None:
            axis += 1


@method("__getitem__", typing="runtime_shape_method")
def getitem(x: Any, index: Any) -> Any:
    """``x[index]`` with ints, slices, None, ``...`` and integer or bool arrays (a 0-d bool
    adds an axis of size 1 or 0, as in NumPy and PyTorch). The gradient is scattered back
    (summed where an element is picked more than once)."""
    indices = cast("Sequence[Any]", index) if isinstance(index, tuple) else (index,)
    items = tuple(_index_item(item) for item in indices)
    data = unwrap(x)
    if builtins.any(_is_mask(item) for item in items):
        _check_masks(shape_of(x), items)
    converted: list[Any] = []
    for item in items:
        if hasattr(item, "dtype") and not isinstance(item, type(data)):
            item = _backend.backend_of(data).asarray(item)
        if hasattr(item, "dtype") and item.dtype.kind == "b" and item.ndim:
            converted.extend(item.nonzero())
        else:
            converted.append(item)
    return apply(GETITEM, x, index=tuple(converted))


def to_device(x: Any, device: str) -> Any:
    """``x`` copied to ``device`` (``x`` itself if it is already there).

    A ``Variable`` copy stays in the graph: gradients flow back to the original device.
    """
    target = _backend.backend(device)
    source = _backend.backend_of(unwrap(x))
    if target is source:
        return x
    moved: Any = apply(TO_DEVICE, x, device=target.device, source=source.device)
    if moved.__class__ is Constant and source is _backend.CPU:
        bounds = host_range(x)
        if bounds is not None:
            moved._range = bounds
    return moved
