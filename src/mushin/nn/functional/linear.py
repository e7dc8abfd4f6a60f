"""``linear`` (an affine map on the last axis), ``bilinear`` and ``embedding`` /
``embedding_bag`` (lookups of table rows): the functions behind ``Linear``, ``Bilinear``,
``Embedding``, ``EmbeddingBag`` and attention's projections.

``linear`` is one matrix product with the bias added in place, and skips the input gradient of
a ``Constant`` input (the data); ``embedding``'s gradient adds the output gradient back onto
the rows it read (``index_add``); ``embedding_bag`` reduces the looked-up rows per bag with
``index_add`` or ``scatter_reduce``.
"""

from __future__ import annotations

from typing import Any

from mushin import _backend
from mushin._backend import Array
from mushin._check import host_array, is_int, is_number, operation_name, shape_of
from mushin._graph import Primitive
from mushin._tensor import Constant, Tensor, apply, unwrap, value_range
from mushin.errors import ShapeError
from mushin.ops.gather_scatter import index_add, scatter_reduce
from mushin.ops.linalg import einsum
from mushin.ops.shape import reshape


def _linear_forward(xp: Any, x: Array, weight: Array, bias: Array | None) -> Array:
    # Row-major out, whatever the input: ``(weight @ x.T).T`` is up to 30% faster in OpenBLAS
    # for one product, but a Fortran-ordered result makes every later elementwise operation
    # that meets a row-major operand (a residual sum, say) about 5x slower; on the MLP
    # benchmark the trick gained only 5%. Leading axes are folded into one: NumPy's matmul of
    # a stack makes one BLAS call per matrix of the stack (a (16, 64, 128) input through a
    # 128x512 weight took 1.84 ms so, against 1.36 ms as one (1024, 128) product).
    result = _folded_matmul(xp, x, weight.T)
    if bias is None:
        return result
    if bias.dtype != result.dtype:
        return result + bias
    result += bias  # in place on the fresh product: no second (batch, out) array
    return result


def _folded_matmul(xp: Any, x: Array, matrix: Array) -> Array:
    """``x @ matrix`` for a stack ``x``, as one product of its rows (see ``_linear_forward``)."""
    if x.ndim <= 2 or x.size == 0:
        return xp.matmul(x, matrix)
    return xp.matmul(x.reshape(-1, x.shape[-1]), matrix).reshape(*x.shape[:-1], -1)


def _linear_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    x, weight, _ = inputs
    grad_x = grad_weight = grad_bias = None
    if parents[0] is not None:  # nothing for a Constant input (the data): no product
        grad_x = g @ weight if F.graph_mode else _folded_matmul(F.xp, g, weight)
    if parents[1] is not None:
        out_features, in_features = parents[1].shape
        rows = F.reshape(g, shape=(-1, out_features)) if g.ndim != 2 else g
        columns = F.reshape(x, shape=(-1, in_features)) if x.ndim != 2 else x
        grad_weight = F.matrix_transpose(rows) @ columns  # (out, in): the weight's layout
    if parents[2] is not None:
        lead = tuple(range(g.ndim - 1))
        grad_bias = (g if not lead else F.sum(g, axis=lead, keepdims=False) if F.graph_mode
                     else g.sum(axis=lead))
    return grad_x, grad_weight, grad_bias


