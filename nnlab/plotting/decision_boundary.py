"""The decision boundary of a classifier over a plane of two inputs, with the training
points (circles) and the test points (crosses) on top and the features' real names on
the axes: the Playground picture."""

from __future__ import annotations

import numpy as np

from nnlab.plotting.display import Display
from nnlab.plotting.figures import axes_for, require_matplotlib


def _class_index(y) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        return y.argmax(axis=1)
    return y.reshape(len(y)).astype(np.int64)


class DecisionBoundaryDisplay(Display):
    """Predicted class (or probability of class 1) over a grid of the plane.

    Args:
        xx0, xx1: the grid (meshgrid arrays).
        response: the model's output on the grid: (g, g, k) probabilities.
        X_train, y_train, X_test, y_test: the points and their class indices.
        feature_names: the names of the two inputs (axis labels).
        class_names: one name per class (legend).

    Attributes (after `plot`):
        surface_: the filled contour set; boundary_: the 0.5 contour (binary) or None.
        train_, test_: {class name: PathCollection} of the points drawn.
        ax_, figure_: the Axes and Figure.
    """

    def __init__(
        self,
        xx0,
        xx1,
        response,
        X_train,
        y_train,
        X_test=None,
        y_test=None,
        feature_names=("x1", "x2"),
        class_names=None,
    ):
        self.xx0, self.xx1, self.response = xx0, xx1, response
        self.X_train, self.y_train = X_train, y_train
        self.X_test, self.y_test = X_test, y_test
        self.feature_names = list(feature_names)
        k = max(response.shape[-1], 2)
        self.class_names = [str(c) for c in range(k)] if class_names is None else class_names

    @classmethod
    def from_model(
        cls,
        model,
        X_train,
        y_train,
        X_test=None,
        y_test=None,
        *,
        feature_names=None,
        class_names=None,
        grid_resolution: int = 150,
        eps: float = 0.1,
        ax=None,
    ) -> DecisionBoundaryDisplay:
        """Evaluate a trained model on a grid covering the points, and plot.

        Args:
            model: anything with `predict(X)` returning probabilities (n, k) or (n, 1)
                (an nnlab model, or a function of X).
            X_train, y_train: (n, 2) inputs as the model sees them; labels or one-hot.
            X_test, y_test: optional held-out points, drawn as crosses.
            feature_names: the two axis names (default "x1", "x2").
            class_names: the legend's class names.
            grid_resolution: points per grid side.
            eps: margin around the points, as a fraction of their range.
        """
        require_matplotlib("DecisionBoundaryDisplay")
        X_train = np.asarray(X_train, dtype=float)
        if X_train.ndim != 2 or X_train.shape[1] != 2:
            raise ValueError(
                "A decision boundary is drawn over two input features; X_train must have "
                f"shape (n, 2). Received: {X_train.shape}"
            )
        pts = X_train if X_test is None else np.vstack([X_train, np.asarray(X_test, float)])
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        pad = eps * (hi - lo + 1e-9)
        g0, g1 = np.meshgrid(
            np.linspace(lo[0] - pad[0], hi[0] + pad[0], grid_resolution),
            np.linspace(lo[1] - pad[1], hi[1] + pad[1], grid_resolution),
        )
        grid = np.column_stack([g0.ravel(), g1.ravel()])
        predict = model if callable(model) and not hasattr(model, "predict") else None
        P = predict(grid) if predict else model.predict(grid, verbose=0)
        P = np.asarray(P, dtype=float).reshape(len(grid), -1)
        names = feature_names if feature_names is not None else ("x1", "x2")
        display = cls(
            g0,
            g1,
            P.reshape(*g0.shape, P.shape[1]),
            X_train,
            _class_index(y_train),
            None if X_test is None else np.asarray(X_test, dtype=float),
            None if y_test is None else _class_index(y_test),
            names,
            class_names,
        )
        return display.plot(ax=ax)

    def plot(self, ax=None, *, alpha: float = 0.45) -> DecisionBoundaryDisplay:
        """Draw the surface and the points.

        Args:
            ax: None (a new Figure), an Axes, or "current" (pyplot's).
            alpha: opacity of the coloured regions.
        """
        require_matplotlib("DecisionBoundaryDisplay")
        ax = axes_for(ax, figsize=(5.0, 4.2))
        R = self.response
        self.boundary_ = None
        if R.shape[-1] == 1:
            self.surface_ = ax.contourf(
                self.xx0,
                self.xx1,
                R[..., 0],
                levels=np.linspace(0, 1, 11),
                cmap="RdBu_r",
                alpha=alpha,
            )
            self.boundary_ = ax.contour(
                self.xx0, self.xx1, R[..., 0], levels=[0.5], colors="k", linewidths=1
            )
        else:
            k = R.shape[-1]
            self.surface_ = ax.contourf(
                self.xx0,
                self.xx1,
                R.argmax(axis=-1),
                levels=np.arange(k + 1) - 0.5,
                cmap="tab10",
                vmin=-0.5,
                vmax=9.5,
                alpha=alpha,
            )
        self.train_, self.test_ = {}, {}
        colors = ["#2166ac", "#b2182b"] if R.shape[-1] == 1 else [f"C{i}" for i in range(10)]
        for c, name in enumerate(self.class_names):
            color = colors[c % len(colors)]
            mask = self.y_train == c
            if mask.any():
                self.train_[name] = ax.scatter(
                    *self.X_train[mask].T,
                    s=16,
                    color=color,
                    edgecolor="k",
                    linewidth=0.4,
                    label=f"{name} (train)",
                )
            if self.X_test is not None and (self.y_test == c).any():
                self.test_[name] = ax.scatter(
                    *self.X_test[self.y_test == c].T,
                    s=30,
                    color=color,
                    marker="x",
                    linewidth=1.2,
                    label=f"{name} (test)",
                )
        ax.set_xlabel(self.feature_names[0])
        ax.set_ylabel(self.feature_names[1])
        ax.legend(frameon=True, fontsize=7, loc="best")
        self._drawn(ax)
        return self
