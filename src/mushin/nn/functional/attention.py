"""``scaled_dot_product_attention`` (PyTorch's ``torch.nn.functional`` function) and the
primitive behind it and ``MultiheadAttention``: the attention weights of queries over keys.

``attention_weights(query, key, mask; scale, causal, safe)`` is one primitive computing
``softmax(query @ key^T * scale + mask)`` along the keys in place on one ``(..., L, S)``
array: a bool ``mask`` (``True``: may attend) writes ``-inf`` where it is ``False``, a
floating one is added, ``causal`` writes ``-inf`` above the diagonal through one ``(L, S)``
mask broadcast over the batch and heads (no per-head copy). Its node keeps ``query``,
``key`` (and the mask) and the weights themselves, which is all the VJP needs: with ``P``
the weights and ``G`` their gradient, the scores' gradient is ``dS = P * (G - sum(G * P))``
(also the gradient of a floating mask), then ``dQ = scale * dS @ K`` and ``dK = scale * dS^T
@ Q``. The VJP is written with the function set ``F`` and operators only, so a recorded
backward (``create_graph=True``) gives second derivatives. The values are then ``P @ V``, one
``matmul``: two graph nodes in all, against six for the composite chain (scale, transpose,
product, mask, softmax, product), and about twice as fast forward and backward.

``safe`` is PyTorch's choice for ``scaled_dot_product_attention``: a query whose every key is
masked gets weights 0 (and an output 0) rather than NaN. ``MultiheadAttention`` returning its
weights uses the plain softmax, NaN there, as PyTorch's does.
"""

from __future__ import annotations

import math
from typing import Any, TypeVarTuple, cast

import numpy as np

from mushin._backend import backend_of
from mushin._check import broadcast_shape, is_number, probability
from mushin._graph import Primitive
from mushin._tensor import Tensor, apply, new_constant, storage
from mushin.errors import ShapeError
from mushin.nn.functional.dropout import dropout
from mushin.ops.linalg import matmul
from mushin.ops.rearrange import repeat_interleave

__all__ = ["ATTENTION_WEIGHTS", "attention_weights", "scaled_dot_product_attention"]

Shape = TypeVarTuple("Shape")

_NAME = "scaled_dot_product_attention"


def _weights_forward(xp: Any, query: Any, key: Any, mask: Any, scale: float, causal: bool,
                     safe: bool) -> Any:
    scores = xp.matmul(query, xp.swapaxes(key, -1, -2))  # a fresh (..., L, S) array
    scores *= scale
    masked = causal or mask is not None
    if mask is not None:
        if mask.dtype.kind == "b":
            xp.copyto(scores, -math.inf, where=~mask)
        else:
            scores += mask
    if causal:  # top-left aligned: query i sees keys 0..i
        length, source = scores.shape[-2:]
        xp.copyto(scores, -math.inf, where=~xp.tri(length, source, dtype=bool))
    top = xp.max(scores, axis=-1, keepdims=True)
    if masked and safe:
        top[xp.isneginf(top)] = 0  # a row masked through: exp gives zeros, not NaN
    with np.errstate(invalid="ignore"):  # unsafe, such a row is NaN, silently as in PyTorch
        scores -= top
        xp.exp(scores, out=scores)
        total = xp.sum(scores, axis=-1, keepdims=True)
        if masked and safe:
            total[total == 0] = 1
        scores /= total
    return scores


def _weights_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, scale: float,
                 causal: bool, safe: bool) -> tuple[Any, ...]:
    query, key, _ = inputs
    last = out.ndim - 1
    if F.graph_mode:
        product = g * out
        grad_scores = product - out * F.sum(product, axis=(last,), keepdims=True)
    else:  # the same on the arrays, two temporaries
        grad_scores = g * out
        grad_scores -= out * grad_scores.sum(axis=last, keepdims=True)
    scaled = grad_scores * scale
    grad_query = scaled @ key if parents[0] is not None else None
    grad_key = F.matrix_transpose(scaled) @ query if parents[1] is not None else None
    grad_mask = grad_scores if parents[2] is not None else None
    return grad_query, grad_key, grad_mask


ATTENTION_WEIGHTS = Primitive("attention_weights", _weights_forward, _weights_vjp,
                              saves="both")


def attention_weights(query: Any, key: Any, mask: Any = None, *, scale: float,
                      causal: bool = False, safe: bool = True) -> Any:
    """``softmax(query @ key^T * scale + mask)`` along the last axis, ``(..., L, S)``, as one
    primitive. ``mask`` is ``None``, a bool array or tensor (``True``: may attend) or a
    floating tensor added to the scores, broadcasting to the scores' shape; ``causal`` masks
    the keys after each query's position (top-left aligned); ``safe`` gives a row masked
    through weights 0 rather than NaN. The arguments are not checked: see
    :func:`scaled_dot_product_attention`."""
    return apply(ATTENTION_WEIGHTS, query, key, mask, scale=scale, causal=causal, safe=safe)


