"""CSVLogger: one CSV row per epoch."""

from __future__ import annotations

import csv
import os

from nnlab.callbacks.base import Callback


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
