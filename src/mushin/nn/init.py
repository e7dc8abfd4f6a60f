"""Parameter initialisers (``mu.nn.init``), PyTorch's rules and arguments.

Each fills a tensor's array in place, with draws from mushin's random generator on the
tensor's device (reproducible after ``mu.seed``), and returns the tensor. Fan-in and fan-out
are PyTorch's: for a weight ``(out, in, *kernel)`` they are ``in * prod(kernel)`` and
``out * prod(kernel)``.
"""

from __future__ import annotations

import math
from typing import Any, TypeVar

from mushin import _backend
from mushin._check import is_number
from mushin._random import generator
from mushin._tensor import Tensor

TensorT = TypeVar("TensorT", bound=Tensor[*tuple[Any, ...]])

_LINEAR_GAINS = ("linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid")


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity``: 1 for linear layers and sigmoid, 5/3 for
    tanh, sqrt(2) for relu, sqrt(2 / (1 + a^2)) for leaky_relu of slope ``param`` (0.01 by
    default), 3/4 for selu."""
    if nonlinearity in _LINEAR_GAINS:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3.0
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        if not is_number(slope):
            raise TypeError(f"calculate_gain: the negative slope must be a number, got "
                            f"{slope!r}")
        return math.sqrt(2.0 / (1 + slope * slope))
    if nonlinearity == "selu":
        return 0.75
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; expected one of "
                     f"{', '.join((*_LINEAR_GAINS, 'tanh', 'relu', 'leaky_relu', 'selu'))}")


def fans(tensor: Tensor[*tuple[Any, ...]]) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``."""
    shape = tuple(_array_of(tensor).shape)
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 axes, got shape "
                         f"{shape}")
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


def _fan(tensor: Tensor[*tuple[Any, ...]], mode: str) -> int:
    fan_in, fan_out = fans(tensor)
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan = fan_in if mode == "fan_in" else fan_out
    # An empty tensor has nothing to fill; 1 keeps the bound finite.
    return fan or 1


def _array_of(tensor: Tensor[*tuple[Any, ...]]) -> Any:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"expected a mushin tensor, got {type(tensor).__name__}")
    return tensor.data()


def _fill(tensor: TensorT, draw: str, first: float, second: float) -> TensorT:
    """Fill ``tensor`` in place with uniform [first, second) or normal(first, second) draws."""
    data = _array_of(tensor)
    if data.dtype.kind != "f":
        raise TypeError(f"can only initialise a floating tensor, got dtype {data.dtype}")
    random = generator(_backend.backend_of(data))
    dtype = data.dtype if data.dtype.itemsize >= 4 else "float32"
    if draw == "uniform":
        values = random.random(data.shape, dtype=dtype) * (second - first) + first
    else:
        values = random.standard_normal(data.shape, dtype=dtype) * second + first
    data[...] = values
    return tensor


def uniform(tensor: TensorT, low: float = 0.0, high: float = 1.0) -> TensorT:
    """Fill ``tensor`` with draws from the uniform distribution on [low, high)."""
    return _fill(tensor, "uniform", low, high)


def normal(tensor: TensorT, mean: float = 0.0, std: float = 1.0) -> TensorT:
    """Fill ``tensor`` with draws from the normal distribution N(mean, std^2)."""
    return _fill(tensor, "normal", mean, std)


def constant(tensor: TensorT, value: float) -> TensorT:
    """Fill ``tensor`` with ``value``."""
    _array_of(tensor)[...] = value
    return tensor


def zeros(tensor: TensorT) -> TensorT:
    """Fill ``tensor`` with zeros."""
    return constant(tensor, 0.0)


def ones(tensor: TensorT) -> TensorT:
    """Fill ``tensor`` with ones."""
    return constant(tensor, 1.0)


def kaiming_uniform(tensor: TensorT, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> TensorT:
    """He initialisation, uniform: U(-b, b) with ``b = gain * sqrt(3 / fan)``."""
    bound = calculate_gain(nonlinearity, a) * math.sqrt(3.0 / _fan(tensor, mode))
    return uniform(tensor, -bound, bound)


def kaiming_normal(tensor: TensorT, a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu") -> TensorT:
    """He initialisation, normal: N(0, std^2) with ``std = gain / sqrt(fan)``."""
    std = calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))
    return normal(tensor, 0.0, std)


def xavier_uniform(tensor: TensorT, gain: float = 1.0) -> TensorT:
    """Glorot initialisation, uniform: U(-b, b) with ``b = gain * sqrt(6 / (fan_in +
    fan_out))``."""
    fan_in, fan_out = fans(tensor)
    bound = gain * math.sqrt(6.0 / ((fan_in + fan_out) or 1))
    return uniform(tensor, -bound, bound)


def xavier_normal(tensor: TensorT, gain: float = 1.0) -> TensorT:
    """Glorot initialisation, normal: N(0, std^2) with ``std = gain * sqrt(2 / (fan_in +
    fan_out))``."""
    fan_in, fan_out = fans(tensor)
    return normal(tensor, 0.0, gain * math.sqrt(2.0 / ((fan_in + fan_out) or 1)))
