"""The walk over a model's layer graph for ONNX export (`nnlab.onnx_export`), with nested
models inlined: a model used as a layer becomes its own layers' ONNX nodes, fed by the
values that feed it, so the file holds one flat graph."""

from __future__ import annotations

from nnlab import onnx_sequences


def emit(builder, model, inputs: list[str] | None = None) -> list[str]:
    """Append the ONNX nodes of `model`'s layers to `builder`; return the names of the
    values holding its outputs (in `model.output_positions` order).

    Args:
        builder: the `nnlab.onnx_export` builder collecting nodes and weights.
        model: a built Model or Sequential.
        inputs: the value names that feed `model`'s Inputs, in order; None for the
            exported model itself, whose Inputs become the graph inputs
            (`builder.graph_inputs`).
    """
    from nnlab.models.nested import is_model
    from nnlab.onnx_export import ONNXExportError

    names: dict[int, str] = {}  # tensor position -> ONNX value name
    feeds = None if inputs is None else iter(inputs)
    for node in model.graph_nodes:
        layer = node.layer
        if not node.inputs:  # an Input: a graph input, or what feeds the nested model
            if feeds is None:
                names[node.output] = builder.fresh(layer.name)
                builder.graph_inputs.append(
                    builder.value_info(names[node.output], layer.output_shape)
                )
            else:
                names[node.output] = next(feeds)
            continue
        ins = [names[i] for i in node.inputs]
        if is_model(layer):
            outs = emit(builder, layer, ins)
            if len(outs) != 1:
                raise ONNXExportError(
                    f"Cannot export the nested model '{layer.name}' to ONNX: it has "
                    f"{len(outs)} outputs; export inlines nested models with one output."
                )
            names[node.output] = outs[0]
            continue
        _claim(builder, layer)
        out = builder.fresh(layer.name)
        if onnx_sequences.handles(layer):
            onnx_sequences.export(builder, layer, ins, out)
        else:
            builder.layer(layer, ins, out)
        names[node.output] = out
    return [names[pos] for pos in model.output_positions]


def _claim(builder, layer) -> None:
    """Each layer name once in the flat graph: the nodes of a layer are named after it."""
    from nnlab.onnx_export import ONNXExportError

    if layer.name in builder.layer_names:
        raise ONNXExportError(
            f"Cannot export to ONNX: layer '{layer.name}' would appear twice in the inlined "
            "graph, from a nested model called more than once or from two layers with the "
            "same name. Export supports nested models called once, with distinct layer names."
        )
    builder.layer_names.add(layer.name)
