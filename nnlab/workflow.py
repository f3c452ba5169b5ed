"""The lectures' workflow as one function: data -> split -> preprocess -> train -> test.

`train_run(config)` loads a bundled dataset or a CSV, splits it 60/20/20 (stratified),
fits the preprocessing on the training rows only, builds an MLP whose output layer and
loss follow the task, trains with early stopping, evaluates on the test rows, and
diagnoses the run. The command line (`nnlab train`) and the report use it; it calls
only nnlab's public API.
"""

from __future__ import annotations

import copy
import datetime as _dt
from dataclasses import dataclass, field

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
from nnlab.utils import to_categorical

#: Defaults: the lectures' penguins example (3 features, Adelie or not).
DEFAULTS = {
    "dataset": "penguins_lecture",
    "csv": "",
    "target": "",
    "positive_class": "",
    "drop": [],
    "hidden": [16],
    "activation": "relu",
    "dropout": 0.0,
    "l2": 0.0,
    "optimizer": "adam",
    "learning_rate": 0.01,
    "epochs": 200,
    "batch_size": 32,
    "patience": 20,
    "seed": 0,
    "val_size": 0.2,
    "test_size": 0.2,
    "scaling": "standard",
    "non_numeric": "error",
}

#: The type each setting must have (a TOML file or flags); ints are accepted as floats.
_TYPES = {
    "dataset": str,
    "csv": str,
    "target": str,
    "positive_class": str,
    "drop": (list, tuple),
    "hidden": (list, tuple, str),
    "activation": str,
    "dropout": float,
    "l2": float,
    "optimizer": str,
    "learning_rate": float,
    "epochs": int,
    "batch_size": int,
    "patience": int,
    "seed": int,
    "val_size": float,
    "test_size": float,
    "scaling": str,
    "non_numeric": str,
}
#: (low, high, low open, high open) for numbers; None: unbounded on that side.
_RANGES = {
    "dropout": (0, 1, False, True),
    "l2": (0, None, False, False),
    "learning_rate": (0, None, True, False),
    "epochs": (1, None, False, False),
    "batch_size": (1, None, False, False),
    "patience": (0, None, False, False),
    "val_size": (0, 1, False, True),
    "test_size": (0, 1, False, True),
}


def resolve_config(config: dict | None = None, **overrides) -> dict:
    """DEFAULTS updated by `config` then `overrides`; unknown keys are an error."""
    merged = copy.deepcopy(DEFAULTS)
    for source in (config or {}), overrides:
        unknown = sorted(set(source) - set(DEFAULTS))
        if unknown:
            raise ValueError(f"Unknown setting(s) {unknown}. Known settings: {sorted(DEFAULTS)}")
        merged.update({k: v for k, v in source.items() if v is not None})
    for key, value in merged.items():
        merged[key] = _checked_setting(key, value)
    if isinstance(merged["hidden"], str):
        merged["hidden"] = parse_hidden(merged["hidden"])
    elif any(isinstance(h, bool) or not isinstance(h, int) or h <= 0 for h in merged["hidden"]):
        raise ValueError(
            "Setting 'hidden' expects a list of positive ints (layer sizes), e.g. "
            f"hidden = [16, 8]. Received: hidden={merged['hidden']!r}"
        )
    if merged["non_numeric"] not in ("error", "missing"):
        raise ValueError(
            "Setting 'non_numeric' expects 'error' or 'missing'. Received: "
            f"non_numeric={merged['non_numeric']!r}"
        )
    return merged


def _checked_setting(key: str, value):
    """`value` if it has the type (and range) setting `key` needs, else a ValueError
    naming the key, the expected type and the value received."""
    expected = _TYPES[key]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if isinstance(value, bool) or not isinstance(value, kinds):
        words = {"str": "a string", "int": "an int", "float": "a number", "list": "a list"}
        names = " or ".join(dict.fromkeys(words.get(k.__name__, "a list") for k in kinds))
        raise ValueError(
            f"Setting {key!r} expects {names}. Received: {key}={value!r} "
            f"({type(value).__name__}). Fix it in the config file or the flag, e.g. "
            f"{key} = {DEFAULTS[key]!r}."
        )
    if key in _RANGES:
        low, high, low_open, high_open = _RANGES[key]
        if (low is not None and (value < low or (low_open and value == low))) or (
            high is not None and (value > high or (high_open and value == high))
        ):
            interval = (
                f"{'(' if low_open else '['}{low}, "
                f"{high if high is not None else 'inf'}{')' if high_open or high is None else ']'}"
            )
            raise ValueError(
                f"Setting {key!r} must lie in {interval}. Received: {key}={value!r}."
            )
    return value


