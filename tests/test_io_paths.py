"""Checkpoints and the paths they go to: reserved names, special files, permissions, owners,
symbolic links, and crafted headers whose every error names the file.

``torch.save`` is the oracle where it has a behaviour: it writes into the path, so a file's
mode and owner stay and a symbolic link is followed; ``mu.save`` does the same with an atomic
rename.
"""

from __future__ import annotations

import json
import os
import re
import socket
import stat
import struct
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import mushin as mu
from mushin import _atomic
from mushin.io import load, save

pytest.importorskip("safetensors.numpy")

OLD = {"w": np.arange(3.0)}
NEW = {"w": np.arange(5.0), "b": np.ones(2, dtype=np.float32)}


@pytest.fixture(params=["unnamed", "named"])
def temporary_kind(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Both ways a save writes its temporary file: unnamed (``O_TMPFILE``) and named."""
    if request.param == "named":
        def no_unnamed_files(directory: str) -> None:
            return None

        monkeypatch.setattr(_atomic, "_open_unnamed", no_unnamed_files)
    return str(request.param)


def _loaded(path: Path | str) -> dict[str, list[float]]:
    return {name: value.numpy().tolist() for name, value in load(path).items()}


def _leftovers(directory: Path) -> list[str]:
    return sorted(path.name for path in directory.iterdir() if path.name.endswith(".tmp"))


# --- reserved names --------------------------------------------------------------------------

def test_a_reserved_name_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save(path, OLD)
    before = path.read_bytes()
    for state in ({"__metadata__": np.zeros(2)}, {"w": np.zeros(2), "__metadata__": np.ones(1)}):
        with pytest.raises(ValueError, match=r"save: the name '__metadata__' is reserved"):
            save(path, state)
        with pytest.raises(ValueError, match=r"'__metadata__' is reserved"):
            mu.save(state, path)  # PyTorch's argument order
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []
    assert _loaded(path) == {"w": [0.0, 1.0, 2.0]}


# --- special files ---------------------------------------------------------------------------

def _load_within(path: Path, seconds: float) -> BaseException | None:
    """``load(path)``'s error, failing the test if the call is still waiting after
    ``seconds`` (then a writer is opened on the pipe, which ends the wait)."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load(path)
            outcome.append(None)
        except BaseException as error:  # handed to the test
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))  # release the blocked reader
        thread.join(seconds)
        pytest.fail(f"load({str(path)!r}) was still waiting on a named pipe after {seconds} s")
    return outcome[0]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_named_pipe_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.safetensors"
    os.mkfifo(path)
    error = _load_within(path, 5.0)
    assert isinstance(error, ValueError), repr(error)
    assert re.search(r"load: '.*pipe\.safetensors' is a named pipe \(FIFO\), not a regular "
                     "file", str(error)), str(error)
    with pytest.raises(ValueError, match=r"save: '.*pipe\.safetensors' is a named pipe"):
        save(path, OLD)
    assert stat.S_ISFIFO(path.lstat().st_mode)  # left as it was, not replaced by a file
    assert _leftovers(tmp_path) == []


def _special_files(tmp_path: Path) -> list[tuple[Path, str]]:
    """A socket and (where this user may make one) a character device, with their kinds."""
    found: list[tuple[Path, str]] = []
    if hasattr(socket, "AF_UNIX"):
        server = socket.socket(socket.AF_UNIX)
        server.bind(str(tmp_path / "sock"))
        server.close()  # the socket file stays
        found.append((tmp_path / "sock", "a socket"))
    try:  # the null device's numbers: reading it gives nothing, writing it is lost
        os.mknod(tmp_path / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        found.append((tmp_path / "null", "a character device"))
    except (OSError, AttributeError):
        pass  # not root, or a container that forbids devices
    return found


def test_devices_and_sockets_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"load: '/dev/null' is a character device"):
        load("/dev/null")
    for path, kind in _special_files(tmp_path):
        with pytest.raises(ValueError, match=f"load: '.*{path.name}' is {kind}, not a regular"):
            load(path)
        mode = path.lstat().st_mode
        with pytest.raises(ValueError, match=f"save: '.*{path.name}' is {kind}"):
            save(path, OLD)
        assert path.lstat().st_mode == mode
    assert _leftovers(tmp_path) == []


