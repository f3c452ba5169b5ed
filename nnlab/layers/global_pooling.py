"""Global pooling: the mean or the max over all positions, per channel.

Backward of the mean: dY / (number of positions) to every position (after
Embedding(mask_zero=True), over the unmasked steps only). Backward of the max: dY to the
positions holding the maximum, shared equally between tied maxima (TensorFlow's
reduce_max gradient).
"""

from __future__ import annotations

import numpy as np

from nnlab.layers import patches
from nnlab.layers.base import Layer


class _GlobalPooling(Layer):
    rank = 2
    kind = "average"

    def __init__(self, data_format=None, keepdims: bool = False, **kwargs):
        patches.check_channels_last(data_format, type(self).__name__)
        super().__init__(**kwargs)
        self.keepdims = bool(keepdims)
        self._cache = None

    def build(self, input_shape) -> None:
        if isinstance(input_shape, list) or len(input_shape) != self.rank + 2:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs inputs with {self.rank} spatial "
                f"axes and channels last. Received input shape {input_shape}."
            )

    def compute_output_shape(self, input_shape):
        if self.keepdims:
            return (input_shape[0], *self._ones_shape(), input_shape[-1])
        return (input_shape[0], input_shape[-1])

    def _ones_shape(self):
        return (1,) * self.rank

    def forward(self, X, training: bool = False):
        axes = tuple(range(1, 1 + self.rank))
        mask, self.input_mask = getattr(self, "input_mask", None), None
        if self.kind == "average" and mask is not None and self.rank == 1:
            # the mean over the unmasked steps only (Keras); an all-masked row gives 0
            m = np.asarray(mask, X.dtype)[:, :, None]
            weights = m / np.maximum(m.sum(axis=1, keepdims=True), 1)
            self._cache = weights
            A = (X * weights).sum(axis=1, keepdims=True)
        elif self.kind == "average":
            A = X.mean(axis=axes, keepdims=True)
            self._cache = X.shape
        else:
            A = X.max(axis=axes, keepdims=True)
            ties = X == A
            # the gradient of a max is shared by tied maxima (TensorFlow's reduce_max rule)
            self._cache = ties / ties.sum(axis=axes, keepdims=True)
        return A if self.keepdims else A.reshape(X.shape[0], X.shape[-1])

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_cache")
        if self.kind == "average" and not isinstance(self._cache, tuple):  # masked mean
            weights = self._cache
            return weights * dY.reshape(weights.shape[0], 1, -1)
        if self.kind == "average":
            shape = self._cache
            positions = int(np.prod(shape[1:-1]))
            dY = dY.reshape(shape[0], *self._ones_shape(), shape[-1]) / positions
            return np.broadcast_to(dY, shape).copy()
        share = self._cache
        return share * dY.reshape(share.shape[0], *self._ones_shape(), share.shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "data_format": "channels_last", "keepdims": self.keepdims}


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over all positions, per channel: X (n, H, W, C) -> (n, C).

    Backward: dY / (H W) to every position.
    """


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over all positions, per channel: X (n, H, W, C) -> (n, C).

    Backward: dY to the position of the maximum (shared equally between tied maxima).
    """

    kind = "max"


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over all steps, per channel: X (n, steps, C) -> (n, C).

    After Embedding(mask_zero=True) the mean is over the unmasked steps only:
    A = sum_t m_t X_t / sum_t m_t, so dX_t = m_t dA / sum_t m_t (a row with every step
    masked gives 0, where Keras gives NaN).
    """

    rank = 1
    supports_masking = True

    def compute_mask(self, mask):
        return None  # the steps are gone


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over all steps, per channel: X (n, steps, C) -> (n, C)."""

    rank = 1
    kind = "max"
