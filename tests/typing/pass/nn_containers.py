# pyright: strict
"""``Sequential`` and ``ModuleDict`` keep their modules' types: a ``Sequential`` is generic over
its layers' types, so ``seq[0]`` is its first layer as built (up to the eighth), and iterating a
``Sequential`` of one layer type (``Sequential(*blocks)``) gives that type; a ``ModuleDict``
gives its modules' type by key, ``values()``, ``items()`` and ``pop``. A ``Sequential``'s own
result is ``Any``: the types cannot chain layers whose ``forward`` is generic over the batch.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import mushin as mu
from mushin import nn
from mushin.nn.activations import relu
from mushin.nn.layers import Dropout, LayerNorm, Linear, ReLU, Sequential
from mushin.nn.module import Module


def sequential_indexing() -> None:
    """``seq[i]`` is the ``i``-th layer as built, so calling it keeps the shapes."""
    x: mu.Variable[L[3], L[4]] = mu.randn((3, 4))
    first: Linear[L[4], L[8]] = Linear(4, 8)
    last: Linear[L[8], L[2]] = Linear(8, 2)
    model = Sequential(first, ReLU(), Dropout(0.0), last)
    assert_type(model, Sequential[Linear[L[4], L[8]], ReLU, Dropout, Linear[L[8], L[2]]])
    assert_type(model[0], Linear[L[4], L[8]])
    assert_type(model[1], ReLU)
    assert_type(model[3], Linear[L[8], L[2]])
    hidden = model[1](model[0](x))
    assert_type(hidden, mu.Variable[L[3], L[8]])
    assert_type(model[3](hidden), mu.Variable[L[3], L[2]])
    assert_type(model[0].weight, mu.Variable[L[8], L[4]])
    head: mu.Variable[L[3], L[2]] = model[-1](hidden)  # the last layer (a Module in mypy)
    assert_type(model(x), Any)
    assert head.shape == (3, 2) and len(model) == 4


def sequential_iteration() -> None:
    """A ``Sequential`` of one layer type iterates (and indexes) as that type; of several,
    as their union (pyright) or common base class (mypy), so as ``Module``\\ s in both."""
    x: mu.Variable[L[2], L[6]] = mu.randn((2, 6))
    blocks = Sequential(*[LayerNorm(6) for _ in range(3)])
    for block in blocks:
        x = block(x)
    assert_type(x, mu.Variable[L[2], L[6]])
    assert_type(blocks[2], LayerNorm[int])
    assert_type(blocks[1:], Sequential[*tuple[LayerNorm[int], ...]])
    mixed = Sequential(Linear(6, 6), ReLU())
    layers: list[Module] = list(mixed)
    assert len(layers) == 2


def sequential_forms() -> None:
    """A plain function among the layers makes them ``Module``\\ s (it is wrapped in a
    ``Lambda``); an empty or a bare ``Sequential`` holds ``Module``\\ s of run-time types."""
    with_function = Sequential(Linear(8, 16), relu, Linear(16, 2))
    assert_type(with_function, Sequential[*tuple[Module, ...]])
    assert_type(with_function[0], Module)
    assert_type(Sequential(), Sequential[*tuple[Module, ...]])
    nine = Sequential(*[ReLU() for _ in range(9)])
    assert_type(nine[8], ReLU)

    def built() -> Sequential:
        return Sequential(Linear(4, 4), ReLU())

    assert_type(built(), Sequential[*tuple[Any, ...]])
    assert len(built()) == 2


def module_dict() -> None:
    """A ``ModuleDict`` of one module type gives that type back."""
    x: mu.Variable[L[3], L[5]] = mu.randn((3, 5))
    built = nn.ModuleDict({"mean": Linear(5, 1), "scale": Linear(5, 1)})
    assert_type(built, nn.ModuleDict[Linear[int, int]])
    assert_type(built.values(), list[Linear[int, int]])
    mean: Linear[L[5], L[1]] = Linear(5, 1)
    scale: Linear[L[5], L[1]] = Linear(5, 1)
    heads = nn.ModuleDict({"mean": mean, "scale": scale})
    assert_type(heads["mean"], Linear[L[5], L[1]])
    assert_type(heads["mean"](x), mu.Variable[L[3], L[1]])
    assert_type(heads.items(), list[tuple[str, Linear[L[5], L[1]]]])
    norms: nn.ModuleDict[LayerNorm[L[5]]] = nn.ModuleDict()
    norms["input"] = LayerNorm(5)
    assert_type(norms.pop("input")(x), mu.Variable[L[3], L[5]])
    anything = nn.ModuleDict()
    assert_type(anything, nn.ModuleDict[Module])


def main() -> None:
    mu.seed(0)
    sequential_indexing()
    sequential_iteration()
    sequential_forms()
    module_dict()


if __name__ == "__main__":
    main()
