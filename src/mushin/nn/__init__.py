"""mu.nn: layers, activations, losses, optimizers and schedulers built on the autodiff core.

Every layer and loss module of ``mu.nn.layers`` is also here directly, under the crate's names
and, where they differ, PyTorch's casing (``Conv2d`` is ``Conv2D``, ``BatchNorm2d``,
``MaxPool2d``, ``MultiheadAttention``: the same class objects). The sub-modules follow the
crate's layout: ``activations``, ``losses``, ``ops`` (functional forms), ``functional``
(PyTorch's ``torch.nn.functional``), ``layers``, ``optimizers``, ``schedulers``, ``init`` and
``utils``; ``Module``, ``Sequential``, ``ModuleList``, ``ModuleDict``, ``Parameter``,
``ParameterList`` and ``ParameterDict`` are the base of every model, and ``clip_grad_norm``
(PyTorch's ``clip_grad_norm_`` in ``mu.nn.utils``) scales gradients.
"""

from typing import TYPE_CHECKING

from mushin.nn import activations as activations
from mushin.nn import functional as functional
from mushin.nn import init as init
from mushin.nn import layers as layers
from mushin.nn import losses as losses
from mushin.nn import ops as ops
from mushin.nn import optimizers as optimizers
from mushin.nn import schedulers as schedulers
from mushin.nn import utils as utils
from mushin.nn.layers import *  # noqa: F403
from mushin.nn.module import Module as Module
from mushin.nn.module import ModuleDict as ModuleDict
from mushin.nn.module import ModuleList as ModuleList
from mushin.nn.module import ParameterDict as ParameterDict
from mushin.nn.module import ParameterList as ParameterList
from mushin.nn.module import parameter as _parameter
from mushin.nn.utils import clip_grad_norm as clip_grad_norm

Parameter = _parameter
"""PyTorch's ``nn.Parameter(tensor)``: a new leaf ``Variable`` (``mushin.nn.module.parameter``)."""

# For run-time star imports; the type checkers read only literal lists, so they skip it and take
# the explicit re-exports above (``X as X``, the star import of the layers) instead.
if not TYPE_CHECKING:
    __all__ = [
        "Module", "ModuleDict", "ModuleList", "Parameter", "ParameterDict", "ParameterList",
        "activations", "clip_grad_norm", "functional", "init", "layers", "losses", "ops",
        "optimizers", "schedulers", "utils",
    ]
    __all__ += layers.__all__
