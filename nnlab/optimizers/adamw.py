"""AdamW: Adam with decoupled weight decay on by default."""

from __future__ import annotations

from nnlab.optimizers.adam import Adam


class AdamW(Adam):
    """Adam whose `weight_decay` defaults to 0.004 (Keras 3): before each Adam step,
    W = W - lr * weight_decay * W.

    Args:
        learning_rate: default 0.001.
        weight_decay: default 0.004.
        beta_1, beta_2, epsilon, amsgrad: as Adam.
    """

    name = "AdamW"

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError(
                "AdamW expects a weight_decay (default 0.004); for none use Adam. "
                "Received: weight_decay=None"
            )
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad,
                         weight_decay=weight_decay, **kwargs)
