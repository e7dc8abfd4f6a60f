"""Upsample, PixelShuffle and PixelUnshuffle: layers that change an image's resolution."""

from __future__ import annotations

__all__: list[str] = []
