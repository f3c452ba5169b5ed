"""`BackupAndRestore`: Keras 3's callback for resuming a training that was interrupted.

A backup is one `.nnlab` model file (`latest.nnlab` in `backup_dir`), written atomically
by `model.save` (temporary file, then rename), so a kill at any moment leaves either the
previous backup or the new one, never a mixture. Besides what Keras keeps (weights,
optimizer state, the epoch), nnlab keeps, in the file's metadata as JSON:

- the state of every random generator the training uses (`fit`'s shuffling generator,
  each Dropout / GaussianNoise layer's generator, the global seed stream), as
  `bit_generator.state`;
- the History so far (and the gradient-health records), so the resumed `fit` returns
  the whole history;
- the divergence guard's reference loss, and the state of callbacks that have one
  (`EarlyStopping`, `ReduceLROnPlateau`: anything with `get_backup_state` /
  `set_backup_state`).

With the default `save_freq="epoch"` a run killed at any point and resumed with the
same code, data and seed ends with bit-identical weights and History to a run that was
never interrupted. Floats are stored as `float.hex` strings and arrays as base64 `.npy`
bytes (read back with `allow_pickle=False`), so nothing is rounded and nothing is pickled.
"""

from __future__ import annotations

import base64
import contextlib
import io
import os

import numpy as np

from nnlab import backend
from nnlab.callbacks.base import Callback
from nnlab.models.model_file import ModelFileError, encode_array

BACKUP_FORMAT = 1


