"""Optimizers: the first steps against hand computations of Keras 3's update rules.

Every expected value here is written out from the formulas in KERAS-API.md section 4
(Keras 3's `keras/src/optimizers/*.py`), in plain NumPy, never by calling nnlab.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnlab import optimizers
from nnlab.optimizers import SGD, Adadelta, Adagrad, Adam, RMSprop

# A small problem: three weights and three different gradients with mixed signs. The
# last entry goes from a large gradient to tiny ones, so Adam's v shrinks after step 1
# and amsgrad's running maximum differs from plain Adam.
W0 = np.array([1.0, -2.0, 0.5])
G1 = np.array([0.5, -1.0, 2.0])
G2 = np.array([-0.3, 0.4, 0.01])
G3 = np.array([0.2, 0.8, -0.02])
GRADS = [G1, G2, G3]

EPS = 1e-7  # keras.config.epsilon()


def run_three_steps(opt, w0=W0, grads=GRADS, via="apply"):
    """Apply the gradients one step at a time; return copies of the weights after each."""
    w = w0.copy()
    after = []
    for g in grads:
        if via == "apply":
            opt.apply([w], [g.copy()])  # the gradient is clipped in place: pass a copy
        else:
            opt.apply_gradients([(g.copy(), w)])
        after.append(w.copy())
    return after


def assert_steps_equal(actual, expected, w0=W0):
    """Weights after each step to rtol 1e-12, and each step's update to rtol 1e-8.

    The update check matters where updates are tiny next to the weights (Adadelta):
    there the weights alone would hide an error in the update's later digits.
    """
    assert len(actual) == len(expected) == 3
    prev_a, prev_e = w0, w0
    for i, (a, e) in enumerate(zip(actual, expected, strict=True), start=1):
        np.testing.assert_allclose(a, e, rtol=1e-12, atol=0, err_msg=f"weights after step {i}")
        np.testing.assert_allclose(
            a - prev_a, e - prev_e, rtol=1e-8, atol=1e-18, err_msg=f"update of step {i}"
        )
        prev_a, prev_e = a, e


# -- update rules: three steps each, default arguments -----------------------------------


def test_sgd_first_three_steps_match_keras_formula():
    opt = SGD()
    actual = run_three_steps(opt)

    # Step 1 worked out, w <- w - lr * g with lr = 0.01:
    #   w = [1.0, -2.0, 0.5] - 0.01 * [0.5, -1.0, 2.0]
    #     = [1.0 - 0.005, -2.0 + 0.01, 0.5 - 0.02] = [0.995, -1.99, 0.48]
    np.testing.assert_allclose(actual[0], [0.995, -1.99, 0.48], rtol=1e-12, atol=0)

    lr = 0.01
    expected = []
    w = W0.copy()
    for g in GRADS:
        w = w - lr * g  # momentum == 0: w <- w - lr * g
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_sgd_momentum_first_three_steps_match_keras_formula():
    opt = SGD(momentum=0.9)
    actual = run_three_steps(opt)

    lr, mu = 0.01, 0.9
    v = np.zeros(3)
    w = W0.copy()
    expected = []
    for g in GRADS:
        v = mu * v - lr * g  # v <- mu v - lr g   (lr inside the velocity)
        w = w + v  # w <- w + v
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_sgd_nesterov_first_three_steps_match_keras_formula():
    opt = SGD(momentum=0.9, nesterov=True)
    actual = run_three_steps(opt)

    lr, mu = 0.01, 0.9
    v = np.zeros(3)
    w = W0.copy()
    expected = []
    for g in GRADS:
        v = mu * v - lr * g  # v <- mu v - lr g
        w = w + mu * v - lr * g  # Nesterov: w <- w + mu v - lr g, with the new v
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_sgd_momentum_and_nesterov_differ_from_plain_sgd():
    # A guard on the data: the three SGD variants really are told apart by these steps.
    plain = run_three_steps(SGD())[-1]
    mom = run_three_steps(SGD(momentum=0.9))[-1]
    nest = run_three_steps(SGD(momentum=0.9, nesterov=True))[-1]
    assert not np.allclose(plain, mom, rtol=1e-6)
    assert not np.allclose(mom, nest, rtol=1e-6)


def test_adagrad_first_three_steps_match_keras_formula():
    opt = Adagrad()
    actual = run_three_steps(opt)

    lr = 0.001
    a = np.full(3, 0.1)  # accumulator starts at initial_accumulator_value = 0.1
    w = W0.copy()
    expected = []
    for g in GRADS:
        a = a + g**2  # a <- a + g^2
        w = w - lr * g / np.sqrt(a + EPS)  # w <- w - lr g / sqrt(a + eps)  (eps inside)
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_rmsprop_first_three_steps_match_keras_formula():
    opt = RMSprop()
    actual = run_three_steps(opt)

    lr, rho = 0.001, 0.9
    s = np.zeros(3)
    w = W0.copy()
    expected = []
    for g in GRADS:
        s = rho * s + (1 - rho) * g**2  # s <- rho s + (1 - rho) g^2
        w = w - lr * g / np.sqrt(s + EPS)  # w <- w - lr g / sqrt(s + eps)
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_rmsprop_centered_first_three_steps_match_keras_formula():
    opt = RMSprop(centered=True)
    actual = run_three_steps(opt)

    lr, rho = 0.001, 0.9
    s = np.zeros(3)
    gbar = np.zeros(3)
    w = W0.copy()
    expected = []
    for g in GRADS:
        s = rho * s + (1 - rho) * g**2  # s <- rho s + (1 - rho) g^2
        gbar = rho * gbar + (1 - rho) * g  # gbar <- rho gbar + (1 - rho) g
        denom = s - gbar**2 + EPS  # D = s - gbar^2 + eps
        w = w - lr * g / np.sqrt(denom)  # w <- w - lr g / sqrt(D)
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_rmsprop_momentum_first_three_steps_match_keras_formula():
    opt = RMSprop(momentum=0.5)
    actual = run_three_steps(opt)

    lr, rho, mu = 0.001, 0.9, 0.5
    s = np.zeros(3)
    m = np.zeros(3)
    w = W0.copy()
    expected = []
    for g in GRADS:
        s = rho * s + (1 - rho) * g**2  # s <- rho s + (1 - rho) g^2
        delta = lr * g / np.sqrt(s + EPS)  # Delta = lr g / sqrt(s + eps)
        m = mu * m + delta  # m <- mu m + Delta
        w = w - m  # w <- w - m
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_adam_first_three_steps_match_keras_formula():
    opt = Adam()
    actual = run_three_steps(opt, via="apply_gradients")

    # Step 1 worked out (t = 1), g = [0.5, -1.0, 2.0]:
    #   m = 0 + 0.1 * (g - 0)        = [0.05, -0.1, 0.2]
    #   v = 0 + 0.001 * (g^2 - 0)    = [0.00025, 0.001, 0.004]
    #   alpha = 0.001 * sqrt(1 - 0.999) / (1 - 0.9) = 3.1622776601683816e-4
    #   sqrt(v) = [0.015811388300841896, 0.03162277660168379, 0.06324555320336758]
    #   alpha * m / (sqrt(v) + 1e-7)
    #         = [9.999936754846801e-4, -9.999968377323405e-4, 9.999984188636707e-4]
    #   w = [0.9990000063245154, -1.9990000031622677, 0.49900000158113633]
    np.testing.assert_allclose(
        actual[0],
        [0.9990000063245154, -1.9990000031622677, 0.49900000158113633],
        rtol=1e-12,
        atol=0,
    )

    lr, b1, b2 = 0.001, 0.9, 0.999
    m = np.zeros(3)
    v = np.zeros(3)
    w = W0.copy()
    expected = []
    for t, g in enumerate(GRADS, start=1):  # t = iterations + 1
        m = m + (1 - b1) * (g - m)  # m <- m + (1 - b1)(g - m)
        v = v + (1 - b2) * (g**2 - v)  # v <- v + (1 - b2)(g^2 - v)
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)  # alpha = lr sqrt(1-b2^t)/(1-b1^t)
        w = w - alpha * m / (np.sqrt(v) + EPS)  # eps added to sqrt of the uncorrected v
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_adam_amsgrad_first_three_steps_match_keras_formula():
    opt = Adam(amsgrad=True)
    actual = run_three_steps(opt)

    lr, b1, b2 = 0.001, 0.9, 0.999
    m = np.zeros(3)
    v = np.zeros(3)
    v_hat = np.zeros(3)
    w = W0.copy()
    expected = []
    for t, g in enumerate(GRADS, start=1):
        m = m + (1 - b1) * (g - m)
        v = v + (1 - b2) * (g**2 - v)
        v_hat = np.maximum(v_hat, v)  # amsgrad: v_hat <- max(v_hat, v), used in place of v
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - alpha * m / (np.sqrt(v_hat) + EPS)
        expected.append(w)
        if t >= 2:  # the data really exercises the maximum: the last entry's v shrank
            assert v_hat[2] > v[2]
    assert_steps_equal(actual, expected)
    # ... and so amsgrad ends somewhere else than plain Adam.
    assert not np.allclose(actual[-1], run_three_steps(Adam())[-1], rtol=1e-12, atol=0)


def test_adadelta_first_three_steps_match_keras_formula():
    opt = Adadelta()
    actual = run_three_steps(opt)

    lr, rho = 0.001, 0.95
    e_g = np.zeros(3)
    e_dx = np.zeros(3)
    w = W0.copy()
    expected = []
    for g in GRADS:
        e_g = rho * e_g + (1 - rho) * g**2  # E_g <- rho E_g + (1 - rho) g^2
        dx = -np.sqrt(e_dx + EPS) / np.sqrt(e_g + EPS) * g  # uses E_dx from before
        e_dx = rho * e_dx + (1 - rho) * dx**2  # E_dx <- rho E_dx + (1 - rho) dx^2
        w = w + lr * dx  # w <- w + lr dx
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_apply_gradients_matches_apply():
    via_apply = run_three_steps(RMSprop(centered=True, momentum=0.5))
    via_pairs = run_three_steps(RMSprop(centered=True, momentum=0.5), via="apply_gradients")
    for a, b in zip(via_apply, via_pairs, strict=True):
        np.testing.assert_array_equal(a, b)


# -- defaults and lookup by name ---------------------------------------------------------


@pytest.mark.parametrize(
    "cls, attr, value",
    [
        (SGD, "learning_rate", 0.01),
        (SGD, "momentum", 0.0),
        (SGD, "nesterov", False),
        (Adagrad, "learning_rate", 0.001),
        (Adagrad, "initial_accumulator_value", 0.1),
        (Adagrad, "epsilon", 1e-7),
        (RMSprop, "learning_rate", 0.001),
        (RMSprop, "rho", 0.9),
        (RMSprop, "momentum", 0.0),
        (RMSprop, "epsilon", 1e-7),
        (RMSprop, "centered", False),
        (Adam, "learning_rate", 0.001),
        (Adam, "beta_1", 0.9),
        (Adam, "beta_2", 0.999),
        (Adam, "epsilon", 1e-7),
        (Adam, "amsgrad", False),
        (Adadelta, "learning_rate", 0.001),
        (Adadelta, "rho", 0.95),
        (Adadelta, "epsilon", 1e-7),
    ],
)
def test_default_arguments_match_keras(cls, attr, value):
    assert getattr(cls(), attr) == value


@pytest.mark.parametrize("cls", [SGD, Adagrad, RMSprop, Adam, Adadelta])
def test_defaults_have_no_clipping_and_no_weight_decay(cls):
    opt = cls()
    assert opt.clipnorm is None
    assert opt.clipvalue is None
    assert opt.global_clipnorm is None
    assert opt.weight_decay is None
    assert opt.iterations == 0


@pytest.mark.parametrize(
    "name, cls, lr",
    [
        ("adam", Adam, 0.001),
        ("Adam", Adam, 0.001),
        ("SGD", SGD, 0.01),
        ("sgd", SGD, 0.01),
        ("RMSprop", RMSprop, 0.001),
        ("ADAGRAD", Adagrad, 0.001),
        ("adadelta", Adadelta, 0.001),
    ],
)
def test_get_by_name_is_case_insensitive_and_returns_a_default_instance(name, cls, lr):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert opt.learning_rate == lr
    assert opt.iterations == 0


def test_get_returns_a_fresh_instance_per_call_and_passes_instances_through():
    assert optimizers.get("adam") is not optimizers.get("adam")
    opt = SGD(momentum=0.9)
    assert optimizers.get(opt) is opt


def test_get_unknown_name_raises_value_error_listing_valid_names():
    with pytest.raises(ValueError) as info:
        optimizers.get("adamw_fancy")
    message = str(info.value)
    assert "adamw_fancy" in message
    for valid in ("sgd", "adagrad", "rmsprop", "adam", "adadelta"):
        assert valid in message


# -- gradient clipping -------------------------------------------------------------------


def test_clipvalue_clips_each_entry():
    opt = SGD(learning_rate=1.0, clipvalue=0.5)
    w = np.zeros(4)
    opt.apply([w], [np.array([0.2, -0.7, 3.0, -0.5])])
    # g <- clip(g, -0.5, 0.5) = [0.2, -0.5, 0.5, -0.5]; w <- 0 - 1.0 * g
    np.testing.assert_allclose(w, [-0.2, 0.5, -0.5, 0.5], rtol=1e-12, atol=0)


def test_clipnorm_rescales_each_tensor_separately():
    opt = SGD(learning_rate=1.0, clipnorm=1.0)
    w1, w2 = np.zeros(2), np.zeros(2)
    g1 = np.array([3.0, 4.0])  # ||g1|| = 5 > 1:   g1 * 1 / 5 = [0.6, 0.8]
    g2 = np.array([0.3, -0.4])  # ||g2|| = 0.5 <= 1: unchanged
    opt.apply([w1, w2], [g1, g2])
    np.testing.assert_allclose(w1, [-0.6, -0.8], rtol=1e-12, atol=0)
    np.testing.assert_allclose(w2, [-0.3, 0.4], rtol=1e-12, atol=0)


def test_clipnorm_uses_the_frobenius_norm_of_a_matrix():
    opt = SGD(learning_rate=1.0, clipnorm=2.0)
    w = np.zeros((2, 2))
    g = np.array([[1.0, 2.0], [2.0, 4.0]])  # ||g|| = sqrt(1 + 4 + 4 + 16) = 5
    opt.apply([w], [g.copy()])
    np.testing.assert_allclose(w, -g * 2.0 / 5.0, rtol=1e-12, atol=0)


def test_global_clipnorm_uses_the_norm_across_all_tensors():
    opt = SGD(learning_rate=1.0, global_clipnorm=2.6)
    w1, w2 = np.zeros(2), np.zeros(1)
    g1 = np.array([3.0, 4.0])
    g2 = np.array([12.0])
    # G = sqrt(9 + 16 + 144) = 13; every g <- g * 2.6 / 13 = g * 0.2.
    # (Per-tensor clipnorm=2.6 would leave ||g1|| = 5 scaled by 0.52 instead.)
    opt.apply([w1, w2], [g1, g2])
    np.testing.assert_allclose(w1, [-0.6, -0.8], rtol=1e-12, atol=0)
    np.testing.assert_allclose(w2, [-2.4], rtol=1e-12, atol=0)


def test_global_clipnorm_leaves_small_gradients_alone():
    opt = SGD(learning_rate=1.0, global_clipnorm=20.0)
    w1, w2 = np.zeros(2), np.zeros(1)
    opt.apply([w1, w2], [np.array([3.0, 4.0]), np.array([12.0])])  # G = 13 <= 20
    np.testing.assert_allclose(w1, [-3.0, -4.0], rtol=1e-12, atol=0)
    np.testing.assert_allclose(w2, [-12.0], rtol=1e-12, atol=0)


def test_clipping_happens_before_the_update_rule():
    # Adam with clipvalue: the moments see the clipped gradient.
    opt = Adam(clipvalue=0.1)
    w = W0.copy()
    opt.apply([w], [G1.copy()])
    g = np.clip(G1, -0.1, 0.1)  # [0.1, -0.1, 0.1]
    m = 0.1 * g
    v = 0.001 * g**2
    alpha = 0.001 * math.sqrt(1 - 0.999) / (1 - 0.9)
    np.testing.assert_allclose(w, W0 - alpha * m / (np.sqrt(v) + EPS), rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clipnorm": 1.0, "clipvalue": 1.0},
        {"clipnorm": 1.0, "global_clipnorm": 1.0},
        {"clipvalue": 1.0, "global_clipnorm": 1.0},
        {"clipnorm": 1.0, "clipvalue": 1.0, "global_clipnorm": 1.0},
    ],
)
def test_setting_two_clipping_options_raises(kwargs):
    with pytest.raises(ValueError):
        SGD(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"clipnorm": 0},
        {"clipvalue": 0},
        {"global_clipnorm": 0},
        {"clipnorm": None, "clipvalue": None, "global_clipnorm": None},
        {"clipnorm": 0, "clipvalue": 0, "global_clipnorm": 0},
        {"clipnorm": 0, "clipvalue": 0.5},  # 0 counts as unset: only clipvalue is active
    ],
)
def test_zero_or_none_disables_clipping(kwargs):
    opt = SGD(learning_rate=1.0, **kwargs)
    w = np.zeros(3)
    g = np.array([30.0, -40.0, 0.25])
    opt.apply([w], [g.copy()])
    expected = -np.clip(g, -0.5, 0.5) if kwargs.get("clipvalue") else -g
    np.testing.assert_allclose(w, expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize("option", ["clipnorm", "clipvalue", "global_clipnorm"])
def test_negative_clipping_value_raises(option):
    with pytest.raises(ValueError):
        SGD(**{option: -1.0})


# -- dtype ---------------------------------------------------------------------------------

ALL_CONFIGS = [
    pytest.param(lambda: SGD(), id="sgd"),
    pytest.param(lambda: SGD(momentum=0.9), id="sgd-momentum"),
    pytest.param(lambda: SGD(momentum=0.9, nesterov=True), id="sgd-nesterov"),
    pytest.param(lambda: Adagrad(), id="adagrad"),
    pytest.param(lambda: RMSprop(), id="rmsprop"),
    pytest.param(lambda: RMSprop(centered=True, momentum=0.5), id="rmsprop-centered-momentum"),
    pytest.param(lambda: Adam(), id="adam"),
    pytest.param(lambda: Adam(amsgrad=True), id="adam-amsgrad"),
    pytest.param(lambda: Adadelta(), id="adadelta"),
    pytest.param(lambda: SGD(weight_decay=0.01, clipnorm=1.0), id="sgd-decay-clipnorm"),
]


@pytest.mark.parametrize("make", ALL_CONFIGS)
def test_float32_weights_stay_float32(make):
    opt = make()
    w = W0.astype(np.float32)
    w_id = id(w)
    for g in GRADS:
        opt.apply([w], [g.astype(np.float32)])
    assert id(w) == w_id  # updated in place
    assert w.dtype == np.float32
    for slots in opt.get_slots():
        for name, arr in slots.items():
            assert arr.dtype == np.float32, name
    # The float32 result agrees with the float64 one to float32 precision.
    w64 = run_three_steps(make())[-1]
    np.testing.assert_allclose(w, w64, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("make", ALL_CONFIGS)
def test_apply_gradients_keeps_float32_with_float64_gradients(make):
    opt = make()
    w = W0.astype(np.float32)
    opt.apply_gradients([(G1.copy(), w)])
    assert w.dtype == np.float32
    assert not np.array_equal(w, W0.astype(np.float32))  # it did move


# -- learning rate -------------------------------------------------------------------------


class HalvingSchedule:
    """A LearningRateSchedule-like object: lr(step) = 0.1 * 0.5**step; records its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, step):
        self.calls.append(step)
        return 0.1 * 0.5**step

    def get_config(self):
        return {"initial_learning_rate": 0.1}


