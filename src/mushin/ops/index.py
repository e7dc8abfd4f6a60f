"""Indexing, gathering and scattering, with PyTorch's names and arguments.

``gather``/``scatter`` and their relatives address one element per index entry along a ``dim``
(``out[i][j] = x[index[i][j]][j]``); the ``index_*`` operations address whole slices along
``dim`` by a 1-d index; ``index_put``/``put``/``take`` use NumPy-style advanced or flat
indices; ``masked_*`` a bool mask. Every index is an integer tensor (a ``Constant``) or a host
array, never differentiated; the sources and the values are, to any order
(``backward(create_graph=True)``).

Four primitives carry the gradients, each the other's VJP where it can be: ``gather_dim``
(read along a dim) and ``scatter_add_dim`` (add into zeros along a dim), ``scatter_dim``
(overwrite along a dim), ``scatter_reduce_dim`` (sum, prod, mean, amax, amin along a dim), and
``index_put`` (overwrite at advanced indices). The indices travel as parameters, as backend
arrays already checked against the shapes (an index out of range is an ``IndexError`` naming
the operation, as PyTorch raises one).
"""

from __future__ import annotations

import builtins
import math
from typing import Any, cast

import numpy as np

from mushin import _backend
from mushin._backend import Array, namespace_of
from mushin._check import broadcast_shape, is_int, is_number, shape_of, single_axis
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Constant, Tensor, Variable, apply, new_constant, unwrap
from mushin.errors import ShapeError
from mushin.ops.elementwise import astype, where
from mushin.ops.shape import GETITEM, INDEX_ADD, broadcast_to, reshape, transpose

_INT64 = np.dtype(np.int64)


# --- array helpers (forward and VJP rules) ---------------------------------------------------

def _coords(xp: Any, index: Array, axis: int) -> tuple[Array, ...]:
    """The coordinates ``index`` addresses along ``axis``: ``index`` itself on that axis, its
    own position on every other (so ``x[coords]`` is ``gather``)."""
    ndim = index.ndim
    coords: list[Array] = []
    for dim in range(ndim):
        if dim == axis:
            coords.append(index)
        else:
            shape = [1] * ndim
            shape[dim] = index.shape[dim]
            coords.append(xp.arange(index.shape[dim]).reshape(shape))
    return tuple(coords)


def _multiply_at(xp: Any, out: Array, coords: tuple[Any, ...], values: Any) -> None:
    """``np.multiply.at(out, coords, values)`` for array modules without it (CuPy): the
    entries are sorted by target and applied in rounds, one entry per target in each round."""
    targets = xp.zeros((), dtype=_INT64)
    stride = 1
    for size, coord in zip(reversed(out.shape), reversed(coords), strict=True):
        targets = targets + coord * stride
        stride *= size
    values = xp.asarray(values, dtype=out.dtype)
    shape = np.broadcast_shapes(tuple(targets.shape), tuple(values.shape))
    targets = xp.broadcast_to(targets, shape).reshape(-1)
    values = xp.broadcast_to(values, shape).reshape(-1)
    if not targets.size:
        return
    order = xp.argsort(targets)
    targets = targets[order]
    values = values[order]
    rank = xp.arange(targets.size) - xp.searchsorted(targets, targets)
    flat = out.reshape(-1)
    for round_ in range(int(rank.max()) + 1):
        chosen = rank == round_
        picked = targets[chosen]
        flat[picked] = flat[picked] * values[chosen]


def _ufunc_at(xp: Any, name: str, out: Array, coords: tuple[Any, ...], values: Any) -> None:
    """``out[coords] op= values`` where repeated coordinates each count (``ufunc.at``)."""
    if name == "multiply" and xp is not np:
        _multiply_at(xp, out, coords, values)
    else:
        getattr(xp, name).at(out, coords, values)


def _untouched(xp: Any, shape: tuple[int, ...], index: Array, axis: int, dtype: Any) -> Array:
    """Ones of ``shape``, zero where ``index`` writes along ``axis``."""
    keep = xp.ones(shape, dtype=dtype)
    if index.size:
        keep[_coords(xp, index, axis)] = 0
    return keep


def _counts(xp: Any, shape: tuple[int, ...], index: Array, axis: int, dtype: Any) -> Array:
    """How many entries of ``index`` write to each position along ``axis``."""
    counts = xp.zeros(shape, dtype=dtype)
    if index.size:
        xp.add.at(counts, _coords(xp, index, axis), 1)
    return counts


def _gather_forward(xp: Any, x: Array, index: Array, axis: int) -> Array:
    if not index.size:
        return xp.zeros(index.shape, dtype=x.dtype)
    return x[_coords(xp, index, axis)]


def _scatter_add_forward(xp: Any, src: Array, index: Array, axis: int,
                         shape: tuple[int, ...]) -> Array:
    out = xp.zeros(shape, dtype=src.dtype)
    if index.size:
        xp.add.at(out, _coords(xp, index, axis), src)
    return out


GATHER = Primitive("gather_dim", _gather_forward,
                   lambda F, g, inputs, out, parents, index, axis: (
                       F.scatter_add_dim(g, index=index, axis=axis, shape=parents[0].shape),),
                   saves="none")
SCATTER_ADD = Primitive("scatter_add_dim", _scatter_add_forward,
                        lambda F, g, inputs, out, parents, index, axis, shape: (
                            F.gather_dim(g, index=index, axis=axis),), saves="none")


def _scatter_forward(xp: Any, x: Array, src: Any, index: Array, axis: int) -> Array:
    out = xp.array(x, copy=True)
    if index.size:
        out[_coords(xp, index, axis)] = src
    return out


def _scatter_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, index: Array,
                 axis: int) -> tuple[Any, ...]:
    raw = F.unwrap(g)
    grad_x = None
    if parents[0] is not None:
        grad_x = g * _untouched(namespace_of(raw), tuple(raw.shape), index, axis, raw.dtype)
    grad_src = F.gather_dim(g, index=index, axis=axis) if parents[1] is not None else None
    return grad_x, grad_src


SCATTER = Primitive("scatter_dim", _scatter_forward, _scatter_vjp, saves="none")

_REDUCE_UFUNCS = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum",
                  "amin": "minimum"}


