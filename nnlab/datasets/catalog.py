"""One table of every dataset nnlab can give offline, and `load(name)` to get one by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nnlab.datasets import bundled, playground, sequences, synthetic
from nnlab.datasets.synthetic import GENERATED_LICENSE

if TYPE_CHECKING:
    import pandas as pd

_GEN = GENERATED_LICENSE
_PG = "generated (TensorFlow Playground formulas, Apache-2.0)"  # full text on each Dataset

# name -> (function, kind, shape of X at the defaults, task, licence)
REGISTRY = {
    "iris": (bundled.load_iris, "bundled", (150, 4), "multiclass", "CC BY 4.0"),
    "penguins": (bundled.load_penguins, "bundled", (342, 4), "multiclass", "CC0 1.0"),
    "penguins_lecture": (bundled.load_penguins_lecture, "bundled", (342, 3), "binary", "CC0 1.0"),
    "titanic": (bundled.load_titanic, "bundled", (1309, 9), "binary", "none stated (titanic3)"),
    "digits": (bundled.load_digits, "bundled", (1797, 64), "multiclass", "CC BY 4.0"),
    "mnist_subset": (
        bundled.load_mnist_subset, "bundled", (5000, 784), "multiclass", "CC BY-SA 3.0"
    ),
    "circle": (playground.make_circle, "generated", (500, 2), "binary", _PG),
    "circle_bench": (playground.make_circle_bench, "generated", (1000, 2), "binary", _PG),
    "xor": (playground.make_xor, "generated", (500, 2), "binary", _PG),
    "gauss": (playground.make_gauss, "generated", (500, 2), "binary", _PG),
    "spiral": (playground.make_spiral, "generated", (500, 2), "binary", _PG),
    "reg_plane": (playground.make_reg_plane, "generated", (1200, 2), "regression", _PG),
    "reg_gauss": (playground.make_reg_gauss, "generated", (1200, 2), "regression", _PG),
    "polynomial": (synthetic.make_polynomial, "generated", (100, 1), "regression", _GEN),
    "sine": (synthetic.make_sine, "generated", (30, 1), "regression", _GEN),
    "teacher": (synthetic.make_teacher, "generated", (1000, 20), "regression", _GEN),
    "sine_forecast": (
        sequences.make_sine_forecast, "generated", (1000, 20, 1), "regression", _GEN
    ),
    "adding": (sequences.make_adding, "generated", (1000, 30, 2), "regression", _GEN),
    "parity": (sequences.make_parity, "generated", (1000, 8, 1), "binary", _GEN),
}  # fmt: skip


def list_datasets() -> pd.DataFrame:
    """A table of the datasets `load` knows: name, kind, X's shape at the defaults, task, licence.

    Returns:
        pandas DataFrame indexed by name.

    Example:
        >>> table = list_datasets()
        >>> table.loc["iris", "shape"], table.loc["mnist_subset", "license"]
        ((150, 4), 'CC BY-SA 3.0')
    """
    import pandas as pd  # here, not at the top: `import nnlab` does not load pandas

    rows = [
        {"name": name, "kind": kind, "shape": shape, "task": task, "license": lic}
        for name, (_, kind, shape, task, lic) in REGISTRY.items()
    ]
    return pd.DataFrame(rows).set_index("name")


def load(name, **kwargs):
    """Load or generate a dataset by name; keyword arguments go to its loader or generator.

    Args:
        name: a name from `list_datasets()` ("reg-plane" and "reg_plane" both work).
        **kwargs: e.g. `seed=0, noise=0.1` for a generator, `dropna=False` for penguins.

    Returns:
        Dataset.

    Example:
        >>> load("spiral", n_samples=100, seed=0).X.shape
        (100, 2)
    """
    key = str(name).strip().lower().replace("-", "_")
    if key not in REGISTRY:
        raise ValueError(f"unknown dataset {name!r}. Expected one of {sorted(REGISTRY)}.")
    return REGISTRY[key][0](**kwargs)
