"""``scaled_dot_product_attention`` and ``multi_head_attention_forward`` (PyTorch's
``torch.nn.functional`` functions, the second ``MultiheadAttention``'s computation) and the
primitive behind both: the attention weights of queries over keys.

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
product, mask, softmax, product), and about twice as fast forward and backward. On the CPU
(float32) the softmax of the scores is one row kernel, causal masking included, and the VJP's
``dS`` one row kernel for float32 and float64: the portable rule stays their reference.

``safe`` is PyTorch's choice for ``scaled_dot_product_attention``: a query whose every key is
masked gets weights 0 (and an output 0) rather than NaN. ``MultiheadAttention`` returning its
weights uses the plain softmax, NaN there, as PyTorch's does.

``multi_head_attention_forward`` projects the inputs (one product for self-attention), splits
the heads and attends through ``scaled_dot_product_attention`` (one primitive for the weights,
one product with the values); only ``need_weights=True``, which returns the weights, calls the
weights primitive directly. Both masks become one: a bool ``(batch or 1, heads or 1, L, S)``
array of allowed keys while every mask given is bool, an additive tensor as soon as one is
floating (a ``Variable`` mask gets its gradient). It works batch first inside; the layer,
whose inputs may already be, calls :func:`multi_head_attention` with its layout, saving two
transpositions.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeVarTuple, cast, overload

import numpy as np

from mushin._backend import Array, backend_of
from mushin._check import broadcast_shape, is_int, is_number, operation_name, probability
from mushin._creation import zeros
from mushin._graph import Primitive
from mushin._tensor import Tensor, apply, new_constant, storage
from mushin.errors import ShapeError
from mushin.kernels import cpu
from mushin.nn.functional.dropout import dropout
from mushin.nn.functional.linear import linear
from mushin.nn.functional.shape import pad
from mushin.ops.join import concat
from mushin.ops.linalg import matmul
from mushin.ops.rearrange import repeat_interleave
from mushin.ops.reduce import mean
from mushin.ops.shape import broadcast_to, expand_dims, reshape, squeeze, swapaxes
from mushin.ops.special import exp_shifted_float32, row_max_float32, softmax_grad_cpu

if TYPE_CHECKING:
    from mushin._tensor import Variable
    from mushin._typing import Untyped

__all__ = ["ATTENTION_WEIGHTS", "attention_weights", "multi_head_attention",
           "multi_head_attention_forward", "scaled_dot_product_attention"]

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


# --- CPU: the softmax of each row in one kernel, on the scores in place ----------------------
# The matrix products stay OpenBLAS's; the kernel scales a row, masks it causally (only the
# first i + 1 keys of query i are read: the rest are written 0), takes its maximum, its
# exponentials (``exp_shifted_float32``, vectorised) and its sum, and divides, the row in the
# L1 cache, where NumPy makes eight passes over the scores and a mask. Other masks are applied
# by NumPy before it. The VJP's ``dS`` is one row kernel (``softmax_grad_cpu``, float32 and
# float64), the scale folded into it.


@cpu.kernel
def _weights_float32_kernel(scores: Array, scale: Any, length: int, causal: bool,
                            safe: bool) -> None:
    rows, columns = scores.shape
    bits = np.empty(columns, np.int32)
    for row in range(rows):
        values = scores[row]
        count = min(row % length + 1, columns) if causal else columns
        for j in range(count):
            values[j] *= scale
        for j in range(count, columns):
            values[j] = 0
        top = row_max_float32(values, count)
        if safe and top == -np.inf:  # masked through: weights 0, not NaN
            for j in range(count):
                values[j] = 0
            continue
        shown = values[:count]
        inverse = np.float32(1.0 / exp_shifted_float32(shown, top, shown, bits[:count]))
        for j in range(count):
            values[j] *= inverse


def _weights_cpu(xp: Any, query: Array, key: Array, mask: Array | None, scale: float,
                 causal: bool, safe: bool) -> Any:
    """The forward on float32 arrays: one product, NumPy's masking where a mask is given,
    then :func:`_weights_float32_kernel`."""
    if not (cpu.fusable(query) and cpu.fusable(key) and query.dtype == key.dtype == np.float32):
        return NotImplemented
    scores = np.matmul(query, np.swapaxes(key, -1, -2))  # a fresh (..., L, S) array
    if not scores.size:
        return NotImplemented
    if mask is not None:  # scaled first, as the portable rule does
        scores *= scale
        scale = 1.0
        if mask.dtype.kind == "b":
            np.copyto(scores, -math.inf, where=~mask)
        else:
            scores += mask
    length, source = scores.shape[-2:]
    _weights_float32_kernel(scores.reshape(-1, source), np.float32(scale), length, causal,
                            safe and (causal or mask is not None))
    return scores


def _weights_cpu_vjp(F: Any, g: Any, inputs: Any, out: Any, parents: Any, scale: float,
                     causal: bool, safe: bool) -> Any:
    """The VJP on float32 or float64 arrays: ``dS`` (scaled, unless the mask's gradient is
    asked) by one row kernel, then the two products."""
    query, key, _ = inputs
    want_mask = parents[2] is not None
    grad_scores = softmax_grad_cpu(g, out, 1.0 if want_mask else scale)
    if grad_scores is None:
        return NotImplemented
    scaled = grad_scores * scale if want_mask else grad_scores
    grad_query = scaled @ key if parents[0] is not None else None
    grad_key = np.swapaxes(scaled, -1, -2) @ query if parents[1] is not None else None
    return grad_query, grad_key, grad_scores if want_mask else None


ATTENTION_WEIGHTS = Primitive("attention_weights", _weights_forward, _weights_vjp,
                              saves="both", cpu_forward=_weights_cpu,
                              cpu_vjp=_weights_cpu_vjp)


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
    # through Any: pyright keeps the narrowed tensor's shape unknown
    data = storage(cast(Any, mask)) if isinstance(mask, Tensor) else device.asarray(mask)
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


# --- multi-head attention -------------------------------------------------------------------

_MHA = "multi_head_attention_forward"


def _canonical(name: str, which: str, mask: Any, like: Any) -> Any:
    """A mask as a bool array on ``like``'s device, or a floating tensor (a ``Tensor`` given
    is kept, so that a ``Variable`` mask gets its gradient; an array becomes a ``Constant``
    in ``like``'s dtype)."""
    device = backend_of(storage(like))
    # through Any: pyright keeps the narrowed tensor's shape unknown
    data = storage(cast(Any, mask)) if isinstance(mask, Tensor) else device.asarray(mask)
    if data.dtype.kind == "b":
        return device.asarray(data)
    if data.dtype.kind != "f":
        raise TypeError(f"{operation_name(name)}: {which} must be a bool or floating mask, got "
                        "dtype "
                        f"{data.dtype}")
    if isinstance(mask, Tensor):
        return cast(Any, mask)  # through Any: pyright keeps narrowed shapes unknown
    return new_constant(device.asarray(data, dtype=like.dtype))


