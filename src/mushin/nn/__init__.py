"""mu.nn: layers, activations, losses, optimizers and schedulers built on the autodiff core.

Every layer of ``mu.nn.layers`` is also here directly, with PyTorch's casing where the
crate's differs (``Conv2d`` is ``Conv2D``, ``BatchNorm1d``/``BatchNorm2d``, ``MaxPool2d``,
``AvgPool2d``, ``MultiheadAttention``: the same class objects). The sub-modules follow the
crate's layout: ``activations``, ``losses``, ``ops`` (functional
forms), ``layers``, ``optimizers``, ``schedulers`` and ``init``; ``Module`` and
``Sequential`` are the base of every layer, and ``clip_grad_norm`` scales gradients.
"""

from mushin.nn import activations, init, layers, losses, ops, optimizers, schedulers
from mushin.nn.layers import (
    ELU,
    GELU,
    GRU,
    LSTM,
    RNN,
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    LeakyReLU,
    Linear,
    LogSoftmax,
    MaxPool2D,
    MultiHeadAttention,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from mushin.nn.module import Module, ModuleDict, ModuleList, Sequential
from mushin.nn.module import parameter as Parameter
from mushin.nn.utils import clip_grad_norm

# PyTorch's casing of the layers whose crate name differs: the same class objects.
Conv2d = Conv2D
BatchNorm1d = BatchNorm1D
BatchNorm2d = BatchNorm2D
MaxPool2d = MaxPool2D
AvgPool2d = AvgPool2D
MultiheadAttention = MultiHeadAttention

__all__ = [
    "ELU", "GELU", "GRU", "LSTM", "RNN", "AvgPool2D", "AvgPool2d", "BatchNorm1D", "BatchNorm1d",
    "BatchNorm2D", "BatchNorm2d", "Conv2D", "Conv2d", "Dropout", "Embedding", "Flatten",
    "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax", "MaxPool2D", "MaxPool2d", "Module",
    "ModuleDict", "ModuleList", "MultiHeadAttention", "MultiheadAttention", "Parameter", "ReLU",
    "Sequential", "SiLU", "Sigmoid", "Softmax", "Softplus", "Tanh", "activations",
    "clip_grad_norm", "init", "layers", "losses", "ops", "optimizers", "schedulers",
]
