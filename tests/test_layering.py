"""The package's layers: every run-time import points down (or sideways), and none is circular.

docs/architecture.md draws the layers; ``LAYERS`` below is that drawing as data. A module
imports only modules of its own layer or below at run time, so the package reads bottom-up
and no module needs another to have finished loading first. Imports under
``if TYPE_CHECKING:`` are for the checkers only and are allowed to point anywhere (the static
types of ``_typing`` and ``_tensor_methods`` name the tensor classes they describe).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parent.parent / "src"
PACKAGE = SOURCE / "mushin"

LAYERS: dict[str, int] = {
    # L0: no mushin imports but each other's: errors, argument checks, backends, kernels'
    # mechanism, static types, atomic files, reused scratch buffers
    "mushin.errors": 0, "mushin._check": 0, "mushin._backend": 0, "mushin.kernels": 0,
    "mushin._typing": 0, "mushin._tensor_methods": 0, "mushin._atomic": 0, "mushin._random": 0,
    "mushin._dtypes": 0, "mushin._allocator": 0,
    # L1: the engine
    "mushin._graph": 1,
    # L2: the tensors, apply, and the method / export declarations
    "mushin._tensor": 2, "mushin._surface": 2,
    # L3: the operations
    "mushin.ops": 3, "mushin._creation": 3, "mushin.linalg": 3, "mushin.special": 3,
    # L4: the primitives of mu.nn, and their public modules
    "mushin.nn.functional": 4, "mushin.nn.activations": 4, "mushin.nn.losses": 4,
    "mushin.nn.ops": 4, "mushin.nn.init": 4,
    # L5: modules, layers, optimizers, schedulers
    "mushin.nn.module": 5, "mushin.nn.layers": 5, "mushin.nn.optim": 5,
    "mushin.nn.optimizers": 5, "mushin.nn.schedulers": 5, "mushin.nn.utils": 5, "mushin.nn": 5,
    # L6: files, data, processes, gradient checking
    "mushin.io": 6, "mushin.data": 6, "mushin.distributed": 6, "mushin.testing": 6,
    "mushin.optim": 6, "mushin.utils": 6, "mushin.cuda": 6, "mushin.accelerator": 6,
    "mushin.backends": 6, "mushin.distributions": 6,
    # L7: the facade
    "mushin": 7,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SOURCE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    """The layer of ``module``: that of the longest prefix ``LAYERS`` names (the facade,
    ``mushin``, only for itself)."""
    if module == "mushin":
        return LAYERS[module]
    parts = module.split(".")
    for end in range(len(parts), 1, -1):
        found = LAYERS.get(".".join(parts[:end]))
        if found is not None:
            return found
    raise AssertionError(f"{module} has no layer: add it to LAYERS (and docs/architecture.md)")


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _run_time_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement executed at run time: at module level, in functions (a hidden
    import is still a dependency), in ``else`` of ``if TYPE_CHECKING``, not in its body."""
    found: list[ast.Import | ast.ImportFrom] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _type_checking_only(node):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return found


def _targets(module: str, statement: ast.Import | ast.ImportFrom) -> set[str]:
    """The mushin modules ``statement`` (in ``module``) loads: ``from a import b`` loads the
    module ``a.b`` when there is one, else ``a``."""
    if isinstance(statement, ast.Import):
        return {alias.name for alias in statement.names if alias.name.split(".")[0] == "mushin"}
    base = statement.module or ""
    if statement.level:
        package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(statement.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    if base.split(".")[0] != "mushin":
        return set()
    return {f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base
            for alias in statement.names}


def _with_packages(module: str, target: str) -> set[str]:
    """``target`` and the packages Python initialises to import it from ``module``: each
    enclosing package's ``__init__`` runs first, unless ``module`` is inside it already (the
    facade, ``mushin``, is always initialised before any module of it)."""
    found = {target}
    parts = target.split(".")
    for end in range(2, len(parts)):
        package = ".".join(parts[:end])
        if not (module == package or module.startswith(package + ".")):
            found.add(package)
    return found


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), str(path))
        graph[module] = {loaded for statement in _run_time_imports(tree)
                         for target in _targets(module, statement)
                         for loaded in _with_packages(module, target) if loaded != module}
    return graph


def test_every_module_has_a_layer() -> None:
    for module in MODULES:
        _layer(module)


def test_imports_point_down() -> None:
    upward = [f"{module} (L{_layer(module)}) imports {target} (L{_layer(target)})"
              for module, targets in _graph().items() for target in sorted(targets)
              if _layer(target) > _layer(module)]
    assert not upward, "upward run-time imports:\n" + "\n".join(upward)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan's, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(sorted(component))
    return components


def test_no_import_cycle() -> None:
    cycles = _cycles(_graph())
    assert not cycles, "run-time import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}, "c": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"d"}}, [["a", "b", "c"]]),
])
def test_the_cycle_finder_finds_cycles(graph: dict[str, set[str]],
                                       expected: list[list[str]]) -> None:
    assert _cycles(graph) == expected


def test_importing_a_submodule_initialises_its_packages() -> None:
    assert _with_packages("mushin.data", "mushin.distributed.bootstrap") == {
        "mushin.distributed.bootstrap", "mushin.distributed"}
    assert _with_packages("mushin.nn.layers.linear", "mushin.nn.functional.linear") == {
        "mushin.nn.functional.linear", "mushin.nn.functional"}


def test_type_checking_imports_are_not_run_time_imports() -> None:
    tree = ast.parse("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import mushin.nn\n"
                     "else:\n    import mushin.ops\ndef f():\n    import mushin.io\n")
    loaded = {target for statement in _run_time_imports(tree)
              for target in _targets("mushin._check", statement)}
    assert loaded == {"mushin.ops", "mushin.io"}
