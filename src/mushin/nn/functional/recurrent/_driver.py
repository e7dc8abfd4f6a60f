"""What the RNN, LSTM and GRU recurrences share: the layout, the helpers of their three forms,
the run of one layer in one direction, and the stacking of layers and directions.

How a layer runs, for each stacked layer and direction: the recurrence is one primitive
(``rnn_layer``, ``lstm_layer``, ``gru_layer``) whose forward loops over time on the backend
arrays (one matrix product and a few elementwise calls per step) and whose VJP is
backpropagation through time. One primitive for the whole loop, rather than some 10
operations per step, saves their per-node overhead and, above all, slicing each step out of
a sequence-sized array: the gradient of such a slice is a sequence-sized array, once per
step.

All three share one layout (described in full in ``lstm.py``): *feature-major*, every
per-step array ``(rows, B)``, and a *workspace* operand ``(T, rows, B)``, an uninitialised
array whose block for a step starts with ``z_t = [h_(t-1); x_t; 1]``, what the step's matrix
product multiplies by ``[W_hh | W_ih | b]``: the input projection and the bias ride along in
the recurrent product, and every weight's gradient is one product over all the steps at the
end. When a gradient can follow (a ``Variable`` among the operands, gradients enabled), each
block goes on with what the backward step multiplies by, so that a backward step is a few
elementwise calls and one product by ``W_hh.T``. Being an operand, the workspace is saved and
released with the node's inputs, like any saved value. The GRU can't put its new gate's input
projection in the per-step product (the reset gate multiplies the hidden one, bias included):
that one is a batched product before the loop (see ``gru.py``).

A backward with ``create_graph=True`` does not read the workspace: the VJP then recomputes
what it needs from the inputs and the hidden states with recorded operations, so that second
derivatives see how it depends on the inputs.

Each cell's primitive takes the operands ``(x, *initial states, weight_ih, weight_hh, bias_ih,
bias_hh, workspace)`` (the biases ``None`` without bias; the LSTM's ``weight_hr`` before the
workspace, ``None`` without a projection) and the parameters ``reverse``, ``keep`` and the
cell's own options; its output is ``(T, H, B)``, the hidden states in visiting order (the
LSTM's before its projection, which ``run_layer`` applies), followed by the LSTM's final
cell state.

A packed batch of sequences of different lengths (sorted by decreasing length, so the
sequences present at a step are the first ones) runs in segments: the steps over which the
batch stays the same are one run of the primitive on the sequences present, from the states
the previous segment left (``run_packed``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any

import numpy as np

from mushin._backend import Array, namespace_of
from mushin._check import integer, operation_name, probability
from mushin._graph import Primitive, is_grad_enabled
from mushin._tensor import Tensor, Variable, apply, new_constant, storage
from mushin.errors import ShapeError
from mushin.nn.functional.dropout import dropout
from mushin.ops.join import concat, stack
from mushin.ops.shape import matrix_transpose, reshape, transpose

Weights = tuple[Any, Any, Any, Any]
"""``weight_ih, weight_hh, bias_ih, bias_hh`` of one layer and direction (biases may be
``None``)."""

Segment = tuple[int, int, int]
"""Steps of a packed batch over which the batch stays the same: ``(first row, steps,
batch)``."""

# --- the array forms (forward and backpropagation through time) -------------------------------


def dimensions(workspace: Any, weight_ih: Any, weight_hh: Any,
               bias_ih: Any) -> tuple[int, int, int, int, int, Any]:
    """``steps, batch, size, features, width, dtype`` of a layer: ``size`` is the width of
    the state ``h`` a step reads (the hidden size, or the LSTM's projection size), ``width``
    the rows of ``z = [h; x; 1]`` (no 1 without bias)."""
    steps, _, batch = workspace.shape
    size, features = weight_hh.shape[1], weight_ih.shape[1]
    return steps, batch, size, features, size + features + (bias_ih is not None), \
        workspace.dtype


def fill_workspace(workspace: Any, x: Any, initial: Any, width: int, bias: bool,
                   reverse: bool) -> None:
    """Write the rows of every step's ``z_t = [h_(t-1); x_t; 1]`` known before the loop: the
    1 (with a bias), every ``x_t`` in visiting order, and ``h_0``; each step writes the next
    step's ``h``."""
    size = initial.shape[1]
    if bias:
        workspace[:, width - 1] = 1
    workspace[:, size:size + x.shape[2]] = (x[::-1] if reverse else x).transpose(0, 2, 1)
    workspace[0, :size] = initial.T


def quarter_rows(xp: Any, rows: int, sigmoid_rows: int, dtype: Any) -> Array:
    """A ``(rows, 1)`` column of 1/4 over the first ``sigmoid_rows`` (the sigmoid gates, whose
    gradients the backward computes times 4, as 1 - t^2 = 4 s (1 - s)) and 1 below."""
    quarter = xp.ones((rows, 1), dtype=dtype)
    quarter[:sigmoid_rows] = 0.25
    return quarter


def columns(xp: Any, blocks: Any) -> Any:
    """The per-step blocks ``(T, rows, B)`` as one contiguous ``(rows, T * B)`` matrix: what
    the products over all the steps at the end take."""
    steps, rows, batch = blocks.shape
    return xp.ascontiguousarray(blocks.transpose(1, 0, 2)).reshape(rows, steps * batch)


def input_gradient(xp: Any, input_weights: Any, flat: Any, steps: int, batch: int,
                   reverse: bool) -> Any:
    """The gradient of ``x`` ``(T, B, F)`` from ``flat``, the gradients of the pre-activations
    of every step as ``columns``, and the ``(rows, F)`` input weights they met."""
    features = input_weights.shape[1]
    grad_columns = xp.matmul(input_weights.T, flat).reshape(features, steps, batch)
    return (grad_columns[:, ::-1] if reverse else grad_columns).transpose(1, 2, 0)


# --- the recorded form (create_graph=True; F is the tensor function set) ----------------------


def step_order(steps: int, reverse: bool) -> range:
    """The time steps in the order the recurrence visits them."""
    return range(steps - 1, -1, -1) if reverse else range(steps)


def join(F: Any, parts: list[Any], axis: int) -> Any:
    """``parts`` concatenated along the non-negative ``axis``."""
    return F.concat(*parts, axis=axis, sizes=tuple(part.shape[axis] for part in parts))


def stack_steps(F: Any, parts: list[Any]) -> Any:
    """Equally shaped ``parts`` stacked along a new first axis."""
    return join(F, [F.reshape(part, shape=(1, *part.shape)) for part in parts], 0)


def sigmoid(F: Any, value: Any) -> Any:
    """The logistic function, in the form the forward computes it."""
    return 0.5 * F.tanh(0.5 * value) + 0.5


def hidden_states(F: Any, output: Any, count: int) -> list[Any]:
    """The first ``count`` hidden states of the primitive's ``output``, each ``(B, H)``."""
    return [F.matrix_transpose(output[position]) for position in range(count)]


def incoming(F: Any, grad: Any, position: int, carry: Any) -> Any:
    """The gradient of the hidden state at ``position`` (visiting order), ``(B, H)``: the
    output's plus ``carry``, what the later steps sent back (``None`` for the last)."""
    grad_hidden = F.matrix_transpose(grad[position])
    return grad_hidden if carry is None else grad_hidden + carry


def accumulate(totals: list[Any], terms: Sequence[Any]) -> list[Any]:
    """``totals`` plus ``terms``, term by term (``terms`` themselves at the first step)."""
    return list(terms) if not totals else [
        total + term for total, term in zip(totals, terms, strict=True)]


# --- the primitive and its runs -------------------------------------------------------------


def layer_primitive(name: str, forward: Callable[..., Any],
                    array_vjp: Callable[..., tuple[Any, ...]],
                    graph_vjp: Callable[..., tuple[Any, ...]],
                    cpu_forward: Callable[..., Any] | None = None,
                    cpu_array_vjp: Callable[..., Any] | None = None) -> Primitive:
    """The primitive of one layer in one direction: ``forward`` the loop over time, its VJP
    ``array_vjp(xp, grad, inputs, output, parents, reverse)`` (backpropagation through time
    from the workspace) or, when the backward is recorded, ``graph_vjp(F, grad, inputs,
    output, parents, reverse, **options)`` (the cell's options, such as the RNN's
    nonlinearity). ``cpu_forward`` and ``cpu_array_vjp``, of the same signatures as
    ``forward`` and ``array_vjp``, are the cell's fused CPU kernels (``mushin.kernels.cpu``);
    each returns ``NotImplemented`` for arrays it does not take."""

    def vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any, reverse: bool,
            keep: bool, **options: Any) -> tuple[Any, ...]:
        # ``keep`` only told the forward to fill the workspace, which a VJP always has
        if F.graph_mode:
            return graph_vjp(F, grad, inputs, output, parents, reverse=reverse, **options)
        return array_vjp(F.xp, grad, inputs, output, parents, reverse)

    def cpu_vjp(F: Any, grad: Any, inputs: Any, output: Any, parents: Any, reverse: bool,
                keep: bool, **options: Any) -> Any:
        assert cpu_array_vjp is not None  # (only registered with one)
        return cpu_array_vjp(F.xp, grad, inputs, output, parents, reverse)

    return Primitive(name, forward, vjp, saves="both", cpu_forward=cpu_forward,
                     cpu_vjp=None if cpu_array_vjp is None else cpu_vjp)


