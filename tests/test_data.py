"""Tabular input, leak-free splits, cross-validation and repeated seeds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from nnlab.data import (
    StandardScaler,
    TabularPreprocessor,
    holdout_split,
    kfold_indices,
    load_csv,
    propose_output,
)
from nnlab.layers import Dense, Input
from nnlab.model_selection import cross_validate, repeat_seeds
from nnlab.models import Sequential


def messy_frame(n=120, seed=0):
    """Mixed types, missing values, a string target and an ID column."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 12, n)
    age[rng.random(n) < 0.15] = np.nan
    city = rng.choice(["Oslo", "Lima", "Pune"], n).astype(object)
    city[rng.random(n) < 0.1] = None
    income = rng.normal(50_000, 9_000, n)
    label = np.where(np.nan_to_num(age, nan=40) + (city == "Oslo") * 15 > 45, "buys", "skips")
    return pd.DataFrame(
        {
            "customer_id": [f"C{1000 + i}" for i in range(n)],
            "age": age,
            "city": city,
            "income": income,
            "country": "NO",
            "member": rng.random(n) > 0.5,
            "label": label,
        }
    )


def test_messy_csv_is_trainable_and_reported(tmp_path):
    path = tmp_path / "messy.csv"
    messy_frame().to_csv(path, index=False)
    ds = load_csv(path, target="label")
    assert ds.task == "binary" and ds.target_names == ["buys", "skips"]
    assert ds.X.dtype == np.float32 and np.isfinite(ds.X).all()
    assert ds.feature_names == [
        "age",
        "income",
        "city=Lima",
        "city=Oslo",
        "city=Pune",
        "member=False",
        "member=True",
    ]
    report = "\n".join(ds.notes)
    assert "dropped 'customer_id': identifier-like" in report
    assert "dropped 'country': constant" in report
    assert "missing filled with median" in report  # age
    assert "missing filled with" in report.split("'city'")[1].splitlines()[0]
    assert "Dense(1, activation='sigmoid')" in report and "binary_crossentropy" in report
    # the numeric columns are z-scored with these rows' statistics
    np.testing.assert_allclose(ds.X[:, 1].mean(), 0, atol=1e-5)
    np.testing.assert_allclose(ds.X[:, 1].std(), 1, atol=1e-4)
    out = ds.preprocessor.output()
    model = Sequential(
        [
            Input(shape=(ds.X.shape[1],)),
            Dense(8, activation="relu"),
            Dense(out.units, activation=out.activation),
        ]
    )
    model.compile(optimizer="adam", loss=out.loss, metrics=["accuracy"])
    history = model.fit(ds.X, ds.y, epochs=40, batch_size=16, verbose=0)
    assert history.history["accuracy"][-1] > 0.8


def test_preprocessing_applies_to_new_rows_with_the_same_columns():
    df = messy_frame()
    train, new = df.iloc[:100], df.iloc[100:]
    prep = TabularPreprocessor("label").fit(train)
    X_new = prep.transform(new)
    assert X_new.shape == (20, len(prep.feature_names))
    # training statistics, not the new rows': income centred with the training mean
    mean = train["income"].mean()
    std = train["income"].std(ddof=0)
    np.testing.assert_allclose(X_new[:, 1], (new["income"] - mean) / std, rtol=1e-5)
    # a round trip through the JSON config gives the same numbers
    again = TabularPreprocessor.from_config(prep.to_config())
    np.testing.assert_array_equal(again.transform(new), X_new)
    np.testing.assert_array_equal(again.transform_target(new), prep.transform_target(new))
    # column order of new rows does not matter
    np.testing.assert_array_equal(prep.transform(new[new.columns[::-1]]), X_new)


def test_unseen_category_and_missing_column_are_clear_errors():
    df = messy_frame()
    prep = TabularPreprocessor("label").fit(df)
    bad = df.iloc[:3].copy()
    bad.loc[bad.index[0], "city"] = "Paris"
    with pytest.raises(ValueError, match=r"categories \['Paris'\] that were not in the training"):
        prep.transform(bad)
    with pytest.raises(ValueError, match=r"lack column\(s\) \['income'\]"):
        prep.transform(df.drop(columns=["income"]))
    text = df.iloc[:3].copy()
    text["income"] = text["income"].astype(object)
    text.loc[text.index[1], "income"] = "lots"
    with pytest.raises(ValueError, match=r"'income' holds numbers.*\(data row 2: 'lots'\)"):
        prep.transform(text)
    with pytest.raises(ValueError, match="not found"):
        TabularPreprocessor("nope").fit(df)
    with pytest.raises(FileNotFoundError, match="No such CSV"):
        load_csv("/nonexistent/file.csv", target="label")


