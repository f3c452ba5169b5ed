"""The bad-input corpus for preprocessing and training (issue 10): every bad table,
setting, layer or fit argument gets an error (or, where Keras accepts it, a warning)
that names the problem and the fix, raised before any work is done. Command-line cases
exit with code 2 and one line, no traceback."""

from __future__ import annotations

import re
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from nnlab import config as nn_config
from nnlab.backend import DEFAULT_MAX_WEIGHT_BYTES, WeightTooLargeError
from nnlab.cli import main
from nnlab.data import TabularPreprocessor, load_csv
from nnlab.data.table_checks import read_csv
from nnlab.layers import Dense, Dropout, Input
from nnlab.models import Sequential
from nnlab.workflow import resolve_config

HEADER = "x1,x2,label\n"


def _rows(n=20, seed=0) -> list[str]:
    r = np.random.default_rng(seed)
    return [f"{a:.3f},{b:.3f},{'yes' if a + b > 0 else 'no'}" for a, b in r.normal(size=(n, 2))]


def _csv(tmp_path, name="data.csv", text=None, edit=None, raw: bytes | None = None) -> str:
    """A small valid CSV (20 rows), or `text`, or its rows changed by `edit(rows)`."""
    path = tmp_path / name
    if raw is not None:
        path.write_bytes(raw)
        return str(path)
    if text is None:
        rows = _rows()
        if edit is not None:
            edit(rows)
        text = HEADER + "\n".join(rows) + "\n"
    path.write_text(text)
    return str(path)


def _set(rows, i, column, value):
    cells = rows[i].split(",")
    cells[column] = value
    rows[i] = ",".join(cells)


def _model(*layers):
    return Sequential([Input(shape=(3,)), *layers, Dense(1)])


def _compiled():
    model = _model(Dense(4))
    model.compile("sgd", "mse")
    return model


XY = (np.ones((8, 3), "float32"), np.ones((8, 1), "float32"))

