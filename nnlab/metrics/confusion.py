"""The confusion matrix, with percentages and totals, and a classification report.

"A very effective visual tool to understand where your classifier works and where it
doesn't": entry (i, j) counts the examples of class C_i classified as class C_j.
Ideally one sees the identity matrix; large off-diagonal entries show which
classification is problematic.

`ConfusionMatrix.counts` (and every array the metric functions return) follows
scikit-learn: rows are the true (actual) classes, columns the predicted ones. Every
*rendering* (the text from `str(cm)`, `lecture_table()`, the report's figure from
`nnlab.report.plots.confusion_matrix` and its HTML table) is laid out like the lectures'
table: predicted label down the side and actual label across, each cell with its count
and its percentage of all samples, plus a "Total predicted" column and a "Total actual"
row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from nnlab.metrics import classification as C
from nnlab.metrics._inputs import label_pair

_NORMALIZE = ("all", "true", "pred", None)


def _percent(num, den):
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(100.0 * num, den, out=out, where=den != 0)
    return out


# What the percentages of `to_text` are shares of, for each `normalize`.
_SCOPE = {
    "all": "of all {total} examples",
    "true": "of each actual class",
    "pred": "of each predicted class",
    None: "",
}


def _cell(n, pct, normalize, decimals: int) -> str:
    """One cell of `to_text`: "count percent%" ("-" for an undefined percent)."""
    if normalize is None:
        return f"{n}"
    p = "-" if np.isnan(pct) else f"{pct:.{decimals}f}%"
    return f"{n} {p:>{decimals + 5}}"


def _table(title: str, side: list[str], grid: list[list[str]]) -> str:
    """The title, then each row: its side label left-aligned, its cells right-aligned."""
    w0 = max(len(s) for s in side)
    widths = [max(len(r[j]) for r in grid) for j in range(len(grid[0]))]
    lines = [title]
    for s, r in zip(side, grid):
        cells = "  ".join(c.rjust(w) for c, w in zip(r, widths))
        lines.append(f"{s:<{w0}}  {cells}")
    return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class ConfusionMatrix:
    """Counts of true class (rows) against predicted class (columns), with totals.

    Attributes:
        counts: integer array (k, k); counts[i, j] = examples of class labels[i]
            classified as labels[j].
        labels: the class labels, in the order of the rows and columns.
    """

    counts: np.ndarray
    labels: tuple

    @classmethod
    def from_counts(cls, counts, labels=None) -> ConfusionMatrix:
        """Build from a square array of counts (rows true, columns predicted)."""
        M = np.asarray(counts)
        if M.ndim != 2 or M.shape[0] != M.shape[1]:
            raise ValueError(f"counts must be a square (k, k) array; got shape {M.shape}.")
        if M.dtype.kind not in "iu" and not np.all(M == np.round(M)) or np.any(M < 0):
            raise ValueError("counts must be non-negative whole numbers.")
        labels = tuple(range(len(M))) if labels is None else tuple(labels)
        if len(labels) != len(M):
            raise ValueError(f"Expected {len(M)} labels for a {M.shape} matrix; got {labels}.")
        return cls(M.astype(np.int64), labels)

    @property
    def total(self) -> int:
        """All the examples."""
        return int(self.counts.sum())

    @property
    def true_totals(self) -> np.ndarray:
        """Examples per actual class (the row sums; the slide's "Total actual")."""
        return self.counts.sum(axis=1)

    @property
    def pred_totals(self) -> np.ndarray:
        """Examples per predicted class (the column sums; "Total predicted")."""
        return self.counts.sum(axis=0)

    @property
    def percent(self) -> np.ndarray:
        """Each count as a percentage of all examples (the slide's percentages)."""
        return _percent(self.counts, self.total)

    @property
    def row_percent(self) -> np.ndarray:
        """Percentages per true class: each row sums to 100; the diagonal is the
        completeness (recall) of each class. NaN for a class with no examples."""
        return _percent(self.counts, self.true_totals[:, None])

    @property
    def column_percent(self) -> np.ndarray:
        """Percentages per predicted class: each column sums to 100; the diagonal is the
        efficiency (precision) of each class. NaN for a class never predicted."""
        return _percent(self.counts, self.pred_totals[None, :])

    @property
    def true_totals_percent(self) -> np.ndarray:
        """Examples per actual class as a percentage of all examples."""
        return _percent(self.true_totals, self.total)

    @property
    def pred_totals_percent(self) -> np.ndarray:
        """Examples per predicted class as a percentage of all examples."""
        return _percent(self.pred_totals, self.total)

    def lecture_table(self) -> tuple[list[str], list[str], np.ndarray, np.ndarray]:
        """The lectures' table as numbers: predicted classes in rows, actual classes in
        columns, a last "Total predicted" column and a last "Total actual" row.

        Returns:
            (row_labels, column_labels, counts, percent): counts and percent (of all
            examples) are (k + 1, k + 1) arrays, totals included.

        Example:
            >>> cm = ConfusionMatrix.from_counts([[3, 1], [0, 4]], ["a", "b"])
            >>> rows, cols, counts, percent = cm.lecture_table()
            >>> rows, cols
            (['a', 'b', 'Total actual'], ['a', 'b', 'Total predicted'])
            >>> counts.tolist()  # predicted a: 3 actual a, 0 actual b
            [[3, 0, 3], [1, 4, 5], [4, 4, 8]]
        """
        k = len(self.labels)
        counts = np.zeros((k + 1, k + 1), dtype=np.int64)
        counts[:k, :k] = self.counts.T
        counts[:k, k] = self.pred_totals
        counts[k, :k] = self.true_totals
        counts[k, k] = self.total
        names = [str(lab) for lab in self.labels]
        return (
            names + ["Total actual"],
            names + ["Total predicted"],
            counts,
            _percent(counts, self.total),
        )

    def to_text(self, normalize="all", rows="predicted", decimals=2) -> str:
        """The table as text, each cell "count percent%".

        Args:
            normalize: the percentage in each cell: 'all' (of all examples, as on the
                slide), 'true' (of the cell's actual class), 'pred' (of its predicted
                class) or None (counts only). Totals always show their share of all.
            rows: 'predicted' (predicted label down the side, as on the slide) or
                'true' (actual label down the side, as scikit-learn prints it).
            decimals: digits after the decimal point of the percentages.
        """
        if normalize not in _NORMALIZE:
            raise ValueError(f"Unknown normalize {normalize!r}. Expected one of {_NORMALIZE}.")
        if rows not in ("predicted", "true"):
            raise ValueError(f"rows must be 'predicted' or 'true'; got {rows!r}.")
        by_pred = rows == "predicted"
        row_name, col_name = ("predicted", "actual") if by_pred else ("actual", "predicted")
        cell = functools.partial(_cell, normalize=normalize, decimals=decimals)
        grid = [[str(lab) for lab in self.labels] + [f"Total {row_name}"]]
        grid += self._body(normalize, by_pred, cell)
        side = [f"{row_name.capitalize()} \\ {col_name}"]
        side += [str(lab) for lab in self.labels] + [f"Total {col_name}"]
        scope = _SCOPE[normalize].format(total=self.total)
        title = f"Confusion matrix: rows = {row_name} label, columns = {col_name} label"
        return _table(title + (f"; percentages {scope}" if scope else ""), side, grid)

    def _body(self, normalize, by_pred: bool, cell) -> list[list[str]]:
        """The text cells below the header: one row per label, then the totals."""
        cell_pct = {
            "all": self.percent,
            "true": self.row_percent,
            "pred": self.column_percent,
            None: None,
        }[normalize]
        M = self.counts.T if by_pred else self.counts
        P = None if cell_pct is None else (cell_pct.T if by_pred else cell_pct)
        row_tot = self.pred_totals if by_pred else self.true_totals
        col_tot = self.true_totals if by_pred else self.pred_totals
        row_tot_pct = _percent(row_tot, self.total)
        col_tot_pct = _percent(col_tot, self.total)
        k = len(self.labels)
        body = [
            [cell(M[i, j], np.nan if P is None else P[i, j]) for j in range(k)]
            + [cell(row_tot[i], row_tot_pct[i])]
            for i in range(k)
        ]
        last = [cell(col_tot[j], col_tot_pct[j]) for j in range(k)]
        last.append(cell(self.total, 100.0))
        return body + [last]

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        """In Jupyter: the lectures' table (predicted rows, actual columns, totals)."""
        import html

        k, M = len(self.labels), self.counts.T
        cells = np.zeros((k + 1, k + 1), dtype=np.int64)
        cells[:k, :k], cells[:k, k], cells[k, :k], cells[k, k] = (
            M,
            self.pred_totals,
            self.true_totals,
            self.total,
        )
        pct = _percent(cells, self.total)
        names = [html.escape(str(v)) for v in self.labels]
        head = "".join(f"<th>{n}</th>" for n in names + ["Total predicted"])
        rows = [f"<tr><th>Predicted \\ actual</th>{head}</tr>"]
        for i, side in enumerate(names + ["Total actual"]):
            tds = "".join(
                f"<td>{cells[i, j]} ({'-' if np.isnan(pct[i, j]) else f'{pct[i, j]:.1f}%'})</td>"
                for j in range(k + 1)
            )
            rows.append(f"<tr><th>{side}</th>{tds}</tr>")
        return "<table>" + "".join(rows) + "</table>"


def confusion_matrix(y_true, y_pred, labels=None, *, threshold=0.5) -> ConfusionMatrix:
    """Count the examples of each true class classified as each class.

    Args:
        y_true: labels (n,) or one-hot rows (n, k).
        y_pred: labels, probabilities of class 1 (n,) (y_hat > threshold -> class 1) or
            class probabilities (n, k) (argmax).
        labels: the classes and their order (default: the sorted labels seen). Samples
            whose true or predicted label is not listed are left out.
        threshold: the decision threshold for probabilities of class 1.

    Returns:
        A `ConfusionMatrix`; print it for the table with percentages and totals.

    Example:
        >>> cm = confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
        >>> cm.counts.tolist()
        [[1, 1], [1, 2]]
        >>> print(cm)
        Confusion matrix: rows = predicted label, columns = actual label; percentages of all 5 examples
        Predicted \\ actual          0          1  Total predicted
        0                   1  20.00%  1  20.00%        2  40.00%
        1                   1  20.00%  2  40.00%        3  60.00%
        Total actual        2  40.00%  3  60.00%        5 100.00%
    """  # noqa: E501
    t, p = label_pair(y_true, y_pred, threshold)
    L = np.union1d(t, p) if labels is None else np.asarray(labels)
    ti = np.searchsorted(L, t) if labels is None else _index_of(L, t)
    pi = np.searchsorted(L, p) if labels is None else _index_of(L, p)
    keep = (ti >= 0) & (pi >= 0)
    M = np.zeros((len(L), len(L)), dtype=np.int64)
    np.add.at(M, (ti[keep], pi[keep]), 1)
    return ConfusionMatrix(M, tuple(L.tolist()))


def _index_of(L, values):
    index = {v: i for i, v in enumerate(L.tolist())}
    return np.array([index.get(v, -1) for v in values.tolist()], dtype=np.int64)


def classification_report(y_true, y_pred, *, threshold=0.5, labels=None, digits=2) -> str:
    """Per-class efficiency (precision), completeness (recall), F1 and support, as text.

    Followed by the accuracy and the macro and weighted averages, like scikit-learn's
    report. Arguments as for `confusion_matrix`.
    """
    kw = {"threshold": threshold, "labels": labels}
    t, p = label_pair(y_true, y_pred, threshold)
    L = np.union1d(t, p) if labels is None else np.asarray(labels)
    kw["labels"] = L
    P, R, F = (fn(y_true, y_pred, average=None, **kw) for fn in (C.precision, C.recall, C.f1))
    support = C.counts(y_true, y_pred, average=None, **kw)
    support = support.tp + support.fn
    names = [str(lab) for lab in L.tolist()] + ["macro avg", "weighted avg"]
    w = max(max(len(s) for s in names), len("accuracy"))
    head = ["efficiency", "completeness", "f1", "support"]
    lines = [
        " " * w + "".join(f"{h:>14}" for h in head),
        " " * w + f"{'(precision)':>14}{'(recall)':>14}",
        "",
    ]

    def row(name, vals, n):
        return f"{name:<{w}}" + "".join(f"{v:>14.{digits}f}" for v in vals) + f"{n:>14}"

    for i, name in enumerate(names[:-2]):
        lines.append(row(name, (P[i], R[i], F[i]), support[i]))
    n = int(support.sum())
    lines += ["", f"{'accuracy':<{w}}" + " " * 28 + f"{C.accuracy(t, p):>14.{digits}f}{n:>14}"]
    for name, avg in (("macro avg", "macro"), ("weighted avg", "weighted")):
        vals = [fn(y_true, y_pred, average=avg, **kw) for fn in (C.precision, C.recall, C.f1)]
        lines.append(row(name, vals, n))
    return "\n".join(lines)
