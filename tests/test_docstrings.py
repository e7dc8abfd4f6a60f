"""Every public name has a docstring: each function, class and public method reachable from
``mushin``, ``mushin.nn`` and their public sub-modules (inherited docstrings count, as
``help()`` shows them)."""

from __future__ import annotations

import inspect
from types import ModuleType

import pytest

import mushin as mu
from mushin import nn

MODULES: list[ModuleType] = [mu, mu.testing, mu.data, mu.io, mu.distributed, mu.linalg,
                             mu.special, mu.optim, mu.utils.data, nn, nn.functional, nn.activations,
                             nn.losses, nn.ops, nn.layers, nn.optimizers, nn.schedulers,
                             nn.init, nn.utils, nn.utils.rnn]


def _public(module: ModuleType) -> list[tuple[str, object]]:
    names = getattr(module, "__all__", None) or [n for n in vars(module) if n[0] != "_"]
    found = []
    for name in names:
        value = getattr(module, name)
        if not (inspect.isclass(value) or inspect.isfunction(value)):
            continue  # modules, constants, type aliases
        if not getattr(value, "__module__", "").startswith("mushin"):
            continue  # re-exported from elsewhere (typing, numpy...)
        found.append((f"{module.__name__}.{name}", value))
        if inspect.isclass(value):
            found.extend((f"{module.__name__}.{name}.{attribute}", member)
                         for attribute, member in vars(value).items()
                         if not attribute.startswith("_") and callable(member))
    return found


@pytest.mark.parametrize("module", MODULES, ids=[module.__name__ for module in MODULES])
def test_every_public_name_has_a_docstring(module: ModuleType) -> None:
    names = _public(module)
    assert names, f"{module.__name__} exports nothing"
    missing = [name for name, value in names if not (inspect.getdoc(value) or "").strip()]
    assert not missing, f"no docstring: {missing}"
