"""``mu.nn.losses``: the loss functions, defined (with their primitives, gradients and CUDA
kernels) in ``mushin.nn.functional.loss``."""

from mushin.nn.functional.loss import (
    BCE_WITH_LOGITS,
    BINARY_CROSS_ENTROPY,
    CROSS_ENTROPY,
    NLL,
    bce_with_logits,
    binary_cross_entropy,
    cross_entropy,
    huber,
    kl_div,
    l1,
    mse,
    nll,
)

__all__ = ["BCE_WITH_LOGITS", "BINARY_CROSS_ENTROPY", "CROSS_ENTROPY", "NLL", "bce_with_logits",
           "binary_cross_entropy", "cross_entropy", "huber", "kl_div", "l1", "mse", "nll"]
