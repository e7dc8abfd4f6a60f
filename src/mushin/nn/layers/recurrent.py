"""Recurrent layers: ``RNN``, ``LSTM`` and ``GRU``, with PyTorch's parameters and results.

Parameter names, shapes, registration order, gate order (LSTM: input, forget, cell, output;
GRU: reset, update, new), the LSTM's projection (``proj_size``, ``weight_hr_l{k}``) and
initialisation (uniform on ``[-1/sqrt(hidden), 1/sqrt(hidden)]``) are PyTorch's, so a
``state_dict`` moves between the two unchanged.

The modules check their arguments, hold the parameters and bring inputs and states to the
time-major layout, or take a ``PackedSequence`` (sequences of different lengths) and give one
back; the recurrences themselves (one primitive per layer and direction, its
backpropagation through time and its second-order form, and the runs over a packed batch)
are in ``mushin.nn.functional.recurrent``.
"""

from __future__ import annotations

import itertools
import math
from abc import ABC, abstractmethod
from typing import Any, cast, overload

from mushin._backend import CPU, namespace_of
from mushin._check import integer, is_number
from mushin._creation import zeros
from mushin._tensor import Constant, Tensor, new_constant, storage
from mushin.errors import ShapeError
from mushin.nn import init
from mushin.nn.functional.recurrent import Weights, gru, lstm, rnn
from mushin.nn.module import Module
from mushin.nn.utils.rnn import PackedSequence
from mushin.ops.gather_scatter import index_select
from mushin.ops.shape import expand_dims, squeeze, transpose

__all__ = ["GRU", "LSTM", "RNN"]


