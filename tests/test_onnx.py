"""ONNX export: the exported graph, run by ONNX Runtime, computes what nnlab computes."""

from __future__ import annotations

import os

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from nnlab import Input, Model, Sequential, activations
from nnlab.layers import (
    Activation,
    Add,
    Average,
    BatchNormalization,
    Concatenate,
    Dense,
    Dropout,
    Flatten,
    GaussianNoise,
    Layer,
    Multiply,
    Reshape,
    Subtract,
)
from nnlab.models.perceptron import Perceptron
from nnlab.onnx_export import DEFAULT_OPSET, ONNXExportError, export_onnx

ACTIVATIONS = [
    "linear",
    "sigmoid",
    "tanh",
    "relu",
    "leaky_relu",
    activations.LeakyReLU(negative_slope=0.05),
    "elu",
    activations.ELU(alpha=0.7),
    "softplus",
    "softmax",
    "step",
]


def _id(act) -> str:
    return act if isinstance(act, str) else repr(act)


def randomize(model, rng) -> None:
    """Random weights everywhere (biases and BatchNorm statistics included)."""
    for layer in model.layers:
        for key, W in list(layer.params.items()) + list(layer.state.items()):
            values = rng.normal(size=W.shape)
            if key == "moving_variance":
                values = np.abs(values) + 0.5
            W[...] = values


def run_onnx(proto, feeds: dict) -> list[np.ndarray]:
    sess = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def assert_matches(model, proto, xs: list[np.ndarray], atol: float = 1e-5) -> None:
    """ONNX Runtime's outputs equal the model's, in the model's output order."""
    expected = model(xs if len(xs) > 1 else xs[0])
    expected = expected if isinstance(expected, list) else [expected]
    got = run_onnx(proto, dict(zip(model.input_names, xs)))
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype
        assert g.shape == e.shape
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=atol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("act", ACTIVATIONS, ids=_id)
def test_mlp_with_each_activation_matches_onnxruntime(act, dtype, rng):
    model = Sequential(
        [
            Input(shape=(5,), dtype=dtype),
            Dense(8, activation=act, dtype=dtype),
            Dense(6, dtype=dtype),
            Activation(act, dtype=dtype),  # the activation as a layer of its own
            Dense(3, activation=act, use_bias=False, dtype=dtype),
        ]
    )
    randomize(model, rng)
    proto = export_onnx(model, None)
    x = rng.normal(scale=2.0, size=(11, 5)).astype(dtype)
    assert_matches(model, proto, [x], atol=1e-5 if dtype == "float32" else 1e-12)


def test_float16_model_exports_in_float16(rng):
    model = Sequential(
        [
            Input(shape=(4,), dtype="float16"),
            Dense(6, "tanh", dtype="float16"),
            Dense(2, "softmax", dtype="float16"),
        ]
    )
    proto = export_onnx(model, None)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.FLOAT16
    x = rng.normal(size=(5, 4)).astype("float16")
    (y,) = run_onnx(proto, {model.input_names[0]: x})
    assert y.dtype == np.float16
    np.testing.assert_allclose(y, model(x), atol=5e-3)


def test_functional_two_inputs_merges_two_outputs(rng):
    a = Input(shape=(4,), name="left")
    b = Input(shape=(3,), name="right")
    ha = Dense(6, activation="relu", name="ha")(a)
    hb = Dense(6, activation="tanh", name="hb")(b)
    cat = Concatenate(name="cat")([ha, hb])  # (N, 12)
    s = Add(name="sum")([ha, hb, Dense(6, name="hc")(cat)])
    p = Multiply(name="prod")([ha, hb])
    m = Average(name="mean")([s, p, ha])
    d = Subtract(name="diff")([m, hb])
    out1 = Dense(2, activation="softmax", name="probs")(Concatenate(name="cat2")([cat, d]))
    out2 = Dense(1, name="value")(d)
    model = Model([a, b], [out1, out2])
    randomize(model, rng)

    proto = export_onnx(model, None)
    assert [i.name for i in proto.graph.input] == ["left", "right"]
    assert [o.name for o in proto.graph.output] == ["probs", "value"] == model.output_names
    for n in (1, 7):  # the batch axis is dynamic
        xs = [rng.normal(size=(n, 4)).astype("float32"), rng.normal(size=(n, 3)).astype("float32")]
        assert_matches(model, proto, xs)


def test_merges_broadcast_and_concatenate_on_a_middle_axis(rng):
    a = Input(shape=(2, 3))
    b = Input(shape=(1, 3))
    model = Model(
        [a, b],
        [Add()([a, b]), Multiply()([a, b]), Subtract()([a, b]), Concatenate(axis=1)([a, b])],
    )
    xs = [
        rng.normal(size=(4, 2, 3)).astype("float32"),
        rng.normal(size=(4, 1, 3)).astype("float32"),
    ]
    assert_matches(model, export_onnx(model, None), xs)


def test_batchnorm_dropout_and_noise_at_inference(rng):
    model = Sequential(
        [
            Input(shape=(6,)),
            Dense(8, activation="relu"),
            BatchNormalization(),
            Dropout(0.5),
            GaussianNoise(0.3),
            Dense(4),
            BatchNormalization(center=False, epsilon=0.1),
            BatchNormalization(scale=False),
            Dense(2, activation="sigmoid"),
        ]
    )
    randomize(model, rng)
    x = rng.normal(size=(9, 6)).astype("float32")
    proto = export_onnx(model, None)
    assert_matches(model, proto, [x])
    ops = {n.op_type for n in proto.graph.node}
    assert "Dropout" not in ops and "BatchNormalization" not in ops


