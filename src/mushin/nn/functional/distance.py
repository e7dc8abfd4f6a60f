"""PyTorch's vector normalisation and distances: ``normalize`` (``F.normalize``: ``x``
divided by its ``p``-norm along ``dim``), ``cosine_similarity``, ``pairwise_distance`` and
``pdist`` (the distances between the rows of one matrix), compositions of differentiable
ops (their gradients come from those ops').

The crate's other normalisation, ``(x - mean) / sqrt(var + eps)`` over some axes, is
``normalize_axes`` in ``norm``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from mushin import _typing as typed
from mushin._check import is_number, number, operation_name, shape_of
from mushin.errors import ShapeError
from mushin.ops.elementwise import clamp_min
from mushin.ops.gather_scatter import index_select
from mushin.ops.norms import vector_norm
from mushin.ops.reduce import sum as reduce_sum
from mushin.ops.shape import broadcast_tensors


@typed.activation_function
def normalize(input: Any, p: float = 2.0, dim: int = 1, eps: float = 1e-12) -> Any:
    """PyTorch's ``F.normalize``: ``input / max(||input||_p, eps)``, the norm taken along
    ``dim`` (kept for broadcasting)."""
    floor = number("normalize", "eps", eps)
    return input / clamp_min(vector_norm(input, p, dim, True), floor)


@typed.mixed_function
def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Any:
    """PyTorch's ``F.cosine_similarity``: the cosine of the angle between ``x1`` and ``x2``
    (broadcast together) along ``dim``, each norm clamped to at least ``eps``."""
    floor = number("cosine_similarity", "eps", eps)
    first, second = broadcast_tensors(x1, x2)
    first_norm = clamp_min(vector_norm(first, 2, dim, True), floor)
    second_norm = clamp_min(vector_norm(second, 2, dim, True), floor)
    return reduce_sum((first / first_norm) * (second / second_norm), dim)


@typed.mixed_function
def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Any:
    """PyTorch's ``F.pairwise_distance``: ``||x1 - x2 + eps||_p`` along the last axis of the
    broadcast shape."""
    rank = max(len(shape_of(x1)), len(shape_of(x2)))
    if rank == 0:
        return vector_norm(x1 - x2 + eps, p, None, keepdim)
    return vector_norm(x1 - x2 + eps, p, rank - 1, keepdim)


@typed.runtime_shape_function
def pdist(input: Any, p: float = 2.0) -> Any:
    """PyTorch's ``F.pdist``: the ``p``-norm distance between every two rows of ``input``
    ``(N, M)``, rows ``i < j`` in row-major order, ``(N * (N - 1) / 2,)`` (``p >= 0``; ``inf``
    the largest difference, 0 the count of differing elements)."""
    shape = shape_of(input)
    if len(shape) != 2:
        raise ShapeError(f"{operation_name('pdist')}: expected an input of shape (N, M), got shape "
                         f"{shape}")
    if not is_number(p) or isinstance(p, bool) or p < 0:
        raise ValueError(f"{operation_name('pdist')}: p must be a non-negative number, got {p!r}")
    first, second = np.triu_indices(shape[0], 1)
    difference = index_select(input, 0, first) - index_select(input, 0, second)
    return vector_norm(difference, float(p), 1)
