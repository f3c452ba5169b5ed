"""A convolution's ReLU applied after the max pool that follows it (nnlab.step.pool_activation):
the same bits as applying it before, and only where that is exact."""

import numpy as np
import pytest

from nnlab import activations, layers, models
from nnlab.diagnostics import gradient_check
from nnlab.step.pool_activation import moves_past_pool
from tests import pool_models


def _stack(moved: bool, dtype: str, rank: int = 2):
    """Conv(relu) -> MaxPool twice; `moved=False` spells each ReLU as its own layer, which
    the graph never moves, so the two models compute the same function two ways."""
    conv_relu, Pool = pool_models.conv_relu(rank, moved, dtype), pool_models.max_pooling(rank)
    shape = (12, 12, 1) if rank == 2 else (12, 2)
    return models.Sequential(
        [
            layers.Input(shape, dtype=dtype),
            *conv_relu(4, bias_initializer="ones"),  # blank input regions: ties at Z = 1
            Pool(2, dtype=dtype),
            *conv_relu(3, padding="same"),
            Pool(2, strides=1, padding="same", dtype=dtype),  # overlapping, padded windows
            layers.Flatten(dtype=dtype),
            layers.Dense(3, activation="softmax", dtype=dtype),
        ]
    )


def _data(rank, dtype):
    rng = np.random.default_rng(0)
    shape = (48, 12, 12, 1) if rank == 2 else (48, 12, 2)
    X = rng.standard_normal(shape).astype(dtype)
    X[:, :4] = 0.0  # a blank band, as MNIST's borders: every window there is a tie
    return X, rng.integers(0, 3, shape[0])


