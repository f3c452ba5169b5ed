"""What a workflow run is about to do (`RunPlan`) and what it produced (`RunResult`).

`nnlab.workflow.train_run` fills both; the command line prints them and
`nnlab.report` renders a `RunResult` as HTML.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field

import numpy as np

from nnlab import metrics
from nnlab.data.tabular import TabularPreprocessor


def predicted_classes(P: np.ndarray) -> np.ndarray:
    """Class indices from probabilities: P > 0.5 for one sigmoid unit, else the argmax."""
    return (P[:, 0] > 0.5).astype(int) if P.shape[1] == 1 else P.argmax(axis=1)


@dataclass
class RunPlan:
    """What a run is about to do, known before training starts (the CLI prints it)."""

    dataset: str
    n_rows: int
    target: str
    task: str
    class_names: list[str]
    n_train: int
    n_val: int
    n_test: int
    stratified: bool
    notes: list[str]
    model: object
    config: dict


@dataclass
class RunResult:
    """Everything a finished run produced (what the report and the CLI show)."""

    name: str
    dataset: str
    task: str
    config: dict
    model: object
    history: object
    preprocessor: TabularPreprocessor
    feature_names: list[str]
    class_names: list[str]
    n_train: int
    n_val: int
    n_test: int
    test_metrics: dict
    y_test: np.ndarray
    p_test: np.ndarray
    X_test: np.ndarray
    diagnosis: object
    findings: list
    notes: list[str] = field(default_factory=list)
    #: what was done to the table before preprocessing (dropped rows, cells made missing)
    data_notes: list[str] = field(default_factory=list)
    #: row indices of the table (after rows without a target are dropped) per part
    split: dict = field(default_factory=dict)
    created: str = field(default_factory=lambda: _dt.datetime.now().isoformat(timespec="seconds"))

    @property
    def summary_text(self) -> str:
        lines: list[str] = []
        self.model.summary(print_fn=lines.append, batch_size=self.config["batch_size"])
        return "\n".join(lines)

    @property
    def gradient_norms(self) -> dict:
        return dict(getattr(self.history, "gradient_norms", {}) or {})

    @property
    def confusion(self):
        names = np.asarray(self.class_names, dtype=object)
        pred = predicted_classes(self.p_test)
        return metrics.confusion_matrix(names[self.y_test], names[pred], labels=self.class_names)

    @property
    def roc_curves(self) -> list:
        return [
            (name, c.fpr, c.tpr, metrics.auc(c.fpr, c.tpr))
            for name, c in self._curves(metrics.roc_curve)
        ]

    @property
    def pr_curves(self) -> list:
        out = []
        for name, c in self._curves(metrics.precision_recall_curve):
            out.append((name, c.recall, c.precision, float(metrics.auc(c.recall, c.precision))))
        return out

    def _curves(self, fn):
        scores = self.p_test
        if not np.isfinite(scores).all():  # a diverged run: no meaningful ranking
            return []
        if scores.shape[1] == 1:
            return [(self.class_names[1], fn(self.y_test, scores[:, 0]))]
        result = []
        for k, name in enumerate(self.class_names):
            positive = (self.y_test == k).astype(int)
            if 0 < positive.sum() < len(positive):
                result.append((f"{name} vs rest", fn(positive, scores[:, k])))
        return result

    def decision_boundary_figure(self):
        """The decision-boundary figure for 2-D classification inputs, else None."""
        if self.X_test.shape[1] != 2 or self.task not in ("binary", "multiclass"):
            return None
        from nnlab.report import plots

        return plots.decision_boundary(
            lambda G: self.model.predict(G.astype(np.float32), batch_size=4096, verbose=0),
            self.X_test,
            self.y_test,
            self.class_names,
        )


