#!/usr/bin/env bash
# The main job: train mushin's example model and report the result. Creates ./.venv and
# installs mushin with the examples' dependencies and Numba (the fused CPU kernels) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
if ! .venv/bin/python -c "import mushin, tqdm, matplotlib, sklearn, safetensors, numba" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e ".[examples,fast]"
fi
.venv/bin/python examples/digits.py "$@"
