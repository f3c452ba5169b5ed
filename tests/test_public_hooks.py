"""The public names diagnostics and saving read: the flat store, a layer's cached X, Z,
A, and one batch's loss with the gradient backward starts from."""

import numpy as np

from nnlab.layers import Dense, Input
from nnlab.models import Sequential


def _model():
    model = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"),
                        Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


def test_parameter_store_holds_every_weight_and_gradient_as_views():
    model = _model()
    assert model.parameter_store is None  # packed by the first fit
    X, Y = np.random.default_rng(0).normal(size=(5, 3)), np.eye(2)[[0, 1, 1, 0, 1]]
    model.fit(X, Y, epochs=1, verbose=0)
    store = model.parameter_store
    assert store.W.size == sum(w.size for w in model.get_weights())
    for layer in model.weight_layers():
        for name, W in layer.params.items():
            assert np.shares_memory(W, store.W)
            assert np.shares_memory(layer.grads[name], store.dW)


def test_a_layers_last_X_Z_A_are_what_forward_computed():
    X = np.random.default_rng(1).normal(size=(4, 2))
    layer = Dense(3, activation="sigmoid")
    layer.build(X.shape)
    assert layer.last_X is None and layer.last_Z is None and layer.last_A is None
    A = layer.forward(X, training=True)
    Z = X @ layer.params["kernel"] + layer.params["bias"]
    np.testing.assert_allclose(layer.last_Z, Z, rtol=1e-6)
    np.testing.assert_allclose(layer.last_A, 1 / (1 + np.exp(-Z)), rtol=1e-6)
    assert layer.last_A is A
    in_place = Dense(3, activation="tanh")  # tanh overwrites Z with A: no Z is kept
    in_place.build(X.shape)
    np.testing.assert_allclose(in_place.forward(X, training=True), in_place.last_A)
    assert in_place.last_Z is None


def test_batch_loss_names_its_parts_and_starts_backward_at_dZ_when_fused():
    model = _model()
    X, Y = np.random.default_rng(2).normal(size=(6, 3)), np.eye(2)[[0, 1, 1, 0, 1, 0]]
    model.fit(X, Y, epochs=1, verbose=0)
    model.train_on_batch(X, Y)  # a training forward: the output layer keeps its A
    out = model.layers[-1]
    P = out.last_A
    loss = model.batch_loss([P], [Y])
    assert loss.total == loss[0] and loss.per_output == [loss.total]
    pos = next(iter(loss.gradients))
    assert loss.from_Z == {pos}  # softmax + cross-entropy: the gradient is dL/dZ
    np.testing.assert_allclose(loss.gradients[pos], (P - Y) / len(Y), rtol=1e-5, atol=1e-7)
    expected = -np.mean(np.sum(Y * np.log(P), axis=1))
    np.testing.assert_allclose(loss.total, expected, rtol=1e-5)
