"""Layers with Keras 3's names. See `nnlab.layers.base` for the layer contract."""

from nnlab.layers.activation import Activation
from nnlab.layers.activation_layers import ELU, LeakyReLU, ReLU, Softmax
from nnlab.layers.base import Layer
from nnlab.layers.dense import Dense
from nnlab.layers.dot import Dot
from nnlab.layers.dropout import Dropout, GaussianNoise
from nnlab.layers.input_layer import Input, InputLayer
from nnlab.layers.layer_normalization import LayerNormalization, UnitNormalization
from nnlab.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from nnlab.layers.normalization import BatchNormalization
from nnlab.layers.preprocessing import Normalization, Rescaling
from nnlab.layers.reshaping import Flatten, Reshape
from nnlab.layers.symbolic import KerasTensor

LAYERS = {
    cls.__name__: cls
    for cls in (
        Activation,
        Add,
        Average,
        BatchNormalization,
        Concatenate,
        Dense,
        Dot,
        Dropout,
        ELU,
        Flatten,
        GaussianNoise,
        InputLayer,
        LayerNormalization,
        LeakyReLU,
        Maximum,
        Minimum,
        Multiply,
        Normalization,
        ReLU,
        Rescaling,
        Reshape,
        Softmax,
        Subtract,
        UnitNormalization,
    )
}

__all__ = [
    "Activation",
    "Add",
    "Average",
    "BatchNormalization",
    "Concatenate",
    "Dense",
    "Dot",
    "Dropout",
    "ELU",
    "Flatten",
    "GaussianNoise",
    "Input",
    "InputLayer",
    "KerasTensor",
    "LAYERS",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Maximum",
    "Minimum",
    "Multiply",
    "Normalization",
    "ReLU",
    "Rescaling",
    "Reshape",
    "Softmax",
    "Subtract",
    "UnitNormalization",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
