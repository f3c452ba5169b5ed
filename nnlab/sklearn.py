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

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from nnlab import backend
from nnlab import optimizers as optimizers_mod
from nnlab.callbacks import EarlyStopping
from nnlab.sklearn_options import build_network, check_options, make_optimizer, total_steps
from nnlab.utils import to_categorical

__all__ = ["NNClassifier", "NNRegressor"]

_REGRESSION_LOSSES = {
    "mse": "mean_squared_error",
    "mean_squared_error": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mean_absolute_error": "mean_absolute_error",
    "huber": "huber",
}
_SEED_MAX = 2**31 - 1
_PREDICT_BATCH = 1024


# -- parameter checks (in fit, never in __init__) ----------------------------------------
def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and bool(np.isfinite(float(value)))
    )


def _bad(owner: str, name: str, expected: str, value) -> ValueError:
    return ValueError(f"{owner}: {name} must be {expected}. Received: {name}={value!r}")


class _NNBase(BaseEstimator):
    """Shared parameters, checks, network building and training of the two shells."""

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
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.epochs = epochs
        self.batch_size = batch_size
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.alpha = alpha
        self.dropout = dropout
        self.random_state = random_state
        self.verbose = verbose
        self.l1 = l1
        self.batch_normalization = batch_normalization
        self.kernel_initializer = kernel_initializer
        self.learning_rate_schedule = learning_rate_schedule

    def __sklearn_is_fitted__(self) -> bool:
        # Not n_features_in_: validate_data sets it before a fit that may still fail.
        return hasattr(self, "model_")

    # -- checks ----------------------------------------------------------------------
    def _checked_params(self, n_samples: int) -> dict:
        """The hyper-parameters, checked and normalized; clear errors for bad ones."""
        owner = type(self).__name__
        hidden = self.hidden_layer_sizes
        if _is_int(hidden):
            hidden = (hidden,)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise _bad(
                owner, "hidden_layer_sizes", "a positive int or a sequence of them", hidden
            ) from None
        if not all(_is_int(h) and h > 0 for h in hidden):
            raise _bad(
                owner,
                "hidden_layer_sizes",
                "a positive int or a sequence of positive ints (one per hidden layer)",
                self.hidden_layer_sizes,
            )
        options = check_options(
            owner,
            self.activation,
            self.dropout,
            self.l1,
            self.batch_normalization,
            self.kernel_initializer,
            self.learning_rate_schedule,
            n_layers=len(hidden),
        )
        names = sorted(optimizers_mod.OPTIMIZERS)
        if not isinstance(self.optimizer, str) or self.optimizer.lower() not in names:
            raise _bad(owner, "optimizer", f"one of {names}", self.optimizer)
        if not _is_real(self.learning_rate) or self.learning_rate <= 0:
            raise _bad(owner, "learning_rate", "a finite number > 0", self.learning_rate)
        if not _is_int(self.epochs) or self.epochs < 1:
            raise _bad(owner, "epochs", "an int >= 1", self.epochs)
        if self.batch_size == "auto":
            batch_size = min(200, n_samples)
        elif _is_int(self.batch_size) and self.batch_size >= 1:
            batch_size = int(self.batch_size)
        else:
            raise _bad(owner, "batch_size", "an int >= 1 or 'auto'", self.batch_size)
        if not isinstance(self.early_stopping, (bool, np.bool_)):
            raise _bad(owner, "early_stopping", "True or False", self.early_stopping)
        if not _is_real(self.validation_fraction) or not 0 < self.validation_fraction < 1:
            raise _bad(owner, "validation_fraction", "a number in (0, 1)", self.validation_fraction)
        if not _is_int(self.patience) or self.patience < 0:
            raise _bad(owner, "patience", "an int >= 0", self.patience)
        if not _is_real(self.alpha) or self.alpha < 0:
            raise _bad(owner, "alpha", "a finite number >= 0 (the L2 strength)", self.alpha)
        if self.verbose not in (0, 1, 2) or isinstance(self.verbose, float):
            raise _bad(owner, "verbose", "0, 1 or 2", self.verbose)
        return {
            "hidden": tuple(int(h) for h in hidden),
            **options,
            "optimizer": self.optimizer.lower(),
            "learning_rate": float(self.learning_rate),
            "epochs": int(self.epochs),
            "batch_size": batch_size,
            "early_stopping": bool(self.early_stopping),
            "validation_fraction": float(self.validation_fraction),
            "patience": int(self.patience),
            "alpha": float(self.alpha),
            "verbose": int(self.verbose),
        }

    def _seed_source(self) -> np.random.RandomState:
        """random_state as sklearn reads it; None draws from nnlab's seed stream."""
        if self.random_state is None:
            return np.random.RandomState(backend.draw_seed())
        return check_random_state(self.random_state)

    # -- data conversion -------------------------------------------------------------
    def _validate_X(self, X, reset: bool):
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        return _to_floatx(X, "X")

    def _check_sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return None
        return _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)

    # -- the network -----------------------------------------------------------------
    def _fit_network(
        self, X, Y, sample_weight, arch: dict, loss: str, metrics: list, callbacks=None
    ):
        """Build, compile and train the network; set the fitted attributes."""
        p = self._checked_params(X.shape[0])
        n = X.shape[0]
        if p["early_stopping"] and n * (1.0 - p["validation_fraction"]) < 1:
            raise ValueError(
                f"{type(self).__name__}: early_stopping holds out validation_fraction="
                f"{p['validation_fraction']} of n_samples={n}, which leaves no sample to "
                "train on. Use more data, a smaller validation_fraction or "
                "early_stopping=False."
            )
        rng = self._seed_source()
        arch = {
            **arch,
            "n_features": X.shape[1],
            "hidden": p["hidden"],
            "alpha": p["alpha"],
            "name": type(self).__name__.lower(),
            **{k: p[k] for k in ("activations", "dropouts", "l1", "batch_normalization")},
            "kernel_initializer": p["kernel_initializer"],
        }
        seeds = [int(s) for s in rng.randint(_SEED_MAX, size=2 * len(p["hidden"]) + 2)]
        model = build_network(arch, seeds[:-1])
        fraction = p["validation_fraction"] if p["early_stopping"] else 0.0
        steps = total_steps(n, p["batch_size"], p["epochs"], fraction)
        model.compile(
            optimizer=make_optimizer(
                p["optimizer"], p["learning_rate"], p["learning_rate_schedule"], steps
            ),
            loss=loss,
            metrics=metrics,
        )
        extra = list(callbacks or [])
        callbacks = []
        if p["early_stopping"]:
            stopper = EarlyStopping(
                monitor="val_loss",
                patience=p["patience"],
                restore_best_weights=True,
                verbose=p["verbose"],
            )
            callbacks.append(stopper)
        history = model.fit(
            X,
            Y,
            batch_size=p["batch_size"],
            epochs=p["epochs"],
            verbose=p["verbose"],
            callbacks=callbacks + extra,
            validation_split=fraction,
            shuffle=True,
            sample_weight=sample_weight,
            seed=seeds[-1],
            gradient_health=False,
        )
        self.model_ = model
        self._arch = {**arch, "loss": loss, "optimizer": p["optimizer"]}
        self.history_ = {k: list(v) for k, v in history.history.items()}
        self.n_iter_ = len(history.epoch)
        self.loss_curve_ = list(self.history_.get("loss", []))
        self.validation_loss_curve_ = self.history_.get("val_loss")
        self.best_epoch_ = callbacks[0].best_epoch if callbacks else None
        return self

    def _forward(self, X):
        """Network outputs for checked X, as float64; a clear error if not finite."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        # Huge inputs may overflow inside the network: report it, don't raise a NumPy
        # FloatingPointError from the middle of a layer.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            P = self.model_.predict(X, batch_size=_PREDICT_BATCH, verbose=0)
        if not np.all(np.isfinite(P)):
            raise ValueError(
                f"{type(self).__name__} produced non-finite outputs: the inputs are too "
                f"large for the network (values up to {float(np.max(np.abs(X))):.3g}). "
                "Scale the features, e.g. with a StandardScaler in a Pipeline."
            )
        return P.astype(np.float64)


def _to_floatx(A, what: str):
    """Cast checked (finite) data to nnlab's float dtype, refusing values beyond its range."""
    dtype = np.dtype(backend.floatx())
    if A.dtype == dtype:
        return A
    limit = float(np.finfo(dtype).max)
    if A.size and float(np.max(np.abs(A))) > limit:
        raise ValueError(
            f"{what} has values up to {float(np.max(np.abs(A))):.3g}, beyond the range of "
            f"{dtype.name} ({limit:.3g}) that the network computes in. Rescale it first "
            "(e.g. StandardScaler)."
        )
    return A.astype(dtype)


