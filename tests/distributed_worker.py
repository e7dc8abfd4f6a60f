"""The program each rank runs in tests/test_distributed.py, under ``mpiexec -n N``.

``python distributed_worker.py MODE [TIMEOUT]``. Each mode checks its results itself, against
values computed here independently of ``mu.distributed`` (closed forms, a float64 NumPy
re-implementation of the training, or the CPU path that the latter checks), and prints one
``rank R: ...`` line per rank on success; a failed check raises ``AssertionError``. The
``fault-*`` and ``mismatch`` modes are expected to fail, and the test reads what each rank
printed.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import mushin as mu
from mushin import distributed as dist
from mushin._backend import CPU
from mushin._random import generator
from mushin.distributed.bootstrap import current_world
from mushin.nn.activations import relu
from mushin.nn.module import Module
from mushin.nn.optimizers import SGD

IN_FEATURES, HIDDEN, OUT_FEATURES = 5, 7, 3
BATCH_PER_RANK = 4
STEPS_PER_EPOCH = 5
STEPS = 20
LEARNING_RATE, MOMENTUM = 0.1, 0.9


class TwoLayer(Module):
    """``relu(x @ w1 + b1) @ w2 + b2``, a buffer that must follow rank 0, and (``unused``) a
    parameter that no computation uses (it must keep no gradient)."""

    def __init__(self, hidden: int = HIDDEN, unused: bool = True) -> None:
        super().__init__()
        self.w1 = mu.randn((IN_FEATURES, hidden), dtype="float64")
        self.b1 = mu.randn((hidden,), dtype="float64")
        self.w2 = mu.randn((hidden, OUT_FEATURES), dtype="float64")
        self.b2 = mu.randn((OUT_FEATURES,), dtype="float64")
        if unused:
            self.unused = mu.randn((2,), dtype="float64")
        self.register_buffer("steps", np.array([mu.randu((1,)).item()]))

    def forward(self, x: Any) -> Any:
        return relu(x @ self.w1 + self.b1) @ self.w2 + self.b2


def numpy_reference(state: dict[str, np.ndarray], inputs: np.ndarray, targets: np.ndarray,
                    orders: list[np.ndarray], global_batch: int) -> dict[str, np.ndarray]:
    """One process, float64 NumPy, hand-written gradients: SGD with momentum on the mean
    squared error, over the same global batches (``orders`` gives each epoch's row order)."""
    params = {name: state[name].copy() for name in ("w1", "b1", "w2", "b2")}
    velocity: dict[str, np.ndarray] = {}
    step = 0
    for order in orders:
        for start in range(0, len(order), global_batch):
            rows = order[start:start + global_batch]
            x, y = inputs[rows], targets[rows]
            pre = x @ params["w1"] + params["b1"]
            hidden = np.maximum(pre, 0.0)
            out = hidden @ params["w2"] + params["b2"]
            grad_out = 2.0 * (out - y) / out.size
            grad_hidden = (grad_out @ params["w2"].T) * (pre > 0)
            grads = {"w2": hidden.T @ grad_out, "b2": grad_out.sum(axis=0),
                     "w1": x.T @ grad_hidden, "b1": grad_hidden.sum(axis=0)}
            for name, grad in grads.items():
                velocity[name] = grad.copy() if step == 0 else MOMENTUM * velocity[name] + grad
                params[name] = params[name] - LEARNING_RATE * velocity[name]
            step += 1
    return params


def assert_same_everywhere(state: dict[str, np.ndarray]) -> None:
    """Every rank holds exactly these values: their max and min over the ranks are equal."""
    for name, values in state.items():
        largest, smallest = mu.constant(values.copy()), mu.constant(values.copy())
        dist.all_reduce(largest, "max")
        dist.all_reduce(smallest, "min")
        np.testing.assert_array_equal(largest.numpy(), smallest.numpy(), err_msg=name)


def count_all_reduces() -> list[int]:
    """Count the all-reduces this rank starts from now on (a one-element list that grows)."""
    world = current_world("test")
    count = [0]
    start = world.start_all_reduce

    def counting(array: Any, op: str) -> Any:
        count[0] += 1
        return start(array, op)

    world.start_all_reduce = counting  # type: ignore[method-assign]
    return count


def train(plain: bool) -> None:
    """DataParallel SGD over sharded DataLoader batches equals one process on the global
    batches: through plain ``loss.backward()`` (a model whose parameters all get gradients),
    or ``model.backward(loss)`` (with a parameter that gets none)."""
    rank, size = dist.rank(), dist.world_size()
    mu.seed(100 + rank)  # different initial values everywhere: DataParallel must unify them
    model = TwoLayer(unused=not plain)
    # 400 bytes hold 50 float64s; the buckets take the parameters in reverse order:
    # 3 + 21 + 7 (+ 2 unused first) of them, then w1's 35 alone.
    dp = dist.DataParallel(model, bucket_size_mb=400 / 2**20)
    names = ["w1", "b1", "w2", "b2"] + ([] if plain else ["unused"])
    assert dp.buckets == [names[:0:-1], ["w1"]], dp.buckets
    assert [name for name, _ in dp.named_parameters()] == names
    start_state = {name: tensor.numpy() for name, tensor in dp.state_dict().items()}
    assert_same_everywhere(start_state)

    data_rng = np.random.default_rng(7)
    length = BATCH_PER_RANK * size * STEPS_PER_EPOCH
    inputs = data_rng.standard_normal((length, IN_FEATURES))
    targets = data_rng.standard_normal((length, OUT_FEATURES))
    loader = mu.data.DataLoader([inputs, targets], batch_size=BATCH_PER_RANK, shuffle=True,
                                shard=True)
    assert len(loader) == STEPS_PER_EPOCH
    optimizer = SGD(dp.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    # How many all-reduces had started when each parameter's gradient was ready (its hook
    # runs after DataParallel's): a bucket starts as soon as its last gradient is ready.
    started = count_all_reduces()
    seen: dict[str, int] = {}

    def note_when_ready(name: str) -> Callable[[Any], None]:
        def note(_: Any) -> None:
            seen.setdefault(name, started[0])
        return note

    for name, parameter in model.named_parameters():
        parameter.register_post_accumulate_grad_hook(note_when_ready(name))
    mu.seed(5)  # the shuffling seed: only rank 0's draws matter
    steps = 0
    while steps < STEPS:
        for x, y in loader:
            assert x.shape == (BATCH_PER_RANK, IN_FEATURES)
            loss = ((dp(x) - y) ** 2).mean()
            optimizer.zero_grad()
            if plain:
                loss.backward()
            else:
                dp.backward(loss)
                assert model.unused._grad is None
            optimizer.step()
            steps += 1
    if plain:
        assert seen == {"b2": 0, "w2": 0, "b1": 1, "w1": 2}, seen
        grads = [parameter.grad().array() for parameter in model.parameters()]
        assert not any(np.shares_memory(one, other) for index, one in enumerate(grads)
                       for other in grads[index + 1:])
    final = {name: tensor.numpy() for name, tensor in dp.state_dict().items()}
    assert_same_everywhere(final)
    if rank == 0:
        mu.seed(5)
        orders = [generator(CPU).permutation(length) for _ in range(STEPS // STEPS_PER_EPOCH)]
        expected = numpy_reference(start_state, inputs, targets, orders,
                                   BATCH_PER_RANK * size)
        for name, values in expected.items():
            np.testing.assert_allclose(final[name], values, rtol=1e-6, atol=1e-12,
                                       err_msg=name)
        if not plain:
            np.testing.assert_array_equal(final["unused"], start_state["unused"])


def accumulate() -> None:
    """Gradient accumulation: micro-batches under ``no_sync()`` (no communication), the last
    one outside, equal SGD on the global batch of all ranks' micro-batches."""
    rank, size = dist.rank(), dist.world_size()
    micro, steps = 3, 4
    mu.seed(rank)
    model = TwoLayer(unused=False)
    dp = dist.DataParallel(model, bucket_size_mb=400 / 2**20)
    start_state = {name: tensor.numpy() for name, tensor in dp.state_dict().items()}
    global_batch = size * micro * BATCH_PER_RANK
    data_rng = np.random.default_rng(11)
    inputs = data_rng.standard_normal((steps * global_batch, IN_FEATURES))
    targets = data_rng.standard_normal((steps * global_batch, OUT_FEATURES))
    optimizer = SGD(dp.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM)
    started = count_all_reduces()
    for step in range(steps):
        optimizer.zero_grad()
        for part in range(micro):
            first = step * global_batch + (rank * micro + part) * BATCH_PER_RANK
            rows = slice(first, first + BATCH_PER_RANK)
            x, y = mu.constant(inputs[rows]), mu.constant(targets[rows])
            if part < micro - 1:
                with dp.no_sync():
                    (((dp(x) - y) ** 2).mean() / micro).backward()
                assert started[0] == step * len(dp.buckets), "no_sync() communicated"
            else:
                (((dp(x) - y) ** 2).mean() / micro).backward()
        assert started[0] == (step + 1) * len(dp.buckets)
        optimizer.step()
    final = {name: tensor.numpy() for name, tensor in dp.state_dict().items()}
    assert_same_everywhere(final)
    expected = numpy_reference(start_state, inputs, targets, [np.arange(len(inputs))],
                               global_batch)
    for name, values in expected.items():
        np.testing.assert_allclose(final[name], values, rtol=1e-6, atol=1e-12, err_msg=name)


class Switchable(TwoLayer):
    """A ``TwoLayer`` whose ``unused`` parameter enters the output when asked."""

    def forward(self, x: Any, use: bool = False) -> Any:
        output = super().forward(x)
        return output + self.unused.sum() if use else output


def expect_error(call: Any, error: type[Exception], *fragments: str) -> str:
    """Run ``call``, which must raise ``error`` with every fragment in its message."""
    try:
        call()
    except error as raised:
        message = str(raised)
        for fragment in fragments:
            assert fragment in message, f"{fragment!r} not in {message!r}"
        return message
    raise AssertionError(f"expected {error.__name__}")


def missing_gradients() -> None:
    """A parameter without a gradient under plain ``loss.backward()``: every rank raises,
    naming it, where the next call finds the unfinished reduction, and none waits forever;
    the process group stays usable."""
    rank, size = dist.rank(), dist.world_size()
    mu.seed(0)
    model = Switchable()
    dp = dist.DataParallel(model)
    x = mu.constant(np.ones((BATCH_PER_RANK, IN_FEATURES)))
    (dp(x) ** 2).mean().backward()  # 'unused' gets no gradient: the bucket never starts
    others = ", ".join(str(other) for other in range(size) if other != rank)
    expect_error(lambda: dp(x), dist.DistributedError,
                 f"a backward pass on rank {rank} gave no gradient to 'unused' (1 of 5 "
                 "parameters)", "found at DataParallel.forward", f"(rank(s) {others} gave it up "
                 "too)", "model.backward(loss) instead counts a missing gradient as zeros")

    loss = (dp(x) ** 2).mean()
    loss.backward(retain_graph=True)
    expect_error(loss.backward, dist.DistributedError, "found at the next backward pass")

    # Only rank 0 uses it: rank 0 finishes its pass and waits; the others end the reduction
    # at their next forward, and rank 0 learns it in its backward.
    loss = (dp(x, use=rank == 0) ** 2).mean()
    if rank == 0:
        expect_error(loss.backward, dist.DistributedError,
                     f"rank(s) {others} could not finish averaging the gradients")
    else:
        loss.backward()
        expect_error(lambda: dp(x), dist.DistributedError, "gave no gradient to 'unused'")

    # model.backward(loss) finishes such a pass, counting the missing gradient as zeros.
    optimizer = SGD(dp.parameters(), lr=0.1)
    optimizer.zero_grad()
    dp.backward((dp(x, use=rank == 0) ** 2).mean())
    mean = model.unused.grad().numpy()
    optimizer.zero_grad()
    with dp.no_sync():  # this rank's own gradient: every rank's, had it used 'unused'
        (dp(x, use=True) ** 2).mean().backward()
    np.testing.assert_allclose(mean, model.unused.grad().numpy() / size, rtol=1e-12)
    assert_same_everywhere({"mean": mean})


def disagreements() -> None:
    """all_reduce / broadcast with different shapes, dtypes or arguments on the last rank,
    and sharded loaders of different lengths: every rank raises DistributedError naming what
    each rank passed (and prints it), none hangs, and the group stays usable."""
    rank, size = dist.rank(), dist.world_size()
    last = size - 1
    cases = [
        ("all_reduce shape", lambda: dist.all_reduce(
            mu.ones((2, 2, 2, 1) if rank == last else (2, 2, 2)))),
        ("all_reduce dtype", lambda: dist.all_reduce(
            mu.ones((3,), dtype="float64" if rank == last else "float32"))),
        ("all_reduce op", lambda: dist.all_reduce(mu.ones((3,)), "max" if rank == last
                                                  else "sum")),
        ("broadcast shape", lambda: dist.broadcast(mu.ones((4,) if rank == last else (2, 2)))),
        ("broadcast root", lambda: dist.broadcast(mu.ones((2,)), root=last if rank == last
                                                   else 0)),
        ("sharded loader", lambda: mu.data.DataLoader(
            [np.arange(4 * size + (rank == last))], batch_size=2, shuffle=True, shard=True)),
    ]
    for name, call in cases:
        message = expect_error(call, dist.DistributedError, f"(reported on rank {rank})")
        print(f"rank {rank}: {name}: {message}", flush=True)
    # One rank's invalid call: that rank raises its own error, the others name it.
    if rank == last:
        expect_error(lambda: dist.all_reduce(mu.ones((3,)), "prod"), ValueError,
                     "op must be one of")
    else:
        expect_error(lambda: dist.all_reduce(mu.ones((3,))), dist.DistributedError,
                     f"rank {last} passed an invalid call (ValueError: all_reduce: op must be")
    total = dist.all_reduce(mu.ones((2,)))
    np.testing.assert_array_equal(total.numpy(), [size, size])


HOOK_CHECKS = {"plain loss.backward()": lambda: train(plain=True),
               "model.backward(loss)": lambda: train(plain=False),
               "no_sync": accumulate, "missing gradients": missing_gradients,
               "disagreements": disagreements}
"""The checks of mode ``hooks``, run in one launch: the name each reports under, and the check."""


def hooks(timeout: float) -> None:
    """Run every check of HOOK_CHECKS and print ``rank R: NAME passed`` or the failure for
    each, so that one launch serves several tests (a failed check may leave the ranks out of
    step: later ones then fail or time out)."""
    dist.init(timeout=timeout)
    for name, check in HOOK_CHECKS.items():
        try:
            check()
        except Exception as error:  # reported, and the next check runs
            print(f"rank {dist.rank()}: {name} FAILED: {type(error).__name__}: {error}",
                  flush=True)
        else:
            print(f"rank {dist.rank()}: {name} passed", flush=True)


def collectives(timeout: float) -> None:
    """all_reduce (every op, float and int, CPU and a stand-in device), broadcast, barrier."""
    dist.init(timeout=timeout)
    rank, size = dist.rank(), dist.world_size()
    base = np.arange(6, dtype=np.float64).reshape(2, 3)
    ranks = np.arange(size)
    expected = {"sum": base * ranks.sum(), "mean": base * ranks.mean(),
                "max": base * ranks.max(), "min": base * ranks.min()}
    for op, values in expected.items():
        tensor = mu.variable(base * rank)
        assert dist.all_reduce(tensor, op) is tensor
        np.testing.assert_allclose(tensor.numpy(), values, rtol=1e-15)
    counts = mu.constant(np.array([rank + 1, 10 * rank], dtype=np.int64))
    dist.all_reduce(counts)
    np.testing.assert_array_equal(counts.numpy(), [size * (size + 1) // 2,
                                                   10 * size * (size - 1) // 2])
    single = mu.variable(np.array(float(rank), dtype=np.float32))
    dist.all_reduce(single, "max")
    assert single.dtype == np.float32 and single.item() == size - 1

    root = size - 1
    message = mu.constant(np.full((3, 2), rank, dtype=np.int32))
    dist.broadcast(message, root=root)
    np.testing.assert_array_equal(message.numpy(), np.full((3, 2), root))
    flags = mu.constant(np.array([rank == 0, rank != 0]))
    dist.broadcast(flags)
    np.testing.assert_array_equal(flags.numpy(), [True, False])

    sys.path.insert(0, str(Path(__file__).parent))
    import fake_cupy

    with fake_cupy.registered() as device:
        on_device = mu.variable(base * rank, device=device)
        dist.all_reduce(on_device, "mean")
        assert on_device.device == device
        np.testing.assert_allclose(on_device.numpy(), expected["mean"], rtol=1e-15)
    dist.barrier()
    for bad_call, error in ((lambda: dist.all_reduce(base), TypeError),  # type: ignore[type-var]
                            (lambda: dist.all_reduce(mu.variable(base), "prod"), ValueError),
                            (lambda: dist.broadcast(mu.variable(base), root=size), ValueError),
                            (lambda: dist.all_reduce(counts, "mean"), TypeError),
                            (lambda: dist.DataParallel(base), TypeError),  # type: ignore[arg-type]
                            (lambda: dist.DataParallel(TwoLayer(), 0), ValueError),
                            (lambda: dist.init(), RuntimeError)):
        try:
            bad_call()
        except error:
            continue
        raise AssertionError(f"expected {error.__name__}")
    print(f"rank {rank}: collectives match", flush=True)


def device_path() -> None:
    """On a stand-in device (staged through the host), DataParallel trains like on the CPU."""
    sys.path.insert(0, str(Path(__file__).parent))
    import fake_cupy

    with fake_cupy.registered():
        dist.init(device="fake", timeout=20)
        device = dist.device()
        assert device == "fake:0", device
        mu.seed(dist.rank())
        on_cpu = dist.DataParallel(TwoLayer())
        on_device = dist.DataParallel(TwoLayer().to(device))
        on_device.load_state_dict(on_cpu.state_dict())
        optimizers = [SGD(model.parameters(), lr=0.1) for model in (on_cpu, on_device)]
        data_rng = np.random.default_rng(dist.rank())
        for _ in range(3):
            x = data_rng.standard_normal((BATCH_PER_RANK, IN_FEATURES))
            for model, optimizer, where in zip((on_cpu, on_device), optimizers,
                                               ("cpu", device), strict=True):
                loss = (model(mu.constant(x, device=where)) ** 2).mean()
                optimizer.zero_grad()
                model.backward(loss)
                optimizer.step()
        for name, parameter in on_device.named_parameters():
            assert parameter.device == device, name
            if name != "unused":
                assert parameter.grad().device == device, name
        expected = {name: tensor.numpy() for name, tensor in on_cpu.state_dict().items()}
        for name, tensor in on_device.state_dict().items():
            np.testing.assert_allclose(tensor.numpy(), expected[name], rtol=1e-12,
                                       err_msg=name)
        assert_same_everywhere(expected)
    print(f"rank {dist.rank()}: device training matches", flush=True)


def shard() -> None:
    """DataLoader(shard=True) batches are disjoint, cover every row, and come in equal numbers."""
    dist.init(timeout=20)
    rank, size = dist.rank(), dist.world_size()
    mu.seed(rank)  # ranks seeded differently must still agree on the shuffled order
    length = 3 * 2 * size + size + 1  # three full global batches of 2 per rank, and a rest
    rows = np.arange(length)
    for shuffle in (False, True):
        loader = mu.data.DataLoader([rows, rows * 10], batch_size=2, shuffle=shuffle,
                                    shard=True)
        batches = [(ids.numpy(), tens.numpy()) for ids, tens in loader]
        assert len(batches) == len(loader) == 4
        for ids, tens in batches:
            np.testing.assert_array_equal(tens, ids * 10)
        times_seen = mu.constant(np.bincount(np.concatenate([ids for ids, _ in batches]),
                                             minlength=length))
        dist.all_reduce(times_seen)
        np.testing.assert_array_equal(times_seen.numpy(), np.ones(length), err_msg=str(shuffle))
    print(f"rank {rank}: shards are disjoint and complete", flush=True)


def mismatch() -> None:
    """The last rank's model has another hidden size: every rank must raise, naming it."""
    dist.init(timeout=20)
    hidden = HIDDEN + 1 if dist.rank() == dist.world_size() - 1 else HIDDEN
    try:
        dist.DataParallel(TwoLayer(hidden))
    except dist.DistributedError as error:
        print(f"rank {dist.rank()}: {error}", flush=True)
        sys.exit(3)
    raise AssertionError("DataParallel accepted different models")


def fault(mode: str, timeout: float) -> None:
    """Rank 1 fails (raises, or hangs) at step 3 of training; the others must not hang."""
    dist.init(timeout=timeout, abort_on_error=mode != "fault-raise")
    mu.seed(0)
    dp = dist.DataParallel(TwoLayer())
    optimizer = SGD(dp.parameters(), lr=0.01)
    x = mu.constant(np.ones((BATCH_PER_RANK, IN_FEATURES)))
    for step in range(10):
        if dist.rank() == 1 and step == 3:
            if mode == "fault-hang":
                time.sleep(120)
            raise ValueError("injected failure on rank 1")
        loss = (dp(x) ** 2).mean()
        optimizer.zero_grad()
        dp.backward(loss)
        optimizer.step()


def main() -> None:
    mode = sys.argv[1]
    timeout = float(sys.argv[2]) if len(sys.argv) > 2 else 20.0
    if mode == "hooks":
        hooks(timeout)
    elif mode == "collectives":
        collectives(timeout)
    elif mode == "device":
        device_path()
    elif mode == "shard":
        shard()
    elif mode == "mismatch":
        mismatch()
    elif mode.startswith("fault-"):
        fault(mode, timeout)
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main()
