"""Regression targets standardized on the training rows (issue 12): on by default in the
workflow and `nnlab train`, undone for predictions, metrics and the report, recorded in
the model file, and optional in `NNRegressor`; the diabetes comparison with a linear
model fitted on the same training rows."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_diabetes
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error, r2_score

from nnlab.data import TabularPreprocessor
from nnlab.models import load_model
from nnlab.sklearn import NNRegressor
from nnlab.workflow import predict_rows, train_run

BENCH = Path(__file__).resolve().parents[1] / "bench" / "diabetes_r2.py"


@pytest.fixture(scope="module")
def diabetes_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("diabetes") / "diabetes.csv"
    load_diabetes(as_frame=True).frame.to_csv(path, index=False)
    return path


def test_workflow_standardizes_the_target_on_the_training_rows(diabetes_csv):
    run = train_run(csv=str(diabetes_csv), target="target", epochs=30)
    frame = pd.read_csv(diabetes_csv)
    y_train = frame["target"].to_numpy()[run.split["train"]]
    scaling = run.preprocessor.target_scaling
    assert scaling["center"] == pytest.approx([y_train.mean()])
    assert scaling["scale"] == pytest.approx([y_train.std()])
    # the network learned z-scores: its raw outputs are near 0 ...
    raw = run.model.predict(run.X_test, verbose=0)
    assert abs(float(raw.mean())) < 1.0
    # ... and predictions, metrics and the report are in the target's own units
    y_test = frame["target"].to_numpy()[run.split["test"]]
    np.testing.assert_allclose(run.p_test[:, 0], raw[:, 0] * y_train.std() + y_train.mean(),
                               rtol=1e-5)  # fmt: skip
    assert run.test_metrics["test_r2"] == pytest.approx(r2_score(y_test, run.p_test), abs=1e-9)
    assert run.test_metrics["test_mae"] == pytest.approx(
        mean_absolute_error(y_test, run.p_test), rel=1e-9
    )
    assert run.test_metrics["test_rmse"] ** 2 == pytest.approx(run.test_metrics["test_mse"])
    assert any("standardized for training" in note for note in run.notes)
    # the diagnosis speaks of standardized losses (order 1), not thousands
    assert min(run.history.history["val_loss"]) < 2.0


def test_standardizing_can_be_turned_off(diabetes_csv):
    run = train_run(csv=str(diabetes_csv), target="target", epochs=3, standardize_target=False)
    assert run.preprocessor.target_scaling is None
    assert min(run.history.history["loss"]) > 1000  # squared units of the raw target


def test_the_model_file_records_the_scaling_and_predict_undoes_it(diabetes_csv, tmp_path):
    run = train_run(csv=str(diabetes_csv), target="target", epochs=10)
    run.model.save(tmp_path / "m.nnlab", preprocessing=run.preprocessor)
    model = load_model(tmp_path / "m.nnlab")
    prep = model.preprocessing
    assert prep.target_scaling == run.preprocessor.target_scaling
    rows = pd.read_csv(diabetes_csv).iloc[run.split["test"]]
    np.testing.assert_allclose(predict_rows(model, prep, rows), run.p_test, rtol=1e-6)


def test_preprocessing_saved_before_target_scaling_still_loads():
    frame = pd.DataFrame({"x": np.arange(20.0) ** 1.5, "y": np.arange(20.0) * 3 + 1})
    config = TabularPreprocessor("y").fit(frame).to_config()
    for key in ("standardize_target", "target_scaling"):  # what older files lack
        del config[key]
    prep = TabularPreprocessor.from_config(config)
    assert prep.target_scaling is None
    P = np.array([[1.5], [2.5]])
    np.testing.assert_array_equal(prep.inverse_transform_target(P), P)


def test_nnregressor_standardize_target_option():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = 5000.0 + 1000.0 * (X @ np.array([1.0, -2.0, 0.5])) + rng.normal(scale=50, size=200)
    kw = {"hidden_layer_sizes": (8,), "epochs": 60, "learning_rate": 0.01, "random_state": 0}
    plain = NNRegressor(**kw).fit(X, y)
    assert plain.y_mean_ is None and plain.y_scale_ is None  # off by default
    scaled = NNRegressor(**kw, standardize_target=True).fit(X, y)
    np.testing.assert_allclose(scaled.y_mean_, [y.mean()])
    np.testing.assert_allclose(scaled.y_scale_, [y.std()])
    # the same network trained on z-scores by hand, mapped back
    z = NNRegressor(**kw).fit(X, (y - y.mean()) / y.std())
    np.testing.assert_allclose(
        scaled.predict(X), z.predict(X) * y.std() + y.mean(), rtol=1e-6
    )
    assert scaled.score(X, y) > 0.95 > plain.score(X, y)
    with pytest.raises(ValueError, match="standardize_target must be True or False"):
        NNRegressor(standardize_target="yes").fit(X, y)


def test_diabetes_default_train_is_within_0_02_of_linear_regression(diabetes_csv):
    """Must-show 4 (the full check, 5 seeds; bench/diabetes_r2.py runs it through the
    command line): mean test R² of default `nnlab train` runs against LinearRegression
    fitted on the same training rows of the same splits."""
    spec = importlib.util.spec_from_file_location("nnlab_bench_diabetes", BENCH)
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    frame = pd.read_csv(diabetes_csv)
    X, y = frame.drop(columns="target").to_numpy(), frame["target"].to_numpy()
    nn, linear = [], []
    for seed in range(5):
        run = train_run(csv=str(diabetes_csv), target="target", seed=seed)
        train, test = run.split["train"], run.split["test"]
        fit = LinearRegression().fit(X[train], y[train])
        linear.append(r2_score(y[test], fit.predict(X[test])))
        assert bench.linear_r2(frame, seed) == pytest.approx(linear[-1])  # same split
        nn.append(run.test_metrics["test_r2"])
    assert np.mean(nn) >= np.mean(linear) - 0.02, (nn, linear)
