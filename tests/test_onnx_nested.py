"""ONNX export of models that hold models (nnlab/onnx_graph.py): a nested model's layers are
inlined into one flat graph, which ONNX Runtime runs to model.predict's numbers."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from nnlab import Input, Model, Sequential
from nnlab.layers import LSTM, Concatenate, Conv2D, Dense, Flatten, MaxPooling2D
from nnlab.onnx_export import ONNXExportError, export_onnx


def randomize(model, rng) -> None:
    for layer in model.layers:
        for sub in getattr(layer, "layers", [layer]):
            for W in sub.params.values():
                W[...] = rng.normal(size=W.shape)


def assert_runs_as_predict(model, xs, rng):
    randomize(model, rng)
    proto = export_onnx(model, None)
    assert [i.name for i in proto.graph.input] == model.input_names
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    (got,) = sess.run(None, dict(zip(model.input_names, xs)))
    expected = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)
    return proto


def test_sequential_inside_a_functional_model(rng):
    features = Sequential([Input((8, 8, 1)), Conv2D(3, 3, activation="relu"), MaxPooling2D(2),
                           Flatten()])
    x = Input((8, 8, 1))
    model = Model(x, Dense(2, activation="softmax")(features(x)))
    proto = assert_runs_as_predict(model, [rng.normal(size=(4, 8, 8, 1)).astype("float32")], rng)
    assert {"Conv", "MaxPool", "Softmax"} <= {n.op_type for n in proto.graph.node}


def test_models_nested_two_deep_with_two_inputs(rng):
    a, b = Input((4,)), Input((3, 2))
    inner = Model([a, b], Dense(2)(Concatenate()([Dense(3, activation="tanh")(a), LSTM(2)(b)])))
    head = Sequential([Input((2,)), Dense(1)])
    x1, x2 = Input((4,)), Input((3, 2))
    model = Model([x1, x2], head(inner([x1, x2])))
    xs = [rng.normal(size=(5, 4)).astype("float32"), rng.normal(size=(5, 3, 2)).astype("float32")]
    assert_runs_as_predict(model, xs, rng)


def test_a_sequential_as_a_layer_of_a_sequential(rng):
    block = Sequential([Input((4,)), Dense(3, activation="relu"), Dense(3)])
    model = Sequential([Input((4,)), block, Dense(2)])
    assert_runs_as_predict(model, [rng.normal(size=(6, 4)).astype("float32")], rng)


def test_a_nested_model_called_twice_is_refused_with_the_reason():
    shared = Sequential([Input((4,)), Dense(2)])
    a, b = Input((4,)), Input((4,))
    model = Model([a, b], Concatenate()([shared(a), shared(b)]))
    with pytest.raises(ONNXExportError, match="would appear twice in the inlined graph"):
        export_onnx(model, None)


def test_a_nested_model_with_two_outputs_is_refused_with_the_reason():
    i = Input((4,))
    two = Model(i, [Dense(2)(i), Dense(3)(i)])
    x = Input((4,))
    p, q = two(x)
    model = Model(x, Concatenate()([p, q]))
    with pytest.raises(ONNXExportError, match="it has 2 outputs"):
        export_onnx(model, None)
