"""The lectures' workflow as one function: data -> split -> preprocess -> train -> test.

`train_run(config)` loads a bundled dataset or a CSV, splits it 60/20/20 (stratified),
fits the preprocessing on the training rows only, builds an MLP whose output layer and
loss follow the task, trains with early stopping, evaluates on the test rows, and
diagnoses the run. The command line (`nnlab train`) and the report use it; it calls
only nnlab's public API.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from nnlab import datasets, metrics, optimizers
from nnlab.backend import set_random_seed
from nnlab.callbacks import EarlyStopping
from nnlab.data.split import holdout_split
from nnlab.data.table_checks import check_numbers, missing_target_rows, read_csv
from nnlab.data.tabular import TabularPreprocessor
from nnlab.layers import Dense, Dropout, Input
from nnlab.models import Sequential
from nnlab.regularizers import L2
from nnlab.run_config import DEFAULTS, parse_hidden, resolve_config
from nnlab.run_result import RunPlan, RunResult
from nnlab.run_result import predicted_classes as _predicted_classes
from nnlab.utils import to_categorical

__all__ = [
    "DEFAULTS",
    "RunPlan",
    "RunResult",
    "build_model",
    "cross_validate_run",
    "gradcheck_run",
    "load_table",
    "parse_hidden",
    "predict_rows",
    "prepare_table",
    "resolve_config",
    "score",
    "train_run",
]


# Bundled datasets read as their raw tables: (loader, target column, positive class).
# The lectures' penguins task is the penguins table with "species == Adelie" as class 1,
# so a saved model can predict straight from the original penguins.csv.
TABLES = {
    "penguins_lecture": (
        lambda: datasets.load_penguins().frame[[*datasets.PENGUIN_LECTURE_FEATURES, "species"]],
        "species",
        "Adelie",
    ),
    "penguins": (
        lambda: datasets.load_penguins().frame[[*datasets.PENGUIN_FEATURES, "species"]],
        "species",
        "",
    ),
}


def load_table(config: dict) -> tuple[pd.DataFrame, str, str]:
    """The data as one table with a target column: (frame, target, dataset label).

    May set config["positive_class"] for bundled one-vs-rest tasks.
    """
    if config["dataset"] in TABLES and not config["csv"]:
        loader, target, positive = TABLES[config["dataset"]]
        if not config["positive_class"]:
            config["positive_class"] = positive
        return _with_target(loader(), config["target"] or target, config["dataset"])
    if config["csv"]:
        if not config["target"]:
            raise ValueError("A CSV needs --target: the name of the column to predict.")
        try:
            frame = read_csv(config["csv"])
        except FileNotFoundError:
            raise ValueError(f"No such CSV file: {config['csv']}") from None
        frame, target, _ = _with_target(frame, config["target"], str(config["csv"]))
        return frame, target, os.path.basename(str(config["csv"]))
    ds = datasets.load(config["dataset"])
    if ds.X.ndim != 2:
        raise ValueError(f"Dataset {config['dataset']!r} is not tabular (X is {ds.X.shape}).")
    frame = pd.DataFrame(ds.X, columns=ds.feature_names)
    target = config["target"] or "target"
    if ds.task in ("binary", "multiclass"):
        frame[target] = np.asarray(ds.target_names, dtype=object)[np.asarray(ds.y, dtype=int)]
    elif np.ndim(ds.y) == 1:
        frame[target] = ds.y
    else:
        raise ValueError(f"Dataset {config['dataset']!r} has several targets; use a CSV.")
    return frame, target, ds.name or config["dataset"]


def _with_target(frame: pd.DataFrame, target: str, label: str) -> tuple:
    if target not in frame.columns:
        raise ValueError(
            f"Target column {target!r} is not in {label}. Available columns: "
            f"{', '.join(map(str, frame.columns))}. Pass one of them with --target."
        )
    return frame, target, label


def prepare_table(config: dict) -> tuple[pd.DataFrame, str, str, list[str]]:
    """`load_table`, then the checks of nnlab.data.table_checks on the whole table in
    the file's order: (frame, target, label, notes). Rows whose target is missing are
    dropped and counted in the notes; the frame keeps the file's row numbers as index."""
    frame, target, label = load_table(config)
    frame, notes = check_numbers(frame, config["non_numeric"])
    frame, dropped = missing_target_rows(frame, [target])
    return frame, target, label, notes + ([dropped] if dropped else [])


