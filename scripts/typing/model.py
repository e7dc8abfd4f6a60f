"""The vocabulary of ``catalogue.py``: what ``mushin._typing`` declares, item by item.

A declaration holds *signature templates*, ``"(x: {kind}[*Shape], axis: None = None) ->
{kind}[*NoAxes]"``, written as a ``def`` would be but without its ``self`` (a bound callable's
``self: T`` names the tensor it is bound to). ``ForKinds`` and
``ForPairs`` expand their templates over the tensor kinds and the shape patterns of
``rules.py``; ``generate.py`` turns the expanded signatures into source.
"""

from __future__ import annotations

from dataclasses import dataclass

from rules import Form, Pattern


@dataclass(frozen=True)
class Comment:
    """A ``# comment`` line among a callable's overloads."""

    text: str


@dataclass(frozen=True)
class ForKinds:
    """``template`` for each kind of ``rules.KINDS`` in order (``{kind}``), and for each row of
    ``table`` in order, whose fields (``{shape}``, ``{options}``, ``{result}``) fill the rest."""

    template: str
    table: tuple[Form, ...] = (Form(),)


@dataclass(frozen=True)
class ForPairs:
    """``template`` for each kind pair of ``pairs`` in order, and for each shape pattern of
    ``table`` in order: ``{first}`` and ``{other}`` are the operands' types, ``{result}`` the
    result's (of kind ``result_kind``, else the kind rule's) and ``{options}`` the pattern's
    further parameters. A number alternative of ``other`` (``NUMBER``, ``HOST_ARRAY``) is kept
    only where ``rules.takes_numbers`` says the pair takes one."""

    template: str
    table: tuple[Pattern, ...]
    pairs: tuple[tuple[str, str], ...]
    result_kind: str | None = None


Overloads = tuple[str | Comment | ForKinds | ForPairs, ...]
"""A callable's overloads in order (the checkers take the first that matches): literal
signatures, comments and expansions."""


@dataclass(frozen=True)
class Bound:
    """A callable bound to a tensor (``x.add``), a generic class over that tensor: a signature's
    ``self: T`` is written ``self: Name[T]``; a ``Generic`` (nominal) class gets the catch-all
    implementation its overloads need."""

    name: str
    bases: str
    doc: str
    overloads: Overloads


@dataclass(frozen=True)
class Function:
    """A protocol with one ``__call__`` (overloaded where it has several signatures)."""

    name: str
    bases: str
    doc: str
    overloads: Overloads


@dataclass(frozen=True)
class Descriptor:
    """A method's descriptor protocol: its signatures are ``"instance type -> result"``, the
    ``__get__`` overloads after the shared one for a lookup on the class itself."""

    name: str
    bases: str
    doc: str
    overloads: Overloads


@dataclass(frozen=True)
class Section:
    """A ``# --- title ---`` line heading a group of declarations."""

    title: str


@dataclass(frozen=True)
class Text:
    """Declarations copied as they are (type aliases, a plain protocol)."""

    source: str


Declaration = Bound | Function | Descriptor | Section | Text


@dataclass(frozen=True)
class Decorator:
    """A run-time identity giving a callable the static type ``returns``: ``parameter`` is its
    argument (``"method: Callable[..., object]"``), ``wraps`` what it casts (the argument's
    name unless given, ``property(getter)`` for a property)."""

    name: str
    parameter: str
    returns: str
    doc: str
    wraps: str = ""
