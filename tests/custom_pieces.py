"""A user's own activation and loss, subclassing nnlab's bases: used by the tests of custom
objects in model files and of extending nnlab with new activations and losses."""

from __future__ import annotations

import numpy as np

from nnlab.activations import Activation
from nnlab.losses import Loss


class Cube(Activation):
    """A = Z^3, g'(Z) = 3 Z^2."""

    name = "cube"

    def forward(self, Z):
        return Z**3

    def backward(self, dA, Z, A):
        return dA * 3 * Z**2


class MeanCubedError(Loss):
    """mean |P - Y|^3 over the last axis; its gradient 3 (P - Y) |P - Y| / k."""

    name = "mean_cubed_error"

    def forward(self, Y, P):
        return (np.abs(P - Y) ** 3).mean(axis=-1)

    def backward(self, Y, P):
        return 3 * (P - Y) * np.abs(P - Y) / P.shape[-1]
