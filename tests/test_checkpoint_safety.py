"""Checkpoint safety: what ``mu.save`` / ``mu.load`` guarantee when things go wrong.

- Every layer's state dict, and every optimizer's state (flattened into names, as the
  safetensors format holds only flat name -> array maps), round-trips bit for bit, and
  training resumed from it continues bit for bit.
- A file truncated anywhere (at every byte of the header, at a sample of offsets in the data)
  or with any single header byte damaged is refused: ``mu.load`` raises a ``ValueError``
  naming the file, or, where the damaged header still parses (a changed name, a dtype of the
  same size), ``load_state_dict`` raises naming the key; either way the model it was meant for
  is left untouched. (The format has no checksum: damaged tensor *data* loads as damaged
  values.)
- A save killed with SIGKILL at any moment, mid-write included, leaves the previous checkpoint
  intact and loadable; where the system offers unnamed temporary files (Linux's
  ``O_TMPFILE``), nothing else, except, if the kill falls in the instant between naming the
  finished file and renaming it, a complete copy named ``.NAME.<16 hex digits>.tmp``;
  elsewhere, a partial ``.NAME.<16 hex digits>.tmp`` (never read by ``load``).
- Loading never executes code from the file: pickles and Python-looking headers are refused,
  and the sentinel file their code would create never appears.
- A header that claims huge sizes is refused before anything of that size is allocated (a
  subprocess under a tight address-space limit sees ``ValueError``, never ``MemoryError``).
- ``load_state_dict`` names each missing, unexpected, wrongly shaped or wrongly typed key and
  changes nothing when any is wrong.
"""

from __future__ import annotations

import json
import os
import pickle
import random
import re
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin.io import load, save
from mushin.nn import activations, losses
from mushin.nn.layers import (
    AvgPool2D,
    BatchNorm1D,
    BatchNorm2D,
    Conv2D,
    Dropout,
    Embedding,
    Flatten,
    LayerNorm,
    Linear,
    MaxPool2D,
    Sequential,
)
from mushin.nn.layers.attention import MultiHeadAttention
from mushin.nn.layers.recurrent import GRU, LSTM, RNN
from mushin.nn.module import Module
from mushin.nn.optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop

pytest.importorskip("safetensors")

Array = np.ndarray[Any, Any]

# --- layers and their inputs -------------------------------------------------------------------

MakeInputs = Callable[[np.random.Generator], tuple[Any, ...]]
"""The inputs a layer is run on (to move running statistics, and to compare outputs)."""

LAYERS: dict[str, tuple[Callable[..., Module], MakeInputs]] = {
    "Linear": (lambda **kw: Linear(5, 3, **kw), lambda rng: (rng.normal(size=(4, 5)),)),
    "Conv2D": (lambda **kw: Conv2D(2, 3, 3, stride=1, padding=1, **kw),
               lambda rng: (rng.normal(size=(2, 2, 5, 5)),)),
    "BatchNorm1D": (lambda **kw: BatchNorm1D(4, **kw), lambda rng: (rng.normal(size=(6, 4)),)),
    "BatchNorm2D": (lambda **kw: BatchNorm2D(3, **kw),
                    lambda rng: (rng.normal(size=(2, 3, 4, 4)),)),
    "LayerNorm": (lambda **kw: LayerNorm(6, **kw), lambda rng: (rng.normal(size=(3, 6)),)),
    "Embedding": (lambda **kw: Embedding(10, 4, **kw),
                  lambda rng: (mu.constant(rng.integers(0, 10, size=(3, 5))),)),
    "RNN": (lambda **kw: RNN(3, 4, num_layers=2, batch_first=True, **kw),
            lambda rng: (rng.normal(size=(2, 5, 3)),)),
    "LSTM": (lambda **kw: LSTM(3, 4, bidirectional=True, batch_first=True, **kw),
             lambda rng: (rng.normal(size=(2, 5, 3)),)),
    "GRU": (lambda **kw: GRU(3, 4, batch_first=True, **kw),
            lambda rng: (rng.normal(size=(2, 5, 3)),)),
    "MultiHeadAttention": (lambda **kw: MultiHeadAttention(8, 2, batch_first=True, **kw),
                           lambda rng: (rng.normal(size=(2, 3, 8)),) * 3),
    "Dropout": (lambda **kw: Dropout(0.5, **kw), lambda rng: (rng.normal(size=(3, 4)),)),
    "Flatten": (lambda **kw: Flatten(**kw), lambda rng: (rng.normal(size=(2, 3, 4)),)),
    "MaxPool2D": (lambda **kw: MaxPool2D(2, **kw), lambda rng: (rng.normal(size=(1, 2, 4, 4)),)),
    "AvgPool2D": (lambda **kw: AvgPool2D(2, **kw), lambda rng: (rng.normal(size=(1, 2, 4, 4)),)),
    "Sequential": (lambda **kw: Sequential(Linear(4, 6, **kw), activations.relu,
                                           BatchNorm1D(6, **kw), Linear(6, 2, **kw)),
                   lambda rng: (rng.normal(size=(5, 4)),)),
}


