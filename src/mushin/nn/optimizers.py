"""``mu.nn.optimizers``, the optimizers' public path: SGD, Adam, AdamW, RMSprop, Adagrad and
their base ``Optimizer``, re-exported from :mod:`mushin.nn.optim`, where each optimizer's
portable update and CUDA kernel live side by side."""

from mushin.nn.optim import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

__all__ = ["Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "SGD"]
