"""What `TabularPreprocessor.fit` learns from one feature column, and why it drops one.

Each function looks at one column of the training rows and returns what the
preprocessor keeps (the fill value, the categories or the scaling statistics) with the
line it adds to its `report`, in plain words.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from nnlab.data.table_checks import row_numbers

__all__ = ["drop_reason", "fit_categorical", "fit_numeric", "is_categorical"]

# The words `report` uses for each numeric scaling.
_SCALED = {"standard": ", z-scored", "minmax": ", min-max scaled"}


def is_categorical(col: pd.Series) -> bool:
    """Text, booleans and pandas categoricals are categories; numbers are not."""
    if col.dtype == bool or col.dtype == object or isinstance(col.dtype, pd.CategoricalDtype):
        return True
    return str(col.dtype) in ("string", "str")


def _running_number(df: pd.DataFrame, col: pd.Series) -> bool:
    """A column equal to the data-row number plus a constant, in the file's own order
    (a DataFrame's integer index holds those numbers, also for a subset of the rows)."""
    values = col.to_numpy()
    if col.isna().any():
        return False
    rows = np.asarray(row_numbers(df, np.ones(len(df), dtype=bool)))
    offset = values - rows
    return bool(np.all(offset == offset[0]))


def drop_reason(df: pd.DataFrame, name: str, id_threshold: float) -> tuple[str, str] | None:
    """("constant" or "identifier", the report line) for a column to drop, else None.

    Args:
        df: the training rows.
        name: the column to look at.
        id_threshold: a text column with more than this fraction of distinct values
            (in more than 10 rows) is an identifier.

    Example:
        >>> rows = pd.DataFrame({"id": [f"r{i}" for i in range(12)], "c": [1] * 12})
        >>> drop_reason(rows, "c", 0.9)
        ('constant', "dropped 'c': constant column")
        >>> drop_reason(rows, "id", 0.9)[0]
        'identifier'
    """
    col, n = df[name], len(df)
    n_distinct = col.nunique(dropna=True)
    if n_distinct <= 1:
        return "constant", f"dropped '{name}': constant column"
    categorical = is_categorical(col)
    if categorical and n_distinct > id_threshold * n and n > 10:
        return (
            "identifier",
            f"dropped '{name}': identifier-like ({n_distinct} distinct values in {n} rows)",
        )
    if not categorical and col.dtype.kind in "iu" and n > 10 and _running_number(df, col):
        return (
            "identifier",
            f"dropped '{name}': identifier-like (a running number: the data row "
            "number plus a constant)",
        )
    return None


def fit_categorical(name: str, col: pd.Series) -> tuple[dict, str]:
    """The sorted categories and the most frequent one (the fill for missing values).

    Example:
        >>> spec, line = fit_categorical("c", pd.Series(["b", "a", "b", None]))
        >>> spec
        {'categories': ['a', 'b'], 'fill': 'b'}
        >>> line
        "'c': categorical, 2 categories one-hot encoded; 1 missing filled with 'b'"
    """
    n_missing = int(col.isna().sum())
    values = col.dropna().astype(str)
    mode = values.mode().iloc[0]
    cats = sorted(values.unique().tolist())
    line = f"'{name}': categorical, {len(cats)} categories one-hot encoded" + (
        f"; {n_missing} missing filled with '{mode}'" if n_missing else ""
    )
    return {"categories": cats, "fill": mode}, line


def fit_numeric(name: str, col: pd.Series, scaling: str | None) -> tuple[dict, str]:
    """The median (the fill for missing values) and the scaling's center and scale.

    Example:
        >>> stats, line = fit_numeric("x", pd.Series([1.0, 3.0, None]), "minmax")
        >>> stats
        {'fill': 2.0, 'center': 1.0, 'scale': 2.0}
        >>> line
        "'x': numeric; 1 missing filled with median 2, min-max scaled"
    """
    n_missing = int(col.isna().sum())
    values = pd.to_numeric(col, errors="coerce").astype(float)
    median = float(values.median())
    filled = values.fillna(median)
    stats = {"fill": median}
    if scaling == "standard":
        std = float(filled.std(ddof=0))
        stats.update(center=float(filled.mean()), scale=std if std > 0 else 1.0)
    elif scaling == "minmax":
        lo, hi = float(filled.min()), float(filled.max())
        stats.update(center=lo, scale=(hi - lo) if hi > lo else 1.0)
    else:
        stats.update(center=0.0, scale=1.0)
    line = (
        f"'{name}': numeric"
        + (f"; {n_missing} missing filled with median {median:g}" if n_missing else "")
        + _SCALED.get(scaling, "")
    )
    return stats, line
