"""The program each rank runs in tests/nn/test_sync_batchnorm.py, under ``mpiexec -n 3``.

Every rank draws the same global batch, takes its own rows (2, 3 and 4 rows on ranks 0, 1
and 2: uneven shares weigh by their row counts) and trains a ``SyncBatchNorm`` on them for two
steps; rank by rank the result is checked against one ``BatchNorm`` over the whole batch in
this process (no collective): the outputs and input gradients are the reference's rows, the
parameter gradients summed over the ranks are the reference's, and the running statistics and
the evaluation output are the reference's. Then a model converted by
``convert_sync_batchnorm`` trains two SGD steps under ``mu.distributed.DataParallel`` (whose
gradient reduction runs during the backward pass, around the layer's own collectives) and ends
with the parameters of the same model trained on the whole batch in this process. Each rank
prints ``rank R: sync batchnorm ok``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import mushin as mu
from mushin import distributed as dist
from mushin import nn
from mushin.distributed.bootstrap import current_world
from mushin.nn.layers import sync_batchnorm

ROWS = (2, 3, 4)
"""Each rank's share of the global batch."""

CASES: list[tuple[tuple[int, ...], dict[str, Any], Callable[..., nn.Module]]] = [
    ((4, 5), {"momentum": 0.3}, nn.BatchNorm1d),
    ((3, 2, 3), {"momentum": None, "eps": 1e-3}, nn.BatchNorm2d),
    ((3,), {"affine": False}, nn.BatchNorm1d),
]
"""(the shape of a row: channels first, the layer's options, the reference class)."""


def check(rank: int, row_shape: tuple[int, ...], options: dict[str, Any],
          reference_class: Callable[..., nn.Module]) -> None:
    rng = np.random.default_rng(0)  # the same on every rank
    start = sum(ROWS[:rank])
    rows = slice(start, start + ROWS[rank])
    channels = row_shape[0]
    state = {"weight": rng.standard_normal(channels), "bias": rng.standard_normal(channels)}
    layer = nn.SyncBatchNorm(channels, **options).double()
    reference: Any = reference_class(channels, **options).double()
    if options.get("affine", True):
        layer.load_state_dict(state, strict=False)
        reference.load_state_dict(state, strict=False)
    for _ in range(2):
        x = rng.standard_normal((sum(ROWS), *row_shape)) * 2 + 1
        cotangent = rng.standard_normal(x.shape)
        mine = mu.variable(x[rows])
        output = layer(mine)
        (output * mu.constant(cotangent[rows])).sum().backward()
        whole = mu.variable(x)
        expected = reference(whole)
        (expected * mu.constant(cotangent)).sum().backward()
        np.testing.assert_allclose(output.numpy(), expected.numpy()[rows], rtol=1e-10,
                                   atol=1e-12)
        np.testing.assert_allclose(mine.grad().numpy(), whole.grad().numpy()[rows],
                                   rtol=1e-9, atol=1e-11)
        for parameter, wanted in zip(layer.parameters(), reference.parameters(), strict=True):
            summed = dist.all_reduce(mu.constant(parameter.grad().numpy()))
            np.testing.assert_allclose(summed.numpy(), wanted.grad().numpy(), rtol=1e-9,
                                       atol=1e-11)
            parameter.reset()
            wanted.reset()
        for buffer, wanted in zip(layer.buffers(), reference.buffers(), strict=True):
            np.testing.assert_allclose(buffer.numpy(), wanted.numpy(), rtol=1e-12)
    layer.eval()
    reference.eval()
    x = rng.standard_normal((sum(ROWS), *row_shape))
    np.testing.assert_allclose(layer(mu.constant(x[rows])).numpy(),
                               reference(mu.constant(x)).numpy()[rows], rtol=1e-12)


def check_data_parallel(rank: int) -> None:
    """Two SGD steps of a converted model under DataParallel: each rank's loss is scaled by
    the number of ranks, so the averaged gradients are those of the whole batch's loss."""
    def make() -> nn.Module:
        return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))

    rng = np.random.default_rng(1)  # the same on every rank
    start = sum(ROWS[:rank])
    rows = slice(start, start + ROWS[rank])
    mu.seed(1)  # one reference model on every rank
    reference = make().double()
    model = dist.DataParallel(nn.SyncBatchNorm.convert_sync_batchnorm(make().double()))
    model.load_state_dict(reference.state_dict())
    optimizer = mu.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    reference_optimizer = mu.optim.SGD(reference.parameters(), lr=0.1, momentum=0.5)
    for _ in range(2):
        x = rng.standard_normal((sum(ROWS), 3))
        cotangent = rng.standard_normal((sum(ROWS), 2))
        loss = (model(mu.constant(x[rows])) * mu.constant(cotangent[rows])).sum() * len(ROWS)
        loss.backward()  # DataParallel's hooks average the gradients during the pass
        optimizer.step()
        optimizer.zero_grad()
        whole = (reference(mu.constant(x)) * mu.constant(cotangent)).sum()
        whole.backward()
        reference_optimizer.step()
        reference_optimizer.zero_grad()
    expected = reference.state_dict()
    for name, value in model.state_dict().items():
        np.testing.assert_allclose(value.numpy(), expected[name].numpy(), rtol=1e-9,
                                   atol=1e-11, err_msg=name)


def main() -> None:
    dist.init(timeout=30)
    rank = dist.rank()
    assert dist.world_size() == len(ROWS)
    # init() made the world the group every SyncBatchNorm synchronises over.
    assert sync_batchnorm.default_process_group is current_world("SyncBatchNorm")
    for row_shape, options, reference_class in CASES:
        check(rank, row_shape, options, reference_class)
    check_data_parallel(rank)
    print(f"rank {rank}: sync batchnorm ok", flush=True)


if __name__ == "__main__":
    main()