LINEAR = Primitive("linear", _linear_forward, _linear_vjp)


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T + bias`` on the last axis of ``x``: weight ``(out, in)``, bias
    ``(out,)``."""
    x_shape, weight_shape = shape_of(x), shape_of(weight)
    if len(weight_shape) != 2:
        raise ShapeError(f"{operation_name('linear')}: expected a weight of shape (out_features, "
                         f"in_features), got shape {weight_shape}")
    if not x_shape or x_shape[-1] != weight_shape[1]:
        raise ShapeError(f"{operation_name('linear')}: the input of shape {x_shape} should have "
                         f"{weight_shape[1]} features on its last axis, as the weight of "
                         f"shape {weight_shape}")
    if bias is not None and shape_of(bias) != (weight_shape[0],):
        raise ShapeError(f"{operation_name('linear')}: expected a bias of shape "
                         f"({weight_shape[0]},), got shape {shape_of(bias)}")
    return apply(LINEAR, x, weight, bias)


def bilinear(input1: Any, input2: Any, weight: Any, bias: Any = None) -> Any:
    """PyTorch's ``F.bilinear``: ``y[..., o] = sum_ij input1[..., i] weight[o, i, j]
    input2[..., j] + bias[o]``, for ``input1`` ``(*, in1)``, ``input2`` ``(*, in2)`` with the
    same leading axes, ``weight`` ``(out, in1, in2)`` and ``bias`` ``(out,)``."""
    first, second, weight_shape = shape_of(input1), shape_of(input2), shape_of(weight)
    if len(weight_shape) != 3:
        raise ShapeError(f"{operation_name('bilinear')}: expected a weight of shape (out, in1, "
                         f"in2), got shape {weight_shape}")
    if (not first or not second or first[:-1] != second[:-1]
            or (first[-1], second[-1]) != weight_shape[1:]):
        raise ShapeError(f"{operation_name('bilinear')}: expected inputs (*, {weight_shape[1]}) "
                         f"and (*, {weight_shape[2]}) with the same leading axes for a weight of "
                         f"shape {weight_shape}, got shapes {first} and {second}")
    if bias is not None and shape_of(bias) != weight_shape[:1]:
        raise ShapeError(f"{operation_name('bilinear')}: expected a bias of shape "
                         f"({weight_shape[0]},), got shape {shape_of(bias)}")
    result = einsum("...i,oij,...j->...o", input1, weight, input2)
    return result if bias is None else result + bias


def _frequency_scale(indices: Array) -> Array:
    """``1 / count`` of each index among ``indices`` (``scale_grad_by_freq``), shaped as
    ``indices``."""
    xp = _backend.namespace_of(indices)
    flat = indices.reshape(-1)
    if not flat.size:
        return xp.ones(indices.shape)
    _, inverse, counts = xp.unique(flat, return_inverse=True, return_counts=True)
    return (1.0 / counts[inverse.reshape(-1)]).reshape(indices.shape)


def _embedding_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   padding_idx: int | None, scale_grad_by_freq: bool = False
                   ) -> tuple[Any, ...]:
    indices = F.unwrap(inputs[0])
    if padding_idx is not None:
        g = F.where((indices != padding_idx)[..., None], g, 0)
    if scale_grad_by_freq:
        g = g * _frequency_scale(indices).astype(F.unwrap(g).dtype)[..., None]
    return None, F.index_add(g, index=(indices,), shape=parents[1].shape)


EMBEDDING = Primitive("embedding",
                      lambda xp, indices, weight, padding_idx, scale_grad_by_freq=False:
                      weight[indices], _embedding_vjp, saves="inputs")


def padding_index(function: str, padding_idx: Any, rows: int) -> int | None:
    """``padding_idx`` checked against a table of ``rows`` rows; a negative one counts from
    the end."""
    if padding_idx is None:
        return None
    if not is_int(padding_idx) or not -rows <= padding_idx < rows:
        raise ValueError(f"{operation_name(function)}: padding_idx must be an int in [-{rows}, "
                         f"{rows}), got {padding_idx!r}")
    return int(padding_idx) % rows


def _lookup_indices(function: str, indices: Any, weight: Any) -> Array:
    """The integer array of ``indices`` on ``weight``'s device, its range checked."""
    weight_shape = shape_of(weight)
    if len(weight_shape) != 2:
        raise ShapeError(f"{operation_name(function)}: expected a weight of shape (num_embeddings, "
                         f"dim), got shape {weight_shape}")
    # The indices follow the weight to its device (they are small; the table may not be).
    # Their range is read on the host where they come from there (value_range), else from
    # the device.
    if isinstance(indices, list | tuple):
        indices = host_array(function, indices, "indices")
    bounds = value_range(indices)
    index_data = _backend.backend_of(unwrap(weight)).asarray(unwrap(indices))
    if index_data.dtype.kind not in "iu":
        raise TypeError(f"{operation_name(function)}: indices must be integers, got dtype "
                        f"{index_data.dtype}")
    if index_data.size:
        low, high = bounds or (int(index_data.min()), int(index_data.max()))
        if low < 0 or high >= weight_shape[0]:
            raise IndexError(f"{operation_name(function)}: indices must lie in [0, "
                             f"{weight_shape[0]}), got values from {low} to {high}")
    return index_data


