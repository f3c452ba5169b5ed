"""The network options of `nnlab.sklearn`'s estimators: checks and the network they build.

Every setting a search space can hold is an estimator parameter, so a tuner (or
scikit-learn's `GridSearchCV`) can set it with `set_params`:

    activation            one name, or one per hidden layer ("relu", ("tanh", "relu"))
    dropout               one rate, or one per hidden layer (0 disables it there)
    alpha, l1             L2 and L1 strengths on every kernel (Keras L1L2)
    batch_normalization   Dense -> BatchNormalization -> Activation in each hidden layer
    kernel_initializer    a Keras initializer name for every kernel ("he_normal", ...)
    learning_rate_schedule
                          "constant"; "exponential" (lr * 0.1 ** (step / total_steps):
                          a tenth of the rate at the last step); "cosine" (Keras
                          CosineDecay from lr to 0 over the run's total_steps)

The network is

    Input -> [Dense(h_i, act_i) | Dense(h_i) -> BatchNormalization -> Activation(act_i)]
          [-> Dropout(rate_i)] ... -> Dense(outputs, output activation)

Example:
    >>> opts = check_options("NNClassifier", ("tanh", "relu"), 0.1, 0.0, False,
    ...                      "he_normal", "cosine", n_layers=2)
    >>> opts["activations"], opts["dropouts"]
    (('tanh', 'relu'), (0.1, 0.1))
"""

from __future__ import annotations

import inspect
import math
import numbers

import numpy as np

from nnlab import activations as activations_mod
from nnlab import initializers as initializers_mod
from nnlab import optimizers as optimizers_mod
from nnlab.layers import Activation, BatchNormalization, Dense, Dropout, Input
from nnlab.models import Sequential
from nnlab.optimizers.schedules import CosineDecay, ExponentialDecay
from nnlab.regularizers import L1L2

#: sklearn's MLP activation names, accepted as aliases.
ACTIVATION_ALIASES = {"identity": "linear", "logistic": "sigmoid"}
#: Output-layer or non-differentiable activations make no sense for hidden layers.
HIDDEN_ACTIVATIONS = sorted(
    set(activations_mod.ACTIVATIONS) - {"softmax", "step"} | set(ACTIVATION_ALIASES)
)
SCHEDULES = ("constant", "exponential", "cosine")


def _is_real(value) -> bool:
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and bool(np.isfinite(float(value)))
    )


def _bad(owner: str, name: str, expected: str, value) -> ValueError:
    return ValueError(f"{owner}: {name} must be {expected}. Received: {name}={value!r}")


def _per_layer(owner: str, name: str, value, n_layers: int, check, expected: str) -> tuple:
    """One value for every layer, or a sequence with exactly one per hidden layer."""
    if isinstance(value, (list, tuple)):
        if len(value) != n_layers:
            raise _bad(
                owner,
                name,
                f"{expected}, or a sequence of {n_layers} of them (one per hidden layer)",
                value,
            )
        values = tuple(value)
    else:
        values = (value,) * n_layers
    for v in values:
        if not check(v):
            raise _bad(owner, name, f"{expected} (or one per hidden layer)", value)
    return values


