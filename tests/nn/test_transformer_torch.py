"""The transformer layers against PyTorch in float64: PyTorch's weights loaded through
``state_dict`` (names and shapes identical), then outputs and the gradients of the inputs and
of every parameter (``eval()``: dropout off) for the encoder and decoder layers (post- and
pre-norm, relu, gelu and a callable, time or batch first, unbatched), padding and causal
masks, 2-layer stacks, the full ``Transformer``; the signatures and defaults, dropout while
training, a device, and the errors."""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pytest
from oracle import assert_gradients_match

import mushin as mu
from mushin.nn.layers.transformer import (
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)

torch = pytest.importorskip("torch")

pytestmark = [
    pytest.mark.filterwarnings("ignore:enable_nested_tensor is True:UserWarning"),
    # a float causal mask with a bool padding mask: PyTorch warns, and computes the same
    pytest.mark.filterwarnings("ignore:Support for mismatched:UserWarning")]

D_MODEL, HEADS, FEEDFORWARD, BATCH, SOURCE, TARGET = 8, 2, 16, 3, 5, 4

ACTIVATIONS: dict[str, tuple[Any, Any]] = {
    "relu": ("relu", "relu"),
    "gelu": ("gelu", "gelu"),
    "callable": (mu.tanh, torch.tanh),
}


def _load(ours: Any, theirs: Any) -> None:
    """PyTorch's parameters (shifted off their initial zeros and ones, so that every one
    matters) copied into ``ours``; both in eval mode."""
    generator = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for parameter in theirs.parameters():
            parameter.add_(0.2 * torch.randn(parameter.shape, generator=generator,
                                             dtype=parameter.dtype))
    assert [(name, parameter.shape) for name, parameter in ours.named_parameters()] == [
        (name, tuple(parameter.shape)) for name, parameter in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()


def _sequence(rng: np.random.Generator, length: int, batch_first: bool,
              batched: bool = True) -> np.ndarray:
    if not batched:
        return rng.standard_normal((length, D_MODEL))
    shape = (BATCH, length, D_MODEL) if batch_first else (length, BATCH, D_MODEL)
    return rng.standard_normal(shape)


def _padding(rng: np.random.Generator, length: int) -> np.ndarray:
    mask = rng.random((BATCH, length)) < 0.3
    mask[:, 0] = False  # every sequence keeps a position
    return mask


def _run(ours: Any, theirs: Any, values: list[np.ndarray], **masks: Any) -> None:
    """Call both modules on ``values`` with ``masks`` (NumPy, given to PyTorch as tensors;
    ``None`` kept), then compare the outputs and every gradient."""
    rng = np.random.default_rng(5)
    ours_inputs = [mu.variable(value) for value in values]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in values]
    theirs_masks = {name: torch.tensor(mask) if isinstance(mask, np.ndarray) else mask
                    for name, mask in masks.items()}
    ours_output = ours(*ours_inputs, **masks)
    theirs_output = theirs(*theirs_inputs, **theirs_masks)
    assert ours_output.shape == tuple(theirs_output.shape)
    np.testing.assert_allclose(ours_output.numpy(), theirs_output.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    seed = rng.standard_normal(ours_output.shape)
    (ours_output * seed).sum().backward()
    (theirs_output * torch.tensor(seed)).sum().backward()
    assert_gradients_match(ours_inputs, theirs_inputs, ours, theirs)


def _causal(length: int) -> np.ndarray:
    return Transformer.generate_square_subsequent_mask(length, dtype="float64").numpy()


def _encoder_layers(batch_first: bool = False, norm_first: bool = False,
                    activation: str = "relu") -> tuple[Any, Any]:
    ours_activation, theirs_activation = ACTIVATIONS[activation]
    options = {"batch_first": batch_first, "norm_first": norm_first}
    theirs = torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD,
                                              activation=theirs_activation,
                                              dtype=torch.float64, **options)
    ours = TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, activation=ours_activation,
                                   dtype="float64", **options)
    _load(ours, theirs)
    return ours, theirs


def _decoder_layers(batch_first: bool = False, norm_first: bool = False,
                    activation: str = "relu") -> tuple[Any, Any]:
    ours_activation, theirs_activation = ACTIVATIONS[activation]
    options = {"batch_first": batch_first, "norm_first": norm_first}
    theirs = torch.nn.TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD,
                                              activation=theirs_activation,
                                              dtype=torch.float64, **options)
    ours = TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, activation=ours_activation,
                                   dtype="float64", **options)
    _load(ours, theirs)
    return ours, theirs


# --- layers ---------------------------------------------------------------------------------

