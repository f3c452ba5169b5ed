"""SimpleRNN, LSTM, GRU, Bidirectional, TimeDistributed and Embedding: float64 gradient
checks over their options (masks, go_backwards, return_sequences/state, initial states,
dropout), steps worked by hand, errors, and learning a sequence task.

Keras 3.15 (TensorFlow 2.21 backend, float64) was run on the same weights while these
layers were written: outputs, dX, d(initial states) and every weight gradient agreed to
1e-15 for each option below, and three SGD steps of Embedding(mask_zero) ->
Bidirectional(cell, return_sequences) -> cell -> Dense models matched to 1e-15."""

from __future__ import annotations

import numpy as np
import pytest
from numeric import rel_err

from nnlab.diagnostics import gradient_check
from nnlab.diagnostics.gradcheck import numeric_gradient
from nnlab.initializers import Constant
from nnlab.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Embedding,
    GlobalAveragePooling1D,
    Input,
    SimpleRNN,
    TimeDistributed,
)
from nnlab.models import Model, Sequential
from nnlab.optimizers import Adam

CELLS = [SimpleRNN, LSTM, GRU]
TOL = 1e-6


def _model_check(layers, x, rng, out=2, check_inputs=True, y=None):
    model = Sequential([Input(shape=x.shape[1:]), *layers, Dense(out)])
    model.compile(optimizer="sgd", loss="mse")
    y = rng.normal(size=(len(x), out)) if y is None else y
    result = gradient_check(model, x, y, check_inputs=check_inputs)
    assert result.max_error < TOL, str(result)
    return result






def _layer_check(layer, X, rng, mask=None, states=()):
    """dX, d(states) and every weight gradient of one layer against central differences
    of sum(output * R) for fixed random R (one per output)."""
    inputs = [X, *states] if states else X
    layer(inputs)  # builds
    layer.input_mask = mask
    outs = layer.forward(inputs, training=True)
    outs = outs if isinstance(outs, list) else [outs]
    R = [rng.normal(size=o.shape) for o in outs]

    def loss():
        layer.input_mask = mask
        ys = layer.forward(inputs, training=True)
        ys = ys if isinstance(ys, list) else [ys]
        return sum(float((y * r).sum()) for y, r in zip(ys, R))

    loss()
    grads = layer.backward(R if len(R) > 1 else R[0])
    grads = grads if isinstance(grads, list) else [grads]
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    for name, W in layer.params.items():
        assert rel_err(analytic[name], numeric_gradient(loss, W, 1e-6)) < TOL, name
    for arr, g in zip([X, *states], grads):
        assert rel_err(g, numeric_gradient(loss, arr, 1e-6)) < TOL


# ----------------------------------------------------------------------------- gradients
@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(return_sequences=True),
        dict(go_backwards=True, return_sequences=True),
        dict(activation="relu", use_bias=False),
    ],
    ids=str,
)
def test_cell_gradients(float64, rng, cell, options):
    layers = [cell(3, **options)]
    if options.get("return_sequences"):
        layers.append(GlobalAveragePooling1D())
    _model_check(layers, rng.normal(size=(3, 5, 2)), rng)


def test_gru_with_reset_before_the_product(float64, rng):
    _model_check([GRU(3, reset_after=False)], rng.normal(size=(3, 5, 2)), rng)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize(
    "options", [dict(dropout=0.3), dict(recurrent_dropout=0.3), dict(dropout=0.2,
                recurrent_dropout=0.4, return_sequences=True)], ids=str
)
def test_cell_gradients_with_dropout_masks_held(float64, rng, cell, options):
    layers = [cell(3, seed=5, **options)]
    if options.get("return_sequences"):
        layers.append(GlobalAveragePooling1D())
    _model_check(layers, rng.normal(size=(4, 5, 2)), rng)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("zero_output", [False, True])
def test_masked_steps_with_state_outputs_and_initial_states(float64, rng, cell, zero_output):
    """Masks leave holes at the start, the middle and the end; return_state gives the
    final states as outputs; initial states get their own gradient."""
    mask = np.ones((3, 6), bool)
    mask[0, 4:] = mask[1, :2] = mask[2, 2] = False
    layer = cell(3, return_sequences=True, return_state=True, zero_output_for_mask=zero_output)
    states = [rng.normal(size=(3, 3)) for _ in range(layer.n_states)]
    _layer_check(layer, rng.normal(size=(3, 6, 2)), rng, mask=mask, states=states)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave"])