@pytest.mark.parametrize("rank", [1, 2])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_moved_relu_trains_to_the_same_bits(rank, dtype):
    X, y = _data(rank, dtype)
    moved, plain = _stack(True, dtype, rank), _stack(False, dtype, rank)
    for m in (moved, plain):
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        m.build((None, *X.shape[1:]))
    plain.set_weights(moved.get_weights())
    assert sum(n.pool_reader is not None for n in moved.graph_nodes) == 2  # not vacuous
    assert not any(n.pool_reader is not None for n in plain.graph_nodes)

    h_moved = moved.fit(X, y, epochs=2, batch_size=16, verbose=0, seed=3)
    h_plain = plain.fit(X, y, epochs=2, batch_size=16, verbose=0, seed=3)

    assert h_moved.history["loss"] == h_plain.history["loss"]
    for a, b in zip(moved.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(moved.predict(X, verbose=0), plain.predict(X, verbose=0))


def test_the_convolution_still_reports_its_activation():
    X, _ = _data(2, "float64")
    moved, plain = _stack(True, "float64"), _stack(False, "float64")
    moved.build((None, *X.shape[1:]))
    plain.build((None, *X.shape[1:]))
    plain.set_weights(moved.get_weights())
    moved.forward_pass([X], training=True)
    plain.forward_pass([X], training=True)
    conv, relu = moved.layers[0], plain.layers[1]
    np.testing.assert_array_equal(conv.last_A.reshape(relu.last_A.shape), relu.last_A)
    assert conv.last_Z.min() < 0  # Z itself is kept, not overwritten by the ReLU


def test_gradient_check_through_the_moved_relu():
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((6, 12, 12, 1)), rng.integers(0, 3, 6)  # no ties: max is smooth
    model = _stack(True, "float64")
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.build((None, *X.shape[1:]))
    result = gradient_check(model, X, y)
    assert len(result.weights) == 6 and result.max_error < 1e-6, str(result)


def _pair(conv_kwargs, pool, also=None):
    inputs = layers.Input((8, 8, 1))
    Z = layers.Conv2D(2, 3, **conv_kwargs)(inputs)
    outputs = [layers.Flatten()(pool(2)(Z))]
    if also is not None:
        outputs.append(also()(Z))
    return models.Model(inputs, outputs if len(outputs) > 1 else outputs[0])


class _MyReLU(activations.ReLU):
    def forward(self, Z):
        return np.maximum(Z, 0) * 2.0


@pytest.mark.parametrize(
    "conv_kwargs, pool, also, moved",
    [
        ({"activation": "relu"}, layers.MaxPooling2D, None, True),
        ({"activation": "tanh"}, layers.MaxPooling2D, None, False),  # rounded: not exact
        ({"activation": _MyReLU()}, layers.MaxPooling2D, None, False),  # a subclass
        ({"activation": "relu"}, layers.AveragePooling2D, None, False),  # not a max
        ({"activation": "relu"}, layers.MaxPooling2D, layers.Flatten, False),  # 2 readers
    ],
    ids=["relu", "tanh", "relu-subclass", "average-pool", "second-reader"],
)
def test_only_an_exact_single_reader_max_pool_takes_the_activation(
    conv_kwargs, pool, also, moved
):
    model = _pair(conv_kwargs, pool, also)
    conv = [n for n in model.graph_nodes if isinstance(n.layer, layers.Conv2D)][0]
    assert (conv.pool_reader is not None) is moved
    model.predict(np.ones((2, 8, 8, 1)), verbose=0)
    pools = [n.layer for n in model.graph_nodes if isinstance(n.layer, layers.MaxPooling2D)]
    assert any(p.applied_activation for p in pools) is moved


def test_a_model_output_keeps_its_activation():
    inputs = layers.Input((8, 8, 1))
    Z = layers.Conv2D(2, 3, activation="relu")(inputs)
    model = models.Model(inputs, [Z, layers.MaxPooling2D(2)(Z)])
    assert not any(n.pool_reader is not None for n in model.graph_nodes)
    out, pooled = model.predict(np.ones((1, 8, 8, 1)) - 2.0, verbose=0)
    assert out.min() >= 0.0 and pooled.min() >= 0.0


def test_moves_past_pool_and_the_pools_forward_then():
    relu_conv = layers.Conv2D(2, 3, activation="relu")
    assert moves_past_pool(relu_conv, layers.MaxPooling2D(2))
    assert not moves_past_pool(relu_conv, layers.GlobalAveragePooling2D())
    assert not moves_past_pool(layers.Dense(2, activation="relu"), layers.MaxPooling2D(2))
    pool = layers.MaxPooling2D(2)
    Z = np.array([-3.0, -1.0, 2.0, 1.0, -2.0, -5.0, -4.0, -6.0]).reshape(2, 2, 2, 1)
    A = pool.forward_then(Z, True, activations.get("relu"))
    np.testing.assert_array_equal(A.ravel(), [2.0, 0.0])  # relu(2), relu(-2)
    assert pool.applied_activation
    dZ = pool.backward_then(np.array([10.0, 10.0]).reshape(2, 1, 1, 1))
    np.testing.assert_array_equal(dZ.ravel(), [0, 0, 10, 0, 0, 0, 0, 0])
    pool.forward(Z)
    assert not pool.applied_activation  # a plain forward forgets the moved activation


def test_replacing_the_activation_after_the_build_is_followed():
    inputs = layers.Input((4, 4, 1))
    conv = layers.Conv2D(1, 1, activation="relu", kernel_initializer="ones")
    model = models.Model(inputs, layers.Flatten()(layers.MaxPooling2D(2)(conv(inputs))))
    X = -np.ones((1, 4, 4, 1))
    np.testing.assert_array_equal(model.predict(X, verbose=0), [[0, 0, 0, 0]])
    conv.activation = activations.get("linear")
    np.testing.assert_array_equal(model.predict(X, verbose=0), [[-1, -1, -1, -1]])


def test_a_nested_model_called_twice_keeps_each_calls_moved_relu():
    """The pooled Z of each call is kept for that call's backward: gradients equal the
    same model's with the ReLU spelled as its own layer (never moved)."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 5, 6, 6, 1))
    y = rng.standard_normal((5, 1))

    def outer(moved):
        inner_in = layers.Input((6, 6, 1), dtype="float64")
        conv = (layers.Conv2D(3, 3, activation="relu", dtype="float64") if moved
                else layers.Conv2D(3, 3, dtype="float64"))
        h = conv(inner_in) if moved else layers.Activation("relu", dtype="float64")(conv(inner_in))
        inner = models.Model(inner_in, layers.Flatten()(layers.MaxPooling2D(2)(h)))
        xa, xb = layers.Input((6, 6, 1), dtype="float64"), layers.Input((6, 6, 1), dtype="float64")
        joined = layers.Concatenate()([inner(xa), inner(xb)])
        model = models.Model([xa, xb], layers.Dense(1, dtype="float64")(joined))
        model.compile(optimizer="sgd", loss="mse")
        return model

    moved, plain = outer(True), outer(False)
    plain.set_weights(moved.get_weights())
    for model in (moved, plain):
        model.fit([a, b], y, batch_size=5, epochs=2, verbose=0, shuffle=False)
    for u, v in zip(moved.get_weights(), plain.get_weights()):
        np.testing.assert_array_equal(u, v)


@pytest.mark.parametrize(
    "pool_kwargs",
    [
        {"pool_size": 2},
        {"pool_size": 3, "strides": 2},
        {"pool_size": 2, "strides": 1, "padding": "same"},
    ],
    ids=["tiled", "overlapping", "same"],
)
def test_the_relu_folded_into_the_winners_gives_the_unfolded_bits(pool_kwargs):
    """NaN, inf and signed zeros in Z and dA: the winners marked "none" where the pooled Z
    is not > 0 give the bits of dA * (Zp > 0) sent back through the plain pool."""
    rng = np.random.default_rng(5)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0])
    Z = rng.choice(special, size=(3, 6, 7, 2))
    relu = activations.get("relu")
    plain, folded = layers.MaxPooling2D(**pool_kwargs), layers.MaxPooling2D(**pool_kwargs)
    with np.errstate(invalid="ignore"):  # inf * 0
        Zp = plain.forward(Z)
        dA = rng.choice(special, size=Zp.shape)
        expected = plain.backward(relu.backward(dA, Zp, relu.forward(Zp)))
        assert folded.forward_then(Z.copy(), True, relu).tobytes() == relu.forward(Zp).tobytes()
        assert folded.backward_then(dA).tobytes() == expected.tobytes()
