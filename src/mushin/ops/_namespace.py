"""The two function sets a VJP rule can be given (see ``mushin._graph.Primitive``).

``array_ops(xp)`` runs each primitive's forward directly on backend arrays: the fast, usual
backward pass. ``graph_ops()`` runs each primitive through ``apply``, so the backward pass is
itself recorded (``backward(create_graph=True)``). Both expose every registered primitive by
name (``F.cos(x)``, ``F.sum(g, axis=0)``) plus the few helpers the engine needs.
"""

from __future__ import annotations

import functools
from types import ModuleType, SimpleNamespace
from typing import Any

import numpy as np

from mushin import _backend
from mushin._backend import Array
from mushin._graph import PRIMITIVES, Node, Primitive
from mushin._tensor import Tensor, Variable, _new_constant, apply


def wrap(value: Any, node: Node | None) -> Any:
    """A saved value as a tensor: a ``Variable`` on ``node``, or a ``Constant``."""
    if node is None:
        if value is None or isinstance(value, int | float | bool | Tensor):
            return value  # pyright: ignore[reportUnknownVariableType] (isinstance on Any)
        return _new_constant(value)
    variable: Variable = object.__new__(Variable)
    variable._data = value
    variable._grad = None
    variable._node = node
    return variable


def unwrap(value: Any) -> Any:
    """The backend array of a tensor; anything else unchanged."""
    return value._data if isinstance(value, Tensor) else value


def _unwrapped(prim: Primitive) -> Any:
    """A non-differentiable primitive on tensors: computed on the arrays, a ``Constant``."""

    def run(*operands: Any, **params: Any) -> Any:
        return apply(prim, *(unwrap(operand) for operand in operands), **params)

    return run


_array_cache: dict[tuple[int, int], SimpleNamespace] = {}
_graph_cache: dict[int, SimpleNamespace] = {}


def _build_array_ops(xp: ModuleType) -> SimpleNamespace:
    functions = {name: functools.partial(prim.forward, xp) for name, prim in PRIMITIVES.items()}
    return SimpleNamespace(graph_mode=False, xp=xp, wrap=wrap, unwrap=unwrap,
                           zeros_like=xp.zeros_like, **functions)


def array_ops(reference: Array) -> SimpleNamespace:
    """The function set on plain arrays of ``reference``'s array module."""
    xp = np if isinstance(reference, np.ndarray) else _backend.namespace_of(reference)
    key = (id(xp), len(PRIMITIVES))
    found = _array_cache.get(key)
    if found is None:
        found = _array_cache[key] = _build_array_ops(xp)
    return found


def graph_ops() -> SimpleNamespace:
    """The function set on tensors, recording every step (for ``create_graph=True``)."""
    found = _graph_cache.get(len(PRIMITIVES))
    if found is None:
        functions = {name: (functools.partial(apply, prim) if prim.vjp is not None
                            else _unwrapped(prim)) for name, prim in PRIMITIVES.items()}

        def zeros_like(value: Any) -> Any:
            data = unwrap(value)
            return _new_constant(_backend.namespace_of(data).zeros_like(data))

        found = _graph_cache[len(PRIMITIVES)] = SimpleNamespace(
            graph_mode=True, xp=None, wrap=wrap, unwrap=unwrap, zeros_like=zeros_like,
            **functions)
    return found
