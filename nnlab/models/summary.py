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


def summary_text(model) -> str:
    """The summary table as a string (what `model.summary()` prints)."""
    if not model.built:
        return (
            f'Model: "{model.name}" (not built yet: add an Input, or fit/call it on data '
            "to see shapes and parameter counts)"
        )
    nodes = [
        n
        for n in model._nodes
        if not (type(model).__name__ == "Sequential" and isinstance(n.layer, InputLayer))
    ]
    by_id = {n.output: n.layer.name for n in model._nodes}
    chain = all(len(n.inputs) <= 1 for n in model._nodes)
    rows = []
    for n in nodes:
        layer = n.layer
        params = 0 if isinstance(layer, InputLayer) else layer.count_params()
        row = [f"{layer.name} ({type(layer).__name__})", _shape(layer.output_shape), f"{params:,}"]
        if not chain:
            row.append(", ".join(by_id[i] for i in n.inputs) or "-")
        rows.append(row)
    header = ["Layer (type)", "Output Shape", "Param #"] + ([] if chain else ["Connected to"])
    widths = [max(len(r[i]) for r in rows + [header]) + 2 for i in range(len(header))]
    line = lambda cells: "".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    total_width = sum(widths)
    layers = [n.layer for n in model._nodes if not isinstance(n.layer, InputLayer)]
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
    return "\n".join(out)