def test_bidirectional_gradients(float64, rng, merge_mode):
    layers = [
        Bidirectional(LSTM(3, return_sequences=True), merge_mode=merge_mode),
        Bidirectional(GRU(2), merge_mode=merge_mode),
    ]
    # target 0: "mul" multiplies two small outputs, and against a target of scale 1 the
    # loss's round-off would swamp its small weight gradients in the central differences
    _model_check(layers, rng.normal(size=(3, 4, 2)), rng, y=np.zeros((3, 2)))


def test_time_distributed_and_embedding_with_mask_gradients(float64, rng):
    ids = np.array([[3, 1, 4, 1, 0, 0], [2, 7, 1, 8, 2, 8], [5, 0, 0, 0, 0, 0]], float)
    layers = [
        Embedding(9, 3, mask_zero=True),
        TimeDistributed(Dense(4, activation="tanh")),
        Bidirectional(SimpleRNN(3, return_sequences=True)),
        GlobalAveragePooling1D(),
    ]
    result = _model_check(layers, ids, rng, check_inputs=False)
    assert any(name == "embeddings" for _, name in result.weights)


def test_gradient_check_catches_a_wrong_step_back(float64, rng, monkeypatch):
    """The check is not vacuous: LSTM's forget-gate gradient 1 % off fails it."""
    real = LSTM.step_back

    def off(self, dstates, cache):
        dA, dprev = real(self, dstates, cache)
        dA[:, self.units : 2 * self.units] *= 1.01
        return dA, dprev

    monkeypatch.setattr(LSTM, "step_back", off)
    model = Sequential([Input(shape=(4, 2)), LSTM(3), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    result = gradient_check(model, rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 1)))
    assert result.max_error > 1e-4


# ----------------------------------------------------------------------------- by hand
def test_lstm_step_by_hand(float64):
    """One step from h = c = 0 on x = 1, every kernel entry 0.5, bias 0 (no forget bias):
    A = 0.5 for all four gates, i = f = o = σ(0.5) = 0.62245933, g = tanh(0.5) = 0.46211716;
    c = f * 0 + i * g = 0.28764914; h = o * tanh(c) = 0.62245933 * 0.27996965 = 0.17426972."""
    layer = LSTM(
        1,
        kernel_initializer=Constant(0.5),
        recurrent_initializer=Constant(0.5),
        unit_forget_bias=False,
        return_state=True,
    )
    out, h, c = layer(np.ones((1, 1, 1)))
    np.testing.assert_allclose(c, [[0.28764914]], atol=1e-8)
    np.testing.assert_allclose(h, [[0.17426972]], atol=1e-8)
    np.testing.assert_array_equal(out, h)


def test_gru_step_by_hand(float64):
    """GRU(1) with reset_after, kernel entries 1, recurrent entries 0, biases 0, on x = 1
    from h = 0: z = r = σ(1) = 0.73105858, h~ = tanh(1 + r * 0) = 0.76159416,
    h = z * 0 + (1 - z) * h~ = 0.26894142 * 0.76159416 = 0.20482421."""
    layer = GRU(1, kernel_initializer="ones", recurrent_initializer="zeros")
    np.testing.assert_allclose(layer(np.ones((1, 1, 1))), [[0.20482421]], atol=1e-8)
    assert layer.params["bias"].shape == (2, 3)  # input and recurrent biases


def test_unit_forget_bias_and_orthogonal_recurrent_kernel():
    layer = LSTM(3)
    layer(np.zeros((1, 2, 4)))
    assert layer.params["bias"].tolist() == [0.0] * 3 + [1.0] * 3 + [0.0] * 6
    U = layer.params["recurrent_kernel"].astype(np.float64)  # (3, 12): orthonormal rows
    np.testing.assert_allclose(U @ U.T, np.eye(3), atol=1e-6)


def test_embedding_adds_the_gradients_of_repeated_tokens():
    emb = Embedding(4, 2)
    emb(np.array([[1, 3, 1]]))
    dY = np.array([[[1.0, 2.0], [10.0, 20.0], [100.0, 200.0]]], np.float32)
    dX = emb.backward(dY)
    assert emb.grads["embeddings"].tolist() == [[0, 0], [101, 202], [0, 0], [10, 20]]
    assert not dX.any()


