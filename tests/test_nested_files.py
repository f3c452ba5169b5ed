"""Nested models saved to `.nnlab` files, rebuilt from configs and cloned; damaged files
with nested models are refused before anything is allocated."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nnlab.layers import BatchNormalization, Concatenate, Dense, Dropout, Input
from nnlab.models import (
    Model,
    Sequential,
    clone_model,
    load_model,
    model_from_json,
)
from nnlab.models.saving import ModelFileError
from tests.file_cases import FIX, edit_json


def _nested_sequential():
    inner = Sequential(
        [Dense(6, activation="relu"), BatchNormalization(), Dropout(0.2, seed=3), Dense(4)],
        name="inner",
    )
    return Sequential([Input((3,)), inner, Dense(1)], name="outer")


def _shared_functional():
    a = Input((3,), name="xa")
    encoder = Model(a, Dense(4, activation="tanh", name="code")(a), name="encoder")
    b = Input((3,), name="xb")
    h = Concatenate()([encoder(a), encoder(b)])
    return Model([a, b], Dense(1, name="head")(h), name="siamese")


@pytest.fixture
def data(rng):
    X = rng.normal(size=(40, 3)).astype("float32")
    return X, X.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("make", [_nested_sequential, _shared_functional])
def test_a_saved_nested_model_predicts_and_resumes_bit_for_bit(tmp_path, data, make):
    X, y = data
    model = make()
    x = [X, X[::-1]] if len(model.inputs) == 2 else X
    model.compile("adam", "mse", metrics=["mae"])
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=1)
    model.save(tmp_path / "m.nnlab")
    loaded = load_model(tmp_path / "m.nnlab")
    assert [type(layer).__name__ for layer in loaded.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    h1 = model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=2).history
    h2 = loaded.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=2).history
    assert h1 == h2  # optimizer slots, moving statistics and dropout streams restored


def test_a_frozen_inner_model_stays_frozen_after_loading(tmp_path, data):
    model = _nested_sequential()
    model.layers[0].trainable = False
    model.compile("sgd", "mse")
    model.save(tmp_path / "m.nnlab")
    loaded = load_model(tmp_path / "m.nnlab")
    assert not loaded.layers[0].trainable and loaded.layers[1].trainable
    assert [w.shape for w in loaded.trainable_weights] == [(4, 1), (1,)]


@pytest.mark.parametrize("make", [_nested_sequential, _shared_functional])
def test_config_json_and_clone_rebuild_the_nested_architecture(data, make):
    model = make()
    config = model.get_config()
    assert "weights" not in json.dumps(config)  # no weights at any level
    for rebuilt in (Model.from_config(config), model_from_json(model.to_json()),
                    clone_model(model)):
        assert [layer.name for layer in rebuilt.layers] == [layer.name for layer in model.layers]
        assert rebuilt.count_params() == model.count_params()
        assert rebuilt.get_config() == config
        rebuilt.set_weights(model.get_weights())
        X = data[0]
        x = [X, X[::-1]] if len(model.inputs) == 2 else X
        np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))


def _saved(tmp_path, make=_nested_sequential) -> bytes:
    model = make()
    model.save(tmp_path / "m.nnlab")
    return (tmp_path / "m.nnlab").read_bytes()


def _nested_entry(doc, k: int = 1) -> dict:
    return doc["model"]["layers"][k]


def _inner_dense(doc) -> dict:
    return next(e for e in _nested_entry(doc)["model"]["layers"] if e["class_name"] == "Dense")


def _huge_inner_dense(doc):
    _inner_dense(doc)["config"]["units"] = 10**9


def _bad_shared_call(doc):
    entry = next(e for e in doc["model"]["layers"] if "call_of" in e)
    entry["call_of"], entry["config"]["name"] = "head", "head/1"


def _too_deep(doc):
    inner = _nested_entry(doc)["model"]
    for _ in range(9):
        inner = {"class_name": "Sequential", "name": "n", "layers": [
            {"class_name": "Sequential", "config": {"name": "n"}, "model": inner,
             "inbound": [], "call_on_list": False, "weights": []}],
            "inputs": [], "outputs": [], "multi_output": False}
    _nested_entry(doc)["model"] = inner


def _weights_on_the_nested_entry(doc):
    _nested_entry(doc)["weights"] = [_inner_dense(doc)["weights"][0]]


CASES = [
    ("inner-weights-shape", _huge_inner_dense, _nested_sequential, "max_params"),
    ("inner-kernel-renamed",
     lambda d: _inner_dense(d)["weights"][0].update(name="W"), _nested_sequential,
     "lists ['W', 'bias']"),
    ("nested-config-extra-key",
     lambda d: _nested_entry(d)["config"].update(units=3), _nested_sequential,
     "only the nested model's name"),
    ("weights-on-nested-entry", _weights_on_the_nested_entry, _nested_sequential,
     "a nested model's weights are listed in its own layers"),
    ("nested-model-not-an-object",
     lambda d: _nested_entry(d).update(model=[1]), _nested_sequential,
     "an object of the nested model's layers"),
    ("nested-too-deep", _too_deep, _nested_sequential, "nested at most 8 deep"),
    ("outer-input-shape-changed",
     lambda d: d["model"]["layers"][0]["config"].update(shape=[5]),
     _nested_sequential, "called on inputs of shape [(None, 5)], but the nested model takes"),
    ("shared-call-of-a-plain-layer", _bad_shared_call, _shared_functional,
     "<an earlier nested model>/<call>"),
]


@pytest.mark.parametrize("edit, make, message", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_damaged_nested_model_files_are_refused_with_a_fix(tmp_path, edit, make, message):
    path = tmp_path / "bad.nnlab"
    path.write_bytes(edit_json(_saved(tmp_path, make), edit))
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert message in str(info.value)
    assert any(fix in str(info.value) for fix in FIX), str(info.value)
