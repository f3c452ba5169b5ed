"""Callbacks that set the learning rate: on a plateau, or by a schedule per epoch."""

from __future__ import annotations

import numpy as np

from nnlab.callbacks.base import Callback
from nnlab.callbacks.monitor import MonitorCallback


class ReduceLROnPlateau(MonitorCallback):
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
