"""Activation functions, each a forward `f(Z) -> A` beside its backward `dZ = dA * g'(Z)`.

Backward receives the forward input Z and output A so that each derivative can use
whichever is cheaper (sigmoid and tanh use A, as the lectures write them:
sigma' = A (1 - A), tanh' = 1 - A^2). `ACTIVATIONS` is the name table; `get` resolves
a name, `None` (linear) or an instance.
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import xp


def expit(Z):
    """SciPy's logistic sigmoid 1 / (1 + e^-Z) (scipy.special.expit), imported on first use.

    scipy.special takes longer to import than the rest of nnlab together, so `import nnlab`
    leaves it out; making a `Sigmoid` or `Softplus` imports it (before any fit starts), and
    so does a first call of this function. Loading rebinds this module's `expit` to SciPy's
    ufunc, so later calls go straight to it. NumPy's `1 / (1 + np.exp(-Z))` is not a
    substitute: its exp differs from the C library's in the last bit for ~2% of float64
    inputs, so results would not stay bit-identical.

    Args:
        Z: array of pre-activations.

    Example:
        >>> float(expit(np.array(0.0)))
        0.5
    """
    return load_expit()(Z)


def load_expit():
    """Import scipy.special.expit (once) and make it this module's `expit`; returns it."""
    global expit
    from scipy.special import expit

    return expit


class Activation:
    """Base class: `forward(Z) -> A` and `backward(dA, Z, A) -> dZ`."""

    name = "activation"
    #: False for activations without a useful gradient (step).
    differentiable = True

    #: True where max(g(Z)) == g(max(Z)) exactly, ties included, so that the layer graph
    #: may apply g after a max pool (`nnlab.step.pool_activation`). Read from the class
    #: that declares it only: a subclass with its own forward does not inherit it.
    commutes_with_max = False

    #: True where g'(Z) is 1 for Z > 0 and 0 elsewhere (NaN included), so that the backward
    #: dA * g'(Z) keeps dA or zeroes it by the sign of Z: a max pool that applies g after
    #: itself folds that into its winners (`_Pooling.forward_then`). Read from the class
    #: that declares it only, as `commutes_with_max`.
    passes_positive = False

    def forward(self, Z):
        raise NotImplementedError

    #: f(Z) computed over Z, in place, for a built-in activation whose backward can do
    #: without Z (it then gets A for both); None where there is no such kernel.
    _inplace = None

    def forward_inplace(self, Z):
        """A = f(Z), written over Z where the class has an in-place kernel. Only for a Z
        the caller owns (Dense's fresh X @ W + b): it saves allocating and filling one
        more array per layer. A subclass never inherits the kernel (its own forward or
        backward may differ), so it gets `forward`."""
        kernel = type(self).__dict__.get("_inplace")
        return self.forward(Z) if kernel is None else kernel(Z)

    def backward(self, dA, Z, A):
        raise NotImplementedError

    #: dZ = dA * g'(Z) computed over dA, in place, for a built-in activation with such
    #: a kernel; None where there is none.
    _backward_inplace = None

    def backward_inplace(self, dA, Z, A):
        """dZ, written over dA where the class has an in-place kernel. Only for a dA the
        caller owns (the step plan's own array, `nnlab.step.step_plan`); inherited by
        no subclass, as `forward_inplace`."""
        kernel = type(self).__dict__.get("_backward_inplace")
        return self.backward(dA, Z, A) if kernel is None else kernel(dA, Z, A)

    def __call__(self, Z):
        return self.forward(xp.asarray(Z))

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Linear(Activation):
    """A = Z."""

    name = "linear"

    def forward(self, Z):
        return Z

    _inplace = staticmethod(lambda Z: Z)
    _backward_inplace = staticmethod(lambda dA, Z, A: dA)

    def backward(self, dA, Z, A):
        return dA


class Sigmoid(Activation):
    """A = 1 / (1 + e^-Z), computed without overflow (SciPy's expit); g'(Z) = A (1 - A)."""

    name = "sigmoid"

    def __init__(self):
        load_expit()  # scipy.special: when a model gets a sigmoid, not inside its first fit

    def forward(self, Z):
        return expit(Z)

    def backward(self, dA, Z, A):
        return dA * A * (1.0 - A)


