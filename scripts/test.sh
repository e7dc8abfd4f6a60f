#!/usr/bin/env bash
# Run the whole test suite: lint, static types (mypy --strict and pyright on the library and on
# the typing cases) and pytest. Creates ./.venv and installs what the tests need on first use,
# so it works on a fresh machine with only Python 3.11. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import mushin, pytest, hypothesis, torch, mypy" 2>/dev/null \
   || [ pyproject.toml -nt .venv/.installed ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[test]"
  # PyTorch is the oracle of the comparison tests, never a dependency of mushin.
  .venv/bin/python -m pip install --quiet "torch==2.13.0"
  touch .venv/.installed
fi

echo "== ruff"
.venv/bin/ruff check src tests benchmarks examples
echo "== mypy --strict src"
.venv/bin/mypy --strict src
echo "== pytest"
.venv/bin/python -m pytest "$@"