def test_directories_are_refused(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError, match=r"save: .* is a directory"):
        save(tmp_path, OLD)
    with pytest.raises(IsADirectoryError, match=r"load: .* is a directory"):
        load(tmp_path)
    (tmp_path / "link").symlink_to(tmp_path, target_is_directory=True)
    with pytest.raises(IsADirectoryError, match=r"save: .* is a directory"):
        save(tmp_path / "link", OLD)
    assert (tmp_path / "link").is_symlink()


# --- what re-saving keeps ----------------------------------------------------------------------

def _torch_mode_after_resave(path: Path, mode: int) -> int:
    """The mode a file of ``mode`` has after ``torch.save`` writes over it (the oracle)."""
    torch = pytest.importorskip("torch")
    path.write_bytes(b"old")
    path.chmod(mode)
    torch.save({"w": torch.zeros(1)}, path)
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o660, 0o755, 0o700], ids=oct)
def test_resaving_keeps_the_permission_bits(tmp_path: Path, temporary_kind: str,
                                            mode: int) -> None:
    expected = _torch_mode_after_resave(tmp_path / "torch.pt", mode)
    assert expected == mode
    path = tmp_path / "model.safetensors"
    save(path, OLD)
    path.chmod(mode)
    save(path, NEW)
    assert stat.S_IMODE(path.stat().st_mode) == expected
    assert _loaded(path)["b"] == [1.0, 1.0]
    assert _leftovers(tmp_path) == []


def test_a_new_file_follows_the_umask(tmp_path: Path) -> None:
    mask = os.umask(0o077)
    try:
        save(tmp_path / "new.safetensors", OLD)
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "new.safetensors").stat().st_mode) == 0o600


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root may give a file to another owner")
def test_resaving_keeps_the_owner_and_group(tmp_path: Path, temporary_kind: str) -> None:
    path = tmp_path / "model.safetensors"
    save(path, OLD)
    os.chown(path, 65534, 65534)  # nobody / nogroup
    path.chmod(0o600)
    save(path, NEW)
    status = path.stat()
    assert (status.st_uid, status.st_gid, stat.S_IMODE(status.st_mode)) == (65534, 65534, 0o600)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root may write any file")
def test_a_read_only_file_is_refused_as_torch_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "frozen.safetensors"
    save(path, OLD)
    path.chmod(0o444)
    before = path.read_bytes()
    with pytest.raises(PermissionError, match=r"save: '.*frozen\.safetensors' is read-only"):
        save(path, NEW)
    assert path.read_bytes() == before
    assert stat.S_IMODE(path.stat().st_mode) == 0o444


# --- symbolic links ------------------------------------------------------------------------

def test_saving_through_a_symbolic_link_writes_its_target(tmp_path: Path,
                                                          temporary_kind: str) -> None:
    storage = tmp_path / "storage"
    storage.mkdir()
    target = storage / "model-v1.safetensors"
    save(target, OLD)
    target.chmod(0o600)
    link = tmp_path / "latest.safetensors"
    link.symlink_to(os.path.relpath(target, tmp_path))  # relative, as `ln -s` makes them
    chain = tmp_path / "current.safetensors"
    chain.symlink_to(link.name)
    for path in (link, chain):
        save(path, NEW)
        assert link.is_symlink() and chain.is_symlink()
        assert os.readlink(link) == os.path.relpath(target, tmp_path)
        assert _loaded(target)["b"] == [1.0, 1.0]
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        save(path, OLD)
        assert _loaded(path) == {"w": [0.0, 1.0, 2.0]}
    assert _leftovers(tmp_path) == [] and _leftovers(storage) == []


