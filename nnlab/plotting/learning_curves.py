"""Learning curves of several runs overlaid: the lectures' learning-rate and
under/overfitting figures.

Each run gets one colour; its training curve is solid and its validation curve dashed,
so "too low, right, too high" reads at a glance.
"""

from __future__ import annotations

import numpy as np

from nnlab.plotting.display import Display
from nnlab.plotting.figures import axes_for, require_matplotlib


def _logs(run) -> dict:
    logs = getattr(run, "history", run)
    if isinstance(logs, dict) and "loss" in logs:
        return logs
    logs = getattr(logs, "history", logs)  # a model after fit: model.history.history
    if not isinstance(logs, dict):
        raise TypeError(
            "Learning curves need Histories (what fit returns), models after fit or "
            f"history dicts. Received: {type(run).__name__}"
        )
    return logs


class LearningCurvesDisplay(Display):
    """Learning curves (one metric per epoch) of one or several runs.

    Args:
        curves: {run label: {"train": values, "validation": values or None}}.
        metric: the metric drawn (e.g. "loss", "accuracy").

    Attributes (after `plot`):
        lines_: {(run label, "train" | "validation"): Line2D}.
        ax_, figure_: the Axes and Figure.

    Example:
        >>> d = LearningCurvesDisplay.from_histories(
        ...     {"lr 0.1": {"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}})
        >>> sorted(d.lines_)
        [('lr 0.1', 'train'), ('lr 0.1', 'validation')]
    """

    def __init__(self, curves: dict, metric: str = "loss"):
        self.curves = curves
        self.metric = metric

    @classmethod
    def from_histories(
        cls, runs, *, metric: str = "loss", validation: bool = True, ax=None, log_scale=None
    ) -> LearningCurvesDisplay:
        """Compute the curves of each run and plot them.

        Args:
            runs: {label: History} (or models after fit, or history dicts); a single
                History; or a list of Histories (labelled "run 1", "run 2", ...).
            metric: the logged metric to draw ("loss", "accuracy", "mae", ...).
            validation: also draw `val_` + metric where it was logged.
            ax, log_scale: see `plot`.
        """
        if not isinstance(runs, dict) or "loss" in runs:
            runs = [runs] if not isinstance(runs, (list, tuple)) else runs
            runs = {f"run {i + 1}": r for i, r in enumerate(runs)}
        curves = {}
        for label, run in runs.items():
            logs = _logs(run)
            if metric not in logs:
                raise ValueError(f"Run {label!r} logged no {metric!r}. It logged: {sorted(logs)}")
            val = logs.get(f"val_{metric}") if validation else None
            curves[str(label)] = {"train": list(logs[metric]), "validation": val}
        return cls(curves, metric).plot(ax=ax, log_scale=log_scale)

    def plot(self, ax=None, *, log_scale=None, title: str | None = None) -> LearningCurvesDisplay:
        """Draw the curves.

        Args:
            ax: None (a new Figure), an Axes, or "current" (pyplot's).
            log_scale: a log y axis; None chooses it when the values span over 50x.
            title: the Axes title (default "<metric> per epoch").
        """
        require_matplotlib("LearningCurvesDisplay")
        ax = axes_for(ax, figsize=(6.0, 3.8))
        self.lines_ = {}
        cycle = [f"C{i % 10}" for i in range(len(self.curves))]
        values = []
        for color, (label, c) in zip(cycle, self.curves.items()):
            epochs = np.arange(1, len(c["train"]) + 1)
            (self.lines_[(label, "train")],) = ax.plot(
                epochs, c["train"], color=color, label=f"{label} training"
            )
            values += list(c["train"])
            if c.get("validation") is not None:
                v = c["validation"]
                (self.lines_[(label, "validation")],) = ax.plot(
                    np.arange(1, len(v) + 1),
                    v,
                    color=color,
                    linestyle="--",
                    label=f"{label} validation",
                )
                values += list(v)
        finite = np.asarray([v for v in values if np.isfinite(v)], dtype=float)
        if log_scale is None:
            log_scale = finite.size > 0 and finite.min() > 0 and finite.max() / finite.min() > 50
        if log_scale:
            ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel(self.metric)
        ax.set_title(title if title is not None else f"{self.metric} per epoch")
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=8)
        self._drawn(ax)
        return self
