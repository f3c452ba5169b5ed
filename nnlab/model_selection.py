"""Evaluation methods: k-fold cross-validation and repeated runs over seeds.

Both train a *fresh* model for every fold or seed (from a function you give), fit the
preprocessing on that fold's training rows only, and report every run plus the mean and
standard deviation of each metric, in the lectures' "mean ± std" form.
"""

from __future__ import annotations

import copy
import inspect
from dataclasses import dataclass, field

import numpy as np

from nnlab.backend import set_random_seed
from nnlab.data.split import class_labels, kfold_indices


@dataclass
class CVResult:
    """Per-run metrics and their mean ± std.

    Attributes:
        runs: one dict of metrics per fold (or seed), e.g. {"loss": 0.3, "accuracy": 0.9}.
        mean, std: per metric, over the runs (std with ddof=0).
        splits: (train_idx, val_idx) per fold, for inspection.
        probabilities: with `return_predictions=True`, the model's outputs for every
            row, each predicted by the fold that held it out (out-of-fold), (n, outputs);
            else None.
        predictions: out-of-fold predictions per row: class indices (argmax of the
            outputs, or output > 0.5 for one sigmoid column) for class targets, the
            outputs themselves (flattened when one column) for regression; else None.
        y_true: the targets per row as the model saw them: class indices for class
            targets, values for regression; None without `return_predictions`.
        fold: the fold (0-based) that validated each row; None without predictions.
        name: what one run is called in the summary ("fold" for k-fold, "seed" for
            repeated seeds).
        validation: per fold, the rows whose loss early stopping watched, when they
            were taken from the fold's training rows (`nnlab.workflow.cross_validate_run`).
    """

    runs: list[dict]
    splits: list = field(default_factory=list)
    probabilities: np.ndarray | None = None
    predictions: np.ndarray | None = None
    y_true: np.ndarray | None = None
    fold: np.ndarray | None = None
    name: str = "run"
    validation: list = field(default_factory=list)

    @property
    def metrics(self) -> list[str]:
        return list(self.runs[0]) if self.runs else []

    @property
    def mean(self) -> dict[str, float]:
        return {k: float(np.mean([r[k] for r in self.runs])) for k in self.metrics}

    @property
    def std(self) -> dict[str, float]:
        return {k: float(np.std([r[k] for r in self.runs])) for k in self.metrics}

    def summary(self) -> str:
        """One line per run, then `metric: mean ± std` lines."""
        lines = []
        for i, run in enumerate(self.runs):
            scores = ", ".join(f"{k} {v:.4f}" for k, v in run.items())
            lines.append(f"{self.name} {i + 1}: {scores}")
        for k in self.metrics:
            lines.append(f"{k}: {self.mean[k]:.4f} ± {self.std[k]:.4f}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _take(data, idx):
    if hasattr(data, "iloc"):
        return data.iloc[idx]
    return np.asarray(data)[idx]


def _fit_transform(preprocessing, X_train, X_val):
    """Fit a fresh preprocessor on the training rows only; transform both parts."""
    if preprocessing is None:
        return None, X_train, X_val
    if isinstance(preprocessing, type) or not hasattr(preprocessing, "fit"):
        prep = preprocessing()  # a class or a factory function
    else:
        prep = _fresh_copy(preprocessing)  # an instance: refit a clean copy per fold
    prep.fit(X_train)
    return prep, prep.transform(X_train), prep.transform(X_val)


def _fresh_copy(prep):
    """A copy of a preprocessor instance to fit afresh (scikit-learn's clone if it can)."""
    from sklearn.base import clone

    try:
        return clone(prep)
    except TypeError:  # not a scikit-learn estimator (e.g. a TabularPreprocessor)
        return copy.deepcopy(prep)


def _build(build_model, n_features: int):
    """Call build_model(), or build_model(n_features) if it takes an argument."""
    try:
        n_params = len(inspect.signature(build_model).parameters)
    except (TypeError, ValueError):
        n_params = 0
    return build_model(n_features) if n_params else build_model()


def _train(build_model, X_tr, y_tr, fit_kwargs, seed):
    set_random_seed(seed)
    model = _build(build_model, np.shape(X_tr)[1])
    if not getattr(model, "compiled", False):
        raise ValueError("build_model must return a compiled model (call model.compile inside).")
    model.fit(X_tr, y_tr, **{"verbose": 0, "seed": seed, **fit_kwargs})
    return model


def _train_and_score(build_model, X_tr, y_tr, X_val, y_val, fit_kwargs, seed) -> dict:
    model = _train(build_model, X_tr, y_tr, fit_kwargs, seed)
    return model.evaluate(X_val, y_val, verbose=0, return_dict=True)


def _as_targets(y, is_class: bool) -> np.ndarray:
    """Class indices (from labels, a (n, 1) column or one-hot rows) or regression values."""
    y = np.asarray(y)
    if not is_class:
        return y.reshape(len(y)) if y.ndim == 2 and y.shape[1] == 1 else y
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(len(y)).astype(np.int64)


def _out_of_fold(P_parts, y_parts, folds, n: int, is_class: bool):
    """Assemble each fold's outputs into row order; derive the predictions."""
    width = P_parts[0].shape[1] if P_parts[0].ndim == 2 else 1
    P = np.empty((n, width), dtype=np.result_type(*P_parts))
    fold = np.empty(n, dtype=np.int64)
    y_rows = [None] * n
    for i, ((_, va), Pi, yi) in enumerate(zip(folds, P_parts, y_parts)):
        P[va] = Pi.reshape(len(va), width)
        fold[va] = i
        for j, r in zip(va, _as_targets(yi, is_class)):
            y_rows[j] = r
    y_true = np.asarray(y_rows)
    if is_class:
        pred = P.argmax(axis=1) if width > 1 else (P[:, 0] > 0.5).astype(np.int64)
    else:
        pred = P[:, 0] if width == 1 else P
    return P, pred, y_true, fold


def cross_validate(
    build_model,
    X,
    y,
    *,
    k: int = 5,
    stratified: bool | None = None,
    preprocessing=None,
    fit_kwargs: dict | None = None,
    seed: int = 0,
    target_transform=None,
    return_predictions: bool = False,
) -> CVResult:
    """k-fold cross-validation with a fresh model per fold.

    Args:
        build_model: a function returning a new compiled model; if it takes an
            argument it receives the number of input features after preprocessing.
        X, y: all the data available for training (not the test set); arrays or
            pandas objects.
        k: the number of folds.
        stratified: keep class proportions per fold (None: yes for class targets).
        preprocessing: a class or factory with fit/transform (e.g. `StandardScaler`,
            or `lambda: TabularPreprocessor("species")`), fitted on each fold's
            training rows only and applied to its validation rows.
        fit_kwargs: passed to `fit` (epochs, batch_size, callbacks, ...).
        seed: drives the folds and, with the fold number, each fold's model.
        target_transform: optional function (fitted preprocessor, y_rows) -> targets,
            for preprocessing that also encodes targets (as TabularPreprocessor does).
        return_predictions: also keep every row's out-of-fold prediction: the outputs
            of the fold's model that did not train on it (`CVResult.probabilities`,
            `.predictions`, `.y_true`, `.fold`), e.g. for a cross-validated ROC curve
            (`nnlab.plotting.CrossValidationCurveDisplay`).

    Returns:
        A CVResult with each fold's validation metrics and their mean ± std.
    """
    fit_kwargs = dict(fit_kwargs or {})
    labels = class_labels(y) if not hasattr(y, "iloc") or y.ndim == 1 else None
    folds = kfold_indices(
        labels if labels is not None else len(X),
        k=k,
        stratified=stratified if labels is not None else False,
        seed=seed,
    )
    runs, P_parts, y_parts = [], [], []
    for i, (tr, va) in enumerate(folds):
        prep, X_tr, X_va = _fit_transform(preprocessing, _take(X, tr), _take(X, va))
        y_tr, y_va = _take(y, tr), _take(y, va)
        if target_transform is not None:
            y_tr, y_va = target_transform(prep, y_tr), target_transform(prep, y_va)
        model = _train(build_model, X_tr, y_tr, fit_kwargs, seed + i)
        runs.append(model.evaluate(X_va, y_va, verbose=0, return_dict=True))
        if return_predictions:
            P_parts.append(np.asarray(model.predict(X_va, verbose=0)))
            y_parts.append(np.asarray(y_va))
    result = CVResult(runs=runs, splits=folds, name="fold")
    if return_predictions:
        is_class = class_labels(y_parts[0]) is not None or labels is not None
        P, pred, y_true, fold = _out_of_fold(P_parts, y_parts, folds, len(X), is_class)
        result.probabilities, result.predictions, result.y_true, result.fold = (
            P,
            pred,
            y_true,
            fold,
        )
    return result


def repeat_seeds(
    build_model,
    X_train,
    y_train,
    X_test,
    y_test,
    *,
    seeds=(0, 1, 2, 3, 4),
    preprocessing=None,
    fit_kwargs: dict | None = None,
) -> CVResult:
    """Train a fresh model once per seed on the same split; report mean ± std on the test
    (or validation) data, to see how much of a result is the luck of the seed."""
    fit_kwargs = dict(fit_kwargs or {})
    _, X_tr, X_te = _fit_transform(preprocessing, X_train, X_test)
    runs = [
        _train_and_score(build_model, X_tr, y_train, X_te, y_test, fit_kwargs, int(s))
        for s in seeds
    ]
    return CVResult(runs=runs, name="seed")