# (id, function of tmp_path that raises, exception type, patterns the message must hold:
# what was wrong ... and how to fix it)
API_CASES = [
    # -- CSV files ---------------------------------------------------------------------
    (
        "typo-in-numeric-column",
        lambda p: load_csv(_csv(p, edit=lambda r: _set(r, 6, 0, "abc")), "label"),
        ValueError,
        [r"Column 'x1' holds numbers", r"data row 7: 'abc'", r"non_numeric='missing'"],
    ),
    (
        "several-typos-listed-with-a-count",
        lambda p: load_csv(
            _csv(p, edit=lambda r: [_set(r, i, 1, f"n/a{i}") for i in range(7)]), "label"
        ),
        ValueError,
        [r"'x2'.*7 cell\(s\) are not numbers", r"data row 1: 'n/a0'", r"and 2 more", "Correct"],
    ),
    (
        "inf-cell",
        lambda p: load_csv(_csv(p, edit=lambda r: _set(r, 2, 0, "inf")), "label"),
        ValueError,
        [r"'x1' holds infinite values \(data row 3: inf\)", "leave the cells empty"],
    ),
    (
        "minus-inf-cell",
        lambda p: load_csv(_csv(p, edit=lambda r: _set(r, 4, 1, "-inf")), "label"),
        ValueError,
        [r"'x2' holds infinite values \(data row 5: -inf\)", "Replace them"],
    ),
    (
        "value-near-1e300",
        lambda p: load_csv(_csv(p, edit=lambda r: _set(r, 0, 0, "1e300")), "label"),
        ValueError,
        [r"beyond float32's range.*data row 1: 1e\+300", "Rescale the column"],
    ),
    (
        "value-below-minus-float32-max",
        lambda p: load_csv(_csv(p, edit=lambda r: _set(r, 9, 1, "-5e38")), "label"),
        ValueError,
        [r"'x2' holds values beyond float32.*data row 10", "logarithm"],
    ),
    (
        "duplicate-target-column",
        lambda p: load_csv(_csv(p, text="a,label,label\n1,x,x\n2,y,y\n"), "label"),
        ValueError,
        [r"duplicate column names: 'label' is the name of columns 2, 3", "rename or remove"],
    ),
    (
        "duplicate-columns-in-a-dataframe",
        lambda p: TabularPreprocessor("y").fit(
            pd.DataFrame([[1, 2, 0], [3, 4, 1]], columns=["a", "a", "y"])
        ),
        ValueError,
        [r"'a' is the name of columns 1, 2", "rename or remove"],
    ),
    (
        "header-only",
        lambda p: load_csv(_csv(p, text=HEADER), "label"),
        ValueError,
        [r"has a header \(x1, x2, label\) but no data rows", "Add rows"],
    ),
    (
        "empty-file",
        lambda p: load_csv(_csv(p, text=""), "label"),
        ValueError,
        ["is empty", "expected a header line"],
    ),
    (
        "blank-lines-only",
        lambda p: load_csv(_csv(p, text="\n\n  \n"), "label"),
        ValueError,
        ["is empty", "header line"],
    ),
    (
        "latin-1-byte",
        lambda p: load_csv(_csv(p, raw=HEADER.encode() + "1.0,2.0,caf\xe9\n".encode("latin-1")),
                           "label"),
        ValueError,
        [r"data.csv is not UTF-8 text: byte 0xe9 at offset 23 \(line 2\)", "iconv -f latin1"],
    ),
    (
        "missing-file",
        lambda p: load_csv(str(p / "nope.csv"), "label"),
        FileNotFoundError,
        [r"No such CSV file: .*nope.csv"],
    ),
    (
        "folder-instead-of-file",
        lambda p: read_csv(str(p)),
        ValueError,
        ["is a folder, not a CSV file", "Pass the path of a .csv file"],
    ),
    (
        "ragged-rows",
        lambda p: load_csv(_csv(p, text="a,b\n1,2\n3,4,5,6\n"), "b"),
        ValueError,
        ["Could not read .*data.csv as CSV", "Expected 2 fields"],
    ),
    (
        "missing-targets-in-preprocessor",
        lambda p: TabularPreprocessor("y").fit(
            pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": ["u", None, "v", None]})
        ),
        ValueError,
        [r"missing values in 2 rows \(data rows 2, 4\)", "Drop those rows first"],
    ),
    (
        "unknown-target-in-preprocessor",
        lambda p: TabularPreprocessor("nope").fit(pd.DataFrame({"a": [1, 2], "b": [3, 4]})),
        ValueError,
        [r"\['nope'\] not found", r"has columns \['a', 'b'\]"],
    ),
    (
        "bad-non-numeric-option",
        lambda p: TabularPreprocessor("y", non_numeric="ignore"),
        ValueError,
        ["non_numeric must be 'error'", "Received: non_numeric='ignore'"],
    ),
    (
        "text-in-numeric-column-at-predict-time",
        lambda p: TabularPreprocessor("label")
        .fit(pd.read_csv(_csv(p)))
        .transform(pd.DataFrame({"x1": ["0.1", "zz"], "x2": [0.2, 0.3]})),
        ValueError,
        [r"'x1' must be numeric; data row 2 holds 'zz'", "Correct the cell"],
    ),
    (
        "inf-at-predict-time",
        lambda p: TabularPreprocessor("label")
        .fit(pd.read_csv(_csv(p)))
        .transform(pd.DataFrame({"x1": [0.1, np.inf], "x2": [0.2, 0.3]})),
        ValueError,
        [r"'x1' holds infinite values \(data row 2: inf\)", "Replace them"],
    ),
    # -- fit arguments ----------------------------------------------------------------
    (
        "validation-split-text",
        lambda p: _compiled().fit(*XY, validation_split="abc", verbose=0),
        ValueError,
        [r"validation_split must be a float in \[0, 1\)", "Received: validation_split='abc'",
         "Pass e.g. validation_split=0.2"],
    ),
    (
        "validation-split-one",
        lambda p: _compiled().fit(*XY, validation_split=1.0, verbose=0),
        ValueError,
        ["Received: validation_split=1.0", "or 0 for none"],
    ),
    (
        "validation-split-bool",
        lambda p: _compiled().fit(*XY, validation_split=True, verbose=0),
        ValueError,
        ["Received: validation_split=True"],
    ),
    (
        "negative-epochs",
        lambda p: _compiled().fit(*XY, epochs=-1, verbose=0),
        ValueError,
        [r"epochs must be an int >= 0", "Received: epochs=-1"],
    ),
    (
        "zero-batch-size",
        lambda p: _compiled().fit(*XY, batch_size=0, verbose=0),
        ValueError,
        [r"batch_size must be an int >= 1", "Received: batch_size=0"],
    ),
    # -- layers ------------------------------------------------------------------------
    (
        "dropout-rate-one",
        lambda p: Dropout(1.0),
        ValueError,
        [r"expects a number in \[0, 1\)", "Received: rate=1.0", "Use e.g. rate=0.5"],
    ),
    (
        "dropout-rate-above-one",
        lambda p: Dropout(1.5),
        ValueError,
        ["Received: rate=1.5", "rate=0.5"],
    ),
    (
        "dropout-rate-negative",
        lambda p: Dropout(-0.1),
        ValueError,
        ["Received: rate=-0.1", "rate=0.5"],
    ),
    (
        "dropout-rate-text",
        lambda p: Dropout("0.5"),
        ValueError,
        ["Received: rate='0.5'"],
    ),
    (
        "input-shape-zero",
        lambda p: Input(shape=0),
        ValueError,
        [r"size >= 1", r"Received: shape=\(0,\)", r"e.g. Input\(shape=\(4,\)\)"],
    ),
    (
        "input-shape-with-a-zero-axis",
        lambda p: Input(shape=(4, 0)),
        ValueError,
        [r"Received: shape=\(4, 0\)", "number of features"],
    ),
    (
        "dense-of-40-gigabytes",
        lambda p: Sequential([Input(shape=(100000,)), Dense(100000)]),
        WeightTooLargeError,
        [r"Dense 'dense\w*': its kernel of shape \(100000, 100000\) in float32",
         "40,000,000,000 bytes", "set_max_weight_bytes"],
    ),
    (
        "cap-must-be-positive",
        lambda p: nn_config.set_max_weight_bytes(0),
        ValueError,
        ["positive int .bytes. or None", "Received: 0"],
    ),
    # -- workflow settings (a TOML file or flags) ----------------------------------------
    (
        "setting-epochs-text",
        lambda p: resolve_config({"epochs": "abc"}),
        ValueError,
        ["Setting 'epochs' expects an int", r"Received: epochs='abc' \(str\)", "epochs = 200"],
    ),
    (
        "setting-epochs-float",
        lambda p: resolve_config({"epochs": 2.5}),
        ValueError,
        ["'epochs' expects an int", "Received: epochs=2.5"],
    ),
    (
        "setting-learning-rate-negative",
        lambda p: resolve_config({"learning_rate": -1}),
        ValueError,
        [r"'learning_rate' must lie in \(0, inf\)", "Received: learning_rate=-1.0"],
    ),
    (
        "setting-learning-rate-nan",  # nan passed every bound check before
        lambda p: resolve_config({"learning_rate": float("nan")}),
        ValueError,
        [r"'learning_rate' must lie in \(0, inf\)", "Received: learning_rate=nan"],
    ),
    (
        "setting-dropout-inf",
        lambda p: resolve_config({"dropout": float("inf")}),
        ValueError,
        [r"'dropout' must lie in \[0, 1\)", "Received: dropout=inf"],
    ),
    (
        "setting-dropout-one",
        lambda p: resolve_config({"dropout": 1}),
        ValueError,
        [r"'dropout' must lie in \[0, 1\)", "Received: dropout=1.0"],
    ),
    (
        "setting-batch-size-zero",
        lambda p: resolve_config(batch_size=0),
        ValueError,
        [r"'batch_size' must lie in \[1, inf\)", "Received: batch_size=0"],
    ),
    (
        "setting-seed-text",
        lambda p: resolve_config({"seed": "x"}),
        ValueError,
        ["'seed' expects an int", "seed = 0"],
    ),
    (
        "setting-hidden-with-text",
        lambda p: resolve_config({"hidden": [16, "a"]}),
        ValueError,
        ["'hidden' expects a list of positive ints", r"hidden = \[16, 8\]"],
    ),
    (
        "setting-hidden-string-typo",
        lambda p: resolve_config(hidden="16,x"),
        ValueError,
        ["comma-separated positive integers like 16,8", "Received '16,x'"],
    ),
    (
        "setting-unknown-key",
        lambda p: resolve_config({"epoch": 3}),
        ValueError,
        [r"Unknown setting\(s\) \['epoch'\]", "Known settings"],
    ),
    (
        "setting-non-numeric-choice",
        lambda p: resolve_config({"non_numeric": "maybe"}),
        ValueError,
        ["'non_numeric' expects 'error' or 'missing'", "Received: non_numeric='maybe'"],
    ),
    (
        "setting-val-size-text",
        lambda p: resolve_config({"val_size": "0.2"}),
        ValueError,
        ["'val_size' expects a number", "val_size = 0.2"],
    ),
]


