"""The results table: one row per trial record, in plan order (scikit-learn's columns).

Columns: `trial` (plan position), `candidate`, `budget` (epochs given by the strategy,
blank for the configuration's own), `status` ("ok", "failed", "pruned", "continued",
"promoted", "eliminated"), `param_<name>` (blank where a conditional parameter is
inactive), `split<k>_test_score`, `mean/std_test_score`, `mean/std_train_score`,
`mean/std_test_<metric>` and `mean/std_train_<metric>` (accuracy and loss, or mse and
mae), `epochs_run` (mean over folds), `seed`, `error`, `rank_test_score` (among "ok"
rows), and the timing column `fit_time` (seconds; the only one that varies between
identical runs: see TIMING_COLUMNS).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Columns that measure time, left out when comparing two runs.
TIMING_COLUMNS = ["fit_time"]


def _row(position: int, record: dict, status: str, space_names: list[str]) -> dict:
    row = {"trial": position, "candidate": record["candidate"],
           "budget": record["epochs"], "status": status}  # fmt: skip
    for name in space_names:
        value = record["params"].get(name)
        row[f"param_{name}"] = tuple(value) if isinstance(value, list) else value
    for i, fold in enumerate(record.get("test") or []):
        row[f"split{i}_test_score"] = fold["score"]
    for part in ("test", "train"):
        folds = record.get(part) or []
        for metric in folds[0] if folds else []:
            values = np.array([f[metric] for f in folds], dtype=float)
            name = "score" if metric == "score" else metric
            row[f"mean_{part}_{name}"] = float(values.mean())
            row[f"std_{part}_{name}"] = float(values.std())
    runs = record.get("epochs_run") or []
    row["epochs_run"] = float(np.mean(runs)) if runs else np.nan
    row["seed"] = record["seed"]
    row["error"] = record.get("error", "")
    row["fit_time"] = record.get("fit_time", np.nan)
    return row


def build_table(records: list[dict], marks: dict, space_names: list[str]) -> pd.DataFrame:
    """The DataFrame of `records` (plan order); `marks` override "ok" statuses."""
    rows = []
    for i, record in enumerate(records):
        status = record["status"] if record["status"] != "ok" else marks.get(record["key"], "ok")
        rows.append(_row(i, record, status, space_names))
    table = pd.DataFrame(rows)
    if "mean_test_score" not in table:
        table["mean_test_score"] = np.nan
    ok = table["status"] == "ok"
    ranks = table.loc[ok, "mean_test_score"].rank(ascending=False, method="min")
    table["rank_test_score"] = ranks.reindex(table.index).astype("Int64")
    return table


def best_row(table: pd.DataFrame) -> int:
    """Index of the best "ok" row (highest mean test score; the first of ties)."""
    ok = table[(table["status"] == "ok") & table["mean_test_score"].notna()]
    if ok.empty:
        raise RuntimeError(
            "No trial finished successfully: see the `status` and `error` columns."
        )
    return int(ok["mean_test_score"].idxmax())


def comparable(table: pd.DataFrame) -> pd.DataFrame:
    """The table without timing columns (what must match across backends and resumes)."""
    return table.drop(columns=[c for c in TIMING_COLUMNS if c in table])
