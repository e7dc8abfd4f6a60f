"""The error function ``erf`` for ``mu.nn`` (``gelu`` uses it): defined, with its gradient and
CUDA rules, in :mod:`mushin.ops.special` (``mu.erf``), and re-exported here under the crate's
old path ``mushin.nn.functional.special``."""

from mushin.ops.special import ERF, erf

__all__ = ["ERF", "erf"]
