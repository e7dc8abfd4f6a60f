"""mu.nn: layers, activations, losses, optimizers and schedulers built on the autodiff core.

The sub-modules follow the crate's layout: ``activations``, ``losses``, ``ops`` (functional
forms), ``layers``, ``optimizers``, ``schedulers`` and ``init``; ``Module`` and
``Sequential`` are the base of every layer, and ``clip_grad_norm`` scales gradients.
"""

from mushin.nn import activations, init, layers, losses, ops, optimizers, schedulers
from mushin.nn.module import Module, ModuleDict, ModuleList, Sequential
from mushin.nn.module import parameter as Parameter
from mushin.nn.utils import clip_grad_norm

__all__ = [
    "Module", "ModuleDict", "ModuleList", "Parameter", "Sequential", "activations",
    "clip_grad_norm", "init", "layers", "losses", "ops", "optimizers", "schedulers",
]
