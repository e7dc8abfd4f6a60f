"""Checkpoints: bit-exact round trips, atomic saves, and refusing damaged or hostile files."""

from __future__ import annotations

import importlib
import json
import os
import pickle
import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin._tensor import storage
from mushin.io import load, save

safetensors_numpy = pytest.importorskip("safetensors.numpy")


def _arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 5e-324, 1.7976931348623157e308])
    return {
        "float64": np.concatenate([rng.normal(size=10), special]).reshape(4, 4),
        "float32": rng.normal(size=(2, 3, 5)).astype(np.float32),
        "float16": rng.normal(size=(7,)).astype(np.float16),
        "int64": rng.integers(-2**62, 2**62, size=(3, 2)),
        "int32": rng.integers(-100, 100, size=(6,), dtype=np.int32),
        "uint8": rng.integers(0, 256, size=(2, 2), dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "scalar": np.array(3.25),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "transposed": rng.normal(size=(3, 4)).T,
        "big-endian": np.arange(5, dtype=">f8"),
    }


def _bits(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<")).tobytes()


def test_round_trip_is_bit_exact(tmp_path: Path) -> None:
    arrays = _arrays()
    path = tmp_path / "arrays.safetensors"
    save(path, arrays)
    loaded = load(path)
    assert set(loaded) == set(arrays)
    for name, array in arrays.items():
        value = loaded[name]
        assert isinstance(value, mu.Constant), name
        assert value.device == "cpu"
        assert value.shape == array.shape, name
        assert value.dtype == array.dtype.newbyteorder("="), name
        assert _bits(value.numpy()) == _bits(array), name


def test_tensors_and_modules(tmp_path: Path) -> None:
    weight = mu.variable(np.arange(6.0).reshape(2, 3))
    labels = mu.constant(np.array([1, 0, 2]))

    class Tiny:
        def state_dict(self) -> dict[str, Any]:
            return {"layer.weight": weight, "layer.labels": labels}

    save(str(tmp_path / "tiny.safetensors"), Tiny())
    loaded = load(str(tmp_path / "tiny.safetensors"))
    np.testing.assert_array_equal(loaded["layer.weight"].numpy(), weight.numpy())
    assert loaded["layer.labels"].dtype == np.int64
    np.testing.assert_array_equal(loaded["layer.labels"].numpy(), [1, 0, 2])
    # Loaded arrays are the caller's own: writable, not views of a shared buffer.
    assert storage(loaded["layer.weight"]).flags.writeable


def test_interoperates_with_the_safetensors_library(tmp_path: Path) -> None:
    arrays: dict[str, np.ndarray] = {"a": np.arange(4, dtype=np.float32), "b": np.eye(2)}
    theirs = tmp_path / "theirs.safetensors"
    safetensors_numpy.save_file(arrays, str(theirs))
    assert all(np.array_equal(load(theirs)[name].numpy(), value)
               for name, value in arrays.items())
    ours = tmp_path / "ours.safetensors"
    save(ours, arrays)
    read = safetensors_numpy.load_file(str(ours))
    assert all(np.array_equal(read[name], value) for name, value in arrays.items())


def test_saves_from_a_device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parent))
    with importlib.import_module("fake_cupy").registered() as device:
        on_device = mu.variable(np.array([1.5, -2.0]), device=device)
        save(tmp_path / "device.safetensors", {"x": on_device, "raw": on_device.array()})
    loaded = load(tmp_path / "device.safetensors")
    assert loaded["x"].device == "cpu"
    np.testing.assert_array_equal(loaded["raw"].numpy(), [1.5, -2.0])


def test_file_permissions_follow_the_umask(tmp_path: Path) -> None:
    mask = os.umask(0o027)
    try:
        save(tmp_path / "m.safetensors", {"a": np.zeros(2)})
    finally:
        os.umask(mask)
    assert (tmp_path / "m.safetensors").stat().st_mode & 0o777 == 0o640


# --- damaged and hostile files ---------------------------------------------------------------

def _valid_file(tmp_path: Path) -> bytes:
    save(tmp_path / "valid.safetensors", {"w": np.arange(12.0).reshape(3, 4),
                                          "b": np.arange(3, dtype=np.int32)})
    return (tmp_path / "valid.safetensors").read_bytes()


def test_truncated_files_are_refused(tmp_path: Path) -> None:
    payload = _valid_file(tmp_path)
    header_end = 8 + struct.unpack("<Q", payload[:8])[0]
    path = tmp_path / "cut.safetensors"
    for size in (0, 3, 7, 8, 20, header_end - 1, header_end, header_end + 5, len(payload) - 1):
        path.write_bytes(payload[:size])
        with pytest.raises(ValueError, match=r"truncated|corrupt"):
            load(path)