def _bits(array: Array) -> bytes:
    return np.ascontiguousarray(array).tobytes()


def _snapshot(module: Module) -> dict[str, tuple[str, tuple[int, ...], bytes]]:
    """Every parameter and buffer: dtype, shape and bytes (to compare bit for bit)."""
    return {name: (str(value.dtype), value.shape, _bits(value.numpy()))
            for name, value in module.state_dict().items()}


def _forward(module: Module, inputs: tuple[Any, ...], dtype: str) -> Array:
    arguments = [value if isinstance(value, mu.Tensor) else mu.constant(value.astype(dtype))
                 for value in inputs]
    output = module(*arguments)
    if isinstance(output, tuple):  # recurrent layers and attention: (output, state/weights)
        output = output[0]
    return np.asarray(output.numpy())


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layers_state_round_trips_bit_exactly(tmp_path: Path, name: str,
                                                    dtype: str) -> None:
    make, make_inputs = LAYERS[name]
    inputs = make_inputs(np.random.default_rng(0))
    mu.seed(1)
    original = make(dtype=dtype)
    _forward(original, inputs, dtype)  # training mode: running statistics move off their start
    path = tmp_path / f"{name}.safetensors"
    save(path, original)

    mu.seed(2)
    restored = make(dtype=dtype)
    restored.load_state_dict(load(path))
    assert _snapshot(restored) == _snapshot(original)
    original.freeze()
    restored.freeze()
    np.testing.assert_array_equal(_forward(restored, inputs, dtype),
                                  _forward(original, inputs, dtype))


# --- optimizers -------------------------------------------------------------------------------

OPTIMIZERS: dict[str, Callable[[list[Any]], Optimizer]] = {
    "SGD": lambda params: SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adam": lambda params: Adam(params, lr=1e-2, amsgrad=True, weight_decay=1e-3),
    "AdamW": lambda params: AdamW(params, lr=1e-2),
    "RMSprop": lambda params: RMSprop(params, lr=1e-2, momentum=0.5, centered=True),
    "Adagrad": lambda params: Adagrad(params, lr=0.1, lr_decay=1e-3),
}


def _flatten_optimizer_state(state: dict[str, Any]) -> dict[str, Any]:
    """An optimizer's ``state_dict()["state"]`` as flat names: ``state.<index>.<key>``."""
    flat: dict[str, Any] = {}
    for index, entry in state["state"].items():
        for key, value in entry.items():
            flat[f"state.{index}.{key}"] = np.asarray(value, dtype=np.int64) if isinstance(
                value, int) else value
    return flat


def _unflatten_optimizer_state(flat: dict[str, Any],
                               param_groups: list[dict[str, Any]]) -> dict[str, Any]:
    state: dict[int, dict[str, Any]] = {}
    for name, value in flat.items():
        _, index, key = name.split(".", 2)
        state.setdefault(int(index), {})[key] = value
    return {"state": state, "param_groups": param_groups}


def _train(model: Module, optimizer: Optimizer, steps: int) -> None:
    rng = np.random.default_rng(7)
    inputs = rng.normal(size=(8, 4))
    targets = rng.integers(0, 2, size=8)
    for _ in range(steps):
        optimizer.zero_grad()
        losses.cross_entropy(model(mu.constant(inputs)), mu.constant(targets)).backward()
        optimizer.step()


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizers_state_round_trips_and_training_resumes_bit_exactly(
        tmp_path: Path, name: str) -> None:
    make_model = LAYERS["Sequential"][0]
    mu.seed(3)
    model = make_model(dtype="float64")
    optimizer = OPTIMIZERS[name](model.parameters())
    _train(model, optimizer, 3)
    saved_state = optimizer.state_dict()
    save(tmp_path / "model.safetensors", model)
    save(tmp_path / "optimizer.safetensors", _flatten_optimizer_state(saved_state))

    mu.seed(4)
    resumed_model = make_model(dtype="float64")
    resumed = OPTIMIZERS[name](resumed_model.parameters())
    resumed_model.load_state_dict(load(tmp_path / "model.safetensors"))
    resumed.load_state_dict(_unflatten_optimizer_state(
        load(tmp_path / "optimizer.safetensors"), saved_state["param_groups"]))
    assert {key: _bits(np.asarray(value)) for key, value in _flatten_optimizer_state(
        resumed.state_dict()).items()} == {key: _bits(np.asarray(value)) for key, value in
                                           _flatten_optimizer_state(saved_state).items()}

    _train(model, optimizer, 4)
    _train(resumed_model, resumed, 4)
    assert _snapshot(resumed_model) == _snapshot(model)


