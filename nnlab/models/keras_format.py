"""Keras 3 `.keras` files, both ways: write an archive `keras.saving.load_model` opens,
and read Keras's own files for every layer nnlab has.

A `.keras` file is a zip of `metadata.json`, `config.json` (the serialized model) and
`model.weights.h5` (one HDF5 group `layers/<layer name>/vars` per layer holding its
variables `0, 1, ...` in Keras's order). nnlab writes the architecture and the weights;
the compile settings are not written (Keras then loads the model uncompiled).

Reading runs no code from the file: layer classes come only from nnlab's table
(`nnlab.layers.LAYERS`) or from `custom_objects` the caller passes; `Lambda` layers,
registered (custom) classes, nested models and options nnlab cannot honour are
refused with a `ModelFileError` naming them. Before anything is allocated the member
sizes are capped, and the HDF5 file is walked: soft and external links, virtual
datasets and external storage (which could make the reader open other files) are
refused, and every dataset must be a float array of a size the caps allow.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import re
import zipfile

import numpy as np

from nnlab import activations
from nnlab.layers import LAYERS
from nnlab.layers.input_layer import InputLayer
from nnlab.models import model_file
from nnlab.models.model_file import ModelFileError

SUFFIX = ".keras"
MAX_CONFIG_BYTES = 16 * 2**20
MAX_WEIGHTS_BYTES = 2 * 2**30
MAX_MEMBERS = 16
KERAS_VERSION = "3.15.1"  # the format version nnlab writes and was checked against

#: per layer class: the config keys nnlab reads, and keys Keras writes that nnlab
#: accepts only at the value given (anything else is refused, named).
_READ = {
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
_MUST_BE = {
    "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
    "kernel_constraint": None, "bias_constraint": None, "beta_regularizer": None,
    "gamma_regularizer": None, "beta_constraint": None, "gamma_constraint": None,
    "quantization_config": None, "lora_rank": None, "renorm": False, "synchronized": False,
    "data_format": None, "sparse": False, "ragged": False, "optional": False,
    "rms_scaling": False,
}
_IGNORED = {"name", "trainable", "dtype", "kernel_initializer", "bias_initializer",
            "beta_initializer", "gamma_initializer", "moving_mean_initializer",
            "moving_variance_initializer", "renorm_clipping", "renorm_momentum",
            "lora_alpha", "autocast", "batch_shape", "batch_size", "input_shape"}


def _bad(path, detail: str) -> ModelFileError:
    return ModelFileError(
        f"Cannot load {path} as a Keras model: {detail}. Nothing from it was run."
    )


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
    extra = {key: config[key] for key in _READ[kind] if key in config}
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


def _h5py():
    try:
        import h5py
    except ImportError:
        raise ImportError(
            ".keras files keep their weights in HDF5: pip install h5py (or nnlab[test])."
        ) from None
    return h5py


def _weights_h5(model) -> bytes:
    h5py = _h5py()

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


# -- reading --------------------------------------------------------------------------------
def _read_members(path) -> tuple[dict, bytes]:
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise _bad(path, f"it is not a zip archive ({exc})") from None
    with zf:
        infos = {info.filename: info for info in zf.infolist()}
        if len(infos) > MAX_MEMBERS:
            raise _bad(path, f"it has {len(infos)} members; a .keras model has a few")
        for name, cap in (("config.json", MAX_CONFIG_BYTES), ("model.weights.h5",
                                                              MAX_WEIGHTS_BYTES)):
            if name not in infos:
                raise _bad(path, f"it has no {name}")
            if infos[name].file_size > cap:
                raise _bad(path, f"{name} is {infos[name].file_size} bytes, over the cap {cap}")
        try:
            config = json.loads(zf.read("config.json"))
            weights = zf.read("model.weights.h5")
        except (ValueError, zipfile.BadZipFile, OSError) as exc:
            raise _bad(path, f"a member cannot be read ({exc})") from None
    if not isinstance(config, dict):
        raise _bad(path, "config.json is not an object")
    return config, weights


def _read_weights(path, data: bytes) -> dict[str, np.ndarray]:
    """Every dataset of the HDF5 weights, after refusing links and virtual data."""
    h5py = _h5py()

    arrays: dict[str, np.ndarray] = {}
    total = 0
    try:
        f = h5py.File(io.BytesIO(data), "r")
    except OSError as exc:
        raise _bad(path, f"model.weights.h5 is not an HDF5 file ({exc})") from None
    with f:
        links: list = []
        f.visititems_links(lambda name, link: links.append((name, link)))
        for name, link in links:  # checked outside h5py's callback, which eats exceptions
            if not isinstance(link, h5py.HardLink):
                raise _bad(path, f"model.weights.h5 holds a {type(link).__name__} at '{name}' "
                                 "(links could make the loader read other files)")
        for name, _ in links:
            obj = f[name]
            if not isinstance(obj, h5py.Dataset):
                continue
            if obj.is_virtual or obj.external:
                raise _bad(path, f"dataset '{name}' is virtual or stored in another file")
            if not name.startswith("layers/"):
                continue  # optimizer state: nnlab loads the model uncompiled
            if obj.dtype.kind not in "fiu":
                raise _bad(path, f"dataset '{name}' has dtype {obj.dtype}, not a number")
            total += obj.size * obj.dtype.itemsize
            if total > MAX_WEIGHTS_BYTES:
                raise _bad(path, "the weights exceed the size cap")
            owner = f[name].parent.attrs.get("name", "")  # layers/<key>/vars has the name
            owner = owner.decode() if isinstance(owner, bytes) else str(owner)
            arrays[f"{owner}/{name.rsplit('/', 1)[-1]}"] = obj[()]
    return arrays


def _dtype(path, config: dict):
    d = config.get("dtype")
    if isinstance(d, dict):
        d = (d.get("config") or {}).get("name")
    if d is None:
        return None
    if d not in ("float32", "float64"):
        raise _bad(path, f"layer '{config.get('name')}' uses dtype {d!r}; nnlab has float32 "
                         "and float64")
    return d


def _make_layer(path, entry: dict, custom_objects: dict):
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise _bad(path, "a layer entry is not an object with a config")
    kind = entry.get("class_name")
    config = entry["config"]
    label = f"layer '{config.get('name')}' ({kind})"
    if kind in custom_objects:
        return custom_objects[kind].from_config(config)
    if kind in ("Sequential", "Functional", "Model"):
        raise _bad(path, f"{label} is a nested model, which nnlab's loader does not read")
    if kind == "Lambda" or entry.get("registered_name") not in (None, kind) or kind not in _READ:
        raise _bad(path, f"{label} is not a layer nnlab has (it reads {sorted(_READ)}); "
                         "Lambda layers and custom classes hold code, which nnlab never "
                         "loads from a file: pass the class in custom_objects={...}")
    kwargs = {"name": config.get("name"), "trainable": bool(config.get("trainable", True)),
              "dtype": _dtype(path, config)}
    for key, value in config.items():
        if key in _READ[kind]:
            if key == "axis" and isinstance(value, list) and len(value) == 1:
                value = value[0]  # Keras writes Normalization's axis as [-1]
            kwargs[key] = value
        elif key in _MUST_BE:
            if value != _MUST_BE[key]:
                raise _bad(path, f"{label} sets {key}={value!r}, which nnlab does not support")
        elif key not in _IGNORED:
            raise _bad(path, f"{label} has the option {key!r}, which nnlab does not know")
    act = kwargs.get("activation")
    if act is not None:
        if not isinstance(act, str) or act not in activations.ACTIVATIONS:
            raise _bad(path, f"{label} uses the activation {act!r}, which nnlab does not have")
    if kind in ("Dropout", "GaussianNoise") and kwargs.get("seed") is None:
        kwargs.pop("seed", None)
    try:
        return LAYERS[kind](**kwargs)
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"{label} cannot be rebuilt ({exc})") from None


def _input(path, config: dict):
    from nnlab.layers import Input

    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if not isinstance(shape, list) or len(shape) < 2:
        raise _bad(path, f"input '{config.get('name')}' has no batch_shape")
    return Input(shape=tuple(shape[1:]), dtype=_dtype(path, config), name=config.get("name"))


def _history(path, arg):
    if isinstance(arg, list):
        return [_history(path, a) for a in arg]
    try:
        return arg["config"]["keras_history"][0]
    except (KeyError, TypeError, IndexError):
        raise _bad(path, f"an inbound node {arg!r} is not a tensor reference") from None


def _build(path, doc: dict, custom_objects: dict):
    from nnlab.models.model import Model
    from nnlab.models.sequential import Sequential

    kind, config = doc.get("class_name"), doc.get("config")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(config, dict):
        raise _bad(path, f"the model class {kind!r} is not Sequential or Functional")
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise _bad(path, "config.layers is not a list")
    if kind == "Sequential":
        first = entries[0] if entries else {}
        layers = []
        if first.get("class_name") == "InputLayer":
            layers.append(_input(path, first["config"]))
            entries = entries[1:]
        layers += [_make_layer(path, e, custom_objects) for e in entries]
        model = Sequential(layers, name=config.get("name"))
        if not model.built and config.get("build_input_shape"):
            model.build(tuple(config["build_input_shape"]))
        return model
    tensors = {}
    for entry in entries:
        if entry.get("class_name") == "InputLayer":
            tensors[entry["config"]["name"]] = _input(path, entry["config"])
            continue
        layer = _make_layer(path, entry, custom_objects)
        nodes = entry.get("inbound_nodes") or []
        if len(nodes) != 1:
            raise _bad(path, f"layer '{layer.name}' is called {len(nodes)} times; nnlab reads "
                             "layers called once (no shared layers)")
        args = _history(path, nodes[0]["args"][0])
        try:
            inputs = [tensors[n] for n in args] if isinstance(args, list) else tensors[args]
        except KeyError as exc:
            raise _bad(path, f"layer '{layer.name}' reads {exc}, defined nowhere before") from None
        tensors[layer.name] = layer(inputs)

    def refs(spec):
        if spec and isinstance(spec[0], str):
            return tensors[spec[0]]
        return [refs(s) for s in spec]

    try:
        return Model(refs(config["input_layers"]), refs(config["output_layers"]),
                     name=config.get("name"))
    except (KeyError, TypeError, IndexError) as exc:
        raise _bad(path, f"the model's inputs or outputs are malformed ({exc})") from None


def load_keras(path, custom_objects=None):
    """Read a Keras 3 `.keras` file into an nnlab model (uncompiled), code-free.

    Args:
        path: the `.keras` file.
        custom_objects: {class name: nnlab Layer class with `from_config`} for layers
            the file names that nnlab does not have; the code comes from you, never
            from the file.

    Raises:
        ModelFileError: the file is not a Keras model nnlab can read, names a layer,
            option or activation nnlab does not have, or holds links to other files.
    """
    from nnlab import backend

    path = os.fspath(path)
    config, data = _read_members(path)
    arrays = _read_weights(path, data)
    seed_state = backend._seed_stream.bit_generator.state  # building draws initial weights
    try:
        model = _build(path, config, dict(custom_objects or {}))
    finally:
        backend._seed_stream.bit_generator.state = seed_state
    for layer in model.layers:
        targets = layer.weights
        prefix = f"{layer.name}/"
        found = sorted((int(k[len(prefix):]), v) for k, v in arrays.items()
                       if k.startswith(prefix) and k[len(prefix):].isdigit())
        if len(found) != len(targets):
            raise _bad(path, f"layer '{layer.name}' has {len(targets)} weights but the file "
                             f"holds {len(found)}")
        for target, (_, W) in zip(targets, found):
            if W.shape != target.shape:
                raise _bad(path, f"a weight of layer '{layer.name}' has shape {W.shape}, "
                                 f"expected {target.shape}")
            target[...] = W
    return model