class Tanh(Activation):
    """A = tanh(Z); g'(Z) = 1 - A^2."""

    name = "tanh"

    def forward(self, Z):
        return xp.tanh(Z)

    _inplace = staticmethod(lambda Z: xp.tanh(Z, out=Z))  # the backward uses A only

    def backward(self, dA, Z, A):
        return dA * (1.0 - A * A)


class ReLU(Activation):
    """A = max(Z, 0); g'(Z) = 1 where Z > 0, else 0 (0 at the kink, as Keras)."""

    name = "relu"

    def forward(self, Z):
        return xp.maximum(Z, 0)

    # A > 0 exactly where Z > 0, so A serves as Z in the backward
    _inplace = staticmethod(lambda Z: xp.maximum(Z, 0, out=Z))

    # max(Z, 0) is exactly monotone: a max pool may come first (nnlab.step.pool_activation)
    commutes_with_max = True
    passes_positive = True

    def backward(self, dA, Z, A):
        return dA * (Z > 0)

    _backward_inplace = staticmethod(lambda dA, Z, A: xp.multiply(dA, Z > 0, out=dA))


class LeakyReLU(Activation):
    """A = Z where Z > 0, else negative_slope * Z (Keras default slope 0.2)."""

    name = "leaky_relu"

    def __init__(self, negative_slope: float = 0.2):
        if not np.isfinite(negative_slope) or negative_slope < 0:
            raise ValueError(
                "leaky_relu expects negative_slope >= 0. "
                f"Received: negative_slope={negative_slope!r}"
            )
        self.negative_slope = float(negative_slope)

    def forward(self, Z):
        return xp.where(Z > 0, Z, Z * self.negative_slope).astype(Z.dtype, copy=False)

    def backward(self, dA, Z, A):
        return dA * xp.where(Z > 0, 1.0, self.negative_slope).astype(dA.dtype, copy=False)

    def get_config(self) -> dict:
        return {"negative_slope": self.negative_slope}


class ELU(Activation):
    """A = Z where Z >= 0, else alpha (e^Z - 1); g'(Z) = 1 or A + alpha."""

    name = "elu"

    def __init__(self, alpha: float = 1.0):
        self.alpha = float(alpha)

    def forward(self, Z):
        neg = self.alpha * xp.expm1(xp.minimum(Z, 0))
        return xp.where(Z >= 0, Z, neg).astype(Z.dtype, copy=False)

    def backward(self, dA, Z, A):
        return dA * xp.where(Z >= 0, 1.0, A + self.alpha).astype(dA.dtype, copy=False)

    def get_config(self) -> dict:
        return {"alpha": self.alpha}


class Softplus(Activation):
    """A = log(1 + e^Z) = logaddexp(Z, 0); g'(Z) = sigmoid(Z)."""

    name = "softplus"

    def __init__(self):
        load_expit()  # for backward's sigmoid, as in Sigmoid

    def forward(self, Z):
        return xp.logaddexp(Z, 0).astype(Z.dtype, copy=False)

    def backward(self, dA, Z, A):
        return dA * expit(Z)


def _row_max(Z):
    """max over the last axis, keepdims. For a C-contiguous matrix it gathers Z at
    argmax (NumPy's max along short rows is several times slower than its argmax);
    the same element, so the same bits, and NaN propagates as with max."""
    if Z.ndim != 2 or not Z.flags.c_contiguous or Z.size == 0:
        return xp.maximum.reduce(Z, axis=-1, keepdims=True)
    i = Z.argmax(axis=1)
    i += xp.arange(0, Z.size, Z.shape[1])
    return Z.ravel()[i][:, None]


class Softmax(Activation):
    """A_k = e^(Z_k - max Z) / sum_j e^(Z_j - max Z) over the last axis.

    Backward: dZ = A * (dA - sum(dA * A)), the Jacobian-vector product. Paired with
    categorical cross-entropy the training loop skips this and uses the fused
    gradient (A - Y) / N instead.
    """

    name = "softmax"

    def forward(self, Z):
        if Z.dtype.kind != "f":
            Z = Z.astype(np.float64)
        E = Z - _row_max(Z)
        xp.exp(E, out=E)
        E /= xp.add.reduce(E, axis=-1, keepdims=True)
        return E

    def backward(self, dA, Z, A):
        return A * (dA - (dA * A).sum(axis=-1, keepdims=True))


