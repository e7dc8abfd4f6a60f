"""``mu.nn.utils.rnn`` (PackedSequence, packing and padding) and the recurrent layers on packed
sequences, with PyTorch's ``torch.nn.utils.rnn`` and layers as the oracle: values, gradients
(and second derivatives) in float64, sorted and unsorted batches, both layouts, the stand-in
device and the errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from oracle import assert_gradients_match

import mushin as mu
from mushin.nn.layers.recurrent import GRU, LSTM, RNN
from mushin.nn.utils import rnn
from mushin.nn.utils.rnn import PackedSequence

torch = pytest.importorskip("torch")
torch_rnn = torch.nn.utils.rnn

LAYERS = {"RNN": RNN, "LSTM": LSTM, "GRU": GRU}
FEATURES, HIDDEN = 3, 4
LENGTHS = [
    pytest.param([5, 3, 3, 1], True, id="sorted-with-ties"),
    pytest.param([2, 5, 1, 4, 5], False, id="unsorted"),
    pytest.param([3, 3, 3], True, id="equal"),
    pytest.param([1], True, id="one-sequence"),
]


def _padded(rng: np.random.Generator, lengths: list[int], batch_first: bool,
            extra: int = 1) -> np.ndarray[Any, Any]:
    """A padded batch, ``extra`` steps longer than the longest sequence."""
    steps, batch = max(lengths) + extra, len(lengths)
    return rng.standard_normal((batch, steps, FEATURES) if batch_first
                               else (steps, batch, FEATURES))


def _assert_packed_equal(ours: PackedSequence[Any], theirs: Any) -> None:
    np.testing.assert_array_equal(ours.data.numpy(), theirs.data.detach().numpy())
    assert ours.batch_sizes.dtype == np.int64 and ours.batch_sizes.device == "cpu"
    np.testing.assert_array_equal(ours.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    for mine, other in ((ours.sorted_indices, theirs.sorted_indices),
                        (ours.unsorted_indices, theirs.unsorted_indices)):
        assert (mine is None) == (other is None)
        if mine is not None:
            assert mine.dtype == np.int64
            np.testing.assert_array_equal(mine.numpy(), other.numpy())


# --- packing and padding -------------------------------------------------------------------------


@pytest.mark.parametrize(("lengths", "enforce_sorted"), LENGTHS)
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_and_pad_match_pytorch_with_gradients(lengths: list[int], enforce_sorted: bool,
                                                    batch_first: bool) -> None:
    rng = np.random.default_rng(0)
    x = _padded(rng, lengths, batch_first)
    ours_x, theirs_x = mu.variable(x), torch.tensor(x, requires_grad=True)
    ours = rnn.pack_padded_sequence(ours_x, lengths, batch_first=batch_first,
                                    enforce_sorted=enforce_sorted)
    theirs = torch_rnn.pack_padded_sequence(theirs_x, lengths, batch_first=batch_first,
                                            enforce_sorted=enforce_sorted)
    _assert_packed_equal(ours, theirs)
    # padded back in the other layout, longer than needed, with a padding value
    options = {"batch_first": not batch_first, "padding_value": -2.5,
               "total_length": max(lengths) + 2}
    ours_padded, ours_lengths = rnn.pad_packed_sequence(ours, **options)
    theirs_padded, theirs_lengths = torch_rnn.pad_packed_sequence(theirs, **options)
    np.testing.assert_array_equal(ours_padded.numpy(), theirs_padded.detach().numpy())
    assert ours_lengths.dtype == np.int64 and ours_lengths.device == "cpu"
    np.testing.assert_array_equal(ours_lengths.numpy(), theirs_lengths.numpy())
    seed = rng.standard_normal(ours_padded.shape)
    (ours_padded * seed).sum().backward()
    (theirs_padded * torch.tensor(seed)).sum().backward()
    np.testing.assert_array_equal(ours_x.grad().numpy(), theirs_x.grad.numpy())


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_and_unpack_sequence_match_pytorch(enforce_sorted: bool) -> None:
    rng = np.random.default_rng(1)
    lengths = [4, 2, 2, 1] if enforce_sorted else [2, 4, 1, 2]
    values = [rng.standard_normal((length, 2, 3)) for length in lengths]
    ours_inputs = [mu.variable(value) for value in values]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in values]
    ours = rnn.pack_sequence(ours_inputs, enforce_sorted=enforce_sorted)
    theirs = torch_rnn.pack_sequence(theirs_inputs, enforce_sorted=enforce_sorted)
    _assert_packed_equal(ours, theirs)
    ours_back, theirs_back = rnn.unpack_sequence(ours), torch_rnn.unpack_sequence(theirs)
    assert len(ours_back) == len(theirs_back)
    ours_loss, theirs_loss = (ours.data ** 2).sum(), (theirs.data ** 2).sum()
    for index, (mine, other) in enumerate(zip(ours_back, theirs_back, strict=True)):
        np.testing.assert_array_equal(mine.numpy(), other.detach().numpy())
        ours_loss = ours_loss + (mine * (index + 1)).sum()
        theirs_loss = theirs_loss + (other * (index + 1)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    for mine, other in zip(ours_inputs, theirs_inputs, strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-15)


@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pad_and_unpad_sequence_match_pytorch(padding_side: str, batch_first: bool) -> None:
    rng = np.random.default_rng(2)
    values = [rng.standard_normal((length, 2)) for length in (2, 4, 0, 3)]
    ours_inputs = [mu.variable(value) for value in values]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in values]
    ours = rnn.pad_sequence(ours_inputs, batch_first=batch_first, padding_value=7.0,
                            padding_side=padding_side)
    theirs = torch_rnn.pad_sequence(theirs_inputs, batch_first=batch_first, padding_value=7.0,
                                    padding_side=padding_side)
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    seed = rng.standard_normal(ours.shape)
    (ours * seed).sum().backward()
    (theirs * torch.tensor(seed)).sum().backward()
    for mine, other in zip(ours_inputs, theirs_inputs, strict=True):
        np.testing.assert_array_equal(mine.grad().numpy(), other.grad.numpy())
    if padding_side == "right":
        lengths = [len(value) for value in values]
        pieces = rnn.unpad_sequence(ours, mu.tensor(lengths), batch_first=batch_first)
        for piece, value in zip(pieces, values, strict=True):
            np.testing.assert_array_equal(piece.numpy(), value)


def test_pad_sequence_takes_a_tensor_and_the_first_dtype() -> None:
    """A tensor counts as its slices along axis 0; later sequences take the first one's dtype
    (PyTorch copies them into it)."""
    stacked = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(rnn.pad_sequence(mu.tensor(stacked)).numpy(),
                                  torch_rnn.pad_sequence(torch.tensor(stacked)).numpy())
    mixed = rnn.pad_sequence([mu.zeros(2, dtype=mu.float32), mu.ones(3, dtype=mu.float64)])
    assert mixed.dtype == np.float32 and mixed.shape == (3, 2)


def test_integer_data_packs_and_pads() -> None:
    tokens = [mu.tensor([1, 2, 3]), mu.tensor([4, 5]), mu.tensor([6])]
    packed = rnn.pack_sequence(tokens)
    assert isinstance(packed.data, mu.Constant)
    np.testing.assert_array_equal(packed.data.numpy(), [1, 4, 6, 2, 5, 3])
    padded, lengths = rnn.pad_packed_sequence(packed, batch_first=True, padding_value=-1)
    assert padded.dtype == np.int64
    np.testing.assert_array_equal(padded.numpy(), [[1, 2, 3], [4, 5, -1], [6, -1, -1]])
    np.testing.assert_array_equal(lengths.numpy(), [3, 2, 1])


def test_packed_sequence_is_pytorchs_named_tuple() -> None:
    data = mu.tensor([[1.0], [2.0], [3.0]], dtype=mu.float64)
    packed = PackedSequence(data, mu.tensor([2, 1]), mu.tensor([1, 0]))
    assert packed._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    # the unsorted indices are the sorted ones' inverse
    assert packed.unsorted_indices is not None
    np.testing.assert_array_equal(packed.unsorted_indices.numpy(), [1, 0])
    values, batch_sizes, sorted_indices, _ = packed
    assert values is data and batch_sizes is packed.batch_sizes
    assert sorted_indices is packed.sorted_indices
    as_float = packed.float()
    assert as_float.data.dtype == np.float32 and as_float.batch_sizes is packed.batch_sizes
    assert packed.double() is packed  # nothing changes
    assert packed.to(mu.float64) is packed
    replaced = packed._replace(data=data * 2)
    assert isinstance(replaced, PackedSequence)
    np.testing.assert_array_equal(replaced.data.numpy(), [[2.0], [4.0], [6.0]])
    assert not packed.is_cuda
    with pytest.raises(TypeError, match="batch_sizes is required"):
        PackedSequence(data)


# --- the recurrent layers on packed sequences ----------------------------------------------------


def _torch_pair(kind: str, config: dict[str, Any]) -> tuple[Any, Any]:
    torch.manual_seed(0)
    theirs = getattr(torch.nn, kind)(FEATURES, HIDDEN, dtype=torch.float64, **config)
    ours = LAYERS[kind](FEATURES, HIDDEN, dtype="float64", **config)
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    return ours, theirs


def _initial(kind: str, layer: Any, rng: np.random.Generator, batch: int) -> list[Any]:
    count = layer.num_layers * layer.num_directions
    sizes = (layer.proj_size or layer.hidden_size, layer.hidden_size)
    return [rng.standard_normal((count, batch, size))
            for size in sizes[:2 if kind == "LSTM" else 1]]


def _hx(kind: str, states: list[Any]) -> Any:
    if not states:
        return None
    return tuple(states) if kind == "LSTM" else states[0]


def _finals(kind: str, result: Any) -> list[Any]:
    return list(result[1]) if kind == "LSTM" else [result[1]]


def compare_packed(kind: str, config: dict[str, Any], lengths: list[int], enforce_sorted: bool,
                   batch_first: bool, with_state: bool) -> None:
    """Pack, run the layer, read the packed output and the final states: values and every
    gradient (input, initial states, parameters) against PyTorch."""
    ours_layer, theirs_layer = _torch_pair(kind, config)
    rng = np.random.default_rng(3)
    x = _padded(rng, lengths, batch_first)
    initial = _initial(kind, ours_layer, rng, len(lengths)) if with_state else []
    ours_inputs = [mu.variable(value) for value in (x, *initial)]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in (x, *initial)]
    ours_packed = rnn.pack_padded_sequence(ours_inputs[0], lengths, batch_first=batch_first,
                                           enforce_sorted=enforce_sorted)
    theirs_packed = torch_rnn.pack_padded_sequence(
        theirs_inputs[0], lengths, batch_first=batch_first, enforce_sorted=enforce_sorted)
    ours_result = ours_layer(ours_packed, _hx(kind, ours_inputs[1:]))
    theirs_result = theirs_layer(theirs_packed, _hx(kind, theirs_inputs[1:]))
    assert isinstance(ours_result[0], PackedSequence)
    _assert_packed_equal_values(ours_result[0], theirs_result[0])
    ours_outputs = [ours_result[0].data, *_finals(kind, ours_result)]
    theirs_outputs = [theirs_result[0].data, *_finals(kind, theirs_result)]
    ours_loss = ours_outputs[0].sum() * 0.0
    theirs_loss = theirs_outputs[0].sum() * 0.0
    for mine, other in zip(ours_outputs, theirs_outputs, strict=True):
        np.testing.assert_allclose(mine.numpy(), other.detach().numpy(), rtol=1e-10,
                                   atol=1e-12)
        seed = rng.standard_normal(mine.shape)
        ours_loss = ours_loss + (mine * seed).sum()
        theirs_loss = theirs_loss + (other * torch.tensor(seed)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    assert_gradients_match(ours_inputs, theirs_inputs, ours_layer, theirs_layer)


def _assert_packed_equal_values(ours: PackedSequence[Any], theirs: Any) -> None:
    """The same batch layout (sizes and order), the data within float64 rounding."""
    np.testing.assert_array_equal(ours.batch_sizes.numpy(), theirs.batch_sizes.numpy())
    for mine, other in ((ours.sorted_indices, theirs.sorted_indices),
                        (ours.unsorted_indices, theirs.unsorted_indices)):
        assert (mine is None) == (other is None)
        if mine is not None:
            np.testing.assert_array_equal(mine.numpy(), other.numpy())
    np.testing.assert_allclose(ours.data.numpy(), theirs.data.detach().numpy(), rtol=1e-10,
                               atol=1e-12)


CONFIGS = [
    pytest.param({}, id="one-layer"),
    pytest.param({"num_layers": 2, "bidirectional": True}, id="two-layers-bidirectional"),
    pytest.param({"bias": False, "bidirectional": True}, id="no-bias-bidirectional"),
]


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize("config", CONFIGS)
@pytest.mark.parametrize(("lengths", "enforce_sorted"), LENGTHS[:2])
def test_layers_on_packed_sequences_match_pytorch(kind: str, config: dict[str, Any],
                                                  lengths: list[int],
                                                  enforce_sorted: bool) -> None:
    compare_packed(kind, config, lengths, enforce_sorted, batch_first=False, with_state=False)


@pytest.mark.parametrize("kind", LAYERS)
@pytest.mark.parametrize(("lengths", "enforce_sorted"), LENGTHS)
def test_layers_on_packed_sequences_from_a_given_state(kind: str, lengths: list[int],
                                                       enforce_sorted: bool) -> None:
    """Given initial states are in the batch's own order: the layer sorts them as the
    sequences, and gives the final states back in that order."""
    compare_packed(kind, {"num_layers": 2, "bidirectional": True, "batch_first": True},
                   lengths, enforce_sorted, batch_first=True, with_state=True)


def test_relu_rnn_on_packed_sequences_matches_pytorch() -> None:
    compare_packed("RNN", {"nonlinearity": "relu", "bidirectional": True}, [2, 5, 1, 4],
                   False, batch_first=False, with_state=True)


@pytest.mark.parametrize("kind", LAYERS)
def test_final_state_is_each_sequences_own(kind: str) -> None:
    """Each sequence's final state is that of running the layer on that sequence alone (its
    last step forwards, its first backwards), and its outputs are the same too."""
    layer = LAYERS[kind](FEATURES, HIDDEN, bidirectional=True, dtype="float64")
    rng = np.random.default_rng(4)
    sequences = [mu.constant(rng.standard_normal((length, FEATURES))) for length in (2, 5, 3)]
    output, finals = layer(rnn.pack_sequence(sequences, enforce_sorted=False))
    hidden = finals[0] if kind == "LSTM" else finals
    for index, (sequence, alone) in enumerate(zip(sequences, rnn.unpack_sequence(output),
                                                  strict=True)):
        own_output, own_finals = layer(sequence)
        own_hidden = own_finals[0] if kind == "LSTM" else own_finals
        np.testing.assert_allclose(alone.numpy(), own_output.numpy(), rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(hidden[:, index].numpy(), own_hidden.numpy(), rtol=1e-12,
                                   atol=1e-14)


@pytest.mark.parametrize("kind", LAYERS)
def test_second_derivatives_on_packed_sequences_match_pytorch(kind: str) -> None:
    """backward(create_graph=True) through packing, the layer and padding, then a loss of
    the gradients, against torch.autograd."""
    ours_layer, theirs_layer = _torch_pair(kind, {"bidirectional": True})
    rng = np.random.default_rng(5)
    lengths = [3, 4, 1]
    x = _padded(rng, lengths, batch_first=False, extra=0)
    ours_x, theirs_x = mu.variable(x), torch.tensor(x, requires_grad=True)

    def loss(module: Any, value: Any, pack: Any, pad: Any) -> Any:
        output, _ = module(pack(value, lengths, enforce_sorted=False))
        padded, _ = pad(output)
        return (padded ** 2).sum()

    theirs_loss = loss(theirs_layer, theirs_x, torch_rnn.pack_padded_sequence,
                       torch_rnn.pad_packed_sequence)
    (theirs_grad,) = torch.autograd.grad(theirs_loss, [theirs_x], create_graph=True)
    (theirs_grad ** 2).sum().backward()
    ours_loss = loss(ours_layer, ours_x, rnn.pack_padded_sequence, rnn.pad_packed_sequence)
    ours_loss.backward(create_graph=True)
    ours_grad = ours_x.grad()
    ours_x.reset()
    for parameter in ours_layer.parameters():
        parameter.reset()
    (ours_grad ** 2).sum().backward()
    np.testing.assert_allclose(ours_x.grad().numpy(), theirs_x.grad.numpy(), rtol=1e-8,
                               atol=1e-10)
    for (name, mine), (_, other) in zip(ours_layer.named_parameters(),
                                        theirs_layer.named_parameters(), strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-8,
                                   atol=1e-10, err_msg=name)


@pytest.mark.parametrize("kind", LAYERS)
def test_packed_sequences_without_gradients(kind: str) -> None:
    """Under no_grad (nothing kept for a backward) the packed run gives the same values."""
    layer = LAYERS[kind](FEATURES, HIDDEN, num_layers=2, dtype="float64")
    x = mu.tensor(np.random.default_rng(6).standard_normal((5, 3, FEATURES)))
    packed = rnn.pack_padded_sequence(x, [5, 2, 4], enforce_sorted=False)
    tracked_output, tracked_finals = layer(packed)
    with mu.no_grad():
        output, finals = layer(packed)
    np.testing.assert_array_equal(output.data.numpy(), tracked_output.data.numpy())
    for mine, other in zip(_finals(kind, (None, finals)), _finals(kind, (None, tracked_finals)),
                           strict=True):
        np.testing.assert_array_equal(mine.numpy(), other.numpy())


def test_dropout_between_layers_on_packed_sequences() -> None:
    """Dropout applies to the packed outputs of every layer but the last while training; in
    eval mode the run is deterministic."""
    layer = GRU(FEATURES, HIDDEN, num_layers=2, dropout=0.5, dtype="float64")
    packed = rnn.pack_sequence([mu.ones((4, FEATURES), dtype=mu.float64),
                                mu.ones((2, FEATURES), dtype=mu.float64)])
    training = layer(packed)[0].data.numpy()
    layer.eval()
    first, second = layer(packed)[0].data.numpy(), layer(packed)[0].data.numpy()
    np.testing.assert_array_equal(first, second)
    assert training.shape == first.shape == (6, HIDDEN)
    assert not np.allclose(training, first)


# --- devices -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", LAYERS)
def test_packed_sequences_on_a_device_like_on_the_cpu(kind: str, device: str) -> None:
    rng = np.random.default_rng(7)
    lengths = [2, 5, 3]
    x = _padded(rng, lengths, batch_first=True, extra=0)
    cpu_layer = LAYERS[kind](FEATURES, HIDDEN, bidirectional=True, batch_first=True,
                             dtype="float64")
    moved_layer = LAYERS[kind](FEATURES, HIDDEN, bidirectional=True, batch_first=True,
                               dtype="float64", device=device)
    moved_layer.load_state_dict(cpu_layer.state_dict())
    results = []
    for layer, where in ((cpu_layer, "cpu"), (moved_layer, device)):
        value = mu.variable(x, device=where)
        packed = rnn.pack_padded_sequence(value, mu.tensor(lengths), batch_first=True,
                                          enforce_sorted=False)
        assert packed.data.device == where and packed.batch_sizes.device == "cpu"
        assert packed.sorted_indices is not None and packed.sorted_indices.device == where
        output, finals = layer(packed)
        padded, _ = rnn.pad_packed_sequence(output, batch_first=True)
        hidden = finals[0] if kind == "LSTM" else finals
        ((padded ** 2).sum() + (hidden ** 3).sum()).backward()
        assert padded.device == where and hidden.device == where
        results.append((padded.numpy(), hidden.numpy(), value.grad().numpy()))
    tolerance = {"rtol": 1e-10, "atol": 1e-13}
    for mine, other in zip(*results, strict=True):
        np.testing.assert_allclose(mine, other, **tolerance)


def test_packed_sequence_moves_between_devices(device: str) -> None:
    packed = rnn.pack_sequence([mu.ones((3, 2)), mu.ones((1, 2))], enforce_sorted=False)
    moved = packed.to(device)
    assert moved.data.device == device and moved.batch_sizes.device == "cpu"
    assert moved.sorted_indices is not None and moved.sorted_indices.device == device
    assert moved.unsorted_indices is not None and moved.unsorted_indices.device == device
    back = moved.cpu()
    assert back.data.device == "cpu"
    np.testing.assert_array_equal(back.data.numpy(), packed.data.numpy())


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("lengths", "options", "error", "match"), [
    ([2, 3, 1], {}, ValueError, r"pack_padded_sequence: with enforce_sorted=True the lengths "
     r"must be sorted in decreasing order, got \[2, 3, 1\]; pass enforce_sorted=False"),
    ([3, 0, 1], {"enforce_sorted": False}, ValueError,
     r"pack_padded_sequence: every length must be at least 1, got lengths \[3, 0, 1\]"),
    ([5, 2, 1], {}, ValueError,
     r"pack_padded_sequence: no length can exceed the time axis's 4 steps, got lengths "
     r"\[5, 2, 1\]"),
    ([3, 2], {}, mu.ShapeError,
     r"pack_padded_sequence: expected one length per sequence \(3, the batch size\), got 2"),
    ([[3, 2, 1]], {}, TypeError, "pack_padded_sequence: lengths must be ints"),
    ([3.0, 2.0, 1.0], {}, TypeError, "pack_padded_sequence: lengths must be ints"),
    ([3, 2, 1], {"batch_first": 1}, TypeError, "batch_first must be True or False"),
])
def test_pack_padded_sequence_errors(lengths: Any, options: dict[str, Any],
                                     error: type[Exception], match: str) -> None:
    x = mu.zeros(4, 3, 2)
    with pytest.raises(error, match=match):
        rnn.pack_padded_sequence(x, lengths, **options)


def test_lengths_against_the_time_axis_of_a_batch_first_input() -> None:
    x = mu.zeros(2, 3, 1)  # (batch, time, features)
    with pytest.raises(ValueError, match="exceed the time axis's 3 steps"):
        rnn.pack_padded_sequence(x, [4, 1], batch_first=True)
    with pytest.raises(TypeError, match="pack_padded_sequence: lengths must be a 1-d integer "
                                        "tensor, got dtype float32"):
        rnn.pack_padded_sequence(x, mu.tensor([2.0, 1.0]), batch_first=True)
    with pytest.raises(mu.ShapeError, match=r"at least 2 axes.*got shape \(3,\)"):
        rnn.pack_padded_sequence(mu.zeros(3), [1])
    with pytest.raises(TypeError, match="pack_padded_sequence: the input must be a tensor"):
        rnn.pack_padded_sequence(np.zeros((3, 2)), [3, 1])


def test_padding_and_sequence_errors() -> None:
    packed = rnn.pack_sequence([mu.ones((3, 2)), mu.ones((1, 2))])
    with pytest.raises(ValueError, match=r"pad_packed_sequence: total_length must be at least "
                                         r"the longest sequence's length 3, got total_length=2"):
        rnn.pad_packed_sequence(packed, total_length=2)
    with pytest.raises(TypeError, match="pad_packed_sequence: expected a PackedSequence"):
        rnn.pad_packed_sequence(mu.ones((3, 2)))  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="pad_sequence: received an empty list of sequences"):
        rnn.pad_sequence([])
    with pytest.raises(mu.ShapeError, match=r"pad_sequence: every sequence must be \(length, "
                                            r"\*\(3,\)\).*sequence 1 has shape \(2, 4\)"):
        rnn.pad_sequence([mu.ones((2, 3)), mu.ones((2, 4))])
    with pytest.raises(ValueError, match="pad_sequence: padding_side must be 'left' or "
                                         "'right', got 'top'"):
        rnn.pad_sequence([mu.ones((2, 3))], padding_side="top")
    with pytest.raises(TypeError, match="pad_sequence: padding_value must be a number"):
        rnn.pad_sequence([mu.ones((2, 3))], padding_value="0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"pack_sequence: with enforce_sorted=True the lengths "
                                         r"must be sorted in decreasing order, got \[1, 3\]"):
        rnn.pack_sequence([mu.ones((1, 2)), mu.ones((3, 2))])
    with pytest.raises(ValueError, match="pack_sequence: every length must be at least 1"):
        rnn.pack_sequence([mu.ones((1, 2)), mu.ones((0, 2))])
    with pytest.raises(ValueError, match=r"unpad_sequence: every length must be in 0\.\.3"):
        rnn.unpad_sequence(mu.ones((3, 2)), [4, 1])


@pytest.mark.parametrize("kind", LAYERS)
def test_layer_errors_on_packed_sequences(kind: str) -> None:
    layer = LAYERS[kind](FEATURES, HIDDEN)
    packed = rnn.pack_sequence([mu.ones((3, FEATURES)), mu.ones((1, FEATURES))])
    wrong = rnn.pack_sequence([mu.ones((3, 2)), mu.ones((1, 2))])
    with pytest.raises(mu.ShapeError, match=rf"{kind}: expected packed data of shape \(steps, "
                                            r"3\), got shape \(4, 2\)"):
        layer(wrong)
    states = [mu.zeros((1, 3, HIDDEN))] * (2 if kind == "LSTM" else 1)
    with pytest.raises(mu.ShapeError, match=r"initial state of shape \(1, 2, 4\).*\(1, 3, 4\)"):
        layer(packed, tuple(states) if kind == "LSTM" else states[0])
    integers = rnn.pack_sequence([mu.tensor([[1, 2, 3]])])
    with pytest.raises(TypeError, match=f"{kind}: the input must have a floating dtype"):
        layer(integers)
    # made by hand, PyTorch's constructor form
    growing = PackedSequence(packed.data, mu.tensor([1, 2, 1]))
    with pytest.raises(ValueError, match=rf"{kind}: a packed sequence's batch_sizes must be "
                                         r"positive and non-increasing .* got \[1, 2, 1\]"):
        layer(growing)
    with pytest.raises(mu.ShapeError, match=rf"{kind}: the packed data has 4 steps but its "
                                            "batch_sizes add up to 3"):
        layer(PackedSequence(packed.data, mu.tensor([2, 1])))
