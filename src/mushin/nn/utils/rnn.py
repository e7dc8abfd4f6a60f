"""Variable-length sequences for the recurrent layers, PyTorch's ``torch.nn.utils.rnn``.

A ``PackedSequence`` holds a batch of sequences of different lengths without padding: the
sequences sorted by decreasing length, and ``data`` the steps of all of them, time-major (the
first step of every sequence, then the second of those that have one...), ``batch_sizes[t]``
the number of sequences that have a step ``t``. ``RNN``, ``LSTM`` and ``GRU`` take one and
return one, each sequence's final state being that of its own last step.

Every function here moves rows with one gather (``getitem`` with an integer index, whose
gradient scatters back) and joins with ``concat``: gradients flow through packing and padding
to the inputs, on every device, second derivatives included. The index arrays are computed
on the host from the lengths, which are host values (PyTorch's ``batch_sizes`` live on the
CPU too).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, NamedTuple, Self, TypeVar, cast

import numpy as np

from mushin._backend import CPU, backend_of, namespace_of
from mushin._check import is_int, is_number
from mushin._tensor import Constant, Tensor, Variable, apply, new_constant, storage
from mushin.errors import ShapeError
from mushin.ops.join import concat
from mushin.ops.shape import flatten, reshape
from mushin.ops.slicing import GETITEM

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence", "pack_sequence",
           "pad_packed_sequence", "pad_sequence", "unpack_sequence", "unpad_sequence"]

Data = TypeVar("Data", bound=Tensor[*tuple[Any, ...]])
"""The kind of a packed sequence's ``data``: ``Variable`` or ``Constant`` (or ``Any``)."""

Kind = TypeVar("Kind", Variable, Constant, Tensor)
"""The tensor kind that packing and padding keep: ``Variable``, ``Constant`` (or, for a mix,
``Tensor``)."""


class _PackedSequenceFields(NamedTuple, Generic[Data]):
    data: Data
    batch_sizes: Constant
    sorted_indices: Constant | None
    unsorted_indices: Constant | None


class PackedSequence(_PackedSequenceFields[Data]):
    """A batch of variable-length sequences, packed (PyTorch's ``PackedSequence``): a named
    tuple ``(data, batch_sizes, sorted_indices, unsorted_indices)``.

    ``data`` ``(total steps, *features)`` holds the steps of the sequences sorted by
    decreasing length, time-major; ``batch_sizes`` (int64, on the CPU) how many sequences
    have each step; ``sorted_indices`` (int64, on ``data``'s device, ``None`` when the batch
    was given sorted) the original position of each sorted sequence, and
    ``unsorted_indices`` its inverse (computed from ``sorted_indices`` when not given).
    Made by :func:`pack_padded_sequence` and :func:`pack_sequence`, read back by
    :func:`pad_packed_sequence` and :func:`unpack_sequence`.
    """

    __slots__ = ()

    def __new__(cls, data: Data, batch_sizes: Constant | None = None,
                sorted_indices: Constant | None = None,
                unsorted_indices: Constant | None = None) -> Self:
        if batch_sizes is None:
            raise TypeError("PackedSequence: batch_sizes is required (PyTorch's tuple form "
                            "(data, batch_sizes) is the same object)")
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        fields: tuple[Any, ...] = (data, batch_sizes, sorted_indices, unsorted_indices)
        return cls._make(fields)

    def to(self, *args: Any, **kwargs: Any) -> Self:
        """``data`` converted as ``Tensor.to`` does (dtype and/or device), the indices moved
        along to its device; ``self`` when nothing changes."""
        data = cast(Any, self.data).to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, *(
            None if indices is None else indices.to(data.device)
            for indices in (self.sorted_indices, self.unsorted_indices)))

    def cpu(self) -> Self:
        """The packed sequence with its ``data`` on the CPU."""
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Self:
        """The packed sequence with its ``data`` on a CUDA device (the first by default)."""
        return self.to("cuda:0" if device is None else device if isinstance(device, str)
                       else f"cuda:{device}")

    def double(self) -> Self:
        """``data`` as float64."""
        return self.to(np.float64)

    def float(self) -> Self:
        """``data`` as float32."""
        return self.to(np.float32)

    def half(self) -> Self:
        """``data`` as float16."""
        return self.to(np.float16)

    def long(self) -> Self:
        """``data`` as int64."""
        return self.to(np.int64)

    def int(self) -> Self:
        """``data`` as int32."""
        return self.to(np.int32)

    @property
    def is_cuda(self) -> bool:
        """Whether ``data`` is on a CUDA device."""
        return self.data.device.startswith("cuda")


