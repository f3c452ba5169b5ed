"""summary(): Keras's table of layers, output shapes and parameter counts."""

from __future__ import annotations

from nnlab.layers.input_layer import InputLayer


def _bytes(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.2f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024
    return f"{n} B"


def _shape(shape) -> str:
    if isinstance(shape, list):
        return ", ".join(_shape(s) for s in shape)
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _kind(layer) -> str:
    """The type column: Keras calls a functional model "Functional"."""
    name = type(layer).__name__
    return "Functional" if name == "Model" else name


def _rows(model) -> tuple[list[list[str]], bool]:
    """One row per layer (a nested model called several times is one row, as in Keras),
    and whether the model is a chain (no "Connected to" column)."""
    nodes = [
        n
        for n in model.graph_nodes
        if n.call == 0
        and not (type(model).__name__ == "Sequential" and isinstance(n.layer, InputLayer))
    ]
    by_id = {n.output: n.layer.name for n in model.graph_nodes}
    chain = all(len(n.inputs) <= 1 and not n.shared for n in model.graph_nodes)
    rows = []
    for n in nodes:
        layer = n.layer
        params = 0 if isinstance(layer, InputLayer) else layer.count_params()
        row = [f"{layer.name} ({_kind(layer)})", _shape(layer.output_shape), f"{params:,}"]
        if not chain:
            inbound = [i for m in model.graph_nodes if m.layer is layer for i in m.inputs]
            row.append(", ".join(by_id[i] for i in inbound) or "-")
        rows.append(row)
    return rows, chain


def summary_text(model, batch_size: int | None = None) -> str:
    """The summary table as a string (what `model.summary()` prints).

    With `batch_size`, also the forward FLOPs per sample and the memory to train with
    that batch size (see nnlab.diagnostics.memory).
    """
    if not model.built:
        return (
            f'Model: "{model.name}" (not built yet: add an Input, or fit/call it on data '
            "to see shapes and parameter counts)"
        )
    rows, chain = _rows(model)
    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    widths = [max(len(r[i]) for r in rows + [header]) + 2 for i in range(len(header))]
    line = lambda cells: "".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    total_width = sum(widths)
    layers = model.weight_layers()  # nested models' layers in their place, each once
    itemsize = model.dtype.itemsize
    total = sum(layer.count_params() for layer in layers)
    trainable = sum(W.size for layer in layers if layer.trainable for W in layer.params.values())
    out = [f'Model: "{model.name}"', "=" * total_width, line(header), "=" * total_width]
    for r in rows:
        out.append(line(r))
    out.append("=" * total_width)
    out.append(f"Total params: {total:,} ({_bytes(total * itemsize)})")
    out.append(f"Trainable params: {trainable:,} ({_bytes(trainable * itemsize)})")
    out.append(
        f"Non-trainable params: {total - trainable:,} ({_bytes((total - trainable) * itemsize)})"
    )
    if batch_size is not None:
        out += _cost_lines(model, batch_size)
    return "\n".join(out)


def _cost_lines(model, batch_size: int) -> list[str]:
    """FLOPs per sample and the training-memory estimate for `batch_size`."""
    from nnlab.diagnostics.memory import flops_per_sample, memory_estimate

    est = memory_estimate(model, batch_size)
    b = est.bytes_per_value
    rows = [
        ("Parameters", f"{est.n_params:,} values", est.parameters),
        ("Gradients", f"{est.n_trainable:,} values", est.gradients),
        (
            f"Optimizer state ({est.optimizer})",
            f"{est.optimizer_slots} x {est.n_trainable:,} values",
            est.optimizer_state,
        ),
        ("Activations", f"{batch_size} x {est.activations_per_sample:,} values", est.activations),
        ("Inputs", f"{batch_size} x {est.input_bytes_per_sample // b:,} values", est.inputs),
    ]
    width = max(len(r[0]) for r in rows) + 2
    count = max(len(r[1]) for r in rows) + 2
    return [
        f"FLOPs per sample (forward, multiply-add = 2 FLOPs): {flops_per_sample(model):,}",
        f"Training memory for batch_size={batch_size} ({model.dtype.name}, {b} bytes per value):",
        *(f"  {name.ljust(width)}{what.ljust(count)}{_bytes(n)}" for name, what, n in rows),
        f"  {'Total'.ljust(width + count)}{_bytes(est.total)}",
    ]
