"""Export a whole `nnlab train` pipeline to ONNX: raw table columns in, answers out.

`export_pipeline_onnx(model, path)` takes a model saved with its fitted
`TabularPreprocessor` (what `nnlab train` writes) and writes one ONNX graph with

- one input per column the preprocessing uses, named after the column, shape (N, 1):
  numeric columns as double (a missing value is NaN), categorical columns as string
  (a missing value is the empty string "");
- the fitted preprocessing inside the graph: numeric columns have missing values
  replaced by the training median and are scaled with the training statistics;
  categorical columns have missing values replaced by the most frequent training
  category and are one-hot encoded; a category never seen in training becomes a row
  of zeros (nnlab's own `transform` refuses it with an error instead);
- the network (`nnlab.onnx_export.export_onnx`);
- outputs: for classification `label` (N,) string class names and `probabilities`
  (N, number of classes), a column per class in `class_names` order; for regression
  `prediction` (N, number of targets) in the target's own units (a standardized
  target is mapped back).

The class names, the task and the inputs are stored as metadata (`metadata_props`:
`class_names`, `task`, `inputs`, `targets`, all JSON). Identifier, constant, dropped
and target columns are not inputs. See docs/onnx.md for the contract.
"""

from __future__ import annotations

import json
import os

import numpy as np

from nnlab.fileio import atomic_write
from nnlab.onnx_export import DEFAULT_OPSET, ONNXExportError, export_onnx

ML_OPSET = 3


def pipeline_inputs(prep) -> list[tuple[str, str]]:
    """(column name, "double" or "string") for each graph input, in graph order."""
    return [(name, "double") for name in prep.numeric] + [
        (name, "string") for name in prep.categorical
    ]


def export_pipeline_onnx(model, path, opset: int | None = None):
    """Write the model with its fitted preprocessing as one ONNX graph; return the proto.

    Args:
        model: a single-input, single-output model with `model.preprocessing` (a fitted
            `TabularPreprocessor`), e.g. `load_model("runs/<run>/model.nnlab")`.
        path: the file to write (atomically), or None to only build and check.
        opset: the default domain's opset (`DEFAULT_OPSET` if None).

    Returns:
        The `onnx.ModelProto`.

    Example:
        >>> import numpy as np, onnxruntime as ort
        >>> from nnlab.workflow import train_run
        >>> run = train_run(epochs=2)
        >>> run.model.preprocessing = run.preprocessor
        >>> proto = export_pipeline_onnx(run.model, None)
        >>> sess = ort.InferenceSession(proto.SerializeToString(),
        ...                             providers=["CPUExecutionProvider"])
        >>> [i.name for i in sess.get_inputs()]
        ['flipper_length_mm', 'bill_depth_mm', 'bill_length_mm']
        >>> feed = {i.name: np.array([[200.0], [np.nan]]) for i in sess.get_inputs()}
        >>> label, probabilities = sess.run(None, feed)
        >>> label.shape, probabilities.shape
        ((2,), (2, 2))
    """
    import onnx
    from onnx import compose, helper

    prep = getattr(model, "preprocessing", None)
    if prep is None or not getattr(prep, "fitted", False):
        raise ONNXExportError(
            "export_pipeline_onnx needs the model's fitted preprocessing "
            "(model.preprocessing), as `nnlab train` saves it. Use export_onnx for the "
            "network alone."
        )
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise ONNXExportError(
            "export_pipeline_onnx handles models with one input and one output. Received "
            f"{len(model.inputs)} inputs and {len(model.outputs)} outputs."
        )
    if prep.task not in ("binary", "multiclass", "regression"):
        raise ONNXExportError(f"task {prep.task!r} cannot be exported as a pipeline.")
    opset = DEFAULT_OPSET if opset is None else int(opset)
    net = export_onnx(model, None, opset=opset)
    dtype = onnx.helper.tensor_dtype_to_np_dtype(
        net.graph.input[0].type.tensor_type.elem_type
    )
    imports = [helper.make_opsetid("", opset), helper.make_opsetid("ai.onnx.ml", ML_OPSET)]
    pre = _preprocessing_graph(prep, dtype)
    post = _output_graph(prep, dtype)
    ir = net.ir_version
    pre_model = helper.make_model(pre, opset_imports=imports, ir_version=ir)
    post_model = helper.make_model(post, opset_imports=imports, ir_version=ir)
    net.opset_import.append(helper.make_opsetid("ai.onnx.ml", ML_OPSET))
    name_in, name_out = net.graph.input[0].name, net.graph.output[0].name
    merged = compose.merge_models(
        pre_model, net, io_map=[("pre/features", name_in)], prefix2="net/"
    )
    merged = compose.merge_models(merged, post_model, io_map=[(f"net/{name_out}", "post/scores")])
    merged.producer_name = "nnlab"
    meta = {
        "task": prep.task,
        "class_names": [str(c) for c in prep.classes],
        "inputs": [
            {"name": n, "type": t, **({"categories": [str(c) for c in
                                                      prep.categorical[n]["categories"]]}
                                     if t == "string" else {})}
            for n, t in pipeline_inputs(prep)
        ],  # fmt: skip
        "targets": list(prep.targets),
    }
    for key, value in meta.items():
        entry = merged.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.checker.check_model(merged, full_check=True)
    if path is not None:
        with atomic_write(os.fspath(path), "wb") as f:
            f.write(merged.SerializeToString())
    return merged


