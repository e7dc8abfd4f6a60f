"""The recurrences of the RNN, LSTM and GRU layers: one module per cell (its loop over time,
its backpropagation through time and its recorded second-order form side by side) and
``_driver``, what they share (the layout, the run of one layer, the stacking of layers and
directions)."""

from mushin.nn.functional.recurrent._driver import Weights
from mushin.nn.functional.recurrent.gru import gru
from mushin.nn.functional.recurrent.lstm import lstm
from mushin.nn.functional.recurrent.rnn import rnn

__all__ = ["Weights", "gru", "lstm", "rnn"]
