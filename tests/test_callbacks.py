"""Training control: EarlyStopping, ReduceLROnPlateau, LearningRateScheduler, the LR
schedules, the divergence guard, TerminateOnNaN, CSVLogger, class_weight and
validation_split.

Expected sequences are worked out by hand from the rules of /work/shared/KERAS-API.md
(sections 5, 8 and 9) and from nnlab's docstrings where nnlab deliberately differs.
"""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest

from nnlab import optimizers
from nnlab.callbacks import (
    Callback,
    CSVLogger,
    EarlyStopping,
    LearningRateScheduler,
    ReduceLROnPlateau,
    TerminateOnNaN,
)
from nnlab.layers import Dense, Input, Layer
from nnlab.models import Sequential
from nnlab.optimizers.schedules import (
    CosineDecay,
    ExponentialDecay,
    InverseTimeDecay,
    PiecewiseConstantDecay,
)
from nnlab.training import DivergenceWarning
from nnlab.utils import set_random_seed, to_categorical

# -- helpers ------------------------------------------------------------------------


class Scripted(Callback):
    """Overwrites logs[key] with a scripted value each epoch and records the weights.

    Put it before the callback under test, which then sees the scripted values.
    """

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values = list(values)
        self.key = key
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = float(self.values[epoch])
        self.weights.append(self.model.get_weights())


def _data(n=16, seed=0):
    r = np.random.default_rng(seed)
    x = r.normal(size=(n, 3)).astype("float32")
    y = (x @ np.array([[0.5], [-1.0], [0.3]]) + 0.2).astype("float32")
    return x, y


def _model(lr=0.05):
    model = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"), Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="mse")
    return model


def _fit_scripted(values, callback, epochs=None, key="val_loss", model=None, x=None, y=None):
    model = model or _model()
    if x is None:
        x, y = _data()
    script = Scripted(values, key)
    history = model.fit(
        x, y, batch_size=8, epochs=epochs or len(values), verbose=0, callbacks=[script, callback]
    )
    return model, history, script


def _assert_weights_equal(actual, expected):
    assert len(actual) == len(expected)
    for a, b in zip(actual, expected):
        assert np.array_equal(a, b)


def _weights_differ(a, b):
    return any(not np.array_equal(u, v) for u, v in zip(a, b))


# -- 4. EarlyStopping ---------------------------------------------------------------


def test_early_stopping_stops_patience_epochs_after_best_and_restores_it():
    values = [1.0, 0.8, 0.6, 0.7, 0.75, 0.9, 1.0, 1.1, 1.2, 1.3]
    es = EarlyStopping(monitor="val_loss", patience=3)
    model, history, script = _fit_scripted(values, es)
    best = 2
    assert history.epoch == list(range(best + 3 + 1))  # epochs 0..5
    assert history.history["val_loss"] == values[: best + 4]
    assert len(history.history["loss"]) == best + 4
    assert es.best_epoch == best
    assert history.best_epoch == best
    assert es.stopped_epoch == best + 3
    assert es.best == 0.6
    # the weights are exactly those recorded at the end of the best epoch
    _assert_weights_equal(model.get_weights(), script.weights[best])
    assert _weights_differ(script.weights[-1], script.weights[best])


@pytest.mark.parametrize("patience", [0, 1, 2])
def test_early_stopping_patience_counts_non_improving_epochs(patience):
    values = [1.0, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6]
    es = EarlyStopping(patience=patience)
    model, history, script = _fit_scripted(values, es)
    # patience=0 still never stops at epoch 0 (and here epoch 0 improves anyway)
    assert len(history.epoch) == 1 + 1 + max(patience, 1)
    assert es.best_epoch == 1 == history.best_epoch
    _assert_weights_equal(model.get_weights(), script.weights[1])


def test_early_stopping_restores_best_when_epochs_run_out():
    values = [1.0, 0.9, 0.5, 0.6, 0.7]
    es = EarlyStopping(patience=10)
    model, history, script = _fit_scripted(values, es)
    assert len(history.epoch) == 5
    assert es.stopped_epoch == 0  # never stopped early
    assert es.best_epoch == 2 == history.best_epoch
    _assert_weights_equal(model.get_weights(), script.weights[2])
    assert _weights_differ(script.weights[4], script.weights[2])