# --- the host side: lengths, order and the index of every row ----------------------------------


def _tensor(name: str, what: str, value: object) -> Tensor[*tuple[Any, ...]]:
    """``value`` if it is a tensor; ``TypeError`` otherwise."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{name}: {what} must be a tensor, got {type(value).__name__}")
    tensor: Tensor[*tuple[Any, ...]] = cast(Any, value)
    return tensor


def _flag(name: str, what: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name}: {what} must be True or False, got {value!r}")
    return value


def _host_ints(name: str, what: str, value: object) -> np.ndarray[Any, np.dtype[np.int64]]:
    """``value`` (a list of ints, an integer array or tensor, on any device) as a 1-d int64
    host array."""
    raw: Any = value
    if isinstance(raw, Tensor):
        raw = storage(cast(Any, raw))
    if isinstance(raw, list | tuple):
        items: list[object] = list(cast(Any, raw))
        if not all(is_int(item) for item in items):
            raise TypeError(f"{name}: {what} must be ints, got {items!r}")
        raw = np.asarray(items, dtype=np.int64).reshape(len(items))
    elif hasattr(raw, "dtype") and hasattr(raw, "shape"):
        raw = CPU.asarray(raw)
    else:
        raise TypeError(f"{name}: {what} must be a list of ints or a 1-d integer tensor, got "
                        f"{type(raw).__name__}")
    if raw.dtype.kind not in "iu" or raw.ndim != 1:
        raise TypeError(f"{name}: {what} must be a 1-d integer tensor, got dtype {raw.dtype} "
                        f"and shape {tuple(raw.shape)}")
    return np.asarray(raw, dtype=np.int64)


def _lengths(name: str, lengths: object, batch: int,
             steps: int | None) -> np.ndarray[Any, np.dtype[np.int64]]:
    """The checked lengths of ``batch`` sequences, each in ``1..steps``."""
    found = _host_ints(name, "lengths", lengths)
    if found.shape[0] != batch:
        raise ShapeError(f"{name}: expected one length per sequence ({batch}, the batch "
                         f"size), got {found.shape[0]}")
    if (found <= 0).any():
        raise ValueError(f"{name}: every length must be at least 1, got lengths "
                         f"{found.tolist()}")
    if steps is not None and (found > steps).any():
        raise ValueError(f"{name}: no length can exceed the time axis's {steps} steps, got "
                         f"lengths {found.tolist()}")
    return found


def _order(name: str, lengths: np.ndarray[Any, Any],
           enforce_sorted: bool) -> np.ndarray[Any, np.dtype[np.int64]] | None:
    """The batch positions in order of decreasing length (``None`` when already so, as
    ``enforce_sorted=True`` requires); equal lengths keep their order."""
    if enforce_sorted:
        if (np.diff(lengths) > 0).any():
            raise ValueError(f"{name}: with enforce_sorted=True the lengths must be sorted in "
                             f"decreasing order, got {lengths.tolist()}; pass "
                             "enforce_sorted=False to sort them")
        return None
    return np.argsort(-lengths, kind="stable").astype(np.int64)


def _batch_sizes(sorted_lengths: np.ndarray[Any, Any]) -> np.ndarray[Any, np.dtype[np.int64]]:
    """How many of the sequences (lengths in decreasing order) have each step."""
    steps = np.arange(int(sorted_lengths[0]))
    present: np.ndarray[Any, np.dtype[np.bool_]] = sorted_lengths[None, :] > steps[:, None]
    counts: np.ndarray[Any, np.dtype[np.int64]] = present.sum(axis=1, dtype=np.int64)
    return counts


def _packed_positions(batch_sizes: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any],
                                                                  np.ndarray[Any, Any]]:
    """For every row of a packed ``data``, its step and its sequence's sorted position."""
    steps = np.repeat(np.arange(int(batch_sizes.shape[0])), batch_sizes)
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    return steps, np.arange(steps.shape[0]) - np.repeat(starts, batch_sizes)


