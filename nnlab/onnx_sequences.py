"""ONNX export of the sequence layers: SimpleRNN, LSTM, GRU, Bidirectional, Embedding and
TimeDistributed(Dense), for `nnlab.onnx_export`.

=====================  ===============================================================
nnlab                  ONNX
=====================  ===============================================================
SimpleRNN / LSTM /     RNN / LSTM / GRU on the input transposed to (steps, batch,
GRU                    features). Kernels are stored transposed, one block per gate:
                       LSTM's gates reordered from Keras's i, f, c, o to ONNX's
                       i, o, f, c; GRU's z, r, h are the same in both. GRU with
                       reset_after=True (Keras's default) is linear_before_reset=1,
                       with its recurrent bias as ONNX's R bias.
return_sequences       Y, back to (batch, steps, units); with go_backwards the steps
                       come in the order the layer read them, as in Keras
otherwise              Y_h, the state after the last step read
Bidirectional          the two layers above, the backward one's sequence flipped back,
                       then Concat / Add / Mul / their mean (merge_mode)
Embedding              Gather of the embedding rows at the ids, cast to int64
TimeDistributed(Dense) MatMul (+ Add) on the whole (batch, steps, features) input
=====================  ===============================================================

Not exported (a clear ONNXExportError says so): masks (Embedding(mask_zero=True)),
return_state, initial_state, activations other than tanh, sigmoid, relu and
hard_sigmoid inside the recurrent layers, and recurrent layers in float64 or float16
(ONNX Runtime runs these operators in float32 only).
"""

from __future__ import annotations

import numpy as np

from nnlab.layers import embedding, gru, lstm, simple_rnn, wrappers
from nnlab.layers.dense import Dense

SEQUENCE_LAYERS = ("SimpleRNN", "LSTM", "GRU", "Bidirectional", "Embedding", "TimeDistributed")
_RECURRENT = (simple_rnn.SimpleRNN, lstm.LSTM, gru.GRU)
#: nnlab activation -> (ONNX activation name, alpha, beta) for the recurrent operators
_ACTIVATIONS = {
    "tanh": ("Tanh", None, None),
    "sigmoid": ("Sigmoid", None, None),
    "relu": ("Relu", None, None),
    "hard_sigmoid": ("HardSigmoid", 1.0 / 6.0, 0.5),  # clip(z / 6 + 1/2, 0, 1)
}
_LSTM_GATES = (0, 3, 1, 2)  # ONNX's i, o, f, c as Keras's blocks i, f, c, o


def handles(layer) -> bool:
    """Whether `layer` is exactly one of the sequence layers (a subclass may differ)."""
    return type(layer) in (*_RECURRENT, wrappers.Bidirectional, embedding.Embedding,
                           wrappers.TimeDistributed)


def export(builder, layer, ins: list[str], out: str) -> None:
    """Append the ONNX nodes computing `layer` on the values `ins` into `out`."""
    from nnlab.onnx_export import ONNXExportError

    kind, name = type(layer), layer.name
    if len(ins) != 1:
        raise ONNXExportError(
            f"Cannot export layer '{name}' ({kind.__name__}) to ONNX: it is called with "
            "initial_state; export supports recurrent layers that start from zero states."
        )
    if kind is embedding.Embedding:
        if layer.mask_zero:
            raise ONNXExportError(
                f"Cannot export layer '{name}' (Embedding) to ONNX: mask_zero=True makes a "
                "mask for the layers after it, and ONNX export does not carry masks. Export "
                "a model built with mask_zero=False."
            )
        ids = builder.op("Cast", [ins[0]], f"{name}/ids", to=7)  # 7: INT64
        builder.op("Gather", [builder.const(f"{name}/embeddings", layer.params["embeddings"]),
                              ids], out, axis=0)
    elif kind is wrappers.TimeDistributed:
        _time_distributed(builder, layer, ins[0], out)
    elif kind is wrappers.Bidirectional:
        _bidirectional(builder, layer, ins[0], out)
    else:
        _recurrent(builder, layer, ins[0], out)


def _time_distributed(builder, layer, x: str, out: str) -> None:
    from nnlab.onnx_export import ONNXExportError

    if type(layer.layer) is not Dense:
        raise ONNXExportError(
            f"Cannot export layer '{layer.name}' (TimeDistributed) to ONNX: it wraps a "
            f"{type(layer.layer).__name__}; export supports TimeDistributed(Dense)."
        )
    builder.layer(layer.layer, [x], out)  # MatMul broadcasts over the steps axis


def _bidirectional(builder, layer, x: str, out: str) -> None:
    name, mode = layer.name, layer.merge_mode  # "concat", "sum", "mul" or "ave"
    yf = _recurrent(builder, layer.forward_layer, x, builder.fresh(f"{name}/forward"))
    yb = _recurrent(builder, layer.backward_layer, x, builder.fresh(f"{name}/backward"))
    if layer.return_sequences:  # the backward layer's steps back in the input's order
        yb = _reverse_steps(builder, yb, builder.fresh(f"{name}/backward_flipped"))
    if mode == "concat":
        builder.op("Concat", [yf, yb], out, axis=-1)
    elif mode in ("sum", "mul"):
        builder.op("Add" if mode == "sum" else "Mul", [yf, yb], out)
    else:
        total = builder.op("Add", [yf, yb], builder.fresh(f"{name}/sum"))
        builder.op("Mul", [total, builder.const(f"{name}/half", 0.5)], out)


