"""The files of a run folder: model.nnlab, history.csv, config.toml, report.html."""

from __future__ import annotations

import csv
import datetime as _dt
import os

from nnlab.fileio import atomic_write
from nnlab.run_config import save_config


def default_run_folder(dataset: str) -> str:
    """runs/<dataset>-<time>, the dataset's name without a .csv ending."""
    name = os.path.basename(dataset)
    if name.lower().endswith(".csv"):
        name = name[:-4]
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return os.path.join("runs", f"{name}-{stamp}")


def write_history(path: str, history: dict) -> None:
    """One row per epoch, one column per logged value (atomically)."""
    keys = list(history)
    n = max((len(v) for v in history.values()), default=0)
    with atomic_write(path, "w", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch"] + keys)
        for i in range(n):
            writer.writerow([i] + [history[k][i] if i < len(history[k]) else "" for k in keys])


def write_run_folder(out_dir: str, run) -> str:
    """Write a finished run's files; returns the path of its report."""
    from nnlab.report import write_report

    os.makedirs(out_dir, exist_ok=True)
    best = getattr(run.history, "best_epoch", None)  # the saved weights' epoch, 1-based
    epochs = {"epoch": len(run.history.epoch), "best_epoch": None if best is None else best + 1}
    run.model.save(
        os.path.join(out_dir, "model.nnlab"),
        preprocessing=run.preprocessor,
        metadata={"checkpoint": epochs},
    )
    write_history(os.path.join(out_dir, "history.csv"), run.history.history)
    save_config(os.path.join(out_dir, "config.toml"), run.config)
    return write_report(os.path.join(out_dir, "report.html"), run)
