"""Evaluation metrics: equal to scikit-learn's, hand-computed where it has none.

Specificity = TN / (TN + FP), fpr = FP / (TN + FP) and contamination = FP / (TP + FP)
are counted here directly from boolean masks. The confusion-matrix test reproduces the
lectures' table (seed 000): counts 856 58 130 / 0 765 136 / 69 33 907, predicted label
down the side, with each cell's percentage of all 2954 examples and the totals.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from nnlab import metrics as M

SEEDS = [0, 1, 2, 3, 4]
AVERAGES = ["micro", "macro", "weighted", None]


def binary_case(seed, n=120):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.35 * y + rng.uniform(0, 0.65, n), 0, 1)  # informative probabilities
    return y, p


def multi_case(seed, k=4, n=150):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k)) + 1.2 * np.eye(k)[y]
    P = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    return y, P


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, np.float64), np.asarray(b, np.float64),
                               rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------------------
# The package keeps the compile metrics
# --------------------------------------------------------------------------------------


def test_compile_metrics_still_exported():
    from nnlab.metrics import keras_metrics

    for name in ("Metric", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
                 "MeanSquaredError", "MeanAbsoluteError", "METRICS", "get", "accuracy_for",
                 "ACCURACY_NAMES"):
        assert getattr(M, name) is getattr(keras_metrics, name)
    assert isinstance(M.get("accuracy", (4, 1), (4, 1)), M.BinaryAccuracy)
    assert M.get("mse").name == "mse"
    assert set(M.__all__) <= set(dir(M))


def test_aliases_are_the_same_function():
    assert M.recall is M.sensitivity is M.tpr is M.completeness
    assert M.precision is M.efficiency is M.purity
    assert M.contamination is M.fdr
    assert M.specificity is M.tnr
    assert M.f1 is M.f1_score
    assert M.rmse is M.root_mean_squared_error


# --------------------------------------------------------------------------------------
# Binary: counts and rates
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("threshold", [0.5, 0.3, 0.7])
def test_binary_metrics_equal_sklearn(seed, threshold):
    y, p = binary_case(seed)
    yhat = (p > threshold).astype(int)  # the documented rule: y_hat > threshold -> 1
    kw = {"threshold": threshold}
    tn, fp, fn, tp = skm.confusion_matrix(y, yhat, labels=[0, 1]).ravel()
    assert M.counts(y, p, **kw) == (tp, tn, fp, fn)
    assert (M.true_positives(y, p, **kw), M.true_negatives(y, p, **kw),
            M.false_positives(y, p, **kw), M.false_negatives(y, p, **kw)) == (tp, tn, fp, fn)
    close(M.accuracy(y, p, **kw), skm.accuracy_score(y, yhat))
    close(M.error_rate(y, p, **kw), 1 - skm.accuracy_score(y, yhat))
    close(M.zero_one_loss(y, p, **kw), skm.zero_one_loss(y, yhat))
    assert M.zero_one_loss(y, p, normalize=False, **kw) == skm.zero_one_loss(
        y, yhat, normalize=False)
    for fn_ in (M.recall, M.sensitivity, M.tpr, M.completeness):
        close(fn_(y, p, **kw), skm.recall_score(y, yhat))
    for fn_ in (M.precision, M.efficiency, M.purity):
        close(fn_(y, p, **kw), skm.precision_score(y, yhat))
    close(M.f1(y, p, **kw), skm.f1_score(y, yhat))
    # no scikit-learn function: counted from the masks
    pos, sel = y == 1, yhat == 1
    close(M.specificity(y, p, **kw), np.sum(~pos & ~sel) / np.sum(~pos))
    close(M.tnr(y, p, **kw), np.sum(~pos & ~sel) / np.sum(~pos))
    close(M.fpr(y, p, **kw), np.sum(~pos & sel) / np.sum(~pos))
    close(M.contamination(y, p, **kw), np.sum(~pos & sel) / np.sum(sel))
    close(M.fdr(y, p, **kw), 1 - skm.precision_score(y, yhat))


@pytest.mark.parametrize("seed", SEEDS[:3])
def test_binary_input_forms_agree(seed):
    y, p = binary_case(seed)
    labels = (p > 0.5).astype(int)
    forms_true = [y, y[:, None], np.eye(2)[y], y.astype(float), y.astype(bool)]
    forms_pred = [p, p[:, None], labels, labels.astype(bool), np.c_[1 - p, p]]
    expected = skm.f1_score(y, labels)
    for yt in forms_true:
        for yp in forms_pred:
            close(M.f1(yt, yp), expected)
            assert M.counts(yt, yp) == M.counts(y, labels)


def test_threshold_rule_is_strictly_greater():
    y = np.array([1, 0, 1])
    p = np.array([0.5, 0.5, 0.9])
    assert M.counts(y, p) == M.Counts(tp=1, tn=1, fp=0, fn=1)  # 0.5 is not > 0.5
    assert M.counts(y, p, threshold=0.4) == M.Counts(tp=2, tn=0, fp=1, fn=0)


def test_lectures_quasar_example():
    # 100,000 stars and 1000 quasars; 900 quasars found and 1000 stars mistaken for quasars
    y = np.r_[np.ones(1000, int), np.zeros(100_000, int)]
    yhat = np.r_[np.ones(900, int), np.zeros(100, int), np.ones(1000, int),
                 np.zeros(99_000, int)]
    assert M.counts(y, yhat) == (900, 99_000, 1000, 100)
    close(M.completeness(y, yhat), 0.9)
    close(M.fpr(y, yhat), 0.01)
    close(M.contamination(y, yhat), 1000 / 1900)
    close(M.efficiency(y, yhat), 900 / 1900)


def test_binary_pos_label_and_zero_division():
    y = np.array([0, 0, 1, 1])
    yhat = np.array([0, 1, 1, 1])
    close(M.recall(y, yhat, pos_label=0), skm.recall_score(y, yhat, pos_label=0))
    none = np.zeros(4, int)  # nothing predicted positive: precision is 0/0
    assert M.precision(y, none) == 0.0
    assert M.precision(y, none, zero_division=1.0) == 1.0
    assert np.isnan(M.precision(y, none, zero_division=np.nan))
    assert M.contamination(y, none) == 1.0  # 1 - precision


# --------------------------------------------------------------------------------------
# Multi-class: one-vs-rest and averages
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("average", AVERAGES)
def test_multiclass_metrics_equal_sklearn(seed, average):
    y, P = multi_case(seed)
    yhat = P.argmax(axis=1)
    kw = {"average": average, "zero_division": 0.0}
    for yt in (y, np.eye(4)[y]):  # labels or one-hot rows
        for yp in (P, yhat):  # class probabilities or labels
            close(M.recall(yt, yp, **kw), skm.recall_score(y, yhat, **kw))
            close(M.completeness(yt, yp, **kw), skm.recall_score(y, yhat, **kw))
            close(M.precision(yt, yp, **kw), skm.precision_score(y, yhat, **kw))
            close(M.purity(yt, yp, **kw), skm.precision_score(y, yhat, **kw))
            close(M.f1(yt, yp, **kw), skm.f1_score(y, yhat, **kw))
            close(M.contamination(yt, yp, **kw), 1 - np.asarray(skm.precision_score(
                y, yhat, **kw)))
    close(M.accuracy(y, P), skm.accuracy_score(y, yhat))
    close(M.zero_one_loss(y, P), skm.zero_one_loss(y, yhat))


@pytest.mark.parametrize("seed", SEEDS)
def test_multiclass_counts_specificity_fpr(seed):
    y, P = multi_case(seed)
    yhat = P.argmax(axis=1)
    c = M.counts(y, P, average=None)
    mcm = skm.multilabel_confusion_matrix(y, yhat)  # per class [[tn, fp], [fn, tp]]
    np.testing.assert_array_equal(c.tn, mcm[:, 0, 0])
    np.testing.assert_array_equal(c.fp, mcm[:, 0, 1])
    np.testing.assert_array_equal(c.fn, mcm[:, 1, 0])
    np.testing.assert_array_equal(c.tp, mcm[:, 1, 1])
    assert M.counts(y, P, average="micro") == tuple(int(v.sum()) for v in c)
    pos = y[:, None] == np.arange(4)
    sel = yhat[:, None] == np.arange(4)
    spec = np.sum(~pos & ~sel, 0) / np.sum(~pos, 0)
    rate = np.sum(~pos & sel, 0) / np.sum(~pos, 0)
    support = pos.sum(0)
    close(M.specificity(y, P, average=None), spec)
    close(M.tnr(y, P, average="macro"), spec.mean())
    close(M.specificity(y, P, average="weighted"), np.average(spec, weights=support))
    close(M.specificity(y, P, average="micro"), np.sum(~pos & ~sel) / np.sum(~pos))
    close(M.fpr(y, P, average=None), rate)
    close(M.fpr(y, P, average="macro"), rate.mean())
    close(M.fpr(y, P, average="micro"), np.sum(~pos & sel) / np.sum(~pos))


@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("zero_division", [0.0, 1.0, np.nan])
def test_multiclass_never_predicted_class_and_labels(average, zero_division):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 4, 80)
    yhat = rng.choice([0, 1, 3], 80)  # class 2 is never predicted: its precision is 0/0
    kw = {"average": average, "zero_division": zero_division}
    for ours, ref in ((M.precision, skm.precision_score), (M.recall, skm.recall_score),
                      (M.f1, skm.f1_score)):
        close(ours(y, yhat, **kw), ref(y, yhat, **kw))
        close(ours(y, yhat, labels=[3, 1], **kw), ref(y, yhat, labels=[3, 1], **kw))


def test_string_labels():
    y = np.array(["cat", "dog", "fish", "dog", "cat", "fish", "dog"])
    yhat = np.array(["cat", "dog", "dog", "dog", "fish", "fish", "cat"])
    for avg in AVERAGES:
        close(M.f1(y, yhat, average=avg), skm.f1_score(y, yhat, average=avg))
    cm = M.confusion_matrix(y, yhat)
    assert cm.labels == ("cat", "dog", "fish")
    np.testing.assert_array_equal(cm.counts, skm.confusion_matrix(y, yhat))


# --------------------------------------------------------------------------------------
# Curves and threshold choice
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("ties", [False, True])
def test_curves_equal_sklearn(seed, ties):
    y, p = binary_case(seed)
    s = np.round(p, 1) if ties else p  # rounded scores have many tied values
    for drop in (True, False):
        ours = M.roc_curve(y, s, drop_intermediate=drop)
        ref = skm.roc_curve(y, s, drop_intermediate=drop)
        for a, b in zip(ours, ref):
            np.testing.assert_allclose(a, b, rtol=1e-12)
    close(M.roc_auc(y, s), skm.roc_auc_score(y, s))
    close(M.auc(*M.roc_curve(y, s)[:2]), skm.auc(*skm.roc_curve(y, s)[:2]))
    pr, ref = M.precision_recall_curve(y, s), skm.precision_recall_curve(y, s)
    for a, b in zip(pr, ref):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    ce = M.completeness_efficiency_curve(y, s)
    np.testing.assert_array_equal(ce.completeness, pr.recall)
    np.testing.assert_array_equal(ce.efficiency, pr.precision)
    np.testing.assert_array_equal(ce.thresholds, pr.thresholds)
    close(M.average_precision(y, s), skm.average_precision_score(y, s))
    close(M.roc_auc(np.eye(2)[y], np.c_[1 - s, s]), skm.roc_auc_score(y, s))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("average", ["macro", "weighted", None])
def test_multiclass_auc_one_vs_rest_equal_sklearn(seed, average):
    y, P = multi_case(seed)
    close(M.roc_auc(y, P, average=average),
          skm.roc_auc_score(y, P, multi_class="ovr", average=average))
    close(M.roc_auc(np.eye(4)[y], P, average=average),
          skm.roc_auc_score(y, P, multi_class="ovr", average=average))
    close(M.average_precision(y, P, average=average),
          skm.average_precision_score(y, P, average=average))


def test_auc_decreasing_x_and_errors():
    close(M.auc([1, 0.5, 0], [1, 1, 0]), skm.auc([1, 0.5, 0], [1, 1, 0]))
    with pytest.raises(ValueError, match="sorted"):
        M.auc([0, 1, 0.5], [0, 1, 1])


# Hand-made: labels 0 0 1 0 1 1 at scores .1 .2 .3 .6 .7 .9 (P = 3, N = 3).
# Selecting scores >= .9, .7, .6, .3, .2, .1 gives TP 1 2 2 3 3 3 and FP 0 0 1 1 2 3,
# so J = TPR - FPR = 1/3 2/3 1/3 2/3 1/3 0 and F1 = 2TP/(2TP+FP+FN) = .5 .8 .667 .857 .75 .667.
HAND_Y = np.array([0, 0, 1, 0, 1, 1])
HAND_S = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9])


@pytest.mark.parametrize("method, target, threshold, tp, fp", [
    ("youden", None, 0.65, 2, 0),        # J = 2/3 at .7 and at .3: ties go to the higher cut
    ("f1", None, 0.25, 3, 1),            # F1 = 6/7 between .3 and .2
    ("completeness", 1.0, 0.25, 3, 1),   # the highest cut finding all three positives
    ("completeness", 0.5, 0.65, 2, 0),   # 2/3 >= 0.5 first happens below .7
    ("completeness", 0.3, 0.8, 1, 0),    # 1/3 >= 0.3 already below .9
])
def test_choose_threshold_hand_made(method, target, threshold, tp, fp):
    c = M.choose_threshold(HAND_Y, HAND_S, method, target)
    assert c.method == method
    close(c.threshold, threshold)
    assert (c.tp, c.fp, c.fn, c.tn) == (tp, fp, 3 - tp, 3 - fp)
    close(c.completeness, tp / 3)
    close(c.fpr, fp / 3)
    close(c.youden_j, tp / 3 - fp / 3)
    close(c.f1, 2 * tp / (2 * tp + fp + 3 - tp))
    # the metric functions at the returned threshold give the same values
    kw = {"threshold": c.threshold}
    assert M.counts(HAND_Y, HAND_S, **kw) == (c.tp, c.tn, c.fp, c.fn)
    close(M.precision(HAND_Y, HAND_S, **kw), c.precision)
    close(M.contamination(HAND_Y, HAND_S, **kw), c.contamination)
    close(M.specificity(HAND_Y, HAND_S, **kw), c.specificity)
    close(M.accuracy(HAND_Y, HAND_S, **kw), c.accuracy)


@pytest.mark.parametrize("seed", SEEDS)
def test_choose_threshold_youden_and_f1_are_the_best(seed):
    y, p = binary_case(seed)
    fpr, tpr, thr = skm.roc_curve(y, p, drop_intermediate=False)
    c = M.choose_threshold(y, p, "youden")
    close(c.youden_j, np.max(tpr - fpr))
    best_f1 = max(skm.f1_score(y, (p >= t).astype(int)) for t in thr[1:])
    close(M.choose_threshold(y, p, "f1").f1, best_f1)
    target = M.choose_threshold(y, p, "completeness", target=0.9)
    assert target.completeness >= 0.9
    assert M.recall(y, p, threshold=min(1.0, target.threshold + 1e-9)) <= target.completeness


# --------------------------------------------------------------------------------------
# Confusion matrix
# --------------------------------------------------------------------------------------

# The lectures' table: predicted label down the side (rows), actual label across.
SLIDE_BY_PREDICTED = np.array([[856, 58, 130], [0, 765, 136], [69, 33, 907]])
SLIDE_PERCENT = np.array([[28.98, 1.96, 4.4], [0.0, 25.90, 4.6], [2.34, 1.12, 30.7]])
SLIDE_TOTAL_PREDICTED = ([1044, 901, 1009], [35.34, 30.5, 34.16])
SLIDE_TOTAL_ACTUAL = ([925, 856, 1173], [31.31, 28.98, 39.71])


def test_confusion_matrix_reproduces_the_slide():
    cm = M.ConfusionMatrix.from_counts(SLIDE_BY_PREDICTED.T, labels="ABC")  # rows = actual
    assert cm.total == 2954
    np.testing.assert_array_equal(np.round(cm.percent.T, 2), SLIDE_PERCENT)
    np.testing.assert_array_equal(cm.pred_totals, SLIDE_TOTAL_PREDICTED[0])
    np.testing.assert_array_equal(np.round(cm.pred_totals_percent, 2), SLIDE_TOTAL_PREDICTED[1])
    np.testing.assert_array_equal(cm.true_totals, SLIDE_TOTAL_ACTUAL[0])
    np.testing.assert_array_equal(np.round(cm.true_totals_percent, 2), SLIDE_TOTAL_ACTUAL[1])
    lines = str(cm).splitlines()
    assert "rows = predicted label, columns = actual label" in lines[0]
    assert lines[1].split() == ["Predicted", "\\", "actual", "A", "B", "C", "Total", "predicted"]
    assert lines[2].split() == ["A", "856", "28.98%", "58", "1.96%", "130", "4.40%",
                                "1044", "35.34%"]
    assert lines[3].split() == ["B", "0", "0.00%", "765", "25.90%", "136", "4.60%",
                                "901", "30.50%"]
    assert lines[4].split() == ["C", "69", "2.34%", "33", "1.12%", "907", "30.70%",
                                "1009", "34.16%"]
    assert lines[5].split() == ["Total", "actual", "925", "31.31%", "856", "28.98%",
                                "1173", "39.71%", "2954", "100.00%"]


@pytest.mark.parametrize("seed", SEEDS)
def test_confusion_matrix_equals_sklearn_and_percentages(seed):
    y, P = multi_case(seed)
    yhat = P.argmax(axis=1)
    cm = M.confusion_matrix(np.eye(4)[y], P)
    np.testing.assert_array_equal(cm.counts, skm.confusion_matrix(y, yhat))
    close(cm.row_percent, 100 * skm.confusion_matrix(y, yhat, normalize="true"))
    close(cm.column_percent, 100 * skm.confusion_matrix(y, yhat, normalize="pred"))
    close(cm.percent, 100 * skm.confusion_matrix(y, yhat, normalize="all"))
    close(np.diag(cm.row_percent), 100 * M.recall(y, yhat, average=None))
    close(np.diag(cm.column_percent), 100 * M.precision(y, yhat, average=None))
    sub = M.confusion_matrix(y, yhat, labels=[3, 0])
    np.testing.assert_array_equal(sub.counts, skm.confusion_matrix(y, yhat, labels=[3, 0]))
    for rows in ("predicted", "true"):
        for normalize in ("all", "true", "pred", None):
            assert len(cm.to_text(normalize=normalize, rows=rows).splitlines()) == 7


def test_confusion_matrix_binary_probabilities_and_empty_class():
    y, p = binary_case(0)
    cm = M.confusion_matrix(y, p, threshold=0.3)
    np.testing.assert_array_equal(cm.counts, skm.confusion_matrix(y, (p > 0.3).astype(int)))
    cm = M.confusion_matrix([0, 1, 1], [0, 1, 0], labels=[0, 1, 2])  # class 2: no examples
    assert np.all(np.isnan(cm.row_percent[2]))
    assert "-" in cm.to_text(normalize="true").splitlines()[4]


def test_classification_report_lists_the_metrics():
    y, P = multi_case(0)
    text = M.classification_report(y, P)
    assert "efficiency" in text and "completeness" in text
    row = next(line for line in text.splitlines() if line.startswith("macro avg")).split()
    yhat = P.argmax(axis=1)
    close(float(row[2]), round(skm.precision_score(y, yhat, average="macro"), 2))
    close(float(row[4]), round(skm.f1_score(y, yhat, average="macro"), 2))


# --------------------------------------------------------------------------------------
# Regression
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("shape", [(50,), (50, 1), (50, 3)])
def test_regression_equal_sklearn(seed, shape):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=shape)
    p = y + rng.normal(scale=0.5, size=shape)
    for mo in ("uniform_average", "raw_values"):
        close(M.mean_squared_error(y, p, multioutput=mo), skm.mean_squared_error(y, p,
                                                                                 multioutput=mo))
        close(M.mean_absolute_error(y, p, multioutput=mo),
              skm.mean_absolute_error(y, p, multioutput=mo))
        close(M.rmse(y, p, multioutput=mo), skm.root_mean_squared_error(y, p, multioutput=mo))
        close(M.r2_score(y, p, multioutput=mo), skm.r2_score(y, p, multioutput=mo))


def test_r2_constant_target():
    assert M.r2_score([2.0, 2.0, 2.0], [2.0, 2.0, 2.0]) == skm.r2_score([2, 2, 2], [2, 2, 2])
    assert M.r2_score([2.0, 2.0, 2.0], [1.0, 2.0, 2.0]) == skm.r2_score([2, 2, 2], [1, 2, 2])


# --------------------------------------------------------------------------------------
# Clear errors
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, match", [
    (lambda: M.accuracy([0, 1, 1], [0, 1]), r"same number of samples; got 3 .* and 2"),
    (lambda: M.recall([0, 1, 2], [0, 1, 2], average="mean"), "Unknown average 'mean'"),
    (lambda: M.counts([0, 1, 2], [0, 1, 2], average="macro"), "summed, not averaged"),
    (lambda: M.precision([0, 1, 1], [0.2, 1.3, 0.7]), r"must lie in \[0, 1\].*1\.3"),
    (lambda: M.precision([0, 1, 1], [-0.1, 0.3, 0.7]), r"must lie in \[0, 1\]"),
    (lambda: M.f1([0, 1, 2], np.array([0.0, 1.0, 2.0])), "integer array"),
    (lambda: M.f1(np.eye(3), np.full((3, 3), 1.5)), r"\[0, 1\]"),
    (lambda: M.recall([0, 1], [0.2, 0.9], threshold=1.5), r"threshold .* \[0, 1\]; got 1.5"),
    (lambda: M.recall([0, 1, 2], [0, 1, 2]), "average='binary' needs a binary problem"),
    (lambda: M.recall([0, 2], [0.1, 0.9]), "binary labels 0 and 1"),
    (lambda: M.recall([0, 2], [0, 2], pos_label=1), "pos_label=1 is not one of"),
    (lambda: M.f1([[1, 1], [0, 1]], [0, 1]), "one-hot rows"),
    (lambda: M.f1([0.5, 1.0], [0, 1]), "non-integer values"),
    (lambda: M.f1(np.zeros((2, 2, 2)), [0, 1]), r"got shape \(2, 2, 2\)"),
    (lambda: M.f1([], []), "empty"),
    (lambda: M.f1(["a", "b"], [0, 1]), "mix label types"),
    (lambda: M.roc_curve([0, 1, 1], [0.1, 0.2]), "same number of samples"),
    (lambda: M.roc_curve([1, 1, 1], [0.1, 0.2, 0.3]), "no negative"),
    (lambda: M.roc_auc([0, 0, 0], [0.1, 0.2, 0.3]), "no positive"),
    (lambda: M.roc_auc([0, 1, 1], np.eye(3)), r"Class\(es\) \[2\] have no sample"),
    (lambda: M.roc_auc([0, 1, 5], np.eye(3)), "labels 0..2"),
    (lambda: M.choose_threshold([0, 1], [0.2, 0.8], "best"), "Unknown method 'best'"),
    (lambda: M.choose_threshold([0, 1], [0.2, 0.8], "completeness"), "needs a target"),
    (lambda: M.choose_threshold([0, 1], [0.2, 0.8], "f1", 0.9), "only used with"),
    (lambda: M.mean_squared_error([1.0, 2.0], [1.0, 2.0, 3.0]), "same shape"),
    (lambda: M.r2_score([1.0, np.nan], [1.0, 2.0]), "NaN or infinity"),
    (lambda: M.mean_absolute_error([1.0], [1.0], multioutput="x"), "Unknown multioutput"),
    (lambda: M.ConfusionMatrix.from_counts([[1, 2]]), "square"),
    (lambda: M.confusion_matrix([0, 1], [0, 1]).to_text(rows="x"), "rows must be"),
])
def test_clear_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
