"""``Embedding`` (a lookup table of learnt vectors indexed by integers) and ``EmbeddingBag``
(the sums, means or maxima of bags of such vectors), with PyTorch's options."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Generic, TypeVar, TypeVarTuple, overload

from mushin._check import is_int, shape_of
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable, unwrap, writable
from mushin.nn import init
from mushin.nn.functional.linear import embedding, embedding_bag, padding_index
from mushin.nn.module import Module

if TYPE_CHECKING:
    from mushin._typing import HostArray, Untyped

__all__ = ["Embedding", "EmbeddingBag"]

Num = TypeVar("Num", bound=int)
Dim = TypeVar("Dim", bound=int)
S = TypeVarTuple("S")

_BAG_MODES = ("sum", "mean", "max")


def _check_size(layer: str, name: str, size: Any) -> int:
    if not is_int(size) or size < 0:
        raise ValueError(f"{layer}: {name} must be a non-negative int, got {size!r}")
    return int(size)


def _table(layer: str, num_embeddings: int, embedding_dim: int, padding_idx: int | None,
           _weight: Any, dtype: Any, device: str | None) -> Variable:
    """The ``(num_embeddings, embedding_dim)`` weight: a copy of ``_weight``'s values where
    given, else N(0, 1) draws with the padding row zeroed (PyTorch's initialisation)."""
    if _weight is not None:
        shape = shape_of(_weight)
        if shape != (num_embeddings, embedding_dim):
            raise ValueError(f"{layer}: _weight must have shape ({num_embeddings}, "
                             f"{embedding_dim}), got shape {shape}")
        values = unwrap(_weight)
        return Variable(values.copy() if hasattr(values, "copy") else values, dtype=dtype,
                        device=device)
    weight = zeros((num_embeddings, embedding_dim), dtype=dtype, device=device)
    init.normal(weight)
    if padding_idx is not None:
        writable(weight)[padding_idx] = 0
    return weight


def _pretrained_shape(layer: str, embeddings: Any) -> tuple[Any, Any]:
    """The sizes of a pretrained table (``Any``: run-time sizes, whatever ``Num`` and ``Dim``
    the caller's annotation names)."""
    shape = shape_of(embeddings)
    if len(shape) != 2:
        raise ValueError(f"{layer}.from_pretrained: embeddings must be 2-D, got shape {shape}")
    return shape[0], shape[1]


class Embedding(Module, Generic[Num, Dim]):
    """``weight[indices]``: row ``i`` of the ``(num_embeddings, embedding_dim)`` table for
    each integer index ``i``, drawn from N(0, 1) as in PyTorch.

    The row ``padding_idx`` (if given; negative counts from the end) starts at zero and
    never receives a gradient. ``max_norm`` rescales, in place, each looked-up row whose
    ``norm_type`` norm exceeds it; ``scale_grad_by_freq`` divides each row's gradient by its
    index's count in the batch; ``sparse`` is accepted (the gradient is dense); ``_weight``
    gives the initial table and ``_freeze`` freezes it. Annotated
    (``Embedding[L[100], L[16]]``), the layer maps ``Tensor[*S]`` indices to
    ``Variable[*S, L[16]]``.
    """

    weight: Variable[Num, Dim]

    def __init__(self, num_embeddings: Num, embedding_dim: Dim, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight: Any = None,
                 _freeze: bool = False, device: str | None = None, dtype: Any = None) -> None:
        super().__init__()
        rows = _check_size("Embedding", "num_embeddings", num_embeddings)
        columns = _check_size("Embedding", "embedding_dim", embedding_dim)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_index("Embedding", padding_idx, rows)
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        self.weight = _table("Embedding", rows, columns, self.padding_idx, _weight, dtype,
                             device)
        if _freeze:
            self.freeze()

    @overload
    def forward(self, input: Untyped) -> Untyped: ...
    @overload
    def forward(self: Embedding[Any, int], input: Tensor[*S]) -> Variable[*S, Any]: ...
    @overload
    def forward(self, input: Tensor[*S]) -> Variable[*S, Dim]: ...
    @overload
    def forward(self, input: HostArray) -> Variable[*tuple[Any, ...]]: ...

    def forward(self, input: Any) -> Any:
        """The rows of ``weight`` for the indices ``input`` (any shape):
        ``(*input.shape, embedding_dim)``."""
        return embedding(input, self._param(self.weight), self.padding_idx, self.max_norm,
                         self.norm_type, self.scale_grad_by_freq, self.sparse)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        padding_idx: int | None = None, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> Embedding[Any, Any]:
        """An ``Embedding`` whose table is a copy of the 2-D ``embeddings``; with ``freeze``
        (the default) the layer is frozen (no gradient reaches the table)."""
        rows, columns = _pretrained_shape("Embedding", embeddings)
        layer: Embedding[Any, Any] = cls(rows, columns, padding_idx, max_norm, norm_type,
                                         scale_grad_by_freq, sparse, embeddings, freeze)
        return layer

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        if self.sparse:
            text += ", sparse=True"
        return text


class EmbeddingBag(Module, Generic[Num, Dim]):
    """The sum, mean or maximum (``mode``) of each bag of rows of a ``(num_embeddings,
    embedding_dim)`` table drawn from N(0, 1): ``(bags, embedding_dim)``.

    ``forward(input, offsets=None, per_sample_weights=None)`` takes a 2-D ``(bags, size)``
    input or a 1-D input with ``offsets`` (see ``mu.nn.functional.embedding_bag``). Entries
    equal to ``padding_idx`` are left out of their bags; that row starts at zero and gets no
    gradient. Annotated (``EmbeddingBag[L[100], L[16]]``), the result is
    ``Variable[Any, L[16]]``.
    """

    weight: Variable[Num, Dim]

    def __init__(self, num_embeddings: Num, embedding_dim: Dim, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight: Any = None, include_last_offset: bool = False,
                 padding_idx: int | None = None, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        rows = _check_size("EmbeddingBag", "num_embeddings", num_embeddings)
        columns = _check_size("EmbeddingBag", "embedding_dim", embedding_dim)
        if mode not in _BAG_MODES:
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = padding_index("EmbeddingBag", padding_idx, rows)
        self.weight = _table("EmbeddingBag", rows, columns, self.padding_idx, _weight, dtype,
                             device)

    @overload
    def forward(self, input: Untyped, offsets: Any = None,
                per_sample_weights: Any = None) -> Untyped: ...
    @overload
    def forward(self, input: Tensor[*S] | HostArray, offsets: Any = None,
                per_sample_weights: Any = None) -> Variable[Any, Dim]: ...

    def forward(self, input: Any, offsets: Any = None, per_sample_weights: Any = None) -> Any:
        """The reduced bags of ``input`` (see the class): ``(bags, embedding_dim)``."""
        return embedding_bag(input, self._param(self.weight), offsets, self.max_norm,
                             self.norm_type, self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag[Any, Any]:
        """An ``EmbeddingBag`` whose table is a copy of the 2-D ``embeddings``; with
        ``freeze`` (the default) the layer is frozen (no gradient reaches the table)."""
        rows, columns = _pretrained_shape("EmbeddingBag", embeddings)
        layer: EmbeddingBag[Any, Any] = cls(rows, columns, max_norm, norm_type,
                                            scale_grad_by_freq, mode, sparse, embeddings,
                                            include_last_offset, padding_idx)
        if freeze:
            layer.freeze()
        return layer

    def extra_repr(self) -> str:
        # PyTorch's: the mode always, the other options where they are not the defaults.
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        text += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text
