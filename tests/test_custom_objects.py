"""Your own Layer, Loss, Activation and Metric classes (and metric functions) in saved
models: `custom_objects` for `.nnlab` files, `from_config` and `model_from_json`,
`custom_object_scope`, and `nnlab.saving.register_keras_serializable`. Loading stays
code-free: only the classes passed (or registered) are used."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from custom_pieces import Cube, MeanCubedError

import nnlab
from nnlab.layers import Dense, Input, Layer
from nnlab.metrics import Metric
from nnlab.models import Model, Sequential, load_model, model_from_json
from nnlab.models.saving import ModelFileError
from nnlab.saving import (
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)


class Scale(Layer):
    """X * s with one trainable s per feature."""

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.add_weight("scale", (input_shape[-1],), lambda s, d: np.full(s, self.init, d))

    def forward(self, X, training=False):
        self._X = X
        return X * self.params["scale"]

    def backward(self, dY, need_dX=True):
        self.grads["scale"][...] = (dY * self._X).sum(axis=0)
        return dY * self.params["scale"] if need_dX else None

    def get_config(self):
        return {**super().get_config(), "init": self.init}


class WithinHalf(Metric):
    name = "within_half"

    def values(self, Y, P):
        return (abs(P - Y) < 0.5).astype(float)


def max_error(y_true, y_pred):
    return np.abs(y_true - y_pred).max(axis=-1)


CUSTOM = {
    "Scale": Scale,
    "Cube": Cube,
    "MeanCubedError": MeanCubedError,
    "WithinHalf": WithinHalf,
    "max_error": max_error,
}


def _model():
    model = Sequential([Input((3,)), Scale(0.5, name="scale"), Dense(2, activation=Cube()),
                        Dense(1)])
    model.compile("adam", MeanCubedError(), metrics=[WithinHalf(), max_error])
    return model


@pytest.fixture
def data(rng):
    X = rng.normal(size=(24, 3)).astype("float32") * 0.5
    return X, X.sum(axis=1, keepdims=True)


@pytest.fixture
def saved(tmp_path, data):
    model = _model()
    model.fit(*data, epochs=2, batch_size=8, verbose=0, seed=0)
    path = tmp_path / "custom.nnlab"
    model.save(path)
    return model, path


def test_a_model_with_custom_classes_loads_with_custom_objects(saved, data):
    model, path = saved
    loaded = load_model(path, custom_objects=CUSTOM)
    assert type(loaded.layers[0]) is Scale and loaded.layers[0].init == 0.5
    assert isinstance(loaded.layers[1].activation, Cube)
    np.testing.assert_array_equal(loaded.predict(data[0], verbose=0),
                                  model.predict(data[0], verbose=0))
    assert isinstance(loaded.output_losses()[0][0], MeanCubedError)
    assert loaded.evaluate(*data, verbose=0, return_dict=True) == model.evaluate(
        *data, verbose=0, return_dict=True
    )
    h1 = model.fit(*data, epochs=1, batch_size=8, verbose=0, seed=1).history
    h2 = loaded.fit(*data, epochs=1, batch_size=8, verbose=0, seed=1).history
    assert h1 == h2 and set(h1) == {"loss", "within_half", "max_error"}


@pytest.mark.parametrize("missing", sorted(CUSTOM))
def test_each_missing_custom_object_is_named_with_how_to_pass_it(saved, missing):
    _, path = saved
    partial = {k: v for k, v in CUSTOM.items() if k != missing}
    with pytest.raises(ModelFileError) as info:
        load_model(path, custom_objects=partial)
    message = str(info.value)
    assert repr(missing) in message
    assert f"custom_objects={{{missing!r}: {missing}}}" in message


def test_loading_uses_only_what_the_caller_passes(saved):
    _, path = saved
    # a name mapped to something that is not a Layer subclass is not used to build a layer
    with pytest.raises(ModelFileError, match="'Scale'"):
        load_model(path, custom_objects={**CUSTOM, "Scale": os.system})
    with pytest.raises(ModelFileError, match=r"\(Scale\) cannot be rebuilt"):
        load_model(path, custom_objects={**CUSTOM, "Scale": Dense})  # wrong arguments
    # without compile, the loss and metrics are not needed
    layers_only = {"Scale": Scale, "Cube": Cube}
    assert load_model(path, compile=False, custom_objects=layers_only).built


def test_custom_objects_must_be_a_dict(saved):
    with pytest.raises(TypeError, match="custom_objects must be a dict"):
        load_model(saved[1], custom_objects=[Scale])


def test_from_config_json_and_scope_take_the_same_custom_objects(data):
    model = _model()
    config, text = model.get_config(), model.to_json()
    with pytest.raises(ModelFileError, match="custom_objects"):
        Model.from_config(config)
    with pytest.raises(ModelFileError, match="custom_objects"):
        model_from_json(text)
    for rebuilt in (
        Model.from_config(config, custom_objects=CUSTOM),
        model_from_json(text, custom_objects=CUSTOM),
    ):
        assert type(rebuilt.layers[0]) is Scale and rebuilt.get_config() == config
    with custom_object_scope(CUSTOM):
        assert type(Model.from_config(config).layers[0]) is Scale
    with pytest.raises(ModelFileError, match="custom_objects"):
        Model.from_config(config)  # the scope ended
    # clone_model uses the classes in the model itself, as in Keras
    clone = nnlab.models.clone_model(model)
    assert type(clone.layers[0]) is Scale and isinstance(clone.layers[1].activation, Cube)


def test_registered_classes_load_without_custom_objects(tmp_path, data):
    @register_keras_serializable(package="course")
    class Shift(Layer):
        def forward(self, X, training=False):
            return X + 1.0

        def backward(self, dY, need_dX=True):
            return dY

    @register_keras_serializable(package="course", name="squared_error")
    def squared_error(y_true, y_pred):
        return ((y_true - y_pred) ** 2).mean(axis=-1)

    try:
        assert get_registered_name(Shift) == "course>Shift"
        assert get_registered_object("course>squared_error") is squared_error
        assert get_custom_objects()["course>Shift"] is Shift
        model = Sequential([Input((3,)), Shift(), Dense(1)])
        model.compile("sgd", "mse", metrics=[squared_error])
        model.save(tmp_path / "r.nnlab")
        doc = model.get_config()
        assert doc["layers"][1]["class_name"] == "course>Shift"
        loaded = load_model(tmp_path / "r.nnlab")
        assert type(loaded.layers[0]) is Shift
        np.testing.assert_array_equal(loaded.predict(data[0], verbose=0),
                                      model.predict(data[0], verbose=0))
        # custom_objects keyed by the bare class name also find a registered name
        del get_custom_objects()["course>Shift"]
        assert type(load_model(tmp_path / "r.nnlab", custom_objects={"Shift": Shift}).layers[0]) \
            is Shift
    finally:
        get_custom_objects().pop("course>Shift", None)
        get_custom_objects().pop("course>squared_error", None)


def test_registration_needs_get_config_and_a_plain_package():
    with pytest.raises(ValueError, match="get_config"):
        register_keras_serializable()(type("NoConfig", (), {}))
    with pytest.raises(ValueError, match="package"):
        register_keras_serializable(package="a>b")


def test_an_unknown_activation_class_in_a_file_is_named(tmp_path):
    model = Sequential([Input((2,)), Dense(1, activation=Cube())])
    model.save(tmp_path / "a.nnlab")
    with pytest.raises(ModelFileError, match=r"'Cube'.*custom_objects=\{'Cube': Cube\}"):
        load_model(tmp_path / "a.nnlab")
    entry = json.loads(model.to_json())["config"]["layers"][1]["config"]["activation"]
    assert entry == {"name": "cube", "config": {}, "class_name": "Cube"}
    assert isinstance(load_model(tmp_path / "a.nnlab", custom_objects={"Cube": Cube})
                      .layers[0].activation, Cube)


def test_keras_files_see_registered_and_scoped_classes_too(tmp_path):
    import zipfile

    @register_keras_serializable(package="course")
    class Doubling(Layer):
        def forward(self, X, training=False):
            return 2 * X

        def backward(self, dY, need_dX=True):
            return 2 * dY

    src = tmp_path / "plain.keras"
    Sequential([Input((3,)), Dense(2)]).save(src)
    with zipfile.ZipFile(src) as zin:
        members = {name: zin.read(name) for name in zin.namelist()}
    config = json.loads(members["config.json"])
    config["config"]["layers"].append({"module": None, "class_name": "Doubling",
                                       "registered_name": "course>Doubling",
                                       "config": {"name": "doubling"}})
    members["config.json"] = json.dumps(config).encode()
    path = tmp_path / "custom.keras"
    with zipfile.ZipFile(path, "w") as zout:
        for name, data in members.items():
            zout.writestr(name, data)
    try:
        assert type(load_model(path).layers[-1]) is Doubling
        del get_custom_objects()["course>Doubling"]
        with pytest.raises(ModelFileError, match="custom_objects"):
            load_model(path)
        with custom_object_scope({"Doubling": Doubling}):
            assert type(load_model(path).layers[-1]) is Doubling
    finally:
        get_custom_objects().pop("course>Doubling", None)
