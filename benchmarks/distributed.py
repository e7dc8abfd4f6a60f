"""Data-parallel throughput on 1, 2 and 4 ranks, and what the communication costs.

Trains a 784-1024-1024-10 ReLU MLP (1.9 M float32 parameters, 7.4 MB of gradients, in buckets
of ``--bucket-mb``) with SGD on random data, ``--batch`` samples per rank and step, under
``mpiexec -n N`` for each N of ``--ranks``; each rank gets ``cores // N`` BLAS threads (at
least one), and one rank also runs on a single thread. Each step is timed three ways, in
turn: ``compute`` (backward inside ``no_sync()``: no communication, the baseline), ``after``
(the same, then ``sync_gradients()``: the all-reduce after the pass, as ``model.backward``
did before the gradient hooks) and ``hooks`` (plain ``loss.backward()``: each bucket's
all-reduce starts from the gradient hooks as soon as its gradients are ready). It prints, per
run, the median step of each, the communication share of the ``after`` and ``hooks`` steps
(their time beyond ``compute``, over their time), the time in ``sync_gradients`` itself, the
throughput of the ``hooks`` steps in samples per second over all ranks and the speed-up over
the first run (one rank, every core); then the latency and bandwidth of
``mu.distributed.all_reduce`` on message sizes from 4 B to 16 MB, for the model in
docs/distributed.md, and what its agreement check (a small all-gather) adds to a 4 B one.

    python benchmarks/distributed.py [--ranks 1 2 4] [--steps 30] [--batch 64] [--bucket-mb 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import mushin as mu
from mushin import distributed as dist
from mushin.distributed.bootstrap import current_world
from mushin.nn.activations import relu
from mushin.nn.layers import Linear, Sequential
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import SGD

SIZES = (784, 1024, 1024, 10)
MESSAGE_FLOATS = [4**power for power in range(11)] + [2**22]
"""All-reduce message sizes, in float32 elements: 1 to 4 Mi (4 B to 16 MB)."""
MODES = ("compute", "after", "hooks")


def train_worker(steps: int, batch: int, bucket_mb: float, warmup: int = 5) -> dict[str, Any]:
    """Time ``steps`` data-parallel steps of each mode on this rank; rank 0's medians are
    reported."""
    mu.seed(0)
    model = dist.DataParallel(Sequential(Linear(SIZES[0], SIZES[1]), relu,
                                         Linear(SIZES[1], SIZES[2]), relu,
                                         Linear(SIZES[2], SIZES[3])), bucket_size_mb=bucket_mb)
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(dist.rank())
    images = mu.constant(rng.standard_normal((batch, SIZES[0]), dtype=np.float32))
    labels = mu.constant(rng.integers(0, SIZES[-1], batch))
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    sync_times: list[float] = []

    def backward() -> None:
        loss = cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()

    for step in range(warmup + steps):
        for mode in MODES:
            dist.barrier()  # every rank starts the step together
            start = time.perf_counter()
            if mode == "hooks":
                backward()
            else:
                with model.no_sync():
                    backward()
                if mode == "after":
                    before_sync = time.perf_counter()
                    model.sync_gradients()
                    sync_time = time.perf_counter() - before_sync
            optimizer.step()
            end = time.perf_counter()
            if step >= warmup:
                times[mode].append(end - start)
                if mode == "after":
                    sync_times.append(sync_time)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    return {**{mode: float(np.median(times[mode])) for mode in MODES},
            "sync": float(np.median(sync_times)), "parameters": parameters,
            "buckets": len(model.buckets)}


def all_reduce_worker() -> tuple[list[tuple[int, float]], float]:
    """The median time of ``all_reduce`` for each message size (bytes, seconds), and that of
    the transport's all-reduce of 4 B alone, without the agreement check."""
    timings = []
    for floats in MESSAGE_FLOATS:
        tensor = mu.zeros((floats,))
        repeats = max(5, min(200, 2**22 // (16 * floats)))
        for _ in range(3):
            dist.all_reduce(tensor)
        times = []
        for _ in range(repeats):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(tensor)
            times.append(time.perf_counter() - start)
        timings.append((4 * floats, float(np.median(times))))
    world = current_world("benchmark")
    array = np.zeros(1, dtype=np.float32)
    unchecked = []
    for _ in range(200):
        dist.barrier()
        start = time.perf_counter()
        world.finish([world.start_all_reduce(array, "sum")], "benchmark")
        unchecked.append(time.perf_counter() - start)
    return timings, float(np.median(unchecked))


def worker(arguments: argparse.Namespace) -> None:
    dist.init(abort_on_error=True)
    result: dict[str, Any] = train_worker(arguments.steps, arguments.batch,
                                          arguments.bucket_mb)
    if dist.world_size() > 1:
        result["all_reduce"], result["unchecked"] = all_reduce_worker()
    if dist.rank() == 0:
        print("RESULT " + json.dumps(result), flush=True)


def launch(ranks: int, threads: int, arguments: argparse.Namespace) -> dict[str, Any]:
    """Run the worker on ``ranks`` processes of ``threads`` BLAS threads each; return rank
    0's figures."""
    mpiexec = Path(sys.executable).with_name("mpiexec")
    environment = {**os.environ, "OMP_NUM_THREADS": str(threads),
                   "OPENBLAS_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
    command = [str(mpiexec) if mpiexec.exists() else "mpiexec", "-n", str(ranks),
               sys.executable, __file__, "--worker", "--steps", str(arguments.steps),
               "--batch", str(arguments.batch), "--bucket-mb", str(arguments.bucket_mb)]
    output = subprocess.run(command, capture_output=True, text=True, env=environment,
                            check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    result["ranks"], result["threads"] = ranks, threads
    return result


def print_report(results: list[dict[str, Any]], arguments: argparse.Namespace) -> None:
    first, batch = results[0], arguments.batch
    print(f"[distributed] {os.cpu_count()} cores, MLP {'-'.join(map(str, SIZES))} "
          f"({first['parameters'] / 1e6:.2f} M float32 parameters, {first['buckets']} "
          f"bucket(s) of <= {arguments.bucket_mb:g} MB), batch {batch} per rank")
    print(f"{'ranks':>5} {'threads':>7} {'compute ms':>10} {'after ms':>8} {'hooks ms':>8} "
          f"{'sync ms':>8} {'share after':>11} {'share hooks':>11} {'samples/s':>10} "
          f"{'speed-up':>8}")
    baseline = None
    for result in results:
        ranks = result["ranks"]
        throughput = ranks * batch / result["hooks"]
        baseline = baseline or throughput
        shares = [max(0.0, 1 - result["compute"] / result[mode]) for mode in ("after", "hooks")]
        print(f"{ranks:>5} {result['threads']:>7} {1e3 * result['compute']:>10.2f} "
              f"{1e3 * result['after']:>8.2f} {1e3 * result['hooks']:>8.2f} "
              f"{1e3 * result['sync']:>8.2f} {100 * shares[0]:>10.1f}% "
              f"{100 * shares[1]:>10.1f}% {throughput:>10.0f} {throughput / baseline:>7.2f}x")
    for result in results:
        ranks = result["ranks"]
        timings = result.get("all_reduce")
        if not timings:
            continue
        latency = timings[0][1]
        size, seconds = timings[-1]
        bandwidth = size / max(seconds - latency, 1e-12)
        print(f"all_reduce on {ranks} ranks: latency {1e6 * latency:.1f} us (4 B; "
              f"{1e6 * result['unchecked']:.1f} us without the agreement check), "
              f"{size / 2**20:.0f} MB in {1e3 * seconds:.2f} ms: algorithm bandwidth "
              f"{bandwidth / 1e9:.2f} GB/s, ring bus bandwidth "
              f"{bandwidth * 2 * (ranks - 1) / ranks / 1e9:.2f} GB/s")
        print("  " + ", ".join(f"{_bytes(size)} {1e6 * seconds:.0f} us"
                               for size, seconds in timings))


def _bytes(size: int) -> str:
    for unit, scale in (("MB", 2**20), ("KB", 2**10)):
        if size >= scale:
            return f"{size // scale} {unit}"
    return f"{size} B"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ranks", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--bucket-mb", type=float, default=2.0,
                        help="DataParallel's bucket_size_mb (default 2: four buckets)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        worker(arguments)
        return
    cores = os.cpu_count() or 1
    configurations = [(ranks, max(1, cores // ranks)) for ranks in arguments.ranks]
    if cores > 1 and 1 in arguments.ranks:
        # One rank on one thread too: the per-rank speed that the parallel runs start from.
        configurations.insert(arguments.ranks.index(1) + 1, (1, 1))
    print_report([launch(ranks, threads, arguments) for ranks, threads in configurations],
                 arguments)


if __name__ == "__main__":
    main()
