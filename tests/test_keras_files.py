"""`.keras` files (Keras 3's format) both ways, without importing Keras: nnlab's own
round trip, files Keras 3.15.1 wrote (tests/data/keras_3_15_1_*.keras, made by
`model.save` in Keras 3.15.1 / TensorFlow 2.21.0; their predictions recorded below),
and every refusal of the code-free loader. bench/keras_diff.py checks both directions
live against real Keras.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from file_cases import rewrite_keras

from nnlab import layers as L
from nnlab.activations import Activation
from nnlab.layers import Dense, Input
from nnlab.models import Model, Sequential, keras_reader, load_model
from nnlab.models.model_file import ModelFileError

DATA = Path(__file__).parent / "data"


def _zoo():
    seq = Sequential([Input(shape=(4,)), Dense(6, activation="gelu"),
                      L.BatchNormalization(momentum=0.875), L.Dropout(0.25), L.LeakyReLU(0.25),
                      Dense(5, activation="tanh"), L.ReLU(max_value=2.0), L.ELU(0.5),
                      L.GaussianNoise(0.125), Dense(3), L.Softmax()])
    a, b = Input(shape=(4,), name="a"), Input(shape=(2, 3), name="b")
    fb = L.Flatten()(L.Reshape((3, 2))(b))
    ha, hb = Dense(6, activation="swish")(a), Dense(6, activation="selu")(fb)
    merged = L.Concatenate()([L.Add()([ha, hb]), L.Subtract()([ha, hb]),
                              L.Multiply()([ha, hb]), L.Average()([ha, hb])])
    fun = Model([a, b], [Dense(1, activation="sigmoid", name="p")(merged),
                         L.Activation("softplus")(Dense(2, name="r")(merged))])
    rng = np.random.default_rng(0)
    return [(seq, rng.normal(size=(5, 4))),
            (fun, [rng.normal(size=(5, 4)), rng.normal(size=(5, 2, 3))])]


def test_nnlab_keras_files_round_trip_bit_for_bit(tmp_path, float64):
    for i, (model, x) in enumerate(_zoo()):
        rng = np.random.default_rng(i)
        model.set_weights([w + 0.1 * rng.normal(size=w.shape) for w in model.get_weights()])
        path = tmp_path / f"m{i}.keras"
        model.save(path)
        names = zipfile.ZipFile(path).namelist()
        assert names == ["metadata.json", "config.json", "model.weights.h5"]
        loaded = load_model(path)
        assert [type(la).__name__ for la in loaded.layers] == [
            type(la).__name__ for la in model.layers]
        got_all, want_all = loaded.predict(x, verbose=0), model.predict(x, verbose=0)
        if not isinstance(got_all, list):
            got_all, want_all = [got_all], [want_all]
        for got, want in zip(got_all, want_all):
            np.testing.assert_array_equal(got, want)


def test_the_weights_file_uses_keras_paths(tmp_path):
    model = Sequential([Input(shape=(2,)), Dense(3), L.LeakyReLU(), Dense(1)])
    model.save(tmp_path / "m.keras")
    data = zipfile.ZipFile(tmp_path / "m.keras").read("model.weights.h5")
    with h5py.File(io.BytesIO(data)) as f:
        # snake-cased class names numbered per name, the layer's name as an attribute
        assert sorted(f["layers"]) == ["dense", "dense_1", "leaky_re_lu"]
        assert f["layers/dense_1/vars"].attrs["name"] == model.layers[2].name
        assert f["layers/dense/vars/0"].shape == (2, 3)
    config = json.loads(zipfile.ZipFile(tmp_path / "m.keras").read("config.json"))
    assert config["class_name"] == "Sequential"
    assert config["config"]["layers"][0]["config"]["batch_shape"] == [None, 2]


def test_reads_a_file_keras_wrote(float64):
    model = load_model(DATA / "keras_3_15_1_sequential.keras")
    assert [type(la).__name__ for la in model.layers] == [
        "Dense", "BatchNormalization", "Dropout", "Dense"]
    x = np.random.default_rng(0).normal(size=(16, 3))[:4]
    keras_p = [[0.533868345086245, 0.46613165491375513], [0.535765509504029, 0.46423449049597093],
               [0.4713781257205419, 0.5286218742794583], [0.7040948484252009, 0.2959051515747992]]
    np.testing.assert_allclose(model.predict(x, verbose=0), keras_p, rtol=1e-12)
    assert not model.compiled  # the compile settings are not read


def test_refuses_a_lambda_layer_naming_it():
    with pytest.raises(ModelFileError, match=r"Lambda.*never loads"):
        load_model(DATA / "keras_3_15_1_lambda.keras")


def _config():
    return json.loads(zipfile.ZipFile(DATA / "keras_3_15_1_sequential.keras").read("config.json"))


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda c: c["config"]["layers"][1].update(class_name="Conv3D"), "Conv3D.*not a layer"),
        (lambda c: c["config"]["layers"][1].update(registered_name="my>Dense"), "custom classes"),
        (lambda c: c["config"]["layers"][1]["config"].update(kernel_constraint={"x": 1}),
         "kernel_constraint"),
        (lambda c: c["config"]["layers"][1]["config"].update(activation="mystery"), "mystery"),
        (lambda c: c["config"]["layers"][1]["config"].update(surprise=3), "surprise"),
        (lambda c: c["config"]["layers"][1]["config"].update(dtype="int8"), "int8"),
        (lambda c: c.update(class_name="MyModel"), "MyModel"),
        (lambda c: c["config"]["layers"][1].update(class_name="Sequential"),
         "model 'dense': config.layers is not a list"),
    ],
)
def test_refuses_what_nnlab_cannot_honour(tmp_path, change, message):
    config = _config()
    change(config)
    path = rewrite_keras(DATA / "keras_3_15_1_sequential.keras", tmp_path / "bad.keras", config)
    with pytest.raises(ModelFileError, match=message):
        load_model(path)


def _h5(build) -> bytes:
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        build(f)
    return buf.getvalue()


def _dense_file(tmp_path, build) -> Path:
    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.save(tmp_path / "ok.keras")
    return rewrite_keras(tmp_path / "ok.keras", tmp_path / "bad.keras", weights=_h5(build))


def test_refuses_external_and_soft_links(tmp_path):
    def external(f):
        f["layers/dense/vars/0"] = h5py.ExternalLink("/etc/other.h5", "/data")

    with pytest.raises(ModelFileError, match="ExternalLink"):
        load_model(_dense_file(tmp_path, external))

    def soft(f):
        f["layers/dense/vars/0"] = np.zeros((2, 1))
        f["layers/dense/vars/1"] = h5py.SoftLink("/layers/dense/vars/0")

    with pytest.raises(ModelFileError, match="SoftLink"):
        load_model(_dense_file(tmp_path, soft))


def test_refuses_virtual_and_externally_stored_datasets(tmp_path):
    def virtual(f):
        layout = h5py.VirtualLayout(shape=(2, 1), dtype="f8")
        layout[:] = h5py.VirtualSource("/etc/other.h5", "data", shape=(2, 1))
        f.create_virtual_dataset("layers/dense/vars/0", layout, fillvalue=0)

    with pytest.raises(ModelFileError, match="virtual or stored in another file"):
        load_model(_dense_file(tmp_path, virtual))

    def external_storage(f):
        f.create_dataset("layers/dense/vars/0", shape=(2, 1), dtype="f8",
                         external=[(str(tmp_path / "raw.bin"), 0, 16)])

    with pytest.raises(ModelFileError, match="virtual or stored in another file"):
        load_model(_dense_file(tmp_path, external_storage))


def test_refuses_wrong_shapes_counts_and_dtypes(tmp_path):
    def wrong_shape(f):
        g = f.create_group("layers/dense/vars")
        g.attrs["name"] = "dense"
        g["0"], g["1"] = np.zeros((3, 1)), np.zeros(1)

    path = _dense_file(tmp_path, wrong_shape)
    with pytest.raises(ModelFileError, match=r"shape \(3, 1\), expected \(2, 1\)"):
        load_model(path)

    def text(f):
        f.create_group("layers/dense/vars")["0"] = np.array([b"x"])

    with pytest.raises(ModelFileError, match="not a number"):
        load_model(_dense_file(tmp_path, text))


def test_size_caps_are_checked_before_reading(tmp_path, monkeypatch):
    monkeypatch.setattr(keras_reader, "MAX_CONFIG_BYTES", 100)
    with pytest.raises(ModelFileError, match="over the cap"):
        load_model(DATA / "keras_3_15_1_sequential.keras")
    (tmp_path / "x.keras").write_bytes(b"not a zip")
    with pytest.raises(ModelFileError, match="not a zip"):
        load_model(tmp_path / "x.keras")


def test_custom_objects_supply_the_code(tmp_path):
    class Doubling(L.Layer):
        def forward(self, X, training=False):
            return 2 * X

        def backward(self, dY, need_dX=True):
            return 2 * dY

    config = _config()
    config["config"]["layers"].insert(2, {"class_name": "Doubling", "registered_name": "Doubling",
                                          "config": {"name": "doubling"}})
    path = rewrite_keras(DATA / "keras_3_15_1_sequential.keras", tmp_path / "c.keras", config)
    with pytest.raises(ModelFileError, match="custom_objects"):
        load_model(path)
    model = load_model(path, custom_objects={"Doubling": Doubling})
    assert type(model.layers[1]).__name__ == "Doubling"


def test_writer_refuses_what_keras_cannot_read(tmp_path):
    class Cube(Activation):
        name = "cube"

        def forward(self, Z):
            return Z**3

        def backward(self, dA, Z, A):
            return 3 * dA * Z**2

    with pytest.raises(TypeError, match="no Keras name"):
        Sequential([Input(shape=(2,)), Dense(1, activation=Cube())]).save(tmp_path / "c.keras")
    model = Sequential([Input(shape=(2,)), Dense(1, kernel_regularizer="l2")])
    with pytest.raises(TypeError, match="regularizers"):
        model.save(tmp_path / "r.keras")
    assert not (tmp_path / "r.keras").exists()
