"""``MultiHeadAttention``: scaled dot-product attention over several heads, PyTorch's layout.

The parameters are PyTorch's ``nn.MultiheadAttention``'s (``in_proj_weight`` ``(3E, E)`` with
the query, key and value projections stacked in that order, ``in_proj_bias`` ``(3E,)``, and
``out_proj`` a ``Linear(E, E)``), so a ``state_dict`` moves between the two unchanged. The
computation is composed from mushin's operations; each projection is one ``linear`` on its
own rows of ``in_proj_weight``, so cross-attention (key and value differing from the query)
needs nothing special.
"""

from __future__ import annotations

import math
from typing import Any, cast

from mushin._backend import backend_of, parse_dtype
from mushin._check import is_int, probability
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable, new_constant
from mushin.errors import ShapeError
from mushin.nn import init
from mushin.nn.functional.activation import softmax
from mushin.nn.functional.dropout import dropout
from mushin.nn.functional.linear import linear
from mushin.nn.layers.linear import Linear
from mushin.nn.module import Module
from mushin.ops.reduce import mean
from mushin.ops.shape import expand_dims, matrix_transpose, reshape, squeeze, transpose

__all__ = ["MultiHeadAttention", "MultiheadAttention"]


class MultiHeadAttention(Module):
    """Multi-head attention (PyTorch's ``nn.MultiheadAttention``, time first by default).

    ``forward(query, key, value)`` takes ``(L, batch, embed_dim)`` queries and ``(S, batch,
    embed_dim)`` keys and values (PyTorch's default; ``(batch, L, E)`` with
    ``batch_first=True``; one sequence may also come without the batch axis) and returns
    ``(output, weights)``: ``output`` ``(L, batch, embed_dim)`` (batch first with
    ``batch_first=True``), and the attention weights ``(batch, L, S)`` averaged over the
    heads (``(batch, num_heads, L, S)`` with ``average_attn_weights=False``; ``None`` with
    ``need_weights=False``). Each head attends with ``softmax(q k^T / sqrt(head_dim) +
    mask)``; ``dropout`` applies to the attention weights while training.

    Masks follow PyTorch: ``attn_mask`` ``(L, S)`` or ``(batch * num_heads, L, S)`` and
    ``key_padding_mask`` ``(batch, S)`` are either bool (``True`` marks a position that may
    not be attended to) or floating (added to the scores). ``is_causal=True`` without an
    ``attn_mask`` masks every key after the query's own position.
    """

    in_proj_weight: Variable[*tuple[Any, ...]]
    in_proj_bias: Variable[*tuple[Any, ...]] | None
    out_proj: Linear[Any, Any]

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 batch_first: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__()
        for name, size in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not is_int(size) or size <= 0:
                raise ValueError(f"MultiHeadAttention: {name} must be a positive int, got "
                                 f"{size!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiHeadAttention: embed_dim ({embed_dim}) must be divisible "
                             f"by num_heads ({num_heads})")
        dropout = probability("MultiHeadAttention", "dropout", dropout)
        for name, flag in (("bias", bias), ("batch_first", batch_first)):
            if not isinstance(flag, bool):
                raise TypeError(f"MultiHeadAttention: {name} must be True or False, got "
                                f"{flag!r}")
        self.embed_dim = embed_dim
        self.num_heads = num_heads
        self.head_dim = embed_dim // num_heads
        self.dropout = dropout
        self.batch_first = batch_first
        # PyTorch's initialisation: Xavier-uniform projections, zero biases, out_proj.weight
        # as any Linear's
        self.in_proj_weight = init.xavier_uniform(
            zeros((3 * embed_dim, embed_dim), dtype=dtype, device=device))
        self.in_proj_bias = zeros((3 * embed_dim,), dtype=dtype, device=device) if bias else None
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, dtype=dtype, device=device)
        if self.out_proj.bias is not None:
            init.zeros(self.out_proj.bias)

    def forward(self, query: Tensor[*tuple[Any, ...]], key: Tensor[*tuple[Any, ...]],
                value: Tensor[*tuple[Any, ...]], key_padding_mask: Any = None,
                need_weights: bool = True, attn_mask: Any = None,
                average_attn_weights: bool = True, is_causal: bool = False
                ) -> tuple[Any, Any]:
        """``(output, attention weights or None)`` of ``query`` attending to ``key`` and
        ``value`` (PyTorch's argument order)."""
        batched = self._check_inputs(query, key, value)
        if not batched:
            query, key, value = (expand_dims(x, 0) for x in (query, key, value))
        elif not self.batch_first:
            query, key, value = (transpose(x, (1, 0, 2)) for x in (query, key, value))
        batch, target_length, _ = query.shape
        source_length = key.shape[1]
        if is_causal and attn_mask is None:
            attn_mask = _causal_mask(target_length, source_length, query)
        mask = self._combined_mask(attn_mask, key_padding_mask, batch, target_length,
                                   source_length, batched, query)

        weight = self._param(self.in_proj_weight)
        bias = self._param(self.in_proj_bias)
        size = self.embed_dim
        heads: list[Any] = []
        for index, x in enumerate((query, key, value)):
            rows = slice(index * size, (index + 1) * size)
            projected = linear(x, weight[rows], None if bias is None else bias[rows])
            heads.append(transpose(reshape(projected, (batch, x.shape[1], self.num_heads,
                                                       self.head_dim)), (0, 2, 1, 3)))
        query_heads, key_heads, value_heads = heads

        scores = (query_heads * (1.0 / math.sqrt(self.head_dim))) @ matrix_transpose(key_heads)
        if mask is not None:
            scores = scores + mask
        weights = dropout(softmax(scores, axis=-1), self.dropout, training=self.training)
        attended = transpose(weights @ value_heads, (0, 2, 1, 3))
        output: Any = self.out_proj(reshape(attended, (batch, target_length, size)))

        if not batched:
            output = squeeze(output, 0)
        elif not self.batch_first:
            output = transpose(output, (1, 0, 2))
        if not need_weights:
            return output, None
        if average_attn_weights:
            weights = mean(weights, axis=1)
        return output, (weights if batched else squeeze(weights, 0))

    def _check_inputs(self, query: Any, key: Any, value: Any) -> bool:
        """Raise unless the inputs fit together; returns whether they are batched."""
        for name, given in (("query", query), ("key", key), ("value", value)):
            if not isinstance(given, Tensor):
                raise TypeError(f"MultiHeadAttention: {name} must be a tensor, got "
                                f"{type(given).__name__}")
            # through Any: pyright would keep the narrowed shape parameters unknown
            x: Tensor[*tuple[Any, ...]] = cast(Any, given)
            if x.ndim not in (2, 3):
                raise ShapeError(f"MultiHeadAttention: {name} must have 3 axes, or 2 for one "
                                 f"sequence, got shape {x.shape}")
            if x.shape[-1] != self.embed_dim:
                raise ShapeError(f"MultiHeadAttention: expected {name} with embed_dim = "
                                 f"{self.embed_dim} features (the last axis), got shape "
                                 f"{x.shape}")
        if not query.ndim == key.ndim == value.ndim:
            raise ShapeError(f"MultiHeadAttention: query, key and value must all be batched "
                             f"or all unbatched, got shapes {query.shape}, {key.shape} and "
                             f"{value.shape}")
        if key.shape != value.shape:
            raise ShapeError(f"MultiHeadAttention: key and value must have one shape, got "
                             f"{key.shape} and {value.shape}")
        batch_axis = 0 if self.batch_first else 1
        if query.ndim == 3 and query.shape[batch_axis] != key.shape[batch_axis]:
            raise ShapeError(f"MultiHeadAttention: query and key have different batch sizes: "
                             f"shapes {query.shape} and {key.shape}")
        return bool(query.ndim == 3)

    def _combined_mask(self, attn_mask: Any, key_padding_mask: Any, batch: int,
                       target_length: int, source_length: int, batched: bool,
                       like: Any) -> Any:
        """Both masks as one additive mask that broadcasts against the scores ``(B, heads,
        L, S)``, or ``None`` without masks."""
        combined = None
        if attn_mask is not None:
            mask = _additive("attn_mask", attn_mask, like)
            if mask.shape == (target_length, source_length):
                combined = mask
            elif mask.shape == (batch * self.num_heads, target_length, source_length):
                combined = reshape(mask, (batch, self.num_heads, target_length, source_length))
            else:
                raise ShapeError(
                    f"MultiHeadAttention: attn_mask must have shape (L, S) = "
                    f"{(target_length, source_length)} or (batch * num_heads, L, S) = "
                    f"{(batch * self.num_heads, target_length, source_length)}, got shape "
                    f"{mask.shape}")
        if key_padding_mask is not None:
            mask = _additive("key_padding_mask", key_padding_mask, like)
            expected = (batch, source_length) if batched else (source_length,)
            if mask.shape != expected:
                raise ShapeError(f"MultiHeadAttention: key_padding_mask must have shape "
                                 f"(batch, S) = {expected}, got shape {mask.shape}")
            padding = reshape(mask, (batch, 1, 1, source_length))
            combined = padding if combined is None else combined + padding
        return combined

    def extra_repr(self) -> str:
        text = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.in_proj_bias is None:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        return text


