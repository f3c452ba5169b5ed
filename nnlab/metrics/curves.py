"""ROC and completeness-efficiency curves, and the areas under them.

Moving the decision threshold trades completeness for contamination. The Receiver
Operating Characteristic (ROC) curve plots the true positive rate against the false
positive rate at every threshold. ROC curves are sensitive to the relative sample sizes:
when background events far outnumber source events, a small false positive rate can
still swamp the signal, so one plots completeness versus efficiency instead (recall
versus precision). The desired completeness and efficiency are chosen by selecting a
decision boundary (the threshold); `nnlab.metrics.thresholds.choose_threshold` does
that by a stated rule.

Scores are any real numbers where larger means "more like class 1" (probabilities,
logits, ...). y_true holds the labels 0 and 1 (one-hot rows also work). The points of a
curve follow scikit-learn: the point at threshold t counts scores >= t as positive, and
the functions return the same arrays as scikit-learn's. (The label rule of the other
metrics is score > threshold; `choose_threshold` returns thresholds that lie between
scores, where the two rules agree.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.metrics._inputs import binary_scores, check_average, check_same_length, true_labels


class RocCurve(NamedTuple):
    """False positive rate, true positive rate, thresholds (decreasing; first is inf)."""

    fpr: np.ndarray
    tpr: np.ndarray
    thresholds: np.ndarray


class PrecisionRecallCurve(NamedTuple):
    """Precision (efficiency), recall (completeness), thresholds (increasing).

    precision and recall have one more entry than thresholds: the final point
    (precision 1, recall 0) has no threshold, as in scikit-learn.
    """

    precision: np.ndarray
    recall: np.ndarray
    thresholds: np.ndarray


class CompletenessEfficiencyCurve(NamedTuple):
    """Completeness (recall), efficiency (precision), thresholds (increasing)."""

    completeness: np.ndarray
    efficiency: np.ndarray
    thresholds: np.ndarray


def counts_at_thresholds(t, s):
    """Cumulative FP and TP counts selecting scores >= each distinct score (decreasing).

    Args:
        t: true labels 0/1, shape (n,).
        s: scores, shape (n,); ties count as one threshold.

    Returns:
        (fps, tps, thresholds): float64 counts at each distinct score, highest first.

    Example:
        >>> fps, tps, thr = counts_at_thresholds(np.array([0, 1, 1]), np.array([.2, .9, .2]))
        >>> fps.tolist(), tps.tolist(), thr.tolist()
        ([0.0, 1.0], [1.0, 2.0], [0.9, 0.2])
    """
    order = np.argsort(s, kind="mergesort")[::-1]
    s, t = s[order], t[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # last sample of each tied score
    tps = np.cumsum(t)[last].astype(np.float64)
    fps = (last + 1) - tps
    return fps, tps, s[last]


def require_both_classes(tps, fps, what):
    """Raise a ValueError naming `what` unless the counts of `counts_at_thresholds`
    include a positive and a negative sample (a curve needs both classes)."""
    if tps[-1] == 0 or fps[-1] == 0:
        missing = "positive (1)" if tps[-1] == 0 else "negative (0)"
        raise ValueError(f"{what} needs both classes in y_true; there is no {missing} sample.")


def roc_curve(y_true, scores, *, drop_intermediate=True) -> RocCurve:
    """The ROC curve: true positive rate against false positive rate at every threshold.

    tpr = TP / (TP + FN) (completeness) and fpr = FP / (TN + FP), counting scores >= t
    as positive for each threshold t. The first point is (0, 0) at threshold inf.

    Args:
        y_true: labels 0/1 (n,) or one-hot rows (n, 2).
        scores: the score of class 1 per sample (n,) (a column (n, 1), or the last
            column of (n, 2) probabilities).
        drop_intermediate: drop points collinear with their neighbours (they do not
            change the curve or its area), as scikit-learn does.

    Returns:
        RocCurve(fpr, tpr, thresholds), thresholds decreasing.

    Example:
        >>> fpr, tpr, thr = roc_curve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        >>> fpr.tolist(), tpr.tolist(), thr.tolist()
        ([0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [inf, 0.8, 0.4, 0.35, 0.1])
    """
    t, s = binary_scores(y_true, scores)
    fps, tps, thr = counts_at_thresholds(t, s)
    require_both_classes(tps, fps, "roc_curve")
    if drop_intermediate and len(fps) > 2:
        keep = np.r_[True, np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), True]
        fps, tps, thr = fps[keep], tps[keep], thr[keep]
    fps, tps, thr = np.r_[0.0, fps], np.r_[0.0, tps], np.r_[np.inf, thr]
    return RocCurve(fps / fps[-1], tps / tps[-1], thr)


def auc(x, y) -> float:
    """Area under a curve through the points (x, y), by the trapezoidal rule.

    x must be monotonic (increasing or decreasing).
    """
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    check_same_length(x, y, ("x", "y"))
    dx = np.diff(x)
    if np.any(dx < 0) and np.any(dx > 0):
        raise ValueError("auc needs x sorted (increasing or decreasing); got mixed steps.")
    area = float(np.sum(dx * (y[1:] + y[:-1]) / 2.0))
    return -area if np.any(dx < 0) else area


def precision_recall_curve(y_true, scores) -> PrecisionRecallCurve:
    """Efficiency (precision) and completeness (recall) at every threshold.

    precision = TP / (TP + FP), recall = TP / (TP + FN), counting scores >= t as
    positive. Arguments as for `roc_curve`; y_true needs at least one positive.

    Returns:
        PrecisionRecallCurve(precision, recall, thresholds), thresholds increasing and
        recall decreasing; the last point is (precision 1, recall 0), without threshold.
    """
    t, s = binary_scores(y_true, scores)
    fps, tps, thr = counts_at_thresholds(t, s)
    if tps[-1] == 0:
        raise ValueError("precision_recall_curve needs a positive (1) sample in y_true.")
    precision = tps / (tps + fps)  # tps + fps >= 1 at every threshold
    recall = tps / tps[-1]
    return PrecisionRecallCurve(np.r_[precision[::-1], 1.0], np.r_[recall[::-1], 0.0], thr[::-1])


def completeness_efficiency_curve(y_true, scores) -> CompletenessEfficiencyCurve:
    """Completeness versus efficiency: `precision_recall_curve` in the lectures' words.

    Returns:
        CompletenessEfficiencyCurve(completeness, efficiency, thresholds), the recall
        and precision arrays of `precision_recall_curve`, in this order.
    """
    p, r, thr = precision_recall_curve(y_true, scores)
    return CompletenessEfficiencyCurve(r, p, thr)


def _binary_average_precision(t, s):
    p, r, _ = precision_recall_curve(t, s)
    return max(0.0, float(-np.sum(np.diff(r) * p[:-1])))


def _binary_roc_auc(t, s):
    fpr, tpr, _ = roc_curve(t, s, drop_intermediate=False)
    return auc(fpr, tpr)


def _one_vs_rest(score_fn, y_true, scores, average):
    """score_fn on each class against the rest (k >= 3 columns), then averaged."""
    check_average(average, ("macro", "weighted", None))
    S = np.asarray(scores, np.float64)
    t = true_labels(y_true)
    check_same_length(t, S, ("y_true", "scores"))
    k = S.shape[1]
    if t.dtype.kind not in "iu" or t.min() < 0 or t.max() >= k:
        raise ValueError(
            f"With class scores of shape {S.shape}, y_true must hold the labels 0..{k - 1} "
            f"or one-hot rows (n, {k}); got labels {np.unique(t)[:6].tolist()}."
        )
    support = np.bincount(t, minlength=k)
    if np.any(support == 0):
        raise ValueError(
            f"Class(es) {np.flatnonzero(support == 0).tolist()} have no sample in y_true; "
            "their one-vs-rest score is undefined."
        )
    values = np.array([score_fn((t == c).astype(np.int64), S[:, c]) for c in range(k)])
    if average is None:
        return values
    return float(np.average(values, weights=support if average == "weighted" else None))


def _is_multiclass(scores):
    S = np.asarray(scores)
    return S.ndim == 2 and S.shape[1] > 2


def roc_auc(y_true, scores, *, average="macro") -> float:
    """Area under the ROC curve: 1 is a perfect ranking, 0.5 a random guess.

    Binary: scores of class 1 (n,). Several classes: class scores (n, k) and the area of
    each class against the rest (one-vs-rest), combined by `average` ('macro': plain
    mean, 'weighted': by class support, None: one value per class).

    Example:
        >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
        0.75
    """
    check_average(average, ("macro", "weighted", None))
    if _is_multiclass(scores):
        return _one_vs_rest(_binary_roc_auc, y_true, scores, average)
    return _binary_roc_auc(*binary_scores(y_true, scores))


def average_precision(y_true, scores, *, average="macro") -> float:
    """Average precision: sum over thresholds of (R_n - R_(n-1)) P_n.

    The area under the completeness-efficiency curve as a step function (no
    interpolation), as scikit-learn's average_precision_score. Several classes: as
    `roc_auc`.
    """
    check_average(average, ("macro", "weighted", None))
    if _is_multiclass(scores):
        return _one_vs_rest(_binary_average_precision, y_true, scores, average)
    return _binary_average_precision(*binary_scores(y_true, scores))