# --- truncated and damaged files ---------------------------------------------------------------

def _checkpoint(tmp_path: Path) -> tuple[Module, bytes, int]:
    """A trained little model, its checkpoint's bytes and where the header ends."""
    mu.seed(5)
    model = LAYERS["Sequential"][0]()
    _train(model, SGD(model.parameters(), lr=0.1), 2)
    save(tmp_path / "good.safetensors", model)
    payload = (tmp_path / "good.safetensors").read_bytes()
    return model, payload, 8 + struct.unpack("<Q", payload[:8])[0]


def _load_into(module: Module, path: Path) -> None:
    """The usual resume: ``module.load_state_dict(mu.load(path))``."""
    module.load_state_dict(load(path))


def test_truncated_files_are_refused_and_leave_the_model_untouched(tmp_path: Path) -> None:
    model, payload, header_end = _checkpoint(tmp_path)
    mu.seed(6)
    target = LAYERS["Sequential"][0]()
    before = _snapshot(target)
    path = tmp_path / "cut.safetensors"
    data_offsets = np.linspace(header_end + 1, len(payload) - 1, 60).astype(int)
    for size in [*range(header_end + 1), *data_offsets]:
        path.write_bytes(payload[:size])
        with pytest.raises(ValueError, match=r"truncated|corrupt|not a safetensors") as raised:
            _load_into(target, path)
        assert "cut.safetensors" in str(raised.value), size
        assert _snapshot(target) == before, f"the model changed after a cut at byte {size}"
    path.write_bytes(payload)
    _load_into(target, path)
    assert _snapshot(target) == _snapshot(model)


def test_every_damaged_header_byte_is_refused(tmp_path: Path) -> None:
    """Each header byte of a checkpoint replaced by a few others: ``mu.load`` refuses with a
    ``ValueError`` naming the file, or the header still parses (a name, a dtype of the same
    size) and ``load_state_dict`` refuses, naming the key, without changing anything."""
    _, payload, header_end = _checkpoint(tmp_path)
    mu.seed(6)
    target = LAYERS["Sequential"][0]()
    untouched = _snapshot(target)
    path = tmp_path / "damaged.safetensors"
    outcomes = {"load refused": 0, "load_state_dict refused": 0}
    for position in range(header_end):
        original = payload[position]
        for replacement in {original ^ 0x01, original ^ 0x10, ord("9"), ord('"'), 0xFF}:
            if replacement == original:
                continue
            path.write_bytes(payload[:position] + bytes([replacement]) + payload[position + 1:])
            try:
                state = load(path)
            except ValueError as error:
                assert "damaged.safetensors" in str(error)
                outcomes["load refused"] += 1
                continue
            with pytest.raises(ValueError, match=r"'[0-9]+\.\w+'") as raised:
                target.load_state_dict(state)
            assert _snapshot(target) == untouched, f"byte {position}: {raised.value}"
            outcomes["load_state_dict refused"] += 1
    # Both lines of defence were exercised, many times.
    assert outcomes["load refused"] > header_end
    assert outcomes["load_state_dict refused"] > 10


# --- killed saves ---------------------------------------------------------------------------------

_SAVER = """
import itertools, sys
import numpy as np
from mushin import _atomic, io
path, mode, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
if mode == "named":
    _atomic._open_unnamed = lambda directory: None
size = 3_000_000
for version in itertools.count(first):
    io.save(path, {"version": np.array(version), "a": np.full(size, version, np.float32),
                   "b": np.full(size // 2, -version, np.float64)})
    print(version, flush=True)
"""

_LEFTOVER = re.compile(r"^\.ckpt\.safetensors\.[0-9a-f]{16}\.tmp$")


def _writing(pid: int, directory: Path) -> bool:
    """Whether process ``pid`` has a file in ``directory`` open: a save writing its data."""
    try:
        descriptors = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for descriptor in descriptors:
        try:
            target = os.readlink(f"/proc/{pid}/fd/{descriptor}")
        except OSError:
            continue
        if target.startswith(f"{directory}{os.sep}"):
            return True
    return False


