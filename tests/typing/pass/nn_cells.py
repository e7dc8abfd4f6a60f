# pyright: strict
"""``RNNCell``, ``LSTMCell`` and ``GRUCell`` keep their sizes in the types: a cell typed
``[InputSize, HiddenSize]`` maps a ``[*B, InputSize]`` input and a ``[*B, HiddenSize]`` state
to the next ``[*B, HiddenSize]`` state (an ``LSTMCell`` to a pair ``(h, c)``), batched or
not, so a loop over time steps keeps the state's type. Built without an annotation, the sizes
are those of the arguments.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Literal as L
from typing import assert_type

import mushin as mu
from mushin.nn.layers import GRUCell, Linear, LSTMCell, RNNCell

Batch = L[2]
Input = L[3]
Hidden = L[4]
Steps = 5


def rnn_cell() -> None:
    """One step, from zeros and from a given state, batched and unbatched."""
    cell: RNNCell[Input, Hidden] = RNNCell(3, 4)
    x: mu.Variable[Batch, Input] = mu.randn((2, 3))
    h: mu.Variable[Batch, Hidden] = mu.randn((2, 4))
    assert_type(cell(x), mu.Variable[Batch, Hidden])
    assert_type(cell(x, h), mu.Variable[Batch, Hidden])
    one: mu.Variable[Input] = mu.randn((3,))
    assert_type(cell(one), mu.Variable[Hidden])
    assert_type(RNNCell(3, 4, nonlinearity="relu").weight_ih, mu.Variable[int, int])
    assert cell(x, h).shape == (2, 4)


def lstm_cell() -> None:
    """A loop of steps keeps ``(h, c)`` typed ``[Batch, Hidden]``."""
    cell: LSTMCell[Input, Hidden] = LSTMCell(3, 4)
    inputs: list[mu.Variable[Batch, Input]] = [mu.randn((2, 3)) for _ in range(Steps)]
    state = cell(inputs[0])
    assert_type(state, tuple[mu.Variable[Batch, Hidden], mu.Variable[Batch, Hidden]])
    for x in inputs[1:]:
        state = cell(x, state)
    hidden, _ = state
    head: Linear[Hidden, L[1]] = Linear(4, 1)
    assert_type(head(hidden), mu.Variable[Batch, L[1]])
    assert head(hidden).shape == (2, 1)


def gru_cell() -> None:
    """A GRU cell over a constant input gives a ``Variable`` (its parameters are tracked)."""
    cell: GRUCell[Input, Hidden] = GRUCell(3, 4, bias=False)
    tracked: mu.Variable[Batch, Input] = mu.randn((2, 3))
    x = tracked.freeze()
    h = cell(x)
    assert_type(h, mu.Variable[Batch, Hidden])
    assert_type(cell(x, h), mu.Variable[Batch, Hidden])
    assert_type(cell.weight_hh, mu.Variable[int, Hidden])


def main() -> None:
    mu.seed(0)
    rnn_cell()
    lstm_cell()
    gru_cell()


if __name__ == "__main__":
    main()
