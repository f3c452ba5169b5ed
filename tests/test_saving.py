"""Model files: exact round trips, exact resumes, atomic writes, and refusing bad files."""

from __future__ import annotations

import io
import json
import os
import pickle
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from nnlab import backend
from nnlab.callbacks import ModelCheckpoint
from nnlab.data import TabularPreprocessor
from nnlab.layers import BatchNormalization, Concatenate, Dense, Dropout, Input
from nnlab.models import Model, Sequential, load_model
from nnlab.models.saving import ModelFileError
from nnlab.optimizers import SGD, Adam
from nnlab.optimizers.schedules import ExponentialDecay

DOC = Path(__file__).resolve().parents[1] / "docs" / "model-files.md"


def _data(n=40, d=4, k=3, dtype="float32"):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, d)).astype(dtype)
    Y = np.eye(k, dtype=dtype)[rng.integers(0, k, n)]
    return X, Y


def _sequential(optimizer="adam"):
    model = Sequential(
        [
            Input(shape=(4,)),
            Dense(8, activation="relu", kernel_regularizer="l2"),
            BatchNormalization(),
            Dropout(0.25, seed=3),
            Dense(3, activation="softmax"),
        ]
    )
    model.compile(optimizer, "categorical_crossentropy", metrics=["accuracy"])
    return model


def _functional():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    h = Concatenate(name="joined")([Dense(4, activation="tanh")(a), Dense(4)(b)])
    h = BatchNormalization()(h)
    out_class = Dense(2, activation="softmax", name="label")(h)
    out_value = Dense(1, name="value")(Dropout(0.1, seed=5)(h))
    model = Model([a, b], [out_class, out_value])
    model.compile(
        SGD(0.05, momentum=0.9),
        loss={"label": "categorical_crossentropy", "value": "mse"},
        loss_weights={"label": 1.0, "value": 0.5},
        metrics={"label": ["accuracy"], "value": ["mae"]},
    )
    return model


def _functional_data(dtype):
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(30, 3)).astype(dtype), rng.normal(size=(30, 2)).astype(dtype)
    y_class = np.eye(2, dtype=dtype)[rng.integers(0, 2, 30)]
    return [xa, xb], [y_class, rng.normal(size=(30, 1)).astype(dtype)]


def _rewrite(path, change):
    """Rewrite the zip at `path` after `change(members)` edits the {name: bytes} dict."""
    with zipfile.ZipFile(path) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    change(members)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _edit_json(path, edit):
    def change(members):
        doc = json.loads(members["model.json"])
        edit(doc)
        members["model.json"] = json.dumps(doc).encode()

    _rewrite(path, change)


