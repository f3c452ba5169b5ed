"""The public names that replaced other modules' reach-ins into private attributes:
a tensor's producer, a model's outputs (positions, layers, the multi-output flag), its
resolved metrics and compile arguments, its regularized layers, a layer's build_once and
declared input shape, an optimizer's schedule, Hinge's signed targets and inputs.to_array."""

import numpy as np
import pandas as pd
import pytest

from nnlab.layers import LSTM, Concatenate, Dense, Dropout, Input, InputLayer
from nnlab.models import Model, Sequential, load_model


def _two_outputs():
    x = Input(shape=(3,), name="x")
    h = Dense(4, activation="tanh", name="h")(x)
    label = Dense(2, activation="softmax", name="label")(h)
    value = Dense(1, name="value")(h)
    return Model(x, [label, value])


def _two_output_data(n=12):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 3))
    return X, [np.eye(2)[rng.integers(0, 2, n)], rng.normal(size=(n, 1))]


# -- KerasTensor --------------------------------------------------------------------


def test_a_tensors_producer_is_the_layer_call_that_made_it_and_what_that_call_read():
    x = Input(shape=(3,), name="x")
    dense = Dense(2, name="d")
    h = dense(x)
    both = Concatenate(name="cat")([h, x])
    assert isinstance(x.producer, InputLayer) and x.producer.name == "x"
    assert x.producer_inputs == ()
    assert h.producer is dense and h.producer_inputs[0] is x
    assert both.producer.name == "cat" and both.shape == (None, 5)
    assert [t is s for t, s in zip(both.producer_inputs, (h, x))] == [True, True]


def test_each_output_of_a_return_state_call_is_produced_by_a_selector_reading_the_call():
    x = Input(shape=(4, 2))
    lstm = LSTM(3, return_state=True, name="lstm")
    seq, h, c = lstm(x)
    for i, t in enumerate((seq, h, c)):
        (call,) = t.producer_inputs  # the one multi-output call of the LSTM
        assert call.producer is lstm and t.producer.name == f"lstm_output_{i}"
        assert t.shape == (None, 3)


# -- Model's outputs -------------------------------------------------------------------


def test_multi_output_says_whether_predict_returns_a_list():
    model = _two_outputs()
    X, _ = _two_output_data()
    assert model.multi_output and isinstance(model.predict(X, verbose=0), list)
    x = Input(shape=(3,))
    one = Model(x, [Dense(1)(x)])  # a one-element list is one output, as in Keras
    assert not one.multi_output and one.predict(X, verbose=0).shape == (12, 1)
    assert not Sequential([Dense(2)]).multi_output  # not built yet


def test_output_positions_are_the_nodes_that_write_the_outputs():
    model = _two_outputs()
    nodes = model.graph_nodes
    assert [nodes[p].layer for p in model.output_positions] == model.output_layers
    assert [layer.name for layer in model.output_layers] == ["label", "value"]
    assert [nodes[p].output for p in model.output_positions] == model.output_positions
    X, _ = _two_output_data()
    label = model.output_layers[0]
    A = label.forward(np.tanh(X @ nodes[1].layer.params["kernel"] + nodes[1].layer.params["bias"]))
    np.testing.assert_allclose(model.forward_pass([X.astype("float32")], False)[0], A, rtol=1e-6)
    unbuilt = Sequential([Dense(2)])
    assert unbuilt.output_positions == [] and unbuilt.output_layers == []


# -- compile: the resolved metrics and the arguments as given --------------------------


def test_output_metrics_and_their_log_names_after_compile_and_fit():
    model = _two_outputs()
    model.compile("sgd", ["categorical_crossentropy", "mse"], metrics=[["accuracy"], ["mae"]],
                  weighted_metrics=[[], ["mae"]])
    assert model.output_metrics is None and model.metric_log_names() == []
    X, Y = _two_output_data()
    history = model.fit(X, Y, epochs=1, batch_size=4, verbose=0)
    names = [[m.name for m in ms] for ms in model.output_metrics]
    assert names == [["accuracy"], ["mae", "weighted_mae"]]
    assert [m.weighted for m in model.output_metrics[1]] == [False, True]
    assert model.metric_log_names() == ["label_accuracy", "value_mae", "value_weighted_mae"]
    assert set(model.metric_log_names()) < set(history.history)
    results = model.evaluate(X, Y, verbose=0)  # losses, then the metrics by sorted key
    logs = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert results[3:] == [logs[k] for k in sorted(model.metric_log_names())]


