"""Flatten and Reshape: change the per-sample shape, keep the batch axis."""

from __future__ import annotations

import numpy as np

from nnlab.layers.base import Layer, prod


class Flatten(Layer):
    """Flatten each sample to one axis.

    Shape: X (n, d1, ..., dk) -> (n, d1 * ... * dk); (n,) -> (n, 1).
    """

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else prod(rest)
        return (input_shape[0], size)

    def forward(self, X, training: bool = False):
        self._in_shape = X.shape
        return X.reshape(X.shape[0], -1)

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_in_shape")
        return dY.reshape(self._in_shape)


class Reshape(Layer):
    """Reshape each sample to `target_shape` (batch axis excluded; one -1 inferred).

    Shape: X (n, *s) -> (n, *target_shape), with prod(s) == prod(target_shape).
    """

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        shape = (target_shape,) if isinstance(target_shape, (int, np.integer)) else target_shape
        if (
            not isinstance(shape, (tuple, list))
            or any(
                isinstance(d, bool) or not isinstance(d, (int, np.integer)) or (d < 0 and d != -1)
                for d in shape
            )
            or list(shape).count(-1) > 1
        ):
            raise ValueError(
                "Reshape(target_shape=...) expects a tuple of positive ints with at most "
                f"one -1. Received: target_shape={target_shape!r}"
            )
        self.target_shape = tuple(int(d) for d in shape)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        if any(d is None for d in rest):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in self.target_shape)
        size = prod(rest)
        known = prod(d for d in self.target_shape if d != -1)
        if -1 in self.target_shape:
            if known == 0 or size % known:
                raise ValueError(self._mismatch(input_shape))
            return (input_shape[0],) + tuple(
                size // known if d == -1 else d for d in self.target_shape
            )
        if known != size:
            raise ValueError(self._mismatch(input_shape))
        return (input_shape[0],) + self.target_shape

    def _mismatch(self, input_shape) -> str:
        return (
            f"Reshape '{self.name}': cannot reshape inputs of shape {input_shape} "
            f"({prod(input_shape[1:])} values per sample) to {self.target_shape}."
        )

    def build(self, input_shape) -> None:
        self.compute_output_shape(input_shape)

    def forward(self, X, training: bool = False):
        self._in_shape = X.shape
        return X.reshape((X.shape[0],) + self.target_shape)

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_in_shape")
        return dY.reshape(self._in_shape)

    def get_config(self) -> dict:
        return {**super().get_config(), "target_shape": list(self.target_shape)}