@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_layer_matches_pytorch(norm_first: bool, activation: str) -> None:
    rng = np.random.default_rng(0)
    ours, theirs = _encoder_layers(norm_first=norm_first, activation=activation)
    _run(ours, theirs, [_sequence(rng, SOURCE, False)])
    _run(ours, theirs, [_sequence(rng, SOURCE, False)], src_mask=_causal(SOURCE),
         src_key_padding_mask=_padding(rng, SOURCE))


@pytest.mark.parametrize("batch_first", [False, True], ids=["time-first", "batch-first"])
def test_encoder_layer_masks_match_pytorch(batch_first: bool) -> None:
    rng = np.random.default_rng(1)
    ours, theirs = _encoder_layers(batch_first=batch_first)
    x = _sequence(rng, SOURCE, batch_first)
    _run(ours, theirs, [x], src_mask=rng.standard_normal((SOURCE, SOURCE)))
    causal = np.triu(np.ones((SOURCE, SOURCE), dtype=bool), k=1)
    _run(ours, theirs, [x], src_mask=causal, is_causal=True)
    _run(ours, theirs, [x], src_key_padding_mask=_padding(rng, SOURCE))
    _run(ours, theirs, [x], src_mask=rng.standard_normal((BATCH * HEADS, SOURCE, SOURCE)))


def test_encoder_layer_on_one_unbatched_sequence_matches_pytorch() -> None:
    rng = np.random.default_rng(2)
    ours, theirs = _encoder_layers(norm_first=True)
    _run(ours, theirs, [_sequence(rng, SOURCE, False, batched=False)],
         src_mask=_causal(SOURCE))


@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_decoder_layer_matches_pytorch(norm_first: bool, activation: str) -> None:
    rng = np.random.default_rng(3)
    ours, theirs = _decoder_layers(norm_first=norm_first, activation=activation)
    values = [_sequence(rng, TARGET, False), _sequence(rng, SOURCE, False)]
    _run(ours, theirs, values)
    _run(ours, theirs, values, tgt_mask=_causal(TARGET), tgt_is_causal=True,
         tgt_key_padding_mask=_padding(rng, TARGET),
         memory_key_padding_mask=_padding(rng, SOURCE))


def test_decoder_layer_masks_match_pytorch_batch_first_and_unbatched() -> None:
    rng = np.random.default_rng(4)
    ours, theirs = _decoder_layers(batch_first=True, activation="callable")
    values = [_sequence(rng, TARGET, True), _sequence(rng, SOURCE, True)]
    _run(ours, theirs, values, tgt_mask=rng.standard_normal((TARGET, TARGET)),
         memory_mask=rng.random((TARGET, SOURCE)) < 0.2)
    _run(ours, theirs, [_sequence(rng, TARGET, True, batched=False),
                        _sequence(rng, SOURCE, True, batched=False)],
         tgt_mask=_causal(TARGET))


# --- stacks and the full model --------------------------------------------------------------

def test_two_layer_encoder_with_its_norm_matches_pytorch() -> None:
    rng = np.random.default_rng(6)
    torch.manual_seed(0)
    theirs = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dtype=torch.float64), 2,
        norm=torch.nn.LayerNorm(D_MODEL, dtype=torch.float64))
    ours = TransformerEncoder(TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD,
                                                      dtype="float64"), 2,
                              norm=mu.nn.LayerNorm(D_MODEL, dtype="float64"))
    _load(ours, theirs)
    x = _sequence(rng, SOURCE, False)
    _run(ours, theirs, [x], mask=_causal(SOURCE), src_key_padding_mask=_padding(rng, SOURCE))
    _run(ours, theirs, [x], mask=_causal(SOURCE))  # the causal mask detected


def test_two_layer_decoder_without_a_norm_matches_pytorch() -> None:
    rng = np.random.default_rng(7)
    torch.manual_seed(0)
    theirs = torch.nn.TransformerDecoder(
        torch.nn.TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD, batch_first=True,
                                         norm_first=True, dtype=torch.float64), 2)
    ours = TransformerDecoder(TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD,
                                                      batch_first=True, norm_first=True,
                                                      dtype="float64"), 2)
    _load(ours, theirs)
    values = [_sequence(rng, TARGET, True), _sequence(rng, SOURCE, True)]
    _run(ours, theirs, values, tgt_mask=_causal(TARGET),
         memory_key_padding_mask=_padding(rng, SOURCE))