def test_early_stopping_restore_best_weights_defaults_to_true():
    assert EarlyStopping().restore_best_weights is True  # nnlab's documented deviation
    values = [1.0, 0.5, 0.7, 0.8]
    model, _, script = _fit_scripted(values, EarlyStopping(patience=5))
    _assert_weights_equal(model.get_weights(), script.weights[1])


def test_early_stopping_without_restore_keeps_last_weights():
    values = [1.0, 0.5, 0.7, 0.8, 0.9]
    es = EarlyStopping(patience=2, restore_best_weights=False)
    model, history, script = _fit_scripted(values, es)
    assert len(history.epoch) == 4
    _assert_weights_equal(model.get_weights(), script.weights[3])


def test_early_stopping_min_delta():
    values = [1.0, 0.95, 0.92, 0.91, 0.90, 0.85, 0.80, 0.75]
    # without min_delta every epoch improves: training runs to the end
    _, h_plain, _ = _fit_scripted(values, EarlyStopping(patience=2))
    assert len(h_plain.epoch) == len(values)
    # with min_delta=0.1 none of the small steps counts: stop 2 epochs after epoch 0
    es = EarlyStopping(patience=2, min_delta=0.1)
    model, history, script = _fit_scripted(values, es)
    assert len(history.epoch) == 3
    assert es.best_epoch == 0
    _assert_weights_equal(model.get_weights(), script.weights[0])
    # min_delta's sign does not matter (|min_delta| is used)
    _, h_neg, _ = _fit_scripted(values, EarlyStopping(patience=2, min_delta=-0.1))
    assert len(h_neg.epoch) == 3
    # an improvement of more than min_delta does count
    values2 = [1.0, 0.95, 0.85, 0.84, 0.83, 0.82]
    es2 = EarlyStopping(patience=2, min_delta=0.1)
    _, h2, _ = _fit_scripted(values2, es2)
    assert es2.best_epoch == 2
    assert len(h2.epoch) == 5


def test_early_stopping_baseline_never_beaten_stops_after_patience_epochs():
    values = [1.0, 1.1, 1.05, 1.2, 1.3, 1.4, 1.5]
    es = EarlyStopping(patience=3, baseline=0.5)
    _, history, _ = _fit_scripted(values, es)
    assert len(history.epoch) == 3  # epochs 0, 1, 2
    # without the baseline the first epoch resets the counter: one epoch more
    _, h_plain, _ = _fit_scripted(values, EarlyStopping(patience=3))
    assert len(h_plain.epoch) == 4


def test_early_stopping_baseline_beaten_resets_patience():
    values = [1.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]
    es = EarlyStopping(patience=2, baseline=0.5)
    model, history, script = _fit_scripted(values, es)
    assert len(history.epoch) == 4
    assert es.best_epoch == 1
    _assert_weights_equal(model.get_weights(), script.weights[1])


