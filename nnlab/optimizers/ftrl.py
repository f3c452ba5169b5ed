"""FTRL-Proximal ("Follow The Regularized Leader"), as Keras 3 implements it."""

from __future__ import annotations

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al. 2013; Keras 3's update rule). With p = lr_power,
    the accumulator n starting at `initial_accumulator_value` and z at 0:

        l2 = l2_regularization_strength + beta / (2 lr)
        g2 = g + 2 * l2_shrinkage_regularization_strength * W
        n_new = n + g^2
        z = z + g2 - (n_new^(-p) - n^(-p)) / lr * W
        q = n_new^(-p) / lr + 2 * l2
        W = (clip(z, -l1, l1) - z) / q
        n = n_new

    Args:
        learning_rate: default 0.001.
        learning_rate_power: p <= 0, default -0.5.
        initial_accumulator_value: >= 0, default 0.1.
        l1_regularization_strength, l2_regularization_strength,
        l2_shrinkage_regularization_strength, beta: >= 0, default 0.
    """

    name = "Ftrl"

    def __init__(
        self,
        learning_rate=0.001,
        learning_rate_power: float = -0.5,
        initial_accumulator_value: float = 0.1,
        l1_regularization_strength: float = 0.0,
        l2_regularization_strength: float = 0.0,
        l2_shrinkage_regularization_strength: float = 0.0,
        beta: float = 0.0,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.learning_rate_power = check_number(
            "Ftrl", "learning_rate_power", learning_rate_power, high=0
        )
        self.initial_accumulator_value = check_number(
            "Ftrl", "initial_accumulator_value", initial_accumulator_value, low=0
        )
        self.l1_regularization_strength = check_number(
            "Ftrl", "l1_regularization_strength", l1_regularization_strength, low=0
        )
        self.l2_regularization_strength = check_number(
            "Ftrl", "l2_regularization_strength", l2_regularization_strength, low=0
        )
        self.l2_shrinkage_regularization_strength = check_number(
            "Ftrl", "l2_shrinkage_regularization_strength",
            l2_shrinkage_regularization_strength, low=0,
        )
        self.beta = check_number("Ftrl", "beta", beta, low=0)

    def build_state(self, W):
        return {
            "accumulator": np.full_like(W, self.initial_accumulator_value),
            "linear": np.zeros_like(W),
        }

    def _update(self, W, dW, state, lr):
        n, z = state["accumulator"], state["linear"]
        p = self.learning_rate_power
        l1 = self.l1_regularization_strength
        l2 = self.l2_regularization_strength + self.beta / (2.0 * lr)
        g2 = dW + 2.0 * self.l2_shrinkage_regularization_strength * W
        n_new = n + dW * dW
        z += g2 - (n_new ** (-p) - n ** (-p)) / lr * W
        q = n_new ** (-p) / lr + 2.0 * l2
        W[...] = (np.clip(z, -l1, l1) - z) / q
        n[...] = n_new

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "learning_rate_power": self.learning_rate_power,
            "initial_accumulator_value": self.initial_accumulator_value,
            "l1_regularization_strength": self.l1_regularization_strength,
            "l2_regularization_strength": self.l2_regularization_strength,
            "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
            "beta": self.beta,
        }
