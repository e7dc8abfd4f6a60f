"""The transformer layers: ``TransformerEncoderLayer``, ``TransformerEncoder``,
``TransformerDecoderLayer``, ``TransformerDecoder`` and ``Transformer``, PyTorch's parameter
names.

Each layer is assembled from mushin's own modules (``MultiHeadAttention``, ``Linear``,
``LayerNorm``, ``Dropout``) registered under PyTorch's attribute names (``self_attn``,
``multihead_attn``, ``linear1``, ``linear2``, ``norm1``...), and the stacks hold deep copies
of their layer in a ``ModuleList`` named ``layers``, so a ``state_dict`` moves between mushin
and PyTorch unchanged (``encoder.layers.0.self_attn.in_proj_weight``, ``encoder.norm.weight``
...). Masks are handed to ``MultiHeadAttention``, which reads bool masks (``True``: may not
attend) and floating ones (added to the scores) as PyTorch does.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVarTuple, cast, overload

import numpy as np

from mushin import _backend
from mushin._check import INT64_MAX, is_int, is_number, operation_name, probability
from mushin._tensor import Constant, Tensor, Variable, new_constant, storage
from mushin.errors import ShapeError
from mushin.nn import init
from mushin.nn.functional.activation import gelu, relu
from mushin.nn.layers.attention import MultiHeadAttention
from mushin.nn.layers.dropout import Dropout
from mushin.nn.layers.linear import Linear
from mushin.nn.layers.norm import LayerNorm
from mushin.nn.module import Module, ModuleList

if TYPE_CHECKING:
    from mushin._typing import Untyped

__all__ = ["Transformer", "TransformerDecoder", "TransformerDecoderLayer", "TransformerEncoder",
           "TransformerEncoderLayer"]

Shape = TypeVarTuple("Shape")

Activation = Callable[[Any], Any]


# --- argument checks ------------------------------------------------------------------------

def _positive(owner: str, name: str, value: Any) -> int:
    if not is_int(value) or value <= 0:
        raise ValueError(f"{operation_name(owner)}: {name} must be a positive int, got {value!r}")
    return int(value)


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{operation_name(owner)}: {name} must be True or False, got {value!r}")
    return value


def _activation(owner: str, activation: Any) -> Activation:
    """``activation`` as a function: ``"relu"`` and ``"gelu"`` name ``F.relu`` and
    ``F.gelu``; any callable (a function or a module such as ``ReLU()``) is kept."""
    if isinstance(activation, str):
        if activation == "relu":
            return relu
        if activation == "gelu":
            return gelu
        raise ValueError(f"{operation_name(owner)}: activation should be 'relu' or 'gelu' (or "
                         f"a callable), got {activation!r}")
    if not callable(activation):
        raise TypeError(f"{operation_name(owner)}: activation must be 'relu', 'gelu' or a "
                        f"callable, got {type(activation).__name__}")
    function: Activation = activation
    return function


def _check_layer_options(owner: str, d_model: Any, nhead: Any, dim_feedforward: Any,
                         dropout: Any, layer_norm_eps: Any, flags: dict[str, Any]) -> float:
    """Raise unless the common constructor arguments are valid; returns ``dropout``."""
    _positive(owner, "d_model", d_model)
    _positive(owner, "nhead", nhead)
    _positive(owner, "dim_feedforward", dim_feedforward)
    if d_model % nhead:
        raise ValueError(f"{operation_name(owner)}: d_model ({d_model}) must be divisible by "
                         f"nhead ({nhead})")
    rate = probability(owner, "dropout", dropout)
    if not is_number(layer_norm_eps) or layer_norm_eps <= 0:
        raise ValueError(f"{operation_name(owner)}: layer_norm_eps must be a positive number, got "
                         f"{layer_norm_eps!r}")
    for name, value in flags.items():
        _flag(owner, name, value)
    return rate


def _sequence(owner: str, name: str, x: Any, d_model: int) -> Tensor[*tuple[Any, ...]]:
    """``x`` if it is a ``(S, N, d_model)``/``(N, S, d_model)`` or unbatched ``(S, d_model)``
    tensor; ``TypeError``/``ShapeError`` naming ``owner`` and ``name`` otherwise."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{operation_name(owner)}: {name} must be a tensor, got "
                        f"{type(x).__name__}")
    # through Any: pyright would keep the narrowed shape parameters unknown
    tensor: Tensor[*tuple[Any, ...]] = cast(Any, x)
    if tensor.ndim not in (2, 3):
        raise ShapeError(f"{operation_name(owner)}: {name} must have 3 axes (sequence, batch, "
                         f"d_model), or 2 for one unbatched sequence, got shape {tensor.shape}")
    if tensor.shape[-1] != d_model:
        raise ShapeError(f"{operation_name(owner)}: expected {name} with d_model = {d_model} "
                         f"features (the last axis), got shape {tensor.shape}")
    return tensor