class NNClassifier(ClassifierMixin, _NNBase):
    """A multilayer-perceptron classifier trained by nnlab, with sklearn's API.

    Labels may be of any type (ints, strings, ...). Two classes use one sigmoid output
    and binary cross-entropy, more use a softmax output and categorical cross-entropy.
    `predict_proba` returns one column per class in `classes_` order (two for binary).

    Args:
        hidden_layer_sizes: units of each hidden layer, e.g. (64, 32); an int is one
            layer; () gives no hidden layer (a linear or logistic model).
        activation: hidden-layer activation: "relu", "tanh", "sigmoid", "linear",
            "leaky_relu", "elu" or "softplus" (sklearn's "logistic" and "identity" too),
            or one name per hidden layer.
        optimizer: "adam", "sgd", "rmsprop", "adagrad" or "adadelta" (Keras defaults
            apart from the learning rate).
        learning_rate: the optimizer's step size.
        epochs: passes over the training data (fewer with early stopping).
        batch_size: samples per gradient step, or "auto" for min(200, n_samples).
        early_stopping: hold out `validation_fraction` of the training data and stop
            when the validation loss has not improved for `patience` epochs; the best
            epoch's weights are restored.
        validation_fraction: the held-out share when `early_stopping`.
        patience: epochs without improvement of the validation loss before stopping.
        alpha: L2 strength: alpha * sum(W^2) over all kernels is added to the loss.
        dropout: dropout rate after every hidden layer (0 disables it), or one
            rate per hidden layer.
        random_state: None, an int or a RandomState: seeds the initial weights, the
            dropout masks, the shuffling and the validation split.
        verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
        l1: L1 strength: l1 * sum(|W|) over all kernels is added to the loss.
        batch_normalization: Dense -> BatchNormalization -> activation in every
            hidden layer.
        kernel_initializer: a Keras initializer name for every kernel.
        learning_rate_schedule: "constant", "exponential" (down to a tenth at the
            last step) or "cosine" (down to 0); see nnlab.sklearn_options.

    Attributes:
        classes_: the class labels, sorted.
        n_features_in_: number of features seen in fit.
        feature_names_in_: column names, when fit on a DataFrame with string names.
        model_: the trained nnlab `Sequential` model.
        history_: the History's dict of per-epoch lists: `loss`, `accuracy`, and with
            early stopping the same keys prefixed `val_`.
        n_iter_: epochs actually run.
        loss_curve_: training loss per epoch (a list, as sklearn's MLP).
        validation_loss_curve_: validation loss per epoch, or None without early stopping.
        best_epoch_: 0-based epoch whose weights early stopping kept, or None.
    """

    def fit(self, X, y, sample_weight=None, callbacks=None):
        """Train a fresh network on (X, y); returns self. `callbacks`: extra
        nnlab callbacks for the network's fit (e.g. to record a curve or stop early)."""
        X, y = validate_data(self, X, y, dtype=[np.float64, np.float32])
        check_classification_targets(y)  # y is 1-D here: binary or multiclass
        X = _to_floatx(X, "X")
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


