"""The confusion matrix in the lectures' layout, as a picture.

Predicted class down the side (rows), actual class across (columns), each cell with its
count and its percentage of all examples, plus a "Total predicted" column and a "Total
actual" row: the table of seed 000, drawn. `nnlab.metrics.ConfusionMatrix` prints the
same table as text (`str(cm)`); the report's figure can be this display's figure.
"""

from __future__ import annotations

import numpy as np

from nnlab.metrics.confusion import ConfusionMatrix, confusion_matrix
from nnlab.plotting.display import Display
from nnlab.plotting.figures import axes_for, require_matplotlib


class ConfusionMatrixDisplay(Display):
    """The confusion matrix with totals and percentages.

    Args:
        confusion: a `nnlab.metrics.ConfusionMatrix` (counts: rows true, columns
            predicted, as scikit-learn's).
        display_labels: class names for the axes (default: the matrix's labels).

    Attributes (after `plot`):
        im_: the AxesImage of the k x k cells (colour: share of all examples).
        text_: (k + 1, k + 1) array of Text; text_[i, j] is predicted class i, actual
            class j; the last row and column are the totals.
        ax_, figure_: the Axes and Figure.

    Example:
        >>> d = ConfusionMatrixDisplay.from_predictions([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
        >>> d.text_[1, 1].get_text(), d.text_[2, 2].get_text()
        ('2\\n40.0%', '5\\n100.0%')
    """

    def __init__(self, confusion: ConfusionMatrix, display_labels=None):
        self.confusion = confusion
        self.display_labels = (
            [str(v) for v in confusion.labels] if display_labels is None else list(display_labels)
        )
        if len(self.display_labels) != len(confusion.labels):
            raise ValueError(
                f"display_labels needs {len(confusion.labels)} names. "
                f"Received: {self.display_labels}"
            )

    @classmethod
    def from_predictions(
        cls, y_true, y_pred, *, labels=None, display_labels=None, threshold=0.5, ax=None, **kw
    ) -> ConfusionMatrixDisplay:
        """Count and plot. y_true, y_pred, labels, threshold as for
        `nnlab.metrics.confusion_matrix` (labels, probabilities or one-hot rows)."""
        require_matplotlib("ConfusionMatrixDisplay")
        cm = confusion_matrix(y_true, y_pred, labels=labels, threshold=threshold)
        return cls(cm, display_labels).plot(ax=ax, **kw)

    @classmethod
    def from_model(
        cls, model, X, y, *, display_labels=None, threshold=0.5, ax=None, **kw
    ) -> ConfusionMatrixDisplay:
        """Predict X with a trained model and plot its confusion matrix against y."""
        require_matplotlib("ConfusionMatrixDisplay")
        P = model.predict(X, verbose=0)
        return cls.from_predictions(
            y, P, display_labels=display_labels, threshold=threshold, ax=ax, **kw
        )

    @classmethod
    def from_counts(cls, counts, labels=None, *, ax=None, **kw) -> ConfusionMatrixDisplay:
        """Plot counts you have (rows true class, columns predicted, as scikit-learn)."""
        require_matplotlib("ConfusionMatrixDisplay")
        cm = ConfusionMatrix.from_counts(counts, labels)
        return cls(cm).plot(ax=ax, **kw)

    def plot(self, ax=None, *, cmap="Blues", decimals: int = 1) -> ConfusionMatrixDisplay:
        """Draw the table: predicted classes in rows, actual classes in columns.

        Args:
            ax: None (a new Figure), an Axes, or "current" (pyplot's).
            cmap: colour map of the k x k cells (by share of all examples).
            decimals: digits of the percentages.
        """
        require_matplotlib("ConfusionMatrixDisplay")
        cm = self.confusion
        k = len(self.display_labels)
        ax = axes_for(ax, figsize=(1.3 * k + 2.6, 1.1 * k + 2.0))
        M = cm.counts.T  # rows: predicted, columns: actual
        total = max(cm.total, 1)
        share = M / total
        full = np.zeros((k + 1, k + 1))
        full[:k, :k] = share
        totals = np.pad(np.zeros((k, k), bool), (0, 1), constant_values=True)
        self.im_ = ax.imshow(
            np.ma.masked_array(full, mask=totals),
            cmap=cmap,
            vmin=0,
            vmax=max(share.max(), 1e-12),
        )
        counts = np.zeros((k + 1, k + 1), dtype=np.int64)
        counts[:k, :k] = M
        counts[:k, k] = cm.pred_totals
        counts[k, :k] = cm.true_totals
        counts[k, k] = cm.total
        self.text_ = np.empty((k + 1, k + 1), dtype=object)
        for i in range(k + 1):
            for j in range(k + 1):
                pct = 100.0 * counts[i, j] / total
                dark = i < k and j < k and share[i, j] > 0.6 * share.max()
                self.text_[i, j] = ax.text(
                    j,
                    i,
                    f"{counts[i, j]}\n{pct:.{decimals}f}%",
                    ha="center",
                    va="center",
                    fontsize=9,
                    color="white" if dark else "black",
                    fontweight="bold" if (i == k or j == k) else "normal",
                )
        ax.axhline(k - 0.5, color="#555", linewidth=1)
        ax.axvline(k - 0.5, color="#555", linewidth=1)
        # As the lectures' table: the last column totals each predicted class, the last
        # row each actual class.
        ax.set_xticks(range(k + 1), self.display_labels + ["Total predicted"])
        ax.set_yticks(range(k + 1), self.display_labels + ["Total actual"])
        ax.xaxis.set_ticks_position("top")
        ax.xaxis.set_label_position("top")
        ax.set_xlabel("actual class")
        ax.set_ylabel("predicted class")
        self._drawn(ax)
        return self
