"""docs/porting.md's code blocks run as written: each ```python block is executed on its own,
and its assertions (mushin against PyTorch) must hold."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PORTING = Path(__file__).resolve().parent.parent / "docs" / "porting.md"
BLOCKS = re.findall(r"```python\n(.*?)```", PORTING.read_text(), flags=re.DOTALL)


def test_the_guide_has_examples() -> None:
    assert len(BLOCKS) >= 2


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_example_runs(index: int) -> None:
    exec(compile(BLOCKS[index], f"docs/porting.md (block {index + 1})", "exec"), {})
