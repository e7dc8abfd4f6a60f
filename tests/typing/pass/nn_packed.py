# pyright: strict
"""Packed sequences keep the kind of their tensors in the types: packing ``Variable``\\ s gives
a ``PackedSequence[Variable]`` (integer tokens a ``PackedSequence[Constant]``), padding it
back gives that kind again and the lengths a ``Constant``. A recurrent layer's ``forward`` is
overloaded: given a ``PackedSequence`` it returns one, given a tensor a tensor."""

from typing import Any, assert_type

import mushin as mu
from mushin.nn.layers import GRU, LSTM
from mushin.nn.utils.rnn import (
    PackedSequence,
    pack_padded_sequence,
    pack_sequence,
    pad_packed_sequence,
    pad_sequence,
    unpack_sequence,
)


def main() -> None:
    x = mu.randn((5, 3, 4))  # (time, batch, features), tracked
    packed = pack_padded_sequence(x, [5, 2, 4], enforce_sorted=False)
    assert_type(packed, PackedSequence[mu.Variable])
    assert_type(packed.data, mu.Variable)
    assert_type(packed.batch_sizes, mu.Constant)
    assert_type(packed.sorted_indices, mu.Constant | None)

    lstm = LSTM(4, 6, proj_size=2)
    output, (hidden, cell) = lstm(packed)
    assert_type(output, PackedSequence[Any])
    padded, lengths = pad_packed_sequence(output, batch_first=True)
    assert_type(lengths, mu.Constant)
    assert padded.shape == (3, 5, 2) and hidden.shape == (1, 3, 2) and cell.shape == (1, 3, 6)

    gru = GRU(4, 6)
    plain, _ = gru(x)  # a tensor in, a tensor out
    assert not isinstance(plain, PackedSequence)

    tokens = pack_sequence([mu.tensor([1, 2, 3]), mu.tensor([4])])
    assert_type(tokens, PackedSequence[mu.Constant])
    assert_type(unpack_sequence(tokens), list[mu.Constant])
    assert_type(pad_sequence([mu.tensor([1.0, 2.0]), mu.tensor([3.0])]), mu.Constant)
    assert_type(tokens.double(), PackedSequence[mu.Constant])
