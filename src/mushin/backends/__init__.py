"""``mu.backends``: PyTorch's ``torch.backends`` switches, for programs that set them.

Only ``mu.backends.cudnn`` exists: its flags are accepted and read back, and change nothing,
because mushin's convolutions do not use cuDNN (one algorithm, always deterministic).
"""

from mushin.backends import cudnn

__all__ = ["cudnn"]
