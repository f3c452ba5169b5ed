"""The per-layer tables of nnlab's `.keras` support: which config keys each layer class
carries, which Keras options nnlab accepts only at one value, and where Keras keeps each
layer's weights inside `model.weights.h5`.

Both directions use them: `nnlab.models.keras_format` writes the keys of `LAYER_OPTIONS`
and the weight groups of `saved_groups`; `nnlab.models.keras_reader` reads the same keys,
refuses a `FIXED_OPTIONS` key set to another value (by name), and looks for each weight
where `saved_groups` says Keras wrote it.
"""

from __future__ import annotations

import re

from nnlab.layers.recurrent import RNN
from nnlab.layers.wrappers import Bidirectional, TimeDistributed

_RNN_OPTIONS = ["units", "activation", "use_bias", "dropout", "recurrent_dropout",
                "return_sequences", "return_state", "go_backwards", "unroll",
                "zero_output_for_mask"]
_CONV_OPTIONS = ["filters", "kernel_size", "strides", "padding", "dilation_rate",
                 "activation", "use_bias"]
_POOL_OPTIONS = ["pool_size", "strides", "padding"]

#: per layer class: the config keys nnlab reads and writes (under Keras's names).
LAYER_OPTIONS = {
    "Dense": ["units", "activation", "use_bias"],
    "Activation": ["activation"],
    "Dropout": ["rate", "noise_shape", "seed"],
    "GaussianNoise": ["stddev", "seed"],
    "BatchNormalization": ["axis", "momentum", "epsilon", "center", "scale"],
    "Flatten": [],
    "Reshape": ["target_shape"],
    "Add": [], "Subtract": [], "Multiply": [], "Average": [],
    "Concatenate": ["axis"],
    "LeakyReLU": ["negative_slope"],
    "ReLU": ["max_value", "negative_slope", "threshold"],
    "ELU": ["alpha"],
    "Softmax": ["axis"],
    "Normalization": ["axis", "mean", "variance", "invert"],
    "Rescaling": ["scale", "offset"],
    "LayerNormalization": ["axis", "epsilon", "center", "scale"],
    "UnitNormalization": ["axis"],
    "Maximum": [], "Minimum": [],
    "Dot": ["axes", "normalize"],
    "Conv1D": _CONV_OPTIONS, "Conv2D": _CONV_OPTIONS,
    "MaxPooling1D": _POOL_OPTIONS, "MaxPooling2D": _POOL_OPTIONS,
    "AveragePooling1D": _POOL_OPTIONS, "AveragePooling2D": _POOL_OPTIONS,
    "GlobalAveragePooling1D": ["keepdims"], "GlobalAveragePooling2D": ["keepdims"],
    "GlobalMaxPooling1D": ["keepdims"], "GlobalMaxPooling2D": ["keepdims"],
    "ZeroPadding2D": ["padding"],
    "UpSampling2D": ["size"],
    "SpatialDropout1D": ["rate", "seed"], "SpatialDropout2D": ["rate", "seed"],
    "SimpleRNN": [*_RNN_OPTIONS, "seed"],
    "LSTM": [*_RNN_OPTIONS, "seed", "recurrent_activation", "unit_forget_bias"],
    "GRU": [*_RNN_OPTIONS, "seed", "recurrent_activation", "reset_after"],
    "Embedding": ["input_dim", "output_dim", "mask_zero"],
    "Bidirectional": ["merge_mode"],
    "TimeDistributed": [],
}
#: config keys that hold a wrapped layer's entry {"class_name", "config", ...}
WRAPPED_KEYS = {"Bidirectional": ("layer", "backward_layer"), "TimeDistributed": ("layer",)}
#: keys Keras writes that nnlab accepts only at the value given (a tuple: any of these
#: values); anything else is refused, named. They are not written (Keras's default holds).
FIXED_OPTIONS = {
    "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
    "kernel_constraint": None, "bias_constraint": None, "beta_regularizer": None,
    "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
    "recurrent_regularizer": None, "recurrent_constraint": None,
    "embeddings_regularizer": None, "embeddings_constraint": None,
    "quantization_config": None, "lora_rank": None, "renorm": False, "synchronized": False,
    "data_format": (None, "channels_last"), "sparse": False, "ragged": False,
    "optional": False, "rms_scaling": False, "groups": 1, "stateful": False,
    "interpolation": "nearest",
}
#: keys read and dropped: names, initializers (the weights come from the file) and
#: settings without effect on a loaded model.
IGNORED_OPTIONS = {
    "name", "trainable", "dtype", "kernel_initializer", "bias_initializer",
    "beta_initializer", "gamma_initializer", "moving_mean_initializer",
    "moving_variance_initializer", "renorm_clipping", "renorm_momentum",
    "lora_alpha", "autocast", "batch_shape", "batch_size", "input_shape",
    "recurrent_initializer", "embeddings_initializer",
}
#: classes whose Keras constructor takes no `trainable` (it is not written for them)
NO_TRAINABLE_KEY = ("SpatialDropout1D", "SpatialDropout2D")
#: activation-valued keys (checked against nnlab's activations, written by name)
ACTIVATION_KEYS = ("activation", "recurrent_activation")


def fixed_value_ok(key: str, value) -> bool:
    """Whether `value` is one nnlab accepts for the FIXED_OPTIONS key `key`."""
    allowed = FIXED_OPTIONS[key]
    return value in allowed if isinstance(allowed, tuple) else value == allowed


def snake(class_name: str) -> str:
    """Keras's snake case of a class name: LeakyReLU -> leaky_re_lu."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", s).lower()


def saved_groups(layer) -> list[tuple[str, str, list]]:
    """Where Keras keeps `layer`'s weights, below the layer's own group `layers/<key>/`:
    [(path prefix, the `name` attribute of its `vars` group, the weight arrays), ...].

    A recurrent layer keeps its weights in its cell (`cell/vars/0..2`: kernel,
    recurrent_kernel, bias, the cell named `lstm_cell` etc.); Bidirectional in
    `forward_layer/` and `backward_layer/`; TimeDistributed in `layer/`; every other
    layer in `vars/0, 1, ...` in `layer.weights` order.

    Example:
        >>> from nnlab.layers import LSTM
        >>> lstm = LSTM(2)
        >>> lstm.build((None, 5, 3))
        >>> [(path, name, len(w)) for path, name, w in saved_groups(lstm)]
        [('', 'lstm', 0), ('cell/', 'lstm_cell', 3)]
    """
    if isinstance(layer, RNN):
        return [("", layer.name, []), ("cell/", f"{snake(type(layer).__name__)}_cell",
                                       layer.weights)]
    if isinstance(layer, Bidirectional):
        inner = [("forward_layer/", layer.forward_layer), ("backward_layer/",
                                                          layer.backward_layer)]
    elif isinstance(layer, TimeDistributed):
        inner = [("layer/", layer.layer)]
    else:
        return [("", layer.name, layer.weights)]
    groups = [("", layer.name, [])]
    for prefix, sub in inner:
        groups += [(prefix + path, name, weights) for path, name, weights in saved_groups(sub)]
    return groups
