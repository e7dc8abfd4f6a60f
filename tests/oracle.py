"""Shared assertions of the PyTorch oracle tests: mushin's gradients against PyTorch's."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np


def assert_gradients_match(ours: Iterable[Any], theirs: Iterable[Any], ours_module: Any,
                           theirs_module: Any) -> None:
    """The gradients of the given tensors, then of every parameter (in registration order,
    which mushin and PyTorch share), agree to float64 accuracy."""
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)
    for (name, mine), (_, other) in zip(ours_module.named_parameters(),
                                        theirs_module.named_parameters(), strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-9,
                                   atol=1e-12, err_msg=name)
