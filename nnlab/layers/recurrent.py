"""The recurrent loop shared by SimpleRNN, LSTM and GRU, and backpropagation through time.

Inputs X (n, T, d) are read one step at a time. The input's part of every step is one
GEMM for all steps at once, P = X W + b (n, T, gates * units); each cell then adds its
recurrent part h_{t-1} U and computes its new states (`step`). Backward runs the steps
in reverse (`step_back`), each returning dP_t and the gradient of the previous states,
and finishes with the input part: dW = X^T dP, db = sums of dP, dX = dP W^T.

Masks (from `Embedding(mask_zero=True)`): at a masked step a sample's states are carried
over unchanged and its output is the previous output (zeros before the first one), as
in Keras; backward sends the gradient of a masked step straight to the previous step.
Dropout (`dropout` on inputs, `recurrent_dropout` on h_{t-1}) draws one mask per batch,
the same for every step; with recurrent_dropout, one mask per gate (Keras's rule).
"""

from __future__ import annotations

import numpy as np

from nnlab import activations as activations_mod
from nnlab import initializers as initializers_mod
from nnlab import regularizers as regularizers_mod
from nnlab.layers.arguments import deny_constraints
from nnlab.layers.dropout import RandomLayer
from nnlab.layers.multi_output import output_gradients


