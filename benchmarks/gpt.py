"""GPT training steps: nanoGPT's model as ported in ``examples/gpt.py`` (4 layers, 4 heads,
width 128, block 64, batch 16, biases on, no dropout, the characters of the Python
documentation as vocabulary, AdamW from ``configure_optimizers`` with weight decay 0.1, a
constant learning rate 1e-3 and betas (0.9, 0.99), float32) and its PyTorch twin (the same
source with the imports renamed back, ``tests/examples/twin.py``), from the same initial
weights (PyTorch's initialisation, seeded) and on the same batches; seconds per step of
both, their ratio, and the losses of both (they agree to float32 rounding), on one thread
and on two. A step is the forward pass with the loss, ``backward``, ``optimizer.step()``,
``zero_grad()`` and ``loss.item()`` (no gradient clipping, unlike the example's loop).

Each library runs in a process of its own (``_common.alone``), started with
``OPENBLAS_NUM_THREADS``, ``NUMBA_NUM_THREADS``, ``OMP_NUM_THREADS`` and ``MKL_NUM_THREADS``
set to the thread count (read when NumPy or PyTorch is imported) and PyTorch's
``set_num_threads``. ``--profile`` adds where mushin's step time goes: the time in each
primitive's forward and VJP rules (the outermost rule only: a rule that calls another
primitive's counts it as its own), in the optimizer, and the rest (the engine's graph and
gradient sums, the layers' Python, allocation).

    python benchmarks/gpt.py [--steps 10] [--repeats 3] [--threads 1 2] [--profile]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Generator, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from _common import add_alone_option, alone, best_time, machine, report_alone, torch_or_none

from mushin._graph import PRIMITIVES

# The examples and their PyTorch twins, loaded as the example tests load them.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "examples"))
from twin import load, offline_data

SIZES = {"block_size": 64, "n_layer": 4, "n_head": 4, "n_embd": 128, "dropout": 0.0,
         "bias": True}
BATCH = 16
LEARNING_RATE = 1e-3
THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_NUM_THREADS",
                    "MKL_NUM_THREADS")
WEIGHTS_VARIABLE = "MUSHIN_BENCH_GPT_WEIGHTS"
"""Where the parent process leaves the initial weights (an ``.npz``) for the timed ones."""
PROFILE_STEPS = 10


@cache
def example(backend: str) -> Any:
    """``examples/gpt.py`` importing ``"mushin"`` or, renamed back, ``"torch"``."""
    return load("gpt", backend)


@cache
def text() -> tuple[np.ndarray, int]:
    """The training split of the text as character indices, and the vocabulary size."""
    train_ids, _, chars = example("mushin").prepare(offline_data.python_docs_text())
    return train_ids, len(chars)


def flops_per_step(sizes: dict[str, Any], vocab: int, batch: int) -> float:
    """Matrix-product FLOPs of one training step: per token, the forward's 2 x (12 n_embd^2
    per layer + n_embd x vocab for the head) and the attention's 4 x block x n_embd per layer
    (scores and weighted values, the causal half included as both libraries compute it),
    three times over (forward, input and weight gradients): nanoGPT's ``6N + 12 L H Q T``."""
    width, layers, block = sizes["n_embd"], sizes["n_layer"], sizes["block_size"]
    per_token = 2 * (12 * layers * width**2 + width * vocab) + 4 * layers * block * width
    return 3 * per_token * batch * block


def build(backend: str, sizes: dict[str, Any], vocab: int,
          weights: dict[str, np.ndarray]) -> tuple[Any, Any]:
    """The model of ``backend`` at ``sizes`` loaded with ``weights``, and its AdamW."""
    module = example(backend)
    with contextlib.redirect_stdout(io.StringIO()):  # the model's and optimizer's reports
        model = module.GPT(module.GPTConfig(vocab_size=vocab, **sizes))
        if backend == "torch":
            import torch

            model.load_state_dict({key: torch.from_numpy(value) for key, value in
                                   weights.items()})
        else:
            model.load_state_dict(weights)
        optimizer = model.configure_optimizers(0.1, LEARNING_RATE, (0.9, 0.99), "cpu")
    return model, optimizer