def _indices_constant(indices: np.ndarray[Any, Any] | None, like: Any) -> Constant | None:
    """Host ``indices`` as an int64 ``Constant`` on ``like``'s device (``None`` stays)."""
    if indices is None:
        return None
    return new_constant(backend_of(storage(like)).asarray(indices, dtype=np.dtype(np.int64)))


def _gather(rows: Any, index: np.ndarray[Any, Any]) -> Any:
    """The rows of ``rows`` (a tensor, rows along axis 0) at the host ``index`` (any shape),
    shaped ``(*index.shape, *rows.shape[1:])``; the gradient scatters back."""
    flat = backend_of(storage(rows)).asarray(index.reshape(-1), dtype=np.dtype(np.int64))
    picked = apply(GETITEM, rows, index=(flat,))
    return reshape(picked, (*index.shape, *rows.shape[1:]))


def _with_padding_row(name: str, rows: Any, padding_value: object) -> Any:
    """``rows`` and one more row filled with ``padding_value``, what a gather reads for the
    padded positions."""
    if not (is_number(padding_value) or isinstance(padding_value, bool)):
        raise TypeError(f"{name}: padding_value must be a number, got {padding_value!r}")
    array = storage(rows)
    padding = namespace_of(array).full((1, *rows.shape[1:]), padding_value, dtype=array.dtype)
    return concat([rows, new_constant(padding)], axis=0)


# --- packing and padding ----------------------------------------------------------------------


def pack_padded_sequence(input: Kind, lengths: Any, batch_first: bool = False,
                         enforce_sorted: bool = True) -> PackedSequence[Kind]:
    """Pack a padded batch ``(time, batch, *)`` (``(batch, time, *)`` with ``batch_first``)
    of sequences of the given ``lengths`` (a list of ints or a 1-d integer tensor, each from
    1 to the time axis's size) into a :class:`PackedSequence`; the padding is dropped.

    With ``enforce_sorted=True`` the lengths must be decreasing; with ``False`` the
    sequences are sorted here (equal lengths keep their order) and the packed sequence
    remembers how (``sorted_indices``). Gradients flow back to ``input``'s kept steps.
    """
    name = "pack_padded_sequence"
    x = _tensor(name, "the input", input)
    _flag(name, "batch_first", batch_first)
    _flag(name, "enforce_sorted", enforce_sorted)
    if x.ndim < 2:
        raise ShapeError(f"{name}: the input must have at least 2 axes, (time, batch, *) or "
                         f"(batch, time, *) with batch_first=True, got shape {x.shape}")
    steps, batch = (x.shape[1], x.shape[0]) if batch_first else (x.shape[0], x.shape[1])
    found = _lengths(name, lengths, batch, steps)
    order = _order(name, found, enforce_sorted)
    sorted_lengths = found if order is None else found[order]
    batch_sizes = _batch_sizes(sorted_lengths)
    step, position = _packed_positions(batch_sizes)
    column = position if order is None else order[position]
    flat = flatten(x, 0, 1)  # (time * batch, *) or (batch * time, *)
    rows = column * steps + step if batch_first else step * batch + column
    return PackedSequence(_gather(flat, rows), new_constant(batch_sizes),
                          _indices_constant(order, x))


def pack_sequence(sequences: Sequence[Kind], enforce_sorted: bool = True) -> PackedSequence[Kind]:
    """Pack a list of sequences ``(length, *)`` (lengths at least 1, the other axes equal)
    into a :class:`PackedSequence`: ``pack_padded_sequence(pad_sequence(sequences), lengths,
    enforce_sorted=enforce_sorted)`` without the padded copy."""
    name = "pack_sequence"
    _flag(name, "enforce_sorted", enforce_sorted)
    items, starts = _joined(name, sequences)
    found = _lengths(name, [item.shape[0] for item in items], len(items), None)
    order = _order(name, found, enforce_sorted)
    batch_sizes = _batch_sizes(found if order is None else found[order])
    step, position = _packed_positions(batch_sizes)
    column = position if order is None else order[position]
    rows = concat(items, axis=0) if len(items) > 1 else items[0]
    return PackedSequence(_gather(rows, starts[column] + step), new_constant(batch_sizes),
                          _indices_constant(order, items[0]))