def test_schedule_is_evaluated_at_iterations_starting_from_step_zero():
    sched = HalvingSchedule()
    opt = SGD(learning_rate=sched)
    actual = run_three_steps(opt)
    assert sched.calls == [0, 1, 2]  # one evaluation per step, at the old iterations
    # w <- w - lr(t) g with lr(0) = 0.1, lr(1) = 0.05, lr(2) = 0.025
    w1 = W0 - 0.1 * G1
    w2 = w1 - 0.05 * G2
    w3 = w2 - 0.025 * G3
    assert_steps_equal(actual, [w1, w2, w3])


def test_learning_rate_property_reads_the_schedule_at_the_current_step():
    opt = Adam(learning_rate=HalvingSchedule())
    assert opt.learning_rate == pytest.approx(0.1, rel=1e-15)
    run_three_steps(opt)
    assert opt.iterations == 3
    assert opt.learning_rate == pytest.approx(0.1 * 0.5**3, rel=1e-15)


def test_schedule_drives_a_stateful_optimizer():
    # Adam with a schedule: alpha uses lr(iterations) in each step.
    opt = Adam(learning_rate=HalvingSchedule())
    actual = run_three_steps(opt)
    b1, b2 = 0.9, 0.999
    m = np.zeros(3)
    v = np.zeros(3)
    w = W0.copy()
    expected = []
    for t, g in enumerate(GRADS, start=1):
        lr = 0.1 * 0.5 ** (t - 1)  # schedule(iterations), iterations = t - 1
        m = m + (1 - b1) * (g - m)
        v = v + (1 - b2) * (g**2 - v)
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        w = w - alpha * m / (np.sqrt(v) + EPS)
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_zero_argument_callable_learning_rate():
    opt = SGD(learning_rate=lambda: 0.25)
    assert opt.learning_rate == 0.25
    w = W0.copy()
    opt.apply([w], [G1.copy()])
    np.testing.assert_allclose(w, W0 - 0.25 * G1, rtol=1e-12, atol=0)