def run_layer(layer: Primitive, kept_rows: int, x: Any, initial: Sequence[Any],
              weights: Weights, reverse: bool, projection: tuple[Any, ...] = (),
              **options: Any) -> tuple[Any, list[Any]]:
    """One layer in one direction over the time-major ``x`` ``(T, B, F)`` from the
    ``initial`` states ``(B, ·)``: the hidden state of every step ``(T, B, ·)`` and the final
    states. ``kept_rows`` is the cell's per-step workspace rows after ``z``, in units of its
    hidden size, when a gradient is to come. ``projection`` is the LSTM's operand after the
    weights, ``(weight_hr,)`` (``(None,)`` without a projection; empty for the other cells):
    the primitive's states are then the unprojected ``o * tanh(c)``, projected here."""
    operands = (x, *initial, *weights, *projection)
    keep = is_grad_enabled() and any(isinstance(operand, Variable) for operand in operands)
    steps, batch, features = x.shape
    size = weights[1].shape[1]
    weight_hr = projection[0] if projection else None
    hidden_size = size if weight_hr is None else weight_hr.shape[1]
    rows = size + features + (weights[2] is not None) + (kept_rows * hidden_size if keep else 0)
    dtype = np.result_type(x.dtype, weights[0].dtype)
    workspace = new_constant(namespace_of(storage(x)).empty((steps, rows, batch), dtype=dtype))
    result = apply(layer, *operands, workspace, reverse=reverse, keep=keep, **options)
    # (T, H, B) in visiting order, then (LSTM) the final cell state
    if reverse:
        visited = result[steps - 1::-1]
    else:
        visited = result if result.shape[0] == steps else result[:steps]
    finals = [matrix_transpose(result[index])  # the last hidden state, then the cell state
              for index in range(steps - 1, result.shape[0])]
    hidden = transpose(visited, (0, 2, 1))
    if weight_hr is not None:
        hidden = hidden @ matrix_transpose(weight_hr)
        finals[0] = hidden[0 if reverse else steps - 1]
    return hidden, finals


