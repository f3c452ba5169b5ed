"""nnlab.sklearn: NNClassifier / NNRegressor as scikit-learn estimators.

scikit-learn's own estimator checks run over four instances (plain and with every
option on); the checks expected to fail are listed, with the reason, in
EXPECTED_FAILED_CHECKS and in docs/sklearn.md.
"""

from __future__ import annotations

import pickle
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import TransformedTargetRegressor
from sklearn.datasets import load_iris, make_classification, make_regression
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from nnlab import backend
from nnlab.layers import Dropout
from nnlab.models import Sequential
from nnlab.sklearn import NNClassifier, NNRegressor
from nnlab.training import DivergenceWarning

SAMPLE_WEIGHT_REASON = (
    "nnlab reduces a batch's loss as sum(w_i * L_i) / batch_size (Keras) and trains in "
    "float32 with Adam, so a weight of k equals k repeated rows only up to rounding and "
    "Adam's epsilon (about 1e-5 relative in full-batch training; with mini-batches the "
    "repeated rows also land in different batches). The check demands rtol=1e-7."
)
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data": SAMPLE_WEIGHT_REASON,
}

CHECKED_ESTIMATORS = [
    NNClassifier((16,), epochs=20, learning_rate=0.01),
    NNRegressor((16,), epochs=20, learning_rate=0.01),
    NNClassifier(
        (16, 8),
        epochs=30,
        learning_rate=0.01,
        batch_size="auto",
        early_stopping=True,
        patience=3,
        dropout=0.1,
        alpha=1e-4,
        activation="tanh",
    ),
    NNRegressor(
        (16, 8),
        epochs=30,
        learning_rate=0.01,
        early_stopping=True,
        patience=3,
        dropout=0.1,
        alpha=1e-4,
        loss="huber",
        optimizer="rmsprop",
    ),
]


DOC = Path(__file__).resolve().parents[1] / "docs" / "sklearn.md"


