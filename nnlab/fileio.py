"""Atomic file writes: a temporary file in the target's folder, then a rename.

Every file nnlab writes (model files, weights, ONNX, predictions, history, config,
reports) goes through `atomic_write`. A crash or an exception midway leaves the old file
(if any) untouched, because `os.replace` is atomic on one filesystem:

- the temporary file is named `.<target>.<host>.<pid>.<random>.nnlab-tmp`, so it names
  its owner; a failing write removes its own temporary file;
- a write killed outright (SIGKILL, power loss) cannot clean up, so every write first
  removes the *stale* temporary files in its folder: those whose owner process is gone
  (same host) or that were last modified more than `STALE_AFTER_S` seconds ago (any
  host). Files of live writers, and files not named this way, are never touched, so
  several processes can save into one folder at the same time;
- the result gets the permissions an ordinary `open(path, "w")` would give: those of the
  file it replaces, or 0o666 masked by the user's umask for a new file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import socket
import time

TEMP_SUFFIX = ".nnlab-tmp"
#: a temporary file untouched for this long is stale whoever owns it (24 hours).
STALE_AFTER_S = 24 * 3600
_TEMP_NAME = re.compile(
    r"\.(?P<target>.+)\.(?P<host>[A-Za-z0-9-]+)\.(?P<pid>[0-9]+)\.[0-9a-f]{12}"
    + re.escape(TEMP_SUFFIX)
)
_MAX_NAME = 255


def _host() -> str:
    """This machine's name, reduced to letters, digits and '-' (at most 32 of them)."""
    name = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32]
    return name or "host"


def temp_path(path) -> str:
    """A fresh temporary path beside `path` that names this host and process."""
    folder, base = os.path.split(os.path.abspath(os.fspath(path)))
    tail = f".{_host()}.{os.getpid()}.{secrets.token_hex(6)}{TEMP_SUFFIX}"
    base = base[: _MAX_NAME - len(tail) - 1]
    return os.path.join(folder, f".{base}{tail}")


def _process_alive(pid: int) -> bool:
    """Whether process `pid` exists on this host (True when it cannot be told)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError, ValueError):  # PermissionError: someone else's process
        return True
    return True


def is_stale_temp_file(folder, name: str, max_age_s: float = STALE_AFTER_S) -> bool:
    """Whether `name` in `folder` is an nnlab temporary file whose writer is gone.

    Stale: named by `temp_path`, and either written by a process of this host that no
    longer exists, or not modified for `max_age_s` seconds.
    """
    match = _TEMP_NAME.fullmatch(name)
    if match is None:
        return False
    if match["host"] == _host() and not _process_alive(int(match["pid"])):
        return True
    try:
        age = time.time() - os.stat(os.path.join(folder, name)).st_mtime
    except OSError:
        return False
    return age > max_age_s


def remove_stale_temp_files(folder, max_age_s: float = STALE_AFTER_S) -> list[str]:
    """Remove the stale temporary files of interrupted writes in `folder`; their names.

    Example:
        >>> import tempfile
        >>> remove_stale_temp_files(tempfile.mkdtemp())
        []
    """
    folder = os.fspath(folder) or "."
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        if entry.name.endswith(TEMP_SUFFIX) and is_stale_temp_file(folder, entry.name, max_age_s):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(entry.name)
    return removed


def _open_new(tmp: str) -> int:
    # O_EXCL: never reuse another writer's file; 0o666 is masked by the umask, as open() does.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    return os.open(tmp, flags, 0o666)


def check_writable(folder) -> None:
    """Raise OSError unless a file can be created in `folder` (tried, then removed)."""
    tmp = temp_path(os.path.join(os.fspath(folder), "write-test"))
    os.close(_open_new(tmp))
    os.unlink(tmp)


@contextlib.contextmanager
def atomic_write(path, mode: str = "wb", encoding: str | None = None):
    """Open a temporary file for writing; on success fsync it and rename it onto `path`.

    Args:
        path: the file to create or replace.
        mode: "wb" for bytes or "w" for text.
        encoding: the text encoding (text mode only).

    Example:
        >>> import os, tempfile
        >>> target = os.path.join(tempfile.mkdtemp(), "out.txt")
        >>> with atomic_write(target, "w", encoding="utf-8") as f:
        ...     _ = f.write("hello")
        >>> open(target).read()
        'hello'
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    remove_stale_temp_files(folder)
    tmp = temp_path(path)
    fd = _open_new(tmp)
    try:
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileNotFoundError):  # replacing: keep the file's mode
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
