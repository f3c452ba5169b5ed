"""Callbacks with Keras's hook names; `fit` calls them around epochs and batches.

Every callback gets the same `logs` dict (so a change one makes is seen by the later
ones); keys are `loss`, metric names and `val_` plus a name. A callback stops training
with `self.model.stop_training = True`.
"""

from __future__ import annotations

import sys
import time


class Callback:
    """Base class. Override any hook; `self.model` and `self.params` are set by fit."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    # Keras's aliases for the training-batch hooks.
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


def _overrides(cb: Callback, *hooks: str) -> bool:
    return any(getattr(type(cb), h) is not getattr(Callback, h) for h in hooks)


class CallbackList:
    """Calls a hook on every callback in order; knows which hooks anyone uses."""

    def __init__(self, callbacks, model, params: dict):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(
                    f"callbacks must be nnlab.callbacks.Callback instances. Received: {cb!r}"
                )
            cb.set_model(model)
            cb.set_params(params)
        self.wants_batch_logs = any(
            _overrides(
                cb, "on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end"
            )
            for cb in self.callbacks
        )

    def call(self, hook: str, *args) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def train_batch_begin(self, batch: int, logs: dict) -> None:
        for cb in self.callbacks:
            cb.on_train_batch_begin(batch, logs)
            cb.on_batch_begin(batch, logs)

    def train_batch_end(self, batch: int, logs: dict) -> None:
        for cb in self.callbacks:
            cb.on_train_batch_end(batch, logs)
            cb.on_batch_end(batch, logs)


class History(Callback):
    """Records the epoch logs: `history.history[key]` is a list with one value per epoch.

    `fit` adds one automatically, last, and returns it.
    """

    def __init__(self):
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.model.history = self

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


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


class ProgressBar(Callback):
    """Training progress: verbose=1 a bar per epoch, verbose=2 one line per epoch.

    The bar redraws in place at most ten times a second on a terminal; where output
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
        self._steps = self.params.get("steps", 0)
        out = self._out()
        self._live = self.verbose == 1 and hasattr(out, "isatty") and out.isatty()

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = self._last_draw = time.perf_counter()
        if self.verbose == 1:
            self._out().write(f"Epoch {epoch + 1}/{self._epochs}\n")

    def on_train_batch_end(self, batch, logs=None):
        if not self._live:
            return
        now = time.perf_counter()
        if now - self._last_draw >= 0.1 or batch + 1 == self._steps:
            self._last_draw = now
            self._draw(batch + 1, logs or {}, now - self._t0, end="")

    def _draw(self, done: int, logs: dict, elapsed: float, end: str) -> None:
        steps = max(self._steps, 1)
        filled = int(self.width * done / steps)
        bar = "=" * max(filled - 1, 0) + (">" if filled < self.width else "=")
        bar = bar.ljust(self.width, ".")
        line = f"\r{done}/{steps} [{bar}] - {_duration(elapsed)}"
        metrics = _format_logs(logs)
        self._out().write(line + (f" - {metrics}" if metrics else "") + end)
        self._out().flush()

    def on_epoch_end(self, epoch, logs=None):
        elapsed = time.perf_counter() - self._t0
        logs = logs or {}
        if self.verbose == 1:
            self._draw(self._steps, logs, elapsed, end="\n")
        elif self.verbose == 2:
            per_step = elapsed / max(self._steps, 1)
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
