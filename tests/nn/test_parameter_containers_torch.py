"""``nn.ParameterList`` and ``nn.ParameterDict`` against PyTorch's: registration names, state
dicts, list and mapping behaviour, an optimizer training a model built on them, the errors, and
the containers on a device."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin import nn
from mushin.nn.optimizers import Adam

torch = pytest.importorskip("torch")
tnn = torch.nn

SHAPES = [(3, 4), (4,), (4, 2)]


def _arrays(seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in SHAPES]


def test_parameter_list_registers_indices_as_torch() -> None:
    arrays = _arrays()
    ours = nn.ParameterList([mu.variable(arrays[0]), mu.constant(arrays[1]), arrays[2]])
    theirs = tnn.ParameterList([torch.tensor(array) for array in arrays])
    assert len(ours) == len(theirs) == 3
    assert all(isinstance(value, mu.Variable) for value in ours)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1", "2"]
    assert [name for name, _ in ours.named_parameters()] == \
        [name for name, _ in theirs.named_parameters()]
    for index in (0, 1, 2, -1, -3):
        np.testing.assert_array_equal(ours[index].numpy(), theirs[index].detach().numpy())
    assert ours.parameters()[0] is ours[0]


def test_parameter_list_keeps_variables_and_shares_tensor_values() -> None:
    kept = mu.variable(np.ones(2))
    constant = mu.constant(np.zeros(2))
    ours = nn.ParameterList([kept, constant])
    assert ours[0] is kept
    assert ours[1] is not constant and isinstance(ours[1], mu.Variable)
    constant.fill_(5.0)  # as nn.Parameter(tensor), the new parameter shares the values
    np.testing.assert_array_equal(ours[1].numpy(), [5.0, 5.0])


def test_parameter_list_append_extend_setitem_slice_and_add() -> None:
    arrays = _arrays(1)
    ours = nn.ParameterList()
    theirs = tnn.ParameterList()
    assert ours.append(arrays[0]) is ours
    theirs.append(torch.tensor(arrays[0]))
    assert ours.extend(arrays[1:]) is ours
    theirs.extend([torch.tensor(array) for array in arrays[1:]])
    ours[1] = np.full(5, 2.0)
    theirs[1] = torch.full((5,), 2.0, dtype=torch.float64)
    ours += [np.zeros(1)]
    theirs += [torch.zeros(1, dtype=torch.float64)]
    assert {name: value.shape for name, value in ours.state_dict().items()} == \
        {name: tuple(value.shape) for name, value in theirs.state_dict().items()}
    for mine, their in zip(ours, theirs, strict=True):
        np.testing.assert_array_equal(mine.numpy(), their.detach().numpy())
    part = ours[1:3]
    assert isinstance(part, nn.ParameterList) and len(part) == len(theirs[1:3]) == 2
    assert part[0] is ours[1] and list(part.state_dict()) == ["0", "1"]


def test_parameter_list_inside_a_model_names_like_torch() -> None:
    class Ours(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weights = nn.ParameterList([np.ones((2, 2)), np.zeros(2)])

    class Theirs(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.weights = tnn.ParameterList([torch.ones(2, 2), torch.zeros(2)])

    assert list(Ours().state_dict()) == list(Theirs().state_dict()) == \
        ["weights.0", "weights.1"]


def test_parameter_dict_orders_and_names_like_torch() -> None:
    arrays = _arrays(2)
    plain = {"w": arrays[0], "b": arrays[1], "a": arrays[2]}  # a plain dict: sorted keys
    ours = nn.ParameterDict(plain)
    theirs = tnn.ParameterDict({key: torch.tensor(value) for key, value in plain.items()})
    assert ours.keys() == list(theirs.keys()) == ["a", "b", "w"]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ordered = OrderedDict([("w", arrays[0]), ("b", arrays[1])])  # kept in order
    pairs = [("z", arrays[2]), ("c", arrays[1])]
    assert nn.ParameterDict(ordered).keys() == list(tnn.ParameterDict(
        OrderedDict((key, torch.tensor(value)) for key, value in ordered.items())).keys())
    assert nn.ParameterDict(pairs).keys() == list(tnn.ParameterDict(
        [(key, torch.tensor(value)) for key, value in pairs]).keys()) == ["z", "c"]
    for key in ours:
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].detach().numpy())
    assert [value for value in ours.values()] == [ours[key] for key in ours]
    assert ours.items() == [(key, ours[key]) for key in ["a", "b", "w"]]
    assert all(isinstance(value, mu.Variable) for value in ours.values())


def test_parameter_dict_mapping_methods() -> None:
    ours = nn.ParameterDict([("x", np.ones(2)), ("y", np.zeros(3))])
    theirs = tnn.ParameterDict([("x", torch.ones(2)), ("y", torch.zeros(3))])
    assert "x" in ours and "q" not in ours and len(ours) == 2
    assert ours.get("q") is None and ours.get("x") is ours["x"]
    assert ours.setdefault("z", np.full(1, 3.0)) is ours["z"]
    theirs.setdefault("z", torch.full((1,), 3.0))
    kept = ours["x"]
    assert ours.setdefault("x", np.zeros(7)) is kept
    assert list(reversed(ours)) == list(reversed(theirs)) == ["z", "y", "x"]
    key, value = ours.popitem()
    assert (key, theirs.popitem()[0]) == ("z", "z") and value.shape == (1,)
    assert ours.pop("y").shape == (3,)
    theirs.pop("y")
    del ours["x"]
    del theirs["x"]
    assert len(ours) == len(theirs) == 0
    ours.update({"b": np.ones(1), "a": np.ones(2)})
    copied = ours.copy()
    assert copied.keys() == ["a", "b"] and copied["a"] is ours["a"]
    merged = ours | nn.ParameterDict([("c", np.ones(4))])
    assert merged.keys() == ["a", "b", "c"] and len(ours) == 2
    ours |= nn.ParameterDict([("c", np.ones(4))])
    assert ours.keys() == ["a", "b", "c"]
    made = ours.fromkeys(["p", "q"], np.ones(2))
    assert made.keys() == ["p", "q"] and made["p"] is not made["q"]
    ours.clear()
    assert len(ours) == 0 and ours.state_dict() == {}


def test_reprs_follow_torch_layout() -> None:
    ours = nn.ParameterList([np.ones((2, 3)), np.ones(4, dtype=np.float32)])
    theirs = tnn.ParameterList([torch.ones(2, 3, dtype=torch.float64), torch.ones(4)])
    assert repr(ours) == repr(theirs).replace("torch.", "")
    assert repr(nn.ParameterList()) == repr(tnn.ParameterList()) == "ParameterList()"
    assert repr(nn.ParameterDict({"w": np.ones(2)})) == (
        "ParameterDict(\n    (w): Parameter containing: [float64 of size 2]\n)")


def test_state_dict_loads_from_torch() -> None:
    theirs = tnn.ParameterDict({"w": torch.randn(3, 2, dtype=torch.float64),
                                "b": torch.randn(2, dtype=torch.float64)})
    ours = nn.ParameterDict({"w": np.zeros((3, 2)), "b": np.zeros(2)})
    ours.load_state_dict({key: value.detach().numpy() for key, value in
                          theirs.state_dict().items()})
    for key in ("w", "b"):
        np.testing.assert_array_equal(ours[key].numpy(), theirs[key].detach().numpy())


class _OursMLP(nn.Module):
    def __init__(self, arrays: list[np.ndarray]) -> None:
        super().__init__()
        self.layers = nn.ParameterList([mu.variable(array.copy()) for array in arrays])
        self.scales = nn.ParameterDict({"out": np.ones(2)})

    def forward(self, x: Any) -> Any:
        w1, b1, w2 = self.layers[0], self.layers[1], self.layers[2]
        return (mu.tanh(x @ w1 + b1) @ w2) * self.scales["out"]


class _TheirsMLP(tnn.Module):
    def __init__(self, arrays: list[np.ndarray]) -> None:
        super().__init__()
        self.layers = tnn.ParameterList([torch.tensor(array) for array in arrays])
        self.scales = tnn.ParameterDict({"out": torch.ones(2, dtype=torch.float64)})

    def forward(self, x: Any) -> Any:
        w1, b1, w2 = self.layers
        return (torch.tanh(x @ w1 + b1) @ w2) * self.scales["out"]


def test_an_optimizer_trains_a_parameter_list_model_like_torch() -> None:
    arrays = _arrays(3)
    rng = np.random.default_rng(4)
    inputs, targets = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    ours, theirs = _OursMLP(arrays), _TheirsMLP(arrays)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    our_optimizer = Adam(ours.parameters(), lr=0.05)
    their_optimizer = torch.optim.Adam(theirs.parameters(), lr=0.05)
    for _ in range(4):
        our_optimizer.zero_grad()
        residual = ours(mu.constant(inputs)) - mu.constant(targets)
        (residual * residual).mean().backward()
        our_optimizer.step()
        their_optimizer.zero_grad()
        their_residual = theirs(torch.tensor(inputs)) - torch.tensor(targets)
        (their_residual * their_residual).mean().backward()
        their_optimizer.step()
    for (name, mine), (their_name, their) in zip(ours.state_dict().items(),
                                                 theirs.state_dict().items(), strict=True):
        assert name == their_name
        np.testing.assert_allclose(mine.numpy(), their.numpy(), rtol=1e-10, atol=1e-12)


def test_errors_name_the_container_and_what_was_given() -> None:
    with pytest.raises(TypeError, match=r"ParameterList: 0 must be a tensor or an array, "
                                        r"got str"):
        nn.ParameterList(["weight"])
    with pytest.raises(TypeError, match=r"ParameterList\.extend should be called with "
                                        r"an iterable, got Constant"):
        nn.ParameterList().extend(mu.constant(np.ones(2)))
    values = nn.ParameterList([np.ones(1)])
    with pytest.raises(IndexError, match="ParameterList index 1 is out of range for 1"):
        values[1]
    with pytest.raises(IndexError, match="ParameterList index -2 is out of range"):
        values[-2] = np.ones(1)
    with pytest.raises(TypeError, match="ParameterList indices must be ints or slices"):
        values["0"]
    table = nn.ParameterDict()
    with pytest.raises(TypeError, match="ParameterDict keys must be strings, got 1"):
        table[1] = np.ones(1)
    with pytest.raises(KeyError, match=r"without dots, got 'a\.b'"):
        table["a.b"] = np.ones(1)
    with pytest.raises(KeyError, match="attribute 'training' already exists"):
        table["training"] = np.ones(1)
    with pytest.raises(TypeError, match="ParameterDict: 'w' must be a tensor or an array, "
                                        "got NoneType"):
        table.setdefault("w", None)
    with pytest.raises(TypeError, match=r"ParameterDict\.update: element 0 is not a"):
        table.update([("w",)])
    with pytest.raises(TypeError, match=r"ParameterDict\.update should be called with "
                                        r"a mapping or an iterable of .* got int"):
        table.update(3)
    with pytest.raises(KeyError, match="missing"):
        table["missing"]
    with pytest.raises(KeyError, match="ParameterDict is empty"):
        table.popitem()


def test_containers_move_to_a_device_and_train_like_on_the_cpu(device: str) -> None:
    arrays = _arrays(5)
    rng = np.random.default_rng(6)
    inputs, targets = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    results = {}
    for where in ("cpu", device):
        model = _OursMLP(arrays).to(where)
        assert all(value.device == where for value in model.parameters())
        model.layers.append(mu.variable(np.zeros(1), device=where))
        optimizer = Adam(model.parameters()[:3] + model.parameters()[4:], lr=0.1)
        for _ in range(2):
            optimizer.zero_grad()
            residual = model(mu.constant(inputs, device=where)) - \
                mu.constant(targets, device=where)
            (residual * residual).mean().backward()
            optimizer.step()
        results[where] = {name: value.numpy() for name, value in model.state_dict().items()}
        assert model.layers[3].device == where
    assert list(results[device]) == ["layers.0", "layers.1", "layers.2", "layers.3",
                                     "scales.out"]
    for name, value in results["cpu"].items():
        np.testing.assert_allclose(results[device][name], value, rtol=1e-10, atol=1e-12)
