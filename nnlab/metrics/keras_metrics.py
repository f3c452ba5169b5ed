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
    """Base class: a running mean of per-sample values computed by `values(Y, P)`.

    `update_state(y_true, y_pred, sample_weight=None)` adds a batch, `result()` reads
    the mean so far and `reset_state()` starts over (fit does so every epoch). With
    sample weights the mean is sum(w * v) / sum(w), as Keras's `Mean`.

    Example:
        >>> m = BinaryAccuracy()
        >>> m.update_state([[1.0], [0.0]], [[0.9], [0.8]])
        >>> m.result()
        0.5
    """

    name = "metric"
    direction = "max"
    #: set by compile for `weighted_metrics`: the training loop passes sample weights
    weighted = False

    def __init__(self, name: str | None = None):
        if name is not None:
            self.name = name
        self.reset_state()

    def values(self, Y, P):
        raise NotImplementedError

    def reset_state(self) -> None:
        self._total = 0.0
        self._count = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        P = np.asarray(y_pred)
        V = self.values(np.asarray(y_true), P)
        if sample_weight is None:
            self._total += float(V.sum())
            self._count += V.size
            return
        w = _sample_weights(sample_weight, V)
        if V.ndim > w.ndim:  # Keras: per-sample means first, then weighted
            V = V.mean(axis=tuple(range(w.ndim, V.ndim)))
        w = np.broadcast_to(w, V.shape)
        self._total += float((V * w).sum())
        self._count += float(w.sum())

    def result(self) -> float:
        return self._total / self._count if self._count else 0.0

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        """Stateless: the metric of this batch alone."""
        saved = self.__dict__.copy()
        self.reset_state()
        self.update_state(y_true, y_pred, sample_weight)
        value = self.result()
        self.__dict__.update(saved)
        return value

    def get_config(self) -> dict:
        return {"name": self.name}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _sample_weights(sample_weight, V) -> np.ndarray:
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.ndim > V.ndim:  # (N, 1) weights for (N,) values
        w = w.reshape(w.shape[: V.ndim])
    return w


class MeanMetricWrapper(Metric):
    """A metric from a plain function `fn(y_true, y_pred)` returning one value per sample
    (or one scalar per batch); the running mean of those values, as Keras wraps them.

    Args:
        fn: the function; it receives NumPy arrays.
        name: the log name (default: the function's name).
        direction: "max" or "min", for monitors such as EarlyStopping.

    Example:
        >>> import numpy as np
        >>> def max_error(y_true, y_pred):
        ...     return np.abs(y_pred - y_true).max(axis=-1)
        >>> m = MeanMetricWrapper(max_error)
        >>> m.update_state(np.array([[1.0, 2.0]]), np.array([[1.5, 1.0]]))
        >>> (m.name, m.result())
        ('max_error', 1.0)
    """

    def __init__(self, fn, name: str | None = None, direction: str = "max"):
        if not callable(fn):
            raise TypeError(f"MeanMetricWrapper expects a function. Received: {fn!r}")
        self.fn = fn
        self.direction = direction
        super().__init__(name or getattr(fn, "__name__", "metric"))

    def values(self, Y, P):
        return np.asarray(self.fn(Y, P), dtype=np.float64)


def match_targets(Y, P):
    """Y reshaped to P's rank where they differ by a trailing axis of size 1: (N,)
    labels against (N, 1) predictions gain the axis, (N, 1) against (N,) lose it;
    any other Y is returned as is.

    Example:
        >>> match_targets(np.zeros(4), np.zeros((4, 1))).shape
        (4, 1)
    """
    if Y.ndim == P.ndim - 1 and P.shape[-1] == 1:
        Y = Y[..., None]
    elif Y.ndim == P.ndim + 1 and Y.shape[-1] == 1:
        Y = Y[..., 0]
    return Y


