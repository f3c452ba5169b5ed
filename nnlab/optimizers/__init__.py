"""Optimizers with Keras 3's names, defaults and update rules.

`get("adam")` (case-insensitive) returns a default instance; `OPTIMIZERS` is the name
table. Each class docstring states its update rule.
"""

from nnlab.optimizers import schedules
from nnlab.optimizers.adadelta import Adadelta
from nnlab.optimizers.adagrad import Adagrad
from nnlab.optimizers.adam import Adam
from nnlab.optimizers.adamax import Adamax
from nnlab.optimizers.adamw import AdamW
from nnlab.optimizers.base import Optimizer
from nnlab.optimizers.ftrl import Ftrl
from nnlab.optimizers.lion import Lion
from nnlab.optimizers.nadam import Nadam
from nnlab.optimizers.rmsprop import RMSprop
from nnlab.optimizers.sgd import SGD

OPTIMIZERS: dict[str, type[Optimizer]] = {
    "sgd": SGD,
    "adagrad": Adagrad,
    "rmsprop": RMSprop,
    "adam": Adam,
    "adadelta": Adadelta,
    "adamw": AdamW,
    "nadam": Nadam,
    "adamax": Adamax,
    "lion": Lion,
    "ftrl": Ftrl,
}


def get(identifier) -> Optimizer:
    """Resolve an optimizer from a name (case-insensitive) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = OPTIMIZERS.get(identifier.lower())
        if cls is None:
            raise ValueError(
                f"Unknown optimizer {identifier!r}. Expected one of {sorted(OPTIMIZERS)}."
            )
        return cls()
    raise TypeError(
        f"optimizer must be a name such as 'adam' or an nnlab.optimizers.Optimizer. "
        f"Received: {identifier!r}"
    )


__all__ = [
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lion",
    "Nadam",
    "OPTIMIZERS",
    "Optimizer",
    "RMSprop",
    "SGD",
    "get",
    "schedules",
]