def _classifier():
    model = Sequential([Input(shape=(3,)), Dense(3, activation="softmax")])
    model.compile(
        optimizer=optimizers.SGD(learning_rate=0.1),
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    r = np.random.default_rng(1)
    x = r.normal(size=(16, 3)).astype("float32")
    y = to_categorical(np.arange(16) % 3).astype("float32")
    return model, x, y


def test_early_stopping_auto_mode_maximizes_accuracy():
    model, x, y = _classifier()
    values = [0.5, 0.6, 0.7, 0.65, 0.6, 0.55, 0.5, 0.45]
    es = EarlyStopping(monitor="val_accuracy", patience=2)
    model, history, script = _fit_scripted(values, es, key="val_accuracy", model=model, x=x, y=y)
    assert es.best_epoch == 2
    assert es.best == 0.7
    assert len(history.epoch) == 5
    _assert_weights_equal(model.get_weights(), script.weights[2])
    # mode='min' on the same values reads 0.5 at epoch 0 as best
    model2, x, y = _classifier()
    es_min = EarlyStopping(monitor="val_accuracy", patience=2, mode="min")
    _fit_scripted(values, es_min, key="val_accuracy", model=model2, x=x, y=y)
    assert es_min.best_epoch == 0


def test_early_stopping_unknown_metric_in_auto_mode_raises():
    model, x, y = _classifier()
    with pytest.raises(ValueError, match="mode"):
        _fit_scripted(
            [1.0, 1.0], EarlyStopping(monitor="val_f1"), key="val_f1", model=model, x=x, y=y
        )


def test_early_stopping_missing_monitor_warns_and_training_continues():
    x, y = _data()
    model = _model()
    with pytest.warns(UserWarning, match="val_loss"):
        history = model.fit(x, y, epochs=3, verbose=0, callbacks=[EarlyStopping(patience=0)])
    assert len(history.epoch) == 3
    assert not hasattr(history, "best_epoch") or history.best_epoch is None


def test_early_stopping_start_from_epoch():
    values = [0.1, 0.2, 1.0, 0.9, 0.95, 0.97, 0.99]
    es = EarlyStopping(patience=2, start_from_epoch=2)
    _, history, _ = _fit_scripted(values, es)
    assert es.best_epoch == 3  # epochs 0 and 1 are not watched at all
    assert len(history.epoch) == 6


def test_early_stopping_on_real_validation_loss():
    """An overfitting-free run where val_loss keeps falling: no early stop, best is last."""
    x, y = _data(n=32)
    model = _model(lr=0.05)
    es = EarlyStopping(patience=2)
    history = model.fit(
        x, y, batch_size=8, epochs=4, verbose=0, callbacks=[es], validation_data=_data(n=16, seed=1)
    )
    losses = history.history["val_loss"]
    assert es.best_epoch == int(np.argmin(losses)) == history.best_epoch
    assert model.evaluate(*_data(n=16, seed=1), verbose=0) == pytest.approx(min(losses), rel=1e-5)


# -- 5. ReduceLROnPlateau -------------------------------------------------------------


def _lr_run(values, callback, lr=0.1):
    model = _model(lr=lr)
    _, history, _ = _fit_scripted(values, callback, model=model)
    return model, history


def test_reduce_lr_factor_and_patience():
    values = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.8, 0.8]
    cb = ReduceLROnPlateau(factor=0.5, patience=2, min_delta=0.0)
    model, history = _lr_run(values, cb)
    expected = [0.1, 0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]  # logged before each change
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-12)
    assert model.optimizer.learning_rate == pytest.approx(0.025, rel=1e-12)


def test_reduce_lr_cooldown():
    values = [1.0] * 8
    cb = ReduceLROnPlateau(factor=0.5, patience=1, cooldown=2, min_delta=0.0)
    model, history = _lr_run(values, cb)
    expected = [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-12)
    assert model.optimizer.learning_rate == pytest.approx(0.00625, rel=1e-12)


def test_reduce_lr_min_lr():
    values = [1.0] * 5
    cb = ReduceLROnPlateau(factor=0.1, patience=1, min_lr=0.002)
    model, history = _lr_run(values, cb)
    assert history.history["learning_rate"] == pytest.approx(
        [0.1, 0.1, 0.01, 0.002, 0.002], rel=1e-12
    )
    assert model.optimizer.learning_rate == pytest.approx(0.002, rel=1e-12)


def test_reduce_lr_min_delta():
    values = [1.0, 0.97, 0.94, 0.90, 0.80, 0.79]
    cb = ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.05)
    _, history = _lr_run(values, cb)
    # 0.97 is not below 1.0 - 0.05: reduce; 0.94 is; 0.90 is not below 0.89: reduce;
    # 0.80 is; 0.79 is not below 0.75: reduce (after logging)
    assert history.history["learning_rate"] == pytest.approx(
        [0.1, 0.1, 0.05, 0.05, 0.025, 0.025], rel=1e-12
    )


def test_reduce_lr_default_min_delta_is_1e_4():
    # 0.99995 is not below 1 - 1e-4: reduce; 0.9998 is; 0.99975 is not below 0.9997: reduce
    values = [1.0, 0.99995, 0.9998, 0.99975]
    cb = ReduceLROnPlateau(factor=0.5, patience=1)
    _, history = _lr_run(values, cb)
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.1, 0.05, 0.05], rel=1e-12)


