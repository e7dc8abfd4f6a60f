"""Dropout layers: ``Dropout`` (inverted dropout), the channel-wise ``Dropout1d`` /
``Dropout2d`` / ``Dropout3d``, and the self-normalising ``AlphaDropout`` /
``FeatureAlphaDropout``; each active while training, the identity in eval mode (``eval()`` or
``freeze()``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from mushin._check import probability
from mushin._tensor import Tensor
from mushin.nn.functional.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from mushin.nn.module import Module, check_options

__all__ = ["AlphaDropout", "Dropout", "Dropout1d", "Dropout2d", "Dropout3d",
           "FeatureAlphaDropout"]

TensorT = TypeVar("TensorT", bound="Tensor[*tuple[Any, ...]]")


class _DropoutNd(Module):
    """A dropout layer: ``p`` and PyTorch's ``inplace`` (the input itself takes the result
    while training); subclasses name their function in ``_function``."""

    _function: Callable[..., Any] = staticmethod(dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__()
        self.p = probability(type(self).__name__, "p", p)
        self.inplace = inplace
        check_options(dtype, device)

    def forward(self, x: TensorT) -> TensorT:
        """The dropout of ``x`` while training, ``x`` after ``eval()`` (or ``freeze()``)."""
        result: TensorT = type(self)._function(x, self.p, self.training, self.inplace)
        return result

    def extra_repr(self) -> str:
        return f"p={self.p}" + (", inplace=True" if self.inplace else "")


class Dropout(_DropoutNd):
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)`` while
    training; pass the input through unchanged when ``training`` is off (``eval()``)."""


class Dropout1d(_DropoutNd):
    """Zero whole channels of ``(N, C, L)`` or ``(C, L)`` inputs with probability ``p``, the
    rest scaled by ``1 / (1 - p)``, while training."""

    _function = staticmethod(dropout1d)


class Dropout2d(_DropoutNd):
    """Zero whole channels of ``(N, C, H, W)`` inputs with probability ``p``, the rest scaled
    by ``1 / (1 - p)``, while training (a 3-D input is taken as ``(N, C, L)``, as PyTorch)."""

    _function = staticmethod(dropout2d)


class Dropout3d(_DropoutNd):
    """Zero whole channels of ``(N, C, D, H, W)`` or ``(C, D, H, W)`` inputs with
    probability ``p``, the rest scaled by ``1 / (1 - p)``, while training."""

    _function = staticmethod(dropout3d)


class AlphaDropout(_DropoutNd):
    """Alpha dropout while training (for SELU networks): dropped elements set to SELU's
    negative saturation, then an affine map that keeps a standardised input's mean and
    variance."""

    _function = staticmethod(alpha_dropout)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels of ``(N, C, *)`` inputs while training."""

    _function = staticmethod(feature_alpha_dropout)
