"""The public names diagnostics and saving read: the flat store, a layer's cached X, Z,
A, and one batch's loss with the gradient backward starts from."""

import numpy as np
import pytest

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


# -- Model's public step methods (what gradcheck, training and memory use) -------------


def _linear_l2(l2=0.1):
    from nnlab.regularizers import L2

    model = Sequential([Input(shape=(3,)), Dense(2, kernel_regularizer=L2(l2))])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_forward_backward_and_penalty_give_the_hand_worked_gradient(float64):
    """L = mean((X W + b - Y)^2) + l2 sum(W^2): dL/dW = 2 X^T (XW + b - Y) / (n k) + 2 l2 W."""
    model, l2 = _linear_l2(), 0.1
    rng = np.random.default_rng(3)
    X, Y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    store = model.pack_parameters()
    assert model.parameter_store is store and model.pack_parameters() is store
    W, b = (model.layers[-1].params[k] for k in ("kernel", "bias"))
    outs = model.forward_pass([X], training=True)
    np.testing.assert_allclose(outs[0], X @ W + b, rtol=1e-14)
    loss = model.batch_loss(outs, [Y])
    assert loss.from_Z == set()  # no fused pair: backward starts from dL/dA
    assert model.penalty() == pytest.approx(l2 * np.sum(W**2), rel=1e-14)
    store.dW[...] = 0
    dX = model.backward_pass(loss.gradients, loss.from_Z, input_grads=True)
    model.add_penalty_grads()
    R = X @ W + b - Y
    grads = model.layers[-1].grads
    np.testing.assert_allclose(grads["kernel"], 2 * X.T @ R / 10 + 2 * l2 * W, rtol=1e-12)
    np.testing.assert_allclose(grads["bias"], 2 * R.sum(axis=0) / 10, rtol=1e-12)
    np.testing.assert_allclose(dX[0], 2 * R @ W.T / 10, rtol=1e-12)
    assert model.backward_pass(loss.gradients, loss.from_Z) is None


def test_pack_parameters_repacks_when_what_is_trainable_changes_and_resets_the_optimizer():
    model = _linear_l2()
    X, Y = np.ones((4, 3)), np.ones((4, 2))
    model.fit(X, Y, epochs=1, verbose=0)
    store = model.parameter_store
    assert model.optimizer.iterations == 1
    model.layers[-1].trainable = False
    new = model.pack_parameters()
    assert new is not store and new.W.size == 0
    assert model.optimizer.iterations == 0  # its slots were built for the old store


def test_require_compiled_ensure_built_check_inputs_and_graph_nodes():
    model = Sequential([Dense(4), Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model.require_compiled("fit")
    assert not model.built
    model.ensure_built(np.ones((2, 3)))  # a Sequential builds from the first data
    assert model.built and model.layers[0].params["kernel"].shape == (3, 4)
    assert [X.shape for X in model.check_inputs(np.ones((5, 3)))] == [(5, 3)]
    with pytest.raises(ValueError, match="3"):
        model.check_inputs(np.ones((5, 4)))
    from nnlab.layers import Add
    from nnlab.models import Model

    inner = Sequential([Input(shape=(2,)), Dense(2)], name="inner")
    x = Input(shape=(2,))
    functional = Model(x, Add()([inner(x), inner(inner(x))]))
    names = [node.layer.name for node in functional.graph_nodes]
    assert names.count("inner") == 3  # a shared nested model: one node per call
    assert len(functional.layers) == 3  # InputLayer, inner, Add: each once
    assert names[0] == functional.layers[0].name  # the InputLayer runs first


# -- the step package: the guard's backup, the blocked update, the thread policy -------


def test_weight_backup_receives_the_weights_from_before_the_step_and_restores_them():
    from nnlab.optimizers import SGD
    from nnlab.step import BLOCK_BYTES, WeightBackup, update_in_blocks

    model = _model()
    store = model.pack_parameters()
    backup = WeightBackup(store, model.weight_layers())
    before = store.W.copy()
    store.dW[...] = 1.0
    SGD(0.5).apply([store.W], [store.dW], backup=backup)
    np.testing.assert_array_equal(store.W, before - np.float32(0.5))
    np.testing.assert_array_equal(backup.W, before)
    backup.restore()
    np.testing.assert_array_equal(store.W, before)
    # over several blocks and a ragged end, every block is copied before it changes
    n = 2 * (BLOCK_BYTES // 8) + 5
    W, saved = np.arange(n, dtype=np.float64), np.zeros(n)

    def halve(W, dW, state, lr):
        W *= lr

    update_in_blocks(halve, [W], [W], [{}], 0.5, iterations=0, backup=[saved])
    np.testing.assert_array_equal(saved, np.arange(n))
    np.testing.assert_array_equal(W, np.arange(n) * 0.5)


def test_thread_policy_and_schedule_flag_are_public():
    import os

    from nnlab.optimizers import SGD
    from nnlab.optimizers.schedules import ExponentialDecay
    from nnlab.step import BLAS_THREAD_VARIABLES, STEP_THREADS, blas_thread_settings

    assert STEP_THREADS == 2 and "OPENBLAS_NUM_THREADS" in BLAS_THREAD_VARIABLES
    assert blas_thread_settings() == {
        k: os.environ[k] for k in BLAS_THREAD_VARIABLES if k in os.environ
    }
    assert not SGD(0.1).learning_rate_is_scheduled
    assert SGD(ExponentialDecay(0.1, 10, 0.5)).learning_rate_is_scheduled
