"""The schema of `model.json`, checked before any layer is built or any array is read.

`check_document` checks the types, ranges and known names of the fields nnlab writes
(layers, their configs and graph, compile settings, metadata). The weights are then
planned against the layer graph by `nnlab.models.weight_plan` and the preprocessing is
checked by `nnlab.models.preprocessing_schema`. Every failure is a `ModelFileError`
naming the file, the field, what it holds and what was expected.
"""

from __future__ import annotations

import inspect
import math

from nnlab import activations, initializers
from nnlab import losses as losses_mod
from nnlab import optimizers as optimizers_mod
from nnlab.custom_objects import how_to_pass
from nnlab.layers import LAYERS
from nnlab.models import custom_classes, nested_file
from nnlab.models.model_file import ModelFileError

_OPTIMIZERS = {cls.__name__ for cls in optimizers_mod.OPTIMIZERS.values()}
_LOSSES = {cls.__name__ for cls in losses_mod.LOSSES.values()}
_INITIALIZERS = {cls.__name__ for cls in initializers.INITIALIZERS.values()}
_REGULARIZERS = {"L1", "L2", "L1L2"}
_FLOAT_DTYPES = {"float16", "float32", "float64"}
#: layer arguments get_config never writes; given in a file they would build a layer early.
_FORBIDDEN_CONFIG = {"input_shape", "input_dim", "batch_input_shape"}


def error(path, where: str, problem: str, expected: str) -> ModelFileError:
    return ModelFileError(
        f"{path}: model.json {where} {problem}; expected {expected}. The file was edited or "
        "damaged after it was saved: save the model again or restore it from a backup."
    )


def unknown_class(path, where: str, name, known: str) -> ModelFileError:
    """A class name that is neither nnlab's own nor among the custom objects passed."""
    return ModelFileError(
        f"{path}: model.json {where} is {name!r}; expected one of {known} or a class you "
        f"pass. {how_to_pass(str(name))}. Otherwise the file was edited or damaged after it "
        "was saved: save the model again or restore it from a backup."
    )


def check_all(path, rows) -> None:
    """`check` for each (where, value, ok, expected) row."""
    for where, value, ok, expected in rows:
        check(path, where, value, ok, expected)


def check(path, where: str, value, ok: bool, expected: str):
    if not ok:
        raise error(path, where, f"is {value!r}", expected)
    return value


def _known(name, names) -> bool:
    """Whether `name` is a string among `names` (a list or dict from a file is not)."""
    return isinstance(name, str) and name in names


def _is_number(v) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


def is_str_list(v, unique: bool = False) -> bool:
    return (
        isinstance(v, list)
        and all(isinstance(x, str) for x in v)
        and (not unique or len(set(v)) == len(v))
    )


# -- the whole document -------------------------------------------------------------
def check_document(path, document: dict, compile: bool = True) -> None:
    """Check the fields of model.json that do not need the layers built (the compile
    settings only when they will be used: `compile`)."""
    get = document.get
    check_all(
        path,
        [
            ("nnlab_version", get("nnlab_version"), isinstance(get("nnlab_version", ""), str),
             "a string"),
            ("model", get("model"), isinstance(get("model"), dict), "an object of the layers"),
            *[(key, get(key), get(key) is None or isinstance(get(key), dict), "null or an object")
              for key in ("compile", "optimizer_state", "preprocessing", "metadata")],
        ],
    )  # fmt: skip
    model = document["model"]
    _check_model(path, model, document["files"])
    if compile and get("compile") is not None:
        _check_compile(path, document["compile"], len(model["outputs"]) or 1)
    user = (get("metadata") or {}).get("user", {})
    check(path, "metadata.user", user, isinstance(user, dict), "an object of your JSON values")


