"""Optimizers' exponential moving average of the weights (`use_ema`, `ema_momentum`,
`ema_overwrite_frequency`), Keras 3's rule: after each step, with t the step count before
it, m = 0 at t = 0 and ema_momentum after, average = m * average + (1 - m) * W; when
(t + 1) is a multiple of ema_overwrite_frequency, W = average; `fit` puts the averages
into the weights once it ends (`finalize_variable_values`).
"""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import optimizers as O
from nnlab.layers import Dense, Input
from nnlab.models import Sequential, load_model

W0 = np.array([0.5, -1.25, 2.0])
G = [np.array([0.25, -0.5, 1.0]), np.array([-0.75, 0.125, 0.5]), np.array([0.375, 0.25, -1.5])]


def _run(opt):
    W, seen = W0.copy(), []
    for g in G:
        opt.apply_gradients([(g, W)])
        seen.append((W.copy(), opt.get_slots()[0]["average"].copy()))
    return W, seen


def test_three_sgd_steps_by_hand():
    # SGD(0.5), ema_momentum 0.5, overwrite every 2 steps, on the first entry (W = 0.5):
    # t=0: W = 0.5 - 0.5*0.25 = 0.375;  m = 0:   avg = 0.375
    # t=1: W = 0.375 + 0.5*0.75 = 0.75; m = 0.5: avg = 0.1875 + 0.375 = 0.5625;
    #      (t + 1) % 2 == 0: W = 0.5625
    # t=2: W = 0.5625 - 0.5*0.375 = 0.375;       avg = 0.28125 + 0.1875 = 0.46875
    opt = O.SGD(0.5, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    W, seen = _run(opt)
    assert [float(w[0]) for w, _ in seen] == [0.375, 0.5625, 0.375]
    assert [float(a[0]) for _, a in seen] == [0.375, 0.5625, 0.46875]
    opt.finalize_variable_values([W])
    assert float(W[0]) == 0.46875


# Keras 3.15.1 (TensorFlow backend, float64 variable): three apply_gradients calls from W0
# with G, (W, moving average) after each, then W after finalize_variable_values.
KERAS = {
    "adam": (
        lambda: O.Adam(0.0625, beta_1=0.875, beta_2=0.9990234375, epsilon=2.0**-20,
                       use_ema=True, ema_momentum=0.875, ema_overwrite_frequency=2),
        [([0.43750762846332236, -1.1875038144644492, 1.937501907290427],
          [0.43750762846332236, -1.1875038144644492, 1.937501907290427]),
         ([0.441466405818486, -1.1839303686750637, 1.9302541565882627],
          [0.441466405818486, -1.1839303686750637, 1.9302541565882627]),
         ([0.4456753868830005, -1.1822526326748914, 1.9367583080559627],
          [0.4419925284515503, -1.1837206516750423, 1.9310671755217252])],
        [0.4419925284515503, -1.1837206516750423, 1.9310671755217252],
    ),
    "sgd-momentum": (
        lambda: O.SGD(0.5, momentum=0.5, use_ema=True, ema_momentum=0.75),
        [([0.375, -1.0, 1.5], [0.375, -1.0, 1.5]),
         ([0.6875, -0.9375, 1.0], [0.453125, -0.984375, 1.375]),
         ([0.65625, -1.03125, 1.5], [0.50390625, -0.99609375, 1.40625])],
        [0.50390625, -0.99609375, 1.40625],
    ),
}


@pytest.mark.parametrize("name", sorted(KERAS))
def test_three_steps_as_keras(name):
    make, steps, final = KERAS[name]
    opt = make()
    W, seen = _run(opt)
    for (w, a), (kw, ka) in zip(seen, steps):
        np.testing.assert_allclose(w, kw, rtol=0, atol=1e-15)
        np.testing.assert_allclose(a, ka, rtol=0, atol=1e-15)
    opt.finalize_variable_values([W])
    np.testing.assert_allclose(W, final, rtol=0, atol=1e-15)


def test_without_ema_nothing_changes():
    W = W0.copy()
    opt = O.Adam(0.1)
    opt.apply_gradients([(G[0], W)])
    before = W.copy()
    opt.finalize_variable_values([W])
    assert np.array_equal(W, before) and "average" not in opt.get_slots()[0]


def _model(opt):
    model = Sequential([Input(shape=(3,)), Dense(2, activation="tanh"), Dense(1)])
    model.set_weights([np.full((3, 2), 0.25), np.zeros(2), np.full((2, 1), -0.5), np.zeros(1)])
    model.compile(opt, "mse")
    return model


def test_fit_ends_with_the_averages_and_a_file_keeps_them(tmp_path):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(24, 3)), rng.normal(size=(24, 1))
    model = _model(O.Adam(0.05, use_ema=True, ema_momentum=0.75))
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    average = model.optimizer.get_slots()[0]["average"]
    flat = np.concatenate([w.ravel() for w in model.get_weights()])
    np.testing.assert_array_equal(np.sort(flat), np.sort(average))
    model.save(tmp_path / "m.nnlab")
    again = load_model(tmp_path / "m.nnlab")
    assert again.optimizer.get_config() == model.optimizer.get_config()
    assert again.optimizer.get_config()["use_ema"] is True
    np.testing.assert_array_equal(again.optimizer.get_slots()[0]["average"], average)
    # resumed training continues the same average: one more epoch in both, same bits
    model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    again.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_config_round_trip():
    opt = O.RMSprop(0.01, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=5)
    config = opt.get_config()
    assert (config["use_ema"], config["ema_momentum"], config["ema_overwrite_frequency"]) == (
        True, 0.9, 5)
    assert O.RMSprop.from_config(config).get_config() == config


@pytest.mark.parametrize("kwargs, match", [
    (dict(ema_momentum=1.5), r"`ema_momentum` must be in the range \[0, 1\]. Received"),
    (dict(ema_overwrite_frequency=0), "must be an integer >= 1 or None"),
    (dict(ema_overwrite_frequency=2.5), "must be an integer >= 1 or None"),
])
def test_bad_ema_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        O.Adam(use_ema=True, **kwargs)
