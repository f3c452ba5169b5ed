"""Compile metrics that stream over batches (AUC, Precision, Recall, F1Score,
RootMeanSquaredError, top-k accuracy), function metrics and weighted_metrics.

Expected numbers were printed by Keras 3.15.1 (TensorFlow 2.21.0, float64; top-k in
float32, TensorFlow's in_top_k has no float64 kernel) on the same two batches, fed one
`update_state` per batch; this file does not import Keras.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import metrics as M
from nnlab.layers import Dense, Input
from nnlab.models import Sequential

KERAS = {  # Keras 3.15.1
    "auc_roc": 0.4125874125874126,
    "auc_roc_w": 0.4403660626300149,
    "auc_pr": 0.49669229906417156,
    "auc_pr_w": 0.4140143669349681,
    "auc_logits": 0.40909090909090906,
    "auc_minoring": 0.3776223776223776,
    "auc_majoring_pr": 0.5465002569074967,
    "precision": 0.5,
    "precision_w": 0.4446216285912732,
    "precision_list": [0.4666666666666667, 0.6],
    "recall": 0.46153846153846156,
    "recall_w": 0.5728386423763372,
    "recall_class1": 0.0,
    "f1_none": [0.153846101775164, 0.153846101775164, 0.0, 0.0],
    "f1_macro": 0.076923050887582,
    "f1_micro": 0.08333328298614111,
    "f1_weighted_w": 0.05535407738450998,
    "f1_thr": 0.09999997422222903,
    "fbeta": 0.07708727533191209,
    "f1_binary": [0.4799999462400053],
    "rmse": 1.4509227390920256,
    "rmse_w": 1.6067806205997994,
    "topk2": 0.4166666567325592,
    "topk2_w": 0.4615984261035919,
    "sparse_topk2": 0.4166666567325592,
    "mse_w": 2.581743962735077,
    "binacc_w": 0.49737025733923845,
}


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(7)
    d = {}
    d["yb"] = (rng.random((2, 12, 1)) > 0.5).astype(float)
    d["pb"] = rng.random((2, 12, 1))
    d["zb"] = rng.normal(size=(2, 12, 1)) * 2
    d["sw"] = rng.random((2, 12))
    d["yc"] = np.eye(4)[rng.integers(0, 4, size=(2, 12))]
    pc = rng.random((2, 12, 4))
    d["pc"] = pc / pc.sum(-1, keepdims=True)
    d["yr"] = rng.normal(size=(2, 12, 2))
    d["pr"] = rng.normal(size=(2, 12, 2))
    return d


def _stream(metric, ys, ps, w=None):
    for i in range(2):
        metric.update_state(ys[i], ps[i], sample_weight=None if w is None else w[i])
    return metric.result()


CASES = [
    ("auc_roc", lambda: M.AUC(), "yb", "pb", False),
    ("auc_roc_w", lambda: M.AUC(), "yb", "pb", True),
    ("auc_pr", lambda: M.AUC(curve="PR"), "yb", "pb", False),
    ("auc_pr_w", lambda: M.AUC(curve="PR"), "yb", "pb", True),
    ("auc_logits", lambda: M.AUC(from_logits=True), "yb", "zb", False),
    ("auc_minoring", lambda: M.AUC(summation_method="minoring", num_thresholds=20), "yb", "pb",
     False),
    ("auc_majoring_pr",
     lambda: M.AUC(curve="PR", summation_method="majoring", num_thresholds=20), "yb", "pb", False),
    ("precision", lambda: M.Precision(), "yb", "pb", False),
    ("precision_w", lambda: M.Precision(), "yb", "pb", True),
    ("precision_list", lambda: M.Precision(thresholds=[0.3, 0.7]), "yb", "pb", False),
    ("recall", lambda: M.Recall(), "yb", "pb", False),
    ("recall_w", lambda: M.Recall(), "yb", "pb", True),
    ("recall_class1", lambda: M.Recall(class_id=1), "yc", "pc", False),
    ("f1_none", lambda: M.F1Score(), "yc", "pc", False),
    ("f1_macro", lambda: M.F1Score(average="macro"), "yc", "pc", False),
    ("f1_micro", lambda: M.F1Score(average="micro"), "yc", "pc", False),
    ("f1_weighted_w", lambda: M.F1Score(average="weighted"), "yc", "pc", True),
    ("f1_thr", lambda: M.F1Score(average="macro", threshold=0.3), "yc", "pc", False),
    ("fbeta", lambda: M.FBetaScore(average="macro", beta=2.0), "yc", "pc", False),
    ("f1_binary", lambda: M.F1Score(threshold=0.5), "yb", "pb", False),
    ("rmse", lambda: M.RootMeanSquaredError(), "yr", "pr", False),
    ("rmse_w", lambda: M.RootMeanSquaredError(), "yr", "pr", True),
    ("topk2", lambda: M.TopKCategoricalAccuracy(k=2), "yc", "pc", False),
    ("topk2_w", lambda: M.TopKCategoricalAccuracy(k=2), "yc", "pc", True),
    ("mse_w", lambda: M.MeanSquaredError(), "yr", "pr", True),
    ("binacc_w", lambda: M.BinaryAccuracy(), "yb", "pb", True),
]


@pytest.mark.parametrize("key,make,y,p,weighted", CASES, ids=[c[0] for c in CASES])
def test_streams_as_keras(data, key, make, y, p, weighted):
    got = _stream(make(), data[y], data[p], data["sw"] if weighted else None)
    # top-k and the F1 scores went through float32 or Keras's epsilons: 1e-6
    np.testing.assert_allclose(got, KERAS[key], rtol=1e-6, atol=1e-12)


def test_sparse_top_k_takes_integer_labels(data):
    got = _stream(M.SparseTopKCategoricalAccuracy(k=2), data["yc"].argmax(-1), data["pc"])
    assert got == pytest.approx(KERAS["sparse_topk2"], rel=1e-6)


def test_reset_state_starts_over(data):
    m = M.AUC()
    _stream(m, data["yb"], data["pb"])
    m.reset_state()
    m.update_state([[0.0], [1.0]], [[0.2], [0.9]])
    assert m.result() == pytest.approx(1.0)


def test_auc_hand_example():
    # Two negatives at 0.1 and 0.6, two positives at 0.4 and 0.9: of the four
    # (positive, negative) pairs three are ordered right, so the exact ROC AUC is 0.75;
    # with 200 thresholds no threshold separates tied buckets here, so it is exact.
    m = M.AUC()
    m.update_state([0, 0, 1, 1], [0.1, 0.6, 0.4, 0.9])
    assert m.result() == pytest.approx(0.75, abs=1e-12)


def test_metric_strings_resolve_to_the_streaming_classes():
    for name, cls in [("auc", M.AUC), ("precision", M.Precision), ("recall", M.Recall),
                      ("f1_score", M.F1Score), ("root_mean_squared_error", M.RootMeanSquaredError),
                      ("top_k_categorical_accuracy", M.TopKCategoricalAccuracy), ("AUC", M.AUC)]:
        m = M.get(name)
        assert isinstance(m, cls) and m.name == name


def test_bad_arguments_are_refused_in_keras_voice():
    with pytest.raises(ValueError, match="num_thresholds"):
        M.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="curve"):
        M.AUC(curve="ROCK")
    with pytest.raises(ValueError, match="average"):
        M.F1Score(average="mean")
    with pytest.raises(ValueError, match="k >= 1"):
        M.TopKCategoricalAccuracy(k=0)
    with pytest.raises(ValueError, match="top_k"):
        M.Precision(top_k=0)


def _classifier():
    model = Sequential([Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.set_weights([np.array([[1.0], [-2.0]]), np.array([0.1])])
    return model


def test_fit_logs_auc_and_a_function_metric():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 2))
    y = (x[:, :1] > 0).astype(float)

    def max_abs_error(y_true, y_pred):
        return np.abs(y_true - y_pred).max(axis=-1)

    model = _classifier()
    model.compile("sgd", "binary_crossentropy", metrics=["auc", max_abs_error])
    logs = model.evaluate(x, y, batch_size=7, verbose=0, return_dict=True)
    p = model.predict(x, verbose=0)
    whole = M.AUC()
    whole.update_state(y, p)
    assert logs["auc"] == pytest.approx(whole.result(), abs=1e-12)  # counts add up exactly
    assert logs["max_abs_error"] == pytest.approx(np.abs(y - p).mean(), rel=1e-6)


def test_weighted_metrics_use_the_sample_weights_and_get_their_own_name():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 2))
    y = (x[:, :1] > 0).astype(float)
    sw = rng.random(20)
    model = _classifier()
    model.compile("sgd", "binary_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
    logs = model.evaluate(x, y, sample_weight=sw, verbose=0, return_dict=True)
    hit = (y[:, 0] == (model.predict(x, verbose=0)[:, 0] > 0.5)).astype(float)
    assert logs["accuracy"] == pytest.approx(hit.mean())
    assert logs["weighted_accuracy"] == pytest.approx((hit * sw).sum() / sw.sum())