def _identity(xp: Any, reduce: str, dtype: Any) -> Any:
    """The value a reduction starts from where the tensor's own values are left out."""
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    if np.dtype(dtype).kind == "f":
        return -np.inf if reduce == "amax" else np.inf
    if np.dtype(dtype).kind == "b":
        return reduce == "amin"
    limits = np.iinfo(dtype)
    return limits.min if reduce == "amax" else limits.max


def _scatter_reduce_forward(xp: Any, x: Array, src: Array, index: Array, axis: int,
                            reduce: str, include_self: bool) -> Array:
    out = xp.array(x, copy=True)
    if not index.size:
        return out
    coords = _coords(xp, index, axis)
    if not include_self:
        out[coords] = _identity(xp, reduce, out.dtype)
    _ufunc_at(xp, _REDUCE_UFUNCS[reduce], out, coords, src)
    if reduce == "mean":
        counts = _counts(xp, tuple(out.shape), index, axis, out.dtype)
        if include_self:
            counts = counts + 1
        counts = xp.maximum(counts, 1)
        out = out // counts if out.dtype.kind in "iu" else out / counts
    return out


def _scatter_reduce_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, index: Array,
                        axis: int, reduce: str, include_self: bool) -> tuple[Any, ...]:
    x, src = inputs
    raw = F.unwrap(g)
    xp = namespace_of(raw)
    shape = tuple(raw.shape)
    keep = None if include_self else _untouched(xp, shape, index, axis, raw.dtype)

    def gather(value: Any) -> Any:
        return F.gather_dim(value, index=index, axis=axis)

    if reduce == "sum":
        grad_x, grad_src = g, gather(g)
    elif reduce == "mean":
        counts = _counts(xp, shape, index, axis, raw.dtype) + (1 if include_self else 0)
        share = g / xp.maximum(counts, 1)
        grad_x, grad_src = share, gather(share)
    elif reduce in ("amax", "amin"):
        # Ties share the gradient evenly, as PyTorch's: every element equal to the result.
        x_raw, src_raw, out_raw = F.unwrap(x), F.unwrap(src), F.unwrap(out)
        x_hit = (x_raw == out_raw).astype(raw.dtype)
        if keep is not None:
            x_hit = x_hit * keep
        src_hit = (src_raw == out_raw[_coords(xp, index, axis)]).astype(raw.dtype)
        hits = x_hit + _scatter_add_forward(xp, src_hit, index, axis, shape)
        share = g / xp.maximum(hits, 1)
        grad_x, grad_src = share * x_hit, gather(share) * src_hit
    else:  # prod: the product of the other members of each group, exact where some are 0
        x_raw, src_raw = F.unwrap(x), F.unwrap(src)
        x_zero, src_zero = x_raw == 0, src_raw == 0
        zeros = _scatter_add_forward(xp, src_zero.astype(raw.dtype), index, axis, shape)
        if include_self:
            zeros = zeros + x_zero
        nonzero_x = F.where(x_zero, 1, x)
        nonzero_src = F.where(src_zero, 1, src)
        product = F.scatter_reduce_dim(nonzero_x, nonzero_src, index=index, axis=axis,
                                       reduce="prod", include_self=include_self)
        grad_x = g * F.where(zeros == 0, product / nonzero_x,
                             F.where((zeros == 1) & x_zero, product, 0))
        coords = _coords(xp, index, axis)
        zeros_src = zeros[coords]
        product_src = gather(product)
        grad_src = gather(g) * F.where(zeros_src == 0, product_src / nonzero_src,
                                       F.where((zeros_src == 1) & src_zero, product_src, 0))
    if keep is not None:
        grad_x = grad_x * keep
    return (grad_x if parents[0] is not None else None,
            grad_src if parents[1] is not None else None)


SCATTER_REDUCE = Primitive("scatter_reduce_dim", _scatter_reduce_forward, _scatter_reduce_vjp,
                           saves="both")


def _index_put_forward(xp: Any, x: Array, values: Any, index: tuple[Any, ...]) -> Array:
    out = xp.array(x, copy=True)
    out[index] = values
    return out


def _index_put_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   index: tuple[Any, ...]) -> tuple[Any, ...]:
    grad_x = None
    if parents[0] is not None:
        raw = F.unwrap(g)
        keep = namespace_of(raw).ones(raw.shape, dtype=raw.dtype)
        keep[index] = 0
        grad_x = g * keep
    grad_values = F.getitem(g, index=index) if parents[1] is not None else None
    return grad_x, grad_values


INDEX_PUT = Primitive("index_put", _index_put_forward, _index_put_vjp, saves="none")


def _nonzero_forward(xp: Any, x: Array) -> Array:
    return xp.argwhere(x).astype(_INT64)


def _searchsorted_forward(xp: Any, sequence: Array, values: Any, side: str, sorter: Any,
                          dtype: Any) -> Array:
    if sorter is not None:
        sequence = xp.take_along_axis(sequence, sorter, axis=-1)
    if sequence.ndim <= 1:
        found = xp.searchsorted(sequence, values, side=side)
        return xp.asarray(found).astype(dtype)
    rows = sequence.reshape(math.prod(sequence.shape[:-1]), sequence.shape[-1])
    wanted = values.reshape(math.prod(values.shape[:-1]), values.shape[-1])
    out = xp.zeros(wanted.shape, dtype=dtype)
    for row in range(rows.shape[0]):
        out[row] = xp.searchsorted(rows[row], wanted[row], side=side)
    return out.reshape(values.shape)


NONZERO = Primitive("nonzero", _nonzero_forward, None)
SEARCHSORTED = Primitive("searchsorted", _searchsorted_forward, None)
ISIN = Primitive("isin", lambda xp, elements, tests, invert: xp.asarray(
    xp.isin(elements, tests, invert=invert)), None)
ONE_HOT = Primitive("one_hot", lambda xp, x, classes: (
    x[..., None] == xp.arange(classes)).astype(_INT64), None)


# --- argument helpers ------------------------------------------------------------------------

def _is_tensor(value: Any) -> bool:
    """Whether ``value`` is a mushin tensor (a predicate that leaves ``value`` untyped)."""
    return isinstance(value, Tensor)


def _tensor(name: str, value: Any, what: str = "input") -> Any:
    """``value`` as an operand: a tensor or backend array as it is, numbers and nested lists
    as a host array."""
    if _is_tensor(value) or (hasattr(value, "shape") and hasattr(value, "dtype")):
        return value
    if is_number(value) or isinstance(value, bool | list | tuple):
        array = np.asarray(cast("Any", value))
        if array.dtype.kind in "biuf":
            return array
    kind: str = type(cast("Any", value)).__name__
    raise TypeError(f"{name}: {what} must be a tensor, an array or a number, got {kind}")


