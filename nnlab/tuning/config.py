"""From a configuration (one point of the space) to preprocessing options and an estimator.

A configuration's names are the estimator parameters of `NNClassifier` / `NNRegressor`
(`learning_rate`, `optimizer`, `batch_size`, `epochs`, `early_stopping`, `patience`,
`alpha`, `l1`, `dropout`, `batch_normalization`, `kernel_initializer`,
`learning_rate_schedule`, `activation`, `hidden_layer_sizes`, ...) plus:

    n_layers                   the number of hidden layers
    units, units_<i>           width of every hidden layer / of layer i (1-based)
    activation_<i>, dropout_<i>  per-layer activation / dropout rate
    scaling                    "standard", "minmax" or "none" (numeric columns)
    degree                     polynomial features of the numeric columns up to this power

Example:
    >>> prep, est = split_config({"n_layers": 2, "units_1": 16, "units_2": 8, "degree": 3})
    >>> prep, est["hidden_layer_sizes"]
    ({'scaling': 'standard', 'degree': 3}, (16, 8))
"""

from __future__ import annotations

import inspect
import re

_PER_LAYER = re.compile(r"^(units|activation|dropout)_([1-9][0-9]*)$")
PREPROCESSING = {"scaling": "standard", "degree": 1}
ARCHITECTURE = ("n_layers", "units")
_NOT_TUNABLE = ("random_state", "verbose")


def estimator_params(task: str) -> list[str]:
    """The estimator parameters a configuration may set for a task."""
    from nnlab.sklearn import NNClassifier, NNRegressor

    cls = NNRegressor if task == "regression" else NNClassifier
    names = inspect.signature(cls.__init__).parameters
    return sorted(n for n in names if n not in ("self", *_NOT_TUNABLE))


def check_names(names, task: str) -> None:
    """A clear error for a configuration name the tuner does not know."""
    known = set(estimator_params(task)) | set(PREPROCESSING) | set(ARCHITECTURE)
    unknown = sorted(n for n in names if n not in known and not _PER_LAYER.match(n))
    if unknown:
        raise ValueError(
            f"Unknown search-space parameter(s) {unknown}. Known: {sorted(known)}, and "
            "units_<i>, activation_<i>, dropout_<i> for hidden layer i."
        )


def split_config(config: dict) -> tuple[dict, dict]:
    """(preprocessing options, estimator parameters) of one configuration."""
    prep = {k: config.get(k, v) for k, v in PREPROCESSING.items()}
    skip = set(PREPROCESSING) | set(ARCHITECTURE)
    est = {k: v for k, v in config.items() if k not in skip and not _PER_LAYER.match(k)}
    per_layer = _per_layer(config)
    hidden = _hidden_layer_sizes(config, per_layer.get("units", {}))
    if hidden is not None:
        est["hidden_layer_sizes"] = hidden
    n = len(est.get("hidden_layer_sizes", (100,)))
    for kind in ("activation", "dropout"):
        if kind in per_layer:
            default = est.get(kind, "relu" if kind == "activation" else 0.0)
            est[kind] = tuple(per_layer[kind].get(i, default) for i in range(1, n + 1))
    _check_preprocessing(prep)
    return prep, est


def _per_layer(config: dict) -> dict:
    """{"units" | "activation" | "dropout": {layer i (1-based): value}} of `<kind>_<i>` names."""
    per_layer = {}
    for name, value in config.items():
        m = _PER_LAYER.match(name)
        if m:
            per_layer.setdefault(m.group(1), {})[int(m.group(2))] = value
    return per_layer


def _hidden_layer_sizes(config: dict, widths: dict) -> tuple | None:
    """The layer widths from n_layers, units and units_<i>; None if the config sets none.

    Without n_layers, the highest units_<i> sets the depth.
    """
    n_layers = config.get("n_layers")
    if n_layers is None:
        n_layers = max(widths) if widths else None
    if n_layers is None:
        return (int(config["units"]),) if "units" in config else None
    n_layers = int(n_layers)
    sizes = [widths.get(i, config.get("units")) for i in range(1, n_layers + 1)]
    if any(w is None for w in sizes):
        raise ValueError(
            f"n_layers={n_layers} needs a width for every layer: give `units` or "
            f"units_1 .. units_{n_layers}. Received: {config}"
        )
    return tuple(int(w) for w in sizes)


def _check_preprocessing(prep: dict) -> None:
    if prep["scaling"] not in ("standard", "minmax", "none", None):
        raise ValueError(
            f"scaling must be 'standard', 'minmax' or 'none'. Received: {prep['scaling']!r}"
        )
    degree = prep["degree"]
    if isinstance(degree, bool) or not isinstance(degree, int) or degree < 1:
        raise ValueError(f"degree must be an int >= 1. Received: degree={degree!r}")


def estimator_for(task: str, params: dict, seed: int):
    """An unfitted NNClassifier / NNRegressor with `params` and random_state=seed."""
    from nnlab.sklearn import NNClassifier, NNRegressor

    cls = NNRegressor if task == "regression" else NNClassifier
    return cls(**params, random_state=int(seed))