def _renormalize_rows(function: str, weight: Any, index_data: Array, max_norm: Any,
                      norm_type: Any) -> None:
    """Scale, in place, each row of ``weight`` that ``index_data`` names whose ``norm_type``
    norm exceeds ``max_norm`` down to that norm (PyTorch's ``max_norm``: the table itself
    changes, outside the graph)."""
    if not is_number(max_norm) or max_norm < 0:
        raise ValueError(f"{operation_name(function)}: max_norm must be a non-negative number, got "
                         f"{max_norm!r}")
    if not is_number(norm_type):
        raise ValueError(f"{operation_name(function)}: norm_type must be a number, got "
                         f"{norm_type!r}")
    table = unwrap(weight)
    if not index_data.size:
        return
    xp = _backend.namespace_of(table)
    rows = xp.unique(index_data.reshape(-1))
    picked = table[rows]
    norms = xp.linalg.norm(picked, ord=float(norm_type), axis=1) if norm_type != 0 else (
        (picked != 0).sum(axis=1).astype(picked.dtype))
    too_long = norms > max_norm
    if bool(too_long.any()):
        scale = xp.where(too_long, max_norm / (norms + 1e-7), 1.0).astype(table.dtype)
        table[rows] = picked * scale[:, None]


def embedding(input: Any, weight: Any, padding_idx: int | None = None,
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Any:
    """PyTorch's ``F.embedding``: the rows of ``weight`` ``(num_embeddings, dim)`` picked by
    the integer ``input`` (any shape), of shape ``(*input.shape, dim)``.

    The row ``padding_idx`` (negative counts from the end) gets no gradient. ``max_norm``
    first rescales, in place and outside the graph, each looked-up row whose ``norm_type``
    norm exceeds it to that norm. ``scale_grad_by_freq`` divides each row's gradient by the
    number of times its index occurs in ``input``. ``sparse`` is accepted; the gradient is
    always a dense array of the weight's shape.
    """
    index_data = _lookup_indices("embedding", input, weight)
    padding = padding_index("embedding", padding_idx, shape_of(weight)[0])
    if max_norm is not None:
        _renormalize_rows("embedding", weight, index_data, max_norm, norm_type)
    return apply(EMBEDDING, index_data, weight, padding_idx=padding,
                 scale_grad_by_freq=bool(scale_grad_by_freq))


_BAG_MODES = ("sum", "mean", "max")


def _bag_ids(index_data: Array, offsets: Any, include_last_offset: bool
             ) -> tuple[Array, Array, int]:
    """The flat indices, the bag of each and the number of bags of ``embedding_bag``'s input
    (2-D: one bag per row; 1-D: bags starting at ``offsets``)."""
    xp = _backend.namespace_of(index_data)
    if index_data.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{operation_name('embedding_bag')}: offsets must be None when the "
                             "input is 2-D, got offsets")
        bags, size = index_data.shape
        return (index_data.reshape(-1), xp.repeat(xp.arange(bags), size), bags)
    if index_data.ndim != 1:
        raise ShapeError(f"{operation_name('embedding_bag')}: expected a 1-D input (with offsets) "
                         f"or a 2-D input (bags, size), got shape {index_data.shape}")
    if offsets is None:
        raise ValueError(f"{operation_name('embedding_bag')}: offsets must be given when the input "
                         "is 1-D")
    starts = xp.asarray(unwrap(offsets))
    if starts.ndim != 1 or starts.dtype.kind not in "iu":
        raise ValueError(f"{operation_name('embedding_bag')}: offsets must be a 1-D tensor of "
                         f"integers, got shape {starts.shape} and dtype {starts.dtype}")
    count = index_data.shape[0]
    if starts.size:
        if int(starts[0]) != 0:
            raise ValueError(f"{operation_name('embedding_bag')}: offsets[0] must be 0, got "
                             f"{int(starts[0])}")
        if bool((starts[1:] < starts[:-1]).any()) or int(starts[-1]) > count:
            raise ValueError(f"{operation_name('embedding_bag')}: offsets must be non-decreasing "
                             f"and at most the input's length {count}")
    positions = xp.arange(count)
    if include_last_offset:
        bags = max(starts.size - 1, 0)
        end = int(starts[-1]) if starts.size else 0
        positions = positions[:end]
        index_data = index_data[:end]
        starts = starts[:-1]
    else:
        bags = starts.size
    if not bags:
        return index_data[:0], positions[:0], 0
    return index_data, xp.searchsorted(starts, positions, side="right") - 1, bags


