"""Datasets, samplers and a ``DataLoader`` with PyTorch's API (``torch.utils.data``).

    dataset = mu.utils.data.TensorDataset(features, labels)
    train, test = mu.utils.data.random_split(dataset, [0.8, 0.2])
    loader = mu.utils.data.DataLoader(train, batch_size=64, shuffle=True)
    for feature_batch, label_batch in loader:     # Constants
        ...

A dataset is anything with ``__getitem__`` and ``__len__``; a sampler yields its indices
(in order, or shuffled from mushin's random generator, so reproducible under ``mu.seed``); a
batch sampler groups them; ``collate_fn`` (by default :func:`default_collate`) joins each
group of samples into a batch. Batches are always new arrays, never views of a dataset's
storage: changing one in place changes no later epoch. Samples are loaded in this process;
``num_workers`` is accepted for compatibility and changes nothing but speed (none).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast

import numpy as np

from mushin._backend import CPU, Array, backend_of
from mushin._check import is_int, is_number
from mushin._random import generator as _mushin_generator
from mushin._tensor import Constant, Tensor, new_constant, unwrap

__all__ = [
    "BatchSampler", "ConcatDataset", "DataLoader", "Dataset", "IterableDataset",
    "RandomSampler", "Sampler", "SequentialSampler", "Subset", "TensorDataset",
    "default_collate", "random_split",
]

T_co = TypeVar("T_co", covariant=True)
Batch = Constant[*tuple[Any, ...]]


# --- datasets -------------------------------------------------------------------------------

class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses define ``__getitem__(index)`` and ``__len__()``.

    ``dataset_a + dataset_b`` is their :class:`ConcatDataset`.
    """

    def __getitem__(self, index: int) -> T_co:
        """The sample at ``index``; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset[T_co]) -> ConcatDataset[T_co]:
        """The samples of ``self`` followed by those of ``other``."""
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co]):
    """A dataset read as a stream: subclasses define ``__iter__``; a ``DataLoader`` batches
    what it yields, in order (no sampler, no shuffling)."""

    def __iter__(self) -> Iterator[T_co]:
        """The samples in order; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


def _rows(name: str, position: int, tensor: object) -> Array:
    """The backend array behind a tensor or array ``tensor``, which needs a first axis."""
    array: Any = tensor
    if isinstance(tensor, Tensor):
        array = unwrap(tensor)
    elif not (hasattr(tensor, "shape") and hasattr(tensor, "dtype")):
        raise TypeError(f"{name}: tensor {position} must be a mushin tensor or an array, got "
                        f"{type(tensor).__name__}")
    if array.ndim == 0:
        raise ValueError(f"{name}: tensor {position} is a scalar; every tensor needs a first "
                         "axis to index along")
    return array


class TensorDataset(Dataset[tuple[Batch, ...]]):
    """Rows of tensors with the same first size: sample ``i`` is the tuple of each tensor's
    row ``i`` (as ``Constant``\\ s, copies). ``tensors`` keeps the tensors given (mushin
    tensors or NumPy / CuPy arrays); nothing is copied when the dataset is made."""

    def __init__(self, *tensors: Any) -> None:
        """Check that every tensor has the same size along its first axis."""
        if not tensors:
            raise ValueError("TensorDataset: give at least one tensor")
        self.tensors: tuple[Any, ...] = tensors
        self._arrays = [_rows("TensorDataset", position, tensor)
                        for position, tensor in enumerate(tensors)]
        sizes = [int(array.shape[0]) for array in self._arrays]
        if len(set(sizes)) > 1:
            raise ValueError("TensorDataset: size mismatch between tensors: every tensor must "
                             f"have the same first size, got {sizes}")
        self._length = sizes[0]

    def __getitem__(self, index: Any) -> tuple[Batch, ...]:
        """Row ``index`` of each tensor (an int, or a slice / index list for several rows)."""
        if is_int(index) and not -self._length <= index < self._length:
            raise IndexError(f"TensorDataset: index {index} is out of range for "
                             f"{self._length} samples")
        # ``[index, ...]`` keeps a row of a 1-d array an array (``[index]`` gives a NumPy
        # scalar, which no tensor may hold: it could not be changed in place).
        return tuple(new_constant(array[index, ...].copy()) for array in self._arrays)

    def __len__(self) -> int:
        """The number of samples (the tensors' first size)."""
        return self._length

    def _batch(self, indices: Sequence[int]) -> list[Batch]:
        """The rows ``indices`` of each tensor, gathered at once (a new array each): what
        :func:`default_collate` makes of those samples (a list, as PyTorch's)."""
        order = np.asarray(indices, dtype=np.intp)
        found: list[Batch] = []
        for array in self._arrays:
            where = order if isinstance(array, np.ndarray) else backend_of(array).asarray(order)
            found.append(new_constant(array[where]))
        return found


