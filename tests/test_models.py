"""The model API: Sequential and functional construction, summary, weights, compile,
fit / evaluate / predict semantics, seeding, dtypes, errors and the progress output.

Expected values are computed independently with NumPy wherever possible; the Keras 3
semantics checked here are those of /work/shared/KERAS-API.md (sections 1, 8 and 9).
"""

from __future__ import annotations

import numpy as np
import pytest

import nnlab
from nnlab import config, losses, optimizers
from nnlab.callbacks import Callback, History
from nnlab.layers import Add, Concatenate, Dense, Input, InputLayer
from nnlab.models import Model, Sequential
from nnlab.utils import set_random_seed, to_categorical

# -- helpers ------------------------------------------------------------------------


def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _net_342(**kw):
    """The lectures' 3-4-2 network (26 parameters)."""
    return Sequential(
        [Input(shape=(3,)), Dense(4, activation="sigmoid"), Dense(2, activation="softmax")], **kw
    )


def _regression_data(n=8, d=3, k=1, seed=0):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, d)).astype("float32")
    Y = (X @ r.normal(size=(d, k)) + 0.3).astype("float32")
    return X, Y


def _small_mlp(d=3, k=1):
    return Sequential([Input(shape=(d,)), Dense(4, activation="tanh"), Dense(k)])


def _clone_weights(src, dst):
    dst.set_weights(src.get_weights())


def _two_in_two_out(hidden=8):
    a = Input(shape=(3,), name="a")
    b = Input(shape=(2,), name="b")
    h = Concatenate()([Dense(hidden, activation="tanh")(a), Dense(hidden, activation="tanh")(b)])
    cls = Dense(1, activation="sigmoid", name="cls")(h)
    reg = Add(name="reg")([Dense(2)(h), Dense(2)(a)])
    return Model([a, b], [cls, reg])


def _two_in_two_out_data(n=64, seed=0):
    r = np.random.default_rng(seed)
    xa = r.normal(size=(n, 3)).astype("float32")
    xb = r.normal(size=(n, 2)).astype("float32")
    y_cls = (xa[:, 0] + xb[:, 0] > 0).astype("float32")[:, None]
    y_reg = np.stack([0.5 * xa[:, 1] - xb[:, 1], xa[:, 2]], axis=1).astype("float32")
    return xa, xb, y_cls, y_reg


class _BatchRecorder(Callback):
    def __init__(self):
        super().__init__()
        self.batch_logs = []
        self.batches = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)
        self.batch_logs.append(dict(logs))


# == 1. Sequential construction ==========================================================


def test_sequential_from_list_and_via_add_give_the_same_structure():
    listed = Sequential([Input(shape=(3,)), Dense(4), Dense(2)])
    added = Sequential()
    added.add(Input(shape=(3,)))
    added.add(Dense(4))
    added.add(Dense(2))
    assert [layer.name for layer in listed.layers] == ["dense", "dense_1"]
    assert [layer.name for layer in added.layers] == ["dense_2", "dense_3"]
    assert listed.name == "sequential" and added.name == "sequential_1"
    assert [w.shape for w in listed.get_weights()] == [w.shape for w in added.get_weights()]
    assert listed.count_params() == added.count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_input_shape_bare_int_is_accepted():
    # nnlab deviation (documented on Input): a bare int means a one-axis shape.
    model = Sequential([Input(shape=4), Dense(3)])
    assert model.get_weights()[0].shape == (4, 3)
    assert model.predict(np.ones((2, 4)), verbose=0).shape == (2, 3)


def test_input_shape_on_first_layer_builds_immediately():
    model = Sequential([Dense(4, input_shape=(3,)), Dense(2)])
    assert model.built
    assert [w.shape for w in model.get_weights()] == [(3, 4), (4,), (4, 2), (2,)]
    assert model.count_params() == 26
    assert not any(isinstance(layer, InputLayer) for layer in model.layers)


def test_unbuilt_sequential_has_no_weights_and_builds_on_first_fit(rng):
    model = Sequential([Dense(4, activation="tanh"), Dense(1)])
    assert not model.built
    assert model.get_weights() == []
    with pytest.raises(ValueError):
        model.count_params()
    model.compile(optimizer="sgd", loss="mse")
    X = rng.normal(size=(6, 5))
    y = rng.normal(size=(6, 1))
    model.fit(X, y, epochs=1, verbose=0)
    assert model.built
    assert [w.shape for w in model.get_weights()] == [(5, 4), (4,), (4, 1), (1,)]
    assert model.count_params() == 5 * 4 + 4 + 4 + 1


def test_unbuilt_sequential_builds_on_first_predict(rng):
    model = Sequential([Dense(3), Dense(2)])
    out = model.predict(rng.normal(size=(7, 4)), verbose=0)
    assert out.shape == (7, 2)
    assert [w.shape for w in model.get_weights()] == [(4, 3), (3,), (3, 2), (2,)]


def test_sequential_layers_exclude_the_input_layer():
    model = _net_342()
    assert len(model.layers) == 2
    assert all(isinstance(layer, Dense) for layer in model.layers)


def test_second_input_in_sequential_raises():
    with pytest.raises(ValueError, match="Input"):
        Sequential([Input(shape=(3,)), Dense(2), Input(shape=(2,))])
    model = Sequential([Input(shape=(3,))])
    with pytest.raises(ValueError, match="Input"):
        model.add(Input(shape=(3,)))


def test_duplicate_layer_names_raise():
    with pytest.raises(ValueError, match="unique"):
        Sequential([Input(shape=(3,)), Dense(4, name="hidden"), Dense(2, name="hidden")])
    model = Sequential([Input(shape=(3,)), Dense(4, name="h")])
    with pytest.raises(ValueError, match="'h'"):
        model.add(Dense(2, name="h"))


