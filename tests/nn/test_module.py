"""``Module`` and ``Sequential``: registration, names, state dicts, freezing, devices, repr."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.nn import activations
from mushin.nn.layers import BatchNorm1D, Dropout, Linear
from mushin.nn.module import Lambda, Module, Sequential


class Block(Module):
    """Two layers, a shared parameter, a buffer and a plain attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.first = Linear(3, 4, dtype="float64")
        self.norm = BatchNorm1D(4, dtype="float64")
        self.scale = mu.variable(np.array([2.0]), dtype="float64")
        self.register_buffer("calls", mu.constant(np.zeros((), dtype=np.int64)))
        self.note = "not registered"

    def forward(self, x: Any) -> Any:
        self.calls._data += 1
        return self.norm(self.first(x)) * self._param(self.scale)


class Net(Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.head = Linear(4, 2, dtype="float64")
        self.alias = self.head  # the same module twice: its parameters count once

    def forward(self, x: Any) -> Any:
        return self.head(activations.relu(self.block(x)))


def test_attributes_register_parameters_modules_and_buffers() -> None:
    net = Net()
    names = [name for name, _ in net.named_parameters()]
    assert names == ["block.scale", "block.first.weight", "block.first.bias",
                     "block.norm.weight", "block.norm.bias", "head.weight", "head.bias"]
    assert len(net.parameters()) == 7
    assert all(isinstance(parameter, mu.Variable) for parameter in net.parameters())
    assert [name for name, _ in net.named_modules()] == [
        "", "block", "block.first", "block.norm", "head"]
    assert [name for name, _ in net.named_children()] == ["block", "head", "alias"]
    assert list(net.children())[2] is net.head
    assert [name for name, _ in net.named_buffers()] == [
        "block.calls", "block.norm.running_mean", "block.norm.running_var",
        "block.norm.num_batches_tracked"]
    assert "note" not in net.block._parameters and net.block.note == "not registered"


def test_reassigning_and_deleting_attributes_updates_the_registries() -> None:
    block = Block()
    block.scale = mu.variable(np.array([3.0]))
    assert block._parameters["scale"] is block.scale
    block.first = Lambda(activations.relu)  # a parameter-free module replaces the layer
    assert "first.weight" not in dict(block.named_parameters())
    block.scale = None  # type: ignore[assignment]
    assert "scale" not in block._parameters
    del block.norm
    assert "norm" not in block._modules
    with pytest.raises(TypeError, match="buffer 'calls' must be a Constant or an array"):
        block.calls = "three"  # type: ignore[assignment]


def test_forgetting_super_init_is_a_clear_error() -> None:
    class Broken(Module):
        def __init__(self) -> None:
            self.weight = mu.ones((2,))

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\)"):
        Broken()


def test_state_dict_is_an_ordered_snapshot_on_the_device() -> None:
    net = Net()
    state = net.state_dict()
    assert list(state) == ["block.scale", "block.calls", "block.first.weight",
                           "block.first.bias", "block.norm.weight", "block.norm.bias",
                           "block.norm.running_mean", "block.norm.running_var",
                           "block.norm.num_batches_tracked", "head.weight", "head.bias"]
    assert all(isinstance(value, mu.Constant) and value.device == "cpu"
               for value in state.values())
    before = state["head.weight"].numpy()
    net.head.weight._data += 1.0
    np.testing.assert_array_equal(state["head.weight"].numpy(), before)


def test_load_state_dict_round_trip_keeps_the_variable_objects() -> None:
    source, target = Net(), Net()
    source(mu.constant(np.random.default_rng(0).standard_normal((5, 3))))
    parameters = target.parameters()
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert all(a is b for a, b in zip(parameters, target.parameters(), strict=True))
    for name, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name].numpy(), value.numpy())
    assert target.block.norm.num_batches_tracked.item() == 1


def test_load_state_dict_accepts_numpy_arrays_and_casts() -> None:
    layer = Linear(2, 2)
    layer.load_state_dict({"weight": np.eye(2), "bias": [1, 2]})
    np.testing.assert_array_equal(layer.weight.numpy(), np.eye(2))
    np.testing.assert_array_equal(layer.bias.numpy(), [1.0, 2.0])  # type: ignore[union-attr]
    assert layer.weight.dtype == np.float32


