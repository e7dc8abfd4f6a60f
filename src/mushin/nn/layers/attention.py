"""``MultiHeadAttention``: scaled dot-product attention over several heads, PyTorch's layout.

The parameters are PyTorch's ``nn.MultiheadAttention``'s, registered in its order, so a
``state_dict`` moves between the two unchanged: ``in_proj_weight`` ``(3E, E)`` with the query,
key and value projections stacked in that order (or ``q_proj_weight`` ``(E, E)``,
``k_proj_weight`` ``(E, kdim)`` and ``v_proj_weight`` ``(E, vdim)`` when the key or value
size differs from ``E``), ``in_proj_bias`` ``(3E,)``, ``bias_k`` and ``bias_v`` ``(1, 1, E)``
with ``add_bias_kv``, and ``out_proj`` a ``Linear(E, E)``.

The computation is ``F.multi_head_attention_forward``'s (``mushin.nn.functional.attention``),
called in the layer's own layout (``batch_first`` or not), so no input is transposed twice:
the heads attend through ``F.scaled_dot_product_attention``, except that
``need_weights=True``, which returns the weights, uses PyTorch's plain softmax (a query whose
every key is masked gets NaN, as in PyTorch, where the SDPA route gives zeros).
Self-attention (``query``, ``key`` and ``value`` one tensor) projects with one product.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVarTuple, cast, overload

from mushin._backend import backend_of
from mushin._check import is_int, probability
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable, storage
from mushin.errors import ShapeError
from mushin.nn import init
from mushin.nn.functional.attention import multi_head_attention
from mushin.nn.layers.linear import Linear
from mushin.nn.module import Module

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
        ``value`` (PyTorch's argument order): ``F.multi_head_attention_forward`` with this
        layer's parameters, in its layout."""
        batched = self._check_inputs(query, key, value)
        if is_causal and attn_mask is None:  # PyTorch raises; the hint's mask is made here
            xp = backend_of(storage(query)).xp
            axis = 1 if batched and self.batch_first else 0
            attn_mask = xp.triu(xp.ones((query.shape[axis], key.shape[axis]), dtype=bool), k=1)
        separate = None
        if not self._qkv_same_embed_dim:
            separate = (self._param(self.q_proj_weight), self._param(self.k_proj_weight),
                        self._param(self.v_proj_weight))
        return multi_head_attention(
            query, key, value, self.num_heads, self._param(self.in_proj_weight),
            self._param(self.in_proj_bias), self._param(self.bias_k), self._param(self.bias_v),
            self.add_zero_attn, self.dropout if self.training else 0.0,
            self._param(self.out_proj.weight), self._param(self.out_proj.bias),
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            separate=separate, average_attn_weights=average_attn_weights, is_causal=is_causal,
            batch_first=self.batch_first, name=_NAME)

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


# PyTorch's casing of the crate's names: the same class objects.
MultiheadAttention = MultiHeadAttention