def test_assigning_learning_rate_on_a_float_built_optimizer():
    opt = SGD(learning_rate=0.1)
    w = W0.copy()
    opt.apply([w], [G1.copy()])
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    opt.apply([w], [G2.copy()])
    np.testing.assert_allclose(w, W0 - 0.1 * G1 - 0.5 * G2, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    "lr", [pytest.param(HalvingSchedule(), id="schedule"), pytest.param(lambda: 0.1, id="callable")]
)
def test_assigning_learning_rate_on_a_schedule_built_optimizer_raises_type_error(lr):
    opt = SGD(learning_rate=lr)
    with pytest.raises(TypeError):
        opt.learning_rate = 0.5


@pytest.mark.parametrize(
    "cls, kwargs, error",
    [
        (SGD, {"learning_rate": -0.1}, ValueError),
        (Adam, {"learning_rate": -1e-3}, ValueError),
        (SGD, {"learning_rate": float("nan")}, ValueError),
        (SGD, {"learning_rate": float("inf")}, ValueError),
        (SGD, {"learning_rate": "abc"}, TypeError),
        (SGD, {"learning_rate": None}, TypeError),
        (SGD, {"momentum": 1.5}, ValueError),
        (SGD, {"momentum": -0.1}, ValueError),
        (RMSprop, {"momentum": 1.5}, ValueError),
        (RMSprop, {"rho": 1.5}, ValueError),
        (Adam, {"beta_1": 1.5}, ValueError),
        (Adam, {"beta_2": -0.5}, ValueError),
        (Adagrad, {"initial_accumulator_value": -0.1}, ValueError),
        (Adadelta, {"epsilon": -1e-7}, ValueError),
        (SGD, {"weight_decay": -0.01}, ValueError),
    ],
)
def test_invalid_arguments_raise_clear_errors(cls, kwargs, error):
    with pytest.raises(error) as info:
        cls(**kwargs)
    (name,) = kwargs
    assert name in str(info.value)  # the message names the offending argument


