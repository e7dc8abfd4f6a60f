"""``AdaptiveLogSoftmaxWithLoss``: PyTorch's adaptive softmax (Grave et al., "Efficient softmax
approximation for GPUs"), with its module structure, so a state dict moves unchanged.

The classes are split by ``cutoffs`` into a shortlist of frequent ones and clusters of rarer
ones. ``head`` (a ``Linear(in_features, shortlist + clusters)``) scores the shortlist and one
entry per cluster; ``tail[i]``, a ``Sequential(Linear(in_features, hidden), Linear(hidden,
cluster size))`` with ``hidden = in_features // div_value ** (i + 1)``, scores the classes
within cluster ``i``. The log-probability of a class in a cluster is the head's log-probability
of the cluster plus the cluster's own log-probability of the class.

``forward`` evaluates a cluster only on the rows whose target lies in it, as PyTorch does: the
rows are read on the host, each cluster's terms computed on its rows, and the terms put back in
row order by one gather, so values and gradients are PyTorch's.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from mushin._check import as_sequence, is_int, is_number, shape_of
from mushin._tensor import Constant, Tensor, Variable
from mushin.errors import ShapeError
from mushin.nn.functional.activation import log_softmax
from mushin.nn.functional.shape import pad
from mushin.nn.layers.linear import Linear
from mushin.nn.module import Module, ModuleList, Sequential
from mushin.ops.join import concat
from mushin.ops.reduce import argmax, mean
from mushin.ops.shape import reshape

__all__ = ["AdaptiveLogSoftmaxWithLoss"]

_NAME = "AdaptiveLogSoftmaxWithLoss"


class AdaptiveSoftmaxOutput(NamedTuple):
    """What ``AdaptiveLogSoftmaxWithLoss.forward`` returns (PyTorch's ``_ASMoutput``):
    ``output``, the log-probability of each row's target ``(N,)`` (``()`` for one row), and
    ``loss``, the mean negative log-likelihood."""

    output: Variable[*tuple[Any, ...]]
    loss: Variable[*tuple[Any, ...]]


def _checked_cutoffs(cutoffs: Sequence[int], n_classes: int) -> list[int]:
    """PyTorch's rule: unique positive ints, increasing, each below ``n_classes``."""
    values = as_sequence(cutoffs)
    if values is None:
        raise TypeError(f"{_NAME}: cutoffs must be a list or tuple of ints, got {cutoffs!r}")
    if not values:
        raise ValueError(f"{_NAME}: cutoffs should be a sequence of length larger than 0")
    if (any(not is_int(value) for value in values) or values != sorted(values)
            or values[0] <= 0 or values[-1] > n_classes - 1 or len(set(values)) != len(values)):
        raise ValueError(f"{_NAME}: cutoffs should be a sequence of unique, positive integers "
                         f"sorted in an increasing order, where each value is between 1 and "
                         f"n_classes-1 = {n_classes - 1}, got {values}")
    return [int(value) for value in values]


def _host_labels(target: Any) -> np.ndarray[Any, Any]:
    """The class indices of ``target`` (a tensor or an array) read on the host."""
    labels = target.numpy() if isinstance(target, Tensor) else np.asarray(target)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{_NAME}: the target must hold integer class indices, got dtype "
                        f"{labels.dtype}")
    return labels


