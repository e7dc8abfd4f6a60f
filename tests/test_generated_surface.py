"""The generated surface files match the op families' declarations.

``src/mushin/ops/__init__.py`` and ``src/mushin/_tensor_methods.py`` are written by
``scripts/generate_surface.py`` from each family's ``@exported`` and ``@method`` declarations; a
change to a declaration without a new run of the script fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_generated_surface_is_current() -> None:
    result = subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_surface.py"),
                             "--check"], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_bound_method_has_a_type() -> None:
    """A method bound with ``typing=None`` must be declared by hand in ``Tensor``."""
    from mushin import _surface

    source = (ROOT / "src" / "mushin" / "_tensor.py").read_text()
    # The augmented assignments (``x += y``) are typed through the binary operators
    # (``__add__``): see the comment on ``__setitem__`` in ``Tensor``.
    augmented = {f"__i{op}__" for op in ("add", "sub", "mul", "truediv", "floordiv", "mod",
                                         "pow", "and", "or", "xor", "lshift", "rshift")}
    untyped = [name for name, binding in _surface.METHODS.items()
               if binding.typing is None and f"def {name}(" not in source
               and name not in augmented]
    assert not untyped, f"bound without a type and not declared in Tensor: {untyped}"
