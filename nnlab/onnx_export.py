"""Export a model to ONNX for inference in another runtime (ONNX Runtime, ...).

`export_onnx(model, path)` writes the model's inference graph, weights included, to
an `.onnx` file and returns the `onnx.ModelProto`. Each layer becomes a few standard
ONNX operators:

=====================  ===============================================================
nnlab                  ONNX
=====================  ===============================================================
Input                  a graph input named after the Input, batch axis ``N`` (dynamic)
Dense                  MatMul (+ Add for the bias), then the activation
activations            linear: Identity, sigmoid: Sigmoid, tanh: Tanh, relu: Relu,
                       leaky_relu: LeakyRelu(alpha=negative_slope), elu: Elu(alpha),
                       softplus: Softplus, softmax: Softmax(axis=-1),
                       step: Greater(z, 0) then Cast
Activation             the activation alone
Flatten / Reshape      Flatten(axis=1) / Reshape to (batch, *target_shape)
Add / Multiply         a chain of Add / Mul (numpy-style broadcasting, as nnlab)
Subtract / Average     Sub / the Add chain then Mul by 1/k
Concatenate            Concat(axis)
Dropout, GaussianNoise Identity (they are identities at inference)
BatchNormalization     Mul by gamma / sqrt(moving_variance + epsilon), then Add of
                       beta - moving_mean * that scale (the inference constants folded,
                       shaped to broadcast along the layer's axis)
Conv, pooling, image   see `nnlab.onnx_images` (channels-last data transposed around
layers                 ONNX's channels-first Conv and pooling operators)
RNN, LSTM, GRU, ...    see `nnlab.onnx_sequences` (ONNX's RNN / LSTM / GRU operators)
a nested model        its layers, inlined (`nnlab.onnx_graph`; called once, one output)
=====================  ===============================================================

Float32, float64 and float16 models export in their own dtype. ONNX Runtime has no
float64 kernels for Elu and Softplus, and ONNX attributes such as LeakyRelu's alpha
are 32-bit floats, so a float64 model spells elu, softplus and leaky_relu with
elementary operators (Relu, Min, Exp, Log, ...) and 64-bit constants instead.

The `onnx` package is needed only here: it is imported when `export_onnx` runs.
"""

from __future__ import annotations

import os

import numpy as np

from nnlab import fileio, onnx_graph, onnx_sequences
from nnlab.layers.activation import Activation as ActivationLayer
from nnlab.layers.dense import Dense
from nnlab.layers.dropout import Dropout, GaussianNoise
from nnlab.layers.input_layer import InputLayer
from nnlab.layers.merging import Add, Average, Concatenate, Multiply, Subtract
from nnlab.layers.normalization import BatchNormalization
from nnlab.layers.reshaping import Flatten, Reshape
from nnlab.onnx_images import IMAGE_LAYERS
from nnlab.onnx_images import export as export_image_layer
from nnlab.onnx_images import handles as is_image_layer

#: The opset written when `opset=None`: supported by every ONNX Runtime since 1.13.
DEFAULT_OPSET = 17
#: The oldest opset accepted (Softmax's per-axis meaning dates from opset 13).
MIN_OPSET = 13

SUPPORTED_LAYERS = (
    "InputLayer",
    "Dense",
    "Activation",
    "Flatten",
    "Reshape",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Concatenate",
    "Dropout",
    "GaussianNoise",
    "BatchNormalization",
    *IMAGE_LAYERS,
    *onnx_sequences.SEQUENCE_LAYERS,
)
SUPPORTED_ACTIVATIONS = (
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    "elu",
    "softplus",
    "softmax",
    "step",
)


class ONNXExportError(ValueError):
    """The model holds something ONNX export cannot express."""