def test_masked_mean_counts_only_real_steps():
    x = Input(shape=(3,))
    emb = Embedding(5, 1, mask_zero=True)
    model = Model(x, GlobalAveragePooling1D()(emb(x)))
    emb.set_weights([np.array([[0.0], [2.0], [4.0], [6.0], [8.0]])])
    out = model.predict(np.array([[1, 2, 0], [3, 0, 0]]), verbose=0)
    assert out.ravel().tolist() == [3.0, 6.0]  # (2 + 4) / 2 and 6 / 1


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: LSTM(0), ValueError, "units"),
        (lambda: GRU(2, dropout=1.0), ValueError, "dropout"),
        (lambda: SimpleRNN(2, stateful=True), ValueError, "initial_state"),
        (lambda: Sequential([Input(shape=(5,)), LSTM(2)]), ValueError, "steps, features"),
        (lambda: Bidirectional(Dense(2)), ValueError, "SimpleRNN, LSTM or GRU"),
        (lambda: Bidirectional(LSTM(2), merge_mode=None), ValueError, "merge_mode"),
        (lambda: Embedding(0, 2), ValueError, "input_dim"),
        (lambda: Embedding(3, 2)(np.array([[0, 3]])), ValueError, "outside"),
        (lambda: Embedding(3, 2)(np.array([[0.5]])), ValueError, "integer"),
        (lambda: TimeDistributed(Dense(2))(np.ones((2, 3))), ValueError, "steps"),
    ],
)
def test_bad_arguments_are_refused_with_the_fix(make, error, match):
    with pytest.raises(error, match=match):
        make()


# ----------------------------------------------------------------------------- learning
def test_lstm_learns_the_sum_of_a_sequence_and_is_reproducible():
    """The adding task in small: predict the sum of 6 numbers in [0, 1)."""
    from nnlab.utils import set_random_seed

    rng = np.random.default_rng(0)
    X = rng.random((400, 6, 1)).astype("float32")
    y = X.sum(axis=1)

    def fit():
        set_random_seed(3)
        model = Sequential([Input(shape=(6, 1)), LSTM(8), Dense(1)])
        model.compile(optimizer=Adam(0.02), loss="mse")
        history = model.fit(X[:300], y[:300], epochs=25, batch_size=32, verbose=0)
        return model, history.history["loss"]

    model, losses = fit()
    baseline = float(y[300:].var())  # the loss of always predicting the mean
    assert model.evaluate(X[300:], y[300:], verbose=0) < 0.1 * baseline
    again, losses_again = fit()
    assert losses == losses_again
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_integer_token_inputs_as_keras_declares_them_are_carried_as_floats():
    """Keras code declares token ids `Input(shape=(None,), dtype="int32")`; nnlab accepts
    any integer dtype and holds the ids in floatx(), the same model as a float Input."""
    from nnlab import Input, Sequential
    from nnlab.layers import LSTM, Dense, Embedding

    ids = np.array([[3, 1, 4, 1, 5], [9, 2, 6, 5, 3], [5, 8, 9, 7, 9]])
    models = [
        Sequential([Input(shape=(None,), dtype=dtype), Embedding(10, 4), LSTM(3), Dense(1)])
        for dtype in ("int32", "uint8", None)
    ]
    start = models[0].get_weights()
    for model in models:
        assert model.inputs[0].dtype == "float32"
        model.set_weights(start)
        model.compile(optimizer="sgd", loss="mse")
        model.fit(ids, np.ones((3, 1)), epochs=2, verbose=0, shuffle=False)
    for model in models[:2]:
        np.testing.assert_array_equal(model.predict(ids, verbose=0),
                                      models[2].predict(ids, verbose=0))
    with pytest.raises(ValueError, match="integer token ids"):
        models[0].predict(ids + 0.5, verbose=0)
    with pytest.raises(ValueError, match="expected a float dtype"):
        Input(shape=(3,), dtype="complex64")
    from nnlab.layers import InputLayer  # Keras's other spelling of an input

    assert InputLayer(shape=(6,), dtype="int32").dtype == np.float32
