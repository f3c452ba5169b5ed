"""Every figure of nnlab.report.plots draws on the caller's Axes when given `ax=`, and
on a new standalone figure otherwise (no pyplot, no backend switch either way)."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.figure import Figure

from nnlab.metrics.confusion import ConfusionMatrix
from nnlab.report import plots

_HISTORY = {"loss": [1.0, 0.5, 0.4], "val_loss": [1.1, 0.7, 0.6], "accuracy": [0.5, 0.7, 0.8]}
_CURVES = [("a", np.array([0.0, 0.5, 1.0]), np.array([0.0, 0.8, 1.0]), 0.65)]
_CM = ConfusionMatrix.from_counts(np.array([[3, 1], [2, 4]]), ["no", "yes"])


@pytest.mark.parametrize(
    "draw, panels",
    [
        (lambda ax: plots.learning_curves(_HISTORY, ax=ax), 2),
        (lambda ax: plots.confusion_matrix(_CM, ax=ax), 1),
        (lambda ax: plots.roc_curve(_CURVES, ax=ax), 1),
        (lambda ax: plots.precision_recall(_CURVES, ax=ax), 1),
        (
            lambda ax: plots.decision_boundary(
                lambda G: 1 / (1 + np.exp(-G[:, :1])),
                np.array([[0.0, 0.0], [1.0, 1.0], [-1.0, 0.5]]),
                np.array([0, 1, 0]),
                ["no", "yes"],
                resolution=20,
                ax=ax,
            ),
            1,
        ),
        (lambda ax: plots.gradient_norms({"dense": [1.0, 0.5, 0.2]}, ax=ax), 1),
        (lambda ax: plots.regression(np.arange(3.0), np.array([0.1, 0.9, 2.2]), ax=ax), 2),
    ],
)
def test_each_report_figure_draws_on_the_given_axes(draw, panels):
    fig = Figure()
    axes = fig.subplots(1, panels, squeeze=False)[0]
    out = draw(axes[0] if panels == 1 else axes)
    assert out is fig  # drawn where asked, not on a new figure
    for ax in axes:
        assert ax.lines or ax.images or ax.collections or ax.texts  # something was drawn
    made = draw(None)
    assert isinstance(made, Figure) and made is not fig and made.axes
