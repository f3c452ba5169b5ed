"""RMSprop: divide the gradient by a running root mean square of recent gradients."""

from __future__ import annotations

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number


class RMSprop(Optimizer):
    """RMSprop (Keras 3's update rule):

        s = rho * s + (1 - rho) * g^2
        if centered:  m_g = rho * m_g + (1 - rho) * g;  D = s - m_g^2 + epsilon
        else:         D = s + epsilon
        step = lr * g / sqrt(D)
        if momentum:  m = momentum * m + step;  W = W - m
        else:         W = W - step

    Args:
        learning_rate: default 0.001.
        rho: default 0.9.
        momentum: default 0.
        epsilon: default 1e-7 (inside the square root, as Keras).
        centered: subtract the running mean of g.
    """

    name = "RMSprop"

    def __init__(
        self,
        learning_rate=0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.rho = check_number("RMSprop", "rho", rho, low=0, high=1)
        self.momentum = check_number("RMSprop", "momentum", momentum, low=0, high=1)
        self.epsilon = check_number("RMSprop", "epsilon", epsilon, low=0)
        self.centered = bool(centered)

    def build_state(self, W):
        state = {"velocity": np.zeros_like(W)}
        if self.centered:
            state["average_gradient"] = np.zeros_like(W)
        if self.momentum:
            state["momentum"] = np.zeros_like(W)
        return state

    def _update(self, W, dW, state, lr):
        rho = self.rho
        s = state["velocity"]
        s *= rho
        s += (1.0 - rho) * dW * dW
        D = s + self.epsilon
        if self.centered:
            m_g = state["average_gradient"]
            m_g *= rho
            m_g += (1.0 - rho) * dW
            D -= m_g * m_g
        step = lr * dW / np.sqrt(D)
        if self.momentum:
            m = state["momentum"]
            m *= self.momentum
            m += step
            W -= m
        else:
            W -= step

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