@pytest.mark.parametrize(
    "target, task, units, act, loss",
    [
        ("species", "multiclass", 3, "softmax", "categorical_crossentropy"),
        ("alive", "binary", 1, "sigmoid", "binary_crossentropy"),
        ("price", "regression", 1, "linear", "mean_squared_error"),
        (["tag_a", "tag_b"], "multilabel", 2, "sigmoid", "binary_crossentropy"),
    ],
)
def test_task_inference_and_output_table(target, task, units, act, loss):
    rng = np.random.default_rng(1)
    n = 60
    df = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "species": rng.choice(["a", "b", "c"], n),
            "alive": rng.integers(0, 2, n),
            "price": rng.normal(100, 10, n),
            "tag_a": rng.integers(0, 2, n),
            "tag_b": rng.integers(0, 2, n),
        }
    )
    others = {"species", "alive", "price", "tag_a", "tag_b"} - set(
        [target] if isinstance(target, str) else target
    )
    prep = TabularPreprocessor(target, drop=sorted(others)).fit(df)
    assert prep.task == task
    proposal = prep.output()
    assert (proposal.units, proposal.activation, proposal.loss) == (units, act, loss)
    assert propose_output(task, units).loss == loss


def test_holdout_split_is_stratified_disjoint_and_seeded():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    train, val, test = holdout_split(y, val_size=0.2, test_size=0.2, seed=3)
    assert len(train) + len(val) + len(test) == 100
    assert not (set(train) & set(val) or set(train) & set(test) or set(val) & set(test))
    for part in (train, val, test):
        frac = np.bincount(y[part], minlength=3) / len(part)
        np.testing.assert_allclose(frac, [0.5, 0.3, 0.2], atol=0.05)
    again = holdout_split(y, val_size=0.2, test_size=0.2, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip((train, val, test), again))
    assert not np.array_equal(holdout_split(y, seed=4)[0], train)


def test_kfold_covers_every_sample_once():
    y = np.repeat([0, 1], [30, 20])
    folds = kfold_indices(y, k=5, seed=0)
    seen = np.concatenate([va for _, va in folds])
    assert sorted(seen.tolist()) == list(range(50))
    for tr, va in folds:
        assert not set(tr) & set(va)
        assert np.bincount(y[va]).tolist() == [6, 4]  # stratified
    assert len(kfold_indices(50, k=5)) == 5
    with pytest.raises(ValueError, match="at least 5 samples of every class"):
        kfold_indices(np.array([0] * 10 + [1] * 3), k=5)


class SpyScaler(StandardScaler):
    """Records the rows it is fitted on."""

    fitted_rows: list = []

    def fit(self, X, y=None):
        SpyScaler.fitted_rows.append(np.asarray(X).copy())
        return super().fit(X, y)


def test_cross_validate_penguin_like_data_without_leaks():
    from nnlab.datasets import load_penguins

    ds = load_penguins()
    X = ds.X.astype(np.float64)
    row_id = np.arange(len(X), dtype=np.float64)
    X_tagged = np.column_stack([X, row_id])  # the last column identifies each row
    y = np.eye(ds.n_classes)[ds.y]
    SpyScaler.fitted_rows = []

    def build():
        model = Sequential(
            [
                Input(shape=(X_tagged.shape[1],)),
                Dense(8, activation="relu"),
                Dense(ds.n_classes, activation="softmax"),
            ]
        )
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    result = cross_validate(
        build,
        X_tagged,
        y,
        k=5,
        preprocessing=SpyScaler,
        fit_kwargs={"epochs": 30, "batch_size": 16},
    )
    assert len(result.runs) == 5 and result.metrics == ["loss", "accuracy"]
    assert result.mean["accuracy"] > 0.9
    assert 0 <= result.std["accuracy"] < 0.1
    assert "accuracy:" in result.summary() and "±" in result.summary()
    # No fold's scaler ever saw its validation rows.
    assert len(SpyScaler.fitted_rows) == 5
    for rows, (tr, va) in zip(SpyScaler.fitted_rows, result.splits):
        seen = set(rows[:, -1].astype(int).tolist())
        assert seen == set(tr.tolist())
        assert not seen & set(va.tolist())
    # Stratified: each validation fold keeps the class mix within one sample.
    for _, va in result.splits:
        want = np.bincount(ds.y) / len(ds.y) * len(va)
        assert np.all(np.abs(np.bincount(ds.y[va], minlength=3) - want) <= 1)


def test_repeat_seeds_reports_mean_and_std():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(float)[:, None]

    def build():
        model = Sequential([Input(shape=(2,)), Dense(1, activation="sigmoid")])
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
        return model

    result = repeat_seeds(
        build, X[:60], y[:60], X[60:], y[60:], seeds=[0, 1, 2], fit_kwargs={"epochs": 5}
    )
    assert len(result.runs) == 3
    losses = [r["loss"] for r in result.runs]
    assert len(set(losses)) == 3  # different seeds, different runs
    assert result.mean["loss"] == pytest.approx(np.mean(losses))
    assert result.std["loss"] == pytest.approx(np.std(losses))
