"""Utilities with PyTorch's layout: ``mu.utils.data`` is ``torch.utils.data``."""

from mushin.utils import data

__all__ = ["data"]
