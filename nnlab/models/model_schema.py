"""The schema of `model.json`, checked before any layer is built or any array is read.

`check_document` checks types, ranges and known names field by field; `plan_weights`
then walks the layer graph with `compute_output_shape` (which allocates nothing),
works out the shape of every weight the layers will create, and compares it with
the array shapes the manifest declares and with the `max_params` cap, so a file that
declares `Input(100000) -> Dense(100000)` is refused before 40 GB are asked for.
`check_preprocessing` checks the fitted preprocessing and that it fits the model
(feature count vs input width, class list vs output units); `save_model` runs it too,
so a file nnlab writes always loads. Every failure is a `ModelFileError` naming the
member and the field.
"""

from __future__ import annotations

import math

from nnlab import activations, initializers
from nnlab import losses as losses_mod
from nnlab import metrics as metrics_mod
from nnlab import optimizers as optimizers_mod
from nnlab.layers import LAYERS, BatchNormalization, Dense, InputLayer
from nnlab.models.model_file import LoadLimits, ModelFileError

_OPTIMIZERS = {cls.__name__ for cls in optimizers_mod.OPTIMIZERS.values()}
_LOSSES = {cls.__name__ for cls in losses_mod.LOSSES.values()}
_METRICS = {cls.__name__ for cls in metrics_mod.METRICS.values()}
_INITIALIZERS = {cls.__name__ for cls in initializers.INITIALIZERS.values()}
_REGULARIZERS = {"L1", "L2", "L1L2"}
_FLOAT_DTYPES = {"float16", "float32", "float64"}
_TASKS = ("binary", "multiclass", "multilabel", "regression")
#: layer arguments get_config never writes; given in a file they would build a layer early.
_FORBIDDEN_CONFIG = {"input_shape", "input_dim", "batch_input_shape"}


def _error(path, where: str, problem: str, expected: str) -> ModelFileError:
    return ModelFileError(
        f"{path}: model.json {where} {problem}; expected {expected}. The file was edited or "
        "damaged after it was saved: save the model again or restore it from a backup."
    )


def _require(path, where: str, value, ok: bool, expected: str):
    if not ok:
        raise _error(path, where, f"is {value!r}", expected)
    return value


def _known(name, names) -> bool:
    """Whether `name` is a string among `names` (a list or dict from a file is not)."""
    return isinstance(name, str) and name in names


def _is_int(v) -> bool:
    return type(v) is int


def _is_number(v) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


def _str_list(v, unique: bool = False) -> bool:
    return (
        isinstance(v, list)
        and all(isinstance(x, str) for x in v)
        and (not unique or len(set(v)) == len(v))
    )


# -- the whole document -------------------------------------------------------------
def check_document(path, document: dict) -> None:
    """Check the fields of model.json that do not need the layers built."""
    _require(
        path,
        "nnlab_version",
        document.get("nnlab_version"),
        isinstance(document.get("nnlab_version", ""), str),
        "a string",
    )
    for key in ("compile", "optimizer_state", "preprocessing", "metadata"):
        value = document.get(key)
        _require(path, key, value, value is None or isinstance(value, dict), "null or an object")
    model = document.get("model")
    _require(path, "model", model, isinstance(model, dict), "an object describing the layers")
    _check_model(path, model, document["files"])
    if document.get("compile") is not None:
        _check_compile(path, document["compile"], len(model["outputs"]) or 1)
    meta = document.get("metadata") or {}
    _require(
        path,
        "metadata.user",
        meta.get("user"),
        isinstance(meta.get("user", {}), dict),
        "an object of your JSON values",
    )