def _dtype(value: Any) -> np.dtype[Any]:
    dtype: np.dtype[Any] = np.dtype(unwrap(value).dtype)
    return dtype


def _device_array(name: str, what: str, value: Any, reference: Any) -> Array:
    """A backend array of ``value`` on the device of ``reference`` (host values are copied
    there; a device array elsewhere is refused)."""
    target = _backend.backend_of(unwrap(reference)) if hasattr(
        unwrap(reference), "dtype") else _backend.CPU
    data = unwrap(value)
    if not hasattr(data, "dtype"):
        return target.asarray(data)
    source = _backend.backend_of(data)
    if source is target:
        return data
    if source is not _backend.CPU:
        raise RuntimeError(f"{name}: {what} is on {source.device} but the tensor is on "
                           f"{target.device}; move it with .to(device)")
    return target.asarray(data)


def _index(name: str, what: str, index: Any, reference: Any, allow_bool: bool = False) -> Array:
    """``index`` as an int64 backend array on ``reference``'s device; ``TypeError`` unless
    it holds integers (or, with ``allow_bool``, bools)."""
    value: Any = unwrap(index)
    if is_int(value):
        value = np.asarray(value, dtype=_INT64)
    elif isinstance(value, list | tuple):
        value = np.asarray(cast("Any", value))
        if not value.size:
            value = value.astype(_INT64)
    elif not (hasattr(value, "dtype") and hasattr(value, "shape")):
        raise TypeError(f"{name}: {what} must be an integer tensor, got {type(value).__name__}")
    kind = np.dtype(value.dtype).kind
    if kind not in "iu" and not (allow_bool and kind == "b"):
        raise TypeError(f"{name}: {what} must be an integer tensor (int64), got dtype "
                        f"{value.dtype}")
    array = _device_array(name, what, value, reference)
    return array if kind == "b" or array.dtype == _INT64 else array.astype(_INT64)


def _in_range(name: str, what: str, index: Array, size: int, negative: bool = False) -> Array:
    """``index`` checked against an axis of ``size`` (``IndexError`` naming ``name``); with
    ``negative``, -size..-1 count from the end and are returned as positions."""
    if not index.size:
        return index
    low, high = int(index.min()), int(index.max())
    floor = -size if negative else 0
    if low < floor or high >= size:
        bad = low if low < floor else high
        raise IndexError(f"{name}: {what} {bad} is out of range for an axis of size {size}")
    return index % size if low < 0 else index


def _same_dtype(name: str, what: str, value: Any, x: Any) -> Any:
    """``value`` (a tensor of ``x``'s dtype, or host data/numbers made so) as an operand."""
    if _is_tensor(value) or (hasattr(value, "dtype") and not isinstance(
            value, np.ndarray | np.generic)):
        if _dtype(value) != _dtype(x):
            raise TypeError(f"{name}: {what} has dtype {_dtype(value)} but the input has dtype "
                            f"{_dtype(x)}; they must be the same")
        return value
    host = np.asarray(_tensor(name, value, what))
    return new_constant(_device_array(name, what, host.astype(_dtype(x)), x))


def _scalar(name: str, what: str, value: Any, x: Any) -> Array:
    """A number as a 0-d array of ``x``'s dtype on ``x``'s device (PyTorch casts it)."""
    if not (is_number(value) or isinstance(value, bool)):
        raise TypeError(f"{name}: {what} must be a number or a 0-d tensor, got "
                        f"{type(value).__name__}")
    return _device_array(name, what, np.asarray(value).astype(_dtype(x)), x)


def _mask(name: str, mask: Any, reference: Any) -> Array:
    """A bool mask as a backend array on ``reference``'s device."""
    value = unwrap(mask)
    if isinstance(value, bool | list | tuple):
        value = np.asarray(value)
    if not hasattr(value, "dtype") or np.dtype(value.dtype).kind != "b":
        kind = getattr(value, "dtype", type(value).__name__)
        raise TypeError(f"{name}: mask must be a bool tensor, got {kind}")
    return _device_array(name, "mask", value, reference)


def _check_dim_shapes(name: str, index_shape: tuple[int, ...], shape: tuple[int, ...], axis: int,
                      src_shape: tuple[int, ...] | None = None) -> None:
    """PyTorch's rule for gather/scatter: as many axes everywhere; the index no larger than
    the input off ``axis``, nor than ``src`` on any axis."""
    if len(index_shape) != len(shape):
        raise ShapeError(f"{name}: index has {len(index_shape)} axes but the input has "
                         f"{len(shape)}; they must have the same number")
    for dim, (size, limit) in enumerate(zip(index_shape, shape, strict=True)):
        if dim != axis and size > limit:
            raise ShapeError(f"{name}: index of shape {index_shape} is larger than the input "
                             f"of shape {shape} on axis {dim}")
    if src_shape is not None:
        if len(src_shape) != len(shape):
            raise ShapeError(f"{name}: src has {len(src_shape)} axes but the input has "
                             f"{len(shape)}; they must have the same number")
        if builtins.any(size > limit for size, limit in zip(index_shape, src_shape, strict=True)):
            raise ShapeError(f"{name}: index of shape {index_shape} is larger than src of "
                             f"shape {src_shape}")


def _leading(src: Any, shape: tuple[int, ...]) -> Any:
    """The leading block of ``src`` of ``shape`` (PyTorch's scatter reads only that part)."""
    if shape_of(src) == shape:
        return src
    return apply(GETITEM, src, index=tuple(slice(0, size) for size in shape))


