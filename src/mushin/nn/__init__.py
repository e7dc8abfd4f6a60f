"""mu.nn: layers, activations, losses, optimizers and schedulers built on the autodiff core.

Every layer of ``mu.nn.layers`` is also here directly, under the crate's names and, where they
differ, PyTorch's casing (``Conv2d`` is ``Conv2D``, ``BatchNorm2d``, ``MaxPool2d``,
``MultiheadAttention``: the same class objects). The sub-modules follow the crate's layout:
``activations``, ``losses``, ``ops`` (functional forms), ``functional`` (PyTorch's
``torch.nn.functional``), ``layers``, ``optimizers``, ``schedulers`` and ``init``; ``Module``,
``Sequential``, ``ModuleList``, ``ModuleDict`` and ``Parameter`` are the base of every model,
and ``clip_grad_norm`` (PyTorch's ``clip_grad_norm_`` in ``mu.nn.utils``) scales gradients.
"""

from mushin.nn import activations, functional, init, layers, losses, ops, optimizers, schedulers
from mushin.nn.layers import *  # noqa: F403
from mushin.nn.module import Module, ModuleDict, ModuleList
from mushin.nn.module import parameter as Parameter
from mushin.nn.utils import clip_grad_norm

__all__ = [
    "Module", "ModuleDict", "ModuleList", "Parameter", "activations", "clip_grad_norm",
    "functional", "init", "layers", "losses", "ops", "optimizers", "schedulers",
]
__all__ += layers.__all__
