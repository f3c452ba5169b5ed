"""Lion: a step of fixed size lr in the direction of the sign of an interpolated momentum."""

from __future__ import annotations

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number


class Lion(Optimizer):
    """Lion (Chen et al. 2023; Keras 3's update rule):

        W = W - lr * sign(beta_1 * m + (1 - beta_1) * g)
        m = beta_2 * m + (1 - beta_2) * g

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9, in (0, 1].
        beta_2: default 0.99, in (0, 1].
    """

    name = "Lion"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.99, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_number("Lion", "beta_1", beta_1, low=0, high=1, low_open=True)
        self.beta_2 = check_number("Lion", "beta_2", beta_2, low=0, high=1, low_open=True)

    def build_state(self, W):
        return {"momentum": np.zeros_like(W)}

    def _update(self, W, dW, state, lr):
        m = state["momentum"]
        W -= lr * np.sign(self.beta_1 * m + (1.0 - self.beta_1) * dW)
        m *= self.beta_2
        m += (1.0 - self.beta_2) * dW

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
