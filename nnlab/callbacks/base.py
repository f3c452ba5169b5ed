"""The callback base class, the list `fit` calls hooks through, and History."""

from __future__ import annotations


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