def _preprocessor(target: str, cfg: dict) -> TabularPreprocessor:
    return TabularPreprocessor(
        target,
        scaling=None if cfg["scaling"] == "none" else cfg["scaling"],
        drop=cfg["drop"],
        positive_class=cfg["positive_class"] or None,
        non_numeric=cfg["non_numeric"],
        standardize_target=bool(cfg["standardize_target"]),
    )


def build_model(n_features: int, output, config: dict) -> Sequential:
    """An MLP: hidden Dense layers (with optional dropout and L2), then the output layer."""
    reg = L2(config["l2"]) if config["l2"] else None
    model = Sequential([Input(shape=(n_features,))])
    for i, units in enumerate(config["hidden"]):
        model.add(Dense(units, activation=config["activation"], kernel_regularizer=reg))
        if config["dropout"]:  # a different mask stream for every Dropout layer
            model.add(Dropout(config["dropout"], seed=int(config["seed"]) * 1000 + i))
    model.add(Dense(output.units, activation=output.activation))
    optimizer = optimizers.get(config["optimizer"])
    optimizer.learning_rate = float(config["learning_rate"])
    metric = ["accuracy"] if output.task != "regression" else ["mae"]
    model.compile(optimizer=optimizer, loss=output.loss, metrics=metric)
    return model


def _targets(y: np.ndarray, task: str, n_classes: int) -> np.ndarray:
    if task == "binary":
        return y.astype(np.float32).reshape(-1, 1)
    if task == "multiclass":
        return to_categorical(y, n_classes).astype(np.float32)
    return y


def fit_targets(prep: TabularPreprocessor, y: np.ndarray) -> np.ndarray:
    """What the model is trained against: one-hot classes, or the (standardized) target."""
    if prep.task == "regression":
        return np.asarray(prep.scale_target(y), dtype=np.float32)
    return _targets(y, prep.task, len(prep.classes))


def predict_rows(model, prep: TabularPreprocessor, rows) -> np.ndarray:
    """Model outputs for table rows: probabilities, or regression values in the target's
    own units (a standardized target is mapped back)."""
    P = model.predict(prep.transform(rows), verbose=0)
    return prep.inverse_transform_target(P) if prep.task == "regression" else P


def score(model, prep: TabularPreprocessor, X: np.ndarray, y: np.ndarray, prefix="") -> dict:
    """Metrics of a trained model on prepared rows X with targets y (from
    `prep.transform_target`): loss, accuracy and AUC for classes; R², MAE, RMSE and MSE
    in the target's own units for regression (all NaN when a prediction is not finite)."""
    P = model.predict(X, verbose=0)
    if prep.task == "regression":
        P = prep.inverse_transform_target(P)
        y = np.asarray(y, dtype=np.float64).reshape(P.shape)
        if not np.isfinite(P).all():
            return {f"{prefix}{k}": float("nan") for k in ("r2", "mae", "rmse", "mse")}
        return {
            f"{prefix}r2": float(metrics.r2_score(y, P)),
            f"{prefix}mae": float(np.mean(np.abs(y - P))),
            f"{prefix}rmse": float(np.sqrt(np.mean((y - P) ** 2))),
            f"{prefix}mse": float(np.mean((y - P) ** 2)),
        }
    scores = model.evaluate(X, fit_targets(prep, y), verbose=0, return_dict=True)
    out = {f"{prefix}{k}": float(v) for k, v in scores.items()}
    if prep.task in ("binary", "multiclass"):
        out[f"{prefix}accuracy"] = float(np.mean(_predicted_classes(P) == y))
        # AUC needs every class in the rows and finite scores (a diverged run may
        # leave weights that overflow on new rows)
        if len(np.unique(y)) == max(P.shape[1], 2) and np.isfinite(P).all():
            auc_scores = P[:, 0] if P.shape[1] == 1 else P
            out[f"{prefix}auc"] = float(metrics.roc_auc(y, auc_scores))
    return out