def test_pop_removes_the_last_layer_and_rebuilds(rng):
    model = Sequential([Input(shape=(3,)), Dense(4), Dense(2)])
    popped = model.pop()
    assert popped.name == "dense_1"
    assert [layer.name for layer in model.layers] == ["dense"]
    assert model.count_params() == 16
    assert model.predict(rng.normal(size=(2, 3)), verbose=0).shape == (2, 4)
    model.add(Dense(5))
    assert model.predict(rng.normal(size=(2, 3)), verbose=0).shape == (2, 5)
    model.pop()
    model.pop()
    with pytest.raises(ValueError):
        model.pop()


def test_default_layer_names_follow_keras_global_counters():
    first = Sequential([Input(shape=(2,)), Dense(3), Dense(1)])
    second = Sequential([Input(shape=(2,)), Dense(3)])
    assert [layer.name for layer in first.layers] == ["dense", "dense_1"]
    assert [layer.name for layer in second.layers] == ["dense_2"]


# == 2. summary ============================================================================


def test_summary_of_342_network_reports_26_params():
    model = _net_342()
    lines = []
    assert model.summary(print_fn=lines.append) is None
    text = "\n".join(lines)
    assert "Total params: 26" in text
    assert "Trainable params: 26" in text
    assert "Non-trainable params: 0" in text
    for header in ("Layer (type)", "Output Shape", "Param #"):
        assert header in text
    assert "Connected to" not in text
    assert "dense (Dense)" in text and "dense_1 (Dense)" in text
    assert "(None, 4)" in text and "(None, 2)" in text
    rows = {ln.split()[0]: ln.split() for ln in text.splitlines() if "(Dense)" in ln}
    assert rows["dense"][-1] == str(3 * 4 + 4)
    assert rows["dense_1"][-1] == str(4 * 2 + 2)
    assert model.count_params() == 26
    assert model.count_params() == sum(w.size for w in model.get_weights())


def test_summary_of_non_chain_functional_model_has_connected_to_column():
    model = _two_in_two_out()
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Connected to" in text
    assert "InputLayer" in text
    total = sum(w.size for w in model.get_weights())
    assert f"Total params: {total:,}" in text
    concat_row = next(ln for ln in text.splitlines() if "(Concatenate)" in ln)
    assert "dense" in concat_row and "dense_1" in concat_row


# == 3. get_weights / set_weights ==========================================================


def test_get_weights_order_and_shapes_follow_keras():
    model = Sequential([Input(shape=(3,)), Dense(5), Dense(4, use_bias=False), Dense(2)])
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(3, 5), (5,), (5, 4), (4, 2), (2,)]
    # Biases start at zero (Keras default), kernels do not.
    weights = model.get_weights()
    assert np.all(weights[1] == 0) and np.any(weights[0] != 0)


def test_get_weights_returns_copies():
    model = _net_342()
    w = model.get_weights()
    w[0][...] = 123.0
    assert not np.any(model.get_weights()[0] == 123.0)


def test_set_weights_wrong_count_raises_naming_expected_shapes():
    model = _net_342()
    weights = model.get_weights()
    with pytest.raises(ValueError, match=r"\(3, 4\)") as info:
        model.set_weights(weights[:-1])
    assert "4" in str(info.value) and "3" in str(info.value)


def test_set_weights_wrong_shape_raises_naming_expected_shape():
    model = _net_342()
    weights = model.get_weights()
    weights[2] = np.zeros((2, 4), dtype="float32")  # transposed kernel
    with pytest.raises(ValueError, match=r"\(4, 2\)"):
        model.set_weights(weights)


def test_predict_after_set_weights_matches_numpy_forward(rng):
    model = _net_342()
    W1 = rng.normal(size=(3, 4))
    b1 = rng.normal(size=4)
    W2 = rng.normal(size=(4, 2))
    b2 = rng.normal(size=2)
    model.set_weights([W1, b1, W2, b2])
    X = rng.normal(size=(10, 3))
    W1, b1, W2, b2, X32 = (a.astype(np.float32).astype(np.float64) for a in (W1, b1, W2, b2, X))
    expected = _softmax(_sigmoid(X32 @ W1 + b1) @ W2 + b2)
    got = model.predict(X, verbose=0)
    np.testing.assert_allclose(got, expected, atol=1e-6)
    for w, src in zip(model.get_weights(), [W1, b1, W2, b2]):
        np.testing.assert_array_equal(w, src)


def test_functional_layers_and_weights_are_in_keras_depth_order():
    # Keras 3 orders a functional model's layers by depth (deepest from the outputs
    # first; ties in traversal order: keras/src/ops/function.py map_graph), and
    # get_weights follows model.layers (KERAS-API.md section 8).
    a = Input(shape=(3,), name="in_a")
    b = Input(shape=(2,), name="in_b")
    cat = Concatenate(name="cat")([Dense(4, name="d_a")(a), Dense(4, name="d_b")(b)])
    out1 = Dense(1, name="out1")(cat)
    out2 = Add(name="out2")([Dense(2, name="d_c")(cat), Dense(2, name="d_skip")(a)])
    model = Model([a, b], [out1, out2])
    assert [layer.name for layer in model.layers] == [
        "in_a",
        "in_b",
        "d_a",
        "d_b",
        "cat",
        "d_c",
        "d_skip",
        "out1",
        "out2",
    ]
    assert [w.shape for w in model.get_weights()] == [
        (3, 4),
        (4,),
        (2, 4),
        (4,),
        (8, 2),
        (2,),
        (3, 2),
        (2,),
        (8, 1),
        (1,),
    ]


# == 4. Functional API =====================================================================


def test_functional_two_inputs_two_outputs_trains_and_logs_per_output():
    xa, xb, y_cls, y_reg = _two_in_two_out_data()
    model = _two_in_two_out()
    assert model.output_names == ["cls", "reg"]
    model.compile(
        optimizer=optimizers.Adam(learning_rate=0.01),
        loss=["binary_crossentropy", "mse"],
        loss_weights=[0.5, 2.0],
        metrics=["accuracy"],
    )
    hist = model.fit([xa, xb], [y_cls, y_reg], epochs=30, batch_size=16, verbose=0)
    keys = list(hist.history)
    assert keys == sorted(keys)
    assert set(keys) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_accuracy"}
    assert all(len(v) == 30 for v in hist.history.values())
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["cls_loss"][-1] < hist.history["cls_loss"][0]
    assert hist.history["reg_loss"][-1] < hist.history["reg_loss"][0]
    for i in range(30):
        total = 0.5 * hist.history["cls_loss"][i] + 2.0 * hist.history["reg_loss"][i]
        assert hist.history["loss"][i] == pytest.approx(total, abs=1e-6)


