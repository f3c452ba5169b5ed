"""The one training loop: batches -> forward -> loss -> backward -> step -> callbacks.

This module sets a run up (checked arguments, inputs, callbacks, the guard) and runs
the epochs; one step and one epoch live in `nnlab.training_epoch`, the logged values
and evaluate's results in `nnlab.training_logs`.

`fit`, `evaluate`, `predict`, `train_on_batch` and `test_on_batch` behave as Keras 3's
(see KERAS-API.md); `Model`'s methods of the same names call these. Logged values
follow Keras: `loss` is the mean of the batch losses weighted by batch size, each
computed before that batch's update; metrics are running means over the epoch;
validation values get a `val_` prefix; keys are sorted.

Deliberate differences from Keras, all documented on `fit`:
- `validation_split` draws a shuffled (and, for classification, stratified) split
  with the fit's seed instead of taking the last rows;
- `fit` takes `seed=`, which drives shuffling and the validation split.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from nnlab import data_adapters as feeds
from nnlab import fit_inputs
from nnlab.backend import make_rng
from nnlab.callbacks import CallbackList, History, ProgressBar
from nnlab.data_adapters import SHUFFLED_COPY_BYTES, array_batches, index_batches  # noqa: F401
from nnlab.diagnostics.health import GradientNormRecorder
from nnlab.divergence import (
    DivergenceGuard,
    DivergenceWarning,  # noqa: F401  (its historical home)
    constant_predictor_loss,
)
from nnlab.step.fused_loss import unit_rows
from nnlab.step.step_plan import StepPlan
from nnlab.training_epoch import fit_epoch, train_step
from nnlab.training_logs import Accumulator, evaluate_data, ordered_results

# The checked inputs live in nnlab.fit_inputs; their historical names here:
_Data, _prepare = fit_inputs.Data, fit_inputs.prepare
_class_weights_to_samples = fit_inputs.class_weights_to_samples
_split_validation, _feed_inputs = fit_inputs.split_validation, fit_inputs.feed_inputs
_eval_batches = fit_inputs.eval_batches


def _check_int(name: str, value, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}. Received: {name}={value!r}")
    return int(value)


def _verbose(verbose) -> int:
    if verbose == "auto":
        return 1
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1, 2 or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


@dataclass
class FitState:
    """What a running `fit` exposes to callbacks as `model.fit_state` (nnlab extension).

    `fit` sets it before `on_train_begin` and clears it (None) after `on_train_end`. A
    callback that restores a run (see `nnlab.callbacks.BackupAndRestore`) may move
    `initial_epoch` forward in `on_train_begin`, as Keras's callbacks set the trainer's
    initial epoch.

    Attributes:
        rng: the generator that shuffles every epoch (already past the validation split).
        initial_epoch: the first epoch the loop will run.
        history: the History this fit returns.
        callbacks: every callback of this fit, in call order.
        guard: the divergence guard (its `reference` fixes the divergence limit).
        learning_rate: the optimizer's learning rate as the current epoch began, before
            any callback's `on_epoch_begin` (what a backup must restore).
    """

    rng: np.random.Generator
    initial_epoch: int
    history: History
    callbacks: list
    guard: DivergenceGuard
    learning_rate: float | None = None


def fit(
    model,
    x=None,
    y=None,
    *,
    batch_size=None,
    epochs=1,
    verbose="auto",
    callbacks=None,
    validation_split=0.0,
    validation_data=None,
    shuffle=True,
    class_weight=None,
    sample_weight=None,
    initial_epoch=0,
    seed=None,
    gradient_health=True,
    validation_batch_size=None,
    validation_freq=1,
    steps_per_epoch=None,
    validation_steps=None,
):
    """Train `model` on (x, y) for `epochs` epochs and return its History.

    Args:
        x: input arrays; or a `PyDataset`-like sequence or a generator giving
            (x, y) or (x, y, sample_weight) batches (then no y, sample_weight nor
            batch_size; see nnlab.data_adapters).
        batch_size: samples per gradient step (default 32). `batch_size >= n` gives
            full-batch gradient descent, 1 gives online SGD; otherwise mini-batches,
            reshuffled every epoch when `shuffle`.
        epochs: the index of the last epoch (the loop runs initial_epoch..epochs-1).
        verbose: 0 silent, 1 a progress bar per epoch, 2 one line per epoch.
        callbacks: a list of nnlab.callbacks.Callback.
        validation_split: fraction of the training data held out for validation.
            Unlike Keras (which takes the last rows), nnlab draws a shuffled split
            with the fit's seed, stratified by class for classification targets.
        validation_data: (x_val, y_val) or (x_val, y_val, sample_weight_val);
            overrides validation_split.
        class_weight: dict class index -> weight, turned into per-sample weights.
        sample_weight: one weight per training sample.
        seed: nnlab extension; drives shuffling and the validation split. None draws
            it from the global seed stream (see nnlab.utils.set_random_seed).
        validation_batch_size: batch size for validation (default: batch_size).
        validation_freq: validate after every this many epochs (Keras: epochs whose
            number, counted from 1, is a multiple of it).
        steps_per_epoch: batches per epoch, taken from a pass over the data that goes
            on across epochs (Keras 3's rule; see nnlab.data_adapters). Default: one
            pass. A generator without it can train one epoch only.
        validation_steps: batches per validation (default: one pass).
        gradient_health: nnlab extension; record per-layer gradient norms and dead
            ReLU units once per epoch into the History (see nnlab.diagnostics.health).
            On by default; it costs a few vector norms per epoch, nothing per batch.
    """
    model.require_compiled("fit")
    kind = feeds.kind_of(x)
    if kind:
        fit_inputs.check_feed_fit(kind, y, sample_weight, batch_size, validation_split)
    else:
        model.ensure_built(x)
    batch_size = 32 if batch_size is None else _check_int("batch_size", batch_size, 1)
    epochs = _check_int("epochs", epochs, 0)
    initial_epoch = _check_int("initial_epoch", initial_epoch, 0)
    validation_freq = _check_int("validation_freq", validation_freq, 1)
    val_batch_size = batch_size if validation_batch_size is None else _check_int(
        "validation_batch_size", validation_batch_size, 1)
    verbose = _verbose(verbose)
    _check_split_and_epochs(validation_split, initial_epoch, epochs)
    rng = make_rng(seed)
    plan = fit_inputs.FitPlan(
        batch_size, shuffle, feeds.check_steps("steps_per_epoch", steps_per_epoch),
        val_batch_size, feeds.check_steps("validation_steps", validation_steps),
        frozenset(e for e in range(initial_epoch, epochs) if (e + 1) % validation_freq == 0),
        epochs - initial_epoch)
    inputs = fit_inputs.fit_inputs(
        model, plan, rng, x, y, sample_weight, class_weight, validation_data, validation_split)
    data, feed = inputs.data, inputs.feed
    store = model.pack_parameters()
    history = History()
    cbs = _callback_list(callbacks)
    if verbose:
        cbs.append(ProgressBar(verbose))
    if gradient_health:
        cbs.append(GradientNormRecorder(history))
    cbs.append(history)
    params = {"verbose": verbose, "epochs": epochs, "steps": inputs.steps}
    cbs = CallbackList(cbs, model, params)

    model.stop_training = False
    guard = DivergenceGuard(
        store, data, model.weight_layers(), constant_predictor_loss(model, data.Y, data.sw)
    )
    model.fit_state = FitState(rng, initial_epoch, history, cbs.callbacks, guard)
    step_plan = StepPlan.of(model)  # None unless the model is a chain of Dense layers
    if feed is not None:
        feed.reset()
    cbs.call("on_train_begin", None)
    logs: dict = {}
    # Overflow and NaN are expected when training diverges: the guard handles them.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(model.fit_state.initial_epoch, epochs):
            epoch_logs = fit_epoch(model, store, inputs, cbs, guard, epoch, plan, step_plan)
            if epoch_logs is None:  # diverged on the epoch's first step: nothing to record
                break
            logs = epoch_logs
            if model.stop_training or (feed is not None and feed.exhausted):
                break
    if epochs > 0:  # Keras: the EMA's averages replace the weights (use_ema)
        model.optimizer.finalize_variable_values([store.W])
    cbs.call("on_train_end", logs)
    model.fit_state = None  # it holds the training data: do not keep it alive
    history.diverged = guard.report
    history.params = params
    return history


def _check_split_and_epochs(validation_split, initial_epoch: int, epochs: int) -> None:
    if (
        isinstance(validation_split, bool)
        or not isinstance(validation_split, numbers.Real)
        or not 0.0 <= float(validation_split) < 1.0
    ):
        raise ValueError(
            "validation_split must be a float in [0, 1): the fraction of the training data "
            f"held out for validation. Received: validation_split={validation_split!r}. "
            "Pass e.g. validation_split=0.2, or 0 for none."
        )
    if initial_epoch >= epochs:
        warnings.warn(
            f"fit(initial_epoch={initial_epoch}, epochs={epochs}) runs no epoch: `epochs` is "
            "the index of the last epoch, not a count of epochs to add. The History will "
            f"be empty. To train {epochs} more epochs pass epochs={initial_epoch + epochs}.",
            stacklevel=4,
        )


def _callback_list(callbacks) -> list:
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        callbacks = [callbacks]  # a single Callback
    return list(callbacks)


def evaluate(
    model,
    x=None,
    y=None,
    *,
    batch_size=None,
    verbose="auto",
    sample_weight=None,
    callbacks=None,
    return_dict=False,
    steps=None,
):
    """Loss and metrics in inference mode: a float if there are no metrics, else a list
    [loss, metrics in compile order, per-output losses], or a dict if return_dict.

    `x` may be a PyDataset-like sequence or a generator of (x, y[, sample_weight])
    batches (then no y, sample_weight nor batch_size); `steps` evaluates only that many
    batches (default: all)."""
    model.require_compiled("evaluate")
    kind, steps = feeds.kind_of(x), feeds.check_steps("steps", steps)
    if kind:
        feeds.check_feed_args(kind, "evaluate", y=y, sample_weight=sample_weight,
                              batch_size=batch_size)
    else:
        model.ensure_built(x)
    batch_size = 32 if batch_size is None else _check_int("batch_size", batch_size, 1)
    verbose = _verbose(verbose)
    if kind:
        data, feed = _feed_inputs(model, x, kind, False, None, steps)
    else:
        data = _prepare(model, x, y, sample_weight)
        feed = steps and feeds.Feed(feeds.ArraySource(data, batch_size, False, None), steps)
    model.resolve_metrics(data.Y)
    cbs = CallbackList(callbacks or [], model, {"verbose": verbose})
    logs = evaluate_data(model, _eval_batches(data, batch_size, feed or None), cbs)
    if verbose:
        line = " - ".join(f"{k}: {v:.4f}" for k, v in logs.items())
        print(line if feed else f"{data.n}/{data.n} - {line}")
    return ordered_results(model, logs, return_dict)


def predict(model, x, *, batch_size=None, verbose="auto", callbacks=None, steps=None):
    """Model outputs for x in inference mode (a list of arrays for several outputs).

    `x` may be a PyDataset-like sequence or a generator of (x,) or (x, y) batches (then
    no batch_size); `steps` predicts only that many batches (default: all)."""
    kind, steps = feeds.kind_of(x), feeds.check_steps("steps", steps)
    if kind:
        feeds.check_feed_args(kind, "predict", batch_size=batch_size)
        source = feeds.source_for(x, False, None)
        model.ensure_built(source.first()[0])
        feed = feeds.Feed(source, steps)
        feed.reset()
        X_batches = (b[0] for b in feed.epoch())
    else:
        model.ensure_built(x)
        batch_size = 32 if batch_size is None else _check_int("batch_size", batch_size, 1)
        X = model.check_inputs(x)
        n = X[0].shape[0] if steps is None else min(X[0].shape[0], steps * batch_size)
        X_batches = ([A[idx] for A in X] for idx in index_batches(n, batch_size, None))
    cbs = CallbackList(callbacks or [], model, {"verbose": _verbose(verbose)})
    cbs.call("on_predict_begin", None)
    parts: list[list] = [[] for _ in model.outputs]
    for xb in X_batches:
        if kind:
            xb = model.check_inputs(xb)
        outs = model.forward_pass(xb, training=False)
        for store, P in zip(parts, outs):
            store.append(P.copy())
    cbs.call("on_predict_end", None)
    results = [
        np.concatenate(p) if p else np.zeros((0,) + tuple(t.shape[1:]), dtype=model.dtype)
        for p, t in zip(parts, model.outputs)
    ]
    return results if model.multi_output else results[0]


def train_on_batch(model, x, y, sample_weight=None, class_weight=None, return_dict=False):
    model.require_compiled("train_on_batch")
    model.ensure_built(x)
    data = _prepare(model, x, y, sample_weight, class_weight)
    model.resolve_metrics(data.Y)
    data.unit_rows = unit_rows(model, data.Y)
    store = model.pack_parameters()
    acc = Accumulator(model)
    acc.add(data.n, *train_step(model, store, data), data.Y, data.sw)
    return ordered_results(model, acc.logs(), return_dict)


def test_on_batch(model, x, y, sample_weight=None, return_dict=False):
    model.require_compiled("test_on_batch")
    model.ensure_built(x)
    data = _prepare(model, x, y, sample_weight)
    model.resolve_metrics(data.Y)
    return ordered_results(model, evaluate_data(model, [data]), return_dict)