@pytest.mark.parametrize(
    ("make", "error", "patterns"),
    [case[1:] for case in API_CASES],
    ids=[case[0] for case in API_CASES],
)
def test_api_bad_input(tmp_path, make, error, patterns):
    with pytest.raises(error) as info:
        make(tmp_path)
    message = str(info.value)
    for pattern in patterns:
        assert re.search(pattern, message), (pattern, message)
    assert "\n" not in message


# -- warnings where Keras accepts the input ---------------------------------------------
def test_initial_epoch_not_below_epochs_warns_and_runs_nothing():
    model = _compiled()
    with pytest.warns(UserWarning, match=r"runs no epoch.*pass epochs=7"):
        history = model.fit(*XY, epochs=2, initial_epoch=5, verbose=0)
    assert history.history == {} and history.epoch == []


def test_softmax_over_one_unit_warns_that_the_loss_is_always_zero():
    model = Sequential([Input(shape=(3,)), Dense(1, activation="softmax")])
    with pytest.warns(UserWarning, match=r"softmax over a single unit.*always 0.*sigmoid"):
        model.compile("sgd", "categorical_crossentropy")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a proper two-class output does not warn
        Sequential([Input(shape=(3,)), Dense(2, activation="softmax")]).compile(
            "sgd", "categorical_crossentropy"
        )


