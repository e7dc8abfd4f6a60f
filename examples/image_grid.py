"""``save_image``: torchvision's image-grid writer for the ported examples, in NumPy and
matplotlib, so that an example and its PyTorch twin write their images the same way without
torchvision."""

from __future__ import annotations

from typing import Any

import numpy as np


def save_image(images: Any, filename: str, nrow: int = 8, padding: int = 2,
               normalize: bool = False) -> None:
    """Write ``(N, 1, H, W)`` images (a tensor of either library, or an array) as a grey PNG
    grid of ``nrow`` columns with ``padding`` black pixels between them. Values are clipped to
    [0, 1]; ``normalize=True`` first rescales the batch's range to [0, 1]."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    array = np.asarray(images.detach().numpy() if hasattr(images, "detach") else images)
    pixels = array.reshape(len(array), array.shape[-2], array.shape[-1]).astype(np.float64)
    if normalize:
        low, high = pixels.min(), pixels.max()
        pixels = (pixels - low) / max(high - low, 1e-5)
    count, height, width = pixels.shape
    rows = -(-count // nrow)
    grid = np.zeros((rows * (height + padding) + padding, nrow * (width + padding) + padding))
    for index, image in enumerate(pixels):
        top = padding + (index // nrow) * (height + padding)
        left = padding + (index % nrow) * (width + padding)
        grid[top:top + height, left:left + width] = image
    plt.imsave(filename, np.clip(grid, 0.0, 1.0), cmap='gray', vmin=0.0, vmax=1.0)