class BinaryAccuracy(Metric):
    """Fraction of entries where Y equals (P > threshold) (per label, then averaged)."""

    name = "binary_accuracy"

    def __init__(self, name: str | None = None, threshold: float = 0.5):
        self.threshold = float(threshold)
        super().__init__(name)

    def values(self, Y, P):
        # Keras compares y_true == (p > threshold): labels -1 or soft labels never
        # count as a match for the negative class.
        Y = match_targets(Y, P)
        return (Y == (P > self.threshold)).mean(axis=-1)

    def get_config(self) -> dict:
        return {"name": self.name, "threshold": self.threshold}


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
        return ((P - match_targets(Y, P)) ** 2).mean(axis=-1)


class MeanAbsoluteError(Metric):
    """Mean of |P - Y| over all entries."""

    name = "mean_absolute_error"
    direction = "min"

    def values(self, Y, P):
        return np.abs(P - match_targets(Y, P)).mean(axis=-1)


METRICS: dict[str, type[Metric]] = {
    "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
}
ACCURACY_NAMES = ("accuracy", "acc")


def _register_streaming() -> None:
    """Add AUC, Precision, ... (nnlab.metrics.streaming builds on Metric above)."""
    from nnlab.metrics import streaming

    METRICS.update(streaming.METRICS)
    _CLASSES.update({cls.__name__: cls for cls in streaming.METRICS.values()})
    _CLASSES["FBetaScore"] = streaming.FBetaScore


_CLASSES = {cls.__name__: cls for cls in METRICS.values()}
_register_streaming()


def known_names() -> list[str]:
    """Every metric string `compile(metrics=[...])` accepts."""
    return sorted(set(METRICS) | set(_CLASSES) | set(ACCURACY_NAMES))


def check_metric_specs(spec) -> None:
    """Refuse unknown metric names at compile (Keras waits until fit), naming the
    known ones; lists, lists of lists and dicts of them are walked."""
    if spec is None:
        return
    items = spec.values() if isinstance(spec, dict) else spec
    if isinstance(spec, (str, Metric)) or callable(spec) and not isinstance(spec, type):
        items = [spec]
    for item in items:
        if isinstance(item, (list, tuple, dict)):
            check_metric_specs(item)
        elif isinstance(item, str):
            if item not in ACCURACY_NAMES and item not in METRICS and item not in _CLASSES:
                raise ValueError(
                    f"Unknown metric {item!r}. Expected one of {known_names()}, a "
                    "Metric instance, or a function fn(y_true, y_pred)."
                )
        elif item is not None and not callable(item):
            raise TypeError(
                "metrics entries must be names such as 'accuracy', Metric instances or "
                f"functions fn(y_true, y_pred). Received: {item!r}"
            )


def get(identifier, y_true_shape=None, y_pred_shape=None, sparse_targets=False) -> Metric:
    """Resolve a metric; "accuracy"/"acc" needs the target and prediction shapes.

    The logged name is the string as given (so "acc" logs as `acc`).
    """
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier) and not isinstance(identifier, (str, type)):
        return MeanMetricWrapper(identifier)  # a plain function of (y_true, y_pred)
    if not isinstance(identifier, str):
        raise TypeError(
            f"metrics entries must be names such as 'accuracy', nnlab.metrics.Metric "
            f"instances or functions fn(y_true, y_pred). Received: {identifier!r}"
        )
    if identifier in ACCURACY_NAMES:
        return accuracy_for(y_true_shape, y_pred_shape, sparse_targets)(name=identifier)
    cls = METRICS.get(identifier) or _CLASSES.get(identifier)
    if cls is None:
        raise ValueError(
            f"Unknown metric {identifier!r}. Expected one of {known_names()}, a Metric "
            "instance, or a function fn(y_true, y_pred)."
        )
    return cls(name=identifier)


def accuracy_for(y_true_shape, y_pred_shape, sparse_targets=False) -> type[Metric]:
    """Keras's rule for "accuracy": binary, sparse or categorical from the shapes."""
    if y_pred_shape[-1] == 1:
        return BinaryAccuracy
    if sparse_targets or len(y_true_shape) < len(y_pred_shape) or y_true_shape[-1] == 1:
        return SparseCategoricalAccuracy
    return CategoricalAccuracy
