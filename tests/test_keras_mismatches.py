"""The seven behaviours issue 14 found different from Keras 3, each pinned to the numbers
Keras itself gave.

Every expected number below was printed by Keras 3.15.1 with TensorFlow 2.21.0 (CPU),
`keras.config.set_floatx("float64")`, on the same data and initial weights, by the
scripts in bench/keras_diff.py's style (the differential suite re-checks them live).
These tests never import Keras: they only hold its numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import metrics, optimizers
from nnlab.layers import Dense, Input
from nnlab.models import Model, Sequential


# -- 1. a 1-D x with Input(shape=(1,)) trains (the Celsius -> Fahrenheit tutorial) ------
def test_one_d_x_with_input_of_one_feature_trains_as_keras(float64):
    model = Sequential([Input(shape=(1,)), Dense(1)])
    model.compile("sgd", "mse")
    model.set_weights([np.array([[0.5]]), np.array([0.1])])
    x, y = np.array([-40.0, 0, 38]), np.array([-40.0, 32, 100])
    hist = model.fit(x, y, epochs=2, verbose=0, shuffle=False, gradient_health=False)
    # Keras 3.15.1: history {'loss': [2655.476666666667, 614017.9071091851]},
    # weights [[-472.45979555555556]], [1.6683688888888883]
    np.testing.assert_allclose(hist.history["loss"], [2655.476666666667, 614017.9071091851],
                               rtol=1e-12)
    W, b = model.get_weights()
    np.testing.assert_allclose(W, [[-472.45979555555556]], rtol=1e-12)
    np.testing.assert_allclose(b, [1.6683688888888883], rtol=1e-12)
    assert model.predict(x, verbose=0).shape == (3, 1)


def test_one_d_x_is_still_refused_for_several_features():
    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"reshape"):
        model.fit(np.zeros(4), np.zeros(4), verbose=0)


# -- 2 and 3: multi-output evaluate order and per-output losses with a partial batch ---
def _two_outputs():
    """k1.py's model: Input(3) -> Dense(4, tanh) 'hid' -> Dense(1, sigmoid) 'cls' and
    Dense(1) 'reg'; data and weights from np.random.default_rng(0) in this order."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(10, 3))
    yc = (rng.random((10, 1)) > 0.5).astype(float)
    yr = rng.normal(size=(10, 1))
    inp = Input(shape=(3,))
    h = Dense(4, activation="tanh", name="hid")(inp)
    model = Model(inp, [Dense(1, activation="sigmoid", name="cls")(h), Dense(1, name="reg")(h)])
    model.set_weights([rng.normal(size=w.shape) * 0.5 for w in model.get_weights()])
    model.compile("sgd", ["binary_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]])
    return model, x, [yc, yr]


def test_multi_output_evaluate_lists_losses_before_metrics_as_keras(float64):
    model, x, y = _two_outputs()
    got = model.evaluate(x, y, verbose=0, batch_size=4)
    # Keras 3.15.1: [loss, cls_loss, reg_loss, cls_accuracy, reg_mae]
    keras = [3.96740641496244, 0.8160973707962155, 3.4306830614607833, 0.6, 1.5500113563622695]
    np.testing.assert_allclose(got, keras, rtol=1e-12)
    d = model.evaluate(x, y, verbose=0, batch_size=4, return_dict=True)
    assert sorted(d) == ["cls_accuracy", "cls_loss", "loss", "reg_loss", "reg_mae"]


def test_per_output_losses_average_batch_means_as_keras(float64):
    model, x, y = _two_outputs()
    hist = model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0,
                     gradient_health=False)
    # Keras 3.15.1 (batches of 4, 4, 2): per-output losses are the plain mean of the
    # three batch means; the total loss is weighted by batch size.
    keras = {
        "cls_accuracy": 0.6,
        "cls_loss": 0.8168157816865526,
        "loss": 3.795138237881777,
        "reg_loss": 3.201601968581574,
        "reg_mae": 1.4992951892372537,
    }
    for key, value in keras.items():
        assert hist.history[key][0] == pytest.approx(value, rel=1e-12), key


# -- 4. compiling again with the same optimizer instance keeps its state ---------------
def test_recompile_with_the_same_optimizer_keeps_its_state(float64):
    # Hyperparameters exact in float32: Keras keeps them as float32 constants, so
    # 0.1 or 0.9 would differ from nnlab's float64 values by ~1e-8 (README, deviations).
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.3], [-0.7, 0.4, 1.1], [0.3, 0.3, -2.0]])
    y = np.array([[1.0], [0.0], [-1.0], [2.0]])
    model = Sequential([Input(shape=(3,)), Dense(1)])
    model.set_weights([np.array([[0.1], [0.2], [-0.3]]), np.array([0.05])])
    opt = optimizers.Adam(0.125, beta_1=0.875, beta_2=0.9990234375, epsilon=2.0**-20)
    model.compile(opt, "mse")
    model.fit(x, y, verbose=0, batch_size=2, shuffle=False, gradient_health=False)
    assert opt.iterations == 2
    model.compile(opt, "mse")
    assert opt.iterations == 2  # Keras 3.15.1: still 2 after the second compile
    model.fit(x, y, verbose=0, batch_size=2, shuffle=False, gradient_health=False)
    assert opt.iterations == 4
    # Keras 3.15.1 after the second fit, Adam's moments carried over (a reset would
    # give other values):
    W, b = model.get_weights()
    np.testing.assert_allclose(
        W.ravel(), [0.4195504588408962, -0.17277333953855878, -0.18888332783515807], rtol=1e-12
    )
    np.testing.assert_allclose(b, [0.458853008557347], rtol=1e-12)
    model.compile("adam", "mse")  # a name gives a fresh optimizer, as in Keras
    assert model.optimizer.iterations == 0