def _check_model(path, spec: dict, files: dict) -> None:
    _require(
        path,
        "model.class_name",
        spec.get("class_name"),
        spec.get("class_name") in ("Sequential", "Functional"),
        "'Sequential' or 'Functional'",
    )
    _require(
        path,
        "model.name",
        spec.get("name"),
        spec.get("name") is None or isinstance(spec.get("name"), str),
        "a string",
    )
    entries = spec.get("layers")
    _require(
        path,
        "model.layers",
        type(entries).__name__,
        isinstance(entries, list) and all(isinstance(e, dict) for e in entries),
        "a list of layer objects",
    )
    for key in ("inputs", "outputs"):
        _require(
            path,
            f"model.{key}",
            spec.get(key),
            _str_list(spec.get(key), True),
            "a list of distinct layer names",
        )
    _require(
        path,
        "model.multi_output",
        spec.get("multi_output"),
        isinstance(spec.get("multi_output"), bool),
        "true or false",
    )
    names, members = [], set()
    for i, entry in enumerate(entries):
        names.append(_check_layer(path, f"model.layers[{i}]", entry, names, files, members))
    inputs = {e["config"]["name"] for e in entries if e["class_name"] == "InputLayer"}
    for key, known in (("inputs", inputs), ("outputs", set(names))):
        unknown = sorted(set(spec[key]) - known)
        if unknown:
            raise _error(
                path,
                f"model.{key}",
                f"names unknown layers {unknown}",
                f"names among {sorted(known)}",
            )


def _check_layer(path, where: str, entry: dict, names: list, files: dict, members: set) -> str:
    cls = entry.get("class_name")
    _require(
        path,
        f"{where}.class_name",
        cls,
        isinstance(cls, str) and cls in LAYERS,
        f"one of nnlab's layer classes {sorted(LAYERS)}",
    )
    config = entry.get("config")
    _require(path, f"{where}.config", type(config).__name__, isinstance(config, dict), "an object")
    name = config.get("name")
    _require(
        path,
        f"{where}.config.name",
        name,
        isinstance(name, str) and name and name not in names,
        "a unique non-empty string",
    )
    bad = sorted(_FORBIDDEN_CONFIG & set(config))
    if bad and cls != "InputLayer":
        raise _error(path, f"{where}.config", f"holds {bad}", "no input shape outside InputLayer")
    for key, value in config.items():
        _check_config_value(path, f"{where}.config.{key}", key, value)
    inbound = entry.get("inbound")
    _require(
        path,
        f"{where}.inbound",
        inbound,
        _str_list(inbound) and set(inbound) <= set(names),
        "a list of names of earlier layers",
    )
    _require(
        path,
        f"{where}.call_on_list",
        entry.get("call_on_list"),
        isinstance(entry.get("call_on_list"), bool),
        "true or false",
    )
    weights = entry.get("weights")
    _require(
        path,
        f"{where}.weights",
        weights,
        isinstance(weights, list) and all(isinstance(w, dict) for w in weights),
        "a list of {name, trainable, file}",
    )
    for k, w in enumerate(weights):
        at = f"{where}.weights[{k}]"
        _require(path, f"{at}.name", w.get("name"), isinstance(w.get("name"), str), "a string")
        _require(
            path,
            f"{at}.trainable",
            w.get("trainable"),
            isinstance(w.get("trainable"), bool),
            "true or false",
        )
        file = w.get("file")
        _require(
            path,
            f"{at}.file",
            file,
            isinstance(file, str) and file in files and file not in members,
            "a manifest member used by no other weight",
        )
        members.add(file)
    rng = entry.get("rng_state")
    _require(
        path,
        f"{where}.rng_state",
        rng,
        rng is None or (isinstance(rng, dict) and rng.get("bit_generator") == "PCG64"),
        "a PCG64 generator state",
    )
    return name


def _check_config_value(path, where: str, key: str, value) -> None:
    if key == "dtype":
        _require(
            path, where, value, _known(value, _FLOAT_DTYPES), f"one of {sorted(_FLOAT_DTYPES)}"
        )
    elif key == "activation":
        name = value.get("name") if isinstance(value, dict) else value
        ok = name is None or (isinstance(name, str) and name in activations.ACTIVATIONS)
        if isinstance(value, dict):
            ok = ok and isinstance(value.get("config", {}), dict)
        _require(path, where, value, ok, f"an activation among {sorted(activations.ACTIVATIONS)}")
    elif key.endswith("_initializer"):
        name = value.get("class_name") if isinstance(value, dict) else value
        ok = isinstance(name, str) and (name in _INITIALIZERS or name in initializers.INITIALIZERS)
        if isinstance(value, dict):
            ok = ok and isinstance(value.get("config", {}), dict)
        _require(path, where, value, ok, f"an initializer among {sorted(_INITIALIZERS)}")
    elif key.endswith("_regularizer"):
        ok = value is None or (
            isinstance(value, dict)
            and _known(value.get("class_name"), _REGULARIZERS)
            and isinstance(value.get("config"), dict)
        )
        _require(path, where, value, ok, f"null or a regularizer among {sorted(_REGULARIZERS)}")


