"""The whole pipeline in ONNX (issue 12, must-show 5): raw CSV columns in, the fitted
preprocessing inside the graph, labels and probabilities out with the class names as
metadata; onnxruntime on raw rows gives `nnlab predict`'s results to 1e-5."""

from __future__ import annotations

import json

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest
from click.testing import CliRunner

from nnlab.cli import main
from nnlab.models import load_model
from nnlab.onnx_pipeline import export_pipeline_onnx, pipeline_inputs


def _table(task: str, n: int = 180) -> pd.DataFrame:
    """A table with an ID column, a categorical column and missing values in both kinds."""
    rng = np.random.default_rng(1)
    df = pd.DataFrame(
        {
            "passenger": [f"P{i:04d}" for i in range(n)],
            "age": rng.normal(40, 12, n).round(1),
            "fare": rng.gamma(2.0, 20.0, n).round(2),
            "port": rng.choice(["Cherbourg", "Queenstown", "Southampton"], n),
        }
    )
    score = (df.age - 40) / 12 + (df.port == "Cherbourg") - (df.fare > 50)
    if task == "multiclass":
        df["class"] = np.select([score < -0.5, score < 0.5], ["third", "second"], "first")
    elif task == "binary":
        df["class"] = np.where(score > 0, "survived", "died")
    else:
        df["class"] = 100.0 + 30.0 * score + rng.normal(0, 3, n)
    df.loc[::7, "age"] = np.nan
    df.loc[3::11, "port"] = np.nan
    return df


def _feed(session, rows: pd.DataFrame) -> dict:
    """Raw rows as the ONNX inputs: numbers as double (NaN when missing), text as
    string ("" when missing)."""
    feed = {}
    for i in session.get_inputs():
        col = rows[i.name]
        if i.type == "tensor(string)":
            values = col.astype(object).where(col.notna(), "").astype(str).to_numpy()
        else:
            values = pd.to_numeric(col).astype(np.float64).to_numpy()
        feed[i.name] = values.reshape(-1, 1)
    return feed


def _cli(*args, cwd, monkeypatch):
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_onnx_on_raw_rows_equals_nnlab_predict(task, tmp_path, monkeypatch):
    table = _table(task)
    table.to_csv(tmp_path / "passengers.csv", index=False)
    rows = table.drop(columns="class")
    rows.to_csv(tmp_path / "rows.csv", index=False)
    _cli("train", "passengers.csv", "--target", "class", "--epochs", "30", "--verbose", "0",
         "--out", "run", cwd=tmp_path, monkeypatch=monkeypatch)  # fmt: skip
    _cli("predict", "run/model.nnlab", "rows.csv", "--out", "pred.csv", cwd=tmp_path,
         monkeypatch=monkeypatch)  # fmt: skip
    _cli("export", "run/model.nnlab", "model.onnx", cwd=tmp_path, monkeypatch=monkeypatch)
    predicted = pd.read_csv(tmp_path / "pred.csv")
    prep = load_model(tmp_path / "run" / "model.nnlab").preprocessing

    session = ort.InferenceSession(str(tmp_path / "model.onnx"),
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    # one named input per used column: numeric as double, categorical as string;
    # the ID column and the target are not inputs
    assert [(i.name, i.type) for i in session.get_inputs()] == [
        ("age", "tensor(double)"),
        ("fare", "tensor(double)"),
        ("port", "tensor(string)"),
    ]
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["task"]) == task
    assert [i["name"] for i in json.loads(meta["inputs"])] == ["age", "fare", "port"]
    outputs = session.run(None, _feed(session, rows))
    if task == "regression":
        (values,) = outputs
        assert prep.target_scaling is not None  # the un-standardizing is in the graph
        # to 1e-5 in the network's (standardized) units: the float32 network's last
        # bits, times the target's standard deviation (about 30 here)
        scale = prep.target_scaling["scale"][0]
        np.testing.assert_allclose(values[:, 0], predicted["predicted_class"], rtol=0,
                                   atol=1e-5 * scale)  # fmt: skip
        return
    labels, probabilities = outputs
    classes = json.loads(meta["class_names"])
    assert classes == [str(c) for c in prep.classes]
    assert list(labels) == list(predicted["prediction"].astype(str))
    expected = predicted[[f"p_{c}" for c in classes]].to_numpy()
    np.testing.assert_allclose(probabilities, expected, rtol=0, atol=1e-5)
    assert len(set(labels)) > 1


def test_missing_and_unseen_categories(tmp_path):
    from nnlab.workflow import train_run

    table = _table("binary")
    table.to_csv(tmp_path / "t.csv", index=False)
    run = train_run(csv=str(tmp_path / "t.csv"), target="class", epochs=5)
    run.model.preprocessing = run.preprocessor
    proto = export_pipeline_onnx(run.model, tmp_path / "m.onnx")
    session = ort.InferenceSession(proto.SerializeToString(),
                                   providers=["CPUExecutionProvider"])  # fmt: skip
    rows = pd.DataFrame({"age": [np.nan, 30.0], "fare": [10.0, np.nan],
                         "port": [np.nan, "Southampton"]})  # fmt: skip
    _, probabilities = session.run(None, _feed(session, rows))
    # missing values become the training median / most frequent category, as in nnlab
    expected = run.model.predict(run.preprocessor.transform(rows), verbose=0)[:, 0]
    np.testing.assert_allclose(probabilities[:, 1], expected, atol=1e-6)
    # a category never seen in training: a row of zeros in the one-hot block
    unseen = _feed(session, rows)
    unseen["port"] = np.array([["Atlantis"], ["Southampton"]], dtype=object)
    X = run.preprocessor.transform(rows)
    X[0, -3:] = 0.0
    _, probabilities = session.run(None, unseen)
    np.testing.assert_allclose(probabilities[:, 1], run.model.predict(X, verbose=0)[:, 0],
                               atol=1e-6)  # fmt: skip
    assert pipeline_inputs(run.preprocessor)[-1] == ("port", "string")


def test_a_model_without_preprocessing_is_refused():
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential
    from nnlab.onnx_export import ONNXExportError

    model = Sequential([Input(shape=(2,)), Dense(1)])
    with pytest.raises(ONNXExportError, match="needs the model's fitted preprocessing"):
        export_pipeline_onnx(model, None)
