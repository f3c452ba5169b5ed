"""The divergence guard (non-finite and huge finite losses), and three tests written to
catch mutations that a mutation run found surviving: the guard not restoring the
weights, BatchNormalization's frozen-statistics backward losing 1/sqrt(var + eps), and
Dropout ignoring `noise_shape`."""

import math

import numpy as np
import pytest

from nnlab import optimizers
from nnlab.callbacks import Callback
from nnlab.diagnostics import diagnose
from nnlab.divergence import DIVERGENCE_FACTOR, DivergenceWarning, constant_predictor_loss
from nnlab.layers import BatchNormalization, Dense, Dropout, Input
from nnlab.models import Sequential


class EpochWeights(Callback):
    """The weights after every epoch's update (full batch: one update per epoch)."""

    def on_train_begin(self, logs=None):
        self.initial = [W.copy() for W in self.model.get_weights()]
        self.after = []

    def on_epoch_end(self, epoch, logs=None):
        self.after.append([W.copy() for W in self.model.get_weights()])


def _linear_data(n=64, seed=0):
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [3.0]]) + 1.0).astype("float32")
    return x, y


def test_divergence_guard_restores_exactly_the_weights_before_the_last_update():
    # Full-batch SGD with a step far beyond 2/L: the loss grows ~16x per epoch, passes
    # 1,000x its start after a few epochs and later overflows.
    x, y = _linear_data()
    model = Sequential([Input(shape=(4,)), Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=2.5), loss="mse")
    weights = EpochWeights()
    with pytest.warns(DivergenceWarning, match="Training diverged"):
        history = model.fit(
            x, y, batch_size=64, epochs=50, verbose=0, callbacks=[weights], shuffle=False
        )
    e = history.diverged["epoch"]
    assert e >= 2, "the setting must diverge after a few finite epochs"
    assert len(weights.after) == e  # epochs 0..e-1 finished; epoch e's loss diverged
    # The loss at epoch e was computed with the weights after epoch e-1's update; the
    # guard puts back the weights from before that update: those after epoch e-2.
    expected = weights.after[e - 2]
    final = model.get_weights()
    for W, W_expected, W_diverged in zip(final, expected, weights.after[e - 1]):
        np.testing.assert_array_equal(W, W_expected)
        assert not np.array_equal(W, W_diverged)


def test_huge_finite_loss_counts_as_divergence_and_is_diagnosed_as_diverging():
    r = np.random.default_rng(1)
    x = r.normal(size=(200, 4)).astype("float32")
    y = np.eye(3, dtype="float32")[r.integers(0, 3, size=200)]
    model = Sequential(
        [Input(shape=(4,)), Dense(16, activation="relu"), Dense(3, activation="softmax")]
    )
    model.compile(optimizer=optimizers.Adam(learning_rate=1e6), loss="categorical_crossentropy")
    with pytest.warns(DivergenceWarning, match=r"more than 1,000x") as record:
        history = model.fit(x, y, batch_size=32, epochs=5, verbose=0, seed=0)
    assert len(record) == 1
    report = history.diverged
    assert math.isfinite(report["loss"]) and report["loss"] > report["limit"]
    assert report["limit"] == pytest.approx(DIVERGENCE_FACTOR * math.log(3), rel=0.5)
    assert all(np.isfinite(W).all() for W in model.get_weights())
    d = diagnose(history)
    assert d.label == "diverging"
    assert "learning rate" in d.message and "divergence limit" in d.message


def test_ordinary_training_never_trips_the_finite_limit():
    x, y = _linear_data()
    model = Sequential([Input(shape=(4,)), Dense(8, activation="tanh"), Dense(1)])
    model.compile(optimizer=optimizers.Adam(learning_rate=0.01), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=5, verbose=0, seed=0)
    assert history.diverged is None and len(history.epoch) == 5