def _check_compile(path, spec: dict, n_outputs: int) -> None:
    opt = spec.get("optimizer")
    _require(
        path,
        "compile.optimizer",
        opt,
        isinstance(opt, dict)
        and _known(opt.get("class_name"), _OPTIMIZERS)
        and isinstance(opt.get("config"), dict),
        f"{{class_name, config}} with a class among {sorted(_OPTIMIZERS)}",
    )
    losses = spec.get("losses")
    _require(
        path,
        "compile.losses",
        losses,
        losses is None
        or (
            isinstance(losses, list)
            and len(losses) == n_outputs
            and all(
                isinstance(x, dict)
                and _known(x.get("class_name"), _LOSSES)
                and isinstance(x.get("config"), dict)
                for x in losses
            )
        ),
        f"null or one loss per output ({n_outputs}) among {sorted(_LOSSES)}",
    )
    weights = spec.get("loss_weights")
    _require(
        path,
        "compile.loss_weights",
        weights,
        weights is None
        or (
            isinstance(weights, list)
            and len(weights) == n_outputs
            and all(_is_number(w) for w in weights)
        ),
        f"null or {n_outputs} finite number(s)",
    )
    metrics = spec.get("metrics")
    _require(
        path,
        "compile.metrics",
        metrics,
        isinstance(metrics, list)
        and all(
            isinstance(ms, list)
            and all(
                isinstance(m, str)
                or (
                    isinstance(m, dict)
                    and _known(m.get("class_name"), _METRICS)
                    and isinstance(m.get("name"), str)
                )
                for m in ms
            )
            for ms in metrics
        ),
        "one list of metric names or {class_name, name} per output",
    )


# -- weights against the layer graph -----------------------------------------------------
def plan_weights(path, spec: dict, layers: list, files: dict, limits: LoadLimits | None):
    """Check every weight member against the shape its layer will create, before building.

    Returns the input and output shapes ({layer name: shape}; empty for a Sequential
    saved unbuilt) and the size of each weight ({(layer name, weight name): values}).
    """
    entries, shapes, sizes = spec["layers"], {}, {}
    chain = spec["class_name"] == "Sequential"
    for i, (entry, layer) in enumerate(zip(entries, layers)):
        where = f"model.layers[{i}] ({layer.name})"
        if isinstance(layer, InputLayer):
            out = layer.output_shape
        else:
            if chain:
                inbound = [layers[i - 1].name] if i and layers[i - 1].name in shapes else []
            else:
                inbound = entry["inbound"]
            if not inbound:  # an unbuilt Sequential: nothing will be built or allocated
                if entry["weights"]:
                    raise _error(
                        path,
                        f"{where}.weights",
                        "lists weights of an unbuilt layer",
                        "no weights before the model has an input shape",
                    )
                continue
            ins = [shapes[n] for n in inbound]
            in_shape = ins if entry["call_on_list"] else ins[0]
            try:
                out = tuple(layer.compute_output_shape(in_shape))
                expected = _expected_weights(layer, in_shape)
            except (ValueError, TypeError, IndexError, KeyError, ArithmeticError) as exc:
                raise _error(
                    path,
                    where,
                    f"cannot take inputs of shape {in_shape} ({exc})",
                    "a layer graph nnlab built",
                ) from None
            for key, (shape, _) in expected.items():
                sizes[(layer.name, key)] = math.prod(shape)
            total = sum(sizes.values())
            if limits is not None and total > limits.max_params:  # before anything is built
                raise _too_big(
                    path, f"the model declares {total:,} weight values (up to {where})", limits
                )
            _compare_weights(path, where, entry, layer, expected, in_shape, files)
        size = math.prod(d for d in out[1:] if d is not None)
        if limits is not None and size > limits.max_params:
            raise _too_big(
                path,
                f"layer {layer.name!r} outputs shape {out} ({size:,} values per sample)",
                limits,
            )
        shapes[layer.name] = out
    io = {name: shapes[name] for name in spec["inputs"] + spec["outputs"] if name in shapes}
    return io, sizes