@pytest.mark.parametrize("batch_first", [False, True], ids=["time-first", "batch-first"])
def test_transformer_matches_pytorch(batch_first: bool) -> None:
    rng = np.random.default_rng(8)
    torch.manual_seed(0)
    options: dict[str, Any] = {"d_model": D_MODEL, "nhead": HEADS, "num_encoder_layers": 2,
                               "num_decoder_layers": 2, "dim_feedforward": FEEDFORWARD,
                               "batch_first": batch_first}
    theirs = torch.nn.Transformer(dtype=torch.float64, **options)
    ours = Transformer(dtype="float64", **options)
    _load(ours, theirs)
    values = [_sequence(rng, SOURCE, batch_first), _sequence(rng, TARGET, batch_first)]
    source_padding = _padding(rng, SOURCE)
    _run(ours, theirs, values, tgt_mask=_causal(TARGET), src_key_padding_mask=source_padding,
         tgt_key_padding_mask=_padding(rng, TARGET), memory_key_padding_mask=source_padding)
    _run(ours, theirs, values, src_mask=rng.standard_normal((SOURCE, SOURCE)),
         memory_mask=rng.standard_normal((TARGET, SOURCE)))


def test_parameter_names_shapes_defaults_and_init_follow_pytorch() -> None:
    for ours_class, theirs_class in ((Transformer, torch.nn.Transformer),
                                     (TransformerEncoderLayer, torch.nn.TransformerEncoderLayer),
                                     (TransformerDecoderLayer, torch.nn.TransformerDecoderLayer),
                                     (TransformerEncoder, torch.nn.TransformerEncoder),
                                     (TransformerDecoder, torch.nn.TransformerDecoder)):
        for ours_function, theirs_function in ((ours_class, theirs_class),
                                               (ours_class.forward, theirs_class.forward)):
            ours_signature = inspect.signature(ours_function).parameters
            theirs_signature = inspect.signature(theirs_function).parameters
            assert list(ours_signature) == list(theirs_signature), ours_class.__name__
            for name, parameter in theirs_signature.items():
                if not callable(parameter.default):
                    assert ours_signature[name].default == parameter.default, name
    theirs = torch.nn.Transformer(D_MODEL, HEADS, 1, 1, FEEDFORWARD, bias=False)
    ours = Transformer(D_MODEL, HEADS, 1, 1, FEEDFORWARD, bias=False)
    assert [(name, parameter.shape) for name, parameter in ours.named_parameters()] == [
        (name, tuple(parameter.shape)) for name, parameter in theirs.named_parameters()]
    weight = ours.state_dict()["encoder.layers.0.linear1.weight"].numpy()
    bound = math.sqrt(6 / (D_MODEL + FEEDFORWARD))  # Xavier-uniform, as PyTorch's
    assert weight.dtype == np.float32 and np.abs(weight).max() <= bound
    assert np.all(ours.state_dict()["decoder.norm.weight"].numpy() == 1)
    layer = TransformerEncoderLayer(D_MODEL, HEADS)
    assert layer.linear1.weight.shape == (2048, D_MODEL) and layer.self_attn.batch_first is False
    assert layer.dropout.p == 0.1 and layer.norm1.eps == 1e-5


def test_generate_square_subsequent_mask_is_pytorchs() -> None:
    ours = Transformer.generate_square_subsequent_mask(4)
    theirs = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert ours.dtype == np.float32 and isinstance(ours, mu.Constant)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert Transformer.generate_square_subsequent_mask(2, dtype=mu.float64).dtype == np.float64


def test_dropout_while_training_and_eval_turns_it_off() -> None:
    mu.seed(0)
    layer = TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD, dropout=0.5)
    x = mu.randn(SOURCE, BATCH, D_MODEL)
    assert not np.allclose(layer(x).numpy(), layer(x).numpy())
    layer.eval()
    assert layer.self_attn.training is False and layer.dropout1.training is False
    np.testing.assert_array_equal(layer(x).numpy(), layer(x).numpy())
    assert isinstance(layer(x), mu.Variable)  # eval() does not freeze the parameters
    layer.freeze()
    assert isinstance(layer(x), mu.Constant)


def test_stacks_hold_independent_copies() -> None:
    layer = TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD)
    stack = TransformerEncoder(layer, 3)
    assert len(stack.layers) == 3 and stack.num_layers == 3
    first, second = stack.layers[0], stack.layers[1]
    assert isinstance(first, TransformerEncoderLayer)
    assert isinstance(second, TransformerEncoderLayer)
    assert first.linear1.weight is not second.linear1.weight
    np.testing.assert_array_equal(first.linear1.weight.numpy(), layer.linear1.weight.numpy())
    assert [name for name, _ in stack.named_parameters()][:2] == [
        "layers.0.self_attn.in_proj_weight", "layers.0.self_attn.in_proj_bias"]


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    rng = np.random.default_rng(9)
    cpu = Transformer(D_MODEL, HEADS, 1, 1, FEEDFORWARD, dtype="float64").eval()
    moved = Transformer(D_MODEL, HEADS, 1, 1, FEEDFORWARD, dtype="float64",
                        device=device).eval()
    moved.load_state_dict(cpu.state_dict())
    values = [_sequence(rng, SOURCE, False), _sequence(rng, TARGET, False)]
    padding = _padding(rng, SOURCE)
    results = []
    for model, where in ((cpu, "cpu"), (moved, device)):
        inputs = [mu.variable(value, device=where) for value in values]
        output = model(*inputs, tgt_mask=Transformer.generate_square_subsequent_mask(
            TARGET, device=where, dtype="float64"), src_key_padding_mask=padding)
        assert output.device == where
        (output ** 2).sum().backward()
        results.append([output, *(x.grad() for x in inputs),
                        *(p.grad() for p in model.parameters())])
    for mine, other in zip(*results, strict=True):
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-10, atol=1e-12)


