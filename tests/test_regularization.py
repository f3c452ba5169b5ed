"""Regularization: weight penalties, BatchNormalization, Dropout and GaussianNoise.

Gradients are checked in float64 against central differences; every formula is the one
of /work/shared/KERAS-API.md (sections 1 and 6) and is recomputed here with NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from threadpoolctl import threadpool_limits  # installed with scikit-learn, an nnlab dependency

from nnlab import optimizers, regularizers
from nnlab.diagnostics import gradient_check
from nnlab.layers import (
    BatchNormalization,
    Dense,
    Dropout,
    Flatten,
    GaussianNoise,
    Input,
)
from nnlab.models import Sequential
from nnlab.utils import set_random_seed

TOL = 1e-6


def assert_gradients_ok(model, x, y):
    result = gradient_check(model, x, y)
    assert result.weights, "no weights were checked"
    assert result.inputs, "dL/dx was not checked"
    assert result.max_error < TOL, str(result)
    return result


def _randomize(model, rng, scale=0.7):
    """Every trainable weight away from 0 (no kinks of |w| at the start)."""
    for layer in model.layers:
        for W in layer.params.values():
            W[...] = rng.uniform(0.2, 1.0, size=W.shape) * rng.choice([-1, 1], size=W.shape)
            W *= scale


# -- 1. gradient checks -----------------------------------------------------------------


def test_gradcheck_batchnorm_training_mode(float64, rng):
    # No bias before BN: BN subtracts the batch mean, so such a bias has gradient exactly 0
    # and a relative error of 0 against round-off is meaningless (see the next test).
    model = Sequential(
        [Input(shape=(4,)), Dense(5, use_bias=False), BatchNormalization(), Dense(2)]
    )
    model.compile(optimizer="sgd", loss="mse")
    bn = model.layers[1]
    _randomize(model, rng)
    x = rng.normal(size=(8, 4))
    y = rng.normal(size=(8, 2))
    before = [w.copy() for w in bn.get_weights()]
    result = assert_gradients_ok(model, x, y)
    assert {(bn.name, "gamma"), (bn.name, "beta")} <= set(result.weights)
    # the check ran in training mode and put the moving statistics back afterwards
    for a, b in zip(before, bn.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bias_before_batchnorm_gets_zero_gradient(float64, rng):
    model = Sequential([Input(shape=(4,)), Dense(5), BatchNormalization(), Dense(2)])
    model.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss="mse")
    _randomize(model, rng)
    bias = model.get_weights()[1]
    model.train_on_batch(rng.normal(size=(8, 4)), rng.normal(size=(8, 2)))
    np.testing.assert_allclose(model.get_weights()[1], bias, rtol=0, atol=1e-14)
    assert not np.allclose(model.get_weights()[0], 0.0)


@pytest.mark.parametrize(
    "center, scale, names",
    [(False, True, {"gamma"}), (True, False, {"beta"}), (False, False, set())],
)
def test_gradcheck_batchnorm_without_center_or_scale(float64, rng, center, scale, names):
    bn = BatchNormalization(center=center, scale=scale)
    model = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"), bn, Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    _randomize(model, rng)
    result = assert_gradients_ok(model, rng.normal(size=(7, 3)), rng.normal(size=(7, 2)))
    assert {n for (layer, n) in result.weights if layer == bn.name} == names
    assert set(bn.params) == names
    assert list(bn.state) == ["moving_mean", "moving_variance"]


def test_gradcheck_batchnorm_on_3d_input_last_axis(float64, rng):
    bn = BatchNormalization(axis=-1)
    model = Sequential([Input(shape=(3, 4)), Dense(4, use_bias=False), bn, Flatten(), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    _randomize(model, rng)
    x = rng.normal(size=(5, 3, 4))
    assert_gradients_ok(model, x, rng.normal(size=(5, 2)))
    assert bn.params["gamma"].shape == (4,)
    # statistics reduce over the batch and the middle axis: 15 values per feature
    h = model.layers[0](x)
    out = bn(h, training=True)
    np.testing.assert_allclose(out.mean(axis=(0, 1)), bn.params["beta"], atol=1e-12)
    var = h.var(axis=(0, 1))
    np.testing.assert_allclose(
        out.var(axis=(0, 1)), bn.params["gamma"] ** 2 * var / (var + 1e-3), rtol=1e-10
    )


def test_gradcheck_dropout_with_held_mask(float64, rng):
    drop = Dropout(0.5, seed=3)
    model = Sequential([Input(shape=(3,)), Dense(8, activation="tanh"), drop, Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    _randomize(model, rng)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    assert_gradients_ok(model, x, y)
    mask = drop.mask
    assert mask is not None, "the check must run Dropout in training mode"
    assert set(np.unique(mask)) == {0.0, 2.0}  # some units dropped, kept ones scaled by 2


def test_gradcheck_gaussian_noise(float64, rng):
    model = Sequential(
        [
            Input(shape=(3,)),
            Dense(5),
            GaussianNoise(0.5, seed=1),
            Dense(4, activation="tanh"),
            Dense(2),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    _randomize(model, rng)
    assert_gradients_ok(model, rng.normal(size=(6, 3)), rng.normal(size=(6, 2)))


@pytest.mark.parametrize(
    "reg",
    [regularizers.L1(0.05), regularizers.L2(0.07), regularizers.L1L2(l1=0.03, l2=0.04)],
    ids=["l1", "l2", "l1l2"],
)
def test_gradcheck_penalties_on_kernel_and_bias(float64, rng, reg):
    model = Sequential(
        [
            Input(shape=(3,)),
            Dense(4, activation="tanh", kernel_regularizer=reg, bias_regularizer=reg),
            Dense(2, kernel_regularizer=reg, bias_regularizer=reg),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    _randomize(model, rng)
    result = assert_gradients_ok(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))
    assert len(result.weights) == 4


def test_penalty_and_gradient_formulas(rng):
    W = rng.normal(size=(4, 3))
    l1, l2 = 0.03, 0.07
    np.testing.assert_array_equal(regularizers.L2(l2).grad(W), 2 * l2 * W)
    np.testing.assert_array_equal(regularizers.L1(l1).grad(W), l1 * np.sign(W))
    np.testing.assert_allclose(
        regularizers.L1L2(l1, l2).grad(W), l1 * np.sign(W) + 2 * l2 * W, rtol=1e-15
    )
    assert regularizers.L2(l2)(W) == pytest.approx(l2 * np.sum(W**2), rel=1e-14)  # no 1/2
    assert regularizers.L1(l1)(W) == pytest.approx(l1 * np.sum(np.abs(W)), rel=1e-14)
    assert regularizers.L1L2(l1, l2)(W) == pytest.approx(
        l1 * np.abs(W).sum() + l2 * (W**2).sum(), rel=1e-14
    )
    # Keras defaults: L1/L2 0.01, L1L2 both 0
    assert regularizers.L2().l2 == 0.01 and regularizers.L1().l1 == 0.01
    assert regularizers.L1L2()(W) == 0.0


def _pair(reg, rng, lr=1.0):
    """The same 3-4-2 network with and without penalties on the kernels and biases."""
    models = []
    for r in (reg, None):
        m = Sequential(
            [
                Input(shape=(3,)),
                Dense(4, activation="tanh", kernel_regularizer=r, bias_regularizer=r),
                Dense(2, kernel_regularizer=r),
            ]
        )
        m.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="mse")
        models.append(m)
    _randomize(models[0], rng)
    models[1].set_weights(models[0].get_weights())
    return models


def _hand_penalty(weights, l1=0.0, l2=0.0):
    kernel0, bias0, kernel1, _ = weights
    return sum(l1 * np.abs(W).sum() + l2 * (W**2).sum() for W in (kernel0, bias0, kernel1))


def test_l2_step_adds_exactly_2_l2_w(float64, rng):
    l2 = 0.05
    reg_model, plain = _pair(regularizers.L2(l2), rng, lr=1.0)
    W0 = reg_model.get_weights()
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    reg_model.train_on_batch(x, y)
    plain.train_on_batch(x, y)
    # with lr = 1: W_reg - W_plain = -(gradient of the penalty) = -2 * l2 * W
    for i, has_penalty in enumerate([True, True, True, False]):
        diff = reg_model.get_weights()[i] - plain.get_weights()[i]
        expected = -2 * l2 * W0[i] if has_penalty else np.zeros_like(W0[i])
        np.testing.assert_allclose(diff, expected, rtol=1e-9, atol=1e-14)


def test_l1_step_adds_l1_sign_w(float64, rng):
    l1 = 0.02
    reg_model, plain = _pair(regularizers.L1(l1), rng, lr=1.0)
    W0 = reg_model.get_weights()
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    reg_model.train_on_batch(x, y)
    plain.train_on_batch(x, y)
    for i in range(3):
        diff = reg_model.get_weights()[i] - plain.get_weights()[i]
        np.testing.assert_allclose(diff, -l1 * np.sign(W0[i]), rtol=1e-9, atol=1e-14)


@pytest.mark.parametrize("l1, l2", [(0.0, 0.03), (0.02, 0.0), (0.01, 0.02)])
def test_penalty_is_added_to_evaluate_and_fit_loss(float64, rng, l1, l2):
    reg_model, plain = _pair(regularizers.L1L2(l1=l1, l2=l2), rng, lr=0.05)
    x, y = rng.normal(size=(10, 3)), rng.normal(size=(10, 2))
    penalty = _hand_penalty(reg_model.get_weights(), l1, l2)
    assert penalty > 0.01
    loss_reg = reg_model.evaluate(x, y, verbose=0)
    loss_plain = plain.evaluate(x, y, verbose=0)
    assert loss_reg == pytest.approx(loss_plain + penalty, rel=1e-12)
    # evaluate in batches: the penalty is added in full to every batch, not divided
    assert reg_model.evaluate(x, y, batch_size=3, verbose=0) == pytest.approx(
        plain.evaluate(x, y, batch_size=3, verbose=0) + penalty, rel=1e-12
    )
    # fit's logged loss is computed before the update: loss + penalty at the start weights
    history = reg_model.fit(x, y, batch_size=10, epochs=1, verbose=0)
    assert history.history["loss"][0] == pytest.approx(loss_plain + penalty, rel=1e-12)
    # validation loss (after the epoch's update) includes the penalty of the new weights
    h2 = reg_model.fit(x, y, batch_size=10, epochs=1, verbose=0, validation_data=(x, y))
    new_weights = reg_model.get_weights()
    plain.set_weights(new_weights)
    penalty_now = _hand_penalty(new_weights, l1, l2)
    assert h2.history["val_loss"][0] == pytest.approx(
        plain.evaluate(x, y, verbose=0) + penalty_now, rel=1e-12
    )
    assert penalty_now != pytest.approx(penalty)  # the weights did move
    # train_on_batch returns the pre-update loss with the penalty too
    assert reg_model.train_on_batch(x, y) == pytest.approx(
        plain.evaluate(x, y, verbose=0) + penalty_now, rel=1e-12
    )


# -- 2. BatchNormalization ----------------------------------------------------------


def _bn_model(C=3, **kw):
    bn = BatchNormalization(**kw)
    model = Sequential([Input(shape=(C,)), bn])
    return model, bn


def test_batchnorm_weight_order_and_count_params():
    model, bn = _bn_model(C=5)
    assert [w.shape for w in model.get_weights()] == [(5,)] * 4
    gamma, beta, mm, mv = model.get_weights()
    np.testing.assert_array_equal(gamma, 1.0)
    np.testing.assert_array_equal(beta, 0.0)
    np.testing.assert_array_equal(mm, 0.0)
    np.testing.assert_array_equal(mv, 1.0)
    assert model.count_params() == 20  # includes the 2*C moving statistics
    assert bn.count_params() == 20
    no_center, _ = _bn_model(C=5, center=False)
    assert no_center.count_params() == 15
    wide = Sequential([Input(shape=(3,)), Dense(7), BatchNormalization()])
    assert wide.count_params() == 3 * 7 + 7 + 4 * 7


def test_batchnorm_inference_uses_moving_statistics(rng):
    model, bn = _bn_model(C=3)
    gamma = np.array([1.5, -0.5, 2.0], dtype="float32")
    beta = np.array([0.1, 0.2, -0.3], dtype="float32")
    mm = np.array([1.0, -2.0, 0.5], dtype="float32")
    mv = np.array([4.0, 0.25, 9.0], dtype="float32")
    model.set_weights([gamma, beta, mm, mv])
    x = rng.normal(3.0, 2.0, size=(6, 3)).astype("float32")
    expected = gamma * (x - mm) / np.sqrt(mv + 1e-3) + beta
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn(x, training=False), expected, rtol=1e-5, atol=1e-6)
    # inference leaves the moving statistics alone
    np.testing.assert_array_equal(model.get_weights()[2], mm)
    np.testing.assert_array_equal(model.get_weights()[3], mv)


def test_batchnorm_training_normalizes_with_batch_statistics(float64, rng):
    _, bn = _bn_model(C=4, momentum=0.9)
    x = rng.normal([1.0, -3.0, 10.0, 0.0], [2.0, 0.5, 4.0, 1.0], size=(64, 4))
    out = bn(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-12)
    var_b = x.var(axis=0)  # biased
    np.testing.assert_allclose(out.var(axis=0), var_b / (var_b + 1e-3), rtol=1e-12)
    np.testing.assert_allclose(out.var(axis=0), 1.0, atol=5e-3)
    np.testing.assert_allclose(out, (x - x.mean(axis=0)) / np.sqrt(var_b + 1e-3), rtol=1e-12)
    # the moving statistics after one forward, by hand (biased variance)
    np.testing.assert_allclose(bn.state["moving_mean"], 0.9 * 0.0 + 0.1 * x.mean(axis=0))
    np.testing.assert_allclose(bn.state["moving_variance"], 0.9 * 1.0 + 0.1 * var_b)
    assert not np.allclose(bn.state["moving_variance"], 0.9 + 0.1 * x.var(axis=0, ddof=1))
    # a second forward moves them again from the new values
    x2 = rng.normal(size=(16, 4))
    mm1, mv1 = bn.state["moving_mean"].copy(), bn.state["moving_variance"].copy()
    bn(x2, training=True)
    np.testing.assert_allclose(bn.state["moving_mean"], 0.9 * mm1 + 0.1 * x2.mean(axis=0))
    np.testing.assert_allclose(bn.state["moving_variance"], 0.9 * mv1 + 0.1 * x2.var(axis=0))


def test_batchnorm_default_momentum_update(float64, rng):
    _, bn = _bn_model(C=2)
    x = rng.normal(5.0, 3.0, size=(32, 2))
    bn(x, training=True)
    np.testing.assert_allclose(bn.state["moving_mean"], 0.01 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.state["moving_variance"], 0.99 + 0.01 * x.var(axis=0), rtol=1e-12)


def test_batchnorm_moving_statistics_approach_data_statistics_after_fit():
    r = np.random.default_rng(7)
    x = r.normal(5.0, 3.0, size=(640, 3)).astype("float32")
    y = (x @ np.array([[0.1], [-0.2], [0.05]]) + r.normal(0, 0.1, size=(640, 1))).astype("float32")
    bn = BatchNormalization()
    model = Sequential([Input(shape=(3,)), bn, Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.01), loss="mse")
    model.fit(x, y, batch_size=32, epochs=20, verbose=0, seed=0)  # 400 steps
    _, _, mm, mv = model.get_weights()[:4]
    np.testing.assert_allclose(mm, x.mean(axis=0), rtol=0.1)
    np.testing.assert_allclose(mv, x.var(axis=0), rtol=0.1)
    np.testing.assert_allclose(mm, 5.0, rtol=0.1)
    np.testing.assert_allclose(mv, 9.0, rtol=0.1)


def test_batchnorm_trainable_false_forces_inference(float64, rng):
    _, bn = _bn_model(C=3, trainable=False)
    bn.set_weights(
        [
            np.array([2.0, 1.0, 0.5]),
            np.array([0.0, 1.0, -1.0]),
            np.array([1.0, 2.0, 3.0]),
            np.array([4.0, 1.0, 0.25]),
        ]
    )
    x = rng.normal(size=(10, 3))
    gamma, beta, mm, mv = bn.get_weights()
    out = bn(x, training=True)
    np.testing.assert_allclose(out, gamma * (x - mm) / np.sqrt(mv + 1e-3) + beta, rtol=1e-12)
    np.testing.assert_array_equal(bn.state["moving_mean"], mm)
    np.testing.assert_array_equal(bn.state["moving_variance"], mv)
    # and the same through a model being fit: the layer's statistics do not move
    model = Sequential([Input(shape=(3,)), bn, Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, rng.normal(size=(10, 1)), epochs=2, verbose=0)
    np.testing.assert_array_equal(bn.get_weights()[2], mm)
    np.testing.assert_array_equal(bn.get_weights()[0], gamma)


# -- 3. Dropout and GaussianNoise -------------------------------------------------------


@pytest.mark.parametrize("rate", [0.2, 0.5, 0.8])
def test_dropout_training_drops_rate_and_keeps_the_mean(rate):
    drop = Dropout(rate, seed=11)
    X = np.ones((200, 500), dtype="float32")
    out = drop.forward(X, training=True)
    dropped = float(np.mean(out == 0))
    assert abs(dropped - rate) < 0.02
    assert abs(float(out.mean()) - 1.0) < 0.02
    kept = out[out != 0]
    np.testing.assert_allclose(kept, 1.0 / (1.0 - rate), rtol=1e-6)
    # backward uses the same mask and scale
    dX = drop.backward(np.ones_like(X))
    np.testing.assert_array_equal(dX, out)


def test_keep_mask_law_shape_and_odd_sizes():
    from nnlab.layers.dropout import keep_mask

    rng = np.random.default_rng(5)
    for keep in (0.1, 0.5, 0.75, 0.999):
        n = 400_000
        kept = int(keep_mask(rng, (n,), keep).sum())
        # within 5 binomial standard deviations of n * keep
        assert abs(kept - n * keep) < 5 * np.sqrt(n * keep * (1 - keep)), keep
    # odd counts take half of a last 64-bit draw; every entry is drawn (no stuck tail)
    mask = keep_mask(np.random.default_rng(0), (3, 5, 7), 0.5)
    assert mask.shape == (3, 5, 7) and mask.dtype == bool
    tails = [keep_mask(np.random.default_rng(s), (101,), 0.5)[-1] for s in range(64)]
    assert 10 < sum(tails) < 54
    assert keep_mask(rng, (4, 3), 1.0).all()
    # the mask is a function of the generator's state: same state, same mask
    a, b = np.random.default_rng(9), np.random.default_rng(9)
    np.testing.assert_array_equal(keep_mask(a, (50,), 0.3), keep_mask(b, (50,), 0.3))


def test_dropout_is_identity_at_inference(rng):
    x = rng.normal(size=(20, 6)).astype("float32")
    model = Sequential([Input(shape=(6,)), Dropout(0.5, seed=1)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    np.testing.assert_array_equal(Dropout(0.9)(x), x)
    np.testing.assert_array_equal(Dropout(0.9).forward(x, training=False), x)


def test_dropout_rate_zero_is_identity_and_one_is_refused():
    X = np.full((50, 40), 3.0, dtype="float32")
    np.testing.assert_array_equal(Dropout(0.0).forward(X, training=True), X)
    with pytest.raises(ValueError, match=r"expects a number in \[0, 1\).*rate=1.0"):
        Dropout(1.0)  # every unit dropped: nothing meaningful could be learned


def test_dropout_same_seed_same_mask():
    X = np.ones((30, 40), dtype="float32")
    a = Dropout(0.5, seed=42).forward(X, training=True)
    b = Dropout(0.5, seed=42).forward(X, training=True)
    c = Dropout(0.5, seed=43).forward(X, training=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # and with the global seed: same set_random_seed, same masks
    set_random_seed(5)
    d = Dropout(0.5).forward(X, training=True)
    set_random_seed(5)
    e = Dropout(0.5).forward(X, training=True)
    np.testing.assert_array_equal(d, e)


@pytest.mark.parametrize("rate", [-0.1, 1.01, 2, "0.5", None, True])
def test_dropout_invalid_rate_raises(rate):
    with pytest.raises(ValueError, match="rate"):
        Dropout(rate)


def test_gaussian_noise_identity_at_inference_and_std_in_training(rng):
    x = rng.normal(size=(10, 4)).astype("float32")
    model = Sequential([Input(shape=(4,)), GaussianNoise(0.5, seed=0)])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)
    noise_layer = GaussianNoise(0.3, seed=2)
    X = np.ones((200, 500), dtype="float32")
    out = noise_layer.forward(X, training=True)
    noise = out - X
    assert abs(float(noise.std()) - 0.3) < 0.02 * 0.3
    assert abs(float(noise.mean())) < 0.01
    np.testing.assert_array_equal(GaussianNoise(0.0).forward(X, training=True), X)


@pytest.mark.parametrize("stddev", [-0.1, 1.5, "0.1"])
def test_gaussian_noise_invalid_stddev_raises(stddev):
    with pytest.raises(ValueError, match="stddev"):
        GaussianNoise(stddev)


# -- 8. regularization shrinks the generalization gap ---------------------------------


def _overfit_gap(regularize: bool) -> float:
    r = np.random.default_rng(0)

    def f(X):
        return np.sin(2 * X[:, :1]) + 0.5 * X[:, 1:2]

    x_train = r.uniform(-2, 2, size=(30, 2)).astype("float32")
    y_train = (f(x_train) + r.normal(0, 0.3, size=(30, 1))).astype("float32")
    x_val = r.uniform(-2, 2, size=(300, 2)).astype("float32")
    y_val = (f(x_val) + r.normal(0, 0.3, size=(300, 1))).astype("float32")
    set_random_seed(0)
    reg = regularizers.L2(3e-2) if regularize else None
    layers = [Input(shape=(2,))]
    for _ in range(2):
        layers.append(Dense(256, activation="relu", kernel_regularizer=reg))
        if regularize:
            layers.append(Dropout(0.2))
    layers.append(Dense(1))
    model = Sequential(layers)
    model.compile(optimizer=optimizers.Adam(learning_rate=3e-3), loss="mse")
    # one BLAS thread: small matmuls run far slower when threads compete for 2 cores
    with threadpool_limits(limits=1):
        model.fit(x_train, y_train, batch_size=30, epochs=300, verbose=0, seed=0)
    # both evaluations add the same penalty, so it cancels in the gap
    train = model.evaluate(x_train, y_train, verbose=0)
    val = model.evaluate(x_val, y_val, verbose=0)
    return val - train, train


def test_dropout_and_l2_shrink_the_overfitting_gap():
    gap_plain, train_plain = _overfit_gap(False)
    gap_reg, _ = _overfit_gap(True)
    assert train_plain < 0.05  # the plain network does overfit the 30 noisy samples
    assert gap_plain > 0.05
    assert gap_reg < 0.75 * gap_plain  # about 0.105 against 0.255