def _reshaped(mask: Any, shape: tuple[int, ...]) -> Any:
    """A bool array or a tensor reshaped."""
    return reshape(mask, shape) if isinstance(mask, Tensor) else mask.reshape(shape)


def _attn_mask(name: str, mask: Any, batch: int, heads: int, target_length: int,
               source_length: int, like: Any) -> Any:
    """``attn_mask`` checked, ``(L, S)`` or ``(batch, heads, L, S)``: a bool array (``True``:
    blocked), a floating tensor, or ``None``."""
    if mask is None:
        return None
    mask = _canonical(name, "attn_mask", mask, like)
    if tuple(mask.shape) == (target_length, source_length):
        return mask
    if tuple(mask.shape) == (batch * heads, target_length, source_length):
        return _reshaped(mask, (batch, heads, target_length, source_length))
    raise ShapeError(f"{operation_name(name)}: attn_mask must have shape (L, S) = "
                     f"{(target_length, source_length)} or (batch * num_heads, L, S) = "
                     f"{(batch * heads, target_length, source_length)}, got shape "
                     f"{tuple(mask.shape)}")


def _padding_mask(name: str, mask: Any, batch: int, source_length: int, batched: bool,
                  like: Any) -> Any:
    """``key_padding_mask`` checked, as ``(batch, 1, 1, S)``: a bool array (``True``:
    blocked), a floating tensor, or ``None``."""
    if mask is None:
        return None
    mask = _canonical(name, "key_padding_mask", mask, like)
    expected = (batch, source_length) if batched else (source_length,)
    if tuple(mask.shape) != expected:
        raise ShapeError(f"{operation_name(name)}: key_padding_mask must have shape (batch, S) = "
                         f"{expected}, got shape {tuple(mask.shape)}")
    return _reshaped(mask, (batch, 1, 1, source_length))


