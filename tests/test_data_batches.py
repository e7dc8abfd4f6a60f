"""Both loaders (``mu.data`` and ``mu.utils.data``): a batch changed in place never reaches the
data set or a later epoch, and making a loader copies no data set.

A batch is changed the ways a training loop changes it: through the engine's in-place path
(``writable``, which the in-place tensor methods use), and through ``batch.mul_(2)`` and
``batch[0] = 0`` where the tensors have those methods.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.utils.data as data
from mushin._tensor import storage, writable

FEATURES = np.arange(40, dtype=np.float32).reshape(10, 4)
LABELS = np.arange(10, dtype=np.int64) % 3


def _change_in_place(batch: Any) -> None:
    """Change every value of ``batch`` in place, as a training loop may (normalising it)."""
    writable(batch)[...] *= 2
    if hasattr(batch, "mul_"):
        batch.mul_(2)
    if hasattr(batch, "__setitem__") and batch.ndim:
        batch[0] = 0


def _corrupt_one_epoch(loader: Iterable[Any]) -> None:
    for batch in loader:
        for tensor in batch:
            _change_in_place(tensor)


def _rows_seen(loader: Iterable[Any]) -> np.ndarray:
    """Every feature row of one epoch, in the order given, sorted back when shuffled."""
    rows = np.concatenate([np.atleast_2d(batch[0].numpy()) for batch in loader])
    return rows[np.argsort(rows[:, 0])]


LOADERS: dict[str, Callable[[np.ndarray, np.ndarray], Iterable[Any]]] = {
    "data in order": lambda x, y: mu.data.DataLoader((x, y), 4),
    "data in order, drop_last": lambda x, y: mu.data.DataLoader((x, y), 3, drop_last=True),
    "data one batch": lambda x, y: mu.data.DataLoader((x, y), 10),
    "data shuffled": lambda x, y: mu.data.DataLoader((x, y), 4, shuffle=True),
    "data of tensors": lambda x, y: mu.data.DataLoader((mu.from_numpy(x), mu.from_numpy(y)), 4),
    "data of a Variable": lambda x, y: mu.data.DataLoader(
        (mu.tensor(x, requires_grad=True), y), 4),
    "data to the cpu": lambda x, y: mu.data.DataLoader((x, y), 4, device="cpu"),
    "utils in order": lambda x, y: data.DataLoader(data.TensorDataset(x, y), batch_size=4),
    "utils shuffled": lambda x, y: data.DataLoader(data.TensorDataset(x, y), batch_size=4,
                                                   shuffle=True),
    "utils of tensors": lambda x, y: data.DataLoader(
        data.TensorDataset(mu.from_numpy(x), mu.from_numpy(y)), batch_size=4),
    "utils unbatched": lambda x, y: data.DataLoader(data.TensorDataset(x, y), batch_size=None),
    "utils subset": lambda x, y: data.DataLoader(
        data.Subset(data.TensorDataset(x, y), list(range(10))), batch_size=4),
}


@pytest.mark.parametrize("name", LOADERS)
def test_a_batch_changed_in_place_leaves_the_data_and_later_epochs_alone(name: str) -> None:
    mu.seed(0)
    features, labels = FEATURES.copy(), LABELS.copy()
    loader = LOADERS[name](features, labels)
    _corrupt_one_epoch(loader)
    np.testing.assert_array_equal(features, FEATURES)
    np.testing.assert_array_equal(labels, LABELS)
    seen = _rows_seen(loader)
    np.testing.assert_array_equal(seen, FEATURES[:len(seen)])


def test_a_dataset_returning_views_still_gives_batches_of_their_own() -> None:
    class Rows(data.Dataset[Any]):
        """Samples that are views of the data set's array (as a NumPy-backed dataset's are)."""

        def __init__(self, array: np.ndarray) -> None:
            self.array = array

        def __getitem__(self, index: int) -> Any:
            return mu.from_numpy(self.array[index]), self.array[index]

        def __len__(self) -> int:
            return len(self.array)

    features = FEATURES.copy()
    loader = data.DataLoader(Rows(features), batch_size=4)
    _corrupt_one_epoch(loader)
    np.testing.assert_array_equal(features, FEATURES)


def test_device_batches_are_their_own(device: str) -> None:
    on_device = mu.tensor(FEATURES, device=device)
    for loader in (mu.data.DataLoader((on_device,), 4),
                   mu.data.DataLoader((FEATURES.copy(),), 4, device=device),
                   mu.data.DataLoader((on_device,), 4, shuffle=True)):
        _corrupt_one_epoch(loader)
        assert all(batch.device == device for batch, in loader)
        np.testing.assert_array_equal(on_device.numpy(), FEATURES)
        np.testing.assert_array_equal(_rows_seen(loader), FEATURES)


def test_batches_of_a_read_only_array_can_be_changed() -> None:
    # A memory map opened read-only, or x.array(), is batched into arrays the caller owns.
    features = FEATURES.copy()
    features.flags.writeable = False
    for batch, in mu.data.DataLoader((features,), 4):
        _change_in_place(batch)
        assert storage(batch).flags.writeable


# --- memory: the data set is kept, not copied ---------------------------------------------------

BIG = np.ones((2**17, 16), dtype=np.float32)  # 8 MiB
"""A data set far larger than everything else a loader allocates."""


def _peak_bytes(make: Callable[[], Any]) -> tuple[Any, int]:
    """What ``make()`` returns, and the most memory it held at once (NumPy's included)."""
    tracemalloc.start()
    try:
        made = make()
        return made, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_making_a_loader_copies_no_data() -> None:
    labels = np.zeros(len(BIG), dtype=np.int64)
    loader, peak = _peak_bytes(lambda: mu.data.DataLoader((BIG, labels), 64))
    assert loader.arrays[0] is BIG and loader.arrays[1] is labels
    assert peak < 2**20, f"making the loader allocated {peak} bytes"
    tensor = mu.from_numpy(BIG)
    loader = mu.data.DataLoader((tensor,), 64, shuffle=True)
    assert loader.arrays[0] is storage(tensor)
    torch_style, peak = _peak_bytes(
        lambda: data.DataLoader(data.TensorDataset(tensor, labels), batch_size=64, shuffle=True))
    assert peak < 2**20, f"making the loader allocated {peak} bytes"
    assert torch_style.dataset.tensors[0] is tensor


@pytest.mark.parametrize("shuffle", [False, True])
def test_an_epoch_holds_a_batch_at_a_time(shuffle: bool) -> None:
    # Each batch is copied, but only one is alive at once: an epoch needs a few batches of
    # memory (an index permutation when shuffled), never another copy of the data set.
    def epoch() -> int:
        count = 0
        for batch, in mu.data.DataLoader((BIG,), 64, shuffle=shuffle):
            count += len(batch)
        return count

    count, peak = _peak_bytes(epoch)
    assert count == len(BIG)
    assert peak < 2 * 2**20, f"an epoch allocated {peak} bytes at its peak"
