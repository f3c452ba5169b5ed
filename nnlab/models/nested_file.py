"""Nested models in model.json: how a model used as a layer is written, checked and read.

A nested model's entry in `model.layers` is

    {"class_name": "Sequential" | "Functional", "config": {"name": ...},
     "model": {...its own architecture, weights under weights/<i>/<j>/...},
     "inbound": [...], "call_on_list": false, "weights": []}

and each further call of the same model (shared weights) is an entry
`{"call_of": <its name>, "config": {"name": "<its name>/<k>"}, ...}` without a
"model", whose output tensor later entries name as "<its name>/<k>". Loading keeps the
order of the checks of every other layer: the schema (`check_entry`), then the weights
planned against the graph with nothing allocated (`PlannedModel`), then building.
"""

from __future__ import annotations

import re

from nnlab.models.model_file import ModelFileError
from nnlab.models.nested import is_model

KINDS = ("Sequential", "Functional")
#: how deep models may nest in a file (each level is a model inside a model)
MAX_DEPTH = 8


def kind(model) -> str:
    return "Sequential" if type(model).__name__ == "Sequential" else "Functional"


def tensor_name(node) -> str:
    """The name later entries use for this node's output."""
    return node.layer.name if node.call == 0 else f"{node.layer.name}/{node.call}"


def is_nested_entry(entry: dict) -> bool:
    return "model" in entry or "call_of" in entry


def model_entry(prefix: str, model, inbound, on_list, call: int, arrays, architecture) -> dict:
    """The entry of a nested model's call number `call` (its architecture on the first)."""
    entry = {
        "class_name": kind(model),
        "config": {"name": model.name},
        "inbound": inbound,
        "call_on_list": bool(on_list),
        "weights": [],
    }
    if call:
        entry["config"]["name"] = f"{model.name}/{call}"
        entry["call_of"] = model.name
    else:
        entry["model"] = architecture(model, arrays, prefix)
    return entry


def strip_weights(arch: dict) -> dict:
    """`arch` without weight members or generator states, nested models included."""
    for entry in arch["layers"]:
        entry.pop("weights", None)
        entry.pop("rng_state", None)
        if "model" in entry:
            strip_weights(entry["model"])
    return arch


# -- reading ------------------------------------------------------------------------------
class PlannedModel:
    """A nested model's entry before it is built: its spec and its (unbuilt) layers."""

    def __init__(self, spec: dict, layers: list):
        self.spec, self.layers = spec, layers
        self.name = spec.get("name")
        self.model = None  # set by `materialize`

    def __repr__(self) -> str:
        return f"<PlannedModel name={self.name}>"


class SharedCall:
    """A further call of a nested model named earlier in the same graph."""

    def __init__(self, entry: dict):
        self.of = entry["call_of"]
        self.name = entry["config"]["name"]

    def __repr__(self) -> str:
        return f"<SharedCall of={self.of}>"


def make(path, entry: dict, make_layers):
    if "call_of" in entry:
        return SharedCall(entry)
    return PlannedModel(entry["model"], make_layers(path, entry["model"]))


def materialize(path, layer, rebuild):
    """The built model of a PlannedModel (weights still initial); other layers as given."""
    if isinstance(layer, PlannedModel):
        layer.model = rebuild(path, layer.spec, None, layer.layers)
        return layer.model
    return layer


def shared_target(path, layer: SharedCall, built: dict):
    target = built.get(layer.of)
    if not is_model(target):
        raise ModelFileError(
            f"{path}: model.json entry {layer.name!r} calls {layer.of!r}, which is not a "
            "nested model defined before it. The file was edited or damaged after it was "
            "saved: save the model again or restore it from a backup."
        )
    return target


# -- schema --------------------------------------------------------------------------------
def check_entry(path, where: str, entry: dict, names: list, check_model, depth: int) -> str:
    """Check a nested-model entry (recursing into its architecture); returns its name."""
    from nnlab.models.model_schema import check, check_all, is_str_list

    config, inbound = entry.get("config"), entry.get("inbound")
    name = config.get("name") if isinstance(config, dict) else None
    call_of = entry.get("call_of")
    if call_of is not None:
        m = re.fullmatch(r"(.+)/([1-9][0-9]*)", name) if isinstance(name, str) else None
        ok = m is not None and m.group(1) == call_of and call_of in names
        check(path, f"{where}.config.name", name, ok, "'<an earlier nested model>/<call>'")
    check_all(
        path,
        [
            (f"{where}.class_name", entry.get("class_name"), entry.get("class_name") in KINDS,
             "'Sequential' or 'Functional' for a nested model"),
            (f"{where}.config", config, isinstance(config, dict) and list(config) == ["name"],
             "an object with only the nested model's name"),
            (f"{where}.config.name", name,
             isinstance(name, str) and bool(name) and name not in names,
             "a unique non-empty string"),
            (f"{where}.inbound", inbound, is_str_list(inbound) and set(inbound) <= set(names),
             "a list of names of earlier layers"),
            (f"{where}.call_on_list", entry.get("call_on_list"),
             isinstance(entry.get("call_on_list"), bool), "true or false"),
            (f"{where}.weights", entry.get("weights"), entry.get("weights") == [],
             "[] (a nested model's weights are listed in its own layers)"),
        ],
    )  # fmt: skip
    if call_of is None:
        check(path, f"{where}.model", type(entry.get("model")).__name__,
              isinstance(entry.get("model"), dict), "an object of the nested model's layers")
        check(path, f"{where}.model", f"nested {depth} deep", depth < MAX_DEPTH,
              f"models nested at most {MAX_DEPTH} deep")
        check_model(path, entry["model"], depth + 1)
    return name


# -- weight planning ------------------------------------------------------------------------
def planned_output(path, where: str, layer, in_shape, planned: dict, plan):
    """The output shape of a nested model's call on `in_shape`, planning its weights
    (through `plan`) on its first call; `planned` keeps each model's input and output
    shapes for its later calls."""
    if isinstance(layer, SharedCall):
        if layer.of not in planned:
            raise _unplanned(path, where, layer.of)
        ins, outs, multi = planned[layer.of]
    else:
        io = plan(layer.spec, layer.layers)
        ins = [io.get(n) for n in layer.spec["inputs"]]
        outs = [io.get(n) for n in layer.spec["outputs"]]
        if any(s is None for s in ins + outs):
            raise _unplanned(path, where, layer.name)
        multi = bool(layer.spec.get("multi_output"))
        planned[layer.name] = (ins, outs, multi)
    given = in_shape if isinstance(in_shape, list) else [in_shape]
    if [tuple(s[1:]) for s in given] != [tuple(s[1:]) for s in ins]:
        raise ModelFileError(
            f"{path}: model.json {where} is called on inputs of shape {given}, but the nested "
            f"model takes {ins}. The file was edited or damaged after it was saved: save "
            "the model again or restore it from a backup."
        )
    return list(outs) if multi else outs[0]


def _unplanned(path, where: str, name) -> ModelFileError:
    return ModelFileError(
        f"{path}: model.json {where}: the nested model {name!r} has no input shape in the "
        "file (a model is saved built when it is inside another). The file was edited or "
        "damaged after it was saved: save the model again or restore it from a backup."
    )
