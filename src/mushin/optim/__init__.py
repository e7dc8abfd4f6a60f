"""``mu.optim``: PyTorch's ``torch.optim`` under its own name. The optimizers are those of
``mu.nn.optimizers`` (each defined in ``mushin.nn.optim``), and ``mu.optim.lr_scheduler`` is
``mu.nn.schedulers``: a PyTorch program's ``torch.optim.Adam(model.parameters(), lr=1e-3)``
and ``torch.optim.lr_scheduler.StepLR(...)`` port by renaming ``torch`` to ``mu``."""

from mushin.nn import schedulers as lr_scheduler
from mushin.nn.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    NAdam,
    Optimizer,
    RAdam,
    RMSprop,
)

__all__ = ["SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam", "Optimizer",
           "RAdam", "RMSprop", "lr_scheduler"]
