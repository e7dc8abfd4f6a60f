"""MultiHeadAttention: PyTorch as the oracle (outputs, attention weights, every gradient, with
and without masks), finite differences, parameter layout, modes, devices and errors."""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pytest
from oracle import assert_gradients_match

import mushin as mu
from mushin.nn.layers.attention import MultiHeadAttention
from mushin.testing import gradcheck

EMBED, HEADS, BATCH, TARGET, SOURCE = 8, 2, 3, 4, 5


def _torch_pair(**options: Any) -> tuple[MultiHeadAttention, Any]:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    options = {"batch_first": True, **options}
    theirs = torch.nn.MultiheadAttention(EMBED, HEADS, dtype=torch.float64, **options)
    ours = MultiHeadAttention(EMBED, HEADS, dtype="float64", **options)
    assert [name for name, _ in ours.named_parameters()] == [
        name for name, _ in theirs.named_parameters()]
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    if theirs.in_proj_bias is not None:
        # PyTorch starts the biases at zero; other values test that they are used
        rng = np.random.default_rng(7)
        for name in ("in_proj_bias", "out_proj.bias"):
            values = rng.standard_normal(theirs.state_dict()[name].shape)
            theirs.state_dict()[name].copy_(torch.tensor(values))
            ours.load_state_dict({name: values}, strict=False)
    return ours, theirs


def _masks(kind: str, rng: np.random.Generator, batched: bool, source: int) -> dict[str, Any]:
    padding_shape = (BATCH, source) if batched else (source,)
    if kind == "none":
        return {}
    if kind == "bool":
        attn_mask = rng.random((TARGET, source)) < 0.3
        padding = rng.random(padding_shape) < 0.3
        attn_mask[:, 0] = False  # every query keeps at least one key
        padding[..., 0] = False
        return {"attn_mask": attn_mask, "key_padding_mask": padding}
    if kind == "float":
        heads = BATCH * HEADS if batched else HEADS
        return {"attn_mask": rng.standard_normal((heads, TARGET, source)),
                "key_padding_mask": rng.standard_normal(padding_shape)}
    padding = rng.random(padding_shape) < 0.3
    padding[..., 0] = False
    return {"attn_mask": rng.standard_normal((TARGET, source)), "key_padding_mask": padding}