def test_load_state_dict_errors_name_every_key_and_change_nothing() -> None:
    layer = Linear(3, 2)
    before = layer.state_dict()
    bad = {"weight": np.zeros((3, 2)), "extra": np.zeros(1)}
    with pytest.raises(ValueError) as raised:
        layer.load_state_dict(bad)
    message = str(raised.value)
    assert "missing keys ['bias']" in message
    assert "unexpected keys ['extra']" in message
    assert "'weight': expected shape (2, 3), got (3, 2)" in message
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[name].numpy())
    with pytest.raises(ValueError, match="'bias': expected shape"):
        layer.load_state_dict({"weight": np.ones((2, 3)), "bias": np.ones(3)})
    np.testing.assert_array_equal(layer.weight.numpy(), before["weight"].numpy())
    with pytest.raises(TypeError, match="expected a dict"):
        layer.load_state_dict([1, 2])


def test_load_state_dict_not_strict_reports_what_it_skipped() -> None:
    layer = Linear(3, 2)
    result = layer.load_state_dict({"weight": np.ones((2, 3)), "other": np.ones(2)},
                                   strict=False)
    assert result.missing_keys == ["bias"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(layer.weight.numpy(), 1.0)


def test_freeze_makes_parameters_constant_and_unfreeze_restores_them() -> None:
    net = Sequential(Linear(3, 4, dtype="float64"), Dropout(0.5), BatchNorm1D(4))
    parameters = net.parameters()
    x = mu.constant(np.random.default_rng(1).standard_normal((6, 3)))
    assert isinstance(net(x), mu.Variable)
    assert net.freeze() is net
    assert all(not module.training for module in net.modules())
    frozen = net(x)
    assert isinstance(frozen, mu.Constant)
    np.testing.assert_array_equal(frozen.numpy(), net(x).numpy())  # dropout is off
    x_variable = x.unfreeze()
    net(x_variable).sum().backward()
    assert x_variable.grad().numpy().any()  # inputs still get gradients
    assert all(not parameter.grad().numpy().any() for parameter in parameters)
    assert net.unfreeze() is net
    assert all(a is b for a, b in zip(parameters, net.parameters(), strict=True))
    net(x).sum().backward()
    assert parameters[0].grad().numpy().any()


def test_sequential_indexing_length_iteration_and_functions() -> None:
    first, second = Linear(2, 3), Linear(3, 1)
    model = Sequential(first, activations.tanh, second)
    assert len(model) == 3
    assert model[0] is first and model[-1] is second
    assert isinstance(model[1], Lambda)
    assert list(model)[2] is second
    head = model[:2]
    assert isinstance(head, Sequential) and len(head) == 2 and head[0] is first
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]
    x = mu.constant(np.random.default_rng(2).standard_normal((4, 2)).astype(np.float32))
    expected = second(activations.tanh(first(x)))
    np.testing.assert_array_equal(model(x).numpy(), expected.numpy())
    with pytest.raises(IndexError, match="out of range for 3 layers"):
        model[3]
    with pytest.raises(TypeError, match="must be a Module or a function"):
        Sequential(first, 3)  # type: ignore[arg-type]


def test_repr_is_nested_with_layer_arguments() -> None:
    model = Sequential(Linear(4, 2), activations.relu, Sequential(Dropout(0.25)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=2, bias=True)\n"
        "  (1): Lambda(relu)\n"
        "  (2): Sequential(\n"
        "    (0): Dropout(p=0.25)\n"
        "  )\n"
        ")")
    assert repr(Module()) == "Module()"


def test_forward_must_be_defined() -> None:
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1)


def test_to_moves_parameters_and_buffers_in_place(device: str) -> None:
    net = Net()
    x = np.random.default_rng(3).standard_normal((5, 3))
    expected = net(mu.constant(x)).numpy()  # training: batch statistics, as below
    parameters = net.parameters()
    assert net.to(device) is net
    assert all(a is b for a, b in zip(parameters, net.parameters(), strict=True))
    assert net.device == device
    assert all(value.device == device for value in net.state_dict().values())
    result = net(mu.constant(x, device=device))
    assert result.device == device
    np.testing.assert_allclose(result.numpy(), expected, rtol=1e-12)
    result.sum().backward()
    assert net.head.weight.grad().device == device
    net.load_state_dict({name: value.numpy() for name, value in
                         net.state_dict().items()})
    net.to("cpu")
    assert net.device == "cpu" and net.head.weight.grad().device == "cpu"


def test_a_non_leaf_assigned_as_a_parameter_is_refused_where_it_is_assigned() -> None:
    """It used to fail only at the second step, with "backward through the graph a second
    time"."""

    class Scaled(Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = mu.randn((3,)) * 0.01

    with pytest.raises(ValueError, match=r"Scaled.w: a parameter must be a leaf Variable, but "
                                         r"this one is the result of 'mul'"):
        Scaled()
    with pytest.raises(ValueError, match="SGD: parameter 0 is the result of 'mul'"):
        mu.optim.SGD([mu.randn((3,)) * 2.0], lr=0.1)
