#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and CuPy installed: the GPU cases of the test suite (every
# test marked `gpu`: the operation, engine, layer and optimizer tests on cuda:0), then the
# device benchmarks against PyTorch on the same card (benchmarks/device.py). Uses the Python
# that has CuPy (PYTHON=..., default python3) and this checkout's src/, so nothing is
# installed. Extra arguments go to pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
export PYTHONPATH="src${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
python="${PYTHON:-python3}"

"$python" -c "import mushin as mu; print('devices:', mu.devices())"
"$python" -m pytest tests -m gpu -p no:cacheprovider -o addopts="" -q "$@"
tests=$?
"$python" benchmarks/device.py --device cuda
benchmarks=$?
exit $(( tests || benchmarks ))
