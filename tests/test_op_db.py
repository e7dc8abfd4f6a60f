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


@pytest.mark.parametrize("name", PASSING)
def test_entry_runs_on_device(name: str, entries: dict[str, object], device: str) -> None:
    """The same samples on the stand-in device (a CuPy look-alike NumPy refuses) or a real
    GPU: the values and gradients the CPU gives, computed without leaving the device."""
    op_db.run_entry_on_device(entries[name], device)


KNOWN_MISMATCHES = {
    "special.bessel_j0": "PyTorch's own approximation is off by 2e-7 near |x| = 5 (at x = 5.001 "
                         "it gives -0.177269514, SciPy and mpmath -0.177269136, as mushin)",
    "special.bessel_y1": "PyTorch's own approximation is off by 3e-7 near |x| = 5 (SciPy and "
                         "mpmath agree with mushin)",
}
"""Entries where mushin differs from PyTorch because PyTorch is the less accurate of the two."""

CLEAN = ("missing", "refused", "no dtype", "no samples")
"""What an entry that does not pass may report: mushin lacks the op, or refuses a sample with
an error naming it; never a wrong value, a wrong gradient or a raw exception."""


def _others() -> list[str]:
    return sorted(set(_entries()) - set(PASSING))


@pytest.mark.parametrize("name", _others())
def test_other_entries_refuse_cleanly(name: str, entries: dict[str, object]) -> None:
    summary, outcomes = op_db.run_entry(entries[name])
    if name in KNOWN_MISMATCHES:
        assert summary == "mismatch", f"{name} now {summary}: update KNOWN_MISMATCHES"
        return
    details = [outcome.detail for outcome in outcomes if outcome.status == summary]
    assert summary in CLEAN, f"{name}: {summary}: {details[:2]}"


def test_the_bar_of_the_breadth_issue() -> None:
    assert len(PASSING) >= MINIMUM
