"""``DataParallel``: PyTorch's ``nn.DataParallel`` wrapper, on the one device its module lives on.

PyTorch's splits each batch over the GPUs of one process; where it has no GPU, or one, it calls
the module as it is, which is what this wrapper does. Programs keep its ``module`` attribute and
its state dict names (``module.`` before each key). Several devices in one process are not
provided: data-parallel training runs one process per device, ``mu.distributed.DataParallel``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from mushin._check import is_int
from mushin.nn.module import Module

__all__ = ["DataParallel"]

ModuleT = TypeVar("ModuleT", bound=Module)


class DataParallel(Module, Generic[ModuleT]):
    """``module`` run on its own device (PyTorch's ``nn.DataParallel(module, device_ids=None,
    output_device=None, dim=0)`` with one device or none): ``forward`` is the module's, its
    parameters are registered under ``module.``. More than one device in ``device_ids``
    raises ``NotImplementedError`` naming ``mu.distributed.DataParallel``."""

    module: ModuleT

    def __init__(self, module: ModuleT, device_ids: Sequence[int | str] | None = None,
                 output_device: int | str | None = None, dim: int = 0) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be a Module, got "
                            f"{type(module).__name__}")
        devices = list(device_ids) if device_ids is not None else []
        if len(devices) > 1:
            raise NotImplementedError(
                f"DataParallel over several devices in one process ({devices}) is not "
                "provided: train with one process per device, mu.distributed.DataParallel")
        if not is_int(dim):
            raise TypeError(f"DataParallel: dim must be an int, got {dim!r}")
        self.module = module
        self.device_ids = devices
        self.output_device = output_device
        self.dim = dim

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        """The module's ``forward`` on the inputs."""
        return self.module(*inputs, **kwargs)
