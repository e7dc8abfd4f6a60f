"""Data-parallel training of a small CNN on scikit-learn's digits, each rank on its own shard.

The 1,797 8x8 digit images ship inside scikit-learn (no download). Every rank builds the
same model (``DataParallel`` checks this and copies rank 0's initial weights to all), reads
only its share of each epoch (``DataLoader(..., shard=True)``) and averages gradients with
the others after every backward pass, so the run is the same training as one process with the global
batch size. The test set is split over the ranks too; the correct counts are summed with
``all_reduce`` and rank 0 prints the accuracy.

    mpiexec -n 4 python examples/digits_distributed.py [--epochs 20] [--global-batch 64]
    python examples/digits_distributed.py       # one process: the single-process baseline
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from digits import load_data, make_model  # the single-process example's model and split

import mushin as mu
from mushin import distributed as dist
from mushin.nn.losses import cross_entropy
from mushin.nn.module import Module
from mushin.nn.optimizers import Adam
from mushin.nn.schedulers import CosineAnnealingLR


def accuracy(model: Module, images: np.ndarray, labels: np.ndarray) -> float:
    """The accuracy on the whole set: each rank scores its slice, the counts are summed."""
    mine = np.array_split(np.arange(len(labels)), dist.world_size())[dist.rank()]
    model.freeze()
    with mu.no_grad():
        logits = model(mu.constant(images[mine]))
    model.unfreeze()
    correct = mu.constant(np.array([np.sum(np.argmax(logits.numpy(), axis=1) == labels[mine])]))
    dist.all_reduce(correct)
    return float(correct.item()) / len(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description="Data-parallel CNN training on the digits.")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--global-batch", type=int, default=64,
                        help="samples per step over all ranks (split evenly between them)")
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, help="where rank 0 saves the trained weights")
    args = parser.parse_args()

    # An uncaught exception on any rank ends every rank at once instead of leaving the
    # others waiting in the next all-reduce until the timeout.
    dist.init(abort_on_error=True)
    rank, world_size = dist.rank(), dist.world_size()
    if args.global_batch % world_size:
        raise SystemExit(f"--global-batch {args.global_batch} must be a multiple of the "
                         f"{world_size} ranks")
    mu.seed(args.seed)
    train_images, train_labels, test_images, test_labels = load_data(args.seed)
    model = dist.DataParallel(make_model("cpu"))
    optimizer = Adam(model.parameters(), lr=args.lr)
    schedule = CosineAnnealingLR(optimizer, T_max=args.epochs)
    loader = mu.data.DataLoader([train_images, train_labels],
                                batch_size=args.global_batch // world_size, shuffle=True,
                                shard=True)
    if rank == 0:
        print(f"{world_size} rank(s), {len(loader)} steps of {args.global_batch // world_size} "
              f"digits per rank and epoch (global batch {args.global_batch}); "
              f"{len(train_labels)} training and {len(test_labels)} test digits")

    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total_loss = mu.constant(np.zeros(2))  # summed loss and sample count on this rank
        for images, labels in loader:
            loss = cross_entropy(model(images), labels)
            optimizer.zero_grad()
            model.backward(loss)
            optimizer.step()
            total_loss += mu.tensor([loss.item() * len(labels), len(labels)])
        schedule.step()
        dist.all_reduce(total_loss)
        if rank == 0 and (epoch % 5 == 0 or epoch == 1):
            mean_loss = total_loss.numpy()[0] / total_loss.numpy()[1]
            print(f"epoch {epoch:3d}: training loss {mean_loss:.4f} "
                  f"({time.perf_counter() - start:.1f} s)")
    elapsed = time.perf_counter() - start

    test_accuracy = accuracy(model, test_images, test_labels)
    if rank == 0:
        print(f"test accuracy: {100 * test_accuracy:.2f} % after {args.epochs} epochs on "
              f"{world_size} rank(s) ({elapsed:.1f} s of training)")
        if args.save is not None:
            mu.save(args.save, model)  # the wrapped model's names: loads into make_model()
            print(f"weights saved to {args.save}")


if __name__ == "__main__":
    main()