def _same_batch(owner: str, names: tuple[str, str], first: Tensor[*tuple[Any, ...]],
                second: Tensor[*tuple[Any, ...]], batch_first: bool) -> None:
    """Raise unless ``first`` and ``second`` are both batched (with one batch size) or both
    unbatched."""
    if first.ndim != second.ndim:
        raise ShapeError(f"{operation_name(owner)}: {names[0]} and {names[1]} must both be "
                         f"batched or both unbatched, got shapes {first.shape} and "
                         f"{second.shape}")
    axis = 0 if batch_first else 1
    if first.ndim == 3 and first.shape[axis] != second.shape[axis]:
        raise ShapeError(f"{operation_name(owner)}: the batch sizes of {names[0]} and "
                         f"{names[1]} must be equal, got shapes {first.shape} and {second.shape} "
                         f"(batch_first={batch_first})")


def _check_mask(owner: str, name: str, mask: Any) -> None:
    """Raise unless ``mask`` is ``None`` or a bool or floating tensor or array."""
    if mask is None:
        return
    data = storage(mask) if isinstance(mask, Tensor) else mask
    dtype = getattr(data, "dtype", None)
    if dtype is None:
        dtype = np.asarray(data).dtype
    if dtype.kind not in "bf":
        raise TypeError(f"{operation_name(owner)}: {name} must be a bool or floating mask, got "
                        f"dtype {dtype}")


def _is_causal_mask(mask: Any, size: int) -> bool:
    """Whether ``mask`` is the ``(size, size)`` causal mask (bool ``True``, or ``-inf``,
    exactly above the diagonal): PyTorch's detection when ``is_causal`` is left ``None``."""
    if mask is None:
        return False
    data = storage(mask) if isinstance(mask, Tensor) else mask
    if not hasattr(data, "dtype"):
        data = np.asarray(data)
    if tuple(data.shape) != (size, size):
        return False
    xp = _backend.namespace_of(data)
    above = xp.triu(xp.ones((size, size), dtype=bool), k=1)
    if data.dtype.kind == "b":
        return bool(xp.all(data == above))
    return bool(xp.all(xp.where(above, data == -math.inf, data == 0)))


def _sequence_length(x: Tensor[*tuple[Any, ...]], batch_first: bool) -> int:
    """The sequence length of a batched or unbatched input."""
    return int(x.shape[1] if batch_first and x.ndim == 3 else x.shape[0])


def _layer_batch_first(layer: Module) -> bool:
    """``batch_first`` of a stack's first layer (``False`` for a custom layer without it)."""
    attention = getattr(layer, "self_attn", None)
    return bool(getattr(attention, "batch_first", False))


# --- layers ---------------------------------------------------------------------------------