def test_functional_evaluate_total_is_weighted_sum_and_matches_numpy():
    xa, xb, y_cls, y_reg = _two_in_two_out_data(n=40)
    model = _two_in_two_out()
    model.compile(
        optimizer="sgd",
        loss=["binary_crossentropy", "mse"],
        loss_weights=[0.5, 2.0],
        metrics=["accuracy"],
    )
    # Batches of equal size: per-output losses are means of batch means (Keras), which
    # equal the sample means only then (see tests/test_keras_mismatches.py for 16).
    r = model.evaluate([xa, xb], [y_cls, y_reg], batch_size=20, return_dict=True, verbose=0)
    assert set(r) == {"loss", "cls_loss", "reg_loss", "cls_accuracy", "reg_accuracy"}
    assert r["loss"] == pytest.approx(0.5 * r["cls_loss"] + 2.0 * r["reg_loss"], abs=1e-6)
    p_cls, p_reg = model.predict([xa, xb], verbose=0)
    p = np.clip(p_cls.astype(np.float64), 1e-7, 1 - 1e-7)
    bce = -np.mean(y_cls * np.log(p) + (1 - y_cls) * np.log(1 - p))
    mse = np.mean((p_reg.astype(np.float64) - y_reg) ** 2)
    assert r["cls_loss"] == pytest.approx(bce, rel=1e-5)
    assert r["reg_loss"] == pytest.approx(mse, rel=1e-5)
    assert r["cls_accuracy"] == pytest.approx(np.mean((p_cls > 0.5) == (y_cls > 0.5)))
    # The list form (Keras 3): [loss, per-output losses, metrics with sorted keys].
    listed = model.evaluate([xa, xb], [y_cls, y_reg], batch_size=20, verbose=0)
    assert listed == pytest.approx(
        [r["loss"], r["cls_loss"], r["reg_loss"], r["cls_accuracy"], r["reg_accuracy"]]
    )


def test_functional_loss_dict_keyed_by_output_names_equals_list_form():
    xa, xb, y_cls, y_reg = _two_in_two_out_data(n=32)
    as_list = _two_in_two_out()
    as_dict = _two_in_two_out()
    _clone_weights(as_list, as_dict)
    as_list.compile(optimizer="sgd", loss=["binary_crossentropy", "mse"], loss_weights=[0.25, 3.0])
    as_dict.compile(
        optimizer="sgd",
        loss={"reg": "mse", "cls": "binary_crossentropy"},
        loss_weights={"reg": 3.0, "cls": 0.25},
    )
    r_list = as_list.evaluate([xa, xb], [y_cls, y_reg], return_dict=True, verbose=0)
    r_dict = as_dict.evaluate(
        {"a": xa, "b": xb}, {"cls": y_cls, "reg": y_reg}, return_dict=True, verbose=0
    )
    assert r_dict == pytest.approx(r_list)
    assert r_dict["loss"] == pytest.approx(
        0.25 * r_dict["cls_loss"] + 3.0 * r_dict["reg_loss"], abs=1e-6
    )
    h_list = as_list.fit([xa, xb], [y_cls, y_reg], epochs=2, batch_size=8, shuffle=False, verbose=0)
    h_dict = as_dict.fit(
        {"b": xb, "a": xa},
        {"reg": y_reg, "cls": y_cls},
        epochs=2,
        batch_size=8,
        shuffle=False,
        verbose=0,
    )
    assert list(h_dict.history) == list(h_list.history)
    for k in h_list.history:
        assert h_dict.history[k] == pytest.approx(h_list.history[k])


def test_functional_predict_returns_a_list_and_accepts_a_dict_of_inputs():
    xa, xb, _, _ = _two_in_two_out_data(n=10)
    model = _two_in_two_out()
    out = model.predict([xa, xb], batch_size=4, verbose=0)
    assert isinstance(out, list) and len(out) == 2
    assert out[0].shape == (10, 1) and out[1].shape == (10, 2)
    by_name = model.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_array_equal(by_name[0], out[0])
    np.testing.assert_array_equal(by_name[1], out[1])


def test_functional_forward_matches_numpy():
    xa, xb, _, _ = _two_in_two_out_data(n=6)
    model = _two_in_two_out(hidden=3)
    w = [x.astype(np.float64) for x in model.get_weights()]
    by_layer = {}
    k = 0
    for layer in model.layers:
        n = len(layer.get_weights())
        if n:
            by_layer[layer.name] = w[k : k + n]
            k += n
    assert k == len(w) and len(by_layer) == 5
    a64, b64 = xa.astype(np.float64), xb.astype(np.float64)
    # With hidden=3 every Dense kernel has a distinct shape, which identifies its layer.
    ha = next(np.tanh(a64 @ W + bb) for W, bb in by_layer.values() if W.shape == (3, 3))
    hb = next(np.tanh(b64 @ W + bb) for W, bb in by_layer.values() if W.shape == (2, 3))
    h = np.concatenate([ha, hb], axis=1)
    W_cls, b_cls = by_layer["cls"]
    cls = _sigmoid(h @ W_cls + b_cls)
    W_h2, b_h2 = next(v for v in by_layer.values() if v[0].shape == (6, 2))
    W_a2, b_a2 = next(v for v in by_layer.values() if v[0].shape == (3, 2))
    reg = h @ W_h2 + b_h2 + a64 @ W_a2 + b_a2
    p_cls, p_reg = model.predict([xa, xb], verbose=0)
    np.testing.assert_allclose(p_cls, cls, atol=1e-5)
    np.testing.assert_allclose(p_reg, reg, atol=1e-5)


