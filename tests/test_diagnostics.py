"""Training diagnostics: learning-curve diagnosis, gradient health, FLOPs and memory.

Each diagnosis is checked on a run built to show it (seed 000 and 003: over- and
underfitting, vanishing gradients, dead ReLU units; divergence from a huge learning
rate); the memory and FLOP counts against sums written out by hand (seed 004's quiz).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from sklearn.datasets import make_circles

from nnlab import initializers, optimizers
from nnlab.diagnostics.curves import diagnose
from nnlab.diagnostics.health import GradientNormRecorder, diagnose_gradients
from nnlab.diagnostics.memory import flops_per_sample, memory_budget, memory_estimate
from nnlab.layers import Dense, Input
from nnlab.models import Sequential
from nnlab.training import DivergenceWarning

DOCS = Path(__file__).resolve().parents[1] / "docs" / "memory.md"


def _circles(n=200, seed=0):
    X, y = make_circles(n, noise=0.05, factor=0.5, random_state=seed)
    return X.astype("float32"), y.reshape(-1, 1).astype("float32")


def _names(findings):
    return [f.name for f in findings]


# == learning curves ==================================================================


def test_overfitting_on_tiny_noisy_training_set_reports_best_epoch():
    r = np.random.default_rng(0)
    X = r.uniform(-1, 1, (16, 1)).astype("float32")
    Xv = r.uniform(-1, 1, (200, 1)).astype("float32")
    y = (np.sin(3 * X) + r.normal(0, 0.3, X.shape)).astype("float32")
    yv = (np.sin(3 * Xv) + r.normal(0, 0.3, Xv.shape)).astype("float32")
    model = Sequential(
        [Input(shape=(1,)), Dense(64, activation="tanh"), Dense(64, activation="tanh"), Dense(1)]
    )
    model.compile(optimizers.Adam(0.01), "mse")
    history = model.fit(
        X, y, epochs=300, batch_size=16, verbose=0, validation_data=(Xv, yv), seed=0
    )
    d = diagnose(history)
    assert d.label == "overfitting", d
    val = history.history["val_loss"]
    assert d.best_epoch == int(np.argmin(val)) < 250
    assert f"epoch {d.best_epoch + 1}" in d.message
    assert history.history["loss"][-1] < history.history["loss"][d.best_epoch]


def test_underfitting_of_linear_model_on_circles():
    X, y = _circles(300)
    model = Sequential([Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.compile(optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(X, y, epochs=60, batch_size=300, verbose=0, validation_split=0.25, seed=0)
    d = diagnose(history)
    assert d.label == "underfitting", d
    assert d.details["train_accuracy"] < 0.75
    assert "capacity" in d.message


def test_divergence_with_huge_learning_rate_on_unscaled_data():
    r = np.random.default_rng(0)
    X = r.uniform(0, 1e4, (64, 3)).astype("float32")  # unscaled: huge gradients
    y = X.sum(axis=1, keepdims=True)
    model = Sequential([Input(shape=(3,)), Dense(8, activation="relu"), Dense(1)])
    model.compile(optimizers.SGD(1e3), "mse")
    with pytest.warns(DivergenceWarning):
        history = model.fit(X, y, epochs=20, batch_size=16, verbose=0, seed=0)
    d = diagnose(history)
    assert d.label == "diverging"
    assert "learning rate" in d.message
    assert "exploding gradients" in _names(diagnose_gradients(history))


def test_good_fit_of_mlp_on_circles_and_no_gradient_findings():
    X, y = _circles(300)
    model = Sequential(
        [Input(shape=(2,)), Dense(16, activation="relu"), Dense(1, activation="sigmoid")]
    )
    model.compile(optimizers.Adam(0.05), "binary_crossentropy", metrics=["accuracy"])
    history = model.fit(X, y, epochs=150, batch_size=300, verbose=0, validation_split=0.25, seed=0)
    assert diagnose(history).label == "good fit"
    assert diagnose_gradients(history) == []
    assert diagnose_gradients(model) == []  # the model's last History


@pytest.mark.parametrize(
    "logs, label",
    [
        ({"loss": [1.0, 0.8, 0.6, 0.45, 0.35, 0.25]}, "still improving"),
        ({"loss": [1.0, 0.7, 0.5], "val_loss": [1.1, 0.8, 0.6]}, "still improving"),
        ({"loss": [1.0, 0.9]}, "still improving"),  # too short to judge
        ({"loss": [1.0, 0.3, 0.1, 0.1, 0.1, 0.1]}, "good fit"),
        ({"loss": [1.0, 2.0, 5.0, 40.0]}, "diverging"),
        ({"loss": [1.0, float("nan")]}, "diverging"),
        (
            {"loss": [1.0, 0.5, 0.3, 0.2, 0.15, 0.1], "val_loss": [1, 0.6, 0.5, 0.6, 0.7, 0.8]},
            "overfitting",
        ),
        ({"loss": [0.70, 0.69, 0.69, 0.69, 0.69, 0.69]}, "underfitting"),
    ],
)
def test_diagnosis_rules_on_hand_made_curves(logs, label):
    assert diagnose(logs).label == label


# == gradient health ==================================================================


def test_vanishing_gradients_in_deep_sigmoid_network():
    X, y = _circles(128)
    model = Sequential(
        [Input(shape=(2,))]
        + [Dense(16, activation="sigmoid") for _ in range(10)]
        + [Dense(1, activation="sigmoid")]
    )
    model.compile(optimizers.SGD(0.1), "binary_crossentropy")
    history = model.fit(X, y, epochs=4, batch_size=32, verbose=0, seed=0)
    names = [layer.name for layer in model.layers]
    assert list(history.gradient_norms) == names
    assert all(len(v) == 4 for v in history.gradient_norms.values())
    (finding,) = [f for f in diagnose_gradients(history) if f.name == "vanishing gradients"]
    assert finding.layers[0] == names[0]
    assert finding.values[names[0]] < 1e-3 * finding.values[names[-1]]
    assert "ReLU" in finding.advice and "initialization" in finding.advice


def test_dead_relu_units_from_large_negative_bias():
    X, y = _circles(128)
    first = Dense(32, activation="relu", bias_initializer=initializers.Constant(-10.0))
    model = Sequential(
        [Input(shape=(2,)), first, Dense(8, activation="relu"), Dense(1, activation="sigmoid")]
    )
    model.compile(optimizers.SGD(0.1), "binary_crossentropy")
    history = model.fit(X, y, epochs=3, batch_size=32, verbose=0, seed=0)
    assert history.dead_units[first.name] == [1.0, 1.0, 1.0]
    assert history.unit_counts[first.name] == 32
    (finding,) = [f for f in diagnose_gradients(history) if f.name == "dead ReLU units"]
    assert first.name in finding.layers
    assert f"{first.name}: 32 of 32 units" in finding.message
    assert "positive" in finding.advice


def test_recorded_norms_are_the_last_batch_gradients():
    X, y = _circles(100)
    model = Sequential([Input(shape=(2,)), Dense(8, activation="tanh"), Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(X, y, epochs=3, batch_size=32, verbose=0, seed=0)
    for layer in model.layers:
        expected = np.linalg.norm(layer.grads["kernel"].astype("float64"))
        assert history.gradient_norms[layer.name][-1] == pytest.approx(expected, rel=1e-5)
    total = np.linalg.norm(model.parameter_store.dW.astype("float64"))
    assert history.global_gradient_norms[-1] == pytest.approx(total, rel=1e-5)
    assert len(history.global_gradient_norms) == 3


def test_recording_gradient_health_does_not_change_training():
    X, y = _circles(100)
    initial, results = None, []
    for record in (True, False):
        model = Sequential(
            [Input(shape=(2,)), Dense(8, activation="relu"), Dense(1, activation="sigmoid")]
        )
        if initial is None:
            initial = model.get_weights()
        model.set_weights(initial)
        model.compile(optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
        h = model.fit(
            X,
            y,
            epochs=5,
            batch_size=16,
            verbose=0,
            seed=3,
            validation_split=0.2,
            gradient_health=record,
        )
        results.append((model.get_weights(), h.history))
    (w1, h1), (w2, h2) = results
    assert all(np.array_equal(a, b) for a, b in zip(w1, w2))
    assert h1 == h2


def test_gradient_health_can_be_turned_off_and_added_as_callback():
    X, y = _circles(64)
    model = Sequential([Input(shape=(2,)), Dense(4, activation="relu"), Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(X, y, epochs=2, verbose=0, gradient_health=False)
    assert not hasattr(history, "gradient_norms")
    with pytest.raises(ValueError, match="gradient_health=True"):
        diagnose_gradients(history)
    recorder = GradientNormRecorder()
    history = model.fit(X, y, epochs=2, verbose=0, gradient_health=False, callbacks=[recorder])
    assert history.gradient_norms is recorder.gradient_norms
    assert len(recorder.gradient_norms[model.layers[0].name]) == 2


# == FLOPs and memory =================================================================


def _small_model(optimizer):
    # 3 -> Dense(5, relu) -> Dense(2, no bias)
    model = Sequential([Input(shape=(3,)), Dense(5, activation="relu"), Dense(2, use_bias=False)])
    model.compile(optimizer, "mse")
    return model


def test_flops_match_hand_count():
    # Dense(3 -> 5) with bias: 2*3*5 + 5 = 35; Dense(5 -> 2) without bias: 2*5*2 = 20.
    assert flops_per_sample(_small_model("sgd")) == 35 + 20


@pytest.mark.parametrize(
    "optimizer, slots",
    [
        (optimizers.SGD(), 0),
        (optimizers.SGD(momentum=0.9), 1),
        (optimizers.Adam(), 2),
        (optimizers.RMSprop(centered=True, momentum=0.9), 3),
        (optimizers.Adagrad(), 1),
        (optimizers.Adadelta(), 2),
    ],
)
def test_memory_estimate_matches_hand_count(optimizer, slots):
    # Parameters: 3*5 + 5 = 20 and 5*2 = 10, 30 in all; float32, 4 bytes each.
    #   parameters 30 * 4 = 120 B; gradients 30 * 4 = 120 B (one copy for the batch);
    #   optimizer state slots * 120 B (plain SGD 0, Adam 2: m and v);
    #   activations: batch 8 x (5 + 2) outputs x 4 B = 224 B; inputs 8 x 3 x 4 B = 96 B.
    # SGD total: 120 + 120 + 0 + 224 + 96 = 560 B; Adam: 560 + 240 = 800 B.
    est = memory_estimate(_small_model(optimizer), batch_size=8)
    assert (est.parameters, est.gradients) == (120, 120)
    assert est.optimizer_slots == slots and est.optimizer_state == slots * 120
    assert (est.activations, est.inputs) == (224, 96)
    assert est.total == 560 + slots * 120
    if slots in (0, 2):
        assert est.total == {0: 560, 2: 800}[slots]


def test_memory_estimate_in_float64_doubles_and_counts_frozen_weights(float64):
    model = _small_model("adam")
    model.layers[1].trainable = False  # 10 frozen weights: no gradient, no Adam slots
    est = memory_estimate(model, batch_size=1)
    assert est.bytes_per_value == 8
    assert (est.parameters, est.gradients, est.optimizer_state) == (30 * 8, 20 * 8, 2 * 20 * 8)
    with pytest.raises(ValueError, match="batch_size"):
        memory_estimate(model, batch_size=0)


def test_summary_with_batch_size_prints_flops_and_memory():
    model = _small_model("adam")
    plain, extended = [], []
    model.summary(print_fn=plain.append)
    model.summary(print_fn=extended.append, batch_size=8)
    assert "FLOPs" not in plain[0]
    text = extended[0]
    assert text.startswith(plain[0])
    assert "FLOPs per sample (forward, multiply-add = 2 FLOPs): 55" in text
    assert re.search(r"Optimizer state \(Adam\)\s+2 x 30 values\s+240 B", text)
    assert re.search(r"Total\s+800 B", text)


def test_quiz_of_seed_004():
    gb, p = 1e9, 300e9
    for b, batch, answer_gb in [(4, 1, 3601), (8, 1, 7201), (4, 1000, 1203400), (8, 1000, 2405800)]:
        est = memory_budget(p, b, batch, activations_per_sample=p, input_bytes_per_sample=gb)
        assert est.total == answer_gb * gb


def test_docs_memory_snippets_run(capsys):
    blocks = re.findall(r"```python\n(.*?)```", DOCS.read_text(), flags=re.S)
    assert len(blocks) == 3
    for block in blocks:
        exec(compile(block, str(DOCS), "exec"), {})
    assert "Total" in capsys.readouterr().out
