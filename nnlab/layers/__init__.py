"""Layers with Keras 3's names. See `nnlab.layers.base` for the layer contract."""

from nnlab.layers.activation import Activation
from nnlab.layers.activation_layers import ELU, LeakyReLU, ReLU, Softmax
from nnlab.layers.base import Layer
from nnlab.layers.convolutional import Conv1D, Conv2D
from nnlab.layers.dense import Dense
from nnlab.layers.dot import Dot
from nnlab.layers.dropout import Dropout, GaussianNoise
from nnlab.layers.embedding import Embedding
from nnlab.layers.global_pooling import (
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
)
from nnlab.layers.gru import GRU
from nnlab.layers.input_layer import Input, InputLayer
from nnlab.layers.layer_normalization import LayerNormalization, UnitNormalization
from nnlab.layers.lstm import LSTM
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
from nnlab.layers.multi_output import OutputItem
from nnlab.layers.normalization import BatchNormalization
from nnlab.layers.pooling import AveragePooling1D, AveragePooling2D, MaxPooling1D, MaxPooling2D
from nnlab.layers.preprocessing import Normalization, Rescaling
from nnlab.layers.reshaping import Flatten, Reshape
from nnlab.layers.simple_rnn import SimpleRNN
from nnlab.layers.spatial import SpatialDropout1D, SpatialDropout2D, UpSampling2D, ZeroPadding2D
from nnlab.layers.symbolic import KerasTensor
from nnlab.layers.wrappers import Bidirectional, TimeDistributed

LAYERS = {
    cls.__name__: cls
    for cls in (
        Activation,
        Add,
        Average,
        AveragePooling1D,
        AveragePooling2D,
        BatchNormalization,
        Bidirectional,
        Concatenate,
        Conv1D,
        Conv2D,
        Dense,
        Dot,
        Dropout,
        ELU,
        Embedding,
        Flatten,
        GaussianNoise,
        GlobalAveragePooling1D,
        GlobalAveragePooling2D,
        GlobalMaxPooling1D,
        GlobalMaxPooling2D,
        GRU,
        InputLayer,
        LayerNormalization,
        LeakyReLU,
        LSTM,
        Maximum,
        MaxPooling1D,
        MaxPooling2D,
        Minimum,
        Multiply,
        Normalization,
        OutputItem,
        ReLU,
        Rescaling,
        Reshape,
        SimpleRNN,
        Softmax,
        SpatialDropout1D,
        SpatialDropout2D,
        Subtract,
        TimeDistributed,
        UnitNormalization,
        UpSampling2D,
        ZeroPadding2D,
    )
}

__all__ = [
    "Activation",
    "Add",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "BatchNormalization",
    "Bidirectional",
    "Concatenate",
    "Conv1D",
    "Conv2D",
    "Dense",
    "Dot",
    "Dropout",
    "ELU",
    "Embedding",
    "Flatten",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GRU",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Layer",
    "LayerNormalization",
    "LAYERS",
    "LeakyReLU",
    "LSTM",
    "Maximum",
    "MaxPooling1D",
    "MaxPooling2D",
    "Minimum",
    "Multiply",
    "Normalization",
    "ReLU",
    "Rescaling",
    "Reshape",
    "SimpleRNN",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "Subtract",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling2D",
    "ZeroPadding2D",
    "add",
    "average",
    "concatenate",
    "maximum",
    "minimum",
    "multiply",
    "subtract",
]
