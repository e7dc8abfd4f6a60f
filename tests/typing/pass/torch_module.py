# pyright: strict
"""PyTorch's ``nn.Module`` API: ``train`` / ``eval`` return the module's own type,
``ModuleList`` / ``ModuleDict`` hold registered sub-modules, ``nn.Parameter`` makes a
parameter, and ``double()`` / ``float()`` / ``to(dtype)`` convert a model."""

from typing import assert_type

import mushin as mu
from mushin import nn
from mushin.nn.layers import Dropout, Linear


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.ModuleList([Linear(3, 3), Linear(3, 3)])
        self.heads = nn.ModuleDict({"out": Linear(3, 2)})
        self.drop = Dropout(0.1)
        self.scale = nn.Parameter(mu.ones((2,)))
        self.register_buffer("steps", mu.zeros((1,)).freeze(), persistent=False)

    def forward(self, x: mu.Tensor[int, int]) -> mu.Tensor:
        for block in self.blocks:
            x = self.drop(block(x))
        result: mu.Tensor = self.heads["out"](x) * self.scale
        return result


def main() -> None:
    net = Net()
    assert_type(net.eval(), Net)
    assert_type(net.train(), Net)
    assert_type(net.double(), Net)
    assert_type(net.float(), Net)
    assert_type(net.apply(lambda module: None), Net)
    assert_type(net.blocks[0], Linear[int, int])  # a ModuleList keeps its modules' type
    assert_type(net.blocks[:1], nn.ModuleList[Linear[int, int]])
    assert_type(net.scale, mu.Variable[int])  # a parameter keeps its tensor's shape
    net.to("float64")
    net.to("cpu", dtype="float32")
    net.zero_grad()
    net.blocks.append(Linear(3, 3)).extend([Linear(3, 3)])
    net.blocks.insert(0, Linear(3, 3))
    net.heads.update({"aux": Linear(3, 1)})
    assert len(net.blocks) == 5 and "aux" in net.heads
    y = net.eval()(mu.constant([[1.0, 2.0, 3.0]]))
    assert y.shape == (1, 2)
    assert "steps" not in net.state_dict()


if __name__ == "__main__":
    main()
