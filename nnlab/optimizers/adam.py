"""Adam: momentum on the gradient and on its square, with bias correction."""

from __future__ import annotations

import math

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number


class Adam(Optimizer):
    """Adam (Keras 3's update rule), with t = iterations + 1:

        m = m + (1 - beta_1) * (g - m)
        v = v + (1 - beta_2) * (g^2 - v)
        alpha = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        if amsgrad: v_hat = max(v_hat, v) and v_hat replaces v below
        W = W - alpha * m / (sqrt(v) + epsilon)

    As in Keras, epsilon is added to sqrt of the *uncorrected* v, so it acts like
    PyTorch's epsilon scaled by sqrt(1 - beta_2^t).

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
        amsgrad: keep the maximum of past v.
    """

    name = "Adam"

    def __init__(
        self,
        learning_rate=0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs,
    ):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_number("Adam", "beta_1", beta_1, low=0, high=1)
        self.beta_2 = check_number("Adam", "beta_2", beta_2, low=0, high=1)
        self.epsilon = check_number("Adam", "epsilon", epsilon, low=0)
        self.amsgrad = bool(amsgrad)

    def build_state(self, W):
        state = {"momentum": np.zeros_like(W), "velocity": np.zeros_like(W)}
        if self.amsgrad:
            state["velocity_hat"] = np.zeros_like(W)
        return state

    def _update(self, W, dW, state, lr):
        t = self.iterations + 1
        m, v = state["momentum"], state["velocity"]
        work = self.scratch(W)  # every step below reuses this buffer: no allocation
        np.subtract(dW, m, out=work)
        work *= 1.0 - self.beta_1
        m += work  # m + (1 - beta_1)(g - m)
        np.multiply(dW, dW, out=work)
        work -= v
        work *= 1.0 - self.beta_2
        v += work  # v + (1 - beta_2)(g^2 - v)
        alpha = lr * math.sqrt(1.0 - self.beta_2**t) / (1.0 - self.beta_1**t)
        if self.amsgrad:
            v_hat = state["velocity_hat"]
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, out=work)
        work += self.epsilon
        np.divide(m, work, out=work)
        work *= alpha
        W -= work  # W - alpha m / (sqrt(v) + epsilon)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
            "amsgrad": self.amsgrad,
        }
