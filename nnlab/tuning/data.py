"""The data of a search: the table, the held-out test rows and the fixed k folds.

`TuneData` is built once, in the process that runs the search, and sent to every worker
once (Dask's scatter); a trial task carries only its configuration. The test rows are
drawn first (stratified for classes) and never reach a trial: the folds cover the
training rows only, stratified for classification (`StratifiedKFold`, shuffled with the
search seed), plain `KFold` for regression.

Example:
    >>> data = TuneData.from_source("iris", cv=3, seed=0)
    >>> data.task, len(data.folds), len(data.train_rows) + len(data.test_rows)
    ('multiclass', 3, 150)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from nnlab.data.tabular import TabularPreprocessor


@dataclass
class TuneData:
    """A table with a target column, split into training folds and test rows."""

    frame: pd.DataFrame
    target: str
    task: str
    train_rows: np.ndarray
    test_rows: np.ndarray
    folds: list
    name: str = ""
    positive_class: object = None

    @classmethod
    def from_frame(cls, frame, target, *, cv=5, seed=0, test_size=0.2, name="",
                   positive_class=None) -> TuneData:  # fmt: skip
        """Split `frame` (a DataFrame with column `target`) for a search.

        Args:
            cv: number of folds (>= 2).
            seed: drives the test split and the folds.
            test_size: share of rows kept for the final test (0 keeps none).
            positive_class: for a one-vs-rest binary task, the class that is 1.
        """
        from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

        if isinstance(cv, bool) or not isinstance(cv, int) or cv < 2:
            raise ValueError(f"cv must be an int >= 2 (the number of folds). Received: cv={cv!r}")
        if not 0 <= float(test_size) < 1:
            raise ValueError(f"test_size must be in [0, 1). Received: test_size={test_size!r}")
        if target not in frame.columns:
            raise ValueError(f"Target column {target!r} is not in the data: {list(frame.columns)}")
        frame = frame.dropna(subset=[target]).reset_index(drop=True)
        probe = TabularPreprocessor(target, positive_class=positive_class).fit(frame)
        task = probe.task
        if task not in ("binary", "multiclass", "regression"):
            raise ValueError(f"Tuning supports binary, multiclass and regression; got {task}.")
        y = probe.transform_target(frame)
        labels = y if task != "regression" else None
        rows = np.arange(len(frame))
        if test_size:
            train_rows, test_rows = train_test_split(
                rows, test_size=float(test_size), random_state=seed, shuffle=True,
                stratify=labels,
            )  # fmt: skip
            train_rows, test_rows = np.sort(train_rows), np.sort(test_rows)
        else:
            train_rows, test_rows = rows, rows[:0]
        if task == "regression":
            splitter = KFold(cv, shuffle=True, random_state=seed)
            parts = splitter.split(train_rows)
        else:
            splitter = StratifiedKFold(cv, shuffle=True, random_state=seed)
            parts = splitter.split(train_rows, labels[train_rows])
        folds = [(train_rows[a], train_rows[b]) for a, b in parts]
        return cls(frame, target, task, train_rows, test_rows, folds, name, positive_class)

    @classmethod
    def from_source(cls, source: str, target: str = "", **kwargs) -> TuneData:
        """A dataset name ("iris", "digits", "sine", ...) or a CSV path (with `target`).

        A generated dataset (e.g. "sine": 30 points, noise 0.3) is drawn with `seed`.
        """
        from nnlab.datasets.catalog import REGISTRY
        from nnlab.workflow import load_table, resolve_config

        key = source.strip().lower().replace("-", "_")
        if key in REGISTRY and REGISTRY[key][1] == "generated":  # drawn with the seed
            ds = REGISTRY[key][0](seed=kwargs.get("seed", 0))
            frame = pd.DataFrame(ds.X, columns=ds.feature_names)
            if ds.task == "regression":
                frame[target or "target"] = ds.y
            else:
                names = np.asarray(ds.target_names, dtype=object)
                frame[target or "target"] = names[np.asarray(ds.y, dtype=int)]
            return cls.from_frame(frame, target or "target", name=key, **kwargs)
        if source.endswith(".csv"):
            config = resolve_config(csv=source, target=target)
        else:
            config = resolve_config(dataset=source, target=target)
        frame, target, label = load_table(config)
        positive = config["positive_class"] or None
        return cls.from_frame(frame, target, name=label, positive_class=positive, **kwargs)

    def features(self, degree: int = 1) -> pd.DataFrame:
        """The table, with x^2 .. x^degree columns added for every numeric feature."""
        if degree == 1:
            return self.frame
        numeric = [c for c in self.frame.columns
                   if c != self.target and pd.api.types.is_numeric_dtype(self.frame[c])
                   and not pd.api.types.is_bool_dtype(self.frame[c])]  # fmt: skip
        extra = {f"{c}^{p}": self.frame[c].astype(float) ** p
                 for c in numeric for p in range(2, degree + 1)}  # fmt: skip
        return pd.concat([self.frame, pd.DataFrame(extra, index=self.frame.index)], axis=1)

    def preprocessor(self, scaling) -> TabularPreprocessor:
        """An unfitted preprocessor for the target with the chosen scaling."""
        return TabularPreprocessor(
            self.target,
            scaling=None if scaling in (None, "none") else scaling,
            positive_class=self.positive_class,
        )

    def fingerprint(self) -> str:
        """A hash of the table and the splits: a resumed search must see the same data."""
        h = hashlib.sha256()
        h.update(pd.util.hash_pandas_object(self.frame, index=True).to_numpy().tobytes())
        for train, val in self.folds:
            h.update(np.asarray(train).tobytes() + b"|" + np.asarray(val).tobytes())
        h.update(np.asarray(self.test_rows).tobytes())
        return h.hexdigest()[:16]
