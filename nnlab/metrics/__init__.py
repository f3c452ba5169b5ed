"""Metrics: Keras-style compile metrics, and evaluation metrics as pure functions.

Two families live here:

* **Compile metrics** (`nnlab.metrics.keras_metrics`): running means over an epoch for
  `model.compile(metrics=[...])` -- `Metric`, `BinaryAccuracy`, `get`, ...
* **Evaluation metrics** (pure functions of `y_true` and `y_pred`, checked against
  scikit-learn): the counts TP, TN, FP, FN and what the lectures build from them
  (`nnlab.metrics.classification`), the confusion matrix with percentages and totals
  (`nnlab.metrics.confusion`), ROC and completeness-efficiency curves
  (`nnlab.metrics.curves`), threshold choice (`nnlab.metrics.thresholds`), and
  regression errors (`nnlab.metrics.regression`).

Several names of the lectures are the same function: `completeness is recall is
sensitivity is tpr`, `efficiency is precision is purity`, `contamination is fdr`,
`specificity is tnr`.
"""

from nnlab.metrics.classification import (
    Counts,
    accuracy,
    completeness,
    contamination,
    counts,
    efficiency,
    error_rate,
    f1,
    f1_score,
    false_negatives,
    false_positives,
    fdr,
    fpr,
    precision,
    purity,
    recall,
    sensitivity,
    specificity,
    tnr,
    tpr,
    true_negatives,
    true_positives,
    zero_one_loss,
)
from nnlab.metrics.confusion import ConfusionMatrix, classification_report, confusion_matrix
from nnlab.metrics.curves import (
    CompletenessEfficiencyCurve,
    PrecisionRecallCurve,
    RocCurve,
    auc,
    average_precision,
    completeness_efficiency_curve,
    precision_recall_curve,
    roc_auc,
    roc_curve,
)
from nnlab.metrics.keras_metrics import (
    ACCURACY_NAMES,
    METRICS,
    BinaryAccuracy,
    CategoricalAccuracy,
    MeanAbsoluteError,
    MeanMetricWrapper,
    MeanSquaredError,
    Metric,
    SparseCategoricalAccuracy,
    accuracy_for,
    check_metric_specs,
    get,
    known_names,
)
from nnlab.metrics.regression import (
    mean_absolute_error,
    mean_squared_error,
    r2_score,
    rmse,
    root_mean_squared_error,
)
from nnlab.metrics.streaming import (
    AUC,
    F1Score,
    FBetaScore,
    Precision,
    Recall,
    RootMeanSquaredError,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
)
from nnlab.metrics.thresholds import ThresholdChoice, choose_threshold

__all__ = [
    # compile metrics (Keras-style running means)
    "ACCURACY_NAMES",
    "METRICS",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "MeanAbsoluteError",
    "MeanSquaredError",
    "AUC",
    "F1Score",
    "FBetaScore",
    "MeanMetricWrapper",
    "Metric",
    "Precision",
    "Recall",
    "RootMeanSquaredError",
    "SparseCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "accuracy_for",
    "check_metric_specs",
    "get",
    "known_names",
    # classification
    "Counts",
    "accuracy",
    "completeness",
    "contamination",
    "counts",
    "efficiency",
    "error_rate",
    "f1",
    "f1_score",
    "false_negatives",
    "false_positives",
    "fdr",
    "fpr",
    "precision",
    "purity",
    "recall",
    "sensitivity",
    "specificity",
    "tnr",
    "tpr",
    "true_negatives",
    "true_positives",
    "zero_one_loss",
    # confusion matrix
    "ConfusionMatrix",
    "classification_report",
    "confusion_matrix",
    # curves and thresholds
    "CompletenessEfficiencyCurve",
    "PrecisionRecallCurve",
    "RocCurve",
    "ThresholdChoice",
    "auc",
    "average_precision",
    "choose_threshold",
    "completeness_efficiency_curve",
    "precision_recall_curve",
    "roc_auc",
    "roc_curve",
    # regression
    "mean_absolute_error",
    "mean_squared_error",
    "r2_score",
    "rmse",
    "root_mean_squared_error",
]
