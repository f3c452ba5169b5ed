"""Stochastic gradient descent, with momentum and Nesterov momentum."""

from __future__ import annotations

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number


class SGD(Optimizer):
    """Gradient descent (Keras 3's update rule):

        if momentum == 0:  W = W - lr * g
        else:              v = momentum * v - lr * g           # v starts at 0
                           W = W + v                          # plain momentum
                           W = W + momentum * v - lr * g      # nesterov=True

    Whether this is full-batch, mini-batch or online SGD is set by `fit(batch_size=)`.

    Args:
        learning_rate: default 0.01.
        momentum: in [0, 1], default 0.
        nesterov: use Nesterov momentum.
    """

    name = "SGD"

    def __init__(self, learning_rate=0.01, momentum: float = 0.0, nesterov: bool = False, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.momentum = check_number("SGD", "momentum", momentum, low=0, high=1)
        self.nesterov = bool(nesterov)

    def build_state(self, W):
        return {"momentum": np.zeros_like(W)} if self.momentum else {}

    def _update(self, W, dW, state, lr):
        step = np.multiply(dW, lr, out=self.scratch(W))  # lr * g, in a reused buffer
        if not self.momentum:
            W -= step
            return
        v = state["momentum"]
        v *= self.momentum
        v -= step
        if self.nesterov:  # W + momentum * v - lr * g
            W -= step
            W += np.multiply(v, self.momentum, out=step)
        else:
            W += v

    def get_config(self) -> dict:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