def test_reduce_lr_invalid_factor():
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.0)


def test_reduced_learning_rate_is_used_by_the_optimizer(float64):
    """After a reduction the step size really is the new rate."""
    model = Sequential([Input(shape=(1,)), Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = np.ones((1, 1)), np.zeros((1, 1))
    cb = ReduceLROnPlateau(factor=0.5, patience=1, monitor="const", mode="min")
    script = Scripted([1.0, 1.0, 1.0], key="const")
    model.fit(x, y, epochs=3, verbose=0, callbacks=[script, cb])
    # L = w^2, dL/dw = 2w: epochs use lr 0.1, 0.1, 0.05
    w = 1.0
    for lr in (0.1, 0.1, 0.05):
        w -= lr * 2 * w
    assert model.get_weights()[0][0, 0] == pytest.approx(w, rel=1e-12)


# -- LearningRateScheduler -------------------------------------------------------------


def test_scheduler_with_epoch_and_lr():
    seen = []

    def halve(epoch, lr):
        seen.append((epoch, lr))
        return lr * 0.5 if epoch > 0 else lr

    model = _model(lr=0.1)
    x, y = _data()
    history = model.fit(
        x, y, batch_size=8, epochs=4, verbose=0, callbacks=[LearningRateScheduler(halve)]
    )
    assert history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025, 0.0125], rel=1e-12)
    assert [e for e, _ in seen] == [0, 1, 2, 3]  # 0-based epochs
    assert [lr for _, lr in seen] == pytest.approx([0.1, 0.1, 0.05, 0.025], rel=1e-12)
    assert model.optimizer.learning_rate == pytest.approx(0.0125, rel=1e-12)


def test_scheduler_with_epoch_only():
    model = _model(lr=0.1)
    x, y = _data()
    history = model.fit(
        x,
        y,
        batch_size=8,
        epochs=3,
        verbose=0,
        callbacks=[LearningRateScheduler(lambda epoch: 0.3 / (epoch + 1))],
    )
    assert history.history["learning_rate"] == pytest.approx([0.3, 0.15, 0.1], rel=1e-12)


def test_scheduler_numpy_float_is_accepted():
    model = _model(lr=0.1)
    x, y = _data()
    history = model.fit(
        x, y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(lambda e, lr: np.float32(0.25))]
    )
    assert history.history["learning_rate"] == pytest.approx([0.25, 0.25])


@pytest.mark.parametrize("schedule", [lambda e, lr: 1, lambda e: 1, lambda e, lr: True])
def test_scheduler_non_float_return_raises(schedule):
    model = _model(lr=0.1)
    x, y = _data()
    with pytest.raises(ValueError, match="float"):
        model.fit(x, y, epochs=2, verbose=0, callbacks=[LearningRateScheduler(schedule)])


