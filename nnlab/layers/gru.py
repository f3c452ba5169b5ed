"""GRU: an update gate z mixes the old state with a candidate, h = z h + (1 - z) h~."""

from __future__ import annotations

import numpy as np

from nnlab import activations as activations_mod
from nnlab.layers.recurrent import RNN


class GRU(RNN):
    """Gated recurrent unit (Cho et al.), Keras 3's gate order z, r, h.

    Shape: X (n, T, d) -> (n, units) or (n, T, units); kernel W (d, 3 units),
    recurrent_kernel U (units, 3 units); bias (2, 3 units) with reset_after=True (an input
    bias and a recurrent bias, Keras's default), else (3 units,).

    Step (reset_after=True), with P_t = x_t W + b_in and R = h_{t-1} U + b_rec in blocks:
    z = σ(P_z + R_z), r = σ(P_r + R_r), h~ = tanh(P_h + r * R_h),
    h_t = z * h_{t-1} + (1 - z) * h~.
    With reset_after=False the reset gate acts before the product: h~ = tanh(P_h +
    (r * h_{t-1}) U_h).

    Backward of a step, given dh_t: dz = dh_t * (h_{t-1} - h~), dh~ = dh_t * (1 - z),
    dA_h = dh~ * tanh'(.), dr = dA_h * R_h, dR_h = dA_h * r, and through σ' for z and r;
    dU += h_{t-1}^T dR, dh_{t-1} = dh_t * z + dR U^T, dP_t = [dA_z, dA_r, dA_h].

    Args:
        units: size of h.
        activation: for h~, default "tanh". recurrent_activation: gates, "sigmoid".
        reset_after: default True (Keras 3 and cuDNN's variant).
        Others as SimpleRNN.
    """

    gates = 3

    def __init__(self, units: int, activation="tanh", recurrent_activation="sigmoid",
                 reset_after: bool = True, **kwargs):
        super().__init__(units, activation=activation, **kwargs)
        self.recurrent_activation = activations_mod.get(recurrent_activation)
        self.reset_after = bool(reset_after)
        if self.reset_after and self.use_bias:
            self.step_grads = ("recurrent_kernel", "bias")

    def bias_shape(self) -> tuple:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def input_bias(self):
        if not self.use_bias:
            return None
        return self.params["bias"][0] if self.reset_after else self.params["bias"]

    def input_bias_grad(self):
        return self.grads["bias"][0] if self.reset_after else self.grads["bias"]

    def step(self, P_t, states):
        (h,) = states
        u, sig, act = self.units, self.recurrent_activation, self.activation
        if self.reset_after:
            R = self.recurrent(h, slice(0, 3 * u))
            if self.use_bias:
                R = R + self.params["bias"][1]
        else:
            R = self.recurrent(h, slice(0, 2 * u))
        Az, Ar = P_t[:, :u] + R[:, :u], P_t[:, u : 2 * u] + R[:, u : 2 * u]
        z, r = sig.forward(Az), sig.forward(Ar)
        if self.reset_after:
            Rh = R[:, 2 * u :]
            Ah = P_t[:, 2 * u :] + r * Rh
        else:
            Rh = r * self._masked_h(h)  # (r * h_{t-1}) before the product with U_h
            Ah = P_t[:, 2 * u :] + Rh @ self.params["recurrent_kernel"][:, 2 * u :]
        hh = act.forward(Ah)
        return (z * h + (1 - z) * hh,), (h, Az, Ar, Ah, z, r, Rh, hh)

    def _masked_h(self, h):
        rmask = self._masks[1]
        return h if rmask is None else h * rmask[2 if len(rmask) > 1 else 0]

    def step_back(self, dstates, cache):
        (dh,) = dstates
        h, Az, Ar, Ah, z, r, Rh, hh = cache
        u, sig, act = self.units, self.recurrent_activation, self.activation
        dAh = act.backward(dh * (1 - z), Ah, hh)
        dAz = sig.backward(dh * (h - hh), Az, z)
        dh_prev = dh * z
        if self.reset_after:
            dAr = sig.backward(dAh * Rh, Ar, r)
            dR = np.concatenate([dAz, dAr, dAh * r], axis=1)
            if self.use_bias:
                self.grads["bias"][1] += dR.sum(axis=0)
            dh_prev += self.recurrent_back(dR, h, slice(0, 3 * u))
        else:
            Uh = self.params["recurrent_kernel"][:, 2 * u :]
            self.grads["recurrent_kernel"][:, 2 * u :] += Rh.T @ dAh
            dRh = dAh @ Uh.T  # gradient of r * h_masked
            dAr = sig.backward(dRh * self._masked_h(h), Ar, r)
            rmask = self._masks[1]
            dh_h = dRh * r
            dh_prev += dh_h if rmask is None else dh_h * rmask[2 if len(rmask) > 1 else 0]
            dh_prev += self.recurrent_back(np.concatenate([dAz, dAr], axis=1), h, slice(0, 2 * u))
        return np.concatenate([dAz, dAr, dAh], axis=1), (dh_prev,)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "recurrent_activation": activations_mod.serialize(self.recurrent_activation),
            "reset_after": self.reset_after,
        }
