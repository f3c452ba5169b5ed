"""The run folder of `nnlab train`, and `nnlab train --resume RUN_DIR`.

`nnlab train` writes `config.toml` into the run folder before training and backs the
training up into `RUN_DIR/backup/` after every epoch (`BackupAndRestore`). If the
command is killed, `nnlab train --resume RUN_DIR` reads the settings back from
`config.toml`, rebuilds the same split, preprocessing and model from the same seed,
restores the backup and finishes the run: the model, history and report come out
bit-identical to a run that was never interrupted. The backup is removed once every
output is written.
"""

from __future__ import annotations

import contextlib
import os

from nnlab.backup_and_restore import BackupAndRestore

BACKUP_FOLDER = "backup"


@contextlib.contextmanager
def started(run_dir: str, write_config, resumed: bool = False):
    """Create the run folder and write its config.toml (`write_config(path)`) before
    training. If training then fails with an error before any backup was written, remove
    what this created again, so that a run that never started leaves no folder behind
    (an interrupted run keeps its folder for --resume)."""
    if resumed:
        yield
        return
    created, folder = [], os.path.abspath(run_dir)
    while not os.path.exists(folder):  # the folders this call creates, innermost first
        created.append(folder)
        folder = os.path.dirname(folder)
    os.makedirs(run_dir, exist_ok=True)
    config = os.path.join(run_dir, "config.toml")
    write_config(config)
    try:
        yield
    except Exception:
        if not os.path.exists(os.path.join(run_dir, BACKUP_FOLDER)):
            with contextlib.suppress(OSError):
                os.remove(config)
                for folder in created:
                    os.rmdir(folder)
        raise


def backup_callback(run_dir: str) -> BackupAndRestore:
    """The run's BackupAndRestore; kept until `finish` (the outputs are written after fit)."""
    return BackupAndRestore(os.path.join(run_dir, BACKUP_FOLDER), delete_checkpoint=False)


def resume_settings(run_dir: str, given: dict) -> dict:
    """The settings of the interrupted run in `run_dir` (from its config.toml).

    Args:
        run_dir: the folder `nnlab train` was writing.
        given: the other command-line settings; any that is set is an error, because
            a resumed run must use the settings it started with.
    """
    from nnlab.run_config import load_config, resolve_config

    extra = sorted(k for k, v in given.items() if v not in (None, False, ""))
    if extra:
        raise ValueError(
            f"--resume continues {run_dir} with the settings saved in its config.toml; "
            f"it takes no other settings. Received: {', '.join(extra)}. Drop them, or start "
            "a new run without --resume."
        )
    path = os.path.join(run_dir, "config.toml")
    if not os.path.isdir(run_dir):
        raise ValueError(f"--resume: no such run folder: {run_dir}")
    if not os.path.isfile(path):
        raise ValueError(
            f"--resume: {run_dir} has no config.toml, so it is not a folder written by "
            "`nnlab train`. Pass the run folder that `nnlab train` printed or was given "
            "with --out."
        )
    backup = os.path.join(run_dir, BACKUP_FOLDER)
    if not os.path.isdir(backup) and os.path.isfile(os.path.join(run_dir, "model.nnlab")):
        raise ValueError(
            f"--resume: the run in {run_dir} has already finished (model.nnlab is written and "
            "no backup is left). Start a new run to train again."
        )
    try:
        config = load_config(path)  # paths in it are relative to the run folder
    except ValueError as exc:
        raise ValueError(f"--resume: {exc}") from None
    return resolve_config(config)


def finish(run_dir: str) -> None:
    """Remove the run's backup files (and their folder, if nothing else is in it) once
    all outputs are written."""
    backup_callback(run_dir).delete_backup()
