"""Keras's introspection and cloning on nnlab models: model.input / output / shapes,
layer.input / output on Sequential models too (feature extraction), model.losses,
get_config / from_config, to_json / model_from_json, clone_model; LambdaCallback."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import losses, metrics, optimizers
from nnlab.callbacks import LambdaCallback
from nnlab.layers import BatchNormalization, Concatenate, Dense, Dropout, Input
from nnlab.models import Model, Sequential, clone_model, model_from_json


def _seq():
    return Sequential([Input(shape=(3,)), Dense(4, activation="relu", kernel_regularizer="l2"),
                       BatchNormalization(), Dropout(0.5), Dense(2, activation="softmax")])


def test_hidden_features_of_a_sequential_model(float64):
    model = _seq()
    features = Model(model.input, model.layers[0].output)
    x = np.random.default_rng(0).normal(size=(5, 3))
    W, b = model.layers[0].get_weights()
    np.testing.assert_allclose(features.predict(x, verbose=0), np.maximum(x @ W + b, 0))
    assert model.layers[1].input is model.layers[0].output


def test_shapes_inputs_and_outputs():
    model = _seq()
    assert model.input_shape == (None, 3) and model.output_shape == (None, 2)
    assert model.inputs == [model.input] and model.outputs == [model.output]
    a, b = Input(shape=(2,)), Input(shape=(3,))
    fun = Model([a, b], [Dense(1)(Concatenate()([a, b])), Dense(2)(a)])
    assert fun.input_shape == [(None, 2), (None, 3)]
    assert fun.output_shape == [(None, 1), (None, 2)]
    with pytest.raises(AttributeError, match="not built"):
        _ = Sequential([Dense(2)]).input
    with pytest.raises(ValueError, match="never been called"):
        _ = Dense(3).output


def test_model_losses_are_the_weight_penalties(float64):
    model = _seq()
    W = model.layers[0].get_weights()[0]
    assert model.losses == pytest.approx([0.01 * np.sum(W**2)])
    model.layers[0].trainable = False
    assert model.losses == []


def test_config_json_and_clone_rebuild_the_architecture_with_fresh_weights(float64):
    model = _seq()
    for rebuilt in (Model.from_config(model.get_config()), model_from_json(model.to_json()),
                    clone_model(model)):
        assert [type(la).__name__ for la in rebuilt.layers] == [
            type(la).__name__ for la in model.layers]
        assert [la.get_config()["name"] for la in rebuilt.layers] == [
            la.name for la in model.layers]
        assert [w.shape for w in rebuilt.get_weights()] == [w.shape for w in model.get_weights()]
        assert not np.array_equal(rebuilt.get_weights()[0], model.get_weights()[0])
        rebuilt.set_weights(model.get_weights())
        x = np.ones((2, 3))
        np.testing.assert_array_equal(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0))


def test_from_config_refuses_unknown_classes():
    from nnlab.models.model_file import ModelFileError

    config = _seq().get_config()
    config["layers"][1]["class_name"] = "Lambda"
    with pytest.raises(ModelFileError, match="Lambda"):
        Model.from_config(config)


def test_optimizer_loss_metric_configs_round_trip():
    opt = optimizers.Nadam(0.01, beta_1=0.8)
    again = optimizers.Nadam.from_config(opt.get_config())
    assert again.get_config() == opt.get_config() and again.iterations == 0
    loss = losses.BinaryFocalCrossentropy(gamma=3.0, reduction="sum")
    assert losses.BinaryFocalCrossentropy.from_config(loss.get_config()).get_config() == (
        loss.get_config())
    auc = metrics.AUC(curve="PR", num_thresholds=50)
    assert metrics.AUC.from_config(auc.get_config()).get_config() == auc.get_config()


def test_lambda_callback_calls_only_the_given_hooks():
    seen = []
    cb = LambdaCallback(on_train_begin=lambda logs: seen.append("begin"),
                        on_epoch_end=lambda epoch, logs: seen.append((epoch, sorted(logs))),
                        on_batch_end=lambda batch, logs: seen.append(("batch", batch)))
    model = Sequential([Input(shape=(2,)), Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 2)), np.ones(4), batch_size=2, epochs=2, verbose=0, callbacks=[cb],
              gradient_health=False)
    assert seen == ["begin", ("batch", 0), ("batch", 1), (0, ["loss"]),
                    ("batch", 0), ("batch", 1), (1, ["loss"])]
    with pytest.raises(ValueError, match="unknown hooks"):
        LambdaCallback(on_epoch_ending=print)


def test_tensorboard_writes_event_files_tensorboard_reads(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from nnlab.callbacks import TensorBoard

    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 3)), rng.normal(size=(16, 1))
    model = Sequential([Input(shape=(3,)), Dense(2, activation="tanh"), Dense(1)])
    model.compile("sgd", "mse", metrics=["mae"])
    hist = model.fit(x, y, epochs=3, batch_size=8, verbose=0, validation_data=(x[:4], y[:4]),
                     callbacks=[TensorBoard(tmp_path, histogram_freq=1)])
    train = EventAccumulator(str(tmp_path / "train"), size_guidance={"histograms": 0}).Reload()
    val = EventAccumulator(str(tmp_path / "validation")).Reload()
    assert {"epoch_loss", "epoch_mae"} <= set(train.Tags()["scalars"])
    assert [e.value for e in val.Scalars("epoch_loss")] == pytest.approx(
        hist.history["val_loss"], rel=1e-6)
    assert [e.step for e in train.Scalars("epoch_mae")] == [0, 1, 2]
    names = set(train.Tags()["histograms"])
    layer = model.layers[0].name
    assert {f"{layer}/kernel", f"{layer}/kernel_gradient", f"{layer}/bias"} <= names
    with pytest.raises(ValueError, match="update_freq"):
        TensorBoard(tmp_path, update_freq="batch")