def _const(name: str, values, dtype=None):
    from onnx import numpy_helper

    array = np.asarray(values, dtype=dtype)
    if array.dtype.kind in "UO":
        array = array.astype(object)
    return numpy_helper.from_array(array, name=name)


def _preprocessing_graph(prep, dtype):
    """Raw columns -> the network's input matrix, as `prep.transform` computes it."""
    from onnx import TensorProto, helper

    nodes, inits, inputs, parts = [], [], [], []
    for i, (name, s) in enumerate(prep.numeric.items()):
        inputs.append(helper.make_tensor_value_info(name, TensorProto.DOUBLE, ["N", 1]))
        p = f"pre/num{i}/"
        inits += [_const(p + "fill", s["fill"], np.float64),
                  _const(p + "center", s["center"], np.float64),
                  _const(p + "scale", s["scale"], np.float64)]  # fmt: skip
        nodes += [
            helper.make_node("IsNaN", [name], [p + "missing"]),
            helper.make_node("Where", [p + "missing", p + "fill", name], [p + "filled"]),
            helper.make_node("Sub", [p + "filled", p + "center"], [p + "centered"]),
            helper.make_node("Div", [p + "centered", p + "scale"], [p + "out"]),
        ]
        parts.append(p + "out")
    for j, (name, s) in enumerate(prep.categorical.items()):
        inputs.append(helper.make_tensor_value_info(name, TensorProto.STRING, ["N", 1]))
        p = f"pre/cat{j}/"
        cats = [str(c) for c in s["categories"]]
        fill = cats.index(str(s["fill"]))
        inits.append(_const(p + "codes", [list(range(len(cats)))], np.int64))
        nodes += [
            helper.make_node(
                "LabelEncoder", [name], [p + "index"], domain="ai.onnx.ml",
                keys_strings=cats + [""], values_int64s=list(range(len(cats))) + [fill],
                default_int64=-1,
            ),  # missing ("") -> the training mode; unseen -> -1 (a row of zeros)
            helper.make_node("Equal", [p + "index", p + "codes"], [p + "hot"]),
            helper.make_node("Cast", [p + "hot"], [p + "out"], to=TensorProto.DOUBLE),
        ]  # fmt: skip
        parts.append(p + "out")
    out_type = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    nodes += [
        helper.make_node("Concat", parts, ["pre/features64"], axis=1),
        helper.make_node("Cast", ["pre/features64"], ["pre/features"], to=out_type),
    ]
    width = len(prep.feature_names)
    output = helper.make_tensor_value_info("pre/features", out_type, ["N", width])
    return helper.make_graph(nodes, "nnlab_preprocessing", inputs, [output], inits)


def _output_graph(prep, dtype):
    """The network's output -> labels and probabilities, or values in target units."""
    from onnx import TensorProto, helper

    elem = helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    units = 1 if prep.task == "binary" else len(prep.classes or prep.targets)
    scores = helper.make_tensor_value_info("post/scores", elem, ["N", units])
    if prep.task == "regression":
        nodes = [helper.make_node("Cast", ["post/scores"], ["post/scores64"],
                                  to=TensorProto.DOUBLE)]  # fmt: skip
        inits = []
        scaling = prep.target_scaling
        if scaling is None:
            nodes.append(helper.make_node("Identity", ["post/scores64"], ["prediction"]))
        else:
            inits = [_const("post/scale", [scaling["scale"]], np.float64),
                     _const("post/center", [scaling["center"]], np.float64)]  # fmt: skip
            nodes += [
                helper.make_node("Mul", ["post/scores64", "post/scale"], ["post/scaled"]),
                helper.make_node("Add", ["post/scaled", "post/center"], ["prediction"]),
            ]
        output = helper.make_tensor_value_info("prediction", TensorProto.DOUBLE, ["N", units])
        return helper.make_graph(nodes, "nnlab_outputs", [scores], [output], inits)
    names = [str(c) for c in prep.classes]
    inits = [_const("post/one", [[1.0]], dtype)]
    if prep.task == "binary":
        nodes = [
            helper.make_node("Sub", ["post/one", "post/scores"], ["post/negative"]),
            helper.make_node("Concat", ["post/negative", "post/scores"], ["probabilities"],
                             axis=1),
        ]  # fmt: skip
    else:
        nodes = [helper.make_node("Identity", ["post/scores"], ["probabilities"])]
    nodes += [
        helper.make_node("ArgMax", ["probabilities"], ["post/index"], axis=1, keepdims=0),
        helper.make_node(
            "LabelEncoder", ["post/index"], ["label"], domain="ai.onnx.ml",
            keys_int64s=list(range(len(names))), values_strings=names, default_string="",
        ),
    ]  # fmt: skip
    outputs = [
        helper.make_tensor_value_info("label", TensorProto.STRING, ["N"]),
        helper.make_tensor_value_info("probabilities", elem, ["N", len(names)]),
    ]
    return helper.make_graph(nodes, "nnlab_outputs", [scores], outputs, inits)
