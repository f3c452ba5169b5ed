"""Dense: the fully connected layer, Z = X W + b, A = g(Z)."""

from __future__ import annotations

import numpy as np

from nnlab import activations as activations_mod
from nnlab import initializers as initializers_mod
from nnlab import regularizers as regularizers_mod
from nnlab.backend import gemm
from nnlab.layers.arguments import deny_constraints
from nnlab.layers.base import Layer


class Dense(Layer):
    """Fully connected layer: A = activation(X @ kernel + bias).

    Shape: X (n, ..., d_in) -> A (n, ..., units); kernel (d_in, units), bias (units,).

    Backward, in the lectures' matrix form with dZ = dA * g'(Z):
    dW = X^T dZ, db = column sums of dZ, dX = dZ W^T.

    Args:
        units: positive int, the number of neurons.
        activation: name, None (linear) or an nnlab activation.
        use_bias: whether to add the bias vector.
        kernel_initializer: default "glorot_uniform".
        bias_initializer: default "zeros".
        kernel_regularizer: penalty on the kernel (None, "l1", "l2", "l1_l2" or a
            Regularizer), added to the loss of every batch.
        bias_regularizer: penalty on the bias.

    Example:
        >>> import numpy as np
        >>> layer = Dense(2, kernel_initializer="ones")
        >>> layer(np.array([[1.0, 2.0, 3.0]])).tolist()
        [[6.0, 6.0]]
    """

    supports_masking = True

    def __init__(
        self,
        units: int,
        activation=None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise ValueError(f"Dense(units=...) expects a positive int. Received: units={units!r}")
        deny_constraints(self, kernel_constraint=kernel_constraint, bias_constraint=bias_constraint)
        super().__init__(**kwargs)
        self.units = int(units)
        self.activation = activations_mod.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_mod.get(kernel_initializer)
        self.bias_initializer = initializers_mod.get(bias_initializer)
        self.kernel_regularizer = regularizers_mod.get(kernel_regularizer)
        self.bias_regularizer = regularizers_mod.get(bias_regularizer)
        self._X = self._Z = self._A = None

    def build(self, input_shape) -> None:
        if isinstance(input_shape, list) or len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"Dense '{self.name}' needs inputs of shape (batch, ..., features) with a "
                f"known feature size. Received input shape {input_shape}. "
                "Add a Flatten layer or give Input a full shape."
            )
        d_in = input_shape[-1]
        self.add_weight(
            "kernel",
            (d_in, self.units),
            self.kernel_initializer,
            regularizer=self.kernel_regularizer,
        )
        if self.use_bias:
            self.add_weight(
                "bias", (self.units,), self.bias_initializer, regularizer=self.bias_regularizer
            )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def pre_activation(self, X, out=None):
        """Z = X W + b, a fresh array (or written into `out`, shaped (n, units)): the
        linear part of forward (diagnostics read Z here, since forward may overwrite Z
        with the activation)."""
        W = self.params["kernel"]
        # (n, d_in) @ (d_in, units); with d_in = 1 an outer product, which is the same
        # products and several times faster than a GEMM with k = 1.
        if W.shape[0] == 1 and X.shape[-1] == 1:
            Z = np.multiply(X, W, out=out)
        else:
            Z = gemm(X, W, out) if X.ndim == 2 else np.matmul(X, W, out=out)
        if self.use_bias:
            Z += self.params["bias"]
        return Z

    def forward(self, X, training: bool = False):
        return self.forward_into(X, None)

    def forward_into(self, X, Z):
        """forward, with Z = X W + b written into the array `Z` ((n, units), or None for
        a fresh one); the step plan (`nnlab.step.step_plan`) passes the same array every
        step. Z is ours, so the activation may overwrite it (ReLU, tanh: their backward
        needs only A); then _Z is A."""
        Z = self.pre_activation(X, Z)
        A = self.activation.forward_inplace(Z)
        self._X, self._Z, self._A = X, Z, A
        return A

    def backward(self, dA, need_dX: bool = True):
        if self._X is None:
            self._require_forward("_X")
        dZ = self.activation.backward(dA, self._Z, self._A)
        return self.backward_from_Z(dZ, need_dX)

    def backward_into(self, dA, dX, need_dX: bool = True):
        """backward for a dA the caller owns: dZ = dA * g'(Z) is written over dA where
        the activation has an in-place kernel (ReLU, linear), and dX into the array `dX`
        ((n, d_in)); the step plan's path."""
        if self._X is None:
            self._require_forward("_X")
        dZ = self.activation.backward_inplace(dA, self._Z, self._A)
        return self.backward_from_Z(dZ, need_dX, dX)

    def backward_from_Z(self, dZ, need_dX: bool = True, out=None):
        """The linear part of backward, given dZ (used by the fused output + loss);
        dX is written into `out` when given."""
        if self._X is None:
            self._require_forward("_X")
        X, W = self._X, self.params["kernel"]
        if X.ndim == 2:
            X2, dZ2 = X, dZ
        else:  # extra middle axes: every position is one more sample for W
            X2, dZ2 = X.reshape(-1, X.shape[-1]), dZ.reshape(-1, dZ.shape[-1])
        gemm(X2.T, dZ2, out=self.grads["kernel"])  # (d_in, n) @ (n, units)
        if self.use_bias:
            np.add.reduce(dZ2, axis=0, out=self.grads["bias"])
        if not need_dX:
            return None
        if W.shape[1] == 1:  # one unit: dX is the outer product dZ w^T (GEMM with k = 1 is slow)
            return np.multiply(dZ, W.T, out=out)
        # (n, units) @ (units, d_in)
        return gemm(dZ, W.T, out) if dZ.ndim == 2 else np.matmul(dZ, W.T, out=out)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "units": self.units,
            "activation": activations_mod.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers_mod.serialize(self.kernel_initializer),
            "bias_initializer": initializers_mod.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers_mod.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers_mod.serialize(self.bias_regularizer),
        }