def packed_segments(batch_sizes: Sequence[int]) -> list[Segment]:
    """The runs of steps of a packed batch (``batch_sizes[t]`` sequences, sorted by decreasing
    length, have a step ``t``) over which the batch stays the same: ``(first row of the
    packed data, steps, batch)`` for each, in time order."""
    segments: list[Segment] = []
    row = 0
    for batch in batch_sizes:
        if segments and segments[-1][2] == batch:
            first, steps, _ = segments[-1]
            segments[-1] = (first, steps + 1, batch)
        else:
            segments.append((row, 1, batch))
        row += batch
    return segments


def run_packed(layer: Primitive, kept_rows: int, data: Any, segments: Sequence[Segment],
               initial: Sequence[Any], weights: Weights, reverse: bool,
               projection: tuple[Any, ...] = (), **options: Any) -> tuple[Any, list[Any]]:
    """One layer in one direction over a packed batch, ``data`` ``(rows, F)`` cut into the
    ``segments`` of :func:`packed_segments`: the hidden states as packed rows ``(rows, ·)``
    and each sequence's final states ``(B, ·)``, those after its own last step (forward) or
    after its first (reverse, which starts each sequence at its last step from its initial
    state). Each segment is one run of the layer's primitive on the sequences it holds, from
    the states the previous one left: a sequence that ends keeps its state as its final
    one (forward), one that starts joins from its initial state (reverse)."""
    outputs: list[Any] = []
    ended: list[list[Any]] = [[] for _ in initial]  # forward: the states of finished columns
    states = list(initial)
    if reverse:
        segments = segments[::-1]
        states = [state[:segments[0][2]] for state in initial]
    for row, steps, batch in segments:
        held = states[0].shape[0]
        if batch < held:
            for found, state in zip(ended, states, strict=True):
                found.append(state[batch:])
            states = [state[:batch] for state in states]
        elif batch > held:
            states = [concat([state, start[held:batch]], axis=0)
                      for state, start in zip(states, initial, strict=True)]
        x = reshape(data[row:row + steps * batch], (steps, batch, data.shape[1]))
        hidden, states = run_layer(layer, kept_rows, x, states, weights, reverse, projection,
                                   **options)
        outputs.append(reshape(hidden, (steps * batch, hidden.shape[2])))
    if reverse:
        outputs.reverse()
    # the columns that ended first are the last ones
    finals = [concat([state, *found[::-1]], axis=0) if found else state
              for state, found in zip(states, ended, strict=True)]
    return concat(outputs, axis=0) if len(outputs) > 1 else outputs[0], finals


