"""Input checks shared by the evaluation metrics: labels, one-hot rows, probabilities.

The rules, in one place:

* ``y_true`` holds class labels, shape ``(n,)`` (or ``(n, 1)``), or one-hot rows,
  shape ``(n, k)``, which become the labels ``0 .. k-1`` (the column of the 1).
* ``y_pred`` holds

  - class labels: an integer, boolean or string array of shape ``(n,)``;
  - probabilities of class 1 for a binary problem: a float array of shape ``(n,)``
    (or ``(n, 1)``, a sigmoid output) with values in [0, 1]. The lectures' rule turns
    them into labels: ``y_hat > threshold`` -> class 1, otherwise class 0 (the same
    strict ``>`` as Keras and `BinaryAccuracy`);
  - class probabilities: a float array of shape ``(n, k)`` with values in [0, 1]; the
    predicted label is the column of the largest one (argmax; no threshold).

A float ``y_pred`` of shape ``(n,)`` is always read as probabilities; pass integer
labels as an integer array.
"""

from __future__ import annotations

import numpy as np

AVERAGES = ("binary", "micro", "macro", "weighted", None)


def _shape_text(a) -> str:
    return f"shape {tuple(np.shape(a))}"


def check_threshold(threshold) -> float:
    t = float(threshold)
    if not 0.0 <= t <= 1.0:
        raise ValueError(f"threshold must be a probability in [0, 1]; got {threshold!r}.")
    return t


def check_average(average, allowed=AVERAGES) -> None:
    if average not in allowed:
        raise ValueError(f"Unknown average {average!r}. Expected one of {list(allowed)}.")


def check_probabilities(P: np.ndarray, name: str) -> None:
    if P.size and not (np.all(np.isfinite(P)) and P.min() >= 0.0 and P.max() <= 1.0):
        bad = P[~(np.isfinite(P) & (P >= 0.0) & (P <= 1.0))].ravel()[:3]
        raise ValueError(
            f"{name} holds floats, read as probabilities, which must lie in [0, 1]; got "
            f"values such as {bad.tolist()}. Pass class labels as an integer array."
        )


def check_same_length(a: np.ndarray, b: np.ndarray, names=("y_true", "y_pred")) -> None:
    if len(a) != len(b):
        raise ValueError(
            f"{names[0]} and {names[1]} must have the same number of samples; got "
            f"{len(a)} ({_shape_text(a)}) and {len(b)} ({_shape_text(b)})."
        )
    if len(a) == 0:
        raise ValueError(f"{names[0]} and {names[1]} are empty; metrics need samples.")


def true_labels(y_true, name: str = "y_true") -> np.ndarray:
    """Labels of shape (n,) from labels (n,), (n, 1) or one-hot rows (n, k)."""
    Y = np.asarray(y_true)
    if Y.ndim == 2 and Y.shape[1] == 1:
        Y = Y[:, 0]
    if Y.ndim == 2:
        numeric = Y.dtype.kind in "biuf"
        if not (numeric and np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=1) == 1)):
            raise ValueError(
                f"{name} of {_shape_text(Y)} must be one-hot rows (a single 1 per row, "
                f"zeros elsewhere); for class labels pass shape (n,)."
            )
        return Y.argmax(axis=1)
    if Y.ndim != 1:
        raise ValueError(
            f"{name} must be labels (n,) or one-hot rows (n, k); got {_shape_text(Y)}."
        )
    if Y.dtype.kind == "b":
        return Y.astype(np.int64)
    if Y.dtype.kind == "f":
        if not np.all(np.isfinite(Y) & (Y == np.round(Y))):
            raise ValueError(
                f"{name} must hold class labels (whole numbers) or one-hot rows; got "
                f"non-integer values such as {Y[Y != np.round(Y)][:3].tolist()}."
            )
        return Y.astype(np.int64)
    return Y


def predicted_labels(y_pred, threshold: float = 0.5, name: str = "y_pred"):
    """Labels (n,) from labels, probabilities of class 1, or class probabilities.

    Returns (labels, from_probabilities): the flag is True when a threshold was applied.
    """
    P = np.asarray(y_pred)
    if P.ndim == 2 and P.shape[1] == 1:
        P = P[:, 0]
    if P.ndim == 2:
        if P.dtype.kind not in "biuf":
            raise ValueError(f"{name} of {_shape_text(P)} must hold class probabilities.")
        check_probabilities(P.astype(np.float64), name)
        return P.argmax(axis=1), False
    if P.ndim != 1:
        raise ValueError(
            f"{name} must be labels (n,), probabilities (n,) or class probabilities (n, k); "
            f"got {_shape_text(P)}."
        )
    if P.dtype.kind == "f":
        check_probabilities(P, name)
        return (P > check_threshold(threshold)).astype(np.int64), True
    if P.dtype.kind == "b":
        return P.astype(np.int64), False
    return P, False


def label_pair(y_true, y_pred, threshold: float = 0.5):
    """Checked (true labels, predicted labels), both of shape (n,)."""
    t = true_labels(y_true)
    p, from_probs = predicted_labels(y_pred, threshold)
    check_same_length(t, p)
    if (t.dtype.kind in "USO") != (p.dtype.kind in "USO"):
        raise ValueError(
            f"y_true and y_pred mix label types: {t.dtype} and {p.dtype}; use one kind of label."
        )
    if from_probs and not np.all((t == 0) | (t == 1)):
        raise ValueError(
            "y_pred holds probabilities of class 1 (a float array of shape (n,)), so y_true "
            f"must hold the binary labels 0 and 1; got labels {np.unique(t)[:5].tolist()}. "
            "For several classes pass class probabilities of shape (n, k) or integer labels."
        )
    return t, p


def binary_scores(y_true, scores):
    """Checked (0/1 labels, float scores) for curves: scores (n,), (n, 1) or (n, 2)."""
    t = true_labels(y_true)
    s = np.asarray(scores, dtype=np.float64)
    if s.ndim == 2 and s.shape[1] in (1, 2):
        s = s[:, -1]
    if s.ndim != 1:
        raise ValueError(
            f"scores must be one score per sample, shape (n,), for a binary problem; got "
            f"{_shape_text(s)}."
        )
    check_same_length(t, s, ("y_true", "scores"))
    if not np.all(np.isfinite(s)):
        raise ValueError("scores contain NaN or infinity.")
    if not np.all((t == 0) | (t == 1)):
        raise ValueError(
            f"y_true must hold the binary labels 0 and 1 here; got {np.unique(t)[:5].tolist()}."
        )
    return t.astype(np.int64), s
