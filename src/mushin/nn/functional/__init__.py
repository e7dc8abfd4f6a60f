"""``mu.nn.functional``: every primitive of ``mu.nn``, one module per family, each beside its
gradient and its CUDA rules, under PyTorch's ``torch.nn.functional`` names.

- ``activation`` (relu, softmax, sigmoid, gelu, hardtanh, glu...), ``special`` (erf), ``loss``
  (the crate's losses and their primitives: mse, nll, cross_entropy...), ``criteria``
  (PyTorch's loss functions under PyTorch's names and arguments: ``mse_loss``, ``nll_loss``,
  ``cross_entropy`` with ``weight`` and ``label_smoothing``,
  ``triplet_margin_with_distance_loss``..., exported here);
- ``window`` (the geometry convolution and pooling share), ``conv`` (conv1d, conv2d, conv3d),
  ``conv_transpose`` (conv_transpose1d/2d/3d, on conv2d's input-gradient kernel), ``pool`` (max,
  average, power and adaptive pooling), ``fractional_pool`` (fractional_max_pool2d/3d),
  ``unpool`` (max_unpool1d/2d/3d), ``unfold`` (unfold,
  fold), ``resample`` (interpolate, pixel_shuffle,
  pixel_unshuffle), ``linear`` (linear, bilinear, embedding, embedding_bag), ``norm``
  (``normalize_axes``, batch_norm, instance_norm, group_norm, layer_norm, rms_norm,
  local_response_norm), ``distance`` (PyTorch's ``normalize``, ``cosine_similarity``,
  ``pairwise_distance``, ``pdist``), ``dropout`` (dropout, dropout1d/2d/3d, alpha_dropout,
  feature_alpha_dropout), ``attention`` (scaled_dot_product_attention,
  multi_head_attention_forward), ``shape`` (pad, batch_flatten), ``shuffle``
  (channel_shuffle, native_channel_shuffle), ``ctc`` (ctc_loss, one primitive), ``grid``
  (affine_grid, grid_sample);
- ``recurrent`` (the RNN, LSTM and GRU layers' recurrences, one module per cell).

The layers of ``mu.nn.layers`` are built on these functions; ``mu.nn.activations``,
``mu.nn.losses`` and ``mu.nn.ops`` re-export the public ones under the crate's module names
(``mu.nn.losses.cross_entropy`` is the crate's, ``(x, target, reduction, ignore_index)``).
``one_hot`` is ``mushin.ops.index.one_hot``.
"""

from mushin.nn.functional.activation import (
    celu,
    celu_,
    elu,
    elu_,
    gelu,
    glu,
    gumbel_softmax,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    log_softmax,
    logsigmoid,
    logsoftmax,
    mish,
    prelu,
    relu,
    relu6,
    relu_,
    rrelu,
    rrelu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)
