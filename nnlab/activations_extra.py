"""More of Keras 3's activations, each a forward beside its derivative.

gelu (exact and tanh forms), selu, swish/silu, softsign, hard_sigmoid, hard_swish /
hard_silu, exponential, relu6, mish and log_softmax, plus the general `relu` of
`keras.layers.ReLU` (max_value, negative_slope, threshold). Registered in
`nnlab.activations.ACTIVATIONS` by name.
"""

from __future__ import annotations

import math

import numpy as np

from nnlab import activations as _activations
from nnlab.activations import Activation
from nnlab.backend import xp


def expit(Z):
    """SciPy's logistic sigmoid, loaded on first use (see `nnlab.activations.expit`)."""
    return _activations.expit(Z)


def erf(Z):
    """SciPy's error function, imported on first use (scipy.special is slow to import)."""
    from scipy.special import erf as scipy_erf

    return scipy_erf(Z)

#: SELU's constants (Klambauer et al. 2017), as Keras.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_C = 0.044715


class GELU(Activation):
    """Gaussian error linear unit. Exact: A = Z Phi(Z) with Phi the standard normal CDF,
    g'(Z) = Phi(Z) + Z phi(Z). `approximate=True`: A = Z (1 + tanh(u)) / 2 with
    u = sqrt(2/pi) (Z + 0.044715 Z^3). Keras's default is the exact form."""

    name = "gelu"

    def __init__(self, approximate: bool = False):
        self.approximate = bool(approximate)

    def forward(self, Z):
        if self.approximate:
            return 0.5 * Z * (1.0 + xp.tanh(_SQRT_2_OVER_PI * (Z + _GELU_C * Z**3)))
        return 0.5 * Z * (1.0 + erf(Z / math.sqrt(2.0)))

    def backward(self, dA, Z, A):
        if self.approximate:
            t = xp.tanh(_SQRT_2_OVER_PI * (Z + _GELU_C * Z**3))
            du = _SQRT_2_OVER_PI * (1.0 + 3.0 * _GELU_C * Z * Z)
            return dA * (0.5 * (1.0 + t) + 0.5 * Z * (1.0 - t * t) * du)
        cdf = 0.5 * (1.0 + erf(Z / math.sqrt(2.0)))
        pdf = xp.exp(-0.5 * Z * Z) / math.sqrt(2.0 * math.pi)
        return dA * (cdf + Z * pdf)

    def get_config(self) -> dict:
        return {"approximate": self.approximate}


class SELU(Activation):
    """A = scale Z for Z > 0, else scale alpha (e^Z - 1); g' = scale or A + scale alpha."""

    name = "selu"

    def forward(self, Z):
        neg = (SELU_SCALE * SELU_ALPHA) * xp.expm1(xp.minimum(Z, 0))
        return xp.where(Z > 0, SELU_SCALE * Z, neg).astype(Z.dtype, copy=False)

    def backward(self, dA, Z, A):
        slope = xp.where(Z > 0, SELU_SCALE, A + SELU_SCALE * SELU_ALPHA)
        return dA * slope.astype(dA.dtype, copy=False)


class Swish(Activation):
    """A = Z sigmoid(Z) (also `silu`); g' = s + Z s (1 - s)."""

    name = "swish"

    def forward(self, Z):
        return Z * expit(Z)

    def backward(self, dA, Z, A):
        s = expit(Z)
        return dA * (s + Z * s * (1.0 - s))


class Softsign(Activation):
    """A = Z / (|Z| + 1); g' = 1 / (|Z| + 1)^2."""

    name = "softsign"

    def forward(self, Z):
        return Z / (xp.abs(Z) + 1.0)

    def backward(self, dA, Z, A):
        d = xp.abs(Z) + 1.0
        return dA / (d * d)


class HardSigmoid(Activation):
    """Keras 3's piecewise-linear sigmoid: A = clip(Z / 6 + 1/2, 0, 1); g' = 1/6 on
    (-3, 3), else 0."""

    name = "hard_sigmoid"

    def forward(self, Z):
        return xp.clip(Z / 6.0 + 0.5, 0.0, 1.0)

    def backward(self, dA, Z, A):
        return dA * (((Z > -3.0) & (Z < 3.0)) / 6.0)


