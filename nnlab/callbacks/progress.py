"""ProgressBar: the per-epoch bar or line `fit(verbose=...)` prints."""

from __future__ import annotations

import html
import sys
import time

from nnlab.callbacks.base import Callback
from nnlab.jupyter import UpdatingOutput, in_notebook


def _duration(seconds: float) -> str:
    return f"{seconds:.1f}s" if seconds >= 1 else f"{seconds * 1e3:.0f}ms"


def _format_logs(logs: dict) -> str:
    parts = []
    for k, v in logs.items():
        if isinstance(v, float):
            parts.append(
                f"{k}: {v:.4g}" if (abs(v) >= 1e4 or 0 < abs(v) < 1e-3) else f"{k}: {v:.4f}"
            )
    return " - ".join(parts)


def _progress_html(epoch: int, epochs: int, done: int, steps: int, took: str, metrics: str):
    """The notebook's bar: Epoch i/N, an HTML <progress>, the time and the metrics."""
    from IPython.display import HTML

    tail = html.escape(took + (f" - {metrics}" if metrics else ""))
    return HTML(
        f"<div style='font-family:monospace'>Epoch {epoch + 1}/{epochs} "
        f"<progress value='{done}' max='{steps}' style='width:16em'></progress> "
        f"{done}/{steps} - {tail}</div>"
    )


class ProgressBar(Callback):
    """Training progress: verbose=1 a bar per epoch, verbose=2 one line per epoch.

    The bar redraws in place at most ten times a second on a terminal, and in a Jupyter
    notebook as an HTML <progress> bar (one per epoch, updated in place); where output
    is not a terminal (a log file, CI) it prints only the finished line, so logs
    never flood.
    """

    def __init__(self, verbose: int = 1, stream=None, width: int = 30):
        super().__init__()
        self.verbose = int(verbose)
        self.stream = stream
        self.width = width

    def _out(self):
        return self.stream or sys.stdout

    def on_train_begin(self, logs=None):
        self._epochs = self.params.get("epochs", 0)
        self._steps = self.params.get("steps") or 0  # 0: unknown (a generator's length)
        self._done = 0
        out = self._out()
        self._html = self.verbose == 1 and self.stream is None and in_notebook()
        self._live = self.verbose == 1 and hasattr(out, "isatty") and out.isatty()
        self._live = self._live or self._html

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = self._last_draw = time.perf_counter()
        self._epoch = epoch
        if self._html:
            self._bar = UpdatingOutput()
        elif self.verbose == 1:
            self._out().write(f"Epoch {epoch + 1}/{self._epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        self._done = batch + 1
        if not self._live:
            return
        now = time.perf_counter()
        if now - self._last_draw >= 0.1 or batch + 1 == self._steps:
            self._last_draw = now
            self._draw(batch + 1, logs or {}, now - self._t0, end="")

    def _draw(self, done: int, logs: dict, elapsed: float, end: str) -> None:
        steps = max(self._steps or done, 1)
        filled = int(self.width * done / steps)
        bar = "=" * max(filled - 1, 0) + (">" if filled < self.width else "=")
        bar = bar.ljust(self.width, ".")
        line = f"\r{done}/{steps} [{bar}] - {_duration(elapsed)}"
        metrics = _format_logs(logs)
        if self._html:
            took = _duration(elapsed)
            self._bar.show(_progress_html(self._epoch, self._epochs, done, steps, took, metrics))
            return
        self._out().write(line + (f" - {metrics}" if metrics else "") + end)
        self._out().flush()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._t0
        logs = logs or {}
        if self.verbose == 1:
            self._draw(self._steps or self._done, logs, elapsed, end="\n")
        elif self.verbose == 2:
            per_step = elapsed / max(self._steps or self._done, 1)
            step = (
                f"{per_step * 1e3:.0f}ms/step"
                if per_step >= 1e-3
                else f"{per_step * 1e6:.0f}us/step"
            )
            self._out().write(
                f"Epoch {epoch + 1}/{self._epochs} - {_duration(elapsed)} - {step} - "
                f"{_format_logs(logs)}\n"
            )
            self._out().flush()
