"""Callbacks with Keras's hook names; `fit` calls them around epochs and batches.

Every callback gets the same `logs` dict (so a change one makes is seen by the later
ones); keys are `loss`, metric names and `val_` plus a name. A callback stops training
with `self.model.stop_training = True`.
"""

from __future__ import annotations

import csv
import html
import os
import sys
import time
import warnings

import numpy as np

from nnlab.jupyter import UpdatingOutput, in_notebook


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
        self.wants_test_batch_logs = any(
            _overrides(cb, "on_test_batch_begin", "on_test_batch_end") for cb in self.callbacks
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

    def _repr_png_(self):
        """In Jupyter, a History shows its learning curves (None before any epoch)."""
        if not self.history.get("loss"):
            return None
        from nnlab.plotting.figures import to_png
        from nnlab.plotting.learning_curves import LearningCurvesDisplay

        return to_png(LearningCurvesDisplay.from_histories({"model": self.history}).figure_)

    def __repr__(self) -> str:
        return f"<History: {len(self.epoch)} epochs of {', '.join(self.history) or 'nothing'}>"


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


def _resolve_mode(callback: str, model, monitor: str, mode: str) -> str:
    """'min' or 'max' for `monitor`: explicit, or from the loss / compiled metric names."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(
            f"{callback}: mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}"
        )
    base = monitor[4:] if monitor.startswith("val_") else monitor
    if base == "loss" or base.endswith("_loss"):
        return "min"
    multi = len(getattr(model, "outputs", [])) > 1
    for out_name, metrics in zip(getattr(model, "output_names", []), model._metrics or []):
        for m in metrics:
            if base == (f"{out_name}_{m.name}" if multi else m.name):
                return m.direction
    raise ValueError(
        f"{callback}: cannot tell whether '{monitor}' should decrease or increase: it is "
        "neither a loss nor a compiled metric. Pass mode='min' or mode='max'."
    )


class _MonitorCallback(Callback):
    """Shared by EarlyStopping and ReduceLROnPlateau: reads `monitor`, knows `mode`."""

    def __init__(self, monitor: str, mode: str, min_delta: float):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f"{type(self).__name__}: mode must be 'auto', 'min' or 'max'. "
                f"Received: mode={mode!r}"
            )
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self._mode = None

    def _direction(self) -> str:
        if self._mode is None:
            self._mode = _resolve_mode(type(self).__name__, self.model, self.monitor, self.mode)
        return self._mode

    def _is_improvement(self, current: float, reference) -> bool:
        """current < reference - min_delta (min) or current > reference + min_delta (max)."""
        if reference is None:
            return True
        if self._direction() == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def _current(self, logs) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__} is watching '{self.monitor}', which is not in the "
                f"logs. Available: {sorted(logs or {})}. (Validation values need "
                "validation_data or validation_split.)",
                stacklevel=3,
            )
        return value


class EarlyStopping(_MonitorCallback):
    """Stop when `monitor` has not improved for `patience` epochs; keep the best model.

    An epoch improves when the value beats the best so far by more than `min_delta`
    (lower for losses, higher for accuracies). Training stops once `patience`
    consecutive epochs have not improved, i.e. `patience` epochs after the best one.
    With a `baseline`, the patience counter is reset only by values that also beat the
    baseline, so training stops after `patience` epochs if the baseline is never beaten.

    nnlab deviates from Keras in one default: `restore_best_weights=True`, because the
    lectures define early stopping as keeping the best model. The best weights are
    restored whenever training ends, stopped early or not. The best epoch is recorded
    as `best_epoch` on this callback and on the History (`history.best_epoch`).

    Args:
        monitor: the log key to watch (default "val_loss").
        min_delta: the smallest change that counts as an improvement.
        patience: epochs without improvement before stopping.
        mode: "auto", "min" or "max".
        baseline: a value the monitored quantity must beat.
        restore_best_weights: restore the best epoch's weights at the end (default True).
        start_from_epoch: epochs to wait before watching at all (warm-up).
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = True,
        start_from_epoch: int = 0,
    ):
        super().__init__(monitor, mode, min_delta)
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(
                f"EarlyStopping expects patience >= 0. Received: patience={patience!r}"
            )
        self.patience = patience
        self.verbose = int(verbose)
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_epoch = None
        self.best_weights = None

    def on_epoch_end(self, epoch, logs=None):
        current = self._current(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def get_backup_state(self) -> dict:
        """What `BackupAndRestore` keeps of this callback, so a resumed run stops alike."""
        return {
            k: getattr(self, k)
            for k in ("wait", "stopped_epoch", "best", "best_epoch", "best_weights")
        }

    def set_backup_state(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose:
            print(
                f"Epoch {self.stopped_epoch + 1}: early stopping (best epoch {self.best_epoch + 1})"
            )
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)
            if self.verbose:
                print(f"Restored the weights of epoch {self.best_epoch + 1}.")
        history = getattr(self.model, "history", None)
        if isinstance(history, History) and self.best_epoch is not None:
            history.best_epoch = self.best_epoch


class ReduceLROnPlateau(_MonitorCallback):
    """Multiply the learning rate by `factor` when `monitor` stops improving.

    Each epoch end logs the current rate as `learning_rate`. After `patience` epochs
    without improvement (by more than `min_delta`), lr <- max(lr * factor, min_lr) and
    `cooldown` epochs pass before counting again.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ):
        super().__init__(monitor, mode, min_delta)
        if not 0 < factor < 1:
            raise ValueError(
                f"ReduceLROnPlateau expects 0 < factor < 1 (it multiplies the learning rate). "
                f"Received: factor={factor!r}"
            )
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(
                f"ReduceLROnPlateau expects patience >= 0. Received: patience={patience!r}"
            )
        if isinstance(cooldown, bool) or not isinstance(cooldown, int) or cooldown < 0:
            raise ValueError(
                f"ReduceLROnPlateau expects cooldown >= 0. Received: cooldown={cooldown!r}"
            )
        self.factor = float(factor)
        self.patience = int(patience)
        self.verbose = int(verbose)
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)

    def on_train_begin(self, logs=None):
        self.best = None
        self.wait = 0
        self.cooldown_counter = 0

    def get_backup_state(self) -> dict:
        """What `BackupAndRestore` keeps of this callback."""
        return {"best": self.best, "wait": self.wait, "cooldown_counter": self.cooldown_counter}

    def set_backup_state(self, state: dict) -> None:
        for k, v in state.items():
            setattr(self, k, v)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = self.model.optimizer
        logs["learning_rate"] = float(optimizer.learning_rate)
        current = self._current(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old = float(optimizer.learning_rate)
                if old > np.float32(self.min_lr):
                    optimizer.learning_rate = max(old * self.factor, self.min_lr)
                    if self.verbose:
                        print(
                            f"Epoch {epoch + 1}: ReduceLROnPlateau reducing learning rate "
                            f"to {optimizer.learning_rate:.4g}."
                        )
                    self.cooldown_counter = self.cooldown
                    self.wait = 0


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch: lr = schedule(epoch, lr).

    `schedule` takes the 0-based epoch and the current rate (or only the epoch) and
    returns a float. The rate used is logged as `learning_rate`.

    Example:
        >>> def halve_every_10(epoch, lr):
        ...     return lr * 0.5 if epoch and epoch % 10 == 0 else lr
        >>> scheduler = LearningRateScheduler(halve_every_10)
    """

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler needs a function. Received: {schedule!r}")
        self.schedule = schedule
        self.verbose = int(verbose)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        try:
            lr = self.schedule(epoch, float(optimizer.learning_rate))
        except TypeError:
            lr = self.schedule(epoch)
        if isinstance(lr, bool) or not isinstance(lr, (float, np.floating)):
            raise ValueError(
                "The LearningRateScheduler function must return a float. "
                f"Received: {lr!r} of type {type(lr).__name__}"
            )
        optimizer.learning_rate = float(lr)
        if self.verbose:
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr:.4g}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)


