"""Histograms of weights, activations or gradients per layer at chosen epochs: one
column per layer, one row per recorded epoch (the lectures' initialization and
vanishing-gradient slides). Record them with
`nnlab.diagnostics.distributions.LayerStatsRecorder`."""

from __future__ import annotations

import numpy as np

from nnlab.diagnostics.distributions import KINDS
from nnlab.plotting.display import Display
from nnlab.plotting.figures import axes_grid, require_matplotlib


def _epoch_label(key) -> str:
    return "initial" if key == "initial" else f"epoch {key + 1}"


class LayerHistogramsDisplay(Display):
    """A grid of histograms: rows are recorded epochs, columns are layers.

    Args:
        values: {epoch key: {layer name: flat array}} of one kind.
        kind: "weights", "activations" or "gradients".

    Attributes (after `plot`):
        axes_: (epochs, layers) array of Axes; bars_: same shape, the BarContainers;
        ax_ (the first Axes), figure_.
    """

    def __init__(self, values: dict, kind: str):
        self.values, self.kind = values, kind
        self.epochs = list(values)
        self.layers = list(next(iter(values.values()))) if values else []

    @classmethod
    def from_recorder(
        cls, recorder, *, kind: str = "activations", epochs=None, ax=None, bins: int = 40
    ) -> LayerHistogramsDisplay:
        """Plot what a LayerStatsRecorder recorded.

        Args:
            recorder: the LayerStatsRecorder after fit.
            kind: "weights", "activations" or "gradients".
            epochs: the recorded keys to show ("initial" or 0-based epochs); default all
                that have this kind.
        """
        require_matplotlib("LayerHistogramsDisplay")
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}. Received: kind={kind!r}")
        recs = getattr(recorder, "records", None)
        if recs is None:
            raise ValueError("The recorder has no records: pass it to fit(callbacks=[...]).")
        keys = [k for k in recs if kind in recs[k]] if epochs is None else list(epochs)
        missing = [k for k in keys if k not in recs or kind not in recs[k]]
        if missing or not keys:
            raise ValueError(
                f"No {kind} recorded for {missing or 'any epoch'}. Recorded: "
                f"{[k for k in recs if kind in recs[k]]}"
            )
        return cls({k: recs[k][kind] for k in keys}, kind).plot(ax=ax, bins=bins)

    def plot(self, ax=None, *, bins: int = 40) -> LayerHistogramsDisplay:
        """Draw the grid; each column shares its x range so epochs compare."""
        require_matplotlib("LayerHistogramsDisplay")
        r, c = len(self.epochs), len(self.layers)
        axes = axes_grid(ax, r, c, figsize=(2.6 * c + 0.6, 1.9 * r + 0.6))
        self.bars_ = np.empty((r, c), dtype=object)
        for j, layer in enumerate(self.layers):
            data = [np.asarray(self.values[e][layer], float) for e in self.epochs]
            finite = np.concatenate([d[np.isfinite(d)] for d in data] or [np.zeros(1)])
            lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
            edges = np.linspace(lo, hi if hi > lo else lo + 1e-12, bins + 1)
            for i, e in enumerate(self.epochs):
                a = axes[i, j]
                d = data[i][np.isfinite(data[i])]
                _, _, self.bars_[i, j] = a.hist(d, bins=edges, color=f"C{j}", alpha=0.8)
                a.tick_params(labelsize=7)
                if i == 0:
                    a.set_title(layer, fontsize=9)
                if j == 0:
                    a.set_ylabel(_epoch_label(e), fontsize=9)
                if i == r - 1:
                    a.set_xlabel(self.kind, fontsize=8)
        self.axes_ = axes
        self._drawn(axes[0, 0])
        return self