def _with_header(header: Any, data: bytes = b"", length: int | None = None) -> bytes:
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(text) if length is None else length) + text + data


@pytest.mark.parametrize(("payload", "message"), [
    (_with_header(b"{not json", b"\0" * 8), "not valid JSON"),
    (_with_header(b"\xff\xfe{}"), "not valid JSON"),
    (_with_header([1, 2]), "must be a JSON object"),
    (_with_header({"w": {"dtype": "F64", "shape": [2]}}, b"\0" * 16), "exactly dtype"),
    (_with_header({"w": {"dtype": "F64", "shape": [3], "data_offsets": [0, 16]}}, b"\0" * 16),
     "spans 16 bytes"),
    (_with_header({"w": {"dtype": "F64", "shape": [2], "data_offsets": [0, 24]}}, b"\0" * 16),
     "outside the 16-byte data section"),
    (_with_header({"w": {"dtype": "F64", "shape": [-2], "data_offsets": [0, 16]}}, b"\0" * 16),
     "invalid shape"),
    (_with_header({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, b"\0" * 4),
     "NumPy cannot hold"),
    (_with_header({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                   "v": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 8),
     "not a valid safetensors file"),
])
def test_corrupt_headers_are_refused(tmp_path: Path, payload: bytes, message: str) -> None:
    path = tmp_path / "bad.safetensors"
    path.write_bytes(payload)
    with pytest.raises(ValueError, match=message):
        load(path)


@pytest.mark.parametrize(("original", "damaged", "message"), [
    (b'{"', b'["', "not valid JSON"),
    (b'"shape":[3,4]', b'"shape":[3,5]', "spans 96 bytes"),
    (b'"dtype":"F64"', b'"dtype":"F32"', "spans 96 bytes"),
    (b'"dtype":"F64"', b'"dtype":"X64"', "NumPy cannot hold"),
    (b'"data_offsets":[0,', b'"data_offsets":[8,', "spans 88 bytes"),
])
def test_damaged_header_bytes_are_refused(tmp_path: Path, original: bytes, damaged: bytes,
                                          message: str) -> None:
    payload = _valid_file(tmp_path)
    assert payload.count(original) >= 1
    path = tmp_path / "damaged.safetensors"
    path.write_bytes(payload.replace(original, damaged, 1))
    with pytest.raises(ValueError, match=message):
        load(path)


@pytest.mark.parametrize("claimed", [2**63, 2**40, 100_000_001, 10_000])
def test_absurd_header_sizes_are_refused_before_reading(tmp_path: Path, claimed: int) -> None:
    path = tmp_path / "huge.safetensors"
    path.write_bytes(_with_header({}, length=claimed))
    with pytest.raises(ValueError, match=f"claims {claimed} bytes"):
        load(path)


def test_huge_claimed_shapes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "shape.safetensors"
    header = {"w": {"dtype": "F64", "shape": [10**12, 10**12], "data_offsets": [0, 16]}}
    path.write_bytes(_with_header(header, b"\0" * 16))
    with pytest.raises(ValueError, match="spans 16 bytes"):
        load(path)


def test_a_pickle_is_not_executed(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps({"w": [1.0, 2.0]}))
    with pytest.raises(ValueError, match=r"truncated|corrupt|not a safetensors"):
        load(path)


# --- atomic saves ----------------------------------------------------------------------------

def _leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".tmp"))


@pytest.mark.parametrize("failing", ["fsync", "replace", "write"])
def test_failed_save_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             failing: str) -> None:
    path = tmp_path / "ckpt.safetensors"
    save(path, {"w": np.array([1.0, 2.0])})
    before = path.read_bytes()

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise OSError(f"simulated {failing} failure")

    monkeypatch.setattr(os, failing, fail)
    with pytest.raises(OSError, match="simulated"):
        save(path, {"w": np.array([3.0, 4.0, 5.0])})
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    np.testing.assert_array_equal(load(path)["w"].numpy(), [1.0, 2.0])


def test_bad_values_touch_nothing(tmp_path: Path) -> None:
    path = tmp_path / "ckpt.safetensors"
    save(path, {"w": np.array([1.0])})
    before = path.read_bytes()
    with pytest.raises(TypeError, match="'bad' must be a tensor or an array, got list"):
        save(path, {"w": np.array([2.0]), "bad": [1.0, 2.0]})
    assert path.read_bytes() == before
    assert sorted(item.name for item in tmp_path.iterdir()) == ["ckpt.safetensors"]