# == 5. fit semantics ======================================================================


def test_fit_returns_history_with_sorted_keys_and_val_entries(rng):
    X, Y = _regression_data(n=12)
    Xv, Yv = _regression_data(n=5, seed=1)
    model = _small_mlp()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    hist = model.fit(X, Y, epochs=4, batch_size=4, validation_data=(Xv, Yv), verbose=0)
    assert isinstance(hist, History)
    assert model.history is hist
    assert list(hist.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 4 for v in hist.history.values())
    assert all(isinstance(v, float) for vals in hist.history.values() for v in vals)
    assert hist.epoch == [0, 1, 2, 3]
    assert hist.params == {"verbose": 0, "epochs": 4, "steps": 3}
    # The last val_loss is the loss of the final weights on the validation data.
    assert hist.history["val_loss"][-1] == pytest.approx(
        model.evaluate(Xv, Yv, verbose=0)[0], rel=1e-6
    )


def test_fit_initial_epoch_runs_epochs_minus_initial_epoch():
    X, Y = _regression_data(n=10)
    opt = optimizers.SGD(learning_rate=0.01)
    model = _small_mlp()
    model.compile(optimizer=opt, loss="mse")
    hist = model.fit(X, Y, epochs=5, initial_epoch=2, batch_size=4, verbose=0)
    assert hist.epoch == [2, 3, 4]
    assert len(hist.history["loss"]) == 3
    assert opt.iterations == 3 * 3  # ceil(10 / 4) steps per epoch


