"""``linear`` (an affine map on the last axis) and ``embedding`` (a lookup of table rows):
the two primitives behind ``Linear``, ``Embedding`` and attention's projections.

``linear`` is one matrix product with the bias added in place, and skips the input gradient of
a ``Constant`` input (the data); ``embedding``'s gradient adds the output gradient back onto
the rows it read (``index_add``).
"""

from __future__ import annotations

from typing import Any

from mushin import _backend
from mushin._backend import Array
from mushin._check import shape_of
from mushin._graph import Primitive
from mushin._tensor import apply, unwrap, value_range
from mushin.errors import ShapeError


def _linear_forward(xp: Any, x: Array, weight: Array, bias: Array | None) -> Array:
    # Row-major out, whatever the input: ``(weight @ x.T).T`` is up to 30% faster in OpenBLAS
    # for one product, but a Fortran-ordered result makes every later elementwise operation
    # that meets a row-major operand (a residual sum, say) about 5x slower; on the MLP
    # benchmark the trick gained only 5%.
    result = xp.matmul(x, weight.T)
    if bias is None:
        return result
    if bias.dtype != result.dtype:
        return result + bias
    result += bias  # in place on the fresh product: no second (batch, out) array
    return result


def _linear_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any) -> tuple[Any, ...]:
    x, weight, _ = inputs
    grad_x = grad_weight = grad_bias = None
    if parents[0] is not None:  # nothing for a Constant input (the data): no product
        grad_x = g @ weight
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
        raise ShapeError(f"linear: expected a weight of shape (out_features, in_features), "
                         f"got shape {weight_shape}")
    if not x_shape or x_shape[-1] != weight_shape[1]:
        raise ShapeError(f"linear: the input of shape {x_shape} should have "
                         f"{weight_shape[1]} features on its last axis, as the weight of "
                         f"shape {weight_shape}")
    if bias is not None and shape_of(bias) != (weight_shape[0],):
        raise ShapeError(f"linear: expected a bias of shape ({weight_shape[0]},), got shape "
                         f"{shape_of(bias)}")
    return apply(LINEAR, x, weight, bias)


def _embedding_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any,
                   padding_idx: int | None) -> tuple[Any, ...]:
    indices = F.unwrap(inputs[0])
    if padding_idx is not None:
        g = F.where((indices != padding_idx)[..., None], g, 0)
    return None, F.index_add(g, index=(indices,), shape=parents[1].shape)


EMBEDDING = Primitive("embedding", lambda xp, indices, weight, padding_idx: weight[indices],
                      _embedding_vjp, saves="inputs")


def embedding(indices: Any, weight: Any, padding_idx: int | None = None) -> Any:
    """The rows of ``weight`` ``(num_embeddings, dim)`` picked by the integer ``indices``
    (any shape): shape ``(*indices.shape, dim)``. The row ``padding_idx`` gets no gradient."""
    index_data = unwrap(indices)
    weight_shape = shape_of(weight)
    if len(weight_shape) != 2:
        raise ShapeError(f"embedding: expected a weight of shape (num_embeddings, dim), got "
                         f"shape {weight_shape}")
    # The indices follow the weight to its device (they are small; the table may not be).
    # Their range is read on the host where they come from there (value_range), else from
    # the device.
    bounds = value_range(indices)
    index_data = _backend.backend_of(unwrap(weight)
                                     ).asarray(index_data)
    if index_data.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {index_data.dtype}")
    if index_data.size:
        low, high = bounds or (int(index_data.min()), int(index_data.max()))
        if low < 0 or high >= weight_shape[0]:
            raise IndexError(f"embedding: indices must lie in [0, {weight_shape[0]}), got "
                             f"values from {low} to {high}")
    return apply(EMBEDDING, index_data, weight, padding_idx=padding_idx)