# --- bad input -----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "error", "message"), [
    ({"w": 1.5}, TypeError, "must be a tensor or an array, got float"),
    ({"w": "text"}, TypeError, "must be a tensor or an array, got str"),
    ({"state": {"step": np.zeros(1)}}, TypeError, "nested dict"),
    ({1: np.zeros(1)}, TypeError, "non-empty str"),
    ({"": np.zeros(1)}, TypeError, "non-empty str"),
    ({"w": np.array(["a", "b"])}, TypeError, "has dtype <U1"),
    ({"w": np.zeros(2, dtype=complex)}, TypeError, "has dtype complex128"),
    ([np.zeros(1)], TypeError, "expected a module"),
    (42, TypeError, "expected a module"),
])
def test_bad_contents(tmp_path: Path, value: Any, error: type[Exception],
                      message: str) -> None:
    with pytest.raises(error, match=message):
        save(tmp_path / "x.safetensors", value)
    assert list(tmp_path.iterdir()) == []


def test_bad_paths(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match="is a directory"):
        save(tmp_path, {"w": np.zeros(1)})
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save(tmp_path / "missing" / "x.safetensors", {"w": np.zeros(1)})
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "absent.safetensors")
    with pytest.raises(TypeError, match="path must be a str"):
        save(3, {"w": np.zeros(1)})  # type: ignore[arg-type]


# --- resuming training: the recipe of docs/nn.md (Checkpoints) -----------------------------------

def _save_training(directory: Path, model: Any, optimizer: Any, scheduler: Any) -> None:
    save(directory / "model.safetensors", model)
    optimizer_state = optimizer.state_dict()
    save(directory / "optimizer.safetensors", {
        f"{index}.{key}": np.asarray(value) if isinstance(value, int) else value
        for index, entry in optimizer_state["state"].items() for key, value in entry.items()})
    (directory / "training.json").write_text(json.dumps({
        "param_groups": optimizer_state["param_groups"], "scheduler": scheduler.state_dict()}))


def _load_training(directory: Path, model: Any, optimizer: Any, scheduler: Any) -> None:
    model.load_state_dict(load(directory / "model.safetensors"))
    entries: dict[int, dict[str, Any]] = {}
    for name, value in load(directory / "optimizer.safetensors").items():
        index, key = name.split(".", 1)
        entries.setdefault(int(index), {})[key] = value
    extra = json.loads((directory / "training.json").read_text())
    optimizer.load_state_dict({"state": entries, "param_groups": extra["param_groups"]})
    scheduler.load_state_dict(extra["scheduler"])


def test_training_resumes_bit_for_bit(tmp_path: Path) -> None:
    from mushin.nn.layers import Linear
    from mushin.nn.losses import mse
    from mushin.nn.optimizers import Adam
    from mushin.nn.schedulers import StepLR

    rng = np.random.default_rng(0)
    inputs = mu.constant(rng.normal(size=(32, 3)).astype(np.float32))
    targets = mu.constant(rng.normal(size=(32, 2)).astype(np.float32))

    def setup() -> tuple[Any, Any, Any]:
        mu.seed(4)
        model = Linear(3, 2)
        optimizer = Adam(model.parameters(), lr=0.05, amsgrad=True)
        return model, optimizer, StepLR(optimizer, step_size=3, gamma=0.5)

    def train(model: Any, optimizer: Any, scheduler: Any, steps: int) -> None:
        for _ in range(steps):
            optimizer.zero_grad()
            mse(model(inputs), targets).backward()
            optimizer.step()
            scheduler.step()

    model, optimizer, scheduler = setup()
    train(model, optimizer, scheduler, 5)
    _save_training(tmp_path, model, optimizer, scheduler)
    train(model, optimizer, scheduler, 5)
    expected = {name: value.numpy() for name, value in model.state_dict().items()}

    resumed = setup()
    _load_training(tmp_path, *resumed)
    train(*resumed, 5)
    for name, value in resumed[0].state_dict().items():
        assert _bits(value.numpy()) == _bits(expected[name]), name


def test_save_takes_pytorchs_argument_order_too(tmp_path: Path) -> None:
    model = mu.nn.Linear(3, 2)
    mu.save(model.state_dict(), tmp_path / "torch_order.safetensors")  # torch.save(obj, path)
    mu.save(str(tmp_path / "crate_order.safetensors"), model)
    for name in ("torch_order", "crate_order"):
        loaded = mu.load(tmp_path / f"{name}.safetensors")
        np.testing.assert_array_equal(loaded["weight"].numpy(), model.weight.numpy())
    with pytest.raises(TypeError, match=r"save: path must be a str or os\.PathLike, got dict"):
        mu.save({"a": mu.zeros(2)}, {"b": mu.zeros(2)})  # type: ignore[call-overload]