# --- errors ---------------------------------------------------------------------------------

def test_bad_arguments_name_what_was_expected() -> None:
    with pytest.raises(ValueError, match=r"TransformerEncoderLayer: d_model \(10\) must be "
                                         r"divisible by nhead \(4\)"):
        TransformerEncoderLayer(10, 4)
    with pytest.raises(ValueError, match=r"TransformerDecoderLayer: activation should be "
                                         r"'relu' or 'gelu' .* got 'tanh'"):
        TransformerDecoderLayer(D_MODEL, HEADS, activation="tanh")
    with pytest.raises(TypeError, match="activation must be 'relu', 'gelu' or a callable"):
        TransformerEncoderLayer(D_MODEL, HEADS, activation=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="dim_feedforward must be a positive int, got 0"):
        TransformerEncoderLayer(D_MODEL, HEADS, dim_feedforward=0)
    with pytest.raises(TypeError, match="norm_first must be True or False"):
        TransformerEncoderLayer(D_MODEL, HEADS, norm_first=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="TransformerEncoder: num_layers must be a "
                                         "non-negative int, got -1"):
        TransformerEncoder(TransformerEncoderLayer(D_MODEL, HEADS), -1)
    with pytest.raises(TypeError, match="TransformerDecoder: the layer must be a Module"):
        TransformerDecoder("layer", 2)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Transformer: custom_encoder must be a Module or None"):
        Transformer(custom_encoder=3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="generate_square_subsequent_mask: sz must be a "
                                         "non-negative int, got -1"):
        Transformer.generate_square_subsequent_mask(-1)


def test_bad_inputs_name_what_was_expected() -> None:
    layer = TransformerEncoderLayer(D_MODEL, HEADS, FEEDFORWARD)
    with pytest.raises(mu.ShapeError, match=r"TransformerEncoderLayer: expected src with "
                                            r"d_model = 8 features .* shape \(5, 3, 6\)"):
        layer(mu.randn(SOURCE, BATCH, 6))
    with pytest.raises(mu.ShapeError, match=r"src must have 3 axes .* shape \(8,\)"):
        layer(mu.randn(D_MODEL))
    with pytest.raises(TypeError, match="src_key_padding_mask must be a bool or floating mask, "
                                        "got dtype int64"):
        layer(mu.randn(SOURCE, BATCH, D_MODEL),
              src_key_padding_mask=np.zeros((BATCH, SOURCE), dtype=np.int64))
    with pytest.raises(mu.ShapeError, match=r"TransformerEncoderLayer: attn_mask must have shape "
                                            r"\(L, S\) = \(5, 5\)"):
        layer(mu.randn(SOURCE, BATCH, D_MODEL), src_mask=np.zeros((2, 2), dtype=bool))
    decoder = TransformerDecoderLayer(D_MODEL, HEADS, FEEDFORWARD)
    with pytest.raises(mu.ShapeError, match=r"TransformerDecoderLayer: the batch sizes of tgt "
                                            r"and memory must be equal"):
        decoder(mu.randn(TARGET, BATCH, D_MODEL), mu.randn(SOURCE, BATCH + 1, D_MODEL))
    with pytest.raises(mu.ShapeError, match="tgt and memory must both be batched or both "
                                            "unbatched"):
        decoder(mu.randn(TARGET, BATCH, D_MODEL), mu.randn(SOURCE, D_MODEL))
    model = Transformer(D_MODEL, HEADS, 1, 1, FEEDFORWARD)
    with pytest.raises(mu.ShapeError, match="Transformer: the batch sizes of src and tgt"):
        model(mu.randn(SOURCE, BATCH, D_MODEL), mu.randn(TARGET, BATCH + 1, D_MODEL))
    with pytest.raises(TypeError, match="Transformer: tgt must be a tensor, got list"):
        model(mu.randn(SOURCE, BATCH, D_MODEL), [1.0])
