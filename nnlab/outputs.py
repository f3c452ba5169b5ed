"""Where the `nnlab` commands write, checked before any work is done.

Every command that writes files (`predict`, `export`, `train`'s run folder with its
model, history, config and report) asks this module first:

- an output is never one of the command's inputs (the data, the model, the config):
  paths are compared as files (`os.path.samefile`: symlinks and hard links count),
  and this is refused even with `--force`;
- an existing output is replaced only with `--force`;
- the output's folder must exist (a run folder is created) and be writable, which is
  tested by creating and removing a temporary file, so an unwritable `--out` is found
  before training, not after.

The files themselves are written by `nnlab.fileio.atomic_write`, so they get the
user's umask (or the mode of the file they replace).
"""

from __future__ import annotations

import contextlib
import os

from nnlab import fileio


class OutputError(ValueError):
    """An output path that would destroy an input or an existing file, or cannot be written."""


def same_file(a, b) -> bool:
    """Whether paths `a` and `b` are the same file (through symlinks and hard links too).

    Example:
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> data = os.path.join(folder, "rows.csv")
        >>> _ = open(data, "w").write("x\\n1\\n")
        >>> os.symlink(data, os.path.join(folder, "link.csv"))
        >>> same_file(os.path.join(folder, "link.csv"), data)
        True
    """
    try:
        return os.path.samefile(a, b)
    except OSError:  # one of them does not exist (yet): compare where they would point
        return os.path.realpath(a) == os.path.realpath(b)


def check_output(path, inputs: dict, force: bool = False) -> str:
    """Check that `path` may be written; returns it.

    Args:
        path: the output file.
        inputs: {what it is: path} of every file the command reads, e.g.
            {"the model": "m.nnlab", "the input CSV": "rows.csv"}.
        force: allow replacing an existing file that is not an input.

    Raises:
        OutputError: `path` is an input, exists (without `force`), is a folder, or its
            folder does not exist or is not writable.
    """
    path = os.fspath(path)
    for what, source in inputs.items():
        if source is not None and same_file(path, source):
            raise OutputError(
                f"Refused to write {path}: it is {what} ({source}), which this command reads, "
                "and writing would destroy it. Choose another output path with --out."
            )
    if os.path.isdir(path):
        raise OutputError(
            f"Cannot write {path}: it is a folder. Give a file path, e.g. --out {path}/out.csv."
        )
    if os.path.lexists(path) and not force:
        raise OutputError(
            f"{path} already exists, and nnlab never replaces a file silently. Pass --force "
            "to replace it, or choose another path with --out."
        )
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise OutputError(
            f"Cannot write {path}: the folder {folder} does not exist. Create it first or "
            "choose another path with --out."
        )
    _check_writable(path, folder)
    return path


def _check_writable(path: str, folder: str) -> None:
    try:
        fileio.check_writable(folder)
    except OSError as exc:
        raise OutputError(
            f"Cannot write {path}: the folder {folder} is not writable ({exc.strerror or exc}). "
            "Choose a writable path with --out."
        ) from None


def default_predictions_path(csv_path) -> str:
    """`rows.csv` -> `rows.predictions.csv` beside it: never the input's own name."""
    folder, name = os.path.split(os.path.abspath(os.fspath(csv_path)))
    stem = name[:-4] if name.lower().endswith(".csv") else name
    return os.path.join(folder, f"{stem}.predictions.csv")


def unique_folder(path) -> str:
    """`path` if nothing is there yet, else `path-2`, `path-3`, ... (default run folders)."""
    path, n = os.fspath(path), 2
    candidate = path
    while os.path.lexists(candidate):
        candidate, n = f"{path}-{n}", n + 1
    return candidate


@contextlib.contextmanager
def run_folder(folder, names: list[str], inputs: dict, force: bool = False):
    """Create (or reuse) the run folder `folder` for the files `names`, checked first.

    Yields the folder. If the body fails, the folders created here (the run folder and
    any missing parents) are removed again while they are empty, so a failed run leaves
    nothing behind.

    Raises:
        OutputError: `folder` is a file, cannot be created or written, or one of `names`
            in it is an input or (without `force`) already exists.
    """
    folder = os.fspath(folder)
    if os.path.lexists(folder) and not os.path.isdir(folder):
        raise OutputError(
            f"Cannot use {folder} as the run folder: it is a file. Choose a folder path with --out."
        )
    created, missing = [], os.path.abspath(folder)  # what makedirs will create, deepest first
    while not os.path.lexists(missing):
        created.append(missing)
        missing = os.path.dirname(missing)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"Cannot create the run folder {folder} ({exc.strerror or exc}). Choose a "
            "writable folder with --out."
        ) from None
    try:
        for name in names:
            check_output(os.path.join(folder, name), inputs, force)
        yield folder
    except BaseException:
        for path in created:
            with contextlib.suppress(OSError):
                os.rmdir(path)  # only succeeds while it is empty
        raise
