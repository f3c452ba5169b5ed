"""The settings of a workflow run: defaults, what each means, and the TOML file of a run.

`DEFAULTS` lists every setting `nnlab train` knows (the lectures' penguins example);
`SETTINGS` says in one line what each one means (the command line's `--help` and the
docs show these). A run writes its settings to `config.toml`; paths in it are stored
relative to the folder of that file and resolved against it when the file is read, so
`nnlab train --config runs/<run>/config.toml` gives the same run from any folder.

Example:
    >>> cfg = resolve_config({"hidden": "16,8"}, epochs=5)
    >>> cfg["hidden"], cfg["epochs"], cfg["learning_rate"]
    ([16, 8], 5, 0.01)
"""

from __future__ import annotations

import copy
import math
import os

import tomllib

from nnlab.fileio import atomic_write

#: Defaults: the lectures' penguins example (3 features, Adelie or not).
DEFAULTS = {
    "dataset": "penguins_lecture",
    "csv": "",
    "target": "",
    "positive_class": "",
    "drop": [],
    "hidden": [16],
    "activation": "relu",
    "dropout": 0.0,
    "l2": 0.0,
    "optimizer": "adam",
    "learning_rate": 0.01,
    "epochs": 200,
    "batch_size": 32,
    "patience": 20,
    "seed": 0,
    "val_size": 0.2,
    "test_size": 0.2,
    "scaling": "standard",
    "standardize_target": True,
    "non_numeric": "error",
}

#: One line per setting: what it means.
SETTINGS = {
    "dataset": "A bundled dataset (see `nnlab datasets`).",
    "csv": "A CSV file to train on instead of a bundled dataset.",
    "target": "The column to predict (needed for a CSV).",
    "positive_class": "Make a class column binary: this value is class 1, all others 0.",
    "drop": "Columns to leave out, e.g. id,name.",
    "hidden": "Hidden layer sizes, e.g. 16,8 (empty: no hidden layer).",
    "activation": "Activation of the hidden layers.",
    "dropout": "Dropout rate after each hidden layer (0: none).",
    "l2": "L2 penalty factor on the hidden layers' weights (0: none).",
    "optimizer": "Optimizer.",
    "learning_rate": "Learning rate of the optimizer.",
    "epochs": "Most epochs to train.",
    "batch_size": "Rows per mini-batch.",
    "patience": "Early stopping: epochs without a better validation loss (0: off).",
    "seed": "Seed for every random choice (split, weights, shuffling).",
    "val_size": "Fraction of the rows held out for validation (early stopping).",
    "test_size": "Fraction of the rows held out for the final test.",
    "scaling": "Scaling of numeric columns, fitted on the training rows.",
    "standardize_target": "Regression: standardize the target on the training rows "
    "(undone for predictions and metrics).",
    "non_numeric": "A few text cells in a column of numbers: 'error' names them, "
    "'missing' treats them as missing values.",
}

#: The type each setting must have (a TOML file or flags); ints are accepted as floats.
_TYPES = {
    "dataset": str,
    "csv": str,
    "target": str,
    "positive_class": str,
    "drop": (list, tuple, str),
    "hidden": (list, tuple, str),
    "activation": str,
    "dropout": float,
    "l2": float,
    "optimizer": str,
    "learning_rate": float,
    "epochs": int,
    "batch_size": int,
    "patience": int,
    "seed": int,
    "val_size": float,
    "test_size": float,
    "scaling": str,
    "standardize_target": bool,
    "non_numeric": str,
}
#: (low, high, low open, high open) for numbers; None: unbounded on that side.
_RANGES = {
    "dropout": (0, 1, False, True),
    "l2": (0, None, False, False),
    "learning_rate": (0, None, True, False),
    "epochs": (1, None, False, False),
    "batch_size": (1, None, False, False),
    "patience": (0, None, False, False),
    "val_size": (0, 1, False, True),
    "test_size": (0, 1, False, True),
}

ACTIVATIONS = ["relu", "tanh", "sigmoid", "elu", "leaky_relu", "softplus", "linear"]
OPTIMIZERS = ["sgd", "adam", "rmsprop", "adagrad", "adadelta"]
SCALINGS = ["standard", "minmax", "none"]
PATH_SETTINGS = ("csv",)


def resolve_config(config: dict | None = None, **overrides) -> dict:
    """DEFAULTS updated by `config` then `overrides` (None values are skipped).

    Unknown keys are an error; `hidden` and `drop` may be comma-separated strings.
    A `csv` without a `dataset` clears the default dataset (and the other way round).
    """
    merged = copy.deepcopy(DEFAULTS)
    for source in (config or {}), overrides:
        merged.update(_given(source))
    if merged["scaling"] in ("", None):
        merged["scaling"] = "none"
    for key, value in merged.items():
        merged[key] = _checked_setting(key, value)
    merged["hidden"] = _hidden_sizes(merged["hidden"])
    if merged["non_numeric"] not in ("error", "missing"):
        raise ValueError(
            "Setting 'non_numeric' expects 'error' or 'missing'. Received: "
            f"non_numeric={merged['non_numeric']!r}"
        )
    if isinstance(merged["drop"], str):
        merged["drop"] = [c.strip() for c in merged["drop"].split(",") if c.strip()]
    _check_fractions(merged)
    return merged