def _merged(blocked: Any, padding: Any, extra: int, like: Any) -> Any:
    """The attention mask and the padding mask as one mask for the scores ``(batch, heads,
    L, S + extra)``: ``None``, a bool ``Constant`` of the allowed keys while both are bool
    (or absent), an additive tensor otherwise; the ``extra`` keys appended (``bias_k``, the
    zero key) are allowed."""
    masks = [mask for mask in (blocked, padding) if mask is not None]
    if not masks:
        return None
    xp = backend_of(storage(like)).xp
    if not any(isinstance(mask, Tensor) for mask in masks):
        allowed = ~masks[0] if len(masks) == 1 else ~(masks[0] | masks[1])
        if extra:
            widths = [(0, 0)] * (allowed.ndim - 1) + [(0, extra)]
            allowed = xp.pad(allowed, widths, constant_values=True)
        return new_constant(allowed)
    additive: Any = None
    for mask in masks:
        term = cast(Any, mask) if isinstance(mask, Tensor) else new_constant(
            xp.where(mask, xp.asarray(-math.inf, dtype=like.dtype),
                     xp.asarray(0, dtype=like.dtype)))
        additive = term if additive is None else additive + term
    return pad(additive, (0, extra)) if extra else additive


def _projections(query: Any, key: Any, value: Any, embed_dim: int, in_proj_weight: Any,
                 in_proj_bias: Any, separate: tuple[Any, Any, Any] | None) -> tuple[Any, ...]:
    """The projected query, key and value: by the packed ``in_proj_weight`` (one product for
    self-attention, ``query``, ``key`` and ``value`` one tensor) or the ``separate`` weights;
    ``in_proj_bias`` holds the three biases."""
    blocks = [slice(index * embed_dim, (index + 1) * embed_dim) for index in range(3)]
    if separate is None:
        if query is key and key is value:
            projected = linear(query, in_proj_weight, in_proj_bias)
            return tuple(projected[..., block] for block in blocks)
        weights = [in_proj_weight[block] for block in blocks]
    else:
        weights = list(separate)
    return tuple(linear(x, weight, None if in_proj_bias is None else in_proj_bias[block])
                 for x, weight, block in zip((query, key, value), weights, blocks, strict=True))


def _heads(name: str, static: Any, which: str, batch: int, heads: int,
           head_dim: int) -> Any:
    """``static_k`` / ``static_v`` ``(batch * heads, S, head_dim)`` as ``(batch, heads, S,
    head_dim)``."""
    shape = tuple(static.shape)
    if len(shape) != 3 or shape[0] != batch * heads or shape[2] != head_dim:
        raise ShapeError(f"{operation_name(name)}: {which} must have shape (batch * num_heads, "
                         "S, head_dim) "
                         f"= ({batch * heads}, S, {head_dim}), got shape {shape}")
    return reshape(static, (batch, heads, shape[1], head_dim))


