"""Keras's activation layers with arguments: LeakyReLU, ReLU, Softmax, ELU.

Each is an `Activation` layer holding the matching activation function, so forward and
backward are the function's own (see nnlab.activations and nnlab.activations_extra).
"""

from __future__ import annotations

from nnlab.activations import ELU as _ELU
from nnlab.activations import LeakyReLU as _LeakyReLU
from nnlab.activations import Softmax as _Softmax
from nnlab.activations_extra import GeneralReLU
from nnlab.layers.activation import Activation
from nnlab.layers.base import Layer


class _ActivationLayer(Activation):
    def __init__(self, activation, **kwargs):
        super().__init__(activation, **kwargs)

    def get_config(self) -> dict:
        return Layer.get_config(self)


class LeakyReLU(_ActivationLayer):
    """A = Z for Z > 0, else negative_slope * Z. Keras's layer default slope is 0.3
    (the function `activations.leaky_relu` uses 0.2).

    Example:
        >>> import numpy as np
        >>> LeakyReLU(negative_slope=0.25)(np.array([[-1.0, 2.0]])).tolist()
        [[-0.25, 2.0]]
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs):
        super().__init__(_LeakyReLU(negative_slope), **kwargs)
        self.negative_slope = float(negative_slope)

    def get_config(self) -> dict:
        return {**super().get_config(), "negative_slope": self.negative_slope}


class ReLU(_ActivationLayer):
    """max_value where Z >= max_value, Z where Z >= threshold, else
    negative_slope * (Z - threshold); the defaults give max(Z, 0).

    Example:
        >>> import numpy as np
        >>> ReLU(max_value=1.0)(np.array([[-1.0, 0.5, 2.0]])).tolist()
        [[0.0, 0.5, 1.0]]
    """

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs):
        super().__init__(GeneralReLU(max_value, negative_slope, threshold), **kwargs)

    def get_config(self) -> dict:
        return {**super().get_config(), **self.activation.get_config()}


class ELU(_ActivationLayer):
    """A = Z for Z >= 0, else alpha (e^Z - 1)."""

    def __init__(self, alpha: float = 1.0, **kwargs):
        super().__init__(_ELU(alpha), **kwargs)
        self.alpha = float(alpha)

    def get_config(self) -> dict:
        return {**super().get_config(), "alpha": self.alpha}


class Softmax(_ActivationLayer):
    """softmax over the last axis (`axis=-1`, the only axis nnlab supports)."""

    def __init__(self, axis: int = -1, **kwargs):
        if axis != -1:
            raise ValueError(
                f"Softmax(axis=...) supports only the last axis, axis=-1. Received: axis={axis!r}"
            )
        super().__init__(_Softmax(), **kwargs)
        self.axis = -1

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
