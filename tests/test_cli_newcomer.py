"""A newcomer's first hour with the `nnlab` command (issue 12): an overview for `nnlab`
alone, help with defaults, a flag for every setting, `nnlab datasets`, `gradcheck
--target`, `cv` honouring every training option with folds called folds, R², MAE and
RMSE for regression, a quiet broken pipe, a run config that reproduces the run from
any folder, and console output a student can read."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import click
import numpy as np
import pandas as pd
import pytest
import tomllib
from click.testing import CliRunner

from nnlab.cli import main
from nnlab.commands.console import EpochProgress
from nnlab.datasets import list_datasets
from nnlab.run_config import DEFAULTS, SETTINGS
from nnlab.workflow import cross_validate_run, resolve_config

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def nnlab(monkeypatch):
    """Run the command in this process (fast), in a given folder, 80 columns wide; the
    overview and the broken pipe below run it as a fresh process instead."""

    def run(*args, cwd):
        monkeypatch.chdir(cwd)
        result = CliRunner().invoke(main, [str(a) for a in args], env={"COLUMNS": "80"})
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return SimpleNamespace(
            returncode=result.exit_code, stdout=result.stdout, stderr=result.stderr
        )

    return run


def result_table(stdout: str) -> dict:
    """The `Result` rows printed last by `nnlab train`: {name: value}."""
    table, key = {}, None
    for line in stdout.split("Result (test rows)\n", 1)[1].splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            key, _, value = line.strip().partition("  ")
            table[key] = value.strip()
        elif key and line.strip():
            table[key] += " " + line.strip()
    return table


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """A classification CSV (category, missing values, an ID column) and a regression
    CSV, in their own folder."""
    folder = tmp_path_factory.mktemp("tables")
    rng = np.random.default_rng(0)
    n = 160
    df = pd.DataFrame(
        {
            "id": [f"A-{i}" for i in range(1000, 1000 + n)],
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "colour": rng.choice(["red", "blue", "green"], n),
        }
    )
    df["label"] = np.where(df.x1 + (df.colour == "red") > 0.3, "yes", "no")
    df.loc[::17, "x2"] = np.nan
    df.to_csv(folder / "animals.csv", index=False)
    reg = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    reg["price"] = 300.0 + 80.0 * reg.a - 40.0 * reg.b + rng.normal(scale=5.0, size=n)
    reg.to_csv(folder / "prices.csv", index=False)
    return folder


# -- the overview and the help ----------------------------------------------------------
@pytest.mark.parametrize(
    "command", [["-m", "nnlab"], ["-c", "from nnlab.cli import main; main()"]]
)
def test_nnlab_alone_prints_an_overview_and_exits_0(tmp_path, command):
    result = subprocess.run(
        [sys.executable, *command], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = result.stdout
    assert out.startswith("nnlab: train, evaluate and inspect neural networks")
    assert "nnlab train data.csv --target y" in out  # a first example
    for name in ("train", "predict", "evaluate", "cv", "datasets", "gradcheck", "export"):
        assert re.search(rf"^  {name}\s", out, flags=re.M), name
    assert len(out.splitlines()) < 45  # short


def test_help_shows_every_command_description_uncut(nnlab, tmp_path):
    out = nnlab("--help", cwd=tmp_path).stdout.split("Commands:")[1]
    flat = " ".join(out.split())
    for name, command in main.commands.items():
        first = " ".join((command.help or "").split("\n\n")[0].split())
        assert first and first in flat, name
    assert "..." not in out


def test_train_help_shows_the_defaults_and_explains_verbose(nnlab, tmp_path):
    result = nnlab("train", "--help", cwd=tmp_path)
    flat = " ".join(result.stdout.split())
    for flag, default in [
        ("--hidden", "16"),
        ("--lr, --learning-rate", "0.01"),
        ("--epochs", "200"),
        ("--patience", "20"),
        ("--batch-size", "32"),
        ("--seed", "0"),
        ("--val-size", "0.2"),
        ("--scaling", "standard"),
    ]:
        assert re.search(rf"{re.escape(flag)} \S.*?\[default: {re.escape(default)}[;\]]", flat), (
            flag
        )
    assert "0: only the results; 1: the plan, a progress bar" in flat


def test_every_option_of_every_command_has_one_line_of_help_and_shows_its_default():
    for name, command in main.commands.items():
        for param in command.params:
            if not isinstance(param, click.Option) or param.name == "help":
                continue
            assert param.help and "\n" not in param.help, (name, param.name)
            ctx = click.Context(command)
            extra = param.get_help_extra(ctx)
            default = param.get_default(ctx, call=False)
            if getattr(param, "shown_default", ""):  # a setting: its real default
                assert extra.get("default") == param.shown_default, (name, param.name)
            elif default not in (None, False) and "UNSET" not in repr(default):
                assert extra.get("default"), (name, param.name)


def test_every_setting_has_a_flag():
    train = main.commands["train"]
    dests = {p.name for p in train.params}
    assert set(DEFAULTS) - {"dataset", "csv"} <= dests  # those two come from SOURCE
    assert set(SETTINGS) == set(DEFAULTS)
    cv_dests = {p.name for p in main.commands["cv"].params}
    # every training option; the run folder's own options are train's alone
    assert dests - cv_dests == {"out_dir", "verbose", "test_size", "force", "resume_dir"}


def test_the_new_flags_reach_the_run(nnlab, tables, tmp_path):
    result = nnlab(
        "train", tables / "animals.csv", "--target", "label", "--positive-class", "yes",
        "--drop", "x2", "--val-size", "0.25", "--test-size", "0.25", "--scaling", "minmax",
        "--epochs", "3", "--verbose", "0", "--out", "r", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    cfg = tomllib.loads((tmp_path / "r" / "config.toml").read_text())
    assert cfg["positive_class"] == "yes" and cfg["drop"] == ["x2"]
    assert cfg["val_size"] == 0.25 and cfg["test_size"] == 0.25 and cfg["scaling"] == "minmax"
    table = result_table(result.stdout)
    assert "(binary; 80/40/40 train/val/test rows)" in table["data"]
    assert table["model"].startswith("4 -> ")  # x1 and colour (3 categories): id, x2 gone


def test_datasets_lists_every_bundled_dataset_with_rows_features_and_task(nnlab, tmp_path):
    result = nnlab("datasets", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "rows", "features", "task", "kind"]
    rows = {line.split()[0]: line.split() for line in lines[1:] if line.strip()}
    table = list_datasets()
    for name, row in table.iterrows():
        features = "x".join(map(str, row["shape"][1:]))  # sequences: steps x features
        assert rows[name][1:4] == [str(row["shape"][0]), features, row["task"]]


def test_gradcheck_takes_a_target_for_a_csv(nnlab, tables, tmp_path):
    result = nnlab("gradcheck", tables / "animals.csv", "--target", "label", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("PASSED")
    result = nnlab("gradcheck", tables / "animals.csv", cwd=tmp_path)
    assert result.returncode == 2 and "A CSV needs --target" in result.stderr


# -- cv -----------------------------------------------------------------------------------
def test_cv_honours_patience_and_names_its_folds(nnlab, tmp_path):
    outs = {}
    for patience in (0, 3):
        result = nnlab(
            "cv", "--k", "3", "--epochs", "60", "--patience", patience, cwd=tmp_path
        )
        assert result.returncode == 0, result.stderr
        outs[patience] = result.stdout
    assert outs[0] != outs[3]
    for k in (1, 2, 3):
        assert f"fold {k}: " in outs[3]
    assert "run " not in outs[3]


def test_cv_early_stopping_watches_rows_of_each_folds_training_part():
    result = cross_validate_run(k=3, epochs=30, patience=5)
    assert len(result.validation) == 3
    for (train, test), watched in zip(result.splits, result.validation):
        assert len(watched) and set(watched) <= set(train)
        assert not set(watched) & set(test)


@pytest.fixture(scope="module")
def cv_plain():
    return cross_validate_run(k=2, epochs=5, patience=2).mean


@pytest.mark.parametrize(
    "setting, value",
    [
        ("hidden", "4"), ("activation", "tanh"), ("dropout", 0.3), ("l2", 0.1),
        ("optimizer", "sgd"), ("learning_rate", 0.05), ("batch_size", 8), ("seed", 3),
        ("val_size", 0.4), ("scaling", "minmax"),
    ],
)  # fmt: skip
def test_cv_honours_every_training_setting(cv_plain, setting, value):
    changed = cross_validate_run(k=2, epochs=5, patience=2, **{setting: value}).mean
    assert cv_plain != changed, setting


# -- regression metrics -----------------------------------------------------------------------
def test_regression_gets_r2_mae_and_rmse_in_train_cv_and_evaluate(nnlab, tables, tmp_path):
    result = nnlab(
        "train", tables / "prices.csv", "--target", "price", "--epochs", "40", "--verbose",
        "0", "--out", "r", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = result_table(result.stdout)
    assert {"test_r2", "test_mae", "test_rmse"} <= set(table)
    assert float(table["test_r2"]) > 0.8
    result = nnlab(
        "cv", tables / "prices.csv", "--target", "price", "--k", "3", "--epochs", "10",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    for metric in ("r2", "mae", "rmse"):
        assert f"{metric}: " in result.stdout and f" {metric} " in result.stdout
    result = nnlab("evaluate", "r/model.nnlab", tables / "prices.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = pd.read_csv(tables / "prices.csv")
    r2 = float(result.stdout.split("r2:")[1].split()[0])
    pred = nnlab("predict", "r/model.nnlab", tables / "prices.csv", "--out", "p.csv",
                 cwd=tmp_path)  # fmt: skip
    assert pred.returncode == 0, pred.stderr
    predicted = pd.read_csv(tmp_path / "p.csv")["predicted_price"].to_numpy()
    residual = rows["price"].to_numpy() - predicted  # in the target's own units
    assert 1 - residual.var() / rows["price"].var() == pytest.approx(r2, abs=0.02)
    assert {"r2", "mae", "rmse", "mse"} <= {line.split(":")[0] for line in
                                             result.stdout.splitlines()}  # fmt: skip


# -- pipes, paths, names ----------------------------------------------------------------
@pytest.mark.parametrize("args", [["train", "--epochs", "30"], ["datasets"]])
def test_a_closed_pipe_ends_quietly(tmp_path, args):
    process = subprocess.Popen(
        [sys.executable, "-m", "nnlab", *args],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = process.stdout.readline()  # like `| head -1`: read a line, then go away
    process.stdout.close()
    stderr = process.stderr.read()
    assert process.wait(timeout=300) == 0
    assert first and stderr == b""


def test_a_run_config_reproduces_the_run_from_any_folder(nnlab, tables, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = nnlab(
        "train", os.path.relpath(tables / "animals.csv", work), "--target", "label",
        "--epochs", "15", "--verbose", "0", cwd=work,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (run,) = (work / "runs").iterdir()
    assert re.fullmatch(r"animals-\d{8}-\d{6}", run.name)  # no .csv in the run's name
    cfg = tomllib.loads((run / "config.toml").read_text())
    assert not os.path.isabs(cfg["csv"])  # relative to the config file's folder
    first = result_table(result.stdout)
    # from inside the run folder, as the file's header says
    again = nnlab("train", "--config", "config.toml", "--verbose", "0", "--out", "../again",
                  cwd=run)  # fmt: skip
    assert again.returncode == 0, again.stderr
    second = result_table(again.stdout)
    # and from somewhere else entirely
    elsewhere = nnlab("train", "--config", run / "config.toml", "--verbose", "0", "--out",
                      "third", cwd=tmp_path)  # fmt: skip
    assert elsewhere.returncode == 0, elsewhere.stderr
    third = result_table(elsewhere.stdout)
    for key in ("test_loss", "test_accuracy", "test_auc", "epochs", "data"):
        assert first[key] == second[key] == third[key], key


def test_a_csv_runs_report_names_the_csv(nnlab, tables, tmp_path):
    result = nnlab("train", tables / "animals.csv", "--target", "label", "--epochs", "5",
                   "--verbose", "0", "--out", "r", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    html = (tmp_path / "r" / "report.html").read_text()
    assert "<h1>nnlab run: animals-0</h1>" in html
    assert "<td>dataset</td><td>animals.csv</td>" in html
    assert "penguins" not in html
    assert result_table(result.stdout)["data"].startswith("animals.csv (binary")


# -- the console ---------------------------------------------------------------------------
def test_default_console_output_plan_lines_summary_report_last(nnlab, tables, tmp_path):
    result = nnlab("train", tables / "animals.csv", "--target", "label", "--epochs", "12",
                   "--out", "r", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = result.stdout
    plan, _, rest = out.partition("epoch 1/12")
    assert plan.startswith("nnlab train: what is about to happen")
    for word in ("data", "split", "preprocessing", "model", "training"):
        assert re.search(rf"^  {word}\s", plan, flags=re.M), word
    assert "animals.csv: 160 rows, target 'label' (binary: no, yes)" in plan
    assert "dropped 'id': identifier-like" in plan
    assert re.search(r"; \d+ parameters", plan)
    # one line per epoch when the output is not a terminal, no per-step timings
    assert 1 + len(re.findall(r"^epoch \d+/12 ", rest, flags=re.M)) == len(
        pd.read_csv(tmp_path / "r" / "history.csv")
    )
    assert "us/step" not in out and "ms/step" not in out
    lines = out.rstrip("\n").splitlines()
    assert lines[-1].split() == ["report", str(Path("r") / "report.html")]
    summary = out.split("Result (test rows)\n", 1)[1]
    assert all(len(line) <= 80 for line in summary.splitlines())  # wrapped to COLUMNS
    assert len(result_table(out)["diagnosis"]) > 80  # a long diagnosis, wrapped


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_the_progress_is_one_updating_bar():
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential

    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    X = np.random.default_rng(0).normal(size=(32, 2)).astype(np.float32)
    stream = _Terminal()
    model.fit(X, X[:, :1], epochs=25, verbose=0, callbacks=[EpochProgress(stream)])
    text = stream.getvalue()
    assert "training" in text and "25/25" in text and "loss" in text
    assert text.count("\n") <= 1 and text.count("\r") >= 2  # redrawn in place
    plain = io.StringIO()
    model.fit(X, X[:, :1], epochs=3, verbose=0, callbacks=[EpochProgress(plain)])
    assert [line.split("  ")[0] for line in plain.getvalue().splitlines()] == [
        "epoch 1/3",
        "epoch 2/3",
        "epoch 3/3",
    ]


def test_flags_override_a_config_file_and_none_keeps_it():
    cfg = resolve_config({"epochs": 7, "hidden": [4]}, epochs=None, hidden="8,8")
    assert cfg["epochs"] == 7 and cfg["hidden"] == [8, 8]
    with pytest.raises(ValueError, match="val_size \\+ test_size must leave training rows"):
        resolve_config(val_size=0.5, test_size=0.5)