class TerminateOnNaN(Callback):
    """Stop training when a batch loss is NaN or infinite (Keras's callback).

    nnlab's fit already stops at the first non-finite step on its own and restores the
    last finite weights (see `nnlab.training`); this remains for Keras code.
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = bool(raise_error)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            if self.raise_error:
                raise RuntimeError(f"Batch {batch}: invalid loss {loss}, terminating training.")
            print(f"Batch {batch}: invalid loss, terminating training.")
            self.model.stop_training = True


class CSVLogger(Callback):
    """Write one CSV row per epoch: `epoch` then the sorted log keys.

    If the first epoch has no validation values, `val_` columns are still written,
    filled with NA, so later rows line up. The file is flushed after every row.
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        self.filename = str(filename)
        self.sep = separator
        self.append = bool(append)
        self._file = None
        self._keys = None

    def on_train_begin(self, logs=None):
        exists = os.path.exists(self.filename) and os.path.getsize(self.filename) > 0
        self._write_header = not (self.append and exists)
        self._file = open(self.filename, "a" if self.append else "w", newline="")
        self._writer = csv.writer(self._file, delimiter=self.sep)
        self._keys = None

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._keys is None:
            keys = sorted(logs)
            if not any(k.startswith("val_") for k in keys):
                keys += [f"val_{k}" for k in keys if k != "learning_rate"]
            self._keys = keys
            if self._write_header:
                self._writer.writerow(["epoch"] + keys)
        self._writer.writerow([epoch] + [logs.get(k, "NA") for k in self._keys])
        self._file.flush()

    def on_train_end(self, logs=None):
        if self._file is not None:
            self._file.close()
            self._file = None