def multi_head_attention(query: Any, key: Any, value: Any, num_heads: int, in_proj_weight: Any,
                         in_proj_bias: Any, bias_k: Any, bias_v: Any, add_zero_attn: bool,
                         dropout_p: float, out_proj_weight: Any, out_proj_bias: Any, *,
                         key_padding_mask: Any = None, need_weights: bool = True,
                         attn_mask: Any = None, separate: tuple[Any, Any, Any] | None = None,
                         static_k: Any = None, static_v: Any = None,
                         average_attn_weights: bool = True, is_causal: bool = False,
                         batch_first: bool = False, name: str = _MHA) -> tuple[Any, Any]:
    """The computation of :func:`multi_head_attention_forward` on checked inputs, in the
    ``batch_first`` layout (``MultiheadAttention``'s), the errors naming ``name``;
    ``separate`` holds the three projection weights when they are not packed in
    ``in_proj_weight``; ``dropout_p`` applies as given (0 outside training)."""
    batched = query.ndim == 3
    if not batched or not batch_first:
        # (batch, length, E); one tensor stays one, so self-attention projects with one product
        moved: dict[int, Any] = {}
        for x in (query, key, value):
            if id(x) not in moved:
                moved[id(x)] = swapaxes(x, 0, 1) if batched else expand_dims(x, 0)
        query, key, value = (moved[id(x)] for x in (query, key, value))
    batch, target_length, embed_dim = query.shape
    source_length = key.shape[1]
    head_dim = embed_dim // num_heads
    blocked = _attn_mask(name, attn_mask, batch, num_heads, target_length, source_length,
                         query)
    padding = _padding_mask(name, key_padding_mask, batch, source_length, batched, query)
    # PyTorch's use of the hint: the scaled-dot-product route masks causally itself (the
    # attn_mask is then not read); returning the weights or padding needs the mask.
    causal = is_causal and padding is None and not need_weights
    if causal:
        blocked = None

    query, key, value = _projections(query, key, value, embed_dim, in_proj_weight,
                                     in_proj_bias, separate)
    extra = 0
    if bias_k is not None and bias_v is not None:
        key = concat([key, broadcast_to(bias_k, (batch, 1, embed_dim))], axis=1)
        value = concat([value, broadcast_to(bias_v, (batch, 1, embed_dim))], axis=1)
        extra += 1
    query, key, value = (swapaxes(reshape(x, (batch, x.shape[1], num_heads, head_dim)),
                                  1, 2) for x in (query, key, value))
    if static_k is not None:
        key = _heads(name, static_k, "static_k", batch, num_heads, head_dim)
    if static_v is not None:
        value = _heads(name, static_v, "static_v", batch, num_heads, head_dim)
    if add_zero_attn:
        zero = zeros(batch, num_heads, 1, head_dim, dtype=key.dtype, device=key.device)
        key, value = concat([key, zero], axis=2), concat([value, zero], axis=2)
        extra += 1
    mask = _merged(blocked, padding, extra, query)

    weights = None
    if need_weights:
        weights = attention_weights(query, key, mask, scale=1.0 / math.sqrt(head_dim),
                                    safe=False)
        weights = dropout(weights, dropout_p)
        attended = weights @ value
    else:
        attended = scaled_dot_product_attention(query, key, value, attn_mask=mask,
                                                dropout_p=dropout_p, is_causal=causal)
    output: Any = linear(reshape(swapaxes(attended, 1, 2),
                                 (batch, target_length, embed_dim)),
                         out_proj_weight, out_proj_bias)
    if not batched:
        output = squeeze(output, 0)
    elif not batch_first:
        output = swapaxes(output, 0, 1)
    if weights is None:
        return output, None
    if average_attn_weights:
        weights = mean(weights, axis=1)
    return output, (weights if batched else squeeze(weights, 0))


def _checked_inputs(query: Any, key: Any, value: Any, embed_dim_to_check: int, num_heads: int,
                    separate: bool) -> None:
    """PyTorch's checks of ``multi_head_attention_forward``'s inputs, as errors."""
    for which, given in (("query", query), ("key", key), ("value", value)):
        if not isinstance(given, Tensor):
            raise TypeError(f"{_MHA}: {which} must be a tensor, got {type(given).__name__}")
    if not is_int(embed_dim_to_check):
        raise TypeError(f"{_MHA}: embed_dim_to_check must be an int, got "
                        f"{embed_dim_to_check!r}")
    if query.ndim not in (2, 3) or not query.ndim == key.ndim == value.ndim:
        raise ShapeError(f"{_MHA}: query, key and value must all have 3 axes (L, batch, E), "
                         f"or 2 for one sequence, got shapes {query.shape}, {key.shape} and "
                         f"{value.shape}")
    if query.shape[-1] != embed_dim_to_check:
        raise ShapeError(f"{_MHA}: expected query with embed_dim_to_check = "
                         f"{embed_dim_to_check} features, got shape {query.shape}")
    if not is_int(num_heads) or num_heads < 1 or embed_dim_to_check % num_heads:
        raise ValueError(f"{_MHA}: embed_dim ({embed_dim_to_check}) must be divisible by "
                         f"num_heads, a positive int, got {num_heads!r}")
    if query.ndim == 3 and query.shape[1] != key.shape[1]:
        raise ShapeError(f"{_MHA}: query and key have different batch sizes: shapes "
                         f"{query.shape} and {key.shape}")
    if separate and key.shape[:-1] != value.shape[:-1]:
        raise ShapeError(f"{_MHA}: key's sequence and batch axes {key.shape[:-1]} do not "
                         f"match value's {value.shape[:-1]}")
    if not separate and key.shape != value.shape:
        raise ShapeError(f"{_MHA}: key shape {key.shape} does not match value shape "
                         f"{value.shape}")