def _joined(name: str, sequences: object) -> tuple[list[Tensor[*tuple[Any, ...]]],
                                                    np.ndarray[Any, Any]]:
    """The checked ``sequences`` (at least one, each with at least one axis, the others
    equal; converted to the first one's dtype, as PyTorch copies them into it) and where
    each starts once they are joined along axis 0."""
    if isinstance(sequences, Tensor):
        stacked: Tensor[*tuple[Any, ...]] = cast(Any, sequences)
        sequences = [stacked[index] for index in range(stacked.shape[0])]
    if not isinstance(sequences, Sequence):
        raise TypeError(f"{name}: sequences must be a list of tensors, got "
                        f"{type(sequences).__name__}")
    items = [_tensor(name, f"sequence {index}", item)
             for index, item in enumerate(cast(Sequence[object], sequences))]
    if not items:
        raise ValueError(f"{name}: received an empty list of sequences")
    first = items[0]
    for index, item in enumerate(items):
        if item.ndim == 0 or item.shape[1:] != first.shape[1:]:
            raise ShapeError(f"{name}: every sequence must be (length, *{first.shape[1:]}), "
                             f"as the first one; sequence {index} has shape {item.shape}")
    items = [item if item.dtype == first.dtype else item.to(first.dtype) for item in items]
    lengths = np.asarray([item.shape[0] for item in items], dtype=np.int64)
    return items, np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)


def pad_packed_sequence(sequence: PackedSequence[Kind], batch_first: bool = False,
                        padding_value: float = 0.0,
                        total_length: int | None = None) -> tuple[Kind, Constant]:
    """The padded batch of a :class:`PackedSequence` and the lengths (int64, on the CPU), in
    the order the sequences were given: ``(time, batch, *)`` (``(batch, time, *)`` with
    ``batch_first``), ``time`` the longest length or ``total_length``, the rest
    ``padding_value``. The inverse of :func:`pack_padded_sequence`; gradients flow back to
    ``sequence.data``."""
    name = "pad_packed_sequence"
    packed = _packed(name, sequence)
    _flag(name, "batch_first", batch_first)
    batch_sizes = _host_ints(name, "batch_sizes", packed.batch_sizes)
    steps = batch_sizes.shape[0]
    if total_length is not None:
        if not is_int(total_length):
            raise TypeError(f"{name}: total_length must be an int or None, got "
                            f"{total_length!r}")
        if total_length < steps:
            raise ValueError(f"{name}: total_length must be at least the longest sequence's "
                             f"length {steps}, got total_length={total_length}")
        steps = int(total_length)
    batch = int(batch_sizes[0])
    # each original sequence's sorted position, and where each step's rows start
    position = np.arange(batch) if packed.unsorted_indices is None else _host_ints(
        name, "unsorted_indices", packed.unsorted_indices)
    packed_steps = batch_sizes.shape[0]
    sizes = np.zeros(steps, dtype=np.int64)
    sizes[:packed_steps] = batch_sizes
    starts = np.zeros(steps, dtype=np.int64)  # where each step's rows start
    starts[1:packed_steps] = np.cumsum(batch_sizes)[:-1]
    present = position[None, :] < sizes[:, None]  # (time, batch)
    padding_row = int(batch_sizes.sum())
    index = np.where(present, starts[:, None] + position[None, :], padding_row)
    rows = _with_padding_row(name, packed.data, padding_value)
    padded = _gather(rows, index.T if batch_first else index)
    return padded, new_constant(present.sum(axis=0).astype(np.int64))


def _packed(name: str, sequence: object) -> PackedSequence[Any]:
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{name}: expected a PackedSequence, got {type(sequence).__name__}")
    packed: PackedSequence[Any] = cast(Any, sequence)
    _tensor(name, "the packed data", packed.data)
    return packed


