"""PyTorch's operator database against mushin: every entry listed in ``op_db_passing.txt``
gives PyTorch's values and gradients on every float64 sample (see ``tests/op_db.py``).

``python scripts/op_db_report.py --write-passing`` lists the entries that pass today; an entry
dropping off the list is a regression this test catches.
"""

from __future__ import annotations

from pathlib import Path

import op_db
import pytest

PASSING = [line.strip() for line in
           (Path(__file__).parent / "op_db_passing.txt").read_text().splitlines() if line.strip()]
MINIMUM = 400
"""Issue 16's bar: entries of op_db passing by PyTorch's name and arguments."""


def _entries() -> dict[str, object]:
    return {op_db.entry_name(opinfo): opinfo for opinfo in op_db.op_db()}


@pytest.fixture(scope="module")
def entries() -> dict[str, object]:
    return _entries()


@pytest.mark.parametrize("name", PASSING)
def test_entry_matches_pytorch(name: str, entries: dict[str, object]) -> None:
    summary, outcomes = op_db.run_entry(entries[name])
    failures = [outcome for outcome in outcomes if outcome.status not in ("pass", "skipped")]
    assert summary == "pass", f"{name}: {summary}: {failures[:3]}"
