"""Functional layers (``mu.nn.ops``): linear, convolution, pooling, padding, dropout,
embedding lookup and flattening, on ``(B, C, H, W)`` images where spatial.

The public names of the API, re-exported from their homes in ``mushin.nn.functional`` (each
beside its primitive, gradient and CUDA kernel). ``flatten`` is ``batch_flatten`` there: it
keeps axis 0, where ``mu.flatten`` joins every axis and the ``Flatten`` layer the axes it is
given.
"""

from mushin.nn.functional.conv import conv2d
from mushin.nn.functional.dropout import dropout
from mushin.nn.functional.linear import embedding, linear
from mushin.nn.functional.pool import avgpool2d, maxpool2d
from mushin.nn.functional.shape import batch_flatten as flatten
from mushin.nn.functional.shape import pad
from mushin.nn.functional.window import Pair

__all__ = ["Pair", "avgpool2d", "conv2d", "dropout", "embedding", "flatten", "linear",
           "maxpool2d", "pad"]