def initial_weights(sizes: dict[str, Any], vocab: int) -> dict[str, np.ndarray]:
    """PyTorch's initialisation of the model at ``sizes`` (seeded), or mushin's where PyTorch is
    not installed."""
    torch = torch_or_none()
    with contextlib.redirect_stdout(io.StringIO()):
        if torch is None:
            import mushin as mu

            mu.manual_seed(0)
            module, backend = example("mushin"), "mushin"
        else:
            torch.manual_seed(0)
            module, backend = example("torch"), "torch"
        model = module.GPT(module.GPTConfig(vocab_size=vocab, **sizes))
    return {key: value.detach().numpy().copy() if backend == "torch" else value.numpy()
            for key, value in model.state_dict().items()}


def batches(backend: str, sizes: dict[str, Any], count: int, batch: int) -> list[Any]:
    """``count`` random (input, target) blocks, the same for both libraries."""
    train_ids, _ = text()
    rng = np.random.default_rng(0)
    return [example(backend).get_batch(train_ids, sizes["block_size"], batch, rng, "cpu")
            for _ in range(count)]


def train_steps(model: Any, optimizer: Any, data: list[Any]) -> Callable[[int], list[float]]:
    """``run(steps)``: that many training steps on the next batches (cycled); their losses."""
    position = 0

    def run(steps: int) -> list[float]:
        nonlocal position
        losses = []
        for _ in range(steps):
            x, y = data[position % len(data)]
            position += 1
            _, loss = model(x, y)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses.append(float(loss.item()))
        return losses

    return run


class Timers:
    """Seconds spent in named parts of a run, each counted where no other timed part is
    running (a part called by another is the caller's)."""

    def __init__(self) -> None:
        self.seconds: dict[tuple[str, str], float] = defaultdict(float)
        self.busy = False

    def timed(self, name: str, phase: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def run(*args: Any, **kwargs: Any) -> Any:
            if self.busy:
                return function(*args, **kwargs)
            self.busy = True
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name, phase] += time.perf_counter() - start
                self.busy = False

        return run

    @contextlib.contextmanager
    def on_primitives(self) -> Generator[None]:
        """Time every primitive's forward rules (portable and fused) and VJP rules."""
        rules = (("forward", "forward"), ("cpu_forward", "forward"), ("vjp", "backward"),
                 ("cpu_vjp", "backward"))
        saved = [(primitive, attribute, getattr(primitive, attribute))
                 for primitive in PRIMITIVES.values() for attribute, _ in rules
                 if getattr(primitive, attribute) is not None]
        phases = dict(rules)
        for primitive, attribute, rule in saved:
            setattr(primitive, attribute, self.timed(primitive.name, phases[attribute], rule))
        try:
            yield
        finally:
            for primitive, attribute, rule in saved:
                setattr(primitive, attribute, rule)


def profile(model: Any, optimizer: Any, run: Callable[[int], list[float]],
            steps: int) -> dict[str, Any]:
    """Where ``steps`` steps of ``run`` spend their time, per step: by primitive and phase,
    the optimizer's ``step`` and ``zero_grad``, and the whole step."""
    timers = Timers()
    optimizer.step = timers.timed(type(optimizer).__name__, "update", optimizer.step)
    optimizer.zero_grad = timers.timed(type(optimizer).__name__, "update", optimizer.zero_grad)
    with timers.on_primitives():
        start = time.perf_counter()
        run(steps)
        total = time.perf_counter() - start
    del optimizer.step, optimizer.zero_grad  # the class's methods again
    parts = sorted(((name, phase, seconds / steps) for (name, phase), seconds
                    in timers.seconds.items()), key=lambda part: -part[2])
    return {"step": total / steps, "parts": parts}