def _too_big(path, detail: str, limits: LoadLimits) -> ModelFileError:
    return ModelFileError(
        f"Refused to load {path}: {detail}, more than max_params = {limits.max_params:,} "
        f"(about {limits.max_params * 4 / 2**30:.1f} GiB in float32). This is a safety cap "
        "against files that would exhaust memory; if you trust the file, raise it: "
        "load_model(path, max_params=...)."
    )


def _expected_weights(layer, in_shape) -> dict[str, tuple[tuple, bool]]:
    """{weight name: (shape, trainable)} that `layer.build(in_shape)` will create."""
    if isinstance(layer, Dense):
        if isinstance(in_shape, list) or in_shape[-1] is None:
            raise ValueError("Dense needs one input with a known feature size")
        weights = {"kernel": ((in_shape[-1], layer.units), True)}
        if layer.use_bias:
            weights["bias"] = ((layer.units,), True)
        return weights
    if isinstance(layer, BatchNormalization):
        C = (None,) if isinstance(in_shape, list) else in_shape[layer.axis]
        if not isinstance(C, int):
            raise ValueError(f"axis {layer.axis} has no known size")
        weights = {}
        if layer.scale:
            weights["gamma"] = ((C,), True)
        if layer.center:
            weights["beta"] = ((C,), True)
        weights["moving_mean"] = ((C,), False)
        weights["moving_variance"] = ((C,), False)
        return weights
    return {}


def _compare_weights(path, where, entry, layer, expected, in_shape, files) -> None:
    listed = [w["name"] for w in entry["weights"]]
    if listed != list(expected):
        raise _error(
            path,
            f"{where}.weights",
            f"lists {listed}",
            f"{list(expected)} for a {type(layer).__name__} on inputs {in_shape}",
        )
    for w in entry["weights"]:
        shape, trainable = expected[w["name"]]
        member = files[w["file"]]
        if tuple(member["shape"]) != shape or member["dtype"] != layer.dtype.name:
            raise ModelFileError(
                f"{path}: member {w['file']!r} is declared as {member['dtype']} "
                f"{tuple(member['shape'])}, but layer {layer.name!r} "
                f"({type(layer).__name__}) on inputs {in_shape} needs {layer.dtype.name} "
                f"{shape}. The file was edited or damaged after it was saved: save the model "
                "again or restore it from a backup."
            )
        if w["trainable"] != trainable:
            raise _error(
                path,
                f"{where}.weights ({w['name']}).trainable",
                f"is {w['trainable']}",
                f"{trainable}",
            )


def check_optimizer_state(path, state, sizes: dict, files: dict) -> None:
    """Slots: one {slot: member} group whose arrays span the layout of the parameters."""
    if state is None:
        return
    iterations = state.get("iterations", 0)
    _require(
        path,
        "optimizer_state.iterations",
        iterations,
        _is_int(iterations) and iterations >= 0,
        "an int >= 0",
    )
    slots, layout = state.get("slots") or [], state.get("layout") or []
    _require(
        path,
        "optimizer_state.slots",
        slots,
        isinstance(slots, list)
        and len(slots) <= 1
        and all(isinstance(g, dict) and len(g) <= 4 for g in slots),
        "at most one {slot name: member} object",
    )
    ok = isinstance(layout, list) and all(
        isinstance(t, list) and len(t) == 3 and sizes.get((t[0], t[1])) == t[2]
        for t in layout
        if isinstance(t, list) and len(t) == 3 and _str_list(t[:2])
    )
    _require(
        path,
        "optimizer_state.layout",
        layout,
        ok and all(isinstance(t, list) and len(t) == 3 and _str_list(t[:2]) for t in layout),
        "[layer, weight, size] triples of the model's trainable weights",
    )
    n = sum(t[2] for t in layout)
    for group in slots:
        for key, member in group.items():
            _require(
                path,
                f"optimizer_state.slots[0].{key}",
                member,
                isinstance(member, str) and member in files and files[member]["shape"] == [n],
                f"a member of shape ({n},) listed in the manifest",
            )