def _tensor(owner: str, what: str, value: object) -> Tensor[*tuple[Any, ...]]:
    """``value`` if it is a tensor; ``TypeError`` otherwise."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{owner}: {what} must be a tensor, got {type(value).__name__}")
    # through Any: pyright would keep the narrowed shape parameters unknown
    tensor: Tensor[*tuple[Any, ...]] = cast(Any, value)
    return tensor


def _flag(owner: str, name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{owner}: {name} must be True or False, got {value!r}")
    return value


class _Recurrent(Module, ABC):
    """What RNN, LSTM and GRU share: arguments, parameters, input and state checks, and the
    layout around the recurrence. A subclass sets ``_gates`` (gate blocks per weight) and
    ``_state_count`` (1, or 2 for the LSTM's hidden and cell states) and defines
    ``_recurrence``, which runs its cell's stacked layers."""

    _gates: int
    _state_count: int

    def __init__(self, input_size: int, hidden_size: int, num_layers: int, bias: bool,
                 batch_first: bool, dropout: float, bidirectional: bool, dtype: Any,
                 device: str | None, proj_size: int = 0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.input_size = integer(owner, "input_size", input_size, minimum=1)
        self.hidden_size = integer(owner, "hidden_size", hidden_size, minimum=1)
        self.num_layers = integer(owner, "num_layers", num_layers, minimum=1)
        self.bias = _flag(owner, "bias", bias)
        self.batch_first = _flag(owner, "batch_first", batch_first)
        self.bidirectional = _flag(owner, "bidirectional", bidirectional)
        if not is_number(dropout):
            raise TypeError(f"{owner}: dropout must be a number, got {dropout!r}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"{owner}: dropout must be in [0, 1], got {dropout}")
        self.dropout = float(dropout)
        self.proj_size = integer(owner, "proj_size", proj_size, minimum=0)
        if self.proj_size >= self.hidden_size:
            raise ValueError(f"{owner}: proj_size must be smaller than hidden_size "
                             f"({self.hidden_size}), got {proj_size}")
        # the checked sizes (Python ints, also when given as NumPy integers)
        input_size, hidden_size = self.input_size, self.hidden_size
        bound = 1.0 / math.sqrt(hidden_size)
        gate_size = self._gates * hidden_size
        output_size = self._output_size
        # PyTorch's registration order: per layer, per direction, w_ih, w_hh, b_ih, b_hh,
        # then the LSTM's w_hr
        for layer in range(self.num_layers):
            layer_input = input_size if layer == 0 else output_size * self.num_directions
            for suffix in self._suffixes():
                shapes: dict[str, tuple[int, ...]] = {
                    f"weight_ih_l{layer}{suffix}": (gate_size, layer_input),
                    f"weight_hh_l{layer}{suffix}": (gate_size, output_size)}
                if bias:
                    shapes[f"bias_ih_l{layer}{suffix}"] = (gate_size,)
                    shapes[f"bias_hh_l{layer}{suffix}"] = (gate_size,)
                if self.proj_size:
                    shapes[f"weight_hr_l{layer}{suffix}"] = (self.proj_size, hidden_size)
                for name, shape in shapes.items():
                    setattr(self, name, init.uniform(zeros(shape, dtype=dtype, device=device),
                                                     -bound, bound))

    @property
    def num_directions(self) -> int:
        """2 for a bidirectional layer, else 1."""
        return 2 if self.bidirectional else 1

    @property
    def _output_size(self) -> int:
        """The width of ``h``, what every step outputs: ``proj_size`` when set, else
        ``hidden_size``."""
        return self.proj_size or self.hidden_size

    def _state_sizes(self) -> tuple[int, ...]:
        """The width of each state: ``h`` (and the LSTM's ``c``)."""
        return (self._output_size, self.hidden_size)[:self._state_count]

    def _suffixes(self) -> tuple[str, ...]:
        return ("", "_reverse") if self.bidirectional else ("",)

    def _weights(self, layer: int, suffix: str) -> Weights:
        """``weight_ih, weight_hh, bias_ih, bias_hh`` of one layer and direction, as used in
        ``forward`` (``Constant``\\ s when frozen; biases ``None`` without bias)."""
        names = (f"weight_ih_l{layer}{suffix}", f"weight_hh_l{layer}{suffix}",
                 f"bias_ih_l{layer}{suffix}", f"bias_hh_l{layer}{suffix}")
        weight_ih, weight_hh, bias_ih, bias_hh = (self._param(self._parameters.get(name))
                                                  for name in names)
        return weight_ih, weight_hh, bias_ih, bias_hh

    @abstractmethod
    def _recurrence(self, x: Any, initial: list[list[Any]], weights: list[Weights],
                    batch_sizes: list[int] | None) -> tuple[Any, list[Any]]:
        """The stacked layers over the time-major ``x`` ``(T, B, F)`` (or, with
        ``batch_sizes``, a packed batch's data ``(rows, F)``), from the ``initial`` states and
        with the ``weights`` of every layer and direction: the output ``(T, B, directions *
        H)`` (``(rows, directions * H)``) and the final states ``(layers * directions, B,
        H)``."""

    def _check_input(self, given: object) -> bool:
        """Raise unless ``given`` is a tensor of 2 (unbatched) or 3 axes with ``input_size``
        features; returns whether it is batched."""
        owner = type(self).__name__
        x = _tensor(owner, "the input", given)
        if x.ndim not in (2, 3):
            layout = "(batch, time, features)" if self.batch_first else \
                "(time, batch, features)"
            raise ShapeError(f"{owner}: the input must have 3 axes {layout} or 2 (time, "
                             f"features) for one sequence, got shape {x.shape}")
        if x.shape[-1] != self.input_size:
            raise ShapeError(f"{owner}: expected {self.input_size} input features (the last "
                             f"axis), got shape {x.shape}")
        if x.dtype.kind != "f":
            raise TypeError(f"{owner}: the input must have a floating dtype, got {x.dtype}")
        time_axis = 1 if x.ndim == 3 and self.batch_first else 0
        if x.shape[time_axis] == 0:
            raise ShapeError(f"{owner}: the input must have at least one time step, got shape "
                             f"{x.shape}")
        return x.ndim == 3

    def _initial_states(self, given: list[Any] | None, batch: int, batched: bool,
                        like: Any, order: Constant | None = None) -> list[list[Any]]:
        """For every layer and direction (PyTorch's order), its initial states: slices of
        the given ``(layers * directions, B, H)`` tensors (their batch in the ``order`` of a
        packed batch's sorted sequences), or zeros."""
        count = self.num_layers * self.num_directions
        owner = type(self).__name__
        if given is None:
            xp = namespace_of(storage(like))
            zero_states = [new_constant(xp.zeros((batch, size), dtype=like.dtype))
                           for size in self._state_sizes()]
            return [zero_states for _ in range(count)]
        states: list[Any] = []
        for value, size in zip(given, self._state_sizes(), strict=True):
            state = _tensor(owner, "an initial state", value)
            expected = (count, batch, size) if batched else (count, size)
            if state.shape != expected:
                raise ShapeError(f"{owner}: expected an initial state of shape {expected} "
                                 "(layers * directions, batch, hidden), got shape "
                                 f"{state.shape}")
            if state.dtype != like.dtype:
                raise TypeError(f"{owner}: the initial state must have the input's dtype "
                                f"{like.dtype}, got {state.dtype}")
            if not batched:
                state = expand_dims(state, 1)
            elif order is not None:
                state = index_select(state, 1, order)
            states.append(state)
        return [[state[index] for state in states] for index in range(count)]

    def _forward_packed(self, packed: PackedSequence[Any], given: list[Any] | None
                        ) -> tuple[PackedSequence[Any], list[Any]]:
        """The packed output and the final states ``(layers * directions, B, H)`` of a
        packed batch, each sequence's own (in the order the sequences were given)."""
        owner = type(self).__name__
        data = _tensor(owner, "the packed data", packed.data)
        if data.ndim != 2 or data.shape[1] != self.input_size:
            raise ShapeError(f"{owner}: expected packed data of shape (steps, "
                             f"{self.input_size}), got shape {data.shape}")
        if data.dtype.kind != "f":
            raise TypeError(f"{owner}: the input must have a floating dtype, got {data.dtype}")
        batch_sizes = [int(size) for size in CPU.asarray(
            storage(_tensor(owner, "batch_sizes", packed.batch_sizes)))]
        if not batch_sizes or batch_sizes[-1] < 1 or any(
                later > earlier for earlier, later in itertools.pairwise(batch_sizes)):
            raise ValueError(f"{owner}: a packed sequence's batch_sizes must be positive and "
                             f"non-increasing (as pack_padded_sequence makes them), got "
                             f"{batch_sizes}")
        if sum(batch_sizes) != data.shape[0]:
            raise ShapeError(f"{owner}: the packed data has {data.shape[0]} steps but its "
                             f"batch_sizes add up to {sum(batch_sizes)}")
        initial = self._initial_states(given, batch_sizes[0], True, data,
                                       packed.sorted_indices)
        weights = [self._weights(layer, suffix) for layer in range(self.num_layers)
                   for suffix in self._suffixes()]
        output, final_states = self._recurrence(data, initial, weights, batch_sizes)
        if packed.unsorted_indices is not None:
            final_states = [index_select(state, 1, packed.unsorted_indices)
                            for state in final_states]
        return PackedSequence(output, packed.batch_sizes, packed.sorted_indices,
                              packed.unsorted_indices), final_states

    def _forward(self, x: Any, given: list[Any] | None) -> tuple[Any, list[Any]]:
        """The output and the final states ``(layers * directions, B, H)``."""
        if isinstance(x, PackedSequence):
            # pyright narrows Any to PackedSequence[Unknown], mypy to PackedSequence[Any]
            packed = cast(PackedSequence[Any], x)  # type: ignore[redundant-cast]
            return self._forward_packed(packed, given)
        batched = self._check_input(x)
        # the layers run time-major: each step's slice is contiguous
        if not batched:
            x = expand_dims(x, 1)
        elif self.batch_first:
            x = transpose(x, (1, 0, 2))
        initial = self._initial_states(given, x.shape[1], batched, x)
        weights = [self._weights(layer, suffix) for layer in range(self.num_layers)
                   for suffix in self._suffixes()]
        x, final_states = self._recurrence(x, initial, weights, None)
        if not batched:
            return squeeze(x, 1), [squeeze(state, 1) for state in final_states]
        if self.batch_first:
            x = transpose(x, (1, 0, 2))
        return x, final_states

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            text += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        if not self.bias:
            text += ", bias=False"
        if self.batch_first:
            text += ", batch_first=True"
        if self.dropout:
            text += f", dropout={self.dropout}"
        if self.bidirectional:
            text += ", bidirectional=True"
        return text


class RNN(_Recurrent):
    """An Elman RNN: ``h_t = act(x_t @ weight_ih.T + bias_ih + h_(t-1) @ weight_hh.T +
    bias_hh)`` with ``act`` tanh or relu (PyTorch's ``nn.RNN``).

    ``forward(input, hx=None)`` takes ``(time, batch, input_size)`` (PyTorch's default;
    ``(batch, time, ...)`` with ``batch_first=True``, or ``(time, input_size)`` for one
    sequence) and the initial hidden state ``(num_layers * num_directions, batch,
    hidden_size)`` (zeros by default), and returns ``(output, h_n)``: the last layer's hidden
    state at every step, ``(time, batch, num_directions * hidden_size)`` (batch first with
    ``batch_first=True``), and the final hidden state of every layer and direction, shaped
    like ``hx``. ``dropout`` applies to the outputs of every layer but the last while
    training.

    ``input`` may also be a ``PackedSequence`` (``mu.nn.utils.rnn``: sequences of different
    lengths, ``hx`` then has its largest batch): the output is one too, with the same batch
    sizes and order, and ``h_n`` holds each sequence's state after its own last step (the
    reverse direction's after its first), in the order the sequences were given.
    """

    _gates = 1
    _state_count = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got "
                             f"{nonlinearity!r}")
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, device)
        self.nonlinearity = nonlinearity

    def _recurrence(self, x: Any, initial: list[list[Any]], weights: list[Weights],
                    batch_sizes: list[int] | None) -> tuple[Any, list[Any]]:
        return rnn(x, initial, weights, nonlinearity=self.nonlinearity,
                   bidirectional=self.bidirectional, dropout=self.dropout,
                   training=self.training, batch_sizes=batch_sizes)

    @overload
    def forward(self, input: PackedSequence[Any], hx: Tensor[*tuple[Any, ...]] | None = None
                ) -> tuple[PackedSequence[Any], Any]: ...
    @overload
    def forward(self, input: Tensor[*tuple[Any, ...]], hx: Tensor[*tuple[Any, ...]] | None = None
                ) -> tuple[Any, Any]: ...

    def forward(self, input: Tensor[*tuple[Any, ...]] | PackedSequence[Any],
                hx: Tensor[*tuple[Any, ...]] | None = None) -> tuple[Any, Any]:
        """``(output, h_n)`` for the sequence ``input`` (or packed sequences) from the
        initial state ``hx``."""
        output, (final_hidden,) = self._forward(input, None if hx is None else [hx])
        return output, final_hidden

    def extra_repr(self) -> str:
        text = super().extra_repr()
        return text if self.nonlinearity == "tanh" else text + ", nonlinearity='relu'"


class LSTM(_Recurrent):
    """A long short-term memory layer (PyTorch's ``nn.LSTM``), gates in PyTorch's order::

        i, f, g, o = split(x_t @ weight_ih.T + bias_ih + h_(t-1) @ weight_hh.T + bias_hh)
        c_t = sigmoid(f) * c_(t-1) + sigmoid(i) * tanh(g)
        h_t = sigmoid(o) * tanh(c_t)

    ``forward(input, hx=None)`` takes ``(time, batch, input_size)`` (PyTorch's default;
    ``(batch, time, ...)`` with ``batch_first=True``, or ``(time, input_size)`` for one
    sequence) and ``hx = (h_0, c_0)``, each ``(num_layers * num_directions, batch,
    hidden_size)`` (zeros by default), and returns ``(output, (h_n, c_n))``: the last layer's
    hidden state at every step, ``(time, batch, num_directions * hidden_size)`` (batch first
    with ``batch_first=True``), and the final hidden and cell states of every layer and
    direction. ``dropout`` applies to the outputs of every layer but the
    last while training. A ``PackedSequence`` input gives a packed output and each
    sequence's own final states, as ``RNN`` does.

    With ``proj_size > 0`` (smaller than ``hidden_size``), ``h_t = weight_hr @ (sigmoid(o) *
    tanh(c_t))``: each layer and direction has ``weight_hr_l{k}`` ``(proj_size,
    hidden_size)``, ``weight_hh_l{k}`` is ``(4 * hidden_size, proj_size)``, and ``h_0``,
    ``h_n`` and the output are ``proj_size`` wide (``c`` stays ``hidden_size``), as PyTorch's.
    """

    _gates = 4
    _state_count = 2

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: str | None = None,
                 dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, device, proj_size)

    def _recurrence(self, x: Any, initial: list[list[Any]], weights: list[Weights],
                    batch_sizes: list[int] | None) -> tuple[Any, list[Any]]:
        projections = [self._parameters.get(f"weight_hr_l{layer}{suffix}")
                       for layer in range(self.num_layers) for suffix in self._suffixes()]
        return lstm(x, initial, weights, bidirectional=self.bidirectional,
                    dropout=self.dropout, training=self.training,
                    projections=[self._param(found) for found in projections],
                    batch_sizes=batch_sizes)

    @overload
    def forward(self, input: PackedSequence[Any],
                hx: tuple[Tensor[*tuple[Any, ...]], Tensor[*tuple[Any, ...]]] | None = None
                ) -> tuple[PackedSequence[Any], tuple[Any, Any]]: ...
    @overload
    def forward(self, input: Tensor[*tuple[Any, ...]],
                hx: tuple[Tensor[*tuple[Any, ...]], Tensor[*tuple[Any, ...]]] | None = None
                ) -> tuple[Any, tuple[Any, Any]]: ...

    def forward(self, input: Tensor[*tuple[Any, ...]] | PackedSequence[Any],
                hx: tuple[Tensor[*tuple[Any, ...]], Tensor[*tuple[Any, ...]]] | None = None
                ) -> tuple[Any, tuple[Any, Any]]:
        """``(output, (h_n, c_n))`` for the sequence ``input`` (or packed sequences) from the
        initial states ``hx = (h_0, c_0)``."""
        if hx is not None and (not isinstance(hx, tuple | list) or len(hx) != 2):
            raise TypeError("LSTM: hx must be a pair (h_0, c_0) of tensors, got "
                            f"{type(hx).__name__}")
        output, (final_hidden, final_cell) = self._forward(
            input, None if hx is None else list(hx))
        return output, (final_hidden, final_cell)