def _tensor(name: str, value: object) -> Tensor[*tuple[Any, ...]]:
    if not isinstance(value, Tensor):
        raise TypeError(f"{_NAME}: {name} must be a tensor, got {type(value).__name__}")
    tensor: Tensor[*tuple[Any, ...]] = cast(Any, value)
    if tensor.ndim < 2:
        raise ShapeError(f"{_NAME}: {name} must have at least 2 axes (..., length, features), "
                         f"got shape {tensor.shape}")
    if tensor.dtype.kind != "f":
        raise TypeError(f"{_NAME}: {name} must have a floating dtype, got {tensor.dtype}")
    return tensor


def _mask(mask: Any, like: Any, scores: tuple[int, ...]) -> Any:
    """``mask`` as an operand on ``like``'s device: a bool array (a ``Constant``) or a
    floating tensor, checked to broadcast to the ``scores`` shape."""
    device = backend_of(storage(like))
    data = storage(mask) if isinstance(mask, Tensor) else device.asarray(mask)
    if data.dtype.kind not in "bf":
        raise TypeError(f"{_NAME}: attn_mask must be a bool or floating mask, got dtype "
                        f"{data.dtype}")
    try:
        fits = broadcast_shape(_NAME, tuple(data.shape), scores) == scores
    except ShapeError:
        fits = False
    if not fits:
        raise ShapeError(f"{_NAME}: attn_mask of shape {tuple(data.shape)} must broadcast "
                         f"to the attention scores' shape (..., L, S) = {scores}")
    if isinstance(mask, Tensor) and data.dtype.kind == "f":
        return cast(Any, mask)  # kept: a Variable mask gets its gradient
    return new_constant(device.asarray(data))


def scaled_dot_product_attention(query: Tensor[*Shape], key: Tensor[*tuple[Any, ...]],
                                 value: Tensor[*tuple[Any, ...]], attn_mask: Any = None,
                                 dropout_p: float = 0.0, is_causal: bool = False,
                                 scale: float | None = None,
                                 enable_gqa: bool = False) -> Tensor[*Shape]:
    """``softmax(query @ key^T * scale + mask) @ value`` (PyTorch's
    ``F.scaled_dot_product_attention``).

    ``query`` ``(..., L, E)``, ``key`` ``(..., S, E)`` and ``value`` ``(..., S, Ev)``, their
    leading axes broadcasting together, give ``(..., L, Ev)``. ``scale`` defaults to
    ``1/sqrt(E)``. ``attn_mask`` broadcasts to the scores ``(..., L, S)`` of the query and
    key: bool (``True``: the query may attend to the key) or floating (added to the scores; a
    ``Variable`` gets its gradient).
    ``is_causal=True`` lets query ``i`` attend to keys ``0..i`` (top-left aligned, also when
    ``L != S``) and may not come with an ``attn_mask``. A query whose every key is masked
    gets an output of zeros. ``dropout_p > 0`` drops attention weights (always: the function
    has no training flag, as in PyTorch). ``enable_gqa=True`` lets ``key`` and ``value`` have
    fewer heads (axis -3) than ``query``, a divisor of its heads: each serves a run of
    consecutive query heads.
    """
    q, k, v = _tensor("query", query), _tensor("key", key), _tensor("value", value)
    if q.shape[-1] != k.shape[-1]:
        raise ShapeError(f"{_NAME}: query and key must have one number of features (the last "
                         f"axis), got shapes {q.shape} and {k.shape}")
    if not q.dtype == k.dtype == v.dtype:
        raise TypeError(f"{_NAME}: query, key and value must have one dtype, got {q.dtype}, "
                        f"{k.dtype} and {v.dtype}")
    if k.shape[-2] != v.shape[-2]:
        raise ShapeError(f"{_NAME}: key and value must have one length (axis -2), got shapes "
                         f"{k.shape} and {v.shape}")
    if not isinstance(is_causal, bool) or not isinstance(enable_gqa, bool):
        raise TypeError(f"{_NAME}: is_causal and enable_gqa must be True or False, got "
                        f"{is_causal!r} and {enable_gqa!r}")
    dropout_p = probability(_NAME, "dropout_p", dropout_p)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1]) if q.shape[-1] else 1.0
    elif not is_number(scale):
        raise TypeError(f"{_NAME}: scale must be a number or None, got {scale!r}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{_NAME}: attn_mask and is_causal=True can't both be given (give "
                         "the causal mask as attn_mask)")
    if enable_gqa and q.ndim >= 3 and k.ndim >= 3 and q.shape[-3] != k.shape[-3]:
        heads, kv_heads = q.shape[-3], k.shape[-3]
        if k.shape[-3] != v.shape[-3] or heads % kv_heads:
            raise ShapeError(f"{_NAME}: with enable_gqa, key and value must have one number "
                             f"of heads (axis -3) dividing the query's {heads}, got shapes "
                             f"{k.shape} and {v.shape}")
        k = repeat_interleave(k, heads // kv_heads, dim=-3)
        v = repeat_interleave(v, heads // kv_heads, dim=-3)
    batch = broadcast_shape(_NAME, q.shape[:-2], k.shape[:-2])
    broadcast_shape(_NAME, batch, v.shape[:-2])
    scores_shape = (*batch, q.shape[-2], k.shape[-2])
    mask = None if attn_mask is None else _mask(attn_mask, q, scores_shape)
    weights = attention_weights(q, k, mask, scale=float(scale), causal=is_causal)
    if dropout_p:
        weights = dropout(weights, dropout_p)
    result: Tensor[*Shape] = matmul(weights, v)
    return result