class NNRegressor(RegressorMixin, _NNBase):
    """A multilayer-perceptron regressor trained by nnlab, with sklearn's API.

    The output layer is linear with one unit per target; y may be 1-D or 2-D
    (multi-output), and `predict` returns the same shape as the y given to fit.
    Targets are not rescaled by default (`standardize_target=False`), as scikit-learn's
    MLPRegressor does not rescale them either; for targets far from unit scale pass
    `standardize_target=True` (what `nnlab train` does by default).

    Args:
        hidden_layer_sizes: units of each hidden layer, e.g. (64, 32); an int is one
            layer; () gives no hidden layer (a linear or logistic model).
        activation: hidden-layer activation: "relu", "tanh", "sigmoid", "linear",
            "leaky_relu", "elu" or "softplus" (sklearn's "logistic" and "identity" too),
            or one name per hidden layer.
        optimizer: "adam", "sgd", "rmsprop", "adagrad" or "adadelta" (Keras defaults
            apart from the learning rate).
        learning_rate: the optimizer's step size.
        epochs: passes over the training data (fewer with early stopping).
        batch_size: samples per gradient step, or "auto" for min(200, n_samples).
        early_stopping: hold out `validation_fraction` of the training data and stop
            when the validation loss has not improved for `patience` epochs; the best
            epoch's weights are restored.
        validation_fraction: the held-out share when `early_stopping`.
        patience: epochs without improvement of the validation loss before stopping.
        alpha: L2 strength: alpha * sum(W^2) over all kernels is added to the loss.
        dropout: dropout rate after every hidden layer (0 disables it), or one
            rate per hidden layer.
        random_state: None, an int or a RandomState: seeds the initial weights, the
            dropout masks, the shuffling and the validation split.
        verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
        l1: L1 strength: l1 * sum(|W|) over all kernels is added to the loss.
        batch_normalization: Dense -> BatchNormalization -> activation in every
            hidden layer.
        kernel_initializer: a Keras initializer name for every kernel.
        learning_rate_schedule: "constant", "exponential" (down to a tenth at the
            last step) or "cosine" (down to 0); see nnlab.sklearn_options.
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
        n_features_in_: number of features seen in fit.
        feature_names_in_: column names, when fit on a DataFrame with string names.
        model_: the trained nnlab `Sequential` model.
        history_: the History's dict of per-epoch lists: `loss`, and with
            early stopping the same keys prefixed `val_`.
        n_iter_: epochs actually run.
        loss_curve_: training loss per epoch (a list, as sklearn's MLP).
        validation_loss_curve_: validation loss per epoch, or None without early stopping.
        best_epoch_: 0-based epoch whose weights early stopping kept, or None.
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
            raise _bad(
                type(self).__name__, "loss", f"one of {sorted(_REGRESSION_LOSSES)}", self.loss
            )
        X, y = validate_data(
            self, X, y, dtype=[np.float64, np.float32], multi_output=True, y_numeric=True
        )
        if not isinstance(self.standardize_target, (bool, np.bool_)):
            raise _bad(
                type(self).__name__, "standardize_target", "True or False",
                self.standardize_target,
            )  # fmt: skip
        X = _to_floatx(X, "X")
        y = np.asarray(y, dtype=np.float64)
        self._y_ndim = y.ndim
        y = y.reshape(len(y), -1)
        self.y_mean_ = self.y_scale_ = None
        if self.standardize_target:
            std = y.std(axis=0)
            self.y_mean_, self.y_scale_ = y.mean(axis=0), np.where(std > 0, std, 1.0)
            y = (y - self.y_mean_) / self.y_scale_
        Y = _to_floatx(y, "y")
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
