"""Shape operations, PyTorch's names: reshapes and views, size-1 axes, ``atleast_*d``,
permutations and transposes, and broadcasts. Indexing (``x[...]``, with the ``getitem``
primitive) and slices along an axis are in ``slicing.py``; repeats, flips and rolls, copies and
moves between devices in ``rearrange.py``; joins and splits (with the ``concat`` primitive) in
``join.py``; diagonals and triangles in ``triangle.py``.

``sum_to`` is the inverse of ``broadcast_to``: the engine uses it to sum every gradient back
to its operand's shape, and the two are each other's VJP. Many of these are views in PyTorch;
here they are new tensors with the same values and gradients.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Sequence
from typing import Any, cast

from mushin._backend import Array
from mushin._check import (
    as_sequence,
    axis_argument,
    broadcast_shape,
    check_shape_argument,
    is_int,
    normalize_axis,
    operation_name,
    shape_of,
    single_axis,
)
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import apply
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


# --- argument helpers ---------------------------------------------------------------------------

def sizes_argument(name: str, what: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """PyTorch's ``*sizes`` arguments: ``f(2, 3)`` or ``f((2, 3))`` (a list, a tuple, a
    ``torch.Size``-like sequence), as one tuple."""
    if len(args) == 1 and isinstance(args[0], tuple | list):
        return tuple(cast("Sequence[Any]", args[0]))
    for item in args:
        if not is_int(item):
            raise TypeError(f"{operation_name(name)}: {what} must be ints, got {args!r}")
    return tuple(args)


def one_axis(name: str, dim: Any, ndim: int) -> int:
    """One axis (negatives allowed) as a positive int; a 0-d tensor takes 0 and -1."""
    return single_axis(name, dim, ndim)


def items_of(value: Any) -> tuple[Any, ...]:
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
        raise ValueError(f"{operation_name(name)}: axes {tuple(dims)} are not a permutation of the "
                         f"{ndim} axes of a tensor of shape {shape}")
    return order


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
        raise ValueError(f"{operation_name(name)}: only one size may be -1, got {new}")
    if unknown:
        if known == 0 or total % known:
            raise ShapeError(f"{operation_name(name)}: cannot reshape a tensor of shape {old} into "
                             f"{new}")
        return tuple(total // known if size == -1 else size for size in new)
    if known != total:
        raise ShapeError(f"{operation_name(name)}: cannot reshape a tensor of shape {old} ({total} "
                         f"elements) into {new} ({known} elements)")
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
    new = check_shape_argument("view", sizes_argument("view", "sizes", shape), allow_minus_one=True)
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
    axes = (axis,) if is_int(axis) else as_sequence(axis)
    if axes is None:
        raise TypeError(f"{operation_name('expand_dims')}: axis must be an int or a tuple of "
                        f"ints, got {axis!r}")
    positions = normalize_axis("expand_dims", tuple(axes), len(shape) + len(axes)) or ()
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
            items = items_of(chosen)
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
    order = _permutation("permute", sizes_argument("permute", "dims", given), shape_of(x))
    return apply(TRANSPOSE, x, axes=order)


def _moved(name: str, shape: tuple[int, ...], source: Any, destination: Any) -> tuple[int, ...]:
    """The permutation that moves the axes ``source`` to the positions ``destination``."""
    ndim = len(shape)
    sources = items_of(source)
    targets = items_of(destination)
    if len(sources) != len(targets):
        raise ValueError(f"{operation_name(name)}: source {sources} and destination {targets} must "
                         "have the same number of axes")
    moved = [one_axis(name, item, ndim) for item in sources]
    placed = [one_axis(name, item, ndim) for item in targets]
    if len(set(moved)) != len(moved) or len(set(placed)) != len(placed):
        raise ValueError(f"{operation_name(name)}: repeated axis in source {sources} or "
                         f"destination {targets}")
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


def swap_axes(name: str, x: Any, first: Any, second: Any) -> Any:
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
    return swap_axes("swapaxes", x, axis0, axis1)


@exported("runtime_shape_function")
@method("swapdims", typing="runtime_shape_method")
def swapdims(x: Any, dim0: int, dim1: int) -> Any:
    """The axes ``dim0`` and ``dim1`` exchanged."""
    return swap_axes("swapdims", x, dim0, dim1)


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
        return swap_axes("transpose", x, dim0, dim1)
    if dim0 is not None:
        if axes is not None:
            raise TypeError("transpose: give a permutation or axes=, not both")
        if not isinstance(dim0, tuple | list):
            raise TypeError(f"transpose: expected two axes or a permutation, got only {dim0!r}")
        axes = cast("Any", dim0)
    if axes is None:
        order = tuple(reversed(range(len(shape))))
    else:
        order = _permutation("transpose", items_of(axes), shape)
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


# --- broadcasts ---------------------------------------------------------------------------------

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
        raise ShapeError(f"{operation_name(name)}: cannot broadcast shape {old} to {new}")


@method("expand", typing="runtime_shape_method")
def expand(x: Any, *sizes: Any) -> Any:
    """``x.expand(3, -1, 4)``: ``x`` broadcast to the sizes given, -1 keeping an axis's size;
    new axes go in front. The gradient is summed back."""
    old = shape_of(x)
    new = check_shape_argument("expand", sizes_argument("expand", "sizes", sizes),
                               allow_minus_one=True)
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


def sum_to(x: Any, shape: Any) -> Any:
    """``x`` summed down to ``shape`` (the inverse of ``broadcast_to``)."""
    old = shape_of(x)
    new = check_shape_argument("sum_to", shape)
    pairs = zip(reversed(new), reversed(old), strict=False)
    if len(new) > len(old) or builtins.any(size not in (1, source) for size, source in pairs):
        raise ShapeError(f"sum_to: cannot sum shape {old} down to {new}")
    return apply(SUM_TO, x, shape=new)


# --- at least n axes ----------------------------------------------------------------------------

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
