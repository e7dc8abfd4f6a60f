"""Gathering and scattering along a dim, with PyTorch's names and arguments.

``gather``/``scatter`` and their relatives (``take_along_dim``, ``scatter_add``,
``scatter_reduce``) address one element per index entry along a ``dim``
(``out[i][j] = x[index[i][j]][j]``); the ``index_*`` operations (``index_select``,
``index_add``, ``index_copy``, ``index_reduce``, ``index_fill``) address whole slices along
``dim`` by a 1-d index. Every index is an integer tensor (a ``Constant``) or a host array,
never differentiated; the sources and the values are, to any order
(``backward(create_graph=True)``).

Four primitives carry the gradients, each the other's VJP where it can be: ``gather_dim``
(read along a dim) and ``scatter_add_dim`` (add into zeros along a dim), ``scatter_dim``
(overwrite along a dim), ``scatter_reduce_dim`` (sum, prod, mean, amax, amin along a dim). The
indices travel as parameters, as backend arrays already checked against the shapes (an index
out of range is an ``IndexError`` naming the operation, as PyTorch raises one). NumPy-style
advanced and flat indices, masks and ``index_put`` are ``mushin/ops/index.py``.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from mushin._backend import Array, namespace_of
from mushin._check import broadcast_shape, is_number, operation_name, shape_of, single_axis
from mushin._graph import Primitive
from mushin._surface import exported, method
from mushin._tensor import Tensor, Variable, apply, new_constant
from mushin.errors import ShapeError
from mushin.ops._index_common import (
    INT64,
    device_array,
    dtype_of,
    in_range,
    index_array,
    is_tensor,
    operand,
    same_dtype,
    scalar,
)
from mushin.ops.elementwise import astype
from mushin.ops.shape import broadcast_to, reshape
from mushin.ops.slicing import GETITEM

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
    targets = xp.zeros((), dtype=INT64)
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


# --- argument helpers ------------------------------------------------------------------------

def _check_dim_shapes(name: str, index_shape: tuple[int, ...], shape: tuple[int, ...], axis: int,
                      src_shape: tuple[int, ...] | None = None) -> None:
    """PyTorch's rule for gather/scatter: as many axes everywhere; the index no larger than
    the input off ``axis``, nor than ``src`` on any axis."""
    if len(index_shape) != len(shape):
        raise ShapeError(f"{operation_name(name)}: index has {len(index_shape)} axes but the input "
                         f"has {len(shape)}; they must have the same number")
    for dim, (size, limit) in enumerate(zip(index_shape, shape, strict=True)):
        if dim != axis and size > limit:
            raise ShapeError(f"{operation_name(name)}: index of shape {index_shape} is larger than "
                             f"the input of shape {shape} on axis {dim}")
    if src_shape is not None:
        if len(src_shape) != len(shape):
            raise ShapeError(f"{operation_name(name)}: src has {len(src_shape)} axes but the input "
                             f"has {len(shape)}; they must have the same number")
        if builtins.any(size > limit for size, limit in zip(index_shape, src_shape, strict=True)):
            raise ShapeError(f"{operation_name(name)}: index of shape {index_shape} is larger than "
                             f"src of shape {src_shape}")


def _leading(src: Any, shape: tuple[int, ...]) -> Any:
    """The leading block of ``src`` of ``shape`` (PyTorch's scatter reads only that part)."""
    if shape_of(src) == shape:
        return src
    return apply(GETITEM, src, index=tuple(slice(0, size) for size in shape))


def _scatter_call(name: str, x: Any, dim: Any, index: Any, src: Any, reduce: str | None,
                  include_self: bool = True) -> Any:
    """The checks and the primitive shared by scatter, scatter_add and scatter_reduce."""
    x = operand(name, x)
    shape = shape_of(x)
    axis = single_axis(name, dim, len(shape))
    idx = index_array(name, "index", index, x)
    scalar_src = not isinstance(src, Tensor) and (is_number(src) or isinstance(src, bool))
    if scalar_src:
        if reduce is not None:
            src = broadcast_to(new_constant(scalar(name, "value", src, x)), tuple(idx.shape))
        else:
            src = scalar(name, "value", src, x)
    else:
        src = same_dtype(name, "src", src, x)
    zero_d = len(shape) == 0
    if zero_d:
        x, idx = reshape(x, (1,)), idx.reshape(-1)
        src = src if scalar_src and reduce is None else reshape(src, (-1,))
    work_shape = shape_of(x)
    if idx.size:
        _check_dim_shapes(name, tuple(idx.shape), work_shape, axis,
                          None if scalar_src and reduce is None else shape_of(src))
        idx = in_range(name, "index", idx, work_shape[axis])
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
    x = operand("gather", input)
    shape = shape_of(x)
    axis = single_axis("gather", dim, len(shape))
    idx = index_array("gather", "index", index, x)
    if not idx.size:
        return apply(GATHER, x, index=idx, axis=axis)
    if len(shape) == 0:
        if idx.ndim > 1:
            raise ShapeError(f"gather: index has {idx.ndim} axes but the input is 0-d")
        flat = apply(GATHER, reshape(x, (1,)), index=in_range(
            "gather", "index", idx.reshape(-1), 1), axis=0)
        return reshape(flat, tuple(idx.shape))
    _check_dim_shapes("gather", tuple(idx.shape), shape, axis)
    return apply(GATHER, x, index=in_range("gather", "index", idx, shape[axis]), axis=axis)


@exported("runtime_shape_function")
@method("take_along_dim", typing="runtime_shape_method")
def take_along_dim(input: Any, indices: Any, dim: int | None = None) -> Any:
    """NumPy's ``take_along_axis``: ``gather`` after broadcasting ``input`` and ``indices``
    against each other off ``dim``; with ``dim=None`` both are flattened first."""
    x = operand("take_along_dim", input)
    idx = index_array("take_along_dim", "indices", indices, x)
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
    return gather(x, axis, in_range("take_along_dim", "index", idx, x_shape[axis],
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
    if src is None and (is_tensor(value) or not (is_number(value) or isinstance(
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
    if not isinstance(reduce, str) or reduce not in _REDUCE_UFUNCS:
        raise ValueError(f"scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or "
                         f"'amin', got {reduce!r}")
    if not isinstance(src, Tensor) and (is_number(src) or isinstance(src, bool)):
        raise TypeError("scatter_reduce: src must be a tensor, got a number")
    return _scatter_call("scatter_reduce", input, dim, index, src, reduce, include_self)


# --- whole slices along a dim ------------------------------------------------------------------

def _slice_index(name: str, index: Any, x: Any, axis: int, unique: bool = False) -> Array:
    """A 1-d (or 0-d) index of positions along ``axis`` as a checked 1-d array."""
    idx = index_array(name, "index", index, x)
    if idx.ndim > 1:
        raise ShapeError(f"{operation_name(name)}: index must be 1-d (or 0-d), got shape "
                         f"{tuple(idx.shape)}")
    shape = shape_of(x)
    idx = in_range(name, "index", idx.reshape(-1), shape[axis] if shape else 1)
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
        raise ShapeError(f"{operation_name(name)}: source has shape {got}, expected {want} (the "
                         f"input's shape with the index's length on axis {axis})")
    return want


def _slices_call(name: str, x: Any, dim: Any, index: Any, source: Any, reduce: str | None,
                 include_self: bool = True, alpha: Any = 1) -> Any:
    """index_add, index_copy and index_reduce: the slices of ``source`` put at ``index``."""
    x = operand(name, x)
    shape = shape_of(x)
    axis = single_axis(name, dim, len(shape))
    idx = _slice_index(name, index, x, axis)
    source = same_dtype(name, "source", source, x)
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
    x = operand("index_select", input)
    shape = shape_of(x)
    axis = single_axis("index_select", dim, len(shape))
    idx = _slice_index("index_select", index, x, axis)
    if not shape:
        if idx.shape[0] != 1:
            raise ShapeError(f"index_select: a 0-d input takes one index, got {idx.shape[0]}")
        return x if is_tensor(x) else new_constant(device_array(
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
    x = operand("index_fill", input)
    shape = shape_of(x)
    axis = single_axis("index_fill", dim, len(shape))
    idx = _slice_index("index_fill", index, x, axis, unique=True)
    zero_d = len(shape) == 0
    if zero_d:
        x = reshape(x, (1,))
    work = shape_of(x)
    spread = _spread(idx, (*work[:axis], int(idx.shape[0]), *work[axis + 1:]), axis)
    if is_tensor(value):
        if value.ndim != 0:
            raise ShapeError(f"index_fill: value must be a number or a 0-d tensor, got shape "
                             f"{value.shape}")
        if value.dtype != dtype_of(x):
            if isinstance(value, Variable) and dtype_of(x).kind != "f":
                raise TypeError(f"index_fill: a Variable value cannot fill a tensor of dtype "
                                f"{dtype_of(x)}")
            value = astype(value, dtype_of(x))
        fill = broadcast_to(value, tuple(spread.shape))
    else:
        fill = scalar("index_fill", "value", value, x)
    out = apply(SCATTER, x, fill, index=spread, axis=axis)
    return reshape(out, ()) if zero_d else out