class GRU(_Recurrent):
    """A gated recurrent unit layer (PyTorch's ``nn.GRU``), gates in PyTorch's order::

        r = sigmoid(W_ir x_t + b_ir + W_hr h_(t-1) + b_hr)
        z = sigmoid(W_iz x_t + b_iz + W_hz h_(t-1) + b_hz)
        n = tanh(W_in x_t + b_in + r * (W_hn h_(t-1) + b_hn))
        h_t = (1 - z) * n + z * h_(t-1)

    ``forward(input, hx=None)`` takes ``(time, batch, input_size)`` (PyTorch's default;
    ``(batch, time, ...)`` with ``batch_first=True``, or ``(time, input_size)`` for one
    sequence) and the initial hidden state ``(num_layers * num_directions, batch,
    hidden_size)`` (zeros by default),
    and returns ``(output, h_n)`` as ``RNN`` does; a ``PackedSequence`` input as ``RNN``'s.
    """

    _gates = 3
    _state_count = 1

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, *, dtype: Any = None,
                 device: str | None = None) -> None:
        super().__init__(input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, dtype, device)

    def _recurrence(self, x: Any, initial: list[list[Any]], weights: list[Weights],
                    batch_sizes: list[int] | None) -> tuple[Any, list[Any]]:
        return gru(x, initial, weights, bidirectional=self.bidirectional,
                   dropout=self.dropout, training=self.training, batch_sizes=batch_sizes)

    @overload
    def forward(self, input: PackedSequence[Any], hx: Tensor[*tuple[Any, ...]] | None = None
                ) -> tuple[PackedSequence[Any], Any]: ...
    @overload
    def forward(self, input: Tensor[*tuple[Any, ...]], hx: Tensor[*tuple[Any, ...]] | None = None
                ) -> tuple[Any, Any]: ...

    def forward(self, input: Tensor[*tuple[Any, ...]] | PackedSequence[Any],
                hx: Tensor[*tuple[Any, ...]] | None = None) -> tuple[Any, Any]:
        """``(output, h_n)`` for the sequence ``input`` (or packed sequences) from the
        initial state ``hx``."""
        output, (final_hidden,) = self._forward(input, None if hx is None else [hx])
        return output, final_hidden
