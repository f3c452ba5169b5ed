"""The `nnlab` command: train, evaluate, predict, cv, summary, gradcheck, export, datasets.

`nnlab` alone prints an overview. Exit codes: 0 success (also when the reader of the
output goes away, as in `nnlab train | head -2`); 2 bad usage or bad input (one line
saying what and how to fix, no traceback unless --debug); 1 anything else. The flags,
the console output, the run folder, the error handling and the command group are built
in `nnlab.commands`.
"""

from __future__ import annotations

import csv
import os
import sys

import click
import numpy as np

from nnlab.commands import console
from nnlab.commands.errors import (  # noqa: F401  (BAD_INPUT, InputError: public here too)
    BAD_INPUT,
    InputError,
    force_option,
    handle_errors,
)
from nnlab.commands.group import OVERVIEW, CommandGroup
from nnlab.commands.options import setting_flags, settings
from nnlab.diagnostics.explain_cli import explain_command
from nnlab.run_config import ACTIVATIONS


@click.group(
    cls=CommandGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.version_option(package_name="nnlab")
@click.pass_context
def main(ctx, debug: bool) -> None:
    """nnlab: train, evaluate and inspect neural networks from the shell.

    `nnlab COMMAND --help` shows a command's options with their defaults.
    """
    if ctx.invoked_subcommand is None:
        click.echo(OVERVIEW)
        formatter = ctx.make_formatter()
        ctx.command.format_commands(ctx, formatter)
        click.echo(formatter.getvalue())
        click.echo("`nnlab COMMAND --help` shows a command's options with their defaults.")


# -- train ----------------------------------------------------------------------------
RUN_FILES = ["model.nnlab", "history.csv", "config.toml", "report.html"]

VERBOSE_HELP = (
    "0: only the results; 1: the plan, a progress bar (one line per epoch when the output "
    "is not a terminal) and the results; 2: Keras's line per epoch with timings."
)


@main.command()
@click.argument("source", required=False)
@setting_flags()
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Run folder.",
    show_default="runs/<dataset>-<time>",
)
@click.option("--verbose", type=click.IntRange(0, 2), default=1, show_default=True,
              help=VERBOSE_HELP)  # fmt: skip
@force_option
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(file_okay=False),
    help="Finish an interrupted run from its folder (same settings, bit-identical result).",
)
@handle_errors
def train(source, config_path, out_dir, verbose, force, resume_dir, **flags):
    """Train on a bundled dataset or a CSV (with --target); no SOURCE runs the lectures'
    penguins example. Writes a run folder: model, history, config and report.

    SOURCE is a dataset name (see `nnlab datasets`) or the path of a CSV file. The run
    folder is checked before training; files in it are replaced only with --force.
    """
    from nnlab import run_folder
    from nnlab.commands.run_folder import default_run_folder, write_run_folder
    from nnlab.outputs import run_folder as checked_run_folder
    from nnlab.outputs import unique_folder
    from nnlab.run_config import save_config
    from nnlab.workflow import train_run

    if resume_dir:
        given = dict(flags, source=source, config=config_path, out=out_dir)
        cfg, out_dir = run_folder.resume_settings(resume_dir, given), resume_dir
        force = True  # the interrupted run's own folder: its files are this run's outputs
    else:
        cfg = settings(source, config_path, **flags)
        out_dir = out_dir or unique_folder(default_run_folder(cfg["csv"] or cfg["dataset"]))
    inputs = {"the training CSV": cfg.get("csv"), "the config file": config_path}
    callbacks = [console.EpochProgress()] if verbose == 1 else []
    with checked_run_folder(out_dir, RUN_FILES, inputs, force):
        # config.toml is written first: it is what --resume reads
        with run_folder.started(out_dir, lambda path: save_config(path, cfg), bool(resume_dir)):
            run = train_run(
                cfg,
                verbose=2 if verbose == 2 else 0,
                callbacks=[*callbacks, run_folder.backup_callback(out_dir)],
                announce=console.print_plan if verbose else None,
            )
    report = write_run_folder(out_dir, run)
    run_folder.finish(out_dir)
    console.print_summary(run, out_dir, report)


# -- using a saved model ----------------------------------------------------------------
def _load(model_path: str):
    from nnlab.models import load_model

    if not os.path.exists(model_path):
        raise ValueError(f"No such model file: {model_path}")
    model = load_model(model_path)
    prep = getattr(model, "preprocessing", None)
    if prep is None:
        raise ValueError(
            f"{model_path} holds no fitted preprocessing; it was not saved by `nnlab train`."
        )
    return model, prep


def _read_rows(csv_path: str):
    from nnlab.data.table_checks import read_csv  # UTF-8, header, data rows, unique names

    if not os.path.exists(csv_path):
        raise ValueError(f"No such CSV file: {csv_path}")
    return read_csv(csv_path)