def test_scheduled_rate_is_used_by_the_optimizer(float64):
    model = Sequential([Input(shape=(1,)), Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    x, y = np.ones((1, 1)), np.zeros((1, 1))
    model.fit(
        x, y, epochs=3, verbose=0, callbacks=[LearningRateScheduler(lambda e: [0.1, 0.2, 0.05][e])]
    )
    w = 1.0
    for lr in (0.1, 0.2, 0.05):
        w -= lr * 2 * w
    assert model.get_weights()[0][0, 0] == pytest.approx(w, rel=1e-12)


# -- schedules -------------------------------------------------------------------------


def test_exponential_decay_values():
    s = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    for step, lr in [(0, 0.1), (5, 0.1 * 0.5**0.5), (10, 0.05), (25, 0.1 * 0.5**2.5)]:
        assert s(step) == pytest.approx(lr, rel=1e-12)
    st = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    for step, lr in [(0, 0.1), (5, 0.1), (9, 0.1), (10, 0.05), (19, 0.05), (25, 0.025)]:
        assert st(step) == pytest.approx(lr, rel=1e-12)


def test_piecewise_constant_decay_values():
    s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    for step, lr in [(0, 1.0), (10, 1.0), (11, 0.5), (20, 0.5), (21, 0.1), (1000, 0.1)]:
        assert s(step) == lr
    with pytest.raises(ValueError):
        PiecewiseConstantDecay([10, 20], [1.0, 0.5])


def test_inverse_time_decay_values():
    s = InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
    for step, lr in [(0, 0.1), (10, 0.1 / 1.5), (25, 0.1 / 2.25), (5, 0.1 / 1.25)]:
        assert s(step) == pytest.approx(lr, rel=1e-12)
    st = InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    for step, lr in [(5, 0.1), (10, 0.1 / 1.5), (25, 0.1 / 2.0)]:
        assert st(step) == pytest.approx(lr, rel=1e-12)


def test_cosine_decay_values():
    s = CosineDecay(0.1, decay_steps=100)
    for step, lr in [
        (0, 0.1),
        (25, 0.05 * (1 + math.cos(math.pi / 4))),
        (50, 0.05),
        (100, 0.0),
        (250, 0.0),
    ]:
        assert s(step) == pytest.approx(lr, rel=1e-12, abs=1e-15)
    a = CosineDecay(0.1, decay_steps=100, alpha=0.1)
    assert a(50) == pytest.approx(0.1 * (0.9 * 0.5 + 0.1), rel=1e-12)
    assert a(100) == pytest.approx(0.01, rel=1e-12)
    assert a(1000) == pytest.approx(0.01, rel=1e-12)


def test_cosine_decay_with_warmup_values():
    s = CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
    for step, lr in [(0, 0.0), (5, 0.05), (9, 0.09), (10, 0.1), (60, 0.05), (110, 0.0), (500, 0.0)]:
        assert s(step) == pytest.approx(lr, rel=1e-12, abs=1e-15)
    s2 = CosineDecay(0.02, decay_steps=10, warmup_target=0.1, warmup_steps=4, alpha=0.5)
    assert s2(2) == pytest.approx(0.02 + 0.08 * 0.5, rel=1e-12)
    assert s2(9) == pytest.approx(0.1 * (0.5 * 0.5 * (1 + math.cos(math.pi * 0.5)) + 0.5))
    assert s2(14) == pytest.approx(0.05, rel=1e-12)


@pytest.mark.parametrize(
    "schedule, expected",
    [
        # 40 samples, batch 10: the logged rate after epoch e is schedule(4 * (e + 1))
        (ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5), [0.05, 0.025, 0.0125]),
        (ExponentialDecay(0.1, 6, 0.5, staircase=True), [0.1, 0.05, 0.025]),
        (ExponentialDecay(0.1, 6, 0.5), [0.1 * 0.5 ** (4 / 6), 0.1 * 0.5 ** (8 / 6), 0.025]),
        (PiecewiseConstantDecay([4, 8], [0.01, 0.005, 0.001]), [0.01, 0.005, 0.001]),
        (InverseTimeDecay(0.1, 4, 1.0), [0.05, 0.1 / 3, 0.025]),
        (CosineDecay(0.1, 8), [0.05, 0.0, 0.0]),
        (CosineDecay(0.0, 8, warmup_target=0.1, warmup_steps=8), [0.05, 0.1, 0.05]),
    ],
    ids=["exp", "exp-staircase", "exp-6", "piecewise", "inverse", "cosine", "cosine-warmup"],
)
def test_schedule_values_logged_during_fit(schedule, expected):
    model = Sequential([Input(shape=(3,)), Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=schedule), loss="mse")
    x, y = _data(n=40)
    history = model.fit(x, y, batch_size=10, epochs=3, verbose=0)
    assert model.optimizer.iterations == 12
    assert history.history["learning_rate"] == pytest.approx(expected, rel=1e-9, abs=1e-15)
    assert list(history.history) == ["loss", "learning_rate"]


def test_schedule_first_step_uses_step_zero(float64):
    schedule = PiecewiseConstantDecay([0], [0.1, 0.01])
    model = Sequential([Input(shape=(1,)), Dense(1, use_bias=False, kernel_initializer="ones")])
    model.compile(optimizer=optimizers.SGD(learning_rate=schedule), loss="mse")
    x, y = np.ones((1, 1)), np.zeros((1, 1))
    model.train_on_batch(x, y)  # schedule(0) = 0.1: w = 1 - 0.1 * 2
    assert model.get_weights()[0][0, 0] == pytest.approx(0.8, rel=1e-12)
    model.train_on_batch(x, y)  # schedule(1) = 0.01
    assert model.get_weights()[0][0, 0] == pytest.approx(0.8 - 0.01 * 1.6, rel=1e-12)


# -- 6. divergence ------------------------------------------------------------------------


class BatchLosses(Callback):
    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append((batch, logs["loss"]))


def test_divergence_stops_at_first_non_finite_step_and_warns():
    r = np.random.default_rng(0)
    x = (r.normal(size=(64, 4)) * 1000).astype("float32")  # unscaled
    y = (x @ r.normal(size=(4, 1)) / 1000).astype("float32")
    model = Sequential([Input(shape=(4,)), Dense(8, activation="relu"), Dense(1)])
    model.compile(optimizer=optimizers.SGD(learning_rate=1e3), loss="mse")
    recorder = BatchLosses()
    with pytest.warns(DivergenceWarning) as record:
        history = model.fit(x, y, batch_size=8, epochs=5, verbose=0, callbacks=[recorder])
    assert len(record) == 1
    message = str(record[0].message)
    report = history.diverged
    assert report is not None
    assert {"epoch", "step"} <= set(report)
    assert f"epoch {report['epoch'] + 1}" in message
    assert f"step {report['step'] + 1}" in message
    assert "learning rate" in message and "learning_rate=1000" in message
    assert "not scaled" in message
    assert not math.isfinite(report["loss"])
    # stopped at that step: no epoch after it, no batch after it; as in Keras the batch
    # hooks see the non-finite loss of that last batch (so TerminateOnNaN can react)
    assert history.epoch[-1] <= report["epoch"] < 4
    steps_per_epoch = 8
    assert len(recorder.losses) == report["epoch"] * steps_per_epoch + report["step"] + 1
    assert all(math.isfinite(loss) for _, loss in recorder.losses[:-1])
    assert not math.isfinite(recorder.losses[-1][1])
    assert model.stop_training
    # the weights of the last finite step were kept: predictions are finite
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
    assert np.all(np.isfinite(model.predict(x, verbose=0)))


def test_no_divergence_report_on_a_normal_run():
    x, y = _data()
    history = _model().fit(x, y, epochs=2, verbose=0)
    assert history.diverged is None


# -- TerminateOnNaN and CSVLogger ------------------------------------------------------


def test_terminate_on_nan_raise_error():
    cb = TerminateOnNaN(raise_error=True)
    cb.set_model(_model())
    cb.on_train_batch_end(0, {"loss": 0.5})  # finite: nothing happens
    with pytest.raises(RuntimeError, match="nan"):
        cb.on_train_batch_end(3, {"loss": float("nan")})
    with pytest.raises(RuntimeError):
        cb.on_train_batch_end(3, {"loss": float("inf")})


def test_terminate_on_nan_stops_training(capsys):
    model = _model()
    cb = TerminateOnNaN()
    cb.set_model(model)
    model.stop_training = False
    cb.on_train_batch_end(0, {"loss": 1.0})
    assert model.stop_training is False
    cb.on_train_batch_end(1, {"loss": float("nan")})
    assert model.stop_training is True
    # in fit with finite losses it never stops anything
    x, y = _data()
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[TerminateOnNaN(raise_error=True)])
    assert len(history.epoch) == 2


