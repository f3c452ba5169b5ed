"""Losses with Keras 3's names, per-sample formulas and reduction.

Each loss computes per-sample values `L_i` over the last axis (`forward`) and their
derivative with respect to the prediction (`backward`, returning dL_i/dP, unreduced).
The reduction is Keras's "sum_over_batch_size": L = sum_i s_i L_i / N, with sample
weights s (default 1) left out of the divisor; `reduce` applies it to both.

Cross-entropies can also work from logits Z (`forward_logits`/`backward_logits`), in
the stable log-sum-exp form with the lectures' gradient (P - Y). The training loop uses
that form, fused, whenever the output layer ends in the matching activation (softmax for
categorical, sigmoid for binary): it is the exact gradient of the same loss, never takes
log(0), and stays finite for huge logits. This matches Keras with the TensorFlow backend
(which also reads the logits behind a softmax/sigmoid output); the plain probability
path below clips p to [EPS, 1 - EPS] as Keras's NumPy backend does.

The base class is in `nnlab.loss_base`, the cross-entropies in
`nnlab.losses_crossentropy`, more of Keras's losses in `nnlab.losses_extra`; all are
imported here, and `get` resolves their names.
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import EPS, xp
from nnlab.loss_base import Loss
from nnlab.loss_reductions import (  # noqa: F401  (reduce, reduce_grad: public here too)
    REDUCTIONS,
    reduce,
    reduce_grad,
    reduce_gradient,
    reduce_values,
)
from nnlab.losses_crossentropy import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
)


class MeanSquaredError(Loss):
    """L_i = mean_k (P - Y)^2; dL_i/dP = 2 (P - Y) / k."""

    name = "mean_squared_error"

    def forward(self, Y, P):
        E = P - Y
        return (E * E).mean(axis=-1)

    def backward(self, Y, P):
        return (P - Y) * (2.0 / P.shape[-1])


class MeanAbsoluteError(Loss):
    """L_i = mean_k |P - Y| (the L1 loss); dL_i/dP = sign(P - Y) / k."""

    name = "mean_absolute_error"

    def forward(self, Y, P):
        return xp.abs(P - Y).mean(axis=-1)

    def backward(self, Y, P):
        return xp.sign(P - Y) * (1.0 / P.shape[-1])


class Huber(Loss):
    """Quadratic for small errors, linear for large: with e = P - Y,
    L_i = mean_k (e^2 / 2 if |e| <= delta else delta |e| - delta^2 / 2);
    dL_i/dP = clip(e, -delta, delta) / k."""

    name = "huber_loss"

    def __init__(
        self, delta: float = 1.0, name: str | None = None, reduction="sum_over_batch_size"
    ):
        if not delta > 0:
            raise ValueError(f"Huber expects delta > 0. Received: delta={delta!r}")
        super().__init__(name, reduction)
        self.delta = float(delta)

    def forward(self, Y, P):
        E = xp.abs(P - Y)
        q = xp.minimum(E, self.delta)
        return (0.5 * q * q + self.delta * (E - q)).mean(axis=-1)

    def backward(self, Y, P):
        return xp.clip(P - Y, -self.delta, self.delta) * (1.0 / P.shape[-1])

    def get_config(self) -> dict:
        return {**super().get_config(), "delta": self.delta}


class Hinge(Loss):
    """L_i = mean_k max(1 - Y P, 0), with {0, 1} labels first mapped to {-1, 1}."""

    name = "hinge"

    @staticmethod
    def signed_targets(Y):
        """Targets as -1 / +1, as the hinge losses read them: 0 / 1 labels become
        2Y - 1, anything else is taken as given. SquaredHinge shares it.

        Example:
            >>> Hinge.signed_targets(np.array([0.0, 1.0])).tolist()
            [-1.0, 1.0]
        """
        if Y.size and xp.all((Y == 0) | (Y == 1)):
            return 2.0 * Y - 1.0
        return Y

    def forward(self, Y, P):
        return xp.maximum(1.0 - self.signed_targets(Y) * P, 0.0).mean(axis=-1)

    def backward(self, Y, P):
        Y = self.signed_targets(Y)
        return -Y * ((1.0 - Y * P) > 0) * (1.0 / P.shape[-1])


class KLDivergence(Loss):
    """L_i = sum_k y log(y / p), with y and p clipped to [EPS, 1]."""

    name = "kl_divergence"

    def forward(self, Y, P):
        y = xp.clip(Y, EPS, 1.0)
        return (y * xp.log(y / xp.clip(P, EPS, 1.0))).sum(axis=-1)

    def backward(self, Y, P):
        y = xp.clip(Y, EPS, 1.0)
        return -y / xp.clip(P, EPS, 1.0) * ((P >= EPS) & (P <= 1.0))


LOSSES: dict[str, type[Loss]] = {
    "mean_squared_error": MeanSquaredError,
    "mse": MeanSquaredError,
    "MSE": MeanSquaredError,
    "mean_absolute_error": MeanAbsoluteError,
    "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "huber": Huber,
    "binary_crossentropy": BinaryCrossentropy,
    "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "hinge": Hinge,
    "kl_divergence": KLDivergence,
    "kld": KLDivergence,
    "KLD": KLDivergence,
}
_CLASSES = {
    cls.__name__: cls
    for cls in (
        MeanSquaredError,
        MeanAbsoluteError,
        Huber,
        BinaryCrossentropy,
        CategoricalCrossentropy,
        SparseCategoricalCrossentropy,
        Hinge,
        KLDivergence,
    )
}


def get(identifier) -> Loss:
    """Resolve a loss from a Keras name or alias, a class name, or an instance."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Loss):
        return identifier()
    if isinstance(identifier, str):
        cls = LOSSES.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            raise ValueError(
                f"Unknown loss {identifier!r}. Expected one of "
                f"{sorted(set(LOSSES) | set(_CLASSES))}."
            )
        return cls()
    if callable(identifier):
        raise TypeError(
            f"loss {getattr(identifier, '__name__', identifier)!r} is a plain function: "
            "nnlab computes gradients by hand, so a loss needs its derivative too. "
            "Subclass nnlab.losses.Loss with forward(Y, P) (one value per sample) and "
            "backward(Y, P) (dL_i/dP), e.g.\n"
            "    class MeanCubedError(Loss):\n"
            "        name = 'mean_cubed_error'\n"
            "        def forward(self, Y, P): return (abs(P - Y) ** 3).mean(axis=-1)\n"
            "        def backward(self, Y, P):\n"
            "            return 3 * (P - Y) * abs(P - Y) / P.shape[-1]\n"
            "and pass loss=MeanCubedError()."
        )
    raise TypeError(
        "loss must be a name such as 'categorical_crossentropy' or an "
        f"nnlab.losses.Loss. Received: {identifier!r}"
    )