def print_profile(found: dict[str, Any], threads: int) -> None:
    step = found["step"]
    print(f"  mushin's step profiled ({threads} thread{'s' * (threads > 1)}): "
          f"{step * 1e3:.2f} ms per step with the timers on")
    print(f"    {'part':24s} {'phase':8s} {'ms/step':>8s} {'share':>6s}")
    rest = step
    for name, phase, seconds in found["parts"]:
        rest -= seconds
        if seconds >= 0.002 * step:
            print(f"    {name:24s} {phase:8s} {seconds * 1e3:8.3f} {seconds / step:6.1%}")
    print(f"    {'the rest':24s} {'':8s} {rest * 1e3:8.3f} {rest / step:6.1%}  (engine: graph, "
          "gradient sums; layers' Python; parts under 0.2% each)")


def time_alone(library: str, args: argparse.Namespace) -> None:
    """The timed process: ``library``'s steps from the parent's weights; reports the seconds
    per step and the losses (and with ``--profile``, mushin's profile)."""
    if library == "torch":
        import torch

        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
    _, vocab = text()
    weights = dict(np.load(os.environ[WEIGHTS_VARIABLE]))
    model, optimizer = build("mushin" if library == "mushin" else "torch", SIZES, vocab,
                             weights)
    extra = PROFILE_STEPS if args.profile and library == "mushin" else 0
    data = batches("mushin" if library == "mushin" else "torch", SIZES,
                   args.steps * (args.repeats + 1) + extra, BATCH)
    run = train_steps(model, optimizer, data)
    losses: list[float] = []
    seconds = best_time(lambda: losses.extend(run(args.steps)), args.repeats) / args.steps
    result: dict[str, Any] = {"losses": losses}
    if extra:
        result["profile"] = profile(model, optimizer, run, extra)
    report_alone(seconds, result)


@contextlib.contextmanager
def thread_count(threads: int) -> Iterator[None]:
    """The thread variables set to ``threads`` for the processes started meanwhile."""
    before = {name: os.environ.get(name) for name in THREAD_VARIABLES}
    os.environ.update(dict.fromkeys(THREAD_VARIABLES, str(threads)))
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                del os.environ[name]
            else:
                os.environ[name] = value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="steps per timed run")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs (the best counts)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--profile", action="store_true",
                        help="also print where mushin's step time goes")
    add_alone_option(parser)
    args = parser.parse_args()
    if args.time_only is not None:
        time_alone(args.time_only, args)
        return
    torch = torch_or_none()
    _, vocab = text()
    flops = flops_per_step(SIZES, vocab, BATCH)
    print(f"[gpt step] {machine()}")
    print(f"  nanoGPT {SIZES['n_layer']} layers, {SIZES['n_head']} heads, width "
          f"{SIZES['n_embd']}, block {SIZES['block_size']}, batch {BATCH}, vocabulary {vocab}, "
          f"AdamW, float32; {flops / 1e9:.2f} GFLOP per step")
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "weights.npz")
        np.savez(path, **initial_weights(SIZES, vocab))
        os.environ[WEIGHTS_VARIABLE] = path
        for threads in args.threads:
            with thread_count(threads):
                ours = alone("mushin")
                theirs = alone("torch") if torch is not None else None
            label = f"{threads} thread{'s' * (threads > 1)}"
            line = f"  {label}: mushin {ours['seconds'] * 1e3:7.2f} ms/step"
            if theirs is not None:
                line += (f", PyTorch {theirs['seconds'] * 1e3:7.2f} ms/step, ratio "
                         f"mushin/PyTorch {ours['seconds'] / theirs['seconds']:.2f}")
            print(line)
            if theirs is not None:
                compare_losses(ours["result"]["losses"], theirs["result"]["losses"])
            if args.profile:
                print_profile(ours["result"]["profile"], threads)


def compare_losses(ours: list[float], theirs: list[float]) -> None:
    """Print the losses' first and last values and largest difference; they must agree to
    float32 rounding (carried through the steps by the updates)."""
    difference = np.abs(np.subtract(ours, theirs))
    print(f"    losses over {len(ours)} steps: mushin {ours[0]:.6f} -> {ours[-1]:.6f}, PyTorch "
          f"{theirs[0]:.6f} -> {theirs[-1]:.6f}; largest difference {difference.max():.1e} "
          f"(first step {difference[0]:.1e})")
    assert difference[0] < 1e-5 and difference.max() < 1e-3, "the losses differ"


if __name__ == "__main__":
    main()
