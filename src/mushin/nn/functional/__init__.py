"""``mu.nn.functional``: every primitive of ``mu.nn``, one module per family, each beside its
gradient and its CUDA rules.

- ``activation`` (relu, softmax, sigmoid, gelu...), ``special`` (erf), ``loss`` (mse, nll,
  cross_entropy...);
- ``window`` (the geometry convolution and pooling share), ``conv`` (conv2d), ``pool``
  (max and average pooling), ``linear`` (linear, embedding), ``norm`` (the normalisation of
  LayerNorm), ``dropout``, ``shape`` (pad, batch_flatten);
- ``recurrent`` (the RNN, LSTM and GRU layers' recurrences, one module per cell).

The layers of ``mu.nn.layers`` are built on these functions; ``mu.nn.activations``,
``mu.nn.losses`` and ``mu.nn.ops`` re-export the public ones under the crate's module names.
"""

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
from mushin.nn.functional.conv import conv2d
from mushin.nn.functional.dropout import dropout
from mushin.nn.functional.linear import embedding, linear
from mushin.nn.functional.loss import (
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    huber,
    kl_div,
    l1,
    mse,
    nll,
)
from mushin.nn.functional.norm import normalize
from mushin.nn.functional.pool import avgpool2d, maxpool2d
from mushin.nn.functional.recurrent import gru, lstm, rnn
from mushin.nn.functional.shape import batch_flatten, pad
from mushin.nn.functional.special import erf

__all__ = [
    "avgpool2d", "batch_flatten", "bce_with_logits", "binary_cross_entropy", "conv2d",
    "cross_entropy", "dropout", "elu", "embedding", "erf", "gelu", "gru", "huber", "kl_div",
    "l1", "leaky_relu", "linear", "logsoftmax", "lstm", "maxpool2d", "mse", "nll", "normalize",
    "pad", "relu", "rnn", "sigmoid", "silu", "softmax", "softplus", "tanh",
]