class Subset(Dataset[T_co]):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i]`` is
    ``dataset[indices[i]]``."""

    def __init__(self, dataset: Dataset[T_co], indices: Sequence[int]) -> None:
        """Keep ``dataset`` and ``indices``; nothing is loaded."""
        self.dataset = dataset
        self.indices = indices

    def __getitem__(self, index: Any) -> Any:
        """``dataset[indices[index]]``; a list of indices gives a list of samples."""
        if isinstance(index, list):
            return [self.dataset[self.indices[i]] for i in cast("list[int]", index)]
        return self.dataset[self.indices[index]]

    def __len__(self) -> int:
        """The number of indices."""
        return len(self.indices)


class ConcatDataset(Dataset[T_co]):
    """The samples of several datasets, one after the other."""

    def __init__(self, datasets: Iterable[Dataset[T_co]]) -> None:
        """Keep the datasets (at least one; none iterable-style)."""
        self.datasets: list[Dataset[T_co]] = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError("ConcatDataset: does not support IterableDataset")
        self.cumulative_sizes: list[int] = []
        total = 0
        for dataset in self.datasets:
            total += _length("ConcatDataset", dataset)
            self.cumulative_sizes.append(total)

    def __len__(self) -> int:
        """The total number of samples."""
        return self.cumulative_sizes[-1]

    def __getitem__(self, index: int) -> T_co:
        """Sample ``index`` of the concatenation (negative indices count from the end)."""
        if index < 0:
            if -index > len(self):
                raise ValueError("ConcatDataset: absolute value of index should not exceed "
                                 "dataset length")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which else 0
        return self.datasets[which][index - start]


def _length(name: str, dataset: object) -> int:
    try:
        return len(cast("Sequence[object]", dataset))
    except TypeError:
        raise TypeError(f"{name}: the dataset has no length ({type(dataset).__name__} "
                        "defines no __len__)") from None


def _rng(name: str, generator: Any) -> Any:
    """``generator`` (a NumPy ``Generator``), or mushin's CPU generator by default."""
    if generator is None:
        return _mushin_generator(CPU)
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{name}: generator must be a numpy.random.Generator or None, got "
                        f"{type(generator).__name__}")
    return generator


