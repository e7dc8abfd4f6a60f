# pyright: strict
"""PyTorch's spelling of a model, ``nn.Linear``, ``nn.Conv2d``, ``nn.LayerNorm`` through
``mu.nn`` itself (not ``mu.nn.layers``): both checkers see the layers' own types there."""

from typing import Literal as L
from typing import assert_type

import mushin as mu
import mushin.nn as nn


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3)
        self.norm: nn.LayerNorm[L[8]] = nn.LayerNorm(8)
        self.fc: nn.Linear[L[8], L[2]] = nn.Linear(8, 2)
        self.blocks: nn.ModuleList[nn.Linear[L[8], L[8]]] = nn.ModuleList(
            [nn.Linear(8, 8) for _ in range(2)])

    def forward(self, x: mu.Tensor[L[5], L[8]]) -> mu.Variable[L[5], L[2]]:
        hidden = self.norm(x)
        for block in self.blocks:
            hidden = nn.functional.relu(block(hidden))
        return self.fc(hidden)


def main() -> None:
    net = Net()
    assert_type(net.fc, nn.Linear[L[8], L[2]])
    assert_type(net.blocks[0], nn.Linear[L[8], L[8]])
    x: mu.Variable[L[5], L[8]] = mu.randn((5, 8))
    assert_type(net(x), mu.Variable[L[5], L[2]])
    assert net(x).shape == (5, 2)
    assert isinstance(nn.Parameter(mu.ones((3,))), mu.Variable)


if __name__ == "__main__":
    main()
