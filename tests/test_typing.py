"""The static-checking contract (docs/api.md#static-checking), checked by mypy and pyright.

``tests/typing/pass/`` holds annotated programs that both checkers must accept without a single
diagnostic. ``tests/typing/fail/`` holds mistakes, one per line marked ``# E: <what is wrong>``,
which each checker must report, on exactly the marked lines. Each checker runs once over each
folder.

The fail files are run too, because the run time agrees with the checkers: each ``case_*``
function must raise ``mu.ShapeError`` or ``TypeError`` at its marked line, and each
``annotation_*`` function, whose mistake is only in an annotation, must run cleanly. The pass
files are real programs, and run to completion.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
import os
import re
import subprocess
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import mushin as mu

ROOT = Path(__file__).resolve().parent.parent
TYPING = Path(__file__).resolve().parent / "typing"
PASS = sorted((TYPING / "pass").glob("*.py"))
FAIL = sorted((TYPING / "fail").glob("*.py"))
MARK = re.compile(r"#\s*E:\s*\S")

Diagnostic = tuple[Path, int, str]
"""A reported error: the file, its 1-based line and the checker's message."""


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (pip install -e '.[test]' installs it)")


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONUTF8": "1", "NO_COLOR": "1"}
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env=environment, check=False)


def _mypy(folder: Path) -> list[Diagnostic]:
    """Every error mypy --strict reports in ``folder`` (notes are not errors)."""
    _require("mypy")
    result = _run([sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
                   "--no-pretty", "--show-error-codes", str(folder)])
    found = []
    for line in result.stdout.splitlines():
        match = re.match(r"(.+?):(\d+): (error|warning): (.*)", line)
        if match:
            found.append((Path(ROOT, match[1]).resolve(), int(match[2]), match[4]))
    assert result.returncode in (0, 1) and (found or result.returncode == 0), (
        f"mypy did not run:\n{result.stdout}\n{result.stderr}")
    return found


def _pyright(folder: Path) -> list[Diagnostic]:
    """Every diagnostic pyright (strict: each file says ``# pyright: strict``) reports."""
    _require("pyright")
    result = _run([sys.executable, "-m", "pyright", "--outputjson", "--pythonpath",
                   sys.executable, str(folder)])
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"pyright did not run:\n{result.stdout}\n{result.stderr}")
    return [(Path(item["file"]).resolve(), item["range"]["start"]["line"] + 1,
             f"{item['severity']}: {item['message']} ({item.get('rule', '')})")
            for item in report["generalDiagnostics"]]


CHECKERS: dict[str, Callable[[Path], list[Diagnostic]]] = {"mypy": _mypy, "pyright": _pyright}


@functools.cache
def report(checker: str, folder: str) -> list[Diagnostic]:
    """``checker``'s diagnostics for ``tests/typing/<folder>``, computed once per session."""
    return CHECKERS[checker](TYPING / folder)


def marked_lines(path: Path) -> dict[int, str]:
    """The marked lines of a fail file: line number -> what is wrong there."""
    return {number: line.split("# E:", 1)[1].strip()
            for number, line in enumerate(path.read_text().splitlines(), start=1)
            if MARK.search(line)}


def _describe(diagnostics: list[Diagnostic]) -> str:
    return "\n".join(f"  {path.relative_to(ROOT)}:{line}: {message}"
                     for path, line, message in diagnostics)


def test_the_typing_folders_hold_enough_cases() -> None:
    assert {path.name for path in PASS} >= {
        "readme_example.py", "autodiff.py", "mlp.py", "reveal.py", "unannotated.py",
        "nn_readme_example.py", "nn_mlp.py", "nn_cnn.py", "nn_custom_layer.py",
        "nn_minibatches.py", "nn_reveal.py"}
    assert {path.name for path in FAIL} >= {"kinds.py", "elementwise.py", "matmul.py",
                                            "annotations.py", "nn_layers.py", "nn_training.py"}
    assert sum(len(marked_lines(path)) for path in FAIL) >= 30
    for path in [*PASS, *FAIL]:
        assert path.read_text().startswith("# pyright: strict\n"), path


@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_pass_files_have_no_diagnostics(checker: str) -> None:
    found = report(checker, "pass")
    assert not found, f"{checker} reports diagnostics in tests/typing/pass:\n{_describe(found)}"


@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_fail_files_are_reported_on_exactly_the_marked_lines(checker: str) -> None:
    found = report(checker, "fail")
    reported = {(path, line) for path, line, _ in found}
    expected = {(path, line) for path in FAIL for line in marked_lines(path)}
    missed = sorted(expected - reported)
    unexpected = [item for item in found if (item[0], item[1]) not in expected]
    assert not missed and not unexpected, (
        f"{checker}: mistakes not reported:\n"
        + "\n".join(f"  {path.relative_to(ROOT)}:{line}: {marked_lines(path)[line]}"
                    for path, line in missed)
        + f"\n{checker}: diagnostics on unmarked lines:\n{_describe(unexpected)}")


# --- the run time agrees --------------------------------------------------------------------

def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"typing_case_{path.parent.name}_{path.stem}",
                                                  path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _cases() -> list[Any]:
    """Every function of the fail files, with the one marked line inside it."""
    found = []
    for path in FAIL:
        marks = marked_lines(path)
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith(("case_",
                                                                          "annotation_")):
                inside = [line for line in marks if node.lineno <= line <= (node.end_lineno or 0)]
                found.append(pytest.param(path, node.name, inside,
                                          id=f"{path.stem}.{node.name}"))
    return found


def test_every_marked_line_is_in_a_runnable_function() -> None:
    covered = {(path, line) for path, _, inside in (case.values for case in _cases())
               for line in inside}
    assert covered == {(path, line) for path in FAIL for line in marked_lines(path)}


@pytest.mark.parametrize(("path", "name", "marked"), _cases())
def test_fail_case_at_run_time(path: Path, name: str, marked: list[int]) -> None:
    assert len(marked) == 1, f"{name} must hold exactly one marked line, has {marked}"
    function = getattr(_load(path), name)
    if name.startswith("annotation_"):
        function()  # only the annotation is wrong: the values are fine
        return
    with pytest.raises((mu.ShapeError, TypeError)) as raised:
        function()
    lines = [frame.lineno for frame in traceback.extract_tb(raised.value.__traceback__)
             if Path(frame.filename).resolve() == path and frame.name == name]
    assert lines == marked, (f"{name} raised {raised.value!r} at line {lines}, not at its "
                             f"marked line {marked[0]}")


@pytest.mark.parametrize("path", PASS, ids=[path.stem for path in PASS])
def test_pass_program_runs(path: Path) -> None:
    _load(path).main()