class TransformerEncoderLayer(Module):
    """One encoder block (PyTorch's ``nn.TransformerEncoderLayer``): self-attention, then a
    feed-forward network ``linear2(dropout(activation(linear1(x))))``, each added to its input
    as a residual and layer-normalised (after the residual by default; before each block with
    ``norm_first=True``).

    ``forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False)`` takes ``(S,
    N, d_model)`` (``(N, S, d_model)`` with ``batch_first=True``; ``(S, d_model)`` for one
    sequence) and returns the same shape. ``src_mask`` ``(S, S)`` or ``(N * nhead, S, S)`` and
    ``src_key_padding_mask`` ``(N, S)`` are bool (``True``: may not attend) or floating
    (added to the attention scores). ``is_causal=True`` is a hint that ``src_mask`` is the
    causal mask; without a ``src_mask`` it applies one.

    Sub-modules: ``self_attn`` (a ``MultiheadAttention``), ``linear1`` ``(dim_feedforward,
    d_model)``, ``dropout``, ``linear2`` ``(d_model, dim_feedforward)``, ``norm1``, ``norm2``,
    ``dropout1``, ``dropout2``; ``activation`` is ``F.relu`` by default, ``"relu"``,
    ``"gelu"`` or any callable.
    """

    self_attn: MultiHeadAttention
    linear1: Linear[Any, Any]
    dropout: Dropout
    linear2: Linear[Any, Any]
    norm1: LayerNorm[int]
    norm2: LayerNorm[int]
    dropout1: Dropout
    dropout2: Dropout

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Activation = relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        owner = "TransformerEncoderLayer"
        rate = _check_layer_options(owner, d_model, nhead, dim_feedforward, dropout,
                                    layer_norm_eps, {"batch_first": batch_first,
                                                     "norm_first": norm_first, "bias": bias})
        function = _activation(owner, activation)
        options: dict[str, Any] = {"dtype": dtype, "device": device}
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout=rate, bias=bias,
                                            batch_first=batch_first, **options)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **options)
        self.dropout = Dropout(rate)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **options)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **options)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **options)
        self.dropout1 = Dropout(rate)
        self.dropout2 = Dropout(rate)
        self.activation: Activation = function
        self.d_model = d_model
        self.batch_first = batch_first

    @overload
    def forward(self, src: Untyped, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Untyped: ...
    @overload
    def forward(self, src: Tensor[*Shape], src_mask: Any = None,
                src_key_padding_mask: Any = None, is_causal: bool = False
                ) -> Variable[*Shape]: ...

    def forward(self, src: Any, src_mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool = False) -> Any:
        """The encoded sequence, of ``src``'s shape."""
        owner = type(self).__name__
        x: Any = _sequence(owner, "src", src, self.d_model)
        _check_mask(owner, "src_mask", src_mask)
        _check_mask(owner, "src_key_padding_mask", src_key_padding_mask)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), src_mask, src_key_padding_mask,
                                         is_causal)
            return x + self._feed_forward(self.norm2(x))
        x = self.norm1(x + self._self_attention(x, src_mask, src_key_padding_mask, is_causal))
        return self.norm2(x + self._feed_forward(x))

    def _self_attention(self, x: Any, mask: Any, padding: Any, is_causal: bool) -> Any:
        output, _ = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding,
                                   need_weights=False, is_causal=is_causal)
        return self.dropout1(output)

    def _feed_forward(self, x: Any) -> Any:
        hidden = self.dropout(self.activation(self.linear1(x)))
        return self.dropout2(self.linear2(hidden))


