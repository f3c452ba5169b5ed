"""Per-layer weights, activations and gradients at chosen epochs: what the lectures'
initialization, vanishing-gradient and batch-normalization slides histogram.

`LayerStatsRecorder` is a callback. At each chosen epoch end it copies every weighted
layer's kernel W and the gradient dW that the epoch's last training batch left (what
the optimizer applied), and it runs the sample inputs `x` through the layers one by
one (inference mode) to record each layer's output A. The forward pass runs at the
next epoch's start (or at the end of training), after every other callback has seen
the epoch, so the model's own records (dead-unit counts) are not disturbed.
"""

from __future__ import annotations

import numpy as np

from nnlab.callbacks import Callback
from nnlab.layers.input_layer import InputLayer

KINDS = ("weights", "activations", "gradients")


class LayerStatsRecorder(Callback):
    """Records W, A and dW of every layer with a kernel at the chosen epochs.

    Args:
        x: a batch of inputs to run through the network for the activations (e.g. the
            first 256 training rows); None records no activations.
        epochs: 0-based epochs after which to record; "all" for every epoch.
        initial: also record before training ("initial": W and A, no gradient yet).

    Attributes:
        records: {"initial" | epoch: {"weights" | "activations" | "gradients":
            {layer name: flat float64 array}}}, in recording order.

    Example:
        >>> import numpy as np, nnlab
        >>> model = nnlab.Sequential([nnlab.Input((2,)), nnlab.layers.Dense(3, "tanh"),
        ...                           nnlab.layers.Dense(1, "sigmoid")])
        >>> model.compile("sgd", "binary_crossentropy")
        >>> X = np.random.default_rng(0).normal(size=(16, 2)); y = (X[:, :1] > 0) * 1.0
        >>> rec = LayerStatsRecorder(x=X, epochs=[1])
        >>> _ = model.fit(X, y, epochs=2, verbose=0, callbacks=[rec])
        >>> list(rec.records), {k: len(v) for k, v in rec.records[1].items()}
        (['initial', 1], {'weights': 2, 'gradients': 2, 'activations': 2})
    """

    def __init__(self, x=None, epochs="all", initial: bool = True):
        super().__init__()
        if epochs != "all":
            epochs = [int(e) for e in epochs]
            if any(e < 0 for e in epochs):
                raise ValueError(f"epochs must be 0-based epoch numbers >= 0. Received: {epochs}")
        self.x = None if x is None else np.asarray(x)
        self.epochs = epochs
        self.initial = initial

    def _layers(self) -> list:
        return [layer for layer in self.model.layers if "kernel" in getattr(layer, "params", {})]

    def on_train_begin(self, logs=None):
        self.records: dict = {}
        self._pending = None
        if self.initial:
            self.records["initial"] = {"weights": self._weights()}
            self._activations("initial")

    def _wanted(self, epoch: int) -> bool:
        return self.epochs == "all" or epoch in self.epochs

    def _weights(self) -> dict:
        return {
            layer.name: np.asarray(layer.params["kernel"], np.float64).ravel().copy()
            for layer in self._layers()
        }

    def _activations(self, key) -> None:
        if self.x is None:
            return
        wanted = {layer.name for layer in self._layers()}
        A, out = self.x, {}
        for layer in self.model.layers:
            if isinstance(layer, InputLayer):
                continue
            A = layer(A, training=False)
            if layer.name in wanted:
                out[layer.name] = np.asarray(A, np.float64).ravel().copy()
        self.records[key]["activations"] = out

    def on_epoch_begin(self, epoch, logs=None):
        self._flush()

    def on_epoch_end(self, epoch, logs=None):
        if not self._wanted(epoch):
            return
        self.records[epoch] = {
            "weights": self._weights(),
            "gradients": {
                layer.name: np.asarray(layer.grads["kernel"], np.float64).ravel().copy()
                for layer in self._layers()
            },
        }
        self._pending = epoch

    def on_train_end(self, logs=None):
        self._flush()

    def _flush(self) -> None:
        if self._pending is not None:
            self._activations(self._pending)
            self._pending = None
