"""Keras 3 `.keras` files, both ways: write an archive `keras.saving.load_model` opens,
and (in `nnlab.models.keras_reader`) read Keras's own files for every layer nnlab has.

A `.keras` file is a zip of `metadata.json`, `config.json` (the serialized model) and
`model.weights.h5`: one HDF5 group `layers/<key>/vars` per layer, where the key is the
snake-cased class name numbered in layer order (`dense`, `dense_1`, `leaky_re_lu`) and the
group's `name` attribute is the layer's name, holding its variables `0, 1, ...` in
Keras's order. nnlab writes the architecture and the weights; the compile settings are
not written (Keras then loads the model uncompiled). `LAYER_OPTIONS`, `FIXED_OPTIONS`
and `IGNORED_OPTIONS` are the per-class tables of config keys both directions use.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import zipfile

from nnlab import activations
from nnlab.layers import LAYERS
from nnlab.layers.input_layer import InputLayer
from nnlab.models import model_file

SUFFIX = ".keras"
KERAS_VERSION = "3.15.1"  # the format version nnlab writes and was checked against

#: per layer class: the config keys nnlab reads, and keys Keras writes that nnlab
#: accepts only at the value given (anything else is refused, named).
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
}
FIXED_OPTIONS = {
    "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
    "kernel_constraint": None, "bias_constraint": None, "beta_regularizer": None,
    "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
    "quantization_config": None, "lora_rank": None, "renorm": False, "synchronized": False,
    "data_format": None, "sparse": False, "ragged": False, "optional": False,
    "rms_scaling": False,
}
IGNORED_OPTIONS = {
    "name", "trainable", "dtype", "kernel_initializer", "bias_initializer",
    "beta_initializer", "gamma_initializer", "moving_mean_initializer",
    "moving_variance_initializer", "renorm_clipping", "renorm_momentum",
    "lora_alpha", "autocast", "batch_shape", "batch_size", "input_shape",
}


# -- writing --------------------------------------------------------------------------------
def _activation_name(layer, act) -> str:
    name = act.name
    defaults = {"leaky_relu": {"negative_slope": 0.2}, "elu": {"alpha": 1.0}, "gelu": {
        "approximate": False}}
    known = name in activations.ACTIVATIONS and type(act) is activations.ACTIVATIONS[name]
    if not known or name in ("step", "general_relu") or (
        name in defaults and act.get_config() != defaults[name]
    ):
        raise TypeError(
            f"Layer '{layer.name}': the activation {act!r} has no Keras name, so a .keras "
            "file cannot hold it. Use a built-in activation (or the LeakyReLU / ELU / ReLU "
            "layers for other parameters), or save as .nnlab."
        )
    return name


def _layer_config(layer) -> dict:
    kind = type(layer).__name__
    if LAYERS.get(kind) is not type(layer):
        raise TypeError(
            f"Layer '{layer.name}' is a {kind}, not one of nnlab's layers {sorted(LAYERS)}; "
            "a .keras file can hold only layers both libraries have."
        )
    if getattr(layer, "regularizers", None):
        raise TypeError(
            f"Layer '{layer.name}' has weight regularizers; nnlab writes .keras files "
            "without them. Save as .nnlab to keep them."
        )
    base = {"name": layer.name, "trainable": layer.trainable, "dtype": layer.dtype.name}
    if isinstance(layer, InputLayer):
        return {"batch_shape": [None, *layer.sample_shape], "dtype": layer.dtype.name,
                "sparse": False, "ragged": False, "name": layer.name}
    config = layer.get_config()
    extra = {key: config[key] for key in LAYER_OPTIONS[kind] if key in config}
    if kind in ("Dense", "Activation"):
        extra["activation"] = _activation_name(layer, layer.activation)
    if kind == "ReLU":
        extra = layer.activation.get_config()
    return {**base, **extra}


def _entry(layer, inbound=None) -> dict:
    entry = {"module": "keras.layers", "class_name": type(layer).__name__,
             "config": _layer_config(layer), "registered_name": None}
    if inbound is not None:  # a functional model's layer
        entry["name"] = layer.name
        entry["inbound_nodes"] = inbound
    if layer.input_shape is not None and not isinstance(layer, InputLayer):
        entry["build_config"] = {"input_shape": _json_shape(layer.input_shape)}
    return entry


def _json_shape(shape):
    return [list(s) for s in shape] if isinstance(shape, list) else list(shape)


def _tensor(layer, shape) -> dict:
    return {"class_name": "__keras_tensor__", "config": {
        "shape": list(shape), "dtype": layer.dtype.name, "keras_history": [layer.name, 0, 0]}}


def model_config(model) -> dict:
    """The `config.json` document of `model` (Sequential or functional)."""
    from nnlab.models.sequential import Sequential

    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: build it before saving.")
    if isinstance(model, Sequential):
        first = model.inputs[0]._layer
        layers = [_entry(first)] + [_entry(layer) for layer in model.layers]
        config = {"name": model.name, "trainable": model.trainable, "layers": layers,
                  "build_input_shape": list(first.output.shape)}
        return {"module": "keras", "class_name": "Sequential", "config": config,
                "registered_name": None, "build_config": {"input_shape": config[
                    "build_input_shape"]}}
    producer = {node.output: node.layer for node in model._nodes}
    entries = []
    for node in model._nodes:
        if not node.inputs:
            entries.append(_entry(node.layer, []))
            continue
        args = [_tensor(producer[i], producer[i].output_shape) for i in node.inputs]
        entries.append(_entry(node.layer, [{"args": [args if node.multi_input else args[0]],
                                            "kwargs": {}}]))
    outs = [[name, 0, 0] for name in model.output_names]
    config = {"name": model.name, "trainable": model.trainable, "layers": entries,
              "input_layers": [[t._layer.name, 0, 0] for t in model.inputs],
              "output_layers": outs if model._multi_output else outs[0]}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": config, "registered_name": "Functional", "build_config": {
                "input_shape": None}}


def _snake(class_name: str) -> str:
    """Keras's snake case of a class name: LeakyReLU -> leaky_re_lu."""
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


