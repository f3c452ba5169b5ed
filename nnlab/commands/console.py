"""What `nnlab train` prints: the plan before training, the progress, the summary.

Defaults are for a student reading along: first what is about to happen (data, split,
preprocessing, model, parameter count, training settings), then one progress bar that
advances once per epoch (tqdm; where output is not a terminal, one plain line per epoch
instead), then the results, the diagnosis wrapped to the terminal's width, and the path
of the report last.
"""

from __future__ import annotations

import shutil
import sys
import textwrap

import click

from nnlab.callbacks import Callback

MAX_NOTES = 8


def _width() -> int:
    return max(60, min(shutil.get_terminal_size((100, 24)).columns, 120))


def print_rows(rows, title: str | None = None) -> None:
    """`name  value` rows; long values wrap under their column."""
    if title:
        click.echo(title)
    indent = 2 + max(len(k) for k, _ in rows) + 2
    width = _width()
    for key, value in rows:
        lines = []
        for part in str(value).split("\n"):
            lines += textwrap.wrap(part, width - indent) or [""]
        click.echo(f"  {key.ljust(indent - 4)}  {lines[0]}")
        for line in lines[1:]:
            click.echo(" " * indent + line)


def describe_layers(model) -> str:
    """'3 -> Dense(16, relu) -> Dense(1, sigmoid)' from the layers' configs."""
    parts = [str(model.inputs[0].shape[-1])]
    for layer in model.layers:
        cfg = layer.get_config()
        if "units" in cfg:
            act = cfg.get("activation")
            act = act.get("name") if isinstance(act, dict) else act
            parts.append(f"Dense({cfg['units']}, {act})")
        elif "rate" in cfg:
            parts.append(f"{type(layer).__name__}({cfg['rate']:g})")
    return " -> ".join(parts)


def print_plan(plan) -> None:
    """Print a `nnlab.workflow.RunPlan`: what the run is about to do."""
    cfg = plan.config
    classes = f": {', '.join(plan.class_names)}" if plan.class_names else ""
    split = (
        f"{plan.n_train} training / {plan.n_val} validation / {plan.n_test} test rows"
        + (" (stratified by class" if plan.stratified else " (shuffled")
        + f", seed {cfg['seed']})"
    )
    notes = plan.notes[:MAX_NOTES]
    if len(plan.notes) > MAX_NOTES:
        notes.append(f"... and {len(plan.notes) - MAX_NOTES} more (see the report)")
    stopping = (
        f"early stopping after {cfg['patience']} epochs without a better validation loss "
        "(best weights kept)"
        if cfg["patience"] and plan.n_val
        else "no early stopping"
    )
    rows = [
        ("data", f"{plan.dataset}: {plan.n_rows} rows, target '{plan.target}' "
                 f"({plan.task}{classes})"),
        ("split", split),
        ("preprocessing", f"fitted on the {plan.n_train} training rows only\n" + "\n".join(notes)),
        ("model", f"{describe_layers(plan.model)}; {plan.model.count_params()} parameters"),
        ("training", f"{cfg['optimizer']} (learning rate {cfg['learning_rate']:g}), up to "
                     f"{cfg['epochs']} epochs, batch size {cfg['batch_size']}; {stopping}"),
    ]  # fmt: skip
    print_rows(rows, title="nnlab train: what is about to happen")
    click.echo("")


def _logs_text(logs: dict) -> str:
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items() if isinstance(v, float | int))


class EpochProgress(Callback):
    """One progress bar over the epochs (tqdm) that advances at each epoch's end, with
    the latest losses and metrics beside it; where the stream is not a terminal, one
    plain line per epoch instead (logs and pipes stay readable).

    Args:
        stream: where to write (default: standard output).
    """

    def __init__(self, stream=None):
        super().__init__()
        self.stream = stream

    def on_train_begin(self, logs=None):
        out = self.stream or sys.stdout
        self._epochs = self.params.get("epochs", 0)
        self._bar = None
        if hasattr(out, "isatty") and out.isatty():
            from tqdm.auto import tqdm

            self._bar = tqdm(total=self._epochs, desc="training", unit="epoch", file=out,
                             dynamic_ncols=True, leave=True)  # fmt: skip

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        if self._bar is not None:
            self._bar.set_postfix_str(_logs_text(logs), refresh=False)
            self._bar.update(1)
        else:
            out = self.stream or sys.stdout
            out.write(f"epoch {epoch + 1}/{self._epochs}  {_logs_text(logs)}\n")
            out.flush()

    def on_train_end(self, logs=None):
        if self._bar is not None:
            self._bar.close()


def print_summary(run, out_dir: str, report_path: str) -> None:
    """The results of a finished run, ending with the path of its report."""
    history = run.history
    best = getattr(history, "best_epoch", None)
    epochs = f"{len(history.epoch)}" + (f" (best {best + 1}, its weights kept)"
                                        if best is not None else "")  # fmt: skip
    rows = [
        ("data", f"{run.dataset} ({run.task}; {run.n_train}/{run.n_val}/{run.n_test} "
                 "train/val/test rows)"),
        ("model", f"{describe_layers(run.model)} ({run.model.count_params()} parameters)"),
        ("epochs", epochs),
    ]  # fmt: skip
    rows += [("data note", note) for note in getattr(run, "data_notes", [])]
    rows += [(k, f"{v:.4f}") for k, v in run.test_metrics.items()]
    rows.append(("diagnosis", f"{run.diagnosis.label}: {run.diagnosis.message}"))
    rows += [(f.name, f.message) for f in run.findings]
    rows.append(("run folder", out_dir))
    rows.append(("report", report_path))
    click.echo("")
    print_rows(rows, title="Result (test rows)")