class AdaptiveLogSoftmaxWithLoss(Module):
    """PyTorch's ``nn.AdaptiveLogSoftmaxWithLoss(in_features, n_classes, cutoffs, div_value=4.0,
    head_bias=False)``: ``head`` a ``Linear``, ``tail`` a ``ModuleList`` of ``Sequential(Linear,
    Linear)`` (no biases in the tail), so the state dict names are PyTorch's (``head.weight``,
    ``tail.0.0.weight``, ``tail.0.1.weight``...).

    ``forward(input, target)`` takes ``(N, in_features)`` rows and ``(N,)`` class indices (or
    one ``(in_features,)`` row and a 0-d index) and returns ``(output, loss)``;
    ``log_prob(input)`` gives the full ``(N, n_classes)`` log-probabilities and
    ``predict(input)`` the most probable class of each row, both PyTorch's.
    """

    head: Linear[Any, Any]
    tail: ModuleList[Sequential]

    def __init__(self, in_features: int, n_classes: int, cutoffs: Sequence[int],
                 div_value: float = 4.0, head_bias: bool = False, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__()
        for name, size in (("in_features", in_features), ("n_classes", n_classes)):
            if not is_int(size) or size < 1:
                raise ValueError(f"{_NAME}: {name} must be a positive int, got {size!r}")
        if not is_number(div_value) or div_value <= 0:
            raise ValueError(f"{_NAME}: div_value must be a positive number, got "
                             f"{div_value!r}")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = [*_checked_cutoffs(cutoffs, n_classes), n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, device=device,
                           dtype=dtype)
        self.tail = ModuleList()
        for index, (start, stop) in enumerate(itertools.pairwise(self.cutoffs)):
            hidden = int(in_features // (div_value ** (index + 1)))
            self.tail.append(Sequential(
                Linear(in_features, hidden, bias=False, device=device, dtype=dtype),
                Linear(hidden, stop - start, bias=False, device=device, dtype=dtype)))

    def _rows(self, input: Any, name: str) -> Any:
        """``input`` checked to be ``(N, in_features)``."""
        shape = shape_of(input)
        if len(shape) != 2 or shape[1] != self.in_features:
            raise ShapeError(f"{_NAME}.{name}: expected an input of shape (N, in_features="
                             f"{self.in_features}), got shape {shape}")
        return input

    def forward(self, input: Tensor[*tuple[Any, ...]], target: Any) -> AdaptiveSoftmaxOutput:
        """The log-probability of each row's target class and their mean negative, the
        loss."""
        labels = _host_labels(target)
        shape = shape_of(input)
        if labels.ndim == 1:
            if len(shape) != 2:
                raise ShapeError(f"{_NAME}: a 1-d target expects a 2-d input (N, in_features), "
                                 f"got shape {shape}")
            if shape[0] != labels.shape[0]:
                raise ShapeError(f"{_NAME}: input and target must have one batch size, got "
                                 f"shapes {shape} and {labels.shape}")
        elif labels.ndim == 0:
            if len(shape) != 1:
                raise ShapeError(f"{_NAME}: a 0-d target expects a 1-d input (in_features,), "
                                 f"got shape {shape}")
        else:
            raise ShapeError(f"{_NAME}: expected a 0-d or 1-d target (multi-target is not "
                             f"supported), got shape {labels.shape}")
        batched = labels.ndim == 1
        rows = self._rows(input if batched else reshape(input, (1, shape[0])), "forward")
        labels = labels.reshape(-1)
        if labels.size and (labels.min() < 0 or labels.max() >= self.n_classes):
            raise IndexError(f"{_NAME}: target values must lie in [0, {self.n_classes - 1}], "
                             f"got values in [{labels.min()}, {labels.max()}]")
        count = labels.shape[0]
        # The head's column of each row: its class in the shortlist, else its cluster's entry.
        columns = labels.copy()
        cluster_rows: list[np.ndarray[Any, Any]] = []
        cluster_terms: list[Any] = []
        for index, (start, stop) in enumerate(itertools.pairwise(self.cutoffs)):
            members = np.flatnonzero((labels >= start) & (labels < stop))
            if not members.size:
                continue
            columns[members] = self.shortlist_size + index
            within = log_softmax(self.tail[index](rows[members]), 1)
            cluster_terms.append(within[np.arange(members.size), labels[members] - start])
            cluster_rows.append(members)
        output = log_softmax(self.head(rows), 1)[np.arange(count), columns]
        if cluster_terms:
            # Each cluster term back at its row: a gather from the terms and one zero, which
            # the shortlist's rows take.
            terms = pad(concat(cluster_terms), (0, 1))
            members = np.concatenate(cluster_rows)
            position = np.full(count, members.size)
            position[members] = np.arange(members.size)
            output = output + terms[position]
        loss = mean(-output)
        return AdaptiveSoftmaxOutput(output if batched else reshape(output, ()), loss)

    def _full_log_prob(self, rows: Any, head_output: Any) -> Any:
        """The ``(N, n_classes)`` log-probabilities from the rows and their head scores."""
        head_logprob = log_softmax(head_output, 1)
        parts = [head_logprob[:, :self.shortlist_size]]
        for index, cluster in enumerate(self.tail):
            within = log_softmax(cluster(rows), 1)
            parts.append(within + head_logprob[:, self.shortlist_size + index:
                                               self.shortlist_size + index + 1])
        return concat(parts, axis=1)

    def log_prob(self, input: Tensor[*tuple[Any, ...]]) -> Variable[*tuple[Any, ...]]:
        """The log-probability of every class for each row of ``input`` ``(N,
        in_features)``: ``(N, n_classes)``."""
        rows = self._rows(input, "log_prob")
        result: Variable[*tuple[Any, ...]] = self._full_log_prob(rows, self.head(rows))
        return result

    def predict(self, input: Tensor[*tuple[Any, ...]]) -> Constant[*tuple[Any, ...]]:
        """The most probable class of each row of ``input`` ``(N, in_features)``: an int64
        ``(N,)`` ``Constant``. As PyTorch, a row whose best head entry is a shortlist class
        takes it; the others are decided by the full log-probabilities."""
        rows = self._rows(input, "predict")
        head_output = self.head(rows)
        best = argmax(head_output, 1)
        chosen = best.numpy()
        outside = np.flatnonzero(chosen >= self.shortlist_size)
        if not outside.size:
            return best
        if outside.size == chosen.size:
            return argmax(self._full_log_prob(rows, head_output), 1)
        full = self._full_log_prob(rows[outside], head_output[outside])
        chosen[outside] = argmax(full, 1).numpy()
        return Constant(chosen, device=best.device)
