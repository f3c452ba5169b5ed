"""Precision and Recall with `top_k`, `class_id` and `thresholds` lists, streamed over two
batches, against the numbers Keras 3.15.1 (TensorFlow 2.21.0 backend, floatx float64)
printed for the same inputs with `keras.metrics.Precision(...)` / `Recall(...)`,
`update_state` on batch 1, `result()`, `update_state` on batch 2, `result()`. This file
does not import Keras; bench/keras_diff.py re-checks the same cases live.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import metrics as M
from nnlab.metrics.precision_recall import filter_top_k


def _batches():
    rng = np.random.default_rng(7)
    P1, P2 = rng.random((5, 4)), rng.random((3, 4))
    P1[0, 1] = 0.5  # exactly on a threshold
    P1[1, :] = [0.2, 0.2, 0.6, 0.1]  # a tie inside the top 2
    Y1 = (rng.random((5, 4)) > 0.5).astype(float)
    Y2 = (rng.random((3, 4)) > 0.5).astype(float)
    return (Y1, P1, rng.random(5)), (Y2, P2, rng.random(3))


CASES = {
    "top_k2": dict(top_k=2),
    "top_k1_class2": dict(top_k=1, class_id=2),
    "class1_thresholds": dict(class_id=1, thresholds=[0.3, 0.6]),
    "even_thresholds": dict(thresholds=[0.0, 0.5, 1.0]),  # Keras's bucketed counting
    "top_k3_threshold": dict(top_k=3, thresholds=0.4),
}

# (metric, case, weighted): [result after batch 1, result after batch 2], from Keras 3.15.1
KERAS = {
    ("Precision", "top_k2", False): [0.6, 0.5625],
    ("Precision", "top_k2", True): [0.7254004616651577, 0.657950420558537],
    ("Recall", "top_k2", False): [0.5454545454545454, 0.5294117647058824],
    ("Recall", "top_k2", True): [0.6130200895411083, 0.5485874102553627],
    ("Precision", "top_k1_class2", False): [1.0, 0.6666666666666666],
    ("Precision", "top_k1_class2", True): [1.0, 0.7597402053400879],
    ("Recall", "top_k1_class2", False): [0.6666666666666666, 0.4],
    ("Recall", "top_k1_class2", True): [0.6281344010047923, 0.33091129372355915],
    ("Precision", "class1_thresholds", False): [[0.75, 1.0], [0.6666666666666666, 1.0]],
    ("Precision", "class1_thresholds", True): [[0.7691483613328935, 1.0],
                                               [0.6137984475293679, 1.0]],
    ("Recall", "class1_thresholds", False): [[1.0, 0.3333333333333333], [1.0, 0.25]],
    ("Recall", "class1_thresholds", True): [[1.0, 0.6597191323541218],
                                            [1.0, 0.5475842393312689]],
    ("Precision", "even_thresholds", False): [[0.55, 0.6, 0.0], [0.53125, 0.6, 0.0]],
    ("Precision", "even_thresholds", True): [[0.5916612473566525, 0.6586353871522155, 0.0],
                                             [0.5996769231837337, 0.6393196105793226, 0.0]],
    ("Recall", "even_thresholds", False): [[1.0, 0.5454545454545454, 0.0],
                                           [1.0, 0.5294117647058824, 0.0]],
    ("Recall", "even_thresholds", True): [[1.0, 0.7242842558528051, 0.0],
                                          [1.0, 0.6192755030037348, 0.0]],
    ("Precision", "top_k3_threshold", False): [0.6666666666666666, 0.6842105263157895],
    ("Precision", "top_k3_threshold", True): [0.7517889634805818, 0.7391913541677999],
    ("Recall", "top_k3_threshold", False): [0.7272727272727273, 0.7647058823529411],
    ("Recall", "top_k3_threshold", True): [0.822533707047141, 0.8032558881674302],
}


@pytest.mark.parametrize("metric, case, weighted", sorted(KERAS))
def test_streams_as_keras(metric, case, weighted):
    m = getattr(M, metric)(**CASES[case])
    got = []
    for Y, P, sw in _batches():
        m.update_state(Y, P, sw if weighted else None)
        got.append(m.result())
    for value, want in zip(got, KERAS[(metric, case, weighted)]):
        assert np.shape(value) == np.shape(want)
        np.testing.assert_allclose(value, want, rtol=0, atol=1e-12)


def test_top_k_by_hand():
    # row 0: top 2 = columns 1 (0.5) and 2 (0.3); labels 1, 2 -> 2 TP
    # row 1: top 2 = columns 1 (0.6) and 2 (0.3); labels 0 -> 2 FP, 1 FN
    y = [[0, 1, 1], [1, 0, 0]]
    p = [[0.2, 0.5, 0.3], [0.1, 0.6, 0.3]]
    assert M.Precision(top_k=2)(y, p) == 0.5
    assert M.Recall(top_k=2)(y, p) == pytest.approx(2 / 3, abs=1e-15)
    # class_id=0 after the top-2 filter: column 0 is never in the top 2 -> no TP, 1 FN
    assert M.Recall(top_k=2, class_id=0)(y, p) == 0.0
    assert M.Precision(class_id=0, thresholds=0.05)(y, p) == 0.5


def test_top_k_ties_go_to_the_lower_index():
    got = filter_top_k(np.array([[0.2, 0.2, 0.6, 0.1]]), 2)
    np.testing.assert_array_equal(got, [[0.2, -1e10, 0.6, -1e10]])


def test_a_list_of_one_threshold_gives_a_float_as_keras():
    assert isinstance(M.Precision(thresholds=[0.5])([[1.0]], [[0.9]]), float)


def test_config_round_trip_keeps_top_k_and_class_id():
    m = M.Recall(thresholds=[0.25, 0.75], top_k=2, class_id=1, name="r")
    again = M.Recall.from_config(m.get_config())
    assert again.get_config() == m.get_config() == {
        "thresholds": [0.25, 0.75], "top_k": 2, "class_id": 1, "name": "r"}


@pytest.mark.parametrize("kwargs, match", [
    (dict(top_k=0), r"top_k=\.\.\.\) expects an int >= 1. Received: top_k=0"),
    (dict(top_k=1.5), "top_k"),
    (dict(class_id=-1), "class_id"),
    (dict(thresholds=[0.5, 1.5]), r"threshold values must be in \[0, 1\]"),
])
def test_bad_arguments_are_refused_at_construction(kwargs, match):
    with pytest.raises(ValueError, match=match):
        M.Precision(**kwargs)


def test_bad_shapes_are_refused_clearly():
    with pytest.raises(ValueError, match="top_k=3 is larger than the 2 predictions"):
        M.Precision(top_k=3).update_state([[0, 1]], [[0.3, 0.7]])
    with pytest.raises(ValueError, match="class_id=2"):
        M.Recall(class_id=2).update_state([[0, 1]], [[0.3, 0.7]])


def test_a_metric_with_several_values_is_refused_clearly_in_fit():
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential

    model = Sequential([Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy", metrics=[M.Precision(thresholds=[0.3, 0.6])])
    with pytest.raises(ValueError, match="gives 2 values .* log one number per metric"):
        model.fit(np.zeros((4, 2)), np.ones((4, 1)), verbose=0)
