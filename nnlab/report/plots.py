"""The report's figures as matplotlib Figures (also usable on their own in a notebook).

The figures are standalone `Figure` objects made without pyplot
(`nnlab.plotting.figures.subplots`): nothing here chooses or switches the matplotlib
backend, so importing nnlab never needs a display and never breaks a notebook's plots.
"""

from __future__ import annotations

import numpy as np


def _plt():
    # A stand-in for pyplot whose `subplots` makes standalone Figures (no backend switch).
    from nnlab.plotting import figures

    return figures


def _figure(ax, panels: int = 1, **subplots_kw):
    """(figure, axes, made here): new standalone axes, or the caller's `ax` (one Axes,
    or a sequence of them for a figure of several panels)."""
    if ax is None:
        fig, axes = _plt().subplots(1, panels, squeeze=False, **subplots_kw)
        return fig, list(axes[0]), True
    axes = [ax] if hasattr(ax, "plot") else list(np.ravel(ax))
    if not axes or not all(hasattr(a, "plot") for a in axes):
        raise TypeError(f"ax must be a matplotlib Axes or a sequence of them. Received: {ax!r}")
    return axes[0].figure, axes, False


def _note_if_empty(ax, curves) -> None:
    if not curves:
        ax.text(
            0.5,
            0.5,
            "not available:\nthe test scores are not finite\n(training diverged)",
            ha="center",
            va="center",
            transform=ax.transAxes,
            color="#cf222e",
        )


def learning_curves(history, best_epoch: int | None = None, ax=None):
    """Training vs validation loss (and the first metric) per epoch, best epoch marked.

    Args:
        history: a History (or its `.history` dict).
        best_epoch: 0-based epoch to mark; default `history.best_epoch` or the epoch of
            the lowest validation loss.
        ax: an Axes to draw the loss on (or a sequence of two for loss and metric);
            default: a new figure.

    Returns:
        The figure drawn on.
    """
    h = getattr(history, "history", history)
    if best_epoch is None:
        best_epoch = getattr(history, "best_epoch", None)
    if best_epoch is None and h.get("val_loss"):
        best_epoch = int(np.argmin(h["val_loss"]))
    if not h.get("loss"):  # stopped before the first epoch ended (e.g. diverged at once)
        fig, (ax,), _ = _figure(ax, figsize=(5.2, 3.6))
        ax.text(0.5, 0.5, "no epoch completed", ha="center", va="center", transform=ax.transAxes)
        return fig
    metrics = [k for k in h if not k.startswith("val_") and k not in ("loss", "learning_rate")]
    panels = ["loss"] + metrics[:1]
    fig, axes, own = _figure(ax, len(panels), figsize=(5.2 * len(panels), 3.6))
    for ax, key in zip(axes, panels):
        epochs = np.arange(1, len(h[key]) + 1)
        ax.plot(epochs, h[key], label=f"training {key}", color="#1f77b4")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], label=f"validation {key}", color="#d62728")
        if best_epoch is not None and best_epoch < len(epochs):
            ax.axvline(
                best_epoch + 1,
                color="#555",
                linestyle="--",
                linewidth=1,
                label=f"best epoch {best_epoch + 1}",
            )
        ax.set_xlabel("epoch")
        ax.set_ylabel(key)
        if key == "loss" and min(h[key]) > 0 and max(h[key]) / max(min(h[key]), 1e-12) > 50:
            ax.set_yscale("log")
        ax.legend(frameon=False, fontsize=8)
        ax.grid(alpha=0.3)
    if own:
        fig.tight_layout()
    return fig


def confusion_matrix(cm, labels=None, ax=None):
    """The lectures' confusion-matrix table as a figure: predicted classes in rows,
    actual classes in columns, totals in the last row and column, each cell with its
    count and its percentage of all examples (the same numbers as `str(cm)`).

    Args:
        cm: a `nnlab.metrics.ConfusionMatrix`, or counts in scikit-learn's orientation
            (rows true, columns predicted) with their `labels`.
    """
    from nnlab.metrics.confusion import ConfusionMatrix

    if not isinstance(cm, ConfusionMatrix):
        cm = ConfusionMatrix.from_counts(cm, labels)
    row_labels, col_labels, counts, percent = cm.lecture_table()
    k = len(cm.labels)
    fig, (ax,), own = _figure(ax, figsize=(1.3 * (k + 1) + 2.4, 1.0 * (k + 1) + 1.6))
    shade = np.where(np.isnan(percent), 0.0, percent) / 100.0
    shade[k, :] = shade[:, k] = 0.0  # totals stay white
    ax.imshow(shade, cmap="Blues", vmin=0, vmax=max(shade.max(), 1e-9) / 0.8)
    for i in range(k + 1):
        for j in range(k + 1):
            pct = "-" if np.isnan(percent[i, j]) else f"{percent[i, j]:.2f}%"
            ax.text(j, i, f"{counts[i, j]}\n{pct}", ha="center", va="center", fontsize=9,
                    fontweight="bold" if i == k or j == k else "normal",
                    color="white" if shade[i, j] > 0.65 * shade.max() > 0 else "black")
    ax.axhline(k - 0.5, color="#555", linewidth=1)
    ax.axvline(k - 0.5, color="#555", linewidth=1)
    ax.set_xticks(range(k + 1), col_labels, rotation=30, ha="right")
    ax.set_yticks(range(k + 1), row_labels)
    ax.set_xlabel("actual label")
    ax.set_ylabel("predicted label")
    ax.set_title("percentages of all examples", fontsize=9)
    if own:
        fig.tight_layout()
    return fig