class HardSwish(Activation):
    """A = Z hard_sigmoid(Z) (also `hard_silu`); g' = hard_sigmoid(Z) + Z/6 on (-3, 3)."""

    name = "hard_swish"

    def forward(self, Z):
        return Z * xp.clip(Z / 6.0 + 0.5, 0.0, 1.0)

    def backward(self, dA, Z, A):
        inside = (Z > -3.0) & (Z < 3.0)
        return dA * (xp.clip(Z / 6.0 + 0.5, 0.0, 1.0) + Z * inside / 6.0)


class Exponential(Activation):
    """A = e^Z; g' = A."""

    name = "exponential"

    def forward(self, Z):
        return xp.exp(Z)

    def backward(self, dA, Z, A):
        return dA * A


class ReLU6(Activation):
    """A = min(max(Z, 0), 6); g' = 1 on (0, 6)."""

    name = "relu6"

    def forward(self, Z):
        return xp.clip(Z, 0.0, 6.0)

    def backward(self, dA, Z, A):
        return dA * ((Z > 0) & (Z < 6.0))


class Mish(Activation):
    """A = Z tanh(softplus(Z)); g' = t + Z (1 - t^2) sigmoid(Z) with t = tanh(softplus(Z))."""

    name = "mish"

    def forward(self, Z):
        return Z * xp.tanh(xp.logaddexp(Z, 0))

    def backward(self, dA, Z, A):
        t = xp.tanh(xp.logaddexp(Z, 0))
        return dA * (t + Z * (1.0 - t * t) * expit(Z))


class LogSoftmax(Activation):
    """A = Z - logsumexp(Z) over the last axis; dZ = dA - softmax(Z) sum(dA)."""

    name = "log_softmax"

    def forward(self, Z):
        S = Z - Z.max(axis=-1, keepdims=True)
        return S - xp.log(xp.exp(S).sum(axis=-1, keepdims=True))

    def backward(self, dA, Z, A):
        return dA - xp.exp(A) * dA.sum(axis=-1, keepdims=True)


class GeneralReLU(Activation):
    """Keras's relu with options, as `keras.layers.ReLU` computes it:
    A = max_value where Z >= max_value; Z where threshold <= Z < max_value;
    negative_slope (Z - threshold) below the threshold. g' is 1, 0 or negative_slope."""

    name = "general_relu"

    def __init__(self, max_value=None, negative_slope: float = 0.0, threshold: float = 0.0):
        if max_value is not None and not max_value >= 0:
            raise ValueError(f"ReLU expects max_value >= 0. Received: max_value={max_value!r}")
        if not negative_slope >= 0:
            raise ValueError(
                f"ReLU expects negative_slope >= 0. Received: negative_slope={negative_slope!r}"
            )
        self.max_value = None if max_value is None else float(max_value)
        self.negative_slope = float(negative_slope)
        self.threshold = float(threshold)

    def forward(self, Z):
        below = self.negative_slope * (Z - self.threshold) if self.negative_slope else 0.0
        A = xp.where(Z >= self.threshold, Z, below)
        if self.max_value is not None:
            A = xp.where(Z >= self.max_value, self.max_value, A)
        return A.astype(Z.dtype, copy=False)

    def backward(self, dA, Z, A):
        slope = xp.where(Z >= self.threshold, 1.0, self.negative_slope)
        if self.max_value is not None:
            slope = xp.where(Z >= self.max_value, 0.0, slope)
        return dA * slope.astype(dA.dtype, copy=False)

    def get_config(self) -> dict:
        return {
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }


CLASSES = (
    GELU, SELU, Swish, Softsign, HardSigmoid, HardSwish, Exponential, ReLU6, Mish, LogSoftmax,
    GeneralReLU,
)
#: Keras's second names for the same functions.
ALIASES = {"silu": Swish, "hard_silu": HardSwish}


def _apply(cls, x, **kwargs):
    Z = np.asarray(x)
    return cls(**kwargs).forward(Z if Z.dtype.kind == "f" else Z.astype(np.float64))


def gelu(x, approximate: bool = False):
    return _apply(GELU, x, approximate=approximate)


def selu(x):
    return _apply(SELU, x)


def swish(x):
    return _apply(Swish, x)


silu = swish


def softsign(x):
    return _apply(Softsign, x)


def hard_sigmoid(x):
    return _apply(HardSigmoid, x)


def hard_swish(x):
    return _apply(HardSwish, x)


hard_silu = hard_swish


def exponential(x):
    return _apply(Exponential, x)


def relu6(x):
    return _apply(ReLU6, x)


def mish(x):
    return _apply(Mish, x)


def log_softmax(x):
    return _apply(LogSoftmax, x)