def _scatter_call(name: str, x: Any, dim: Any, index: Any, src: Any, reduce: str | None,
                  include_self: bool = True) -> Any:
    """The checks and the primitive shared by scatter, scatter_add and scatter_reduce."""
    x = _tensor(name, x)
    shape = shape_of(x)
    axis = single_axis(name, dim, len(shape))
    idx = _index(name, "index", index, x)
    scalar_src = not isinstance(src, Tensor) and (is_number(src) or isinstance(src, bool))
    if scalar_src:
        if reduce is not None:
            src = broadcast_to(new_constant(_scalar(name, "value", src, x)), tuple(idx.shape))
        else:
            src = _scalar(name, "value", src, x)
    else:
        src = _same_dtype(name, "src", src, x)
    zero_d = len(shape) == 0
    if zero_d:
        x, idx = reshape(x, (1,)), idx.reshape(-1)
        src = src if scalar_src and reduce is None else reshape(src, (-1,))
    work_shape = shape_of(x)
    if idx.size:
        _check_dim_shapes(name, tuple(idx.shape), work_shape, axis,
                          None if scalar_src and reduce is None else shape_of(src))
        idx = _in_range(name, "index", idx, work_shape[axis])
    elif len(idx.shape) != len(work_shape):
        idx = idx.reshape((0,) * len(work_shape))
    if not (scalar_src and reduce is None):
        if idx.size:
            src = _leading(src, tuple(idx.shape))
        else:  # nothing is written: an empty part of src, for its (zero) gradient
            src = reshape(apply(GETITEM, reshape(src, (-1,)), index=(slice(0, 0),)),
                          tuple(idx.shape))
    if reduce is None:
        out = apply(SCATTER, x, src, index=idx, axis=axis)
    else:
        out = apply(SCATTER_REDUCE, x, src, index=idx, axis=axis, reduce=reduce,
                    include_self=bool(include_self))
    return reshape(out, ()) if zero_d else out


# --- gather and scatter along a dim ----------------------------------------------------------

@exported("runtime_shape_function")
@method("gather", typing="runtime_shape_method")
def gather(input: Any, dim: int, index: Any, *, sparse_grad: bool = False) -> Any:
    """``out[i][j] = input[index[i][j]][j]`` along ``dim`` (here dim 0): the result has
    ``index``'s shape, ``index`` no larger than ``input`` off ``dim``. The gradient adds each
    entry back to the place it was read from. ``sparse_grad`` is accepted and ignored."""
    x = _tensor("gather", input)
    shape = shape_of(x)
    axis = single_axis("gather", dim, len(shape))
    idx = _index("gather", "index", index, x)
    if not idx.size:
        return apply(GATHER, x, index=idx, axis=axis)
    if len(shape) == 0:
        if idx.ndim > 1:
            raise ShapeError(f"gather: index has {idx.ndim} axes but the input is 0-d")
        flat = apply(GATHER, reshape(x, (1,)), index=_in_range(
            "gather", "index", idx.reshape(-1), 1), axis=0)
        return reshape(flat, tuple(idx.shape))
    _check_dim_shapes("gather", tuple(idx.shape), shape, axis)
    return apply(GATHER, x, index=_in_range("gather", "index", idx, shape[axis]), axis=axis)


@exported("runtime_shape_function")
@method("take_along_dim", typing="runtime_shape_method")
def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Any:
    """NumPy's ``take_along_axis``: ``gather`` after broadcasting ``input`` and ``indices``
    against each other off ``dim``; with ``dim=None`` both are flattened first."""
    x = _tensor("take_along_dim", input)
    idx = _index("take_along_dim", "indices", indices, x)
    if dim is None:
        return gather(reshape(x, (-1,)), 0, idx.reshape(-1))
    shape = shape_of(x)
    axis = single_axis("take_along_dim", dim, len(shape))
    if idx.ndim != len(shape):
        raise ShapeError(f"take_along_dim: indices have {idx.ndim} axes but the input has "
                         f"{len(shape)}; they must have the same number")
    if not shape:
        return gather(x, 0, idx)
    others = broadcast_shape("take_along_dim", (*shape[:axis], 1, *shape[axis + 1:]),
                             (*tuple(idx.shape[:axis]), 1, *tuple(idx.shape[axis + 1:])))
    x_shape = (*others[:axis], shape[axis], *others[axis + 1:])
    idx_shape = (*others[:axis], idx.shape[axis], *others[axis + 1:])
    if x_shape != shape:
        x = broadcast_to(x, x_shape)
    if idx_shape != tuple(idx.shape):
        idx = namespace_of(idx).broadcast_to(idx, idx_shape)
    # Along a dim PyTorch counts negative indices from the end (not with dim=None).
    return gather(x, axis, _in_range("take_along_dim", "index", idx, x_shape[axis],
                                     negative=True))


@exported("scatter_function")
@method("scatter", typing="scatter_method")
def scatter(input: Any, dim: int, index: Any, src: Any = None, *, value: Any = None,
            reduce: str | None = None) -> Any:
    """``input`` with ``out[index[i][j]][j] = src[i][j]`` along ``dim`` (here 0); ``src`` may
    be a number (or give ``value=``). ``reduce="add"``/``"multiply"`` accumulate instead of
    overwriting. Gradients: ``src`` gets the output gradient gathered at ``index``; ``input``
    gets it where it was not overwritten (with ``reduce``, as ``scatter_reduce``'s)."""
    if (src is None) == (value is None):
        raise TypeError("scatter: give exactly one of src (a tensor) and value (a number)")
    given = value if src is None else src
    if src is None and (_is_tensor(value) or not (is_number(value) or isinstance(
            value, bool))):
        raise TypeError(f"scatter: value must be a number, got {type(value).__name__}")
    if reduce is not None and reduce not in ("add", "multiply"):
        raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
    mode = None if reduce is None else "sum" if reduce == "add" else "prod"
    return _scatter_call("scatter", input, dim, index, given, mode)


@exported("scatter_function")
@method("scatter_add", typing="scatter_method")
def scatter_add(input: Any, dim: int, index: Any, src: Any) -> Any:
    """``input`` with ``src[i][j]`` added at ``out[index[i][j]][j]`` along ``dim`` (repeated
    indices all add). Gradients: ``input`` the output's, ``src`` it gathered at ``index``."""
    if not isinstance(src, Tensor) and (is_number(src) or isinstance(src, bool)):
        raise TypeError("scatter_add: src must be a tensor, got a number")
    return _scatter_call("scatter_add", input, dim, index, src, "sum")


@exported("scatter_function")
@method("scatter_reduce", typing="scatter_method")
def scatter_reduce(input: Any, dim: int, index: Any, src: Any, reduce: str, *,
                   include_self: bool = True) -> Any:
    """``input`` with every ``src[i][j]`` reduced into ``out[index[i][j]][j]`` along ``dim``
    by ``reduce``: ``"sum"``, ``"prod"``, ``"mean"``, ``"amax"`` or ``"amin"``;
    ``include_self=False`` leaves ``input``'s own values out where something is scattered.
    Gradients as PyTorch's: ties of amax/amin share evenly; prod is exact with zeros."""
    if reduce not in _REDUCE_UFUNCS:
        raise ValueError(f"scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or "
                         f"'amin', got {reduce!r}")
    if not isinstance(src, Tensor) and (is_number(src) or isinstance(src, bool)):
        raise TypeError("scatter_reduce: src must be a tensor, got a number")
    return _scatter_call("scatter_reduce", input, dim, index, src, reduce, include_self)


