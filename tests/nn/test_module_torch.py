"""PyTorch's ``nn.Module`` API on ``mu.nn.Module``, checked against torch itself: ``train`` /
``eval`` (without freezing), ``zero_grad``, ``apply``, non-persistent buffers, ``ModuleList``,
``ModuleDict``, ``Parameter`` and dtype conversion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin import nn
from mushin.nn.layers import BatchNorm1D, Dropout, Linear

torch = pytest.importorskip("torch")
tnn = torch.nn


def _ours() -> nn.Sequential:
    return nn.Sequential(Linear(4, 6), BatchNorm1D(6), Dropout(0.5), Linear(6, 3))


def _theirs() -> Any:
    return tnn.Sequential(tnn.Linear(4, 6), tnn.BatchNorm1d(6), tnn.Dropout(0.5),
                          tnn.Linear(6, 3))


def _copy_weights(ours: nn.Module, theirs: Any) -> None:
    ours.load_state_dict({name: value.detach().numpy()
                          for name, value in theirs.state_dict().items()})


def test_eval_matches_torch_after_training_steps_and_keeps_gradients() -> None:
    rng = np.random.default_rng(0)
    ours, theirs = _ours(), _theirs()
    _copy_weights(ours, theirs)
    for _ in range(3):  # training batches update the running statistics identically
        x = rng.standard_normal((8, 4)).astype(np.float32)
        theirs[1](theirs[0](torch.from_numpy(x)))
        ours[1](ours[0](mu.constant(x)))
    assert ours.eval() is ours
    theirs.eval()
    x = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(mu.constant(x)).numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    # eval() does not freeze: the output is still a Variable and gradients reach parameters.
    out = ours(mu.constant(x))
    assert isinstance(out, mu.Variable)
    out.sum().backward()
    assert float(np.abs(ours[0].weight.grad().numpy()).sum()) > 0


def test_dropout_follows_training_flag() -> None:
    x = mu.constant(np.ones((200, 50), dtype=np.float32))
    layer = Dropout(0.5)
    assert not np.array_equal(layer(x).numpy(), x.numpy())
    layer.eval()
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())
    layer.training = True  # the attribute itself, as torch
    assert not np.array_equal(layer(x).numpy(), x.numpy())
    layer.train(False)
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())


def test_train_eval_toggle_recursively_as_torch() -> None:
    ours, theirs = nn.Sequential(_ours(), Dropout()), tnn.Sequential(_theirs(), tnn.Dropout())
    for mode in (False, True, False):
        assert ours.train(mode) is ours
        theirs.train(mode)
        assert [m.training for m in ours.modules()] == [m.training for m in theirs.modules()]
        assert all(m.training is mode for m in ours.modules())
    ours.train()
    assert all(m.training for m in ours.modules())
    with pytest.raises(ValueError, match="boolean"):
        ours.train("no")  # type: ignore[arg-type]


def test_freeze_still_freezes_and_unfreeze_restores() -> None:
    model = _ours()
    x = mu.constant(np.ones((4, 4), dtype=np.float32))
    model.freeze()
    assert all(not m.training for m in model.modules())
    assert isinstance(model(x), mu.Constant)
    model.train()  # training again, but the parameters stay frozen until unfreeze()
    assert isinstance(model[0](x), mu.Constant)
    model.unfreeze()
    assert isinstance(model[0](x), mu.Variable)


def test_zero_grad() -> None:
    model = _ours()
    x = mu.constant(np.random.default_rng(1).standard_normal((4, 4)).astype(np.float32))
    model(x).sum().backward()
    assert float(np.abs(model[3].weight.grad().numpy()).sum()) > 0
    model.zero_grad()
    for parameter in model.parameters():
        np.testing.assert_array_equal(parameter.grad().numpy(), 0)
    model(x).sum().backward()
    model.zero_grad(set_to_none=False)
    for parameter in model.parameters():
        np.testing.assert_array_equal(parameter.grad().numpy(), 0)


def test_apply_order_matches_torch() -> None:
    ours = nn.Sequential(nn.Sequential(Linear(2, 2), Dropout()), Linear(2, 2))
    theirs = tnn.Sequential(tnn.Sequential(tnn.Linear(2, 2), tnn.Dropout()), tnn.Linear(2, 2))
    seen_ours: list[str] = []
    seen_theirs: list[str] = []
    assert ours.apply(lambda m: seen_ours.append(type(m).__name__)) is ours
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == ["Linear", "Dropout", "Sequential", "Linear", "Sequential"]
    assert seen_theirs == seen_ours


class _WithBuffers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = Linear(2, 2)
        self.register_buffer("kept", mu.zeros((2,)).freeze())
        self.register_buffer("scratch", mu.zeros((3,)).freeze(), persistent=False)


class _TorchWithBuffers(tnn.Module):  # type: ignore[misc]
    def __init__(self) -> None:
        super().__init__()
        self.linear = tnn.Linear(2, 2)
        self.register_buffer("kept", torch.zeros(2))
        self.register_buffer("scratch", torch.zeros(3), persistent=False)


def test_non_persistent_buffer_left_out_of_state_dict() -> None:
    ours, theirs = _WithBuffers(), _TorchWithBuffers()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_buffers()] == [
        name for name, _ in theirs.named_buffers()]
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    ours.register_buffer("scratch", mu.zeros((3,)).freeze())  # persistent again
    assert "scratch" in ours.state_dict()


def test_module_list_as_torch() -> None:
    ours = nn.ModuleList([Linear(2, 3), Linear(3, 4)])
    theirs = tnn.ModuleList([tnn.Linear(2, 3), tnn.Linear(3, 4)])
    for o, t in ((ours, theirs),):
        o.append(Linear(4, 5))
        t.append(tnn.Linear(4, 5))
        o.extend([Dropout()])
        t.extend([tnn.Dropout()])
        o.insert(1, Linear(1, 1))
        t.insert(1, tnn.Linear(1, 1))
    assert len(ours) == len(theirs) == 5
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert ours[-1] is list(ours)[4]
    assert len(ours[1:3]) == 2
    del ours[1]
    del theirs[1]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours[0] = Linear(2, 3)
    assert ours[0] is ours._modules["0"]
    with pytest.raises(IndexError):
        ours[10]
    with pytest.raises(TypeError):
        ours.append("not a module")  # type: ignore[arg-type]

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = nn.ModuleList([Linear(2, 2) for _ in range(2)])

    net = Net()
    assert list(net.state_dict()) == ["blocks.0.weight", "blocks.0.bias", "blocks.1.weight",
                                      "blocks.1.bias"]
    assert len(net.parameters()) == 4


def test_module_dict_as_torch() -> None:
    ours = nn.ModuleDict({"b": Linear(2, 2), "a": BatchNorm1D(2)})
    theirs = tnn.ModuleDict({"b": tnn.Linear(2, 2), "a": tnn.BatchNorm1d(2)})
    ours["c"] = Linear(2, 1)
    theirs["c"] = tnn.Linear(2, 1)
    assert list(ours) == list(theirs) == ["b", "a", "c"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "a" in ours and "z" not in ours
    assert ours.pop("a") is not None
    theirs.pop("a")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.update([("d", Dropout())])
    assert ours.keys() == ["b", "c", "d"]
    assert [type(m).__name__ for m in ours.values()] == ["Linear", "Linear", "Dropout"]
    del ours["b"]
    assert len(ours) == 2
    with pytest.raises(KeyError):
        ours["train"] = Linear(1, 1)
    ours.clear()
    assert len(ours) == 0 and ours.parameters() == []


def test_parameter_is_a_registered_leaf_variable() -> None:
    class Scale(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(mu.ones((3,)))

    module = Scale()
    assert isinstance(module.scale, mu.Variable)
    assert list(module.state_dict()) == ["scale"]
    assert module.parameters() == [module.scale]
    p = nn.Parameter([1.0, 2.0])
    assert isinstance(p, mu.Variable) and p.shape == (2,)
    with pytest.raises(ValueError, match="requires_grad"):
        nn.Parameter(mu.ones((2,)), requires_grad=False)


def test_dtype_conversion() -> None:
    model = _ours()
    model(mu.constant(np.ones((4, 4), dtype=np.float32))).sum().backward()
    weight = model[0].weight
    assert model.double() is model
    assert model[0].weight is weight and weight.dtype == np.float64
    assert weight.grad().dtype == np.float64
    assert model[1].running_mean is not None and model[1].running_mean.dtype == np.float64
    assert model[1].num_batches_tracked is not None
    assert model[1].num_batches_tracked.dtype == np.int64
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    model.to("float64")
    assert all(p.dtype == np.float64 for p in model.parameters())
    model.to("cpu", dtype="float32")
    assert all(p.dtype == np.float32 for p in model.parameters())
    model.to(device="cpu")
    assert model.device == "cpu"


def test_gradients_after_double_are_float64_and_match_torch():
    # A model built in float32 and converted by .double() must receive float64 gradients: the
    # engine casts each gradient to its leaf's dtype, which the conversion has to update.
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(),
                                 torch.nn.Linear(5, 2)).double()
    ours = mu.nn.Sequential(mu.nn.Linear(3, 5), mu.nn.Tanh(), mu.nn.Linear(5, 2)).double()
    ours.load_state_dict({key: value.numpy() for key, value in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3))
    (theirs(torch.from_numpy(x)) ** 2).sum().backward()
    (ours(mu.from_numpy(x)) ** 2).sum().backward()
    for (name, parameter), reference in zip(ours.named_parameters(), theirs.parameters(),
                                            strict=True):
        assert parameter.grad().dtype == np.float64, name
        np.testing.assert_allclose(parameter.grad().numpy(), reference.grad.numpy(),
                                   rtol=1e-13, atol=1e-15)


def test_parameters_is_a_list_that_next_walks_like_pytorchs_generator():
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Linear(4, 2))
    ours = mu.nn.Sequential(mu.nn.Linear(3, 4), mu.nn.Linear(4, 2))
    parameters, reference = ours.parameters(), theirs.parameters()
    assert isinstance(parameters, list) and len(parameters) == 4
    for _ in range(4):
        assert tuple(next(parameters).shape) == tuple(next(reference).shape)
    with pytest.raises(StopIteration):
        next(parameters)
    assert next(ours.parameters()) is ours[0].weight  # a fresh call starts again


def test_cpu_and_cuda_move_a_module(device: str) -> None:
    model = mu.nn.Sequential(mu.nn.Linear(3, 2), mu.nn.BatchNorm1d(2))
    assert model.to(device).cpu() is model
    assert {tensor.device for tensor in (*model.parameters(), *model.buffers())} == {"cpu"}
    if not mu.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA was asked for but CuPy is not installed"):
            model.cuda()
    else:
        assert model.cuda(0).parameters()[0].device == "cuda:0"