def embedding_bag(input: Any, weight: Any, offsets: Any = None, max_norm: float | None = None,
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights: Any = None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Any:
    """PyTorch's ``F.embedding_bag``: the sums, means or maxima (``mode``) of bags of rows of
    ``weight`` ``(num_embeddings, dim)``, of shape ``(bags, dim)``.

    A 2-D ``input`` ``(bags, size)`` holds one bag per row; a 1-D ``input`` is cut into bags
    starting at ``offsets`` (with ``include_last_offset`` the last offset ends the last bag).
    Entries equal to ``padding_idx`` are left out of their bags (and of the mean's count); an
    empty bag gives zeros. ``per_sample_weights`` (``input``'s shape, ``mode="sum"`` only)
    scales each row before the sum. ``max_norm``, ``norm_type`` and ``scale_grad_by_freq``
    are :func:`embedding`'s; ``sparse`` is accepted (gradients are dense). Ties of
    ``mode="max"`` share the gradient.
    """
    if mode not in _BAG_MODES:
        raise ValueError(f"{operation_name('embedding_bag')}: mode must be 'sum', 'mean' or 'max', "
                         f"got {mode!r}")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(f"{operation_name('embedding_bag')}: mode='max' does not support "
                         "scale_grad_by_freq")
    index_data = _lookup_indices("embedding_bag", input, weight)
    rows_count, dim = shape_of(weight)
    padding = padding_index("embedding_bag", padding_idx, rows_count)
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{operation_name('embedding_bag')}: per_sample_weights is only "
                             f"supported for mode='sum', got mode={mode!r}")
        if shape_of(per_sample_weights) != tuple(index_data.shape):
            raise ShapeError(f"{operation_name('embedding_bag')}: per_sample_weights must have the "
                             f"input's shape {tuple(index_data.shape)}, got "
                             f"{shape_of(per_sample_weights)}")
    flat, bag_of, bags = _bag_ids(index_data, offsets, include_last_offset)
    if max_norm is not None:
        _renormalize_rows("embedding_bag", weight, flat, max_norm, norm_type)
    xp = _backend.namespace_of(flat)
    kept = xp.nonzero(flat != padding)[0] if padding is not None else xp.arange(flat.shape[0])
    flat, bag_of = flat[kept], bag_of[kept]
    rows = apply(EMBEDDING, flat, weight, padding_idx=None,
                 scale_grad_by_freq=bool(scale_grad_by_freq))
    if per_sample_weights is not None:
        sample_weights: Any = per_sample_weights
        if isinstance(per_sample_weights, Tensor):
            sample_weights = reshape(sample_weights, (-1,))[Constant(kept)]
        else:
            sample_weights = xp.asarray(sample_weights).reshape(-1)[kept]
        rows = rows * sample_weights[:, None]
    table = unwrap(weight)
    base = Constant(_backend.namespace_of(table).zeros((bags, dim), dtype=table.dtype))
    bag_index = Constant(bag_of)
    if mode == "max":
        spread = Constant(xp.broadcast_to(bag_of[:, None], (bag_of.shape[0], dim)).copy())
        return scatter_reduce(base, 0, spread, rows, "amax", include_self=False)
    total = index_add(base, 0, bag_index, rows)
    if mode == "sum":
        return total
    counts = xp.bincount(bag_of, minlength=bags).astype(table.dtype)
    return total / xp.maximum(counts, 1)[:, None]