def test_constant_predictor_loss_golden_values():
    # MSE of the mean: the (biased) variance of the targets.
    model = Sequential([Input(shape=(1,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert constant_predictor_loss(model, [np.array([[0.0], [2.0], [4.0]])]) == pytest.approx(
        8 / 3
    )
    # Cross-entropy of the class frequencies (1/2, 1/4, 1/4): their entropy, 1.5 ln 2.
    model = Sequential([Input(shape=(1,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    Y = np.eye(3)[[0, 0, 1, 2]]
    assert constant_predictor_loss(model, [Y]) == pytest.approx(1.5 * math.log(2), rel=1e-6)


# -- BatchNormalization with frozen statistics ----------------------------------------
def _frozen_bn(**kwargs):
    layer = BatchNormalization(epsilon=1e-3, dtype="float64", **kwargs)
    layer.build((None, 2))
    gamma, beta = np.array([3.0, -1.0]), np.array([0.5, 0.25])
    mean, var = np.array([1.0, -2.0]), np.array([4.0, 0.25]) - 1e-3  # var + eps = 4, 1/4
    layer.set_weights([gamma, beta, mean, var])
    return layer, gamma, beta, mean


@pytest.mark.parametrize("mode", ["inference", "trainable=False"])
def test_batchnorm_backward_with_moving_statistics_golden(mode):
    layer, gamma, beta, mean = _frozen_bn()
    X = np.array([[3.0, -1.0], [-1.0, -2.5], [1.0, 0.0]])
    if mode == "inference":
        Y = layer.forward(X, training=False)
    else:
        layer.trainable = False
        Y = layer.forward(X, training=True)  # frozen: the moving statistics are used
    inv_std = np.array([0.5, 2.0])  # 1 / sqrt(var + eps), by construction
    np.testing.assert_allclose(Y, gamma * (X - mean) * inv_std + beta, rtol=1e-12)
    dY = np.array([[1.0, 2.0], [-3.0, 0.5], [0.25, -1.0]])
    dX = layer.backward(dY)
    # dX = dY * gamma / sqrt(var + eps): [1.5, -2] per feature
    np.testing.assert_allclose(dX, dY * np.array([1.5, -2.0]), rtol=1e-12)


def test_batchnorm_frozen_backward_matches_central_differences():
    layer, *_ = _frozen_bn()
    r = np.random.default_rng(0)
    X, dY = r.normal(size=(5, 2)), r.normal(size=(5, 2))
    layer.forward(X, training=False)
    dX = layer.backward(dY)
    h, numeric = 1e-6, np.zeros_like(X)
    for idx in np.ndindex(X.shape):
        Xp, Xm = X.copy(), X.copy()
        Xp[idx] += h
        Xm[idx] -= h
        numeric[idx] = np.sum(
            dY * (layer.forward(Xp, training=False) - layer.forward(Xm, training=False))
        ) / (2 * h)
    np.testing.assert_allclose(dX, numeric, rtol=1e-7, atol=1e-9)


# -- Dropout's noise_shape ---------------------------------------------------------------
def test_dropout_noise_shape_broadcasts_the_mask_along_its_one_axes():
    X = np.ones((64, 16), dtype="float32")
    rows = Dropout(0.5, noise_shape=(None, 1), seed=3)
    A = rows.forward(X, training=True)
    # one draw per sample: every row is all 0 or all 2 (= 1 / keep)
    assert np.all(A == A[:, :1])
    assert set(np.unique(A)) == {0.0, 2.0}
    # the backward pass uses the same broadcast mask
    dX = rows.backward(np.full_like(X, 3.0))
    np.testing.assert_array_equal(dX, 3.0 * A)

    cols = Dropout(0.5, noise_shape=(1, None), seed=3)
    B = cols.forward(X, training=True)
    assert np.all(B == B[:1, :])  # one draw per feature, shared by every sample
    assert set(np.unique(B)) == {0.0, 2.0}


def test_reliability_doc_examples_run_and_print_what_the_doc_shows(capsys):
    import re
    import warnings
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "reliability.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DivergenceWarning)  # the example records it itself
        exec(compile(blocks[0], "docs/reliability.md block 0", "exec"), {})
    printed = text.split("printed:\n\n```\n", 1)[1].split("```", 1)[0]
    assert capsys.readouterr().out == printed
    exec(compile(blocks[1], "docs/reliability.md block 1", "exec"), {})
    assert capsys.readouterr().out == "5\n"