def _fit_split(frame, target, train_idx, val_idx, cfg, *, verbose=0, callbacks=None, plan=None):
    """Fit the preprocessing on the training rows and train a fresh model on them,
    early stopping on the validation rows. Returns (model, prep, history)."""
    prep = _preprocessor(target, cfg).fit(frame.iloc[train_idx])
    X_train = prep.transform(frame.iloc[train_idx])
    y_train = fit_targets(prep, prep.transform_target(frame.iloc[train_idx]))
    validation = None
    if len(val_idx):
        rows = frame.iloc[val_idx]
        validation = (prep.transform(rows), fit_targets(prep, prep.transform_target(rows)))
    model = build_model(X_train.shape[1], prep.output(), cfg)
    if plan is not None:
        plan(prep, model)
    cbs = list(callbacks or [])
    if cfg["patience"] and validation is not None:
        cbs.append(EarlyStopping(patience=int(cfg["patience"])))
    history = model.fit(
        X_train,
        y_train,
        epochs=int(cfg["epochs"]),
        batch_size=int(cfg["batch_size"]),
        validation_data=validation,
        verbose=verbose,
        callbacks=cbs,
        seed=int(cfg["seed"]),
    )
    return model, prep, history


def _run_name(label: str) -> str:
    return label[:-4] if label.lower().endswith(".csv") else label


def train_run(
    config: dict | None = None, verbose: int = 0, callbacks=None, announce=None, **overrides
) -> RunResult:
    """Run the whole workflow once and return what it produced (see module docstring).

    Args:
        config: settings (see `nnlab.run_config.DEFAULTS`); `overrides` win over it.
        verbose: `fit`'s verbosity.
        callbacks: extra callbacks for `fit`.
        announce: called with a `RunPlan` just before training starts.
    """
    from nnlab.diagnostics import diagnose, diagnose_gradients

    cfg = resolve_config(config, **overrides)
    set_random_seed(int(cfg["seed"]))
    frame, target, label, data_notes = prepare_table(cfg)
    train_idx, val_idx, test_idx = holdout_split(
        frame[target].to_numpy(),
        val_size=cfg["val_size"],
        test_size=cfg["test_size"],
        seed=int(cfg["seed"]),
    )
    if not len(train_idx) or not len(test_idx):  # found before training, not after it
        raise ValueError(
            f"{label} has {len(frame)} rows with a target: too few for the split "
            f"({len(train_idx)} training / {len(val_idx)} validation / {len(test_idx)} test "
            "rows). A run needs training and test rows: use a larger table, or change "
            "--val-size / --test-size."
        )

    def plan(prep, model):
        if announce is not None:
            announce(
                RunPlan(
                    dataset=label,
                    n_rows=len(frame),
                    target=target,
                    task=prep.task,
                    class_names=[str(c) for c in prep.classes],
                    n_train=len(train_idx),
                    n_val=len(val_idx),
                    n_test=len(test_idx),
                    stratified=prep.task in ("binary", "multiclass"),
                    notes=data_notes + list(prep.report),
                    model=model,
                    config=cfg,
                )
            )

    model, prep, history = _fit_split(
        frame, target, train_idx, val_idx, cfg, verbose=verbose, callbacks=callbacks, plan=plan
    )
    X_test = prep.transform(frame.iloc[test_idx])
    y_test = prep.transform_target(frame.iloc[test_idx])
    test_metrics = score(model, prep, X_test, y_test, prefix="test_")
    P = predict_rows(model, prep, frame.iloc[test_idx])
    return RunResult(
        name=f"{_run_name(label)}-{cfg['seed']}",
        dataset=label,
        task=prep.task,
        config=cfg,
        model=model,
        history=history,
        preprocessor=prep,
        feature_names=prep.feature_names,
        class_names=[str(c) for c in prep.classes],
        n_train=len(train_idx),
        n_val=len(val_idx),
        n_test=len(test_idx),
        test_metrics=test_metrics,
        y_test=y_test,
        p_test=P,
        X_test=X_test,
        diagnosis=diagnose(history),
        findings=list(diagnose_gradients(history)),
        notes=data_notes + list(prep.report),
        data_notes=data_notes,
        split={"train": train_idx, "val": val_idx, "test": test_idx},
    )


