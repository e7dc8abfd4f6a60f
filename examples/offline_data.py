"""The data sets of the ported examples, built offline from what every install has (no
download at run time), as NumPy arrays and text, so that an example and its PyTorch twin read
exactly the same data.

- ``mnist_like_digits``: scikit-learn's 1,797 handwritten digits (8x8, 16 grey levels) made
  MNIST-like: every pixel becomes a 3x3 block and a 2-pixel zero border brings each image to
  28x28; they are normalised with MNIST's mean and deviation (or kept in [0, 1]) and split
  80% / 20% in a fixed random order.
- ``python_docs_text``: the text of the Python documentation's reference topics, which CPython
  ships in its standard library (``pydoc_data``): about 465,000 characters of English with
  code, for the character- and word-level language models.
"""

from __future__ import annotations

import numpy as np


def mnist_like_digits(seed: int = 0, normalize: bool = True
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Training images (N, 1, 28, 28) float32 and int64 labels, then the test images and
    labels; ``normalize=False`` leaves the pixels in [0, 1]."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = np.stack([np.kron(image / 16.0, np.ones((3, 3))) for image in digits.images])
    images = np.pad(images, ((0, 0), (2, 2), (2, 2)))[:, None, :, :]
    if normalize:
        images = (images - 0.1307) / 0.3081
    images = images.astype(np.float32)
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = int(0.8 * len(labels))
    train, test = order[:cut], order[cut:]
    return images[train], labels[train], images[test], labels[test]


def python_docs_text() -> str:
    """The Python reference topics as one text, in a fixed order."""
    from pydoc_data.topics import topics

    return "\n\n".join(topics[name] for name in sorted(topics))
