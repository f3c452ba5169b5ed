"""LambdaCallback: a callback built from plain functions, as in Keras."""

from __future__ import annotations

from nnlab.callbacks.base import Callback

#: Keras's hooks, each with the arguments its function receives.
_HOOKS = {
    "on_train_begin": ("logs",), "on_train_end": ("logs",),
    "on_epoch_begin": ("epoch", "logs"), "on_epoch_end": ("epoch", "logs"),
    "on_train_batch_begin": ("batch", "logs"), "on_train_batch_end": ("batch", "logs"),
    "on_batch_begin": ("batch", "logs"), "on_batch_end": ("batch", "logs"),
    "on_test_begin": ("logs",), "on_test_end": ("logs",),
    "on_test_batch_begin": ("batch", "logs"), "on_test_batch_end": ("batch", "logs"),
    "on_predict_begin": ("logs",), "on_predict_end": ("logs",),
}


class LambdaCallback(Callback):
    """Calls the functions given for hooks: `on_epoch_end=lambda epoch, logs: ...`,
    `on_train_begin=lambda logs: ...`, and so on for every Keras hook name.

    Only the hooks given are attached, so the training loop prepares batch logs only
    when a batch hook is given.

    Example:
        >>> seen = []
        >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
        >>> cb.on_epoch_end(0, {"loss": 1.0}); seen
        [0]
    """

    def __init__(self, **hooks):
        unknown = sorted(set(hooks) - set(_HOOKS))
        if unknown:
            raise ValueError(
                f"LambdaCallback got unknown hooks {unknown}. Known: {sorted(_HOOKS)}"
            )
        for name, fn in hooks.items():
            if fn is not None and not callable(fn):
                raise TypeError(f"LambdaCallback({name}=...) expects a function. Received: {fn!r}")
        methods = {name: _method(fn, _HOOKS[name]) for name, fn in hooks.items() if fn}
        # A class of its own per instance, defining exactly the given hooks (the loop
        # looks at the class to see which hooks anyone uses).
        self.__class__ = type("LambdaCallback", (LambdaCallback,), methods)


def _method(fn, args: tuple):
    if args == ("logs",):
        return lambda self, logs=None: fn(logs)
    return lambda self, step, logs=None: fn(step, logs)
