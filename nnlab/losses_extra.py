"""More of Keras 3's losses, each a per-sample forward beside its derivative dL_i/dP.

log_cosh, poisson, cosine_similarity, squared_hinge, categorical_hinge,
binary_focal_crossentropy, categorical_focal_crossentropy,
mean_absolute_percentage_error and mean_squared_logarithmic_error. Registered in
`nnlab.losses.LOSSES` under Keras's names and aliases. EPS is Keras's epsilon 1e-7.
"""

from __future__ import annotations

import math

import numpy as np

from nnlab.activations_extra import expit
from nnlab.backend import EPS, xp
from nnlab.loss_base import Loss, check_smoothing
from nnlab.losses import Hinge


class LogCosh(Loss):
    """L_i = mean_k log(cosh(e)), e = P - Y, computed as e + softplus(-2e) - log 2;
    dL_i/dP = tanh(e) / k."""

    name = "log_cosh"

    def forward(self, Y, P):
        E = P - Y
        return (E + xp.logaddexp(0.0, -2.0 * E) - math.log(2.0)).mean(axis=-1)

    def backward(self, Y, P):
        return xp.tanh(P - Y) / P.shape[-1]


class Poisson(Loss):
    """L_i = mean_k (P - Y log(P + EPS)); dL_i/dP = (1 - Y / (P + EPS)) / k."""

    name = "poisson"

    def forward(self, Y, P):
        return (P - Y * xp.log(P + EPS)).mean(axis=-1)

    def backward(self, Y, P):
        return (1.0 - Y / (P + EPS)) / P.shape[-1]


def _unit(X):
    """X / max(||X||, EPS) over the last axis (Keras's l2 normalize), and the norm."""
    n = xp.sqrt((X * X).sum(axis=-1, keepdims=True))
    return X / xp.maximum(n, EPS), n


class CosineSimilarity(Loss):
    """L_i = -sum_k y_hat p_hat with both rows scaled to unit length (so -1 is best).
    With n = ||P|| > EPS: dL_i/dP = -(y_hat - (y_hat . p_hat) p_hat) / n.

    Args:
        axis: only -1, the last axis.
    """

    name = "cosine_similarity"

    def __init__(self, axis: int = -1, name: str | None = None, reduction="sum_over_batch_size"):
        if axis != -1:
            raise ValueError(f"CosineSimilarity supports axis=-1 only. Received: axis={axis!r}")
        super().__init__(name, reduction=reduction)
        self.axis = -1

    def forward(self, Y, P):
        return -(_unit(Y)[0] * _unit(P)[0]).sum(axis=-1)

    def backward(self, Y, P):
        y_hat = _unit(Y)[0]
        p_hat, n = _unit(P)
        along = (y_hat * p_hat).sum(axis=-1, keepdims=True)
        big = n > EPS
        return -xp.where(big, (y_hat - along * p_hat) / xp.where(big, n, 1.0), y_hat / EPS)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


class SquaredHinge(Loss):
    """L_i = mean_k max(1 - Y P, 0)^2, {0, 1} labels mapped to {-1, 1} as in hinge."""

    name = "squared_hinge"

    def forward(self, Y, P):
        m = xp.maximum(1.0 - Hinge.signed_targets(Y) * P, 0.0)
        return (m * m).mean(axis=-1)

    def backward(self, Y, P):
        Y = Hinge.signed_targets(Y)
        return -2.0 * Y * xp.maximum(1.0 - Y * P, 0.0) / P.shape[-1]


class CategoricalHinge(Loss):
    """L_i = max(max_k((1 - Y) P) - sum_k(Y P) + 1, 0) for one-hot Y; where positive,
    dL_i/dP = onehot(argmax (1 - Y) P) (1 - Y) - Y."""

    name = "categorical_hinge"

    def forward(self, Y, P):
        pos = (Y * P).sum(axis=-1)
        neg = ((1.0 - Y) * P).max(axis=-1)
        return xp.maximum(neg - pos + 1.0, 0.0)

    def backward(self, Y, P):
        R = (1.0 - Y) * P
        top = np.zeros_like(P)
        np.put_along_axis(top, R.argmax(axis=-1)[..., None], 1.0, axis=-1)
        active = (self.forward(Y, P) > 0)[..., None]
        return (top * (1.0 - Y) - Y) * active


