"""AdamW, Nadam, Adamax, Lion, Ftrl and the PolynomialDecay / CosineDecayRestarts
schedules: three steps worked by hand from Keras 3's update rules (written out here
with NumPy, independently of nnlab), and the same three steps as Keras 3.15.1 printed
them (float64 variables, float32-exact hyperparameters; this file does not import Keras).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnlab import optimizers as O
from nnlab.layers import Dense, Input
from nnlab.models import Sequential
from nnlab.optimizers import schedules as S

W0 = np.array([0.5, -1.25, 2.0])
G = [np.array([0.25, -0.5, 1.0]), np.array([-0.75, 0.125, 0.5]), np.array([0.375, 0.25, -1.5])]
STEPS = [0, 1, 5, 9, 10, 11, 25, 31, 45, 75]
B1, B2, EPS = 0.875, 0.9990234375, 2.0**-20

KERAS_STEPS = {  # Keras 3.15.1, three apply_gradients calls from W0 with G[0..2]
    'AdamW': [
        [0.3593902569266447, -1.0859451289288984, 1.8125038145808539],
        [0.4114997490803057, -0.9948342110197032, 1.6398990591405735],
        [0.4070583440505751, -0.9603901699249928, 1.6016605164778304],
    ],
    'Nadam': [
        [0.36561354884405717, -1.1156132925227322, 1.865613164361703],
        [0.48647812118974126, -1.137152338438837, 1.797619738250244],
        [0.4348841128935267, -1.1906259794090615, 1.8991754963271716],
    ],
    'Adamax': [
        [0.3750004768353392, -1.1250002384181244, 1.8750001192091759],
        [0.4222226390114771, -1.0832929215001739, 1.7832439343987971],
        [0.4278987863463565, -1.08106965062383, 1.7926127647341685],
    ],
    'Lion': [
        [0.375, -1.125, 1.875],
        [0.5, -1.25, 1.75],
        [0.375, -1.375, 1.875],
    ],
    'Ftrl': [
        [0.0, -0.20721030980182548, 0.7798220313557541],
        [0.06335967523552045, -0.2190049788162872, 0.7402898984152272],
        [0.031910282155647396, -0.24291071973559145, 0.8139654160735947],
    ],
    'Ftrl_default': [
        [-0.19692342505867597, -0.12006387304910465, 0.8619288125423016],
        [0.23608927683354336, -0.22006387304910463, 0.6487280961866911],
        [0.03740942327378679, -0.40575921122615655, 1.0426473947658588],
    ],
}
KERAS_SCHEDULES = {  # Keras 3.15.1 at steps STEPS
    'poly': [
        0.5,
        0.4168749749660492,
        0.171875,
        0.06687500327825546,
        0.0625,
        0.0625,
        0.0625,
        0.0625,
        0.0625,
        0.0625,
    ],
    'poly_cycle': [
        0.5,
        0.4775489270687103,
        0.37185922265052795,
        0.20084965229034424,
        0.0625,
        0.3559839129447937,
        0.24110862612724304,
        0.27002447843551636,
        0.20084965229034424,
        0.171875,
    ],
    'restarts': [
        0.5,
        0.4892936050891876,
        0.28125,
        0.07320639491081238,
        0.390625,
        0.38860511779785156,
        0.11055279523134232,
        0.3082144260406494,
        0.23263487219810486,
        0.24529707431793213,
    ],
    'restarts_t1': [
        0.5,
        0.4877641201019287,
        0.2499999850988388,
        0.012235879898071289,
        0.5,
        0.4877641201019287,
        0.2499999850988388,
        0.4877641499042511,
        0.2499999850988388,
        0.2499999850988388,
    ],
}


def _make(name):
    return {
        "AdamW": lambda: O.AdamW(0.125, weight_decay=0.25, beta_1=B1, beta_2=B2, epsilon=EPS),
        "Nadam": lambda: O.Nadam(0.125, beta_1=B1, beta_2=B2, epsilon=EPS),
        "Adamax": lambda: O.Adamax(0.125, beta_1=B1, beta_2=B2, epsilon=EPS),
        "Lion": lambda: O.Lion(0.125, beta_1=B1, beta_2=0.96875),
        "Ftrl": lambda: O.Ftrl(
            0.125, initial_accumulator_value=0.125, l1_regularization_strength=0.0625,
            l2_regularization_strength=0.25, l2_shrinkage_regularization_strength=0.03125,
            beta=0.5,
        ),
        "Ftrl_default": lambda: O.Ftrl(0.5, initial_accumulator_value=0.125),
    }[name]()


def _by_hand(name):
    """Keras 3's rule for three steps, written out for this test."""
    W, out, lr = W0.copy(), [], 0.125
    m, v, u = np.zeros(3), np.zeros(3), np.zeros(3)
    n, z = np.full(3, 0.125), np.zeros(3)
    prod = 1.0
    for t, g in enumerate(G, start=1):
        if name == "AdamW":  # decoupled decay first, then Adam
            W = W - lr * 0.25 * W
            m = m + (1 - B1) * (g - m)
            v = v + (1 - B2) * (g * g - v)
            W = W - lr * math.sqrt(1 - B2**t) / (1 - B1**t) * m / (np.sqrt(v) + EPS)
        elif name == "Nadam":
            u_t, u_next = B1 * (1 - 0.5 * 0.96**t), B1 * (1 - 0.5 * 0.96 ** (t + 1))
            prod *= u_t
            m = m + (1 - B1) * (g - m)
            v = v + (1 - B2) * (g * g - v)
            m_hat = u_next * m / (1 - prod * u_next) + (1 - u_t) * g / (1 - prod)
            W = W - lr * m_hat / (np.sqrt(v / (1 - B2**t)) + EPS)
        elif name == "Adamax":
            m = m + (1 - B1) * (g - m)
            u = np.maximum(B2 * u, np.abs(g))
            W = W - lr * m / ((1 - B1**t) * (u + EPS))
        elif name == "Lion":
            W = W - lr * np.sign(B1 * m + (1 - B1) * g)
            m = 0.96875 * m + (1 - 0.96875) * g
        else:  # Ftrl, learning_rate_power -0.5
            l1, l2, shrink, beta = (0.0625, 0.25, 0.03125, 0.5) if name == "Ftrl" else (0, 0, 0, 0)
            lr = 0.125 if name == "Ftrl" else 0.5
            l2 = l2 + beta / (2 * lr)
            n_new = n + g * g
            z = z + g + 2 * shrink * W - (np.sqrt(n_new) - np.sqrt(n)) / lr * W
            W = (np.clip(z, -l1, l1) - z) / (np.sqrt(n_new) / lr + 2 * l2)
            n = n_new
        out.append(W.copy())
    return np.array(out)


