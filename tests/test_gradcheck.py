"""Every layer, activation, loss, fused pair and penalty passes a float64
central-difference gradient check of dX and of every weight (never skipped)."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab import regularizers
from nnlab.diagnostics import gradient_check
from nnlab.layers import (
    Activation,
    Add,
    Average,
    Concatenate,
    Dense,
    Flatten,
    Input,
    Multiply,
    Reshape,
    Subtract,
)
from nnlab.losses import BinaryCrossentropy, CategoricalCrossentropy, Huber
from nnlab.models import Model, Sequential

TOL = 1e-6


def assert_gradients_ok(model, x, y, **kw):
    result = gradient_check(model, x, y, **kw)
    assert result.weights, "no weights were checked"
    assert result.max_error < TOL, str(result)
    return result


def _min_abs_preactivation(model, x):
    """Smallest |Z| of any Dense layer on x: the distance from the nearest kink."""
    model.predict(x, verbose=0)  # leaves each layer's input in layer.last_X
    return min(
        float(np.abs(layer.last_X @ layer.params["kernel"] + layer.params["bias"]).min())
        for layer in model.layers
        if isinstance(layer, Dense)
    )


@pytest.mark.parametrize(
    "activation", ["linear", "sigmoid", "tanh", "relu", "leaky_relu", "elu", "softplus", "softmax"]
)
def test_dense_with_each_activation(float64, rng, activation):
    model = Sequential([Input(shape=(3,)), Dense(5, activation=activation), Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(6, 3))
    y = rng.normal(size=(6, 2))
    assert _min_abs_preactivation(model, x) > 1e-5  # kinks (ReLU, ELU at 0) avoided
    result = assert_gradients_ok(model, x, y)
    assert set(result.weights) == {
        (model.layers[0].name, "kernel"),
        (model.layers[0].name, "bias"),
        (model.layers[1].name, "kernel"),
        (model.layers[1].name, "bias"),
    }
    assert result.inputs  # dX checked too


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "elu", "softmax"])
def test_activation_layer(float64, rng, activation):
    model = Sequential([Input(shape=(4,)), Dense(4), Activation(activation), Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(5, 4))
    assert _min_abs_preactivation(model, x) > 1e-5
    assert_gradients_ok(model, x, rng.normal(size=(5, 3)))


def test_dense_without_bias_and_on_3d_inputs(float64, rng):
    model = Sequential(
        [Input(shape=(2, 3)), Dense(4, activation="tanh", use_bias=False), Flatten(), Dense(2)]
    )
    model.compile(optimizer="sgd", loss="mse")
    assert_gradients_ok(model, rng.normal(size=(5, 2, 3)), rng.normal(size=(5, 2)))


def test_flatten_and_reshape(float64, rng):
    model = Sequential(
        [
            Input(shape=(6,)),
            Dense(6, activation="tanh"),
            Reshape((2, 3)),
            Dense(2, activation="sigmoid"),
            Flatten(),
            Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    assert_gradients_ok(model, rng.normal(size=(4, 6)), rng.normal(size=(4, 1)))


@pytest.mark.parametrize("merge", [Add, Subtract, Multiply, Average, Concatenate])
def test_merge_layers(float64, rng, merge):
    a = Input(shape=(3,))
    b = Input(shape=(3,))
    ha = Dense(4, activation="tanh")(a)
    hb = Dense(4, activation="sigmoid")(b)
    out = Dense(2)(merge()([ha, hb]))
    model = Model([a, b], out)
    model.compile(optimizer="sgd", loss="mse")
    x = [rng.normal(size=(5, 3)), rng.normal(size=(5, 3))]
    result = assert_gradients_ok(model, x, rng.normal(size=(5, 2)))
    assert len(result.inputs) == 2


def test_merge_of_three_and_broadcast(float64, rng):
    a = Input(shape=(4,))
    h1 = Dense(4, activation="tanh")(a)
    h2 = Dense(4, activation="sigmoid")(a)
    h3 = Dense(1)(a)  # (n, 1) broadcast against (n, 4)
    out = Dense(1)(Multiply()([h1, h2, h3]))
    model = Model(a, out)
    model.compile(optimizer="sgd", loss="mse")
    assert_gradients_ok(model, rng.normal(size=(5, 4)), rng.normal(size=(5, 1)))


def test_fan_out_sums_gradients(float64, rng):
    """One tensor feeding two branches: backward must add both contributions."""
    a = Input(shape=(3,))
    h = Dense(4, activation="tanh")(a)
    out = Add()([Dense(2)(h), Dense(2, activation="sigmoid")(h)])
    model = Model(a, out)
    model.compile(optimizer="sgd", loss="mse")
    assert_gradients_ok(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))


LOSS_CASES = {
    # name: (output activation, loss, target maker)
    "mse": ("linear", "mean_squared_error", "real"),
    "mae": ("linear", "mean_absolute_error", "real"),
    "huber": ("linear", Huber(delta=0.5), "real"),
    "bce_fused": ("sigmoid", "binary_crossentropy", "multilabel"),
    "bce_logits": ("linear", BinaryCrossentropy(from_logits=True), "multilabel"),
    "cce_fused": ("softmax", "categorical_crossentropy", "onehot"),
    "cce_logits": ("linear", CategoricalCrossentropy(from_logits=True), "onehot"),
    "cce_soft_targets": ("softmax", "categorical_crossentropy", "soft"),
    "sparse_cce": ("softmax", "sparse_categorical_crossentropy", "labels"),
    "hinge": ("tanh", "hinge", "multilabel"),
    "kld": ("softmax", "kl_divergence", "soft"),
}


def _targets(kind, rng, n, k):
    if kind == "real":
        return rng.normal(size=(n, k))
    if kind == "multilabel":
        return (rng.random(size=(n, k)) > 0.5).astype(float)
    if kind == "onehot":
        return np.eye(k)[rng.integers(0, k, size=n)]
    if kind == "soft":
        return rng.dirichlet(np.ones(k), size=n)
    return rng.integers(0, k, size=n)


@pytest.mark.parametrize("case", sorted(LOSS_CASES))
def test_each_loss_and_fused_pair(float64, rng, case):
    activation, loss, kind = LOSS_CASES[case]
    model = Sequential(
        [Input(shape=(4,)), Dense(5, activation="tanh"), Dense(3, activation=activation)]
    )
    model.compile(optimizer="sgd", loss=loss)
    x = rng.normal(size=(6, 4))
    y = _targets(kind, rng, 6, 3)
    if case in ("mae", "hinge"):  # keep away from the kinks P == Y and Y*P == 1
        P = model.predict(x, verbose=0)
        Ys = 2 * y - 1 if case == "hinge" else y
        assert np.abs(P - y).min() > 1e-3 if case == "mae" else np.abs(1 - Ys * P).min() > 1e-3
    assert_gradients_ok(model, x, y)


@pytest.mark.parametrize(
    "loss", ["binary_crossentropy", "categorical_crossentropy", "kl_divergence"]
)
def test_unfused_probability_path(float64, rng, loss):
    """The same losses on probabilities that do not come straight from the paired
    activation (a Reshape sits between), so the clipped formula and the activation's
    own backward are checked."""
    act = "sigmoid" if loss == "binary_crossentropy" else "softmax"
    model = Sequential([Input(shape=(4,)), Dense(3, activation=act), Reshape((3,))])
    model.compile(optimizer="sgd", loss=loss)
    assert not model.output_losses()[0][2]  # not fused
    x = rng.normal(size=(6, 4))
    kind = "multilabel" if loss == "binary_crossentropy" else "soft"
    assert_gradients_ok(model, x, _targets(kind, rng, 6, 3))


@pytest.mark.parametrize(
    "reg", [regularizers.L1(0.03), regularizers.L2(0.05), regularizers.L1L2(l1=0.02, l2=0.04)]
)
def test_weight_penalties(float64, rng, reg):
    model = Sequential(
        [
            Input(shape=(3,)),
            Dense(
                4,
                activation="tanh",
                kernel_regularizer=reg,
                bias_regularizer=reg,
                bias_initializer="random_normal",
            ),
            Dense(1),
        ]
    )
    model.compile(optimizer="sgd", loss="mse")
    assert_gradients_ok(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 1)))


def test_l2_gradient_is_two_l2_w(float64):
    W = np.array([[0.5, -1.0], [2.0, 0.25]])
    np.testing.assert_allclose(regularizers.L2(0.1).grad(W), 2 * 0.1 * W, rtol=0, atol=0)
    assert regularizers.L2(0.1)(W) == pytest.approx(0.1 * (0.25 + 1 + 4 + 0.0625))


def test_sample_weights_enter_the_gradient(float64, rng):
    model = Sequential([Input(shape=(3,)), Dense(3, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    x, y = rng.normal(size=(5, 3)), _targets("onehot", rng, 5, 3)
    assert_gradients_ok(model, x, y, sample_weight=rng.random(5) * 2)


def test_two_inputs_two_outputs_with_loss_weights(float64, rng):
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    ha = Dense(4, activation="relu")(a)
    hb = Dense(4, activation="tanh")(b)
    merged = Concatenate()([ha, hb])
    joint = Add()([Dense(3, activation="tanh")(merged), Dense(3, activation="sigmoid")(hb)])
    out1 = Dense(2, activation="softmax", name="species")(joint)
    out2 = Dense(1, name="size")(merged)
    model = Model([a, b], [out1, out2])
    model.compile(
        optimizer="adam", loss=["categorical_crossentropy", "mse"], loss_weights=[1.0, 0.3]
    )
    x = [rng.normal(size=(6, 3)), rng.normal(size=(6, 2))]
    y = [_targets("onehot", rng, 6, 2), rng.normal(size=(6, 1))]
    assert _min_abs_preactivation(model, x) > 1e-5
    assert_gradients_ok(model, x, y)


def test_gradient_check_catches_a_wrong_backward(float64, rng):
    """The checker itself must fail on a broken layer (a test that can fail)."""

    class BrokenDense(Dense):
        def backward_from_Z(self, dZ, need_dX=True):
            dX = super().backward_from_Z(dZ, need_dX)
            self.grads["kernel"] *= 1.01  # 1 % off
            return dX

    model = Sequential([Input(shape=(3,)), BrokenDense(2), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    result = gradient_check(model, rng.normal(size=(4, 3)), rng.normal(size=(4, 1)))
    assert result.weights[(model.layers[0].name, "kernel")] > 1e-3


def test_gradient_check_requires_float64(rng):
    model = Sequential([Input(shape=(3,)), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="float64"):
        gradient_check(model, rng.normal(size=(2, 3)), rng.normal(size=(2, 1)))


def test_rank_one_products_one_input_and_one_unit(float64, rng):
    """d_in = 1 (forward X w^T) and units = 1 (backward dX = dZ w^T) are outer products in
    Dense; they must equal the GEMMs bit for bit and pass the gradient check."""
    model = Sequential([Input(shape=(1,)), Dense(6, activation="tanh"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=(7, 1))
    y = rng.normal(size=(7, 1))
    first, last = model.layers
    A1 = first(x)
    np.testing.assert_array_equal(A1, np.tanh(x @ first.params["kernel"] + first.params["bias"]))
    last(A1)
    dZ = rng.normal(size=(7, 1))
    np.testing.assert_array_equal(last.backward_from_Z(dZ), dZ @ last.params["kernel"].T)
    assert_gradients_ok(model, x, y)


def test_numeric_gradient_perturbs_non_contiguous_arrays_in_place():
    from nnlab.diagnostics.gradcheck import numeric_gradient

    W = np.arange(12.0).reshape(3, 4)[:, ::2]  # a strided view: reshape(-1) would copy
    G = numeric_gradient(lambda: float((W**2).sum()), W, 1e-6)
    np.testing.assert_allclose(G, 2 * W, rtol=1e-6)
