"""Figures that leave the user's matplotlib alone.

nnlab never calls `matplotlib.use` and never imports pyplot on its own: a figure nnlab
makes for itself is a standalone `matplotlib.figure.Figure` (rendered by Agg when it is
saved, whatever backend the user has), so a notebook's inline backend, and the
student's own `plt.plot(...); plt.show()`, keep working. pyplot is used only when the
caller asks for it, by passing `ax="current"` (pyplot's current axes) or an Axes that
pyplot made.

Every plot function takes `ax`:

- None: a new standalone Figure (shown in Jupyter through the display's `_repr_png_`);
- an Axes: draw there (e.g. one of `plt.subplots(1, 3)[1]`);
- "current": `matplotlib.pyplot.gca()`.
"""

from __future__ import annotations

import io

import numpy as np


def require_matplotlib(caller: str):
    """Import matplotlib or say how to install it, before any computation."""
    try:
        import matplotlib
    except ImportError as err:  # pragma: no cover - matplotlib is a dependency
        raise ImportError(
            f"{caller} needs matplotlib, which is not installed. Install it with "
            "`pip install matplotlib`."
        ) from err
    return matplotlib


def subplots(
    nrows: int = 1, ncols: int = 1, *, figsize=None, squeeze: bool = True, layout=None, **kwargs
):
    """pyplot.subplots without pyplot: a standalone Figure and its Axes.

    Args:
        nrows, ncols: the grid of Axes.
        figsize: (width, height) in inches.
        layout: the Figure's layout engine ("constrained", "tight" or None).
        squeeze: as in pyplot: a single Axes rather than a 1x1 array.
        **kwargs: passed to `Figure.subplots` (sharex, sharey, ...).

    Example:
        >>> fig, ax = subplots(figsize=(3, 2))
        >>> type(fig).__name__, fig.canvas.manager is None
        ('Figure', True)
    """
    require_matplotlib("nnlab.plotting")
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize, layout=layout)
    return fig, fig.subplots(nrows, ncols, squeeze=squeeze, **kwargs)


def axes_for(ax, figsize=None):
    """The Axes to draw on: `ax` itself, pyplot's current Axes for "current", or the
    Axes of a new standalone Figure for None."""
    if ax is None:
        return subplots(figsize=figsize, layout="constrained")[1]
    if isinstance(ax, str):
        if ax != "current":
            raise ValueError(f"ax must be None, an Axes or 'current'. Received: ax={ax!r}")
        import matplotlib.pyplot as plt

        return plt.gca()
    if not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise TypeError(
            f"ax must be a matplotlib Axes, 'current' or None. Received: {type(ax).__name__}"
        )
    return ax


def axes_grid(ax, nrows: int, ncols: int, figsize=None) -> np.ndarray:
    """A (nrows, ncols) array of Axes for a figure with several panels.

    Args:
        ax: None (a new Figure), "current", one Axes (its area is split, as
            scikit-learn's displays do) or an array-like of nrows * ncols Axes.
    """
    if ax is None:
        fig_axes = subplots(nrows, ncols, figsize=figsize, squeeze=False, layout="constrained")
        return np.asarray(fig_axes[1])
    if isinstance(ax, (list, tuple, np.ndarray)):
        axes = np.asarray(ax, dtype=object)
        if axes.size != nrows * ncols:
            raise ValueError(
                f"This figure needs {nrows * ncols} Axes ({nrows} x {ncols}). "
                f"Received: {axes.size} Axes."
            )
        return axes.reshape(nrows, ncols)
    one = axes_for(ax)
    if nrows * ncols == 1:
        return np.asarray([[one]], dtype=object)
    fig, spec = one.figure, one.get_subplotspec()
    if spec is None:
        raise ValueError("To split an Axes into panels it must come from a grid (subplots).")
    one.remove()
    grid = spec.subgridspec(nrows, ncols, wspace=0.35, hspace=0.5)
    return np.asarray(
        [[fig.add_subplot(grid[i, j]) for j in range(ncols)] for i in range(nrows)], dtype=object
    )


def owned_by_pyplot(fig) -> bool:
    """True when pyplot manages `fig` (then pyplot's backend shows it, not nnlab)."""
    return getattr(fig.canvas, "manager", None) is not None


def to_png(fig, dpi: int = 100) -> bytes:
    """The figure as PNG bytes, drawn by Agg whatever the current backend is."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