def _check_model(path, spec: dict, files: dict, members: set | None = None, depth=0) -> None:
    get, entries = spec.get, spec.get("layers")
    check_all(
        path,
        [
            ("model.class_name", get("class_name"),
             get("class_name") in ("Sequential", "Functional"), "'Sequential' or 'Functional'"),
            ("model.name", get("name"), get("name") is None or isinstance(get("name"), str),
             "a string"),
            ("model.layers", type(entries).__name__,
             isinstance(entries, list) and all(isinstance(e, dict) for e in entries),
             "a list of layer objects"),
            ("model.inputs", get("inputs"), is_str_list(get("inputs"), True), "distinct names"),
            ("model.outputs", get("outputs"), is_str_list(get("outputs"), True), "distinct names"),
            ("model.multi_output", get("multi_output"), isinstance(get("multi_output"), bool),
             "true or false"),
        ],
    )  # fmt: skip
    names, members = [], set() if members is None else members

    def nested(path, inner: dict, level: int) -> None:  # a model used as a layer
        _check_model(path, inner, files, members, level)

    for i, entry in enumerate(entries):
        where = f"model.layers[{i}]"
        if nested_file.is_nested_entry(entry):
            names.append(nested_file.check_entry(path, where, entry, names, nested, depth))
        else:
            names.append(_check_layer(path, where, entry, names, files, members))
    inputs = {e["config"]["name"] for e in entries if e["class_name"] == "InputLayer"}
    for key, known in (("inputs", inputs), ("outputs", set(names))):
        unknown = sorted(set(spec[key]) - known)
        if unknown:
            raise error(
                path,
                f"model.{key}",
                f"names unknown layers {unknown}",
                f"names among {sorted(known)}",
            )


def _check_layer(path, where: str, entry: dict, names: list, files: dict, members: set) -> str:
    get, cls, config = entry.get, entry.get("class_name"), entry.get("config")
    layer_cls = custom_classes.layer_class(cls)
    if layer_cls is None:
        known = f"nnlab's layer classes {sorted(LAYERS)}"
        raise unknown_class(path, f"{where}.class_name", cls, known)
    check(path, f"{where}.config", type(config).__name__, isinstance(config, dict), "an object")
    name = config.get("name")
    unique = isinstance(name, str) and name and name not in names
    check(path, f"{where}.config.name", name, unique, "a unique non-empty string")
    # a layer's own argument of that name (Embedding's input_dim, the vocabulary) is fine
    own = set(inspect.signature(layer_cls.__init__).parameters)
    bad = sorted((_FORBIDDEN_CONFIG & set(config)) - own)
    if bad and cls != "InputLayer":
        raise error(path, f"{where}.config", f"holds {bad}", "no input shape outside InputLayer")
    for key, value in config.items():
        _check_config_value(path, f"{where}.config.{key}", key, value)
    inbound, weights, rng = get("inbound"), get("weights"), get("rng_state")
    check_all(
        path,
        [
            (f"{where}.inbound", inbound, is_str_list(inbound) and set(inbound) <= set(names),
             "a list of names of earlier layers"),
            (f"{where}.call_on_list", get("call_on_list"), isinstance(get("call_on_list"), bool),
             "true or false"),
            (f"{where}.weights", weights,
             isinstance(weights, list) and all(isinstance(w, dict) for w in weights),
             "a list of {name, trainable, file}"),
            (f"{where}.rng_state", rng,
             rng is None or (isinstance(rng, dict) and rng.get("bit_generator") == "PCG64"),
             "a PCG64 generator state"),
        ],
    )  # fmt: skip
    for k, w in enumerate(weights):
        at, file = f"{where}.weights[{k}]", w.get("file")
        check_all(
            path,
            [
                (f"{at}.name", w.get("name"), isinstance(w.get("name"), str), "a string"),
                (f"{at}.trainable", w.get("trainable"), isinstance(w.get("trainable"), bool),
                 "true or false"),
                (f"{at}.file", file, _known(file, files) and file not in members,
                 "a manifest member used by no other weight"),
            ],
        )  # fmt: skip
        members.add(file)
    return name