def _check_consistent(state: dict[str, Any], at_least: int) -> int:
    version = int(state["version"].item())
    assert version >= at_least
    a, b = state["a"].numpy(), state["b"].numpy()
    assert a.shape == (3_000_000,) and b.shape == (1_500_000,)
    assert np.all(a == version) and np.all(b == -version)
    return version


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="watches /proc (Linux)")
@pytest.mark.parametrize("mode", ["unnamed", "named"])
def test_a_save_killed_at_any_moment_leaves_the_previous_checkpoint(tmp_path: Path,
                                                                    mode: str) -> None:
    """Half the kills land at random moments, half while the saver has its temporary file
    open (seen in /proc): mid-write for sure. ``named`` forces the fallback used where
    unnamed temporary files are not available."""
    path = tmp_path / "ckpt.safetensors"
    chooser = random.Random(8)
    completed = -1
    kills_mid_write = 0
    for round_number in range(6):
        saver = subprocess.Popen([sys.executable, "-c", _SAVER, str(path), mode,
                                  str(completed + 1)], stdout=subprocess.PIPE, text=True)
        assert saver.stdout is not None
        completed = int(saver.stdout.readline())  # a complete checkpoint exists from here on
        if round_number % 2:
            deadline = time.monotonic() + 10
            while not _writing(saver.pid, tmp_path) and time.monotonic() < deadline:
                time.sleep(0.0005)
            kills_mid_write += _writing(saver.pid, tmp_path)
        else:
            time.sleep(chooser.uniform(0.0, 0.2))
        saver.send_signal(signal.SIGKILL)
        rest, _ = saver.communicate(timeout=30)
        completed = max([completed, *(int(line) for line in rest.split())])
        completed = _check_consistent(load(path), completed)

        for leftover in sorted(tmp_path.iterdir()):
            if leftover == path:
                continue
            assert _LEFTOVER.match(leftover.name), f"stray file {leftover.name}"
            if mode == "unnamed":
                # Only the instant between naming the finished file and renaming it.
                _check_consistent(load(leftover), 0)
            leftover.unlink()
    assert kills_mid_write >= 2


# --- files that would run code -------------------------------------------------------------------

class _Payload:
    """Unpickling this creates the sentinel directory: what a malicious checkpoint does."""

    def __init__(self, sentinel: Path) -> None:
        self.sentinel = str(sentinel)

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (self.sentinel,))


