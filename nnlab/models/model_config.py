"""A model as plain JSON and back: architecture, compile settings, fitted preprocessing.

Used by `nnlab.models.saving`. Writing walks the layer graph and records each layer's
class name, `get_config()`, inbound layer names and weight members; reading rebuilds
layers only from nnlab's own name tables (`LAYERS`, `OPTIMIZERS`, the loss, metric,
activation, initializer and regularizer tables), so a file can name a class but never
make nnlab import or run anything else.
"""

from __future__ import annotations

from nnlab import initializers, regularizers
from nnlab import losses as losses_mod
from nnlab import metrics as metrics_mod
from nnlab import optimizers as optimizers_mod
from nnlab.custom_objects import get_registered_name, how_to_pass
from nnlab.layers import LAYERS
from nnlab.layers.input_layer import InputLayer
from nnlab.layers.multi_output import OutputItem
from nnlab.layers.wrappers import WRAPPED_LAYER_KEYS
from nnlab.models import custom_classes, nested_file
from nnlab.models.compiling import metric_lists, spec_per_output
from nnlab.models.model import Model
from nnlab.models.model_file import ModelFileError
from nnlab.models.nested import is_model
from nnlab.optimizers.schedules import SCHEDULES, LearningRateSchedule

_OPTIMIZERS = {cls.__name__: cls for cls in optimizers_mod.OPTIMIZERS.values()}
_REBUILD_ERRORS = (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError)


def _bad(path, what: str, exc: Exception | str, hint: str = "") -> ModelFileError:
    return ModelFileError(
        f"{path}: {what} cannot be rebuilt: {exc}. The file was modified or written by "
        "another nnlab version: save the model again or restore the file from a "
        f"backup.{hint}"
    )


# -- architecture ---------------------------------------------------------------------
def architecture(model, arrays: dict, prefix: str = "weights/") -> dict:
    """The layer graph as JSON; each weight is added to `arrays` under its member name
    (`prefix` + layer index + weight name; a nested model's under its own index)."""
    from nnlab.models.sequential import Sequential

    if type(model) not in (Model, Sequential):
        raise TypeError(
            "save_model saves Sequential and functional Model instances. Received a "
            f"{type(model).__name__}. Build the network with Sequential([...]) or "
            "Model(inputs, outputs) to save it."
        )
    if model.built:
        producer = {node.output: nested_file.tensor_name(node) for node in model.graph_nodes}
        calls = [
            (n.layer, [producer[i] for i in n.inputs], n.multi_input, n.call)
            for n in model.graph_nodes
        ]
        outputs = [producer[i] for i in model.output_positions]
    else:
        calls, outputs = [(layer, [], False, 0) for layer in model.layers], []
    return {
        "class_name": "Sequential" if isinstance(model, Sequential) else "Functional",
        "name": model.name,
        "layers": [_layer_entry(f"{prefix}{i}/", *call, arrays) for i, call in enumerate(calls)],
        "inputs": model.input_names if model.built else [],
        "outputs": outputs,
        "multi_output": model.multi_output,
    }


def _layer_entry(prefix: str, layer, inbound: list, on_list: bool, call: int, arrays) -> dict:
    if call or is_model(layer):
        return nested_file.model_entry(prefix, layer, inbound, on_list, call, arrays, architecture)
    name = custom_classes.layer_name(layer)  # your own classes load via custom_objects
    config = layer.get_config()
    if isinstance(layer, InputLayer) and layer.batch_size is not None:
        config["batch_size"] = layer.batch_size
    weights = []
    for trainable, group in ((True, layer.params), (False, layer.state)):
        for key, W in group.items():
            member = f"{prefix}{key}.npy"
            arrays[member] = W
            weights.append({"name": key, "trainable": trainable, "file": member})
    entry = {
        "class_name": name,
        "config": config,
        "inbound": inbound,
        "call_on_list": bool(on_list),
        "weights": weights,
    }
    if hasattr(layer, "get_random_state"):  # Dropout's mask stream, for exact resumes
        entry["rng_state"] = layer.get_random_state()
    return entry


def make_layers(path, spec: dict) -> list:
    """The layers of `spec`, constructed but not built: nothing is allocated yet."""
    return [_make_layer(path, e) for e in spec["layers"]]


def rebuild(path, spec, arrays: dict | None, layers: list | None = None):
    """The model described by `spec`, with its weights set from `arrays` (None: keep the
    fresh initial weights, as Keras's from_config).

    `layers` are those `make_layers` gave for `spec` (made here if None).
    """
    from nnlab.models.sequential import Sequential

    if not isinstance(spec, dict) or spec.get("class_name") not in ("Sequential", "Functional"):
        raise _bad(path, "the model", "'model.class_name' must be Sequential or Functional")
    entries = spec.get("layers")
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise _bad(path, "the model", "'model.layers' must be a list of layer entries")
    layers = layers if layers is not None else [_make_layer(path, e) for e in entries]
    built = [nested_file.materialize(path, layer, rebuild) for layer in layers]
    try:
        if spec["class_name"] == "Sequential":
            model = Sequential(built, name=spec.get("name"))
        else:
            model = _functional(path, spec, entries, built)
    except ModelFileError:
        raise
    except _REBUILD_ERRORS as exc:
        raise _bad(path, "the layer graph", exc) from None
    if arrays is not None:
        _set_all_weights(path, entries, layers, arrays)
    return model