def parse_hidden(text: str) -> list[int]:
    """'16,8' -> [16, 8]; '' -> [] (no hidden layer)."""
    try:
        sizes = [int(t) for t in str(text).replace(" ", "").split(",") if t]
    except ValueError:
        raise ValueError(
            f"hidden must be comma-separated positive integers like 16,8. Received {text!r}"
        ) from None
    if any(s <= 0 for s in sizes):
        raise ValueError(f"hidden layer sizes must be positive. Received {text!r}")
    return sizes


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
        return _with_target(frame, config["target"], str(config["csv"]))
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
        scaling=cfg["scaling"],
        drop=cfg["drop"],
        positive_class=cfg["positive_class"] or None,
        non_numeric=cfg["non_numeric"],
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


@dataclass
class RunResult:
    """Everything a finished run produced (what the report and the CLI show)."""

    name: str
    dataset: str
    task: str
    config: dict
    model: object
    history: object
    preprocessor: TabularPreprocessor
    feature_names: list[str]
    class_names: list[str]
    n_train: int
    n_val: int
    n_test: int
    test_metrics: dict
    y_test: np.ndarray
    p_test: np.ndarray
    X_test: np.ndarray
    diagnosis: object
    findings: list
    notes: list[str] = field(default_factory=list)
    #: what was done to the table before preprocessing (dropped rows, cells made missing)
    data_notes: list[str] = field(default_factory=list)
    created: str = field(default_factory=lambda: _dt.datetime.now().isoformat(timespec="seconds"))

    @property
    def summary_text(self) -> str:
        lines: list[str] = []
        self.model.summary(print_fn=lines.append, batch_size=self.config["batch_size"])
        return "\n".join(lines)

    @property
    def gradient_norms(self) -> dict:
        return dict(getattr(self.history, "gradient_norms", {}) or {})

    @property
    def confusion(self):
        names = np.asarray(self.class_names, dtype=object)
        pred = _predicted_classes(self.p_test)
        return metrics.confusion_matrix(names[self.y_test], names[pred], labels=self.class_names)

    @property
    def roc_curves(self) -> list:
        return [
            (name, c.fpr, c.tpr, metrics.auc(c.fpr, c.tpr))
            for name, c in self._curves(metrics.roc_curve)
        ]

    @property
    def pr_curves(self) -> list:
        out = []
        for name, c in self._curves(metrics.precision_recall_curve):
            out.append((name, c.recall, c.precision, float(metrics.auc(c.recall, c.precision))))
        return out

    def _curves(self, fn):
        scores = self.p_test
        if not np.isfinite(scores).all():  # a diverged run: no meaningful ranking
            return []
        if scores.shape[1] == 1:
            return [(self.class_names[1], fn(self.y_test, scores[:, 0]))]
        result = []
        for k, name in enumerate(self.class_names):
            positive = (self.y_test == k).astype(int)
            if 0 < positive.sum() < len(positive):
                result.append((f"{name} vs rest", fn(positive, scores[:, k])))
        return result

    def decision_boundary_figure(self):
        """The decision-boundary figure for 2-D classification inputs, else None."""
        if self.X_test.shape[1] != 2 or self.task not in ("binary", "multiclass"):
            return None
        from nnlab.report import plots

        return plots.decision_boundary(
            lambda G: self.model.predict(G.astype(np.float32), batch_size=4096, verbose=0),
            self.X_test,
            self.y_test,
            self.class_names,
        )


def _predicted_classes(P: np.ndarray) -> np.ndarray:
    return (P[:, 0] > 0.5).astype(int) if P.shape[1] == 1 else P.argmax(axis=1)


def _targets(y: np.ndarray, task: str, n_classes: int) -> np.ndarray:
    if task == "binary":
        return y.astype(np.float32).reshape(-1, 1)
    if task == "multiclass":
        return to_categorical(y, n_classes).astype(np.float32)
    return y


