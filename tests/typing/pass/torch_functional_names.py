# pyright: strict
"""PyTorch's argument names in ``mu.nn.functional``: the operand of an activation or a dropout
is ``input`` and may be passed by keyword, keeping its kind and shape."""

from typing import Literal as L
from typing import assert_type

import mushin as mu
import mushin.nn.functional as F


def main() -> None:
    x: mu.Variable[L[2], L[3]] = mu.randn((2, 3))
    assert_type(F.relu(input=x), mu.Variable[L[2], L[3]])
    assert_type(F.softmax(input=x, dim=1), mu.Variable[L[2], L[3]])
    assert_type(F.gelu(input=x, approximate="tanh"), mu.Variable[L[2], L[3]])
    assert_type(F.dropout(input=x, p=0.1, training=False), mu.Variable[L[2], L[3]])
    assert_type(F.leaky_relu(x, negative_slope=0.2), mu.Variable[L[2], L[3]])
    assert F.relu(input=x).shape == (2, 3)


if __name__ == "__main__":
    main()
