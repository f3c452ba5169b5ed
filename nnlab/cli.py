"""The `nnlab` command: train, evaluate, predict, cv, summary, gradcheck, export.

Exit codes: 0 success; 2 bad usage or bad input (one line saying what and how to fix,
no traceback unless --debug); 1 anything else.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import os
import sys

import click
import numpy as np
import tomllib

from nnlab.diagnostics.explain_cli import explain_command

BAD_INPUT = (ValueError, TypeError, FileNotFoundError, KeyError)


class InputError(click.ClickException):
    """Bad input: exit code 2 with one line."""

    exit_code = 2

    def show(self, file=None):
        click.echo(f"error: {self.format_message()}", err=True)


def handle_errors(fn):
    """Turn exceptions into the documented exit codes and one-line messages."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return fn(*args, **kwargs)
        except click.ClickException:
            raise
        except BAD_INPUT as exc:
            if debug:
                raise
            raise InputError(_one_line(exc)) from None
        except Exception as exc:  # anything else: exit 1
            if debug:
                raise
            click.echo(f"error: {type(exc).__name__}: {_one_line(exc)}", err=True)
            sys.exit(1)

    return wrapper


def _one_line(exc: BaseException) -> str:
    text = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
    return " ".join(text.split())


class _OneLineErrors(click.Group):
    """Usage errors as one line (`error: ...`, exit 2) instead of click's three."""

    def main(self, args=None, prog_name=None, **kwargs):
        kwargs["standalone_mode"] = False
        try:
            result = super().main(args, prog_name, **kwargs)
        except click.UsageError as exc:
            hint = f" (see: {exc.ctx.command_path} --help)" if exc.ctx else ""
            click.echo(f"error: {_one_line(exc.format_message())}{hint}", err=True)
            sys.exit(2)
        except click.ClickException as exc:
            exc.show()
            sys.exit(exc.exit_code)
        except click.exceptions.Abort:
            click.echo("aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=_OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.version_option(package_name="nnlab")
def main(debug: bool) -> None:
    """nnlab: train, evaluate and inspect neural networks from the shell."""


# -- train ----------------------------------------------------------------------------
RUN_FILES = ["model.nnlab", "history.csv", "config.toml", "report.html"]
_force_option = click.option(
    "--force",
    is_flag=True,
    help="Replace existing output files (never the command's own inputs).",
)


def _train_options(fn):
    options = [
        click.option("--target", help="Target column (for a CSV)."),
        click.option(
            "--config",
            "config_path",
            type=click.Path(dir_okay=False),
            help="A TOML file of settings (flags override it).",
        ),
        click.option("--hidden", help="Hidden layer sizes, e.g. 16,8."),
        click.option(
            "--activation",
            type=click.Choice(
                ["relu", "tanh", "sigmoid", "elu", "leaky_relu", "softplus", "linear"]
            ),
            help="Hidden activation.",
        ),
        click.option(
            "--optimizer",
            type=click.Choice(["sgd", "adam", "rmsprop", "adagrad", "adadelta"]),
            help="Optimizer.",
        ),
        click.option("--lr", "learning_rate", type=float, help="Learning rate."),
        click.option("--epochs", type=click.IntRange(min=1), help="Epochs."),
        click.option("--batch-size", type=click.IntRange(min=1), help="Batch size."),
        click.option(
            "--patience", type=click.IntRange(min=0), help="Early-stopping patience (0: off)."
        ),
        click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), help="Dropout rate."),
        click.option("--l2", type=click.FloatRange(min=0), help="L2 penalty factor."),
        click.option("--seed", type=int, help="Seed for everything random."),
        click.option(
            "--non-numeric",
            type=click.Choice(["error", "missing"]),
            help="Non-numeric cells in a numeric column: name them (error) or treat as missing.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _settings(source, config_path, **flags) -> dict:
    from nnlab.workflow import resolve_config

    config = {}
    if config_path:
        try:
            with open(config_path, "rb") as f:
                config = tomllib.load(f)
        except FileNotFoundError:
            raise ValueError(f"No such config file: {config_path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{config_path} is not valid TOML: {exc}") from None
    if source:
        if source.endswith(".csv") or os.path.sep in source or os.path.exists(source):
            if not os.path.exists(source):
                raise ValueError(f"No such CSV file: {source}")
            flags["csv"] = source
        else:
            flags["dataset"] = source
    return resolve_config(config, **flags)


@main.command()
@click.argument("source", required=False)
@_train_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False),
    help="Run folder (default runs/<dataset>-<time>).",
)
@click.option("--verbose", type=click.IntRange(0, 2), default=1, show_default=True)
@_force_option
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(file_okay=False),
    help="Finish an interrupted run from its folder (same settings, bit-identical result).",
)
@handle_errors
def train(source, config_path, out_dir, verbose, force, resume_dir, **flags):
    """Train on a bundled dataset name or a CSV (with --target); no SOURCE runs the
    lectures' penguins example. Writes a run folder: model, history, config, report.
    The folder is checked before training; files in it are replaced only with --force."""
    from nnlab import run_folder
    from nnlab.outputs import run_folder as checked_run_folder
    from nnlab.outputs import unique_folder
    from nnlab.report import write_report
    from nnlab.workflow import train_run

    if resume_dir:
        given = dict(flags, source=source, config=config_path, out=out_dir)
        cfg, out_dir = run_folder.resume_settings(resume_dir, given), resume_dir
        force = True  # the interrupted run's own folder: its files are this run's outputs
    else:
        cfg = _settings(source, config_path, **flags)
        stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out_dir = out_dir or unique_folder(run_folder.default_run_dir(cfg, stamp))
    inputs = {"the training CSV": cfg.get("csv"), "the config file": config_path}
    with checked_run_folder(out_dir, RUN_FILES, inputs, force):
        # config.toml is written first: it is what --resume reads
        with run_folder.started(out_dir, lambda path: _write_toml(path, cfg), bool(resume_dir)):
            run = train_run(cfg, verbose=verbose, callbacks=[run_folder.backup_callback(out_dir)])
    best = getattr(run.history, "best_epoch", None)  # the saved weights' epoch, 1-based
    epochs = {"epoch": len(run.history.epoch), "best_epoch": None if best is None else best + 1}
    run.model.save(
        os.path.join(out_dir, "model.nnlab"),
        preprocessing=run.preprocessor,
        metadata={"checkpoint": epochs},
    )
    _write_history(os.path.join(out_dir, "history.csv"), run.history.history)
    _write_toml(os.path.join(out_dir, "config.toml"), run.config)
    write_report(os.path.join(out_dir, "report.html"), run)
    run_folder.finish(out_dir)
    _print_summary(run, out_dir)


