"""Models: the functional `Model`, `Sequential`, and the Rosenblatt `Perceptron`."""

from nnlab.models.model import Model
from nnlab.models.perceptron import Perceptron
from nnlab.models.sequential import Sequential

__all__ = ["Model", "Perceptron", "Sequential"]