class TransformerDecoderLayer(Module):
    """One decoder block (PyTorch's ``nn.TransformerDecoderLayer``): self-attention over the
    target, attention from the target to the encoder's output (``memory``), then the
    feed-forward network, each with a residual and a layer normalisation (after the residual
    by default; before each block with ``norm_first=True``).

    ``forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False)`` takes
    ``tgt`` ``(T, N, d_model)`` and ``memory`` ``(S, N, d_model)`` (batch first with
    ``batch_first=True``; without the batch axis for one sequence) and returns ``tgt``'s
    shape. ``tgt_mask`` is ``(T, T)``, ``memory_mask`` ``(T, S)`` (or with ``N * nhead`` in
    front), the key padding masks ``(N, T)`` and ``(N, S)``; bool or floating as in
    ``TransformerEncoderLayer``.

    Sub-modules: ``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``, ``linear2``,
    ``norm1``, ``norm2``, ``norm3``, ``dropout1``, ``dropout2``, ``dropout3``.
    """

    self_attn: MultiHeadAttention
    multihead_attn: MultiHeadAttention
    linear1: Linear[Any, Any]
    dropout: Dropout
    linear2: Linear[Any, Any]
    norm1: LayerNorm[int]
    norm2: LayerNorm[int]
    norm3: LayerNorm[int]
    dropout1: Dropout
    dropout2: Dropout
    dropout3: Dropout

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Activation = relu,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        owner = "TransformerDecoderLayer"
        rate = _check_layer_options(owner, d_model, nhead, dim_feedforward, dropout,
                                    layer_norm_eps, {"batch_first": batch_first,
                                                     "norm_first": norm_first, "bias": bias})
        function = _activation(owner, activation)
        options: dict[str, Any] = {"dtype": dtype, "device": device}
        self.self_attn = MultiHeadAttention(d_model, nhead, dropout=rate, bias=bias,
                                            batch_first=batch_first, **options)
        self.multihead_attn = MultiHeadAttention(d_model, nhead, dropout=rate, bias=bias,
                                                 batch_first=batch_first, **options)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **options)
        self.dropout = Dropout(rate)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **options)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **options)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **options)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **options)
        self.dropout1 = Dropout(rate)
        self.dropout2 = Dropout(rate)
        self.dropout3 = Dropout(rate)
        self.activation: Activation = function
        self.d_model = d_model
        self.batch_first = batch_first

    @overload
    def forward(self, tgt: Untyped, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Untyped: ...
    @overload
    def forward(self, tgt: Tensor[*Shape], memory: Any, tgt_mask: Any = None,
                memory_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False) -> Variable[*Shape]: ...

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool = False, memory_is_causal: bool = False) -> Any:
        """The decoded target sequence, of ``tgt``'s shape."""
        owner = type(self).__name__
        x: Any = _sequence(owner, "tgt", tgt, self.d_model)
        source = _sequence(owner, "memory", memory, self.d_model)
        _same_batch(owner, ("tgt", "memory"), x, source, self.batch_first)
        for name, mask in (("tgt_mask", tgt_mask), ("memory_mask", memory_mask),
                           ("tgt_key_padding_mask", tgt_key_padding_mask),
                           ("memory_key_padding_mask", memory_key_padding_mask)):
            _check_mask(owner, name, mask)
        if self.norm_first:
            x = x + self._self_attention(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                         tgt_is_causal)
            x = x + self._cross_attention(self.norm2(x), source, memory_mask,
                                          memory_key_padding_mask, memory_is_causal)
            return x + self._feed_forward(self.norm3(x))
        x = self.norm1(x + self._self_attention(x, tgt_mask, tgt_key_padding_mask,
                                                tgt_is_causal))
        x = self.norm2(x + self._cross_attention(x, source, memory_mask,
                                                 memory_key_padding_mask, memory_is_causal))
        return self.norm3(x + self._feed_forward(x))

    def _self_attention(self, x: Any, mask: Any, padding: Any, is_causal: bool) -> Any:
        output, _ = self.self_attn(x, x, x, attn_mask=mask, key_padding_mask=padding,
                                   need_weights=False, is_causal=is_causal)
        return self.dropout1(output)

    def _cross_attention(self, x: Any, memory: Any, mask: Any, padding: Any,
                         is_causal: bool) -> Any:
        output, _ = self.multihead_attn(x, memory, memory, attn_mask=mask,
                                        key_padding_mask=padding, need_weights=False,
                                        is_causal=is_causal)
        return self.dropout2(output)

    def _feed_forward(self, x: Any) -> Any:
        hidden = self.dropout(self.activation(self.linear1(x)))
        return self.dropout3(self.linear2(hidden))


# --- stacks ---------------------------------------------------------------------------------

def _clones(owner: str, layer: Any, num_layers: Any) -> ModuleList:
    """``num_layers`` independent deep copies of ``layer`` (each with its own parameter
    arrays, all starting from ``layer``'s values), as a ``ModuleList``."""
    if not isinstance(layer, Module):
        raise TypeError(f"{operation_name(owner)}: the layer must be a Module, got "
                        f"{type(layer).__name__}")
    if not is_int(num_layers) or num_layers < 0:
        raise ValueError(f"{operation_name(owner)}: num_layers must be a non-negative int, got "
                         f"{num_layers!r}")
    if num_layers > INT64_MAX:
        raise ValueError(f"{operation_name(owner)}: num_layers must fit in int64, got "
                         f"{num_layers}")
    return ModuleList([copy.deepcopy(layer) for _ in range(num_layers)])


