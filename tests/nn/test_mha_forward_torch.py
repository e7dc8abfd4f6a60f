"""``F.multi_head_attention_forward`` against PyTorch's in float64: packed and separate
projection weights, ``bias_k``/``bias_v``, ``add_zero_attn``, ``static_k``/``static_v``, bool
and floating masks, ``need_weights``, ``average_attn_weights``, the ``is_causal`` hint,
unbatched inputs and evaluation-mode dropout (values, and gradients of the inputs and of every
weight); ``nn.MultiheadAttention`` giving what the function gives with its parameters; the
errors; and a run on the stand-in GPU device."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from layer_oracle import torch

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

TF = torch.nn.functional
E, HEADS, L, S, N = 8, 2, 4, 5, 3


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def _weights(rng: np.random.Generator, separate: bool, bias_kv: bool, kdim: int = E,
             vdim: int = E) -> dict[str, np.ndarray | None]:
    weights: dict[str, np.ndarray | None] = {
        "in_proj_weight": None if separate else rng.standard_normal((3 * E, E)) * 0.4,
        "in_proj_bias": rng.standard_normal(3 * E) * 0.1,
        "bias_k": rng.standard_normal((1, 1, E)) if bias_kv else None,
        "bias_v": rng.standard_normal((1, 1, E)) if bias_kv else None,
        "out_proj_weight": rng.standard_normal((E, E)) * 0.4,
        "out_proj_bias": rng.standard_normal(E) * 0.1,
    }
    if separate:
        weights.update(q_proj_weight=rng.standard_normal((E, E)) * 0.4,
                       k_proj_weight=rng.standard_normal((E, kdim)) * 0.4,
                       v_proj_weight=rng.standard_normal((E, vdim)) * 0.4)
    return weights


def _run(module: Any, inputs: list[np.ndarray], weights: dict[str, np.ndarray | None],
         options: dict[str, Any], seed: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The function of ``module`` (mushin's or PyTorch's ``F``) on leaves made of ``inputs``
    and ``weights``: its outputs, and the gradients of every leaf under a random cotangent."""
    is_torch = module is TF

    def leaf(array: np.ndarray) -> Any:
        return torch.tensor(array, requires_grad=True) if is_torch else mu.variable(array)

    def value(array: Any) -> Any:
        if array is None or not isinstance(array, np.ndarray):
            return array
        if array.dtype == bool:
            return torch.tensor(array) if is_torch else array
        return torch.tensor(array) if is_torch else mu.constant(array)

    leaves = [leaf(array) for array in inputs]
    if options.pop("shared", False):
        leaves = [leaves[0]] * 3
    parameters = {name: None if array is None else leaf(array)
                  for name, array in weights.items()}
    arguments = {name: value(given) for name, given in options.items()}
    output, attention = module.multi_head_attention_forward(
        *leaves, E, HEADS, parameters.pop("in_proj_weight"), parameters.pop("in_proj_bias"),
        parameters.pop("bias_k"), parameters.pop("bias_v"), arguments.pop("add_zero_attn", False),
        arguments.pop("dropout_p", 0.0), parameters.pop("out_proj_weight"),
        parameters.pop("out_proj_bias"), use_separate_proj_weight=bool(parameters),
        **parameters, **arguments)
    results = [output] if attention is None else [output, attention]
    total: Any = 0.0
    for index, result in enumerate(results):
        cotangent = _rng(seed + index).standard_normal(tuple(result.shape))
        total = total + (result * (torch.tensor(cotangent) if is_torch else
                                   mu.constant(cotangent))).sum()
    total.backward()
    values = [(result.detach() if is_torch else result).numpy() for result in results]
    unique = list({id(tensor): tensor for tensor in leaves}.values())
    # PyTorch leaves None where nothing flowed (the key with static_k): zeros here
    grads = [(np.zeros(tuple(tensor.shape)) if tensor.grad is None else tensor.grad.numpy())
             if is_torch else tensor.grad().numpy()
             for tensor in [*unique, *parameters.values()] if tensor is not None]
    return values, grads


def _compare(inputs: list[np.ndarray], weights: dict[str, np.ndarray | None],
             options: dict[str, Any], seed: int = 0) -> None:
    ours = _run(F, inputs, dict(weights), dict(options), seed)
    theirs = _run(TF, inputs, dict(weights), dict(options), seed)
    for found, expected in zip(ours[0], theirs[0], strict=True):
        assert found.shape == expected.shape
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)
    assert len(ours[1]) == len(theirs[1])
    for index, (found, expected) in enumerate(zip(ours[1], theirs[1], strict=True)):
        np.testing.assert_allclose(found, expected, rtol=1e-9, atol=1e-11,
                                   err_msg=f"gradient {index}")


