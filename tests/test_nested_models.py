"""A Model used as a layer inside another model (Keras's nested models): gradients,
equality with the same network written flat, shared use, freezing, introspection."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab.diagnostics import gradient_check
from nnlab.layers import Concatenate, Dense, Dropout, Input
from nnlab.models import Model, Sequential
from tests.numeric import num_grad, rel_err


def _inner():
    return Sequential([Dense(5, activation="tanh"), Dense(4, activation="sigmoid")], name="inner")


def _assert_gradients_ok(model, x, y):
    result = gradient_check(model, x, y)
    assert len(result.weights) == len(model.trainable_weights)
    assert result.max_error < 1e-6, str(result)


def test_gradient_check_through_a_nested_sequential(float64, rng):
    model = Sequential([Input((3,)), _inner(), Dense(2, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    y = np.eye(2)[rng.integers(0, 2, 6)]
    _assert_gradients_ok(model, rng.normal(size=(6, 3)), y)


def test_gradient_check_through_nested_functional_models_two_deep(float64, rng):
    a = Input((3,))
    core = Model(a, Dense(4, activation="tanh")(a), name="core")
    b = Input((3,))
    middle = Model(b, Dense(3, activation="relu")(core(b)), name="middle")
    x = Input((3,))
    model = Model(x, Dense(1)(middle(x)))
    model.compile("sgd", "mse")
    _assert_gradients_ok(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 1)))


def test_shared_nested_model_sums_the_gradients_of_its_calls(float64, rng):
    encoder = Sequential([Input((3,)), Dense(4, activation="tanh")], name="encoder")
    a, b = Input((3,)), Input((3,))
    h = Concatenate()([encoder(a), encoder(b)])
    model = Model([a, b], Dense(1)(h))
    model.compile("sgd", "mse")
    xa, xb, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 3)), rng.normal(size=(5, 1))
    _assert_gradients_ok(model, [xa, xb], y)
    # one kernel, counted once, in the model's weights; the loss by hand differentiates
    # to the sum of both calls' gradients
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (8, 1), (1,)]
    K, k = encoder.layers[0].params["kernel"], encoder.layers[0].params["bias"]
    W, c = model.get_weights()[2:]

    def loss(_):
        ha, hb = np.tanh(xa @ K + k), np.tanh(xb @ K + k)
        return float(np.mean((np.hstack([ha, hb]) @ W + c - y) ** 2))

    outs = model.forward_pass([xa, xb], training=True)
    _, _, seeds, from_Z = model.batch_loss(outs, [y], None, need_grad=True)
    model.backward_pass(seeds, from_Z)
    analytic = encoder.layers[0].grads["kernel"].copy()
    assert rel_err(analytic, num_grad(loss, K)) < 1e-8


def test_the_same_model_called_twice_in_a_chain(float64, rng):
    block = Sequential([Input((3,)), Dense(3, activation="tanh")], name="block")
    x = Input((3,))
    model = Model(x, Dense(1)(block(block(x))))
    model.compile("sgd", "mse")
    _assert_gradients_ok(model, rng.normal(size=(4, 3)), rng.normal(size=(4, 1)))


def _flat_and_nested(rng):
    flat = Sequential([Input((3,)), Dense(6, activation="relu"), Dense(4, activation="tanh"),
                       Dense(1, activation="sigmoid")])
    inner = Sequential([Dense(6, activation="relu"), Dense(4, activation="tanh")])
    nested = Sequential([Input((3,)), inner, Dense(1, activation="sigmoid")])
    nested.set_weights(flat.get_weights())
    return flat, nested, inner


@pytest.mark.parametrize("functional", [False, True])
def test_nested_trains_exactly_as_the_same_network_written_flat(float64, rng, functional):
    flat, nested, inner = _flat_and_nested(rng)
    if functional:
        x = Input((3,))
        nested = Model(x, nested.layers[1](inner(x)))
    X, y = rng.normal(size=(30, 3)), rng.integers(0, 2, (30, 1)).astype(float)
    for model in (flat, nested):
        model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    h1 = flat.fit(X, y, batch_size=10, epochs=1, shuffle=False, verbose=0).history
    h2 = nested.fit(X, y, batch_size=10, epochs=1, shuffle=False, verbose=0).history
    assert flat.optimizer.iterations == nested.optimizer.iterations == 3
    assert h1["loss"][0] == pytest.approx(h2["loss"][0], abs=1e-12)
    for a, b in zip(flat.get_weights(), nested.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)
    # the inner model's own weights moved (the outer optimizer updated them)
    np.testing.assert_array_equal(inner.get_weights()[0], nested.get_weights()[0])
    np.testing.assert_allclose(flat.predict(X, verbose=0), nested.predict(X, verbose=0),
                               atol=1e-12)
    assert flat.evaluate(X, y, verbose=0) == pytest.approx(nested.evaluate(X, y, verbose=0))


def test_layers_weights_and_summary_show_the_inner_model_as_one_layer(rng):
    inner = Sequential([Dense(8, activation="relu"), Dense(4)], name="base")
    outer = Sequential([Input((3,)), inner, Dense(1)])
    assert outer.layers[0] is inner and len(outer.layers) == 2
    assert [w.shape for w in outer.get_weights()] == [(3, 8), (8,), (8, 4), (4,), (4, 1), (1,)]
    assert outer.count_params() == 73 and inner.count_params() == 68
    lines = []
    outer.summary(print_fn=lines.append)
    assert "base (Sequential)" in lines[0] and "(None, 4)" in lines[0] and " 68" in lines[0]
    x = Input((3,))
    functional = Model(x, Dense(1)(Model(x, Dense(2)(x), name="twin")(x)))
    text = []
    functional.summary(print_fn=text.append)
    assert "twin (Functional)" in text[0]


def test_freezing_the_inner_model_as_in_transfer_learning(rng):
    base = Sequential([Input((3,)), Dense(8, activation="relu"), Dense(4)], name="base")
    before = base.get_weights()
    base.trainable = False
    model = Sequential([base, Dense(1)])  # built from the base's Input, as in Keras
    assert model.input_shape == (None, 3)
    model.compile("adam", "mse")
    assert [w.shape for w in model.trainable_weights] == [(4, 1), (1,)]
    head = model.get_weights()[-2].copy()
    X, y = rng.normal(size=(20, 3)), rng.normal(size=(20, 1))
    model.fit(X, y, epochs=2, verbose=0)
    for a, b in zip(before, base.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(head, model.get_weights()[-2])
    text = []
    model.summary(print_fn=text.append)
    assert "Non-trainable params: 68" in "\n".join(text)
    base.trainable = True  # unfreezing repacks the parameters for the next fit
    model.fit(X, y, epochs=1, verbose=0)
    assert not np.array_equal(before[0], base.get_weights()[0])


def test_dropout_inside_a_nested_model_is_active_only_in_training(rng):
    inner = Sequential([Input((4,)), Dropout(0.5, seed=1)])
    model = Sequential([Input((4,)), inner])
    X = np.ones((8, 4), np.float32)
    np.testing.assert_array_equal(model.predict(X, verbose=0), X)
    assert (model(X, training=True) == 0).any()


def test_calling_a_model_on_tensors_of_the_wrong_shape_is_refused():
    inner = Sequential([Input((3,)), Dense(2)], name="inner")
    with pytest.raises(ValueError, match=r"Model 'inner' expects 1 input\(s\) of shape"):
        inner(Input((5,)))
    with pytest.raises(ValueError, match="Model 'inner' expects"):
        Sequential([Input((4,)), inner])


def test_shared_plain_layers_are_still_refused_with_a_way_out():
    dense = Dense(2)
    a, b = Input((3,)), Input((3,))
    with pytest.raises(ValueError, match="wrap the shared layers in a Model"):
        Model([a, b], Concatenate()([dense(a), dense(b)]))


def test_an_unbuilt_sequential_builds_its_nested_model_from_the_first_data(rng):
    inner = Sequential([Dense(8, activation="relu"), Dense(4)])
    model = Sequential([inner, Dense(1)])
    model.compile("adam", "mse")
    model.fit(rng.normal(size=(16, 3)), rng.normal(size=(16, 1)), epochs=1, verbose=0)
    assert inner.input_shape == (None, 3) and model.count_params() == 73


def test_training_memory_and_flops_count_the_nested_layers_as_the_flat_network(rng):
    inner = Sequential([Dense(8, activation="relu"), Dense(4)])
    nested = Sequential([Input((3,)), inner, Dense(1)])
    flat = Sequential([Input((3,)), Dense(8, activation="relu"), Dense(4), Dense(1)])
    texts = []
    for model in (nested, flat):
        model.compile("adam", "mse")
        lines = []
        model.summary(print_fn=lines.append, batch_size=32)
        texts.append(lines[0].split("Total params")[1])
    assert texts[0] == texts[1]
    assert "FLOPs per sample (forward, multiply-add = 2 FLOPs): 133" in texts[0]


def test_gradient_check_through_a_nested_model_with_two_inputs_and_two_outputs(float64, rng):
    p, q = Input((3,)), Input((2,))
    h = Concatenate()([Dense(4, activation="tanh")(p), q])
    two = Model([p, q], [Dense(2, activation="sigmoid")(h), Dense(1)(h)], name="two")
    a, b = Input((3,)), Input((2,))
    first, second = two([a, b])
    model = Model([a, b], [Dense(1)(Concatenate()([first, second])), second])
    model.compile("sgd", ["mse", "mae"])
    x = [rng.normal(size=(5, 3)), rng.normal(size=(5, 2))]
    _assert_gradients_ok(model, x, [rng.normal(size=(5, 1)), rng.normal(size=(5, 1))])
    assert [layer.name for layer in model.layers][2] == "two"
