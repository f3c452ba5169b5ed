"""The cross-entropies: binary, categorical and sparse categorical.

Each works from probabilities P (clipped to [EPS, 1 - EPS], as Keras's NumPy backend)
or from logits Z in the stable log-sum-exp form. Each declares its fused activation
and that its gradient through it is A - Y; the training step's fused kernels are in
`nnlab.step.fused_loss`.
"""

from __future__ import annotations

import numpy as np

from nnlab import activations
from nnlab.backend import EPS, xp
from nnlab.loss_base import Loss, check_smoothing

__all__ = ["BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy"]


class BinaryCrossentropy(Loss):
    """L_i = mean_k -[Y log p + (1 - Y) log(1 - p)], per label (so multi-label works).

    Probabilities are clipped to [EPS, 1 - EPS]. From logits Z:
    L_i = mean_k [max(Z, 0) - Z Y + log(1 + e^-|Z|)], gradient (sigmoid(Z) - Y) / k.
    `label_smoothing` ls replaces Y by Y (1 - ls) + ls / 2.
    """

    name = "binary_crossentropy"
    fused_activation = "sigmoid"
    grad_is_a_minus_y = True

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        name=None,
        reduction="sum_over_batch_size",
    ):
        super().__init__(name, reduction)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_smoothing(label_smoothing)
        activations.load_expit()  # for the gradient from logits: now, not in the first fit

    def _smooth(self, Y):
        ls = self.label_smoothing
        return Y * (1.0 - ls) + 0.5 * ls if ls else Y

    def forward(self, Y, P):
        Y = self._smooth(Y)
        p = xp.clip(P, EPS, 1.0 - EPS)
        return -(Y * xp.log(p) + (1.0 - Y) * xp.log(1.0 - p)).mean(axis=-1)

    def backward(self, Y, P):
        Y = self._smooth(Y)
        p = xp.clip(P, EPS, 1.0 - EPS)
        inside = (P >= EPS) & (P <= 1.0 - EPS)
        return (p - Y) / (p * (1.0 - p)) * inside * (1.0 / P.shape[-1])

    def forward_logits(self, Y, Z, A=None):
        # -[Y log sigmoid(Z) + (1 - Y) log(1 - sigmoid(Z))] = log(1 + e^Z) - Y Z
        # (already 3 operations: sigmoid(Z) = A would not make it cheaper)
        L = xp.logaddexp(0, Z)
        L -= self._smooth(Y) * Z
        return L[..., 0] if L.shape[-1] == 1 else L.mean(axis=-1)

    def backward_logits(self, Y, Z, A=None):
        A = activations.expit(Z) if A is None else A
        return (A - self._smooth(Y)) * (1.0 / Z.shape[-1])

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class CategoricalCrossentropy(Loss):
    """L_i = -sum_k Y_k log p_k for one-hot (or soft) targets Y.

    Probabilities are renormalized to sum to 1 and clipped to [EPS, 1 - EPS] (Keras).
    From logits Z: L_i = sum_k Y_k (logsumexp(Z) - Z_k), gradient sum(Y) softmax(Z) - Y,
    which is the lectures' (P - Y) for one-hot Y. `label_smoothing` ls replaces Y by
    Y (1 - ls) + ls / C.
    """

    name = "categorical_crossentropy"
    fused_activation = "softmax"
    grad_is_a_minus_y = True

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        name=None,
        reduction="sum_over_batch_size",
    ):
        super().__init__(name, reduction)
        self.from_logits = bool(from_logits)
        self.label_smoothing = check_smoothing(label_smoothing)

    def _smooth(self, Y):
        ls = self.label_smoothing
        return Y * (1.0 - ls) + ls / Y.shape[-1] if ls else Y

    def forward(self, Y, P):
        Y = self._smooth(Y)
        p = xp.clip(P / P.sum(axis=-1, keepdims=True), EPS, 1.0 - EPS)
        return -(Y * xp.log(p)).sum(axis=-1)

    def backward(self, Y, P):
        Y = self._smooth(Y)
        S = P.sum(axis=-1, keepdims=True)
        p = P / S
        G = -Y / xp.clip(p, EPS, 1.0 - EPS) * ((p >= EPS) & (p <= 1.0 - EPS))  # dL/dp
        # p = P / S, so dL/dP_m = (G_m - sum_j G_j p_j) / S.
        return (G - (G * p).sum(axis=-1, keepdims=True)) / S

    def forward_logits(self, Y, Z, A=None):
        """From logits Z; `A = softmax(Z)` if already at hand (the fused output).

        log A equals log_softmax(Z) up to rounding as long as no probability has
        underflowed to 0, so the cheaper log A is used then; otherwise the exact
        log-sum-exp form, which stays finite for any logits.
        """
        Y = self._smooth(Y)
        if A is not None and A.min() > 0:
            return -(Y * xp.log(A)).sum(axis=-1)
        return -(Y * activations.log_softmax(Z)).sum(axis=-1)

    def backward_logits(self, Y, Z, A=None):
        Y = self._smooth(Y)
        A = activations.softmax(Z) if A is None else A
        return A * Y.sum(axis=-1, keepdims=True) - Y

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "label_smoothing": self.label_smoothing,
        }


class SparseCategoricalCrossentropy(CategoricalCrossentropy):
    """Categorical cross-entropy with integer class labels of shape (N,) or (N, 1)."""

    name = "sparse_categorical_crossentropy"
    sparse_targets = True
    grad_is_a_minus_y = True  # labels become one-hot targets: the same math

    def __init__(self, from_logits: bool = False, name=None, reduction="sum_over_batch_size"):
        super().__init__(from_logits=from_logits, name=name, reduction=reduction)

    def prepare_targets(self, Y, P):
        Y = xp.asarray(Y)
        if Y.ndim == P.ndim and Y.shape[-1] == 1:
            Y = Y[..., 0]
        if Y.shape != P.shape[:-1]:
            raise ValueError(
                "sparse_categorical_crossentropy expects integer labels of shape "
                f"{P.shape[:-1]} (or with a trailing 1) for predictions of shape "
                f"{P.shape}. Received labels of shape {Y.shape}. For one-hot targets "
                "use 'categorical_crossentropy'."
            )
        labels = Y.astype(np.int64)
        C = P.shape[-1]
        if labels.size and (labels.min() < 0 or labels.max() >= C or np.any(labels != Y)):
            raise ValueError(
                f"sparse_categorical_crossentropy expects integer labels in [0, {C}). "
                f"Received values from {Y.min()} to {Y.max()}."
            )
        onehot = xp.zeros(P.shape, dtype=P.dtype)
        np.put_along_axis(onehot, labels[..., None], 1.0, axis=-1)
        return onehot

    def get_config(self) -> dict:
        return {"from_logits": self.from_logits, "name": self.name, "reduction": self.reduction}