def _encode(value):
    """Plain JSON for a backup: floats as exact hex strings, arrays as base64 .npy."""
    if isinstance(value, (bool, type(None), str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return {"f": float(value).hex()}
    if isinstance(value, np.ndarray):
        return {"npy": base64.b64encode(encode_array(value)).decode("ascii")}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    raise TypeError(f"BackupAndRestore cannot store {type(value).__name__} values: {value!r}")


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"f"}:
            return float.fromhex(value["f"])
        if set(value) == {"npy"}:
            data = base64.b64decode(value["npy"].encode("ascii"), validate=True)
            return np.load(io.BytesIO(data), allow_pickle=False)
        return {k: _decode(v) for k, v in value.items()}
    return value


def _random_layers(model) -> list:
    """The layers with a random generator of their own, in model order."""
    from nnlab.models.nested import leaf_layers  # nested models' layers too

    return [layer for layer in leaf_layers(model.layers) if hasattr(layer, "get_random_state")]


def _stateful(callbacks: list) -> dict:
    """{(class name, number among callbacks of that class): callback} for callbacks
    with a backup state."""
    found: dict = {}
    for cb in callbacks:
        if hasattr(cb, "get_backup_state"):
            name = type(cb).__name__
            found[(name, sum(1 for key in found if key[0] == name))] = cb
    return found


class BackupAndRestore(Callback):
    """Back up the training state regularly; a new `fit` after an interruption resumes it.

    Give every attempt the same model (built the same way), data, `fit` arguments and
    callbacks: the first `fit` with a backup in `backup_dir` restores the weights,
    optimizer state, epoch, random generators, History and callback states, and goes on
    from the first epoch not completed. The History it returns holds every epoch.

    Args:
        backup_dir: folder for the backup files; use it for nothing else.
        save_freq: "epoch" (default): back up after every epoch; an int: every that many
            training batches. Batch-level backups resume, as in Keras, at the start of
            the interrupted epoch with the weights of the last backup, which is not
            bit-identical to an uninterrupted run.
        double_checkpoint: keep the previous backup too (`previous.nnlab`), and fall
            back on it when the latest one cannot be read.
        delete_checkpoint: remove the backup files when training ends normally.

    Example:
        >>> import numpy as np, os, tempfile
        >>> from nnlab.layers import Dense, Input
        >>> from nnlab.models import Sequential
        >>> model = Sequential([Input(shape=(2,)), Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> backup = BackupAndRestore(os.path.join(tempfile.mkdtemp(), "backup"))
        >>> x, y = np.ones((8, 2), "float32"), np.ones((8, 1), "float32")
        >>> len(model.fit(x, y, epochs=3, callbacks=[backup], verbose=0).epoch)
        3
    """

    def __init__(
        self,
        backup_dir,
        save_freq="epoch",
        double_checkpoint: bool = False,
        delete_checkpoint: bool = True,
    ):
        super().__init__()
        if not isinstance(backup_dir, (str, os.PathLike)) or not os.fspath(backup_dir):
            raise ValueError(
                "BackupAndRestore expects backup_dir, a non-empty folder path. "
                f"Received: backup_dir={backup_dir!r}"
            )
        if save_freq != "epoch" and (
            isinstance(save_freq, bool) or not isinstance(save_freq, int) or save_freq < 1
        ):
            raise ValueError(
                "BackupAndRestore expects save_freq='epoch' or a positive int (a number of "
                f"batches). Received: save_freq={save_freq!r}"
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = bool(double_checkpoint)
        self.delete_checkpoint = bool(delete_checkpoint)
        self.latest_path = os.path.join(self.backup_dir, "latest.nnlab")
        self.previous_path = os.path.join(self.backup_dir, "previous.nnlab")

    # -- restoring -------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._fit = getattr(self.model, "fit_state", None)
        if self._fit is None:
            raise RuntimeError("BackupAndRestore works only inside nnlab's Model.fit.")
        self._first_epoch = self._fit.initial_epoch
        self._pending = None  # callback and health states, applied once all began
        self._batches = 0
        self._epoch_rng = None
        self.restored_epoch = None
        backup = self._read_backup()
        if backup is not None:
            self._restore(*backup)

    def _read_backup(self):
        from nnlab.models import load_model

        candidates = [self.latest_path] + ([self.previous_path] if self.double_checkpoint else [])
        errors = []
        for path in candidates:
            if not os.path.exists(path):
                continue
            try:
                saved = load_model(path)
                meta = saved.metadata["user"]["nnlab_backup"]
                if meta.get("format") != BACKUP_FORMAT:
                    raise ModelFileError(f"{path}: unknown backup format {meta.get('format')!r}")
                return path, saved, _decode(meta)
            except (ModelFileError, KeyError, TypeError, ValueError) as exc:
                errors.append(f"{path}: {exc}")
        if errors:
            raise ModelFileError(
                "BackupAndRestore cannot read its backup: " + "; ".join(errors) + ". Delete "
                f"{self.backup_dir} to start the training over (or pass "
                "double_checkpoint=True to keep a second backup)."
            )
        return None

    def _restore(self, path: str, saved, meta: dict) -> None:
        model, fit = self.model, self._fit
        if meta["steps"] != self.params.get("steps"):
            raise ValueError(
                f"BackupAndRestore: {path} was written by a fit with {meta['steps']} steps per "
                f"epoch, but this fit has {self.params.get('steps')}: the data or batch_size "
                f"changed. Resume with the same data and arguments, or delete {self.backup_dir} "
                "to start over."
            )
        try:
            model.set_weights(saved.get_weights())
        except ValueError as exc:
            raise ValueError(
                f"BackupAndRestore: {path} holds the weights of a different model ({exc}). "
                f"Build the same model to resume, or delete {self.backup_dir} to start over."
            ) from None
        optimizer = model.optimizer
        if type(saved.optimizer) is not type(optimizer):
            raise ValueError(
                f"BackupAndRestore: {path} was written while training with "
                f"{type(saved.optimizer).__name__}, but this model is compiled with "
                f"{type(optimizer).__name__}. Compile it as before to resume, or delete "
                f"{self.backup_dir} to start over."
            )
        optimizer.set_slots(saved.optimizer.get_slots())
        optimizer.iterations = saved.optimizer.iterations
        with contextlib.suppress(TypeError):  # a schedule follows `iterations` by itself
            optimizer.learning_rate = meta["learning_rate"]
        rng = meta["rng"]
        fit.rng.bit_generator.state = rng["fit"]
        random_layers = _random_layers(model)
        if len(random_layers) != len(rng["layers"]):
            raise ValueError(
                f"BackupAndRestore: {path} holds the generators of {len(rng['layers'])} random "
                f"layers, but the model has {len(random_layers)}. Build the same model to "
                f"resume, or delete {self.backup_dir} to start over."
            )
        for layer, state in zip(random_layers, rng["layers"]):
            layer.set_random_state(state)
        backend.set_seed_stream_state(rng["seed_stream"])
        fit.guard.reference = meta["guard_reference"]
        fit.guard.report = meta["diverged"]
        fit.guard.reset_backup()
        fit.history.history.update({k: list(v) for k, v in meta["history"].items()})
        fit.history.epoch[:] = meta["epochs"]
        fit.initial_epoch = self._first_epoch = meta["epoch"]
        self._pending = meta
        self.restored_epoch = meta["epoch"]

    def _apply_pending(self) -> None:
        """Callback and gradient-health states: set after every callback's on_train_begin
        (which resets them), before the first epoch."""
        meta, self._pending = self._pending, None
        if meta is None:
            return
        stateful = _stateful(self._fit.callbacks)
        for entry in meta["callbacks"]:
            key = (entry["class"], entry["index"])
            if key not in stateful:
                raise ValueError(
                    f"BackupAndRestore: the backup holds the state of {entry['class']} "
                    f"callback number {entry['index'] + 1}; this fit's callbacks are "
                    f"{[type(cb).__name__ for cb in self._fit.callbacks]}. Pass the same "
                    "callbacks to resume."
                )
            stateful[key].set_backup_state(entry["state"])
        # The gradient-health recorder shares these lists with the History: extend
        # them in place, so that both go on from the restored records.
        history = self._fit.history
        for key, saved in meta["health"].items():
            live = getattr(history, key, None)
            if isinstance(live, list):
                live[:0] = saved
            elif isinstance(live, dict):  # per layer, in model order (names may differ)
                names = list(live) if len(live) == len(saved) else list(saved)
                for name, values in zip(names, saved.values()):
                    if isinstance(values, list):
                        live.setdefault(name, [])[:0] = values
                    else:
                        live[name] = values

    # -- saving ----------------------------------------------------------------------
    def on_epoch_begin(self, epoch, logs=None):
        self._apply_pending()
        # Every callback has finished the previous epoch and fit has not yet drawn this
        # epoch's order: the state here is exactly what a resumed fit starts from.
        if self.save_freq == "epoch" and epoch > self._first_epoch:
            self._save(epoch)
        self._epoch_rng = self._fit.rng.bit_generator.state
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        self._batches += 1
        if self._batches >= self.save_freq:
            self._batches = 0
            self._save(self._epoch, batch=batch + 1, fit_rng=self._epoch_rng)

    def on_train_end(self, logs=None):
        self._apply_pending()  # no epoch ran: the callbacks still get their state
        if self.delete_checkpoint:
            self.delete_backup()
            return
        done = self._fit.history.epoch
        last = done[-1] + 1 if done else self._first_epoch
        if last > self._first_epoch or self.model.stop_training:
            self._save(last, at_epoch_start=False)

    def delete_backup(self) -> None:
        """Remove the backup files, the temporary files of backups that were killed
        mid-write, and then `backup_dir` if nothing else is left in it."""
        for path in (self.latest_path, self.previous_path):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
        with contextlib.suppress(FileNotFoundError):
            for entry in os.listdir(self.backup_dir):
                if entry.startswith((".latest.nnlab.", ".previous.nnlab.")) and entry.endswith(
                    ".tmp"
                ):
                    with contextlib.suppress(FileNotFoundError):
                        os.remove(os.path.join(self.backup_dir, entry))
        with contextlib.suppress(OSError):
            os.rmdir(self.backup_dir)  # only if nothing else is in it

    def _save(self, epoch: int, batch=None, fit_rng=None, at_epoch_start=True) -> None:
        model, fit = self.model, self._fit
        stopped = bool(model.stop_training) and batch is None
        # Within training, the rate as the epoch began, before any on_epoch_begin hook (a
        # scheduler before this callback may have changed it); at the end, the last rate.
        lr = fit.learning_rate if at_epoch_start else model.optimizer.learning_rate
        history = fit.history
        meta = {
            "format": BACKUP_FORMAT,
            # a stopped run (early stopping, divergence) has no epoch left to run
            "epoch": self.params.get("epochs", epoch) if stopped else epoch,
            "batch": batch,
            "steps": self.params.get("steps"),
            "learning_rate": float(lr),
            "rng": {
                "fit": fit_rng or fit.rng.bit_generator.state,
                "layers": [layer.get_random_state() for layer in _random_layers(model)],
                "seed_stream": backend.get_seed_stream_state(),
            },
            "guard_reference": fit.guard.reference,
            "diverged": fit.guard.report,
            "history": history.history,
            "epochs": history.epoch,
            "health": {
                key: getattr(history, key)
                for key in ("gradient_norms", "global_gradient_norms", "dead_units", "unit_counts")
                if hasattr(history, key)
            },
            "callbacks": [
                {"class": name, "index": i, "state": cb.get_backup_state()}
                for (name, i), cb in _stateful(fit.callbacks).items()
            ],
        }
        os.makedirs(self.backup_dir, exist_ok=True)
        if self.double_checkpoint and os.path.exists(self.latest_path):
            os.replace(self.latest_path, self.previous_path)
        model.save(self.latest_path, metadata={"nnlab_backup": _encode(meta)})
