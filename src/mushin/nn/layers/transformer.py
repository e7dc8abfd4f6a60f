"""The transformer layers: ``TransformerEncoderLayer``, ``TransformerEncoder``,
``TransformerDecoderLayer``, ``TransformerDecoder`` and ``Transformer``, PyTorch's parameter
names."""

from __future__ import annotations

__all__: list[str] = []