def test_batchnorm_on_a_middle_axis(rng):
    model = Sequential(
        [Input(shape=(3, 4)), BatchNormalization(axis=1), BatchNormalization(axis=-1), Flatten()]
    )
    randomize(model, rng)
    assert_matches(model, export_onnx(model, None), [rng.normal(size=(5, 3, 4)).astype("float32")])


def test_trained_batchnorm_matches(rng):
    model = Sequential([Input(shape=(3,)), Dense(5), BatchNormalization(), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    x = rng.normal(size=(32, 3)).astype("float32")
    model.fit(x, x.sum(axis=1, keepdims=True), epochs=2, batch_size=8, verbose=0)
    assert_matches(model, export_onnx(model, None), [x])


def test_flatten_and_reshape(rng):
    model = Sequential(
        [
            Input(shape=(2, 3, 4)),
            Flatten(),  # (N, 24)
            Dense(12, activation="elu"),
            Reshape((3, -1)),  # (N, 3, 4)
            Dense(5),  # on the last axis of a 3-D tensor
            Reshape((15,)),
            Reshape((5, 3)),
            Flatten(),
        ]
    )
    randomize(model, rng)
    proto = export_onnx(model, None)
    out = proto.graph.output[0].type.tensor_type.shape.dim
    assert out[0].dim_param == "N" and out[1].dim_value == 15
    for n in (1, 3):
        assert_matches(model, proto, [rng.normal(size=(n, 2, 3, 4)).astype("float32")])


def test_flatten_of_a_one_axis_input(rng):
    x = Input(shape=())
    model = Model(x, Dense(2)(Flatten()(x)))
    assert_matches(model, export_onnx(model, None), [rng.normal(size=(4,)).astype("float32")])


def test_input_as_output_and_a_repeated_output_get_their_own_names(rng):
    x = Input(shape=(3,), name="x")
    h = Dense(2, name="h")(x)
    model = Model(x, [x, h, h])
    proto = export_onnx(model, None)
    names = [o.name for o in proto.graph.output]
    assert len(set(names)) == 3 and names[1] == "h"
    assert_matches(model, proto, [rng.normal(size=(2, 3)).astype("float32")])


def test_file_is_valid_and_written_atomically(tmp_path, rng):
    model = Sequential([Input(shape=(4,)), Dense(3, activation="relu"), Dense(2)])
    path = tmp_path / "model.onnx"
    path.write_bytes(b"an older file")
    proto = export_onnx(model, path, opset=DEFAULT_OPSET)

    assert sorted(os.listdir(tmp_path)) == ["model.onnx"]  # no temporary file left
    onnx.checker.check_model(str(path), full_check=True)
    loaded = onnx.load(str(path))
    assert loaded.SerializeToString() == proto.SerializeToString()
    assert loaded.opset_import[0].version == DEFAULT_OPSET
    assert loaded.producer_name == "nnlab"
    dims = loaded.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N" and dims[1].dim_value == 4
    assert {i.name for i in loaded.graph.initializer} == {
        "dense/kernel",
        "dense/bias",
        "dense_1/kernel",
        "dense_1/bias",
    }
    assert all(i.data_type == onnx.TensorProto.FLOAT for i in loaded.graph.initializer)
    x = rng.normal(size=(3, 4)).astype("float32")
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    np.testing.assert_allclose(sess.run(None, {"input_layer": x})[0], model(x), atol=1e-5)


def test_failed_export_leaves_the_old_file(tmp_path):
    class Custom(Layer):
        def forward(self, X, training=False):
            return X

    path = tmp_path / "model.onnx"
    path.write_bytes(b"keep me")
    model = Sequential([Input(shape=(2,)), Custom(name="mystery")])
    with pytest.raises(ONNXExportError, match="'mystery' \\(Custom\\)"):
        export_onnx(model, str(path))
    assert path.read_bytes() == b"keep me"
    assert os.listdir(tmp_path) == ["model.onnx"]


def test_opset_choice():
    model = Sequential([Input(shape=(2,)), Dense(1, activation="softmax")])
    assert export_onnx(model, None, opset=13).opset_import[0].version == 13
    with pytest.raises(ValueError, match="opset"):
        export_onnx(model, None, opset=9)


def test_unsupported_objects_raise_clearly():
    with pytest.raises(TypeError, match="Perceptron"):
        export_onnx(Perceptron(), None)
    with pytest.raises(TypeError, match="nnlab Model"):
        export_onnx("model.onnx", None)
    with pytest.raises(ONNXExportError, match="not built"):
        export_onnx(Sequential([Dense(2)]), None)

    class Cube(activations.Activation):
        name = "cube"

        def forward(self, Z):
            return Z**3

    model = Sequential([Input(shape=(2,)), Dense(2, activation=Cube(), name="cubed")])
    with pytest.raises(ONNXExportError, match="'cubed'.*activation"):
        export_onnx(model, None)


def test_a_subclass_of_a_supported_layer_is_refused():
    class ScaledDense(Dense):  # may compute anything: export must not guess
        def forward(self, X, training=False):
            return 2 * super().forward(X, training)

    model = Sequential([Input(shape=(2,)), ScaledDense(2, name="scaled")])
    with pytest.raises(ONNXExportError, match="'scaled' \\(ScaledDense\\)"):
        export_onnx(model, None)


def test_mixed_dtypes_raise():
    model = Sequential([Input(shape=(2,), dtype="float32"), Dense(2, dtype="float64")])
    with pytest.raises(ONNXExportError, match="mixes layer dtypes"):
        export_onnx(model, None)
