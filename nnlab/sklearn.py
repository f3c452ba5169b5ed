"""scikit-learn estimators on the nnlab engine: `NNClassifier` and `NNRegressor`.

Both are thin shells: they check the data with scikit-learn's validation helpers,
build a `Sequential` multilayer perceptron with nnlab's public API, train it with
`Model.fit` and read predictions back with `Model.predict`. No training math lives
here. They work wherever a scikit-learn estimator does: `Pipeline`, `GridSearchCV`,
`cross_val_score`, `clone`, pickling.

The network for `hidden_layer_sizes=(h1, h2, ...)` is

    Input(n_features) -> Dense(h1, activation) [-> Dropout] -> Dense(h2, ...) ... -> output

with the output layer chosen from the task, as in the lectures' table:

    binary classification      Dense(1, "sigmoid")   + binary_crossentropy
    multiclass classification  Dense(K, "softmax")   + categorical_crossentropy (one-hot)
    regression (k targets)     Dense(k, linear)      + loss ("mse", "mae" or "huber")

Decisions that differ from scikit-learn's MLPClassifier / MLPRegressor:

- `alpha` is a Keras L2 penalty on every kernel, alpha * sum(W^2), added to each
  batch's loss (nnlab.regularizers.L2), not sklearn's alpha / (2 n) * sum(W^2).
- Early stopping monitors the validation *loss* (not accuracy / R^2), on a shuffled,
  stratified (classification) holdout of `validation_fraction`, and always restores
  the best epoch's weights. There is no internal split unless `early_stopping=True`,
  so a `GridSearchCV` fold is never split a second time.
- `sample_weight` follows Keras: each batch's loss is sum(w_i L_i) / batch size.
- `random_state=None` draws the seeds from nnlab's seed stream, so
  `nnlab.utils.set_random_seed(s)` before fitting makes it reproducible too; an int
  gives the same network, the same mini-batches and the same result on every fit.
  Fitting never reseeds any global generator.
- The network computes in nnlab's float dtype (`nnlab.config.floatx()`, float32 by
  default); predictions are returned as float64.

Example:
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = make_pipeline(StandardScaler(), NNClassifier((16,), epochs=200, random_state=0))
    >>> clf.fit(X, y).score(X, y) > 0.9
    True
"""

from __future__ import annotations

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from nnlab import backend
from nnlab.sklearn_base import NNEstimatorBase, bad_param, shared_docs, to_floatx
from nnlab.utils import to_categorical

__all__ = ["NNClassifier", "NNRegressor"]

_REGRESSION_LOSSES = {
    "mse": "mean_squared_error",
    "mean_squared_error": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mean_absolute_error": "mean_absolute_error",
    "huber": "huber",
}