def _register_extra() -> None:
    """log_cosh, poisson, focal losses, ... live in nnlab.losses_extra (built on Loss)."""
    from nnlab import losses_extra as extra

    LOSSES.update(extra.NAMES)
    _CLASSES.update({cls.__name__: cls for cls in extra.CLASSES})
    for cls in extra.CLASSES:
        globals()[cls.__name__] = cls
        globals()[cls.name] = _function_of(cls)


def _function_of(cls):
    def per_sample(y_true, y_pred, **kwargs):
        return _per_sample(cls(**kwargs), y_true, y_pred)

    per_sample.__name__ = cls.name
    per_sample.__doc__ = f"Per-sample values of {cls.__name__} (see its docstring)."
    return per_sample


def serialize(loss: Loss) -> dict:
    return {"class_name": type(loss).__name__, "config": loss.get_config()}


def deserialize(config: dict) -> Loss:
    return _CLASSES[config["class_name"]](**config.get("config", {}))


# Keras-style functions returning per-sample values.
def mean_squared_error(y_true, y_pred):
    return _per_sample(MeanSquaredError(), y_true, y_pred)


def mean_absolute_error(y_true, y_pred):
    return _per_sample(MeanAbsoluteError(), y_true, y_pred)


def huber(y_true, y_pred, delta: float = 1.0):
    return _per_sample(Huber(delta), y_true, y_pred)


def binary_crossentropy(y_true, y_pred, from_logits: bool = False):
    return _per_sample(BinaryCrossentropy(from_logits), y_true, y_pred)


def categorical_crossentropy(y_true, y_pred, from_logits: bool = False):
    return _per_sample(CategoricalCrossentropy(from_logits), y_true, y_pred)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits: bool = False):
    return _per_sample(SparseCategoricalCrossentropy(from_logits), y_true, y_pred)


def hinge(y_true, y_pred):
    return _per_sample(Hinge(), y_true, y_pred)


def kl_divergence(y_true, y_pred):
    return _per_sample(KLDivergence(), y_true, y_pred)


def _per_sample(loss: Loss, y_true, y_pred):
    P = xp.asarray(y_pred)
    if P.dtype.kind != "f":
        P = P.astype(np.float64)
    Y = loss.prepare_targets(y_true, P)
    return loss.forward_logits(Y, P) if loss.uses_logits else loss.forward(Y, P)


_register_extra()