def test_resolve_metrics_keeps_its_first_resolution():
    model = Sequential([Input(shape=(2,)), Dense(3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    one_hot = [np.eye(3)[[0, 1, 2, 1]]]
    resolved = model.resolve_metrics(one_hot)
    assert model.output_metrics is resolved
    assert type(resolved[0][0]).__name__ == "CategoricalAccuracy"  # from one-hot targets
    assert model.resolve_metrics([np.array([0, 1, 2, 1])]) is resolved


def test_compile_arguments_are_what_compile_was_given():
    model = _two_outputs()
    with pytest.raises(RuntimeError, match="compile"):
        _ = model.compile_arguments
    losses = {"label": "categorical_crossentropy", "value": "mse"}
    model.compile("adam", losses, loss_weights=[1.0, 0.5], metrics={"value": ["mae"]})
    assert model.compile_arguments == {"loss": losses, "loss_weights": [1.0, 0.5],
                                       "metrics": {"value": ["mae"]}, "weighted_metrics": None}


def test_regularized_layers_are_the_ones_whose_penalty_is_added():
    from nnlab.regularizers import L2

    penalized = Dense(2, kernel_regularizer=L2(0.1))
    model = Sequential([Input(shape=(3,)), penalized, Dense(1)])
    assert model.regularized_layers == [penalized]
    W = penalized.params["kernel"]
    assert model.penalty() == pytest.approx(0.1 * float(np.sum(W.astype(np.float64) ** 2)))
    assert Sequential([Input(shape=(3,)), Dense(1)]).regularized_layers == []


# -- Layer -------------------------------------------------------------------------------


def test_build_once_builds_the_first_time_then_only_checks_the_shape():
    layer = Dense(3)
    layer.build_once((None, 2))
    kernel = layer.params["kernel"]
    assert layer.built and layer.input_shape == (None, 2) and layer.output_shape == (None, 3)
    assert kernel.shape == (2, 3)
    layer.build_once((None, 2))
    assert layer.params["kernel"] is kernel  # not rebuilt
    with pytest.raises(ValueError, match=r"built for inputs of shape \(None, 2\)"):
        layer.build_once((None, 4))


def test_declared_input_shape_is_what_the_constructor_was_given():
    assert Dense(3, input_shape=(4,)).declared_input_shape == (4,)
    assert Dense(3, input_dim=5).declared_input_shape == (5,)
    assert Dense(3).declared_input_shape is None
    model = Sequential([Dense(3, input_shape=(4,))])  # Sequential builds from it
    assert model.built and model.inputs[0].shape == (None, 4)


# -- the optimizer, the hinge losses, input conversion, Dropout's saved stream ------------


def test_learning_rate_schedule_is_the_schedule_given_or_none():
    from nnlab.optimizers import SGD
    from nnlab.optimizers.schedules import ExponentialDecay

    schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert SGD(schedule).learning_rate_schedule is schedule
    assert SGD(0.1).learning_rate_schedule is None


def test_hinge_signed_targets_map_zero_one_labels_to_minus_one_plus_one():
    from nnlab.losses import Hinge, SquaredHinge

    assert Hinge.signed_targets(np.array([0.0, 1.0, 1.0])).tolist() == [-1.0, 1.0, 1.0]
    signed = np.array([-1.0, 1.0])
    assert Hinge.signed_targets(signed) is signed  # already signed: as given
    # SquaredHinge reads 0 / 1 labels through it: max(1 - y p, 0)^2 with y = -1, +1
    Y, P = np.array([[0.0, 1.0]]), np.array([[0.5, 0.25]])
    expected = np.mean([(1 + 0.5) ** 2, (1 - 0.25) ** 2])
    assert SquaredHinge()(Y, P) == pytest.approx(expected)


def test_to_array_reads_frames_and_refuses_text_naming_the_argument():
    from nnlab.models.inputs import to_array

    frame = pd.DataFrame({"a": [1.0, 2.0], "b": [3.0, 4.0]})
    np.testing.assert_array_equal(to_array(frame, "Input"), [[1.0, 3.0], [2.0, 4.0]])
    with pytest.raises(ValueError, match="Input 'x' must be numeric"):
        to_array([["a", "b"]], "Input 'x'")


def test_a_saved_model_keeps_dropouts_random_stream(tmp_path):
    model = Sequential([Input(shape=(3,)), Dropout(0.5, seed=3), Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((8, 3)), np.ones((8, 1)), epochs=1, batch_size=4, verbose=0)
    model.save(tmp_path / "m.nnlab")
    loaded = load_model(tmp_path / "m.nnlab")
    state = model.layers[0].get_random_state()
    assert loaded.layers[0].get_random_state() == state
    assert state != Dropout(0.5, seed=3).get_random_state()  # fit drew masks
