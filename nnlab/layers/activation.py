"""Activation: applies an activation function as a layer of its own."""

from __future__ import annotations

from nnlab import activations as activations_mod
from nnlab.layers.base import Layer


class Activation(Layer):
    """A = activation(Z), elementwise (softmax: over the last axis). No weights.

    Shape: Z (n, ...) -> A (n, ...)

    Example:
        >>> import numpy as np
        >>> Activation("relu")(np.array([[-1.0, 2.0]])).tolist()
        [[0.0, 2.0]]
    """

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations_mod.get(activation)
        self._Z = self._A = None

    def forward(self, X, training: bool = False):
        self._Z = X
        self._A = self.activation.forward(X)
        return self._A

    def backward(self, dA, need_dX: bool = True):
        self._require_forward("_Z")
        return self.activation.backward(dA, self._Z, self._A)

    def backward_from_Z(self, dZ, need_dX: bool = True):
        """Given dZ directly (the fused output + loss gradient), dX = dZ."""
        return dZ

    def get_config(self) -> dict:
        return {**super().get_config(), "activation": activations_mod.serialize(self.activation)}
