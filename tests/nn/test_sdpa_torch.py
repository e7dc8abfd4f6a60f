"""F.scaled_dot_product_attention against PyTorch in float64: values and the gradients of
query, key, value (and of a floating mask) over every kind of mask, causal masking with equal
and unequal lengths, broadcast batch axes, grouped-query attention, rows masked through,
second derivatives, dropout, a device, and the errors."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pytest

import mushin as mu
import mushin.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

BATCH, HEADS, TARGET, SOURCE, FEATURES, VALUES = 2, 3, 4, 5, 6, 7


def _leaves(values: list[np.ndarray]) -> tuple[list[Any], list[Any]]:
    return ([mu.variable(value) for value in values],
            [torch.tensor(value, requires_grad=True) for value in values])


def _compare(shapes: tuple[tuple[int, ...], ...], mask: Any = None, mask_grad: bool = False,
             **options: Any) -> None:
    """Values and gradients (of every input, the mask too when ``mask_grad``) agree."""
    rng = np.random.default_rng(0)
    ours, theirs = _leaves([rng.standard_normal(shape) for shape in shapes])
    ours_mask = theirs_mask = None
    if mask is not None:
        if mask_grad:
            ours_mask, theirs_mask = mu.variable(mask), torch.tensor(mask, requires_grad=True)
        else:
            ours_mask, theirs_mask = mu.constant(mask), torch.tensor(mask)
    ours_out = F.scaled_dot_product_attention(*ours, attn_mask=ours_mask, **options)
    theirs_out = TF.scaled_dot_product_attention(*theirs, attn_mask=theirs_mask, **options)
    assert ours_out.shape == tuple(theirs_out.shape)
    np.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    seed = rng.standard_normal(ours_out.shape)
    (ours_out * seed).sum().backward()
    (theirs_out * torch.tensor(seed)).sum().backward()
    pairs = list(zip(ours, theirs, strict=True))
    if mask_grad:
        pairs.append((ours_mask, theirs_mask))
    for mine, other in pairs:
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-9,
                                   atol=1e-12)


FOUR_AXES = ((BATCH, HEADS, TARGET, FEATURES), (BATCH, HEADS, SOURCE, FEATURES),
             (BATCH, HEADS, SOURCE, VALUES))


def _mask(kind: str) -> np.ndarray | None:
    rng = np.random.default_rng(1)
    if kind == "none":
        return None
    if kind.startswith("bool"):
        shape = (TARGET, SOURCE) if kind == "bool" else (BATCH, 1, TARGET, SOURCE)
        allowed = rng.random(shape) < 0.6
        allowed[..., 0] = True  # every query keeps a key
        return allowed
    if kind == "float":
        return rng.standard_normal((TARGET, SOURCE))
    mask = rng.standard_normal((HEADS, 1, SOURCE))  # broadcast over the queries
    mask[..., -1] = -np.inf
    return mask


@pytest.mark.parametrize("kind", ["none", "bool", "bool-batched", "float", "float-with-inf"])
def test_masks_match_pytorch(kind: str) -> None:
    _compare(FOUR_AXES, _mask(kind))


def test_a_variable_float_mask_gets_pytorchs_gradient() -> None:
    _compare(FOUR_AXES, _mask("float"), mask_grad=True)
    _compare(FOUR_AXES, np.random.default_rng(2).standard_normal((BATCH, HEADS, TARGET, SOURCE)),
             mask_grad=True)


@pytest.mark.parametrize("target", [TARGET, SOURCE, SOURCE + 2], ids=["shorter", "equal", "longer"])
def test_causal_matches_pytorch_for_any_lengths(target: int) -> None:
    _compare(((BATCH, HEADS, target, FEATURES), FOUR_AXES[1], FOUR_AXES[2]), is_causal=True)


def test_scale_and_unbatched_inputs_match_pytorch() -> None:
    _compare(FOUR_AXES, _mask("bool"), scale=0.3)
    _compare(((TARGET, FEATURES), (SOURCE, FEATURES), (SOURCE, VALUES)), _mask("float"))
    _compare(((TARGET, FEATURES), (SOURCE, FEATURES), (SOURCE, VALUES)), is_causal=True)


def test_broadcast_batch_axes_match_pytorch() -> None:
    _compare(((BATCH, 1, TARGET, FEATURES), (1, HEADS, SOURCE, FEATURES),
              (HEADS, SOURCE, VALUES)), _mask("bool"))
    # values with more batch axes than the query and key
    _compare(((TARGET, FEATURES), (SOURCE, FEATURES), (BATCH, SOURCE, VALUES)),
             _mask("float"))


def test_grouped_query_attention_matches_pytorch() -> None:
    _compare(((BATCH, 4, TARGET, FEATURES), (BATCH, 2, SOURCE, FEATURES),
              (BATCH, 2, SOURCE, VALUES)), _mask("float"), enable_gqa=True)


def test_a_row_masked_through_gives_zeros_as_in_pytorch() -> None:
    allowed = _mask("bool")
    assert allowed is not None
    allowed[1] = False
    _compare(FOUR_AXES, allowed)
    additive = np.zeros((TARGET, SOURCE))
    additive[2] = -np.inf
    _compare(FOUR_AXES, additive)
    out = F.scaled_dot_product_attention(*(mu.randn(shape) for shape in FOUR_AXES),
                                         attn_mask=mu.constant(allowed))
    assert np.all(out.numpy()[..., 1, :] == 0)


def test_second_derivatives_match_pytorch() -> None:
    rng = np.random.default_rng(3)
    ours, theirs = _leaves([rng.standard_normal(shape) for shape in FOUR_AXES])
    mask = _mask("bool")
    ours_out = F.scaled_dot_product_attention(*ours, attn_mask=mu.constant(mask))
    theirs_out = TF.scaled_dot_product_attention(*theirs, attn_mask=torch.tensor(mask))
    (ours_out ** 2).sum().backward(create_graph=True)
    grads = torch.autograd.grad((theirs_out ** 2).sum(), theirs, create_graph=True)
    sum((grad ** 2).sum() for grad in grads).backward()
    ours_grads = [leaf.grad() for leaf in ours]
    for leaf in ours:
        leaf.reset()
    total = (ours_grads[0] ** 2).sum() + (ours_grads[1] ** 2).sum() + (ours_grads[2] ** 2).sum()
    total.backward()
    for mine, other in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-8,
                                   atol=1e-11)


def test_dropout_drops_weights_and_rescales_the_rest() -> None:
    """With the identity as values the output is the weights: each kept, scaled 1/(1-p)."""
    mu.seed(0)
    query, key = mu.randn((BATCH, TARGET, FEATURES)), mu.randn((BATCH, SOURCE, FEATURES))
    identity = mu.constant(np.broadcast_to(np.eye(SOURCE, dtype=np.float32),
                                           (BATCH, SOURCE, SOURCE)).copy())
    plain = F.scaled_dot_product_attention(query, key, identity).numpy()
    dropped = F.scaled_dot_product_attention(query, key, identity, dropout_p=0.5).numpy()
    kept = dropped != 0
    assert 0 < kept.mean() < 1
    np.testing.assert_allclose(dropped[kept], 2 * plain[kept], rtol=1e-5)


def test_signature_is_pytorchs() -> None:
    parameters = inspect.signature(F.scaled_dot_product_attention).parameters
    assert [(name, parameter.default) for name, parameter in parameters.items()] == [
        ("query", inspect.Parameter.empty), ("key", inspect.Parameter.empty),
        ("value", inspect.Parameter.empty), ("attn_mask", None), ("dropout_p", 0.0),
        ("is_causal", False), ("scale", None), ("enable_gqa", False)]


def test_keeps_the_kind_and_the_dtype() -> None:
    query, key, value = (mu.randn(*shape) for shape in FOUR_AXES)
    out = F.scaled_dot_product_attention(query, key, value)
    assert isinstance(out, mu.Constant) and out.dtype == np.float32
    tracked = F.scaled_dot_product_attention(query, mu.randn(FOUR_AXES[1]), value)
    assert isinstance(tracked, mu.Variable)
    assert F.scaled_dot_product_attention(query.double(), key.double(),
                                          value.double()).dtype == np.float64


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    rng = np.random.default_rng(4)
    values = [rng.standard_normal(shape) for shape in FOUR_AXES]
    mask = _mask("bool-batched")
    float_mask = rng.standard_normal((TARGET, SOURCE))
    results = []
    for where in ("cpu", device):
        leaves = [mu.variable(value, device=where) for value in values]
        out = (F.scaled_dot_product_attention(*leaves, attn_mask=mu.constant(mask, device=where))
               + F.scaled_dot_product_attention(*leaves, is_causal=True)
               + F.scaled_dot_product_attention(*leaves, attn_mask=float_mask))
        assert out.device == where
        (out ** 2).sum().backward()
        results.append([out, *(leaf.grad() for leaf in leaves)])
    for mine, other in zip(*results, strict=True):
        np.testing.assert_allclose(mine.numpy(), other.numpy(), rtol=1e-10, atol=1e-12)


def test_bad_arguments_name_what_was_expected() -> None:
    name = "scaled_dot_product_attention"
    query, key, value = (mu.randn(shape) for shape in FOUR_AXES)
    with pytest.raises(TypeError, match=f"{name}: query must be a tensor, got ndarray"):
        F.scaled_dot_product_attention(np.zeros(FOUR_AXES[0]), key, value)  # type: ignore[arg-type]
    with pytest.raises(mu.ShapeError, match=r"key must have at least 2 axes .* shape \(5,\)"):
        F.scaled_dot_product_attention(query, mu.randn(SOURCE), value)
    with pytest.raises(TypeError, match="value must have a floating dtype, got int64"):
        F.scaled_dot_product_attention(query, key, mu.zeros(*FOUR_AXES[2], dtype=mu.int64))
    with pytest.raises(TypeError, match="one dtype, got float64, float32 and float32"):
        F.scaled_dot_product_attention(query.double(), key, value)
    with pytest.raises(mu.ShapeError, match=r"one number of features .* \(2, 3, 4, 6\) and "
                                            r"\(2, 3, 5, 7\)"):
        F.scaled_dot_product_attention(query, value, value)
    with pytest.raises(mu.ShapeError, match="key and value must have one length"):
        F.scaled_dot_product_attention(query, key, mu.randn(BATCH, HEADS, TARGET, VALUES))
    with pytest.raises(mu.ShapeError, match=name):
        F.scaled_dot_product_attention(query, mu.randn(3, HEADS, SOURCE, FEATURES), value)
    with pytest.raises(mu.ShapeError, match=r"attn_mask of shape \(5, 4\) must broadcast "
                                            r"to the attention scores' shape .* "
                                            r"\(2, 3, 4, 5\)"):
        F.scaled_dot_product_attention(query, key, value, attn_mask=np.ones((5, 4), bool))
    with pytest.raises(TypeError, match="attn_mask must be a bool or floating mask, got dtype "
                                        "int64"):
        F.scaled_dot_product_attention(query, key, value, attn_mask=np.ones((4, 5), np.int64))
    with pytest.raises(ValueError, match="attn_mask and is_causal=True can't both be given"):
        F.scaled_dot_product_attention(query, key, value, attn_mask=np.ones((4, 5), bool),
                                       is_causal=True)
    with pytest.raises(ValueError, match="dropout_p"):
        F.scaled_dot_product_attention(query, key, value, dropout_p=1.5)
    with pytest.raises(TypeError, match="scale must be a number or None"):
        F.scaled_dot_product_attention(query, key, value, scale="1")  # type: ignore[arg-type]
    with pytest.raises(mu.ShapeError, match=r"with enable_gqa, key and value must have one "
                                            r"number of heads \(axis -3\) dividing the "
                                            r"query's 3"):
        F.scaled_dot_product_attention(query, mu.randn(BATCH, 2, SOURCE, FEATURES),
                                       mu.randn(BATCH, 2, SOURCE, VALUES), enable_gqa=True)
