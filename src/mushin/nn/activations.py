"""``mu.nn.activations``: the activation functions, defined (with their primitives, gradients
and CUDA kernels) in ``mushin.nn.functional.activation``, and ``erf`` from
``mushin.nn.functional.special``."""

from mushin.nn.functional.activation import (
    ELU,
    GELU,
    LEAKY_RELU,
    LOGSOFTMAX,
    RELU,
    SIGMOID,
    SILU,
    SOFTMAX,
    SOFTPLUS,
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
from mushin.nn.functional.special import ERF, erf

__all__ = ["ELU", "ERF", "GELU", "LEAKY_RELU", "LOGSOFTMAX", "RELU", "SIGMOID", "SILU",
           "SOFTMAX", "SOFTPLUS", "elu", "erf", "gelu", "leaky_relu", "logsoftmax", "relu",
           "sigmoid", "silu", "softmax", "softplus", "tanh"]
