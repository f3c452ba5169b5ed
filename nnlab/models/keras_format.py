"""Keras 3 `.keras` files, both ways: write an archive `keras.saving.load_model` opens,
and (in `nnlab.models.keras_reader`) read Keras's own files for every layer nnlab has.

A `.keras` file is a zip of `metadata.json`, `config.json` (the serialized model) and
`model.weights.h5`: one HDF5 group `layers/<key>/vars` per layer, where the key is the
snake-cased class name numbered in layer order (`dense`, `dense_1`, `leaky_re_lu`) and the
group's `name` attribute is the layer's name, holding its variables `0, 1, ...` in
Keras's order (a recurrent layer's in `layers/<key>/cell/vars`, a wrapper's inner layers'
below `forward_layer/`, `backward_layer/` or `layer/`). A nested model (a model used as
a layer) is written as Keras writes it: its whole config as one layer entry, and its
layers below its own key (`layers/sequential/layers/dense/vars/0`, its `vars` group named
after it); one called more than once (shared weights) is one entry listing each call in
`inbound_nodes`, read by later layers as [name, call, output]. nnlab writes the architecture and
the weights; the compile settings are not written (Keras then loads the model
uncompiled). The per-class tables of config keys both directions use (`LAYER_OPTIONS`,
`FIXED_OPTIONS`, `IGNORED_OPTIONS`) and the weight paths are in
`nnlab.models.keras_layers`.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile

from nnlab import activations
from nnlab.layers import LAYERS
from nnlab.layers.input_layer import InputLayer
from nnlab.layers.multi_output import OutputItem
from nnlab.layers.recurrent import RNN
from nnlab.models import model_file, nested_file
from nnlab.models.keras_layers import (  # noqa: F401  (the tables, also read from here)
    ACTIVATION_KEYS,
    FIXED_OPTIONS,
    IGNORED_OPTIONS,
    LAYER_OPTIONS,
    NO_TRAINABLE_KEY,
    WRAPPED_KEYS,
    saved_groups,
    snake,
)
from nnlab.models.nested import is_model

SUFFIX = ".keras"
KERAS_VERSION = "3.15.1"  # the format version nnlab writes and was checked against

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
    if LAYERS.get(kind) is not type(layer) or kind not in LAYER_OPTIONS:
        raise TypeError(
            f"Layer '{layer.name}' is a {kind}, not one of the layers a .keras file can "
            f"hold {sorted(LAYER_OPTIONS)}; save as .nnlab to keep it."
        )
    if getattr(layer, "regularizers", None):
        raise TypeError(
            f"Layer '{layer.name}' has weight regularizers; nnlab writes .keras files "
            "without them. Save as .nnlab to keep them."
        )
    base = {"name": layer.name, "trainable": layer.trainable, "dtype": layer.dtype.name}
    if kind in NO_TRAINABLE_KEY:
        del base["trainable"]
    config = layer.get_config()
    extra = {key: config[key] for key in LAYER_OPTIONS[kind] if key in config}
    for key in ACTIVATION_KEYS:
        if key in extra:
            extra[key] = _activation_name(layer, getattr(layer, key))
    if kind == "ReLU":
        extra = layer.activation.get_config()
    if kind == "Bidirectional":
        extra["layer"] = _entry(layer.forward_layer)
        extra["backward_layer"] = _entry(layer.backward_layer)
    if kind == "TimeDistributed":
        extra["layer"] = _entry(layer.layer)
    return {**base, **extra}


def _entry(layer, inbound=None) -> dict:
    if is_model(layer):  # a nested model: its whole config, as a layer of this one
        entry = model_config(layer)
        if inbound is not None:
            entry["name"] = layer.name
            entry["inbound_nodes"] = inbound
        return entry
    if isinstance(layer, InputLayer):
        config = {"batch_shape": [None, *layer.sample_shape], "dtype": layer.dtype.name,
                  "sparse": False, "ragged": False, "name": layer.name}
    else:
        config = _layer_config(layer)
    entry = {"module": "keras.layers", "class_name": type(layer).__name__,
             "config": config, "registered_name": None}
    if inbound is not None:  # a functional model's layer
        entry["name"] = layer.name
        entry["inbound_nodes"] = inbound
    shape = None if isinstance(layer, InputLayer) else layer.input_shape
    if isinstance(layer, RNN) and isinstance(shape, list):  # called with initial_state
        entry["build_config"] = {"shapes_dict": {"sequences_shape": list(shape[0]),
                                                 "initial_state_shape": _json_shape(shape[1:])}}
    elif shape is not None:
        entry["build_config"] = {"input_shape": _json_shape(shape)}
    return entry


def _json_shape(shape):
    return [list(s) for s in shape] if isinstance(shape, list) else list(shape)


def _history(producer: dict, node) -> list:
    """Keras's [layer name, call, output index] of the tensor `node` writes (the call is
    0 but for a nested model called several times): an OutputItem (nnlab's pick of one
    output of a layer with several) is output k of the node before it."""
    if isinstance(node.layer, OutputItem):
        source = producer[node.inputs[0]]
        return [source.layer.name, source.call, node.layer.index]
    return [node.layer.name, node.call, 0]


def _tensor(producer: dict, position: int) -> dict:
    node = producer[position]
    return {"class_name": "__keras_tensor__", "config": {
        "shape": list(node.layer.output_shape), "dtype": node.layer.dtype.name,
        "keras_history": _history(producer, node)}}


def _inbound(producer: dict, node) -> list:
    args = [_tensor(producer, i) for i in node.inputs]
    if isinstance(node.layer, RNN) and len(args) > 1:  # called with initial_state=[...]
        return [{"args": [args[0]], "kwargs": {"initial_state": args[1:]}}]
    kwargs = {"mask": None} if is_model(node.layer) else {}  # as Keras calls a nested model
    return [{"args": [args if node.multi_input else args[0]], "kwargs": kwargs}]


def written_layers(model) -> list:
    """The layers a .keras file lists, in Keras's order (`keras_order`)."""
    from nnlab.models.sequential import Sequential

    if isinstance(model, Sequential):
        return list(model.layers)
    return [node.layer for node in keras_order(model)]


