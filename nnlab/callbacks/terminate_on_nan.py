"""TerminateOnNaN: Keras's callback that stops at a non-finite batch loss."""

from __future__ import annotations

import numpy as np

from nnlab.callbacks.base import Callback


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
