"""The tuning report: one self-contained HTML page (figures inline, nothing loaded).

Sections: the winner (configuration, cross-validation score, its one test result),
score against each parameter (training and cross-validation; error = MSE for
regression), parallel coordinates of all trials coloured by score, learning curves
(held-out score per epoch, fold mean) of the best few, and the table's best rows.
Figures are matplotlib `Figure` objects rendered directly, without pyplot: the
global backend is never touched.
"""

from __future__ import annotations

import base64
import html
import io

import numpy as np
import pandas as pd

from nnlab.fileio import atomic_write
from nnlab.tuning.strategies.bayes import fold_mean_curve

CSS = """body{font:15px/1.5 system-ui,sans-serif;max-width:1080px;margin:2rem auto;padding:0 1rem}
h2{border-bottom:1px solid #d0d7de}table{border-collapse:collapse}
td,th{border:1px solid #d0d7de;padding:.2rem .5rem;font-size:.85rem}th{background:#f6f8fa}
img{max-width:100%}"""


def _figure(width=6.0, height=3.6):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _img(fig, alt: str) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def _table(frame: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for _, r in frame.iterrows():
        cells = "".join(f"<td>{html.escape(_fmt(v))}</td>" for v in r)
        rows.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _fmt(v) -> str:
    if isinstance(v, float):
        return "" if np.isnan(v) else f"{v:.4g}"
    return "" if v is None or v is pd.NA else str(v)


def _axis_values(column: pd.Series):
    """Numbers for a parameter column: numeric as is, anything else as category index."""
    numeric = pd.to_numeric(column, errors="coerce")
    if numeric.notna().sum() == column.notna().sum() and column.map(
        lambda v: not isinstance(v, bool)
    ).all():
        return numeric.to_numpy(dtype=float), None
    labels = sorted({str(v) for v in column.dropna()})
    index = {label: i for i, label in enumerate(labels)}
    return column.map(lambda v: np.nan if v is None else index[str(v)]).to_numpy(float), labels


def score_figures(table: pd.DataFrame, regression: bool) -> list:
    """One figure per parameter: training and cross-validation score (or MSE)."""
    ok = table[table["status"] == "ok"]
    sign = -1.0 if regression else 1.0
    label = "MSE (error)" if regression else "accuracy"
    figures = []
    for column in [c for c in table.columns if c.startswith("param_")]:
        if ok[column].nunique(dropna=True) < 2:
            continue
        x, labels = _axis_values(ok[column])
        fig = _figure(5.0, 3.2)
        ax = fig.add_subplot()
        for part, marker in (("train", "s"), ("test", "o")):
            y = sign * ok[f"mean_{part}_score"].to_numpy(float)
            name = "training" if part == "train" else "cross-validation"
            ax.scatter(x, y, marker=marker, alpha=0.7, label=name)
            means = pd.Series(y).groupby(x).mean()
            if len(means) <= 12:
                ax.plot(means.index, means.to_numpy(), alpha=0.6)
        if labels:
            ax.set_xticks(range(len(labels)), labels)
        name = column[len("param_"):]
        ax.set(xlabel=name, ylabel=label, title=f"{label} against {name}")
        ax.legend(fontsize=8)
        figures.append((name, fig))
    return figures


def parallel_coordinates(table: pd.DataFrame, regression: bool):
    """Every trial as a line across the parameters' axes (scaled to [0, 1]), by score."""
    from matplotlib import cm, colormaps
    from matplotlib.colors import Normalize

    ok = table[table["status"].isin(["ok", "continued", "promoted", "eliminated", "pruned"])]
    columns = [c for c in table.columns if c.startswith("param_") and ok[c].nunique() > 1]
    fig = _figure(7.5, 3.8)
    ax = fig.add_subplot()
    if not columns or ok.empty:
        ax.text(0.5, 0.5, "fewer than two varied parameters", ha="center")
        return fig
    axes = []
    for c in columns:
        v, _ = _axis_values(ok[c])
        lo, hi = np.nanmin(v), np.nanmax(v)
        axes.append((v - lo) / (hi - lo) if hi > lo else np.zeros_like(v))
    score = ok["mean_test_score"].to_numpy(float)
    norm = Normalize(np.nanmin(score), np.nanmax(score))
    cmap = colormaps["viridis"]
    M = np.column_stack(axes + [norm(score)])
    for row, s in zip(M, score):
        ax.plot(range(M.shape[1]), row, color=cmap(norm(s)), alpha=0.6)
    names = [c[len("param_"):] for c in columns] + ["score"]
    ax.set_xticks(range(len(names)), names, rotation=30)
    ax.set(ylabel="scaled value", title="Parallel coordinates (colour: CV score)")
    fig.colorbar(cm.ScalarMappable(norm=norm, cmap=cmap), ax=ax, label="mean CV score")
    return fig


def learning_curves(records: list, table: pd.DataFrame, regression: bool, top: int = 3):
    """Held-out score per epoch (fold mean) of the `top` best "ok" trials."""
    fig = _figure(6.0, 3.4)
    ax = fig.add_subplot()
    ok = table[table["status"] == "ok"].sort_values("mean_test_score", ascending=False)
    sign = -1.0 if regression else 1.0
    for i in ok.index[:top]:
        curve = sign * np.asarray(fold_mean_curve(records[i]))
        ax.plot(np.arange(1, len(curve) + 1), curve, label=f"trial {i}")
    ax.set(xlabel="epoch", ylabel="held-out MSE" if regression else "held-out accuracy",
           title=f"Learning curves of the best {min(top, len(ok))}")  # fmt: skip
    ax.legend(fontsize=8)
    return fig


def render_report(result) -> str:
    """The report of a SearchResult as an HTML string."""
    table, regression = result.table, result.data.task == "regression"
    best = pd.DataFrame({"parameter": list(result.best_params),
                         "value": [str(v) for v in result.best_params.values()]})  # fmt: skip
    test = pd.DataFrame({"metric": list(result.test_metrics),
                         "test": list(result.test_metrics.values())})  # fmt: skip
    sections = [
        f"<h1>Tuning report: {html.escape(result.data.name)}</h1>",
        f"<p>{html.escape(result.strategy)} search, {len(table)} trial records, "
        f"{len(result.data.folds)}-fold cross-validation on {len(result.data.train_rows)} "
        f"training rows; {len(result.data.test_rows)} test rows used once, by the "
        "refitted winner.</p>",
        f"<h2>Winner (trial {result.best_index})</h2>",
        f"<p>mean cross-validation score {result.best_score:.4g}</p>",
        _table(best),
        "<h2>Test result of the winner</h2>",
        _table(test) if len(test) else "<p>no test rows</p>",
        "<h2>Score against each parameter</h2>",
        "".join(_img(fig, name) for name, fig in score_figures(table, regression)),
        "<h2>Parallel coordinates</h2>",
        _img(parallel_coordinates(table, regression), "parallel coordinates"),
        "<h2>Learning curves of the best trials</h2>",
        _img(learning_curves(result.records, table, regression), "learning curves"),
        "<h2>Best trials</h2>",
        _table(table.sort_values("mean_test_score", ascending=False).head(15)),
    ]
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>nnlab tuning</title>"
            f"<style>{CSS}</style></head><body>{''.join(sections)}</body></html>")  # fmt: skip


def write_report(path, result) -> None:
    """Write the report atomically."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(render_report(result))