@parametrize_with_checks(
    CHECKED_ESTIMATORS,
    expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# -- data ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def iris():
    return load_iris(return_X_y=True)


@pytest.fixture(scope="module")
def iris_scaled(iris):
    X, y = iris
    return StandardScaler().fit_transform(X), y


@pytest.fixture(scope="module")
def regression():
    X, y = make_regression(n_samples=200, n_features=5, noise=5.0, random_state=0)
    return X, y


# -- composition with scikit-learn ----------------------------------------------------------
def test_pipeline_with_scaler_learns_iris(iris):
    X, y = iris
    clf = make_pipeline(StandardScaler(), NNClassifier((16,), epochs=200, random_state=0))
    clf.fit(X, y)
    assert clf.score(X, y) > 0.95
    proba = clf.predict_proba(X)
    assert proba.shape == (150, 3) and proba.dtype == np.float64
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_grid_search_over_pipeline(iris):
    X, y = iris
    pipe = Pipeline([("scale", StandardScaler()), ("nn", NNClassifier(epochs=60, random_state=0))])
    grid = GridSearchCV(
        pipe,
        {"nn__hidden_layer_sizes": [(4,), (16,)], "nn__learning_rate": [1e-3, 1e-2]},
        cv=3,
    )
    grid.fit(X, y)
    assert set(grid.best_params_) == {"nn__hidden_layer_sizes", "nn__learning_rate"}
    assert grid.best_score_ > 0.85
    assert grid.cv_results_["mean_test_score"].shape == (4,)
    assert grid.best_estimator_.score(X, y) > 0.9


def test_cross_val_score_regressor(regression):
    X, y = regression
    reg = TransformedTargetRegressor(
        regressor=make_pipeline(
            StandardScaler(), NNRegressor((32,), epochs=60, learning_rate=0.01, random_state=0)
        ),
        transformer=StandardScaler(),
    )
    scores = cross_val_score(reg, X, y, cv=3)
    assert scores.shape == (3,)
    assert scores.min() > 0.9  # R^2 of a nearly linear problem


def test_cross_val_score_parallel_workers(iris_scaled):
    """Estimators travel to joblib workers by pickle."""
    X, y = iris_scaled
    scores = cross_val_score(NNClassifier((8,), epochs=40, random_state=0), X, y, cv=3, n_jobs=2)
    assert scores.shape == (3,) and np.all(scores > 0.6)


def test_clone_get_params_set_params():
    reg = NNRegressor((8, 4), alpha=0.01, loss="mae", random_state=3)
    params = reg.get_params()
    assert params["hidden_layer_sizes"] == (8, 4) and params["loss"] == "mae"
    assert params["alpha"] == 0.01 and params["random_state"] == 3
    twin = clone(reg)
    assert twin is not reg and twin.get_params() == params
    assert reg.set_params(dropout=0.5, epochs=3) is reg
    assert reg.dropout == 0.5 and reg.epochs == 3
    defaults = NNClassifier().get_params()
    assert defaults == {
        "activation": "relu",
        "alpha": 0.0,
        "batch_size": 32,
        "dropout": 0.0,
        "early_stopping": False,
        "epochs": 200,
        "hidden_layer_sizes": (100,),
        "learning_rate": 1e-3,
        "optimizer": "adam",
        "patience": 10,
        "random_state": None,
        "validation_fraction": 0.1,
        "verbose": 0,
        "l1": 0.0,
        "batch_normalization": False,
        "kernel_initializer": "glorot_uniform",
        "learning_rate_schedule": "constant",
    }


# -- labels and outputs ---------------------------------------------------------------------
def test_string_labels_multiclass(iris_scaled):
    X, y = iris_scaled
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    clf = NNClassifier((16,), epochs=100, random_state=0).fit(X, names)
    assert clf.classes_.tolist() == ["setosa", "versicolor", "virginica"]
    pred = clf.predict(X)
    assert set(pred) <= set(names)
    assert np.mean(pred == names) > 0.9
    assert clf.score(X, names) == np.mean(pred == names)


def test_binary_uses_one_sigmoid_unit_and_two_probability_columns():
    X, y = make_classification(n_samples=120, n_features=4, random_state=0)
    labels = np.where(y == 1, "yes", "no")
    clf = NNClassifier((8,), epochs=60, random_state=0).fit(X, labels)
    out = clf.model_.layers[-1]
    assert out.units == 1 and out.activation.name == "sigmoid"
    assert clf.model_.output_losses()[0][0].name == "binary_crossentropy"
    proba = clf.predict_proba(X)
    assert proba.shape == (120, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    assert clf.classes_.tolist() == ["no", "yes"]
    np.testing.assert_array_equal(clf.predict(X), np.where(proba[:, 1] > 0.5, "yes", "no"))
    assert clf.score(X, labels) > 0.85


def test_multiclass_uses_softmax_and_categorical_crossentropy(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((8,), epochs=2, random_state=0).fit(X, y + 10)
    out = clf.model_.layers[-1]
    assert out.units == 3 and out.activation.name == "softmax"
    assert clf.model_.output_losses()[0][0].name == "categorical_crossentropy"
    assert clf.classes_.tolist() == [10, 11, 12]


def test_one_class_is_refused_clearly():
    X = np.random.default_rng(0).normal(size=(10, 2))
    with pytest.raises(ValueError, match="only one class"):
        NNClassifier(epochs=1).fit(X, ["a"] * 10)
    with pytest.raises(ValueError, match="non-zero sample_weight"):
        NNClassifier(epochs=1).fit(X, [0, 1] * 5, sample_weight=[1.0, 0.0] * 5)


def test_multilabel_targets_are_refused():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="1d array"):
        NNClassifier(epochs=1).fit(X, np.array([[0, 1], [1, 0], [1, 1], [0, 0]]))


def test_regressor_output_shapes_follow_y(regression):
    X, y = regression
    y = y / y.std()
    reg = NNRegressor((16,), epochs=5, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (200,) and reg.predict(X).dtype == np.float64
    assert reg.n_outputs_ == 1
    reg.fit(X, y[:, None])
    assert reg.predict(X).shape == (200, 1)
    Y = np.column_stack([y, -2 * y, y**2])
    reg = NNRegressor((32,), epochs=100, learning_rate=0.01, random_state=0).fit(X, Y)
    assert reg.n_outputs_ == 3 and reg.predict(X).shape == (200, 3)
    assert reg.model_.layers[-1].units == 3
    assert reg.score(X, Y) > 0.8


@pytest.mark.parametrize(
    "loss, nnlab_name",
    [("mse", "mean_squared_error"), ("mae", "mean_absolute_error"), ("huber", "huber_loss")],
)
def test_regressor_losses(loss, nnlab_name, regression):
    X, y = regression
    reg = NNRegressor((8,), epochs=2, loss=loss, random_state=0).fit(X, y / y.std())
    assert reg.model_.output_losses()[0][0].name == nnlab_name


# -- fitted attributes ----------------------------------------------------------------------
def test_fitted_attributes(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((8,), epochs=7, random_state=0)
    with pytest.raises(NotFittedError):
        clf.predict(X)
    clf.fit(X, y)
    assert isinstance(clf.model_, Sequential)
    assert clf.n_features_in_ == 4 and not hasattr(clf, "feature_names_in_")
    assert clf.n_iter_ == 7
    assert sorted(clf.history_) == ["accuracy", "loss"]
    assert len(clf.history_["loss"]) == 7 and clf.loss_curve_ == clf.history_["loss"]
    assert clf.validation_loss_curve_ is None and clf.best_epoch_ is None
    assert clf.model_.layers[0].kernel_regularizer is None


def test_feature_names_from_dataframe(iris):
    X, y = iris
    df = pd.DataFrame(X, columns=["sl", "sw", "pl", "pw"])
    clf = NNClassifier((4,), epochs=2, random_state=0).fit(df, y)
    assert clf.feature_names_in_.tolist() == ["sl", "sw", "pl", "pw"]
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(df[["sw", "sl", "pl", "pw"]])


def test_early_stopping_records_validation_and_restores_best(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier(
        (32,), epochs=500, learning_rate=0.05, early_stopping=True, patience=5, random_state=0
    ).fit(X, y)
    assert clf.n_iter_ < 500
    val = clf.validation_loss_curve_
    assert len(val) == clf.n_iter_ == len(clf.loss_curve_)
    assert clf.best_epoch_ == int(np.argmin(val))
    assert clf.n_iter_ - 1 - clf.best_epoch_ == 5  # stopped `patience` epochs after the best
    assert "val_accuracy" in clf.history_


def test_alpha_and_dropout_reach_the_network(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((8, 8), epochs=2, alpha=0.01, dropout=0.25, random_state=0).fit(X, y)
    layers = clf.model_.layers
    dense = [layer for layer in layers if not isinstance(layer, Dropout)]
    drops = [layer for layer in layers if isinstance(layer, Dropout)]
    assert len(dense) == 3 and len(drops) == 2
    assert all(d.rate == 0.25 for d in drops)
    assert all(d.kernel_regularizer.l2 == 0.01 for d in dense)


def test_no_hidden_layer_is_logistic_regression(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((), epochs=100, learning_rate=0.05, random_state=0).fit(X, y)
    assert len(clf.model_.layers) == 1
    assert clf.score(X, y) > 0.9


@pytest.mark.parametrize("name", ["sgd", "SGD", "rmsprop", "adagrad", "adadelta", "adam"])
def test_optimizer_names_and_learning_rate(name, iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((4,), optimizer=name, learning_rate=0.02, epochs=1, random_state=0)
    clf.fit(X, y)
    assert type(clf.model_.optimizer).__name__.lower() == name.lower()
    assert clf.model_.optimizer.learning_rate == pytest.approx(0.02)


def test_sklearn_activation_aliases(iris_scaled):
    X, y = iris_scaled
    for alias, name in [("logistic", "sigmoid"), ("identity", "linear")]:
        clf = NNClassifier((4,), activation=alias, epochs=1, random_state=0).fit(X, y)
        assert clf.model_.layers[0].activation.name == name


def test_batch_size_auto(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((4,), batch_size="auto", epochs=1, verbose=2, random_state=0)
    clf.fit(X, y)
    assert clf.n_iter_ == 1


def test_verbose_prints_per_epoch(iris_scaled, capsys):
    X, y = iris_scaled
    NNClassifier((4,), epochs=3, verbose=2, random_state=0).fit(X, y)
    assert capsys.readouterr().out.count("Epoch ") == 3


# -- determinism ----------------------------------------------------------------------------
def test_same_random_state_same_result(iris_scaled):
    X, y = iris_scaled
    kw = dict(hidden_layer_sizes=(16,), epochs=20, dropout=0.2, early_stopping=True)
    a = NNClassifier(random_state=7, **kw).fit(X, y)
    backend.set_random_seed(999)  # the global stream does not matter with an int seed
    b = NNClassifier(random_state=7, **kw).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.history_ == b.history_
    c = NNClassifier(random_state=8, **kw).fit(X, y)
    assert not np.array_equal(a.predict_proba(X), c.predict_proba(X))
    # refitting the same estimator starts afresh
    np.testing.assert_array_equal(a.fit(X, y).predict_proba(X), b.predict_proba(X))


def test_random_state_none_follows_nnlab_seed(regression):
    X, y = regression
    y = y / y.std()
    backend.set_random_seed(5)
    a = NNRegressor((8,), epochs=3).fit(X, y).predict(X)
    b = NNRegressor((8,), epochs=3).fit(X, y).predict(X)
    backend.set_random_seed(5)
    c = NNRegressor((8,), epochs=3).fit(X, y).predict(X)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, c)


def test_random_state_instance_is_accepted(iris_scaled):
    X, y = iris_scaled
    a = NNClassifier((4,), epochs=2, random_state=np.random.RandomState(0)).fit(X, y)
    b = NNClassifier((4,), epochs=2, random_state=np.random.RandomState(0)).fit(X, y)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))


def test_fit_leaves_global_generators_alone(iris_scaled):
    X, y = iris_scaled
    before = np.random.get_state()[1].copy()
    NNClassifier((4,), epochs=2, random_state=0).fit(X, y)
    np.testing.assert_array_equal(np.random.get_state()[1], before)


# -- dtypes, weights, pickling, errors ------------------------------------------------------
def test_float32_inside_float64_outside(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((4,), epochs=2, random_state=0).fit(X.astype(np.float32), y)
    assert all(W.dtype == np.float32 for W in clf.model_.get_weights())
    assert clf.predict_proba(X).dtype == np.float64
    reg = NNRegressor((4,), epochs=2, random_state=0).fit(X.astype(int), y.astype(np.float32))
    assert reg.predict(X).dtype == np.float64


def test_unit_sample_weight_changes_nothing_and_weights_matter(iris_scaled):
    X, y = iris_scaled
    base = NNClassifier((8,), epochs=10, random_state=0)
    a = clone(base).fit(X, y).predict_proba(X)
    b = clone(base).fit(X, y, sample_weight=np.ones(len(y))).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    w = np.where(y == 2, 5.0, 1.0)
    c = clone(base).fit(X, y, sample_weight=w).predict_proba(X)
    assert c[y == 2, 2].mean() > a[y == 2, 2].mean()


def test_sample_weight_errors(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match="(?i)negative"):
        NNClassifier(epochs=1).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="non-zero"):
        NNClassifier(epochs=1).fit(X, y, sample_weight=np.zeros(len(y)))


def test_pickle_round_trip_keeps_predictions(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((8,), epochs=5, random_state=0).fit(X, y)
    twin = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(twin.predict_proba(X), clf.predict_proba(X))
    assert hasattr(clf, "model_")  # pickling does not strip the live estimator
    twin.model_.evaluate(X, np.eye(3)[y], verbose=0)  # the rebuilt model is compiled


def test_huge_inputs_give_value_errors_not_floating_point_errors(iris_scaled):
    X, y = iris_scaled
    with pytest.raises(ValueError, match="beyond the range of float32"):
        NNClassifier(epochs=1).fit(X * 1e300, y)
    clf = NNClassifier((8,), epochs=1, random_state=0).fit(X, y)
    # finite in float32, but the hidden layer overflows
    with pytest.raises(ValueError, match="non-finite outputs"):
        clf.predict(np.full((2, 4), 3e38))
    with pytest.raises(ValueError, match="infinity|NaN"):
        clf.predict(np.full_like(X, np.inf))
    with pytest.raises(ValueError, match="NaN"):
        clf.fit(np.where(X > 2, np.nan, X), y)


def test_divergence_is_a_warning_and_keeps_finite_weights(iris_scaled):
    X, y = iris_scaled
    with pytest.warns(DivergenceWarning, match="Training diverged"):
        reg = NNRegressor((8,), epochs=3, random_state=0).fit(X * 1e30, y)
    assert np.all(np.isfinite(reg.predict(X)))


def test_n_features_mismatch(iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier((4,), epochs=1, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="4 features"):
        clf.predict(X[:, :3])


def test_early_stopping_needs_a_training_sample():
    with pytest.raises(ValueError, match="n_samples=1"):
        NNRegressor(early_stopping=True).fit([[1.0, 2.0]], [3.0])


@pytest.mark.parametrize(
    "param, value",
    [
        ("hidden_layer_sizes", (8, 0)),
        ("hidden_layer_sizes", "wide"),
        ("hidden_layer_sizes", 2.5),
        ("activation", "softmax"),
        ("activation", "swishy"),  # swish is a Keras activation now (issue 14)
        ("optimizer", "lbfgs"),
        ("learning_rate", 0.0),
        ("learning_rate", float("nan")),
        ("epochs", 0),
        ("epochs", 1.5),
        ("batch_size", 0),
        ("batch_size", "full"),
        ("early_stopping", "yes"),
        ("validation_fraction", 1.0),
        ("patience", -1),
        ("alpha", -0.1),
        ("dropout", 1.0),
        ("verbose", 3),
    ],
)
def test_bad_parameters_are_reported_in_fit(param, value, iris_scaled):
    X, y = iris_scaled
    clf = NNClassifier(epochs=1).set_params(**{param: value})  # no check before fit
    with pytest.raises(ValueError, match=f"{param} must be"):
        clf.fit(X, y)


def test_bad_regression_loss(regression):
    X, y = regression
    with pytest.raises(ValueError, match="loss must be one of"):
        NNRegressor(loss="binary_crossentropy", epochs=1).fit(X, y)


def test_classifier_refuses_continuous_targets(regression):
    X, y = regression
    with pytest.raises(ValueError, match="Unknown label type"):
        NNClassifier(epochs=1).fit(X, y)


# -- the documentation ----------------------------------------------------------------------
def test_docs_list_every_expected_failure_with_a_reason():
    text = DOC.read_text(encoding="utf-8")
    for check in EXPECTED_FAILED_CHECKS:
        row = re.search(rf"^\| `{check}` \| (.+) \|$", text, flags=re.MULTILINE)
        assert row is not None and len(row.group(1)) > 50, check


def test_docs_example_runs(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks
    exec(compile(blocks[0], str(DOC), "exec"), {"__name__": "docs_example"})
    out = capsys.readouterr().out
    assert "hidden_1 (Dense)" in out and "nnclassifier__alpha" in out