def _functional(path, spec: dict, entries: list, built: list):
    """Call the layers of a functional `spec` on each other as its entries say."""
    tensors, by_name = {}, {layer.name: layer for layer in built}
    for entry, layer in zip(entries, built):
        if isinstance(layer, nested_file.SharedCall):  # a further call of a model
            inbound = [tensors[name] for name in entry["inbound"]]
            target = nested_file.shared_target(path, layer, by_name)
            tensors[layer.name] = target(inbound if entry["call_on_list"] else inbound[0])
            continue
        if isinstance(layer, InputLayer):
            tensors[layer.name] = layer.output
            continue
        if isinstance(layer, OutputItem) and layer.name in tensors:
            continue  # made by the multi-output call before it
        inbound = [tensors[name] for name in entry["inbound"]]
        out = layer(inbound if entry["call_on_list"] else inbound[0])
        for t in out if isinstance(out, list) else [out]:
            tensors[t.producer.name] = t
    outputs = [tensors[name] for name in spec["outputs"]]
    return Model(
        [tensors[name] for name in spec["inputs"]],
        outputs if spec["multi_output"] else outputs[0],
        name=spec.get("name"),
    )


def _set_all_weights(path, entries: list, layers: list, arrays: dict) -> None:
    for entry, layer in zip(entries, layers):
        if isinstance(layer, nested_file.PlannedModel):
            _set_all_weights(path, layer.spec["layers"], layer.layers, arrays)
        elif not isinstance(layer, nested_file.SharedCall):
            _set_weights(path, layer, entry, arrays)


def _make_layer(path, entry: dict):
    if nested_file.is_nested_entry(entry):
        return nested_file.make(path, entry, make_layers)
    name = entry.get("class_name")
    cls = custom_classes.layer_class(name)
    if cls is None:
        raise ModelFileError(
            f"{path}: unknown layer class {name!r}. nnlab builds layers only from its own "
            f"table nnlab.layers.LAYERS {sorted(LAYERS)} and the custom objects you pass; "
            f"{how_to_pass(name)}."
        )
    try:
        config = {key: _decode(key, value) for key, value in entry["config"].items()}
        layer = cls(**config) if LAYERS.get(name) is cls else cls.from_config(config)
        if "rng_state" in entry:
            layer.set_random_state(entry["rng_state"])
    except _REBUILD_ERRORS as exc:
        config = entry.get("config")
        label = config.get("name") if isinstance(config, dict) else None
        raise _bad(path, f"layer {label!r} ({name})", exc) from None
    return layer


def _decode(key: str, value):
    """Serialized activations, initializers and regularizers back to objects."""
    if not isinstance(value, dict) or key in WRAPPED_LAYER_KEYS:
        return value  # a wrapper rebuilds its own inner layers from their configs
    if key.endswith("activation"):  # activation, recurrent_activation
        cls = custom_classes.activation_class(value)
        if cls is None:
            raise _unknown("activation", value.get("class_name", value.get("name")))
        return cls(**value.get("config", {}))
    if key.endswith("_initializer"):
        return initializers.deserialize(value)
    if key.endswith("_regularizer"):
        return regularizers.deserialize(value)
    raise ValueError(f"config entry {key!r} holds an object nnlab does not know how to rebuild")


def _set_weights(path, layer, entry: dict, arrays: dict) -> None:
    targets = {**layer.params, **layer.state}
    saved = entry.get("weights") or []
    if [w.get("name") for w in saved] != list(targets):
        raise _bad(
            path,
            f"layer '{layer.name}'",
            f"it has weights {list(targets)} but the file lists {[w.get('name') for w in saved]}",
        )
    for w in saved:
        target, array = targets[w["name"]], arrays.get(w.get("file"))
        if array is None or array.shape != target.shape or array.dtype != target.dtype:
            raise _bad(
                path,
                f"weight '{layer.name}/{w['name']}'",
                f"expected a {target.dtype} array of shape {target.shape} in "
                f"{w.get('file')!r}, found {None if array is None else (array.dtype, array.shape)}",
            )
        target[...] = array


