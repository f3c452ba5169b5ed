"""Classifier metrics from the four counts TP, TN, FP and FN, as pure functions.

A binary classifier outputs y_hat in [0, 1]; a threshold y_t makes the decision
(y_hat > y_t -> class 1, otherwise class 0). Given the threshold, with class 1 the
class we want to identify:

* true positives (TP): class-1 events above the threshold (correctly identified);
* true negatives (TN): class-0 events below the threshold (correctly rejected);
* false positives (FP): class-0 events above the threshold (incorrectly identified);
* false negatives (FN): class-1 events below the threshold (incorrectly rejected).

Every metric is a ratio of these counts. For several classes each class is taken in
turn as "class 1" against all the others (one-vs-rest), and `average` combines them as
scikit-learn does: ``'binary'`` (only `pos_label`; the problem must have at most two
labels), ``'micro'`` (ratio of the counts summed over classes), ``'macro'`` (plain mean
of the per-class values), ``'weighted'`` (mean weighted by each class's support, its
number of true samples) or ``None`` (the per-class values, in the order of `labels`,
by default the sorted labels seen in y_true and y_pred).

Inputs are labels, one-hot rows or probabilities; see `nnlab.metrics._inputs` for the
rules. A ratio whose denominator is 0 (for example precision with no predicted
positives) is `zero_division` (0.0 by default, as scikit-learn's default gives).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nnlab.metrics._inputs import check_average, label_pair


class Counts(NamedTuple):
    """TP, TN, FP, FN: ints for one class, arrays (one entry per class) for average=None."""

    tp: int | np.ndarray
    tn: int | np.ndarray
    fp: int | np.ndarray
    fn: int | np.ndarray


def _class_labels(t, p, average, labels, pos_label):
    if average == "binary":
        present = np.union1d(t, p)
        if len(present) > 2:
            raise ValueError(
                f"average='binary' needs a binary problem, but the labels are "
                f"{present.tolist()}. Choose average='macro', 'micro', 'weighted' or None."
            )
        if len(present) == 2 and pos_label not in present:
            raise ValueError(
                f"pos_label={pos_label!r} is not one of the labels {present.tolist()}."
            )
        return np.array([pos_label])
    return np.union1d(t, p) if labels is None else np.asarray(labels)


def _per_class_counts(y_true, y_pred, threshold, average, labels, pos_label):
    """Per-class one-vs-rest counts (arrays), and the support of each class."""
    check_average(average)
    t, p = label_pair(y_true, y_pred, threshold)
    L = _class_labels(t, p, average, labels, pos_label)
    T = t[:, None] == L[None, :]
    P = p[:, None] == L[None, :]
    tp = np.sum(T & P, axis=0)
    fp = np.sum(~T & P, axis=0)
    fn = np.sum(T & ~P, axis=0)
    tn = len(t) - tp - fp - fn
    return Counts(tp, tn, fp, fn)


def _ratio(num, den, zero_division):
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    out = np.full(num.shape, float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out


def _rate(num_den, y_true, y_pred, threshold, average, labels, pos_label, zero_division):
    """A ratio of counts per class, then combined according to `average`."""
    c = _per_class_counts(y_true, y_pred, threshold, average, labels, pos_label)
    num, den = num_den(c)
    if average == "micro":
        return float(_ratio(num.sum(), den.sum(), zero_division))
    values = _ratio(num, den, zero_division)
    if average == "binary":
        return float(values[0])
    if average is None:
        return values
    weights = (c.tp + c.fn) if average == "weighted" else np.ones(len(values))
    keep = ~np.isnan(values)  # zero_division=np.nan: undefined classes are left out
    if not keep.any() or weights[keep].sum() == 0:
        return float(zero_division)
    return float(np.average(values[keep], weights=weights[keep]))


def counts(y_true, y_pred, *, threshold=0.5, average="binary", labels=None, pos_label=1):
    """The counts TP, TN, FP and FN of the positive class, or of every class.

    Args:
        y_true: labels (n,) or one-hot rows (n, k).
        y_pred: labels, probabilities of class 1 (n,) or class probabilities (n, k).
        threshold: y_hat > threshold -> class 1 when y_pred holds probabilities (n,).
        average: ``'binary'`` (the counts of `pos_label`), ``'micro'`` (summed over
            the classes) or ``None`` (arrays, one entry per class, one-vs-rest).
        labels: the classes for ``None``/``'micro'`` (default: all labels seen).
        pos_label: the class to identify ("class 1") for ``'binary'``.

    Returns:
        Counts(tp, tn, fp, fn).

    Example:
        >>> counts([1, 1, 0, 0, 1], [0.9, 0.4, 0.7, 0.1, 0.8])
        Counts(tp=2, tn=1, fp=1, fn=1)
    """
    if average in ("macro", "weighted"):
        raise ValueError(
            f"counts are summed, not averaged: use average='binary', 'micro' or None; "
            f"got {average!r}."
        )
    c = _per_class_counts(y_true, y_pred, threshold, average, labels, pos_label)
    if average is None:
        return c
    return Counts(*(int(np.sum(v)) for v in c))


def true_positives(y_true, y_pred, **kwargs):
    """TP: class-1 events above the threshold (keyword arguments as for `counts`)."""
    return counts(y_true, y_pred, **kwargs).tp


def true_negatives(y_true, y_pred, **kwargs):
    """TN: class-0 events below the threshold (keyword arguments as for `counts`)."""
    return counts(y_true, y_pred, **kwargs).tn


def false_positives(y_true, y_pred, **kwargs):
    """FP: class-0 events above the threshold (keyword arguments as for `counts`)."""
    return counts(y_true, y_pred, **kwargs).fp


def false_negatives(y_true, y_pred, **kwargs):
    """FN: class-1 events below the threshold (keyword arguments as for `counts`)."""
    return counts(y_true, y_pred, **kwargs).fn


def accuracy(y_true, y_pred, *, threshold=0.5):
    """Accuracy = (TP + TN) / Total, the fraction of events correctly classified.

    For several classes: the fraction of samples whose predicted label is the true one.

    Example:
        >>> accuracy([1, 1, 0, 0], [0.9, 0.4, 0.2, 0.1])
        0.75
    """
    t, p = label_pair(y_true, y_pred, threshold)
    return float(np.mean(t == p))


def zero_one_loss(y_true, y_pred, *, threshold=0.5, normalize=True):
    """Zero-one loss: the mean of 1[y_hat != y] (the number of mistakes if not normalize).

    It equals `error_rate` = 1 - accuracy when normalized.
    """
    t, p = label_pair(y_true, y_pred, threshold)
    wrong = t != p
    return float(np.mean(wrong)) if normalize else int(np.sum(wrong))


def error_rate(y_true, y_pred, *, threshold=0.5):
    """Error rate = 1 - accuracy = (FP + FN) / Total, the fraction misclassified."""
    return zero_one_loss(y_true, y_pred, threshold=threshold)


def recall(
    y_true, y_pred, *, threshold=0.5, average="binary", labels=None, pos_label=1, zero_division=0.0
):
    """Completeness = TP / (TP + FN), the fraction of true positives found.

    The same function is called recall, sensitivity (TP / total positive; "signal
    efficiency" in HEP), true positive rate (`tpr`) and `completeness`.

    Args:
        y_true: labels (n,) or one-hot rows (n, k).
        y_pred: labels, probabilities of class 1 (n,) or class probabilities (n, k).
        threshold: y_hat > threshold -> class 1 when y_pred holds probabilities (n,).
        average: 'binary', 'micro', 'macro', 'weighted' or None (see the module doc).
        labels: the classes to report or average over (default: all labels seen; not
            used with average='binary').
        pos_label: the class to identify when average='binary'.
        zero_division: the value when TP + FN = 0 (no true positives exist).

    Returns:
        A float, or an array with one value per class when average is None.

    Example:
        >>> completeness([1, 1, 1, 0], [1, 1, 0, 0])
        0.6666666666666666
    """
    return _rate(
        lambda c: (c.tp, c.tp + c.fn),
        y_true,
        y_pred,
        threshold,
        average,
        labels,
        pos_label,
        zero_division,
    )


def specificity(
    y_true, y_pred, *, threshold=0.5, average="binary", labels=None, pos_label=1, zero_division=0.0
):
    """Specificity = TN / (TN + FP) = TN / (total negative), the true negative rate.

    The fraction of class-0 events correctly rejected; `tnr` is the same function and
    1 - specificity is the false positive rate (`fpr`). One slide calls specificity the
    "mistag rate" of HEP; the mistag rate (background accepted) is strictly 1 -
    specificity, the `fpr`. Arguments as for `recall`.
    """
    return _rate(
        lambda c: (c.tn, c.tn + c.fp),
        y_true,
        y_pred,
        threshold,
        average,
        labels,
        pos_label,
        zero_division,
    )


def fpr(
    y_true, y_pred, *, threshold=0.5, average="binary", labels=None, pos_label=1, zero_division=0.0
):
    """False positive rate = FP / (TN + FP), the fraction of class-0 events let through.

    It is 1 - specificity. Arguments as for `recall`.

    Example:
        >>> fpr([0, 0, 0, 0, 1], [1, 0, 0, 0, 1])
        0.25
    """
    return _rate(
        lambda c: (c.fp, c.tn + c.fp),
        y_true,
        y_pred,
        threshold,
        average,
        labels,
        pos_label,
        zero_division,
    )


def precision(
    y_true, y_pred, *, threshold=0.5, average="binary", labels=None, pos_label=1, zero_division=0.0
):
    """Efficiency = TP / (TP + FP) = 1 - contamination, the fraction of selected events
    that are true positives.

    The same function is called precision, `efficiency` and `purity`. Arguments as for
    `recall`; zero_division is the value when TP + FP = 0 (nothing predicted positive).
    """
    return _rate(
        lambda c: (c.tp, c.tp + c.fp),
        y_true,
        y_pred,
        threshold,
        average,
        labels,
        pos_label,
        zero_division,
    )


def contamination(
    y_true, y_pred, *, threshold=0.5, average="binary", labels=None, pos_label=1, zero_division=0.0
):
    """Contamination = FP / (TP + FP) = 1 - efficiency, the false discovery rate.

    The fraction of selected events that are not class 1; `fdr` is the same function.
    It is computed as 1 - precision, also where precision takes `zero_division`.

    Example (the lectures' quasars: TP = 900, FP = 1000):
        >>> y_true = np.r_[np.ones(1000, int), np.zeros(100_000, int)]
        >>> y_pred = np.r_[np.ones(900, int), np.zeros(100, int),
        ...                np.ones(1000, int), np.zeros(99_000, int)]
        >>> round(contamination(y_true, y_pred), 2), completeness(y_true, y_pred)
        (0.53, 0.9)
    """
    p = precision(
        y_true,
        y_pred,
        threshold=threshold,
        average=average,
        labels=labels,
        pos_label=pos_label,
        zero_division=zero_division,
    )
    return 1.0 - p


def f1(
    y_true, y_pred, *, threshold=0.5, average="binary", labels=None, pos_label=1, zero_division=0.0
):
    """F1 = 2 TP / (2 TP + FP + FN), the harmonic mean of efficiency and completeness.

    Per class F1 = 2 P R / (P + R); 'macro' averages the per-class F1 (as scikit-learn
    does, not the F1 of averaged P and R). `f1_score` is the same function. Arguments as
    for `recall`; zero_division is the value when TP = FP = FN = 0.
    """
    return _rate(
        lambda c: (2 * c.tp, 2 * c.tp + c.fp + c.fn),
        y_true,
        y_pred,
        threshold,
        average,
        labels,
        pos_label,
        zero_division,
    )


sensitivity = tpr = completeness = recall
tnr = specificity
efficiency = purity = precision
fdr = contamination
f1_score = f1
