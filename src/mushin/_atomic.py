"""Writing a file atomically: readers, and a crash, see the previous file or the new one,
never half of one.

:func:`write_bytes` writes the data to a temporary file beside the target, flushes it to disk
and renames it over the target in one step (``os.replace``), then flushes the directory so
that the rename is durable too. Where the system offers unnamed files (Linux's
``O_TMPFILE``), the data goes to a file that has no name until it is complete, so a process
killed mid-write leaves nothing behind; only a kill in the instant between naming the
finished file and the rename leaves a complete copy named ``.NAME.<16 hex digits>.tmp``.
Elsewhere the temporary file has that name from the start and a killed write may leave it
half written. An error (a full disk, say) removes it.

Writing into a path, as ``open(path, "w")`` does, changes the file's data and nothing else;
:func:`write_bytes` keeps what it can of that: a symbolic link is followed (its target is
replaced, the link stays a link), and the new file gets the previous one's permission bits
and, where the system allows (as root, or a group the caller belongs to), its owner and group,
all before any data is written. Hard links to the previous file keep the previous data.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat


def write_bytes(path: str, payload: bytes) -> None:
    """Replace the file ``path`` (or create it) by one holding ``payload``, atomically.

    On any error the previous file at ``path``, if any, is left as it was and no temporary
    file remains. The directory must exist. A symbolic link at ``path`` is followed; the new
    file keeps the previous file's permissions (see the module's documentation).
    """
    path = os.path.realpath(path)
    try:
        previous: os.stat_result | None = os.stat(path)
    except FileNotFoundError:
        previous = None
    directory = os.path.dirname(path)
    temporary_name = f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp"
    temporary = os.path.join(directory, temporary_name)
    # os.open applies the umask to 0o666, so the file gets the usual permissions.
    descriptor = _open_unnamed(directory)
    named = descriptor is None
    if descriptor is None:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL
                             | getattr(os, "O_BINARY", 0), 0o666)
    try:
        try:
            if previous is not None:
                _keep_owner_and_mode(descriptor, previous)
            remaining = memoryview(payload)
            while remaining:  # os.write may write less than asked (over 2 GiB, say)
                remaining = remaining[os.write(descriptor, remaining):]
            os.fsync(descriptor)
            if not named:
                _name_unnamed(descriptor, directory, temporary_name)
                named = True
        finally:
            os.close(descriptor)
        os.replace(temporary, path)
    except BaseException:
        if named:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    _sync_directory(directory)


def _keep_owner_and_mode(descriptor: int, previous: os.stat_result) -> None:
    """Give the new file open as ``descriptor`` the owner, group and permission bits of the
    file it replaces, as far as the system allows: only root may give a file to another
    owner, and a user may give it any group of theirs."""
    current = os.fstat(descriptor)
    if hasattr(os, "fchown") and (current.st_uid, current.st_gid) != (previous.st_uid,
                                                                        previous.st_gid):
        try:
            os.fchown(descriptor, previous.st_uid, previous.st_gid)
        except PermissionError:
            with contextlib.suppress(PermissionError):
                os.fchown(descriptor, -1, previous.st_gid)
    mode = stat.S_IMODE(previous.st_mode) & 0o777  # no set-id or sticky bits
    # Changing the owner may have cleared bits, so the mode is read again.
    if hasattr(os, "fchmod") and stat.S_IMODE(os.fstat(descriptor).st_mode) != mode:
        os.fchmod(descriptor, mode)


def _open_unnamed(directory: str) -> int | None:
    """A file open for writing in ``directory`` that has no name yet (Linux's ``O_TMPFILE``):
    if the process dies before it is named, the system discards it. None where the system,
    or the file system, has no such files."""
    flag = getattr(os, "O_TMPFILE", 0)
    if not flag or os.link not in os.supports_dir_fd or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(directory, os.O_WRONLY | flag, 0o666)
    except OSError as error:
        if error.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
            return None
        raise


def _name_unnamed(descriptor: int, directory: str, name: str) -> None:
    """Give the unnamed file open as ``descriptor`` the name ``name`` in ``directory``."""
    directory_descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        # linkat(AT_SYMLINK_FOLLOW) of /proc/self/fd/N names an O_TMPFILE file (see open(2));
        # the directory descriptors make os.link call linkat rather than link.
        os.link(f"/proc/self/fd/{descriptor}", name, src_dir_fd=directory_descriptor,
                dst_dir_fd=directory_descriptor)
    finally:
        os.close(directory_descriptor)


def _sync_directory(directory: str) -> None:
    """Make a rename in ``directory`` durable, where the system allows it (POSIX)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):  # some file systems refuse to sync a directory
            os.fsync(descriptor)
    finally:
        os.close(descriptor)
