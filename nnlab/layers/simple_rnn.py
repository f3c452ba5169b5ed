"""SimpleRNN: h_t = g(x_t W + h_{t-1} U + b), the output is every h_t or the last one."""

from __future__ import annotations

from nnlab.layers.recurrent import RNN


class SimpleRNN(RNN):
    """Fully connected recurrent layer (Elman network).

    Shape: X (n, T, d) -> (n, units), or (n, T, units) with return_sequences=True;
    kernel W (d, units), recurrent_kernel U (units, units), bias b (units,).

    Step: Z_t = P_t + h_{t-1} U with P_t = x_t W + b, h_t = g(Z_t).
    Backward through time, last step first: dZ_t = dh_t * g'(Z_t), dU += h_{t-1}^T dZ_t,
    dh_{t-1} = dZ_t U^T (plus the gradient of the output at t - 1); dP_t = dZ_t gives
    dW = X^T dP, db = sums of dP, dX = dP W^T.

    Args:
        units: size of h.
        activation: default "tanh".
        return_sequences: output every step's h (n, T, units) instead of the last.
        return_state: also return the final state h (a list [output, h]).
        go_backwards: read the sequence last step first (the output is in that order).
        dropout, recurrent_dropout: rates of the masks on x_t and on h_{t-1}, one mask
            per batch for all steps.
        Others as Dense; recurrent_initializer default "orthogonal".

    Example:
        >>> import numpy as np
        >>> rnn = SimpleRNN(1, activation="linear", kernel_initializer="ones",
        ...                 recurrent_initializer="ones")
        >>> rnn(np.array([[[1.0], [2.0], [3.0]]])).tolist()  # h = 1, 1 + 2, 3 + 3
        [[6.0]]
    """

    def step(self, P_t, states):
        (h,) = states
        Z = P_t + self.recurrent(h, slice(0, self.units))
        A = self.activation.forward(Z)
        return (A,), (h, Z, A)

    def step_back(self, dstates, cache):
        h, Z, A = cache
        dZ = self.activation.backward(dstates[0], Z, A)
        return dZ, (self.recurrent_back(dZ, h, slice(0, self.units)),)
