"""DataLoader: batches in order and shuffled, lengths, dtypes, devices and errors."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.data import DataLoader

FEATURES = np.arange(30, dtype=np.float64).reshape(10, 3)
LABELS = np.arange(10) % 3


@pytest.mark.parametrize(("batch_size", "drop_last", "sizes"), [
    (4, False, [4, 4, 2]), (4, True, [4, 4]), (5, False, [5, 5]), (5, True, [5, 5]),
    (1, False, [1] * 10), (10, False, [10]), (12, False, [10]), (12, True, []),
])
def test_batches_in_order(batch_size: int, drop_last: bool, sizes: list[int]) -> None:
    loader = DataLoader((FEATURES, LABELS), batch_size, drop_last=drop_last)
    assert len(loader) == len(sizes)
    batches = list(loader)
    assert [len(features) for features, _ in batches] == sizes
    start = 0
    for features, labels in batches:
        assert isinstance(features, mu.Constant)
        assert isinstance(labels, mu.Constant)
        stop = start + len(features)
        np.testing.assert_array_equal(features.numpy(), FEATURES[start:stop])
        np.testing.assert_array_equal(labels.numpy(), LABELS[start:stop])
        start = stop


def test_dtypes_are_kept() -> None:
    loader = DataLoader([FEATURES.astype(np.float32), LABELS.astype(np.int32), FEATURES,
                         [[0.5]] * 10, list(range(10)), np.ones(10, dtype=bool)], 4)
    features32, labels, features64, float_list, int_list, mask = next(iter(loader))
    assert features32.dtype == np.float32
    assert labels.dtype == np.int32
    assert features64.dtype == np.float64
    assert float_list.dtype == np.float32  # Python floats become float32, as mu.constant
    assert int_list.dtype.kind == "i"
    assert mask.dtype == np.bool_


def test_tensors_are_accepted() -> None:
    loader = DataLoader([mu.variable(FEATURES.copy()), mu.constant(LABELS)], 6)
    features, labels = next(iter(loader))
    assert isinstance(features, mu.Constant)
    np.testing.assert_array_equal(features.numpy(), FEATURES[:6])
    np.testing.assert_array_equal(labels.numpy(), LABELS[:6])


def _epoch(loader: DataLoader) -> list[np.ndarray]:
    """One epoch, each array's batches joined back together."""
    batches = list(loader)
    return [np.concatenate([batch[position].numpy() for batch in batches])
            for position in range(len(loader.arrays))]


def _original_rows(features: np.ndarray) -> np.ndarray:
    """Where each row of FEATURES came from (row i starts with 3 i)."""
    return (features[:, 0] / 3).astype(int)


def test_shuffle_is_a_permutation_that_keeps_rows_together() -> None:
    mu.seed(5)
    features, labels = _epoch(DataLoader((FEATURES, LABELS), 3, shuffle=True))
    rows = _original_rows(features)
    assert sorted(rows) == list(range(10))
    assert list(rows) != list(range(10))
    np.testing.assert_array_equal(features, FEATURES[rows])
    np.testing.assert_array_equal(labels, LABELS[rows])


def test_shuffle_is_reproducible_and_new_each_epoch() -> None:
    loader = DataLoader((FEATURES,), 4, shuffle=True)
    mu.seed(1)
    first, second = _epoch(loader)[0], _epoch(loader)[0]
    mu.seed(1)
    assert np.array_equal(_epoch(loader)[0], first)
    assert np.array_equal(_epoch(loader)[0], second)
    assert not np.array_equal(first, second)


def test_shuffle_with_drop_last() -> None:
    mu.seed(2)
    loader = DataLoader((FEATURES,), 4, shuffle=True, drop_last=True)
    features = _epoch(loader)[0]
    assert features.shape == (8, 3)
    assert len(set(features[:, 0])) == 8


def test_device_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent))
    with importlib.import_module("fake_cupy").registered() as device:
        features, labels = next(iter(DataLoader((FEATURES, LABELS), 4, device=device)))
        assert features.device == device and labels.device == device
        assert labels.dtype == LABELS.dtype
        np.testing.assert_array_equal(features.numpy(), FEATURES[:4])
        # Without device=, each batch stays where its array is (shuffled on the device).
        mu.seed(3)
        loader = DataLoader((mu.constant(FEATURES, device=device), LABELS), 4, shuffle=True)
        batches = list(loader)
        assert all(features.device == device for features, _ in batches)
        assert all(labels.device == "cpu" for _, labels in batches)
        all_features, all_labels = _epoch(loader)
        np.testing.assert_array_equal(all_labels, LABELS[_original_rows(all_features)])


@pytest.mark.parametrize(("args", "kwargs", "error", "message"), [
    ((FEATURES, 2), {}, TypeError, r"wrap a single array in a tuple"),
    ((mu.constant(FEATURES), 2), {}, TypeError, r"wrap a single array"),
    (((), 2), {}, ValueError, "arrays is empty"),
    (((FEATURES, LABELS[:9]), 2), {}, ValueError, r"same length along axis 0.*\[10, 9\]"),
    (((FEATURES, np.array(3.0)), 2), {}, ValueError, "array 1 is a scalar"),
    (((FEATURES,), 0), {}, ValueError, "batch_size must be at least 1"),
    (((FEATURES,), 2.0), {}, TypeError, "batch_size must be an int"),
    (((FEATURES,), True), {}, TypeError, "batch_size must be an int"),
    (((FEATURES,), 2), {"shuffle": "yes"}, TypeError, "shuffle must be True or False"),
    (((FEATURES,), 2), {"device": "tpu"}, ValueError, "unknown device"),
    (((FEATURES, [["a"]] * 10), 2), {}, TypeError, "DataLoader: array 1: cannot make a tensor"),
    (((FEATURES, [[1.0], [2.0, 3.0]]), 2), {}, ValueError,
     "DataLoader: array 1: .*setting an array element"),
    (((np.array(["a", "b"]),), 2), {}, TypeError, "DataLoader: array 0 has dtype <U1"),
    (((np.array([1 + 1j]),), 2), {}, TypeError, "array 0 has dtype complex128"),
    (((np.array([None, 1]),), 2), {}, TypeError, "array 0 has dtype object"),
])
def test_bad_arguments(args: tuple[Any, ...], kwargs: dict[str, Any], error: type[Exception],
                       message: str) -> None:
    with pytest.raises(error, match=message):
        DataLoader(*args, **kwargs)
