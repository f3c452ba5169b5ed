"""Nested models (a model used as a layer) in `.keras` files both ways, without Keras:
nnlab's round trip bit for bit, the layout Keras 3 writes, files Keras 3.15.1 wrote
(tests/data/keras_3_15_1_nested_*.keras, made by `model.save` in Keras 3.15.1 /
TensorFlow 2.21.0 in float64; their predictions recorded below) and the refusals.
bench/keras_diff.py (check `keras_file_nested_models`) runs both directions live.
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

from nnlab.layers import Concatenate, Dense, Input
from nnlab.models import Model, Sequential, load_model
from nnlab.models.model_file import ModelFileError
from nnlab.models.nested_file import MAX_DEPTH

DATA = Path(__file__).parent / "data"
X = np.random.default_rng(1).normal(size=(3, 4))
# Keras 3.15.1, float64: model(X) and model(X[:, :3]) of the two recorded files
KERAS_SEQUENTIAL = [[0.4877975245576363, 0.5122024754423637],
                    [0.36105532581756217, 0.6389446741824379],
                    [0.34344028411990335, 0.6565597158800965]]
KERAS_FUNCTIONAL = [[0.4688910902833828], [0.38906284447529615], [0.47459089330854276]]
KERAS_SHARED = [[0.34321214271922584], [0.39859768605792556], [0.4210663359003649]]


pytestmark = pytest.mark.usefixtures("float64")  # tests/conftest.py


def _seq_in_seq():
    inner = Sequential([Input((4,)), Dense(5, activation="tanh"), Dense(3)], name="inner")
    return Sequential([Input((4,)), inner, Dense(2, activation="softmax")], name="outer")


def _seq_in_functional():
    x = Input((4,), name="x")
    inner = Sequential([Dense(4, activation="relu"), Dense(2)], name="inner")  # no Input
    return Model(x, Dense(1, name="post")(inner(Dense(3, name="pre")(x))), name="fun")


def _functional_in_functional():
    frozen = Sequential([Input((4,)), Dense(3, activation="relu")], name="frozen")
    frozen.trainable = False
    a = Input((4,), name="a")
    enc = Model(a, [Dense(2, name="code")(frozen(a)), Dense(1, name="side")(a)], name="enc")
    b = Input((4,), name="b")
    code, side = enc(b)
    return Model(b, Dense(1, name="head")(Concatenate()([code, side])), name="outer")


def _shared_twice():
    # one Sequential called three times at different depths: Keras lists it once with
    # three inbound nodes, numbers the calls, and deepens the layers before its calls
    c = Input((4,), name="c")
    shared = Sequential([Input((4,)), Dense(4, activation="tanh")], name="shared")
    side = Dense(4, name="side")(c)
    h = Concatenate()([shared(Dense(4, name="mid")(shared(c))), shared(side)])
    return Model(c, Dense(1, name="head")(h), name="twice")


def _members(path) -> tuple[dict, bytes]:
    zf = zipfile.ZipFile(path)
    return json.loads(zf.read("config.json")), zf.read("model.weights.h5")


@pytest.mark.parametrize("make", [_seq_in_seq, _seq_in_functional, _functional_in_functional,
                                  _shared_twice])
def test_round_trip_predicts_bit_for_bit(tmp_path, make):
    model = make()
    rng = np.random.default_rng(3)
    model.set_weights([rng.normal(size=w.shape) for w in model.get_weights()])
    model.save(tmp_path / "m.keras")
    back = load_model(tmp_path / "m.keras")
    assert [type(la).__name__ for la in back.layers] == [type(la).__name__ for la in model.layers]
    assert np.array_equal(back.predict(X, verbose=0), model.predict(X, verbose=0))
    assert [w.tobytes() for w in back.get_weights()] == [
        w.tobytes() for w in model.get_weights()]
    assert len(back.trainable_weights) == len(model.trainable_weights)


def test_a_frozen_nested_model_stays_frozen(tmp_path):
    model = _functional_in_functional()
    model.save(tmp_path / "m.keras")
    back = load_model(tmp_path / "m.keras")
    frozen = back.get_layer("enc").get_layer("frozen")
    assert frozen.trainable is False
    assert len(back.trainable_weights) == len(model.trainable_weights) == 6


def test_written_as_keras_lays_out_a_nested_model(tmp_path):
    # the layout Keras 3.15.1 writes for the same model (read from its own file)
    _seq_in_functional().save(tmp_path / "m.keras")
    config, weights = _members(tmp_path / "m.keras")
    entry = config["config"]["layers"][2]
    assert (entry["module"], entry["class_name"], entry["name"]) == ("keras", "Sequential",
                                                                   "inner")
    assert entry["build_config"] == {"input_shape": [None, 3]}
    assert [e["class_name"] for e in entry["config"]["layers"]] == ["InputLayer", "Dense",
                                                                   "Dense"]
    node = entry["inbound_nodes"][0]
    assert node["kwargs"] == {"mask": None}
    assert node["args"][0]["config"]["keras_history"] == ["pre", 0, 0]
    with h5py.File(io.BytesIO(weights)) as f:
        assert f["layers/sequential/vars"].attrs["name"] == "inner"
        assert f["layers/sequential/layers/dense/vars"].attrs["name"] == "dense"
        assert f["layers/sequential/layers/dense_1/vars/0"].shape == (4, 2)
        assert f["layers/dense/vars"].attrs["name"] == "pre"
        assert f["layers/dense_1/vars"].attrs["name"] == "post"


def test_a_functional_model_inside_is_keyed_functional(tmp_path):
    _functional_in_functional().save(tmp_path / "m.keras")
    config, weights = _members(tmp_path / "m.keras")
    entry = next(e for e in config["config"]["layers"] if e["name"] == "enc")
    assert (entry["module"], entry["class_name"]) == ("keras.src.models.functional",
                                                      "Functional")
    with h5py.File(io.BytesIO(weights)) as f:
        assert f["layers/functional/vars"].attrs["name"] == "enc"
        assert f["layers/functional/layers/sequential/vars"].attrs["name"] == "frozen"
        assert f["layers/functional/layers/sequential/layers/dense/vars/0"].shape == (4, 3)


def test_reads_a_sequential_in_a_sequential_keras_wrote():
    model = load_model(DATA / "keras_3_15_1_nested_sequential.keras")
    assert [la.name for la in model.layers] == ["inner", "dense_2"]
    np.testing.assert_allclose(model.predict(X, verbose=0), KERAS_SEQUENTIAL, rtol=0,
                               atol=1e-12)


def test_reads_nested_functional_models_keras_wrote():
    model = load_model(DATA / "keras_3_15_1_nested_functional.keras")
    assert model.get_layer("encoder").get_layer("frozen").trainable is False
    np.testing.assert_allclose(model.predict(X[:, :3], verbose=0), KERAS_FUNCTIONAL, rtol=0,
                               atol=1e-12)


def test_a_shared_nested_model_is_one_entry_with_a_node_per_call(tmp_path):
    _shared_twice().save(tmp_path / "m.keras")
    config, weights = _members(tmp_path / "m.keras")
    layers = config["config"]["layers"]
    # what Keras 3.15.1 writes for this graph: the shared model takes the depth of its
    # deepest call (after 'c'), which puts 'mid' (read by its second call) before 'side'
    assert [e["name"] for e in layers] == ["c", "shared", "mid", "side", "concatenate",
                                           "head"]
    calls = [n["args"][0]["config"]["keras_history"] for n in layers[1]["inbound_nodes"]]
    assert calls == [["c", 0, 0], ["mid", 0, 0], ["side", 0, 0]]
    reads = [a["config"]["keras_history"] for a in layers[4]["inbound_nodes"][0]["args"][0]]
    assert reads == [["shared", 1, 0], ["shared", 2, 0]]
    with h5py.File(io.BytesIO(weights)) as f:
        assert f["layers/sequential/vars"].attrs["name"] == "shared"
        assert f["layers/dense/vars"].attrs["name"] == "mid"
        assert f["layers/dense_1/vars"].attrs["name"] == "side"
        assert f["layers/sequential/layers/dense/vars/0"].shape == (4, 4)


def test_reads_a_shared_nested_model_keras_wrote():
    model = load_model(DATA / "keras_3_15_1_nested_shared.keras")
    assert len(model.get_weights()) == 8  # the shared model's weights once
    np.testing.assert_allclose(model.predict(X[:, :3], verbose=0), KERAS_SHARED, rtol=0,
                               atol=1e-12)


def test_a_shared_plain_layer_is_refused_by_name(tmp_path):
    src = DATA / "keras_3_15_1_nested_shared.keras"
    config = _members(src)[0]
    head = next(e for e in config["config"]["layers"] if e["name"] == "head")
    head["inbound_nodes"].append(json.loads(json.dumps(head["inbound_nodes"][0])))
    with pytest.raises(ModelFileError, match="'head' is called 2 times; nnlab shares weights "
                                             "only through a nested model"):
        load_model(rewrite_keras(src, tmp_path / "bad.keras", config))


def test_calls_reading_each_other_in_a_loop_are_refused(tmp_path):
    src = DATA / "keras_3_15_1_nested_shared.keras"
    config = _members(src)[0]
    entry = next(e for e in config["config"]["layers"] if e["name"] == "shared")
    entry["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["shared", 1, 0]
    with pytest.raises(ModelFileError, match=r"calls of \['add', 'head', 'mid', 'shared'\] read "):
        load_model(rewrite_keras(src, tmp_path / "bad.keras", config))


def _nested_deep(tmp_path, levels: int) -> Path:
    """The recorded Sequential with its nested model nested `levels` deep."""
    src = DATA / "keras_3_15_1_nested_sequential.keras"
    config = _members(src)[0]
    inner = config["config"]["layers"][1]
    for _ in range(levels - 1):
        inner = json.loads(json.dumps(inner))
        inner["config"]["layers"][1] = json.loads(json.dumps(inner))
    config["config"]["layers"][1] = inner
    return rewrite_keras(src, tmp_path / f"deep{levels}.keras", config)


def test_models_nested_too_deep_are_refused(tmp_path):
    with pytest.raises(ModelFileError, match=f"is nested {MAX_DEPTH + 1} deep; nnlab reads "
                                             f"models nested at most {MAX_DEPTH} deep"):
        load_model(_nested_deep(tmp_path, MAX_DEPTH + 1))
    with pytest.raises(ModelFileError) as info:  # within the limit: built, then its
        load_model(_nested_deep(tmp_path, MAX_DEPTH))  # weights are not in the file
    assert "nested model 'inner' has 18 weights but the file holds 4" in str(info.value)


def test_a_model_inside_a_wrapper_is_refused(tmp_path):
    src = DATA / "keras_3_15_1_nested_sequential.keras"
    config = _members(src)[0]
    inner = config["config"]["layers"][1]
    config["config"]["layers"][1] = {"module": "keras.layers", "class_name": "TimeDistributed",
                                     "config": {"name": "td", "layer": inner},
                                     "registered_name": None}
    with pytest.raises(ModelFileError, match="'inner' .*model inside a wrapper"):
        load_model(rewrite_keras(src, tmp_path / "bad.keras", config))


def test_missing_weights_of_a_nested_model_are_named(tmp_path):
    src = DATA / "keras_3_15_1_nested_sequential.keras"
    config = _members(src)[0]
    config["config"]["layers"][1]["config"]["name"] = "renamed"
    with pytest.raises(ModelFileError, match="nested model 'renamed' has 4 weights but the "
                                             "file holds 0 under no group"):
        load_model(rewrite_keras(src, tmp_path / "bad.keras", config))


def test_a_damaged_nested_entry_is_refused(tmp_path):
    src = DATA / "keras_3_15_1_nested_sequential.keras"
    config = _members(src)[0]
    config["config"]["layers"][1]["config"]["layers"] = {"not": "a list"}
    with pytest.raises(ModelFileError, match="model 'inner': config.layers is not a list"):
        load_model(rewrite_keras(src, tmp_path / "bad.keras", config))
