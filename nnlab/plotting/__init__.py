"""The lectures' figures as displays, in scikit-learn's `Display` style.

Each display has classmethods `from_*` that compute and draw, and `plot(ax=...)` that
only draws; every one takes `ax` (None: a new standalone Figure; an Axes; or
"current" for pyplot's current Axes) and keeps its figure in `figure_`. nnlab never
switches the matplotlib backend and never imports pyplot unless asked
(`ax="current"`), so a notebook's own `plt.show()` keeps working; in Jupyter a display
shows itself as a PNG.

- `LearningCurvesDisplay.from_histories`: several runs' learning curves overlaid.
- `DecisionBoundaryDisplay.from_model`: the boundary, training and test points.
- `ConfusionMatrixDisplay.from_predictions`: the lectures' table with totals.
- `CrossValidationCurveDisplay.from_cv_results`: ROC or completeness-efficiency over
  k folds (mean and spread).
- `LayerHistogramsDisplay.from_recorder`: weights, activations, gradients per layer.
- `GradientNormsDisplay.from_history`: gradient norms per layer, with the verdict.
- `PredictionErrorDisplay.from_predictions`: predicted vs true, and residuals.
- `PolynomialCapacityDisplay.from_data`: polynomial fits of several degrees.
- `LiveCurves`: a callback redrawing the curves in place each epoch in Jupyter.
"""

from nnlab.diagnostics.distributions import LayerStatsRecorder
from nnlab.plotting.confusion import ConfusionMatrixDisplay
from nnlab.plotting.cv_curves import CrossValidationCurveDisplay
from nnlab.plotting.decision_boundary import DecisionBoundaryDisplay
from nnlab.plotting.display import Display
from nnlab.plotting.gradients import GradientNormsDisplay
from nnlab.plotting.histograms import LayerHistogramsDisplay
from nnlab.plotting.learning_curves import LearningCurvesDisplay
from nnlab.plotting.live import LiveCurves, in_notebook
from nnlab.plotting.regression import PolynomialCapacityDisplay, PredictionErrorDisplay

__all__ = [
    "ConfusionMatrixDisplay",
    "CrossValidationCurveDisplay",
    "DecisionBoundaryDisplay",
    "Display",
    "GradientNormsDisplay",
    "LayerHistogramsDisplay",
    "LayerStatsRecorder",
    "LearningCurvesDisplay",
    "LiveCurves",
    "PolynomialCapacityDisplay",
    "PredictionErrorDisplay",
    "in_notebook",
]
