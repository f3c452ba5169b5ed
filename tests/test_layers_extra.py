"""Normalization (adapt), Rescaling, LayerNormalization, UnitNormalization, Maximum and
Minimum: values against Keras 3.15.1's numbers (tests/data/keras_3_15_1_values.json,
keys `layers_*`; this file does not import Keras), hand-worked values, and float64
central-difference gradient checks inside models."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from nnlab import layers as L
from nnlab.diagnostics import gradient_check
from nnlab.layers import Dense, Input
from nnlab.models import Model, Sequential

K = {k[len("layers_"):]: np.array(v) for k, v in json.loads(
    (Path(__file__).parent / "data" / "keras_3_15_1_values.json").read_text()).items()
    if k.startswith("layers_")}


def test_values_as_keras(float64):
    X, A = K["X"], K["A"]
    norm = L.Normalization()
    norm.adapt(X)
    np.testing.assert_allclose(norm(A), K["norm"], rtol=1e-12)
    assert int(norm.state["count"]) == 4
    inv = L.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.25, 1.0], invert=True)
    np.testing.assert_allclose(inv(A), K["norm_inv"], rtol=1e-12)
    ln = L.LayerNormalization()
    ln(A)
    ln.set_weights([np.array([1.5, -0.5, 2.0]), np.array([0.25, 0.0, -1.0])])
    np.testing.assert_allclose(ln(A), K["layernorm"], rtol=1e-12)
    np.testing.assert_allclose(L.UnitNormalization()(A), K["unitnorm"], rtol=1e-12)
    np.testing.assert_allclose(L.Maximum()([A, X, -A]), K["maximum"], rtol=0)
    np.testing.assert_allclose(L.Minimum()([A, X]), K["minimum"], rtol=0)
    # Keras keeps scale=1/255 as a float32 constant: 2e-9 apart
    np.testing.assert_allclose(L.Rescaling(1 / 255.0, offset=-0.5)(X), K["rescaling"], rtol=1e-8)


def test_hand_worked_values(float64):
    norm = L.Normalization()
    norm.adapt(np.array([[0.0, 10.0], [2.0, 10.0]]))  # mean (1, 10), variance (1, 0)
    # second feature: variance 0, so the divisor is max(0, 1e-7) = 1e-7
    np.testing.assert_allclose(norm(np.array([[3.0, 10.0]])), [[2.0, 0.0]])
    # layer norm of (1, 2, 3): mean 2, variance 2/3, (x - 2) / sqrt(2/3 + 1e-3)
    got = L.LayerNormalization()(np.array([[1.0, 2.0, 3.0]]))
    np.testing.assert_allclose(got, [[-1, 0, 1] / np.sqrt(2 / 3 + 1e-3)], rtol=1e-14)


@pytest.mark.parametrize(
    "make",
    [
        lambda: L.LayerNormalization(),
        lambda: L.LayerNormalization(center=False),
        lambda: L.UnitNormalization(),
        lambda: L.Rescaling(0.5, offset=1.0),
        lambda: L.Normalization(mean=[0.5] * 4, variance=[2.0, 0.5, 1.0, 3.0]),
        lambda: L.Normalization(mean=[0.5] * 4, variance=[2.0, 0.5, 1.0, 3.0], invert=True),
    ],
    ids=["layernorm", "layernorm-nocenter", "unitnorm", "rescaling", "normalization",
         "denormalization"],
)
def test_gradient_check_in_a_model(make, float64):
    rng = np.random.default_rng(3)
    layer = make()
    model = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"), layer, Dense(2)])
    if layer.params:
        layer.set_weights([w + rng.normal(size=w.shape) for w in layer.get_weights()])
    model.compile("sgd", "mse")
    result = gradient_check(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))
    assert result.max_error < 1e-6, str(result)


@pytest.mark.parametrize("merge", [L.Maximum, L.Minimum])
def test_maximum_minimum_gradient_check(merge, float64):
    rng = np.random.default_rng(4)
    a, b, c = Input(shape=(3,)), Input(shape=(3,)), Input(shape=(3,))
    model = Model([a, b, c], Dense(1)(merge()([Dense(3)(a), Dense(3)(b), Dense(3)(c)])))
    model.compile("sgd", "mse")
    x = [rng.normal(size=(6, 3)) for _ in range(3)]
    result = gradient_check(model, x, rng.normal(size=(6, 1)))
    assert result.max_error < 1e-6, str(result)


def test_normalization_needs_both_statistics():
    with pytest.raises(ValueError, match="both mean and variance"):
        L.Normalization(mean=[0.0])


def test_dot_as_keras_and_gradient_checked(float64):
    A, X = K["A"], K["X"]
    np.testing.assert_allclose(L.Dot(axes=1)([A, X]), K["dot"], rtol=1e-12)
    np.testing.assert_allclose(L.Dot(axes=-1, normalize=True)([A, X]), K["dot_norm"], rtol=1e-12)
    rng = np.random.default_rng(5)
    for normalize in (False, True):
        a, b = Input(shape=(3,)), Input(shape=(2,))
        model = Model([a, b], Dense(1)(L.Dot(axes=1, normalize=normalize)(
            [Dense(4)(a), Dense(4, activation="tanh")(b)])))
        model.compile("sgd", "mse")
        result = gradient_check(model, [rng.normal(size=(5, 3)), rng.normal(size=(5, 2))],
                                rng.normal(size=(5, 1)))
        assert result.max_error < 1e-6, str(result)
    with pytest.raises(ValueError, match="axes=1 or -1"):
        L.Dot(axes=2)