def run_layers(layer: Primitive, kept_rows: int, x: Any, initial: Sequence[Sequence[Any]],
               weights: Sequence[Weights], bidirectional: bool, dropout_rate: float,
               training: bool, projections: Sequence[Any] | None = None,
               batch_sizes: Sequence[int] | None = None,
               **options: Any) -> tuple[Any, list[Any]]:
    """Stacked layers, each in one or two directions, over the time-major ``x`` ``(T, B,
    F)``: the last layer's output ``(T, B, directions * H)`` and the final states, each
    ``(layers * directions, B, H)``. ``initial`` and ``weights`` hold, for every layer and
    direction in PyTorch's order, its initial states ``(B, H)`` and its weights (and
    ``projections`` the LSTM's ``weight_hr`` or ``None``; ``None`` for the other cells).
    Dropout of rate ``dropout_rate`` applies to the output of every layer but the last while
    ``training``. With ``batch_sizes``, ``x`` is a packed batch's data ``(rows, F)`` (see
    :func:`run_packed`) and so is the output ``(rows, directions * H)``."""
    directions = 2 if bidirectional else 1
    _check_arguments(layer.name.removesuffix("_layer"), x, initial, weights, directions,
                     dropout_rate, projections, batch_sizes)
    count = len(weights) // directions
    segments = None if batch_sizes is None else packed_segments(batch_sizes)
    finals: list[list[Any]] = [[] for _ in initial[0]]
    for layer_index in range(count):
        outputs: list[Any] = []
        for direction in range(directions):
            index = layer_index * directions + direction
            projection = () if projections is None else (projections[index],)
            if segments is None:
                hidden, states = run_layer(layer, kept_rows, x, initial[index], weights[index],
                                           direction == 1, projection, **options)
            else:
                hidden, states = run_packed(layer, kept_rows, x, segments, initial[index],
                                            weights[index], direction == 1, projection,
                                            **options)
            outputs.append(hidden)
            for found, state in zip(finals, states, strict=True):
                found.append(state)
        x = outputs[0] if len(outputs) == 1 else concat(outputs, axis=-1)
        if layer_index < count - 1:
            x = dropout(x, dropout_rate, training=training)
    return x, [stack(found, axis=0) for found in finals]


