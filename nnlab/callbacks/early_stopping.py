"""EarlyStopping: stop when the monitored value stops improving; keep the best."""

from __future__ import annotations

from nnlab.callbacks.base import History
from nnlab.callbacks.monitor import MonitorCallback


class EarlyStopping(MonitorCallback):
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