# --- whole slices along a dim ------------------------------------------------------------------

def _slice_index(name: str, index: Any, x: Any, axis: int, unique: bool = False) -> Array:
    """A 1-d (or 0-d) index of positions along ``axis`` as a checked 1-d array."""
    idx = _index(name, "index", index, x)
    if idx.ndim > 1:
        raise ShapeError(f"{name}: index must be 1-d (or 0-d), got shape {tuple(idx.shape)}")
    shape = shape_of(x)
    idx = _in_range(name, "index", idx.reshape(-1), shape[axis] if shape else 1)
    if unique and idx.size:
        idx = namespace_of(idx).unique(idx)
    return idx


def _spread(idx: Array, shape: tuple[int, ...], axis: int) -> Array:
    """The 1-d ``idx`` as a gather/scatter index of ``shape`` along ``axis``."""
    xp = namespace_of(idx)
    view = [1] * len(shape)
    view[axis] = idx.shape[0]
    return xp.broadcast_to(idx.reshape(view), shape)


def _source_shape(name: str, x_shape: tuple[int, ...], axis: int, count: int,
                  source: Any) -> tuple[int, ...]:
    """Check that ``source`` has ``x``'s shape with ``count`` on ``axis``."""
    want = (*x_shape[:axis], count, *x_shape[axis + 1:])
    got = shape_of(source)
    if got != want and not (len(got) == 0 and want == (1,)):
        raise ShapeError(f"{name}: source has shape {got}, expected {want} (the input's shape "
                         f"with the index's length on axis {axis})")
    return want


def _slices_call(name: str, x: Any, dim: Any, index: Any, source: Any, reduce: str | None,
                 include_self: bool = True, alpha: Any = 1) -> Any:
    """index_add, index_copy and index_reduce: the slices of ``source`` put at ``index``."""
    x = _tensor(name, x)
    shape = shape_of(x)
    axis = single_axis(name, dim, len(shape))
    idx = _slice_index(name, index, x, axis)
    source = _same_dtype(name, "source", source, x)
    zero_d = len(shape) == 0
    if zero_d:
        x = reshape(x, (1,))
    work = shape_of(x)
    want = _source_shape(name, work, axis, int(idx.shape[0]), source)
    if shape_of(source) != want:
        source = reshape(source, want)
    if alpha != 1:
        source = source * alpha
    spread = _spread(idx, want, axis)
    if reduce is None:
        out = apply(SCATTER, x, source, index=spread, axis=axis)
    else:
        out = apply(SCATTER_REDUCE, x, source, index=spread, axis=axis, reduce=reduce,
                    include_self=bool(include_self))
    return reshape(out, ()) if zero_d else out


@exported("runtime_shape_function")
@method("index_select", typing="runtime_shape_method")
def index_select(input: Any, dim: int, index: Any) -> Any:
    """The slices of ``input`` at the positions ``index`` (1-d) along ``dim``; the gradient
    adds back into the slices read (repeats add)."""
    x = _tensor("index_select", input)
    shape = shape_of(x)
    axis = single_axis("index_select", dim, len(shape))
    idx = _slice_index("index_select", index, x, axis)
    if not shape:
        if idx.shape[0] != 1:
            raise ShapeError(f"index_select: a 0-d input takes one index, got {idx.shape[0]}")
        return x if _is_tensor(x) else new_constant(_device_array(
            "index_select", "input", x, x))
    return apply(GETITEM, x, index=(slice(None),) * axis + (idx,))


@exported("scatter_function")
@method("index_add", typing="scatter_method")
def index_add(input: Any, dim: int, index: Any, source: Any, *, alpha: Any = 1) -> Any:
    """``input`` with ``alpha * source``'s slices added at the positions ``index`` along
    ``dim`` (repeats add). Gradients: ``input`` the output's, ``source`` ``alpha`` times the
    output's slices at ``index``."""
    if not (is_number(alpha) or isinstance(alpha, bool)):
        raise TypeError(f"index_add: alpha must be a number, got {type(alpha).__name__}")
    return _slices_call("index_add", input, dim, index, source, "sum", alpha=alpha)


@exported("scatter_function")
@method("index_copy", typing="scatter_method")
def index_copy(input: Any, dim: int, index: Any, source: Any) -> Any:
    """``input`` with its slices at the positions ``index`` along ``dim`` replaced by
    ``source``'s. Gradients: ``input`` the output's off those slices, ``source`` the output's
    slices at ``index``."""
    return _slices_call("index_copy", input, dim, index, source, None)


