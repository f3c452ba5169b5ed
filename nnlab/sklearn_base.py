"""What `nnlab.sklearn`'s two estimators share: parameters, checks, training, docs.

`NNEstimatorBase` holds the constructor parameters both estimators take, checks them
in `fit` (never in `__init__`, as scikit-learn asks), builds and trains the network
and reads it back; `NNClassifier` and `NNRegressor` only turn y into targets and
outputs into predictions. `PARAMETERS_DOC` and `ATTRIBUTES_DOC` are the docstring
sections both estimators show, written once.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from nnlab import backend
from nnlab import optimizers as optimizers_mod
from nnlab.callbacks import EarlyStopping
from nnlab.sklearn_options import build_network, check_options, make_optimizer, total_steps

__all__ = [
    "ATTRIBUTES_DOC",
    "PARAMETERS_DOC",
    "NNEstimatorBase",
    "bad_param",
    "shared_docs",
    "to_floatx",
]

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


def bad_param(owner: str, name: str, expected: str, value) -> ValueError:
    """The error for a bad estimator parameter, in scikit-learn's wording."""
    return ValueError(f"{owner}: {name} must be {expected}. Received: {name}={value!r}")


def _hidden_sizes(owner: str, hidden_layer_sizes) -> tuple:
    """hidden_layer_sizes as a tuple of positive ints (an int is one layer)."""
    hidden = hidden_layer_sizes
    if _is_int(hidden):
        hidden = (hidden,)
    try:
        hidden = tuple(hidden)
    except TypeError:
        raise bad_param(
            owner, "hidden_layer_sizes", "a positive int or a sequence of them", hidden
        ) from None
    if not all(_is_int(h) and h > 0 for h in hidden):
        raise bad_param(
            owner,
            "hidden_layer_sizes",
            "a positive int or a sequence of positive ints (one per hidden layer)",
            hidden_layer_sizes,
        )
    return tuple(int(h) for h in hidden)


# The checks after the optimizer's, in the order they are made: (name, test, expected).
_TRAINING_CHECKS = (
    ("learning_rate", lambda v: _is_real(v) and v > 0, "a finite number > 0"),
    ("epochs", lambda v: _is_int(v) and v >= 1, "an int >= 1"),
    ("batch_size", lambda v: v == "auto" or (_is_int(v) and v >= 1), "an int >= 1 or 'auto'"),
    ("early_stopping", lambda v: isinstance(v, (bool, np.bool_)), "True or False"),
    ("validation_fraction", lambda v: _is_real(v) and 0 < v < 1, "a number in (0, 1)"),
    ("patience", lambda v: _is_int(v) and v >= 0, "an int >= 0"),
    ("alpha", lambda v: _is_real(v) and v >= 0, "a finite number >= 0 (the L2 strength)"),
    ("verbose", lambda v: v in (0, 1, 2) and not isinstance(v, float), "0, 1 or 2"),
)


PARAMETERS_DOC = """\
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
"""

ATTRIBUTES_DOC = """\
        n_features_in_: number of features seen in fit.
        feature_names_in_: column names, when fit on a DataFrame with string names.
        model_: the trained nnlab `Sequential` model.
        n_iter_: epochs actually run.
        loss_curve_: training loss per epoch (a list, as sklearn's MLP).
        validation_loss_curve_: validation loss per epoch, or None without early stopping.
        best_epoch_: 0-based epoch whose weights early stopping kept, or None.
"""


def shared_docs(cls):
    """Class decorator: put PARAMETERS_DOC and ATTRIBUTES_DOC where the docstring says.

    The estimator's docstring holds the lines `<shared parameters>` and `<shared
    attributes>`; they are replaced by the sections both estimators share.
    """
    doc = cls.__doc__.replace("        <shared parameters>\n", PARAMETERS_DOC)
    cls.__doc__ = doc.replace("        <shared attributes>\n", ATTRIBUTES_DOC)
    return cls


class NNEstimatorBase(BaseEstimator):
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
        hidden = _hidden_sizes(owner, self.hidden_layer_sizes)
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
            raise bad_param(owner, "optimizer", f"one of {names}", self.optimizer)
        for name, is_valid, expected in _TRAINING_CHECKS:
            if not is_valid(getattr(self, name)):
                raise bad_param(owner, name, expected, getattr(self, name))
        auto = isinstance(self.batch_size, str)  # "auto", checked above
        return {
            "hidden": hidden,
            **options,
            "optimizer": self.optimizer.lower(),
            "learning_rate": float(self.learning_rate),
            "epochs": int(self.epochs),
            "batch_size": min(200, n_samples) if auto else int(self.batch_size),
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
        return to_floatx(X, "X")

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


def to_floatx(A, what: str):
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
