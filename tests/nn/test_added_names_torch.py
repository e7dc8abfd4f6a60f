"""The names of ``torch.nn`` and ``torch.nn.functional`` added last, against PyTorch in float64:
``F.linear_cross_entropy`` and ``nn.LinearCrossEntropyLoss`` (class indices and probabilities,
K-dimensional, class weights, ``ignore_index``, label smoothing, reductions; values, gradients,
state dicts), ``F.conv_tbc``, ``F.native_channel_shuffle`` and ``nn.NLLLoss2d``; and the list of
PyTorch's public names mushin leaves out on purpose, so a new one is noticed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from layer_oracle import assert_gradients_equal, assert_same_state, compare, torch

import mushin as mu
import mushin.nn.functional as F
from mushin import nn

TF = torch.nn.functional


def _rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


@pytest.mark.parametrize("options", [
    {}, {"reduction": "sum", "label_smoothing": 0.2}, {"reduction": "none"},
    {"ignore_index": 2}, {"class_weight": True, "label_smoothing": 0.1},
    {"options": True},
])
@pytest.mark.parametrize("with_bias", [False, True])
def test_linear_cross_entropy_matches_torch(options: dict[str, Any], with_bias: bool) -> None:
    rng = _rng(len(options))
    x, weight = rng.standard_normal((6, 4)), rng.standard_normal((5, 4))
    bias = rng.standard_normal(5)
    target = rng.integers(0, 5, 6)
    target[0] = 2
    settings = dict(options)
    class_weight = rng.random(5) + 0.5 if settings.pop("class_weight", False) else None
    chunked = settings.pop("options", False)

    def call(module: Any, lib: Any, *arrays: Any) -> Any:
        tensor = torch.tensor if lib is torch else mu.constant
        extra = dict(settings)
        if class_weight is not None:
            extra["weight"] = tensor(class_weight)
        if chunked:
            extra["options"] = (torch.nn if lib is torch else nn).LinearCrossEntropyOptions(
                batch_chunk_size=2)
        return module.linear_cross_entropy(
            arrays[0], arrays[1], tensor(target),
            linear_bias=arrays[2] if with_bias else None, **extra)

    compare(lambda *a: call(F, mu, *a), lambda *a: call(TF, torch, *a), [x, weight, bias]
            if with_bias else [x, weight])


def test_linear_cross_entropy_k_dimensional_probabilities_and_one_row_match_torch() -> None:
    rng = _rng(1)
    x = rng.standard_normal((3, 4))
    weight, bias = rng.standard_normal((5, 2, 3, 4)), rng.standard_normal((5, 2, 3))
    indices = rng.integers(0, 5, (3, 2, 3))
    compare(lambda a, w, b: F.linear_cross_entropy(a, w, mu.constant(indices), linear_bias=b),
            lambda a, w, b: TF.linear_cross_entropy(a, w, torch.tensor(indices),
                                                    linear_bias=b), [x, weight, bias])
    probabilities = rng.random((3, 5))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    flat = rng.standard_normal((5, 4))
    compare(lambda a, w: F.linear_cross_entropy(a, w, mu.constant(probabilities),
                                                label_smoothing=0.3),
            lambda a, w: TF.linear_cross_entropy(a, w, torch.tensor(probabilities),
                                                 label_smoothing=0.3), [x, flat])
    compare(lambda a, w: F.linear_cross_entropy(a, w, mu.constant(np.array(3))),
            lambda a, w: TF.linear_cross_entropy(a, w, torch.tensor(3)), [x[0], flat])


def test_linear_cross_entropy_errors() -> None:
    x, weight = mu.ones(3, 4), mu.ones(5, 4)
    target = mu.constant(np.zeros(3, dtype=np.int64))
    with pytest.raises(mu.ShapeError, match=r"linear_cross_entropy: expected an input of shape "
                                            r"\(N, in_features\)"):
        F.linear_cross_entropy(mu.ones(2, 3, 4), weight, target)
    with pytest.raises(mu.ShapeError, match=r"expected linear_weight of shape \(C, "
                                            r"\*out_features, in_features=4\)"):
        F.linear_cross_entropy(x, mu.ones(5, 3), target)
    with pytest.raises(mu.ShapeError, match=r"expected linear_bias of shape \(5,\)"):
        F.linear_cross_entropy(x, weight, target, linear_bias=mu.ones(4))
    with pytest.raises(mu.ShapeError, match="needs a batched input"):
        F.linear_cross_entropy(mu.ones(4), mu.ones(5, 2, 4), mu.constant(np.zeros(2, np.int64)))
    with pytest.raises(ValueError, match="ignore_index cannot be given with a target of class "
                                         "probabilities"):
        F.linear_cross_entropy(x, weight, mu.ones(3, 5), ignore_index=1)
    with pytest.raises(TypeError, match="linear_cross_entropy: the input must be a tensor"):
        F.linear_cross_entropy(np.ones((3, 4)), weight, target)


@pytest.mark.parametrize("settings", [
    {}, {"bias": True, "reduction": "sum"}, {"out_features": (2, 3), "bias": True},
    {"label_smoothing": 0.1, "ignore_index": 0},
])
def test_linear_cross_entropy_loss_module_matches_torch(settings: dict[str, Any]) -> None:
    rng = _rng(len(settings))
    class_weight = rng.random(5) + 0.5
    theirs = torch.nn.LinearCrossEntropyLoss(4, 5, weight=torch.tensor(class_weight),
                                             **settings).double()
    ours = nn.LinearCrossEntropyLoss(4, 5, weight=mu.constant(class_weight), **settings).double()
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})
    assert_same_state(ours, theirs)
    assert repr(ours) == repr(theirs)
    x = rng.standard_normal((6, 4))
    target = rng.integers(0, 5, (6, *settings.get("out_features", ())))
    mine, other = mu.variable(x), torch.tensor(x, requires_grad=True)
    loss, expected = ours(mine, mu.constant(target)), theirs(other, torch.tensor(target))
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy(), rtol=1e-12)
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(mine.grad().numpy(), other.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert_gradients_equal(ours, theirs)


def test_linear_cross_entropy_loss_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match=r"LinearCrossEntropyLoss: expected weight of shape "
                                         r"\(5,\)"):
        nn.LinearCrossEntropyLoss(4, 5, weight=mu.ones(4))
    with pytest.raises(ValueError, match="label_smoothing must lie in"):
        nn.LinearCrossEntropyLoss(4, 5, label_smoothing=1.5)
    with pytest.raises(ValueError, match="reduction must be"):
        nn.LinearCrossEntropyLoss(4, 5, reduction="avg")
    with pytest.raises(ValueError, match="num_classes and out_features must be positive ints"):
        nn.LinearCrossEntropyLoss(4, 5, out_features=(0,))


@pytest.mark.parametrize(("shape", "kernel", "pad"), [((7, 2, 3), 3, 0), ((5, 3, 4), 2, 2),
                                                      ((4, 1, 2), 1, 1)])
def test_conv_tbc_matches_torch(shape: tuple[int, ...], kernel: int, pad: int) -> None:
    rng = _rng(kernel)
    arrays = [rng.standard_normal(shape), rng.standard_normal((kernel, shape[2], 5)),
              rng.standard_normal(5)]
    compare(lambda x, w, b: F.conv_tbc(x, w, b, pad), lambda x, w, b: TF.conv_tbc(x, w, b, pad),
            arrays)
    with pytest.raises(mu.ShapeError, match=r"conv_tbc: expected an input \(T, B, C\) and a "
                                            r"weight \(k, C, O\)"):
        F.conv_tbc(mu.ones(4, 2, 3), mu.ones(2, 4, 5), mu.ones(5))
    with pytest.raises(ValueError, match="conv_tbc: pad must be an int >= 0"):
        F.conv_tbc(mu.ones(4, 2, 3), mu.ones(2, 3, 5), mu.ones(5), -1)


def test_native_channel_shuffle_is_channel_shuffle() -> None:
    """PyTorch's native kernel has no derivative: its values, channel_shuffle's gradient."""
    x = _rng(2).standard_normal((2, 6, 3, 2))
    np.testing.assert_array_equal(F.native_channel_shuffle(mu.constant(x), 3).numpy(),
                                  TF.native_channel_shuffle(torch.tensor(x), 3).numpy())
    compare(lambda a: F.native_channel_shuffle(a, 3), lambda a: TF.channel_shuffle(a, 3), [x])


def test_nll_loss_2d_is_nll_loss_with_pytorchs_warning() -> None:
    rng = _rng(3)
    x = rng.standard_normal((2, 4, 3, 3))
    target = rng.integers(0, 4, (2, 3, 3))
    with pytest.warns(FutureWarning, match="NLLLoss2d has been deprecated"):
        ours = nn.NLLLoss2d(ignore_index=1)
    with pytest.warns(FutureWarning):
        theirs = torch.nn.NLLLoss2d(ignore_index=1)
    assert isinstance(ours, nn.NLLLoss)
    compare(lambda a: ours(a, mu.constant(target)), lambda a: theirs(a, torch.tensor(target)),
            [x])


def test_data_parallel_on_one_device_is_pytorchs() -> None:
    theirs = torch.nn.DataParallel(torch.nn.Sequential(torch.nn.Linear(3, 2))).double()
    ours = nn.DataParallel(nn.Sequential(nn.Linear(3, 2))).double()
    ours.load_state_dict({name: value.numpy() for name, value in theirs.state_dict().items()})
    assert_same_state(ours, theirs)
    assert isinstance(ours.module, nn.Sequential)
    x = _rng(5).standard_normal((4, 3))
    compare(lambda a: ours(a), lambda a: theirs(a), [x])
    with pytest.raises(NotImplementedError, match=r"DataParallel over several devices in one "
                                                  r"process \(\[0, 1\]\) is not provided"):
        nn.DataParallel(nn.Linear(3, 2), device_ids=[0, 1])
    with pytest.raises(TypeError, match="DataParallel: module must be a Module"):
        nn.DataParallel(lambda x: x)  # type: ignore[arg-type, type-var]


def test_on_a_device_like_on_the_cpu(device: str) -> None:
    rng = _rng(4)
    x, weight = rng.standard_normal((6, 4)), rng.standard_normal((5, 4))
    target = rng.integers(0, 5, 6)
    sequence, kernel = rng.standard_normal((5, 2, 4)), rng.standard_normal((3, 4, 2))
    results = {}
    for where in ("cpu", device):
        leaves = [mu.variable(array, device=where) for array in (x, weight, sequence, kernel)]
        loss = F.linear_cross_entropy(leaves[0], leaves[1], mu.constant(target, device=where),
                                      label_smoothing=0.1)
        convolved = F.conv_tbc(leaves[2], leaves[3], mu.zeros(2, device=where, dtype="float64"),
                               1)
        assert loss.device == convolved.device == where
        (loss + convolved.sum()).backward()
        results[where] = [loss.numpy(), convolved.numpy(),
                          *(leaf.grad().numpy() for leaf in leaves)]
    for found, expected in zip(results[device], results["cpu"], strict=True):
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-12)


# PyTorch's public names that mushin leaves out, each with the reason (docs/porting.md).
LEFT_OUT_FUNCTIONAL = {
    "grouped_mm", "scaled_mm", "scaled_grouped_mm",  # reduced-precision GPU kernels (bf16/fp8)
    "grad",  # the module torch.nn.grad (conv*_input / conv*_weight): not provided yet
}
LEFT_OUT_NN = {
    "Buffer",  # needs Module.__setattr__ to register it (mushin: register_buffer)
    "Container",  # deprecated since PyTorch 0.x
    "CrossMapLRN2d",  # legacy Lua-torch layer
    "RNNBase", "RNNCellBase",  # bases of the recurrent layers (mushin's are private)
    "UninitializedBuffer", "UninitializedParameter",  # lazy placeholders: see nn/layers/lazy.py
    "factory_kwargs",  # an internal helper
}


def test_every_other_public_name_of_torch_nn_is_in_mushin() -> None:
    def public(module: Any) -> set[str]:
        import types
        return {name for name in dir(module) if not name.startswith("_")
                and not isinstance(getattr(module, name), types.ModuleType)
                and (callable(getattr(module, name)))}

    # typing aliases, dispatch helpers and constants that torch.nn.functional imports
    ignored_functional = {name for name in public(TF)
                          if not (getattr(getattr(TF, name), "__module__", None) or
                                  "torch").startswith("torch")
                          or name in ("boolean_dispatch", "handle_torch_function",
                                      "has_torch_function", "has_torch_function_unary",
                                      "has_torch_function_variadic", "assert_int_or_pair",
                                      "DType", "ScalingType", "SwizzleType", "Tensor")}
    missing_functional = public(TF) - ignored_functional - set(dir(F)) - LEFT_OUT_FUNCTIONAL
    assert not missing_functional, sorted(missing_functional)
    missing_nn = public(torch.nn) - set(dir(nn)) - LEFT_OUT_NN
    assert not missing_nn, sorted(missing_nn)