def test_a_dangling_symbolic_link_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.safetensors"
    link.symlink_to(tmp_path / "made.safetensors")
    save(link, OLD)
    assert link.is_symlink()
    assert _loaded(tmp_path / "made.safetensors") == {"w": [0.0, 1.0, 2.0]}
    missing = tmp_path / "to-nowhere.safetensors"
    missing.symlink_to(tmp_path / "absent" / "x.safetensors")
    with pytest.raises(FileNotFoundError, match=r"save: the directory .*absent.* does not exist"):
        save(missing, OLD)
    assert missing.is_symlink()


def test_a_symbolic_link_loop_is_an_error(tmp_path: Path) -> None:
    loop = tmp_path / "loop.safetensors"
    loop.symlink_to(loop.name)
    with pytest.raises(OSError, match="symbolic links"):
        save(loop, OLD)
    with pytest.raises(OSError, match="symbolic links"):
        load(loop)
    assert loop.is_symlink()


# --- crafted headers: every error names the file ---------------------------------------------

def _file(header: Any, data: bytes = b"", length: int | None = None) -> bytes:
    text = json.dumps(header).encode() if not isinstance(header, bytes) else header
    return struct.pack("<Q", len(text) if length is None else length) + text + data


def _entry(dtype: Any, shape: list[Any], offsets: list[Any]) -> dict[str, Any]:
    return {"dtype": dtype, "shape": shape, "data_offsets": offsets}


CRAFTED: dict[str, bytes] = {
    "empty axis beside huge ones": _file({"w": _entry("F64", [0, 2**62, 2**62], [0, 0])}),
    "huge axes, one empty": _file({"w": _entry("U8", [2**40, 2**40, 0], [0, 0])}),
    "more axes than NumPy holds": _file({"w": _entry("F32", [0] + [1] * 70, [0, 0])}),
    "offsets past the data": _file({"w": _entry("F64", [2], [0, 16])}, b"\0" * 8),
    "offsets reversed": _file({"w": _entry("F64", [1], [8, 0])}, b"\0" * 8),
    "negative offsets": _file({"w": _entry("F64", [1], [-8, 0])}, b"\0" * 8),
    "float offsets": _file({"w": _entry("F64", [1], [0.0, 8.0])}, b"\0" * 8),
    "unknown dtype": _file({"w": _entry("C64", [1], [0, 8])}, b"\0" * 8),
    "dtype not a string": _file({"w": _entry(["F64"], [1], [0, 8])}, b"\0" * 8),
    "bool shape": _file({"w": _entry("F64", [True], [0, 8])}, b"\0" * 8),
    "header too long": _file({}, length=2**40),
    "header past the file": _file({}, length=1000),
    "truncated length": b"\x10\0\0",
    "truncated data": _file({"w": _entry("F64", [4], [0, 32])}, b"\0" * 31),
    "metadata not an object": _file({"__metadata__": 5}),
    "metadata values not strings": _file({"__metadata__": {"step": 1}}),
    "a hole in the data": _file({"w": _entry("F64", [1], [8, 16])}, b"\0" * 16),
    "overlapping tensors": _file({"a": _entry("F32", [2], [0, 8]),
                                  "b": _entry("F32", [2], [0, 8])}, b"\0" * 8),
    "not JSON": _file(b"{'w': 1}"),
    "not UTF-8": _file(b'{"\xff": 1}'),
    "nested too deep": _file(b"[" * 100_000 + b"]" * 100_000),
    "a pickle": b"\x80\x04\x95" + b"\0" * 40,
}


@pytest.mark.parametrize("name", CRAFTED)
def test_every_crafted_header_error_names_the_file(tmp_path: Path, name: str) -> None:
    path = tmp_path / "crafted.safetensors"
    path.write_bytes(CRAFTED[name])
    with pytest.raises(ValueError, match=f"^load: {re.escape(repr(str(path)))}"):
        load(path)
