"""Training steps on one device (a GPU by default), mushin against PyTorch on the same device
and against raw CuPy/NumPy matrix products: the GPU figures the devices issue asks for.

- ``mlp``: the 784-256-256-10 ReLU MLP of ``mlp.py`` (cross-entropy, SGD momentum 0.9,
  batch 128), ``--steps`` training steps;
- ``cnn``: the network of ``cnn.py`` (batch 64, 28x28), ``--steps`` training steps;
- ``matmul``: a matmul-bound step: ``loss = sum(relu(x @ w1) @ w2)`` with ``x``, ``w1``, ``w2``
  of ``--size`` squared float32, forward and backward (five products of ``size`` cubed), timed
  against the same five products made directly with the device's array library.

Goals (issue 5): mlp and cnn at most 1.5x PyTorch's time on the same card, matmul within
20 % of the raw products. Every timed region ends with a device synchronisation. Data and
weights are made on the host from one seed and copied to the device once, before timing.

    python benchmarks/device.py [--device cuda] [--steps 100] [--size 4096] [--repeats 3]
    python benchmarks/device.py --device cpu      # the same code path on the CPU
    python benchmarks/device.py --profile         # where a step's time goes, per library

``--profile`` prints, for the mlp and cnn steps, the host time to queue one pass against the
synchronised time (equal: the host is the bound; the pass waits on the GPU otherwise), the
functions where mushin's host time goes (cProfile), and the kernels where the GPU's time goes
(PyTorch's profiler, which records every kernel of the process, CuPy's included).
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from collections.abc import Callable
from typing import Any

import cnn
import mlp
import numpy as np
from _common import torch_or_none

import mushin as mu
from mushin import _backend
from mushin.nn.activations import relu
from mushin.nn.layers import Linear
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import SGD


def synchronizer(device: str) -> Callable[[], None]:
    """A function that waits for every queued operation on ``device`` to finish."""
    if device == "cpu":
        return lambda: None
    cuda = _backend.backend(device).xp.cuda
    return lambda: cuda.get_current_stream().synchronize()


def best_time(run: Callable[[], Any], sync: Callable[[], None], repeats: int) -> float:
    """The fastest of ``repeats`` synchronised runs of ``run`` (after one warm-up run)."""
    run()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        sync()
        times.append(time.perf_counter() - start)
    return min(times)


def profile(name: str, run: Callable[[], Any], sync: Callable[[], None], torch: Any,
            passes: int = 3) -> None:
    """Print where the time of ``run`` goes: host queueing against the synchronised time, the
    host's top functions, and the GPU's top kernels."""
    run()
    sync()
    start = time.perf_counter()
    run()
    queued = time.perf_counter() - start
    sync()
    total = time.perf_counter() - start
    print(f"--- {name}: host queues a pass in {queued * 1e3:.2f} ms, the synchronised pass "
          f"takes {total * 1e3:.2f} ms")
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(passes):
        run()
    sync()
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(25)
    print("\n".join(text.getvalue().splitlines()[:45]))
    if torch is None:
        return
    try:
        activities = [torch.profiler.ProfilerActivity.CUDA]
        with torch.profiler.profile(activities=activities) as kernels:
            for _ in range(passes):
                run()
            sync()
        print(kernels.key_averages().table(sort_by="self_device_time_total", row_limit=25))
    except Exception as error:  # CUPTI may be missing or refused on the machine
        print(f"(no kernel profile: {type(error).__name__}: {error})")


def train_steps(model: Any, optimizer: Any, batches: list[tuple[Any, Any]],
                loss_of: Callable[[Any, Any], Any]) -> Callable[[], None]:
    """One pass over ``batches``: forward, loss, zero_grad, backward, step (both libraries
    spell these the same)."""

    def run() -> None:
        for x, y in batches:
            loss = loss_of(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()

    return run


def mlp_case(device: str, torch: Any, torch_device: str | None,
             steps: int) -> tuple[Callable[[], None], Callable[[], None] | None]:
    images, labels, weights = mlp.make_data(steps * mlp.BATCH)
    layers = [Linear(i, o) for i, o in zip(mlp.SIZES[:-1], mlp.SIZES[1:], strict=True)]
    for layer, (w, b) in zip(layers, weights, strict=True):
        layer.load_state_dict({"weight": w, "bias": b})
        layer.to(device)
    model = mu.nn.Sequential(layers[0], relu, layers[1], relu, layers[2])
    ours = train_steps(model, SGD(model.parameters(), lr=0.01, momentum=0.9),
                       [(mu.constant(images[s:s + mlp.BATCH], device=device),
                         mu.constant(labels[s:s + mlp.BATCH], device=device))
                        for s in range(0, len(labels), mlp.BATCH)], cross_entropy)
    if torch_device is None:
        return ours, None
    nn = torch.nn
    theirs_layers = [nn.Linear(i, o) for i, o in zip(mlp.SIZES[:-1], mlp.SIZES[1:],
                                                      strict=True)]
    with torch.no_grad():
        for layer, (w, b) in zip(theirs_layers, weights, strict=True):
            layer.weight.copy_(torch.from_numpy(w))
            layer.bias.copy_(torch.from_numpy(b))
    theirs_model = nn.Sequential(theirs_layers[0], nn.ReLU(), theirs_layers[1], nn.ReLU(),
                                 theirs_layers[2]).to(torch_device)
    theirs = train_steps(
        theirs_model, torch.optim.SGD(theirs_model.parameters(), lr=0.01, momentum=0.9),
        [(torch.from_numpy(images[s:s + mlp.BATCH]).to(torch_device),
          torch.from_numpy(labels[s:s + mlp.BATCH]).to(torch_device))
         for s in range(0, len(labels), mlp.BATCH)], torch.nn.functional.cross_entropy)
    return ours, theirs


def cnn_case(device: str, torch: Any, torch_device: str | None,
             steps: int) -> tuple[Callable[[], None], Callable[[], None] | None]:
    images, labels = cnn.make_data(steps)
    model = cnn.mushin_model()
    weights = {name: value.numpy() for name, value in model.state_dict().items()}
    model.to(device)
    ours = train_steps(model, SGD(model.parameters(), lr=cnn.LR, momentum=0.9),
                       [(mu.constant(images[s:s + cnn.BATCH], device=device),
                         mu.constant(labels[s:s + cnn.BATCH], device=device))
                        for s in range(0, len(labels), cnn.BATCH)], cross_entropy)
    if torch_device is None:
        return ours, None
    theirs_model = cnn.torch_model(torch)
    theirs_model.load_state_dict({name: torch.from_numpy(value)
                                  for name, value in weights.items()})
    theirs_model.to(torch_device)
    theirs = train_steps(
        theirs_model, torch.optim.SGD(theirs_model.parameters(), lr=cnn.LR, momentum=0.9),
        [(torch.from_numpy(images[s:s + cnn.BATCH]).to(torch_device),
          torch.from_numpy(labels[s:s + cnn.BATCH]).to(torch_device))
         for s in range(0, len(labels), cnn.BATCH)], torch.nn.functional.cross_entropy)
    return ours, theirs


def matmul_case(device: str, size: int) -> tuple[Callable[[], None], Callable[[], None]]:
    """mushin's matmul-bound step, and the same five products made with the raw library."""
    rng = np.random.default_rng(0)
    scale = 1 / np.sqrt(size)
    host = [rng.standard_normal((size, size), dtype=np.float32) * scale for _ in range(3)]
    x = mu.constant(host[0], device=device)
    w1, w2 = (mu.variable(value, device=device) for value in host[1:])

    def ours() -> None:
        w1.reset()
        w2.reset()
        (relu(x @ w1) @ w2).sum().backward()

    xp = _backend.backend(device).xp
    a, b, c = (x.array(), w1.array(), w2.array())
    g = xp.ones((size, size), dtype=xp.float32)

    def raw() -> None:
        h = a @ b              # forward
        _ = h @ c
        _ = h.T @ g            # gradient of w2
        gh = g @ c.T           # gradient of h
        _ = a.T @ gh           # gradient of w1

    return ours, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--size", type=int, default=4096)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--profile", action="store_true",
                        help="print where each step's time goes instead of the timings")
    args = parser.parse_args()
    device = _backend.backend(args.device).device  # a clear error where there is no such device
    sync = synchronizer(device)
    torch = torch_or_none()
    torch_device: str | None = None
    if torch is not None and (device == "cpu" or torch.cuda.is_available()):
        torch_device = "cpu" if device == "cpu" else device
    if torch_device is None:
        print("PyTorch for this device is not installed: mushin's figures only")

    def torch_sync() -> None:
        if torch_device is not None and torch_device != "cpu":
            torch.cuda.synchronize()

    print(f"[device benchmarks] {device}; {args.steps} steps, matmul size {args.size}")
    for name, case in (("mlp", mlp_case), ("cnn", cnn_case)):
        ours, theirs = case(device, torch, torch_device, args.steps)
        if args.profile:
            profile(f"{name}, mushin", ours, sync, torch if torch_device else None)
            if theirs is not None:
                profile(f"{name}, PyTorch", theirs, torch_sync, torch)
            continue
        mine = best_time(ours, sync, args.repeats)
        line = f"  {name:6s} mushin {mine * 1e3:9.2f} ms"
        if theirs is not None:
            other = best_time(theirs, torch_sync, args.repeats)
            line += f"   PyTorch {other * 1e3:9.2f} ms   ratio {mine / other:.2f} (goal <= 1.5)"
        print(line)
    if args.profile:
        return
    ours, raw = matmul_case(device, args.size)
    mine = best_time(ours, sync, args.repeats)
    floor = best_time(raw, sync, args.repeats)
    rate = 5 * 2 * args.size**3 / floor / 1e12
    print(f"  matmul mushin {mine * 1e3:9.2f} ms   raw products {floor * 1e3:9.2f} ms "
          f"({rate:.1f} TFLOP/s)   ratio {mine / floor:.2f} (goal <= 1.2)")


if __name__ == "__main__":
    main()
