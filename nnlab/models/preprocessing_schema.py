"""The schema of the fitted preprocessing in `model.json`, and its fit to the model.

A `TabularPreprocessor` is stored as its `to_config()`. Loading checks each field's
type and range, that the class list is non-empty, distinct and in the order `fit`
makes (so a reversed list is caught), and, for a model with one input and one output,
that the features it makes fill the model's input and the classes match the output
units. `save_model` runs the same check, so a file nnlab writes always loads.
"""

from __future__ import annotations

import math

from nnlab.models.model_file import ModelFileError

_SCALINGS = ("standard", "minmax", None)
_TASKS = ("binary", "multiclass", "multilabel", "regression")


_LOAD_FIX = (
    "the file was edited or damaged after it was saved: save the model again or restore "
    "it from a backup"
)


class _Error(Exception):
    """One failed check: the field, the value found and what was expected."""

    def __init__(self, where: str, value, expected: str):
        super().__init__(where, value, expected)
        self.where, self.value, self.expected = where, value, expected


def _finite(v) -> bool:
    return type(v) in (int, float) and math.isfinite(v)


def _scalar(v) -> bool:
    return type(v) in (str, int, bool) or (type(v) is float and math.isfinite(v))


def _names(v) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) for x in v) and len(set(v)) == len(v)


def _class_order(v):
    return (str(type(v)), v)


def check_preprocessing(
    path, spec, io_shapes: dict, inputs: list, outputs: list, fix: str = _LOAD_FIX
) -> None:
    """Check a stored `{class_name, config}` preprocessing against its schema and the model.

    Args:
        path: the file, for messages.
        spec: the `preprocessing` object of model.json (None: nothing to check).
        io_shapes: {layer name: shape} of the model's inputs and outputs (may be empty).
        inputs, outputs: names of the model's input and output layers.
        fix: what the message tells the user to do.

    Raises:
        ModelFileError: naming the field, the value found and the value expected.
    """
    try:
        _check(spec, io_shapes, inputs, outputs)
    except _Error as e:
        raise ModelFileError(
            f"{path}: model.json preprocessing.{e.where} is {e.value!r}; expected "
            f"{e.expected}. To fix it, {fix}."
        ) from None


def _check(spec, io_shapes: dict, inputs: list, outputs: list) -> None:
    if spec is None:
        return
    if spec.get("class_name") != "TabularPreprocessor":
        raise _Error("class_name", spec.get("class_name"), "'TabularPreprocessor'")
    c = spec.get("config")
    if not isinstance(c, dict):
        raise _Error("config", c, "an object")
    checks = [
        (
            "targets",
            _names(c.get("targets")) and bool(c.get("targets")),
            "non-empty distinct names",
        ),
        ("scaling", c.get("scaling") in _SCALINGS, f"one of {list(_SCALINGS)}"),
        ("drop", _names(c.get("drop")), "a list of column names"),
        ("task", c.get("task") in _TASKS, f"one of {list(_TASKS)}"),
        (
            "id_threshold",
            _finite(c.get("id_threshold")) and c["id_threshold"] >= 0,
            "a number >= 0",
        ),
        (
            "positive_class",
            c.get("positive_class") is None or _scalar(c["positive_class"]),
            "null or a class value",
        ),
        (
            "classes",
            isinstance(c.get("classes"), list) and all(map(_scalar, c["classes"])),
            "a list of class values",
        ),
        ("numeric", isinstance(c.get("numeric"), dict), "{column: {fill, center, scale}}"),
        ("categorical", isinstance(c.get("categorical"), dict), "{column: {categories, fill}}"),
        (
            "dropped",
            isinstance(c.get("dropped"), dict)
            and all(isinstance(v, str) for v in c["dropped"].values()),
            "{column: reason}",
        ),
        (
            "report",
            isinstance(c.get("report"), list) and all(isinstance(v, str) for v in c["report"]),
            "a list of strings",
        ),
    ]
    for key, ok, expected in checks:
        if not ok:
            raise _Error(f"config.{key}", c.get(key), expected)
    _check_columns(c)
    _check_classes(c)
    if len(inputs) == 1 and len(outputs) == 1 and inputs[0] in io_shapes:
        _check_fits_model(c, io_shapes[inputs[0]], io_shapes.get(outputs[0]))


def _check_columns(c: dict) -> None:
    for name, stats in c["numeric"].items():
        ok = isinstance(stats, dict) and all(
            _finite(stats.get(k)) for k in ("fill", "center", "scale")
        )
        if not ok or stats["scale"] == 0:
            raise _Error(
                f"config.numeric[{name!r}]",
                stats,
                "{fill, center, scale}: finite numbers, scale not 0",
            )
    for name, spec in c["categorical"].items():
        cats = spec.get("categories") if isinstance(spec, dict) else None
        if not (_names(cats) and cats and spec.get("fill") in cats):
            raise _Error(
                f"config.categorical[{name!r}]",
                spec,
                "{categories: distinct strings, fill: one of them}",
            )
    columns = list(c["numeric"]) + list(c["categorical"])
    if not columns or set(columns) & set(c["targets"]) or len(set(columns)) != len(columns):
        raise _Error(
            "config",
            f"features {columns} and targets {c['targets']}",
            "at least one feature column, none of them a target",
        )


def _check_classes(c: dict) -> None:
    task, classes, pos = c["task"], c["classes"], c.get("positive_class")
    if task == "regression":
        expected, ok = "[] for regression", classes == []
    elif task == "multilabel":
        expected, ok = f"the target columns {c['targets']}", classes == c["targets"]
    elif pos is not None:
        expected, ok = f"['not {pos}', {pos!r}]", classes == [f"not {pos}", pos]
    else:
        n = "2 distinct" if task == "binary" else "at least 2 distinct"
        expected = f"{n} classes in sorted order"
        distinct = len({_class_order(v) for v in classes}) == len(classes)
        ok = (len(classes) == 2 or (task == "multiclass" and len(classes) > 2)) and distinct
        ok = ok and sorted(classes, key=_class_order) == classes
    if not ok:
        raise _Error("config.classes", classes, expected)


def _check_fits_model(c: dict, in_shape, out_shape) -> None:
    n_features = len(c["numeric"]) + sum(len(s["categories"]) for s in c["categorical"].values())
    if tuple(in_shape[1:]) != (n_features,):
        raise _Error(
            "config",
            f"a preprocessor making {n_features} features",
            f"as many features as the model's input {tuple(in_shape)} takes",
        )
    if out_shape is None:
        return
    units = out_shape[-1]
    task, n = c["task"], len(c["classes"]) if c["task"] != "regression" else len(c["targets"])
    allowed = (1, 2) if task == "binary" else (n,)
    if units not in allowed:
        raise _Error(
            "config.classes",
            c["classes"],
            f"a {task} target matching the model's {units} output unit(s)",
        )
