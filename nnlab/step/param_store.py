"""The flat parameter store: every trainable weight of a model in one array.

Each layer's `params[k]` and `grads[k]` become views into two flat arrays, `W` and `dW`,
so the optimizer updates the whole model with a few vectorised in-place operations
instead of a Python loop over tensors. Layers never notice: they already write their
gradients in place and never rebind their params. Both arrays start on a cache-line
boundary (`nnlab.backend.ALIGN`).

Measurement: none of its own; the store arrived with the first engine commit (1dc734b)
without a figure. Its alignment is part of commit 164c786's: Adam's step 10-15 % faster
(digits 139 -> 131 us/step, wide-regression optimizer 790 -> 740 us, in-session).
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import aligned_empty

__all__ = ["ParamStore", "packed"]


class ParamStore:
    """Flat `W` and `dW` holding the trainable params of `layers`, in model order.

    Args:
        layers: the layers that own weights (`Model.weight_layers()`); the trainable
            ones are packed, and their `params` / `grads` re-pointed at the store.

    Example:
        >>> from nnlab.layers import Dense
        >>> layer = Dense(2)
        >>> layer.build((None, 3))
        >>> store = ParamStore([layer])
        >>> store.W.size, np.shares_memory(layer.params["kernel"], store.W)
        (8, True)
    """

    def __init__(self, layers: list):
        entries = [(layer, k) for layer in layers if layer.trainable for k in layer.params]
        dtypes = {layer.params[k].dtype for layer, k in entries}
        if len(dtypes) > 1:
            raise ValueError(
                "All trainable weights of a model must share one dtype. Received "
                f"{sorted(d.name for d in dtypes)}; build every layer with the same "
                "dtype (see nnlab.config.set_floatx)."
            )
        dtype = dtypes.pop() if dtypes else np.dtype("float32")
        size = sum(layer.params[k].size for layer, k in entries)
        self.W = aligned_empty(size, dtype)
        self.dW = aligned_empty(size, dtype)
        self.dW[...] = 0
        self.grad_views: list[np.ndarray] = []
        self.keys = [(layer.name, k) for layer, k in entries]
        start = 0
        for layer, k in entries:
            W = layer.params[k]
            stop = start + W.size
            view = self.W[start:stop].reshape(W.shape)
            view[...] = W
            grad = self.dW[start:stop].reshape(W.shape)
            layer.params[k] = view
            layer.grads[k] = grad
            self.grad_views.append(grad)
            start = stop
        self.signature = self.signature_of(layers)
        #: trainable layers with weight penalties (their penalty joins every batch's loss)
        self.penalized = [layer for layer in layers if layer.trainable and layer.regularizers]

    def holds(self, layers: list) -> bool:
        """True while every trainable param of `layers` is still a view into this store
        (another model packing the same layers into its own store re-points them)."""
        if self.signature != self.signature_of(layers):
            return False
        return all(
            np.shares_memory(layer.params[k], self.W)
            for layer in layers
            if layer.trainable
            for k in layer.params
        )

    @staticmethod
    def signature_of(layers: list) -> tuple:
        """What the store depends on: which layers are trainable and their params."""
        return tuple((id(layer), layer.trainable, tuple(layer.params)) for layer in layers)


def packed(store: ParamStore | None, layers: list) -> ParamStore:
    """`store` if it still holds `layers`' trainable params, else a new store of them
    (the caller resets the optimizer's slots then: they were built for the old one).

    Example:
        >>> from nnlab.layers import Dense
        >>> layer = Dense(1)
        >>> layer.build((None, 2))
        >>> store = packed(None, [layer])
        >>> packed(store, [layer]) is store
        True
    """
    if store is not None and store.holds(layers):
        return store
    return ParamStore(layers)
