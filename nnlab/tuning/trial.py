"""One trial: a configuration scored by k-fold cross-validation, as a plain JSON record.

`run_trial(data, spec)` is the only function the backends run. Per fold it fits the
configuration's preprocessing (`TabularPreprocessor` with the chosen scaling, after
polynomial features of the chosen degree) on the fold's training rows, trains an
`NNClassifier` / `NNRegressor` with the configuration's parameters and the trial's
seed, and scores both parts of the fold. A callback records the held-out score after
every epoch (the learning curve, and what pruning compares). BLAS runs on one thread
inside a trial, so a trial gives the same bits in this process, a local worker process
or a remote Dask worker. An exception becomes a record with status "failed" and the
error; it never stops the search.
"""

from __future__ import annotations

import time
import traceback
from dataclasses import dataclass

import numpy as np

from nnlab.callbacks import Callback
from nnlab.tuning.config import estimator_for, split_config
from nnlab.tuning.data import TuneData


@dataclass(frozen=True)
class TrialSpec:
    """What a worker needs to run one trial: tasks carry this, never the data."""

    key: str
    candidate: int
    params: dict
    epochs: int | None
    seed: int


class FoldCurve(Callback):
    """The held-out fold's score after every epoch (accuracy, or -MSE for regression)."""

    def __init__(self, X_val, y_val, classification: bool):
        super().__init__()
        self.X_val, self.y_val, self.classification = X_val, y_val, classification
        self.scores: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        P = self.model.predict(self.X_val, batch_size=1024, verbose=0)
        self.scores.append(_score(P, self.y_val, self.classification))


def _score(P, y, classification: bool) -> float:
    if classification:
        pred = (P[:, 0] > 0.5).astype(np.int64) if P.shape[1] == 1 else P.argmax(axis=1)
        return float(np.mean(pred == y))
    with np.errstate(all="ignore"):
        mse = float(np.mean((P.astype(np.float64) - y.reshape(P.shape)) ** 2))
    return -mse if np.isfinite(mse) else float("-inf")


def fold_metrics(estimator, X, y, classification: bool) -> dict:
    """Score and metrics of a fitted estimator on (X, y): higher score is better."""
    from sklearn import metrics

    if classification:
        proba = estimator.predict_proba(X)
        pred = estimator.classes_[proba.argmax(axis=1)]
        labels = estimator.classes_
        return {
            "score": float(np.mean(pred == y)),
            "accuracy": float(np.mean(pred == y)),
            "loss": float(metrics.log_loss(y, proba, labels=labels)),
        }
    P = estimator.predict(X)
    mse = float(metrics.mean_squared_error(y, P))
    return {"score": -mse, "mse": mse, "mae": float(metrics.mean_absolute_error(y, P))}


def prepare_fold(data: TuneData, params: dict, train_rows, epochs=None):
    """The configuration's preprocessing fitted on `train_rows`, and its estimator.

    Returns:
        (preprocessor, estimator factory taking a seed, transform) where
        transform(rows) gives (X, y) for rows of the data.
    """
    prep_options, est_params = split_config(params)
    if epochs is not None:
        est_params["epochs"] = int(epochs)
    frame = data.features(prep_options["degree"])
    prep = data.preprocessor(prep_options["scaling"]).fit(frame.iloc[train_rows])

    def transform(rows):
        part = frame.iloc[rows]
        y = prep.transform_target(part)
        return prep.transform(part), (y.ravel() if data.task == "regression" else y)

    return prep, lambda seed: estimator_for(data.task, est_params, seed), transform


def run_trial(data: TuneData, spec: TrialSpec) -> dict:
    """Cross-validate one configuration; a JSON-ready record (see module docstring)."""
    from threadpoolctl import threadpool_limits

    start = time.perf_counter()
    record = {"key": spec.key, "candidate": spec.candidate, "params": spec.params,
              "epochs": spec.epochs, "seed": spec.seed}  # fmt: skip
    classification = data.task != "regression"
    folds: dict[str, list] = {"test": [], "train": [], "curve": [], "epochs_run": []}
    try:
        with threadpool_limits(limits=1, user_api="blas"):
            for train_rows, val_rows in data.folds:
                _, make, transform = prepare_fold(data, spec.params, train_rows, spec.epochs)
                X_tr, y_tr = transform(train_rows)
                X_val, y_val = transform(val_rows)
                curve_cb = FoldCurve(X_val, y_val, classification)
                est = make(spec.seed).fit(X_tr, y_tr, callbacks=[curve_cb])
                folds["test"].append(fold_metrics(est, X_val, y_val, classification))
                folds["train"].append(fold_metrics(est, X_tr, y_tr, classification))
                folds["curve"].append(curve_cb.scores)
                folds["epochs_run"].append(int(est.n_iter_))
    except Exception as exc:  # recorded, never raised: the search goes on
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        record.update(status="failed", error=f"{type(exc).__name__}: {exc}",
                      traceback="".join(tb[-3:]))  # fmt: skip
    else:
        record.update(status="ok", error="", **folds)
    record["fit_time"] = time.perf_counter() - start
    return record
