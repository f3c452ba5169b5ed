"""The inputs of `fit`, `evaluate` and `predict`, checked: arrays into `Data`, the
validation split, class weights, and the first batch and `Feed` of a sequence or
generator (see nnlab.data_adapters). `nnlab.training` runs the loop over them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnlab import data_adapters as feeds
from nnlab.data_adapters import index_batches
from nnlab.models import inputs as inputs_mod
from nnlab.step.fused_loss import unit_rows


class Data:
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

    def take(self, idx) -> Data:
        X, Y, sw = self.X, self.Y, self.sw
        return Data(
            [X[0][idx]] if len(X) == 1 else [A[idx] for A in X],
            [Y[0][idx]] if len(Y) == 1 else [A[idx] for A in Y],
            None if sw is None else sw[idx],
            self.unit_rows,
        )


def prepare(model, x, y, sample_weight=None, class_weight=None) -> Data:
    dtype = model.dtype
    X = model.check_inputs(x)
    losses = [loss for loss, _, _ in model.output_losses()]
    Y = inputs_mod.check_targets(
        y, model.outputs, losses, [t.shape for t in model.outputs], model.output_names, dtype
    )
    n = inputs_mod.check_same_samples(X, Y)
    sw = inputs_mod.check_sample_weight(sample_weight, n, dtype)
    if class_weight is not None:
        if sw is not None:
            raise ValueError("Pass either class_weight or sample_weight, not both.")
        sw = class_weights_to_samples(class_weight, Y, dtype)
    return Data(X, Y, sw)


def class_weights_to_samples(class_weight, Y: list, dtype):
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


def split_validation(data: Data, fraction: float, rng) -> tuple[Data, Data]:
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


def feed_inputs(model, x, kind: str, shuffle: bool, rng, steps, class_weight=None):
    """(first batch, Feed) for a sequence or generator `x`; builds the model from it."""
    source = feeds.source_for(x, shuffle, rng)
    if kind == "generator" and class_weight is not None:
        raise ValueError(
            "Argument `class_weight` is not supported for Python generator inputs (Keras "
            f"neither): yield (x, y, sample_weight) batches instead. Received: {class_weight}"
        )
    first = source.first()
    model.ensure_built(first[0])

    def check_batch(x, y=None, sample_weight=None):
        batch = prepare(model, x, y, sample_weight, class_weight)
        batch.unit_rows = unit_rows(model, batch.Y)
        return batch

    return check_batch(*first), feeds.Feed(source, steps, check_batch)


def eval_batches(data: Data, batch_size: int, feed=None):
    """The batches of one evaluation: `feed`'s (from a new pass), else `data`'s."""
    if feed is not None:
        feed.reset()
        return feed.epoch()
    return (
        data.take(idx) if data.n > batch_size else data
        for idx in index_batches(data.n, batch_size, None)
    )


@dataclass(frozen=True)
class FitPlan:
    """What `fit` was asked for, checked: how to batch and when to validate."""

    batch_size: int
    shuffle: bool
    steps_per_epoch: int | None
    val_batch_size: int
    validation_steps: int | None
    #: the epochs after which validation runs (validation_freq)
    validation_epochs: frozenset
    #: epochs - initial_epoch
    epochs_to_run: int


@dataclass
class FitInputs:
    """The training data (for a sequence or generator: its first batch) and its Feed
    (None: arrays batched by the loop), the same for validation, and steps per epoch."""

    data: Data
    feed: object
    val: Data | None
    val_feed: object
    steps: int | None


def check_feed_fit(kind: str, y, sample_weight, batch_size, validation_split) -> None:
    """What fit refuses with a sequence or generator as x (Keras does too)."""
    feeds.check_feed_args(kind, "fit", y=y, sample_weight=sample_weight, batch_size=batch_size)
    if validation_split:
        raise ValueError(
            f"validation_split works only with array data, not with a {kind} (Keras "
            f"neither). Received: validation_split={validation_split!r}. Pass "
            "validation_data= (arrays, a sequence or a generator) instead."
        )


def fit_inputs(model, plan: FitPlan, rng, x, y, sample_weight, class_weight,
               validation_data, validation_split) -> FitInputs:
    """Check fit's data, hold out the validation split, weight the classes, resolve the
    metrics; sequences and generators get a Feed (arrays too with steps_per_epoch)."""
    kind = feeds.kind_of(x)
    if kind:
        data, feed = feed_inputs(model, x, kind, plan.shuffle, rng, plan.steps_per_epoch,
                                 class_weight)
        if kind == "generator" and not plan.steps_per_epoch:
            feeds.check_one_pass("fit(x=<a generator>)", "steps_per_epoch", plan.epochs_to_run)
        elif feed.steps is None:
            raise ValueError(
                f"The {type(x).__name__} given as x is endless (num_batches is None), so an "
                "epoch would never end. Pass steps_per_epoch= (batches per epoch)."
            )
    else:
        data, feed = prepare(model, x, y, sample_weight), None
    if class_weight is not None and sample_weight is not None:
        raise ValueError("Pass either class_weight or sample_weight to fit, not both.")
    val, val_feed = _validation(model, plan, rng, validation_data)
    if val is None and validation_split:
        data, val = split_validation(data, float(validation_split), rng)
    if class_weight is not None and not kind:  # training rows only, as Keras
        data.sw = class_weights_to_samples(class_weight, data.Y, model.dtype)
    model.resolve_metrics(data.Y)
    data.unit_rows = unit_rows(model, data.Y)
    if not kind and plan.steps_per_epoch:
        source = feeds.ArraySource(data, plan.batch_size, plan.shuffle, rng)
        feed = feeds.Feed(source, plan.steps_per_epoch)
    if val is not None and plan.validation_steps and val_feed is None:
        source = feeds.ArraySource(val, plan.val_batch_size, False, rng)
        val_feed = feeds.Feed(source, plan.validation_steps)
    steps = math.ceil(data.n / plan.batch_size) if feed is None else feed.steps
    return FitInputs(data, feed, val, val_feed, steps)


def _validation(model, plan: FitPlan, rng, validation_data):
    """(checked validation data, its Feed or None); (None, None) without any."""
    if validation_data is None:
        return None, None
    kind = feeds.kind_of(validation_data)
    if kind:
        if kind == "generator":
            feeds.check_one_pass("validation_data=<a generator>", "", len(plan.validation_epochs))
        return feed_inputs(model, validation_data, kind, False, rng, plan.validation_steps)
    if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
        raise ValueError(
            "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
            "sample_weight_val), a PyDataset-like sequence or a generator. "
            f"Received: {type(validation_data).__name__}"
        )
    return prepare(model, *validation_data), None