@exported("scatter_function")
@method("index_reduce", typing="scatter_method")
def index_reduce(input: Any, dim: int, index: Any, source: Any, reduce: str, *,
                 include_self: bool = True) -> Any:
    """``input`` with ``source``'s slices reduced into the slices at ``index`` along ``dim``
    by ``reduce`` (``"prod"``, ``"mean"``, ``"amax"``, ``"amin"``), as ``scatter_reduce``
    does element by element (same gradients)."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise ValueError(f"index_reduce: reduce must be 'prod', 'mean', 'amax' or 'amin', got "
                         f"{reduce!r}")
    return _slices_call("index_reduce", input, dim, index, source, reduce,
                        include_self=include_self)


@exported("scatter_function")
@method("index_fill", typing="scatter_method")
def index_fill(input: Any, dim: int, index: Any, value: Any) -> Any:
    """``input`` with the slices at ``index`` along ``dim`` set to ``value`` (a number, or a
    0-d tensor, which then gets the sum of the output gradient over the filled places)."""
    x = _tensor("index_fill", input)
    shape = shape_of(x)
    axis = single_axis("index_fill", dim, len(shape))
    idx = _slice_index("index_fill", index, x, axis, unique=True)
    zero_d = len(shape) == 0
    if zero_d:
        x = reshape(x, (1,))
    work = shape_of(x)
    spread = _spread(idx, (*work[:axis], int(idx.shape[0]), *work[axis + 1:]), axis)
    if _is_tensor(value):
        if value.ndim != 0:
            raise ShapeError(f"index_fill: value must be a number or a 0-d tensor, got shape "
                             f"{value.shape}")
        if value.dtype != _dtype(x):
            if isinstance(value, Variable) and _dtype(x).kind != "f":
                raise TypeError(f"index_fill: a Variable value cannot fill a tensor of dtype "
                                f"{_dtype(x)}")
            value = astype(value, _dtype(x))
        fill = broadcast_to(value, tuple(spread.shape))
    else:
        fill = _scalar("index_fill", "value", value, x)
    out = apply(SCATTER, x, fill, index=spread, axis=axis)
    return reshape(out, ()) if zero_d else out


# --- advanced and flat indices -----------------------------------------------------------------

def _indexed_shape(shape: tuple[int, ...], items: tuple[Any, ...]) -> tuple[int, ...]:
    """The shape of ``x[items]`` for ``items`` of full slices and integer arrays, one per
    leading axis (NumPy's rule: the arrays' broadcast shape goes where the first array is
    when they are adjacent, else first)."""
    arrays = [position for position, item in enumerate(items) if not isinstance(item, slice)]
    joined: tuple[int, ...] = ()
    for position in arrays:
        joined = broadcast_shape("index_put", joined, tuple(items[position].shape))
    kept = [shape[position] for position, item in enumerate(items) if isinstance(item, slice)]
    rest = list(shape[len(items):])
    if not arrays:
        return tuple(kept + rest)
    if arrays == list(range(arrays[0], arrays[-1] + 1)):
        before = [shape[position] for position in range(arrays[0])]
        after = [shape[position] for position in range(arrays[-1] + 1, len(items))]
        return tuple(before) + joined + tuple(after + rest)
    return joined + tuple(kept + rest)


def _check_values(name: str, values: Any, target: tuple[int, ...]) -> None:
    got = shape_of(values)
    if len(got) > len(target) or builtins.any(
            size not in (1, want) for size, want in zip(reversed(got), reversed(target),
                                                        strict=False)):
        raise ShapeError(f"{name}: values of shape {got} cannot be broadcast to the indexed "
                         f"shape {target}")


def _put_values(name: str, x: Any, items: tuple[Any, ...], values: Any, accumulate: bool) -> Any:
    """``x`` with ``values`` written (or added) at the advanced index ``items``."""
    if isinstance(values, Tensor | list | tuple) or hasattr(values, "shape"):
        values = _same_dtype(name, "values", values, x)
    else:
        values = new_constant(_scalar(name, "values", values, x))
    _check_values(name, values, _indexed_shape(shape_of(x), items))
    if accumulate:
        return x + apply(INDEX_ADD, values, index=items, shape=shape_of(x))
    return apply(INDEX_PUT, x, values, index=items)


@exported("fill_function")
@method("index_put", typing="fill_method")
def index_put(input: Any, indices: Any, values: Any, accumulate: bool = False) -> Any:
    """``input`` with ``out[indices] = values`` (``+=`` with ``accumulate``, where repeats all
    add): ``indices`` is a tuple of integer or bool tensors (``None`` for a whole axis), one
    per leading axis. Gradients: ``values`` the output's at ``indices``; ``input`` the output's
    (off the written places unless ``accumulate``)."""
    x = _tensor("index_put", input)
    shape = shape_of(x)
    if not isinstance(indices, tuple | list):
        raise TypeError(f"index_put: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    items: list[Any] = []
    axis = 0
    for item in tuple(cast("tuple[Any, ...]", indices)):
        if item is None:
            items.append(slice(None))
            axis += 1
            continue
        array = _index("index_put", "an index", item, x, allow_bool=True)
        if array.dtype.kind == "b":
            if array.ndim == 0:
                raise IndexError("index_put: a 0-d bool index is not supported")
            covered = shape[axis:axis + array.ndim]
            if tuple(array.shape) != covered:
                raise IndexError(f"index_put: a bool index of shape {tuple(array.shape)} does "
                                 f"not match the axes {covered} of the input of shape {shape}")
            items.extend(array.nonzero())
            axis += array.ndim
            continue
        if axis >= len(shape):
            raise IndexError(f"index_put: too many indices for an input of shape {shape}")
        items.append(_in_range("index_put", "index", array, shape[axis], negative=True))
        axis += 1
    if axis > len(shape):
        raise IndexError(f"index_put: too many indices for an input of shape {shape}")
    return _put_values("index_put", x, tuple(items), values, bool(accumulate))


def _flat_index(name: str, index: Any, x: Any) -> Array:
    idx = _index(name, "index", index, x)
    return _in_range(name, "index", idx, math.prod(shape_of(x)), negative=True)


@exported("fill_function")
@method("put", typing="fill_method")
def put(input: Any, index: Any, source: Any, accumulate: bool = False) -> Any:
    """``input`` with the elements at the flat positions ``index`` (negatives count from the
    end) set to ``source``'s (added with ``accumulate``); ``source`` has as many elements as
    ``index``."""
    x = _tensor("put", input)
    shape = shape_of(x)
    idx = _flat_index("put", index, x)
    source = _same_dtype("put", "source", source, x)
    if math.prod(shape_of(source)) != idx.size:
        raise ShapeError(f"put: source has {math.prod(shape_of(source))} elements but index "
                         f"has {idx.size}")
    flat = reshape(x, (-1,))
    out = _put_values("put", flat, (idx.reshape(-1),), reshape(source, (-1,)), bool(accumulate))
    return reshape(out, shape)


@exported("runtime_shape_function")
@method("take", typing="runtime_shape_method")
def take(input: Any, index: Any) -> Any:
    """The elements of ``input`` at the flat positions ``index`` (negatives count from the
    end), in ``index``'s shape; the gradient adds back into the places read."""
    x = _tensor("take", input)
    idx = _flat_index("take", index, x)
    return apply(GETITEM, reshape(x, (-1,)), index=(idx,))


# --- masks -----------------------------------------------------------------------------------

def _masked(name: str, input: Any, mask: Any) -> tuple[Any, Array, tuple[int, ...]]:
    """``input`` and ``mask`` broadcast together (the input only where it must grow)."""
    x = _tensor(name, input)
    array = _mask(name, mask, x)
    shape = broadcast_shape(name, shape_of(x), tuple(array.shape))
    if shape_of(x) != shape:
        x = broadcast_to(x, shape)
    if tuple(array.shape) != shape:
        array = namespace_of(array).broadcast_to(array, shape)
    return x, array, shape