@shared_docs
class NNClassifier(ClassifierMixin, NNEstimatorBase):
    """A multilayer-perceptron classifier trained by nnlab, with sklearn's API.

    Labels may be of any type (ints, strings, ...). Two classes use one sigmoid output
    and binary cross-entropy, more use a softmax output and categorical cross-entropy.
    `predict_proba` returns one column per class in `classes_` order (two for binary).

    Args:
        <shared parameters>

    Attributes:
        classes_: the class labels, sorted.
        history_: the History's dict of per-epoch lists: `loss`, `accuracy`, and with
            early stopping the same keys prefixed `val_`.
        <shared attributes>
    """

    def fit(self, X, y, sample_weight=None, callbacks=None):
        """Train a fresh network on (X, y); returns self. `callbacks`: extra
        nnlab callbacks for the network's fit (e.g. to record a curve or stop early)."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)  # y is 1-D here: binary or multiclass
        X = to_floatx(X, "X")
        sw = self._check_sample_weight(sample_weight, X)
        classes, y_idx = np.unique(y, return_inverse=True)
        present = classes if sw is None else np.unique(y[sw > 0])
        if len(present) < 2:
            where = "" if sw is None else " with a non-zero sample_weight"
            raise ValueError(
                f"{type(self).__name__} can't train on only one class: every sample"
                f"{where} has the label {present[0]!r}. It needs at least 2 classes."
            )
        self.classes_ = classes
        if len(classes) == 2:
            Y = y_idx.reshape(-1, 1)
            arch = {"n_outputs": 1, "output_activation": "sigmoid"}
            loss = "binary_crossentropy"
        else:
            Y = to_categorical(y_idx, len(classes))
            arch = {"n_outputs": len(classes), "output_activation": "softmax"}
            loss = "categorical_crossentropy"
        Y = Y.astype(backend.floatx())
        return self._fit_network(X, Y, sw, arch, loss, ["accuracy"], callbacks)

    def predict_proba(self, X):
        """Class probabilities, shape (n_samples, n_classes), rows summing to 1."""
        P = self._forward(X)
        if P.shape[1] == 1:
            return np.hstack([1.0 - P, P])
        return P / P.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most probable class of each sample, as a label from `classes_`."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


@shared_docs
class NNRegressor(RegressorMixin, NNEstimatorBase):
    """A multilayer-perceptron regressor trained by nnlab, with sklearn's API.

    The output layer is linear with one unit per target; y may be 1-D or 2-D
    (multi-output), and `predict` returns the same shape as the y given to fit.
    Targets are not rescaled by default (`standardize_target=False`), as scikit-learn's
    MLPRegressor does not rescale them either; for targets far from unit scale pass
    `standardize_target=True` (what `nnlab train` does by default).

    Args:
        <shared parameters>
        loss: "mse" (default), "mae" or "huber".
        standardize_target: train on each target z-scored with the mean and standard
            deviation of the training targets, and map predictions back to the
            target's units. Off by default (scikit-learn parity). The network's losses
            (`loss_curve_`, `history_`) are then in standardized units.

    Attributes:
        n_outputs_: number of targets.
        y_mean_, y_scale_: per-target mean and standard deviation used to standardize
            the targets (arrays of shape (n_outputs,)), or None when
            `standardize_target=False`.
        history_: the History's dict of per-epoch lists: `loss`, and with
            early stopping the same keys prefixed `val_`.
        <shared attributes>
    """

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        *,
        activation="relu",
        optimizer="adam",
        learning_rate=1e-3,
        epochs=200,
        batch_size=32,
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        alpha=0.0,
        dropout=0.0,
        random_state=None,
        verbose=0,
        l1=0.0,
        batch_normalization=False,
        kernel_initializer="glorot_uniform",
        learning_rate_schedule="constant",
        loss="mse",
        standardize_target=False,
    ):
        super().__init__(
            hidden_layer_sizes,
            activation=activation,
            optimizer=optimizer,
            learning_rate=learning_rate,
            epochs=epochs,
            batch_size=batch_size,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            patience=patience,
            alpha=alpha,
            dropout=dropout,
            random_state=random_state,
            verbose=verbose,
            l1=l1,
            batch_normalization=batch_normalization,
            kernel_initializer=kernel_initializer,
            learning_rate_schedule=learning_rate_schedule,
        )
        self.loss = loss
        self.standardize_target = standardize_target

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X, y, sample_weight=None, callbacks=None):
        """Train a fresh network on (X, y); returns self. `callbacks`: extra
        nnlab callbacks for the network's fit (e.g. to record a curve or stop early)."""
        if not isinstance(self.loss, str) or self.loss not in _REGRESSION_LOSSES:
            raise bad_param(
                type(self).__name__, "loss", f"one of {sorted(_REGRESSION_LOSSES)}", self.loss
            )
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], multi_output=True, y_numeric=True
        )
        if not isinstance(self.standardize_target, (bool, np.bool_)):
            raise bad_param(
                type(self).__name__, "standardize_target", "True or False",
                self.standardize_target,
            )  # fmt: skip
        X = to_floatx(X, "X")
        y = np.asarray(y, dtype=np.float64)
        self._y_ndim = y.ndim
        y = y.reshape(len(y), -1)
        self.y_mean_ = self.y_scale_ = None
        if self.standardize_target:
            std = y.std(axis=0)
            self.y_mean_, self.y_scale_ = y.mean(axis=0), np.where(std > 0, std, 1.0)
            y = (y - self.y_mean_) / self.y_scale_
        Y = to_floatx(y, "y")
        self.n_outputs_ = Y.shape[1]
        sw = self._check_sample_weight(sample_weight, X)
        arch = {"n_outputs": self.n_outputs_, "output_activation": "linear"}
        loss = _REGRESSION_LOSSES[self.loss]
        return self._fit_network(X, Y, sw, arch, loss, [], callbacks)

    def predict(self, X):
        """Predicted targets: shape (n_samples,) if fit on 1-D y, else (n_samples, k)."""
        P = self._forward(X)
        if getattr(self, "y_scale_", None) is not None:
            P = P * self.y_scale_ + self.y_mean_
        return P[:, 0] if self._y_ndim == 1 else P
