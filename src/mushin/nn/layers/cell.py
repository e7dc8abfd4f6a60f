"""RNNCell, LSTMCell and GRUCell: one step of a recurrent layer, PyTorch's parameters.

Each cell holds PyTorch's ``weight_ih`` ``(gates * hidden, input)``, ``weight_hh`` ``(gates *
hidden, hidden)``, ``bias_ih`` and ``bias_hh`` ``(gates * hidden,)``, registered in that
order, gate blocks in PyTorch's order (LSTM: input, forget, cell, output; GRU: reset, update,
new) and drawn from U(-1/sqrt(hidden), 1/sqrt(hidden)), so a ``state_dict`` moves between the
two unchanged.

A cell is called once per time step from a Python loop, so its forward is a short composite
of mushin operations (exact, with gradients, second derivatives and every device for free):
two ``linear`` products, one activation call over all the sigmoid gates, and one slice per
gate. Slicing the last axis serves batched ``(N, input)`` and unbatched ``(input,)`` inputs
alike. The whole-sequence layers (``RNN``, ``LSTM``, ``GRU`` in ``recurrent.py``) run their
loop inside one primitive instead.
"""

from __future__ import annotations

import math
from typing import Any, Generic, TypeVar, TypeVarTuple, cast

from mushin._backend import namespace_of
from mushin._check import integer
from mushin._creation import zeros
from mushin._tensor import Tensor, Variable, new_constant, storage
from mushin.errors import ShapeError
from mushin.nn import init
from mushin.nn.functional.activation import relu
from mushin.nn.functional.linear import linear
from mushin.nn.module import Module
from mushin.ops.elementwise import tanh
from mushin.ops.special import sigmoid

__all__ = ["GRUCell", "LSTMCell", "RNNCell"]

InputSize = TypeVar("InputSize", bound=int)
HiddenSize = TypeVar("HiddenSize", bound=int)
Batch = TypeVarTuple("Batch")