@exported("fill_function")
@method("masked_fill", typing="fill_method")
def masked_fill(input: Any, mask: Any, value: Any) -> Any:
    """``input`` with ``value`` (a number or a 0-d tensor) where the bool ``mask`` holds, the
    two broadcast together. Gradients: ``input`` the output's off the mask, a tensor ``value``
    their sum on it."""
    x = _tensor("masked_fill", input)
    dtype = _dtype(x)
    if _is_tensor(value):
        if value.ndim != 0:
            raise ShapeError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                             f"{value.shape}")
        if value.dtype != dtype:
            if isinstance(value, Variable) and dtype.kind != "f":
                raise TypeError(f"masked_fill: a Variable value cannot fill a tensor of dtype "
                                f"{dtype}")
            value = astype(value, dtype)
    else:
        value = _scalar("masked_fill", "value", value, x)
    array = _mask("masked_fill", mask, x)
    broadcast_shape("masked_fill", shape_of(x), tuple(array.shape))
    return where(array, value, x)


@exported("runtime_shape_function")
@method("masked_select", typing="runtime_shape_method")
def masked_select(input: Any, mask: Any) -> Any:
    """The elements of ``input`` where the bool ``mask`` holds (the two broadcast together),
    as one axis; the gradient goes back to those places."""
    x, array, _ = _masked("masked_select", input, mask)
    positions = namespace_of(array).flatnonzero(array)
    return apply(GETITEM, reshape(x, (-1,)), index=(positions,))


@exported("fill_function")
@method("masked_scatter", typing="fill_method")
def masked_scatter(input: Any, mask: Any, source: Any) -> Any:
    """``input`` with the places where ``mask`` holds filled, in order, by ``source``'s first
    elements (the input and mask broadcast together). Gradients: ``input`` the output's off
    the mask; ``source`` the output's on it, in order (zero for elements not used)."""
    x, array, shape = _masked("masked_scatter", input, mask)
    source = _same_dtype("masked_scatter", "source", source, x)
    positions = namespace_of(array).flatnonzero(array)
    count = int(positions.size)
    available = math.prod(shape_of(source))
    if available < count:
        raise ShapeError(f"masked_scatter: the mask selects {count} elements but source has "
                         f"only {available}")
    used = apply(GETITEM, reshape(source, (-1,)), index=(slice(0, count),))
    out = apply(INDEX_PUT, reshape(x, (-1,)), used, index=(positions,))
    return reshape(out, shape)


# --- scatter into views ------------------------------------------------------------------------

@exported("mixed_function")
@method("select_scatter", typing="mixed_method")
def select_scatter(input: Any, src: Any, dim: int, index: int) -> Any:
    """``input`` with ``input.select(dim, index)`` replaced by ``src`` (of that shape).
    Gradients: ``src`` the output's there, ``input`` the output's elsewhere."""
    x = _tensor("select_scatter", input)
    shape = shape_of(x)
    if not shape:
        raise ShapeError("select_scatter: the input must have at least one axis")
    axis = single_axis("select_scatter", dim, len(shape))
    if not is_int(index):
        raise TypeError(f"select_scatter: index must be an int, got {index!r}")
    if not -shape[axis] <= index < shape[axis]:
        raise IndexError(f"select_scatter: index {index} is out of range for axis {axis} of "
                         f"size {shape[axis]}")
    items = (slice(None),) * axis + (int(index) % shape[axis],)
    src = _same_dtype("select_scatter", "src", src, x)
    want = shape[:axis] + shape[axis + 1:]
    if shape_of(src) != want:
        raise ShapeError(f"select_scatter: src has shape {shape_of(src)}, expected {want}")
    return apply(INDEX_PUT, x, src, index=items)


@exported("mixed_function")
@method("slice_scatter", typing="mixed_method")
def slice_scatter(input: Any, src: Any, dim: int = 0, start: int | None = None,
                  end: int | None = None, step: int = 1) -> Any:
    """``input`` with the slice ``start:end:step`` along ``dim`` replaced by ``src`` (of that
    slice's shape). Gradients: ``src`` the output's there, ``input`` the output's elsewhere."""
    x = _tensor("slice_scatter", input)
    shape = shape_of(x)
    if not shape:
        raise ShapeError("slice_scatter: the input must have at least one axis")
    axis = single_axis("slice_scatter", dim, len(shape))
    for what, bound in (("start", start), ("end", end)):
        if bound is not None and not is_int(bound):
            raise TypeError(f"slice_scatter: {what} must be an int or None, got {bound!r}")
    if not is_int(step) or step <= 0:
        raise ValueError(f"slice_scatter: step must be a positive int, got {step!r}")
    chosen = slice(start, end, step)
    count = len(range(*chosen.indices(shape[axis])))
    src = _same_dtype("slice_scatter", "src", src, x)
    want = (*shape[:axis], count, *shape[axis + 1:])
    if shape_of(src) != want:
        raise ShapeError(f"slice_scatter: src has shape {shape_of(src)}, expected {want}")
    return apply(INDEX_PUT, x, src, index=(slice(None),) * axis + (chosen,))


@exported("mixed_function")
@method("diagonal_scatter", typing="mixed_method")
def diagonal_scatter(input: Any, src: Any, offset: int = 0, dim1: int = 0,
                     dim2: int = 1) -> Any:
    """``input`` with its diagonal ``offset`` over axes ``dim1``, ``dim2`` replaced by
    ``src`` (shaped as ``diagonal`` gives it: the other axes, then the diagonal). Gradients:
    ``src`` the output's diagonal, ``input`` the output's elsewhere."""
    x = _tensor("diagonal_scatter", input)
    shape = shape_of(x)
    if len(shape) < 2:
        raise ShapeError(f"diagonal_scatter: the input needs at least 2 axes, got shape {shape}")
    first = single_axis("diagonal_scatter", dim1, len(shape))
    second = single_axis("diagonal_scatter", dim2, len(shape))
    if first == second:
        raise ValueError(f"diagonal_scatter: dim1 and dim2 must differ, got {dim1} and {dim2}")
    if not is_int(offset):
        raise TypeError(f"diagonal_scatter: offset must be an int, got {offset!r}")
    rows, cols = shape[first], shape[second]
    length = builtins.max(0, builtins.min(rows, cols - offset) if offset >= 0
                          else builtins.min(rows + offset, cols))
    others = [axis for axis in range(len(shape)) if axis not in (first, second)]
    order = (*others, first, second)
    src = _same_dtype("diagonal_scatter", "src", src, x)
    want = (*tuple(shape[axis] for axis in others), length)
    if shape_of(src) != want:
        raise ShapeError(f"diagonal_scatter: src has shape {shape_of(src)}, expected {want}")
    data = unwrap(x)
    xp = namespace_of(data) if hasattr(data, "dtype") else np
    steps = xp.arange(length, dtype=_INT64)
    row_index = steps + builtins.max(-offset, 0)
    col_index = steps + builtins.max(offset, 0)
    moved = transpose(x, order)
    items = (slice(None),) * len(others) + (row_index, col_index)
    out = apply(INDEX_PUT, moved, src, index=items)
    inverse = tuple(sorted(range(len(order)), key=order.__getitem__))
    return transpose(out, inverse)