# -- 5. binary accuracy compares y == (p > threshold) ----------------------------------
def test_binary_accuracy_with_minus_one_labels_as_keras():
    m = metrics.BinaryAccuracy()
    y, p = np.array([[-1.0], [1.0], [1.0], [-1.0]]), np.array([[-0.9], [0.8], [0.3], [0.7]])
    m.update_state(y, p)
    assert m.result() == 0.25  # Keras 3.15.1: 0.25 (a -1 label never equals p > 0.5)


def test_binary_accuracy_with_soft_labels_as_keras():
    m = metrics.BinaryAccuracy()
    y, p = np.array([[0.2], [0.9], [0.6], [0.4]]), np.array([[0.1], [0.8], [0.7], [0.2]])
    m.update_state(y, p)
    assert m.result() == 0.0  # Keras 3.15.1: 0.0 (soft labels equal neither 0 nor 1)


# -- 6. Model(a, [out]).predict() returns the array ------------------------------------
def test_single_output_in_a_list_predicts_an_array(float64):
    inp = Input(shape=(3,))
    model = Model(inp, [Dense(2, name="o")(inp)])
    out = model.predict(np.ones((10, 3)), verbose=0)
    assert isinstance(out, np.ndarray) and out.shape == (10, 2)  # Keras 3.15.1: (10, 2)
    model.compile("sgd", "mse", metrics=["mae"])
    logs = model.evaluate(np.ones((10, 3)), np.zeros((10, 2)), verbose=0, return_dict=True)
    assert sorted(logs) == ["loss", "mae"]  # Keras 3.15.1: no output-name prefix


# -- 7. metric names are checked at compile ------------------------------------------
def test_unknown_metric_name_is_refused_at_compile_with_the_known_names():
    model = Sequential([Input(shape=(3,)), Dense(1)])
    # Keras 3.15.1 accepts compile(metrics=["acuracy"]) and fails only in fit with
    # "Could not interpret metric identifier: acuracy"; nnlab fails at compile.
    with pytest.raises(ValueError, match="Unknown metric 'acuracy'") as info:
        model.compile("sgd", "mse", metrics=["acuracy"])
    for name in ("accuracy", "auc", "precision", "root_mean_squared_error"):
        assert f"'{name}'" in str(info.value)
    with pytest.raises(ValueError, match="Unknown metric 'f2'"):
        model.compile("sgd", "mse", metrics={"dense": ["mae", "f2"]})
    with pytest.raises(TypeError, match="fn\\(y_true, y_pred\\)"):
        model.compile("sgd", "mse", metrics=[3])


# -- fit arguments Keras code passes --------------------------------------------------------
def test_validation_freq_and_validation_batch_size():
    from nnlab.callbacks import LambdaCallback

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    model = Sequential([Input(shape=(3,)), Dense(1)])
    model.compile("sgd", "mse")
    batches = []
    cb = LambdaCallback(on_test_batch_end=lambda batch, logs: batches.append(batch))
    hist = model.fit(x, y, epochs=5, verbose=0, validation_data=(x[:10], y[:10]),
                     validation_freq=2, validation_batch_size=4, callbacks=[cb])
    # as Keras 3.15.1: validation after epochs 2 and 4 only, so val_loss has 2 entries
    assert len(hist.history["loss"]) == 5 and len(hist.history["val_loss"]) == 2
    assert batches == [0, 1, 2, 0, 1, 2]  # 10 rows in batches of 4
    with pytest.raises(ValueError, match="validation_freq"):
        model.fit(x, y, verbose=0, validation_freq=0)
