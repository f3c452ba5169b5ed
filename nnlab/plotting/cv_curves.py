"""ROC and completeness-vs-efficiency curves from k-fold cross-validation: one thin
curve per fold (each from that fold's out-of-fold predictions), the mean curve and
its spread (mean +- one standard deviation over the folds), as in seed 003's
10-fold ROC figure.

The folds' curves are put on a common grid (false positive rate for ROC,
completeness for the efficiency curve) by interpolation before averaging.
"""

from __future__ import annotations

import numpy as np

from nnlab.metrics.curves import auc, precision_recall_curve, roc_curve
from nnlab.plotting.display import Display
from nnlab.plotting.figures import axes_for, require_matplotlib

_KINDS = {
    "roc": ("false positive rate (FPR)", "true positive rate (TPR, completeness)", "AUC"),
    "efficiency": ("completeness (recall)", "efficiency (precision)", "AP"),
}


def _scores(probabilities, pos_label: int) -> np.ndarray:
    P = np.asarray(probabilities, dtype=float)
    if P.ndim == 1 or P.shape[1] == 1:
        if pos_label != 1:
            raise ValueError("With one output column the positive class is 1 (pos_label=1).")
        return P.reshape(-1)
    return P[:, pos_label]


def _fold_curve(kind, grid, t, s):
    if kind == "roc":
        fpr, tpr, _ = roc_curve(t, s)
        curve = np.interp(grid, fpr, tpr)
        curve[0] = 0.0
        return curve, auc(fpr, tpr)
    p, r, _ = precision_recall_curve(t, s)
    ap = max(0.0, float(-np.sum(np.diff(r) * p[:-1])))
    # Efficiency at completeness c: the best precision reachable with recall >= c.
    best = np.maximum.accumulate(p)  # recall decreases along the arrays
    return np.interp(grid, r[::-1], best[::-1]), ap


class CrossValidationCurveDisplay(Display):
    """Per-fold, mean and spread of ROC or completeness-efficiency curves.

    Args:
        kind: "roc" or "efficiency".
        grid: the common x values; fold_curves: (k, len(grid)) y values per fold;
        fold_areas: AUC (roc) or average precision (efficiency) per fold.
        name: the positive class's name (legend).

    Attributes:
        mean_curve, std_curve: over folds; mean_area, std_area: of the areas.
        fold_lines_, mean_line_, spread_ (the band), chance_ (ROC diagonal), ax_,
        figure_ (after `plot`).
    """

    def __init__(self, kind, grid, fold_curves, fold_areas, name: str = "class 1"):
        if kind not in _KINDS:
            raise ValueError(f"kind must be 'roc' or 'efficiency'. Received: kind={kind!r}")
        self.kind, self.grid, self.name = kind, np.asarray(grid), name
        self.fold_curves = np.asarray(fold_curves, dtype=float)
        self.fold_areas = np.asarray(fold_areas, dtype=float)
        self.mean_curve = self.fold_curves.mean(axis=0)
        self.std_curve = self.fold_curves.std(axis=0)
        self.mean_area, self.std_area = float(self.fold_areas.mean()), float(self.fold_areas.std())

    @classmethod
    def from_cv_results(
        cls, cv, *, kind: str = "roc", pos_label: int = 1, name=None, ax=None, n_points: int = 101
    ) -> CrossValidationCurveDisplay:
        """From `cross_validate(..., return_predictions=True)`: each fold's curve from its
        out-of-fold probabilities.

        Args:
            cv: the CVResult.
            kind: "roc" or "efficiency" (completeness vs efficiency).
            pos_label: the class index taken as positive (one-vs-rest for k classes).
            name: the positive class's name in the legend.
            n_points: points of the common grid.
        """
        require_matplotlib("CrossValidationCurveDisplay")
        if getattr(cv, "probabilities", None) is None:
            raise ValueError(
                "The CVResult holds no out-of-fold predictions: run "
                "cross_validate(..., return_predictions=True)."
            )
        folds = [va for _, va in cv.splits]
        return cls.from_predictions(
            cv.y_true,
            cv.probabilities,
            folds,
            kind=kind,
            pos_label=pos_label,
            name=name,
            ax=ax,
            n_points=n_points,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        probabilities,
        folds,
        *,
        kind="roc",
        pos_label=1,
        name=None,
        ax=None,
        n_points: int = 101,
    ) -> CrossValidationCurveDisplay:
        """From class labels, scores and the rows of each fold.

        Args:
            y_true: class index per row (n,).
            probabilities: (n,) or (n, 1) scores of class 1, or (n, k) class scores.
            folds: a list of index arrays, one per fold.
        """
        require_matplotlib("CrossValidationCurveDisplay")
        if kind not in _KINDS:
            raise ValueError(f"kind must be 'roc' or 'efficiency'. Received: kind={kind!r}")
        t = (np.asarray(y_true).reshape(-1) == pos_label).astype(np.int64)
        s = _scores(probabilities, pos_label)
        grid = np.linspace(0.0, 1.0, n_points)
        curves, areas = [], []
        for idx in folds:
            c, a = _fold_curve(kind, grid, t[idx], s[idx])
            curves.append(c)
            areas.append(a)
        label = name if name is not None else f"class {pos_label}"
        return cls(kind, grid, curves, areas, label).plot(ax=ax)

    def plot(self, ax=None, *, show_folds: bool = True) -> CrossValidationCurveDisplay:
        """Draw the folds (thin), the mean curve and the +-1 std band."""
        require_matplotlib("CrossValidationCurveDisplay")
        ax = axes_for(ax, figsize=(4.8, 4.4))
        xlabel, ylabel, area = _KINDS[self.kind]
        self.fold_lines_ = []
        if show_folds:
            for i, c in enumerate(self.fold_curves):
                (line,) = ax.plot(
                    self.grid,
                    c,
                    color="#999",
                    linewidth=0.7,
                    alpha=0.6,
                    label="folds" if i == 0 else None,
                )
                self.fold_lines_.append(line)
        k = len(self.fold_curves)
        (self.mean_line_,) = ax.plot(
            self.grid,
            self.mean_curve,
            color="C0",
            linewidth=2,
            label=f"{self.name}: mean of {k} folds "
            f"({area} {self.mean_area:.3f} ± {self.std_area:.3f})",
        )
        self.spread_ = ax.fill_between(
            self.grid,
            np.clip(self.mean_curve - self.std_curve, 0, 1),
            np.clip(self.mean_curve + self.std_curve, 0, 1),
            color="C0",
            alpha=0.2,
            label="± 1 std over folds",
        )
        self.chance_ = None
        if self.kind == "roc":
            (self.chance_,) = ax.plot([0, 1], [0, 1], color="#777", linestyle=":", label="chance")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(
            frameon=False, fontsize=7, loc="lower right" if self.kind == "roc" else "lower left"
        )
        self._drawn(ax)
        return self