class ModelCheckpoint(_MonitorCallback):
    """Save the model (or only its weights) during training, atomically.

    `filepath` is formatted with `epoch` (1-based), the log keys and, for batch-level
    saving, `batch` (1-based): e.g. 'ckpt-{epoch:02d}-{val_loss:.2f}.nnlab'. Whole
    models go to `.nnlab` files (`model.save`, optimizer state included, so training
    can resume); with `save_weights_only` to `.weights.npz` files (`model.save_weights`).
    Every write goes to a temporary file that replaces the target only when complete.
    A `.nnlab` checkpoint records where it was written: `load_model(path).metadata
    ["user"]["checkpoint"]` is {"epoch": epochs completed (1-based), "batch": the
    1-based batch for batch-level saves, else None}.

    Args:
        filepath: path template ending in '.nnlab' ('.weights.npz' with save_weights_only).
        monitor: the log key compared when `save_best_only` (default "val_loss").
        verbose: 1 prints a line per save (and per skipped save with save_best_only).
        save_best_only: save only when `monitor` strictly improves on the best so far
            (starting from `initial_value_threshold`); if the key is missing from the
            logs, warn and save.
        save_weights_only: save only the weights.
        mode: "auto", "min" or "max" for `monitor`.
        save_freq: "epoch", or an int: save every that many training batches.
        initial_value_threshold: the value `monitor` must beat for the first save.

    Example:
        >>> checkpoint = ModelCheckpoint("best.nnlab", save_best_only=True)
    """

    def __init__(
        self,
        filepath,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq="epoch",
        initial_value_threshold: float | None = None,
    ):
        super().__init__(monitor, mode, 0.0)
        self.filepath = os.fspath(filepath)
        suffix = ".weights.npz" if save_weights_only else ".nnlab"
        if not self.filepath.endswith(suffix):
            raise ValueError(
                f"ModelCheckpoint: with save_weights_only={bool(save_weights_only)} the "
                f"filepath must end in '{suffix}'. Received: filepath={self.filepath!r}"
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                "ModelCheckpoint: save_freq must be 'epoch' or a positive int (a number of "
                f"batches). Received: save_freq={save_freq!r}"
            )
        self.verbose = int(verbose)
        self.save_best_only = bool(save_best_only)
        self.save_weights_only = bool(save_weights_only)
        self.save_freq = save_freq
        self.best = initial_value_threshold
        self._epoch = 0
        self._batches_since_save = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches_since_save += 1
        if self._batches_since_save >= self.save_freq:
            self._batches_since_save = 0
            self._save(self._epoch, batch, logs or {})

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save(epoch, None, logs or {})

    def _save(self, epoch: int, batch, logs: dict) -> None:
        path = self._path(epoch, batch, logs)
        if self.save_best_only:
            current = logs.get(self.monitor)
            if current is None:
                warnings.warn(
                    f"ModelCheckpoint can save the best model only when '{self.monitor}' is "
                    f"in the logs; available: {sorted(logs)}. Saving anyway.",
                    stacklevel=3,
                )
            elif self._is_improvement(current, self.best):
                if self.verbose:
                    print(
                        f"Epoch {epoch + 1}: {self.monitor} improved from {self.best} to "
                        f"{current:.5f}, saving model to {path}"
                    )
                self.best = current
            else:
                if self.verbose:
                    print(f"Epoch {epoch + 1}: {self.monitor} did not improve from {self.best}")
                return
        elif self.verbose:
            print(f"Epoch {epoch + 1}: saving model to {path}")
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(path)
        else:  # the file records where in training it was written
            mark = {"epoch": epoch + 1, "batch": None if batch is None else batch + 1}
            self.model.save(path, metadata={"checkpoint": mark})

    def _path(self, epoch: int, batch, logs: dict) -> str:
        values = dict(logs, epoch=epoch + 1)
        if batch is not None:
            values["batch"] = batch + 1
        try:
            return self.filepath.format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(
                f"ModelCheckpoint cannot fill in filepath {self.filepath!r}: {exc!r}. It can "
                f"use {{epoch}} and the log keys {sorted(logs)}."
            ) from None


# Callbacks in their own modules, imported last because they build on Callback.
from nnlab.backup_and_restore import BackupAndRestore  # noqa: E402, F401
from nnlab.callbacks_lambda import LambdaCallback  # noqa: E402, F401
from nnlab.callbacks_tensorboard import TensorBoard  # noqa: E402, F401