def check_options(
    owner: str,
    activation,
    dropout,
    l1,
    batch_normalization,
    kernel_initializer,
    learning_rate_schedule,
    n_layers: int,
) -> dict:
    """The network options, checked and normalized; a clear ValueError for a bad one.

    Args:
        owner: the estimator's class name, for the messages.
        activation, dropout, l1, batch_normalization, kernel_initializer,
            learning_rate_schedule: the estimator parameters (see the module docstring).
        n_layers: the number of hidden layers.

    Returns:
        dict with `activations` and `dropouts` (one per hidden layer), `l1`,
        `batch_normalization`, `kernel_initializer`, `learning_rate_schedule`.
    """
    activations = _per_layer(
        owner,
        "activation",
        activation,
        n_layers,
        lambda a: isinstance(a, str) and a in HIDDEN_ACTIVATIONS,
        f"one of {HIDDEN_ACTIVATIONS}",
    )
    dropouts = _per_layer(
        owner,
        "dropout",
        dropout,
        n_layers,
        lambda d: _is_real(d) and 0 <= d < 1,
        "a number in [0, 1)",
    )
    if not _is_real(l1) or l1 < 0:
        raise _bad(owner, "l1", "a finite number >= 0 (the L1 strength)", l1)
    if not isinstance(batch_normalization, (bool, np.bool_)):
        raise _bad(owner, "batch_normalization", "True or False", batch_normalization)
    names = sorted(initializers_mod.INITIALIZERS)
    if not isinstance(kernel_initializer, str) or kernel_initializer not in names:
        raise _bad(owner, "kernel_initializer", f"one of {names}", kernel_initializer)
    if learning_rate_schedule not in SCHEDULES:
        raise _bad(
            owner, "learning_rate_schedule", f"one of {list(SCHEDULES)}", learning_rate_schedule
        )
    return {
        "activations": tuple(ACTIVATION_ALIASES.get(a, a) for a in activations),
        "dropouts": tuple(float(d) for d in dropouts),
        "l1": float(l1),
        "batch_normalization": bool(batch_normalization),
        "kernel_initializer": kernel_initializer,
        "learning_rate_schedule": learning_rate_schedule,
    }


def _initializer(name: str, seed: int):
    cls = initializers_mod.INITIALIZERS[name]
    if "seed" in inspect.signature(cls).parameters:
        return cls(seed=seed)
    return cls()


def build_network(arch: dict, seeds: list) -> Sequential:
    """The MLP of `arch`: seeds[2i] for hidden layer i's kernel, seeds[2i+1] for its
    dropout, seeds[-1] for the output layer's kernel.

    Args:
        arch: `n_features`, `hidden`, `n_outputs`, `output_activation`, `name`,
            `alpha` (L2) and the entries of `check_options`.
        seeds: 2 * len(hidden) + 1 ints.
    """
    layers = [Input(shape=(arch["n_features"],))]
    reg = L1L2(l1=arch["l1"], l2=arch["alpha"]) if arch["l1"] or arch["alpha"] else None
    init = arch["kernel_initializer"]
    bn = arch["batch_normalization"]
    for i, units in enumerate(arch["hidden"]):
        act = arch["activations"][i]
        layers.append(
            Dense(
                units,
                activation=None if bn else act,
                kernel_initializer=_initializer(init, seeds[2 * i]),
                kernel_regularizer=reg,
                name=f"hidden_{i + 1}",
            )
        )
        if bn:
            layers.append(BatchNormalization(name=f"batch_normalization_{i + 1}"))
            layers.append(Activation(act, name=f"activation_{i + 1}"))
        rate = arch["dropouts"][i]
        if rate > 0:
            layers.append(Dropout(rate, seed=seeds[2 * i + 1], name=f"dropout_{i + 1}"))
    layers.append(
        Dense(
            arch["n_outputs"],
            activation=arch["output_activation"],
            kernel_initializer=_initializer(init, seeds[-1]),
            kernel_regularizer=reg,
            name="output",
        )
    )
    return Sequential(layers, name=arch["name"])


def make_optimizer(name: str, learning_rate: float, schedule: str, total_steps: int):
    """The optimizer `name` with a constant or scheduled learning rate.

    Args:
        name: a key of `nnlab.optimizers.OPTIMIZERS`.
        learning_rate: the initial rate.
        schedule: one of SCHEDULES.
        total_steps: optimizer steps in the whole run (epochs * batches per epoch).

    Example:
        >>> make_optimizer("sgd", 0.1, "constant", total_steps=100).learning_rate
        0.1
    """
    steps = max(int(total_steps), 1)
    if schedule == "exponential":
        lr = ExponentialDecay(learning_rate, decay_steps=steps, decay_rate=0.1)
    elif schedule == "cosine":
        lr = CosineDecay(learning_rate, decay_steps=steps)
    else:
        lr = learning_rate
    return optimizers_mod.OPTIMIZERS[name](learning_rate=lr)


def total_steps(n_samples: int, batch_size: int, epochs: int, validation_fraction: float) -> int:
    """Optimizer steps of a run: epochs * ceil(training rows / batch_size)."""
    n_train = math.floor(n_samples * (1.0 - validation_fraction))
    return epochs * math.ceil(max(n_train, 1) / batch_size)