def cross_validate_run(config: dict | None = None, k: int = 5, **overrides):
    """k-fold cross-validation of the configured workflow on the configured data.

    The test fraction is not used: each fold's held-out rows are its test rows. Every
    fold takes a validation split (`val_size` of the fold's training rows) for early
    stopping, fits its own preprocessing on the remaining training rows only, trains a
    fresh model with every training setting, and is scored on its held-out fold.

    Returns:
        A `CVResult` whose runs are the folds ("fold 1" ... "fold k").
    """
    from nnlab.data.split import kfold_indices
    from nnlab.model_selection import CVResult

    cfg = resolve_config(config, **overrides)
    frame, target, _, _ = prepare_table(cfg)
    y_all = frame[target].to_numpy()
    probe = _preprocessor(target, cfg).fit(frame)  # the task and the class of every row
    classes = probe.task in ("binary", "multiclass")
    folds = kfold_indices(
        probe.transform_target(frame) if classes else len(frame),
        k=k,
        stratified=classes,
        seed=int(cfg["seed"]),
    )
    runs, watched = [], []
    for i, (fold_train, fold_test) in enumerate(folds):
        fold_cfg = {**cfg, "seed": int(cfg["seed"]) + i}
        set_random_seed(fold_cfg["seed"])
        inner_train, inner_val, _ = holdout_split(
            y_all[fold_train], val_size=cfg["val_size"], test_size=0.0, seed=fold_cfg["seed"]
        )
        model, prep, _ = _fit_split(
            frame, target, fold_train[inner_train], fold_train[inner_val], fold_cfg
        )
        watched.append(fold_train[inner_val])
        rows = frame.iloc[fold_test]
        runs.append(score(model, prep, prep.transform(rows), prep.transform_target(rows)))
    return CVResult(runs=runs, splits=folds, name="fold", validation=watched)


def gradcheck_run(
    source: str = "penguins_lecture",
    hidden="4",
    activation: str = "tanh",
    samples: int = 8,
    target: str = "",
):
    """Gradient check (float64) of a small MLP on the first rows of a dataset or CSV."""
    from nnlab import config as nn_config
    from nnlab.diagnostics import gradient_check

    is_csv = source.endswith(".csv") or os.path.sep in source or os.path.exists(source)
    cfg = resolve_config(
        {"csv": source} if is_csv else {"dataset": source},
        hidden=hidden,
        activation=activation,
        target=target or None,
    )
    frame, target, _, _ = prepare_table(cfg)
    prep = _preprocessor(target, cfg).fit(frame)
    rows = frame.iloc[:samples]
    old = nn_config.floatx()
    nn_config.set_floatx("float64")
    try:
        model = build_model(len(prep.feature_names), prep.output(), cfg)
        y = fit_targets(prep, prep.transform_target(rows))
        return gradient_check(model, prep.transform(rows).astype(np.float64), y)
    finally:
        nn_config.set_floatx(old)
