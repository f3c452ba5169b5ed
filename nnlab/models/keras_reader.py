"""Reading Keras 3 `.keras` files into nnlab models, code-free (see
`nnlab.models.keras_format` for the format and what nnlab writes).

Layer classes come only from nnlab's table (`nnlab.layers.LAYERS`, restricted to the
layers listed in `keras_layers.LAYER_OPTIONS`; a wrapper's inner layers likewise) or from
`custom_objects` the caller passes; `Lambda` layers, registered (custom) classes, shared
layers (other than nested models called several times), models nested more than
`nested_file.MAX_DEPTH` deep and options nnlab cannot honour are refused with a
`ModelFileError` naming them. A nested model's entry (its whole config, as Keras writes
it) is rebuilt as an nnlab model, its weights read from below its own group, and the calls
of one called several times are made in Keras's order. In a functional config, a layer's
`initial_state` and k-th outputs (`return_state`) are followed, and the `NotEqual` op
Keras records for the mask of `Embedding(mask_zero=True)` is checked and left to nnlab,
which derives the same mask. Member sizes are capped before anything is read; the HDF5
weights are walked and checked first, and each weight is looked up where Keras writes it
(`nnlab.models.keras_weights`).
"""

from __future__ import annotations

import json
import os
import zipfile

from nnlab import activations
from nnlab.layers import LAYERS
from nnlab.models.keras_layers import (
    ACTIVATION_KEYS,
    FIXED_OPTIONS,
    IGNORED_OPTIONS,
    LAYER_OPTIONS,
    WRAPPED_KEYS,
    fixed_value_ok,
)
from nnlab.models.keras_weights import MAX_WEIGHTS_BYTES, read_weights, set_weights
from nnlab.models.keras_weights import bad as _bad
from nnlab.models.nested import is_model
from nnlab.models.nested_file import MAX_DEPTH

MAX_CONFIG_BYTES = 16 * 2**20
MAX_MEMBERS = 16


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
        except (ValueError, RecursionError, zipfile.BadZipFile, OSError) as exc:
            raise _bad(path, f"a member cannot be read ({exc})") from None
    if not isinstance(config, dict):
        raise _bad(path, "config.json is not an object")
    return config, weights


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


def _options(path, kind: str, config: dict, label: str, custom_objects: dict) -> dict:
    """The constructor arguments of a `kind` layer from its Keras config, refusing what
    nnlab cannot honour by name; wrapped layers are made (and checked) as layers."""
    kwargs = {"name": config.get("name"), "trainable": bool(config.get("trainable", True)),
              "dtype": _dtype(path, config)}
    wrapped = WRAPPED_KEYS.get(kind, ())
    for key, value in config.items():
        if key in wrapped:
            if value is not None:
                kwargs[key] = _make_layer(path, value, custom_objects)
        elif key in LAYER_OPTIONS[kind]:
            if key == "axis" and isinstance(value, list) and len(value) == 1:
                value = value[0]  # Keras writes Normalization's axis as [-1]
            kwargs[key] = value
        elif key in FIXED_OPTIONS:
            if not fixed_value_ok(key, value):
                raise _bad(path, f"{label} sets {key}={value!r}, which nnlab does not support "
                                 f"(it reads {key}={FIXED_OPTIONS[key]!r} only)")
        elif key not in IGNORED_OPTIONS:
            raise _bad(path, f"{label} has the option {key!r}, which nnlab does not know")
    for key in ACTIVATION_KEYS:
        act = kwargs.get(key)
        if act is not None and (not isinstance(act, str) or act not in activations.ACTIVATIONS):
            raise _bad(path, f"{label} uses the {key} {act!r}, which nnlab does not have")
    return kwargs


