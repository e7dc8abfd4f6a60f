"""mu.utils.data against torch.utils.data: datasets, samplers, collation, DataLoader, errors."""

from __future__ import annotations

import inspect
from collections import namedtuple
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.utils.data as data

torch = pytest.importorskip("torch")
tdata = torch.utils.data

FEATURES = np.arange(30, dtype=np.float32).reshape(10, 3)
LABELS = np.arange(10, dtype=np.int64) % 3


def _plain(value: Any) -> Any:
    """Batches of either library as nested lists / arrays, to compare them."""
    if isinstance(value, mu.Tensor):
        return ("tensor", value.numpy().dtype.str, value.numpy().tolist())
    if isinstance(value, torch.Tensor):
        return ("tensor", value.numpy().dtype.str, value.numpy().tolist())
    if isinstance(value, dict):
        return {key: _plain(field) for key, field in value.items()}
    if isinstance(value, list | tuple):
        return [type(value).__name__, *(_plain(field) for field in value)]
    return value


def _same(mine: data.DataLoader, theirs: Any) -> None:
    assert len(mine) == len(theirs)
    mine_batches = [_plain(batch) for batch in mine]
    their_batches = [_plain(batch) for batch in theirs]
    assert mine_batches == their_batches
    assert len(mine_batches) == len(mine)