class _Cell(Module, Generic[InputSize, HiddenSize]):
    """What the three cells share: arguments, parameters, input and state checks."""

    _gates: int

    weight_ih: Variable[int, InputSize]
    weight_hh: Variable[int, HiddenSize]
    bias_ih: Variable[int] | None
    bias_hh: Variable[int] | None

    def __init__(self, input_size: InputSize, hidden_size: HiddenSize, bias: bool,
                 dtype: Any, device: str | None) -> None:
        super().__init__()
        owner = type(self).__name__
        integer(owner, "input_size", input_size, minimum=1)
        integer(owner, "hidden_size", hidden_size, minimum=1)
        if not isinstance(bias, bool):
            raise TypeError(f"{owner}: bias must be True or False, got {bias!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bias
        rows = self._gates * int(hidden_size)
        bound = 1.0 / math.sqrt(hidden_size)
        # PyTorch's registration order: weight_ih, weight_hh, bias_ih, bias_hh
        self.weight_ih = init.uniform(zeros((rows, input_size), dtype=dtype, device=device),
                                      -bound, bound)
        self.weight_hh = init.uniform(zeros((rows, hidden_size), dtype=dtype, device=device),
                                      -bound, bound)
        self.bias_ih = self.bias_hh = None
        if bias:
            self.bias_ih = init.uniform(zeros((rows,), dtype=dtype, device=device), -bound,
                                        bound)
            self.bias_hh = init.uniform(zeros((rows,), dtype=dtype, device=device), -bound,
                                        bound)

    def _input(self, given: object) -> Any:
        """``given`` checked: a floating tensor ``(N, input_size)`` or ``(input_size,)``."""
        owner = type(self).__name__
        if not isinstance(given, Tensor):
            raise TypeError(f"{owner}: the input must be a tensor, got {type(given).__name__}")
        x: Tensor[*tuple[Any, ...]] = cast(Any, given)
        if x.ndim not in (1, 2):
            raise ShapeError(f"{owner}: expected an input of 2 axes (batch, input_size) or 1 "
                             f"(input_size,), got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ShapeError(f"{owner}: expected {self.input_size} input features (the last "
                             f"axis), got shape {x.shape}")
        if x.dtype.kind != "f":
            raise TypeError(f"{owner}: the input must have a floating dtype, got {x.dtype}")
        return x

    def _state(self, given: object, x: Any, name: str) -> Any:
        """The state ``given`` checked against the input ``x`` (``(N, hidden_size)``, or
        ``(hidden_size,)`` for an unbatched input), or zeros for ``None``."""
        expected = (*x.shape[:-1], self.hidden_size)
        if given is None:
            return new_constant(namespace_of(storage(x)).zeros(expected, dtype=x.dtype))
        owner = type(self).__name__
        if not isinstance(given, Tensor):
            raise TypeError(f"{owner}: {name} must be a tensor, got {type(given).__name__}")
        state: Tensor[*tuple[Any, ...]] = cast(Any, given)
        if state.shape != expected:
            layout = "(batch, hidden_size)" if x.ndim == 2 else "(hidden_size,) for an " \
                "unbatched input"
            raise ShapeError(f"{owner}: expected {name} of shape {expected} {layout}, got "
                             f"shape {state.shape}")
        if state.dtype != x.dtype:
            raise TypeError(f"{owner}: {name} must have the input's dtype {x.dtype}, got "
                            f"{state.dtype}")
        return state

    def _projections(self, x: Any, hidden: Any) -> tuple[Any, Any]:
        """``x @ weight_ih.T + bias_ih`` and ``hidden @ weight_hh.T + bias_hh``."""
        return (linear(x, self._param(self.weight_ih), self._param(self.bias_ih)),
                linear(hidden, self._param(self.weight_hh), self._param(self.bias_hh)))

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        return text if self.bias else text + ", bias=False"


class RNNCell(_Cell[InputSize, HiddenSize]):
    """One step of an Elman RNN (PyTorch's ``nn.RNNCell``)::

        h' = act(input @ weight_ih.T + bias_ih + hx @ weight_hh.T + bias_hh)

    with ``act`` tanh or relu (``nonlinearity``). ``forward(input, hx=None)`` takes ``(batch,
    input_size)`` (or ``(input_size,)`` for one sample) and the hidden state ``(batch,
    hidden_size)`` (``(hidden_size,)``; zeros by default), and returns the next hidden state,
    shaped like ``hx``. Parameters: ``weight_ih`` ``(hidden_size, input_size)``,
    ``weight_hh`` ``(hidden_size, hidden_size)``, ``bias_ih`` and ``bias_hh``
    ``(hidden_size,)``.
    """

    _gates = 1

    def __init__(self, input_size: InputSize, hidden_size: HiddenSize, bias: bool = True,
                 nonlinearity: str = "tanh", device: str | None = None,
                 dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, dtype, device)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor[*Batch, InputSize],
                hx: Tensor[*Batch, HiddenSize] | None = None) -> Variable[*Batch, HiddenSize]:
        """The hidden state after one step from ``hx`` with ``input``."""
        x = self._input(input)
        input_side, hidden_side = self._projections(x, self._state(hx, x, "hx"))
        total = input_side + hidden_side
        result: Variable[*Batch, HiddenSize] = (
            tanh(total) if self.nonlinearity == "tanh" else relu(total))
        return result

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity=relu"


class LSTMCell(_Cell[InputSize, HiddenSize]):
    """One step of a long short-term memory layer (PyTorch's ``nn.LSTMCell``)::

        i, f, g, o = split(input @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh)
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h' = sigmoid(o) * tanh(c')

    ``forward(input, hx=None)`` takes ``(batch, input_size)`` (or ``(input_size,)`` for one
    sample) and ``hx = (h, c)``, each ``(batch, hidden_size)`` (``(hidden_size,)``; zeros by
    default), and returns ``(h', c')``. Parameters: ``weight_ih`` ``(4 * hidden_size,
    input_size)``, ``weight_hh`` ``(4 * hidden_size, hidden_size)``, ``bias_ih`` and
    ``bias_hh`` ``(4 * hidden_size,)``, gate blocks in the order i, f, g, o.
    """

    _gates = 4

    def __init__(self, input_size: InputSize, hidden_size: HiddenSize, bias: bool = True,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, device)

    def forward(self, input: Tensor[*Batch, InputSize],
                hx: tuple[Tensor[*Batch, HiddenSize], Tensor[*Batch, HiddenSize]] | None = None
                ) -> tuple[Variable[*Batch, HiddenSize], Variable[*Batch, HiddenSize]]:
        """``(h', c')``, the hidden and cell states after one step from ``hx = (h, c)`` with
        ``input``."""
        x = self._input(input)
        if hx is None:
            hidden, cell = self._state(None, x, "h"), None
        else:
            if not isinstance(hx, tuple | list) or len(hx) != 2:
                raise TypeError("LSTMCell: hx must be a pair (h, c) of tensors, got "
                                f"{type(hx).__name__}")
            hidden, cell = self._state(hx[0], x, "h"), self._state(hx[1], x, "c")
        input_side, hidden_side = self._projections(x, hidden)
        gates = input_side + hidden_side
        size = self.hidden_size
        # one sigmoid call for the three sigmoid gates (the cell gate's block is wasted work,
        # cheaper than three calls)
        sigmoids = sigmoid(gates)
        cell_gate = tanh(gates[..., 2 * size:3 * size])
        new_cell = sigmoids[..., :size] * cell_gate
        if cell is not None:  # from zeros, the forget term is zero (and so is its gradient)
            new_cell = sigmoids[..., size:2 * size] * cell + new_cell
        new_hidden = sigmoids[..., 3 * size:] * tanh(new_cell)
        return new_hidden, new_cell


class GRUCell(_Cell[InputSize, HiddenSize]):
    """One step of a gated recurrent unit (PyTorch's ``nn.GRUCell``)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    ``forward(input, hx=None)`` takes ``(batch, input_size)`` (or ``(input_size,)`` for one
    sample) and the hidden state ``(batch, hidden_size)`` (``(hidden_size,)``; zeros by
    default), and returns the next hidden state. Parameters: ``weight_ih`` ``(3 *
    hidden_size, input_size)``, ``weight_hh`` ``(3 * hidden_size, hidden_size)``, ``bias_ih``
    and ``bias_hh`` ``(3 * hidden_size,)``, gate blocks in the order r, z, n.
    """

    _gates = 3

    def __init__(self, input_size: InputSize, hidden_size: HiddenSize, bias: bool = True,
                 device: str | None = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, dtype, device)

    def forward(self, input: Tensor[*Batch, InputSize],
                hx: Tensor[*Batch, HiddenSize] | None = None) -> Variable[*Batch, HiddenSize]:
        """The hidden state after one step from ``hx`` with ``input``."""
        x = self._input(input)
        hidden = self._state(hx, x, "hx")
        input_side, hidden_side = self._projections(x, hidden)
        size = self.hidden_size
        sigmoids = sigmoid(input_side[..., :2 * size] + hidden_side[..., :2 * size])
        new = tanh(input_side[..., 2 * size:]
                   + sigmoids[..., :size] * hidden_side[..., 2 * size:])
        # (1 - z) n + z h, as n + z (h - n)
        result: Variable[*Batch, HiddenSize] = new + sigmoids[..., size:] * (hidden - new)
        return result