def random_split(dataset: Dataset[T_co], lengths: Sequence[int | float],
                 generator: Any = None) -> list[Subset[T_co]]:
    """Split ``dataset`` at random into disjoint :class:`Subset`\\ s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)``, or fractions summing to 1 (each
    subset gets ``floor(fraction * len)`` samples, and the samples left over go one each to
    the first subsets, as PyTorch). The order is drawn from ``generator`` (a NumPy
    ``Generator``), by default mushin's, so it is reproducible under ``mu.seed``.
    """
    rng = _rng("random_split", generator)
    total = _length("random_split", dataset)
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if not all(is_number(length) and length >= 0 for length in lengths):
        raise ValueError(f"random_split: lengths must be non-negative numbers, got {lengths}")
    counts: list[int]
    if not all(is_int(length) for length in lengths) and abs(sum(lengths) - 1) < 1e-6:
        counts = [int(np.floor(total * fraction)) for fraction in lengths]
        for i in range(total - sum(counts)):
            counts[i % len(counts)] += 1
    elif all(is_int(length) for length in lengths):
        counts = [int(length) for length in lengths]
    else:
        raise ValueError("random_split: lengths must be integer counts, or fractions that sum "
                         f"to 1, got {lengths}")
    if sum(counts) != total:
        raise ValueError(f"random_split: the lengths sum to {sum(counts)}, but the dataset "
                         f"has {total} samples")
    order = [int(i) for i in rng.permutation(total)]
    subsets: list[Subset[T_co]] = []
    start = 0
    for count in counts:
        subsets.append(Subset(dataset, order[start:start + count]))
        start += count
    return subsets


# --- samplers -------------------------------------------------------------------------------

class Sampler(Generic[T_co]):
    """The base of samplers: ``__iter__`` yields indices (or lists of them) into a dataset."""

    def __iter__(self) -> Iterator[T_co]:
        """The indices; subclasses define it."""
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler[int]):
    """The indices ``0, 1, ..., len(data_source) - 1`` in order."""

    def __init__(self, data_source: Any) -> None:
        """Keep ``data_source`` (anything with a length)."""
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        """The indices in order."""
        return iter(range(len(self.data_source)))

    def __len__(self) -> int:
        """``len(data_source)``."""
        return len(self.data_source)