def _recurrent(builder, layer, x: str, out: str) -> str:
    """One SimpleRNN / LSTM / GRU as ONNX's RNN / LSTM / GRU operator; returns `out`."""
    from nnlab.onnx_export import ONNXExportError

    name = layer.name
    if type(layer) not in _RECURRENT:
        raise ONNXExportError(
            f"Cannot export layer '{name}' ({type(layer).__name__}) to ONNX: Bidirectional "
            "export supports SimpleRNN, LSTM and GRU inside it."
        )
    if np.dtype(layer.dtype) != np.float32:
        raise ONNXExportError(
            f"Cannot export layer '{name}' ({type(layer).__name__}) to ONNX in "
            f"{np.dtype(layer.dtype).name}: ONNX Runtime runs its RNN, LSTM and GRU "
            "operators in float32 only. Build the model in float32 to export it."
        )
    if layer.return_state:
        raise ONNXExportError(
            f"Cannot export layer '{name}' ({type(layer).__name__}) to ONNX: "
            "return_state=True is not supported; export the model without the states."
        )
    acts = [layer.activation] if type(layer) is simple_rnn.SimpleRNN else (
        [layer.recurrent_activation, layer.activation]
        + ([layer.activation] if type(layer) is lstm.LSTM else [])
    )
    names, alphas, betas = _onnx_activations(layer, acts)
    W, R, B, attrs = _weights(layer)
    u = layer.units
    ins = [
        builder.op("Transpose", [x], builder.fresh(f"{name}/steps_first"), perm=[1, 0, 2]),
        builder.const(f"{name}/W", W[None]),
        builder.const(f"{name}/R", R[None]),
        builder.const(f"{name}/B", B[None]),
    ]
    if alphas:
        attrs.update(activation_alpha=alphas, activation_beta=betas)
    op_type = {simple_rnn.SimpleRNN: "RNN", lstm.LSTM: "LSTM", gru.GRU: "GRU"}[type(layer)]
    Y, Y_h = builder.fresh(f"{name}/Y"), builder.fresh(f"{name}/Y_h")
    builder.nodes.append(builder.helper.make_node(
        op_type, ins, [Y, Y_h], name=builder.fresh(f"{name}/{op_type}"), hidden_size=u,
        activations=names, direction="reverse" if layer.go_backwards else "forward", **attrs,
    ))
    axis = builder.const(f"{name}/axis", [1 if layer.return_sequences else 0], dtype=np.int64)
    if not layer.return_sequences:  # (1, batch, units) -> (batch, units)
        return builder.op("Squeeze", [Y_h, axis], out)
    Y = builder.op("Squeeze", [Y, axis], builder.fresh(f"{name}/Y_squeezed"))  # (T, n, u)
    if not layer.go_backwards:
        return builder.op("Transpose", [Y], out, perm=[1, 0, 2])
    # ONNX's reverse direction keeps Y in the input's step order; Keras returns the
    # steps in the order the layer read them (last input step first)
    Y = builder.op("Transpose", [Y], builder.fresh(f"{name}/Y_batch_first"), perm=[1, 0, 2])
    return _reverse_steps(builder, Y, out)


def _reverse_steps(builder, x: str, out: str) -> str:
    """x (batch, steps, units) with its steps in reverse order."""
    c = builder.const
    return builder.op("Slice", [x, c("steps/last", [-1], np.int64),
                                c("steps/before_first", [np.iinfo(np.int64).min], np.int64),
                                c("steps/axis", [1], np.int64), c("steps/back", [-1], np.int64)],
                      out)


def _onnx_activations(layer, acts) -> tuple[list, list, list]:
    from nnlab.onnx_export import ONNXExportError

    names, alphas, betas = [], [], []
    for act in acts:
        spec = _ACTIVATIONS.get(getattr(act, "name", None))
        if spec is None or not type(act).__module__.startswith("nnlab.activations"):
            raise ONNXExportError(
                f"Cannot export layer '{layer.name}' ({type(layer).__name__}) to ONNX: its "
                f"activation {act!r} has no ONNX counterpart inside recurrent operators. "
                f"Supported: {', '.join(_ACTIVATIONS)}."
            )
        names.append(spec[0])
        alphas.append(1.0 if spec[1] is None else spec[1])  # ignored by Tanh, Sigmoid, Relu
        betas.append(0.0 if spec[2] is None else spec[2])
    # the alpha/beta attributes only when some activation (HardSigmoid) reads them
    needed = "HardSigmoid" in names
    return names, alphas if needed else [], betas if needed else []


def _weights(layer) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """ONNX's W (gates * units, features), R (gates * units, units), B (2 * gates * units)
    and the operator's extra attributes, from the layer's kernels."""
    u, p = layer.units, layer.params
    K, U = p["kernel"], p["recurrent_kernel"]
    zeros = np.zeros(K.shape[1], K.dtype)
    b_in, b_rec, attrs = (p["bias"] if layer.use_bias else zeros), zeros, {}
    if type(layer) is gru.GRU:
        attrs["linear_before_reset"] = int(layer.reset_after)
        if layer.use_bias and layer.reset_after:
            b_in, b_rec = p["bias"][0], p["bias"][1]
    if type(layer) is lstm.LSTM:
        cols = np.concatenate([np.arange(g * u, (g + 1) * u) for g in _LSTM_GATES])
        K, U, b_in, b_rec = K[:, cols], U[:, cols], b_in[cols], b_rec[cols]
    return K.T, U.T, np.concatenate([b_in, b_rec]), attrs
