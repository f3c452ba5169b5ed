"""Tabular input: a CSV file or a pandas DataFrame with a named target column.

`TabularPreprocessor` is the one fitted object that turns table rows into the model's
numbers, and can be saved with the model (`to_config` / `from_config`, plain JSON):

- numeric columns: missing values imputed with the training median, then z-scored
  (or min-max scaled) with training statistics;
- categorical columns (text, booleans, few distinct values): missing values become
  the most frequent training category, then one-hot;
- identifier-like columns (a distinct value in nearly every row, e.g. names or ids)
  and constant columns are flagged and dropped;
- the target: class names (binary / multi-class), a set of 0/1 columns (multi-label),
  or numbers (regression), with the task inferred and the output layer and loss
  proposed from the lectures' table. With `standardize_target=True` a regression
  target is also z-scored with the training mean and standard deviation for training
  (`scale_target`), and predictions are brought back to the target's units with
  `inverse_transform_target`; `transform_target` always gives the target's own units.

Everything it did is listed in `report` in plain words. Applying it to new rows
checks the columns and categories and says clearly what does not match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnlab.data.columns import drop_reason, fit_categorical, fit_numeric, is_categorical
from nnlab.data.table_checks import check_numbers, check_unique_names, read_csv, row_numbers
from nnlab.data.target import fit_target
from nnlab.datasets.base import Dataset

# The lectures' table: last-layer activation and loss for each kind of task.
OUTPUT_TABLE = {
    "binary": ("sigmoid", "binary_crossentropy"),
    "multiclass": ("softmax", "categorical_crossentropy"),
    "multilabel": ("sigmoid", "binary_crossentropy"),
    "regression": ("linear", "mean_squared_error"),
}


@dataclass
class OutputProposal:
    """The output layer and loss that fit a task (seed 003's table)."""

    task: str
    units: int
    activation: str
    loss: str

    def __str__(self) -> str:
        return (
            f"{self.task}: Dense({self.units}, activation='{self.activation}') "
            f"with loss='{self.loss}'"
        )


def propose_output(task: str, n_targets: int) -> OutputProposal:
    """The lectures' choice: sigmoid + BCE, softmax + CCE, sigmoid per label + BCE,
    linear + MSE. `n_targets` is the class count (multi-class), the label count
    (multi-label) or the number of target columns (regression)."""
    if task not in OUTPUT_TABLE:
        raise ValueError(f"task must be one of {sorted(OUTPUT_TABLE)}. Received: {task!r}")
    activation, loss = OUTPUT_TABLE[task]
    units = 1 if task == "binary" else n_targets
    return OutputProposal(task, units, activation, loss)


def _read(source) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        check_unique_names(list(source.columns))
        return source.copy()
    if isinstance(source, pd.Series):
        return source.to_frame()
    return read_csv(source)


class TabularPreprocessor:
    """Fitted preprocessing from table rows to model inputs and targets.

    Args:
        target: the target column name, or a list of 0/1 columns for multi-label.
        scaling: "standard" (z-score), "minmax" (to [0, 1]) or None for numeric columns.
        drop: columns to leave out.
        task: force the task instead of inferring it.
        id_threshold: a text column with more than this fraction of distinct values
            is treated as an identifier and dropped.
        positive_class: make a binary one-vs-rest target from a class column: this value
            is class 1, every other value class 0 (e.g. target="species",
            positive_class="Adelie" for the lectures' "Adelie or not").
        non_numeric: what to do with the few non-numeric cells of a column of numbers
            (a typo such as 'abc'): "error" (default) names them; "missing" treats them
            as missing values (imputed like any other) and says so in `report`.
        standardize_target: regression only: learn the training mean and standard
            deviation of the target, so that a model can be trained on z-scored targets
            (`scale_target`) and its predictions mapped back (`inverse_transform_target`).

    Example:
        >>> import pandas as pd
        >>> rows = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "y": [10.0, 20.0, 30.0, 40.0]})
        >>> prep = TabularPreprocessor("y", standardize_target=True).fit(rows)
        >>> z = prep.scale_target(prep.transform_target(rows))
        >>> [round(float(v), 4) for v in z[:, 0]]
        [-1.3416, -0.4472, 0.4472, 1.3416]
        >>> prep.inverse_transform_target(z)[:, 0].round(9).tolist()
        [10.0, 20.0, 30.0, 40.0]
    """

    def __init__(
        self,
        target,
        scaling: str | None = "standard",
        drop=(),
        task: str | None = None,
        id_threshold: float = 0.9,
        positive_class=None,
        non_numeric: str = "error",
        standardize_target: bool = False,
    ):
        if non_numeric not in ("error", "missing"):
            raise ValueError(
                "non_numeric must be 'error' (name the non-numeric cells of a numeric "
                "column) or 'missing' (treat them as missing). Received: "
                f"non_numeric={non_numeric!r}"
            )
        self.non_numeric = non_numeric
        if scaling not in ("standard", "minmax", None):
            raise ValueError(
                f"scaling must be 'standard', 'minmax' or None. Received: scaling={scaling!r}"
            )
        self.targets = [target] if isinstance(target, str) else list(target)
        self.scaling = scaling
        self.drop = list(drop)
        self.task = task
        self.id_threshold = float(id_threshold)
        self.positive_class = positive_class
        self.standardize_target = bool(standardize_target)
        self.target_scaling: dict | None = None
        if positive_class is not None and (len(self.targets) != 1 or task not in (None, "binary")):
            raise ValueError("positive_class needs a single target column and a binary task.")
        self.fitted = False

    # -- fitting ------------------------------------------------------------------
    def fit(self, frame: pd.DataFrame) -> TabularPreprocessor:
        """Learn columns, statistics, categories and classes from the training rows."""
        df = _read(frame)
        missing = [c for c in self.targets + self.drop if c not in df.columns]
        if missing:
            raise ValueError(
                f"Column(s) {missing} not found. The table has columns {list(df.columns)}."
            )
        df, self.report = check_numbers(df, self.non_numeric)
        self.target_scaling = None
        y = df[self.targets]
        if y.isna().any().any():
            rows = row_numbers(df, y.isna().any(axis=1).to_numpy())
            raise ValueError(
                f"The target column(s) {self.targets} have missing values in {len(rows)} "
                f"rows (data rows {', '.join(map(str, rows[:10]))}"
                f"{' ...' if len(rows) > 10 else ''}): a row without a target cannot be "
                "learned from. Drop those rows first, or fill in their targets."
            )
        target = fit_target(
            y, self.targets, self.task, self.positive_class, self.standardize_target
        )
        self.task, self.classes, self.target_scaling = target.task, target.classes, target.scaling
        self.report += target.report
        self.numeric: dict[str, dict] = {}
        self.categorical: dict[str, dict] = {}
        self.dropped: dict[str, str] = {c: "asked" for c in self.drop}
        for name in df.columns:
            if name not in self.targets and name not in self.drop:
                self.report.append(self._fit_column(df, name))
        if not self.numeric and not self.categorical:
            raise ValueError("No usable feature columns remain after dropping constant/ID columns.")
        self.fitted = True
        return self

    def _fit_column(self, df: pd.DataFrame, name: str) -> str:
        """Drop, or learn how to fill and encode, one feature column; its report line."""
        dropped = drop_reason(df, name, self.id_threshold)
        if dropped is not None:
            self.dropped[name], line = dropped
        elif is_categorical(df[name]):
            self.categorical[name], line = fit_categorical(name, df[name])
        else:
            self.numeric[name], line = fit_numeric(name, df[name], self.scaling)
        return line

    # -- applying -------------------------------------------------------------------
    @property
    def feature_names(self) -> list[str]:
        self._require_fit()
        names = list(self.numeric)
        for name, spec in self.categorical.items():
            names += [f"{name}={c}" for c in spec["categories"]]
        return names

    def transform(self, frame) -> np.ndarray:
        """Feature matrix (float32) for new rows, with the training statistics."""
        self._require_fit()
        df = _read(frame)
        needed = list(self.numeric) + list(self.categorical)
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise ValueError(
                f"The rows lack column(s) {missing} that the model was trained with. "
                f"Expected columns: {needed}."
            )
        numeric, _ = check_numbers(df[list(self.numeric)], self.non_numeric)
        parts = []
        for name, s in self.numeric.items():
            values = pd.to_numeric(numeric[name], errors="coerce")
            bad = values.isna() & numeric[name].notna()
            if bad.any():
                raise ValueError(
                    f"Column '{name}' must be numeric; data row "
                    f"{row_numbers(numeric, bad)[0]} holds {numeric[name][bad].iloc[0]!r}. "
                    "Correct the cell, or leave it empty to mark it missing."
                )
            v = values.astype(float).fillna(s["fill"]).to_numpy()
            parts.append(((v - s["center"]) / s["scale"])[:, None])
        for name, s in self.categorical.items():
            values = df[name].astype(object).where(df[name].notna(), s["fill"]).astype(str)
            unseen = sorted(set(values) - set(s["categories"]))
            if unseen:
                raise ValueError(
                    f"Column '{name}' has categories {unseen} that were not in the training "
                    f"data {s['categories']}. Map them to a known category or retrain."
                )
            onehot = values.to_numpy()[:, None] == np.array(s["categories"])[None, :]
            parts.append(onehot.astype(float))
        return np.hstack(parts).astype(np.float32)

    def transform_target(self, frame) -> np.ndarray:
        """Targets for rows: class indices (n,), 0/1 labels (n, k), or floats (n, k)."""
        self._require_fit()
        df = _read(frame)
        missing = [c for c in self.targets if c not in df.columns]
        if missing:
            raise ValueError(f"Target column(s) {missing} not found in the rows.")
        if self.task == "multilabel":
            return df[self.targets].to_numpy().astype(np.float32)
        if self.task == "regression":
            return df[self.targets].to_numpy().astype(np.float32)
        col = df[self.targets[0]]
        if self.positive_class is not None:
            return (col == self.positive_class).to_numpy().astype(np.int64)
        lookup = {c: i for i, c in enumerate(self.classes)}
        unknown = sorted({str(v) for v in col if v not in lookup})
        if unknown:
            raise ValueError(
                f"Target '{self.targets[0]}' has classes {unknown} not seen in training "
                f"{self.classes}."
            )
        return col.map(lookup).to_numpy().astype(np.int64)

    def scale_target(self, y) -> np.ndarray:
        """Targets in the target's units -> what the model is trained on (z-scored when
        the target is standardized; unchanged otherwise)."""
        self._require_fit()
        if self.target_scaling is None:
            return np.asarray(y)
        s = self.target_scaling
        y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        return (y - np.array(s["center"])) / np.array(s["scale"])

    def inverse_transform_target(self, P) -> np.ndarray:
        """Model outputs -> the target's own units (undoes `scale_target`; other tasks'
        outputs, e.g. probabilities, are returned unchanged)."""
        self._require_fit()
        if self.target_scaling is None:
            return np.asarray(P)
        s = self.target_scaling
        P = np.asarray(P, dtype=np.float64).reshape(len(P), -1)
        return P * np.array(s["scale"]) + np.array(s["center"])

    def output(self) -> OutputProposal:
        """The output layer and loss for this task (the lectures' table)."""
        self._require_fit()
        n = len(self.classes) if self.task != "regression" else len(self.targets)
        return propose_output(self.task, n)

    # -- saving ----------------------------------------------------------------------
    def to_config(self) -> dict:
        """Everything fitted, as plain JSON-serializable values."""
        self._require_fit()
        return {
            "targets": self.targets,
            "positive_class": _plain(self.positive_class),
            "scaling": self.scaling,
            "drop": self.drop,
            "task": self.task,
            "id_threshold": self.id_threshold,
            "non_numeric": self.non_numeric,
            "classes": [_plain(c) for c in self.classes],
            "numeric": self.numeric,
            "categorical": self.categorical,
            "dropped": self.dropped,
            "report": self.report,
            "standardize_target": self.standardize_target,
            "target_scaling": self.target_scaling,
        }

    @classmethod
    def from_config(cls, config: dict) -> TabularPreprocessor:
        prep = cls(
            config["targets"],
            config["scaling"],
            config["drop"],
            config["task"],
            config["id_threshold"],
            config.get("positive_class"),
            config.get("non_numeric", "error"),
            config.get("standardize_target", False),  # older files: not standardized
        )
        prep.target_scaling = config.get("target_scaling")
        prep.classes = list(config["classes"])
        prep.numeric = dict(config["numeric"])
        prep.categorical = dict(config["categorical"])
        prep.dropped = dict(config["dropped"])
        prep.report = list(config["report"])
        prep.fitted = True
        return prep

    def _require_fit(self) -> None:
        if not self.fitted:
            raise RuntimeError("This TabularPreprocessor is not fitted; call fit(train_rows).")

    def __repr__(self) -> str:
        state = (
            f"task={self.task!r}, features={len(self.feature_names)}" if self.fitted else "unfitted"
        )
        return f"TabularPreprocessor(target={self.targets!r}, {state})"


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def load_csv(
    source,
    target,
    *,
    drop=(),
    task: str | None = None,
    scaling="standard",
    name: str = "",
    non_numeric: str = "error",
) -> Dataset:
    """Read a CSV path or DataFrame into a trainable Dataset, reporting what was done.

    `non_numeric` is passed to `TabularPreprocessor` ("error" or "missing"). The
    preprocessing is fitted on all rows here, which is fine for a first look. For
    a leak-free evaluation fit a `TabularPreprocessor` on the training rows only (or
    pass one as `preprocessing=` to `nnlab.model_selection.cross_validate`).

    Returns:
        A Dataset with X (float32), y (class indices, 0/1 labels or floats), the task,
        feature and target names, `notes` (the report) and `preprocessor`.
    """
    df = _read(source)
    prep = TabularPreprocessor(
        target, scaling=scaling, drop=drop, task=task, non_numeric=non_numeric
    ).fit(df)
    X = prep.transform(df)
    y = prep.transform_target(df)
    target_names = [str(c) for c in prep.classes] if prep.classes else list(prep.targets)
    return Dataset(
        X=X,
        y=y,
        feature_names=prep.feature_names,
        target_names=target_names,
        task=prep.task,
        name=name or (str(source) if not isinstance(source, pd.DataFrame) else "table"),
        description=f"{len(df)} rows read; target {prep.targets}",
        frame=df,
        notes=list(prep.report) + [f"proposed output: {prep.output()}"],
        preprocessor=prep,
    )