def test_weight_cap_is_configurable_and_checked_before_allocation():
    try:
        nn_config.set_max_weight_bytes(1000)
        with pytest.raises(WeightTooLargeError, match=r"1,200 bytes.*cap of 1,000 bytes"):
            Sequential([Input(shape=(30,)), Dense(10)])  # kernel 30 x 10 float32
        with pytest.raises(MemoryError):  # also a MemoryError, for code that catches those
            Sequential([Input(shape=(30,)), Dense(10)])
        nn_config.set_max_weight_bytes(None)
        assert Sequential([Input(shape=(30,)), Dense(10)]).count_params() == 310
    finally:
        nn_config.set_max_weight_bytes(DEFAULT_MAX_WEIGHT_BYTES)
    assert nn_config.max_weight_bytes() == DEFAULT_MAX_WEIGHT_BYTES


# -- preprocessing that reports instead of guessing ------------------------------------
def test_non_numeric_cells_can_be_treated_as_missing_and_are_reported(tmp_path):
    path = _csv(tmp_path, edit=lambda r: _set(r, 6, 0, "abc"))
    ds = load_csv(path, "label", non_numeric="missing")
    assert "x1" in ds.preprocessor.numeric  # still a numeric feature, not an identifier
    assert any("1 non-numeric cell(s) treated as missing (data row 7: 'abc')" in note
               for note in ds.notes)
    assert np.isfinite(ds.X).all()
    again = TabularPreprocessor.from_config(ds.preprocessor.to_config())
    assert again.non_numeric == "missing"