def _inputs(rng: np.random.Generator, batched: bool = True, kdim: int = E,
            vdim: int = E) -> list[np.ndarray]:
    lead = (N,) if batched else ()
    return [rng.standard_normal((L, *lead, E)), rng.standard_normal((S, *lead, kdim)),
            rng.standard_normal((S, *lead, vdim))]


CASES: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
    ("plain", {}, {}),
    ("no weights returned", {}, {"need_weights": False}),
    ("per-head weights", {}, {"average_attn_weights": False}),
    ("bias_kv and zero attention", {"bias_kv": True}, {"add_zero_attn": True}),
    ("separate weights", {"separate": True}, {"need_weights": False}),
    ("evaluation ignores dropout", {}, {"dropout_p": 0.7, "training": False}),
]


@pytest.mark.parametrize(("case", "building", "options"), CASES, ids=[c[0] for c in CASES])
def test_values_and_gradients_match_torch(case: str, building: dict[str, Any],
                                          options: dict[str, Any]) -> None:
    rng = _rng(len(case))
    _compare(_inputs(rng), _weights(rng, building.get("separate", False),
                                    building.get("bias_kv", False)), options)


def test_self_attention_and_unbatched_inputs_match_torch() -> None:
    rng = _rng(1)
    x = rng.standard_normal((L, N, E))
    _compare([x, x, x], _weights(rng, False, False), {"shared": True})
    _compare(_inputs(rng, batched=False), _weights(rng, False, True),
             {"key_padding_mask": rng.random(S) < 0.3, "add_zero_attn": True})


def test_kdim_and_vdim_differing_from_embed_dim_match_torch() -> None:
    rng = _rng(2)
    _compare(_inputs(rng, kdim=3, vdim=6), _weights(rng, True, False, kdim=3, vdim=6),
             {"need_weights": True})


@pytest.mark.parametrize("need_weights", [True, False])
def test_masks_match_torch(need_weights: bool) -> None:
    rng = _rng(3)
    blocked = rng.random((L, S)) < 0.3
    blocked[:, 0] = False  # no query masked through (NaN rows compare badly)
    padding = np.zeros((N, S), dtype=bool)
    padding[:, -1] = True
    _compare(_inputs(rng), _weights(rng, False, False),
             {"attn_mask": blocked, "key_padding_mask": padding, "need_weights": need_weights})
    additive = rng.standard_normal((N * HEADS, L, S))
    _compare(_inputs(rng), _weights(rng, False, True),
             {"attn_mask": additive, "key_padding_mask": padding * -2.0,
              "need_weights": need_weights})


@pytest.mark.parametrize(("need_weights", "with_padding"), [(False, False), (True, False),
                                                            (False, True)])
def test_is_causal_hint_matches_torch(need_weights: bool, with_padding: bool) -> None:
    rng = _rng(4)
    causal = np.triu(np.ones((L, S), dtype=bool), k=1)
    options: dict[str, Any] = {"attn_mask": causal, "is_causal": True,
                               "need_weights": need_weights}
    if with_padding:
        padding = np.zeros((N, S), dtype=bool)
        padding[0, -1] = True
        options["key_padding_mask"] = padding
    _compare(_inputs(rng), _weights(rng, False, False), options)