@overload
def multi_head_attention_forward(
        query: Untyped, key: Any, value: Any, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Any, in_proj_bias: Any, bias_k: Any, bias_v: Any, add_zero_attn: bool,
        dropout_p: float, out_proj_weight: Any, out_proj_bias: Any, training: bool = True,
        key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
        use_separate_proj_weight: bool = False, q_proj_weight: Any = None,
        k_proj_weight: Any = None, v_proj_weight: Any = None, static_k: Any = None,
        static_v: Any = None, average_attn_weights: bool = True, is_causal: bool = False
) -> tuple[Untyped, Any]: ...
@overload
def multi_head_attention_forward(
        query: Tensor[*Shape], key: Tensor[*tuple[Any, ...]], value: Tensor[*tuple[Any, ...]],
        embed_dim_to_check: int, num_heads: int, in_proj_weight: Any, in_proj_bias: Any,
        bias_k: Any, bias_v: Any, add_zero_attn: bool, dropout_p: float, out_proj_weight: Any,
        out_proj_bias: Any, training: bool = True, key_padding_mask: Any = None,
        need_weights: bool = True, attn_mask: Any = None,
        use_separate_proj_weight: bool = False, q_proj_weight: Any = None,
        k_proj_weight: Any = None, v_proj_weight: Any = None, static_k: Any = None,
        static_v: Any = None, average_attn_weights: bool = True, is_causal: bool = False
) -> tuple[Variable[*Shape], Variable[*tuple[Any, ...]] | None]: ...


def multi_head_attention_forward(
        query: Any, key: Any, value: Any, embed_dim_to_check: int, num_heads: int,
        in_proj_weight: Any, in_proj_bias: Any, bias_k: Any, bias_v: Any, add_zero_attn: bool,
        dropout_p: float, out_proj_weight: Any, out_proj_bias: Any, training: bool = True,
        key_padding_mask: Any = None, need_weights: bool = True, attn_mask: Any = None,
        use_separate_proj_weight: bool = False, q_proj_weight: Any = None,
        k_proj_weight: Any = None, v_proj_weight: Any = None, static_k: Any = None,
        static_v: Any = None, average_attn_weights: bool = True,
        is_causal: bool = False) -> Any:
    """PyTorch's ``F.multi_head_attention_forward``: ``MultiheadAttention``'s computation
    with its parameters given, ``(output, weights or None)``.

    ``query`` ``(L, batch, E)``, ``key`` and ``value`` ``(S, batch, E)`` (time first; one
    sequence may come without the batch axis), projected by ``in_proj_weight`` ``(3E, E)``
    (or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` with
    ``use_separate_proj_weight=True``) and ``in_proj_bias`` ``(3E,)``; ``bias_k`` and
    ``bias_v`` ``(1, 1, E)`` append a learnt key and value, ``add_zero_attn`` a zero one;
    ``static_k`` / ``static_v`` ``(batch * num_heads, S, E / num_heads)`` replace the
    projected keys / values. The heads' outputs go through ``out_proj_weight`` and
    ``out_proj_bias``. ``dropout_p`` drops attention weights while ``training``. The masks,
    ``need_weights``, ``average_attn_weights`` and ``is_causal`` (which needs an
    ``attn_mask``, as in PyTorch) are ``MultiheadAttention.forward``'s.
    """
    _checked_inputs(query, key, value, embed_dim_to_check, num_heads, use_separate_proj_weight)
    if is_causal and attn_mask is None:
        raise ValueError(f"{_MHA}: is_causal=True needs the causal mask as attn_mask (as in "
                         "PyTorch: see nn.Transformer.generate_square_subsequent_mask)")
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{_MHA}: bias_k and bias_v must be given together")
    if bias_k is not None and (static_k is not None or static_v is not None):
        raise ValueError(f"{_MHA}: bias_k and bias_v cannot be added to static keys and "
                         "values")
    separate = None
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(f"{_MHA}: use_separate_proj_weight=True needs q_proj_weight, "
                             "k_proj_weight and v_proj_weight")
        separate = (q_proj_weight, k_proj_weight, v_proj_weight)
    elif in_proj_weight is None:
        raise ValueError(f"{_MHA}: in_proj_weight is None but use_separate_proj_weight is "
                         "False")
    rate = probability(_MHA, "dropout_p", dropout_p) if training else 0.0
    return multi_head_attention(
        query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
        add_zero_attn, rate, out_proj_weight, out_proj_bias,
        key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
        separate=separate, static_k=static_k, static_v=static_v,
        average_attn_weights=average_attn_weights, is_causal=is_causal)
