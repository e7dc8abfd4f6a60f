"""``mu.optim``: PyTorch's ``torch.optim`` under its own name. The optimizers are those of
``mu.nn.optimizers`` (each defined in ``mushin.nn.optim``), and ``mu.optim.lr_scheduler`` holds
the schedulers of ``mu.nn.schedulers``: a PyTorch program's ``torch.optim.Adam(
model.parameters(), lr=1e-3)`` and ``from torch.optim.lr_scheduler import StepLR`` port by
renaming ``torch`` to ``mu``."""

from mushin.nn.optimizers import (
    ASGD,
    LBFGS,
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
    Rprop,
)
from mushin.optim import lr_scheduler

__all__ = ["ASGD", "LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam",
           "Optimizer", "RAdam", "RMSprop", "Rprop", "lr_scheduler"]
