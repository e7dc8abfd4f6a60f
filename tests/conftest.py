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

from hypothesis import settings

settings.register_profile("default", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          print_blob=True)
# Long fuzzing runs of tests/test_fuzz.py (see docs/reliability.md): minutes, not seconds.
settings.register_profile("fuzz-long", max_examples=5000, deadline=None, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
