"""``mu.optim.lr_scheduler``: PyTorch's ``torch.optim.lr_scheduler``, the schedulers of
:mod:`mushin.nn.schedulers` under PyTorch's module path."""

from mushin.nn.schedulers import *  # noqa: F403
from mushin.nn.schedulers import __all__ as __all__