class Step(Activation):
    """The perceptron's threshold: A = 1 where Z > 0, else 0.

    Its derivative is zero almost everywhere, so gradient descent cannot train it:
    use it with `nnlab.models.Perceptron`, which applies Rosenblatt's rule instead.
    """

    name = "step"
    differentiable = False

    def forward(self, Z):
        return (Z > 0).astype(Z.dtype)

    def backward(self, dA, Z, A):
        raise ValueError(
            "The 'step' activation has no useful gradient (it is 0 almost everywhere), "
            "so a gradient-trained model cannot learn through it. Use "
            "nnlab.models.Perceptron for the perceptron rule, or a differentiable "
            "activation such as 'sigmoid'."
        )


ACTIVATIONS: dict[str, type[Activation]] = {
    cls.name: cls for cls in (Linear, Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus, Softmax, Step)
}


def get(identifier) -> Activation:
    """Resolve an activation from a name, `None` (linear) or an instance."""
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str):
        try:
            return ACTIVATIONS[identifier]()
        except KeyError:
            raise ValueError(
                f"Unknown activation {identifier!r}. Expected one of {sorted(ACTIVATIONS)}."
            ) from None
    if isinstance(identifier, type) and issubclass(identifier, Activation):
        return identifier()
    name = getattr(identifier, "__name__", None)
    module = getattr(identifier, "__module__", None)
    if module in (__name__, "nnlab.activations_extra") and name in ACTIVATIONS:
        return ACTIVATIONS[name]()  # a function of this module, e.g. activations.relu
    if callable(identifier):
        raise TypeError(
            f"activation {name or identifier!r} is a plain function: nnlab computes "
            "gradients by hand, so it needs the derivative too. Subclass "
            "nnlab.activations.Activation with forward(Z) and backward(dA, Z, A), e.g.\n"
            "    class Cube(Activation):\n"
            "        name = 'cube'\n"
            "        def forward(self, Z): return Z ** 3\n"
            "        def backward(self, dA, Z, A): return dA * 3 * Z ** 2\n"
            "and pass activation=Cube()."
        )
    raise TypeError(
        "activation must be a name such as 'relu', None, or an "
        "nnlab.activations.Activation (which carries its derivative). "
        f"Received: {identifier!r} of type {type(identifier).__name__}"
    )


def serialize(activation: Activation) -> dict:
    """{"name", "config"}; for your own Activation subclass also its "class_name" (the
    registered "package>Name" if registered), by which loading finds it in custom_objects."""
    out = {"name": activation.name, "config": activation.get_config()}
    if type(activation) not in set(ACTIVATIONS.values()):
        from nnlab.custom_objects import get_registered_name

        out["class_name"] = get_registered_name(type(activation))
    return out


def deserialize(config: dict) -> Activation:
    return ACTIVATIONS[config["name"]](**config.get("config", {}))


# Keras-style module-level functions: nnlab.activations.relu(x) etc.
def linear(x):
    return Linear()(x)


def sigmoid(x):
    return Sigmoid()(x)


def tanh(x):
    return Tanh()(x)


def relu(x):
    return ReLU()(x)


def leaky_relu(x, negative_slope: float = 0.2):
    return LeakyReLU(negative_slope)(x)


def elu(x, alpha: float = 1.0):
    return ELU(alpha)(x)


def softplus(x):
    return Softplus()(x)


def softmax(x):
    return Softmax()(x)


def step(x):
    return Step()(x)


def _register_extra() -> None:
    """gelu, selu, swish, ... live in nnlab.activations_extra (built on Activation)."""
    from nnlab import activations_extra as extra

    ACTIVATIONS.update({cls.name: cls for cls in extra.CLASSES})
    ACTIVATIONS.update(extra.ALIASES)
    for fn in ("gelu", "selu", "swish", "silu", "softsign", "hard_sigmoid", "hard_swish",
               "hard_silu", "exponential", "relu6", "mish", "log_softmax"):
        globals()[fn] = getattr(extra, fn)


_register_extra()
