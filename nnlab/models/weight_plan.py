"""Weights planned from the layer graph, before any layer is built or array is read.

`plan_weights` walks the layers of model.json with `compute_output_shape` (which
allocates nothing), works out the shape of every weight each layer's `build` will
create, and compares it with the shape its manifest entry declares and with the
`max_params` cap, so a file declaring `Input(100000) -> Dense(100000)` is refused
before 40 GB are asked for. `check_optimizer_state` then checks the optimizer's slot
arrays against the planned trainable weights. Failures are `ModelFileError`s.
"""

from __future__ import annotations

import math

from nnlab.layers import InputLayer
from nnlab.layers.base import planned_weights
from nnlab.models import nested_file
from nnlab.models.file_errors import ModelFileError, too_big
from nnlab.models.model_file import LoadLimits
from nnlab.models.model_schema import check, error, is_str_list


def plan_weights(path, spec: dict, layers: list, files: dict, limits: LoadLimits | None):
    """Check every weight member against the shape its layer will create, before building.

    Returns the input and output shapes ({layer name: shape}; empty for a Sequential
    saved unbuilt) and the size of each weight ({(layer name, weight name): values}).
    Nested models are planned in their place; `max_params` caps all levels together.
    """
    planner = _Planner(path, files, limits)
    return planner.plan(spec, layers), planner.sizes


class _Planner:
    """The walk of `plan_weights`, keeping the running total across nested models."""

    def __init__(self, path, files: dict, limits: LoadLimits | None):
        self.path, self.files, self.limits = path, files, limits
        self.sizes: dict = {}
        self.total = 0
        self.models: dict = {}  # nested model name -> (input shapes, output shapes, multi)

    def plan(self, spec: dict, layers: list) -> dict:
        entries, shapes = spec["layers"], {}
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
                if not inbound or any(n not in shapes for n in inbound):
                    self._unbuilt(where, entry, layer)
                    continue
                ins = [shapes[n] for n in inbound]
                out = self._layer(where, entry, layer, ins if entry["call_on_list"] else ins[0])
            self._check_output(where, layer, out)
            shapes[layer.name] = out
        return {name: shapes[name] for name in spec["inputs"] + spec["outputs"] if name in shapes}

    def _unbuilt(self, where: str, entry: dict, layer) -> None:
        """An unbuilt Sequential: nothing will be built or allocated (a nested model in it
        still brings its own Input, so its weights are planned)."""
        if isinstance(layer, nested_file.PlannedModel):
            self.plan(layer.spec, layer.layers)
        elif entry["weights"]:
            raise error(
                self.path,
                f"{where}.weights",
                "lists weights of an unbuilt layer",
                "no weights before the model has an input shape",
            )

    def _layer(self, where: str, entry: dict, layer, in_shape):
        """The output shape of `layer` on `in_shape`, its weights checked on the way."""
        if isinstance(layer, (nested_file.PlannedModel, nested_file.SharedCall)):
            return nested_file.planned_output(
                self.path, where, layer, in_shape, self.models, self.plan
            )
        try:
            out = layer.compute_output_shape(in_shape)
            # one shape, or a list of them for a multi-output layer (return_state)
            out = [tuple(o) for o in out] if isinstance(out, list) else tuple(out)
            expected = _expected_weights(layer, in_shape)
        except (ValueError, TypeError, IndexError, KeyError, ArithmeticError) as exc:
            raise error(
                self.path,
                where,
                f"cannot take inputs of shape {in_shape} ({exc})",
                "a layer graph nnlab built",
            ) from None
        for key, (shape, _, _) in expected.items():
            self.sizes[(layer.name, key)] = math.prod(shape)
            self.total += math.prod(shape)
        limits = self.limits
        if limits is not None and self.total > limits.max_params:  # before anything is built
            raise _too_big(
                self.path, f"the model declares {self.total:,} weight values (up to {where})",
                limits,
            )
        _compare_weights(self.path, where, entry, layer, expected, in_shape, self.files)
        return out

    def _check_output(self, where: str, layer, out) -> None:
        size = sum(
            math.prod(d for d in o[1:] if d is not None)
            for o in (out if isinstance(out, list) else [out])
        )
        if self.limits is not None and size > self.limits.max_params:
            raise _too_big(
                self.path,
                f"layer {layer.name!r} outputs shape {out} ({size:,} values per sample)",
                self.limits,
            )


def _too_big(path, detail: str, limits: LoadLimits) -> ModelFileError:
    cap = limits.max_params
    return too_big(
        path,
        f"{detail}, more than max_params = {cap:,} (about {cap * 4 / 2**30:.1f} GiB in float32)",
        "max_params",
    )


def _expected_weights(layer, in_shape) -> dict[str, tuple[tuple, str, bool]]:
    """{weight name: (shape, dtype, trainable)} that `layer.build(in_shape)` will create."""
    return planned_weights(layer, in_shape)


def _compare_weights(path, where, entry, layer, expected, in_shape, files) -> None:
    listed = [w["name"] for w in entry["weights"]]
    if listed != list(expected):
        raise error(
            path,
            f"{where}.weights",
            f"lists {listed}",
            f"{list(expected)} for a {type(layer).__name__} on inputs {in_shape}",
        )
    for w in entry["weights"]:
        shape, dtype, trainable = expected[w["name"]]
        member = files[w["file"]]
        if tuple(member["shape"]) != shape or member["dtype"] != dtype:
            raise ModelFileError(
                f"{path}: member {w['file']!r} is declared as {member['dtype']} "
                f"{tuple(member['shape'])}, but layer {layer.name!r} "
                f"({type(layer).__name__}) on inputs {in_shape} needs {dtype} "
                f"{shape}. The file was edited or damaged after it was saved: save the model "
                "again or restore it from a backup."
            )
        if w["trainable"] != trainable:
            raise error(
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
    check(
        path,
        "optimizer_state.iterations",
        iterations,
        type(iterations) is int and iterations >= 0,
        "an int >= 0",
    )
    slots, layout = state.get("slots") or [], state.get("layout") or []
    check(
        path,
        "optimizer_state.slots",
        slots,
        isinstance(slots, list)
        and len(slots) <= 1
        and all(isinstance(g, dict) and len(g) <= 4 for g in slots),
        "at most one {slot name: member} object",
    )
    check(
        path,
        "optimizer_state.layout",
        layout,
        isinstance(layout, list)
        and all(
            isinstance(t, list)
            and len(t) == 3
            and is_str_list(t[:2])
            and sizes.get((t[0], t[1])) == t[2]
            for t in layout
        ),
        "[layer, weight, size] triples of the model's trainable weights",
    )
    n = sum(t[2] for t in layout)
    for group in slots:
        for key, member in group.items():
            check(
                path,
                f"optimizer_state.slots[0].{key}",
                member,
                isinstance(member, str) and member in files and files[member]["shape"] == [n],
                f"a member of shape ({n},) listed in the manifest",
            )