def _group_names(layers) -> list[str]:
    """Keras addresses a model's layers in the weights file by snake-cased class name,
    numbered per name in `layers` order (dense, dense_1, ...), not by layer name."""
    used: dict[str, int] = {}
    names = []
    for layer in layers:
        base = _snake(type(layer).__name__)
        n = used.get(base, 0)
        used[base] = n + 1
        names.append(base if n == 0 else f"{base}_{n}")
    return names


def h5py_module():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            ".keras files keep their weights in HDF5: pip install h5py (or nnlab[test])."
        ) from None
    return h5py


def _weights_h5(model) -> bytes:
    h5py = h5py_module()

    from nnlab.models.sequential import Sequential

    layers = model.layers if isinstance(model, Sequential) else [n.layer for n in model._nodes]
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        group = f.create_group("layers")
        for layer, key in zip(layers, _group_names(layers)):
            g = group.create_group(key).create_group("vars")
            g.attrs["name"] = layer.name
            for i, W in enumerate(layer.weights):
                g.create_dataset(str(i), data=W)
        f.create_group("vars").attrs["name"] = model.name
    return buf.getvalue()


def save_keras(model, path) -> None:
    """Write `model` as a Keras 3 `.keras` archive, atomically.

    Example:
        >>> import os, tempfile
        >>> from nnlab.models import Sequential, load_model
        >>> from nnlab.layers import Input, Dense
        >>> model = Sequential([Input(shape=(2,)), Dense(1)])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     model.save(os.path.join(folder, "tiny.keras"))
        ...     load_model(os.path.join(folder, "tiny.keras")).count_params()
        3
    """
    config = json.dumps(model_config(model))
    weights = _weights_h5(model)
    meta = json.dumps({"keras_version": KERAS_VERSION, "date_saved": datetime.datetime.now(
        datetime.timezone.utc).strftime("%Y-%m-%d@%H:%M:%S"), "saved_by": "nnlab"})

    def write(file):
        with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_STORED) as zf:
            zf.writestr("metadata.json", meta)
            zf.writestr("config.json", config)
            zf.writestr("model.weights.h5", weights)

    model_file.atomic_write(os.fspath(path), write)


def load_keras(path, custom_objects=None):
    """Read a Keras 3 `.keras` file, code-free (see `nnlab.models.keras_reader`)."""
    from nnlab.models import keras_reader

    return keras_reader.load_keras(path, custom_objects)