def test_running_number_id_is_found_in_the_file_order_even_in_a_shuffled_subset():
    n = 40
    r = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"id": np.arange(101, 101 + n), "a": r.normal(size=n), "y": r.integers(0, 2, n)}
    )
    subset = frame.iloc[r.permutation(n)[:25]]  # a training split: shuffled, with gaps
    prep = TabularPreprocessor("y").fit(subset)
    assert prep.dropped.get("id") == "identifier"
    assert any("running number" in note for note in prep.report)
    shuffled_ids = frame.assign(id=r.permutation(frame["id"].to_numpy()))
    prep = TabularPreprocessor("y").fit(shuffled_ids)  # not a running number in file order
    assert "id" in prep.numeric


# -- the command line: exit code 2, one line, no traceback -----------------------------
def _toml(p, text):
    path = p / "settings.toml"
    path.write_text(text)
    return str(path)


CLI_CASES = [
    ("header-only", lambda p: ["train", _csv(p, text=HEADER), "--target", "label"],
     [r"but no data rows", "Add rows"]),
    ("latin-1", lambda p: ["train", _csv(p, raw=b"a,label\n1,caf\xe9\n"), "--target", "label"],
     [r"not UTF-8 text: byte 0xe9 at offset 13 \(line 2\)", "iconv"]),
    ("unknown-target-bundled", lambda p: ["train", "penguins", "--target", "nope"],
     [r"Target column 'nope' is not in penguins", "bill_length_mm", "with --target"]),
    ("unknown-target-csv", lambda p: ["train", _csv(p), "--target", "nope"],
     [r"Target column 'nope' is not in .*data.csv", "x1, x2, label"]),
    ("csv-without-target", lambda p: ["train", _csv(p)], ["needs --target"]),
    ("missing-csv", lambda p: ["train", "nope.csv", "--target", "y"], ["No such CSV file"]),
    ("toml-epochs-text", lambda p: ["train", "iris", "--config", _toml(p, 'epochs = "abc"\n')],
     ["Setting 'epochs' expects an int", "Received: epochs='abc'", "epochs = 200"]),
    ("toml-dropout-range", lambda p: ["train", "iris", "--config", _toml(p, "dropout = 1.5\n")],
     [r"'dropout' must lie in \[0, 1\)", "dropout=1.5"]),
    ("toml-unknown-key", lambda p: ["train", "iris", "--config", _toml(p, "epoch = 3\n")],
     [r"Unknown setting\(s\) \['epoch'\]"]),
    ("toml-syntax", lambda p: ["train", "iris", "--config", _toml(p, "epochs = \n")],
     ["is not valid TOML"]),
    ("toml-hidden-type", lambda p: ["train", "iris", "--config", _toml(p, 'hidden = [1, "b"]\n')],
     ["'hidden' expects a list of positive ints"]),
    ("duplicate-columns", lambda p: ["train", _csv(p, text="a,label,label\n1,x,x\n"),
                                     "--target", "label"],
     ["duplicate column names", "rename or remove"]),
    ("typo", lambda p: ["train", _csv(p, edit=lambda r: _set(r, 3, 1, "abc")), "--target",
                        "label"],
     [r"'x2' holds numbers.*data row 4: 'abc'", "--non-numeric missing"]),
    ("inf", lambda p: ["train", _csv(p, edit=lambda r: _set(r, 3, 1, "inf")), "--target",
                       "label"],
     [r"'x2' holds infinite values \(data row 4: inf\)"]),
    ("huge-hidden-layers", lambda p: ["train", "iris", "--hidden", "100000,100000"],
     [r"kernel of shape \(100000, 100000\)", "40,000,000,000 bytes", "set_max_weight_bytes"]),
    ("hidden-typo", lambda p: ["train", "iris", "--hidden", "16,x"],
     ["comma-separated positive integers"]),
    ("non-numeric-choice", lambda p: ["train", "iris", "--non-numeric", "skip"],
     ["'skip' is not one of 'error', 'missing'"]),
    ("resume-missing-folder", lambda p: ["train", "--resume", "nowhere"],
     ["no such run folder: nowhere"]),
    ("resume-not-a-run", lambda p: ["train", "--resume", str(p)],
     ["has no config.toml", "Pass the run folder"]),
    ("resume-with-settings", lambda p: ["train", "--resume", str(p), "--epochs", "3"],
     ["takes no other settings. Received: epochs", "Drop them"]),
]


