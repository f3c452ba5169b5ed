"""The one training loop: batches -> forward -> loss -> backward -> step -> callbacks.

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

import math
import numbers
import warnings
from dataclasses import dataclass

import numpy as np

from nnlab.backend import make_rng
from nnlab.callbacks import CallbackList, History, ProgressBar
from nnlab.diagnostics.health import GradientNormRecorder
from nnlab.divergence import (
    DivergenceGuard,
    DivergenceWarning,  # noqa: F401  (its historical home)
    constant_predictor_loss,
)
from nnlab.models import inputs as inputs_mod


class _Data:
    """Checked inputs, targets and sample weights of one dataset."""

    def __init__(self, X: list, Y: list, sw, unit_rows=None):
        self.X, self.Y, self.sw = X, Y, sw
        self.n = X[0].shape[0]
        #: per output, whether every target row sums to exactly 1 (set by fit)
        self.unit_rows = unit_rows

    @property
    def nbytes(self) -> int:
        sw = 0 if self.sw is None else self.sw.nbytes
        return sum(A.nbytes for A in self.X) + sum(A.nbytes for A in self.Y) + sw

    def take(self, idx) -> _Data:
        X, Y, sw = self.X, self.Y, self.sw
        return _Data(
            [X[0][idx]] if len(X) == 1 else [A[idx] for A in X],
            [Y[0][idx]] if len(Y) == 1 else [A[idx] for A in Y],
            None if sw is None else sw[idx],
            self.unit_rows,
        )


def _unit_rows(model, Y_list: list) -> list[bool]:
    """For each output trained through the fused softmax + cross-entropy: whether every
    target row sums to exactly 1, which lets the gradient skip one row sum per batch."""
    return [
        bool(fused and Y.ndim >= 1 and np.all(np.add.reduce(Y, axis=-1) == 1))
        for fused, Y in zip(model._fused, Y_list)
    ]


def _prepare(model, x, y, sample_weight=None, class_weight=None) -> _Data:
    dtype = model.dtype
    X = inputs_mod.check_inputs(x, model._input_shapes(), model.input_names, dtype)
    Y = inputs_mod.check_targets(
        y, model.outputs, model._losses, [t.shape for t in model.outputs], model.output_names, dtype
    )
    n = inputs_mod.check_same_samples(X, Y)
    sw = inputs_mod.check_sample_weight(sample_weight, n, dtype)
    if class_weight is not None:
        if sw is not None:
            raise ValueError("Pass either class_weight or sample_weight, not both.")
        sw = _class_weights_to_samples(class_weight, Y, dtype)
    return _Data(X, Y, sw)


def _class_weights_to_samples(class_weight, Y: list, dtype):
    """Per-sample weights from {class index: weight}: the class is argmax(y) for one-hot
    targets, round(y) for a single column; classes not in the dict get weight 1."""
    if len(Y) != 1:
        raise ValueError("class_weight works only for models with a single output.")
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"class_weight must be a dict mapping class index to weight. Received: {class_weight!r}"
        )
    Y0 = Y[0]
    n_classes = Y0.shape[-1] if Y0.shape[-1] > 1 else 2
    labels = Y0.argmax(axis=-1) if Y0.shape[-1] > 1 else np.round(Y0[..., 0]).astype(np.int64)
    sw = np.ones(labels.shape[0], dtype=dtype)
    for cls, w in class_weight.items():
        if not isinstance(cls, (int, np.integer)) or not 0 <= cls < n_classes:
            raise ValueError(
                f"class_weight keys must be class indices in [0, {n_classes}). Received {cls!r}."
            )
        if not (isinstance(w, (int, float, np.number)) and np.isfinite(w) and w >= 0):
            raise ValueError(
                f"class_weight values must be finite numbers >= 0. Received {cls}: {w!r}."
            )
        sw[labels == int(cls)] = w
    return sw


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


class _Accumulator:
    """Running epoch means: loss weighted by batch size, per-output losses, metrics."""

    def __init__(self, model):
        self.model = model
        self.metrics = model._metrics
        for ms in self.metrics:
            for m in ms:
                m.reset_state()
        self.total = 0.0
        self.per_output = [0.0] * len(model.outputs)
        self.count = 0
        self.batches = 0

    def add(self, nb: int, total: float, per_output: list, outs: list, Y: list, sw=None):
        self.count += nb
        self.batches += 1
        self.total += nb * total
        if len(per_output) == 1 and not self.metrics[0]:  # one output, loss only
            self.per_output[0] += per_output[0]
            return
        # Per-output losses are plain means of the batch means, as Keras's TensorFlow
        # backend logs them (its batch size is unknown inside the traced step, so they
        # are not weighted by it); the total `loss` is weighted by batch size.
        for i, v in enumerate(per_output):
            self.per_output[i] += v
        for ms, P, Yb in zip(self.metrics, outs, Y):
            for m in ms:  # compile(weighted_metrics=...) ones see the sample weights
                m.update_state(Yb, P, sw if m.weighted else None)

    def logs(self) -> dict:
        model, c = self.model, max(self.count, 1)
        logs = {"loss": self.total / c}
        multi = len(model.outputs) > 1
        if multi:
            for name, v in zip(model.output_names, self.per_output):
                logs[f"{name}_loss"] = v / max(self.batches, 1)
        for name, ms in zip(model.output_names, self.metrics):
            for m in ms:
                logs[f"{name}_{m.name}" if multi else m.name] = float(m.result())
        return logs


def _batches(n: int, batch_size: int, order):
    """Index slices (no shuffle) or index arrays (shuffled) for each batch."""
    for start in range(0, n, batch_size):
        stop = min(start + batch_size, n)
        yield slice(start, stop) if order is None else order[start:stop]


def _train_step(model, store, batch: _Data, guard=None, epoch: int = 0, step: int = 0):
    """Forward, loss (+ penalties), divergence guard, backward, optimizer step.

    Returns (total loss, per-output losses, outputs), all computed before the update,
    or None when the guard stopped training on a diverging loss.
    """
    outs = model._forward(batch.X, training=True)
    total, per_output, seeds, from_Z = model._loss(
        outs, batch.Y, batch.sw, need_grad=True, unit_rows=batch.unit_rows
    )
    for layer in store.penalized:
        total += layer.penalty()
    if guard is not None and not guard.check(total, model, epoch, step):
        return None
    model._backward(seeds, from_Z)
    for layer in store.penalized:
        layer.add_penalty_grads()
    backup = None if guard is None else [guard.backup]
    model.optimizer.apply([store.W], [store.dW], store.grad_views, save_to=backup)
    return total, per_output, outs


#: Training data up to this size is put in the epoch's shuffled order with one gather per
#: epoch, so that every batch is a slice (a view) instead of a gather of its own: the same
#: rows in the same order, two NumPy calls fewer per step, at the cost of one copy of
#: the data. Larger data is gathered batch by batch.
SHUFFLED_COPY_BYTES = 16 * 2**20


def _train_epoch(model, store, data, batch_size, order, cbs, guard, epoch) -> _Accumulator:
    """One pass over the data, batch by batch, with the batch hooks."""
    acc = _Accumulator(model)
    steps = math.ceil(data.n / batch_size)
    if order is not None and data.nbytes <= SHUFFLED_COPY_BYTES:
        data, order = data.take(order), None
    for step, idx in enumerate(_batches(data.n, batch_size, order)):
        batch = data if steps == 1 else data.take(idx)
        if cbs.wants_batch_logs:
            cbs.train_batch_begin(step, {})
        result = _train_step(model, store, batch, guard, epoch, step)
        if result is None:  # diverged: the guard restored the weights and stopped
            if cbs.wants_batch_logs:
                cbs.train_batch_end(step, {"loss": guard.report["loss"]})
            break
        acc.add(batch.n, *result, batch.Y, batch.sw)
        if cbs.wants_batch_logs:
            cbs.train_batch_end(step, acc.logs())
        if model.stop_training:
            break
    return acc


def _lr_is_scheduled(optimizer) -> bool:
    return callable(optimizer._learning_rate)


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


def _split_validation(data: _Data, fraction: float, rng) -> tuple[_Data, _Data]:
    """A shuffled holdout, stratified by class when the single target is a class."""
    from sklearn.model_selection import train_test_split

    n = data.n
    n_val = n - int(math.floor(n * (1.0 - fraction)))
    if n_val < 1 or n_val >= n:
        raise ValueError(
            f"validation_split={fraction} leaves {n - n_val} training and {n_val} "
            f"validation samples out of {n}; both parts need at least one."
        )
    stratify = None
    if len(data.Y) == 1:
        Y = data.Y[0]
        if Y.shape[-1] > 1 and np.all((Y == 0) | (Y == 1)) and np.all(Y.sum(axis=-1) == 1):
            stratify = Y.argmax(axis=-1)
        elif Y.shape[-1] == 1 and np.all((Y == 0) | (Y == 1)):
            stratify = Y[:, 0]
        if stratify is not None:
            counts = np.bincount(stratify.astype(np.int64))
            counts = counts[counts > 0]
            if counts.min() < 2 or n_val < len(counts) or n - n_val < len(counts):
                stratify = None
    idx = np.arange(n)
    seed = int(rng.integers(0, 2**31 - 1))
    train_idx, val_idx = train_test_split(
        idx, test_size=n_val, random_state=seed, shuffle=True, stratify=stratify
    )
    return data.take(np.sort(train_idx)), data.take(np.sort(val_idx))


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
):
    """Train `model` on (x, y) for `epochs` epochs and return its History.

    Args:
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
        gradient_health: nnlab extension; record per-layer gradient norms and dead
            ReLU units once per epoch into the History (see nnlab.diagnostics.health).
            On by default; it costs a few vector norms per epoch, nothing per batch.
    """
    model._require_compiled("fit")
    model._ensure_built(x)
    batch_size = 32 if batch_size is None else _check_int("batch_size", batch_size, 1)
    epochs = _check_int("epochs", epochs, 0)
    initial_epoch = _check_int("initial_epoch", initial_epoch, 0)
    validation_freq = _check_int("validation_freq", validation_freq, 1)
    val_batch_size = batch_size if validation_batch_size is None else _check_int(
        "validation_batch_size", validation_batch_size, 1)
    verbose = _verbose(verbose)
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
            stacklevel=3,
        )
    rng = make_rng(seed)
    data = _prepare(model, x, y, sample_weight)
    if class_weight is not None and sample_weight is not None:
        raise ValueError("Pass either class_weight or sample_weight to fit, not both.")
    val = None
    if validation_data is not None:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                f"sample_weight_val). Received: {type(validation_data).__name__}"
            )
        val = _prepare(model, *validation_data)
    elif validation_split:
        data, val = _split_validation(data, float(validation_split), rng)
    if class_weight is not None:  # training rows only, as Keras
        data.sw = _class_weights_to_samples(class_weight, data.Y, model.dtype)
    model._resolve_metrics(data.Y)
    data.unit_rows = _unit_rows(model, data.Y)
    store = model._ensure_store()

    n = data.n
    steps = math.ceil(n / batch_size)
    history = History()
    cbs = _callback_list(callbacks)
    if verbose:
        cbs.append(ProgressBar(verbose))
    if gradient_health:
        cbs.append(GradientNormRecorder(history))
    cbs.append(history)
    params = {"verbose": verbose, "epochs": epochs, "steps": steps}
    cbs = CallbackList(cbs, model, params)

    model.stop_training = False
    guard = DivergenceGuard(
        store, data, model._weight_layers(), constant_predictor_loss(model, data.Y, data.sw)
    )
    model.fit_state = FitState(rng, initial_epoch, history, cbs.callbacks, guard)
    logs_lr = _lr_is_scheduled(model.optimizer)
    cbs.call("on_train_begin", None)
    logs: dict = {}
    # Overflow and NaN are expected when training diverges: the guard handles them.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(model.fit_state.initial_epoch, epochs):
            model.fit_state.learning_rate = model.optimizer.learning_rate
            cbs.call("on_epoch_begin", epoch, None)
            order = rng.permutation(n) if shuffle and steps > 1 else None
            acc = _train_epoch(model, store, data, batch_size, order, cbs, guard, epoch)
            if not acc.count:  # diverged on the epoch's first step: nothing to record
                break
            logs = acc.logs()
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = _evaluate_data(model, val, val_batch_size, cbs)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            logs = dict(sorted(logs.items()))
            if logs_lr:
                logs["learning_rate"] = float(model.optimizer.learning_rate)
            cbs.call("on_epoch_end", epoch, logs)
            if model.stop_training:
                break
    cbs.call("on_train_end", logs)
    model.fit_state = None  # it holds the training data: do not keep it alive
    history.diverged = guard.report
    history.params = params
    return history


def _callback_list(callbacks) -> list:
    if callbacks is None:
        return []
    if not isinstance(callbacks, (list, tuple)):
        callbacks = [callbacks]  # a single Callback
    return list(callbacks)


def _evaluate_data(model, data: _Data, batch_size: int, cbs: CallbackList | None = None) -> dict:
    """Loss and metrics in inference mode, firing the test hooks of `cbs` if given."""
    acc = _Accumulator(model)
    batch_hooks = cbs is not None and cbs.wants_test_batch_logs
    if cbs is not None:
        cbs.call("on_test_begin", None)
    for step, idx in enumerate(_batches(data.n, batch_size, None)):
        batch = data.take(idx) if data.n > batch_size else data
        if batch_hooks:
            cbs.call("on_test_batch_begin", step, {})
        outs = model._forward(batch.X, training=False)
        total, per_output, _, _ = model._loss(outs, batch.Y, batch.sw, need_grad=False)
        if model._regularized:
            total += model._penalty()
        acc.add(batch.n, total, per_output, outs, batch.Y, batch.sw)
        if batch_hooks:
            cbs.call("on_test_batch_end", step, acc.logs())
    logs = acc.logs()
    if cbs is not None:
        cbs.call("on_test_end", logs)
    return logs


def _ordered_results(model, logs: dict, return_dict: bool):
    if return_dict:
        return logs
    if len(logs) == 1:
        return logs["loss"]
    if len(model.outputs) == 1:  # Keras: the loss, then the metrics in compile order
        return [logs[k] for k in ["loss"] + model._metric_names()]
    # Keras: the loss, the per-output losses in output order, then the metrics with
    # their keys sorted (`<output>_<metric>`).
    losses = ["loss"] + [f"{name}_loss" for name in model.output_names]
    return [logs[k] for k in losses] + [logs[k] for k in sorted(model._metric_names())]


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
):
    """Loss and metrics in inference mode: a float if there are no metrics, else a list
    [loss, metrics in compile order, per-output losses], or a dict if return_dict."""
    model._require_compiled("evaluate")
    model._ensure_built(x)
    batch_size = 32 if batch_size is None else _check_int("batch_size", batch_size, 1)
    verbose = _verbose(verbose)
    data = _prepare(model, x, y, sample_weight)
    model._resolve_metrics(data.Y)
    cbs = CallbackList(callbacks or [], model, {"verbose": verbose})
    logs = _evaluate_data(model, data, batch_size, cbs)
    if verbose:
        print(f"{data.n}/{data.n} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
    return _ordered_results(model, logs, return_dict)


def predict(model, x, *, batch_size=None, verbose="auto", callbacks=None):
    """Model outputs for x in inference mode (a list of arrays for several outputs)."""
    model._ensure_built(x)
    batch_size = 32 if batch_size is None else _check_int("batch_size", batch_size, 1)
    X = inputs_mod.check_inputs(x, model._input_shapes(), model.input_names, model.dtype)
    n = X[0].shape[0]
    cbs = CallbackList(callbacks or [], model, {"verbose": _verbose(verbose)})
    cbs.call("on_predict_begin", None)
    parts: list[list] = [[] for _ in model.outputs]
    for idx in _batches(n, batch_size, None):
        outs = model._forward([A[idx] for A in X], training=False)
        for store, P in zip(parts, outs):
            store.append(P.copy())
    cbs.call("on_predict_end", None)
    results = [
        np.concatenate(p) if p else np.zeros((0,) + tuple(t.shape[1:]), dtype=model.dtype)
        for p, t in zip(parts, model.outputs)
    ]
    return results if model._multi_output else results[0]


def train_on_batch(model, x, y, sample_weight=None, class_weight=None, return_dict=False):
    model._require_compiled("train_on_batch")
    model._ensure_built(x)
    data = _prepare(model, x, y, sample_weight, class_weight)
    model._resolve_metrics(data.Y)
    data.unit_rows = _unit_rows(model, data.Y)
    store = model._ensure_store()
    acc = _Accumulator(model)
    acc.add(data.n, *_train_step(model, store, data), data.Y, data.sw)
    return _ordered_results(model, acc.logs(), return_dict)


def test_on_batch(model, x, y, sample_weight=None, return_dict=False):
    model._require_compiled("test_on_batch")
    model._ensure_built(x)
    data = _prepare(model, x, y, sample_weight)
    model._resolve_metrics(data.Y)
    return _ordered_results(model, _evaluate_data(model, data, data.n), return_dict)
