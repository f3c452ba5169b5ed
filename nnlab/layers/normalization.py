"""BatchNormalization: normalize each feature over the batch, then scale and shift."""

from __future__ import annotations

import numpy as np

from nnlab import initializers as initializers_mod
from nnlab import regularizers as regularizers_mod
from nnlab.layers.arguments import deny_constraints
from nnlab.layers.base import Layer


class BatchNormalization(Layer):
    """Batch normalization (seed 003's algorithm, Keras 3's defaults).

    Training (over the batch, per feature along `axis`):

        mu = mean(X);  var = mean((X - mu)^2)          (biased variance)
        X_hat = (X - mu) / sqrt(var + epsilon)
        Y = gamma * X_hat + beta
        moving_mean = momentum * moving_mean + (1 - momentum) * mu
        moving_variance = momentum * moving_variance + (1 - momentum) * var

    Inference (or `trainable=False`): the same with the moving statistics.

    Backward through the batch statistics, with m samples per feature:

        dgamma = sum(dY * X_hat);  dbeta = sum(dY);  dX_hat = dY * gamma
        dX = (m dX_hat - sum(dX_hat) - X_hat sum(dX_hat * X_hat)) / (m sqrt(var + eps))

    Shape: X (n, ..., C) -> Y (n, ..., C); gamma, beta, moving stats (C,).

    Args:
        axis: the feature axis (default -1).
        momentum: weight of the old moving value (0.99; PyTorch's 0.1 is 1 - this).
        epsilon: added to the variance (1e-3).
        center, scale: learn beta / gamma.
    """

    def __init__(
        self,
        axis: int = -1,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        beta_initializer="zeros",
        gamma_initializer="ones",
        moving_mean_initializer="zeros",
        moving_variance_initializer="ones",
        beta_regularizer=None,
        gamma_regularizer=None,
        beta_constraint=None,
        gamma_constraint=None,
        **kwargs,
    ):
        deny_constraints(self, beta_constraint=beta_constraint, gamma_constraint=gamma_constraint)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(
                f"BatchNormalization expects momentum in [0, 1]. Received: momentum={momentum!r}"
            )
        if not epsilon > 0:
            raise ValueError(
                f"BatchNormalization expects epsilon > 0. Received: epsilon={epsilon!r}"
            )
        super().__init__(**kwargs)
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_initializer = initializers_mod.get(beta_initializer)
        self.gamma_initializer = initializers_mod.get(gamma_initializer)
        self.moving_mean_initializer = initializers_mod.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers_mod.get(moving_variance_initializer)
        self.beta_regularizer = regularizers_mod.get(beta_regularizer)
        self.gamma_regularizer = regularizers_mod.get(gamma_regularizer)
        self._X_hat = None

    def build(self, input_shape) -> None:
        rank = len(input_shape)
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(
                f"BatchNormalization '{self.name}': axis={self.axis} is not a feature axis of "
                f"inputs with shape {input_shape}."
            )
        C = input_shape[self.axis]
        if C is None:
            raise ValueError(
                f"BatchNormalization '{self.name}' needs a known size on axis {self.axis}. "
                f"Received input shape {input_shape}."
            )
        self._axis = self.axis % rank
        self._reduce = tuple(i for i in range(rank) if i != self._axis)
        if self.scale:
            self.add_weight(
                "gamma", (C,), self.gamma_initializer, regularizer=self.gamma_regularizer
            )
        if self.center:
            self.add_weight("beta", (C,), self.beta_initializer, regularizer=self.beta_regularizer)
        self.add_weight("moving_mean", (C,), self.moving_mean_initializer, trainable=False)
        self.add_weight("moving_variance", (C,), self.moving_variance_initializer, trainable=False)

    def _shape(self, v, ndim: int):
        """A (C,) vector shaped to broadcast along the feature axis."""
        shape = [1] * ndim
        shape[self._axis] = v.shape[0]
        return v.reshape(shape)

    def forward(self, X, training: bool = False):
        nd = X.ndim
        if training and self.trainable:
            mu = X.mean(axis=self._reduce)
            var = ((X - self._shape(mu, nd)) ** 2).mean(axis=self._reduce)
            m = self.momentum
            self.state["moving_mean"] *= m
            self.state["moving_mean"] += (1.0 - m) * mu
            self.state["moving_variance"] *= m
            self.state["moving_variance"] += (1.0 - m) * var
            self._batch_stats = True
        else:
            mu, var = self.state["moving_mean"], self.state["moving_variance"]
            self._batch_stats = False
        inv_std = 1.0 / np.sqrt(var + self.epsilon)
        X_hat = (X - self._shape(mu, nd)) * self._shape(inv_std, nd)
        self._X_hat, self._inv_std = X_hat, inv_std
        self._mu, self._var = mu, var
        Y = X_hat
        if self.scale:
            Y = Y * self._shape(self.params["gamma"], nd)
        if self.center:
            Y = Y + self._shape(self.params["beta"], nd)
        return Y.astype(X.dtype, copy=False)

    @property
    def statistics(self) -> dict | None:
        """What the last forward normalized with: `mean`, `variance` (of the batch, or
        the moving ones at inference), `inv_std` = 1 / sqrt(variance + epsilon), `X_hat`,
        and `from_batch` (True when the batch's own statistics were used)."""
        if self._X_hat is None:
            return None
        return {
            "mean": self._mu,
            "variance": self._var,
            "inv_std": self._inv_std,
            "X_hat": self._X_hat,
            "from_batch": self._batch_stats,
        }

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_X_hat")
        X_hat, nd, r = self._X_hat, dY.ndim, self._reduce
        if self.scale:
            (dY * X_hat).sum(axis=r, out=self.grads["gamma"])
            dX_hat = dY * self._shape(self.params["gamma"], nd)
        else:
            dX_hat = dY
        if self.center:
            dY.sum(axis=r, out=self.grads["beta"])
        if not need_dX:
            return None
        inv_std = self._shape(self._inv_std, nd)
        if not self._batch_stats:  # moving statistics are constants
            return dX_hat * inv_std
        m = dY.size // dY.shape[self._axis]
        s1 = self._shape(dX_hat.sum(axis=r), nd)
        s2 = self._shape((dX_hat * X_hat).sum(axis=r), nd)
        return (dX_hat - s1 / m - X_hat * (s2 / m)) * inv_std

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_regularizer": regularizers_mod.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers_mod.serialize(self.gamma_regularizer),
        }
