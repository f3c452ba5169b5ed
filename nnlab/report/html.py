"""One self-contained HTML report per run: no network, images and styles inline.

`render_report(run)` turns a `RunResult` (see `nnlab.workflow`) into an HTML string;
`write_report(path, run)` writes it atomically. Figures are PNGs embedded as base64
data URIs; the page loads nothing from anywhere, so it opens offline and prints well.
"""

from __future__ import annotations

import base64
import html
import io
import os

import numpy as np

from nnlab.fileio import atomic_write
from nnlab.report import plots

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1b1f24;
       max-width: 1080px; margin: 2rem auto; padding: 0 1.2rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem;
  border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; }
.sub { color: #57606a; } .grid { display: flex; flex-wrap: wrap; gap: 1rem; }
.card { border: 1px solid #d0d7de; border-radius: 6px; padding: .6rem 1rem; min-width: 9rem; }
.card b { display: block; font-size: 1.3rem; } table { border-collapse: collapse; }
td, th { border: 1px solid #d0d7de; padding: .25rem .6rem; text-align: left; font-size: .9rem; }
th { background: #f6f8fa; } pre { background: #f6f8fa; padding: .8rem; overflow-x: auto;
  font-size: .82rem; } img { max-width: 100%; height: auto; }
.diag { border-left: 4px solid #0969da; padding: .4rem .9rem; background: #f6f8fa; }
.warn { border-left-color: #bf8700; } .bad { border-left-color: #cf222e; }
@media print { body { max-width: none; margin: 0; } h2 { break-after: avoid; }
  img, table, pre { break-inside: avoid; } }
"""


def figure_to_data_uri(fig) -> str:
    """A matplotlib figure as an inline PNG data URI (closed if pyplot holds it)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    if getattr(fig.canvas, "manager", None) is not None:  # pyplot's: release it
        import matplotlib.pyplot as plt

        plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _img(fig, alt: str) -> str:
    return f'<img alt="{html.escape(alt)}" src="{figure_to_data_uri(fig)}">'


def _table(rows, header=None) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{html.escape(str(h))}</th>" for h in header) + "</tr>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>")
    out.append("</table>")
    return "".join(out)


def confusion_table(cm) -> str:
    """The lectures' confusion-matrix table as HTML (the figure's layout and numbers):
    predicted classes in rows, actual classes in columns, totals, % of all examples."""
    row_labels, col_labels, counts, percent = cm.lecture_table()
    out = ['<table class="cm"><tr><th>Predicted \\ actual</th>']
    out += [f"<th>{html.escape(c)}</th>" for c in col_labels]
    out.append("</tr>")
    for i, name in enumerate(row_labels):
        out.append(f"<tr><th>{html.escape(name)}</th>")
        for j in range(len(col_labels)):
            pct = "-" if np.isnan(percent[i, j]) else f"{percent[i, j]:.2f}%"
            out.append(f"<td>{counts[i, j]} ({pct})</td>")
        out.append("</tr>")
    out.append("</table>")
    return "".join(out)


GRADIENT_EXPLANATION = (
    "Each line is one layer's gradient size (the L2 norm of the gradient of the loss with "
    "respect to its weights, dW) at the end of every epoch, on a log scale. In healthy "
    "training the layers' lines stay within a few powers of ten of each other and drift "
    "down slowly as the loss settles. Lines of the first layers far below the last "
    "layer's mean vanishing gradients (those layers barely learn); lines growing by "
    "powers of ten mean exploding gradients."
)


def gradient_verdict(norms: dict, findings: list) -> str:
    """The gradient-norm figure's verdict in words."""
    if not norms:
        return "No gradient norms were recorded."
    if findings:
        return "Verdict: " + " ".join(f"{f.name}: {f.message}" for f in findings)
    last = {name: values[-1] for name, values in norms.items() if len(values)}
    finite = [v for v in last.values() if np.isfinite(v) and v > 0]
    spread = (
        f" At the last epoch the layers' gradient norms range from {min(finite):.2g} to "
        f"{max(finite):.2g}."
        if finite
        else ""
    )
    return (
        "Verdict: healthy. No vanishing or exploding gradients and no dead ReLU units "
        "were found." + spread
    )


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, (float, np.floating)) else str(v)


def _section(section_id: str, title: str, body: str) -> str:
    return f'<section id="{section_id}"><h2>{html.escape(title)}</h2>{body}</section>'


def render_report(run) -> str:
    """The report of a finished run as a complete HTML page."""
    parts = [
        f"<h1>nnlab run: {html.escape(run.name)}</h1>",
        f'<p class="sub">{html.escape(run.dataset)} &middot; {html.escape(run.task)} &middot; '
        f"{html.escape(run.created)}</p>",
        '<div class="grid">'
        + "".join(
            f'<div class="card">{html.escape(k)}<b>{html.escape(_fmt(v))}</b></div>'
            for k, v in run.test_metrics.items()
        )
        + "</div>",
    ]
    diag = run.diagnosis
    kind = {"good fit": "", "still improving": "warn"}.get(diag.label, "bad")
    parts.append(
        _section(
            "diagnosis",
            "Diagnosis",
            f'<div class="diag {kind}"><b>'
            f"{html.escape(diag.label)}</b>: {html.escape(diag.message)}</div>"
            + "".join(
                f'<div class="diag warn"><b>{html.escape(f.name)}</b>: '
                f"{html.escape(f.message)}</div>"
                for f in run.findings
            ),
        )
    )
    config_rows = [(k, v) for k, v in run.config.items()]
    data_rows = [
        ("dataset", run.dataset),
        ("training rows", run.n_train),
        ("validation rows", run.n_val),
        ("test rows", run.n_test),
        ("features", len(run.feature_names)),
        (
            "classes" if run.class_names else "targets",
            ", ".join(run.class_names) if run.class_names else run.task,
        ),
    ]
    parts.append(
        _section(
            "configuration",
            "Configuration and data",
            '<div class="grid"><div>'
            + _table(config_rows, ["setting", "value"])
            + "</div><div>"
            + _table(data_rows, ["data", ""])
            + "</div></div>"
            + ("<pre>" + html.escape("\n".join(run.notes)) + "</pre>" if run.notes else ""),
        )
    )
    parts.append(_section("model", "Model", "<pre>" + html.escape(run.summary_text) + "</pre>"))
    parts.append(
        _section(
            "learning-curves",
            "Learning curves",
            _img(plots.learning_curves(run.history), "learning curves"),
        )
    )
    if run.task == "regression":
        parts.append(
            _section(
                "regression",
                "Predicted vs true, residuals",
                _img(plots.regression(run.y_test, run.p_test), "regression"),
            )
        )
    else:
        cm = run.confusion
        parts.append(
            _section(
                "confusion-matrix",
                "Confusion matrix (test set)",
                "<p>Predicted classes in rows, actual classes in columns; each cell: count "
                "(percentage of all test examples), as in the lectures.</p>"
                + _img(plots.confusion_matrix(cm), "confusion matrix")
                + confusion_table(cm),
            )
        )
        parts.append(
            _section(
                "roc",
                "ROC and completeness vs efficiency (test set)",
                '<div class="grid">'
                + _img(plots.roc_curve(run.roc_curves), "ROC curve")
                + _img(plots.precision_recall(run.pr_curves), "precision-recall")
                + "</div>",
            )
        )
    boundary = run.decision_boundary_figure()
    if boundary is not None:
        parts.append(
            _section("decision-boundary", "Decision boundary", _img(boundary, "decision boundary"))
        )
    norms = run.gradient_norms
    parts.append(
        _section(
            "gradients",
            "Gradient health",
            (
                f"<p>{html.escape(GRADIENT_EXPLANATION)}</p>"
                + _img(plots.gradient_norms(norms), "gradient norms")
                if norms
                else ""
            )
            + f'<div class="diag {"warn" if run.findings else ""}">'
            + html.escape(gradient_verdict(norms, run.findings))
            + "</div>",
        )
    )
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        # Nothing may leave the page: forbid every network fetch.
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "img-src data:; style-src 'unsafe-inline'\">"
        f"<title>nnlab report: {html.escape(run.name)}</title><style>{CSS}</style></head>"
        f"<body>{body}<footer class='sub'><p>Written by nnlab.</p></footer></body></html>"
    )


def write_report(path, run) -> str:
    """Render and write the report atomically; returns the path."""
    text = render_report(run)
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text)
    return os.fspath(path)