def _print_summary(run, out_dir: str) -> None:
    rows = [
        (
            "data",
            f"{run.dataset} ({run.task}; {run.n_train}/{run.n_val}/{run.n_test} "
            "train/val/test rows)",
        ),
        (
            "model",
            " -> ".join(
                [str(len(run.feature_names))]
                + [str(h) for h in run.config["hidden"]]
                + [str(run.model.outputs[0].shape[-1])]
            )
            + f" ({run.model.count_params()} parameters)",
        ),
        (
            "epochs",
            f"{len(run.history.epoch)}"
            + (
                f" (best {run.history.best_epoch + 1})"
                if getattr(run.history, "best_epoch", None) is not None
                else ""
            ),
        ),
    ]
    rows += [("data note", note) for note in getattr(run, "data_notes", [])]
    rows += [(k, f"{v:.4f}") for k, v in run.test_metrics.items()]
    rows += [("diagnosis", f"{run.diagnosis.label}: {run.diagnosis.message}")]
    rows += [("run folder", out_dir)]
    width = max(len(k) for k, _ in rows)
    click.echo("")
    for k, v in rows:
        click.echo(f"{k.ljust(width)}  {v}")


def _write_history(path: str, history: dict) -> None:
    from nnlab.fileio import atomic_write

    keys = list(history)
    n = max((len(v) for v in history.values()), default=0)
    with atomic_write(path, "w", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["epoch"] + keys)
        for i in range(n):
            writer.writerow([i] + [history[k][i] if i < len(history[k]) else "" for k in keys])


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _write_toml(path: str, config: dict) -> None:
    from nnlab.fileio import atomic_write

    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write("# nnlab run configuration: nnlab train --config config.toml\n")
        for k, v in config.items():
            f.write(f"{k} = {_toml_value(v)}\n")


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
@_force_option
@handle_errors
def predict(model_path, csv_path, out_path, force):
    """Predict for the rows of a CSV with a saved model and its fitted preprocessing.
    Never writes over the model or the CSV; an existing output needs --force."""
    from nnlab.fileio import atomic_write
    from nnlab.outputs import check_output, default_predictions_path

    for what, path in (("model file", model_path), ("CSV file", csv_path)):
        if not os.path.exists(path):  # before the output checks: the first thing to fix
            raise ValueError(f"No such {what}: {path}")
    out_path = out_path or default_predictions_path(csv_path)
    check_output(out_path, {"the model": model_path, "the input CSV": csv_path}, force)
    model, prep = _load(model_path)
    rows = _read_rows(csv_path)
    P = model.predict(prep.transform(rows), verbose=0)

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
    """Loss and metrics of a saved model on the labelled rows of a CSV."""
    from nnlab.workflow import _targets

    model, prep = _load(model_path)
    rows = _read_rows(csv_path)
    X, y = prep.transform(rows), prep.transform_target(rows)
    scores = model.evaluate(
        X, _targets(y, prep.task, len(prep.classes)), verbose=0, return_dict=True
    )
    for k, v in scores.items():
        click.echo(f"{k}: {v:.4f}")


