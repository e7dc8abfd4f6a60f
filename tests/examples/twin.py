"""Load a ported example twice: as written (mushin) and as its PyTorch twin.

A ported program differs from its PyTorch original only by the rename, so its twin is the
same source with ``mushin`` put back as ``torch`` in the import statements (``import mushin as
mu`` becomes ``import torch as mu``, ``import mushin.nn.functional as F`` becomes ``import
torch.nn.functional as F``) and nothing else. The example tests build both, copy PyTorch's
initial weights into mushin's model, train both on the same batches and compare.
"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# The examples import their shared data module (``offline_data``, NumPy only) from their folder.
if str(EXAMPLES) not in sys.path:
    sys.path.insert(0, str(EXAMPLES))

import offline_data  # noqa: E402, F401  (the examples' data, for the tests to feed both twins)

_IMPORT = re.compile(r"^(\s*)(import|from) mushin\b", re.MULTILINE)


def twin_source(source: str) -> str:
    """``source`` with every ``import mushin...``/``from mushin...`` naming torch instead."""
    return _IMPORT.sub(r"\1\2 torch", source)


def load(name: str, backend: str = "mushin") -> Any:
    """The example ``examples/<name>.py`` as a fresh module (its ``__main__`` block not run),
    importing mushin (``backend="mushin"``) or, renamed back, PyTorch (``"torch"``)."""
    path = EXAMPLES / f"{name}.py"
    source = path.read_text()
    if backend == "torch":
        source = twin_source(source)
    elif backend != "mushin":
        raise ValueError(f"load: backend must be 'mushin' or 'torch', got {backend!r}")
    module = types.ModuleType(f"{name}_{backend}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # dataclasses and pickling look modules up
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def copy_weights(torch_model: Any, mushin_model: Any) -> None:
    """Load ``torch_model``'s state dict (parameters and buffers) into ``mushin_model``."""
    state = {key: value.detach().cpu().numpy() for key, value in
             torch_model.state_dict().items()}
    mushin_model.load_state_dict(state)