def keras_order(model) -> list:
    """A functional model's layers, each as its first node, in the order Keras gives
    them, which numbers their weight groups (dense, dense_1, ...): deepest first (depth
    counted from the outputs; a layer called several times, a shared nested model, takes
    the greatest depth of its calls, which deepens the layers before them), ties in the
    order a depth-first walk from the outputs first meets the layer. nnlab's OutputItem
    nodes (one output of a layer with several) are not layers in Keras: a tensor read
    through one is read from the layer itself."""
    producer = {node.output: node for node in model.graph_nodes}

    def source(position: int):
        node = producer[position]
        return producer[node.inputs[0]] if isinstance(node.layer, OutputItem) else node

    seen: set[int] = set()
    first_met: dict[int, int] = {}  # layer id -> when the walk first met it
    post_order: list = []

    def walk(node) -> None:  # iterative depth-first walk from one output
        stack = [(node, False)]
        while stack:
            item, done = stack.pop()
            if done:
                post_order.append(item)
                continue
            if item.output in seen:
                continue
            seen.add(item.output)
            first_met.setdefault(id(item.layer), len(first_met))
            stack.append((item, True))
            stack += [(source(i), False) for i in reversed(item.inputs)]

    for position in model.output_positions:
        walk(source(position))
    depth: dict[int, int] = {}  # node output -> depth
    layer_depth: dict[int, int] = {}  # layer id -> depth
    for node in model.graph_nodes:  # an Input no output reads: depth 0, first (as Keras)
        if isinstance(node.layer, InputLayer) and node.output not in seen:
            first_met[id(node.layer)], layer_depth[id(node.layer)] = -1, 0
            post_order.append(node)
    for node in reversed(post_order):
        d = max(depth.get(node.output, 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = depth[node.output] = d
        for i in node.inputs:
            parent = source(i).output
            depth[parent] = max(depth.get(parent, 0), d + 1)
    firsts = {}
    for node in sorted(post_order, key=lambda n: n.call):
        firsts.setdefault(id(node.layer), node)
    return sorted(firsts.values(), key=lambda n: (-layer_depth[id(n.layer)],
                                                  first_met[id(n.layer)]))


def _inbound_nodes(model, producer: dict, layer) -> list:
    """Every call of `layer` in `model`, in call order (Keras's node indices)."""
    nodes = sorted((n for n in model.graph_nodes if n.layer is layer and n.inputs),
                   key=lambda n: n.call)
    return [_inbound(producer, n)[0] for n in nodes]


def model_config(model) -> dict:
    """The `config.json` document of `model` (Sequential or functional)."""
    from nnlab.models.sequential import Sequential

    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet: build it before saving.")
    if isinstance(model, Sequential):
        first = model.inputs[0].producer
        layers = [_entry(first)] + [_entry(layer) for layer in model.layers]
        config = {"name": model.name, "trainable": model.trainable, "layers": layers,
                  "build_input_shape": list(first.output.shape)}
        return {"module": "keras", "class_name": "Sequential", "config": config,
                "registered_name": None, "build_config": {"input_shape": config[
                    "build_input_shape"]}}
    producer = {node.output: node for node in model.graph_nodes}
    entries = [_entry(node.layer, _inbound_nodes(model, producer, node.layer))
               for node in keras_order(model)]
    outs = [_history(producer, producer[i]) for i in model.output_positions]
    ins = [[t.producer.name, 0, 0] for t in model.inputs]
    config = {"name": model.name, "trainable": model.trainable, "layers": entries,
              "input_layers": ins if len(ins) > 1 else ins[0],
              "output_layers": outs if model.multi_output else outs[0]}
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "config": config, "registered_name": "Functional", "build_config": {
                "input_shape": None}}


def _group_names(layers) -> list[str]:
    """Keras addresses a model's layers in the weights file by snake-cased class name,
    numbered per name in `layers` order (dense, dense_1, ...), not by layer name."""
    used: dict[str, int] = {}
    names = []
    for layer in layers:
        base = snake(nested_file.kind(layer) if is_model(layer) else type(layer).__name__)
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

    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        _write_groups(f, model)
    return buf.getvalue()


def _write_groups(group, model) -> None:
    """`model`'s layers below `group` (`layers/<key>/...`) and its own `vars` group; a
    nested model's layers go below its key in the same layout (`layers/sequential/
    layers/dense/vars/0`), as Keras writes them."""
    layers = written_layers(model)
    for layer, key in zip(layers, _group_names(layers)):
        if is_model(layer):
            _write_groups(group.create_group(f"layers/{key}"), layer)
            continue
        for path, name, weights in saved_groups(layer):
            g = group.create_group(f"layers/{key}/{path}vars")
            g.attrs["name"] = name
            for i, W in enumerate(weights):
                g.create_dataset(str(i), data=W)
    group.create_group("vars").attrs["name"] = model.name


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