def _optional_norm(owner: str, norm: Any) -> Module | None:
    if norm is not None and not isinstance(norm, Module):
        raise TypeError(f"{operation_name(owner)}: norm must be a Module or None, got "
                        f"{type(norm).__name__}")
    return norm


class TransformerEncoder(Module):
    """A stack of ``num_layers`` encoder layers (PyTorch's ``nn.TransformerEncoder``), then
    the optional ``norm``.

    The stack holds deep copies of ``encoder_layer`` in ``layers`` (``layers.0``,
    ``layers.1``...), each starting from the given layer's values. ``forward(src, mask=None,
    src_key_padding_mask=None, is_causal=None)`` hands the masks to every layer and returns
    ``src``'s shape; ``is_causal=None`` detects whether ``mask`` is the causal mask, as
    PyTorch. ``enable_nested_tensor`` and ``mask_check`` are accepted for PyTorch's signature
    and have no effect (mushin has no nested tensors: padded positions are masked instead).
    """

    layers: ModuleList
    norm: Module | None

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        owner = "TransformerEncoder"
        self.layers = _clones(owner, encoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = _optional_norm(owner, norm)
        self.enable_nested_tensor = _flag(owner, "enable_nested_tensor", enable_nested_tensor)
        self.use_nested_tensor = False
        self.mask_check = _flag(owner, "mask_check", mask_check)

    @overload
    def forward(self, src: Untyped, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Untyped: ...
    @overload
    def forward(self, src: Tensor[*Shape], mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Variable[*Shape]: ...

    def forward(self, src: Any, mask: Any = None, src_key_padding_mask: Any = None,
                is_causal: bool | None = None) -> Any:
        """``src`` through every layer in turn, then ``norm``."""
        if not isinstance(src, Tensor):
            raise TypeError(f"{operation_name('TransformerEncoder')}: src must be a tensor, got "
                            f"{type(src).__name__}")
        output: Any = cast(Any, src)  # through Any: pyright keeps narrowed shapes unknown
        if is_causal is None:
            batch_first = bool(self.layers) and _layer_batch_first(self.layers[0])
            is_causal = _is_causal_mask(mask, _sequence_length(output, batch_first))
        for layer in self.layers:
            output = layer(output, src_mask=mask, is_causal=is_causal,
                           src_key_padding_mask=src_key_padding_mask)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """A stack of ``num_layers`` decoder layers (PyTorch's ``nn.TransformerDecoder``), then
    the optional ``norm``.

    The stack holds deep copies of ``decoder_layer`` in ``layers``. ``forward(tgt, memory,
    tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
    memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False)`` hands
    ``memory`` and the masks to every layer and returns ``tgt``'s shape; ``tgt_is_causal=None``
    detects whether ``tgt_mask`` is the causal mask.
    """

    layers: ModuleList
    norm: Module | None

    def __init__(self, decoder_layer: Module, num_layers: int,
                 norm: Module | None = None) -> None:
        super().__init__()
        owner = "TransformerDecoder"
        self.layers = _clones(owner, decoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = _optional_norm(owner, norm)

    @overload
    def forward(self, tgt: Untyped, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False
                ) -> Untyped: ...
    @overload
    def forward(self, tgt: Tensor[*Shape], memory: Any, tgt_mask: Any = None,
                memory_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Variable[*Shape]: ...

    def forward(self, tgt: Any, memory: Any, tgt_mask: Any = None, memory_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False) -> Any:
        """``tgt`` through every layer in turn (each attending to ``memory``), then
        ``norm``."""
        if not isinstance(tgt, Tensor):
            raise TypeError(f"{operation_name('TransformerDecoder')}: tgt must be a tensor, got "
                            f"{type(tgt).__name__}")
        output: Any = cast(Any, tgt)  # through Any: pyright keeps narrowed shapes unknown
        if tgt_is_causal is None:
            batch_first = bool(self.layers) and _layer_batch_first(self.layers[0])
            tgt_is_causal = _is_causal_mask(tgt_mask, _sequence_length(output, batch_first))
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """The encoder-decoder transformer (PyTorch's ``nn.Transformer``): ``encoder`` (a
    ``TransformerEncoder`` of ``num_encoder_layers`` layers and a final ``LayerNorm``) reads
    ``src``, and ``decoder`` (a ``TransformerDecoder`` of ``num_decoder_layers`` layers and a
    final ``LayerNorm``) reads ``tgt`` while attending to the encoder's output.

    ``forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
    src_key_padding_mask=None, tgt_key_padding_mask=None, memory_key_padding_mask=None,
    src_is_causal=None, tgt_is_causal=None, memory_is_causal=False)`` takes ``src`` ``(S, N,
    d_model)`` and ``tgt`` ``(T, N, d_model)`` (batch first with ``batch_first=True``) and
    returns ``(T, N, d_model)``. ``custom_encoder``/``custom_decoder`` replace the built
    stacks. Every parameter with more than one axis starts Xavier-uniform, as in PyTorch.
    ``Transformer.generate_square_subsequent_mask(sz)`` gives the causal ``tgt_mask``.
    """

    encoder: Module
    decoder: Module

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation: str | Activation = relu,
                 custom_encoder: Module | None = None, custom_decoder: Module | None = None,
                 layer_norm_eps: float = 1e-5, batch_first: bool = False,
                 norm_first: bool = False, bias: bool = True, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        options: dict[str, Any] = {"dtype": dtype, "device": device}
        layer_options: dict[str, Any] = {
            "dim_feedforward": dim_feedforward, "dropout": dropout, "activation": activation,
            "layer_norm_eps": layer_norm_eps, "batch_first": batch_first,
            "norm_first": norm_first, "bias": bias, **options}
        for name, custom in (("custom_encoder", custom_encoder),
                             ("custom_decoder", custom_decoder)):
            if custom is not None and not isinstance(custom, Module):
                raise TypeError(f"Transformer: {name} must be a Module or None, got "
                                f"{type(custom).__name__}")
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(d_model, nhead, **layer_options), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **options))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(d_model, nhead, **layer_options), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **options))
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def _reset_parameters(self) -> None:
        """Xavier-uniform values for every parameter with more than one axis (PyTorch's)."""
        for parameter in self.parameters():
            if parameter.ndim > 1:
                init.xavier_uniform(parameter)

    @overload
    def forward(self, src: Any, tgt: Untyped, src_mask: Any = None, tgt_mask: Any = None,
                memory_mask: Any = None, src_key_padding_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Untyped: ...
    @overload
    def forward(self, src: Any, tgt: Tensor[*Shape], src_mask: Any = None,
                tgt_mask: Any = None, memory_mask: Any = None,
                src_key_padding_mask: Any = None, tgt_key_padding_mask: Any = None,
                memory_key_padding_mask: Any = None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False
                ) -> Variable[*Shape]: ...

    def forward(self, src: Any, tgt: Any, src_mask: Any = None, tgt_mask: Any = None,
                memory_mask: Any = None, src_key_padding_mask: Any = None,
                tgt_key_padding_mask: Any = None, memory_key_padding_mask: Any = None,
                src_is_causal: bool | None = None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False) -> Any:
        """The decoder's output for ``tgt`` given the encoded ``src``: ``tgt``'s shape."""
        source = _sequence("Transformer", "src", src, self.d_model)
        target = _sequence("Transformer", "tgt", tgt, self.d_model)
        _same_batch("Transformer", ("src", "tgt"), source, target, self.batch_first)
        memory = self.encoder(source, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(target, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device: Any = None,
                                        dtype: Any = None) -> Constant[Any, Any]:
        """The ``(sz, sz)`` causal mask: ``-inf`` above the diagonal (a position may not
        attend to later ones), ``0`` elsewhere; float32 unless ``dtype`` says otherwise, on
        ``device`` (the CPU by default)."""
        if not is_int(sz) or sz < 0:
            raise ValueError(f"generate_square_subsequent_mask: sz must be a non-negative "
                             f"int, got {sz!r}")
        kind = _backend.float_dtype("float32" if dtype is None else dtype)
        above = np.triu(np.ones((sz, sz), dtype=bool), k=1)
        values = np.where(above, -math.inf, 0.0).astype(kind)
        mask: Constant[Any, Any] = new_constant(_backend.backend(device).asarray(values))
        return mask
