"""Adadelta: step sizes from running averages of squared gradients and updates."""

from __future__ import annotations

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number


class Adadelta(Optimizer):
    """Adadelta (Keras 3's update rule):

        E_g  = rho * E_g + (1 - rho) * g^2
        dx   = -sqrt(E_dx + epsilon) / sqrt(E_g + epsilon) * g
        E_dx = rho * E_dx + (1 - rho) * dx^2
        W    = W + lr * dx

    Args:
        learning_rate: default 0.001 (Keras's default; the original paper uses 1.0).
        rho: default 0.95.
        epsilon: default 1e-7.
    """

    name = "Adadelta"

    def __init__(self, learning_rate=0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_number("Adadelta", "rho", rho, low=0, high=1)
        self.epsilon = check_number("Adadelta", "epsilon", epsilon, low=0)

    def build_state(self, W):
        return {"accumulated_grad": np.zeros_like(W), "accumulated_delta_var": np.zeros_like(W)}

    def _update(self, W, dW, state, lr):
        rho, eps = self.rho, self.epsilon
        E_g, E_dx = state["accumulated_grad"], state["accumulated_delta_var"]
        E_g *= rho
        E_g += (1.0 - rho) * dW * dW
        dx = -np.sqrt(E_dx + eps) / np.sqrt(E_g + eps) * dW
        E_dx *= rho
        E_dx += (1.0 - rho) * dx * dx
        W += lr * dx

    def get_config(self) -> dict:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
