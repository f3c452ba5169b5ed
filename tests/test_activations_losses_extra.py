"""The activations, activation layers and losses added for Keras courses: values
against Keras 3.15.1's numbers (tests/data/keras_3_15_1_values.json, printed by real
Keras in float64; this file does not import Keras), formulas worked with `math`,
derivatives against float64 central differences, reductions, and the subclass pattern
for custom code.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from custom_pieces import Cube, MeanCubedError
from numeric import num_grad, rel_err

from nnlab import activations, layers, losses
from nnlab.diagnostics import gradient_check
from nnlab.layers import Dense, Input
from nnlab.models import Sequential

KERAS = {
    k: np.array(v) if isinstance(v, list) else v
    for k, v in json.loads(
        (Path(__file__).parent / "data" / "keras_3_15_1_values.json").read_text()
    ).items()
}

ACTS = {
    "gelu": lambda: activations.get("gelu"),
    "gelu_tanh": lambda: activations.ACTIVATIONS["gelu"](approximate=True),
    "selu": lambda: activations.get("selu"),
    "swish": lambda: activations.get("swish"),
    "silu": lambda: activations.get("silu"),
    "softsign": lambda: activations.get("softsign"),
    "hard_sigmoid": lambda: activations.get("hard_sigmoid"),
    "hard_swish": lambda: activations.get("hard_swish"),
    "hard_silu": lambda: activations.get("hard_silu"),
    "exponential": lambda: activations.get("exponential"),
    "relu6": lambda: activations.get("relu6"),
    "mish": lambda: activations.get("mish"),
    "log_softmax": lambda: activations.get("log_softmax"),
}
LAYERS = {
    "ReLU_layer": lambda: layers.ReLU(max_value=2.0, negative_slope=0.125, threshold=0.5),
    "LeakyReLU_layer": lambda: layers.LeakyReLU(),
    "ELU_layer": lambda: layers.ELU(alpha=0.5),
    "Softmax_layer": lambda: layers.Softmax(),
}


@pytest.mark.parametrize("name", sorted(ACTS))
def test_activation_values_as_keras(name):
    # Keras keeps some constants in float32 (gelu's sqrt(2/pi), 0.044715): 1e-6
    np.testing.assert_allclose(ACTS[name]()(KERAS["Z"]), KERAS[name], rtol=1e-6, atol=1e-7)
    fn = getattr(activations, name.replace("_tanh", ""))
    if name != "gelu_tanh":
        np.testing.assert_allclose(fn(KERAS["Z"]), KERAS[name], rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_activation_layer_values_as_keras(name, float64):
    np.testing.assert_allclose(LAYERS[name]()(KERAS["Z"]), KERAS[name], rtol=1e-6, atol=1e-7)


def test_golden_values_from_the_formulas():
    z = 0.75
    phi = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    assert activations.gelu(np.array([z]))[0] == pytest.approx(z * phi, rel=1e-14)
    u = math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)
    assert activations.gelu(np.array([z]), approximate=True)[0] == pytest.approx(
        0.5 * z * (1 + math.tanh(u)), rel=1e-14
    )
    assert activations.selu(np.array([-1.0]))[0] == pytest.approx(
        1.0507009873554805 * 1.6732632423543772 * (math.exp(-1) - 1), rel=1e-14
    )
    assert activations.swish(np.array([z]))[0] == pytest.approx(z / (1 + math.exp(-z)))
    assert activations.softsign(np.array([-3.0]))[0] == -0.75
    assert activations.hard_sigmoid(np.array([-3.0, 0.0, 1.5, 4.0])).tolist() == [0, 0.5, 0.75, 1]
    assert activations.hard_swish(np.array([1.5]))[0] == 1.125
    assert activations.relu6(np.array([-1.0, 3.0, 7.0])).tolist() == [0.0, 3.0, 6.0]
    assert activations.mish(np.array([z]))[0] == pytest.approx(
        z * math.tanh(math.log1p(math.exp(z))), rel=1e-14
    )
    ls = activations.log_softmax(np.array([[1.0, 2.0, 3.0]]))[0]
    assert ls[2] == pytest.approx(3 - math.log(math.e + math.e**2 + math.e**3), rel=1e-14)






@pytest.mark.parametrize("name", sorted(ACTS) + ["general_relu"])
def test_activation_derivative_matches_central_differences(name, float64):
    act = ACTS[name]() if name in ACTS else activations.ACTIVATIONS["general_relu"](
        max_value=2.0, negative_slope=0.125, threshold=0.5
    )
    r = np.random.default_rng(5)
    # away from every kink (0, +-3, 6, 0.5 and 2): |z - kink| >= 0.05
    Z = r.uniform(-4.0, 4.0, size=(4, 5))
    for kink in (0.0, 3.0, -3.0, 6.0, 0.5, 2.0):
        near = np.abs(Z - kink) < 0.05
        Z[near] += 0.1
    dA = r.normal(size=Z.shape)
    analytic = act.backward(dA, Z, act.forward(Z))
    numeric = num_grad(lambda Q: float((dA * act.forward(Q)).sum()), Z.copy())
    assert rel_err(analytic, numeric) < 1e-6
    assert np.abs(numeric).max() > 1e-3


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_activation_layers_gradient_check_in_a_model(layer, float64):
    rng = np.random.default_rng(2)
    model = Sequential([Input(shape=(3,)), Dense(4), LAYERS[layer](), Dense(2)])
    model.compile("sgd", "mse")
    x = rng.normal(size=(5, 3))
    result = gradient_check(model, x, rng.normal(size=(5, 2)))
    assert result.max_error < 1e-6, str(result)


LOSS_CASES = {
    "log_cosh": (lambda: losses.LogCosh(), "yreg", "preg"),
    "poisson": (lambda: losses.Poisson(), "ypos", "ppos"),
    "cosine_similarity": (lambda: losses.CosineSimilarity(), "yreg", "preg"),
    "squared_hinge": (lambda: losses.SquaredHinge(), "yb", "preg"),
    "categorical_hinge": (lambda: losses.CategoricalHinge(), "yc", "preg"),
    "binary_focal_crossentropy": (lambda: losses.BinaryFocalCrossentropy(), "yb", "pb"),
    "binary_focal_balanced": (
        lambda: losses.BinaryFocalCrossentropy(apply_class_balancing=True, alpha=0.375, gamma=1.5),
        "yb", "pb",
    ),
    "binary_focal_logits": (
        lambda: losses.BinaryFocalCrossentropy(from_logits=True, label_smoothing=0.125),
        "yb", "preg",
    ),
    "categorical_focal_crossentropy": (lambda: losses.CategoricalFocalCrossentropy(), "yc", "pc"),
    "categorical_focal_logits": (
        lambda: losses.CategoricalFocalCrossentropy(from_logits=True, gamma=3.0), "yc", "zc"
    ),
    "mape": (lambda: losses.MeanAbsolutePercentageError(), "yreg", "preg"),
    "msle": (lambda: losses.MeanSquaredLogarithmicError(), "ypos", "preg"),
}


def _values(loss, Y, P):
    return loss.forward_logits(Y, P) if loss.uses_logits else loss.forward(Y, P)


def _grad(loss, Y, P):
    return loss.backward_logits(Y, P) if loss.uses_logits else loss.backward(Y, P)


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_loss_values_as_keras(case):
    make, y, p = LOSS_CASES[case]
    # log_cosh: Keras's log(2) is a float32 constant (2e-9 apart)
    np.testing.assert_allclose(_values(make(), KERAS[y], KERAS[p]), KERAS["loss_" + case],
                               rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_loss_derivative_matches_central_differences(case, float64):
    make, y, p = LOSS_CASES[case]
    loss, Y, P = make(), KERAS[y], KERAS[p].copy()
    analytic = _grad(loss, Y, P)
    numeric = num_grad(lambda Q: float(_values(loss, Y, Q).sum()), P.copy())
    assert rel_err(analytic, numeric) < 1e-6
    assert np.abs(numeric).max() > 1e-3


def test_loss_golden_values():
    y, p = np.array([[1.0, 0.0]]), np.array([[0.5, 0.25]])
    # log_cosh: mean(log cosh(-0.5), log cosh(0.25))
    expected = (math.log(math.cosh(0.5)) + math.log(math.cosh(0.25))) / 2
    assert losses.log_cosh(y, p)[0] == pytest.approx(expected, rel=1e-14)
    # poisson: mean(p - y log(p + 1e-7))
    expected = ((0.5 - math.log(0.5 + 1e-7)) + 0.25) / 2
    assert losses.poisson(y, p)[0] == pytest.approx(expected, rel=1e-14)
    # categorical hinge: neg = max((1 - y) p) = 0.25, pos = 0.5 -> max(0.25 - 0.5 + 1, 0)
    assert losses.categorical_hinge(y, p)[0] == 0.75
    # MAPE: 100 * mean(|1 - 0.5| / 1, |0 - 0.25| / 1e-7)
    assert losses.mean_absolute_percentage_error(y, p)[0] == pytest.approx(
        100 * (0.5 + 0.25 / 1e-7) / 2
    )
    # cosine similarity of (1, 0) and (0.5, 0.25): -0.5 / sqrt(0.3125)
    assert losses.cosine_similarity(y, p)[0] == pytest.approx(-0.5 / math.sqrt(0.3125))


def test_reductions_as_keras():
    Y, P, sw = KERAS["yreg"], KERAS["preg"], KERAS["sw"]
    for red in ("sum_over_batch_size", "sum", "mean_with_sample_weight", None):
        got = losses.MeanSquaredError(reduction=red)(Y, P, sample_weight=sw)
        np.testing.assert_allclose(got, KERAS[f"red_{red}"], rtol=1e-12)
        got = losses.LogCosh(reduction=red)(Y, P)
        np.testing.assert_allclose(got, KERAS[f"red_nosw_{red}"], rtol=1e-6)
    with pytest.raises(ValueError, match="reduction"):
        losses.MeanSquaredError(reduction="average")


@pytest.mark.parametrize("red", ["sum", "mean_with_sample_weight"])
def test_training_gradient_follows_the_reduction(red, float64):
    rng = np.random.default_rng(4)
    model = Sequential([Input(shape=(3,)), Dense(2, activation="softmax")])
    model.compile("sgd", losses.CategoricalCrossentropy(reduction=red))
    x, y = rng.normal(size=(6, 3)), np.eye(2)[rng.integers(0, 2, 6)]
    result = gradient_check(model, x, y, sample_weight=rng.random(6))
    assert result.max_error < 1e-6, str(result)
    loss = model.evaluate(x, y, sample_weight=np.ones(6), batch_size=6, verbose=0)
    per_sample = losses.categorical_crossentropy(y, model.predict(x, verbose=0))
    assert loss == pytest.approx(per_sample.sum() if red == "sum" else per_sample.mean())


def test_reduction_none_cannot_train():
    model = Sequential([Input(shape=(3,)), Dense(1)])
    with pytest.raises(ValueError, match="one value per sample"):
        model.compile("sgd", losses.MeanSquaredError(reduction=None))


@pytest.mark.parametrize(
    "loss",
    ["log_cosh", "poisson", "cosine_similarity", "squared_hinge", "categorical_hinge",
     "binary_focal_crossentropy", "categorical_focal_crossentropy", "mape", "msle"],
)
def test_each_new_loss_trains_with_a_correct_gradient(loss, float64):
    rng = np.random.default_rng(8)
    out = "softmax" if "categorical" in loss else "sigmoid" if "binary" in loss else "softplus"
    model = Sequential([Input(shape=(3,)), Dense(4, activation="tanh"), Dense(3, activation=out)])
    model.compile("sgd", loss)
    x = rng.normal(size=(5, 3))
    y = np.eye(3)[rng.integers(0, 3, 5)] if "categorical" in loss or "binary" in loss or (
        "hinge" in loss) else rng.random((5, 3)) + 0.5
    result = gradient_check(model, x, y)
    assert result.max_error < 1e-6, str(result)


# -- custom code: the subclass pattern, and plain functions refused --------------------------
def test_custom_activation_and_loss_subclasses_train_with_correct_gradients(float64):
    rng = np.random.default_rng(6)
    model = Sequential([Input(shape=(2,)), Dense(3, activation=Cube()), Dense(1)])
    model.compile("sgd", MeanCubedError())
    x, y = rng.normal(size=(4, 2)), rng.normal(size=(4, 1))
    assert gradient_check(model, x, y).max_error < 1e-6


def test_plain_functions_are_refused_pointing_to_the_subclass_pattern():
    with pytest.raises(TypeError, match=r"Subclass nnlab.activations.Activation.*backward"):
        Dense(2, activation=lambda z: z**3)
    with pytest.raises(TypeError, match=r"Subclass nnlab.losses.Loss.*backward"):
        Sequential([Input(shape=(2,)), Dense(1)]).compile("sgd", lambda y, p: (y - p) ** 2)
