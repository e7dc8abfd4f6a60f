"""``Dropout``: inverted dropout while training, the identity in eval mode (``eval()`` or
``freeze()``)."""

from __future__ import annotations

from typing import Any, TypeVar

from mushin._check import probability
from mushin._tensor import Tensor
from mushin.nn.functional.dropout import dropout
from mushin.nn.module import Module, check_options

__all__ = ["Dropout"]

TensorT = TypeVar("TensorT", bound="Tensor[*tuple[Any, ...]]")


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` while
    training; pass the input through unchanged when ``training`` is off (``eval()``)."""

    def __init__(self, p: float = 0.5, *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        self.p = probability("Dropout", "p", p)
        check_options(dtype, device)

    def forward(self, x: TensorT) -> TensorT:
        """``dropout(x, p)`` while training, ``x`` after ``eval()`` (or ``freeze()``)."""
        result: TensorT = dropout(x, self.p, training=self.training)
        return result

    def extra_repr(self) -> str:
        return f"p={self.p}"
