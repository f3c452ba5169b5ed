"""cross_validate(..., return_predictions=True) against scikit-learn's cross_val_predict
on the same folds, with a deterministic model (zero initial weights, full-batch
gradient descent: no random choice anywhere, so both get the same bits)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.datasets import load_iris
from sklearn.model_selection import cross_val_predict
from sklearn.preprocessing import StandardScaler

import nnlab
from nnlab.layers import Dense
from nnlab.model_selection import cross_validate
from nnlab.optimizers import SGD
from nnlab.plotting import CrossValidationCurveDisplay
from nnlab.utils import to_categorical


def _softmax_regression(n_features: int, n_classes: int):
    model = nnlab.Sequential(
        [nnlab.Input((n_features,)), Dense(n_classes, "softmax", kernel_initializer="zeros")]
    )
    model.compile(SGD(learning_rate=0.5), "categorical_crossentropy", metrics=["accuracy"])
    return model


FIT = {"epochs": 30, "batch_size": 1000}


class SoftmaxRegression(ClassifierMixin, BaseEstimator):
    """The same nnlab model as a scikit-learn estimator, for cross_val_predict."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.model_ = _softmax_regression(X.shape[1], len(self.classes_))
        self.model_.fit(X, to_categorical(y, len(self.classes_)), verbose=0, **FIT)
        return self

    def predict_proba(self, X):
        return self.model_.predict(X, verbose=0)

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


@pytest.fixture
def iris():
    X, y = load_iris(return_X_y=True)
    return StandardScaler().fit_transform(X), y


def test_out_of_fold_matches_cross_val_predict(iris):
    X, y = iris
    cv = cross_validate(
        lambda: _softmax_regression(4, 3),
        X,
        to_categorical(y, 3),
        k=5,
        fit_kwargs=FIT,
        return_predictions=True,
    )
    folds = [(tr, va) for tr, va in cv.splits]
    proba = cross_val_predict(SoftmaxRegression(), X, y, cv=folds, method="predict_proba")
    pred = cross_val_predict(SoftmaxRegression(), X, y, cv=folds)
    np.testing.assert_array_equal(cv.probabilities, proba)
    np.testing.assert_array_equal(cv.predictions, pred)
    np.testing.assert_array_equal(cv.y_true, y)
    for i, (_, va) in enumerate(cv.splits):
        np.testing.assert_array_equal(cv.fold[va], i)
        # each fold's reported accuracy is the accuracy of its out-of-fold predictions
        assert cv.runs[i]["accuracy"] == pytest.approx(np.mean(pred[va] == y[va]))
    assert 0.8 < np.mean(pred == y) < 1.0


def test_out_of_fold_binary_and_regression():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] > 0).astype(float)

    def binary():
        m = nnlab.Sequential([nnlab.Input((2,)), Dense(1, "sigmoid", kernel_initializer="zeros")])
        m.compile(SGD(learning_rate=0.5), "binary_crossentropy")
        return m

    cv = cross_validate(binary, X, y[:, None], k=3, fit_kwargs=FIT, return_predictions=True)
    assert cv.probabilities.shape == (60, 1)
    np.testing.assert_array_equal(cv.predictions, (cv.probabilities[:, 0] > 0.5).astype(int))
    np.testing.assert_array_equal(cv.y_true, y.astype(int))
    d = CrossValidationCurveDisplay.from_cv_results(cv)
    assert len(d.fold_lines_) == 3 and d.mean_area > 0.9

    t = X @ np.array([1.5, -2.0]) + 0.3

    def linear():
        m = nnlab.Sequential([nnlab.Input((2,)), Dense(1, kernel_initializer="zeros")])
        m.compile(SGD(learning_rate=0.1), "mse")
        return m

    class Linear(RegressorMixin, BaseEstimator):
        def fit(self, X, y):
            self.model_ = linear()
            self.model_.fit(X, y, verbose=0, **FIT)
            return self

        def predict(self, X):
            return self.model_.predict(X, verbose=0)[:, 0]

    reg = cross_validate(linear, X, t, k=4, fit_kwargs=FIT, return_predictions=True)
    folds = list(reg.splits)
    np.testing.assert_array_equal(reg.predictions, cross_val_predict(Linear(), X, t, cv=folds))
    np.testing.assert_array_equal(reg.y_true, t)


def test_without_predictions_nothing_is_kept(iris):
    X, y = iris
    cv = cross_validate(lambda: _softmax_regression(4, 3), X, to_categorical(y, 3), k=3,
                        fit_kwargs={"epochs": 2, "batch_size": 1000})  # fmt: skip
    assert cv.probabilities is None and cv.predictions is None and cv.fold is None
    with pytest.raises(ValueError, match="return_predictions=True"):
        CrossValidationCurveDisplay.from_cv_results(cv)
