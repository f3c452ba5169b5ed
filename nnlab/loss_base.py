"""The base class every nnlab loss builds on, and what the losses share.

A loss gives per-sample values `forward(Y, P)` and their derivative `backward(Y, P)`;
`Loss` adds the reduction, Keras's call form and the config. The concrete losses are in
`nnlab.losses` (and `nnlab.losses_crossentropy`, `nnlab.losses_extra`).
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import xp
from nnlab.loss_reductions import REDUCTIONS, reduce_gradient, reduce_values

__all__ = ["Loss", "check_smoothing"]


class Loss:
    """Base class. Subclasses define `forward(Y, P)` and `backward(Y, P)`.

    Calling a loss object, `loss(y_true, y_pred, sample_weight=None)`, returns the
    reduced scalar as in Keras.
    """

    name = "loss"
    #: The output activation whose pairing with this loss is fused: the training step
    #: then takes dL/dZ from `forward_logits` / `backward_logits` given Z and A
    #: (`nnlab.step.fused_loss`).
    fused_activation: str | None = None
    #: A declared fact: through `fused_activation` this loss's gradient is A - Y (times
    #: sum(Y) per row), so the step's short kernel may compute value and gradient.
    #: Each class states it for itself; a subclass does not inherit it (one that
    #: changes the loss's math must not get the kernel), so a subclass that keeps
    #: the math declares it again.
    grad_is_a_minus_y: bool = False
    #: True when targets are integer class indices rather than arrays like y_pred.
    sparse_targets = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.grad_is_a_minus_y = bool(cls.__dict__.get("grad_is_a_minus_y", False))

    def __init__(self, name: str | None = None, reduction="sum_over_batch_size"):
        if name is not None:
            self.name = name
        if reduction not in REDUCTIONS:
            raise ValueError(
                f"Invalid value for argument `reduction`. Expected one of {REDUCTIONS}. "
                f"Received: reduction={reduction!r}"
            )
        self.reduction = reduction

    def reduce_values(self, L, sample_weight=None):
        """The reduced loss under `self.reduction` (see nnlab.loss_reductions)."""
        return reduce_values(L, sample_weight, self.reduction)

    def reduce_gradient(self, dL, L, sample_weight=None):
        """The derivative of `reduce_values` given the unreduced derivative dL_i/dP."""
        return reduce_gradient(dL, L, sample_weight, self.reduction)

    @property
    def uses_logits(self) -> bool:
        return bool(getattr(self, "from_logits", False))

    def forward(self, Y, P):
        raise NotImplementedError

    def backward(self, Y, P):
        raise NotImplementedError

    def prepare_targets(self, Y, P):
        """Bring y_true to P's shape where Keras does (rank rule, integer labels)."""
        Y = xp.asarray(Y)
        if Y.ndim == P.ndim - 1 and P.shape[-1] == 1:
            Y = Y[..., None]
        elif Y.ndim == P.ndim + 1 and Y.shape[-1] == 1:
            Y = Y[..., 0]
        return Y.astype(P.dtype, copy=False)

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        P = xp.asarray(y_pred)
        if P.dtype.kind != "f":
            P = P.astype(np.float64)
        Y = self.prepare_targets(y_true, P)
        L = self.forward_logits(Y, P) if self.uses_logits else self.forward(Y, P)
        value = self.reduce_values(L, sample_weight)
        return float(value) if np.ndim(value) == 0 else value

    def get_config(self) -> dict:
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def check_smoothing(ls) -> float:
    """label_smoothing as a float in [0, 1]; a ValueError otherwise."""
    if not 0.0 <= ls <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1]. Received: {ls!r}")
    return float(ls)
