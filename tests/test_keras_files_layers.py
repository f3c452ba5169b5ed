""".keras files for the convolutional, pooling, recurrent, Embedding and wrapper layers,
without importing Keras: nnlab's own round trip, the config and weight paths Keras 3
expects, a file Keras 3.15.1 wrote (tests/data/keras_3_15_1_cnn_rnn.keras, made by
bench/keras_file_fixture.py with Keras 3.15.1 / TensorFlow 2.21.0; its predictions recorded
below) and the reader's refusals. bench/keras_diff_layers.py checks every layer both ways
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
from nnlab.models import Model, Sequential, load_model
from nnlab.models.model_file import ModelFileError

DATA = Path(__file__).parent / "data"
FILE = DATA / "keras_3_15_1_cnn_rnn.keras"
#: Keras 3.15.1's predictions for FILE on `_fixture_inputs()` (bench/keras_file_fixture.py)
KERAS_P = [[0.5464342521769366, 0.4535657478230633], [0.4013038476938491, 0.5986961523061509],
           [0.440751114278134, 0.5592488857218659], [0.3989157447037032, 0.6010842552962968]]


def _fixture_inputs():
    rng = np.random.default_rng(0)
    ids = rng.integers(1, 9, size=(4, 7))
    ids[0, 4:] = 0
    ids[1, :2] = 0
    return [rng.normal(size=(4, 8, 8, 1)), ids, rng.normal(size=(4, 9, 2))]


def _zoo():
    cnn = Sequential([L.Input(shape=(8, 8, 1)), L.ZeroPadding2D(((1, 0), (2, 1))),
                      L.Conv2D(3, 3, strides=2, padding="same", activation="relu"),
                      L.MaxPooling2D(2, strides=1), L.UpSampling2D((1, 2)),
                      L.AveragePooling2D(2, padding="same"), L.SpatialDropout2D(0.5),
                      L.GlobalMaxPooling2D(), L.Dense(2, activation="softmax")])
    ids, seq = L.Input(shape=(6,)), L.Input(shape=(6, 2))
    e = L.Embedding(7, 3, mask_zero=True)(ids)
    b = L.Bidirectional(L.GRU(3, return_sequences=True, reset_after=False))(e)
    t = L.TimeDistributed(L.Dense(2, activation="tanh"))(b)
    out, h, c = L.LSTM(4, return_state=True)(seq)
    r = L.SimpleRNN(4, go_backwards=True)(seq, initial_state=[h])
    k = L.GlobalAveragePooling1D()(L.MaxPooling1D(2)(L.Conv1D(2, 2, padding="causal")(seq)))
    merged = L.Concatenate()([L.GlobalAveragePooling1D()(t), out, c, r, k,
                              L.GlobalMaxPooling1D()(L.SpatialDropout1D(0.5)(seq)),
                              L.Flatten()(L.AveragePooling1D(3)(seq))])
    rnn = Model([ids, seq], [L.Dense(1)(merged), c])
    rng = np.random.default_rng(0)
    x_ids = rng.integers(0, 7, size=(5, 6)).astype(float)
    return [(cnn, rng.normal(size=(5, 8, 8, 1))), (rnn, [x_ids, rng.normal(size=(5, 6, 2))])]


def test_cnn_rnn_keras_files_round_trip_bit_for_bit(tmp_path, float64):
    for i, (model, x) in enumerate(_zoo()):
        rng = np.random.default_rng(i)
        model.set_weights([w + 0.3 * rng.normal(size=w.shape) for w in model.get_weights()])
        model.save(tmp_path / f"m{i}.keras")
        loaded = load_model(tmp_path / f"m{i}.keras")
        assert [type(la).__name__ for la in loaded.layers] == [
            type(la).__name__ for la in model.layers]
        got, want = loaded.predict(x, verbose=0), model.predict(x, verbose=0)
        for a, b in zip(got if isinstance(got, list) else [got],
                        want if isinstance(want, list) else [want]):
            np.testing.assert_array_equal(a, b)


def _members(path):
    zf = zipfile.ZipFile(path)
    return json.loads(zf.read("config.json")), zf.read("model.weights.h5")


def test_weights_sit_where_keras_keeps_cells_and_wrapped_layers(tmp_path):
    rnn = _zoo()[1][0]
    rnn.save(tmp_path / "r.keras")
    conv = next(la for la in rnn.layers if isinstance(la, L.Conv1D))
    with h5py.File(io.BytesIO(_members(tmp_path / "r.keras")[1])) as f:
        # Keras's snake case of the class (conv1d, not conv1_d); a recurrent layer's
        # weights in its cell, a wrapper's in forward_layer / backward_layer / layer
        assert f["layers/conv1d/vars"].attrs["name"] == conv.name
        assert not len(f["layers/lstm/vars"])
        assert f["layers/lstm/cell/vars"].attrs["name"] == "lstm_cell"
        assert [f[f"layers/lstm/cell/vars/{i}"].shape for i in range(3)] == [
            (2, 16), (4, 16), (16,)]
        assert f["layers/simple_rnn/cell/vars"].attrs["name"] == "simple_rnn_cell"
        for side in ("forward_layer", "backward_layer"):
            # reset_after=False: GRU's bias is (3 units,)
            assert f[f"layers/bidirectional/{side}/cell/vars/2"].shape == (9,)
            assert f[f"layers/bidirectional/{side}/cell/vars"].attrs["name"] == "gru_cell"
        assert f["layers/time_distributed/layer/vars/0"].shape == (6, 2)
        assert "output_item" not in f["layers"]  # return_state outputs are not layers


def test_config_is_what_keras_writes(tmp_path):
    _, rnn = _zoo()
    rnn[0].save(tmp_path / "r.keras")
    config = _members(tmp_path / "r.keras")[0]["config"]
    entries = {e["name"]: e for e in config["layers"]}
    assert not any(e["class_name"] == "OutputItem" for e in config["layers"])
    bi = entries["bidirectional"]["config"]
    assert bi["layer"]["class_name"] == bi["backward_layer"]["class_name"] == "GRU"
    assert (bi["layer"]["config"]["go_backwards"], bi["backward_layer"]["config"][
        "go_backwards"]) == (False, True)
    assert entries["time_distributed"]["config"]["layer"]["config"]["units"] == 2
    simple = entries["simple_rnn"]
    states = simple["inbound_nodes"][0]["kwargs"]["initial_state"]
    assert [s["config"]["keras_history"] for s in states] == [["lstm", 0, 1]]
    assert simple["build_config"] == {"shapes_dict": {"sequences_shape": [None, 6, 2],
                                                      "initial_state_shape": [[None, 4]]}}
    assert config["output_layers"] == [[config["layers"][-1]["name"], 0, 0], ["lstm", 0, 2]]
    assert "trainable" not in entries["spatial_dropout1d"]["config"]  # Keras takes none
    conv = entries["conv1d"]["config"]
    assert (conv["kernel_size"], conv["padding"], "data_format" in conv) == ([2], "causal", False)
    cnn = _zoo()[0][0]
    cnn.save(tmp_path / "c.keras")
    seq = _members(tmp_path / "c.keras")[0]
    assert [e["class_name"] for e in seq["config"]["layers"]][:3] == [
        "InputLayer", "ZeroPadding2D", "Conv2D"]
    assert seq["config"]["layers"][1]["config"]["padding"] == [[1, 0], [2, 1]]


def test_reads_the_cnn_rnn_file_keras_wrote(float64):
    model = load_model(FILE)
    kinds = {type(la).__name__ for la in model.layers}
    assert kinds >= {"Conv2D", "Conv1D", "Bidirectional", "TimeDistributed", "GRU", "SimpleRNN",
                     "Embedding", "UpSampling2D", "ZeroPadding2D", "SpatialDropout1D"}
    bi = next(la for la in model.layers if type(la).__name__ == "Bidirectional")
    assert (type(bi.forward_layer).__name__, bi.merge_mode) == ("LSTM", "sum")
    np.testing.assert_allclose(model.predict(_fixture_inputs(), verbose=0), KERAS_P, rtol=1e-12)


def _edit(layer_name: str, change):
    """FIXTURE's config with `change(entry)` applied to the layer entry of that name
    (a wrapped layer's entry too)."""
    config = _members(FILE)[0]

    def visit(entry):
        if isinstance(entry, dict):
            if entry.get("config", {}).get("name") == layer_name and "class_name" in entry:
                change(entry)
                return
            for value in list(entry.values()):
                visit(value)
        elif isinstance(entry, list):
            for value in entry:
                visit(value)

    visit(config)
    return config


def _rewrite(tmp_path, config=None, weights=None) -> Path:
    """The fixture file with its config and/or weights replaced, as tmp_path/bad.keras."""
    return rewrite_keras(FILE, tmp_path / "bad.keras", config, weights)



def _set(**values):
    return lambda entry: entry["config"].update(values)


def _inbound(change):
    return lambda entry: change(entry["inbound_nodes"])


@pytest.mark.parametrize("name,change,message", [
    ("gru", _set(stateful=True), r"stateful=True, which nnlab does not support"),
    ("conv2d", _set(groups=3), r"groups=3"),
    ("conv1d", _set(data_format="channels_first"), r"data_format='channels_first'"),
    ("up_sampling2d", _set(interpolation="bilinear"), r"interpolation='bilinear'"),
    ("forward_lstm", _set(recurrent_regularizer={"class_name": "L2"}), "recurrent_regularizer"),
    ("forward_lstm", lambda e: e.update(class_name="ConvLSTM1D"), "ConvLSTM1D.*not a layer"),
    ("bidirectional", _set(merge_mode=None), r"merge_mode"),
    ("gru", _set(recurrent_activation="mystery"), r"recurrent_activation 'mystery'"),
    ("embedding", _set(embeddings_constraint={"class_name": "NonNeg"}), "embeddings_constraint"),
    ("embedding", _set(mask_zero=False), "mask nnlab does not derive"),
    ("not_equal", _inbound(lambda n: n[0]["args"].__setitem__(1, 2)), r"not a mask"),
    ("gru", _inbound(lambda n: n[0]["kwargs"].update(training=True)), "training=True"),
    ("gru", _inbound(lambda n: n[0]["kwargs"].update(constants=[])), r"\['constants'\]"),
    ("gru", _inbound(lambda n: n.append(n[0])), "called 2 times"),
    ("simple_rnn", _inbound(lambda n: n[0]["args"][0]["config"]["keras_history"].__setitem__(
        1, 1)), "shared layers"),
    ("not_equal", lambda e: e.update(class_name="Multiply"), r"Keras op .*Multiply"),
    ("ids", lambda e: e["config"].pop("batch_shape"), "input 'ids' has no batch_shape"),
    ("dense_1", _inbound(lambda n: n[0]["args"][0]["config"]["keras_history"].__setitem__(
        2, 1)), "output 1 of 'concatenate'"),
])
def test_refuses_what_nnlab_cannot_honour(tmp_path, name, change, message):
    with pytest.raises(ModelFileError, match=message):
        load_model(_rewrite(tmp_path, _edit(name, change)))


def test_refuses_a_cell_with_a_missing_weight(tmp_path):
    data = _members(FILE)[1]
    buf = io.BytesIO(data)
    with h5py.File(buf, "r+") as f:
        del f["layers/gru/cell/vars/2"]
    with pytest.raises(ModelFileError, match=r"layer 'gru' has 3 weights but the file holds 2"):
        load_model(_rewrite(tmp_path, weights=buf.getvalue()))


def test_writer_refuses_regularizers_inside_a_wrapper(tmp_path):
    model = Sequential([L.Input(shape=(4, 2)),
                        L.Bidirectional(L.LSTM(2, recurrent_regularizer="l2"))])
    with pytest.raises(TypeError, match="regularizers"):
        model.save(tmp_path / "b.keras")
    assert not (tmp_path / "b.keras").exists()


def test_every_nnlab_layer_has_a_keras_table_entry():
    from nnlab.models.keras_layers import LAYER_OPTIONS

    # InputLayer is written as Keras's InputLayer; OutputItem (a pick of one output of an
    # RNN with return_state) is a tensor reference [layer, 0, k] in Keras's config
    assert set(L.LAYERS) - set(LAYER_OPTIONS) == {"InputLayer", "OutputItem"}


def test_weight_groups_follow_keras_layer_order(tmp_path):
    # Keras orders layers by depth from the outputs, ties in the order a walk from the
    # outputs meets them; nnlab's OutputItem picks (return_state) do not count as layers,
    # so the LSTM read first by Concatenate is `lstm` although nnlab's graph has the
    # other one deeper
    x = L.Input(shape=(6, 2))
    b = L.LSTM(4, name="plain")(x)
    a, _, c = L.LSTM(4, return_state=True, name="with_state")(x)
    model = Model(x, L.Dense(2)(L.Concatenate()([b, a, c])))
    # model.layers (so get_weights) in Keras 3.15.1's order too, as the live check
    # "two lstms, one with return_state" in bench/keras_diff_layers.py confirms
    assert [la.name for la in model.layers if la.weights] == ["plain", "with_state", "dense"]
    model.save(tmp_path / "m.keras")
    config, weights = _members(tmp_path / "m.keras")
    assert [e["name"] for e in config["config"]["layers"]][1:3] == ["plain", "with_state"]
    with h5py.File(io.BytesIO(weights)) as f:
        assert f["layers/lstm/vars"].attrs["name"] == "plain"
        assert f["layers/lstm_1/vars"].attrs["name"] == "with_state"


def test_refuses_wrappers_nested_past_python_s_recursion(tmp_path):
    inner = '{"class_name": "Dense", "config": {"name": "d", "units": 1}}'
    for i in range(3000):  # a small file (about 200 kB) that would exhaust the stack
        inner = (f'{{"class_name": "TimeDistributed", "config": {{"name": "t{i}", '
                 f'"layer": {inner}}}}}')
    config = _members(FILE)[0]
    config["config"]["layers"][1] = "PLACEHOLDER"
    text = json.dumps(config).replace('"PLACEHOLDER"', inner)
    zin, path = zipfile.ZipFile(FILE), tmp_path / "deep.keras"
    with zipfile.ZipFile(path, "w") as zout:
        for member in ("metadata.json", "model.weights.h5"):
            zout.writestr(member, zin.read(member))
        zout.writestr("config.json", text)
    with pytest.raises(ModelFileError, match="recursion depth"):
        load_model(path)


def test_refuses_a_mask_nnlab_would_not_pass_on(tmp_path):
    # Keras passes the Embedding's mask through BatchNormalization to the Bidirectional
    # LSTM; nnlab's BatchNormalization does not pass masks on, so the predictions would
    # differ: refused rather than silently unmasked
    config = _members(FILE)[0]
    layers = config["config"]["layers"]
    at = next(i for i, e in enumerate(layers) if e["name"] == "bidirectional")
    node = layers[at]["inbound_nodes"][0]
    bn = {"module": "keras.layers", "class_name": "BatchNormalization", "name": "bn",
          "config": {"name": "bn"}, "inbound_nodes": [json.loads(json.dumps(node))]}
    node["args"][0]["config"]["keras_history"] = ["bn", 0, 0]
    layers.insert(at, bn)
    with pytest.raises(ModelFileError, match="mask to layer 'bidirectional' but nnlab does not"):
        load_model(_rewrite(tmp_path, config))