# --- positions, searches, membership ---------------------------------------------------------

@exported("index_function")
@method("nonzero", typing="index_method")
def nonzero(input: Any, *, as_tuple: bool = False) -> Any:
    """The positions of the nonzero elements: an int64 ``(n, ndim)`` Constant, or with
    ``as_tuple=True`` one 1-d Constant per axis (a 0-d input counts as one axis)."""
    data = unwrap(_tensor("nonzero", input))
    if not hasattr(data, "dtype"):
        data = np.asarray(data)
    found: Constant = apply(NONZERO, data)
    if not as_tuple:
        return found
    positions = found.data()
    xp = namespace_of(positions)
    if data.ndim == 0:
        return (new_constant(xp.zeros(positions.shape[0], dtype=_INT64)),)
    return tuple(new_constant(xp.ascontiguousarray(positions[:, axis]))
                 for axis in range(data.ndim))


@exported("index_function")
@method("argwhere", typing="index_method")
def argwhere(input: Any) -> Any:
    """The positions of the nonzero elements as an int64 ``(n, ndim)`` Constant."""
    return nonzero(input)


@exported("index_function")
def searchsorted(sorted_sequence: Any, input: Any, *, out_int32: bool = False,
                 right: bool = False, side: str | None = None, sorter: Any = None) -> Any:
    """Where each value of ``input`` would go in ``sorted_sequence`` (along its last axis;
    leading axes pair with ``input``'s) to keep it sorted: the first such place, the last with
    ``right=True`` or ``side="right"``. ``sorter`` sorts an unsorted sequence. An int64
    Constant (int32 with ``out_int32``)."""
    sequence = _tensor("searchsorted", sorted_sequence, "sorted_sequence")
    seq = _device_array("searchsorted", "sorted_sequence", sequence, sequence)
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise ValueError("searchsorted: side='left' and right=True contradict each other")
    chosen = "right" if right or side == "right" else "left"
    if seq.ndim == 0:
        raise ShapeError("searchsorted: sorted_sequence must have at least one axis")
    if is_number(input) or isinstance(input, bool):
        if seq.ndim != 1:
            raise ShapeError("searchsorted: a number input needs a 1-d sorted_sequence, got "
                             f"shape {tuple(seq.shape)}")
        values: Any = _device_array("searchsorted", "input", np.asarray(input), seq)
    else:
        values = _device_array("searchsorted", "input", _tensor("searchsorted", input), seq)
        if seq.ndim > 1 and (values.ndim != seq.ndim or
                             tuple(values.shape[:-1]) != tuple(seq.shape[:-1])):
            raise ShapeError(f"searchsorted: the leading axes of sorted_sequence "
                             f"{tuple(seq.shape)} and input {tuple(values.shape)} must match")
    order = None
    if sorter is not None:
        order = _index("searchsorted", "sorter", sorter, seq)
        if tuple(order.shape) != tuple(seq.shape):
            raise ShapeError(f"searchsorted: sorter has shape {tuple(order.shape)}, expected "
                             f"{tuple(seq.shape)}")
        order = _in_range("searchsorted", "sorter", order, seq.shape[-1])
    dtype = np.dtype(np.int32) if out_int32 else _INT64
    return apply(SEARCHSORTED, seq, values, side=chosen, sorter=order, dtype=dtype)


@exported("index_function")
def bucketize(input: Any, boundaries: Any, *, out_int32: bool = False,
              right: bool = False) -> Any:
    """The bucket of each value of ``input`` among the sorted 1-d ``boundaries``:
    ``searchsorted(boundaries, input, right=right)``."""
    bounds = _tensor("bucketize", boundaries, "boundaries")
    if len(shape_of(bounds)) != 1:
        raise ShapeError(f"bucketize: boundaries must be 1-d, got shape {shape_of(bounds)}")
    return searchsorted(bounds, input, out_int32=out_int32, right=right)


@exported("index_function")
def isin(elements: Any, test_elements: Any, *, assume_unique: bool = False,
         invert: bool = False) -> Any:
    """Whether each of ``elements`` is among ``test_elements`` (either may be a number), as a
    bool Constant of ``elements``' shape; ``invert=True`` asks whether it is not."""
    first = _tensor("isin", elements, "elements")
    second = _tensor("isin", test_elements, "test_elements")
    reference = first if _is_tensor(first) else second
    return apply(ISIN, _device_array("isin", "elements", first, reference),
                 _device_array("isin", "test_elements", second, reference),
                 invert=bool(invert))


@exported("index_function")
def one_hot(tensor: Any, num_classes: int = -1) -> Any:
    """The int64 one-hot encoding of the class indices in ``tensor``: a new last axis of
    ``num_classes`` (one more than the largest class with -1)."""
    data = _index("one_hot", "tensor", tensor, _tensor("one_hot", tensor))
    if not is_int(num_classes):
        raise TypeError(f"one_hot: num_classes must be an int, got {num_classes!r}")
    if num_classes == -1:
        if not data.size:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; give it")
        num_classes = int(data.max()) + 1
    elif num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be -1 or non-negative, got {num_classes}")
    if data.size:
        if int(data.min()) < 0:
            raise ValueError(f"one_hot: class values must be non-negative, got {int(data.min())}")
        if int(data.max()) >= num_classes:
            raise ValueError(f"one_hot: class value {int(data.max())} is out of range for "
                             f"{num_classes} classes")
    return apply(ONE_HOT, data, classes=int(num_classes))
