"""``MultiHeadAttention``: scaled dot-product attention over several heads, PyTorch's layout.

The parameters are PyTorch's ``nn.MultiheadAttention``'s, registered in its order, so a
``state_dict`` moves between the two unchanged: ``in_proj_weight`` ``(3E, E)`` with the query,
key and value projections stacked in that order (or ``q_proj_weight`` ``(E, E)``,
``k_proj_weight`` ``(E, kdim)`` and ``v_proj_weight`` ``(E, vdim)`` when the key or value
size differs from ``E``), ``in_proj_bias`` ``(3E,)``, ``bias_k`` and ``bias_v`` ``(1, 1, E)``
with ``add_bias_kv``, and ``out_proj`` a ``Linear(E, E)``.

The heads attend through ``F.scaled_dot_product_attention`` (one primitive for the weights,
one product with the values); only ``need_weights=True``, which returns the weights, calls
the weights primitive directly, with PyTorch's plain softmax there (a query whose every key is
masked gets NaN, as in PyTorch, where the SDPA route gives zeros). Self-attention (``query``,
``key`` and ``value`` one tensor) projects with one product. Both masks become one: a bool
``(batch or 1, heads or 1, L, S)`` array of allowed keys while every mask given is bool, an
additive tensor as soon as one is floating (a ``Variable`` mask gets its gradient).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, TypeVarTuple, cast, overload

from mushin._backend import backend_of
from mushin._check import is_int, probability
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable, new_constant, storage
from mushin.errors import ShapeError
from mushin.nn import init
from mushin.nn.functional.attention import attention_weights, scaled_dot_product_attention
from mushin.nn.functional.dropout import dropout
from mushin.nn.functional.linear import linear
from mushin.nn.functional.shape import pad
from mushin.nn.layers.linear import Linear
from mushin.nn.module import Module
from mushin.ops.join import concat
from mushin.ops.reduce import mean
from mushin.ops.shape import broadcast_to, expand_dims, reshape, squeeze, swapaxes

if TYPE_CHECKING:
    from mushin._typing import Untyped

__all__ = ["MultiHeadAttention", "MultiheadAttention"]

Shape = TypeVarTuple("Shape")

_NAME = "MultiHeadAttention"


class MultiHeadAttention(Module):
    """Multi-head attention (PyTorch's ``nn.MultiheadAttention``, time first by default).

    ``forward(query, key, value)`` takes ``(L, batch, embed_dim)`` queries, ``(S, batch,
    kdim)`` keys and ``(S, batch, vdim)`` values (PyTorch's default; ``(batch, L, E)`` with
    ``batch_first=True``; one sequence may also come without the batch axis) and returns
    ``(output, weights)``: ``output`` of the query's shape, and the attention weights
    ``(batch, L, S)`` averaged over the heads (``(batch, num_heads, L, S)`` with
    ``average_attn_weights=False``; ``None`` with ``need_weights=False``). Each head attends
    with ``softmax(q k^T / sqrt(head_dim) + mask)``; ``dropout`` applies to the attention
    weights while training. ``kdim``/``vdim`` default to ``embed_dim``; ``add_bias_kv`` appends
    the learnt ``bias_k``/``bias_v`` to the keys and values, ``add_zero_attn`` a zero key and
    value (after the bias), and the masks gain an allowed column for each.

    Masks follow PyTorch: ``attn_mask`` ``(L, S)`` or ``(batch * num_heads, L, S)`` and
    ``key_padding_mask`` ``(batch, S)`` are either bool (``True`` marks a position that may
    not be attended to) or floating (added to the scores). ``is_causal=True`` is PyTorch's
    hint that ``attn_mask`` is the causal mask (attention then skips the mask where it can);
    without an ``attn_mask`` (an error in PyTorch) it masks every key after the query's own
    position.
    """

    in_proj_weight: Variable[*tuple[Any, ...]] | None
    q_proj_weight: Variable[*tuple[Any, ...]] | None
    k_proj_weight: Variable[*tuple[Any, ...]] | None
    v_proj_weight: Variable[*tuple[Any, ...]] | None
    in_proj_bias: Variable[*tuple[Any, ...]] | None
    bias_k: Variable[*tuple[Any, ...]] | None
    bias_v: Variable[*tuple[Any, ...]] | None
    out_proj: Linear[Any, Any]

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False,
                 kdim: int | None = None, vdim: int | None = None, batch_first: bool = False,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        kdim = embed_dim if kdim is None else kdim
        vdim = embed_dim if vdim is None else vdim
        for name, size in (("embed_dim", embed_dim), ("num_heads", num_heads), ("kdim", kdim),
                           ("vdim", vdim)):
            if not is_int(size) or size <= 0:
                raise ValueError(f"{_NAME}: {name} must be a positive int, got {size!r}")
        if embed_dim % num_heads:
            raise ValueError(f"{_NAME}: embed_dim ({embed_dim}) must be divisible by num_heads "
                             f"({num_heads})")
        dropout = probability(_NAME, "dropout", dropout)
        for name, flag in (("bias", bias), ("add_bias_kv", add_bias_kv),
                           ("add_zero_attn", add_zero_attn), ("batch_first", batch_first)):
            if not isinstance(flag, bool):
                raise TypeError(f"{_NAME}: {name} must be True or False, got {flag!r}")
        self.embed_dim = embed_dim
        self.kdim = kdim
        self.vdim = vdim
        self._qkv_same_embed_dim = kdim == embed_dim and vdim == embed_dim
        self.num_heads = num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        # PyTorch's registration order and initialisation: Xavier-uniform projections, zero
        # biases, Xavier-normal bias_k/bias_v, out_proj.weight as any Linear's.
        self.in_proj_weight = self.q_proj_weight = self.k_proj_weight = None
        self.v_proj_weight = None
        if self._qkv_same_embed_dim:
            self.in_proj_weight = init.xavier_uniform(zeros((3 * embed_dim, embed_dim),
                                                            dtype=dtype, device=device))
        else:
            self.q_proj_weight, self.k_proj_weight, self.v_proj_weight = (
                init.xavier_uniform(zeros((embed_dim, size), dtype=dtype, device=device))
                for size in (embed_dim, kdim, vdim))
        self.in_proj_bias = zeros((3 * embed_dim,), dtype=dtype, device=device) if bias else None
        self.bias_k = self.bias_v = None
        if add_bias_kv:
            self.bias_k, self.bias_v = (
                init.xavier_normal(zeros((1, 1, embed_dim), dtype=dtype, device=device))
                for _ in range(2))
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, device=device)
        if self.out_proj.bias is not None:
            init.zeros(self.out_proj.bias)

    @overload
    def forward(self, query: Untyped, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> tuple[Untyped, Any]: ...
    @overload
    def forward(self, query: Tensor[*Shape], key: Tensor[*tuple[Any, ...]],
                value: Tensor[*tuple[Any, ...]], key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> tuple[Variable[*Shape], Variable[*tuple[Any, ...]] | None]: ...

    def forward(self, query: Any, key: Any, value: Any, key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False) -> Any:
        """``(output, attention weights or None)`` of ``query`` attending to ``key`` and
        ``value`` (PyTorch's argument order)."""
        batched = self._check_inputs(query, key, value)
        shared = query is key and key is value
        if not batched:
            query, key, value = (expand_dims(x, 0) for x in (query, key, value))
        elif not self.batch_first:
            query, key, value = (swapaxes(x, 0, 1) for x in (query, key, value))
        batch, target_length, _ = query.shape
        source_length = key.shape[1]
        blocked = self._attn_mask(attn_mask, batch, target_length, source_length, query)
        padding = self._padding_mask(key_padding_mask, batch, source_length, batched, query)
        # PyTorch's use of the hint: the scaled-dot-product route masks causally itself (the
        # attn_mask is then not read); returning the weights or padding needs the mask
        causal = is_causal and padding is None and not need_weights
        if causal:
            blocked = None
        elif is_causal and blocked is None:
            xp = backend_of(storage(query)).xp
            blocked = xp.triu(xp.ones((target_length, source_length), dtype=bool), k=1)

        query, key, value = self._projections(query, key, value, shared)
        extra = 0
        if self.bias_k is not None and self.bias_v is not None:
            key = concat([key, broadcast_to(self._param(self.bias_k),
                                            (batch, 1, self.embed_dim))], axis=1)
            value = concat([value, broadcast_to(self._param(self.bias_v),
                                                (batch, 1, self.embed_dim))], axis=1)
            extra += 1
        query, key, value = (swapaxes(reshape(x, (batch, x.shape[1], self.num_heads,
                                                  self.head_dim)), 1, 2)
                             for x in (query, key, value))
        if self.add_zero_attn:
            zero = zeros(batch, self.num_heads, 1, self.head_dim, dtype=key.dtype,
                         device=key.device)
            key, value = concat([key, zero], axis=2), concat([value, zero], axis=2)
            extra += 1
        mask = _merged(blocked, padding, extra, query)

        rate = self.dropout if self.training else 0.0
        weights = None
        if need_weights:
            weights = attention_weights(query, key, mask, scale=1.0 / math.sqrt(self.head_dim),
                                        safe=False)
            weights = dropout(weights, rate)
            attended = weights @ value
        else:
            attended = scaled_dot_product_attention(query, key, value, attn_mask=mask,
                                                    dropout_p=rate, is_causal=causal)
        output: Any = self.out_proj(reshape(swapaxes(attended, 1, 2),
                                            (batch, target_length, self.embed_dim)))
        if not batched:
            output = squeeze(output, 0)
        elif not self.batch_first:
            output = swapaxes(output, 0, 1)
        if weights is None:
            return output, None
        if average_attn_weights:
            weights = mean(weights, axis=1)
        return output, (weights if batched else squeeze(weights, 0))

    def _projections(self, query: Any, key: Any, value: Any,
                     shared: bool) -> tuple[Any, Any, Any]:
        """The projected query, key and value, each ``(batch, length, embed_dim)``."""
        size = self.embed_dim
        bias = self._param(self.in_proj_bias)
        if self._qkv_same_embed_dim and shared:
            # self-attention: one product, then the three column blocks
            projected = linear(query, self._param(self.in_proj_weight), bias)
            return (projected[..., :size], projected[..., size:2 * size],
                    projected[..., 2 * size:])
        blocks = [slice(index * size, (index + 1) * size) for index in range(3)]
        if self._qkv_same_embed_dim:
            weight = self._param(self.in_proj_weight)
            weights = [weight[block] for block in blocks]
        else:
            weights = [self._param(self.q_proj_weight), self._param(self.k_proj_weight),
                       self._param(self.v_proj_weight)]
        q, k, v = (linear(x, weight, None if bias is None else bias[block])
                   for x, weight, block in zip((query, key, value), weights, blocks,
                                               strict=True))
        return q, k, v

    def _check_inputs(self, query: Any, key: Any, value: Any) -> bool:
        """Raise unless the inputs fit together; returns whether they are batched."""
        for name, given, size, label in (("query", query, self.embed_dim, "embed_dim"),
                                         ("key", key, self.kdim, "kdim"),
                                         ("value", value, self.vdim, "vdim")):
            if not isinstance(given, Tensor):
                raise TypeError(f"{_NAME}: {name} must be a tensor, got {type(given).__name__}")
            # through Any: pyright would keep the narrowed shape parameters unknown
            x: Tensor[*tuple[Any, ...]] = cast(Any, given)
            if x.ndim not in (2, 3):
                raise ShapeError(f"{_NAME}: {name} must have 3 axes, or 2 for one sequence, "
                                 f"got shape {x.shape}")
            if x.shape[-1] != size:
                raise ShapeError(f"{_NAME}: expected {name} with {label} = {size} features "
                                 f"(the last axis), got shape {x.shape}")
        if not query.ndim == key.ndim == value.ndim:
            raise ShapeError(f"{_NAME}: query, key and value must all be batched or all "
                             f"unbatched, got shapes {query.shape}, {key.shape} and "
                             f"{value.shape}")
        if key.shape[:-1] != value.shape[:-1]:
            raise ShapeError(f"{_NAME}: key and value must have one shape but for the features "
                             f"(the last axis), got {key.shape} and {value.shape}")
        if query.ndim == 3 and query.shape[1 - self.batch_first] != key.shape[
                1 - self.batch_first]:
            raise ShapeError(f"{_NAME}: query and key have different batch sizes: shapes "
                             f"{query.shape} and {key.shape} (batch_first={self.batch_first})")
        return bool(query.ndim == 3)

    def _attn_mask(self, mask: Any, batch: int, target_length: int, source_length: int,
                   like: Any) -> Any:
        """``attn_mask`` checked, ``(L, S)`` or ``(batch, heads, L, S)``: a bool array
        (``True``: blocked), a floating tensor, or ``None``."""
        if mask is None:
            return None
        mask = _canonical("attn_mask", mask, like)
        heads = self.num_heads
        if tuple(mask.shape) == (target_length, source_length):
            return mask
        if tuple(mask.shape) == (batch * heads, target_length, source_length):
            return _reshaped(mask, (batch, heads, target_length, source_length))
        raise ShapeError(f"{_NAME}: attn_mask must have shape (L, S) = "
                         f"{(target_length, source_length)} or (batch * num_heads, L, S) = "
                         f"{(batch * heads, target_length, source_length)}, got shape "
                         f"{tuple(mask.shape)}")

    def _padding_mask(self, mask: Any, batch: int, source_length: int, batched: bool,
                      like: Any) -> Any:
        """``key_padding_mask`` checked, as ``(batch, 1, 1, S)``: a bool array (``True``:
        blocked), a floating tensor, or ``None``."""
        if mask is None:
            return None
        mask = _canonical("key_padding_mask", mask, like)
        expected = (batch, source_length) if batched else (source_length,)
        if tuple(mask.shape) != expected:
            raise ShapeError(f"{_NAME}: key_padding_mask must have shape (batch, S) = "
                             f"{expected}, got shape {tuple(mask.shape)}")
        return _reshaped(mask, (batch, 1, 1, source_length))

    def extra_repr(self) -> str:
        text = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.in_proj_bias is None:
            text += ", bias=False"
        if self.bias_k is not None:
            text += ", add_bias_kv=True"
        if self.add_zero_attn:
            text += ", add_zero_attn=True"
        if not self._qkv_same_embed_dim:
            text += f", kdim={self.kdim}, vdim={self.vdim}"
        if self.batch_first:
            text += ", batch_first=True"
        return text


def _canonical(name: str, mask: Any, like: Any) -> Any:
    """A mask as a bool array on ``like``'s device, or a floating tensor (a ``Tensor`` given
    is kept, so that a ``Variable`` mask gets its gradient; an array becomes a ``Constant``
    in ``like``'s dtype)."""
    device = backend_of(storage(like))
    data = storage(mask) if isinstance(mask, Tensor) else device.asarray(mask)
    if data.dtype.kind == "b":
        return device.asarray(data)
    if data.dtype.kind != "f":
        raise TypeError(f"{_NAME}: {name} must be a bool or floating mask, got dtype "
                        f"{data.dtype}")
    if isinstance(mask, Tensor):
        return cast(Any, mask)  # through Any: pyright keeps narrowed shapes unknown
    return new_constant(device.asarray(data, dtype=like.dtype))


def _reshaped(mask: Any, shape: tuple[int, ...]) -> Any:
    """A bool array or a tensor reshaped."""
    return reshape(mask, shape) if isinstance(mask, Tensor) else mask.reshape(shape)


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


# PyTorch's casing of the crate's names: the same class objects.
MultiheadAttention = MultiHeadAttention
