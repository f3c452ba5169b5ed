"""TensorBoard: write losses, metrics, weight and gradient histograms as TensorBoard
event files, through tensorboardX (the optional extra `tensorboard`).

Layout as Keras: `log_dir/train` holds `epoch_loss`, `epoch_<metric>` and the
histograms, `log_dir/validation` the same scalars from the `val_` logs, so
`tensorboard --logdir log_dir` shows training and validation curves side by side.
"""

from __future__ import annotations

import os

import numpy as np

from nnlab.callbacks.base import Callback


class TensorBoard(Callback):
    """Log to TensorBoard once per epoch.

    Args:
        log_dir: the folder for the event files (default "logs").
        histogram_freq: every this many epochs, write a histogram of every weight
            (`<layer>/<weight>`) and of its gradient from the epoch's last step
            (`<layer>/<weight>_gradient`); 0 (the default, as Keras) writes none.
        write_graph, write_images, update_freq, profile_batch, embeddings_freq:
            accepted for Keras compatibility; only update_freq="epoch" is supported.

    Example:
        >>> import tempfile, numpy as np
        >>> from nnlab.models import Sequential
        >>> from nnlab.layers import Input, Dense
        >>> model = Sequential([Input(shape=(2,)), Dense(1)])
        >>> model.compile("sgd", "mse")
        >>> with tempfile.TemporaryDirectory() as logs:
        ...     _ = model.fit(np.ones((4, 2)), np.ones(4), epochs=2, verbose=0,
        ...                   callbacks=[TensorBoard(logs, histogram_freq=1)])
        ...     sorted(os.listdir(logs))
        ['train']
    """

    def __init__(self, log_dir="logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, update_freq="epoch", profile_batch=0,
                 embeddings_freq: int = 0, **kwargs):
        super().__init__()
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or (
            histogram_freq < 0
        ):
            raise ValueError(
                f"TensorBoard(histogram_freq=...) expects an int >= 0. Received: {histogram_freq!r}"
            )
        if update_freq != "epoch":
            raise ValueError(
                "TensorBoard in nnlab writes once per epoch: update_freq='epoch'. "
                f"Received: update_freq={update_freq!r}"
            )
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self._writers: dict = {}

    def _writer(self, which: str):
        if which not in self._writers:
            try:
                from tensorboardX import SummaryWriter
            except ImportError:
                raise ImportError(
                    "The TensorBoard callback writes event files with tensorboardX: "
                    "pip install 'nnlab[tensorboard]' (or pip install tensorboardX)."
                ) from None
            self._writers[which] = SummaryWriter(os.path.join(self.log_dir, which))
        return self._writers[which]

    def on_train_begin(self, logs=None):
        self._writer("train")  # fails early, before any epoch, if tensorboardX is missing

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            if not np.isscalar(value):
                continue
            which, name = ("validation", key[4:]) if key.startswith("val_") else ("train", key)
            self._writer(which).add_scalar(f"epoch_{name}", float(value), epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            writer = self._writer("train")
            from nnlab.models.nested import leaf_layers  # nested models' layers too

            for layer in leaf_layers(self.model.layers):
                for key, W in {**layer.params, **layer.state}.items():
                    if np.issubdtype(W.dtype, np.floating) and W.size:
                        writer.add_histogram(f"{layer.name}/{key}", W, epoch)
                for key, G in layer.grads.items():
                    if G.size:
                        writer.add_histogram(f"{layer.name}/{key}_gradient", G, epoch)
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