def train_run(
    config: dict | None = None, verbose: int = 0, callbacks=None, **overrides
) -> RunResult:
    """Run the whole workflow once and return what it produced (see module docstring)."""
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
    prep = _preprocessor(target, cfg)
    prep.fit(frame.iloc[train_idx])
    output = prep.output()
    parts = {}
    for name, idx in (("train", train_idx), ("val", val_idx), ("test", test_idx)):
        rows = frame.iloc[idx]
        parts[name] = (prep.transform(rows), prep.transform_target(rows))
    n_classes = len(prep.classes)
    model = build_model(parts["train"][0].shape[1], output, cfg)
    cbs = list(callbacks or [])
    if cfg["patience"]:
        cbs.append(EarlyStopping(patience=int(cfg["patience"])))
    fit_targets = {k: _targets(y, prep.task, n_classes) for k, (_, y) in parts.items()}
    validation = (parts["val"][0], fit_targets["val"]) if len(val_idx) else None
    history = model.fit(
        parts["train"][0],
        fit_targets["train"],
        epochs=int(cfg["epochs"]),
        batch_size=int(cfg["batch_size"]),
        validation_data=validation,
        verbose=verbose,
        callbacks=cbs,
        seed=int(cfg["seed"]),
    )
    X_test, y_test = parts["test"]
    scores = model.evaluate(X_test, fit_targets["test"], verbose=0, return_dict=True)
    P = model.predict(X_test, verbose=0)
    test_metrics = {f"test_{k}": float(v) for k, v in scores.items()}
    if prep.task in ("binary", "multiclass"):
        pred = _predicted_classes(P)
        test_metrics["test_accuracy"] = float(np.mean(pred == y_test))
        present = len(np.unique(y_test))
        # AUC needs every class in the test rows and finite scores (a diverged run may
        # leave weights that overflow on new rows)
        if present == max(P.shape[1], 2) and np.isfinite(P).all():
            auc_scores = P[:, 0] if P.shape[1] == 1 else P
            test_metrics["test_auc"] = float(metrics.roc_auc(y_test, auc_scores))
    else:
        if np.isfinite(P).all():
            test_metrics["test_r2"] = float(metrics.r2_score(y_test, P))
    return RunResult(
        name=f"{label}-{cfg['seed']}",
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
    )


def cross_validate_run(config: dict | None = None, k: int = 5, **overrides):
    """k-fold cross-validation of the configured model on the configured data.

    Every fold fits its own TabularPreprocessor on its training rows only.
    """
    from nnlab.model_selection import cross_validate

    cfg = resolve_config(config, **overrides)
    frame, target, _, _ = prepare_table(cfg)
    probe = _preprocessor(target, cfg).fit(frame)
    output, n_classes = probe.output(), len(probe.classes)

    def targets(prep, rows):  # rows: the fold's slice of the target column
        return _targets(prep.transform_target(rows.to_frame()), prep.task, n_classes)

    return cross_validate(
        lambda n_features: build_model(n_features, output, cfg),
        frame,
        frame[target],
        k=k,
        seed=int(cfg["seed"]),
        preprocessing=lambda: _preprocessor(target, cfg),
        target_transform=targets,
        fit_kwargs={"epochs": int(cfg["epochs"]), "batch_size": int(cfg["batch_size"])},
    )


def gradcheck_run(
    source: str = "penguins_lecture", hidden="4", activation: str = "tanh", samples: int = 8
):
    """Gradient check (float64) of a small MLP on the first rows of a dataset or CSV."""
    from nnlab import config as nn_config
    from nnlab.diagnostics import gradient_check

    cfg = resolve_config(
        {"csv": source} if source.endswith(".csv") else {"dataset": source},
        hidden=hidden,
        activation=activation,
    )
    frame, target, _, _ = prepare_table(cfg)
    prep = _preprocessor(target, cfg).fit(frame)
    rows = frame.iloc[:samples]
    old = nn_config.floatx()
    nn_config.set_floatx("float64")
    try:
        model = build_model(len(prep.feature_names), prep.output(), cfg)
        y = _targets(prep.transform_target(rows), prep.task, len(prep.classes))
        return gradient_check(model, prep.transform(rows).astype(np.float64), y)
    finally:
        nn_config.set_floatx(old)