def test_full_batch_fit_is_one_gradient_step_matching_numpy():
    X, Y = _regression_data(n=9, k=2)
    lr = 0.1
    model = Sequential([Input(shape=(3,)), Dense(2)])
    twin = Sequential([Input(shape=(3,)), Dense(2)])
    _clone_weights(model, twin)
    W0, b0 = [w.astype(np.float64) for w in model.get_weights()]
    model.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="mse")
    twin.compile(optimizer=optimizers.SGD(learning_rate=lr), loss="mse")
    model.fit(X, Y, batch_size=100, epochs=1, verbose=0)
    assert model.optimizer.iterations == 1
    twin.train_on_batch(X, Y)
    for got, want in zip(model.get_weights(), twin.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    # Independently: MSE over all n*k entries, dL/dP = 2 (P - Y) / (n k).
    X64 = X.astype(np.float64)
    dP = 2.0 * (X64 @ W0 + b0 - Y) / Y.size
    W1 = W0 - lr * X64.T @ dP
    b1 = b0 - lr * dP.sum(axis=0)
    W, b = model.get_weights()
    np.testing.assert_allclose(W, W1, atol=1e-6)
    np.testing.assert_allclose(b, b1, atol=1e-6)


def test_batch_size_equal_to_n_is_also_full_batch():
    X, Y = _regression_data(n=6)
    opt = optimizers.SGD(learning_rate=0.05)
    model = _small_mlp()
    model.compile(optimizer=opt, loss="mse")
    model.fit(X, Y, batch_size=6, epochs=3, verbose=0)
    assert opt.iterations == 3


def test_batch_size_one_takes_n_steps_per_epoch():
    X, Y = _regression_data(n=7)
    opt = optimizers.SGD(learning_rate=0.01)
    model = _small_mlp()
    model.compile(optimizer=opt, loss="mse")
    hist = model.fit(X, Y, batch_size=1, epochs=2, verbose=0)
    assert opt.iterations == 14
    assert hist.params["steps"] == 7


def test_default_batch_size_is_32():
    X, Y = _regression_data(n=70)
    opt = optimizers.SGD(learning_rate=0.01)
    model = _small_mlp()
    model.compile(optimizer=opt, loss="mse")
    model.fit(X, Y, epochs=1, verbose=0)
    assert opt.iterations == 3  # ceil(70 / 32)


def test_shuffle_false_is_deterministic_and_shuffle_true_depends_on_seed():
    X, Y = _regression_data(n=10)
    base = _small_mlp()
    runs = {}
    for label, shuffle, seed in [("a", False, 1), ("b", False, 2), ("c", True, 1), ("d", True, 2)]:
        model = _small_mlp()
        _clone_weights(base, model)
        model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
        hist = model.fit(X, Y, batch_size=2, epochs=3, shuffle=shuffle, seed=seed, verbose=0)
        runs[label] = (hist.history["loss"], model.get_weights())
    assert runs["a"][0] == runs["b"][0]
    for wa, wb in zip(runs["a"][1], runs["b"][1]):
        np.testing.assert_array_equal(wa, wb)
    assert runs["c"][0] != runs["d"][0]
    assert runs["a"][0] != runs["c"][0]


def test_epoch_loss_is_batch_size_weighted_mean_of_pre_update_batch_losses():
    X, Y = _regression_data(n=5)
    model = _small_mlp()
    replay = _small_mlp()
    _clone_weights(model, replay)
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    replay.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    recorder = _BatchRecorder()
    hist = model.fit(X, Y, batch_size=2, epochs=1, shuffle=False, callbacks=[recorder], verbose=0)
    batch_losses, sizes = [], []
    for start in range(0, 5, 2):
        xb, yb = X[start : start + 2], Y[start : start + 2]
        before = replay.test_on_batch(xb, yb)
        batch_losses.append(replay.train_on_batch(xb, yb))
        assert batch_losses[-1] == pytest.approx(before, rel=1e-6)
        sizes.append(len(xb))
    assert sizes == [2, 2, 1]
    expected = float(np.dot(sizes, batch_losses) / 5)
    assert hist.history["loss"][0] == pytest.approx(expected, rel=1e-6)
    # Batch logs are running means over the epoch so far.
    assert recorder.batches == [0, 1, 2]
    running = np.cumsum(np.multiply(sizes, batch_losses)) / np.cumsum(sizes)
    got = [logs["loss"] for logs in recorder.batch_logs]
    np.testing.assert_allclose(got, running, rtol=1e-6)
    # The last batch log is the epoch value, and the weights match the replay.
    assert got[-1] == pytest.approx(hist.history["loss"][0], rel=1e-12)
    for a, b in zip(model.get_weights(), replay.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # Training changed the loss: the epoch loss is not the loss of the final weights.
    assert model.evaluate(X, Y, verbose=0) != pytest.approx(hist.history["loss"][0], rel=1e-6)


# == 6. Reproducibility ====================================================================


def _seeded_run(seed):
    set_random_seed(seed)
    r = np.random.default_rng(5)
    X = r.normal(size=(16, 3))
    y = to_categorical((X[:, 0] > 0).astype(int), 2)
    model = Sequential(
        [Input(shape=(3,)), Dense(5, activation="relu"), Dense(2, activation="softmax")]
    )
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    hist = model.fit(X, y, batch_size=4, epochs=3, shuffle=True, validation_split=0.25, verbose=0)
    return hist.history, model.get_weights()


def test_same_global_seed_gives_bit_identical_history_and_weights():
    h1, w1 = _seeded_run(0)
    h2, w2 = _seeded_run(0)
    assert h1 == h2
    assert "val_loss" in h1 and "val_accuracy" in h1
    assert len(w1) == len(w2)
    for a, b in zip(w1, w2):
        assert a.dtype == b.dtype
        assert np.array_equal(a, b)
    _, w3 = _seeded_run(1)
    assert not all(np.array_equal(a, b) for a, b in zip(w1, w3))


def test_fit_seed_argument_drives_shuffle_and_split():
    r = np.random.default_rng(3)
    X = r.normal(size=(20, 3))
    y = r.normal(size=(20, 1))
    base = _small_mlp()
    results = []
    for fit_seed, global_seed in [(7, 100), (7, 200), (8, 100)]:
        set_random_seed(global_seed)
        model = _small_mlp()
        _clone_weights(base, model)
        model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse")
        hist = model.fit(
            X, y, batch_size=3, epochs=2, validation_split=0.25, seed=fit_seed, verbose=0
        )
        results.append((hist.history, model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        assert np.array_equal(a, b)
    assert results[0][0] != results[2][0]


# == 7. evaluate / train_on_batch / predict_on_batch =========================================


def test_evaluate_returns_float_without_metrics_list_with_metrics_dict_on_request():
    X, Y = _regression_data(n=10)
    model = _small_mlp()
    model.compile(optimizer="sgd", loss="mse")
    value = model.evaluate(X, Y, verbose=0)
    assert isinstance(value, float)
    P = model.predict(X, verbose=0).astype(np.float64)
    assert value == pytest.approx(np.mean((P - Y) ** 2), rel=1e-5)

    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse"])
    listed = model.evaluate(X, Y, verbose=0)
    assert isinstance(listed, list) and len(listed) == 3
    assert listed[0] == pytest.approx(value, rel=1e-6)
    assert listed[1] == pytest.approx(np.mean(np.abs(P - Y)), rel=1e-5)
    assert listed[2] == pytest.approx(np.mean((P - Y) ** 2), rel=1e-5)
    as_dict = model.evaluate(X, Y, return_dict=True, verbose=0)
    assert set(as_dict) == {"loss", "mae", "mse"}
    assert as_dict["mae"] == pytest.approx(listed[1])


def test_train_on_batch_returns_pre_update_loss_and_changes_weights():
    X, Y = _regression_data(n=8)
    model = _small_mlp()
    model.compile(optimizer=optimizers.SGD(learning_rate=0.05), loss="mse")
    before = model.test_on_batch(X, Y)
    w0 = model.get_weights()
    loss = model.train_on_batch(X, Y)
    assert isinstance(loss, float)
    assert loss == pytest.approx(before, rel=1e-6)
    assert any(not np.array_equal(a, b) for a, b in zip(w0, model.get_weights()))
    after = model.test_on_batch(X, Y)
    assert after < before  # a small gradient step lowers the loss
    assert model.train_on_batch(X, Y) == pytest.approx(after, rel=1e-6)


def test_train_on_batch_with_metrics_returns_list_of_that_batch():
    X, Y = _regression_data(n=8)
    model = _small_mlp()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    P = model.predict(X, verbose=0).astype(np.float64)
    loss, mae = model.train_on_batch(X, Y)
    assert mae == pytest.approx(np.mean(np.abs(P - Y)), rel=1e-5)
    assert loss == pytest.approx(np.mean((P - Y) ** 2), rel=1e-5)
    as_dict = model.train_on_batch(X, Y, return_dict=True)
    assert set(as_dict) == {"loss", "mae"}


def test_predict_on_batch_equals_predict(rng):
    model = _net_342()
    X = rng.normal(size=(11, 3))
    batched = model.predict(X, batch_size=4, verbose=0)
    np.testing.assert_array_equal(model.predict_on_batch(X), batched)
    assert isinstance(model.predict_on_batch(X), np.ndarray)


# == 8. compile =============================================================================


@pytest.mark.parametrize(
    "name, cls",
    [("sgd", optimizers.SGD), ("adam", optimizers.Adam), ("rmsprop", optimizers.RMSprop)],
)
def test_compile_resolves_optimizer_strings(name, cls):
    model = _net_342()
    model.compile(optimizer=name, loss="categorical_crossentropy")
    assert type(model.optimizer) is cls


def test_compile_default_optimizer_is_rmsprop():
    model = _net_342()
    model.compile(loss="mse")
    assert type(model.optimizer) is optimizers.RMSprop


def test_compile_accepts_optimizer_and_loss_objects(rng):
    opt = optimizers.SGD(learning_rate=0.2)
    model = _small_mlp()
    model.compile(optimizer=opt, loss=losses.MeanAbsoluteError())
    assert model.optimizer is opt
    X, Y = _regression_data(n=6)
    P = model.predict(X, verbose=0).astype(np.float64)
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(np.mean(np.abs(P - Y)), rel=1e-5)


def test_compile_loss_strings_compute_keras_formulas(rng):
    model = _net_342()
    X = rng.normal(size=(9, 3))
    Y = to_categorical(rng.integers(0, 2, size=9), 2)
    P = model.predict(X, verbose=0).astype(np.float64)
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    cce = -np.mean(np.sum(Y * np.log(np.clip(P, 1e-7, 1 - 1e-7)), axis=1))
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(cce, rel=1e-5)
    model.compile(optimizer="sgd", loss="mse")
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(np.mean((P - Y) ** 2), rel=1e-5)


def test_accuracy_with_one_output_unit_is_binary_with_strict_threshold():
    model = Sequential([Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.set_weights([np.zeros((2, 1)), np.zeros(1)])  # every prediction is exactly 0.5
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    X = np.ones((4, 2))
    y = np.array([0.0, 0.0, 0.0, 1.0])
    # 0.5 > 0.5 is False, so every sample is predicted 0: 3 of 4 correct.
    acc = model.evaluate(X, y, return_dict=True, verbose=0)["accuracy"]
    assert acc == pytest.approx(0.75)


def test_accuracy_with_one_output_unit_matches_numpy(rng):
    model = Sequential([Input(shape=(3,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    X = rng.normal(size=(40, 3))
    y = (rng.random(40) > 0.5).astype(float)
    P = model.predict(X, verbose=0)[:, 0]
    expected = np.mean((P > 0.5) == (y > 0.5))
    assert 0.0 < expected < 1.0
    assert model.evaluate(X, y, return_dict=True, verbose=0)["accuracy"] == pytest.approx(expected)


@pytest.mark.parametrize("metric", ["accuracy", "sparse_categorical_accuracy"])
@pytest.mark.parametrize("label_shape", [(30,), (30, 1)])
def test_accuracy_with_integer_labels_is_sparse_categorical(rng, label_shape, metric):
    model = Sequential([Input(shape=(3,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[metric])
    X = rng.normal(size=(30, 3))
    labels = rng.integers(0, 3, size=30)
    P = model.predict(X, verbose=0)
    expected = np.mean(P.argmax(axis=1) == labels)
    assert 0.0 < expected < 1.0
    got = model.evaluate(X, labels.reshape(label_shape), return_dict=True, verbose=0)[metric]
    assert got == pytest.approx(expected)
    # And the loss is the cross-entropy of the true class.
    loss = model.evaluate(X, labels.reshape(label_shape), verbose=0)[0]
    assert loss == pytest.approx(-np.mean(np.log(P[np.arange(30), labels])), rel=1e-5)


def test_accuracy_with_one_hot_targets_is_categorical(rng):
    model = Sequential([Input(shape=(3,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    X = rng.normal(size=(30, 3))
    labels = rng.integers(0, 3, size=30)
    P = model.predict(X, verbose=0)
    expected = np.mean(P.argmax(axis=1) == labels)
    assert 0.0 < expected < 1.0
    got = model.evaluate(X, to_categorical(labels, 3), return_dict=True, verbose=0)["accuracy"]
    assert got == pytest.approx(expected)


def test_metric_key_is_the_string_as_given():
    X, Y = _regression_data(n=8)
    y = (Y[:, 0] > np.median(Y)).astype(float)
    model = Sequential([Input(shape=(3,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["acc", "mse", "mae"])
    hist = model.fit(X, y, epochs=2, verbose=0)
    assert list(hist.history) == ["acc", "loss", "mae", "mse"]
    r = model.evaluate(X, y, return_dict=True, verbose=0)
    assert set(r) == {"loss", "acc", "mse", "mae"}
    P = model.predict(X, verbose=0)[:, 0].astype(np.float64)
    assert r["acc"] == pytest.approx(np.mean((P > 0.5) == (y > 0.5)))
    assert r["mse"] == pytest.approx(np.mean((P - y) ** 2), rel=1e-5)
    assert r["mae"] == pytest.approx(np.mean(np.abs(P - y)), rel=1e-5)


def test_seed_002_compile_trains_3_input_2_output_softmax_network():
    r = np.random.default_rng(2)
    X = r.normal(size=(200, 3))
    labels = (X @ np.array([1.5, -1.0, 0.5]) > 0).astype(int)
    y = to_categorical(labels, 2)
    model = Sequential(
        [Input(shape=(3,)), Dense(4, activation="sigmoid"), Dense(2, activation="softmax")]
    )
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    hist = model.fit(X, y, epochs=40, batch_size=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert hist.history["accuracy"][-1] >= 0.9
    _, acc = model.evaluate(X, y, verbose=0)
    assert acc >= 0.9
    assert acc == pytest.approx(np.mean(model.predict(X, verbose=0).argmax(axis=1) == labels))


# == 9. Clear errors raised early ============================================================


def test_fit_before_compile_raises_runtime_error():
    X, Y = _regression_data(n=4)
    model = _small_mlp()
    with pytest.raises(RuntimeError, match="compile"):
        model.fit(X, Y, verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(X, Y, verbose=0)


def test_wrong_number_of_features_raises_with_expected_shape(rng):
    model = Sequential([Input(shape=(4,)), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    w0 = model.get_weights()
    X = rng.normal(size=(5, 3))
    with pytest.raises(ValueError, match=r"\(n, 4\)") as info:
        model.fit(X, rng.normal(size=(5, 2)), verbose=0)
    assert "(5, 3)" in str(info.value)
    with pytest.raises(ValueError, match=r"\(n, 4\)"):
        model.predict(X, verbose=0)
    for a, b in zip(w0, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("label_shape", [(6,), (6, 1)])
def test_integer_labels_with_categorical_crossentropy_hint_to_categorical(label_shape):
    model = Sequential([Input(shape=(2,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    X = np.ones((6, 2))
    y = np.array([0, 1, 2, 0, 1, 2]).reshape(label_shape)
    with pytest.raises(ValueError, match="to_categorical"):
        model.fit(X, y, verbose=0)


def test_nan_in_x_raises_before_training():
    X, Y = _regression_data(n=6)
    X[2, 1] = np.nan
    model = _small_mlp()
    model.compile(optimizer="sgd", loss="mse")
    w0 = model.get_weights()
    with pytest.raises(ValueError, match="NaN"):
        model.fit(X, Y, verbose=0)
    for a, b in zip(w0, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_mismatched_sample_counts_raise():
    X, Y = _regression_data(n=6)
    model = _small_mlp()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(X, Y[:5], verbose=0)
    xa, xb, y_cls, y_reg = _two_in_two_out_data(n=6)
    fm = _two_in_two_out()
    fm.compile(optimizer="sgd", loss=["binary_crossentropy", "mse"])
    with pytest.raises(ValueError, match="same number of samples"):
        fm.fit([xa, xb[:4]], [y_cls, y_reg], verbose=0)


@pytest.mark.parametrize("units", [0, -3, 2.5, "4", True, None])
def test_dense_rejects_non_positive_int_units(units):
    with pytest.raises(ValueError, match="positive int"):
        Dense(units=units)


def test_unknown_activation_lists_valid_names():
    with pytest.raises(ValueError, match="relux") as info:
        Dense(3, activation="relux")
    for name in ("relu", "sigmoid", "softmax", "tanh"):
        assert name in str(info.value)


def test_unknown_loss_lists_valid_names():
    model = _net_342()
    with pytest.raises(ValueError, match="categorical_crossentropy") as info:
        model.compile(optimizer="sgd", loss="categorical_crossentropyy")
    assert "mean_squared_error" in str(info.value)


def test_unknown_optimizer_lists_valid_names():
    model = _net_342()
    with pytest.raises(ValueError, match="adam") as info:
        model.compile(optimizer="adamax2", loss="mse")
    assert "sgd" in str(info.value) and "rmsprop" in str(info.value)


def test_unknown_metric_lists_valid_names():
    X, Y = _regression_data(n=4)
    model = _small_mlp()
    with pytest.raises(ValueError, match="accuracy"):  # at compile, before any data
        model.compile(optimizer="sgd", loss="mse", metrics=["r2_score_x"])


def test_step_activation_fails_at_compile_mentioning_perceptron():
    model = Sequential([Input(shape=(2,)), Dense(1, activation="step")])
    with pytest.raises(ValueError, match="Perceptron"):
        model.compile(optimizer="sgd", loss="mse")


def test_binary_crossentropy_targets_outside_unit_interval_raise():
    model = Sequential([Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        model.fit(np.ones((4, 2)), np.array([0.0, 1.0, 2.0, 1.0]), verbose=0)


def test_class_weight_with_sample_weight_raises():
    model = Sequential([Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(
            np.ones((4, 2)),
            np.array([0.0, 1.0, 0.0, 1.0]),
            class_weight={0: 1.0, 1: 2.0},
            sample_weight=np.ones(4),
            verbose=0,
        )


# == 10. to_categorical and dtypes =============================================================


def test_to_categorical_semantics():
    out = to_categorical([0, 2, 1])
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, np.eye(3)[[0, 2, 1]])
    column = to_categorical(np.array([[1], [0], [1]], dtype=np.int32))
    assert column.shape == (3, 2)
    np.testing.assert_array_equal(column, [[0, 1], [1, 0], [0, 1]])
    wide = to_categorical(np.array([1, 0]), num_classes=4)
    np.testing.assert_array_equal(wide, [[0, 1, 0, 0], [1, 0, 0, 0]])
    grid = to_categorical(np.array([[0, 1], [2, 2]]))
    assert grid.shape == (2, 2, 3)
    assert grid[1, 0, 2] == 1.0 and grid.sum() == 4.0


def test_set_floatx_float64_makes_new_layers_and_predictions_float64(float64, rng):
    assert config.floatx() == "float64"
    model = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"), Dense(2)])
    assert all(w.dtype == np.float64 for w in model.get_weights())
    out = model.predict(rng.normal(size=(5, 3)).astype(np.float32), verbose=0)
    assert out.dtype == np.float64
    model.compile(optimizer="adam", loss="mse")
    model.fit(rng.normal(size=(5, 3)), rng.normal(size=(5, 2)), epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())


def test_float32_model_stays_float32_through_fit(rng):
    model = Sequential(
        [Input(shape=(3,)), Dense(4, activation="sigmoid"), Dense(2, activation="softmax")]
    )
    opt = optimizers.Adam(learning_rate=0.01)
    model.compile(optimizer=opt, loss="categorical_crossentropy", metrics=["accuracy"])
    X = rng.normal(size=(12, 3))  # float64 data
    y = to_categorical(rng.integers(0, 2, size=12), 2)  # float64 targets
    model.fit(X, y, batch_size=4, epochs=2, validation_split=0.25, verbose=0)
    assert all(w.dtype == np.float32 for w in model.get_weights())
    assert all(arr.dtype == np.float32 for slot in opt.get_slots() for arr in slot.values())
    assert model.predict(X, verbose=0).dtype == np.float32
    assert model.predict_on_batch(X).dtype == np.float32
    assert all(layer.last_Z.dtype == np.float32 for layer in model.layers)


@pytest.mark.parametrize("built_as, switched_to", [("float32", "float64"), ("float64", "float32")])
def test_existing_model_keeps_its_dtype_after_set_floatx(rng, built_as, switched_to):
    # Keras fixes a layer's dtype policy when the layer is created; set_floatx only
    # affects layers created afterwards (KERAS-API.md sections 1 and 10).
    config.set_floatx(built_as)
    model = Sequential([Input(shape=(3,)), Dense(2)])
    config.set_floatx(switched_to)
    assert model.predict(rng.normal(size=(4, 3)), verbose=0).dtype == np.dtype(built_as)
    assert model.layers[0].dtype == np.dtype(built_as)
    lines = []
    model.summary(print_fn=lines.append)
    itemsize = np.dtype(built_as).itemsize
    assert f"Total params: 8 ({8 * itemsize} B)" in "\n".join(lines)


# == 11. Multi-label ==========================================================================


def _multilabel_data(n=96, seed=4):
    r = np.random.default_rng(seed)
    X = r.normal(size=(n, 4))
    Y = np.stack([X[:, 0] > 0, X[:, 1] + X[:, 2] > 0, X[:, 3] < 0.3], axis=1).astype(float)
    return X, Y


def test_multilabel_sigmoid_binary_crossentropy_trains():
    X, Y = _multilabel_data()
    assert np.any(Y.sum(axis=1) > 1)  # genuinely multi-label
    model = Sequential(
        [Input(shape=(4,)), Dense(8, activation="tanh"), Dense(3, activation="sigmoid")]
    )
    model.compile(
        optimizer=optimizers.Adam(learning_rate=0.03),
        loss="binary_crossentropy",
        metrics=["binary_accuracy"],
    )
    hist = model.fit(X, Y, batch_size=16, epochs=30, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    P = model.predict(X, verbose=0)
    per_label = np.mean((P > 0.5) == (Y > 0.5))
    assert per_label >= 0.9
    r = model.evaluate(X, Y, return_dict=True, verbose=0)
    assert r["binary_accuracy"] == pytest.approx(per_label)
    p = np.clip(P.astype(np.float64), 1e-7, 1 - 1e-7)
    bce = -np.mean(Y * np.log(p) + (1 - Y) * np.log(1 - p))
    assert r["loss"] == pytest.approx(bce, rel=1e-4)


def test_multilabel_accuracy_string_follows_keras_shape_rule():
    # Keras 3 (compile_utils.get_metric, KERAS-API.md section 8) decides 'accuracy' from
    # the shapes only: 3 output units with (n, 3) targets -> CategoricalAccuracy, even
    # with binary_crossentropy. 'binary_accuracy' must be asked for by name.
    X, Y = _multilabel_data(n=40)
    model = Sequential([Input(shape=(4,)), Dense(3, activation="sigmoid")])
    model.compile(
        optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", "binary_accuracy"]
    )
    P = model.predict(X, verbose=0)
    categorical = np.mean(P.argmax(axis=1) == Y.argmax(axis=1))
    binary = np.mean((P > 0.5) == (Y > 0.5))
    assert categorical != pytest.approx(binary)
    r = model.evaluate(X, Y, return_dict=True, verbose=0)
    assert r["accuracy"] == pytest.approx(categorical)
    assert r["binary_accuracy"] == pytest.approx(binary)


# == 12. Progress output =======================================================================


def test_verbose_2_prints_one_line_per_epoch(capsys):
    X, Y = _regression_data(n=10)
    Xv, Yv = _regression_data(n=4, seed=1)
    model = _small_mlp()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=3, batch_size=2, validation_data=(Xv, Yv), verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines, start=1):
        assert line.startswith(f"Epoch {i}/3")
        assert "loss" in line and "val_loss" in line


def test_verbose_0_prints_nothing(capsys):
    X, Y = _regression_data(n=10)
    model = _small_mlp()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    model.fit(X, Y, epochs=3, batch_size=2, validation_split=0.2, verbose=0)
    model.evaluate(X, Y, verbose=0)
    model.predict(X, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_nnlab_top_level_exports_the_model_api():
    assert nnlab.Sequential is Sequential and nnlab.Model is Model and nnlab.Input is Input


def test_unit_rows_marks_only_fused_outputs_whose_target_rows_sum_to_one():
    from nnlab.step import unit_rows as _unit_rows

    model = Sequential([Input(shape=(3,)), Dense(4, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    one_hot = np.eye(4, dtype=np.float32)[[0, 3, 1]]
    soft = np.full((3, 4), 0.3, dtype=np.float32)  # rows sum to 1.2
    assert _unit_rows(model, [one_hot]) == [True]
    assert _unit_rows(model, [soft]) == [False]
    model.compile(optimizer="sgd", loss="mse")  # not the fused pair
    assert _unit_rows(model, [one_hot]) == [False]


def test_training_on_targets_whose_rows_do_not_sum_to_one_uses_their_sum(float64):
    """The fused gradient is (A sum(Y) - Y) / n; one step of SGD(lr=1) on a one-layer
    softmax model, by hand."""
    model = Sequential(
        [Input(shape=(2,)), Dense(2, activation="softmax", kernel_initializer="zeros")]
    )
    model.compile(optimizer=optimizers.SGD(learning_rate=1.0), loss="categorical_crossentropy")
    X = np.array([[1.0, 2.0]])
    Y = np.array([[0.9, 0.6]])  # sums to 1.5
    model.fit(X, Y, epochs=1, batch_size=1, shuffle=False, verbose=0, gradient_health=False)
    dZ = np.array([[0.5 * 1.5 - 0.9, 0.5 * 1.5 - 0.6]])  # A = (0.5, 0.5)
    np.testing.assert_allclose(model.layers[0].params["kernel"], -X.T @ dZ, rtol=1e-12)
    np.testing.assert_allclose(model.layers[0].params["bias"], -dZ[0], rtol=1e-12)


def test_a_bool_input_is_held_as_floats_as_keras_accepts_it():
    """Keras accepts Input(dtype="bool"); nnlab holds the values in floatx() as 0 and 1,
    the same model as a float Input given the same numbers."""
    X = np.array([[True, False, True], [False, True, True], [True, True, False]])
    y = np.array([1.0, 0.0, 1.0])
    as_bool = Sequential([Input(shape=(3,), dtype="bool"), Dense(1, activation="sigmoid")])
    as_float = Sequential([Input(shape=(3,)), Dense(1, activation="sigmoid")])
    assert as_bool.inputs[0].dtype == "float32"
    as_float.set_weights(as_bool.get_weights())
    for model, x in ((as_bool, X), (as_float, X.astype("float32"))):
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        model.fit(x, y, epochs=3, verbose=0, shuffle=False)
    np.testing.assert_array_equal(
        as_bool.predict(X, verbose=0), as_float.predict(X.astype("float32"), verbose=0)
    )
