# pyright: strict
"""The convolution layers keep their channel counts in the types: ``Conv1d[C, O]`` maps
``[B, C, L]`` to ``[B, O, Any]`` and an unbatched ``[C, L]`` to ``[O, Any]``; ``Conv2d[C, O]``
(the crate's ``Conv2D``) ``[B, C, H, W]`` to ``[B, O, Any, Any]`` and ``[C, H, W]`` to
``[O, Any, Any]``; the transposed layers likewise, their weight laid out ``[C, O / groups,
k...]`` as in PyTorch. An input typed ``Any`` gives ``Any``. The functions return ``Any``.

Each ``assert_type`` is checked by mypy and pyright (and is a no-op at run time).
"""

from typing import Any, assert_type
from typing import Literal as L

import mushin as mu
import mushin.nn.functional as F
from mushin.nn.activations import relu
from mushin.nn.layers import Conv1d, Conv2D, Conv2d, ConvTranspose1d, ConvTranspose2d


def conv1d() -> None:
    """``[B, C, L] -> [B, O, Any]``, unbatched ``[C, L] -> [O, Any]``; ``weight`` ``[O, ...]``."""
    x: mu.Variable[L[2], L[3], L[10]] = mu.randn((2, 3, 10))
    conv: Conv1d[L[3], L[4]] = Conv1d(3, 4, 3, padding="same", padding_mode="reflect")
    assert_type(conv(x), mu.Variable[L[2], L[4], Any])
    assert_type(conv(x.freeze()), mu.Variable[L[2], L[4], Any])
    one: mu.Variable[L[3], L[10]] = mu.randn((3, 10))
    assert_type(conv(one), mu.Variable[L[4], Any])
    assert_type(conv.weight, mu.Variable[L[4], Any, Any])
    assert_type(conv.bias, mu.Variable[L[4]] | None)
    untyped: Any = x
    assert_type(conv(untyped), Any)


def conv2d() -> None:
    """``Conv2d`` is ``Conv2D``: ``[B, C, H, W] -> [B, O, Any, Any]``, unbatched too."""
    images: mu.Variable[L[2], L[3], L[8], L[8]] = mu.randn((2, 3, 8, 8))
    conv: Conv2d[L[3], L[6]] = Conv2D(3, 6, (3, 2), stride=1, padding=(1, 0), groups=3)
    assert_type(conv(images), mu.Variable[L[2], L[6], Any, Any])
    one: mu.Variable[L[3], L[8], L[8]] = mu.randn((3, 8, 8))
    assert_type(conv(one), mu.Variable[L[6], Any, Any])
    assert_type(conv.weight, mu.Variable[L[6], Any, Any, Any])


def transposed() -> None:
    """``ConvTranspose1d`` / ``ConvTranspose2d``: the output channels typed, ``output_size``
    optional; ``weight`` ``[C, O / groups, k...]``."""
    codes: mu.Variable[L[2], L[8], L[4], L[4]] = mu.randn((2, 8, 4, 4))
    up: ConvTranspose2d[L[8], L[4]] = ConvTranspose2d(8, 4, 4, stride=2, padding=1)
    assert_type(up(codes), mu.Variable[L[2], L[4], Any, Any])
    assert_type(up(codes, output_size=[9, 9]), mu.Variable[L[2], L[4], Any, Any])
    assert_type(up.weight, mu.Variable[L[8], Any, Any, Any])
    assert_type(up.bias, mu.Variable[L[4]] | None)
    series: mu.Variable[L[8], L[5]] = mu.randn((8, 5))
    up1: ConvTranspose1d[L[8], L[2]] = ConvTranspose1d(8, 2, 3, stride=2, output_padding=1)
    assert_type(up1(series), mu.Variable[L[2], Any])


def functional() -> None:
    """The functions take PyTorch's arguments and return ``Any``."""
    x = mu.randn((2, 3, 8, 8))
    w = mu.randn((4, 3, 3, 3))
    assert_type(F.conv2d(x, w, None, 1, "same"), Any)
    assert_type(F.conv_transpose2d(x, mu.randn((3, 2, 4, 4)), stride=2, padding=1), Any)
    assert_type(F.conv1d(mu.randn((2, 3, 9)), mu.randn((4, 3, 2)), dilation=2), Any)
    assert_type(F.conv_transpose1d(mu.randn((3, 9)), mu.randn((3, 2, 2)), groups=1), Any)


def a_typed_decoder() -> None:
    """DCGAN's decoder: each block's channels chain, checked."""
    draws: mu.Variable[L[16], L[32], L[1], L[1]] = mu.randn((16, 32, 1, 1))
    noise = draws.freeze()
    first: ConvTranspose2d[L[32], L[8]] = ConvTranspose2d(32, 8, 4, bias=False)
    second: ConvTranspose2d[L[8], L[1]] = ConvTranspose2d(8, 1, 4, 2, 1, bias=False)
    image = second(relu(first(noise)))
    assert_type(image, mu.Variable[L[16], L[1], Any, Any])
    assert image.shape == (16, 1, 8, 8)


def main() -> None:
    mu.seed(0)
    conv1d()
    conv2d()
    transposed()
    functional()
    a_typed_decoder()


if __name__ == "__main__":
    main()