def _read_csv(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_logger_header_and_rows(tmp_path):
    model, x, y = _classifier()
    path = tmp_path / "log.csv"
    history = model.fit(
        x, y, epochs=3, verbose=0, validation_data=(x, y), callbacks=[CSVLogger(path)]
    )
    rows = _read_csv(path)
    keys = sorted(history.history)
    assert rows[0] == ["epoch"] + keys
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert len(rows) == 1 + 3
    for epoch, row in enumerate(rows[1:]):
        assert int(row[0]) == epoch
        for k, v in zip(keys, row[1:]):
            assert float(v) == pytest.approx(history.history[k][epoch], rel=1e-12)


def test_csv_logger_without_validation_and_append(tmp_path):
    path = tmp_path / "log.csv"
    x, y = _data()
    model = _model()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(path)])
    rows = _read_csv(path)
    assert rows[0] == ["epoch", "loss", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert all(r[2] == "NA" for r in rows[1:])
    model.fit(x, y, epochs=2, verbose=0, callbacks=[CSVLogger(path, append=True)])
    rows = _read_csv(path)
    assert len(rows) == 1 + 4  # no second header
    model.fit(x, y, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[0] == "epoch;loss;val_loss"
    assert len(lines) == 2  # append=False overwrites


# -- 7. class_weight ---------------------------------------------------------------------


def _twin_models(make):
    set_random_seed(3)
    a = make()
    b = make()
    b.set_weights(a.get_weights())
    return a, b


def _onehot_model():
    m = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"), Dense(2, activation="softmax")])
    m.compile(optimizer=optimizers.SGD(learning_rate=0.2), loss="categorical_crossentropy")
    return m


def _binary_model():
    m = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"), Dense(1, activation="sigmoid")])
    m.compile(optimizer=optimizers.SGD(learning_rate=0.2), loss="binary_crossentropy")
    return m


def _class_data(binary):
    r = np.random.default_rng(4)
    x = r.normal(size=(20, 3)).astype("float32")
    labels = (np.arange(20) % 4 == 0).astype(int)  # 5 of class 1, 15 of class 0
    y = labels[:, None].astype("float32") if binary else to_categorical(labels).astype("float32")
    sw = np.where(labels == 1, 3.0, 1.0)
    return x, y, sw


@pytest.mark.parametrize("binary", [False, True], ids=["one-hot", "binary"])
def test_class_weight_equals_sample_weight_in_fit(binary):
    make = _binary_model if binary else _onehot_model
    x, y, sw = _class_data(binary)
    cw, swm = _twin_models(make)
    plain = make()
    plain.set_weights(cw.get_weights())
    kw = dict(batch_size=5, epochs=3, verbose=0, shuffle=False, seed=0)
    h_cw = cw.fit(x, y, class_weight={0: 1.0, 1: 3.0}, **kw)
    h_sw = swm.fit(x, y, sample_weight=sw, **kw)
    h_plain = plain.fit(x, y, **kw)
    _assert_weights_equal(cw.get_weights(), swm.get_weights())
    assert h_cw.history["loss"] == h_sw.history["loss"]
    assert _weights_differ(cw.get_weights(), plain.get_weights())
    assert h_cw.history["loss"] != h_plain.history["loss"]


@pytest.mark.parametrize("binary", [False, True], ids=["one-hot", "binary"])
def test_class_weight_equals_sample_weight_in_train_on_batch(binary):
    make = _binary_model if binary else _onehot_model
    x, y, sw = _class_data(binary)
    cw, swm = _twin_models(make)
    for _ in range(2):
        loss_cw = cw.train_on_batch(x, y, class_weight={0: 1.0, 1: 3.0})
        loss_sw = swm.train_on_batch(x, y, sample_weight=sw)
        assert loss_cw == loss_sw
    _assert_weights_equal(cw.get_weights(), swm.get_weights())
    # class 1 weighted 3x: the loss is the sample-weighted mean (sum over batch size)
    plain = make()
    plain.set_weights(cw.get_weights())
    p = plain.predict(x, verbose=0)
    if binary:
        per_sample = -(y * np.log(p) + (1 - y) * np.log(1 - p))[:, 0]
    else:
        per_sample = -(y * np.log(p)).sum(axis=1)
    expected = float((per_sample * sw).sum() / len(sw))
    assert plain.test_on_batch(x, y, sample_weight=sw) == pytest.approx(expected, rel=1e-5)


def test_class_weight_missing_class_defaults_to_one():
    x, y, sw = _class_data(False)
    cw, swm = _twin_models(_onehot_model)
    cw.train_on_batch(x, y, class_weight={1: 3.0})
    swm.train_on_batch(x, y, sample_weight=sw)
    _assert_weights_equal(cw.get_weights(), swm.get_weights())


def test_class_weight_with_sample_weight_raises():
    x, y, sw = _class_data(False)
    with pytest.raises(ValueError, match="class_weight"):
        _onehot_model().fit(x, y, class_weight={0: 1.0}, sample_weight=sw, verbose=0)


# -- validation_split ----------------------------------------------------------------------


class Recorder(Layer):
    """Identity layer that remembers the first input column (sample ids) per mode."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.train_ids, self.val_ids = [], []

    def forward(self, X, training=False):
        (self.train_ids if training else self.val_ids).append(X[:, 0].copy())
        return X

    def backward(self, dY, need_dX=True):
        return dY


def _split_ids(y, seed, split=0.2):
    n = len(y)
    x = np.stack([np.arange(n), np.zeros(n)], axis=1).astype("float32")
    rec = Recorder()
    units = y.shape[1]
    out = Dense(units, activation="softmax" if units > 1 else "sigmoid", kernel_initializer="zeros")
    model = Sequential([Input(shape=(2,)), rec, out])
    loss = "categorical_crossentropy" if units > 1 else "binary_crossentropy"
    model.compile(optimizer=optimizers.SGD(learning_rate=1e-4), loss=loss)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, validation_split=split, seed=seed)
    val = np.concatenate(rec.val_ids).astype(int)
    train = np.concatenate(rec.train_ids).astype(int)
    return train, val


@pytest.mark.parametrize("binary", [False, True], ids=["one-hot", "binary"])
def test_validation_split_is_stratified_and_shuffled(binary):
    labels = np.repeat([0, 1, 2], [50, 30, 20]) if not binary else np.repeat([0, 1], [70, 30])
    y = labels[:, None].astype("float32") if binary else to_categorical(labels).astype("float32")
    train, val = _split_ids(y, seed=5)
    assert len(val) == 20 and len(set(val)) == 20
    assert sorted(np.concatenate([train, val]).tolist()) == list(range(100))  # a partition
    for c in np.unique(labels):
        in_val = int(np.sum(labels[val] == c))
        assert abs(in_val - 0.2 * np.sum(labels == c)) <= 1, (c, in_val)
    # shuffled: not Keras's last rows (those would be all of the last class)
    assert set(val) != set(range(80, 100))
    assert len(np.unique(labels[val])) == len(np.unique(labels))


def test_validation_split_is_reproducible_with_seed():
    labels = np.repeat([0, 1, 2], [50, 30, 20])
    y = to_categorical(labels).astype("float32")
    _, val_a = _split_ids(y, seed=11)
    _, val_b = _split_ids(y, seed=11)
    _, val_c = _split_ids(y, seed=12)
    assert np.array_equal(np.sort(val_a), np.sort(val_b))
    assert not np.array_equal(np.sort(val_a), np.sort(val_c))


def test_validation_split_fraction_sizes_and_errors():
    labels = np.arange(10) % 2
    y = labels[:, None].astype("float32")
    train, val = _split_ids(y, seed=0, split=0.35)
    assert len(val) == 10 - math.floor(10 * 0.65)  # Keras's count: 4
    with pytest.raises(ValueError, match="validation_split"):
        _split_ids(y, seed=0, split=1.0)


# -- callback protocol --------------------------------------------------------------------


class HookLog(Callback):
    def __init__(self):
        super().__init__()
        self.calls = []

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch, sorted(logs)))

    def on_test_begin(self, logs=None):
        self.calls.append(("test_begin",))

    def on_test_end(self, logs=None):
        self.calls.append(("test_end",))


def test_validation_inside_fit_fires_the_test_hooks():
    """KERAS-API.md section 9: validation runs before on_epoch_end and fires the test hooks."""
    x, y = _data()
    log = HookLog()
    _model().fit(x, y, epochs=2, verbose=0, validation_data=(x, y), callbacks=[log])
    names = [c[0] for c in log.calls]
    assert names == ["test_begin", "test_end", "epoch_end"] * 2


def test_history_sees_changes_made_by_earlier_callbacks():
    values = [0.3, 0.2]
    _, history, _ = _fit_scripted(values, Callback(), key="custom")
    assert history.history["custom"] == values
    assert history.epoch == [0, 1]