def _compare(self_attention: bool = False, masks: str = "none", batched: bool = True,
             call: dict[str, Any] | None = None, **options: Any) -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair(**options)
    rng = np.random.default_rng(1)
    batch_first = options.get("batch_first", True)

    def shaped(length: int, features: int = EMBED) -> tuple[int, ...]:
        if not batched:
            return (length, features)
        return (BATCH, length, features) if batch_first else (length, BATCH, features)

    source = TARGET if self_attention else SOURCE
    values = [rng.standard_normal(shaped(TARGET))]
    if not self_attention:
        values += [rng.standard_normal(shaped(source, options.get("kdim") or EMBED)),
                   rng.standard_normal(shaped(source, options.get("vdim") or EMBED))]
    keyword = {**_masks(masks, rng, batched, source), **(call or {})}
    ours_inputs = [mu.variable(value) for value in values]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in values]
    ours_qkv = ours_inputs * 3 if self_attention else ours_inputs
    theirs_qkv = theirs_inputs * 3 if self_attention else theirs_inputs
    theirs_keyword = {name: torch.tensor(value) if isinstance(value, np.ndarray) else value
                      for name, value in keyword.items()}
    ours_output, ours_weights = ours(*ours_qkv, **keyword)
    theirs_output, theirs_weights = theirs(*theirs_qkv, **theirs_keyword)
    np.testing.assert_allclose(ours_output.numpy(), theirs_output.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    seed = rng.standard_normal(ours_output.shape)
    ours_loss = (ours_output * seed).sum()
    theirs_loss = (theirs_output * torch.tensor(seed)).sum()
    if theirs_weights is None:
        assert ours_weights is None
    else:
        np.testing.assert_allclose(ours_weights.numpy(), theirs_weights.detach().numpy(),
                                   rtol=1e-10, atol=1e-12)
        weight_seed = rng.standard_normal(ours_weights.shape)
        ours_loss = ours_loss + (ours_weights * weight_seed).sum()
        theirs_loss = theirs_loss + (theirs_weights * torch.tensor(weight_seed)).sum()
    ours_loss.backward()
    theirs_loss.backward()
    assert_gradients_match(ours_inputs, theirs_inputs, ours, theirs)


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning")
@pytest.mark.parametrize("masks", ["none", "bool", "float", "mixed"])
@pytest.mark.parametrize("self_attention", [True, False], ids=["self", "cross"])
def test_matches_pytorch(self_attention: bool, masks: str) -> None:
    _compare(self_attention, masks)


@pytest.mark.parametrize("call", [{"average_attn_weights": False}, {"need_weights": False}],
                         ids=["per-head-weights", "no-weights"])
def test_matches_pytorch_weights_options(call: dict[str, Any]) -> None:
    _compare(masks="bool", call=call)


def test_matches_pytorch_time_first() -> None:
    _compare(masks="bool", batch_first=False)


@pytest.mark.parametrize("masks", ["none", "float"])
def test_matches_pytorch_on_one_unbatched_sequence(masks: str) -> None:
    _compare(masks=masks, batched=False)


def test_matches_pytorch_without_bias() -> None:
    _compare(masks="bool", bias=False)


OPTIONS = {"kdim-vdim": {"kdim": 5, "vdim": 3}, "bias-kv": {"add_bias_kv": True},
           "zero-attn": {"add_zero_attn": True},
           "all": {"add_bias_kv": True, "add_zero_attn": True, "kdim": 6, "vdim": 6}}


@pytest.mark.filterwarnings("ignore:Support for mismatched key_padding_mask:UserWarning")
@pytest.mark.parametrize("masks", ["none", "bool", "float", "mixed"])
@pytest.mark.parametrize("option", list(OPTIONS))
def test_pytorchs_other_options_match(option: str, masks: str) -> None:
    _compare(masks=masks, **OPTIONS[option])


@pytest.mark.parametrize("option", list(OPTIONS))
def test_other_options_match_pytorch_without_weights_and_unbatched(option: str) -> None:
    _compare(masks="bool", call={"need_weights": False}, batch_first=False, **OPTIONS[option])
    _compare(masks="float", batched=False, **OPTIONS[option])


@pytest.mark.parametrize("padding", [False, True], ids=["mask-only", "with-padding"])
@pytest.mark.parametrize("need_weights", [False, True], ids=["sdpa", "weights"])
def test_causal_hint_matches_pytorch(need_weights: bool, padding: bool) -> None:
    """``is_causal=True`` with the causal ``attn_mask``: PyTorch's hint, on both routes."""
    causal = np.triu(np.ones((TARGET, TARGET), dtype=bool), k=1)
    call: dict[str, Any] = {"attn_mask": causal, "is_causal": True,
                            "need_weights": need_weights}
    if padding:
        mask = np.zeros((BATCH, TARGET), dtype=bool)
        mask[:, -1] = True
        call["key_padding_mask"] = mask
    _compare(self_attention=True, call=call)


@pytest.mark.parametrize("need_weights", [False, True], ids=["sdpa-zeros", "weights-nan"])
def test_a_query_masked_through_gives_what_pytorch_gives(need_weights: bool) -> None:
    """Zeros on the scaled-dot-product route, NaN when the weights are returned."""
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair()
    x = np.random.default_rng(10).standard_normal((BATCH, TARGET, EMBED))
    blocked = np.zeros((TARGET, TARGET), dtype=bool)
    blocked[1] = True
    ours_output, _ = ours(*[mu.constant(x)] * 3, attn_mask=blocked, need_weights=need_weights)
    with torch.no_grad():
        theirs_output, _ = theirs(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(blocked),
                                  need_weights=need_weights)
    np.testing.assert_allclose(ours_output.numpy(), theirs_output.numpy(), rtol=1e-10,
                               atol=1e-12)
    assert np.isnan(ours_output.numpy()[:, 1]).all() == need_weights


def test_eval_turns_dropout_off_as_in_pytorch() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair(dropout=0.5)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(11).standard_normal((BATCH, TARGET, EMBED))
    ours_output, ours_weights = ours(*[mu.variable(x)] * 3)
    theirs_output, theirs_weights = theirs(*[torch.tensor(x, requires_grad=True)] * 3)
    np.testing.assert_allclose(ours_output.numpy(), theirs_output.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_weights.numpy(), theirs_weights.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    ours.train()
    mu.seed(0)
    _, dropped = ours(*[mu.constant(x)] * 3, average_attn_weights=False)
    assert (dropped.numpy() == 0).any()


def test_causal_flag_matches_pytorch_with_a_causal_mask() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair()
    x = np.random.default_rng(3).standard_normal((BATCH, TARGET, EMBED))
    causal = np.triu(np.ones((TARGET, TARGET), dtype=bool), k=1)
    ours_output, ours_weights = ours(*[mu.variable(x)] * 3, is_causal=True)
    theirs_output, theirs_weights = theirs(*[torch.tensor(x)] * 3,
                                           attn_mask=torch.tensor(causal), is_causal=True)
    np.testing.assert_allclose(ours_output.numpy(), theirs_output.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours_weights.numpy(), theirs_weights.detach().numpy(),
                               rtol=1e-10, atol=1e-12)
    assert np.all(ours_weights.numpy()[:, causal] == 0)


def test_a_variable_float_mask_gets_its_gradient_and_lists_are_masks() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair()
    rng = np.random.default_rng(8)
    x = rng.standard_normal((BATCH, TARGET, EMBED))
    mask = rng.standard_normal((TARGET, TARGET))
    ours_mask, theirs_mask = mu.variable(mask), torch.tensor(mask, requires_grad=True)
    ours_output, _ = ours(*[mu.variable(x)] * 3, attn_mask=ours_mask)
    theirs_output, _ = theirs(*[torch.tensor(x)] * 3, attn_mask=theirs_mask)
    (ours_output ** 2).sum().backward()
    (theirs_output ** 2).sum().backward()
    np.testing.assert_allclose(ours_mask.grad().numpy(), theirs_mask.grad.numpy(), rtol=1e-9,
                               atol=1e-12)
    causal = np.triu(np.ones((TARGET, TARGET), dtype=bool), k=1)
    from_list, _ = ours(*[mu.variable(x)] * 3, attn_mask=causal.tolist())
    from_flag, _ = ours(*[mu.variable(x)] * 3, is_causal=True)
    np.testing.assert_array_equal(from_list.numpy(), from_flag.numpy())


def test_second_derivatives_match_pytorch() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = _torch_pair()
    rng = np.random.default_rng(4)
    values = [rng.standard_normal((BATCH, length, EMBED))
              for length in (TARGET, SOURCE, SOURCE)]
    mask = rng.random((BATCH, SOURCE)) < 0.3
    mask[:, 0] = False
    ours_inputs = [mu.variable(value) for value in values]
    theirs_inputs = [torch.tensor(value, requires_grad=True) for value in values]
    ours_output, _ = ours(*ours_inputs, key_padding_mask=mask)
    theirs_output, _ = theirs(*theirs_inputs, key_padding_mask=torch.tensor(mask))
    (ours_output ** 2).sum().backward(create_graph=True)
    grads = torch.autograd.grad((theirs_output ** 2).sum(), theirs_inputs, create_graph=True)
    sum((grad ** 2).sum() for grad in grads).backward()
    ours_grads = [value.grad() for value in ours_inputs]
    for tensor in [*ours_inputs, *ours.parameters()]:
        tensor.reset()
    second = ours_grads[0].sum() * 0.0
    for grad in ours_grads:
        second = second + (grad ** 2).sum()
    second.backward()
    for mine, other in zip([*ours_inputs, *ours.parameters()],
                           [*theirs_inputs, *theirs.parameters()], strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-8,
                                   atol=1e-10)


# --- finite differences, layout, modes -----------------------------------------------------------


def test_gradients_match_finite_differences() -> None:
    layer = MultiHeadAttention(4, 2, batch_first=True, dtype="float64")
    names = [name for name, _ in layer.named_parameters()]
    rng = np.random.default_rng(5)
    query, key, value = (rng.standard_normal((2, length, 4)) for length in (3, 2, 2))
    mask = np.array([[False, True], [False, False], [True, False]])

    def run(query: Any, key: Any, value: Any, *parameters: Any) -> Any:
        for name, parameter in zip(names, parameters, strict=True):
            owner = layer.out_proj if name.startswith("out_proj.") else layer
            setattr(owner, name.removeprefix("out_proj."), parameter)
        output, weights = layer(query, key, value, attn_mask=mask)
        return mu.concat([output.flatten(), weights.flatten()], 0)

    assert gradcheck(run, query, key, value,
                     *(rng.standard_normal(parameter.shape) for parameter in layer.parameters()))


def test_parameters_have_pytorch_names_shapes_and_init() -> None:
    layer = MultiHeadAttention(16, 4)
    assert [(name, parameter.shape) for name, parameter in layer.named_parameters()] == [
        ("in_proj_weight", (48, 16)), ("in_proj_bias", (48,)),
        ("out_proj.weight", (16, 16)), ("out_proj.bias", (16,))]
    weight = layer.in_proj_weight.numpy()
    xavier_bound = math.sqrt(6 / (16 + 48))
    assert np.abs(weight).max() <= xavier_bound
    assert abs(weight.std() - xavier_bound / math.sqrt(3)) < 0.1 * xavier_bound
    assert layer.in_proj_bias is not None and layer.out_proj.bias is not None
    assert np.all(layer.in_proj_bias.numpy() == 0) and np.all(layer.out_proj.bias.numpy() == 0)
    assert np.abs(layer.out_proj.weight.numpy()).max() <= 1 / math.sqrt(16)
    assert [name for name, _ in MultiHeadAttention(16, 4, bias=False).named_parameters()] == [
        "in_proj_weight", "out_proj.weight"]
    assert MultiHeadAttention(16, 4, dtype="float64").in_proj_weight.dtype == np.float64
    positional = MultiHeadAttention(16, 4, 0.0, True, False, False, None, None, True, "cpu",
                                    "float64")
    assert positional.batch_first and positional.out_proj.weight.dtype == np.float64


def test_signatures_follow_pytorch() -> None:
    torch = pytest.importorskip("torch")
    for ours_function, theirs_function in (
            (MultiHeadAttention, torch.nn.MultiheadAttention),
            (MultiHeadAttention.forward, torch.nn.MultiheadAttention.forward)):
        ours = inspect.signature(ours_function).parameters
        theirs = inspect.signature(theirs_function).parameters
        assert list(ours) == list(theirs)
        assert all(ours[name].default == parameter.default
                   for name, parameter in theirs.items())


def test_other_options_have_pytorch_names_shapes_and_init() -> None:
    torch = pytest.importorskip("torch")
    options: dict[str, Any] = {"add_bias_kv": True, "add_zero_attn": True, "kdim": 5,
                               "vdim": 3}
    layer = MultiHeadAttention(400, 4, **options)
    theirs = torch.nn.MultiheadAttention(400, 4, **options)
    assert [(name, parameter.shape) for name, parameter in layer.named_parameters()] == [
        (name, tuple(parameter.shape)) for name, parameter in theirs.named_parameters()]
    assert list(layer.state_dict()) == list(theirs.state_dict())
    assert layer.in_proj_weight is None and layer._qkv_same_embed_dim is False
    assert (layer.kdim, layer.vdim, layer.head_dim) == (5, 3, 100)
    assert layer.bias_k is not None
    assert abs(layer.bias_k.numpy().std() - math.sqrt(1 / 400)) < 0.15 * math.sqrt(1 / 400)
    bound = math.sqrt(6 / (400 + 5))
    assert layer.k_proj_weight is not None
    assert np.abs(layer.k_proj_weight.numpy()).max() <= bound


def test_weights_are_a_distribution_over_allowed_keys() -> None:
    layer = MultiHeadAttention(EMBED, HEADS, batch_first=True)
    x = mu.randn((BATCH, TARGET, EMBED))
    padding = np.zeros((BATCH, TARGET), dtype=bool)
    padding[:, -1] = True
    output, weights = layer(x, x, x, key_padding_mask=padding, average_attn_weights=False)
    assert output.shape == (BATCH, TARGET, EMBED) and output.dtype == np.float32
    assert weights.shape == (BATCH, HEADS, TARGET, TARGET)
    np.testing.assert_allclose(weights.numpy().sum(axis=-1), 1.0, rtol=1e-5)
    assert np.all(weights.numpy()[..., -1] == 0)


def test_dropout_on_the_weights_only_while_training() -> None:
    mu.seed(1)
    layer = MultiHeadAttention(EMBED, HEADS, dropout=0.5, batch_first=True)
    reference = MultiHeadAttention(EMBED, HEADS, batch_first=True)
    reference.load_state_dict(layer.state_dict())
    x = mu.randn((BATCH, TARGET, EMBED))
    _, dropped = layer(x, x, x, average_attn_weights=False)
    _, plain = reference(x, x, x, average_attn_weights=False)
    kept = dropped.numpy() != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped.numpy()[kept], 2 * plain.numpy()[kept], rtol=1e-5)
    layer.freeze()
    output, _ = layer(x.freeze(), x.freeze(), x.freeze())
    assert isinstance(output, mu.Constant)
    np.testing.assert_allclose(output.numpy(), reference(x, x, x)[0].numpy(), rtol=1e-6)


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    rng = np.random.default_rng(6)
    values = [rng.standard_normal((2, length, 4)) for length in (3, 5, 5)]
    mask = rng.random((3, 5)) < 0.3
    mask[:, 0] = False
    cpu = MultiHeadAttention(4, 2, batch_first=True, dtype="float64")
    cpu_inputs = [mu.variable(value) for value in values]
    cpu_output, _ = cpu(*cpu_inputs, attn_mask=mask)
    (cpu_output ** 2).sum().backward()
    moved = MultiHeadAttention(4, 2, batch_first=True, dtype="float64", device=device)
    moved.load_state_dict(cpu.state_dict())
    device_inputs = [mu.variable(value, device=device) for value in values]
    device_output, _ = moved(*device_inputs, attn_mask=mask)
    (device_output ** 2).sum().backward()
    assert device_output.device == device
    # The device sums in another order than NumPy; some gradients (the key bias's, which
    # softmax ignores) are zero up to rounding, hence the absolute tolerance.
    np.testing.assert_allclose(device_output.numpy(), cpu_output.numpy(), rtol=1e-10,
                               atol=1e-12)
    for mine, other in zip([*device_inputs, *moved.parameters()],
                           [*cpu_inputs, *cpu.parameters()], strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad().numpy(), rtol=1e-10,
                                   atol=1e-12)


def test_default_layout_is_time_first_like_pytorch() -> None:
    """Without ``batch_first``, both libraries read ``(L, batch, E)`` queries."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.MultiheadAttention(EMBED, HEADS, dtype=torch.float64)
    ours = MultiHeadAttention(EMBED, HEADS, dtype="float64")
    assert ours.batch_first is False and theirs.batch_first is False
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})
    rng = np.random.default_rng(9)
    query = rng.standard_normal((TARGET, BATCH, EMBED))
    key, value = (rng.standard_normal((SOURCE, BATCH, EMBED)) for _ in range(2))
    output, weights = ours(*(mu.constant(item) for item in (query, key, value)))
    with torch.no_grad():
        expected, expected_weights = theirs(*(torch.tensor(item) for item in (query, key, value)))
    assert output.shape == (TARGET, BATCH, EMBED)
    np.testing.assert_allclose(output.numpy(), expected.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weights.numpy(), expected_weights.numpy(), rtol=1e-10,
                               atol=1e-12)


# --- errors --------------------------------------------------------------------------------------


def test_bad_constructor_arguments() -> None:
    with pytest.raises(ValueError, match=r"embed_dim \(10\) must be divisible by num_heads"):
        MultiHeadAttention(10, 4)
    with pytest.raises(ValueError, match="num_heads must be a positive int"):
        MultiHeadAttention(8, 0)
    with pytest.raises(ValueError, match="dropout must be a probability"):
        MultiHeadAttention(8, 2, dropout=-0.1)
    with pytest.raises(TypeError, match="batch_first must be True or False"):
        MultiHeadAttention(8, 2, batch_first=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="add_bias_kv must be True or False"):
        MultiHeadAttention(8, 2, add_bias_kv=None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="MultiHeadAttention: kdim must be a positive int, got 0"):
        MultiHeadAttention(8, 2, kdim=0)


def test_bad_inputs_name_what_was_expected() -> None:
    layer = MultiHeadAttention(EMBED, HEADS, batch_first=True)
    query = mu.randn((BATCH, TARGET, EMBED))
    key = mu.randn((BATCH, SOURCE, EMBED))
    with pytest.raises(mu.ShapeError, match=r"key with kdim = 8 .* shape \(3, 5, 6\)"):
        layer(query, mu.randn((BATCH, SOURCE, 6)), key)
    with pytest.raises(mu.ShapeError, match="key and value must have one shape"):
        layer(query, key, mu.randn((BATCH, SOURCE + 1, EMBED)))
    with pytest.raises(mu.ShapeError, match="different batch sizes"):
        layer(mu.randn((BATCH + 1, TARGET, EMBED)), key, key)
    with pytest.raises(mu.ShapeError, match="all be batched or all unbatched"):
        layer(mu.randn((TARGET, EMBED)), key, key)
    with pytest.raises(mu.ShapeError, match=r"attn_mask must have shape \(L, S\) = \(4, 5\)"):
        layer(query, key, key, attn_mask=np.zeros((5, 4), dtype=bool))
    with pytest.raises(mu.ShapeError, match=r"key_padding_mask must have shape .* \(3, 5\)"):
        layer(query, key, key, key_padding_mask=np.zeros((BATCH, TARGET), dtype=bool))
    with pytest.raises(TypeError, match="bool or floating mask, got dtype int64"):
        layer(query, key, key, attn_mask=np.zeros((TARGET, SOURCE), dtype=np.int64))
    with pytest.raises(TypeError, match="query must be a tensor"):
        layer(np.zeros((BATCH, TARGET, EMBED)), key, key)
    cross = MultiHeadAttention(EMBED, HEADS, kdim=5, vdim=3, batch_first=True)
    with pytest.raises(mu.ShapeError, match=r"value with vdim = 3 features .* \(3, 5, 8\)"):
        cross(query, mu.randn((BATCH, SOURCE, 5)), key)
