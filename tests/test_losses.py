"""Losses: hand-worked golden values, reduction, smoothing, clipping, stability, gradients.

Every expected value below is written out by hand from the formulas in
KERAS-API.md section 3 (never computed by calling nnlab); the arithmetic is in the
comments.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numeric import num_grad, rel_err

from nnlab import activations, losses
from nnlab.losses import BinaryCrossentropy, CategoricalCrossentropy, reduce, reduce_grad
from nnlab.step import fused_output_loss

LN2 = math.log(2.0)  # 0.6931471805599453
EPS = 1e-7  # keras.config.epsilon()


def _allclose(actual, expected, rtol=1e-12, atol=0.0):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=atol)


# --------------------------------------------------------------------------------------
# Golden values: mean squared / absolute error
# --------------------------------------------------------------------------------------

Y_REG = [[0.0, 1.0, 2.0], [1.0, 1.0, 0.0]]
P_REG = [[0.5, 1.0, 1.0], [2.0, 0.0, 0.0]]
# e = P - Y: row 0 -> [0.5, 0, -1], row 1 -> [1, -1, 0]


def test_mse_golden():
    # row 0: (0.25 + 0 + 1) / 3 = 1.25/3 = 0.41666...
    # row 1: (1 + 1 + 0) / 3 = 2/3 = 0.66666...
    per_sample = [1.25 / 3, 2.0 / 3]
    _allclose(losses.mean_squared_error(Y_REG, P_REG), per_sample)
    # reduced: (1.25/3 + 2/3) / 2 = 3.25/6 = 0.541666...
    _allclose(losses.MeanSquaredError()(Y_REG, P_REG), 3.25 / 6)


def test_mae_golden():
    # row 0: (0.5 + 0 + 1) / 3 = 0.5 ; row 1: (1 + 1 + 0) / 3 = 2/3
    _allclose(losses.mean_absolute_error(Y_REG, P_REG), [0.5, 2.0 / 3])
    # reduced: (0.5 + 2/3) / 2 = 7/12 = 0.58333...
    _allclose(losses.MeanAbsoluteError()(Y_REG, P_REG), 7.0 / 12)


def test_mse_float32_inputs():
    Y = np.asarray(Y_REG, dtype=np.float32)
    P = np.asarray(P_REG, dtype=np.float32)
    out = losses.mean_squared_error(Y, P)
    assert out.dtype == np.float32
    _allclose(out, [1.25 / 3, 2.0 / 3], rtol=1e-6)


# --------------------------------------------------------------------------------------
# Huber
# --------------------------------------------------------------------------------------

Y_HUB = [[1.0, -1.0], [0.5, 0.0]]
P_HUB = [[1.5, 1.0], [-2.5, 1.0]]
# e = P - Y: row 0 -> [0.5, 2.0], row 1 -> [-3.0, 1.0]


def test_huber_delta_1():
    # |e| <= 1: e^2/2 ; else |e| - 1/2
    # row 0: 0.5^2/2 = 0.125 ; 2 - 0.5 = 1.5          -> (0.125 + 1.5) / 2 = 0.8125
    # row 1: 3 - 0.5 = 2.5 ; |e| = 1 = delta -> 1/2     -> (2.5 + 0.5) / 2 = 1.5
    _allclose(losses.huber(Y_HUB, P_HUB), [0.8125, 1.5])
    _allclose(losses.huber(Y_HUB, P_HUB, delta=1.0), [0.8125, 1.5])
    # reduced: (0.8125 + 1.5) / 2 = 1.15625
    _allclose(losses.Huber()(Y_HUB, P_HUB), 1.15625)


def test_huber_delta_half():
    # |e| <= 0.5: e^2/2 ; else 0.5 |e| - 0.125
    # row 0: 0.5 is inside -> 0.125 ; 0.5*2 - 0.125 = 0.875    -> (0.125 + 0.875)/2 = 0.5
    # row 1: 0.5*3 - 0.125 = 1.375 ; 0.5*1 - 0.125 = 0.375     -> (1.375 + 0.375)/2 = 0.875
    _allclose(losses.huber(Y_HUB, P_HUB, delta=0.5), [0.5, 0.875])
    # reduced: (0.5 + 0.875) / 2 = 0.6875
    _allclose(losses.Huber(delta=0.5)(Y_HUB, P_HUB), 0.6875)


def test_huber_name_is_keras_huber_loss():
    assert losses.Huber().name == "huber_loss"


# --------------------------------------------------------------------------------------
# Binary cross-entropy
# --------------------------------------------------------------------------------------


def test_bce_probabilities_multilabel():
    Y = [[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]]
    P = [[0.9, 0.2, 0.6], [0.3, 0.1, 0.8]]
    # row 0: -[log 0.9 + log(1-0.2) + log 0.6] / 3
    #      = (0.1053605 + 0.2231436 + 0.5108256) / 3 = 0.8393297/3 = 0.2797766
    # row 1: -[log(1-0.3) + log(1-0.1) + log 0.8] / 3
    #      = (0.3566749 + 0.1053605 + 0.2231436) / 3 = 0.6851790/3 = 0.2283930
    r0 = -(math.log(0.9) + math.log(0.8) + math.log(0.6)) / 3
    r1 = -(math.log(0.7) + math.log(0.9) + math.log(0.8)) / 3
    # clipping to [1e-7, 1 - 1e-7] moves none of these, so the tolerance can be tight
    _allclose(losses.binary_crossentropy(Y, P), [r0, r1], rtol=1e-9)
    _allclose(losses.BinaryCrossentropy()(Y, P), (r0 + r1) / 2, rtol=1e-9)
    assert abs(r0 - 0.2797766) < 1e-6 and abs(r1 - 0.2283930) < 1e-6


def test_bce_from_logits():
    Y = [[1.0, 0.0], [0.0, 1.0]]
    Z = [[2.0, -1.0], [0.0, 3.0]]
    # -[y log sigmoid(z) + (1-y) log(1 - sigmoid(z))]:
    #   y=1: log(1 + e^-z) ; y=0: log(1 + e^z)
    # row 0: log(1 + e^-2) = 0.1269280 ; log(1 + e^-1) = 0.3132617 -> mean 0.2200948
    # row 1: log(1 + 1) = 0.6931472 ; log(1 + e^-3) = 0.0485874   -> mean 0.3708673
    r0 = (math.log1p(math.exp(-2.0)) + math.log1p(math.exp(-1.0))) / 2
    r1 = (LN2 + math.log1p(math.exp(-3.0))) / 2
    _allclose(losses.binary_crossentropy(Y, Z, from_logits=True), [r0, r1])
    _allclose(losses.BinaryCrossentropy(from_logits=True)(Y, Z), (r0 + r1) / 2)
    assert abs(r0 - 0.2200948) < 1e-6 and abs(r1 - 0.3708673) < 1e-6


def test_bce_rank_rule_labels_n_vs_n1():
    # y (N,) against y_pred (N, 1): no N x N broadcast.
    # sample 0: -log 0.8 = 0.2231436 ; sample 1: -log(1 - 0.4) = 0.5108256
    out = losses.binary_crossentropy([1.0, 0.0], [[0.8], [0.4]])
    _allclose(out, [-math.log(0.8), -math.log(0.6)], rtol=1e-9)


# --------------------------------------------------------------------------------------
# Categorical cross-entropy
# --------------------------------------------------------------------------------------


def test_cce_probabilities():
    Y = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    P = [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]
    # -sum y log p: row 0 -> -log 0.7 = 0.3566749 ; row 1 -> -log 0.4 = 0.9162907
    _allclose(losses.categorical_crossentropy(Y, P), [-math.log(0.7), -math.log(0.4)])
    # reduced: (0.3566749 + 0.9162907) / 2 = 0.6364828
    _allclose(losses.CategoricalCrossentropy()(Y, P), (-math.log(0.7) - math.log(0.4)) / 2)


def test_cce_renormalises_predictions():
    Y = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    P = [[1.0, 2.0, 1.0], [0.2, 0.2, 0.1]]
    # Keras divides by the row sum first:
    # row 0: sum 4   -> p = [0.25, 0.5, 0.25], loss -log 0.5 = log 2 = 0.6931472
    # row 1: sum 0.5 -> p = [0.4, 0.4, 0.2],   loss -log 0.2 = log 5 = 1.6094379
    # (without renormalisation, row 0 would be clip(2) -> ~0 and row 1 -log 0.1 = 2.30)
    _allclose(losses.categorical_crossentropy(Y, P), [LN2, math.log(5.0)])


def test_cce_soft_labels():
    Y = [[0.25, 0.75]]
    P = [[0.5, 0.5]]
    # -(0.25 log 0.5 + 0.75 log 0.5) = log 2
    _allclose(losses.categorical_crossentropy(Y, P), [LN2])


def test_cce_from_logits():
    Y = [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0], [0.5, 0.5, 0.0]]
    Z = [[1.0, 2.0, 3.0], [0.0, 0.0, 0.0], [0.0, LN2, 5.0]]
    # -sum y log_softmax(z):
    # row 0: logsumexp(1,2,3) - 3 = log(e^-2 + e^-1 + 1)
    #      = log(0.1353353 + 0.3678794 + 1) = log 1.5032147 = 0.4076059
    # row 1: log 3 = 1.0986123
    # row 2: lse = log(1 + 2 + e^5) = log(151.4131591) = 5.0199...;
    #        loss = 0.5 (lse - 0) + 0.5 (lse - log 2) = lse - 0.5 log 2
    r0 = math.log(math.exp(-2.0) + math.exp(-1.0) + 1.0)
    lse2 = math.log(3.0 + math.exp(5.0))
    expected = [r0, math.log(3.0), lse2 - 0.5 * LN2]
    _allclose(losses.categorical_crossentropy(Y, Z, from_logits=True), expected)
    _allclose(losses.CategoricalCrossentropy(from_logits=True)(Y, Z), sum(expected) / 3)
    assert abs(r0 - 0.4076059) < 1e-6


# --------------------------------------------------------------------------------------
# Sparse categorical cross-entropy
# --------------------------------------------------------------------------------------

P_SP = [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]


@pytest.mark.parametrize("labels", [[1, 2], [[1], [2]], np.array([1.0, 2.0])])
def test_sparse_cce_label_shapes(labels):
    # labels 1 and 2 pick p = 0.7 and 0.4: [-log 0.7, -log 0.4] = [0.3566749, 0.9162907]
    expected = [-math.log(0.7), -math.log(0.4)]
    _allclose(losses.sparse_categorical_crossentropy(labels, P_SP), expected)
    _allclose(losses.SparseCategoricalCrossentropy()(labels, P_SP), sum(expected) / 2)


def test_sparse_cce_renormalises_and_from_logits():
    # row sum 0.5 -> p = [0.4, 0.4, 0.2], label 2 -> -log 0.2 = log 5
    _allclose(losses.sparse_categorical_crossentropy([2], [[0.2, 0.2, 0.1]]), [math.log(5.0)])
    # logits [1, 2, 3], label 2 -> log(e^-2 + e^-1 + 1) = 0.4076059
    out = losses.sparse_categorical_crossentropy([2], [[1.0, 2.0, 3.0]], from_logits=True)
    _allclose(out, [math.log(math.exp(-2.0) + math.exp(-1.0) + 1.0)])


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0], [0.5, 1.0]])
def test_sparse_cce_bad_labels_raise(labels):
    with pytest.raises(ValueError):
        losses.sparse_categorical_crossentropy(labels, P_SP)
    with pytest.raises(ValueError):
        losses.SparseCategoricalCrossentropy()(labels, P_SP)


# --------------------------------------------------------------------------------------
# Hinge
# --------------------------------------------------------------------------------------

P_HINGE = [[0.3, 0.4], [2.0, -0.5]]


def test_hinge_01_labels_mapped():
    Y01 = [[0.0, 1.0], [1.0, 0.0]]  # -> [[-1, 1], [1, -1]]
    # row 0: max(1 - (-1)(0.3), 0) = 1.3 ; max(1 - 0.4, 0) = 0.6       -> 0.95
    # row 1: max(1 - 2, 0) = 0 ; max(1 - (-1)(-0.5), 0) = 0.5          -> 0.25
    _allclose(losses.hinge(Y01, P_HINGE), [0.95, 0.25])
    # reduced (0.95 + 0.25) / 2 = 0.6
    _allclose(losses.Hinge()(Y01, P_HINGE), 0.6)


def test_hinge_pm1_labels_unchanged():
    Ypm = [[-1.0, 1.0], [1.0, -1.0]]  # same signs as above -> same values
    _allclose(losses.hinge(Ypm, P_HINGE), [0.95, 0.25])


def test_hinge_maps_only_if_all_labels_are_01():
    # labels {-1, 0}: not all in {0, 1}, so left unchanged:
    # max(1 - (-1)(0.5), 0) = 1.5 ; max(1 - 0*0.5, 0) = 1  -> 1.25
    _allclose(losses.hinge([[-1.0, 0.0]], [[0.5, 0.5]]), [1.25])


# --------------------------------------------------------------------------------------
# KL divergence
# --------------------------------------------------------------------------------------


def test_kl_divergence_sums_over_last_axis():
    Y = [[0.5, 0.5], [0.1, 0.9]]
    P = [[0.25, 0.75], [0.5, 0.5]]
    # row 0: 0.5 log(0.5/0.25) + 0.5 log(0.5/0.75) = 0.3465736 - 0.2027326 = 0.1438410
    # row 1: 0.1 log(0.1/0.5) + 0.9 log(0.9/0.5)   = -0.1609438 + 0.5290079 = 0.3680642
    r0 = 0.5 * math.log(2.0) + 0.5 * math.log(0.5 / 0.75)
    r1 = 0.1 * math.log(0.2) + 0.9 * math.log(1.8)
    _allclose(losses.kl_divergence(Y, P), [r0, r1])
    _allclose(losses.KLDivergence()(Y, P), (r0 + r1) / 2)
    assert abs(r0 - 0.1438410) < 1e-6 and abs(r1 - 0.3680642) < 1e-6


def test_kl_divergence_clips_zero_targets():
    # y = [1, 0] -> clipped to [1, 1e-7]:
    # 1 log(1/0.8) + 1e-7 log(1e-7/0.2) = 0.2231436 - 1.45e-6
    expected = math.log(1 / 0.8) + EPS * math.log(EPS / 0.2)
    _allclose(losses.kl_divergence([[1.0, 0.0]], [[0.8, 0.2]]), [expected], rtol=1e-9)


# --------------------------------------------------------------------------------------
# Reduction: sum(L * s) / N
# --------------------------------------------------------------------------------------


def test_reduction_sample_weight_in_numerator_only():
    # per-sample MSE = [1.25/3, 2/3]; s = [2, 0.5]
    # sum(L s)/N = (2 * 1.25/3 + 0.5 * 2/3) / 2 = (3.5/3)/2 = 0.583333...
    # (dividing by sum(s) = 2.5 instead would give 0.4666...)
    out = losses.MeanSquaredError()(Y_REG, P_REG, sample_weight=[2.0, 0.5])
    _allclose(out, 3.5 / 6)
    # s = [1, 0]: (1.25/3)/2 = 0.208333..., not 1.25/3
    out = losses.MeanSquaredError()(Y_REG, P_REG, sample_weight=[1.0, 0.0])
    _allclose(out, 1.25 / 6)


def test_reduction_sample_weight_cce():
    Y = [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    P = [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]
    # (3 * -log 0.7 + 1 * -log 0.4) / 2 = (1.0700248 + 0.9162907) / 2 = 0.9931578
    out = losses.CategoricalCrossentropy()(Y, P, sample_weight=np.array([3.0, 1.0]))
    _allclose(out, (-3 * math.log(0.7) - math.log(0.4)) / 2)


def test_reduce_and_reduce_grad_helpers():
    L = np.array([1.0, 3.0, 5.0, 7.0])
    s = np.array([1.0, 0.0, 2.0, 0.5])
    # sum(L)/4 = 16/4 = 4 ; sum(L s)/4 = (1 + 0 + 10 + 3.5)/4 = 3.625
    _allclose(losses.reduce(L), 4.0)
    _allclose(losses.reduce(L, s), 3.625)
    dL = np.ones((4, 2))
    # d/dP of sum(L s)/N: dL * s / N -> rows [0.25, 0, 0.5, 0.125]
    _allclose(losses.reduce_grad(dL, 4, s), np.repeat([[0.25], [0.0], [0.5], [0.125]], 2, 1))


# --------------------------------------------------------------------------------------
# Label smoothing
# --------------------------------------------------------------------------------------


def test_bce_label_smoothing():
    # ls = 0.2: y <- y (1 - 0.2) + 0.5 * 0.2 (0.5, not 1/C) -> [1, 0, 1] becomes [0.9, 0.1, 0.9]
    # col 0 (y=0.9, p=0.9): -(0.9 log 0.9 + 0.1 log 0.1) = 0.0948245 + 0.2302585 = 0.3250830
    # col 1 (y=0.1, p=0.2): -(0.1 log 0.2 + 0.9 log 0.8) = 0.1609438 + 0.2008292 = 0.3617730
    # col 2 (y=0.9, p=0.6): -(0.9 log 0.6 + 0.1 log 0.4) = 0.4597430 + 0.0916291 = 0.5513721
    # mean: 1.2382281 / 3 = 0.4127427
    c0 = -(0.9 * math.log(0.9) + 0.1 * math.log(0.1))
    c1 = -(0.1 * math.log(0.2) + 0.9 * math.log(0.8))
    c2 = -(0.9 * math.log(0.6) + 0.1 * math.log(0.4))
    out = losses.BinaryCrossentropy(label_smoothing=0.2)([[1.0, 0.0, 1.0]], [[0.9, 0.2, 0.6]])
    _allclose(out, (c0 + c1 + c2) / 3, rtol=1e-9)
    assert abs((c0 + c1 + c2) / 3 - 0.4127427) < 1e-6


def test_bce_label_smoothing_from_logits():
    # ls = 0.5: y <- 0.5 y + 0.25 -> [1, 1, 0] becomes [0.75, 0.75, 0.25]
    # z = 0: max(0,0) - 0 + log 2 = log 2 whatever y is
    # z = 2, y = 0.75:  2 - 1.5 + log(1 + e^-2) = 0.5 + 0.1269280
    # z = -2, y = 0.25: 0 + 0.5 + log(1 + e^-2) = 0.5 + 0.1269280
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.5)
    expected = (LN2 + 2 * (0.5 + math.log1p(math.exp(-2.0)))) / 3
    _allclose(loss([[1.0, 1.0, 0.0]], [[0.0, 2.0, -2.0]]), expected)


def test_cce_label_smoothing():
    # ls = 0.3, C = 3: y <- y * 0.7 + 0.1 -> [0, 1, 0] becomes [0.1, 0.8, 0.1]
    # -(0.1 log 0.2 + 0.8 log 0.7 + 0.1 log 0.1) = 0.1609438 + 0.2853399 + 0.2302585 = 0.6765422
    expected = -(0.1 * math.log(0.2) + 0.8 * math.log(0.7) + 0.1 * math.log(0.1))
    out = losses.CategoricalCrossentropy(label_smoothing=0.3)([[0.0, 1.0, 0.0]], [[0.2, 0.7, 0.1]])
    _allclose(out, expected)
    assert abs(expected - 0.6765422) < 1e-6


def test_cce_label_smoothing_from_logits():
    # ls = 0.3 on logits [0, 0, 0]: log_softmax = -log 3 everywhere, smoothed y sums to 1
    # -> loss log 3 = 1.0986123 ; logits [0, log 2, 0] with y = [0.1, 0.8, 0.1]:
    # lse = log 4; loss = 0.1 log 4 + 0.8 (log 4 - log 2) + 0.1 log 4
    #                  = log 4 - 0.8 log 2 = 1.2 log 2
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.3)
    _allclose(loss([[0.0, 1.0, 0.0]], [[0.0, 0.0, 0.0]]), math.log(3.0))
    _allclose(loss([[0.0, 1.0, 0.0]], [[0.0, LN2, 0.0]]), 1.2 * LN2)


@pytest.mark.parametrize("ls", [-0.1, 1.5])
def test_label_smoothing_out_of_range_raises(ls):
    with pytest.raises(ValueError):
        losses.BinaryCrossentropy(label_smoothing=ls)
    with pytest.raises(ValueError):
        losses.CategoricalCrossentropy(label_smoothing=ls)


# --------------------------------------------------------------------------------------
# Clipping and stability
# --------------------------------------------------------------------------------------


def test_bce_clips_exact_zero_and_one_float64():
    # p = 0 with y = 1 -> clip to 1e-7 -> -log(1e-7) = 16.1180957
    # p = 1 with y = 0 -> clip to 1 - 1e-7 -> -log(1 - (1 - 1e-7)) = -log(1e-7) (to rounding)
    out = losses.binary_crossentropy(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert np.all(np.isfinite(out))
    _allclose(out, [-math.log(EPS)], rtol=1e-6)
    # right answers at the clip bounds cost only -log(1 - 1e-7) ~ 1e-7
    out = losses.binary_crossentropy(np.array([[0.0, 1.0]]), np.array([[0.0, 1.0]]))
    _allclose(out, [-math.log1p(-EPS)], rtol=1e-6)
    # the gradient at the bounds is finite too (0, since the clip is flat there)
    dP = losses.BinaryCrossentropy().backward(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))
    assert np.all(np.isfinite(dP))


def test_bce_clips_exact_zero_and_one_float32():
    Y = np.array([[1.0, 0.0]], dtype=np.float32)
    P = np.array([[0.0, 1.0]], dtype=np.float32)
    out = losses.binary_crossentropy(Y, P)
    assert np.all(np.isfinite(out))
    # float32 rounds 1 - 1e-7 to 0.99999988, so the p=1 column gives -log(1.19e-7) = 15.94;
    # the mean of the two columns lies between 15.9 and 16.2
    assert 15.9 < float(out[0]) < 16.2
    value = losses.BinaryCrossentropy()(Y, P)
    assert math.isfinite(value) and 15.9 < value < 16.2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_logits_huge_are_finite_and_correct(dtype):
    Z = np.array([[1e4, -1e4]], dtype=dtype)
    bce = losses.BinaryCrossentropy(from_logits=True)
    # right side of both: max(z,0) - z y + log(1 + e^-1e4) = 0
    right = bce.forward_logits(np.array([[1.0, 0.0]], dtype=dtype), Z)
    # wrong side: 1e4 + log(1 + e^-1e4) = 1e4 each, mean 1e4
    wrong = bce.forward_logits(np.array([[0.0, 1.0]], dtype=dtype), Z)
    assert np.all(np.isfinite(right)) and np.all(np.isfinite(wrong))
    _allclose(right, [0.0], atol=1e-12)
    _allclose(wrong, [1e4], rtol=1e-7)
    # gradient (sigmoid(Z) - Y) / 2: [0, 0] and [1/2, -1/2]
    g_right = bce.backward_logits(np.array([[1.0, 0.0]], dtype=dtype), Z)
    g_wrong = bce.backward_logits(np.array([[0.0, 1.0]], dtype=dtype), Z)
    _allclose(g_right, [[0.0, 0.0]], atol=1e-12)
    _allclose(g_wrong, [[0.5, -0.5]], atol=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cce_logits_huge_are_finite_and_correct(dtype):
    Z = np.array([[1e4, 0.0], [1e4, 0.0], [-1e4, 1e4]], dtype=dtype)
    Y = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=dtype)
    cce = losses.CategoricalCrossentropy(from_logits=True)
    out = cce.forward_logits(Y, Z)
    assert np.all(np.isfinite(out))
    # label 0 of [1e4, 0]: log(1 + e^-1e4) = 0 ; label 1: 1e4 - 0 + ~0 = 1e4 ;
    # label 0 of [-1e4, 1e4]: 1e4 - (-1e4) = 2e4
    _allclose(out, [0.0, 1e4, 2e4], rtol=1e-7, atol=1e-12)
    g = cce.backward_logits(Y, Z)
    # softmax - Y: [[1,0]-[1,0]], [[1,0]-[0,1]], [[0,1]-[1,0]]
    _allclose(g, [[0.0, 0.0], [1.0, -1.0], [-1.0, 1.0]], atol=1e-12)


def test_huge_logits_through_call():
    assert losses.CategoricalCrossentropy(from_logits=True)([[0.0, 1.0]], [[1e4, 0.0]]) == (
        pytest.approx(1e4, rel=1e-12)
    )
    assert losses.BinaryCrossentropy(from_logits=True)([[1.0]], [[-1e4]]) == pytest.approx(
        1e4, rel=1e-12
    )


# --------------------------------------------------------------------------------------
# Gradients: backward vs central differences
# --------------------------------------------------------------------------------------






def _grad_cases():
    r = np.random.default_rng(42)
    N = 4
    Yr = r.normal(size=(N, 3))
    # errors e = P - Y with |e| in [0.1, 0.4] or [1.6, 2.5]: away from the kinks at
    # e = 0 (MAE) and |e| = delta (Huber, delta = 1 and 0.5)
    mag = np.where(r.random((N, 3)) < 0.5, r.uniform(0.1, 0.4, (N, 3)), r.uniform(1.6, 2.5, (N, 3)))
    Pr = Yr + mag * r.choice([-1.0, 1.0], size=(N, 3))
    Yb = r.integers(0, 2, size=(N, 3)).astype(np.float64)
    Pb = r.uniform(0.05, 0.95, size=(N, 3))
    Yc = np.eye(3)[r.integers(0, 3, size=N)]
    Yc_soft = r.dirichlet(np.ones(3), size=N)
    Pc = r.uniform(0.2, 1.5, size=(N, 3))  # unnormalised; ratios stay inside the clip
    # hinge: 1 - y p kept away from 0: p with |1 - y p| >= 0.1
    Yh = r.integers(0, 2, size=(N, 3)).astype(np.float64)
    signed = 2 * Yh - 1
    Ph = signed * (1.0 + r.choice([-1.0, 1.0], size=(N, 3)) * r.uniform(0.1, 0.9, (N, 3)))
    Yk = r.dirichlet(np.ones(3), size=N)
    Pk = r.uniform(0.05, 0.95, size=(N, 3))
    return [
        ("mse", losses.MeanSquaredError(), Yr, Pr),
        ("mae", losses.MeanAbsoluteError(), Yr, Pr),
        ("huber1", losses.Huber(1.0), Yr, Pr),
        ("huber_half", losses.Huber(0.5), Yr, Pr),
        ("bce", losses.BinaryCrossentropy(), Yb, Pb),
        ("bce_ls", losses.BinaryCrossentropy(label_smoothing=0.1), Yb, Pb),
        ("cce", losses.CategoricalCrossentropy(), Yc, Pc),
        ("cce_soft", losses.CategoricalCrossentropy(), Yc_soft, Pc),
        ("cce_ls", losses.CategoricalCrossentropy(label_smoothing=0.2), Yc, Pc),
        ("scce", losses.SparseCategoricalCrossentropy(), Yc, Pc),
        ("hinge01", losses.Hinge(), Yh, Ph),
        ("hinge_pm1", losses.Hinge(), signed, Ph),
        ("kld", losses.KLDivergence(), Yk, Pk),
    ]


@pytest.mark.parametrize("case", _grad_cases(), ids=lambda c: c[0])
def test_backward_matches_finite_differences(case, float64):
    _, loss, Y, P = case
    P = P.copy()
    analytic = loss.backward(Y, P)
    assert analytic.shape == P.shape
    numeric = num_grad(lambda Q: loss.forward(Y, Q).sum(), P)
    assert rel_err(analytic, numeric) < 1e-6
    assert np.abs(numeric).max() > 1e-3  # the check is not vacuous


@pytest.mark.parametrize(
    "loss,kind",
    [
        (losses.BinaryCrossentropy(from_logits=True), "binary"),
        (losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2), "binary"),
        (losses.CategoricalCrossentropy(from_logits=True), "onehot"),
        (losses.CategoricalCrossentropy(from_logits=True), "soft"),
        (losses.CategoricalCrossentropy(from_logits=True), "unnormalised"),
        (losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2), "onehot"),
    ],
)
def test_backward_logits_matches_finite_differences(loss, kind, float64):
    r = np.random.default_rng(7)
    Z = r.normal(scale=2.0, size=(4, 3))
    if kind == "binary":
        Y = r.integers(0, 2, size=(4, 3)).astype(np.float64)
    elif kind == "onehot":
        Y = np.eye(3)[[0, 2, 1, 2]]
    elif kind == "soft":
        Y = r.dirichlet(np.ones(3), size=4)
    else:  # rows that do not sum to 1: gradient is sum(Y) softmax(Z) - Y
        Y = r.uniform(0.0, 1.0, size=(4, 3))
    analytic = loss.backward_logits(Y, Z)
    numeric = num_grad(lambda Q: loss.forward_logits(Y, Q).sum(), Z.copy())
    assert rel_err(analytic, numeric) < 1e-6
    assert np.abs(numeric).max() > 1e-3


def test_cce_fused_gradient_is_softmax_minus_y(float64):
    Z = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0], [10.0, -10.0, 0.0]])
    Y = np.eye(3)[[2, 0, 1]]
    E = np.exp(Z - Z.max(axis=-1, keepdims=True))
    S = E / E.sum(axis=-1, keepdims=True)
    g = losses.CategoricalCrossentropy(from_logits=True).backward_logits(Y, Z)
    np.testing.assert_allclose(g, S - Y, rtol=0, atol=1e-15)
    # with the forward activations handed in, it is exactly A - Y
    np.testing.assert_array_equal(
        losses.CategoricalCrossentropy().backward_logits(Y, Z, A=S), S - Y
    )


def test_bce_fused_gradient_is_sigmoid_minus_y_over_k(float64):
    Z = np.array([[1.0, -2.0, 0.0], [4.0, 0.5, -0.25]])
    Y = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0]])
    S = 1.0 / (1.0 + np.exp(-Z))
    g = losses.BinaryCrossentropy(from_logits=True).backward_logits(Y, Z)
    np.testing.assert_allclose(g, (S - Y) / 3, rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(
        losses.BinaryCrossentropy().backward_logits(Y, Z, A=S), (S - Y) / 3, rtol=1e-15
    )


# --------------------------------------------------------------------------------------
# get()
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name,cls",
    [
        ("mean_squared_error", losses.MeanSquaredError),
        ("mse", losses.MeanSquaredError),
        ("MSE", losses.MeanSquaredError),
        ("MeanSquaredError", losses.MeanSquaredError),
        ("mean_absolute_error", losses.MeanAbsoluteError),
        ("mae", losses.MeanAbsoluteError),
        ("MAE", losses.MeanAbsoluteError),
        ("huber", losses.Huber),
        ("Huber", losses.Huber),
        ("binary_crossentropy", losses.BinaryCrossentropy),
        ("bce", losses.BinaryCrossentropy),
        ("BCE", losses.BinaryCrossentropy),
        ("categorical_crossentropy", losses.CategoricalCrossentropy),
        ("CategoricalCrossentropy", losses.CategoricalCrossentropy),
        ("sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy),
        ("hinge", losses.Hinge),
        ("kl_divergence", losses.KLDivergence),
        ("kld", losses.KLDivergence),
        ("KLD", losses.KLDivergence),
        ("KLDivergence", losses.KLDivergence),
    ],
)
def test_get_names(name, cls):
    loss = losses.get(name)
    assert type(loss) is cls


def test_get_class_name_gives_defaults():
    h = losses.get("Huber")
    assert h.delta == 1.0
    c = losses.get("CategoricalCrossentropy")
    assert c.from_logits is False and c.label_smoothing == 0.0


def test_get_instance_passthrough():
    inst = losses.BinaryCrossentropy(from_logits=True)
    assert losses.get(inst) is inst


@pytest.mark.parametrize("name", ["huber_loss", "nope", "mean_square_error"])
def test_get_unknown_raises_listing_valid_names(name):
    with pytest.raises(ValueError) as info:
        losses.get(name)
    msg = str(info.value)
    assert name in msg
    for valid in ("mean_squared_error", "huber", "categorical_crossentropy", "kld"):
        assert repr(valid) in msg


# -- the training step's fused value and gradient ---------------------------------------------


def _general_value_and_grad(loss, Y, Z, A, sw=None):
    L = loss.forward_logits(Y, Z, A)
    G = loss.backward_logits(Y, Z, A)
    return float(reduce(L, sw)), reduce_grad(G, L.size, sw)


@pytest.mark.parametrize("targets", ["one-hot", "soft", "unnormalized"])
def test_categorical_fused_output_loss_equals_the_general_path(targets, float64):
    rng = np.random.default_rng(5)
    Z = rng.normal(size=(6, 4)) * 2
    A = activations.get("softmax").forward(Z)
    if targets == "one-hot":
        Y = np.eye(4)[rng.integers(0, 4, 6)]
    else:
        Y = rng.random((6, 4))
        if targets == "soft":
            Y /= Y.sum(axis=-1, keepdims=True)
    unit = bool(np.all(Y.sum(axis=-1) == 1))
    assert unit == (targets == "one-hot")  # float rows that sum to 1 exactly are rare
    loss = CategoricalCrossentropy()
    value, G = fused_output_loss(loss, Y, Z, A, unit_rows=unit)
    value_ref, G_ref = _general_value_and_grad(loss, Y, Z, A)
    assert value == pytest.approx(value_ref, rel=1e-14)
    np.testing.assert_array_equal(G, G_ref)  # same operations, same bits
    # by hand: mean over rows of -sum_k Y log softmax(Z), gradient (A sum(Y) - Y) / n
    logp = Z - np.log(np.exp(Z).sum(axis=-1, keepdims=True))
    assert value == pytest.approx(-(Y * logp).sum() / 6, rel=1e-12)
    np.testing.assert_allclose(G, (A * Y.sum(axis=-1, keepdims=True) - Y) / 6, rtol=1e-12)


def test_categorical_fused_falls_back_to_log_softmax_when_a_probability_underflows(float64):
    Z = np.array([[0.0, 800.0], [1.0, 2.0]])
    A = activations.get("softmax").forward(Z)
    assert A.min() == 0.0
    Y = np.array([[1.0, 0.0], [0.0, 1.0]])
    value, G = fused_output_loss(CategoricalCrossentropy(), Y, Z, A, unit_rows=True)
    assert value == pytest.approx((800.0 + np.log1p(np.exp(-1.0))) / 2, rel=1e-12)
    assert np.isfinite(G).all()


@pytest.mark.parametrize("k", [1, 3])
def test_binary_fused_output_loss_equals_the_general_path(k, float64):
    rng = np.random.default_rng(6)
    Z = rng.normal(size=(5, k)) * 3
    A = activations.get("sigmoid").forward(Z)
    Y = (rng.random((5, k)) > 0.5).astype(float)
    loss = BinaryCrossentropy()
    value, G = fused_output_loss(loss, Y, Z, A)
    value_ref, G_ref = _general_value_and_grad(loss, Y, Z, A)
    assert value == pytest.approx(value_ref, rel=1e-14)
    np.testing.assert_allclose(G, G_ref, rtol=1e-14)
    np.testing.assert_allclose(G, (A - Y) / (5 * k), rtol=1e-14)


@pytest.mark.parametrize("cls", ["categorical_crossentropy", "binary_crossentropy"])
def test_fused_with_sample_weights_or_smoothing_uses_the_general_path(cls, float64):
    rng = np.random.default_rng(7)
    Z = rng.normal(size=(4, 3))
    act = "softmax" if cls.startswith("categorical") else "sigmoid"
    A = activations.get(act).forward(Z)
    Y = np.eye(3)[[0, 1, 2, 1]]
    sw = np.array([1.0, 2.0, 0.5, 0.0])
    for loss, weights in [
        (losses.get(cls), sw),
        (type(losses.get(cls))(label_smoothing=0.1), None),
    ]:
        value, G = fused_output_loss(loss, Y, Z, A, weights, unit_rows=True)
        value_ref, G_ref = _general_value_and_grad(loss, Y, Z, A, weights)
        assert value == value_ref
        np.testing.assert_array_equal(G, G_ref)


@pytest.mark.parametrize("base", [CategoricalCrossentropy, BinaryCrossentropy])
def test_fused_path_honours_a_subclass_that_overrides_the_logits_methods(base, float64):
    class Doubled(base):
        def forward_logits(self, Y, Z, A=None):
            return 2 * super().forward_logits(Y, Z, A)

        def backward_logits(self, Y, Z, A=None):
            return 2 * super().backward_logits(Y, Z, A)

    rng = np.random.default_rng(8)
    Z = rng.normal(size=(4, 3))
    act = "softmax" if base is CategoricalCrossentropy else "sigmoid"
    A = activations.get(act).forward(Z)
    Y = np.eye(3)[[0, 1, 2, 1]]
    value, G = fused_output_loss(Doubled(), Y, Z, A, unit_rows=True)
    value_ref, G_ref = fused_output_loss(base(), Y, Z, A, unit_rows=True)
    assert value == pytest.approx(2 * value_ref, rel=1e-14)
    np.testing.assert_allclose(G, 2 * G_ref, rtol=1e-14)


def test_the_a_minus_y_declaration_is_per_class_and_picks_the_short_kernel(float64):
    """The cross-entropies declare grad_is_a_minus_y; a subclass does not inherit it (so
    it gets the general path through its own logits methods) unless it declares it."""
    from nnlab.losses import SparseCategoricalCrossentropy
    from nnlab.step import fused_loss

    class Renamed(CategoricalCrossentropy):
        pass

    class Declared(CategoricalCrossentropy):
        grad_is_a_minus_y = True

    assert CategoricalCrossentropy.grad_is_a_minus_y and BinaryCrossentropy.grad_is_a_minus_y
    assert SparseCategoricalCrossentropy.grad_is_a_minus_y
    assert not Renamed.grad_is_a_minus_y and Declared.grad_is_a_minus_y
    assert not losses.MeanSquaredError.grad_is_a_minus_y
    rng = np.random.default_rng(9)
    Z = rng.normal(size=(5, 3))
    A = activations.get("softmax").forward(Z)
    Y = np.eye(3)[[0, 1, 2, 1, 0]]
    kernel = fused_loss.softmax_cross_entropy(Y, Z, A, True)
    general = _general_value_and_grad(Renamed(), Y, Z, A)
    for loss, (value_ref, G_ref) in [(Declared(), kernel), (Renamed(), general)]:
        value, G = fused_output_loss(loss, Y, Z, A, unit_rows=True)
        assert value == value_ref
        np.testing.assert_array_equal(G, G_ref)
    # by hand: (A - Y) / n, and the mean of -log A at the true classes
    np.testing.assert_allclose(kernel[1], (A - Y) / 5, rtol=1e-14)
    assert kernel[0] == pytest.approx(-np.log(A[np.arange(5), [0, 1, 2, 1, 0]]).mean(), rel=1e-14)
