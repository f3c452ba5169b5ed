"""Gradient norms per layer over the epochs, with the verdict of
`nnlab.diagnostics.diagnose_gradients` (vanishing, exploding, dead ReLU units, or
healthy) in the title: seed 003's vanishing/exploding-gradient picture."""

from __future__ import annotations

import numpy as np

from nnlab.diagnostics.health import diagnose_gradients
from nnlab.plotting.display import Display
from nnlab.plotting.figures import axes_for, require_matplotlib


class GradientNormsDisplay(Display):
    """Per-layer gradient norm ||dW|| per epoch on a log scale.

    Args:
        norms: {layer name: [norm per epoch]}, first layer first.
        findings: the `diagnose_gradients` findings (empty: healthy).

    Attributes:
        verdict: "healthy" or the findings' names joined by " + ".
        lines_: {layer name: Line2D} (after `plot`); ax_, figure_.
    """

    def __init__(self, norms: dict, findings: list):
        self.norms = {k: list(v) for k, v in norms.items()}
        self.findings = list(findings)
        self.verdict = " + ".join(f.name for f in findings) if findings else "healthy"

    @classmethod
    def from_history(cls, history, *, ax=None) -> GradientNormsDisplay:
        """Read the norms that fit recorded (`fit(..., gradient_health=True)`, the
        default) from a History or a model after fit, diagnose them and plot."""
        require_matplotlib("GradientNormsDisplay")
        findings = diagnose_gradients(history)
        source = history if hasattr(history, "gradient_norms") else history.history
        return cls(source.gradient_norms, findings).plot(ax=ax)

    def plot(self, ax=None) -> GradientNormsDisplay:
        """Draw one line per layer; the title gives the verdict."""
        require_matplotlib("GradientNormsDisplay")
        ax = axes_for(ax, figsize=(6.0, 3.8))
        self.lines_ = {}
        for name, values in self.norms.items():
            v = np.asarray(values, dtype=float)
            (self.lines_[name],) = ax.plot(
                np.arange(1, len(v) + 1), np.where(v > 0, v, np.nan), marker=".", label=name
            )
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("gradient norm ||dW||")
        ax.set_title(f"gradient norms per layer: {self.verdict}", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize=8)
        self._drawn(ax)
        return self