@main.command()
@click.argument("model_path", type=click.Path(dir_okay=False))
@click.argument("csv_path", type=click.Path(dir_okay=False))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="Output CSV (default: <input>.predictions.csv beside the input).",
)
@force_option
@handle_errors
def predict(model_path, csv_path, out_path, force):
    """Predict for the rows of a CSV with a saved model and its fitted preprocessing.
    Never writes over the model or the CSV; an existing output needs --force."""
    from nnlab.fileio import atomic_write
    from nnlab.outputs import check_output, default_predictions_path
    from nnlab.workflow import predict_rows

    for what, path in (("model file", model_path), ("CSV file", csv_path)):
        if not os.path.exists(path):  # before the output checks: the first thing to fix
            raise ValueError(f"No such {what}: {path}")
    out_path = out_path or default_predictions_path(csv_path)
    check_output(out_path, {"the model": model_path, "the input CSV": csv_path}, force)
    model, prep = _load(model_path)
    rows = _read_rows(csv_path)
    P = predict_rows(model, prep, rows)

    with atomic_write(out_path, "w", encoding="utf-8") as f:
        writer = csv.writer(f)
        if prep.task in ("binary", "multiclass"):
            probs = np.column_stack([1 - P[:, 0], P[:, 0]]) if P.shape[1] == 1 else P
            writer.writerow(["prediction"] + [f"p_{c}" for c in prep.classes])
            for label, p in zip(probs.argmax(axis=1), probs):
                writer.writerow([prep.classes[label]] + [repr(float(v)) for v in p])
        else:
            writer.writerow([f"predicted_{t}" for t in prep.targets])
            for p in P:
                writer.writerow([repr(float(v)) for v in np.ravel(p)])
    click.echo(f"wrote {len(rows)} predictions to {out_path}")


@main.command()
@click.argument("model_path", type=click.Path(dir_okay=False))
@click.argument("csv_path", type=click.Path(dir_okay=False))
@handle_errors
def evaluate(model_path, csv_path):
    """Loss and metrics of a saved model on the labelled rows of a CSV (R², MAE and
    RMSE in the target's units for regression)."""
    from nnlab.workflow import score

    model, prep = _load(model_path)
    rows = _read_rows(csv_path)
    scores = score(model, prep, prep.transform(rows), prep.transform_target(rows))
    for k, v in scores.items():
        click.echo(f"{k}: {v:.4f}")


@main.command()
@click.argument("model_path", type=click.Path(dir_okay=False))
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True,
              help="Batch size of the memory and FLOPs estimate.")  # fmt: skip
@handle_errors
def summary(model_path, batch_size):
    """Layers, shapes, parameters, FLOPs and memory of a saved model."""
    from nnlab.models import load_model

    if not os.path.exists(model_path):
        raise ValueError(f"No such model file: {model_path}")
    load_model(model_path).summary(print_fn=click.echo, batch_size=batch_size)


@main.command()
@click.argument("source", required=False)
@setting_flags(exclude=("test_size",))
@click.option(
    "--k", "k", type=click.IntRange(min=2), default=5, show_default=True, help="Number of folds."
)
@handle_errors
def cv(source, config_path, k, **flags):
    """k-fold cross-validation (stratified for classes): every fold and mean ± std.

    Each fold is the test set once; every training setting applies, and early stopping
    watches a validation split (--val-size) of that fold's training rows.
    """
    from nnlab.workflow import cross_validate_run

    cfg = settings(source, config_path, **flags)
    result = cross_validate_run(cfg, k=k)
    click.echo(result.summary())


@main.command()
@click.argument("source", required=False)
@click.option("--target", help="The column to predict (needed for a CSV).")
@click.option("--hidden", default="4", show_default=True, help="Hidden layer sizes.")
@click.option("--activation", default="tanh", show_default=True, help="Hidden activation.",
              type=click.Choice(ACTIVATIONS))  # fmt: skip
@click.option("--samples", type=click.IntRange(min=1), default=8, show_default=True,
              help="Rows to check the gradients on.")  # fmt: skip
@handle_errors
def gradcheck(source, target, hidden, activation, samples):
    """Check backprop against central differences (float64) on a few rows of a dataset
    or CSV."""
    from nnlab.workflow import gradcheck_run

    result = gradcheck_run(
        source or "penguins_lecture",
        hidden=hidden,
        activation=activation,
        samples=samples,
        target=target or "",
    )
    click.echo(str(result))
    click.echo("PASSED" if result.passed() else "FAILED")
    if not result.passed():
        sys.exit(1)


@main.command()
@handle_errors
def datasets():
    """The datasets that come with nnlab: rows, features and task of each."""
    from nnlab.datasets import list_datasets

    table = list_datasets()
    rows = [("name", "rows", "features", "task", "kind")]
    for name, row in table.iterrows():
        shape = row["shape"]
        features = "x".join(map(str, shape[1:]))
        rows.append((name, str(shape[0]), features, row["task"], row["kind"]))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        click.echo("  ".join(c.rjust(w) if c.isdigit() else c.ljust(w)
                             for c, w in zip(r, widths)).rstrip())  # fmt: skip
    click.echo("\nUse one by name: nnlab train iris")


@main.command()
@click.argument("model_path", type=click.Path(dir_okay=False))
@click.argument("onnx_path", type=click.Path(dir_okay=False))
@force_option
@handle_errors
def export(model_path, onnx_path, force):
    """Export a saved model to ONNX: with its preprocessing (as `nnlab train` saves it),
    the whole pipeline, raw columns in, labels and probabilities out (docs/onnx.md).
    An existing ONNX_PATH is replaced only with --force."""
    from nnlab.models import load_model
    from nnlab.onnx_export import export_onnx
    from nnlab.onnx_pipeline import export_pipeline_onnx
    from nnlab.outputs import check_output

    if not os.path.exists(model_path):
        raise ValueError(f"No such model file: {model_path}")
    check_output(onnx_path, {"the model": model_path}, force)
    model = load_model(model_path)
    pipeline = getattr(model, "preprocessing", None) is not None
    (export_pipeline_onnx if pipeline else export_onnx)(model, onnx_path)
    click.echo(f"wrote {onnx_path}")


main.add_command(explain_command)

from nnlab.playground.cli import playground  # noqa: E402

main.add_command(playground)

from nnlab.tuning.cli import tune  # noqa: E402

main.add_command(tune)

if __name__ == "__main__":
    main()
