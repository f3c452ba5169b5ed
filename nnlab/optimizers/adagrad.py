"""Adagrad: per-parameter learning rates from the sum of squared gradients."""

from __future__ import annotations

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number


class Adagrad(Optimizer):
    """Adagrad (Keras 3's update rule):

        a = a + g^2                              # a starts at initial_accumulator_value
        W = W - lr * g / sqrt(a + epsilon)

    Args:
        learning_rate: default 0.001.
        initial_accumulator_value: default 0.1.
        epsilon: default 1e-7 (inside the square root, as Keras).
    """

    name = "Adagrad"

    def __init__(
        self,
        learning_rate=0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.initial_accumulator_value = check_number(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, low=0
        )
        self.epsilon = check_number("Adagrad", "epsilon", epsilon, low=0)

    def build_state(self, W):
        return {"accumulator": np.full_like(W, self.initial_accumulator_value)}

    def _update(self, W, dW, state, lr):
        a = state["accumulator"]
        a += dW * dW
        W -= lr * dW / np.sqrt(a + self.epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }
