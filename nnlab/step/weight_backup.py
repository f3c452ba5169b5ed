"""The divergence guard's backup: the weights from before the latest update.

`nnlab.divergence.DivergenceGuard` keeps the policy (detect a diverging loss, restore,
report); this module keeps the copy it restores from. The optimizer fills it during the
update itself: `update_in_blocks` copies each block of weights into `arrays` just before
the block changes, so a step needs no separate full copy of W. The non-trainable state
(BatchNormalization's moving statistics) is small and is copied whole after each step
whose loss passed the check.

Measurement: leaving the copy out changed nothing measurable (in one process, 1-epoch
fits alternating with and without it: mnist-shape 1680.8 against 1691.2 us/step, median
of 16; wide-regression 4106.6 against 4184.0, median of 12; docs/performance.md).
"""

from __future__ import annotations

import numpy as np

__all__ = ["WeightBackup"]


class WeightBackup:
    """A copy of a parameter store's `W` and of the layers' non-trainable state.

    Args:
        store: the model's `ParamStore` (`Model.parameter_store`).
        layers: the layers whose `state` arrays (moving statistics) are backed up too.

    Attributes:
        arrays: one array per parameter the optimizer steps (`[store.W]`'s copy), for
            `Optimizer.apply(..., backup=...)` to fill block by block.

    Example:
        >>> from nnlab.layers import Dense
        >>> from nnlab.step import ParamStore
        >>> layer = Dense(1)
        >>> layer.build((None, 2))
        >>> store = ParamStore([layer])
        >>> backup = WeightBackup(store, [layer])
        >>> store.W[...] = 7.0
        >>> backup.restore()
        >>> bool((store.W == 7.0).any())
        False
    """

    def __init__(self, store, layers: list):
        self.store = store
        self.W = store.W.copy()
        self.arrays = [self.W]
        self.states = [a for layer in layers for a in layer.state.values()]
        self.state_copies = [a.copy() for a in self.states]

    def take(self) -> None:
        """Copy the current weights and state (after they were replaced wholesale)."""
        np.copyto(self.W, self.store.W)
        self.take_state()

    def take_state(self) -> None:
        """Copy the current non-trainable state (the weights come with the update)."""
        for saved, live in zip(self.state_copies, self.states):
            np.copyto(saved, live)

    def restore(self) -> None:
        """Put the backed-up weights and state back into the live arrays."""
        self.store.W[...] = self.W
        for saved, live in zip(self.state_copies, self.states):
            live[...] = saved