def _check_config_value(path, where: str, key: str, value) -> None:
    if key == "dtype":
        check(path, where, value, _known(value, _FLOAT_DTYPES), f"one of {sorted(_FLOAT_DTYPES)}")
    elif key in ("activation", "recurrent_activation"):
        if value is not None and custom_classes.activation_class(value) is None:
            name = value.get("class_name", value.get("name")) if isinstance(value, dict) else value
            known = f"the activations {sorted(activations.ACTIVATIONS)}"
            raise unknown_class(path, where, name, known)
        ok = not isinstance(value, dict) or isinstance(value.get("config", {}), dict)
        check(path, where, value, ok, "an activation name or {name, config}")
    elif key.endswith("_initializer"):
        name = value.get("class_name") if isinstance(value, dict) else value
        ok = isinstance(name, str) and (name in _INITIALIZERS or name in initializers.INITIALIZERS)
        if isinstance(value, dict):
            ok = ok and isinstance(value.get("config", {}), dict)
        check(path, where, value, ok, f"an initializer among {sorted(_INITIALIZERS)}")
    elif key.endswith("_regularizer"):
        ok = value is None or (
            isinstance(value, dict)
            and _known(value.get("class_name"), _REGULARIZERS)
            and isinstance(value.get("config"), dict)
        )
        check(path, where, value, ok, f"null or a regularizer among {sorted(_REGULARIZERS)}")


def _check_class_names(path, spec: dict) -> None:
    """Name the loss or metric class that is neither nnlab's nor passed in custom_objects."""
    losses = spec.get("losses")
    for i, x in enumerate(losses if isinstance(losses, list) else []):
        name = x.get("class_name") if isinstance(x, dict) else None
        if isinstance(name, str) and custom_classes.loss_class(name) is None:
            known = f"nnlab's losses {sorted(_LOSSES)}"
            raise unknown_class(path, f"compile.losses[{i}].class_name", name, known)
    for key in ("metrics", "weighted_metrics"):
        groups = spec.get(key)
        for ms in groups if isinstance(groups, list) else []:
            for m in ms if isinstance(ms, list) else []:
                if not (isinstance(m, dict) and isinstance(m.get("name"), str)):
                    continue
                function = m.get("class_name") == "function"
                name = m["name"] if function else m.get("class_name")
                found = (custom_classes.metric_function(name) if function
                         else custom_classes.metric_class(name))
                if isinstance(name, str) and found is None:
                    raise unknown_class(path, f"compile.{key}", name, "nnlab's metrics")


def _check_compile(path, spec: dict, n_outputs: int) -> None:
    _check_class_names(path, spec)
    opt, losses = spec.get("optimizer"), spec.get("losses")
    weights, metrics = spec.get("loss_weights"), spec.get("metrics")

    def named(x, table, field="config", kind=dict) -> bool:  # {class_name, field}
        return (
            isinstance(x, dict)
            and _known(x.get("class_name"), table)
            and isinstance(x.get(field), kind)
        )

    def metric(m) -> bool:
        if isinstance(m, dict) and isinstance(m.get("name"), str):
            if m.get("class_name") == "function":  # a plain function from custom_objects
                return custom_classes.metric_function(m["name"]) is not None
            return custom_classes.metric_class(m.get("class_name")) is not None
        return isinstance(m, str)

    def loss(x) -> bool:
        return isinstance(x, dict) and isinstance(x.get("config"), dict) and (
            custom_classes.loss_class(x.get("class_name")) is not None)

    check_all(
        path,
        [
            ("compile.optimizer", opt, named(opt, _OPTIMIZERS),
             f"{{class_name, config}} with a class among {sorted(_OPTIMIZERS)}"),
            ("compile.losses", losses, losses is None or (
                isinstance(losses, list) and len(losses) == n_outputs
                and all(loss(x) for x in losses)),
             f"null or one loss per output ({n_outputs}) among {sorted(_LOSSES)} or your own "
             "Loss classes passed in custom_objects"),
            ("compile.loss_weights", weights, weights is None or (
                isinstance(weights, list) and len(weights) == n_outputs
                and all(_is_number(w) for w in weights)),
             f"null or {n_outputs} finite number(s)"),
            ("compile.metrics", metrics, isinstance(metrics, list) and all(
                isinstance(ms, list) and all(metric(m) for m in ms) for ms in metrics),
             "one list of metric names or {class_name, name} per output; a metric of your "
             "own is passed in custom_objects"),
        ],
    )  # fmt: skip
