"""LayerNormalization and UnitNormalization: normalize each sample over its features."""

from __future__ import annotations

import numpy as np

from nnlab import initializers as initializers_mod
from nnlab.layers.base import Layer


class LayerNormalization(Layer):
    """Per sample, over the last axis (C features):

        mu = mean(X);  var = mean((X - mu)^2);  X_hat = (X - mu) / sqrt(var + epsilon)
        Y = gamma * X_hat + beta

    Backward (the batch-norm formula with the roles of samples and features swapped):

        dgamma = sum_n(dY * X_hat);  dbeta = sum_n(dY);  dX_hat = dY * gamma
        dX = (dX_hat - mean(dX_hat) - X_hat * mean(dX_hat * X_hat)) / sqrt(var + epsilon)

    Args:
        axis: -1 only.
        epsilon: default 1e-3 (Keras).
        center, scale: learn beta / gamma.
    """

    def __init__(self, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer="zeros", gamma_initializer="ones",
                 **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError(f"LayerNormalization supports axis=-1 only. Received: axis={axis!r}")
        if not epsilon > 0:
            raise ValueError(f"LayerNormalization expects epsilon > 0. Received: {epsilon!r}")
        self.axis, self.epsilon = -1, float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers_mod.get(beta_initializer)
        self.gamma_initializer = initializers_mod.get(gamma_initializer)

    def build(self, input_shape) -> None:
        C = input_shape[-1]
        if self.scale:
            self.add_weight("gamma", (C,), self.gamma_initializer)
        if self.center:
            self.add_weight("beta", (C,), self.beta_initializer)

    def forward(self, X, training: bool = False):
        mu = X.mean(axis=-1, keepdims=True)
        var = ((X - mu) ** 2).mean(axis=-1, keepdims=True)
        self._inv_std = 1.0 / np.sqrt(var + self.epsilon)
        self._X_hat = (X - mu) * self._inv_std
        Y = self._X_hat * self.params["gamma"] if self.scale else self._X_hat
        return Y + self.params["beta"] if self.center else Y

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_X_hat")
        X_hat = self._X_hat
        rows = tuple(range(dY.ndim - 1))
        if self.scale:
            self.grads["gamma"][...] = (dY * X_hat).sum(axis=rows)
            dX_hat = dY * self.params["gamma"]
        else:
            dX_hat = dY
        if self.center:
            self.grads["beta"][...] = dY.sum(axis=rows)
        if not need_dX:
            return None
        m1 = dX_hat.mean(axis=-1, keepdims=True)
        m2 = (dX_hat * X_hat).mean(axis=-1, keepdims=True)
        return (dX_hat - m1 - X_hat * m2) * self._inv_std

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "center": self.center, "scale": self.scale}


class UnitNormalization(Layer):
    """Y = X / sqrt(max(sum X^2, 1e-12)) over the last axis (unit L2 norm).
    Where the norm is above 1e-6: dX = (dY - Y sum(dY Y)) / ||X||.

    Example:
        >>> import numpy as np
        >>> UnitNormalization()(np.array([[0.0, 2.0]])).tolist()
        [[0.0, 1.0]]
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError(f"UnitNormalization supports axis=-1 only. Received: axis={axis!r}")
        self.axis = -1

    def forward(self, X, training: bool = False):
        self._inv = 1.0 / np.sqrt(np.maximum((X * X).sum(axis=-1, keepdims=True), 1e-12))
        self._Y = X * self._inv
        return self._Y

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_Y")
        Y, inv = self._Y, self._inv
        free = inv < 1e6  # below the floor the map is X * 1e6, linear
        along = (dY * Y).sum(axis=-1, keepdims=True)
        return np.where(free, (dY - Y * along) * inv, dY * inv)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}