# -- compile settings -----------------------------------------------------------------
def compile_config(model) -> dict | None:
    """Optimizer class + config, one loss per output, loss weights and metric names."""
    if not model.compiled:
        return None
    if model.built:
        names = model.output_names
    else:  # an unbuilt Sequential has one output: its last layer
        names = [model.layers[-1].name] if model.layers else ["output"]
    given = model.compile_arguments
    spec, w = given["loss"], given["loss_weights"]
    if w is not None:
        w = [float(w)] * len(names) if isinstance(w, (int, float)) else w
        w = [float(x) for x in spec_per_output(w, names, "loss_weights")]
    return {
        "optimizer": _optimizer_config(model.optimizer),
        "losses": None
        if spec is None
        else [
            _loss_entry(losses_mod.get(s))
            for s in spec_per_output(spec, names, "loss", single_ok=True)
        ],
        "loss_weights": w,
        "metrics": [
            [_metric_entry(m) for m in ms] for ms in metric_lists(given["metrics"], names)
        ],
        "weighted_metrics": [
            [_metric_entry(m) for m in ms]
            for ms in metric_lists(given["weighted_metrics"], names)
        ],
        "output_names": names,
    }


def _optimizer_config(opt) -> dict:
    config = opt.get_config()
    lr = opt.learning_rate_schedule
    if isinstance(lr, LearningRateSchedule) and type(lr).__name__ in SCHEDULES:
        config["learning_rate"] = {"class_name": type(lr).__name__, "config": lr.get_config()}
    elif callable(lr):
        config["learning_rate"] = float(opt.learning_rate)
    return {"class_name": type(opt).__name__, "config": config}


def _loss_entry(loss) -> dict:
    return {"class_name": custom_classes.saved_name(loss, custom_classes.LOSSES),
            "config": loss.get_config()}


def _metric_entry(metric):
    if isinstance(metric, str):
        return metric
    if isinstance(metric, type):
        metric = metric()
    if not isinstance(metric, metrics_mod.Metric):  # a plain function: via custom_objects
        return {"class_name": "function", "name": get_registered_name(metric)}
    return {"class_name": custom_classes.saved_name(metric, custom_classes.METRICS),
            "name": metric.name}


def recompile(path, model, spec: dict) -> None:
    """Compile `model` as described by `spec` (see `compile_config`)."""
    hint = " Load it with load_model(path, compile=False) and compile it yourself."
    try:
        opt_spec = spec["optimizer"]
        opt_cls = _OPTIMIZERS[opt_spec["class_name"]]
        opt_config = dict(opt_spec["config"])
        lr = opt_config.get("learning_rate")
        if isinstance(lr, dict):
            opt_config["learning_rate"] = SCHEDULES[lr["class_name"]](**lr["config"])
        optimizer = opt_cls(**opt_config)
        losses = spec["losses"]
        if losses is not None:
            losses = [_make_loss(c) for c in losses]
        metrics = [[_make_metric(m) for m in ms] for ms in spec["metrics"]]
        weighted = [[_make_metric(m) for m in ms] for ms in spec.get("weighted_metrics", [])]
        if len(metrics) == 1:
            metrics = metrics[0]
            weighted = weighted[0] if weighted else None
        else:
            metrics = dict(zip(model.output_names, metrics))
            weighted = dict(zip(model.output_names, weighted)) if weighted else None
        model.compile(optimizer, losses, spec["loss_weights"], metrics or None, weighted or None)
    except _REBUILD_ERRORS as exc:
        raise _bad(path, "the compile settings", exc, hint) from None


def _unknown(kind: str, name) -> ValueError:
    return ValueError(f"unknown {kind} {name!r}; {how_to_pass(str(name))}")


def _make_loss(entry):
    cls = custom_classes.loss_class(entry["class_name"])
    if cls is None:
        raise _unknown("loss", entry["class_name"])
    build = getattr(cls, "from_config", None)
    return build(entry["config"]) if build is not None else cls(**entry["config"])


def _make_metric(entry):
    if isinstance(entry, str):
        return entry
    if entry["class_name"] == "function":  # a plain function passed in custom_objects
        fn = custom_classes.metric_function(entry["name"])
        if fn is None:
            raise _unknown("metric function", entry["name"])
        return fn
    cls = custom_classes.metric_class(entry["class_name"])
    if cls is None:
        raise _unknown("metric", entry["class_name"])
    return cls(name=entry["name"])


# -- fitted preprocessing ---------------------------------------------------------------
def _preprocessors() -> dict:
    from nnlab.data.tabular import TabularPreprocessor  # imports pandas: only when needed

    return {"TabularPreprocessor": TabularPreprocessor}


def preprocessing_config(prep) -> dict | None:
    """`{"class_name", "config"}` of a fitted preprocessor, or None."""
    if prep is None:
        return None
    table = _preprocessors()
    if table.get(type(prep).__name__) is not type(prep):
        raise TypeError(
            f"preprocessing must be a fitted one of {sorted(table)} (saved as its "
            f"to_config()). Received: {type(prep).__name__}"
        )
    return {"class_name": type(prep).__name__, "config": prep.to_config()}


def rebuild_preprocessing(path, spec):
    if spec is None:
        return None
    try:
        return _preprocessors()[spec["class_name"]].from_config(spec["config"])
    except _REBUILD_ERRORS as exc:
        raise _bad(path, "the preprocessing", exc) from None
