"""``Embedding``: a lookup table of learnt vectors indexed by integers."""

from __future__ import annotations

from typing import Any

from mushin._check import is_int
from mushin._creation import zeros
from mushin._tensor import Variable
from mushin.nn import init
from mushin.nn.functional.linear import embedding
from mushin.nn.module import Module

__all__ = ["Embedding"]


class Embedding(Module):
    """``weight[indices]``: row ``i`` of the ``(num_embeddings, embedding_dim)`` table for
    each integer index ``i``, drawn from N(0, 1) as in PyTorch.

    The row ``padding_idx`` (if given; negative counts from the end) starts at zero and
    never receives a gradient.
    """

    weight: Variable[Any, Any]

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        for name, size in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if not is_int(size) or size < 1:
                raise ValueError(f"Embedding: {name} must be a positive int, got {size!r}")
        if padding_idx is not None:
            if not is_int(padding_idx) or not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError(f"Embedding: padding_idx must be an int in "
                                 f"[-{num_embeddings}, {num_embeddings}), got {padding_idx!r}")
            padding_idx %= num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.weight = zeros((num_embeddings, embedding_dim), dtype=dtype, device=device)
        init.normal(self.weight)
        if padding_idx is not None:
            self.weight.data()[padding_idx] = 0

    def forward(self, indices: Any) -> Any:
        """The rows of ``weight`` for ``indices`` (any shape): ``(*indices.shape, dim)``."""
        return embedding(indices, self._param(self.weight), self.padding_idx)

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        return text if self.padding_idx is None else f"{text}, padding_idx={self.padding_idx}"