class _Evil:
    """Unpickling this creates a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


# -- round trips ------------------------------------------------------------------------
@pytest.mark.parametrize("floatx", ["float32", "float64"])
def test_sequential_round_trip_is_bit_exact(tmp_path, floatx):
    backend.set_floatx(floatx)
    X, Y = _data(dtype=floatx)
    model = _sequential()
    model.fit(X, Y, epochs=2, batch_size=8, verbose=0, seed=0)
    path = tmp_path / "model.nnlab"
    model.save(path, metadata={"run": "a"})
    loaded = load_model(path)
    assert type(loaded) is Sequential and loaded.name == model.name
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        assert got.dtype == np.dtype(floatx) and np.array_equal(got, want)
    P = loaded.predict(X, verbose=0)
    assert P.dtype == np.dtype(floatx) and np.array_equal(P, model.predict(X, verbose=0))
    assert loaded.evaluate(X, Y, verbose=0) == model.evaluate(X, Y, verbose=0)
    assert loaded.metadata["user"] == {"run": "a"} and "date_saved" in loaded.metadata
    assert loaded.preprocessing is None
    assert loaded.optimizer.get_config() == model.optimizer.get_config()


@pytest.mark.parametrize("floatx", ["float32", "float64"])
def test_functional_two_inputs_two_outputs_round_trip(tmp_path, floatx):
    backend.set_floatx(floatx)
    x, y = _functional_data(floatx)
    model = _functional()
    model.fit(x, y, epochs=2, batch_size=10, verbose=0, seed=0)
    model.save(tmp_path / "f.nnlab")
    loaded = load_model(tmp_path / "f.nnlab")
    assert loaded.input_names == ["a", "b"] and loaded.output_names == ["label", "value"]
    for got, want in zip(loaded.predict(x, verbose=0), model.predict(x, verbose=0)):
        assert got.dtype == np.dtype(floatx) and np.array_equal(got, want)
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(
        x, y, verbose=0, return_dict=True
    )
    assert [w for _, w, _ in loaded.output_losses()] == [1.0, 0.5]


def test_every_layer_class_round_trips(tmp_path):
    from nnlab import layers
    from nnlab.activations import LeakyReLU
    from nnlab.layers import (
        LAYERS,
        Activation,
        Add,
        Average,
        Flatten,
        GaussianNoise,
        Multiply,
        Reshape,
        Subtract,
    )

    x = Input(shape=(2, 3), batch_size=None)
    flat = Flatten()(Reshape((3, 2))(x))
    a, b = Dense(4, kernel_initializer="he_normal")(flat), Dense(4, use_bias=False)(flat)
    merged = [cls()([a, b]) for cls in (Add, Subtract, Multiply, Average)]
    h = Concatenate(axis=-1)(merged)
    h = Activation(LeakyReLU(0.1))(GaussianNoise(0.1, seed=2)(h))
    h = layers.ELU(0.5)(layers.ReLU(max_value=4.0)(layers.LeakyReLU(0.25)(h)))
    h = layers.Softmax()(layers.UnitNormalization()(layers.LayerNormalization()(h)))
    h = layers.Maximum()([h, layers.Minimum()([h, layers.Rescaling(0.5)(h)])])
    h = layers.Concatenate()([h, layers.Normalization(mean=[0.5] * 6, variance=[2.0] * 6)(flat)])
    h = layers.Concatenate()([h, layers.Dot(axes=1, normalize=True)([a, b])])
    model = Model(x, Dense(1)(BatchNormalization(momentum=0.9, epsilon=0.01)(Dropout(0.2)(h))))
    model.compile(Adam(0.01, amsgrad=True), "huber")
    X = np.random.default_rng(0).normal(size=(16, 2, 3)).astype("float32")
    model.fit(X, X.sum(axis=(1, 2))[:, None], epochs=2, batch_size=4, verbose=0, seed=0)
    images, sequences = _image_model(), _sequence_model()
    covered = {type(layer).__name__ for m in (model, images, sequences) for layer in m.layers}
    assert covered == set(LAYERS)
    tokens = np.array([[3, 1, 4, 1, 5, 0], [2, 7, 0, 0, 0, 0]], dtype="float32")
    for m, inputs in [
        (model, X),
        (images, np.ones((2, 6, 6, 2), dtype="float32")),
        (sequences, tokens),
    ]:
        m.save(tmp_path / "all.nnlab")
        loaded = load_model(tmp_path / "all.nnlab")
        assert [layer.get_config() for layer in loaded.layers] == [
            layer.get_config() for layer in m.layers
        ]
        assert np.array_equal(loaded.predict(inputs, verbose=0), m.predict(inputs, verbose=0))


def _sequence_model():
    """Every recurrent layer, wrapper and Embedding in one model (token ids in)."""
    from nnlab import layers as L

    x = Input(shape=(6,))
    h = L.Embedding(8, 3, mask_zero=True)(x)
    h = L.Bidirectional(L.LSTM(4, return_sequences=True, dropout=0.1))(h)
    h = L.TimeDistributed(Dense(3, activation="tanh"))(h)
    out, state = L.GRU(2, return_sequences=True, return_state=True, reset_after=False)(h)
    last = L.SimpleRNN(2, go_backwards=True)(out, initial_state=[state])
    extra = L.LSTM(2, recurrent_dropout=0.2, unit_forget_bias=False)(h)
    heads = [last, L.GlobalAveragePooling1D()(out), state, extra]
    model = Model(x, Dense(1)(Concatenate()(heads)))
    model.compile("adam", "mse")
    return model


def _image_model():
    """Every convolution, pooling and image layer in one model (sequences as rows)."""
    from nnlab import layers as L

    x = Input(shape=(6, 6, 2))
    h = L.ZeroPadding2D(1)(L.Conv2D(3, 3, padding="same", dilation_rate=2)(x))
    h = L.SpatialDropout2D(0.2, seed=1)(L.UpSampling2D(2)(L.MaxPooling2D(2)(h)))
    h = L.AveragePooling2D(2, strides=1, padding="same")(h)
    flat = L.GlobalAveragePooling2D()(h)
    peak = L.GlobalMaxPooling2D()(h)
    seq = L.Reshape((8, 4))(L.Conv2D(2, 3)(L.Conv2D(2, 1)(x)))  # (4, 4, 2) as 8 steps
    seq = L.SpatialDropout1D(0.1)(L.Conv1D(3, 2, padding="causal")(seq))
    seq = L.AveragePooling1D(2)(L.MaxPooling1D(2, strides=1)(seq))
    both = [L.GlobalAveragePooling1D()(seq), L.GlobalMaxPooling1D()(seq)]
    model = Model(x, Dense(1)(Concatenate()([flat, peak, *both])))
    model.compile("adam", "mse")
    return model


def test_load_without_compile_and_unbuilt_sequential(tmp_path):
    model = _sequential()
    model.save(tmp_path / "m.nnlab")
    assert not load_model(tmp_path / "m.nnlab", compile=False).compiled
    unbuilt = Sequential([Dense(2), Dense(1)])
    unbuilt.compile("sgd", "mse")
    unbuilt.save(tmp_path / "u.nnlab")
    loaded = load_model(tmp_path / "u.nnlab")
    assert not loaded.built and loaded.compiled
    loaded.fit(np.ones((4, 3)), np.ones((4, 1)), verbose=0)


# -- resuming -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda: Adam(0.01),
        lambda: SGD(0.05, momentum=0.9, nesterov=True),
        lambda: Adam(ExponentialDecay(0.01, decay_steps=3, decay_rate=0.5)),
    ],
    ids=["adam", "sgd-momentum", "adam-schedule"],
)
def test_resumed_training_equals_uninterrupted(tmp_path, make_optimizer):
    X, Y = _data()
    fit = dict(batch_size=8, shuffle=False, verbose=0, seed=0)

    backend.set_random_seed(7)
    straight = _sequential(make_optimizer())
    straight.fit(X, Y, epochs=2, **fit)

    backend.set_random_seed(7)
    first = _sequential(make_optimizer())
    first.fit(X, Y, epochs=1, **fit)
    first.save(tmp_path / "epoch1.nnlab")
    resumed = load_model(tmp_path / "epoch1.nnlab")
    assert resumed.optimizer.iterations == first.optimizer.iterations == 5
    history = resumed.fit(X, Y, epochs=2, initial_epoch=1, **fit)

    assert history.epoch == [1]
    assert resumed.optimizer.iterations == straight.optimizer.iterations == 10
    for got, want in zip(resumed.get_weights(), straight.get_weights()):
        assert np.array_equal(got, want)
    slots, expected = resumed.optimizer.get_slots()[0], straight.optimizer.get_slots()[0]
    assert slots.keys() == expected.keys()
    for key in slots:
        assert np.array_equal(slots[key], expected[key])


# -- preprocessing ----------------------------------------------------------------------
def test_fitted_tabular_preprocessing_is_saved_and_restored(tmp_path):
    frame = pd.DataFrame(
        {
            "age": [22.0, 35.0, np.nan, 51.0, 46.0, 30.0, 27.0, 60.0],
            "town": ["a", "b", "a", None, "c", "b", "a", "c"],
            "label": ["no", "yes", "no", "yes", "yes", "no", "no", "yes"],
        }
    )
    prep = TabularPreprocessor("label").fit(frame)
    X = prep.transform(frame)
    model = Sequential([Input(shape=(X.shape[1],)), Dense(1, activation="sigmoid")])
    model.save(tmp_path / "tab.nnlab", preprocessing=prep)
    loaded = load_model(tmp_path / "tab.nnlab")
    restored = loaded.preprocessing
    assert isinstance(restored, TabularPreprocessor)
    assert restored.to_config() == prep.to_config()
    got = restored.transform(frame)
    assert got.dtype == X.dtype and np.array_equal(got, X)
    assert np.array_equal(restored.transform_target(frame), prep.transform_target(frame))
    loaded.save(tmp_path / "again.nnlab")  # a loaded model keeps its preprocessing
    assert load_model(tmp_path / "again.nnlab").preprocessing.to_config() == prep.to_config()


# -- atomic writes --------------------------------------------------------------------
def _fail_np_save(monkeypatch):
    real, calls = np.save, []

    def flaky(*args, **kwargs):
        calls.append(1)
        if len(calls) >= 3:
            raise OSError("disk full (simulated)")
        return real(*args, **kwargs)

    monkeypatch.setattr(np, "save", flaky)


def _fail_zip_write(monkeypatch):
    real, calls = zipfile.ZipFile.writestr, []

    def flaky(self, *args, **kwargs):
        calls.append(1)
        if len(calls) >= 4:
            raise OSError("killed mid-write (simulated)")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", flaky)


@pytest.mark.parametrize("break_save", [_fail_np_save, _fail_zip_write])
def test_failed_save_leaves_old_file_and_no_temp_files(tmp_path, monkeypatch, break_save):
    path = tmp_path / "model.nnlab"
    old = _sequential()
    old.save(path)
    before = path.read_bytes()
    new = _sequential()
    new.fit(*_data(), epochs=1, verbose=0, seed=0)
    break_save(monkeypatch)
    with pytest.raises(OSError, match="simulated"):
        new.save(path)
    with pytest.raises(OSError, match="simulated"):
        new.save(tmp_path / "fresh.nnlab")
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["model.nnlab"]
    monkeypatch.undo()
    np.testing.assert_array_equal(load_model(path).get_weights()[0], old.get_weights()[0])


# -- corrupted and tampered files ------------------------------------------------------
@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "model.nnlab"
    _sequential().save(path)
    return path


def test_flipped_bytes_in_an_array_are_refused(saved):
    data = bytearray(saved.read_bytes())
    with zipfile.ZipFile(saved) as zf:
        info = zf.getinfo("weights/1/kernel.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 130
    data[start : start + 8] = bytes(b ^ 0xFF for b in data[start : start + 8])
    saved.write_bytes(bytes(data))
    with pytest.raises(ModelFileError, match="kernel.npy|Bad CRC"):
        load_model(saved)


def test_tampered_array_fails_the_sha256_check(saved):
    def change(members):
        buf = io.BytesIO()
        np.save(buf, np.full((4, 8), 9.0, dtype="float32"))
        members["weights/1/kernel.npy"] = buf.getvalue()

    _rewrite(saved, change)
    with pytest.raises(ModelFileError, match="SHA-256 of member 'weights/1/kernel.npy'"):
        load_model(saved)


def test_truncated_file_is_not_a_valid_model_file(saved):
    data = saved.read_bytes()
    for cut in (len(data) // 2, len(data) - 10, 100):
        saved.write_bytes(data[:cut])
        with pytest.raises(ModelFileError, match="not a valid nnlab model file"):
            load_model(saved)


def test_extra_pickle_member_is_refused_and_never_run(saved, tmp_path):
    marker = tmp_path / "pwned"
    _rewrite(saved, lambda m: m.update({"evil.pkl": pickle.dumps(_Evil(marker))}))
    with pytest.raises(ModelFileError, match=r"\['evil.pkl'\] are not listed in the manifest"):
        load_model(saved)
    assert not marker.exists()


@pytest.mark.parametrize("declared", ["float32", "object"])
def test_object_array_member_is_refused_and_never_run(saved, tmp_path, declared):
    import hashlib

    marker = tmp_path / "pwned"
    buf = io.BytesIO()
    np.save(buf, np.array([_Evil(marker)], dtype=object), allow_pickle=True)
    payload = buf.getvalue()

    def change(members):
        members["weights/1/bias.npy"] = payload
        doc = json.loads(members["model.json"])
        entry = doc["files"]["weights/1/bias.npy"]
        entry.update(sha256=hashlib.sha256(payload).hexdigest(), dtype=declared, shape=[8])
        members["model.json"] = json.dumps(doc).encode()

    _rewrite(saved, change)
    with pytest.raises(ModelFileError, match="object array|not a numeric dtype"):
        load_model(saved)
    assert not marker.exists()


@pytest.mark.parametrize(
    "shape, message",
    [
        ((8,), "exactly the data its header declares"),  # the shape the Dense bias needs
        ((10**9,), "more than max_params"),  # would allocate 4 GB if trusted
    ],
)
def test_array_header_claiming_more_data_than_present_is_refused(saved, shape, message):
    import hashlib

    buf = io.BytesIO()
    header = {"descr": "<f4", "fortran_order": False, "shape": shape}
    np.lib.format.write_array_header_1_0(buf, header)
    payload = buf.getvalue() + bytes(16)

    def change(members):
        members["weights/1/bias.npy"] = payload
        doc = json.loads(members["model.json"])
        entry = doc["files"]["weights/1/bias.npy"]
        entry.update(sha256=hashlib.sha256(payload).hexdigest(), shape=list(shape))
        members["model.json"] = json.dumps(doc).encode()

    _rewrite(saved, change)
    with pytest.raises(ModelFileError, match=message):
        load_model(saved)


def test_path_traversal_member_is_refused(saved):
    _rewrite(saved, lambda m: m.update({"../escape.npy": b"x"}))
    with pytest.raises(ModelFileError, match="not a plain relative path"):
        load_model(saved)


def test_newer_major_format_version_is_refused(saved):
    _edit_json(saved, lambda doc: doc.update(format_version=999))
    with pytest.raises(ModelFileError, match="written by a newer nnlab"):
        load_model(saved)


def test_newer_minor_format_version_still_loads(saved):
    _edit_json(saved, lambda doc: doc.update(format_version="1.9", future_field=[1]))
    assert load_model(saved).built


def test_unknown_layer_class_is_refused(saved):
    def edit(doc):
        doc["model"]["layers"][1]["class_name"] = "os.system"

    _edit_json(saved, edit)
    expected = "class_name is 'os.system'; expected one of nnlab's layer classes"
    with pytest.raises(ModelFileError, match=re.escape(expected)):
        load_model(saved)


def test_wrong_suffix_and_missing_file(tmp_path):
    with pytest.raises(ValueError, match=r"must end in '\.nnlab'"):
        _sequential().save(tmp_path / "model.pkl")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.nnlab")


# -- weights only ---------------------------------------------------------------------
def test_save_and_load_weights(tmp_path):
    X, Y = _data()
    model = _sequential()
    model.fit(X, Y, epochs=1, verbose=0, seed=0)
    model.save_weights(tmp_path / "w.weights.npz")
    other = _sequential()  # same architecture, other layer names and weights
    other.load_weights(tmp_path / "w.weights.npz")
    assert np.array_equal(other.predict(X, verbose=0), model.predict(X, verbose=0))
    small = Sequential([Input(shape=(4,)), Dense(3)])
    with pytest.raises(ValueError, match="built like the one that saved them"):
        small.load_weights(tmp_path / "w.weights.npz")
    evil = {"0000/x/kernel": np.array([object()] * 12).reshape(4, 3), "0001/x/bias": np.ones(3)}
    np.savez(tmp_path / "evil.weights.npz", **evil)
    with pytest.raises(ModelFileError, match="not a valid nnlab weights file.*not a plain numeric"):
        small.load_weights(tmp_path / "evil.weights.npz")


# -- ModelCheckpoint ------------------------------------------------------------------
def test_checkpoint_save_best_only_saves_on_improvement_only(tmp_path):
    model = _sequential()
    model.fit(*_data(), epochs=1, verbose=0, seed=0)
    ckpt = ModelCheckpoint(
        str(tmp_path / "ckpt-{epoch:02d}-{loss:.2f}.nnlab"), "loss", save_best_only=True
    )
    ckpt.set_model(model)
    for epoch, loss in enumerate([3.0, 2.0, 2.0, 2.5, 1.0]):
        ckpt.on_epoch_begin(epoch)
        ckpt.on_epoch_end(epoch, {"loss": loss})
    assert sorted(os.listdir(tmp_path)) == [
        "ckpt-01-3.00.nnlab",
        "ckpt-02-2.00.nnlab",
        "ckpt-05-1.00.nnlab",
    ]
    assert ckpt.best == 1.0


def test_checkpoint_threshold_weights_only_and_missing_key(tmp_path):
    model = _sequential()
    model.fit(*_data(), epochs=1, verbose=0, seed=0)  # resolves 'accuracy': mode max
    ckpt = ModelCheckpoint(
        str(tmp_path / "w{epoch}.weights.npz"),
        "val_accuracy",
        save_best_only=True,
        save_weights_only=True,
        initial_value_threshold=0.5,
    )
    ckpt.set_model(model)
    for epoch, acc in enumerate([0.4, 0.6, 0.55]):
        ckpt.on_epoch_end(epoch, {"val_accuracy": acc})
    assert os.listdir(tmp_path) == ["w2.weights.npz"]
    with pytest.warns(UserWarning, match="Saving anyway"):
        ckpt.on_epoch_end(3, {"loss": 1.0})
    assert sorted(os.listdir(tmp_path)) == ["w2.weights.npz", "w4.weights.npz"]
    with pytest.raises(ValueError, match=r"must end in '\.weights\.npz'"):
        ModelCheckpoint("x.nnlab", save_weights_only=True)


def test_checkpoint_during_fit_holds_the_model_of_each_epoch(tmp_path):
    X, Y = _data()
    model = _sequential()
    ckpt = ModelCheckpoint(str(tmp_path / "sub" / "e{epoch}.nnlab"), save_freq="epoch")
    model.fit(X, Y, epochs=3, batch_size=8, verbose=0, seed=0, callbacks=[ckpt])
    assert sorted(os.listdir(tmp_path / "sub")) == ["e1.nnlab", "e2.nnlab", "e3.nnlab"]
    last = load_model(tmp_path / "sub" / "e3.nnlab")
    assert np.array_equal(last.predict(X, verbose=0), model.predict(X, verbose=0))
    batches = ModelCheckpoint(str(tmp_path / "b{epoch}-{batch}.nnlab"), save_freq=4)
    model.fit(X, Y, epochs=1, batch_size=8, verbose=0, seed=0, callbacks=[batches])
    assert sorted(p for p in os.listdir(tmp_path) if p.startswith("b")) == ["b1-4.nnlab"]


# -- documentation ----------------------------------------------------------------------
def test_docs_example_runs(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(DOC), "exec"), {})
