"""Layers with Keras 3's names. See `nnlab.layers.base` for the layer contract."""

from nnlab.layers.activation import Activation
from nnlab.layers.base import Layer
from nnlab.layers.convolutional import Conv1D, Conv2D
from nnlab.layers.dense import Dense
from nnlab.layers.dropout import Dropout, GaussianNoise
from nnlab.layers.embedding import Embedding
from nnlab.layers.gru import GRU
from nnlab.layers.input_layer import Input, InputLayer
from nnlab.layers.lstm import LSTM
from nnlab.layers.merging import (
    Add,
    Average,
    Concatenate,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    multiply,
    subtract,
)
from nnlab.layers.multi_output import OutputItem
from nnlab.layers.normalization import BatchNormalization
from nnlab.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPooling1D,
    MaxPooling2D,
)
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
        Dropout,
        Embedding,
        Flatten,
        GRU,
        GaussianNoise,
        GlobalAveragePooling1D,
        GlobalAveragePooling2D,
        GlobalMaxPooling1D,
        GlobalMaxPooling2D,
        InputLayer,
        LSTM,
        MaxPooling1D,
        MaxPooling2D,
        Multiply,
        OutputItem,
        Reshape,
        SimpleRNN,
        SpatialDropout1D,
        SpatialDropout2D,
        Subtract,
        TimeDistributed,
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
    "Dropout",
    "Embedding",
    "Flatten",
    "GRU",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "Input",
    "InputLayer",
    "KerasTensor",
    "LAYERS",
    "LSTM",
    "Layer",
    "MaxPooling1D",
    "MaxPooling2D",
    "Multiply",
    "Reshape",
    "SimpleRNN",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "Subtract",
    "TimeDistributed",
    "UpSampling2D",
    "ZeroPadding2D",
    "add",
    "average",
    "concatenate",
    "multiply",
    "subtract",
]
