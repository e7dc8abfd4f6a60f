"""Memory stays flat: training frees every step's graph, and a very long chain is freed.

Each measurement runs in a fresh Python process (this file, run as a script with the name of a
scenario), so that nothing else the test session allocated disturbs the resident set size.
The process reports its findings as JSON on its last line of output.

The cyclic garbage collector is switched off while the scenarios run: every graph must be
freed by reference counting alone, as soon as the program drops its output (a reference
cycle anywhere in the engine would keep whole graphs alive and show up here).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import json
import os
import platform
import subprocess
import sys
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin._graph import topological_order

_MEGABYTE = 1024 * 1024


def _resident_bytes() -> int:
    """The resident set size of this process, from /proc/self/statm (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _return_free_memory_to_the_system() -> None:
    """Ask glibc to give freed heap pages back, so that freed memory leaves the RSS (what is
    still allocated stays). Without glibc the RSS is measured as it is."""
    name = ctypes.util.find_library("c")
    if name is not None:
        trim = getattr(ctypes.CDLL(name), "malloc_trim", None)
        if trim is not None:
            trim(0)


def _weak_nodes(output: mu.Variable[Any], every: int = 1) -> list[weakref.ref[Any]]:
    """Weak references to the output tensor and to every ``every``-th node of its graph.

    Only the references kept are made: thousands of short-lived ones would leave the few
    survivors scattered over the allocator's arenas, pinning them in the resident set.
    """
    nodes = [node for node in topological_order(output._node) if node.prim is not None]
    return [weakref.ref(output), *(weakref.ref(node) for node in nodes[::every])]


# --- scenarios (run in a subprocess) ------------------------------------------------------------

def _digits_training(optimizer_name: str) -> dict[str, Any]:
    """2,000 steps of a small CNN on scikit-learn's digits; the RSS after warm-up and at every
    100th step after it, and how many graph nodes outlived their step."""
    from sklearn.datasets import load_digits

    from mushin.nn import activations, losses
    from mushin.nn.layers import Conv2D, Flatten, Linear, MaxPool2D, Sequential
    from mushin.nn.optimizers import SGD, Adam

    digits = load_digits()
    images = (digits.images / 16.0).astype(np.float32)[:, None]
    labels = digits.target.astype(np.int64)
    mu.seed(0)
    model = Sequential(Conv2D(1, 8, 3), activations.relu, MaxPool2D(2), Flatten(),
                       Linear(8 * 3 * 3, 10))
    optimizer = (SGD(model.parameters(), lr=0.1, momentum=0.9) if optimizer_name == "SGD"
                 else Adam(model.parameters(), lr=1e-2))
    batch, warm_up = 32, 200
    survivors = 0
    samples: list[int] = []
    baseline = 0
    first_loss = last_loss = 0.0
    for step in range(2000):
        start = (step * batch) % (len(images) - batch)
        optimizer.zero_grad()
        logits = model(mu.constant(images[start:start + batch]))
        loss = losses.cross_entropy(logits, mu.constant(labels[start:start + batch]))
        loss.backward()
        optimizer.step()
        watched = _weak_nodes(loss)
        last_loss = loss.item()
        first_loss = first_loss or last_loss
        del logits, loss
        survivors += sum(reference() is not None for reference in watched)
        if step == warm_up:
            baseline = _resident_bytes()
        elif step > warm_up and step % 100 == 0:
            samples.append(_resident_bytes())
    samples.append(_resident_bytes())
    return {"baseline": baseline, "samples": samples, "survivors": survivors,
            "first_loss": first_loss, "last_loss": last_loss}


def _long_chain() -> dict[str, Any]:
    """A 100,000-operation chain: its backward, and the memory before, during and after."""
    steps, factor = 100_000, 1.00001
    x = mu.variable(np.linspace(-1.0, 1.0, 16))
    warm = x
    for _ in range(1000):  # the allocator's pools and NumPy's caches, once
        warm = warm * factor
    warm.sum().backward()
    del warm
    x.reset()
    _return_free_memory_to_the_system()
    baseline, baseline_blocks = _resident_bytes(), sys.getallocatedblocks()

    y = x
    for _ in range(steps):
        y = y * factor
    built, built_blocks = _resident_bytes(), sys.getallocatedblocks()
    watched = _weak_nodes(y, every=steps // 100)
    y.sum().backward()
    gradient = x.grad().numpy()
    del y
    alive = sum(reference() is not None for reference in watched)
    _return_free_memory_to_the_system()
    return {"baseline": baseline, "built": built, "after": _resident_bytes(),
            "baseline_blocks": baseline_blocks, "built_blocks": built_blocks,
            "after_blocks": sys.getallocatedblocks(), "alive": alive, "watched": len(watched),
            "gradient": gradient.tolist(), "expected": factor ** steps}


def _freed_arrays() -> dict[str, Any]:
    """The page faults of 20 steps that each make and free a training step's worth of arrays
    (0.25 to 4 million float32 values each, as a CNN's activations), after one such step."""
    import resource

    def step() -> None:
        arrays = [np.ones(size, dtype=np.float32)
                  for size in (700_000, 250_000, 2_800_000, 1_000_000, 4_000_000)]
        del arrays

    step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(20):
        step()
    return {"faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before}


_SCENARIOS: dict[str, Callable[[], dict[str, Any]]] = {
    "digits-SGD": lambda: _digits_training("SGD"),
    "digits-Adam": lambda: _digits_training("Adam"),
    "long-chain": _long_chain,
    "freed-arrays": _freed_arrays,
}


def _run_scenario(name: str, **environment: str) -> dict[str, Any]:
    """Run a scenario in a fresh interpreter (with ``environment`` added to its environment)
    and return what it reported."""
    completed = subprocess.run([sys.executable, __file__, name], capture_output=True,
                               text=True, timeout=300, check=False,
                               env={**os.environ, **environment})
    assert completed.returncode == 0, completed.stderr
    report: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


pytestmark = pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                                reason="reads the resident set size from /proc (Linux)")


# --- tests ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
def test_training_keeps_memory_flat_and_frees_every_graph(optimizer_name: str) -> None:
    pytest.importorskip("sklearn")
    report = _run_scenario(f"digits-{optimizer_name}")
    growth = max(report["samples"]) - report["baseline"]
    assert growth < 5 * _MEGABYTE, (
        f"the resident memory grew by {growth / _MEGABYTE:.1f} MB over 1,800 steps after "
        f"warm-up: {[round(sample / _MEGABYTE, 1) for sample in report['samples']]} MB")
    assert report["survivors"] == 0, "graph nodes outlived the step that made them"
    assert report["last_loss"] < report["first_loss"] / 4, "the model did not train"


def test_a_100000_operation_chain_backpropagates_and_is_freed() -> None:
    report = _run_scenario("long-chain")
    np.testing.assert_allclose(report["gradient"], [report["expected"]] * 16, rtol=1e-9)
    assert report["alive"] == 0, (
        f"{report['alive']} of {report['watched']} watched nodes outlived the output")
    held_blocks = report["built_blocks"] - report["baseline_blocks"]
    left_blocks = report["after_blocks"] - report["baseline_blocks"]
    assert held_blocks > 500_000, "the chain did not hold the objects the test expects to see"
    assert left_blocks < 2_000, (
        f"{left_blocks} of the chain's {held_blocks} Python objects are still allocated")
    held = report["built"] - report["baseline"]
    assert held > 40 * _MEGABYTE, "the chain did not hold the memory the test expects to see"
    # A few of the allocator's 1 MiB arenas stay resident, pinned by the odd object allocated
    # among the chain's (the weak references above, the gradient).
    left = report["after"] - report["baseline"]
    assert left < 8 * _MEGABYTE, (
        f"{left / _MEGABYTE:.1f} MB of the chain's {held / _MEGABYTE:.1f} MB stayed resident")


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="tunes glibc's allocator")
def test_freed_arrays_are_reused_without_faulting_their_pages_in_again() -> None:
    kept = _run_scenario("freed-arrays")["faults"]
    returned = _run_scenario("freed-arrays", MUSHIN_KEEP_FREED_MEMORY="0")["faults"]
    # 20 steps of 8.75 million float32 values (8,545 pages): glibc's own adaptive threshold
    # keeps some of them, the rest are faulted in again at every step
    assert returned > 20 * 1_000, f"only {returned} page faults without the tuning"
    assert kept < returned / 20, f"{kept} page faults with freed memory kept, {returned} without"


if __name__ == "__main__":
    gc.disable()
    print(json.dumps(_SCENARIOS[sys.argv[1]]()))
