"""The base of nnlab's displays, in scikit-learn's `Display` style.

A display's `__init__` stores only computed data; `plot(ax=None, ...)` takes only
visual parameters, draws, keeps its artists as attributes ending in `_` and returns
the display; the classmethods `from_*` compute, build the display and call `plot`.
Re-plotting on another Axes never recomputes.
"""

from __future__ import annotations

from nnlab.plotting.figures import owned_by_pyplot, to_png


class Display:
    """Shared by every nnlab display: the figure, saving, and Jupyter's picture.

    Attributes (after `plot`):
        ax_: the (first) Axes drawn on.
        figure_: its Figure.
    """

    ax_ = None
    figure_ = None

    def _drawn(self, ax) -> None:
        self.ax_ = ax
        self.figure_ = ax.figure

    def savefig(self, path, **kwargs) -> None:
        """Save the figure (any format matplotlib writes: png, pdf, svg)."""
        self._require_plot()
        self.figure_.savefig(path, **kwargs)

    def _require_plot(self) -> None:
        if self.figure_ is None:
            raise RuntimeError(f"{type(self).__name__}: call plot() first.")

    def _repr_png_(self):
        """The figure for Jupyter, unless pyplot owns it (then pyplot's inline backend
        shows it already, and a second copy would appear)."""
        if self.figure_ is None or owned_by_pyplot(self.figure_):
            return None
        return to_png(self.figure_)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