@pytest.mark.parametrize("name", sorted(KERAS_STEPS))
def test_three_steps_by_hand_and_as_keras(name):
    opt = _make(name)
    W, got = W0.copy(), []
    for g in G:
        opt.apply_gradients([(g, W)])
        got.append(W.copy())
    np.testing.assert_allclose(got, _by_hand(name), rtol=1e-12, atol=1e-15)
    # Nadam's 0.96 is a float32 constant inside Keras: 3e-9 apart from float64
    np.testing.assert_allclose(got, KERAS_STEPS[name], rtol=1e-8, atol=1e-8)
    assert opt.iterations == 3


def test_first_step_spot_values():
    # Lion's first step moves each weight by exactly lr against the gradient's sign.
    opt, W = O.Lion(0.125), W0.copy()
    opt.apply_gradients([(G[0], W)])
    np.testing.assert_array_equal(W, W0 - 0.125 * np.sign(G[0]))
    # Adamax's first step: m = 0.1 g, u = |g|, W -= lr * 0.1 g / (0.1 (|g| + eps)) ~ lr sign g
    opt, W = O.Adamax(0.001), W0.copy()
    opt.apply_gradients([(G[0], W)])
    np.testing.assert_allclose(W, W0 - 0.001 * G[0] / (np.abs(G[0]) + 1e-7), rtol=1e-12)


