"""The operations' public surface, declared by each op family beside its functions.

``@method("exp", typing="same_type_method")`` binds a function to ``Tensor`` as a method (or
operator) when its family is imported; ``@exported("unary_function")`` records the static type
of a public operation. ``scripts/generate_surface.py`` reads both registries and writes
``mushin/ops/__init__.py`` (the typed exports) and ``mushin/_tensor_methods.py`` (the methods
as the type checkers see them), so an operation is declared in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from mushin._tensor import Tensor

_Function = TypeVar("_Function", bound=Callable[..., Any])


class Binding(NamedTuple):
    """What an op family declared about one of its functions: the function, and the name of
    the ``mushin._typing`` decorator that gives it its static type (``None``: typed by hand)."""

    function: Callable[..., Any]
    typing: str | None


METHODS: dict[str, Binding] = {}
"""Every operator and method the op families bound to ``Tensor``, by method name."""
EXPORTS: dict[str, Binding] = {}
"""Every public operation of ``mushin.ops`` (and so of ``mu``), by name."""
NAMESPACES = ("linalg", "special")
"""The namespaces besides ``mu`` itself (``mu.linalg``, ``mu.special``), PyTorch's."""
NAMESPACE_EXPORTS: dict[str, dict[str, Binding]] = {namespace: {} for namespace in NAMESPACES}
"""Every public operation of each namespace, by its name there."""


def method(*names: str, typing: str | None) -> Callable[[_Function], _Function]:
    """Bind the decorated function to ``Tensor`` as the methods (or operators) ``names``.

    ``typing`` names the ``mushin._typing`` method decorator that types it for the checkers
    (``scripts/generate_surface.py`` writes the declarations into ``mushin._tensor_methods``);
    ``None`` means ``Tensor`` declares its type by hand. A ``*_property`` typing binds a
    property (``x.T``).
    """

    def bind(function: _Function) -> _Function:
        for name in names:
            if name in METHODS:
                raise ValueError(f"Tensor.{name} is already bound")
            METHODS[name] = Binding(function, typing)
            bound = property(function) if typing and typing.endswith("_property") else function
            setattr(Tensor, name, bound)
        return function

    return bind


def exported(typing: str, *, namespace: str | None = None,
             name: str | None = None) -> Callable[[_Function], _Function]:
    """Declare the decorated function a public operation, typed for the checkers by the
    ``mushin._typing`` function decorator ``typing`` (``mushin.ops``, generated from these
    declarations, exports it so typed).

    With ``namespace="linalg"`` (or ``"special"``) it is exported from ``mu.linalg`` instead,
    under ``name`` (the function's own name by default): ``mu.linalg.norm`` and ``mu.norm``
    are different functions, as in PyTorch. Stack the decorator to export a function in
    several places.
    """

    def declare(function: _Function) -> _Function:
        binding = Binding(function, typing)
        if namespace is None:
            EXPORTS[name or function.__name__] = binding
        else:
            NAMESPACE_EXPORTS[namespace][name or function.__name__] = binding
        return function

    return declare
