"""nnlab: a from-scratch NumPy neural-network engine behind a Keras-shaped API.

from nnlab.models import Sequential
from nnlab.layers import Input, Dense
"""

from nnlab import (
    activations,
    backend,
    callbacks,
    config,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    saving,
    training,  # loaded with the package, so that the first fit() imports nothing
    utils,
)
from nnlab.layers import Input
from nnlab.models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "Input",
    "Model",
    "Sequential",
    "activations",
    "backend",
    "callbacks",
    "config",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "saving",
    "training",
    "utils",
]
