"""Dot: the dot product of two batches of vectors (Keras's `Dot`, 2-D inputs)."""

from __future__ import annotations

import numpy as np

from nnlab.backend import EPS
from nnlab.layers.base import Layer


class Dot(Layer):
    """Y = sum_k A_k B_k per sample, shape (n, 1). With `normalize=True` both rows are
    first scaled to unit length (x / max(||x||, EPS)), so Y is their cosine similarity.

    Backward: dA = dY B, dB = dY A; through the normalization,
    d(x / ||x||) maps g to (g - x_hat (g . x_hat)) / ||x||.

    Args:
        axes: the feature axis, 1 or -1 (or a pair of them); nnlab takes 2-D inputs.
        normalize: take the cosine similarity instead.

    Example:
        >>> import numpy as np
        >>> Dot(axes=1)([np.array([[1.0, 2.0]]), np.array([[3.0, 4.0]])]).tolist()
        [[11.0]]
    """

    def __init__(self, axes, normalize: bool = False, **kwargs):
        super().__init__(**kwargs)
        pair = tuple(axes) if isinstance(axes, (list, tuple)) else (axes, axes)
        if len(pair) != 2 or any(a not in (1, -1) for a in pair):
            raise ValueError(
                "Dot in nnlab multiplies 2-D inputs along their feature axis: axes=1 or -1 "
                f"(or a pair of them). Received: axes={axes!r}"
            )
        self.axes = axes
        self.normalize = bool(normalize)

    def build(self, input_shape) -> None:
        if not isinstance(input_shape, list) or len(input_shape) != 2:
            raise ValueError(f"Dot '{self.name}' must be called on a list of two inputs.")
        a, b = input_shape
        if len(a) != 2 or len(b) != 2 or a[1] != b[1]:
            raise ValueError(
                f"Dot '{self.name}' needs two 2-D inputs of the same width. Received shapes "
                f"{tuple(a)} and {tuple(b)}."
            )

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    @staticmethod
    def _unit(X):
        n = np.sqrt((X * X).sum(axis=-1, keepdims=True))
        return X / np.maximum(n, EPS), n

    def forward(self, X, training: bool = False):
        A, B = X
        self._A, self._B = A, B
        if self.normalize:
            A, self._nA = self._unit(A)
            B, self._nB = self._unit(B)
        self._Ah, self._Bh = A, B
        return (A * B).sum(axis=-1, keepdims=True)

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_Ah")
        dA, dB = dY * self._Bh, dY * self._Ah
        if self.normalize:
            dA = self._through_unit(dA, self._Ah, self._nA)
            dB = self._through_unit(dB, self._Bh, self._nB)
        return [dA, dB]

    @staticmethod
    def _through_unit(g, x_hat, n):
        big = n > EPS
        along = (g * x_hat).sum(axis=-1, keepdims=True)
        return np.where(big, (g - x_hat * along) / np.where(big, n, 1.0), g / EPS)

    def get_config(self) -> dict:
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}