def test_defaults_and_names_as_keras():
    assert O.get("adamw").weight_decay == 0.004
    assert (O.Nadam().beta_1, O.Nadam().beta_2, O.Nadam().epsilon) == (0.9, 0.999, 1e-7)
    assert (O.Lion().learning_rate, O.Lion().beta_1, O.Lion().beta_2) == (0.001, 0.9, 0.99)
    f = O.Ftrl()
    assert (f.learning_rate_power, f.initial_accumulator_value) == (-0.5, 0.1)
    for name in ("adamw", "nadam", "adamax", "lion", "ftrl"):
        assert type(O.get(name)).__name__.lower() == name


def test_bad_hyperparameters_are_refused():
    with pytest.raises(ValueError, match="beta_1"):
        O.Lion(beta_1=0.0)
    with pytest.raises(ValueError, match="learning_rate_power"):
        O.Ftrl(learning_rate_power=0.5)
    with pytest.raises(ValueError, match="weight_decay"):
        O.AdamW(weight_decay=None)


@pytest.mark.parametrize("name", ["AdamW", "Nadam", "Adamax", "Lion", "Ftrl"])
def test_each_trains_a_model_and_survives_save_load(tmp_path, name):
    from nnlab.models import load_model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    model = Sequential([Input(shape=(3,)), Dense(1)])
    model.compile(_make(name), "mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=8, verbose=0, seed=0)
    assert model.evaluate(x, y, verbose=0) < before
    model.save(tmp_path / "m.nnlab")
    again = load_model(tmp_path / "m.nnlab")
    assert type(again.optimizer).__name__ == type(model.optimizer).__name__
    assert again.optimizer.get_config() == model.optimizer.get_config()


def _poly(step, lr0=0.5, steps=10, end=0.0625, power=2.0, cycle=False):
    if cycle:
        steps = steps * (1 if step == 0 else math.ceil(step / steps))
    else:
        step = min(step, steps)
    return (lr0 - end) * (1 - step / steps) ** power + end


def test_polynomial_decay_by_hand_and_as_keras():
    sched = S.PolynomialDecay(0.5, 10, end_learning_rate=0.0625, power=2.0)
    got = [sched(s) for s in STEPS]
    np.testing.assert_allclose(got, [_poly(s) for s in STEPS], rtol=1e-15)
    # step 5: (0.5 - 0.0625) * 0.5^2 + 0.0625 = 0.171875
    assert sched(5) == 0.171875
    np.testing.assert_allclose(got, KERAS_SCHEDULES["poly"], rtol=1e-6)  # Keras: float32
    cyc = S.PolynomialDecay(0.5, 10, end_learning_rate=0.0625, power=0.5, cycle=True)
    np.testing.assert_allclose([cyc(s) for s in STEPS], KERAS_SCHEDULES["poly_cycle"], rtol=1e-6)


def test_cosine_decay_restarts_by_hand_and_as_keras():
    sched = S.CosineDecayRestarts(0.5, 10, t_mul=2.0, m_mul=0.75, alpha=0.125)
    # step 25: periods of 10 and 20 steps, so it is 15 steps into the second
    # (restart 1, fraction 0.75): 0.5 * (0.875 * 0.75 * (1 + cos(0.75 pi)) / 2 + 0.125)
    expected = 0.5 * (0.875 * 0.75 * (1 + math.cos(0.75 * math.pi)) / 2 + 0.125)
    assert sched(25) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose([sched(s) for s in STEPS], KERAS_SCHEDULES["restarts"], rtol=1e-6)
    flat = S.CosineDecayRestarts(0.5, 10, t_mul=1.0)
    np.testing.assert_allclose([flat(s) for s in STEPS], KERAS_SCHEDULES["restarts_t1"],
                               rtol=1e-6, atol=1e-8)
    assert flat(10) == flat(0) == 0.5  # a warm restart every 10 steps


def test_schedules_drive_an_optimizer_and_save(tmp_path):
    from nnlab.models import load_model

    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile(O.SGD(S.CosineDecayRestarts(0.1, 4)), "mse")
    model.fit(np.ones((8, 2)), np.ones(8), batch_size=2, verbose=0)
    assert model.optimizer.learning_rate == pytest.approx(S.CosineDecayRestarts(0.1, 4)(4))
    model.save(tmp_path / "s.nnlab")
    lr = load_model(tmp_path / "s.nnlab").optimizer.learning_rate_schedule
    assert isinstance(lr, S.CosineDecayRestarts) and lr.get_config()["first_decay_steps"] == 4
