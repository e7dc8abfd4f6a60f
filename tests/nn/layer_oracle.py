"""Shared helpers of the layer oracle tests (normalisation, embeddings, the small layers): a
function or a layer of mushin's run beside PyTorch's on the same float64 values."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu

# A test module importing these helpers is skipped where PyTorch is absent.
torch = pytest.importorskip("torch")


def compare(ours: Callable[..., Any], theirs: Callable[..., Any], arrays: list[np.ndarray],
            seed: int = 0, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """``ours`` and ``theirs`` on the same float64 ``arrays``: equal values, and equal
    gradients of every array under the same random output gradient."""
    mine = [mu.variable(array, dtype="float64") for array in arrays]
    their = [torch.tensor(array, requires_grad=True) for array in arrays]
    result, expected = ours(*mine), theirs(*their)
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=rtol, atol=atol)
    cotangent = np.random.default_rng(seed).standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    for index, (found, wanted) in enumerate(zip(mine, their, strict=True)):
        np.testing.assert_allclose(found.grad().numpy(), wanted.grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=f"gradient of argument {index}")


def assert_same_state(ours: mu.nn.Module, theirs: torch.nn.Module) -> None:
    """The two state dicts hold the same names, in the same order, with the same shapes and
    values."""
    mine, other = ours.state_dict(), theirs.state_dict()
    assert list(mine) == list(other)
    for name, value in other.items():
        assert mine[name].shape == tuple(value.shape), name
        np.testing.assert_allclose(mine[name].numpy(), value.numpy(), rtol=1e-12, atol=1e-14,
                                   err_msg=name)


def copy_parameters(ours: mu.nn.Module, theirs: torch.nn.Module) -> None:
    """Load ``theirs``' state (parameters and buffers) into ``ours``, unchanged."""
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})


def assert_gradients_equal(ours: mu.nn.Module, theirs: torch.nn.Module) -> None:
    """Every parameter's gradient agrees, in registration order (shared by both)."""
    for (name, mine), (_, other) in zip(ours.named_parameters(), theirs.named_parameters(),
                                        strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-10,
                                   atol=1e-12, err_msg=name)
