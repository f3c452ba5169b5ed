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
"""

from __future__ import annotations

import numpy as np

from nnlab import activations
from nnlab.backend import EPS, xp
from nnlab.loss_reductions import (  # noqa: F401  (reduce, reduce_grad: public here too)
    REDUCTIONS,
    reduce,
    reduce_grad,
    reduce_gradient,
    reduce_values,
)


def _sigmoid(Z):
    return activations.expit(Z)  # SciPy's, imported on first use (see activations.expit)


def _softmax(Z):
    E = xp.exp(Z - Z.max(axis=-1, keepdims=True))
    return E / E.sum(axis=-1, keepdims=True)


def _log_softmax(Z):
    S = Z - Z.max(axis=-1, keepdims=True)
    return S - xp.log(xp.exp(S).sum(axis=-1, keepdims=True))


class Loss:
    """Base class. Subclasses define `forward(Y, P)` and `backward(Y, P)`.

    Calling a loss object, `loss(y_true, y_pred, sample_weight=None)`, returns the
    reduced scalar as in Keras.
    """

    name = "loss"
    #: The output activation whose pairing with this loss is fused (see module doc).
    fused_activation: str | None = None
    #: True when targets are integer class indices rather than arrays like y_pred.
    sparse_targets = False

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

    def fused_value_and_grad(self, Y, Z, A, sample_weight=None, unit_rows: bool = False):
        """The training step's fused output + loss: the reduced loss (a float) and its
        gradient with respect to the output layer's Z, given the logits Z and the
        output A = f(Z). `unit_rows` promises that every row of Y sums to exactly 1
        (one-hot or probability targets). Subclasses shorten this where they can."""
        L = self.forward_logits(Y, Z, A)
        G = self.backward_logits(Y, Z, A)
        return float(reduce(L, sample_weight)), reduce_grad(G, L.size, sample_weight)

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


def _overrides(loss, cls) -> bool:
    """Whether `loss`'s class replaces one of the logits methods `cls`'s shortened
    `fused_value_and_grad` stands for (then the general path must call them)."""
    t = type(loss)
    return t is not cls and any(
        getattr(t, name) is not getattr(cls, name)
        for name in ("forward_logits", "backward_logits", "_smooth")
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


class BinaryCrossentropy(Loss):
    """L_i = mean_k -[Y log p + (1 - Y) log(1 - p)], per label (so multi-label works).

    Probabilities are clipped to [EPS, 1 - EPS]. From logits Z:
    L_i = mean_k [max(Z, 0) - Z Y + log(1 + e^-|Z|)], gradient (sigmoid(Z) - Y) / k.
    `label_smoothing` ls replaces Y by Y (1 - ls) + ls / 2.
    """

    name = "binary_crossentropy"
    fused_activation = "sigmoid"

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        name=None,
        reduction="sum_over_batch_size",
    ):
        super().__init__(name, reduction)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(label_smoothing)
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
        A = _sigmoid(Z) if A is None else A
        return (A - self._smooth(Y)) * (1.0 / Z.shape[-1])

    def fused_value_and_grad(self, Y, Z, A, sample_weight=None, unit_rows: bool = False):
        """Mean of log(1 + e^Z) - Y Z over every entry, and its gradient (A - Y) / Z.size."""
        if (
            sample_weight is not None
            or self.label_smoothing
            or _overrides(self, BinaryCrossentropy)
        ):
            return super().fused_value_and_grad(Y, Z, A, sample_weight, unit_rows)
        L = xp.logaddexp(0, Z)
        L -= Y * Z
        G = A - Y
        G *= 1.0 / max(Z.size, 1)
        return float(L.sum()) / max(L.size, 1), G

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

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        name=None,
        reduction="sum_over_batch_size",
    ):
        super().__init__(name, reduction)
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(label_smoothing)

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
        return -(Y * _log_softmax(Z)).sum(axis=-1)

    def backward_logits(self, Y, Z, A=None):
        Y = self._smooth(Y)
        A = _softmax(Z) if A is None else A
        return A * Y.sum(axis=-1, keepdims=True) - Y

    def fused_value_and_grad(self, Y, Z, A, sample_weight=None, unit_rows: bool = False):
        """-sum(Y log A) / n as one dot product, and the gradient (A - Y) / n, with
        A * sum(Y) - Y in place of A - Y unless every target row sums to 1."""
        if (
            sample_weight is not None
            or self.label_smoothing
            or _overrides(self, CategoricalCrossentropy)
            or not xp.minimum.reduce(A, None) > 0
        ):
            return super().fused_value_and_grad(Y, Z, A, sample_weight, unit_rows)
        n = max(A.size // A.shape[-1], 1)
        value = -float(np.vdot(Y, xp.log(A))) / n
        G = A - Y if unit_rows else A * Y.sum(axis=-1, keepdims=True) - Y
        G *= 1.0 / n
        return value, G

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


class Hinge(Loss):
    """L_i = mean_k max(1 - Y P, 0), with {0, 1} labels first mapped to {-1, 1}."""

    name = "hinge"

    @staticmethod
    def _signed(Y):
        if Y.size and xp.all((Y == 0) | (Y == 1)):
            return 2.0 * Y - 1.0
        return Y

    def forward(self, Y, P):
        return xp.maximum(1.0 - self._signed(Y) * P, 0.0).mean(axis=-1)

    def backward(self, Y, P):
        Y = self._signed(Y)
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


def _check_smoothing(ls) -> float:
    if not 0.0 <= ls <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1]. Received: {ls!r}")
    return float(ls)


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
