"""mu.nn.layers: every layer, each a mu.nn.Module with PyTorch's parameter layout."""

from mushin.nn.layers.activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from mushin.nn.layers.attention import MultiHeadAttention
from mushin.nn.layers.conv import Conv2D
from mushin.nn.layers.dropout import Dropout
from mushin.nn.layers.embedding import Embedding
from mushin.nn.layers.flatten import Flatten
from mushin.nn.layers.linear import Linear
from mushin.nn.layers.norm import BatchNorm1D, BatchNorm2D, LayerNorm
from mushin.nn.layers.pooling import AvgPool2D, MaxPool2D
from mushin.nn.layers.recurrent import GRU, LSTM, RNN
from mushin.nn.module import Sequential

__all__ = [
    "ELU", "GELU", "GRU", "LSTM", "RNN", "AvgPool2D", "BatchNorm1D", "BatchNorm2D", "Conv2D",
    "Dropout", "Embedding", "Flatten", "LayerNorm", "LeakyReLU", "Linear", "LogSoftmax",
    "MaxPool2D", "MultiHeadAttention", "ReLU", "Sequential", "SiLU", "Sigmoid", "Softmax",
    "Softplus", "Tanh",
]