from mushin.nn.functional.attention import (
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
from mushin.nn.functional.conv import conv1d, conv2d, conv3d, conv_tbc
from mushin.nn.functional.conv_transpose import (
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from mushin.nn.functional.criteria import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cosine_embedding_loss,
    cross_entropy,
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    linear_cross_entropy,
    margin_ranking_loss,
    mse_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    nll_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from mushin.nn.functional.ctc import ctc_loss
from mushin.nn.functional.distance import cosine_similarity, normalize, pairwise_distance, pdist
from mushin.nn.functional.dropout import (
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from mushin.nn.functional.fractional_pool import (
    fractional_max_pool2d,
    fractional_max_pool2d_with_indices,
    fractional_max_pool3d,
    fractional_max_pool3d_with_indices,
)
from mushin.nn.functional.grid import affine_grid, grid_sample
from mushin.nn.functional.linear import bilinear, embedding, embedding_bag, linear
from mushin.nn.functional.loss import bce_with_logits, huber, l1, mse, nll
from mushin.nn.functional.norm import (
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    normalize_axes,
    rms_norm,
)
from mushin.nn.functional.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices,
    adaptive_max_pool2d,
    adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d,
    adaptive_max_pool3d_with_indices,
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    avgpool2d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool2d_with_indices,
    max_pool3d,
    max_pool3d_with_indices,
    maxpool2d,
)
from mushin.nn.functional.recurrent import gru, lstm, rnn
from mushin.nn.functional.resample import (
    interpolate,
    pixel_shuffle,
    pixel_unshuffle,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)
from mushin.nn.functional.shape import batch_flatten, pad
from mushin.nn.functional.shuffle import channel_shuffle, native_channel_shuffle
from mushin.nn.functional.special import erf
from mushin.nn.functional.unfold import fold, unfold
from mushin.nn.functional.unpool import max_unpool1d, max_unpool2d, max_unpool3d
from mushin.ops.index import one_hot

# One line per family module: a helper adding a function edits its module's import and line.
__all__: list[str] = []
__all__ += [  # activation
    "celu", "celu_", "elu", "elu_", "gelu", "glu", "gumbel_softmax", "hardshrink", "hardsigmoid",
    "hardswish", "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "log_softmax",
    "logsigmoid", "logsoftmax", "mish", "prelu", "relu", "relu6", "relu_", "rrelu", "rrelu_",
    "selu", "selu_", "sigmoid", "silu", "softmax", "softmin", "softplus", "softshrink",
    "softsign", "tanh", "tanhshrink", "threshold", "threshold_"
]
__all__ += ["multi_head_attention_forward", "scaled_dot_product_attention"]  # attention
__all__ += ["conv1d", "conv2d", "conv3d", "conv_tbc"]  # conv
__all__ += ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]  # conv_transpose
__all__ += [  # criteria
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cosine_embedding_loss",
    "cross_entropy", "gaussian_nll_loss", "hinge_embedding_loss", "huber_loss", "kl_div",
    "l1_loss", "linear_cross_entropy", "margin_ranking_loss", "mse_loss", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "nll_loss", "poisson_nll_loss",
    "smooth_l1_loss", "soft_margin_loss", "triplet_margin_loss",
    "triplet_margin_with_distance_loss"
]
__all__ += ["ctc_loss"]  # ctc
__all__ += ["cosine_similarity", "normalize", "pairwise_distance", "pdist"]  # distance
__all__ += [  # dropout
    "alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d", "feature_alpha_dropout"
]
__all__ += [  # fractional_pool
    "fractional_max_pool2d", "fractional_max_pool2d_with_indices", "fractional_max_pool3d",
    "fractional_max_pool3d_with_indices"
]
__all__ += ["affine_grid", "grid_sample"]  # grid
__all__ += ["one_hot"]  # mushin.ops.index
__all__ += ["bilinear", "embedding", "embedding_bag", "linear"]  # linear
__all__ += ["bce_with_logits", "huber", "l1", "mse", "nll"]  # loss
__all__ += [  # norm
    "batch_norm", "group_norm", "instance_norm", "layer_norm", "local_response_norm",
    "normalize_axes", "rms_norm"
]
__all__ += [  # pool
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d", "adaptive_max_pool1d",
    "adaptive_max_pool1d_with_indices", "adaptive_max_pool2d", "adaptive_max_pool2d_with_indices",
    "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices", "avg_pool1d", "avg_pool2d",
    "avg_pool3d", "avgpool2d", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_pool1d",
    "max_pool1d_with_indices", "max_pool2d", "max_pool2d_with_indices", "max_pool3d",
    "max_pool3d_with_indices", "maxpool2d"
]
__all__ += ["gru", "lstm", "rnn"]  # recurrent
__all__ += [  # resample
    "interpolate", "pixel_shuffle", "pixel_unshuffle", "upsample", "upsample_bilinear",
    "upsample_nearest"
]
__all__ += ["batch_flatten", "pad"]  # shape
__all__ += ["channel_shuffle", "native_channel_shuffle"]  # shuffle
__all__ += ["erf"]  # special
__all__ += ["fold", "unfold"]  # unfold
__all__ += ["max_unpool1d", "max_unpool2d", "max_unpool3d"]  # unpool
