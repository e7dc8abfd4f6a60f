"""RNNCell, LSTMCell and GRUCell: one step of a recurrent layer, PyTorch's parameters."""

from __future__ import annotations

__all__: list[str] = []
