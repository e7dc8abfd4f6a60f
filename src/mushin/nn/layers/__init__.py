"""mu.nn.layers: every layer, each a mu.nn.Module with PyTorch's parameter layout.

Each module of this package lists its layers in its ``__all__`` (the crate's names and
PyTorch's casing where they differ, ``Conv2D`` and ``Conv2d``: the same class); this package
re-exports them all, and ``mu.nn`` re-exports this package. A new layer file is added to both
lists below.
"""

from typing import TYPE_CHECKING

from mushin.nn.layers import (
    activation,
    adaptive,
    attention,
    cell,
    conv,
    distance,
    dropout,
    embedding,
    flatten,
    fractional_pool,
    lazy,
    linear,
    linear_cross_entropy,
    loss,
    norm,
    padding,
    parallel,
    pooling,
    recurrent,
    resample,
    sync_batchnorm,
    transformer,
    unfold,
    unpool,
)
from mushin.nn.layers.activation import *  # noqa: F403
from mushin.nn.layers.adaptive import *  # noqa: F403
from mushin.nn.layers.attention import *  # noqa: F403
from mushin.nn.layers.cell import *  # noqa: F403
from mushin.nn.layers.conv import *  # noqa: F403
from mushin.nn.layers.distance import *  # noqa: F403
from mushin.nn.layers.dropout import *  # noqa: F403
from mushin.nn.layers.embedding import *  # noqa: F403
from mushin.nn.layers.flatten import *  # noqa: F403
from mushin.nn.layers.fractional_pool import *  # noqa: F403
from mushin.nn.layers.lazy import *  # noqa: F403
from mushin.nn.layers.linear import *  # noqa: F403
from mushin.nn.layers.linear_cross_entropy import *  # noqa: F403
from mushin.nn.layers.loss import *  # noqa: F403
from mushin.nn.layers.norm import *  # noqa: F403
from mushin.nn.layers.padding import *  # noqa: F403
from mushin.nn.layers.parallel import *  # noqa: F403
from mushin.nn.layers.pooling import *  # noqa: F403
from mushin.nn.layers.recurrent import *  # noqa: F403
from mushin.nn.layers.resample import *  # noqa: F403
from mushin.nn.layers.sync_batchnorm import *  # noqa: F403
from mushin.nn.layers.transformer import *  # noqa: F403
from mushin.nn.layers.unfold import *  # noqa: F403
from mushin.nn.layers.unpool import *  # noqa: F403
from mushin.nn.module import Sequential as Sequential

# ``__all__`` lists every layer file's names for run-time star imports (``mu.nn`` uses one).
# The type checkers read only literal lists, so they skip it and take the star-imported
# names above as this package's exports instead.
if not TYPE_CHECKING:
    __all__ = ["Sequential"]
    __all__ += activation.__all__
    __all__ += adaptive.__all__
    __all__ += attention.__all__
    __all__ += cell.__all__
    __all__ += conv.__all__
    __all__ += distance.__all__
    __all__ += dropout.__all__
    __all__ += embedding.__all__
    __all__ += flatten.__all__
    __all__ += fractional_pool.__all__
    __all__ += lazy.__all__
    __all__ += linear.__all__
    __all__ += linear_cross_entropy.__all__
    __all__ += loss.__all__
    __all__ += norm.__all__
    __all__ += padding.__all__
    __all__ += parallel.__all__
    __all__ += pooling.__all__
    __all__ += recurrent.__all__
    __all__ += resample.__all__
    __all__ += sync_batchnorm.__all__
    __all__ += transformer.__all__
    __all__ += unfold.__all__
    __all__ += unpool.__all__
