"""Weight penalties with Keras 3's names and formulas (no 1/2 on L2).

    L1(l1):      penalty = l1 * sum |W|          gradient l1 * sign(W)
    L2(l2):      penalty = l2 * sum W^2          gradient 2 * l2 * W  (the lecture's rule)
    L1L2(l1, l2): both

A penalty is added in full to the loss of every batch (training and evaluation), so it
shows in `loss` and `val_loss`, and its gradient is added to the weight's gradient.
"""

from __future__ import annotations

import numpy as np


class Regularizer:
    """Base class: `penalty(W) -> float` and `grad(W) -> array` (dPenalty/dW)."""

    def penalty(self, W) -> float:
        raise NotImplementedError

    def grad(self, W):
        raise NotImplementedError

    def __call__(self, W) -> float:
        return self.penalty(np.asarray(W))

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _factor(name: str, value) -> float:
    value = float(value)
    if not np.isfinite(value) or value < 0:
        raise ValueError(
            f"Regularization factor {name} must be finite and >= 0. Received: {name}={value}"
        )
    return value


class L1L2(Regularizer):
    """l1 * sum|W| + l2 * sum W^2 (Keras defaults l1=0, l2=0)."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _factor("l1", l1)
        self.l2 = _factor("l2", l2)

    def penalty(self, W) -> float:
        p = 0.0
        if self.l1:
            p += self.l1 * float(np.abs(W).sum())
        if self.l2:
            p += self.l2 * float((W * W).sum())
        return p

    def grad(self, W):
        G = np.zeros_like(W)
        if self.l1:
            G += self.l1 * np.sign(W)
        if self.l2:
            G += (2.0 * self.l2) * W
        return G

    def get_config(self) -> dict:
        return {"l1": self.l1, "l2": self.l2}


class L1(L1L2):
    """l1 * sum|W| (Keras default l1=0.01); gradient l1 * sign(W)."""

    def __init__(self, l1: float = 0.01):
        super().__init__(l1=l1, l2=0.0)

    def get_config(self) -> dict:
        return {"l1": self.l1}


class L2(L1L2):
    """l2 * sum W^2 (Keras default l2=0.01); gradient 2 * l2 * W."""

    def __init__(self, l2: float = 0.01):
        super().__init__(l1=0.0, l2=l2)

    def get_config(self) -> dict:
        return {"l2": self.l2}


# "l1_l2" gives l1 = l2 = 0.01 (as the function l1_l2()); the class names "L1L2"/"l1l2"
# give Keras's class defaults l1 = l2 = 0.
REGULARIZERS = {
    "l1": L1,
    "l2": L2,
    "l1_l2": lambda: L1L2(0.01, 0.01),
    "l1l2": L1L2,
    "L1": L1,
    "L2": L2,
    "L1L2": L1L2,
}


def l1(l1: float = 0.01) -> L1:
    return L1(l1)


def l2(l2: float = 0.01) -> L2:
    return L2(l2)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    return L1L2(l1, l2)


def get(identifier) -> Regularizer | None:
    """Resolve a regularizer from None, a name ('l1', 'l2', 'l1_l2') or an instance."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str):
        cls = REGULARIZERS.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown regularizer {identifier!r}. Expected one of {sorted(REGULARIZERS)}."
            )
        return cls()
    raise TypeError(
        f"A regularizer must be None, a name such as 'l2', or an "
        f"nnlab.regularizers.Regularizer. Received: {identifier!r}"
    )


def serialize(reg: Regularizer | None) -> dict | None:
    return None if reg is None else {"class_name": type(reg).__name__, "config": reg.get_config()}


def deserialize(config: dict | None) -> Regularizer | None:
    if config is None:
        return None
    return {"L1": L1, "L2": L2, "L1L2": L1L2}[config["class_name"]](**config["config"])