def _given(source: dict) -> dict:
    """The settings `source` sets (not None); a csv clears the dataset and vice versa."""
    unknown = sorted(set(source) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"Unknown setting(s) {unknown}. Known settings: {sorted(DEFAULTS)}")
    given = {k: v for k, v in source.items() if v is not None}
    if given.get("csv") and "dataset" not in given:
        given["dataset"] = ""
    if given.get("dataset") and "csv" not in given:
        given["csv"] = ""
    return given


def _hidden_sizes(hidden):
    """The `hidden` setting as layer sizes: a '16,8' string parsed, a list checked."""
    if isinstance(hidden, str):
        return parse_hidden(hidden)
    if any(isinstance(h, bool) or not isinstance(h, int) or h <= 0 for h in hidden):
        raise ValueError(
            "Setting 'hidden' expects a list of positive ints (layer sizes), e.g. "
            f"hidden = [16, 8]. Received: hidden={hidden!r}"
        )
    return hidden


def _check_fractions(merged: dict) -> None:
    """val_size and test_size are fractions that leave rows to train on."""
    for key in ("val_size", "test_size"):
        if not 0 <= float(merged[key]) < 1:
            raise ValueError(f"{key} must be a fraction in [0, 1). Received {merged[key]!r}")
    if float(merged["val_size"]) + float(merged["test_size"]) >= 1:
        raise ValueError(
            "val_size + test_size must leave training rows (sum below 1). Received "
            f"{merged['val_size']} + {merged['test_size']}"
        )


# How an error names each type a setting may need.
_TYPE_WORDS = {"str": "a string", "int": "an int", "float": "a number", "bool": "true or false"}


def _checked_setting(key: str, value):
    """`value` if it has the type (and range) setting `key` needs, else a ValueError
    naming the key, the expected type and the value received."""
    expected = _TYPES[key]
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    kinds = expected if isinstance(expected, tuple) else (expected,)
    if (isinstance(value, bool) and bool not in kinds) or not isinstance(value, kinds):
        names = " or ".join(dict.fromkeys(_TYPE_WORDS.get(k.__name__, "a list") for k in kinds))
        raise ValueError(
            f"Setting {key!r} expects {names}. Received: {key}={value!r} "
            f"({type(value).__name__}). Fix it in the config file or the flag, e.g. "
            f"{key} = {DEFAULTS[key]!r}."
        )
    if key in _RANGES and not _in_range(value, *_RANGES[key]):
        raise ValueError(
            f"Setting {key!r} must lie in {_interval(*_RANGES[key])}. Received: {key}={value!r}."
        )
    return value


def _in_range(value, low, high, low_open: bool, high_open: bool) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False  # nan compares False with every bound; inf is no usable setting
    too_low = low is not None and (value < low or (low_open and value == low))
    too_high = high is not None and (value > high or (high_open and value == high))
    return not (too_low or too_high)


def _interval(low, high, low_open: bool, high_open: bool) -> str:
    """The interval in words: '[0, 1)', '(0, inf)'."""
    close = ")" if high_open or high is None else "]"
    return f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}{close}"


def parse_hidden(text: str) -> list[int]:
    """'16,8' -> [16, 8]; '' -> [] (no hidden layer)."""
    try:
        sizes = [int(t) for t in str(text).replace(" ", "").split(",") if t]
    except ValueError:
        raise ValueError(
            f"hidden must be comma-separated positive integers like 16,8. Received {text!r}"
        ) from None
    if any(s <= 0 for s in sizes):
        raise ValueError(f"hidden layer sizes must be positive. Received {text!r}")
    return sizes


def load_config(path) -> dict:
    """Read a TOML settings file; relative paths in it are relative to its folder."""
    try:
        with open(path, "rb") as f:
            config = tomllib.load(f)
    except FileNotFoundError:
        raise ValueError(f"No such config file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path} is not valid TOML: {exc}") from None
    folder = os.path.dirname(os.path.abspath(path))
    for key in PATH_SETTINGS:
        if config.get(key) and not os.path.isabs(config[key]):
            config[key] = os.path.normpath(os.path.join(folder, config[key]))
    return config


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def save_config(path, config: dict) -> None:
    """Write settings as TOML (atomically), paths relative to the file's folder."""
    folder = os.path.dirname(os.path.abspath(path))
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write("# nnlab run configuration: nnlab train --config config.toml\n")
        f.write("# (paths are relative to this file's folder)\n")
        for k, v in config.items():
            if k in PATH_SETTINGS and v:
                try:
                    v = os.path.relpath(os.path.abspath(v), folder)
                except ValueError:  # another drive (Windows): keep it absolute
                    v = os.path.abspath(v)
            f.write(f"{k} = {_toml_value(v)}\n")
