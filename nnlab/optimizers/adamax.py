"""Adamax: Adam with the infinity norm in place of the squared-gradient average."""

from __future__ import annotations

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number


class Adamax(Optimizer):
    """Adamax (Keras 3's update rule), with t = iterations + 1:

        m = m + (1 - beta_1) * (g - m)
        u = max(beta_2 * u, |g|)
        W = W - lr * m / ((1 - beta_1^t) * (u + epsilon))

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
    """

    name = "Adamax"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_number("Adamax", "beta_1", beta_1, low=0, high=1)
        self.beta_2 = check_number("Adamax", "beta_2", beta_2, low=0, high=1)
        self.epsilon = check_number("Adamax", "epsilon", epsilon, low=0)

    def build_state(self, W):
        return {"m": np.zeros_like(W), "u": np.zeros_like(W)}

    def _update(self, W, dW, state, lr):
        t = self.iterations + 1
        m, u = state["m"], state["u"]
        m += (1.0 - self.beta_1) * (dW - m)
        np.maximum(self.beta_2 * u, np.abs(dW), out=u)
        W -= lr * m / ((1.0 - self.beta_1**t) * (u + self.epsilon))

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