def export_onnx(model, path, opset: int | None = None):
    """Write `model`'s inference graph to the ONNX file `path`; return the ModelProto.

    The file is written atomically: to a temporary file beside `path`, then renamed
    over it, so a reader never sees a half-written model and a failed export leaves
    any old file as it was. The graph is checked with `onnx.checker` (full check,
    with shape inference) before anything is written.

    Args:
        model: a built `Model` or `Sequential` whose layers are all supported (see
            `SUPPORTED_LAYERS` and `SUPPORTED_ACTIVATIONS`).
        path: file to write (str or os.PathLike); `None` only builds and returns the
            ModelProto.
        opset: ONNX opset of the default domain, `DEFAULT_OPSET` (17) if None.

    Returns:
        The `onnx.ModelProto`. Its graph inputs are named as the model's Inputs, its
        outputs as `model.output_names`, and every batch axis is the symbolic ``N``.

    Raises:
        TypeError: `model` is not an nnlab Model (e.g. a `Perceptron`).
        ONNXExportError: a layer or activation ONNX export does not support, a model
            that is not built, or layers of mixed dtypes.

    Example:
        >>> import numpy as np, onnxruntime as ort
        >>> from nnlab import Sequential, Input
        >>> from nnlab.layers import Dense
        >>> model = Sequential([Input(shape=(3,)), Dense(2, activation="softmax")])
        >>> proto = export_onnx(model, None)  # None: build, check, but write no file
        >>> [i.name for i in proto.graph.input] == model.input_names
        True
        >>> sess = ort.InferenceSession(proto.SerializeToString(),
        ...                             providers=["CPUExecutionProvider"])
        >>> x = np.ones((4, 3), dtype="float32")
        >>> (y,) = sess.run(None, {model.input_names[0]: x})
        >>> bool(np.allclose(y, model(x), atol=1e-6))
        True
    """
    import onnx

    from nnlab.models.model import Model

    if not isinstance(model, Model):
        raise TypeError(
            "export_onnx expects an nnlab Model or Sequential. "
            f"Received: {model!r} of type {type(model).__name__}"
        )
    if not model.built:
        raise ONNXExportError(
            f"Model '{model.name}' is not built, so it has no graph to export. Give it an "
            "Input (or call build / fit / predict once) first."
        )
    if opset is None:
        opset = DEFAULT_OPSET
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)):
        raise TypeError(f"opset must be an int. Received: opset={opset!r}")
    if not MIN_OPSET <= opset <= newest:
        raise ValueError(
            f"opset must be between {MIN_OPSET} and {newest} (the newest this onnx "
            f"package knows). Received: opset={opset}"
        )

    proto = _Builder(model, int(opset)).build()
    onnx.checker.check_model(proto, full_check=True)
    if path is not None:
        _write_atomically(proto.SerializeToString(), os.fspath(path))
    return proto


