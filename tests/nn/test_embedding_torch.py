"""The embeddings against PyTorch in float64: ``F.embedding`` (``padding_idx``, ``max_norm``,
``scale_grad_by_freq``) and ``F.embedding_bag`` (``mode`` sum/mean/max, ``offsets``,
``include_last_offset``, ``per_sample_weights``, ``padding_idx``), values and the gradients
of the table (and of the sample weights); the layers ``Embedding`` and ``EmbeddingBag``
(state dicts, initialisation, ``from_pretrained``, reprs); the errors; and a run on the
stand-in GPU device."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from layer_oracle import assert_same_state, copy_parameters, torch

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

TF = torch.nn.functional


def _table(rows: int = 10, dim: int = 4, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((rows, dim)) * 2


def _compare_lookup(ours: Any, theirs: Any, table: np.ndarray, extra: list[np.ndarray] = (),
                    ) -> None:
    """``ours(weight, *extra)`` and ``theirs(...)`` on the same table: equal values, equal
    tables afterwards (``max_norm`` changes them), and equal gradients of the table and of the
    ``extra`` float arrays."""
    weight, their_weight = mu.variable(table.copy()), torch.tensor(table.copy(),
                                                                    requires_grad=True)
    mine = [mu.variable(array) for array in extra]
    other = [torch.tensor(array, requires_grad=True) for array in extra]
    result, expected = ours(weight, *mine), theirs(their_weight, *other)
    assert result.shape == tuple(expected.shape)
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy(), rtol=1e-12,
                               atol=1e-14)
    np.testing.assert_allclose(weight.numpy(), their_weight.detach().numpy(), rtol=1e-12)
    cotangent = np.random.default_rng(5).standard_normal(tuple(expected.shape))
    (result * mu.constant(cotangent)).sum().backward()
    (expected * torch.tensor(cotangent)).sum().backward()
    their_grad = their_weight.grad
    assert their_grad is not None
    their_grad = their_grad.to_dense() if their_grad.is_sparse else their_grad
    np.testing.assert_allclose(weight.grad().numpy(), their_grad.numpy(), rtol=1e-12,
                               atol=1e-14)
    for found, wanted in zip(mine, other, strict=True):
        np.testing.assert_allclose(found.grad().numpy(), wanted.grad.numpy(), rtol=1e-12,
                                   atol=1e-14)


INDICES = np.array([[1, 3, 3, 0], [9, 3, 1, 1]])


@pytest.mark.parametrize("options", [
    {}, {"padding_idx": 3}, {"padding_idx": -1}, {"scale_grad_by_freq": True},
    {"padding_idx": 1, "scale_grad_by_freq": True}, {"max_norm": 1.0},
    {"max_norm": 1.5, "norm_type": 1.0}, {"max_norm": 0.5, "norm_type": float("inf")},
    {"sparse": True},
])
def test_embedding_matches_torch(options: dict[str, Any]) -> None:
    for indices in (INDICES, INDICES[0], np.array(7)):
        _compare_lookup(lambda w, i=indices: F.embedding(mu.constant(i), w, **options),
                        lambda w, i=indices: TF.embedding(torch.tensor(i), w, **options),
                        _table())


BAGS_2D = np.array([[1, 3, 3], [9, 0, 1], [2, 2, 2]])
FLAT = np.array([4, 1, 3, 3, 9, 0, 1, 2])
OFFSETS = [np.array([0, 3, 3, 5]), np.array([0, 1, 7]), np.array([0])]
# include_last_offset: PyTorch's CSR form, the last offset the input's length.
CSR_OFFSETS = [np.array([0, 3, 3, 8]), np.array([0, 1, 8]), np.array([0, 8])]


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("options", [{}, {"padding_idx": 3}, {"max_norm": 1.0},
                                     {"include_last_offset": True},
                                     {"include_last_offset": True, "padding_idx": 0}])
def test_embedding_bag_matches_torch(mode: str, options: dict[str, Any]) -> None:
    cases: list[tuple[np.ndarray, np.ndarray | None]] = [(FLAT, offsets) for offsets in (
        CSR_OFFSETS if options.get("include_last_offset") else OFFSETS)]
    if not options.get("include_last_offset"):
        cases.append((BAGS_2D, None))
    for indices, offsets in cases:
        def ours(w: Any, i: np.ndarray = indices, o: Any = offsets) -> Any:
            return F.embedding_bag(mu.constant(i), w, None if o is None else mu.constant(o),
                                   mode=mode, **options)

        def theirs(w: Any, i: np.ndarray = indices, o: Any = offsets) -> Any:
            return TF.embedding_bag(torch.tensor(i), w, None if o is None else torch.tensor(o),
                                    mode=mode, **options)

        _compare_lookup(ours, theirs, _table())


def test_embedding_bag_follows_its_definition_where_torch_2_13_does_not() -> None:
    """PyTorch 2.13's CPU kernel scales ``scale_grad_by_freq`` gradients by the count of
    another index (pytorch/pytorch#190063) and folds indices after a last offset shorter than
    the input into the last bag in some modes (#190062); mushin follows the documentation:
    each row's gradient divided by its index's count, and such indices in no bag."""
    table = _table()
    for mode in ("sum", "mean"):
        weight, reference = mu.variable(table), mu.variable(table)
        bags = F.embedding_bag(mu.constant(FLAT), weight, mu.constant(OFFSETS[0]), mode=mode,
                               scale_grad_by_freq=True)
        rows = F.embedding(mu.constant(FLAT), reference, scale_grad_by_freq=True)
        sizes = np.diff(np.append(OFFSETS[0], len(FLAT)))
        scale = np.repeat(1 / np.maximum(sizes, 1), sizes) if mode == "mean" else 1.0
        np.testing.assert_allclose(bags.numpy(), np.stack([
            table[FLAT[start:start + size]].sum(0) * (1 / size if mode == "mean" else 1)
            if size else np.zeros(4) for start, size in zip(OFFSETS[0], sizes, strict=True)]),
            rtol=1e-12)
        bags.sum().backward()
        (rows * mu.constant(np.broadcast_to(np.asarray(scale)[..., None] if mode == "mean"
                                            else 1.0, rows.shape))).sum().backward()
        np.testing.assert_allclose(weight.grad().numpy(), reference.grad().numpy(), rtol=1e-12)
    trailing = F.embedding_bag(mu.constant(FLAT), mu.constant(table),
                               mu.constant(np.array([0, 3, 5])), mode="mean",
                               include_last_offset=True)
    np.testing.assert_allclose(trailing.numpy(), [table[FLAT[:3]].mean(0),
                                                  table[FLAT[3:5]].mean(0)], rtol=1e-12)


@pytest.mark.parametrize("options", [{}, {"padding_idx": 1}, {"include_last_offset": True}])
def test_embedding_bag_per_sample_weights_match_torch(options: dict[str, Any]) -> None:
    weights = np.random.default_rng(3).standard_normal(FLAT.shape)
    offsets = CSR_OFFSETS[0] if options.get("include_last_offset") else OFFSETS[0]
    _compare_lookup(
        lambda w, s: F.embedding_bag(mu.constant(FLAT), w, mu.constant(offsets), mode="sum",
                                     per_sample_weights=s, **options),
        lambda w, s: TF.embedding_bag(torch.tensor(FLAT), w, torch.tensor(offsets),
                                      mode="sum", per_sample_weights=s, **options),
        _table(), [weights])
    weights = np.random.default_rng(4).standard_normal(BAGS_2D.shape)
    _compare_lookup(
        lambda w, s: F.embedding_bag(mu.constant(BAGS_2D), w, mode="sum",
                                     per_sample_weights=s),
        lambda w, s: TF.embedding_bag(torch.tensor(BAGS_2D), w, mode="sum",
                                      per_sample_weights=s), _table(), [weights])


def test_embedding_layer_matches_torch() -> None:
    mu.seed(0)
    ours = nn.Embedding(50, 6, padding_idx=2, dtype="float64")
    theirs = torch.nn.Embedding(50, 6, padding_idx=2, dtype=torch.float64)
    assert [(name, value.shape) for name, value in ours.state_dict().items()] == [
        ("weight", (50, 6))]
    np.testing.assert_array_equal(ours.weight.numpy()[2], 0.0)
    copy_parameters(ours, theirs)
    result, expected = ours(mu.constant(INDICES)), theirs(torch.tensor(INDICES))
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy())
    result.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.weight.grad().numpy(), theirs.weight.grad.numpy())
    assert_same_state(ours, theirs)
    for options in ({}, {"padding_idx": 0, "max_norm": 2.0}, {"norm_type": 1.0,
                                                             "scale_grad_by_freq": True},
                    {"sparse": True}):
        assert repr(nn.Embedding(5, 3, **options)) == repr(torch.nn.Embedding(5, 3, **options))


def test_embedding_bag_layer_matches_torch() -> None:
    ours = nn.EmbeddingBag(10, 4, mode="max", padding_idx=0, dtype="float64")
    theirs = torch.nn.EmbeddingBag(10, 4, mode="max", padding_idx=0, dtype=torch.float64)
    np.testing.assert_array_equal(ours.weight.numpy()[0], 0.0)
    copy_parameters(ours, theirs)
    result = ours(mu.constant(FLAT), mu.constant(OFFSETS[0]))
    expected = theirs(torch.tensor(FLAT), torch.tensor(OFFSETS[0]))
    np.testing.assert_allclose(result.numpy(), expected.detach().numpy())
    result.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.weight.grad().numpy(), theirs.weight.grad.numpy())
    assert_same_state(ours, theirs)
    weights = np.random.default_rng(1).standard_normal(FLAT.shape)
    summed = nn.EmbeddingBag.from_pretrained(_table(), mode="sum")
    expected = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(_table()), mode="sum")(
        torch.tensor(FLAT), torch.tensor(OFFSETS[1]), torch.tensor(weights))
    found = summed(mu.constant(FLAT), mu.constant(OFFSETS[1]), mu.constant(weights))
    np.testing.assert_allclose(found.numpy(), expected.numpy(), rtol=1e-12)
    for options in ({}, {"mode": "sum", "padding_idx": 1}, {"max_norm": 1.0, "norm_type": 1.0,
                                                            "scale_grad_by_freq": True}):
        assert repr(nn.EmbeddingBag(5, 3, **options)) == repr(
            torch.nn.EmbeddingBag(5, 3, **options))


def test_from_pretrained_copies_and_freezes() -> None:
    table = _table(4, 3)
    layer = nn.Embedding.from_pretrained(mu.constant(table), padding_idx=1)
    assert layer.padding_idx == 1 and layer.weight.shape == (4, 3)
    table[0] = 0  # a copy: the layer keeps its values
    assert layer.weight.numpy()[0].any()
    assert isinstance(layer(mu.constant(np.array([0, 2]))), mu.Constant)
    trained = nn.Embedding.from_pretrained(_table(4, 3), freeze=False)
    assert isinstance(trained(mu.constant(np.array([0, 2]))), mu.Variable)
    assert isinstance(nn.Embedding(4, 3, _weight=_table(4, 3), _freeze=True)(
        mu.constant(np.array([1]))), mu.Constant)
    np.testing.assert_array_equal(nn.Embedding(4, 3, _weight=_table(4, 3)).weight.numpy(),
                                  _table(4, 3))


def test_errors_name_the_problem() -> None:
    weight = mu.variable(_table())
    with pytest.raises(IndexError, match=r"embedding: indices must lie in \[0, 10\), got "
                                         r"values from 0 to 10"):
        F.embedding(mu.constant(np.array([0, 10])), weight)
    with pytest.raises(TypeError, match="embedding: indices must be integers"):
        F.embedding(mu.constant(np.array([0.0])), weight)
    with pytest.raises(mu.ShapeError, match=r"embedding: expected a weight of shape"):
        F.embedding(mu.constant(np.array([0])), mu.variable(np.ones(3)))
    with pytest.raises(ValueError, match=r"embedding: padding_idx must be an int in \[-10, 10\)"):
        F.embedding(mu.constant(np.array([0])), weight, padding_idx=10)
    with pytest.raises(ValueError, match="embedding: max_norm must be a non-negative number"):
        F.embedding(mu.constant(np.array([0])), weight, max_norm=-1.0)
    with pytest.raises(ValueError, match="embedding_bag: mode must be 'sum', 'mean' or 'max'"):
        F.embedding_bag(mu.constant(BAGS_2D), weight, mode="min")
    with pytest.raises(ValueError, match="embedding_bag: offsets must be None when the input"):
        F.embedding_bag(mu.constant(BAGS_2D), weight, mu.constant(np.array([0])))
    with pytest.raises(ValueError, match="embedding_bag: offsets must be given"):
        F.embedding_bag(mu.constant(FLAT), weight)
    with pytest.raises(ValueError, match=r"embedding_bag: offsets\[0\] must be 0, got 1"):
        F.embedding_bag(mu.constant(FLAT), weight, mu.constant(np.array([1, 2])))
    with pytest.raises(ValueError, match="embedding_bag: offsets must be non-decreasing"):
        F.embedding_bag(mu.constant(FLAT), weight, mu.constant(np.array([0, 9])))
    with pytest.raises(ValueError, match="per_sample_weights is only supported for mode='sum'"):
        F.embedding_bag(mu.constant(BAGS_2D), weight, per_sample_weights=np.ones((3, 3)))
    with pytest.raises(mu.ShapeError, match=r"per_sample_weights must have the input's shape"):
        F.embedding_bag(mu.constant(BAGS_2D), weight, mode="sum",
                        per_sample_weights=np.ones(3))
    with pytest.raises(mu.ShapeError, match=r"embedding_bag: expected a 1-D input"):
        F.embedding_bag(mu.constant(np.zeros((2, 2, 2), dtype=np.int64)), weight)
    with pytest.raises(ValueError, match="mode='max' does not support scale_grad_by_freq"):
        F.embedding_bag(mu.constant(BAGS_2D), weight, mode="max", scale_grad_by_freq=True)
    with pytest.raises(ValueError, match="EmbeddingBag: mode must be"):
        nn.EmbeddingBag(3, 2, mode="median")
    with pytest.raises(ValueError, match="Embedding: embedding_dim must be a non-negative int"):
        nn.Embedding(3, -2)
    with pytest.raises(ValueError, match=r"Embedding: _weight must have shape \(3, 2\)"):
        nn.Embedding(3, 2, _weight=np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"EmbeddingBag.from_pretrained: embeddings must be 2-D"):
        nn.EmbeddingBag.from_pretrained(np.ones(3))


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    table = _table()
    results = {}
    for where in ("cpu", device):
        layers = [nn.Embedding(10, 4, padding_idx=1, max_norm=3.0, _weight=table),
                  nn.EmbeddingBag(10, 4, mode="max", _weight=table),
                  nn.EmbeddingBag(10, 4, mode="mean", padding_idx=3, _weight=table)]
        for layer in layers:
            layer.to(where)
        outputs = [layers[0](mu.constant(INDICES, device=where)),
                   layers[1](mu.constant(FLAT, device=where),
                             mu.constant(OFFSETS[0], device=where)),
                   layers[2](mu.constant(BAGS_2D, device=where))]
        weights = [np.random.default_rng(7).standard_normal(output.shape)
                   for output in outputs]
        for output, cotangent in zip(outputs, weights, strict=True):
            assert output.device == where
            (output * mu.constant(cotangent, device=where)).sum().backward()
        results[where] = [*(output.numpy() for output in outputs),
                          *(layer.weight.grad().numpy() for layer in layers),
                          layers[0].weight.numpy()]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-12, atol=1e-14)