@pytest.mark.parametrize("value, error", [(-0.5, ValueError), ("abc", TypeError)])
def test_assigning_an_invalid_learning_rate_raises(value, error):
    opt = SGD(learning_rate=0.1)
    with pytest.raises(error):
        opt.learning_rate = value
    assert opt.learning_rate == 0.1  # unchanged


# -- weight decay --------------------------------------------------------------------------


def test_sgd_weight_decay_is_decoupled_and_applied_before_the_update():
    lr, wd = 0.1, 0.05
    opt = SGD(learning_rate=lr, weight_decay=wd)
    actual = run_three_steps(opt)
    w = W0.copy()
    expected = []
    for g in GRADS:
        w = w - lr * wd * w  # decay first: w <- w - lr wd w
        w = w - lr * g  # then the SGD step: w <- w - lr g
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_sgd_momentum_weight_decay_does_not_enter_the_velocity():
    lr, wd, mu = 0.1, 0.05, 0.9
    opt = SGD(learning_rate=lr, momentum=mu, weight_decay=wd)
    actual = run_three_steps(opt)
    v = np.zeros(3)
    w = W0.copy()
    expected = []
    for g in GRADS:
        w = w - lr * wd * w  # decoupled decay, outside the velocity
        v = mu * v - lr * g
        w = w + v
        expected.append(w)
    assert_steps_equal(actual, expected)