class _Builder:
    """Turns the model's nodes, in topological order, into ONNX nodes and initializers."""

    def __init__(self, model, opset: int):
        from onnx import helper

        self.helper = helper
        self.model = model
        self.opset = opset
        self.dtype = _common_dtype(model)
        self.elem_type = helper.np_dtype_to_tensor_dtype(self.dtype)
        self.nodes: list = []
        self.initializers: list = []
        self.used_names: set[str] = set()
        self.graph_inputs: list = []  # filled by onnx_graph.emit
        self.layer_names: set[str] = set()  # the layers emitted so far

    # -- small helpers ----------------------------------------------------------------
    def fresh(self, name: str) -> str:
        out, k = name, 1
        while out in self.used_names:
            out, k = f"{name}_{k}", k + 1
        self.used_names.add(out)
        return out

    def const(self, name: str, value, dtype=None) -> str:
        from onnx import numpy_helper

        name = self.fresh(name)
        arr = np.asarray(value, dtype=self.dtype if dtype is None else dtype)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def op(self, op_type: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(self.helper.make_node(op_type, inputs, [output], name=output, **attrs))
        return output

    def value_info(self, name: str, shape):
        dims = ["N"] + [None if d is None else int(d) for d in tuple(shape)[1:]]
        return self.helper.make_tensor_value_info(name, self.elem_type, dims)

    # -- the graph ----------------------------------------------------------------------
    def build(self):
        helper = self.helper
        model = self.model
        self.graph_inputs = graph_inputs = []
        outs = onnx_graph.emit(self, model)  # nested models inlined

        graph_outputs = []
        claimed = {vi.name for vi in graph_inputs}
        for t, name, want in zip(model.outputs, outs, model.output_names):
            if name in claimed:  # an Input, or a tensor already output: copy it
                name = self.op("Identity", [name], self.fresh(want))
            claimed.add(name)
            graph_outputs.append(self.value_info(name, t.shape))

        graph = helper.make_graph(
            self.nodes,
            model.name,
            graph_inputs,
            graph_outputs,
            initializer=self.initializers,
            doc_string=f"nnlab {type(model).__name__} '{model.name}'",
        )
        opsets = [helper.make_opsetid("", self.opset)]
        proto = helper.make_model(
            graph,
            opset_imports=opsets,
            producer_name="nnlab",
            producer_version=_nnlab_version(),
        )
        # The lowest IR version that carries this opset, so older runtimes load it.
        proto.ir_version = helper.find_min_ir_version_for(opsets)
        return proto

    def layer(self, layer, ins: list[str], out: str) -> None:
        # Exact types: a subclass may compute something else, so it is refused below.
        name, kind = layer.name, type(layer)
        if kind is Dense:
            linear = _is_linear(layer)
            z = out if linear else f"{name}/z"
            kernel = self.const(f"{name}/kernel", layer.params["kernel"])
            if layer.use_bias:
                xw = self.op("MatMul", [ins[0], kernel], f"{name}/matmul")
                self.op("Add", [xw, self.const(f"{name}/bias", layer.params["bias"])], z)
            else:
                self.op("MatMul", [ins[0], kernel], z)
            if not linear:
                self.activation(layer, z, out)
        elif kind is ActivationLayer:
            self.activation(layer, ins[0], out)
        elif kind in (Dropout, GaussianNoise, InputLayer):
            self.op("Identity", [ins[0]], out)
        elif kind is Flatten:
            self.op("Flatten", [ins[0]], out, axis=1)
        elif kind is Reshape:
            if 0 in layer.target_shape:
                raise ONNXExportError(
                    f"Layer '{name}' (Reshape) has a zero-size target_shape "
                    f"{layer.target_shape}, which ONNX Reshape reads as 'copy this axis'."
                )
            # 0 copies the batch axis; the target shape may hold its own -1.
            shape = self.const(f"{name}/shape", (0,) + layer.target_shape, dtype=np.int64)
            self.op("Reshape", [ins[0], shape], out)
        elif kind in (Add, Multiply, Average):
            op_type = "Mul" if kind is Multiply else "Add"
            last = out if kind is not Average else f"{name}/sum"
            acc = ins[0]
            for k, x in enumerate(ins[1:], start=2):
                acc = self.op(op_type, [acc, x], last if k == len(ins) else f"{name}/{k}")
            if kind is Average:
                self.op("Mul", [acc, self.const(f"{name}/inv_k", 1.0 / len(ins))], out)
        elif kind is Subtract:
            self.op("Sub", ins, out)
        elif kind is Concatenate:
            self.op("Concat", ins, out, axis=layer.axis)
        elif kind is BatchNormalization:
            self.batch_norm(layer, ins[0], out)
        elif is_image_layer(layer):
            export_image_layer(self, layer, ins[0], out)
        else:
            raise ONNXExportError(
                f"Cannot export layer '{name}' ({type(layer).__name__}) to ONNX: "
                f"unsupported layer type. Supported: {', '.join(SUPPORTED_LAYERS)}."
            )

    def batch_norm(self, layer, x: str, out: str) -> None:
        name = layer.name
        var = layer.state["moving_variance"].astype(np.float64)
        scale = 1.0 / np.sqrt(var + layer.epsilon)
        if layer.scale:
            scale = scale * layer.params["gamma"]
        shift = -layer.state["moving_mean"] * scale
        if layer.center:
            shift = shift + layer.params["beta"]
        rank = len(layer.input_shape)
        # (C,) -> (C, 1, ..., 1): broadcasts along `axis` against (N, ..., C, ...).
        bshape = (-1,) + (1,) * (rank - 1 - layer.axis % rank)
        scaled = self.op(
            "Mul", [x, self.const(f"{name}/scale", scale.reshape(bshape))], f"{name}/scaled"
        )
        self.op("Add", [scaled, self.const(f"{name}/shift", shift.reshape(bshape))], out)

    def activation(self, layer, z: str, out: str) -> None:
        act = layer.activation
        kind = act.name
        name = layer.name
        if kind not in SUPPORTED_ACTIVATIONS or type(act).__module__ != "nnlab.activations":
            raise ONNXExportError(
                f"Cannot export layer '{name}' ({type(layer).__name__}) to ONNX: "
                f"unsupported activation {act!r}. Supported: "
                f"{', '.join(SUPPORTED_ACTIVATIONS)}."
            )
        # ONNX Runtime has no float64 Elu or Softplus, and ONNX float attributes are
        # 32-bit: float64 models spell these (and LeakyRelu) with 64-bit constants.
        wide = self.dtype == np.float64
        if kind == "linear":
            self.op("Identity", [z], out)
        elif kind in ("sigmoid", "tanh", "relu"):
            self.op({"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}[kind], [z], out)
        elif kind == "leaky_relu" and not wide:
            self.op("LeakyRelu", [z], out, alpha=act.negative_slope)
        elif kind == "leaky_relu":  # relu(z) + negative_slope * min(z, 0)
            neg = self.op("Min", [z, self.const(f"{name}/zero", 0.0)], f"{name}/lr_min")
            slope = self.const(f"{name}/negative_slope", act.negative_slope)
            tail = self.op("Mul", [neg, slope], f"{name}/lr_neg")
            self.op("Add", [self.op("Relu", [z], f"{name}/lr_pos"), tail], out)
        elif kind == "elu" and not wide:
            self.op("Elu", [z], out, alpha=act.alpha)
        elif kind == "elu":  # relu(z) + alpha * (exp(min(z, 0)) - 1)
            neg = self.op("Min", [z, self.const(f"{name}/zero", 0.0)], f"{name}/elu_min")
            e = self.op("Exp", [neg], f"{name}/elu_exp")
            em1 = self.op("Sub", [e, self.const(f"{name}/one", 1.0)], f"{name}/elu_expm1")
            tail = self.op("Mul", [em1, self.const(f"{name}/alpha", act.alpha)], f"{name}/elu_neg")
            self.op("Add", [self.op("Relu", [z], f"{name}/elu_pos"), tail], out)
        elif kind == "softplus" and not wide:
            self.op("Softplus", [z], out)
        elif kind == "softplus":  # relu(z) + log(1 + exp(-|z|)), without overflow
            neg_abs = self.op("Neg", [self.op("Abs", [z], f"{name}/sp_abs")], f"{name}/sp_neg")
            e = self.op("Exp", [neg_abs], f"{name}/sp_exp")
            e1 = self.op("Add", [e, self.const(f"{name}/one", 1.0)], f"{name}/sp_1p")
            log = self.op("Log", [e1], f"{name}/sp_log")
            self.op("Add", [self.op("Relu", [z], f"{name}/sp_pos"), log], out)
        elif kind == "softmax":
            self.op("Softmax", [z], out, axis=-1)
        elif kind == "step":
            positive = self.op("Greater", [z, self.const(f"{name}/zero", 0.0)], f"{name}/positive")
            self.op("Cast", [positive], out, to=self.elem_type)


def _is_linear(layer) -> bool:
    return type(layer.activation).__module__ == "nnlab.activations" and (
        layer.activation.name == "linear"
    )


def _common_dtype(model) -> np.dtype:
    """The one dtype of every layer; ONNX graphs do not mix dtypes silently."""
    dtypes = {}
    for node in model.graph_nodes:  # Sequential.layers leaves out the InputLayer
        layer = node.layer
        dtypes.setdefault(np.dtype(layer.dtype), layer.name)
    if len(dtypes) > 1:
        found = ", ".join(f"{dt.name} (e.g. '{n}')" for dt, n in dtypes.items())
        raise ONNXExportError(
            f"Model '{model.name}' mixes layer dtypes: {found}. ONNX export needs one "
            "dtype throughout; build every layer with the same dtype."
        )
    (dtype,) = dtypes
    return dtype


def _nnlab_version() -> str:
    import nnlab

    return getattr(nnlab, "__version__", "")


def _write_atomically(data: bytes, path: str) -> None:
    """Write `data` to a temporary file beside `path`, then rename it over `path`."""
    with fileio.atomic_write(path, "wb") as f:
        f.write(data)
