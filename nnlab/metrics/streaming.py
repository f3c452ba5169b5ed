"""Streaming compile metrics that are not plain means: confusion counts at thresholds
(F1Score, AUC; Precision and Recall live in nnlab.metrics.precision_recall),
RootMeanSquaredError and top-k accuracy, each accumulated over batches exactly as
Keras 3 accumulates them.

A prediction counts as positive at threshold t when p > t (strict); labels count as
positive when nonzero. Sample weights weight each sample's counts.
"""

from __future__ import annotations

import numpy as np

from nnlab.activations_extra import expit
from nnlab.metrics.keras_metrics import Metric, match_targets
from nnlab.metrics.precision_recall import Precision, Recall

EPSILON = 1e-7  # keras.config.epsilon()


def _weights(sample_weight, shape) -> np.ndarray:
    """Per-entry weights broadcast to the label array's shape."""
    if sample_weight is None:
        return np.ones(shape)
    w = np.asarray(sample_weight, dtype=np.float64)
    w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    return np.broadcast_to(w, shape)


def _div(a, b):
    """a / b, and 0 where b is 0 (Keras's divide_no_nan)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)


class RootMeanSquaredError(Metric):
    """sqrt of the running mean of (P - Y)^2 over all entries seen."""

    name = "root_mean_squared_error"
    direction = "min"

    def values(self, Y, P):
        return (P - match_targets(Y, P)) ** 2

    def result(self) -> float:
        return float(np.sqrt(super().result()))


class TopKCategoricalAccuracy(Metric):
    """Fraction of samples whose true class (argmax of one-hot Y) is among the k largest
    predictions; classes tied with the k-th largest count as inside (TensorFlow's
    in_top_k).

    Args:
        k: how many top predictions count (default 5).
    """

    name = "top_k_categorical_accuracy"

    def __init__(self, k: int = 5, name: str | None = None):
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
            raise ValueError(f"TopKCategoricalAccuracy expects k >= 1. Received: k={k!r}")
        self.k = int(k)
        super().__init__(name)

    def _labels(self, Y, P):
        return Y.argmax(axis=-1)

    def values(self, Y, P):
        labels = self._labels(Y, P)
        target = np.take_along_axis(P, labels[..., None], axis=-1)
        return ((P > target).sum(axis=-1) < self.k).astype(np.float64)

    def get_config(self) -> dict:
        return {"k": self.k, "name": self.name}


class SparseTopKCategoricalAccuracy(TopKCategoricalAccuracy):
    """Top-k accuracy for integer labels."""

    name = "sparse_top_k_categorical_accuracy"

    def _labels(self, Y, P):
        if Y.shape == P.shape and P.shape[-1] > 1:
            return Y.argmax(axis=-1)  # labels one-hot encoded by fit
        if Y.ndim == P.ndim:
            Y = Y[..., 0]
        return Y.astype(np.int64)


class _ThresholdCounts(Metric):
    """TP, FP, TN, FN at each of `thresholds`, summed over batches."""

    def __init__(self, thresholds, name: str | None = None):
        self.thresholds = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
        super().__init__(name)

    def reset_state(self) -> None:
        n = len(self.thresholds)
        self.tp, self.fp, self.tn, self.fn = (np.zeros(n) for _ in range(4))

    def _predictions(self, Y, P):
        return P

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        P = np.asarray(y_pred, dtype=np.float64)
        Y = match_targets(np.asarray(y_true), P)
        P = self._predictions(Y, P)
        pos = (Y != 0).ravel()
        w = _weights(sample_weight, P.shape).ravel()
        above = P.ravel()[None, :] > self.thresholds[:, None]  # (thresholds, entries)
        self.tp += (above & pos) @ w
        self.fp += (above & ~pos) @ w
        self.fn += (~above & pos) @ w
        self.tn += (~above & ~pos) @ w


class FBetaScore(Metric):
    """F-beta per class: (1 + b^2) P R / (b^2 P + R), with Keras's epsilons.

    Args:
        average: None (one score per class), "micro", "macro" or "weighted".
        beta: weight of recall (default 1.0).
        threshold: None predicts the largest column of each row (one-hot); a float
            predicts every column with p > threshold.
    """

    name = "fbeta_score"

    def __init__(self, average=None, beta: float = 1.0, threshold=None, name=None):
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError(
                "Invalid `average` argument value. Expected one of: {None, 'micro', "
                f"'macro', 'weighted'}}. Received: average={average!r}"
            )
        if not beta > 0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: {beta}")
        self.average, self.beta, self.threshold = average, float(beta), threshold
        super().__init__(name)

    def reset_state(self) -> None:
        self.tp = self.fp = self.fn = self.support = 0.0

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        P = np.asarray(y_pred, dtype=np.float64)
        Y = np.asarray(y_true, dtype=np.float64).reshape(P.shape)
        if self.threshold is None:
            top = P.max(axis=-1, keepdims=True)
            hit = ((P >= top) & (np.abs(P) > 1e-9)).astype(np.float64)
        else:
            hit = (P > self.threshold).astype(np.float64)
        w = _weights(sample_weight, P.shape)
        axis = None if self.average == "micro" else 0
        self.tp = self.tp + (hit * Y * w).sum(axis=axis)
        self.fp = self.fp + (hit * (1 - Y) * w).sum(axis=axis)
        self.fn = self.fn + ((1 - hit) * Y * w).sum(axis=axis)
        self.support = self.support + (Y * w).sum(axis=axis)

    def result(self):
        precision = self.tp / (self.tp + self.fp + EPSILON)
        recall = self.tp / (self.tp + self.fn + EPSILON)
        b2 = self.beta**2
        score = (1 + b2) * (precision * recall / (b2 * precision + recall + EPSILON))
        if self.average == "weighted":
            return float(np.sum(score * self.support / (np.sum(self.support) + EPSILON)))
        if self.average is not None:
            return float(np.mean(score))
        return np.asarray(score)

    def get_config(self) -> dict:
        return {
            "average": self.average,
            "beta": self.beta,
            "threshold": self.threshold,
            "name": self.name,
        }


class F1Score(FBetaScore):
    """FBetaScore with beta = 1."""

    name = "f1_score"

    def __init__(self, average=None, threshold=None, name=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name)

    def get_config(self) -> dict:
        config = super().get_config()
        del config["beta"]
        return config


class AUC(_ThresholdCounts):
    """Area under the ROC or precision-recall curve from counts at `num_thresholds`
    evenly spaced thresholds (0 - eps, 1/(n-1), ..., 1 + eps), as Keras.

    ROC: trapezoids of recall over the false positive rate ("interpolation"), or the
    lower / upper step ("minoring" / "majoring"). PR with "interpolation": the
    Davis & Goadrich interpolation of precision between thresholds.

    Args:
        num_thresholds: default 200.
        curve: "ROC" (default) or "PR".
        summation_method: "interpolation" (default), "minoring" or "majoring".
        from_logits: apply a sigmoid to the predictions first.
    """

    name = "auc"

    def __init__(
        self,
        num_thresholds: int = 200,
        curve: str = "ROC",
        summation_method: str = "interpolation",
        name=None,
        from_logits: bool = False,
    ):
        if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, int) or (
            num_thresholds <= 1
        ):
            raise ValueError(
                "Argument `num_thresholds` must be an integer > 1. "
                f"Received: num_thresholds={num_thresholds!r}"
            )
        if str(curve).upper() not in ("ROC", "PR"):
            raise ValueError(f"Invalid `curve` argument value {curve!r}. Expected 'ROC' or 'PR'.")
        if summation_method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                f"Invalid `summation_method` argument value {summation_method!r}. Expected "
                "'interpolation', 'minoring' or 'majoring'."
            )
        self.num_thresholds = num_thresholds
        self.curve = str(curve).upper()
        self.summation_method = summation_method
        self.from_logits = bool(from_logits)
        inner = [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)]
        super().__init__([0.0 - EPSILON] + inner + [1.0 + EPSILON], name)

    def _predictions(self, Y, P):
        P = expit(P) if self.from_logits else P
        return np.clip(P, 0.0, 1.0)  # Keras's bucketing treats values outside as 0 or 1

    def _interpolate_pr(self) -> float:
        tp, fp, fn = self.tp, self.fp, self.fn
        dtp = tp[:-1] - tp[1:]
        p = tp + fp
        dp = p[:-1] - p[1:]
        slope = _div(dtp, np.maximum(dp, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _div(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return float(np.sum(_div(slope * (dtp + intercept * np.log(ratio)),
                                 np.maximum(tp[1:] + fn[1:], 0))))

    def result(self) -> float:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr()
        recall = _div(self.tp, self.tp + self.fn)
        if self.curve == "ROC":
            x, y = _div(self.fp, self.fp + self.tn), recall
        else:
            x, y = recall, _div(self.tp, self.tp + self.fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum((x[:-1] - x[1:]) * heights))

    def get_config(self) -> dict:
        return {
            "num_thresholds": self.num_thresholds,
            "curve": self.curve,
            "summation_method": self.summation_method,
            "from_logits": self.from_logits,
            "name": self.name,
        }


METRICS: dict[str, type[Metric]] = {
    "auc": AUC,
    "precision": Precision,
    "recall": Recall,
    "f1_score": F1Score,
    "root_mean_squared_error": RootMeanSquaredError,
    "top_k_categorical_accuracy": TopKCategoricalAccuracy,
    "sparse_top_k_categorical_accuracy": SparseTopKCategoricalAccuracy,
}
