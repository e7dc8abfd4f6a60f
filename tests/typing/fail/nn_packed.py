# pyright: strict
"""Packed sequences misused: a padded tensor is not a ``PackedSequence``, and packing keeps the
kind of the tensors, so the packed data of integer tokens (``Constant``\\ s) has no
``backward``. Each marked line is an error in mypy and pyright; each ``case_`` function raises
``TypeError`` at its marked line when it runs."""

import mushin as mu
from mushin.nn.utils.rnn import pack_sequence, pad_packed_sequence


def case_padding_a_tensor() -> None:
    padded = mu.randn((4, 2, 3))
    pad_packed_sequence(padded)  # E: a tensor is not a PackedSequence


def case_constant_packed_data_has_no_backward() -> None:
    tokens = pack_sequence([mu.tensor([1, 2, 3]), mu.tensor([4])])
    tokens.data.sum().backward()  # E: packed Constants stay Constants
