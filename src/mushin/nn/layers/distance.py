"""``CosineSimilarity`` and ``PairwiseDistance``: PyTorch's distance layers, computed by
``F.cosine_similarity`` and ``F.pairwise_distance``."""

from __future__ import annotations

from typing import Any

from mushin._check import is_int, is_number
from mushin.nn.functional.distance import cosine_similarity, pairwise_distance
from mushin.nn.module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]


def _positive(owner: str, name: str, value: Any) -> float:
    if not is_number(value) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative number, got {value!r}")
    return float(value)


class CosineSimilarity(Module):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (norms clamped to
    ``eps``)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        if not is_int(dim):
            raise TypeError(f"CosineSimilarity: dim must be an int, got {dim!r}")
        self.dim = int(dim)
        self.eps = _positive("CosineSimilarity", "eps", eps)

    def forward(self, x1: Any, x2: Any) -> Any:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """The ``p``-norm of ``x1 - x2 + eps`` along the last axis."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = _positive("PairwiseDistance", "p", p)
        self.eps = _positive("PairwiseDistance", "eps", eps)
        self.keepdim = bool(keepdim)

    def forward(self, x1: Any, x2: Any) -> Any:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
