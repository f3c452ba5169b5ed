"""Nadam: Adam with Nesterov momentum and Keras's momentum schedule."""

from __future__ import annotations

import numpy as np

from nnlab.optimizers.base import Optimizer, check_number

#: Keras's momentum-schedule decay: u_t = beta_1 (1 - 0.5 * 0.96^t).
DECAY = 0.96


class Nadam(Optimizer):
    """Nadam (Keras 3's update rule), with t = iterations + 1 and
    u_t = beta_1 (1 - 0.5 * 0.96^t), U_t = u_1 u_2 ... u_t:

        m = m + (1 - beta_1) * (g - m)
        v = v + (1 - beta_2) * (g^2 - v)
        m_hat = u_(t+1) m / (1 - U_t u_(t+1)) + (1 - u_t) g / (1 - U_t)
        v_hat = v / (1 - beta_2^t)
        W = W - lr * m_hat / (sqrt(v_hat) + epsilon)

    U_t is a function of the step count, so it is recomputed from `iterations` (a
    saved optimizer needs no extra state).

    Args:
        learning_rate: default 0.001.
        beta_1: default 0.9.
        beta_2: default 0.999.
        epsilon: default 1e-7.
    """

    name = "Nadam"

    def __init__(self, learning_rate=0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, **kwargs):
        super().__init__(learning_rate, **kwargs)
        self.beta_1 = check_number("Nadam", "beta_1", beta_1, low=0, high=1)
        self.beta_2 = check_number("Nadam", "beta_2", beta_2, low=0, high=1)
        self.epsilon = check_number("Nadam", "epsilon", epsilon, low=0)
        self._products = [1.0]  # U_0, U_1, ...: grown as steps are taken

    def _u(self, t: int) -> float:
        return self.beta_1 * (1.0 - 0.5 * DECAY**t)

    def _u_product(self, t: int) -> float:
        while len(self._products) <= t:
            self._products.append(self._products[-1] * self._u(len(self._products)))
        return self._products[t]

    def build_state(self, W):
        return {"momentum": np.zeros_like(W), "velocity": np.zeros_like(W)}

    def _update(self, W, dW, state, lr):
        t = self.iterations + 1
        u_t, u_next = self._u(t), self._u(t + 1)
        U_t = self._u_product(t)
        m, v = state["momentum"], state["velocity"]
        m += (1.0 - self.beta_1) * (dW - m)
        v += (1.0 - self.beta_2) * (dW * dW - v)
        m_hat = u_next * m / (1.0 - U_t * u_next) + (1.0 - u_t) * dW / (1.0 - U_t)
        v_hat = v / (1.0 - self.beta_2**t)
        W -= lr * m_hat / (np.sqrt(v_hat) + self.epsilon)

    def get_config(self) -> dict:
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
