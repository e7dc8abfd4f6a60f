"""The exceptions mushin defines (every other error is one of Python's own)."""


class ShapeError(ValueError):
    """An operation received operands whose shapes do not fit together."""