def _header_file(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


def test_loading_never_executes_code_from_the_file(tmp_path: Path) -> None:
    sentinel = tmp_path / "sentinel"
    payload = pickle.dumps({"weight": _Payload(sentinel)})
    command = f"__import__('os').mkdir({str(sentinel)!r})".encode()
    hostile = {
        "pickle.pt": payload,
        "pickle-after-a-length.safetensors": struct.pack("<Q", len(payload)) + payload,
        "python-header.safetensors": _header_file(command),
        "python-in-a-name.safetensors": _header_file(json.dumps({command.decode(): {
            "dtype": "U8", "shape": [len(payload)], "data_offsets": [0, len(payload)]}}).encode(),
            payload),
        "python-in-metadata.safetensors": _header_file(json.dumps({"__metadata__": {
            "format": command.decode()}}).encode()),
        "numpy-object-array.npy": b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': "
                                  b"False, 'shape': (1,), }" + b" " * 60 + b"\n" + payload,
    }
    torch = _optional_torch()
    if torch is not None:
        torch.save({"weight": _Payload(sentinel)}, tmp_path / "torch.pt")
    for name, content in hostile.items():
        (tmp_path / name).write_bytes(content)

    for path in sorted(tmp_path.iterdir()):
        try:
            state = load(path)
        except ValueError as error:
            assert path.name in str(error)
        else:
            # Names and metadata stay strings; the pickle's bytes stay bytes.
            assert all(isinstance(value, mu.Constant) for value in state.values())
            for value in state.values():
                assert value.dtype == np.uint8
        assert not sentinel.exists(), f"loading {path.name} ran code from it"
    with pytest.raises(ValueError):
        load(tmp_path / "pickle.pt")
    assert not sentinel.exists()


def _optional_torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    return torch


# --- huge claims ----------------------------------------------------------------------------------

_LIMITED_LOADER = """
import json, resource, sys, tracemalloc
import safetensors.numpy
from mushin.io import load

def virtual_memory():
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

headroom = 96 * 1024 * 1024
resource.setrlimit(resource.RLIMIT_AS, (virtual_memory() + headroom, resource.RLIM_INFINITY))
try:
    bytearray(2 * headroom)
except MemoryError:
    pass
else:
    raise SystemExit("the address-space limit does not bite")
results = {}
for path in sys.argv[1:]:
    tracemalloc.start()
    try:
        load(path)
        outcome = "loaded"
    except ValueError as error:
        outcome = "ValueError: " + str(error)
    except MemoryError:
        outcome = "MemoryError"
    results[path] = [outcome, tracemalloc.get_traced_memory()[1]]
    tracemalloc.stop()
print(json.dumps(results))
"""


def _huge_claims() -> dict[str, bytes]:
    def header(entries: dict[str, Any], data: bytes = b"") -> bytes:
        return _header_file(json.dumps(entries).encode(), data)

    gigabytes = 8 * 2**30
    return {
        "header-length-2^63": struct.pack("<Q", 2**63 - 1) + b"{}",
        "header-length-99MB": struct.pack("<Q", 99_000_000) + b"{}" + b" " * 100,
        "tensor-8GB-no-data": header({"w": {"dtype": "F64", "shape": [2**30],
                                            "data_offsets": [0, gigabytes]}}),
        "shape-10^12-squared": header({"w": {"dtype": "F32", "shape": [10**12, 10**12],
                                             "data_offsets": [0, 16]}}, b"\0" * 16),
        "offsets-past-2^64": header({"w": {"dtype": "U8", "shape": [2**65],
                                           "data_offsets": [0, 2**65]}}),
        "many-tensors-8GB-each": header({f"w{index}": {
            "dtype": "F64", "shape": [2**30], "data_offsets": [0, gigabytes]}
            for index in range(100)}),
        "nested-100000-deep": _header_file(b"[" * 100_000 + b"]" * 100_000),
        "5000-digit-size": _header_file(b'{"w": {"dtype": "U8", "shape": [' + b"9" * 5000
                                        + b'], "data_offsets": [0, 1]}}', b"\0"),
    }


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc and RLIMIT_AS")
def test_huge_claims_are_refused_without_allocating_them(tmp_path: Path) -> None:
    paths = []
    for name, content in _huge_claims().items():
        path = tmp_path / f"{name}.safetensors"
        path.write_bytes(content)
        paths.append(str(path))
    completed = subprocess.run([sys.executable, "-c", _LIMITED_LOADER, *paths],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    for path, (outcome, peak) in results.items():
        name = Path(path).name
        assert outcome.startswith("ValueError: load: "), f"{name}: {outcome}"
        assert name in outcome
        assert peak < 2 * 2**20, f"{name}: {peak} bytes allocated to refuse it"


# --- load_state_dict names what is wrong ----------------------------------------------------------

def _state_of(module: Module) -> dict[str, Array]:
    return {name: value.numpy() for name, value in module.state_dict().items()}


@pytest.mark.parametrize(("change", "message"), [
    (lambda state: state.pop("0.weight"), r"missing keys \['0\.weight'\]"),
    (lambda state: state.update({"9.weight": np.ones(2)}), r"unexpected keys \['9\.weight'\]"),
    (lambda state: state.update({"3.bias": np.ones(3)}),
     r"'3\.bias': expected shape \(2,\), got \(3,\)"),
    (lambda state: state.update({"0.weight": np.ones((6, 4), dtype=np.int64)}),
     r"'0\.weight': expected float32, got int64"),
    (lambda state: state.update({"2.running_mean": np.ones(6, dtype=bool)}),
     r"'2\.running_mean': expected float32, got bool"),
    (lambda state: state.update({"2.num_batches_tracked": np.array(1.5)}),
     r"'2\.num_batches_tracked': expected int64, got float64"),
])
def test_load_state_dict_names_every_wrong_key_and_changes_nothing(
        change: Callable[[dict[str, Array]], Any], message: str) -> None:
    mu.seed(9)
    source = LAYERS["Sequential"][0]()
    _forward(source, (np.ones((3, 4)),), "float32")
    mu.seed(10)
    target = LAYERS["Sequential"][0]()
    before = _snapshot(target)
    state = _state_of(source)
    change(state)
    with pytest.raises(ValueError, match=message):
        target.load_state_dict(state)
    assert _snapshot(target) == before


def test_load_state_dict_names_all_problems_at_once() -> None:
    mu.seed(11)
    target = LAYERS["Sequential"][0]()
    state = _state_of(target)
    del state["0.bias"]
    state["extra"] = np.zeros(1)
    state["3.weight"] = np.zeros((3, 3), dtype=np.float32)
    state["0.weight"] = state["0.weight"].astype(np.int32)
    with pytest.raises(ValueError) as raised:
        target.load_state_dict(state)
    for fragment in ("'0.bias'", "'extra'", "'3.weight'", "expected shape (2, 6)",
                     "'0.weight': expected float32, got int32"):
        assert fragment in str(raised.value)
