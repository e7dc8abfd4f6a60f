"""Shared test configuration: the Hypothesis profiles.

``default`` keeps the suite quick (25 random examples per property, new ones every run, so
everyday runs keep exploring); ``ci`` draws the same number from a fixed seed, so a CI run is
reproducible and never fails on a case no change introduced (``.ci/run`` uses it);
``fuzz-long`` is for long fuzzing runs (``HYPOTHESIS_PROFILE=fuzz-long pytest
tests/test_fuzz.py``). Pick one with the environment variable ``HYPOTHESIS_PROFILE``.
Deadlines are off in all: a first call that builds caches, or a busy machine, is not a failure.
"""

from __future__ import annotations

import os
from typing import Any

import fake_cupy
import pytest
from hypothesis import settings

from mushin import _backend

settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          print_blob=True)
# Long fuzzing runs of tests/test_fuzz.py (see docs/reliability.md): minutes, not seconds.
settings.register_profile("fuzz-long", max_examples=5000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def _device_params() -> list[Any]:
    """The devices a ``device`` test runs on: the stand-in ``fake:0`` everywhere, and the first
    CUDA device where CuPy and a GPU are present (marked ``gpu``: ``pytest -m gpu`` runs just
    those; skipped, saying why, elsewhere)."""
    params: list[Any] = [pytest.param("fake:0", id="stand-in")]
    cuda = [name for name in _backend.devices() if name.startswith("cuda")]
    params.append(pytest.param(cuda[0] if cuda else "cuda:0", id="cuda", marks=[
        pytest.mark.gpu,
        pytest.mark.skipif(not cuda, reason="no CUDA device (CuPy and a GPU are needed)")]))
    return params


@pytest.fixture(params=_device_params())
def device(request: pytest.FixtureRequest) -> str:
    """A non-CPU device name: every test that takes it runs on each device of
    :func:`_device_params` and compares with the CPU."""
    name: str = request.param
    if name.startswith("fake"):
        with fake_cupy.registered():
            return name
    return name
