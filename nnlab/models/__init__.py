"""Models: the functional `Model`, `Sequential`, the Rosenblatt `Perceptron`, and
`save_model` / `load_model` for `.nnlab` files."""

from nnlab.models.cloning import clone_model, model_from_json
from nnlab.models.model import Model
from nnlab.models.perceptron import Perceptron
from nnlab.models.saving import load_model, save_model
from nnlab.models.sequential import Sequential

__all__ = [
    "Model",
    "Perceptron",
    "Sequential",
    "clone_model",
    "load_model",
    "model_from_json",
    "save_model",
]