class BinaryFocalCrossentropy(Loss):
    """Focal loss for binary labels: with p_t = Y p + (1 - Y)(1 - p) and the clipped
    binary cross-entropy b, L_i = mean_k w (1 - p_t)^gamma b, where w = Y alpha +
    (1 - Y)(1 - alpha) if apply_class_balancing else 1. From logits p = sigmoid(Z).

    dL/dp = w [-gamma (1 - p_t)^(gamma - 1) (2Y - 1) b + (1 - p_t)^gamma db/dp] / k,
    db/dp = (p - Y) / (p (1 - p)) inside the clip, 0 outside.
    """

    name = "binary_focal_crossentropy"

    def __init__(
        self,
        apply_class_balancing: bool = False,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        name: str | None = None,
        reduction="sum_over_batch_size",
    ):
        super().__init__(name, reduction=reduction)
        if not gamma >= 0:
            raise ValueError(f"BinaryFocalCrossentropy expects gamma >= 0. Received: {gamma!r}")
        self.apply_class_balancing = bool(apply_class_balancing)
        self.alpha, self.gamma = float(alpha), float(gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_smoothing(label_smoothing)

    def _parts(self, Y, P):
        ls = self.label_smoothing
        Y = Y * (1.0 - ls) + 0.5 * ls if ls else Y
        p = xp.clip(P, EPS, 1.0 - EPS)
        bce = -(Y * xp.log(p) + (1.0 - Y) * xp.log(1.0 - p))
        p_t = Y * P + (1.0 - Y) * (1.0 - P)
        w = Y * self.alpha + (1.0 - Y) * (1.0 - self.alpha) if self.apply_class_balancing else 1.0
        return Y, p, bce, 1.0 - p_t, w

    def forward(self, Y, P):
        Y, p, bce, q, w = self._parts(Y, P)
        return (w * q**self.gamma * bce).mean(axis=-1)

    def backward(self, Y, P):
        Y, p, bce, q, w = self._parts(Y, P)
        inside = (P >= EPS) & (P <= 1.0 - EPS)
        dbce = (p - Y) / (p * (1.0 - p)) * inside
        g = self.gamma
        dq = -(2.0 * Y - 1.0)  # d(1 - p_t)/dP
        dfocal = g * q ** (g - 1.0) * dq if g else 0.0
        return w * (dfocal * bce + q**g * dbce) / P.shape[-1]

    def forward_logits(self, Y, Z, A=None):
        return self.forward(Y, expit(Z) if A is None else A)

    def backward_logits(self, Y, Z, A=None):
        A = expit(Z) if A is None else A
        return self.backward(Y, A) * A * (1.0 - A)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "apply_class_balancing": self.apply_class_balancing,
            "alpha": self.alpha,
            "gamma": self.gamma,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalFocalCrossentropy(Loss):
    """Focal loss for one-hot labels: p renormalized to sum to 1 and clipped to
    [EPS, 1 - EPS], L_i = sum_k alpha (1 - p_k)^gamma (-Y_k log p_k). From logits
    p = softmax(Z).

    dL/dp_k = alpha Y_k [gamma (1 - p_k)^(gamma - 1) log p_k - (1 - p_k)^gamma / p_k]
    inside the clip, then through the renormalization as categorical cross-entropy.
    """

    name = "categorical_focal_crossentropy"

    def __init__(
        self,
        alpha: float = 0.25,
        gamma: float = 2.0,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        name: str | None = None,
        reduction="sum_over_batch_size",
    ):
        super().__init__(name, reduction=reduction)
        if not gamma >= 0:
            raise ValueError(
                f"CategoricalFocalCrossentropy expects gamma >= 0. Received: {gamma!r}"
            )
        self.alpha, self.gamma = float(alpha), float(gamma)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_smoothing(label_smoothing)

    def _smooth(self, Y):
        ls = self.label_smoothing
        return Y * (1.0 - ls) + ls / Y.shape[-1] if ls else Y

    def forward(self, Y, P):
        Y = self._smooth(Y)
        p = xp.clip(P / P.sum(axis=-1, keepdims=True), EPS, 1.0 - EPS)
        return (self.alpha * (1.0 - p) ** self.gamma * -(Y * xp.log(p))).sum(axis=-1)

    def backward(self, Y, P):
        Y = self._smooth(Y)
        S = P.sum(axis=-1, keepdims=True)
        q = P / S
        p = xp.clip(q, EPS, 1.0 - EPS)
        g = self.gamma
        dfocal = g * (1.0 - p) ** (g - 1.0) * xp.log(p) if g else 0.0
        G = self.alpha * Y * (dfocal - (1.0 - p) ** g / p) * ((q >= EPS) & (q <= 1.0 - EPS))
        return (G - (G * q).sum(axis=-1, keepdims=True)) / S

    def forward_logits(self, Y, Z, A=None):
        return self.forward(Y, _softmax(Z) if A is None else A)

    def backward_logits(self, Y, Z, A=None):
        A = _softmax(Z) if A is None else A
        dA = self.backward(Y, A)
        return A * (dA - (dA * A).sum(axis=-1, keepdims=True))

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "alpha": self.alpha,
            "gamma": self.gamma,
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


def _softmax(Z):
    E = xp.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


class MeanAbsolutePercentageError(Loss):
    """L_i = 100 mean_k |Y - P| / max(|Y|, EPS); dL_i/dP = 100 sign(P - Y) / max(|Y|, EPS) / k."""

    name = "mean_absolute_percentage_error"

    def forward(self, Y, P):
        return 100.0 * (xp.abs(Y - P) / xp.maximum(xp.abs(Y), EPS)).mean(axis=-1)

    def backward(self, Y, P):
        return 100.0 * xp.sign(P - Y) / xp.maximum(xp.abs(Y), EPS) / P.shape[-1]


class MeanSquaredLogarithmicError(Loss):
    """L_i = mean_k (log(max(P, EPS) + 1) - log(max(Y, EPS) + 1))^2;
    dL_i/dP = 2 (that difference) / (max(P, EPS) + 1) / k where P > EPS, else 0."""

    name = "mean_squared_logarithmic_error"

    def forward(self, Y, P):
        D = xp.log(xp.maximum(P, EPS) + 1.0) - xp.log(xp.maximum(Y, EPS) + 1.0)
        return (D * D).mean(axis=-1)

    def backward(self, Y, P):
        Pc = xp.maximum(P, EPS)
        D = xp.log(Pc + 1.0) - xp.log(xp.maximum(Y, EPS) + 1.0)
        return 2.0 * D / (Pc + 1.0) * (P > EPS) / P.shape[-1]


CLASSES = (
    LogCosh, Poisson, CosineSimilarity, SquaredHinge, CategoricalHinge, BinaryFocalCrossentropy,
    CategoricalFocalCrossentropy, MeanAbsolutePercentageError, MeanSquaredLogarithmicError,
)
#: Keras's string names (`losses.get`) for these classes.
NAMES = {
    "log_cosh": LogCosh,
    "logcosh": LogCosh,
    "poisson": Poisson,
    "cosine_similarity": CosineSimilarity,
    "squared_hinge": SquaredHinge,
    "categorical_hinge": CategoricalHinge,
    "binary_focal_crossentropy": BinaryFocalCrossentropy,
    "categorical_focal_crossentropy": CategoricalFocalCrossentropy,
    "mean_absolute_percentage_error": MeanAbsolutePercentageError,
    "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": MeanSquaredLogarithmicError,
    "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError,
}