def _additive(name: str, mask: Any, like: Any) -> Tensor[*tuple[Any, ...]]:
    """A bool mask (``True``: not allowed) as ``-inf``/``0`` in ``like``'s dtype, on its
    device; a floating mask as a tensor, unchanged (it is added to the scores)."""
    device = backend_of(like.data())
    if isinstance(mask, Tensor):
        data = mask.data()
    else:
        data = mask if hasattr(mask, "dtype") else device.asarray(mask)
    if data.dtype.kind == "b":
        data = device.asarray(data)
        xp = device.xp
        return new_constant(xp.where(data, xp.asarray(-math.inf, dtype=like.dtype),
                                      xp.asarray(0, dtype=like.dtype)))
    if data.dtype.kind != "f":
        raise TypeError(f"MultiHeadAttention: {name} must be a bool or floating mask, got "
                        f"dtype {data.dtype}")
    if isinstance(mask, Tensor):
        # kept as it is (a Variable mask gets its gradient); through Any, as pyright would
        # keep the narrowed shape parameters unknown
        kept: Tensor[*tuple[Any, ...]] = cast(Any, mask)
        return kept
    return new_constant(device.asarray(data, dtype=parse_dtype(like.dtype)))


def _causal_mask(target_length: int, source_length: int, like: Any) -> Any:
    """``True`` above the diagonal: query ``i`` may not attend to keys after ``i``."""
    xp = backend_of(like.data()).xp
    return new_constant(xp.triu(xp.ones((target_length, source_length), dtype=bool), k=1))


# PyTorch's casing of the crate's names: the same class objects.
MultiheadAttention = MultiHeadAttention
