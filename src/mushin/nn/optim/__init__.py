"""Optimizers: update parameters in place from their gradients, with PyTorch's update rules.

``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad``, ``Adadelta``, ``Adamax``, ``NAdam``,
``RAdam``, ``ASGD``, ``Rprop`` and ``LBFGS`` (closure-driven, all parameters as one vector)
share the :class:`Optimizer` base (``optimizer.py``: parameter groups, option
checks, state dicts); each optimizer's file holds its portable update and its CUDA kernel side
by side (Adadelta, Adamax, NAdam, RAdam, ASGD and Rprop have no fused kernel yet: their
portable steps run on CuPy arrays too). ``mu.nn.optimizers`` and ``mu.optim`` re-export them.

``step()`` writes into each parameter's array with the array module's in-place operations
(NumPy or CuPy: the parameter's own namespace), in the parameter's dtype, and in the steady
state allocates no arrays: every arithmetic step writes (``out=`` or an in-place operator) into
a state buffer or into the optimizer's shared scratch arrays. It only ever *reads* a gradient:
the engine may share one gradient array between several tensors, so a gradient that must
change (L2 weight decay) is written into scratch. On float32 and float64 CuPy arrays an update
is one fused CUDA kernel instead (docs/devices.md); on NumPy arrays, where Numba is installed,
SGD's, Adam's and AdamW's is one fused CPU kernel (``mushin.kernels.cpu``).
"""

from mushin.nn.optim.adadelta import Adadelta
from mushin.nn.optim.adagrad import Adagrad
from mushin.nn.optim.adam import Adam, AdamW
from mushin.nn.optim.adamax import Adamax
from mushin.nn.optim.asgd import ASGD
from mushin.nn.optim.lbfgs import LBFGS
from mushin.nn.optim.nadam import NAdam
from mushin.nn.optim.optimizer import Optimizer
from mushin.nn.optim.radam import RAdam
from mushin.nn.optim.rmsprop import RMSprop
from mushin.nn.optim.rprop import Rprop
from mushin.nn.optim.sgd import SGD

__all__ = ["ASGD", "LBFGS", "SGD", "Adadelta", "Adagrad", "Adam", "AdamW", "Adamax", "NAdam",
           "Optimizer", "RAdam", "RMSprop", "Rprop"]
