"""LSTM: a cell state c carried by gates, h = o * tanh(c)."""

from __future__ import annotations

import numpy as np

from nnlab import activations as activations_mod
from nnlab.layers.recurrent import RNN


class LSTM(RNN):
    """Long short-term memory (Hochreiter & Schmidhuber), Keras 3's gate order i, f, c, o.

    Shape: X (n, T, d) -> (n, units) or (n, T, units); kernel W (d, 4 units),
    recurrent_kernel U (units, 4 units), bias (4 units,); states h and c, (n, units) each.

    Step, with A = P_t + h_{t-1} U split into four blocks and σ the recurrent activation:
    i = σ(A_i), f = σ(A_f), g = tanh(A_c), o = σ(A_o);
    c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t).

    Backward of a step, given dh_t and dc_t (from step t + 1):
    do = dh_t * tanh(c_t);  dc = dc_t + dh_t * o * tanh'(c_t);
    df = dc * c_{t-1}, di = dc * g, dg = dc * i, dc_{t-1} = dc * f;
    dA = [di σ'(A_i), df σ'(A_f), dg tanh'(A_c), do σ'(A_o)];
    dU += h_{t-1}^T dA, dh_{t-1} = dA U^T, dP_t = dA.

    Args:
        units: size of h and c.
        activation: for g and tanh(c), default "tanh".
        recurrent_activation: for the gates, default "sigmoid".
        unit_forget_bias: start the forget gate's bias at 1 (default True), as Keras.
        Others as SimpleRNN.
    """

    gates = 4
    n_states = 2

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 unit_forget_bias: bool = True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations_mod.get(recurrent_activation)
        self.unit_forget_bias = bool(unit_forget_bias)

    def bias_init(self, shape, dtype):
        if not self.unit_forget_bias:
            return self.bias_initializer(shape, dtype)
        u = self.units
        return np.concatenate(
            [
                self.bias_initializer((u,), dtype),
                np.ones((u,), dtype),
                self.bias_initializer((2 * u,), dtype),
            ]
        )

    def step(self, P_t, states):
        h, c = states
        u, sig, act = self.units, self.recurrent_activation, self.activation
        A = P_t + self.recurrent(h, slice(0, 4 * u))
        i, f = sig.forward(A[:, :u]), sig.forward(A[:, u : 2 * u])
        g, o = act.forward(A[:, 2 * u : 3 * u]), sig.forward(A[:, 3 * u :])
        c_new = f * c + i * g
        tc = act.forward(c_new)
        return (o * tc, c_new), (h, c, A, i, f, g, o, c_new, tc)

    def step_back(self, dstates, cache):
        dh, dc = dstates
        h, c, A, i, f, g, o, c_new, tc = cache
        u, sig, act = self.units, self.recurrent_activation, self.activation
        do = dh * tc
        dc = dc + act.backward(dh * o, c_new, tc)
        dA = np.concatenate(
            [
                sig.backward(dc * g, A[:, :u], i),
                sig.backward(dc * c, A[:, u : 2 * u], f),
                act.backward(dc * i, A[:, 2 * u : 3 * u], g),
                sig.backward(do, A[:, 3 * u :], o),
            ],
            axis=1,
        )
        return dA, (self.recurrent_back(dA, h, slice(0, 4 * u)), dc * f)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "recurrent_activation": activations_mod.serialize(self.recurrent_activation),
            "unit_forget_bias": self.unit_forget_bias,
        }