def pad_sequence(sequences: Sequence[Kind] | Kind, batch_first: bool = False,
                 padding_value: float = 0.0, padding_side: str = "right") -> Kind:
    """Sequences ``(length, *)`` (the other axes equal; lengths may be 0) padded with
    ``padding_value`` to the longest and stacked: ``(time, batch, *)``, or ``(batch, time,
    *)`` with ``batch_first``. ``padding_side="left"`` pads before the sequences instead of
    after. A tensor counts as the list of its slices along axis 0. Gradients flow back to
    every sequence."""
    name = "pad_sequence"
    _flag(name, "batch_first", batch_first)
    if padding_side not in ("left", "right"):
        raise ValueError(f"{name}: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    items, starts = _joined(name, sequences)
    lengths = np.asarray([item.shape[0] for item in items], dtype=np.int64)
    steps = int(lengths.max())
    # the step of each sequence at each padded position (time, batch): padding outside
    # 0..length-1
    step = np.broadcast_to(np.arange(steps)[:, None], (steps, len(items)))
    if padding_side == "left":
        step = step - (steps - lengths[None, :])
    present = (step >= 0) & (step < lengths[None, :])
    padding_row = int(lengths.sum())
    index = np.where(present, starts[None, :] + step, padding_row)
    rows = _with_padding_row(name, concat(items, axis=0) if len(items) > 1 else items[0],
                             padding_value)
    padded: Kind = _gather(rows, index.T if batch_first else index)
    return padded


def unpad_sequence(padded_sequences: Kind, lengths: Any,
                   batch_first: bool = False) -> list[Kind]:
    """The sequences of a padded batch ``(time, batch, *)`` (``(batch, time, *)`` with
    ``batch_first``) cut to their ``lengths``: a list of ``(length, *)`` tensors, the
    inverse of :func:`pad_sequence` (right padding)."""
    name = "unpad_sequence"
    padded = _tensor(name, "padded_sequences", padded_sequences)
    _flag(name, "batch_first", batch_first)
    if padded.ndim < 2:
        raise ShapeError(f"{name}: padded_sequences must have at least 2 axes, got shape "
                         f"{padded.shape}")
    steps, batch = (padded.shape[1], padded.shape[0]) if batch_first else padded.shape[:2]
    found = _host_ints(name, "lengths", lengths)
    if found.shape[0] != batch:
        raise ShapeError(f"{name}: expected one length per sequence ({batch}, the batch "
                         f"size), got {found.shape[0]}")
    if (found < 0).any() or (found > steps).any():
        raise ValueError(f"{name}: every length must be in 0..{steps} (the time axis), got "
                         f"lengths {found.tolist()}")
    pieces: list[Any] = [padded[column, :int(length)] if batch_first
                         else padded[:int(length), column] for column, length in enumerate(found)]
    return pieces


def unpack_sequence(packed_sequences: PackedSequence[Kind]) -> list[Kind]:
    """The sequences of a :class:`PackedSequence`, in the order they were given: a list of
    ``(length, *)`` tensors, the inverse of :func:`pack_sequence`."""
    name = "unpack_sequence"
    packed = _packed(name, packed_sequences)
    batch_sizes = _host_ints(name, "batch_sizes", packed.batch_sizes)
    starts = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]])
    batch = int(batch_sizes[0])
    position = np.arange(batch) if packed.unsorted_indices is None else _host_ints(
        name, "unsorted_indices", packed.unsorted_indices)
    found: list[Any] = []
    for column in range(batch):
        length = int((batch_sizes > position[column]).sum())
        found.append(_gather(packed.data, starts[:length] + position[column]))
    return found


def invert_permutation(permutation: Constant | None) -> Constant | None:
    """The inverse of a 1-d permutation tensor (int64, on its device): how to go back from
    ``sorted_indices`` to the original order. ``None`` stays ``None``."""
    if permutation is None:
        return None
    found = _host_ints("invert_permutation", "permutation", permutation)
    inverse = np.empty_like(found)
    inverse[found] = np.arange(found.shape[0])
    return _indices_constant(inverse, permutation)