def _check_arguments(name: str, x: Any, initial: Any, weights: Any, directions: int,
                     dropout_rate: Any, projections: Any, batch_sizes: Any) -> None:
    """Refuse, naming the function called, what ``run_layers`` cannot run: ``x`` not a
    floating tensor of 3 axes (2 for packed data), ``weights`` not one 4-tuple per layer and
    direction (2-d weights, 1-d biases or ``None``), ``initial`` not as many sequences of
    2-d states, ``projections`` not one 2-d tensor or ``None`` each, a ``batch_sizes`` that
    is not a packed batch's. The sizes are checked where the arrays meet, in the forward."""
    called = operation_name(name)
    axes = 3 if batch_sizes is None else 2
    if not _is_tensor(x) or not x.is_floating_point():
        raise TypeError(f"{called}: x must be a floating tensor, got {_described(x)}")
    if x.ndim != axes:
        raise ShapeError(f"{called}: x must have {axes} axes, got shape {x.shape}")
    if not _is_sequence(weights) or not weights or len(weights) % directions:
        raise TypeError(f"{called}: weights must be a non-empty list with one (weight_ih, "
                        f"weight_hh, bias_ih, bias_hh) per layer and direction ({directions} "
                        f"per layer), got {_described(weights)}")
    for layer_weights in weights:
        if not (_is_sequence(layer_weights) and len(layer_weights) == 4
                and all(_is_tensor(weight, 2) for weight in layer_weights[:2])
                and all(bias is None or _is_tensor(bias, 1) for bias in layer_weights[2:])):
            raise TypeError(f"{called}: each layer's weights must be (weight_ih, weight_hh, "
                            "bias_ih, bias_hh): 2-d tensors, then 1-d tensors or None, got "
                            f"{_described(layer_weights)}")
    if not _is_sequence(initial) or len(initial) != len(weights) or not all(
            _is_sequence(states) and states and len(states) == len(initial[0])
            and all(_is_tensor(state, 2) for state in states) for states in initial):
        raise TypeError(f"{called}: initial must hold, for each of the {len(weights)} layers "
                        f"and directions, its initial states as 2-d tensors, got "
                        f"{_described(initial)}")
    if projections is not None and not (
            _is_sequence(projections) and len(projections) == len(weights)
            and all(item is None or _is_tensor(item, 2) for item in projections)):
        raise TypeError(f"{called}: projections must hold a 2-d tensor or None for each of "
                        f"the {len(weights)} layers and directions, got "
                        f"{_described(projections)}")
    probability(name, "dropout", dropout_rate)
    if batch_sizes is not None:
        if not _is_sequence(batch_sizes) or not batch_sizes:
            raise TypeError(f"{called}: batch_sizes must be a non-empty list of ints, got "
                            f"{_described(batch_sizes)}")
        sizes = [integer(name, "a batch size", size, 1) for size in batch_sizes]
        if any(later > earlier for earlier, later in pairwise(sizes)) or sum(sizes) != x.shape[0]:
            raise ValueError(f"{called}: batch_sizes must not increase and must add up to the "
                             f"{x.shape[0]} rows of the packed data, got {sizes}")


# (predicates that leave their argument untyped: an isinstance would narrow it to a generic
# class of unknown parameters)
def _is_sequence(value: Any) -> bool:
    return isinstance(value, list | tuple)


def _is_tensor(value: Any, ndim: int | None = None) -> bool:
    return isinstance(value, Tensor) and (ndim is None or value.ndim == ndim)


def _described(value: Any) -> str:
    """A short description of an argument for a message (a tensor by its shape)."""
    if _is_tensor(value):
        return f"a tensor of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 60 else type(value).__name__