def test_weight_decay_uses_the_scheduled_learning_rate():
    opt = SGD(learning_rate=HalvingSchedule(), weight_decay=0.5)
    w = W0.copy()
    opt.apply([w], [G1.copy()])
    opt.apply([w], [G2.copy()])
    w1 = W0 - 0.1 * 0.5 * W0 - 0.1 * G1  # lr(0) = 0.1
    w2 = w1 - 0.05 * 0.5 * w1 - 0.05 * G2  # lr(1) = 0.05
    np.testing.assert_allclose(w, w2, rtol=1e-12, atol=0)


# -- step counter --------------------------------------------------------------------------


@pytest.mark.parametrize("make", ALL_CONFIGS)
def test_iterations_increments_by_one_per_apply(make):
    opt = make()
    w1, w2 = W0.copy(), W0[:2].copy()
    assert opt.iterations == 0
    for i, g in enumerate(GRADS, start=1):
        opt.apply([w1, w2], [g.copy(), g[:2].copy()])  # two tensors: still one step
        assert opt.iterations == i
    opt.apply_gradients([(G1.copy(), w1)])
    assert opt.iterations == 4


# -- the flat store's cache-sized blocks ------------------------------------------------------


@pytest.mark.parametrize("make", ALL_CONFIGS)
def test_blocked_update_of_a_large_flat_array_gives_the_same_bits(make, monkeypatch):
    """A flat array over two blocks is updated block by block; every rule is elementwise
    (clipping and weight decay act on the whole array first), so the result is the same
    bits as one pass over the whole array."""
    from nnlab.step import blocked_update as base

    rng = np.random.default_rng(0)
    n = 3 * (base.BLOCK_BYTES // 4) + 123  # three full float32 blocks and a ragged end
    w0 = rng.normal(size=n).astype(np.float32)
    grads = [rng.normal(size=n).astype(np.float32) for _ in range(3)]

    def run():
        opt, w = make(), w0.copy()
        for g in grads:
            opt.apply([w], [g.copy()])
        return w, opt.get_slots()

    blocked, blocked_slots = run()
    monkeypatch.setattr(base, "BLOCK_BYTES", 64 * n)  # one pass over the whole array
    whole, whole_slots = run()
    assert not np.array_equal(blocked, w0)
    np.testing.assert_array_equal(blocked, whole)
    for a, b in zip(blocked_slots, whole_slots):
        for name in a:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_one_work_buffer_serves_arrays_of_several_sizes():
    opt = Adam()
    big, small = np.ones(1000), np.ones(10)
    opt.apply([big, small], [np.full(1000, 0.5), np.full(10, 0.5)])
    # Adam's first step moves every weight by lr * m_hat / (sqrt(v_hat) + eps) ~ lr
    np.testing.assert_allclose(big, 1.0 - 0.001, rtol=1e-6)
    np.testing.assert_allclose(small, 1.0 - 0.001, rtol=1e-6)


def test_store_and_slots_start_on_cache_line_boundaries():
    from nnlab.backend import ALIGN, aligned_empty
    from nnlab.layers import Dense, Input
    from nnlab.models import Sequential

    for shape, dtype in [(7, np.float32), ((3, 5), np.float64), (1, np.float32)]:
        A = aligned_empty(shape, dtype)
        assert A.ctypes.data % ALIGN == 0
        assert A.dtype == dtype and A.flags.c_contiguous
        assert A.shape == ((shape,) if isinstance(shape, int) else shape)
    model = Sequential([Input(shape=(3,)), Dense(5), Dense(1)])
    model.compile(optimizer=Adam(), loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 1)), epochs=1, verbose=0)
    store = model.parameter_store
    arrays = [store.W, store.dW, *model.optimizer.get_slots()[0].values()]
    assert all(a.ctypes.data % ALIGN == 0 for a in arrays)


def test_state_built_for_another_shape_raises_before_changing_anything():
    opt = Adam()
    big = np.zeros(400_000, dtype=np.float32)
    opt.apply_gradients([(np.ones_like(big), big)])
    small = np.zeros(262_144, dtype=np.float32)  # a whole number of blocks
    with pytest.raises(ValueError, match=r"shape \(400000,\).*shape \(262144,\).*reset"):
        opt.apply_gradients([(np.ones_like(small), small)])
    assert not small.any()
    opt.reset()
    opt.apply_gradients([(np.ones_like(small), small)])
    assert small.all()