class RandomSampler(Sampler[int]):
    """The indices of ``data_source`` in a fresh random order each epoch (each ``iter``), or
    with ``replacement``, ``num_samples`` indices drawn independently. The draws come from
    ``generator`` (a NumPy ``Generator``), by default mushin's (reproducible under
    ``mu.seed``)."""

    def __init__(self, data_source: Any, replacement: bool = False,
                 num_samples: int | None = None, generator: Any = None) -> None:
        """Check the options."""
        if replacement is not True and replacement is not False:
            raise TypeError("RandomSampler: replacement should be a boolean value, got "
                            f"{replacement!r}")
        if num_samples is not None and (not is_int(num_samples) or num_samples <= 0):
            raise ValueError("RandomSampler: num_samples should be a positive integer value, "
                             f"got {num_samples!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = generator
        _rng("RandomSampler", generator)

    @property
    def num_samples(self) -> int:
        """The number of indices per epoch (``len(data_source)`` unless given)."""
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self) -> Iterator[int]:
        """One epoch of random indices."""
        rng = _rng("RandomSampler", self.generator)
        size = len(self.data_source)
        if self.replacement:
            drawn = rng.integers(0, size, size=self.num_samples)
        else:
            drawn = np.concatenate(
                [rng.permutation(size) for _ in range(-(-self.num_samples // max(size, 1)))]
                or [np.zeros(0, dtype=np.intp)])[:self.num_samples]
        return (int(i) for i in drawn)

    def __len__(self) -> int:
        """``num_samples``."""
        return self.num_samples


class BatchSampler(Sampler[list[int]]):
    """Groups of ``batch_size`` indices from ``sampler``; the last group is smaller unless
    ``drop_last`` drops it."""

    def __init__(self, sampler: Iterable[int], batch_size: int, drop_last: bool) -> None:
        """Check the options."""
        if not is_int(batch_size) or batch_size <= 0:
            raise ValueError("BatchSampler: batch_size should be a positive integer value, got "
                             f"{batch_size!r}")
        if drop_last is not True and drop_last is not False:
            raise ValueError("BatchSampler: drop_last should be a boolean value, got "
                             f"{drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list[int]]:
        """The groups of indices."""
        batch: list[int] = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self) -> int:
        """The number of groups: ``len(sampler) / batch_size``, rounded down with
        ``drop_last``, else up."""
        size = _length("BatchSampler", self.sampler)
        if self.drop_last:
            return size // self.batch_size
        return -(-size // self.batch_size)


# --- collating ------------------------------------------------------------------------------

def _stack(arrays: Sequence[Array]) -> Batch:
    """A new array stacking ``arrays`` (each sample's own), as a ``Constant``."""
    shapes = {tuple(array.shape) for array in arrays}
    if len(shapes) > 1:
        raise RuntimeError("default_collate: stack expects each tensor to be equal size, got "
                           f"shapes {sorted(shapes)}")
    xp = backend_of(arrays[0]).xp
    return new_constant(xp.stack(arrays))


def default_collate(batch: Sequence[Any]) -> Any:
    """Join a list of samples into a batch, as PyTorch's ``default_collate``.

    Mushin tensors and NumPy arrays are stacked along a new first axis into one ``Constant``
    (a new array, never a view); NumPy scalars and Python numbers become a 1-d ``Constant``
    (ints ``int64``, floats ``float64``, bools ``bool``, as PyTorch); strings and bytes stay
    a list; dicts, named tuples and sequences are collated field by field (tuples and
    lists of fields become lists, as PyTorch).
    """
    if not batch:
        raise ValueError("default_collate: the batch is empty")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([unwrap(sample) for sample in batch])
    if isinstance(elem, np.ndarray):
        dtype: Any = cast("Any", elem).dtype
        if dtype.kind in "OUSV":
            raise TypeError("default_collate: batch must contain tensors, numpy arrays, "
                            f"numbers, dicts or lists; found an array of dtype {dtype}")
        return _stack(batch)
    if isinstance(elem, np.generic):
        return new_constant(np.array(batch))
    if isinstance(elem, bool):
        return new_constant(np.array(batch, dtype=np.bool_))
    if isinstance(elem, int):
        return new_constant(np.array(batch, dtype=np.int64))
    if isinstance(elem, float):
        return new_constant(np.array(batch, dtype=np.float64))
    if isinstance(elem, str | bytes):
        return list(batch)
    if isinstance(elem, Mapping):
        fields: Any = cast("Any", elem)
        joined = {key: default_collate([sample[key] for sample in batch]) for key in fields}
        try:
            return type(fields)(joined)
        except TypeError:
            return joined
    named: Any = elem
    if isinstance(elem, tuple) and hasattr(named, "_fields"):  # a named tuple
        return type(named)(*(default_collate(list(samples)) for samples in zip(*batch,
                                                                               strict=True)))
    if isinstance(elem, Sequence):
        size = len(named)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
        return [default_collate(list(samples)) for samples in zip(*batch, strict=True)]
    raise TypeError("default_collate: batch must contain tensors, numpy arrays, numbers, "
                    f"dicts or lists; found {type(elem).__name__}")


# --- the loader -----------------------------------------------------------------------------

class DataLoader:
    """Iterate over ``dataset`` in batches, as PyTorch's ``DataLoader``.

    Each batch is ``collate_fn`` (by default :func:`default_collate`) of ``batch_size``
    samples, chosen by ``sampler`` (by default in order, or a fresh random order each epoch
    with ``shuffle``); the last batch is smaller unless ``drop_last``. ``batch_sampler``
    gives whole batches of indices instead (then leave ``batch_size``, ``shuffle``,
    ``sampler`` and ``drop_last`` alone). ``batch_size=None`` yields the samples one by one,
    not collated. An :class:`IterableDataset` is read in order and batched as it comes.
    ``num_workers``, ``pin_memory`` and ``timeout`` are accepted for PyTorch's scripts and
    change nothing: samples are loaded in this process.
    """

    def __init__(self, dataset: Any, batch_size: int | None = 1, shuffle: bool | None = None,
                 sampler: Iterable[Any] | None = None,
                 batch_sampler: Iterable[Sequence[Any]] | None = None, num_workers: int = 0,
                 collate_fn: Callable[[list[Any]], Any] | None = None, pin_memory: bool = False,
                 drop_last: bool = False, timeout: float = 0, generator: Any = None) -> None:
        """Check the options and build the samplers; nothing is loaded."""
        if not is_int(num_workers) or num_workers < 0:
            raise ValueError("DataLoader: num_workers option should be non-negative, got "
                             f"{num_workers!r}")
        if batch_size is not None and (not is_int(batch_size) or batch_size <= 0):
            raise ValueError("DataLoader: batch_size should be a positive integer value or "
                             f"None, got {batch_size!r}")
        for key, flag in (("drop_last", drop_last), ("pin_memory", pin_memory)):
            if flag is not True and flag is not False:
                raise TypeError(f"DataLoader: {key} must be True or False, got {flag!r}")
        if shuffle not in (None, True, False):
            raise TypeError(f"DataLoader: shuffle must be True, False or None, got {shuffle!r}")
        if collate_fn is not None and not callable(collate_fn):
            raise TypeError("DataLoader: collate_fn must be callable, got "
                            f"{type(collate_fn).__name__}")
        self.dataset = dataset
        self.num_workers = int(num_workers)
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.generator = generator
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle:
                raise ValueError("DataLoader: with an IterableDataset, shuffle must not be "
                                 "set (the dataset gives the order)")
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader: with an IterableDataset, sampler and "
                                 "batch_sampler must not be set")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                                 "batch_size, shuffle, sampler, and drop_last")
            batch_size = None
            drop_last = False
        elif batch_size is None and drop_last:
            raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                             "mutually exclusive with drop_last")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if sampler is None and not self._iterable:
            sampler = (RandomSampler(dataset, generator=generator) if shuffle
                       else SequentialSampler(dataset))
        if batch_size is not None and batch_sampler is None and sampler is not None:
            batch_sampler = BatchSampler(cast("Iterable[int]", sampler), batch_size, drop_last)
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self._auto_collation = batch_sampler is not None or (self._iterable and
                                                              batch_size is not None)
        self.collate_fn: Callable[[list[Any]], Any] = (
            collate_fn if collate_fn is not None else
            default_collate if self._auto_collation else _no_collate)
        self._default = collate_fn is None

    def __len__(self) -> int:
        """The number of batches per epoch (of samples, with ``batch_size=None``); a
        ``TypeError`` for an :class:`IterableDataset` without a length."""
        if self._iterable:
            size = _length("DataLoader", self.dataset)
            if self.batch_size is None:
                return size
            return size // self.batch_size if self.drop_last else -(-size // self.batch_size)
        counted = self.batch_sampler if self.batch_sampler is not None else self.sampler
        return _length("DataLoader", counted)

    def _fetch(self, indices: Sequence[Any]) -> Any:
        if self._default and isinstance(self.dataset, TensorDataset) and indices:
            return self.dataset._batch(  # pyright: ignore[reportPrivateUsage]
                [int(i) for i in indices])
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = (getitems(list(indices)) if getitems is not None
                   else [self.dataset[i] for i in indices])
        return self.collate_fn(samples)

    def __iter__(self) -> Iterator[Any]:
        """One epoch of batches."""
        if self._iterable:
            yield from self._iterate_stream()
        elif self.batch_sampler is not None:
            for indices in self.batch_sampler:
                yield self._fetch(indices)
        else:
            for index in cast("Iterable[Any]", self.sampler):
                yield self.collate_fn(self.dataset[index])

    def _iterate_stream(self) -> Iterator[Any]:
        stream = iter(cast("Iterable[Any]", self.dataset))
        if self.batch_size is None:
            for sample in stream:
                yield self.collate_fn(sample)
            return
        batch: list[Any] = []
        for sample in stream:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield self.collate_fn(batch)
                batch = []
        if batch and not self.drop_last:
            yield self.collate_fn(batch)


def _no_collate(sample: Any) -> Any:
    """A sample unchanged (``batch_size=None``: no batching)."""
    return sample
