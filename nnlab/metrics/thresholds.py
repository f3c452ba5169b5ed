"""Choosing the decision threshold: Youden's J, best F1, or a target completeness.

The desired completeness and efficiency are chosen by selecting a decision boundary;
the ROC and completeness-efficiency curves show the possible choices. These rules pick
one, and report the counts and metrics there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nnlab.metrics._inputs import binary_scores
from nnlab.metrics.curves import counts_at_thresholds, require_both_classes


@dataclass(frozen=True)
class ThresholdChoice:
    """A threshold and the metrics at it (class 1 iff score > threshold)."""

    threshold: float
    method: str
    tp: int
    tn: int
    fp: int
    fn: int
    completeness: float
    fpr: float
    efficiency: float
    f1: float
    youden_j: float
    accuracy: float

    @property
    def tpr(self) -> float:
        """True positive rate = completeness = recall = sensitivity."""
        return self.completeness

    recall = sensitivity = tpr

    @property
    def precision(self) -> float:
        """Precision = efficiency = purity."""
        return self.efficiency

    purity = precision

    @property
    def contamination(self) -> float:
        """Contamination = 1 - efficiency, the false discovery rate."""
        return 1.0 - self.efficiency

    @property
    def specificity(self) -> float:
        """Specificity = 1 - fpr, the true negative rate."""
        return 1.0 - self.fpr


_METHODS = ("youden", "f1", "completeness")


def choose_threshold(y_true, scores, method="youden", target=None) -> ThresholdChoice:
    """Choose the decision threshold by a rule, and report the metrics there.

    The candidates are the cuts between consecutive distinct scores: each selects the
    samples scoring at least some score s. The returned threshold lies halfway between s
    and the next lower score (just below the lowest score when every sample is
    selected), so ``score > threshold`` and ``score >= threshold`` select the same
    samples, and the metric functions given ``threshold=`` reproduce the reported values.

    Methods:
        'youden': maximise Youden's J = TPR - FPR (the ROC point farthest above the
            diagonal).
        'f1': maximise F1 = 2 TP / (2 TP + FP + FN).
        'completeness': the highest threshold whose completeness reaches `target`.
    Ties go to the highest threshold.

    Args:
        y_true: labels 0/1 (n,) or one-hot rows (n, 2); both classes must occur.
        scores: the score of class 1 per sample (n,).
        method: 'youden', 'f1' or 'completeness'.
        target: the completeness wanted, in (0, 1]; only for method='completeness'.

    Returns:
        ThresholdChoice(threshold, method, tp, tn, fp, fn, completeness, fpr,
        efficiency, f1, youden_j, accuracy), also readable as .tpr, .precision, ...

    Example:
        >>> y, s = [0, 0, 1, 0, 1, 1], [0.1, 0.2, 0.3, 0.6, 0.7, 0.9]
        >>> c = choose_threshold(y, s, "youden")  # J = 2/3 - 0, ties go to the higher cut
        >>> round(c.threshold, 2), round(c.completeness, 3), c.fpr
        (0.65, 0.667, 0.0)
        >>> c = choose_threshold(y, s, "f1")
        >>> c.threshold, c.completeness, round(c.f1, 3)
        (0.25, 1.0, 0.857)
    """
    if method not in _METHODS:
        raise ValueError(f"Unknown method {method!r}. Expected one of {list(_METHODS)}.")
    if method == "completeness":
        if target is None or not 0.0 < float(target) <= 1.0:
            raise ValueError(
                f"method='completeness' needs a target completeness in (0, 1]; got {target!r}."
            )
    elif target is not None:
        raise ValueError(f"target is only used with method='completeness'; got method={method!r}.")
    t, s = binary_scores(y_true, scores)
    fps, tps, cut = counts_at_thresholds(t, s)
    require_both_classes(tps, fps, "choose_threshold")
    P, N = tps[-1], fps[-1]
    tpr, fpr = tps / P, fps / N
    f1 = 2 * tps / (2 * tps + fps + (P - tps))
    if method == "youden":  # J = (TP N - FP P) / (P N): compare exact integers, no float ties
        j = tps * N - fps * P
        i = int(np.argmax(j == j.max()))
    elif method == "f1":
        i = int(np.argmax(f1 >= f1.max() - 1e-12))
    else:
        i = int(np.argmax(tpr >= float(target) - 1e-12))
    if i + 1 < len(cut):
        below = (cut[i] + cut[i + 1]) / 2.0
        below = below if below < cut[i] else cut[i + 1]  # adjacent floats: keep > exact
    else:
        below = np.nextafter(cut[i], -np.inf)
    tp, fp = int(tps[i]), int(fps[i])
    return ThresholdChoice(
        threshold=float(below),
        method=method,
        tp=tp,
        tn=int(N) - fp,
        fp=fp,
        fn=int(P) - tp,
        completeness=float(tpr[i]),
        fpr=float(fpr[i]),
        efficiency=tp / (tp + fp),
        f1=float(f1[i]),
        youden_j=float(tpr[i] - fpr[i]),
        accuracy=float((tp + N - fp) / len(t)),
    )