def _make_layer(path, entry: dict, custom_objects: dict, depth: int | None = None):
    """The layer of a Keras layer entry; a nested model's entry (`depth`: how deep the
    model holding it is nested; None inside a wrapper, where nnlab has no models) is
    rebuilt as an nnlab model."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise _bad(path, "a layer entry is not an object with a config")
    kind = entry.get("class_name")
    config = entry["config"]
    label = f"layer '{config.get('name')}' ({kind})"
    if kind in custom_objects:
        return custom_objects[kind].from_config(config)
    if kind in ("Sequential", "Functional", "Model"):
        if depth is None:
            raise _bad(path, f"{label} is a model inside a wrapper layer, which nnlab "
                             "does not have")
        if depth >= MAX_DEPTH:
            raise _bad(path, f"{label} is nested {depth + 1} deep; nnlab reads models "
                             f"nested at most {MAX_DEPTH} deep")
        return _build(path, entry, custom_objects, depth + 1)
    custom = entry.get("registered_name") not in (None, kind)
    if kind == "Lambda" or custom or kind not in LAYER_OPTIONS:
        raise _bad(path, f"{label} is not a layer nnlab has (it reads {sorted(LAYER_OPTIONS)}); "
                         "Lambda layers and custom classes hold code, which nnlab never "
                         "loads from a file: pass the class in custom_objects={...}")
    kwargs = _options(path, kind, config, label, custom_objects)
    if kwargs.get("seed", 0) is None:
        kwargs.pop("seed")
    try:
        return LAYERS[kind](**kwargs)
    except (TypeError, ValueError) as exc:
        raise _bad(path, f"{label} cannot be rebuilt ({exc})") from None


def _input(path, config: dict):
    from nnlab.layers import Input

    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if not isinstance(shape, list) or len(shape) < 2:
        raise _bad(path, f"input '{config.get('name')}' has no batch_shape")
    dtype = config.get("dtype")
    if not (isinstance(dtype, str) and dtype.startswith(("int", "uint"))):
        dtype = _dtype(path, config)
    # Input holds integer token ids (for an Embedding) in nnlab's float type
    return Input(shape=tuple(shape[1:]), dtype=dtype, name=config.get("name"))


def _history(path, arg) -> tuple[str, int, int]:
    """(layer name, call, output index) of a Keras tensor reference."""
    try:
        name, node, index = arg["config"]["keras_history"]
    except (KeyError, TypeError, ValueError):
        raise _bad(path, f"an inbound node {arg!r} is not a tensor reference") from None
    if not (isinstance(name, str) and isinstance(node, int) and isinstance(index, int)
            and node >= 0):
        raise _bad(path, f"the tensor reference {arg['config']['keras_history']!r} is not "
                         "[layer name, call, output index]")
    return name, node, index


class _NotYet(Exception):
    """A layer call reads a call of another layer not made yet (Keras's order of a
    shared nested model's calls): it is made in a later pass."""


class _Graph:
    """The tensors of a functional model while it is rebuilt from Keras's config."""

    def __init__(self, path):
        self.path = path
        self.tensors: dict = {}  # layer name -> its output per call made so far
        self.calls: dict = {}  # layer name -> how many calls the config lists
        self.masks: dict = {}  # NotEqual op name -> the tensor it compares with 0
        self.mask_sources: set = set()  # tensors read by an Embedding(mask_zero=True)
        self.masked: list = []  # layers Keras passes a mask to

    def get(self, arg):
        if isinstance(arg, list):
            return [self.get(a) for a in arg]
        name, call, index = _history(self.path, arg)
        if name not in self.tensors:
            raise _bad(self.path, f"a layer reads '{name}', defined nowhere before it")
        if call >= self.calls.get(name, 1):
            raise _bad(self.path, f"a layer reads call {call} of '{name}', which is called "
                                  f"{self.calls.get(name, 1)} time(s) (shared layers are "
                                  "read only as nested models)")
        if call >= len(self.tensors[name]):
            raise _NotYet(name)
        out = self.tensors[name][call]
        if isinstance(out, list) and index < len(out):
            return out[index]
        if index != 0:
            raise _bad(self.path, f"a layer reads output {index} of '{name}', which has one")
        return out

    def add_mask_op(self, entry: dict) -> None:
        """Keras records the mask of Embedding(mask_zero=True) as a `NotEqual(ids, 0)` op;
        nnlab computes the same mask itself, so the op is checked and remembered only."""
        args = (entry.get("inbound_nodes") or [{}])[0].get("args")
        if not (isinstance(args, list) and len(args) == 2 and args[1] == 0):
            raise _bad(self.path, f"the op {entry.get('name')!r} is not a mask (ids != 0)")
        self.masks[entry.get("name")] = _history(self.path, args[0])[0]

    def call(self, layer, node: dict):
        if not isinstance(node, dict) or "args" not in node:
            raise _bad(self.path, f"layer '{layer.name}' has a malformed inbound node")
        kwargs = dict(node.get("kwargs") or {})
        if kwargs.pop("training", None):
            raise _bad(self.path, f"layer '{layer.name}' is called with training=True, which "
                                  "nnlab does not read (its layers follow fit and predict)")
        mask = kwargs.pop("mask", None)
        if mask is not None:
            op = _history(self.path, mask)[0]
            if self.masks.get(op) not in self.mask_sources:
                raise _bad(self.path, f"layer '{layer.name}' gets a mask nnlab does not derive "
                                      "from an Embedding(mask_zero=True)")
            self.masked.append(layer.name)
        states = kwargs.pop("initial_state", None)
        if kwargs:
            raise _bad(self.path, f"layer '{layer.name}' is called with {sorted(kwargs)}, "
                                  "which nnlab does not read")
        inputs = self.get(node["args"][0])
        if getattr(layer, "mask_zero", False):
            self.mask_sources.add(_history(self.path, node["args"][0])[0])
        if states is not None:
            return layer(inputs, initial_state=self.get(states))
        return layer(inputs)


def _functional(path, config: dict, entries: list, custom_objects: dict, depth: int):
    from nnlab.models.model import Model

    graph, pending = _Graph(path), []
    for entry in entries:
        if not isinstance(entry, dict):
            raise _bad(path, "a layer entry is not an object")
        if entry.get("class_name") == "InputLayer":
            graph.tensors[entry["config"]["name"]] = [_input(path, entry["config"])]
            continue
        if str(entry.get("module")).startswith("keras.src.ops"):
            if entry.get("class_name") != "NotEqual":
                raise _bad(path, f"'{entry.get('name')}' is a Keras op ({entry.get('module')}."
                                 f"{entry.get('class_name')}), which nnlab does not read; "
                                 "use layers instead of ops on Keras tensors")
            graph.add_mask_op(entry)
            continue
        layer = _make_layer(path, entry, custom_objects, depth)
        nodes = entry.get("inbound_nodes")
        if not isinstance(nodes, list) or not nodes or (len(nodes) > 1 and not is_model(layer)):
            raise _bad(path, f"layer '{layer.name}' is called {len(nodes or [])} times; nnlab "
                             "shares weights only through a nested model called several "
                             "times, and reads every other layer called once")
        graph.tensors[layer.name], graph.calls[layer.name] = [], len(nodes)
        pending.append((layer, list(nodes)))
    _call_all(path, graph, pending)

    def refs(spec):
        if spec and isinstance(spec[0], str):
            return graph.get({"config": {"keras_history": spec}})
        return [refs(s) for s in spec]

    try:
        model = Model(refs(config["input_layers"]), refs(config["output_layers"]),
                      name=config.get("name"))
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise _bad(path, f"the model's inputs or outputs are malformed ({exc})") from None
    for node in model.graph_nodes:  # nnlab must pass the mask wherever Keras does
        if node.layer.name in graph.masked and not node.masked:
            raise _bad(path, f"Keras passes the Embedding's mask to layer '{node.layer.name}' "
                             "but nnlab does not (a layer before it does not pass masks on)")
    return model


def _call_all(path, graph: _Graph, pending: list) -> None:
    """Make every layer call, as Keras does: in passes over the layers, each layer's calls
    in order until one reads a call not made yet (a shared nested model's later call
    may read a layer listed after it)."""
    while pending:
        progress = False
        for layer, nodes in pending:
            while nodes:
                try:
                    out = graph.call(layer, nodes[0])
                except _NotYet:
                    break
                except (TypeError, ValueError) as exc:
                    raise _bad(path, f"layer '{layer.name}' cannot be called ({exc})") from None
                graph.tensors[layer.name].append(out)
                nodes.pop(0)
                progress = True
        pending = [item for item in pending if item[1]]
        if pending and not progress:
            raise _bad(path, f"the calls of {sorted(la.name for la, _ in pending)} read each "
                             "other's outputs in a loop")


def _build(path, doc: dict, custom_objects: dict, depth: int = 0):
    from nnlab.models.sequential import Sequential

    kind, config = doc.get("class_name"), doc.get("config")
    if kind not in ("Sequential", "Functional", "Model") or not isinstance(config, dict):
        raise _bad(path, f"the model class {kind!r} is not Sequential or Functional")
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise _bad(path, f"model {config.get('name')!r}: config.layers is not a list")
    if kind != "Sequential":
        return _trainable(_functional(path, config, entries, custom_objects, depth), config)
    first = entries[0] if entries else {}
    layers = []
    if first.get("class_name") == "InputLayer":
        layers.append(_input(path, first["config"]))
        entries = entries[1:]
    layers += [_make_layer(path, e, custom_objects, depth) for e in entries]
    model = Sequential(layers, name=config.get("name"))
    if not model.built and config.get("build_input_shape"):
        model.build(tuple(config["build_input_shape"]))
    return _trainable(model, config)


def _trainable(model, config: dict):
    if config.get("trainable", True) is False:  # a frozen (nested) model
        model.trainable = False
    return model


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
    arrays, groups = read_weights(path, data)
    seed_state = backend.get_seed_stream_state()  # building draws initial weights
    try:
        model = _build(path, config, dict(custom_objects or {}))
    except (KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise _bad(path, f"config.json is malformed ({type(exc).__name__}: {exc})") from None
    finally:
        backend.set_seed_stream_state(seed_state)
    set_weights(path, model, arrays, groups)
    return model
