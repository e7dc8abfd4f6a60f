"""Data-parallel throughput on 1, 2 and 4 ranks, and what the all-reduce costs.

Trains a 784-1024-1024-10 ReLU MLP (1.9 M float32 parameters, 7.4 MB of gradients) with
SGD on random data, ``--batch`` samples per rank and step, under ``mpiexec -n N`` for each N
of ``--ranks``; each rank gets ``cores // N`` BLAS threads (at least one), and one rank also
runs on a single thread. It prints, per run, the median step time, the time spent waiting for
the slowest rank to finish its backward pass (a barrier, there only to measure it), the time
in ``DataParallel.sync_gradients`` (packing, the bucketed all-reduce, unpacking) and its
share of the step, the throughput in samples per second over all ranks and the speed-up over
the first run (one rank, every core); then the latency and bandwidth of
``mu.distributed.all_reduce`` on message sizes from 4 B to 16 MB, for the model in
docs/distributed.md.

    python benchmarks/distributed.py [--ranks 1 2 4] [--steps 30] [--batch 64]
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
from mushin.nn.activations import relu
from mushin.nn.layers import Linear, Sequential
from mushin.nn.losses import cross_entropy
from mushin.nn.optimizers import SGD

SIZES = (784, 1024, 1024, 10)
MESSAGE_FLOATS = [4**power for power in range(11)] + [2**22]
"""All-reduce message sizes, in float32 elements: 1 to 4 Mi (4 B to 16 MB)."""


def train_worker(steps: int, batch: int, warmup: int = 5) -> dict[str, Any]:
    """Time ``steps`` data-parallel steps on this rank; rank 0's medians are reported."""
    mu.seed(0)
    model = dist.DataParallel(Sequential(Linear(SIZES[0], SIZES[1]), relu,
                                         Linear(SIZES[1], SIZES[2]), relu,
                                         Linear(SIZES[2], SIZES[3])))
    optimizer = SGD(model.parameters(), lr=0.01, momentum=0.9)
    rng = np.random.default_rng(dist.rank())
    images = mu.constant(rng.standard_normal((batch, SIZES[0]), dtype=np.float32))
    labels = mu.constant(rng.integers(0, SIZES[-1], batch))
    step_times, wait_times, sync_times = [], [], []
    for step in range(warmup + steps):
        start = time.perf_counter()
        loss = cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        before_barrier = time.perf_counter()
        # Only to tell waiting for the slowest rank apart from the all-reduce itself.
        dist.barrier()
        before_sync = time.perf_counter()
        model.sync_gradients()
        after_sync = time.perf_counter()
        optimizer.step()
        end = time.perf_counter()
        if step >= warmup:
            step_times.append(end - start)
            wait_times.append(before_sync - before_barrier)
            sync_times.append(after_sync - before_sync)
    parameters = sum(parameter.numel() for parameter in model.parameters())
    return {"step": float(np.median(step_times)), "wait": float(np.median(wait_times)),
            "sync": float(np.median(sync_times)), "parameters": parameters,
            "buckets": len(model.buckets)}


def all_reduce_worker() -> list[tuple[int, float]]:
    """The median time of ``all_reduce`` for each message size (bytes, seconds)."""
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
    return timings


def worker(arguments: argparse.Namespace) -> None:
    dist.init(abort_on_error=True)
    result: dict[str, Any] = train_worker(arguments.steps, arguments.batch)
    if dist.world_size() > 1:
        result["all_reduce"] = all_reduce_worker()
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
               "--batch", str(arguments.batch)]
    output = subprocess.run(command, capture_output=True, text=True, env=environment,
                            check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("RESULT "))
    result: dict[str, Any] = json.loads(line.removeprefix("RESULT "))
    result["ranks"], result["threads"] = ranks, threads
    return result


def print_report(results: list[dict[str, Any]], batch: int) -> None:
    first = results[0]
    print(f"[distributed] {os.cpu_count()} cores, MLP {'-'.join(map(str, SIZES))} "
          f"({first['parameters'] / 1e6:.2f} M float32 parameters, {first['buckets']} "
          f"bucket(s) of <= 25 MB), batch {batch} per rank")
    print(f"{'ranks':>5} {'threads':>7} {'step ms':>8} {'wait ms':>8} {'sync ms':>8} "
          f"{'comm share':>10} {'samples/s':>10} {'speed-up':>8}")
    baseline = None
    for result in results:
        ranks = result["ranks"]
        throughput = ranks * batch / result["step"]
        baseline = baseline or throughput
        share = result["sync"] / result["step"]
        print(f"{ranks:>5} {result['threads']:>7} {1e3 * result['step']:>8.2f} "
              f"{1e3 * result['wait']:>8.2f} {1e3 * result['sync']:>8.2f} {100 * share:>9.1f}% "
              f"{throughput:>10.0f} {throughput / baseline:>7.2f}x")
    for result in results:
        ranks = result["ranks"]
        timings = result.get("all_reduce")
        if not timings:
            continue
        latency = timings[0][1]
        size, seconds = timings[-1]
        bandwidth = size / max(seconds - latency, 1e-12)
        print(f"all_reduce on {ranks} ranks: latency {1e6 * latency:.1f} us (4 B), "
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
                 arguments.batch)


if __name__ == "__main__":
    main()