def _rate(value, name: str, owner: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ValueError(f"{owner}({name}=...) expects a number in [0, 1). Received: {value!r}")
    return float(value)


class RNN(RandomLayer):
    """Base of the recurrent layers (Keras 3's arguments; see SimpleRNN, LSTM, GRU).

    Subclasses set `gates` (blocks of `units` columns in the kernels), `n_states`, and
    write `step` / `step_back` in the lectures' notation.
    """

    gates = 1
    n_states = 1
    supports_masking = True
    #: gradients that step_back adds to at every step (zeroed before the loop)
    step_grads = ("recurrent_kernel",)

    def __init__(
        self,
        units: int,
        activation="tanh",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        seed: int | None = None,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        zero_output_for_mask: bool = False,
        **kwargs,
    ):
        owner = type(self).__name__
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units < 1:
            raise ValueError(f"{owner}(units=...) expects a positive int. Received: {units!r}")
        if stateful:
            raise ValueError(
                f"{owner}: stateful=True is not supported by nnlab (states are not kept "
                "between batches). Pass the states explicitly with initial_state=... instead."
            )
        deny_constraints(
            self,
            kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint,
        )
        super().__init__(seed=seed, **kwargs)
        self.units = int(units)
        self.activation = activations_mod.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.recurrent_initializer = initializers_mod.get(recurrent_initializer)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers_mod.get(recurrent_regularizer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self.dropout = _rate(dropout, "dropout", owner)
        self.recurrent_dropout = _rate(recurrent_dropout, "recurrent_dropout", owner)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.unroll = bool(unroll)  # accepted for Keras code; the loop is the same either way
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.input_mask = None  # set by the model before forward when a mask flows in
        self._cache = None
        self._masks = (None, None)

    def __call__(self, inputs, initial_state=None, mask=None, training: bool = False):
        """As Layer.__call__, plus Keras's `initial_state` (a list of state tensors or
        arrays) and, on arrays, an explicit `mask` (n, steps) of steps to read."""
        if initial_state is not None:
            states = initial_state if isinstance(initial_state, (list, tuple)) else [initial_state]
            inputs = [inputs, *states]
        if mask is not None:
            self.input_mask = mask
        return super().__call__(inputs, training=training)

    # -- shapes and weights -------------------------------------------------------------
    def _split_shape(self, input_shape):
        if isinstance(input_shape, list):
            return input_shape[0], input_shape[1:]
        return input_shape, []

    def build(self, input_shape) -> None:
        shape, states = self._split_shape(input_shape)
        if len(shape) != 3 or shape[-1] is None:
            raise ValueError(
                f"{type(self).__name__} '{self.name}' needs inputs of shape (batch, steps, "
                f"features). Received input shape {shape}. Reshape 2-D data to "
                "(batch, steps, 1) for one feature per step."
            )
        if states and (len(states) != self.n_states or any(s[1:] != (self.units,) for s in states)):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': initial_state must be {self.n_states} "
                f"array(s) of shape (batch, {self.units}). Received shapes {states}."
            )
        d, width = shape[-1], self.gates * self.units
        self.add_weight(
            "kernel", (d, width), self.kernel_initializer, True, self.kernel_regularizer
        )
        self.add_weight(
            "recurrent_kernel",
            (self.units, width),
            self.recurrent_initializer,
            True,
            self.recurrent_regularizer,
        )
        if self.use_bias:
            self.add_weight("bias", self.bias_shape(), self.bias_init, True, self.bias_regularizer)

    def bias_shape(self) -> tuple:
        return (self.gates * self.units,)

    def bias_init(self, shape, dtype):
        return self.bias_initializer(shape, dtype)

    def compute_output_shape(self, input_shape):
        shape, _ = self._split_shape(input_shape)
        n, T = shape[0], shape[1]
        out = (n, T, self.units) if self.return_sequences else (n, self.units)
        if self.return_state:
            return [out] + [(n, self.units)] * self.n_states
        return out

    def compute_mask(self, mask):
        return mask if self.return_sequences else None

    # -- the parts every cell uses --------------------------------------------------------
    def input_bias(self):
        """The bias added to the input part P (GRU with reset_after keeps a second one)."""
        return self.params["bias"] if self.use_bias else None

    def recurrent(self, h, cols: slice):
        """(h * recurrent-dropout mask) U for the gate columns `cols` (n, width)."""
        U = self.params["recurrent_kernel"][:, cols]
        rmask = self._masks[1]
        if rmask is None:
            return h @ U
        u = self.units
        first = cols.start // u
        blocks = range(first, first + U.shape[1] // u)
        return np.concatenate(
            [(h * rmask[g]) @ U[:, (g - first) * u : (g - first + 1) * u] for g in blocks], axis=1
        )

    def recurrent_back(self, dR, h, cols: slice):
        """Backward of `recurrent`: adds to dU's columns `cols`, returns dh."""
        U = self.params["recurrent_kernel"][:, cols]
        dU = self.grads["recurrent_kernel"][:, cols]
        rmask = self._masks[1]
        if rmask is None:
            dU += h.T @ dR  # (units, n) @ (n, width)
            return dR @ U.T
        u = self.units
        first = cols.start // u
        dh = np.zeros_like(h)
        for k in range(U.shape[1] // u):
            part = slice(k * u, (k + 1) * u)
            m = rmask[first + k]
            dU[:, part] += (h * m).T @ dR[:, part]
            dh += (dR[:, part] @ U[:, part].T) * m
        return dh

    # -- dropout masks ----------------------------------------------------------------------
    def _draw_masks(self, n: int, d: int, dtype, training: bool):
        if not training or (self.dropout == 0 and self.recurrent_dropout == 0):
            return None, None
        if self._held and any(m is not None for m in self._masks):
            return self._masks
        per_gate = self.gates if self.recurrent_dropout > 0 else 1

        def draw(rate, width):
            if rate == 0:
                return None
            keep = self._rng.random((per_gate, n, width)) >= rate
            return keep.astype(dtype) * dtype.type(1.0 / (1.0 - rate))

        return draw(self.dropout, d), draw(self.recurrent_dropout, self.units)

    def _project(self, X):
        """P = (X * input mask) W + b for every step at once: (n, T, gates * units)."""
        n, T, d = X.shape
        W, dmask = self.params["kernel"], self._masks[0]
        if dmask is None:
            P = (X.reshape(-1, d) @ W).reshape(n, T, -1)
        elif len(dmask) == 1:
            P = ((X * dmask[0][:, None, :]).reshape(-1, d) @ W).reshape(n, T, -1)
        else:
            u = self.units
            P = np.concatenate(
                [
                    ((X * m[:, None, :]).reshape(-1, d) @ W[:, g * u : (g + 1) * u]).reshape(
                        n, T, u
                    )
                    for g, m in enumerate(dmask)
                ],
                axis=2,
            )
        b = self.input_bias()
        if b is not None:
            P += b
        return P

    def _project_back(self, dP, X):
        n, T, d = X.shape
        W, dW, dmask = self.params["kernel"], self.grads["kernel"], self._masks[0]
        dP2 = dP.reshape(n * T, -1)
        b = self.input_bias()
        if b is not None:
            self.input_bias_grad()[...] = dP2.sum(axis=0)
        if dmask is None or len(dmask) == 1:
            Xd = X if dmask is None else X * dmask[0][:, None, :]
            dW[...] = Xd.reshape(-1, d).T @ dP2
            dX = (dP2 @ W.T).reshape(n, T, d)
            return dX if dmask is None else dX * dmask[0][:, None, :]
        u, dX = self.units, np.zeros_like(X)
        for g, m in enumerate(dmask):
            cols = slice(g * u, (g + 1) * u)
            dW[:, cols] = (X * m[:, None, :]).reshape(-1, d).T @ dP2[:, cols]
            dX += (dP2[:, cols] @ W[:, cols].T).reshape(n, T, d) * m[:, None, :]
        return dX

    def input_bias_grad(self):
        return self.grads["bias"]

    # -- the loop ---------------------------------------------------------------------------
    def forward(self, inputs, training: bool = False):
        X, init = (inputs[0], list(inputs[1:])) if isinstance(inputs, list) else (inputs, [])
        n, T, d = X.shape
        mask = self._step_mask(n, T, X.dtype)
        self._masks = self._draw_masks(n, d, X.dtype, training)
        P = self._project(X)
        states = tuple(init) or tuple(
            np.zeros((n, self.units), X.dtype) for _ in range(self.n_states)
        )
        order = range(T - 1, -1, -1) if self.go_backwards else range(T)
        prev_out = np.zeros((n, self.units), X.dtype)
        outs, caches = [], []
        for t in order:
            new_states, cache = self.step(P[:, t], states)
            if mask is not None:  # masked samples keep their states and last output
                m = mask[:, t, None]
                keep = 0.0 if self.zero_output_for_mask else (1 - m) * prev_out
                prev_out = m * new_states[0] + keep
                new_states = tuple(m * s + (1 - m) * s0 for s, s0 in zip(new_states, states))
            else:
                prev_out = new_states[0]
            outs.append(prev_out)
            caches.append(cache)
            states = new_states
        self._cache = (X, mask, caches, len(init))
        out = np.stack(outs, axis=1) if self.return_sequences else prev_out
        return [out, *states] if self.return_state else out

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_cache")
        X, mask, caches, n_init = self._cache
        n, T, _ = X.shape
        zeros = np.zeros((n, self.units), X.dtype)
        if self.return_state:
            grads = output_gradients(dY, 1 + self.n_states)
            dOut, *dStates = (zeros if g is None else g for g in grads)
        else:
            dOut, dStates = dY, [zeros] * self.n_states
        dstates = list(dStates)
        for name in self.step_grads:  # summed over the steps below
            self.grads[name].fill(0)
        dP = np.empty(X.shape[:2] + (self.gates * self.units,), X.dtype)
        order = list(range(T - 1, -1, -1) if self.go_backwards else range(T))
        carry = zeros
        for k in range(T - 1, -1, -1):  # processing steps, last first
            t = order[k]
            g_out = dOut[:, k] if self.return_sequences else (dOut if k == T - 1 else zeros)
            g_out = g_out + carry
            if mask is not None:
                m = mask[:, t, None]
                skip = [(1 - m) * ds for ds in dstates]
                carry = zeros if self.zero_output_for_mask else (1 - m) * g_out
                dnew = [m * (dstates[0] + g_out)] + [m * ds for ds in dstates[1:]]
            else:
                skip, carry = None, zeros
                dnew = [dstates[0] + g_out] + dstates[1:]
            dP[:, t], dprev = self.step_back(dnew, caches[k])
            dstates = list(dprev) if skip is None else [a + b for a, b in zip(dprev, skip)]
        dX = self._project_back(dP, X)
        if n_init:
            return [dX, *dstates]
        return dX if need_dX else None

    def _step_mask(self, n: int, T: int, dtype):
        mask, self.input_mask = self.input_mask, None
        if mask is None:
            return None
        mask = np.asarray(mask)
        if mask.shape != (n, T):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': the mask must have shape (batch, steps) "
                f"= {(n, T)}. Received {mask.shape}."
            )
        return mask.astype(dtype)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations_mod.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
            "recurrent_initializer": initializers_mod.serialize(self.recurrent_initializer),
            "bias_initializer": initializers_mod.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers_mod.serialize(self.kernel_regularizer),
            "recurrent_regularizer": regularizers_mod.serialize(self.recurrent_regularizer),
            "bias_regularizer": regularizers_mod.serialize(self.bias_regularizer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
        }

