"""The lectures' figures (nnlab.plotting): each drawn, checked through its artists."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from matplotlib.figure import Figure

import nnlab
from nnlab import plotting as P
from nnlab.layers import Dense
from nnlab.plotting.figures import subplots

PNG = b"\x89PNG\r\n\x1a\n"


def _fit(epochs=4, **kw):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = nnlab.Sequential([nnlab.Input((2,)), Dense(5, "relu"), Dense(1, "sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h = model.fit(X, y[:, None], epochs=epochs, verbose=0, validation_split=0.25, seed=0, **kw)
    return model, h, X, y


def _texts(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_no_pyplot_and_no_backend_switch():
    import matplotlib

    before = matplotlib.get_backend()
    had_pyplot = "matplotlib.pyplot" in sys.modules
    model, h, X, y = _fit()
    d = P.ConfusionMatrixDisplay.from_model(model, X, y)
    assert isinstance(d.figure_, Figure) and d.figure_.canvas.manager is None
    assert d._repr_png_().startswith(PNG)
    assert matplotlib.get_backend() == before
    assert ("matplotlib.pyplot" in sys.modules) == had_pyplot


def test_learning_curves_overlay_runs_with_labels():
    runs = {
        f"lr {lr}": {"loss": [1.0, 0.5 * lr, 0.1], "val_loss": [1.1, 0.6, 0.3]}
        for lr in (0.01, 0.1)
    }
    fig, ax = subplots()
    d = P.LearningCurvesDisplay.from_histories(runs, ax=ax)
    assert d.ax_ is ax and d.figure_ is fig
    assert len(ax.get_lines()) == 4
    assert _texts(ax) == [
        "lr 0.01 training",
        "lr 0.01 validation",
        "lr 0.1 training",
        "lr 0.1 validation",
    ]
    # one colour per run, validation dashed
    t, v = d.lines_[("lr 0.1", "train")], d.lines_[("lr 0.1", "validation")]
    assert t.get_color() == v.get_color() and v.get_linestyle() == "--"
    assert d.lines_[("lr 0.01", "train")].get_color() != t.get_color()
    assert list(t.get_ydata()) == [1.0, 0.05, 0.1]
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "loss"
    # re-plot on another Axes without recomputing
    fig2, ax2 = subplots()
    assert d.plot(ax=ax2).ax_ is ax2 and len(ax2.get_lines()) == 4


def test_learning_curves_from_histories_errors():
    with pytest.raises(ValueError, match="logged no 'accuracy'"):
        P.LearningCurvesDisplay.from_histories({"a": {"loss": [1.0]}}, metric="accuracy")
    with pytest.raises(TypeError, match="Histories"):
        P.LearningCurvesDisplay.from_histories({"a": 3})
    with pytest.raises(ValueError, match="'current'"):
        P.LearningCurvesDisplay.from_histories({"a": {"loss": [1.0]}}, ax="gca")


def test_decision_boundary_marks_train_and_test_with_feature_names():
    model, h, X, y = _fit()
    d = P.DecisionBoundaryDisplay.from_model(
        model,
        X[:60],
        y[:60],
        X[60:],
        y[60:],
        feature_names=["bill length (mm)", "flipper length (mm)"],
        class_names=["no", "yes"],
        grid_resolution=40,
    )
    ax = d.ax_
    assert ax.get_xlabel() == "bill length (mm)" and ax.get_ylabel() == "flipper length (mm)"
    assert sum(len(c.get_offsets()) for c in d.train_.values()) == 60
    assert sum(len(c.get_offsets()) for c in d.test_.values()) == 20
    assert set(_texts(ax)) == {"no (train)", "yes (train)", "no (test)", "yes (test)"}
    assert d.boundary_ is not None and d.response.shape == (40, 40, 1)
    np.testing.assert_allclose(d.response[0, 0, 0], model.predict(
        np.array([[d.xx0[0, 0], d.xx1[0, 0]]]), verbose=0)[0, 0], rtol=1e-6)  # fmt: skip
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        P.DecisionBoundaryDisplay.from_model(model, np.zeros((3, 3)), [0, 1, 0])


def test_confusion_matrix_lecture_layout():
    y_true = [0, 0, 0, 1, 1, 2]  # actual
    y_pred = [0, 0, 1, 1, 2, 2]
    d = P.ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, display_labels=["setosa", "versicolor", "virginica"]
    )
    text = np.vectorize(lambda t: t.get_text())(d.text_)
    # rows: predicted; columns: actual; counts and percentage of all 6 examples
    assert text[0, 0] == "2\n33.3%"  # predicted setosa, actually setosa
    assert text[1, 0] == "1\n16.7%"  # predicted versicolor, actually setosa
    assert text[0, 1] == "0\n0.0%"
    assert text[2, 1] == "1\n16.7%"  # predicted virginica, actually versicolor
    assert list(text[:3, 3]) == ["2\n33.3%", "2\n33.3%", "2\n33.3%"]  # total predicted
    assert list(text[3, :3]) == ["3\n50.0%", "2\n33.3%", "1\n16.7%"]  # total actual
    assert text[3, 3] == "6\n100.0%"
    ax = d.ax_
    assert [t.get_text() for t in ax.get_xticklabels()][-1] == "Total predicted"
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == "Total actual"
    assert ax.get_xlabel() == "actual class" and ax.get_ylabel() == "predicted class"
    with pytest.raises(ValueError, match="needs 3 names"):
        P.ConfusionMatrixDisplay(d.confusion, ["a"])


def test_confusion_matrix_from_counts_matches_metrics_table():
    counts = [[5, 1], [2, 7]]  # rows true, columns predicted (scikit-learn's order)
    d = P.ConfusionMatrixDisplay.from_counts(counts, ["neg", "pos"])
    assert d.text_[0, 1].get_text() == "2\n13.3%"  # predicted neg, actually pos
    html = d.confusion._repr_html_()
    assert "<th>Total predicted</th>" in html and "2 (13.3%)" in html


def _cv_predictions():
    rng = np.random.default_rng(3)
    y = np.r_[np.zeros(60, int), np.ones(60, int)]
    scores = np.clip(0.5 + (y - 0.5) * 0.4 + rng.normal(0, 0.25, 120), 0, 1)
    folds = [np.arange(i, 120, 4) for i in range(4)]
    return y, scores, folds


def test_cross_validated_roc_mean_and_spread():
    from nnlab.metrics import roc_auc

    y, s, folds = _cv_predictions()
    d = P.CrossValidationCurveDisplay.from_predictions(y, s, folds, name="signal")
    assert len(d.fold_lines_) == 4 and d.chance_ is not None
    np.testing.assert_allclose(d.fold_areas, [roc_auc(y[f], s[f]) for f in folds])
    np.testing.assert_allclose(d.mean_line_.get_ydata(), d.fold_curves.mean(axis=0))
    assert d.mean_curve[0] == 0 and d.mean_curve[-1] == 1
    assert "signal: mean of 4 folds (AUC" in d.mean_line_.get_label()
    assert f"{d.mean_area:.3f} ± {d.std_area:.3f}" in d.mean_line_.get_label()
    assert d.ax_.get_ylabel().startswith("true positive rate")
    # the band is mean +- std (clipped to [0, 1])
    band = d.spread_.get_paths()[0].vertices[:, 1]
    assert band.max() <= 1 and band.min() >= 0


def test_cross_validated_efficiency_curve():
    from nnlab.metrics import average_precision

    y, s, folds = _cv_predictions()
    d = P.CrossValidationCurveDisplay.from_predictions(y, s, folds, kind="efficiency")
    np.testing.assert_allclose(d.fold_areas, [average_precision(y[f], s[f]) for f in folds])
    assert d.chance_ is None and d.ax_.get_xlabel() == "completeness (recall)"
    assert np.all(np.diff(d.mean_curve) <= 1e-12)  # best efficiency falls with completeness
    with pytest.raises(ValueError, match="'roc' or 'efficiency'"):
        P.CrossValidationCurveDisplay.from_predictions(y, s, folds, kind="pr")


def test_layer_histograms_from_recorder():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    rec = P.LayerStatsRecorder(x=X[:16], epochs=[0, 2])
    model, h, X, y = _fit(epochs=3, callbacks=[rec])
    assert list(rec.records) == ["initial", 0, 2]
    assert "gradients" not in rec.records["initial"]
    names = [layer.name for layer in model.layers]
    np.testing.assert_array_equal(  # the last recorded weights are the model's
        rec.records[2]["weights"][names[1]], model.layers[1].get_weights()[0].ravel()
    )
    # activations: the sample through the trained layers (sigmoid outputs of 16 rows)
    np.testing.assert_allclose(
        rec.records[2]["activations"][names[1]], model.predict(X[:16], verbose=0).ravel(),
        rtol=1e-6,
    )  # fmt: skip
    d = P.LayerHistogramsDisplay.from_recorder(rec, kind="activations")
    assert d.axes_.shape == (3, 2)
    assert [a.get_title() for a in d.axes_[0]] == names
    assert [a.get_ylabel() for a in d.axes_[:, 0]] == ["initial", "epoch 1", "epoch 3"]
    assert sum(p.get_height() for p in d.bars_[1, 0]) == 16 * 5  # 16 rows x 5 units
    g = P.LayerHistogramsDisplay.from_recorder(rec, kind="gradients", epochs=[2])
    assert g.axes_.shape == (1, 2)
    with pytest.raises(ValueError, match="No gradients recorded"):
        P.LayerHistogramsDisplay.from_recorder(rec, kind="gradients", epochs=["initial"])


def test_histograms_split_one_axes():
    fig, ax = subplots()
    values = {"initial": {"a": np.arange(5.0), "b": np.ones(3)}}
    d = P.LayerHistogramsDisplay(values, "weights").plot(ax=ax, bins=5)
    assert d.axes_.shape == (1, 2) and ax not in fig.axes and len(fig.axes) == 2


def test_gradient_norms_with_verdict():
    model, h, X, y = _fit()
    d = P.GradientNormsDisplay.from_history(h)
    assert set(d.lines_) == set(h.gradient_norms)
    assert d.verdict == "healthy" and d.ax_.get_yscale() == "log"
    assert "healthy" in d.ax_.get_title()
    norms = {"dense_a": [1e-9, 1e-9], "dense_b": [1.0, 1.0]}

    class Rec:
        gradient_norms = norms
        history = {"loss": [1.0, 0.9]}

    bad = P.GradientNormsDisplay.from_history(Rec())
    assert bad.verdict == "vanishing gradients" and "vanishing" in bad.ax_.get_title()
    np.testing.assert_array_equal(bad.lines_["dense_a"].get_ydata(), [1e-9, 1e-9])


def test_prediction_error_panels():
    d = P.PredictionErrorDisplay.from_predictions([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])
    a, b = d.axes_
    assert a.get_xlabel() == "true value" and b.get_ylabel() == "residual (predicted - true)"
    np.testing.assert_array_equal(d.scatter_.get_offsets(), [[1, 1.5], [2, 2], [4, 3]])
    np.testing.assert_array_equal(d.residuals_.get_offsets()[:, 1], [0.5, 0, -1])
    fig, axes = subplots(1, 2)
    assert P.PredictionErrorDisplay([1.0], [1.0]).plot(ax=axes).axes_[1] is axes[1]
    with pytest.raises(ValueError, match="same number"):
        P.PredictionErrorDisplay([1.0, 2.0], [1.0])


def test_polynomial_capacity():
    rng = np.random.default_rng(0)
    x = np.sort(rng.uniform(0, 1, 12))
    y = np.sin(2 * np.pi * x) + rng.normal(0, 0.2, 12)
    xt = np.linspace(0, 1, 50)
    yt = np.sin(2 * np.pi * xt)
    d = P.PolynomialCapacityDisplay.from_data(x, y, degrees=(1, 3, 9), x_test=xt, y_test=yt)
    assert sorted(d.lines_) == [1, 3, 9] and len(d.points_.get_offsets()) == 12
    # more capacity: lower training error; the test error is lowest in the middle
    assert d.train_mse[1] > d.train_mse[3] > d.train_mse[9]
    assert d.test_mse[3] < d.test_mse[1] and d.test_mse[3] < d.test_mse[9]
    assert "degree 3: train MSE" in d.lines_[3].get_label()
    # the degree-1 fit is the least-squares line
    slope, intercept = np.polyfit(x, y, 1)
    np.testing.assert_allclose(d.fits[1], [intercept, slope])
    with pytest.raises(ValueError, match="non-negative ints"):
        P.PolynomialCapacityDisplay.from_data(x, y, degrees=(1.5,))


def test_current_axes_use_pyplot_only_when_asked():
    import matplotlib.pyplot as plt

    try:
        d = P.PredictionErrorDisplay.from_predictions([1.0, 2.0], [1.0, 2.5])
        assert d.figure_.canvas.manager is None
        c = P.ConfusionMatrixDisplay.from_predictions([0, 1], [0, 1], ax="current")
        assert c.ax_ is plt.gca() and c._repr_png_() is None  # pyplot shows it itself
    finally:
        plt.close("all")


def test_reprs():
    model, h, X, y = _fit()
    assert h._repr_png_().startswith(PNG)
    assert nnlab.callbacks.History()._repr_png_() is None
    assert "Total params" in model._repr_html_()
    diag = nnlab.diagnostics.diagnose(h)
    assert diag.label in diag._repr_html_()
    d = P.LearningCurvesDisplay({"a": {"train": [1.0], "validation": None}})
    assert d._repr_png_() is None  # not drawn yet
    with pytest.raises(RuntimeError, match="plot"):
        d.savefig("x.png")