@pytest.mark.parametrize("batch_size", [1, 3, 4, 5, 10, 12])
@pytest.mark.parametrize("drop_last", [False, True])
def test_tensor_dataset_batches_match_torch(batch_size: int, drop_last: bool) -> None:
    mine = data.DataLoader(data.TensorDataset(mu.constant(FEATURES), LABELS),
                           batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(
        tdata.TensorDataset(torch.from_numpy(FEATURES), torch.from_numpy(LABELS)),
        batch_size=batch_size, drop_last=drop_last)
    _same(mine, theirs)
    for features, labels in mine:
        assert isinstance(features, mu.Constant)
        assert features.dtype == np.float32
        assert labels.dtype == np.int64


class _Samples(data.Dataset[Any]):
    """Samples of every kind default_collate joins."""

    def __init__(self, make: Any) -> None:
        self.make = make

    def __getitem__(self, index: int) -> Any:
        return self.make(index)

    def __len__(self) -> int:
        return 7


Point = namedtuple("Point", ["x", "y"])

SAMPLES = {
    "dict": lambda i: {"x": FEATURES[i], "y": int(LABELS[i]), "name": f"s{i}"},
    "tuple": lambda i: (FEATURES[i], float(i) / 2, bool(i % 2)),
    "list": lambda i: [FEATURES[i], [i, i + 1]],
    "numpy_scalar": lambda i: np.float32(i),
    "namedtuple": lambda i: Point(FEATURES[i], i),
    "nested_dict": lambda i: {"a": {"b": FEATURES[i] * 2}, "c": (i, 1.5)},
}


def _torch_sample(value: Any) -> Any:
    """The same sample with torch tensors where mushin's has mushin tensors."""
    if isinstance(value, mu.Tensor):
        return torch.from_numpy(value.numpy().copy())
    return value


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize(("batch_size", "drop_last"), [(2, False), (2, True), (3, False)])
def test_samples_collate_as_torch(kind: str, batch_size: int, drop_last: bool) -> None:
    make = SAMPLES[kind]
    mine = data.DataLoader(_Samples(make), batch_size=batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(_Samples(make), batch_size=batch_size, drop_last=drop_last)
    _same(mine, theirs)


def test_mushin_tensor_samples_stack() -> None:
    tensors = [mu.constant(FEATURES[i]) for i in range(10)]
    mine = data.DataLoader(tensors, batch_size=4)
    theirs = tdata.DataLoader([torch.from_numpy(FEATURES[i]) for i in range(10)], batch_size=4)
    _same(mine, theirs)


def test_custom_collate_fn() -> None:
    def collate(batch: list[Any]) -> Any:
        return sum(int(label) for _, label in batch), len(batch)

    dataset = [(FEATURES[i], LABELS[i]) for i in range(10)]
    mine = data.DataLoader(dataset, batch_size=3, collate_fn=collate)
    theirs = tdata.DataLoader(dataset, batch_size=3, collate_fn=collate)
    assert list(mine) == list(theirs)
    # A custom collate_fn on a TensorDataset sees the samples (no fast path)
    seen = list(data.DataLoader(data.TensorDataset(FEATURES, LABELS), batch_size=4,
                                collate_fn=len))
    assert seen == [4, 4, 2]


def test_batch_size_none_and_batch_sampler() -> None:
    dataset = data.TensorDataset(FEATURES, LABELS)
    samples = list(data.DataLoader(dataset, batch_size=None))
    assert len(samples) == 10
    np.testing.assert_array_equal(samples[3][0].numpy(), FEATURES[3])
    sampler = data.BatchSampler(data.SequentialSampler(range(10)), 4, drop_last=False)
    loader = data.DataLoader(dataset, batch_sampler=sampler)
    assert len(loader) == 3
    assert [len(x) for x, _ in loader] == [4, 4, 2]
    theirs = tdata.BatchSampler(tdata.SequentialSampler(range(10)), 4, drop_last=True)
    mine = data.BatchSampler(data.SequentialSampler(range(10)), 4, drop_last=True)
    assert list(mine) == list(theirs)
    assert len(mine) == len(theirs)


def test_batches_are_copies() -> None:
    features = FEATURES.copy()
    loader = data.DataLoader(data.TensorDataset(features, LABELS), batch_size=4)
    for batch, _ in loader:
        values = batch.numpy()
        values /= 2  # the caller changes its batch in place
    np.testing.assert_array_equal(features, FEATURES)
    first = next(iter(loader))[0].numpy()
    np.testing.assert_array_equal(first, FEATURES[:4])
    rows = [np.array(row) for row in FEATURES]
    for batch in data.DataLoader(rows, batch_size=5):
        batch.numpy()[...] = 0
    np.testing.assert_array_equal(np.stack(rows), FEATURES)


def test_shuffle_covers_every_sample_and_follows_seed() -> None:
    dataset = data.TensorDataset(FEATURES, LABELS)
    loader = data.DataLoader(dataset, batch_size=3, shuffle=True)
    assert len(loader) == 4

    def epoch() -> list[int]:
        return [int(row[0]) // 3 for features, _ in loader for row in features.numpy()]

    mu.seed(3)
    first = epoch()
    assert sorted(first) == list(range(10))
    mu.seed(3)
    assert epoch() == first
    sampler = data.RandomSampler(range(10), replacement=True, num_samples=25)
    assert len(list(sampler)) == 25 == len(sampler)
    assert all(0 <= i < 10 for i in sampler)
    assert len(list(data.RandomSampler(range(4), num_samples=10))) == 10


def test_dataset_classes() -> None:
    dataset = data.TensorDataset(FEATURES, mu.constant(LABELS))
    assert len(dataset) == 10
    row, label = dataset[-1]
    np.testing.assert_array_equal(row.numpy(), FEATURES[-1])
    assert int(label.item()) == LABELS[-1]
    subset = data.Subset(dataset, [4, 2])
    assert len(subset) == 2
    np.testing.assert_array_equal(subset[1][0].numpy(), FEATURES[2])
    joined = data.Subset(dataset, [0]) + data.Subset(dataset, [5, 6])
    assert isinstance(joined, data.ConcatDataset)
    assert len(joined) == 3
    np.testing.assert_array_equal(joined[2][0].numpy(), FEATURES[6])
    np.testing.assert_array_equal(joined[-3][0].numpy(), FEATURES[0])

    class Stream(data.IterableDataset[int]):
        def __iter__(self) -> Any:
            return iter(range(7))

    mine = [batch.numpy().tolist() for batch in data.DataLoader(Stream(), batch_size=3)]
    assert mine == [[0, 1, 2], [3, 4, 5], [6]]


@pytest.mark.parametrize("lengths", [[3, 7], [0.3, 0.7], [0.5, 0.25, 0.25], [0.33, 0.33, 0.34],
                                     [1, 1, 8], [0.1] * 10])
def test_random_split_sizes_as_torch(lengths: list[Any]) -> None:
    dataset = data.TensorDataset(FEATURES)
    mine = data.random_split(dataset, lengths)
    theirs = tdata.random_split(range(10), lengths)
    assert [len(part) for part in mine] == [len(part) for part in theirs]
    indices = [i for part in mine for i in part.indices]
    assert sorted(indices) == list(range(10))


def test_random_split_is_reproducible() -> None:
    dataset = list(range(50))
    mu.seed(7)
    first = [list(part.indices) for part in data.random_split(dataset, [20, 30])]
    mu.seed(7)
    assert [list(part.indices) for part in data.random_split(dataset, [20, 30])] == first
    again = [list(p.indices) for p in data.random_split(dataset, [20, 30],
                                                         np.random.default_rng(1))]
    assert again == [list(p.indices) for p in data.random_split(dataset, [20, 30],
                                                                np.random.default_rng(1))]
    mu.seed(7)
    part = data.random_split(dataset, [20, 30])[0]
    assert [part[i] for i in range(20)] == [dataset[i] for i in first[0]]


@pytest.mark.parametrize(("make", "error", "message"), [
    (lambda: data.TensorDataset(FEATURES, LABELS[:5]), ValueError, "TensorDataset: size"),
    (lambda: data.TensorDataset(), ValueError, "TensorDataset: "),
    (lambda: data.TensorDataset([1, 2]), TypeError, "TensorDataset: tensor 0"),
    (lambda: data.TensorDataset(np.float32(1)), ValueError, "TensorDataset: tensor 0"),
    (lambda: data.TensorDataset(FEATURES)[10], IndexError, "TensorDataset: index"),
    (lambda: data.DataLoader(range(3), batch_size=0), ValueError, "DataLoader: batch_size"),
    (lambda: data.DataLoader(range(3), shuffle=True, sampler=range(3)), ValueError,
     "DataLoader: sampler"),
    (lambda: data.DataLoader(range(3), batch_size=2, batch_sampler=[[0]]), ValueError,
     "DataLoader: batch_sampler"),
    (lambda: data.DataLoader(range(3), num_workers=-1), ValueError, "DataLoader: num_workers"),
    (lambda: data.DataLoader(range(3), drop_last=1), TypeError, "DataLoader: drop_last"),
    (lambda: data.DataLoader(range(3), collate_fn=3), TypeError, "DataLoader: collate_fn"),
    (lambda: len(data.DataLoader(range(3), batch_sampler=iter([[0]]))), TypeError,
     "DataLoader: "),
    (lambda: data.random_split(range(10), [3, 3]), ValueError, "random_split: "),
    (lambda: data.random_split(range(10), [0.5, 0.2]), ValueError, "random_split: "),
    (lambda: data.random_split(range(10), [5, 5], generator=3), TypeError, "random_split: "),
    (lambda: list(data.DataLoader([np.zeros(2), np.zeros(3)], batch_size=2)), RuntimeError,
     "default_collate: "),
    (lambda: list(data.DataLoader([object(), object()], batch_size=2)), TypeError,
     "default_collate: "),
    (lambda: data.BatchSampler(range(3), 0, False), ValueError, "BatchSampler: "),
    (lambda: data.Dataset()[0], NotImplementedError, "Dataset must define"),
])
def test_errors_are_named(make: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        make()


def test_old_loader_still_works() -> None:
    batches = list(mu.data.DataLoader((FEATURES, LABELS), 4))
    assert [len(x) for x, _ in batches] == [4, 4, 2]


def test_every_public_name_has_a_docstring() -> None:
    missing = []
    for name in data.__all__:
        value = getattr(data, name)
        if not (inspect.getdoc(value) or "").strip():
            missing.append(name)
        if inspect.isclass(value):
            missing.extend(f"{name}.{attribute}" for attribute, member in vars(value).items()
                           if not attribute.startswith("_") and callable(member)
                           and not (inspect.getdoc(member) or "").strip())
    assert not missing