def test_static_keys_and_values_match_torch() -> None:
    rng = _rng(5)
    inputs = _inputs(rng)
    weights = _weights(rng, False, False)
    for length, which in ((S, ("static_k",)), (S, ("static_v",)),
                          (S + 2, ("static_k", "static_v"))):
        static = {name: rng.standard_normal((N * HEADS, length, E // HEADS))
                  for name in which}
        _compare(inputs, weights, {**static, "add_zero_attn": len(which) == 2})


def test_the_layer_computes_the_function_with_its_parameters() -> None:
    rng = _rng(6)
    layer = nn.MultiheadAttention(E, HEADS, add_bias_kv=True, kdim=5, vdim=3).double()
    query = mu.constant(rng.standard_normal((L, N, E)))
    key = mu.constant(rng.standard_normal((S, N, 5)))
    value = mu.constant(rng.standard_normal((S, N, 3)))
    padding = rng.random((N, S)) < 0.2
    output, weights = layer(query, key, value, key_padding_mask=padding)
    expected, expected_weights = F.multi_head_attention_forward(
        query, key, value, E, HEADS, layer.in_proj_weight, layer.in_proj_bias, layer.bias_k,
        layer.bias_v, layer.add_zero_attn, layer.dropout, layer.out_proj.weight,
        layer.out_proj.bias, training=layer.training, key_padding_mask=padding,
        use_separate_proj_weight=True, q_proj_weight=layer.q_proj_weight,
        k_proj_weight=layer.k_proj_weight, v_proj_weight=layer.v_proj_weight)
    np.testing.assert_array_equal(output.numpy(), expected.numpy())
    assert weights is not None and expected_weights is not None
    np.testing.assert_array_equal(weights.numpy(), expected_weights.numpy())


def test_dropout_applies_while_training() -> None:
    rng = _rng(7)
    inputs = [mu.constant(array) for array in _inputs(rng)]
    weights = {name: None if array is None else mu.constant(array)
               for name, array in _weights(rng, False, False).items()}
    arguments = (weights["in_proj_weight"], weights["in_proj_bias"], None, None, False)
    _, dropped = F.multi_head_attention_forward(*inputs, E, HEADS, *arguments, 0.5,
                                                weights["out_proj_weight"],
                                                weights["out_proj_bias"],
                                                average_attn_weights=False)
    assert dropped is not None
    values = dropped.numpy()
    # dropped weights are 0, kept ones scaled by 2: each row no longer sums to 1
    assert (values == 0).any() and not np.allclose(values.sum(-1), 1.0)


def test_errors_name_the_function() -> None:
    rng = _rng(8)
    inputs = [mu.constant(array) for array in _inputs(rng)]
    weight = mu.constant(rng.standard_normal((3 * E, E)))
    out = mu.constant(rng.standard_normal((E, E)))

    def call(*overrides: Any, **options: Any) -> Any:
        arguments = [*inputs, E, HEADS, weight, None, None, None, False, 0.0, out, None]
        for position, replacement in overrides:
            arguments[position] = replacement
        return F.multi_head_attention_forward(*arguments, **options)

    with pytest.raises(ValueError, match="multi_head_attention_forward: is_causal=True needs "
                                         "the causal mask as attn_mask"):
        call(is_causal=True)
    with pytest.raises(ValueError, match="bias_k and bias_v must be given together"):
        call((7, mu.constant(np.zeros((1, 1, E)))))
    with pytest.raises(ValueError, match="cannot be added to static keys"):
        call((7, mu.constant(np.zeros((1, 1, E)))), (8, mu.constant(np.zeros((1, 1, E)))),
             static_k=mu.constant(np.zeros((N * HEADS, S, E // HEADS))))
    with pytest.raises(ValueError, match="use_separate_proj_weight=True needs q_proj_weight"):
        call(use_separate_proj_weight=True)
    with pytest.raises(ValueError, match="in_proj_weight is None"):
        call((5, None))
    with pytest.raises(mu.ShapeError, match=r"expected query with embed_dim_to_check = 6"):
        call((3, 6))
    with pytest.raises(ValueError, match=r"embed_dim \(8\) must be divisible by num_heads"):
        call((4, 3))
    with pytest.raises(mu.ShapeError, match=r"key shape \(5, 3, 8\) does not match value "
                                            r"shape \(4, 3, 8\)"):
        call((2, mu.constant(np.zeros((4, N, E)))))
    with pytest.raises(mu.ShapeError, match="query and key have different batch sizes"):
        call((1, mu.constant(np.zeros((S, 2, E)))), (2, mu.constant(np.zeros((S, 2, E)))))
    with pytest.raises(mu.ShapeError, match=r"static_k must have shape \(batch \* num_heads, "
                                            r"S, head_dim\) = \(6, S, 4\)"):
        call(static_k=mu.constant(np.zeros((N, S, E // HEADS))))
    with pytest.raises(mu.ShapeError, match=r"multi_head_attention_forward: attn_mask must "
                                            r"have shape \(L, S\)"):
        call(attn_mask=np.zeros((L, L), dtype=bool))
    with pytest.raises(TypeError, match="query must be a tensor"):
        call((0, np.zeros((L, N, E))))


def test_runs_on_a_device_like_on_the_cpu(device: str) -> None:
    rng = _rng(9)
    arrays = _inputs(rng)
    weights = _weights(rng, False, True)
    padding = np.zeros((N, S), dtype=bool)
    padding[1, 0] = True
    results = {}
    for where in ("cpu", device):
        leaves = [mu.variable(array, device=where) for array in arrays]
        parameters = {name: None if array is None else mu.variable(array, device=where)
                      for name, array in weights.items()}
        output, attention = F.multi_head_attention_forward(
            *leaves, E, HEADS, parameters["in_proj_weight"], parameters["in_proj_bias"],
            parameters["bias_k"], parameters["bias_v"], True, 0.0,
            parameters["out_proj_weight"], parameters["out_proj_bias"],
            key_padding_mask=padding)
        assert output.device == where and attention is not None
        (output.sum() + (attention * attention).sum()).backward()
        results[where] = [output.numpy(), attention.numpy(),
                          *(leaf.grad().numpy() for leaf in leaves),
                          *(parameter.grad().numpy() for parameter in parameters.values()
                            if parameter is not None)]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)
