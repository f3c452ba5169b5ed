"""Live training curves: loss and metrics redrawn in place after every epoch in Jupyter,
and a plain text line per epoch anywhere else.

In a Jupyter kernel the callback shows one picture and replaces it each epoch through
an IPython display handle (`display(..., display_id=True)` then `handle.update(...)`),
so the cell ends with one image, not one per epoch. The picture is a standalone
Figure rendered to PNG: no pyplot figure is left behind for the inline backend to show
twice, and no ipywidgets are needed. In a terminal, a script or CI it prints one line
per epoch (as `fit(verbose=2)`) unless fit already prints its own progress.
"""

from __future__ import annotations

import numpy as np

from nnlab.callbacks import Callback, ProgressBar
from nnlab.jupyter import UpdatingOutput, in_notebook
from nnlab.plotting.figures import require_matplotlib, subplots, to_png


class LiveCurves(Callback):
    """Redraw the learning curves every epoch in a notebook; text elsewhere.

    Args:
        metrics: the logged names to draw, one panel each (validation curves are added
            from `val_` + name); default: "loss" and the first other metric.
        every: redraw every `every` epochs (and always after the last).
        notebook: force notebook (True) or text (False) mode; None detects it.
        figsize: size of the picture in inches.
        stream: where the text fallback writes (default sys.stdout).

    Attributes:
        updates: how many times the picture was drawn (notebook mode).
        history: {name: [value per epoch]} seen so far.

    Example:
        >>> import io, numpy as np, nnlab
        >>> model = nnlab.Sequential([nnlab.Input((1,)), nnlab.layers.Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> out = io.StringIO()
        >>> _ = model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=0,
        ...               callbacks=[LiveCurves(notebook=False, stream=out)])
        >>> [line.split(" - ")[0] for line in out.getvalue().splitlines()]
        ['Epoch 1/2', 'Epoch 2/2']
    """

    def __init__(
        self, metrics=None, every: int = 1, notebook=None, figsize=(10.0, 3.6), stream=None
    ):
        super().__init__()
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"LiveCurves(every=...) expects a positive int. Received: {every!r}")
        self.metrics = None if metrics is None else list(metrics)
        self.every = every
        self.notebook = notebook
        self.figsize = figsize
        self.stream = stream
        self._output = UpdatingOutput()

    def on_train_begin(self, logs=None):
        self.history: dict[str, list[float]] = {}
        self._output = UpdatingOutput()
        self._live = in_notebook() if self.notebook is None else bool(self.notebook)
        self._text = None
        self._shown = None  # the epoch the picture shows
        if self._live:
            require_matplotlib("LiveCurves")
        elif not self.params.get("verbose"):
            self._text = ProgressBar(verbose=2, stream=self.stream)
            self._text.set_model(self.model)
            self._text.set_params(self.params)
            self._text.on_train_begin(logs)

    def on_epoch_begin(self, epoch, logs=None):
        if self._text is not None:
            self._text.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        if self._text is not None:
            self._text.on_epoch_end(epoch, logs)
        last = epoch + 1 >= self.params.get("epochs", 0)
        if self._live and ((epoch + 1) % self.every == 0 or last):
            self._show(epoch)

    def on_train_end(self, logs=None):
        epochs = len(self.history.get("loss", []))
        if self._live and epochs and self._shown != epochs - 1:
            self._show(epochs - 1)  # stopped early between redraws

    def _panels(self) -> list[str]:
        if self.metrics is not None:
            return self.metrics
        others = [k for k in self.history if not k.startswith("val_") and k != "loss"]
        others = [k for k in others if k != "learning_rate"]
        return ["loss"] + others[:1]

    def figure(self, epoch: int):
        """The picture of the curves so far, as a standalone Figure."""
        panels = [p for p in self._panels() if p in self.history]
        fig, axes = subplots(1, max(len(panels), 1), figsize=self.figsize, squeeze=False)
        # Fixed margins: a layout engine would draw the figure twice per epoch.
        fig.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.88, wspace=0.25)
        total = self.params.get("epochs", epoch + 1)
        for ax, key in zip(axes[0], panels):
            train = self.history[key]
            ax.plot(np.arange(1, len(train) + 1), train, color="C0", label=f"training {key}")
            if f"val_{key}" in self.history:
                val = self.history[f"val_{key}"]
                ax.plot(
                    np.arange(1, len(val) + 1),
                    val,
                    color="C3",
                    linestyle="--",
                    label=f"validation {key}",
                )
            ax.set_xlim(0.5, max(total, 1) + 0.5)
            ax.set_xlabel("epoch")
            ax.set_ylabel(key)
            ax.set_title(f"{key}: {train[-1]:.4g} (epoch {epoch + 1}/{total})", fontsize=10)
            ax.grid(alpha=0.3)
            ax.legend(frameon=False, fontsize=8)
        return fig

    @property
    def updates(self) -> int:
        """How many times the picture was drawn (notebook mode)."""
        return self._output.updates

    def _show(self, epoch: int) -> None:
        from IPython.display import Image

        self._output.show(Image(data=to_png(self.figure(epoch), dpi=80), format="png"))
        self._shown = epoch