@pytest.mark.parametrize(
    ("make", "patterns"), [c[1:] for c in CLI_CASES], ids=[c[0] for c in CLI_CASES]
)
def test_cli_bad_input(tmp_path, monkeypatch, make, patterns):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, make(tmp_path))
    err = result.stderr
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert "Traceback" not in result.output
    assert err.startswith("error: ") and err.count("\n") == 1, err
    for pattern in patterns:
        assert re.search(pattern, err), (pattern, err)
    assert not (tmp_path / "runs").exists()  # a run that never started leaves no folder


def test_cli_dropped_target_rows_are_counted_and_printed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rows = _rows(40)
    _set(rows, 2, 2, "")
    _set(rows, 6, 2, "")
    path = _csv(tmp_path, text=HEADER + "\n".join(rows) + "\n")
    result = CliRunner().invoke(
        main, ["train", path, "--target", "label", "--epochs", "2", "--verbose", "0",
               "--out", "run"]
    )
    assert result.exit_code == 0, result.output
    assert "dropped 2 of 40 rows whose target 'label' is missing (data rows 3, 7)" in result.stdout


def test_cli_huge_layers_exit_2_with_one_line_in_a_fresh_process(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "nnlab", "train", "iris", "--hidden", "100000,100000"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "40,000,000,000 bytes" in result.stderr


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    """A model saved with its preprocessing, as `nnlab train` saves one."""
    folder = tmp_path_factory.mktemp("model")
    prep = TabularPreprocessor("label").fit(pd.read_csv(_csv(folder)))
    model = Sequential([Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    model.save(folder / "m.nnlab", preprocessing=prep)
    return str(folder / "m.nnlab")


ROWS_CASES = [
    ("predict-latin-1", "predict", b"x1,x2\n1.0,caf\xe9\n", [r"0xe9 at offset 13 \(line 2\)"]),
    ("predict-header-only", "predict", b"x1,x2\n", ["but no data rows"]),
    ("evaluate-duplicate-names", "evaluate", b"x1,x1,label\n1,2,yes\n", ["duplicate column"]),
    ("evaluate-inf", "evaluate", b"x1,x2,label\n1,inf,yes\n", [r"'x2' holds infinite"]),
]


@pytest.mark.parametrize(
    ("command", "rows", "patterns"), [c[1:] for c in ROWS_CASES], ids=[c[0] for c in ROWS_CASES]
)
def test_cli_bad_rows_for_a_saved_model(tmp_path, monkeypatch, saved_model, command, rows,
                                        patterns):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rows.csv").write_bytes(rows)
    result = CliRunner().invoke(main, [command, saved_model, "rows.csv", "--out", "p.csv"]
                                if command == "predict" else [command, saved_model, "rows.csv"])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output
    for pattern in patterns:
        assert re.search(pattern, result.stderr), (pattern, result.stderr)
    assert not (tmp_path / "p.csv").exists()
