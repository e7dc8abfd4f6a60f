"""Activation layers: each ``mu.nn.activations`` function as a parameter-free ``Module``, with
PyTorch's class name and arguments, so ``Sequential(Linear(784, 128), ReLU(), ...)`` reads as
it does in PyTorch. Each keeps its input's type (and so its static shape) and kind."""

from __future__ import annotations

from typing import Any, TypeVar

from mushin._check import integer
from mushin.nn.functional.activation import (
    elu,
    gelu,
    leaky_relu,
    logsoftmax,
    relu,
    sigmoid,
    silu,
    softmax,
    softplus,
    tanh,
)
from mushin.nn.module import Module, check_options

__all__ = [
    "ELU", "GELU", "LeakyReLU", "LogSoftmax", "ReLU", "SiLU", "Sigmoid", "Softmax", "Softplus",
    "Tanh",
]

TensorT = TypeVar("TensorT")


class _Activation(Module):
    """A layer that applies one activation function; subclasses name it in ``_function``."""

    def __init__(self, *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__()
        check_options(dtype, device)

    def _apply(self, x: Any) -> Any:
        raise NotImplementedError

    def forward(self, x: TensorT) -> TensorT:
        """The activation of ``x``, elementwise (or along ``axis`` for the softmaxes)."""
        result: TensorT = self._apply(x)
        return result


class ReLU(_Activation):
    """``max(x, 0)`` (:func:`mushin.nn.activations.relu`)."""

    def _apply(self, x: Any) -> Any:
        return relu(x)


class Sigmoid(_Activation):
    """``1 / (1 + exp(-x))`` (:func:`mushin.nn.activations.sigmoid`)."""

    def _apply(self, x: Any) -> Any:
        return sigmoid(x)


class Tanh(_Activation):
    """The hyperbolic tangent (:func:`mushin.nn.activations.tanh`)."""

    def _apply(self, x: Any) -> Any:
        return tanh(x)


class GELU(_Activation):
    """The exact Gaussian error linear unit (:func:`mushin.nn.activations.gelu`)."""

    def _apply(self, x: Any) -> Any:
        return gelu(x)


class SiLU(_Activation):
    """``x * sigmoid(x)`` (:func:`mushin.nn.activations.silu`)."""

    def _apply(self, x: Any) -> Any:
        return silu(x)


class LeakyReLU(_Activation):
    """``x`` where positive, ``negative_slope * x`` elsewhere
    (:func:`mushin.nn.activations.leaky_relu`)."""

    def __init__(self, negative_slope: float = 0.01, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        leaky_relu(0.0, negative_slope)  # validates the slope here, not at call
        self.negative_slope = negative_slope

    def _apply(self, x: Any) -> Any:
        return leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class ELU(_Activation):
    """``x`` where positive, ``alpha * (exp(x) - 1)`` elsewhere
    (:func:`mushin.nn.activations.elu`)."""

    def __init__(self, alpha: float = 1.0, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        elu(0.0, alpha)
        self.alpha = alpha

    def _apply(self, x: Any) -> Any:
        return elu(x, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class Softplus(_Activation):
    """``log(1 + exp(beta * x)) / beta``, linear above ``threshold``
    (:func:`mushin.nn.activations.softplus`)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        softplus(0.0, beta, threshold)
        self.beta = beta
        self.threshold = threshold

    def _apply(self, x: Any) -> Any:
        return softplus(x, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(_Activation):
    """``softmax`` along ``axis`` (PyTorch's ``dim``; the last axis by default)."""

    def __init__(self, axis: int = -1, *, dtype: Any = None, device: str | None = None) -> None:
        super().__init__(dtype=dtype, device=device)
        self.axis = integer("Softmax", "axis", axis)

    def _apply(self, x: Any) -> Any:
        return softmax(x, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Softmax):
    """``logsoftmax`` along ``axis`` (the last axis by default)."""

    def _apply(self, x: Any) -> Any:
        return logsoftmax(x, self.axis)