def roc_curve(curves: list[tuple[str, np.ndarray, np.ndarray, float]], ax=None):
    """ROC curves: a list of (name, fpr, tpr, auc); drawn on `ax` or a new figure."""
    fig, (ax,), own = _figure(ax, figsize=(4.4, 4.0))
    _note_if_empty(ax, curves)
    for name, fpr, tpr, auc in curves:
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="#999", linestyle=":", linewidth=1, label="chance")
    ax.set_xlabel("false positive rate (FPR)")
    ax.set_ylabel("true positive rate (TPR, completeness)")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    if own:
        fig.tight_layout()
    return fig


def precision_recall(curves: list[tuple[str, np.ndarray, np.ndarray, float]], ax=None):
    """Completeness (recall) vs efficiency (precision): a list of (name, recall,
    precision, average precision); drawn on `ax` or a new figure."""
    fig, (ax,), own = _figure(ax, figsize=(4.4, 4.0))
    _note_if_empty(ax, curves)
    for name, recall, precision, ap in curves:
        ax.plot(recall, precision, label=f"{name} (AP {ap:.3f})")
    ax.set_xlabel("completeness (recall)")
    ax.set_ylabel("efficiency (precision)")
    ax.set_ylim(0, 1.02)
    ax.legend(frameon=False, fontsize=8, loc="lower left")
    ax.grid(alpha=0.3)
    if own:
        fig.tight_layout()
    return fig


def decision_boundary(
    predict, X: np.ndarray, labels: np.ndarray, class_names=None, resolution: int = 200, ax=None
):
    """Predicted class over the plane of 2-D inputs, with the points on top.

    Args:
        predict: a function from (m, 2) inputs to probabilities (m, k) or (m, 1).
        X: (n, 2) inputs as the model sees them; labels: (n,) class indices.
        ax: an Axes to draw on; default: a new figure.
    """
    X = np.asarray(X, dtype=float)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    g0, g1 = np.meshgrid(
        np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution)
    )
    P = np.asarray(predict(np.column_stack([g0.ravel(), g1.ravel()])))
    Z = (P[:, 0] if P.shape[1] == 1 else P.argmax(axis=1)).reshape(g0.shape)
    fig, (ax,), own = _figure(ax, figsize=(4.6, 4.0))
    if P.shape[1] == 1:
        ax.contourf(g0, g1, Z, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.55)
        ax.contour(g0, g1, Z, levels=[0.5], colors="k", linewidths=1)
    else:
        ax.contourf(g0, g1, Z, levels=np.arange(P.shape[1] + 1) - 0.5, cmap="tab10", alpha=0.35)
    for c in np.unique(labels):
        name = class_names[int(c)] if class_names is not None else str(c)
        ax.scatter(*X[labels == c].T, s=12, edgecolor="k", linewidth=0.3, label=name)
    ax.set_xlabel("feature 1")
    ax.set_ylabel("feature 2")
    ax.legend(frameon=False, fontsize=8)
    if own:
        fig.tight_layout()
    return fig


def gradient_norms(norms: dict[str, list[float]], ax=None):
    """Per-layer gradient norm per epoch (log scale): vanishing and exploding show here.
    `nnlab.report.html.gradient_verdict` says in words what the figure shows. Drawn on
    `ax` or a new figure."""
    fig, (ax,), own = _figure(ax, figsize=(5.6, 3.6))
    for name, values in norms.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, len(values) + 1), np.maximum(values, 1e-12), label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("gradient norm ||dW||")
    ax.legend(frameon=False, fontsize=8)
    ax.grid(alpha=0.3)
    if own:
        fig.tight_layout()
    return fig


def regression(y_true: np.ndarray, y_pred: np.ndarray, ax=None):
    """Predicted vs true values, and residuals vs predicted; drawn on `ax` (a sequence of
    two Axes) or a new figure."""
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    fig, axes, own = _figure(ax, 2, figsize=(9.0, 3.8))
    if len(axes) != 2:
        raise ValueError(f"regression draws two panels: pass ax=(ax1, ax2). Received {ax!r}")
    a, b = axes
    a.scatter(y_true, y_pred, s=10, alpha=0.7)
    lo, hi = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    a.plot([lo, hi], [lo, hi], color="#999", linestyle=":")
    a.set_xlabel("true value")
    a.set_ylabel("predicted value")
    b.scatter(y_pred, y_pred - y_true, s=10, alpha=0.7)
    b.axhline(0, color="#999", linestyle=":")
    b.set_xlabel("predicted value")
    b.set_ylabel("residual (predicted - true)")
    for ax in (a, b):
        ax.grid(alpha=0.3)
    if own:
        fig.tight_layout()
    return fig