@main.command()
@click.argument("model_path", type=click.Path(dir_okay=False))
@click.option("--batch-size", type=click.IntRange(min=1), default=32, show_default=True)
@handle_errors
def summary(model_path, batch_size):
    """Layers, shapes, parameters, FLOPs and memory of a saved model."""
    from nnlab.models import load_model

    if not os.path.exists(model_path):
        raise ValueError(f"No such model file: {model_path}")
    load_model(model_path).summary(print_fn=click.echo, batch_size=batch_size)


@main.command()
@click.argument("source", required=False)
@_train_options
@click.option(
    "--k", "k", type=click.IntRange(min=2), default=5, show_default=True, help="Number of folds."
)
@handle_errors
def cv(source, config_path, k, **flags):
    """k-fold cross-validation (stratified for classes): every fold and mean ± std."""
    from nnlab.workflow import cross_validate_run

    cfg = _settings(source, config_path, **flags)
    result = cross_validate_run(cfg, k=k)
    click.echo(result.summary())


@main.command()
@click.argument("source", required=False)
@click.option("--hidden", default="4", show_default=True, help="Hidden layer sizes.")
@click.option("--activation", default="tanh", show_default=True)
@click.option("--samples", type=click.IntRange(min=1), default=8, show_default=True)
@handle_errors
def gradcheck(source, hidden, activation, samples):
    """Check backprop against central differences (float64) on a few rows of a dataset."""
    from nnlab.workflow import gradcheck_run

    result = gradcheck_run(
        source or "penguins_lecture", hidden=hidden, activation=activation, samples=samples
    )
    click.echo(str(result))
    click.echo("PASSED" if result.passed() else "FAILED")
    if not result.passed():
        sys.exit(1)


@main.command()
@click.argument("model_path", type=click.Path(dir_okay=False))
@click.argument("onnx_path", type=click.Path(dir_okay=False))
@_force_option
@handle_errors
def export(model_path, onnx_path, force):
    """Export a saved model to ONNX (an existing ONNX_PATH is replaced only with --force)."""
    from nnlab.models import load_model
    from nnlab.onnx_export import export_onnx
    from nnlab.outputs import check_output

    if not os.path.exists(model_path):
        raise ValueError(f"No such model file: {model_path}")
    check_output(onnx_path, {"the model": model_path}, force)
    export_onnx(load_model(model_path), onnx_path)
    click.echo(f"wrote {onnx_path}")


main.add_command(explain_command)

from nnlab.playground.cli import playground  # noqa: E402

main.add_command(playground)

from nnlab.tuning.cli import tune  # noqa: E402  (imports handle_errors from this module)

main.add_command(tune)

if __name__ == "__main__":
    main()
