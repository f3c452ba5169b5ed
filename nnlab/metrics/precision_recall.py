"""Streaming `Precision` and `Recall` with Keras 3's `thresholds`, `top_k` and `class_id`.

Counts are summed over batches exactly as Keras's `update_confusion_matrix_variables`:

- `top_k`: in each row (last axis) only the k largest predictions keep their value
  (ties go to the lower index, as `top_k` does); the others become -1e10, so they are
  never predicted positive. Without `thresholds` the threshold is then -1e10: the
  top k entries of each row are the predicted positives.
- `class_id`: only that column counts (taken after the top-k filter).
- A prediction is positive at threshold t when p > t; a label is positive when nonzero.
- Thresholds evenly spread over [0, 1] (3 or more, e.g. [0, 0.5, 1]) are counted by
  Keras's bucketing: predictions are clipped to [0, 1] and p counts above threshold i
  when ceil(p * (n - 1)) - 1 >= i.
- A sample weight weights every entry of its row.
"""

from __future__ import annotations

import numpy as np

from nnlab.metrics.keras_metrics import Metric, match_targets

NEG_INF = -1e10  # Keras's stand-in for minus infinity in the top-k filter
EPSILON = 1e-7  # keras.config.epsilon()


def _check_thresholds(owner: str, thresholds) -> list[float] | None:
    if thresholds is None:
        return None
    values = list(np.atleast_1d(np.asarray(thresholds, dtype=object)).tolist())
    bad = [t for t in values if isinstance(t, bool) or not isinstance(t, (int, float))
           or not 0.0 <= t <= 1.0]
    if bad or not values:
        raise ValueError(
            f"{owner}: threshold values must be in [0, 1]. Received: thresholds={thresholds!r}"
        )
    return [float(t) for t in values]


def _check_index(owner: str, name: str, value, low: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(f"{owner}({name}=...) expects an int >= {low}. Received: {name}={value!r}")
    return int(value)


def _evenly_spread(thresholds: list[float]) -> bool:
    """Keras's test for its bucketed counting (float32 grid, tolerance epsilon)."""
    n = len(thresholds)
    if n < 3:
        return False
    grid = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, grid, atol=EPSILON))


def filter_top_k(P: np.ndarray, k: int) -> np.ndarray:
    """P with all but the k largest entries of each row (last axis) set to -1e10."""
    if k > P.shape[-1]:
        raise ValueError(
            f"top_k={k} is larger than the {P.shape[-1]} predictions per sample. "
            "Pass top_k <= the number of classes."
        )
    top = np.argsort(-P, axis=-1, kind="stable")[..., :k]
    mask = np.zeros(P.shape)
    np.put_along_axis(mask, top, 1.0, axis=-1)
    return P * mask + NEG_INF * (1 - mask)


class Precision(Metric):
    """TP / (TP + FP), streamed over batches (0 when nothing was predicted positive).

    Args:
        thresholds: a float or a list of floats in [0, 1] (a list gives one value per
            threshold). Default 0.5, or -1e10 with `top_k`.
        top_k: count only the k largest predictions of each sample as positives.
        class_id: count only this column of a multi-column output.
        name: the metric's name.

    Example:
        >>> m = Precision(top_k=1)
        >>> m.update_state([[0, 1, 1], [1, 0, 0]], [[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]])
        >>> m.result()  # top-1 picks class 1 twice: right once, wrong once
        0.5
    """

    name = "precision"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None):
        owner = type(self).__name__
        self._given = thresholds
        self.top_k = _check_index(owner, "top_k", top_k, 1)
        self.class_id = _check_index(owner, "class_id", class_id, 0)
        checked = _check_thresholds(owner, thresholds)
        default = [0.5 if top_k is None else NEG_INF]
        self.thresholds = np.array(default if checked is None else checked, dtype=np.float64)
        self._bucketed = checked is not None and _evenly_spread(checked)
        super().__init__(name)

    def reset_state(self) -> None:
        n = len(self.thresholds)
        self.tp, self.fp, self.fn = np.zeros(n), np.zeros(n), np.zeros(n)

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        P = np.asarray(y_pred, dtype=np.float64)
        Y = match_targets(np.asarray(y_true), P)
        w = np.ones(P.shape) if sample_weight is None else _row_weights(sample_weight, P.shape)
        if self.top_k is not None:
            P = filter_top_k(P, self.top_k)
        if self.class_id is not None:
            if P.ndim < 2 or self.class_id >= P.shape[-1]:
                raise ValueError(
                    f"{type(self).__name__}(class_id={self.class_id}) needs predictions of "
                    f"shape (samples, classes) with more than {self.class_id} classes. "
                    f"Received shape {P.shape}."
                )
            P, Y, w = (A[..., self.class_id] for A in (P, np.broadcast_to(Y, P.shape), w))
        pos = (Y != 0).ravel()
        P, w = P.ravel(), w.ravel()
        if self._bucketed:
            n = len(self.thresholds)
            bucket = np.ceil(np.clip(P, 0.0, 1.0) * (n - 1)) - 1
            above = bucket[None, :] >= np.arange(n)[:, None]
        else:
            above = P[None, :] > self.thresholds[:, None]  # (thresholds, entries)
        self.tp += (above & pos) @ w
        self.fp += (above & ~pos) @ w
        self.fn += (~above & pos) @ w

    def _value(self) -> np.ndarray:
        return _div(self.tp, self.tp + self.fp)

    def result(self):
        value = self._value()
        return float(value[0]) if len(value) == 1 else value

    def get_config(self) -> dict:
        return {"thresholds": self._given, "top_k": self.top_k, "class_id": self.class_id,
                "name": self.name}


class Recall(Precision):
    """TP / (TP + FN), streamed over batches (0 when no label was positive). Arguments
    as `Precision`.

    Example:
        >>> m = Recall(top_k=1)
        >>> m.update_state([[0, 1, 1], [1, 0, 0]], [[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]])
        >>> m.result()  # 3 positive labels, 1 of them in a top-1 prediction
        0.3333333333333333
    """

    name = "recall"

    def _value(self) -> np.ndarray:
        return _div(self.tp, self.tp + self.fn)


def _row_weights(sample_weight, shape) -> np.ndarray:
    """Per-entry weights: a weight per sample covers every entry of its row."""
    w = np.asarray(sample_weight, dtype=np.float64)
    w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    return np.broadcast_to(w, shape)


def _div(a, b):
    """a / b, and 0 where b is 0 (Keras's divide_no_nan)."""
    return np.divide(a, b, out=np.zeros(np.broadcast(a, b).shape), where=b != 0)
