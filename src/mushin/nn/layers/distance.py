"""``CosineSimilarity`` and ``PairwiseDistance``: PyTorch's distance layers, computed by
``F.cosine_similarity`` and ``F.pairwise_distance``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVarTuple, overload

from mushin._check import is_int, is_number
from mushin._tensor import Constant, Tensor, Variable
from mushin.nn.functional.distance import cosine_similarity, pairwise_distance
from mushin.nn.module import Module

__all__ = ["CosineSimilarity", "PairwiseDistance"]

if TYPE_CHECKING:
    from mushin._typing import AnyShape, HostArray, Untyped

Shape = TypeVarTuple("Shape")
Other = TypeVarTuple("Other")


class _Distance(Module):
    """A layer of two operands whose result is a ``Variable`` when either is one (its shape
    known at run time); each subclass computes it in ``_distance``."""

    @overload
    def forward(self, x1: Untyped, x2: Any) -> Untyped: ...
    @overload
    def forward(self, x1: Variable[*Shape], x2: Tensor[*Other] | HostArray
                ) -> Variable[*AnyShape]: ...
    @overload
    def forward(self, x1: Tensor[*Shape] | HostArray, x2: Variable[*Other]
                ) -> Variable[*AnyShape]: ...
    @overload
    def forward(self, x1: Constant[*Shape] | HostArray, x2: Constant[*Other] | HostArray
                ) -> Constant[*AnyShape]: ...
    @overload
    def forward(self, x1: Tensor[*Shape] | HostArray, x2: Tensor[*Other] | HostArray
                ) -> Tensor[*AnyShape]: ...

    def forward(self, x1: Any, x2: Any) -> Any:
        return self._distance(x1, x2)

    def _distance(self, x1: Any, x2: Any) -> Any:
        raise NotImplementedError


def _positive(owner: str, name: str, value: Any) -> float:
    if not is_number(value) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{owner}: {name} must be a non-negative number, got {value!r}")
    return float(value)


class CosineSimilarity(_Distance):
    """The cosine of the angle between ``x1`` and ``x2`` along ``dim`` (norms clamped to
    ``eps``)."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        if not is_int(dim):
            raise TypeError(f"CosineSimilarity: dim must be an int, got {dim!r}")
        self.dim = int(dim)
        self.eps = _positive("CosineSimilarity", "eps", eps)

    def _distance(self, x1: Any, x2: Any) -> Any:
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(_Distance):
    """The ``p``-norm of ``x1 - x2 + eps`` along the last axis."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = _positive("PairwiseDistance", "p", p)
        self.eps = _positive("PairwiseDistance", "eps", eps)
        self.keepdim = bool(keepdim)

    def _distance(self, x1: Any, x2: Any) -> Any:
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
