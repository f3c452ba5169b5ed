"""Regression pictures: predicted against true values, residuals, and the lectures'
polynomial-regression capacity figure (fits of several degrees over the data)."""

from __future__ import annotations

import numpy as np

from nnlab.plotting.display import Display
from nnlab.plotting.figures import axes_for, axes_grid, require_matplotlib


class PredictionErrorDisplay(Display):
    """Predicted vs true values (left) and residuals vs predicted values (right).

    Args:
        y_true, y_pred: the targets and the predictions (flattened).

    Attributes (after `plot`):
        scatter_, residuals_: the two PathCollections; diagonal_: the y = x line;
        axes_: the two Axes; ax_ (the first), figure_.

    Example:
        >>> d = PredictionErrorDisplay.from_predictions([1.0, 2.0, 3.0], [1.5, 2.0, 2.5])
        >>> d.residuals_.get_offsets()[:, 1].tolist()
        [0.5, 0.0, -0.5]
    """

    def __init__(self, y_true, y_pred):
        self.y_true = np.ravel(np.asarray(y_true, dtype=float))
        self.y_pred = np.ravel(np.asarray(y_pred, dtype=float))
        if self.y_true.shape != self.y_pred.shape:
            raise ValueError(
                "y_true and y_pred need the same number of values. Received: "
                f"{self.y_true.size} and {self.y_pred.size}"
            )

    @classmethod
    def from_predictions(cls, y_true, y_pred, *, ax=None) -> PredictionErrorDisplay:
        """Plot predictions you have."""
        require_matplotlib("PredictionErrorDisplay")
        return cls(y_true, y_pred).plot(ax=ax)

    @classmethod
    def from_model(cls, model, X, y, *, ax=None) -> PredictionErrorDisplay:
        """Predict X with a trained model and plot against y."""
        require_matplotlib("PredictionErrorDisplay")
        return cls(y, model.predict(X, verbose=0)).plot(ax=ax)

    def plot(self, ax=None) -> PredictionErrorDisplay:
        """Draw both panels.

        Args:
            ax: None (a new Figure), one Axes (split in two), two Axes, or "current".
        """
        require_matplotlib("PredictionErrorDisplay")
        a, b = axes_grid(ax, 1, 2, figsize=(9.0, 3.8))[0]
        t, p = self.y_true, self.y_pred
        self.scatter_ = a.scatter(t, p, s=10, alpha=0.7)
        lo, hi = min(t.min(), p.min()), max(t.max(), p.max())
        (self.diagonal_,) = a.plot([lo, hi], [lo, hi], color="#777", linestyle=":", label="y = x")
        a.set_xlabel("true value")
        a.set_ylabel("predicted value")
        a.legend(frameon=False, fontsize=8)
        self.residuals_ = b.scatter(p, p - t, s=10, alpha=0.7)
        b.axhline(0, color="#777", linestyle=":")
        b.set_xlabel("predicted value")
        b.set_ylabel("residual (predicted - true)")
        for x in (a, b):
            x.grid(alpha=0.3)
        self.axes_ = np.array([a, b], dtype=object)
        self._drawn(a)
        return self


def _mse(coef, x, y) -> float:
    return float(np.mean((np.polynomial.polynomial.polyval(x, coef) - y) ** 2))


class PolynomialCapacityDisplay(Display):
    """Least-squares polynomial fits of several degrees over the same data: too low a
    degree underfits, too high a degree follows the noise (seed 004's capacity figure).

    Args:
        x, y: the training points; fits: {degree: coefficients, lowest power first};
        x_test, y_test: optional held-out points; truth: optional function of x.

    Attributes:
        train_mse, test_mse: {degree: mean squared error} (test_mse empty without test
            points).
        lines_: {degree: Line2D} (after `plot`); points_, test_points_; ax_, figure_.

    Example:
        >>> x = np.linspace(0, 1, 10); y = 2 * x + 1
        >>> d = PolynomialCapacityDisplay.from_data(x, y, degrees=(0, 1))
        >>> round(d.train_mse[1], 12), sorted(d.lines_)
        (0.0, [0, 1])
    """

    def __init__(self, x, y, fits: dict, x_test=None, y_test=None, truth=None):
        self.x, self.y, self.fits = np.asarray(x, float), np.asarray(y, float), fits
        self.x_test = None if x_test is None else np.asarray(x_test, float)
        self.y_test = None if y_test is None else np.asarray(y_test, float)
        self.truth = truth
        self.train_mse = {d: _mse(c, self.x, self.y) for d, c in fits.items()}
        self.test_mse = (
            {}
            if self.x_test is None
            else {d: _mse(c, self.x_test, self.y_test) for d, c in fits.items()}
        )

    @classmethod
    def from_data(
        cls, x, y, *, degrees=(1, 3, 9), x_test=None, y_test=None, truth=None, ax=None
    ) -> PolynomialCapacityDisplay:
        """Fit one polynomial per degree by least squares and plot them over the data.

        Args:
            x, y: 1-D training inputs and targets.
            degrees: the polynomial degrees (model capacities) to compare.
            x_test, y_test: held-out points, to show the test error growing.
            truth: the function that made the data (drawn dotted), if known.
        """
        require_matplotlib("PolynomialCapacityDisplay")
        x, y = np.ravel(np.asarray(x, float)), np.ravel(np.asarray(y, float))
        if x.shape != y.shape:
            raise ValueError(f"x and y need the same length. Received: {x.size} and {y.size}")
        bad = [d for d in degrees if not isinstance(d, (int, np.integer)) or d < 0]
        if bad:
            raise ValueError(f"degrees must be non-negative ints. Received: {list(degrees)}")
        fits = {int(d): np.polynomial.polynomial.polyfit(x, y, int(d)) for d in degrees}
        x_test = None if x_test is None else np.ravel(x_test)
        y_test = None if y_test is None else np.ravel(y_test)
        return cls(x, y, fits, x_test, y_test, truth).plot(ax=ax)

    def plot(self, ax=None, *, resolution: int = 300) -> PolynomialCapacityDisplay:
        """Draw the points, each fit (legend: degree and errors) and the truth."""
        require_matplotlib("PolynomialCapacityDisplay")
        ax = axes_for(ax, figsize=(6.0, 4.0))
        xs = [self.x] + ([self.x_test] if self.x_test is not None else [])
        lo, hi = min(v.min() for v in xs), max(v.max() for v in xs)
        grid = np.linspace(lo, hi, resolution)
        self.points_ = ax.scatter(
            self.x, self.y, s=18, color="k", label="training points", zorder=3
        )
        self.test_points_ = None
        if self.x_test is not None:
            self.test_points_ = ax.scatter(
                self.x_test,
                self.y_test,
                s=24,
                facecolor="none",
                edgecolor="k",
                label="test points",
                zorder=3,
            )
        if self.truth is not None:
            ax.plot(grid, self.truth(grid), color="#777", linestyle=":", label="truth")
        span = np.ptp(self.y) or 1.0
        self.lines_ = {}
        for d, coef in self.fits.items():
            label = f"degree {d}: train MSE {self.train_mse[d]:.3g}"
            if d in self.test_mse:
                label += f", test MSE {self.test_mse[d]:.3g}"
            (self.lines_[d],) = ax.plot(
                grid, np.polynomial.polynomial.polyval(grid, coef), label=label
            )
        ax.set_ylim(self.y.min() - 0.5 * span, self.y.max() + 0.5 * span)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title("model capacity: polynomial fits")
        ax.legend(frameon=False, fontsize=7)
        self._drawn(ax)
        return self
