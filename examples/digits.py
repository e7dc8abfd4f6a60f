"""The main job: train a small CNN on scikit-learn's handwritten digits and report the result.

The 1,797 8x8 digit images ship inside scikit-learn (no download). The script trains with a
progress bar per epoch, prints the test accuracy, saves a checkpoint, reloads it into a fresh
model and checks that the reloaded model makes exactly the same predictions, then writes a
PNG with the loss and accuracy curves and a grid of the misclassified test digits.

    python examples/digits.py [--epochs 30] [--out examples/out] [--device cpu]
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits
from tqdm import tqdm

import mushin as mu
from mushin.data import DataLoader
from mushin.nn import Module
from mushin.nn.layers import Conv2D, Flatten, Linear, MaxPool2D, ReLU, Sequential
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import Adam
from mushin.nn.schedulers import CosineAnnealingLR


def make_model(device: str) -> Sequential:
    """Two 3x3 convolutions with pooling (8x8 -> 4x4 -> 2x2), then two linear layers."""
    return Sequential(
        Conv2D(1, 16, 3, padding=1, device=device), ReLU(), MaxPool2D(2),
        Conv2D(16, 32, 3, padding=1, device=device), ReLU(), MaxPool2D(2),
        Flatten(), Linear(32 * 2 * 2, 64, device=device), ReLU(),
        Linear(64, 10, device=device),
    )


def load_data(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The digits as float32 images in [0, 1] of shape (N, 1, 8, 8), split 80/20."""
    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    labels = digits.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(labels))
    cut = int(0.8 * len(labels))
    train, test = order[:cut], order[cut:]
    return images[train], labels[train], images[test], labels[test]


def predict(model: Module, images: np.ndarray, device: str) -> np.ndarray:
    """The predicted class of every image, computed without recording a graph."""
    with mu.no_grad():
        logits = model(mu.constant(images, device=device))
    return np.argmax(logits.numpy(), axis=1)


def plot(path: Path, losses: list[float], accuracies: list[float], images: np.ndarray,
         labels: np.ndarray, predictions: np.ndarray) -> None:
    """Loss and accuracy curves on the left; on the right the misclassified test digits (the
    first 24), each titled "true → predicted", on a grid sized to their number."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    wrong = np.flatnonzero(predictions != labels)
    shown = wrong[:24]
    columns = min(6, max(1, math.ceil(math.sqrt(len(shown)))))
    rows = max(1, math.ceil(len(shown) / columns))
    cell = 1.0  # inches per digit
    grid_width = columns * cell + 0.3
    figure = plt.figure(figsize=(6.0 + grid_width, max(4.0, rows * cell + 0.8)),
                        layout="constrained")
    left, right = figure.subfigures(1, 2, width_ratios=[6.0, grid_width])
    curves = left.subplots()
    epochs = np.arange(1, len(losses) + 1)
    curves.plot(epochs, losses, color="tab:blue", label="training loss")
    curves.set_xlabel("epoch")
    curves.set_ylabel("training loss", color="tab:blue")
    accuracy_axis = curves.twinx()
    accuracy_axis.plot(epochs, [100 * value for value in accuracies], color="tab:orange",
                       label="test accuracy")
    accuracy_axis.set_ylabel("test accuracy (%)", color="tab:orange")
    curves.set_title("mushin CNN on scikit-learn digits")
    if len(shown):
        heading = f"misclassified: {len(wrong)} of {len(labels)} (true → predicted)"
        if len(shown) < len(wrong):
            heading += f", first {len(shown)}"
        right.suptitle(heading, fontsize=9)
        for slot, axis in enumerate(right.subplots(rows, columns, squeeze=False).flat):
            axis.axis("off")
            if slot < len(shown):
                index = shown[slot]
                axis.imshow(images[index, 0], cmap="gray_r")
                axis.set_title(f"{labels[index]} → {predictions[index]}", fontsize=9)
    else:
        right.text(0.5, 0.5, "no misclassified\ntest digits", ha="center", va="center")
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description="Train a CNN on scikit-learn's digits.")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--out", type=Path, default=Path("examples/out"))
    args = parser.parse_args()

    mu.seed(args.seed)
    train_images, train_labels, test_images, test_labels = load_data(args.seed)
    model = make_model(args.device)
    optimizer = Adam(model.parameters(), lr=args.lr)
    schedule = CosineAnnealingLR(optimizer, T_max=args.epochs)
    loader = DataLoader([train_images, train_labels], batch_size=args.batch_size,
                                shuffle=True, device=args.device)
    print(f"training on {len(train_labels)} digits, testing on {len(test_labels)} "
          f"({sum(p.numel() for p in model.parameters())} parameters, device {args.device})")

    losses: list[float] = []
    accuracies: list[float] = []
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        total = 0.0
        bar = tqdm(loader, desc=f"epoch {epoch:2d}/{args.epochs}", leave=False, unit="batch")
        for images, labels in bar:
            loss = cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(labels)
            bar.set_postfix(loss=f"{loss.item():.4f}")
        schedule.step()
        losses.append(total / len(train_labels))
        accuracies.append(float(np.mean(predict(model, test_images, args.device)
                                        == test_labels)))
        tqdm.write(f"epoch {epoch:2d}: loss {losses[-1]:.4f}, "
                   f"test accuracy {100 * accuracies[-1]:.2f} %")
    elapsed = time.perf_counter() - start

    predictions = predict(model, test_images, args.device)
    accuracy = float(np.mean(predictions == test_labels))
    print(f"test accuracy: {100 * accuracy:.2f} % after {args.epochs} epochs "
          f"({elapsed:.1f} s of training)")

    args.out.mkdir(parents=True, exist_ok=True)
    checkpoint = args.out / "digits.safetensors"
    mu.save(checkpoint, model)
    reloaded = make_model(args.device)
    reloaded.load_state_dict(mu.load(checkpoint))
    reloaded_predictions = predict(reloaded, test_images, args.device)
    if not np.array_equal(reloaded_predictions, predictions):
        raise SystemExit("the reloaded checkpoint predicts differently: checkpointing is broken")
    print(f"checkpoint saved to {checkpoint} and reloaded: identical predictions "
          f"({100 * float(np.mean(reloaded_predictions == test_labels)):.2f} %)")

    figure = args.out / "digits.png"
    plot(figure, losses, accuracies, test_images, test_labels, predictions)
    print(f"curves and misclassified digits written to {figure}")


if __name__ == "__main__":
    main()
