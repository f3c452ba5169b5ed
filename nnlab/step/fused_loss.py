"""The fused output + loss path: the loss and dL/dZ of the output layer in one call.

For softmax or sigmoid paired with its cross-entropy, dL/dZ = (A - Y) / n: one call
returns the loss and that gradient, skipping dL/dA and the activation's backward.
`compile` decides per output whether it is fused (`Model.output_losses()`), and
`Model.batch_loss` calls `fused_output_loss` for those outputs.

A loss takes part through what it declares (`nnlab.loss_base.Loss`):
`fused_activation` names the activation it pairs with, and `grad_is_a_minus_y` states
that through it the gradient is A - Y. Then the short kernels below apply; otherwise
(and with sample weights or label smoothing) the loss's own `forward_logits` and
`backward_logits` give the value and the gradient, with the usual reduction.

`unit_rows` is checked once per fit: whether every target row sums to exactly 1, so
that the softmax kernel can use A - Y instead of A * sum(Y) - Y (one row sum fewer
per batch).

Measurement: the fused path and `unit_rows` together: penguins 56 -> 48 us/step,
digits 151 -> 139, iris 84 -> 73 (in-session, commit 6203f14).
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import xp
from nnlab.loss_reductions import reduce, reduce_grad

__all__ = ["fused_output_loss", "unit_rows"]


def fused_output_loss(loss, Y, Z, A, sample_weight=None, unit_rows: bool = False):
    """The reduced loss (a float) and its gradient with respect to the output layer's
    pre-activation Z, given Z and the output A = f(Z).

    Args:
        loss: a Loss whose `fused_activation` is the output layer's activation.
        Y: the targets, shaped like A.
        Z, A: the output layer's pre-activation and activation.
        sample_weight: per-sample weights (n,) or None.
        unit_rows: a promise that every row of Y sums to exactly 1 (one-hot or
            probability targets).

    Returns:
        (value, dZ).

    Example:
        >>> from nnlab.losses import CategoricalCrossentropy
        >>> Z = np.array([[0.0, 0.0]]); A = np.array([[0.5, 0.5]]); Y = np.array([[1.0, 0.0]])
        >>> value, dZ = fused_output_loss(CategoricalCrossentropy(), Y, Z, A, unit_rows=True)
        >>> round(value, 6), dZ.tolist()
        (0.693147, [[-0.5, 0.5]])
    """
    if loss.grad_is_a_minus_y and sample_weight is None and not _smoothed(loss):
        kernel = _KERNELS.get(loss.fused_activation)
        result = None if kernel is None else kernel(Y, Z, A, unit_rows)
        if result is not None:
            return result
    L = loss.forward_logits(Y, Z, A)
    G = loss.backward_logits(Y, Z, A)
    return float(reduce(L, sample_weight)), reduce_grad(G, L.size, sample_weight)


def _smoothed(loss) -> bool:
    return bool(getattr(loss, "label_smoothing", 0.0))


def softmax_cross_entropy(Y, Z, A, unit_rows: bool):
    """-sum(Y log A) / n as one dot product, and the gradient (A - Y) / n, with
    A * sum(Y) - Y in place of A - Y unless every target row sums to 1. None when a
    probability has underflowed to 0 (then log A is not finite: the general path)."""
    if not xp.minimum.reduce(A, None) > 0:
        return None
    n = max(A.size // A.shape[-1], 1)
    value = -float(np.vdot(Y, xp.log(A))) / n
    G = A - Y if unit_rows else A * Y.sum(axis=-1, keepdims=True) - Y
    G *= 1.0 / n
    return value, G


def sigmoid_cross_entropy(Y, Z, A, unit_rows: bool):
    """Mean of log(1 + e^Z) - Y Z over every entry, and its gradient (A - Y) / Z.size."""
    L = xp.logaddexp(0, Z)
    L -= Y * Z
    G = A - Y
    G *= 1.0 / max(Z.size, 1)
    return float(L.sum()) / max(L.size, 1), G


_KERNELS = {"softmax": softmax_cross_entropy, "sigmoid": sigmoid_cross_entropy}


def unit_rows(model, Y_list: list) -> list[bool]:
    """For each output trained through the fused path: whether every target row sums
    to exactly 1, which lets the softmax kernel skip one row sum per batch.

    Example:
        >>> from nnlab.layers import Dense, Input
        >>> from nnlab.models import Sequential
        >>> model = Sequential([Input(shape=(2,)), Dense(2, activation="softmax")])
        >>> model.compile(optimizer="sgd", loss="categorical_crossentropy")
        >>> unit_rows(model, [np.eye(2)])
        [True]
    """
    return [
        bool(fused and Y.ndim >= 1 and np.all(np.add.reduce(Y, axis=-1) == 1))
        for (*_, fused), Y in zip(model.output_losses(), Y_list)
    ]
