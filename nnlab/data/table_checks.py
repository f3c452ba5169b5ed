"""Reading a CSV and checking a table before any number is learned from it.

Nothing here guesses silently: what cannot be read as the user meant is an error that
names the file, the column, the row and the value, and says how to fix it.

Rows are numbered as *data rows*: 1-based, not counting the header line (data row 1 is
the file's second line when no field spans several lines). A table passed as a DataFrame
is numbered by its integer index + 1 (its position + 1 for other indexes), so a subset of
a file's rows keeps the file's numbers.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd

#: The largest magnitude a float32 holds; larger finite values cannot reach the model.
FLOAT32_MAX = float(np.finfo(np.float32).max)
NON_NUMERIC_CHOICES = ("error", "missing")
_SHOWN = 5  # cells named in one message


def read_csv(path) -> pd.DataFrame:
    """Read a UTF-8 CSV file with a header line and at least one data row.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not UTF-8 (with the byte's offset and line), empty, header only,
            duplicate column names, or not parseable as CSV.

    Example:
        >>> import os, tempfile
        >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
        >>> _ = open(path, "w").write("a,b\\n1,2\\n")
        >>> read_csv(path).shape
        (1, 2)
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{path} is a folder, not a CSV file. Pass the path of a .csv file.")
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except FileNotFoundError:
        raise FileNotFoundError(f"No such CSV file: {path}") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"{path} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at offset {exc.start} "
            f"(line {line}) cannot be decoded. Save the file as UTF-8, e.g. "
            f"`iconv -f latin1 -t utf-8 {os.path.basename(path)} > fixed.csv` for a "
            "Latin-1 file."
        ) from None
    if not text.strip():
        raise ValueError(
            f"{path} is empty: expected a header line of column names and rows of data."
        )
    try:
        header = pd.read_csv(io.StringIO(text), header=None, nrows=1, dtype=str)
        frame = pd.read_csv(io.StringIO(text))
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise ValueError(f"Could not read {path} as CSV: {' '.join(str(exc).split())}") from None
    check_unique_names([str(v) for v in header.iloc[0].tolist()], path)
    if len(frame) == 0:
        raise ValueError(
            f"{path} has a header ({', '.join(map(str, frame.columns))}) but no data rows. "
            "Add rows of data below the header."
        )
    return frame


def check_unique_names(names: list, source: str = "the table") -> None:
    """Duplicate column names are an error (pandas would rename the second 'x' to 'x.1',
    which can smuggle a copy of the target in as a feature)."""
    seen: dict = {}
    for i, name in enumerate(names):
        seen.setdefault(name, []).append(i + 1)
    dups = {name: cols for name, cols in seen.items() if len(cols) > 1}
    if dups:
        listed = "; ".join(
            f"{name!r} is the name of columns {', '.join(map(str, cols))}"
            for name, cols in dups.items()
        )
        raise ValueError(
            f"{source} has duplicate column names: {listed}. Every column needs its own "
            "name (a duplicate of the target would be learned as a feature): rename or "
            "remove the duplicates."
        )


def row_numbers(frame: pd.DataFrame, mask) -> list[int]:
    """The data-row numbers (see the module docstring) where `mask` holds."""
    mask = np.asarray(mask, dtype=bool)
    if pd.api.types.is_integer_dtype(frame.index.dtype):
        return [int(i) + 1 for i in frame.index[mask]]
    return [int(i) + 1 for i in np.flatnonzero(mask)]


def _cells(frame: pd.DataFrame, column, mask) -> str:
    rows = row_numbers(frame, mask)
    values = frame[column][np.asarray(mask, dtype=bool)].tolist()
    shown = ", ".join(f"data row {r}: {v!r}" for r, v in zip(rows[:_SHOWN], values[:_SHOWN]))
    more = f" and {len(rows) - _SHOWN} more" if len(rows) > _SHOWN else ""
    return shown + more


def check_numbers(frame: pd.DataFrame, non_numeric: str = "error") -> tuple[pd.DataFrame, list]:
    """Check every column's numbers; return the table (fixed where allowed) and notes.

    - A column whose non-missing cells are mostly (more than half) numbers but not all
      is an error naming the column, the rows and the values; with
      `non_numeric="missing"` those cells become missing values instead (a note says so).
    - Infinite values, and finite values beyond float32's range (|x| > 3.4e38), are an
      error naming the cells: the model computes in float32 and its statistics would
      overflow.

    Example:
        >>> frame = pd.DataFrame({"x": ["1", "2", "abc", "4"]})
        >>> check_numbers(frame, non_numeric="missing")[1]
        ["column 'x': 1 non-numeric cell(s) treated as missing (data row 3: 'abc')"]
    """
    if non_numeric not in NON_NUMERIC_CHOICES:
        raise ValueError(
            f"non_numeric must be 'error' or 'missing'. Received: non_numeric={non_numeric!r}"
        )
    notes: list[str] = []
    fixed = {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            present = col.notna()
            as_text = col.where(~present, col.astype(str).str.strip())
            numbers = pd.to_numeric(as_text, errors="coerce")
            bad = present & numbers.isna()
            n_ok = int((present & numbers.notna()).sum())
            if bad.any() and n_ok > int(present.sum()) / 2:
                if non_numeric == "error":
                    raise ValueError(
                        f"Column {name!r} holds numbers, but {int(bad.sum())} cell(s) are "
                        f"not numbers ({_cells(frame, name, bad)}). Correct those cells, "
                        "or treat them as missing values with non_numeric='missing' "
                        "(command line: --non-numeric missing)."
                    )
                notes.append(
                    f"column {name!r}: {int(bad.sum())} non-numeric cell(s) treated as "
                    f"missing ({_cells(frame, name, bad)})"
                )
                fixed[name] = col = numbers.astype(float)
        if col.dtype.kind == "f":
            values = col.to_numpy()
            with np.errstate(invalid="ignore"):
                inf = np.isinf(values)
                big = np.isfinite(values) & (np.abs(values) > FLOAT32_MAX)
            if inf.any():
                raise ValueError(
                    f"Column {name!r} holds infinite values ({_cells(frame, name, inf)}): "
                    "expected finite numbers. Replace them with real values, or leave the "
                    "cells empty to mark them missing."
                )
            if big.any():
                raise ValueError(
                    f"Column {name!r} holds values beyond float32's range of +-3.4e38 "
                    f"({_cells(frame, name, big)}): the model computes in float32. Rescale "
                    "the column (e.g. change its unit or take a logarithm) or fix the cells."
                )
    if fixed:
        frame = frame.copy()
        for name, values in fixed.items():
            frame[name] = values
    return frame, notes


def missing_target_rows(frame: pd.DataFrame, targets: list) -> tuple[pd.DataFrame, str | None]:
    """Drop the rows whose target is missing; return the rest and a note counting them."""
    missing = frame[targets].isna().any(axis=1).to_numpy()
    if not missing.any():
        return frame, None
    rows = row_numbers(frame, missing)
    shown = ", ".join(map(str, rows[:10]))
    if len(rows) > 10:
        shown += f" and {len(rows) - 10} more"
    note = (
        f"dropped {len(rows)} of {len(frame)} rows whose target {', '.join(map(repr, targets))} "
        f"is missing (data rows {shown})"
    )
    return frame[~missing], note
