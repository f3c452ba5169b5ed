"""ModelCheckpoint: save the model or its weights during training, atomically."""

from __future__ import annotations

import os
import warnings

from nnlab.callbacks.monitor import MonitorCallback


class ModelCheckpoint(MonitorCallback):
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
