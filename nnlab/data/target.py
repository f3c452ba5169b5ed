"""What `TabularPreprocessor.fit` learns from the target column(s): the task and classes.

`fit_target` infers the task (binary, multi-class, multi-label or regression) unless
one is forced, lists the classes, and for a standardized regression target learns its
mean and standard deviation; with each step it writes a line for the `report`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = ["TargetFit", "fit_target"]


@dataclass
class TargetFit:
    """What was learned from the target: task, classes, scaling and the report lines."""

    task: str
    classes: list = field(default_factory=list)
    scaling: dict | None = None
    report: list[str] = field(default_factory=list)


def fit_target(
    y: pd.DataFrame, targets: list, task=None, positive_class=None, standardize=False
) -> TargetFit:
    """The task and classes of the target column(s) `targets` of the training rows `y`.

    Args:
        y: the target columns of the training rows (no missing values).
        targets: their names; several names mean multi-label 0/1 columns.
        task: a forced task, or None to infer it.
        positive_class: the class-1 value of a one-vs-rest binary target, or None.
        standardize: learn the regression target's mean and standard deviation.

    Example:
        >>> fit = fit_target(pd.DataFrame({"y": ["b", "a", "b"]}), ["y"])
        >>> fit.task, fit.classes
        ('binary', ['a', 'b'])
    """
    if len(targets) > 1:
        return _multilabel(y, targets, task)
    col = y[targets[0]]
    if positive_class is not None:
        return _one_vs_rest(col, targets[0], positive_class)
    numeric = pd.api.types.is_numeric_dtype(col) and col.dtype != bool
    n_distinct = col.nunique()
    if n_distinct < 2:
        raise ValueError(
            f"Target '{targets[0]}' has a single value "
            f"({col.iloc[0]!r}) in these rows: there is nothing to learn. Check the "
            "target column, or the rows selected for training."
        )
    if task is None:
        if not numeric or (col.dtype.kind in "iub" and n_distinct <= 20) or n_distinct == 2:
            task = "binary" if n_distinct == 2 else "multiclass"
        else:
            task = "regression"
    if task == "regression":
        return _regression(y, targets[0], numeric, standardize)
    classes = sorted(col.unique().tolist(), key=lambda v: (str(type(v)), v))
    line = f"target '{targets[0]}': {len(classes)} classes ({task}): " + ", ".join(
        str(c) for c in classes[:10]
    )
    return TargetFit(task, classes, report=[line])


def _multilabel(y: pd.DataFrame, targets: list, task) -> TargetFit:
    if not np.all(np.isin(y.to_numpy(), [0, 1, True, False])):
        raise ValueError(
            f"Several target columns {targets} mean multi-label: each must hold 0/1 values."
        )
    line = f"target: {len(targets)} labels (multi-label)"
    return TargetFit(task or "multilabel", list(targets), report=[line])


def _one_vs_rest(col: pd.Series, name: str, pos) -> TargetFit:
    if not (col == pos).any():
        raise ValueError(
            f"positive_class {pos!r} does not occur in target '{name}'. "
            f"Values: {sorted(map(str, col.unique()))[:10]}"
        )
    line = f"target '{name}': {pos} (1) or not (0), binary"
    return TargetFit("binary", [f"not {pos}", pos], report=[line])


def _regression(y: pd.DataFrame, name: str, numeric: bool, standardize: bool) -> TargetFit:
    if not numeric:
        raise ValueError(
            f"Target '{name}' holds text, so it cannot be regressed. "
            "Use task='multiclass' or 'binary'."
        )
    fit = TargetFit("regression", report=[f"target '{name}': numeric (regression)"])
    if standardize:
        values = y.to_numpy(dtype=np.float64)
        std = values.std(axis=0)
        fit.scaling = {
            "center": values.mean(axis=0).tolist(),
            "scale": np.where(std > 0, std, 1.0).tolist(),
        }
        fit.report.append(
            f"target '{name}': standardized for training (mean "
            f"{fit.scaling['center'][0]:.4g}, std "
            f"{fit.scaling['scale'][0]:.4g}); predictions and metrics "
            "are in its own units"
        )
    return fit
