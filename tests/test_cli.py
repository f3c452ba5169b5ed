"""The `nnlab` command: the default penguins run, predict, evaluate, cv, summary,
gradcheck, export, and exit code 2 with one line for bad input."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nnlab.datasets.bundled import DATA_DIR
from nnlab.models import load_model

PENGUINS = DATA_DIR / "penguins.csv"


def nnlab(*args, cwd):
    """Run the command as a user would (a fresh process), capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "nnlab", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def result_table(stdout: str) -> dict:
    """The `Result` rows that `nnlab train` prints last: {name: value}, wrapped values
    joined."""
    table, key = {}, None
    for line in stdout.split("Result (test rows)\n", 1)[1].splitlines():
        if line.startswith("  ") and not line.startswith("   "):
            key, _, value = line.strip().partition("  ")
            table[key] = value.strip()
        elif key and line.strip():
            table[key] += " " + line.strip()
    return table


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    """`nnlab train` with no arguments: the lectures' penguins example."""
    cwd = tmp_path_factory.mktemp("cli")
    result = nnlab("train", "--verbose", "2", "--out", "run", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return cwd, result


def test_train_without_arguments_runs_the_penguins_example(default_run):
    cwd, result = default_run
    out = result.stdout
    assert "Epoch 1/200" in out  # progress, one line per epoch with --verbose 2
    table = result_table(out)
    assert table["data"].startswith("penguins_lecture (binary")
    assert table["model"].startswith("3 -> Dense(16, relu) -> Dense(1, sigmoid) (81 param")
    assert float(table["test_accuracy"]) >= 0.95
    assert "diagnosis" in table
    run = cwd / "run"
    assert sorted(p.name for p in run.iterdir()) == [
        "config.toml",
        "history.csv",
        "model.nnlab",
        "report.html",
    ]
    config = (run / "config.toml").read_text()
    assert 'dataset = "penguins_lecture"' in config and "hidden = [16]" in config
    rows = list(csv.reader((run / "history.csv").open()))
    assert rows[0][:3] == ["epoch", "accuracy", "loss"] and len(rows) > 10


def test_predict_matches_model_predict(default_run):
    cwd, _ = default_run
    result = nnlab("predict", "run/model.nnlab", PENGUINS, "--out", "pred.csv", cwd=cwd)
    assert result.returncode == 0, result.stderr
    pred = pd.read_csv(cwd / "pred.csv")
    model = load_model(cwd / "run" / "model.nnlab")
    prep = model.preprocessing
    P = model.predict(prep.transform(pd.read_csv(PENGUINS)), verbose=0)
    np.testing.assert_array_equal(pred["p_Adelie"].to_numpy(np.float32), P[:, 0])
    np.testing.assert_array_equal(
        pred["p_not Adelie"].to_numpy(np.float32), (1 - P[:, 0]).astype(np.float32)
    )
    assert list(pred["prediction"].unique()) != []
    labels = np.where(P[:, 0] > 0.5, "Adelie", "not Adelie")
    assert (pred["prediction"].to_numpy() == labels).all()
    # and the model is good on the whole table
    truth = pd.read_csv(PENGUINS)["species"].eq("Adelie").to_numpy()
    assert np.mean((P[:, 0] > 0.5) == truth) > 0.95


def test_evaluate_summary_export_and_config_file(default_run):
    cwd, _ = default_run
    result = nnlab("evaluate", "run/model.nnlab", PENGUINS, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert float(result.stdout.split("accuracy:")[1].split()[0]) > 0.95
    result = nnlab("summary", "run/model.nnlab", "--batch-size", "64", cwd=cwd)
    assert "Total params: 81" in result.stdout and "batch_size=64" in result.stdout
    result = nnlab("export", "run/model.nnlab", "m.onnx", cwd=cwd)
    assert result.returncode == 0 and (cwd / "m.onnx").stat().st_size > 0
    # the written config reproduces the run
    result = nnlab(
        "train",
        "--config",
        "run/config.toml",
        "--epochs",
        "3",
        "--verbose",
        "0",
        "--out",
        "again",
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    assert "epochs = 3" in (cwd / "again" / "config.toml").read_text()


def test_train_a_csv_and_cross_validate(tmp_path):
    rng = np.random.default_rng(0)
    n = 150
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "colour": rng.choice(["red", "blue"], n),
        }
    )
    df["label"] = np.where(df.x1 + (df.colour == "red") > 0.5, "yes", "no")
    df.to_csv(tmp_path / "data.csv", index=False)
    result = nnlab(
        "train",
        "data.csv",
        "--target",
        "label",
        "--hidden",
        "8",
        "--epochs",
        "60",
        "--verbose",
        "0",
        "--out",
        "r",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "binary" in result.stdout and (tmp_path / "r" / "report.html").exists()
    result = nnlab(
        "cv", "data.csv", "--target", "label", "--k", "3", "--epochs", "20", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("fold ") == 3 and "accuracy:" in result.stdout
    assert "±" in result.stdout


def test_gradcheck_command(tmp_path):
    result = nnlab("gradcheck", "iris", "--hidden", "5", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("PASSED")


@pytest.mark.parametrize(
    "args, message",
    [
        (["train", "missing.csv", "--target", "y"], "No such CSV file: missing.csv"),
        (["train", "{csv}", "--target", "nope"], "Target column 'nope' is not in"),
        (["train", "--optimizer", "bogus"], "Invalid value for '--optimizer'"),
        (["train", "--hidden", "16,x"], "hidden must be comma-separated positive integers"),
        (["train", "nosuchset"], "unknown dataset 'nosuchset'"),
        (["predict", "missing.nnlab", "{csv}"], "No such model file: missing.nnlab"),
        (["predict", "{model}", "{bad}"], "'flipper_length_mm' holds numbers, but 1 cell(s)"),
        (["predict", "{model}", "{short}"], "lack column(s)"),
        (["evaluate", "{model}", "{model}"], "error:"),
    ],
)
def test_bad_input_exits_2_with_one_line(default_run, tmp_path, args, message):
    cwd, _ = default_run
    bad = pd.read_csv(PENGUINS).head(5)
    bad["flipper_length_mm"] = bad["flipper_length_mm"].astype(object)
    bad.loc[2, "flipper_length_mm"] = "long"
    bad.to_csv(tmp_path / "bad.csv", index=False)
    pd.read_csv(PENGUINS).drop(columns=["bill_depth_mm"]).to_csv(
        tmp_path / "short.csv", index=False
    )
    names = {
        "csv": PENGUINS,
        "model": cwd / "run" / "model.nnlab",
        "bad": tmp_path / "bad.csv",
        "short": tmp_path / "short.csv",
    }
    result = nnlab(*[a.format(**names) for a in args], cwd=tmp_path)
    assert result.returncode == 2, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path):
    result = nnlab("--debug", "train", "missing.csv", "--target", "y", cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" in result.stderr


def test_report_has_every_section(default_run):
    cwd, _ = default_run
    html = (cwd / "run" / "report.html").read_text()
    for section in (
        "diagnosis",
        "configuration",
        "model",
        "learning-curves",
        "confusion-matrix",
        "roc",
        "gradients",
    ):
        assert f'id="{section}"' in html
    assert Path(cwd / "run" / "report.html").stat().st_size < 2_000_000
