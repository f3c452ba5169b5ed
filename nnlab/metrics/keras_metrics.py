"""Metrics for `compile(metrics=[...])`: running means over an epoch, Keras-style.

A metric accumulates per-sample values with `update_state(Y, P)` and reports their
mean with `result()`; `reset_state()` starts over (fit does so every epoch).
`direction` ("max" or "min") tells monitors such as EarlyStopping which way is better.

`"accuracy"` (or `"acc"`) is resolved from the shapes once, as Keras does: one output
unit -> binary accuracy (P > 0.5); integer labels -> sparse categorical accuracy;
otherwise categorical accuracy (argmax Y == argmax P).
"""

from __future__ import annotations

import numpy as np


class Metric:
    """Base class: a running mean of per-sample values computed by `values(Y, P)`."""

    name = "metric"
    direction = "max"

    def __init__(self, name: str | None = None):
        if name is not None:
            self.name = name
        self.reset_state()

    def values(self, Y, P):
        raise NotImplementedError

    def reset_state(self) -> None:
        self._total = 0.0
        self._count = 0

    def update_state(self, y_true, y_pred) -> None:
        P = np.asarray(y_pred)
        V = self.values(np.asarray(y_true), P)
        self._total += float(V.sum())
        self._count += V.size

    def result(self) -> float:
        return self._total / self._count if self._count else 0.0

    def __call__(self, y_true, y_pred) -> float:
        """Stateless: the metric of this batch alone."""
        V = self.values(np.asarray(y_true), np.asarray(y_pred))
        return float(V.mean()) if V.size else 0.0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _match(Y, P):
    """Reconcile (N,) labels against (N, 1) predictions and vice versa."""
    if Y.ndim == P.ndim - 1 and P.shape[-1] == 1:
        Y = Y[..., None]
    elif Y.ndim == P.ndim + 1 and Y.shape[-1] == 1:
        Y = Y[..., 0]
    return Y


class BinaryAccuracy(Metric):
    """Fraction of entries where (P > threshold) equals Y (per label, then averaged)."""

    name = "binary_accuracy"

    def __init__(self, name: str | None = None, threshold: float = 0.5):
        self.threshold = float(threshold)
        super().__init__(name)

    def values(self, Y, P):
        Y = _match(Y, P)
        return ((P > self.threshold) == (Y > 0.5)).mean(axis=-1)


class CategoricalAccuracy(Metric):
    """Fraction of samples where argmax Y equals argmax P (one-hot targets)."""

    name = "categorical_accuracy"

    def values(self, Y, P):
        return (Y.argmax(axis=-1) == P.argmax(axis=-1)).astype(np.float64)


class SparseCategoricalAccuracy(Metric):
    """Fraction of samples where the integer label equals argmax P."""

    name = "sparse_categorical_accuracy"

    def values(self, Y, P):
        if Y.shape == P.shape and P.shape[-1] > 1:
            Y = Y.argmax(axis=-1)  # labels one-hot encoded by fit (sparse losses do that)
        elif Y.ndim == P.ndim:
            Y = Y[..., 0]
        return (Y.astype(np.int64) == P.argmax(axis=-1)).astype(np.float64)


class MeanSquaredError(Metric):
    """Mean of (P - Y)^2 over all entries."""

    name = "mean_squared_error"
    direction = "min"

    def values(self, Y, P):
        return ((P - _match(Y, P)) ** 2).mean(axis=-1)


class MeanAbsoluteError(Metric):
    """Mean of |P - Y| over all entries."""

    name = "mean_absolute_error"
    direction = "min"

    def values(self, Y, P):
        return np.abs(P - _match(Y, P)).mean(axis=-1)


METRICS: dict[str, type[Metric]] = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}
_CLASSES = {cls.__name__: cls for cls in METRICS.values()}
ACCURACY_NAMES = ("accuracy", "acc")


def get(identifier, y_true_shape=None, y_pred_shape=None, sparse_targets=False) -> Metric:
    """Resolve a metric; "accuracy"/"acc" needs the target and prediction shapes.

    The logged name is the string as given (so "acc" logs as `acc`).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if not isinstance(identifier, str):
        raise TypeError(
            f"metrics entries must be names such as 'accuracy' or nnlab.metrics.Metric "
            f"instances. Received: {identifier!r}"
        )
    if identifier in ACCURACY_NAMES:
        return accuracy_for(y_true_shape, y_pred_shape, sparse_targets)(name=identifier)
    cls = METRICS.get(identifier) or _CLASSES.get(identifier)
    if cls is None:
        raise ValueError(
            f"Unknown metric {identifier!r}. Expected one of "
            f"{sorted(set(METRICS) | set(ACCURACY_NAMES))} or a Metric instance."
        )
    return cls(name=identifier)


def accuracy_for(y_true_shape, y_pred_shape, sparse_targets=False) -> type[Metric]:
    """Keras's rule for "accuracy": binary, sparse or categorical from the shapes."""
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy
    if sparse_targets or len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1:
        return SparseCategoricalAccuracy
    return CategoricalAccuracy
