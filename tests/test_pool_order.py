"""A convolution's output computed for its max pool (nnlab.step.pool_activation.pool_plan):
only the positions the pool reads (crop), and for the first convolution ordered by pool
offset (group), so that the pool reads each offset as one run per image. The same function
as the plain way; only the kernel gradient's sum over positions runs in another order."""

import numpy as np
import pytest

from nnlab import activations, layers, models, optimizers
from nnlab.diagnostics import gradient_check
from nnlab.layers import patches
from nnlab.step.pool_activation import pool_plan
from tests import pool_models

# 21x21 images and 301-step sequences give a 3-wide kernel at least
# patches.COLUMNS_MIN_POSITIONS output positions: the column layout, where the order applies;
# the odd sizes (19x19, 299) make a 2-wide pool read less than all of them: a crop too
SHAPES = {2: (21, 21, 1), 1: (301, 2)}


def _stack(rank: int, moved: bool, dtype: str = "float64"):
    """Conv(relu) -> MaxPool -> Conv(relu) -> MaxPool -> Dense. With `moved=False` each
    ReLU is its own layer: the graph neither moves it nor crops or orders the windows."""
    conv_relu, Pool = pool_models.conv_relu(rank, moved, dtype), pool_models.max_pooling(rank)
    return models.Sequential(
        [
            layers.Input(SHAPES[rank], dtype=dtype),
            *conv_relu(4, bias_initializer="ones"),  # blank regions: ties at Z = 1
            Pool(2, dtype=dtype),
            *conv_relu(3),  # 9x9x4 -> 7x7 (2-D) and 149 -> 147 (1-D): row layout, crop
            Pool(2, dtype=dtype),
            layers.Flatten(dtype=dtype),
            layers.Dense(3, activation="softmax", dtype=dtype),
        ]
    )


def _data(rank, n=24, dtype="float64"):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((n, *SHAPES[rank])).astype(dtype)
    X[:, :5] = 0.0  # a blank band, as MNIST's borders: every window there is a tie
    return X, rng.integers(0, 3, n)


def test_the_plan_crops_for_valid_pools_and_orders_tiled_column_layouts():
    conv = layers.Conv2D(8, 3, activation="relu")
    pool = layers.MaxPooling2D(2)
    assert pool_plan(conv, pool, (32, 18, 18, 1)) == (None, (2, 2))
    assert pool_plan(conv, pool, (32, 19, 19, 1)) == ((16, 16), (2, 2))  # 17x17: reads 16
    assert pool_plan(conv, pool, (32, 18, 18, 8)) == (None, None)  # the row layout
    assert pool_plan(conv, pool, (32, 19, 19, 8)) == ((16, 16), None)
    overlapping = layers.MaxPooling2D(3, strides=2)  # 15x15: windows end at 15: no crop
    assert pool_plan(conv, overlapping, (32, 17, 17, 1)) == (None, None)
    assert pool_plan(conv, layers.MaxPooling2D(3, strides=2), (32, 18, 18, 1)) == ((15, 15), None)
    assert pool_plan(conv, layers.MaxPooling2D(2, padding="same"), (32, 17, 17, 1)) == (None, None)
    assert pool_plan(layers.Dense(3, activation="relu"), pool, (1, 4)) == (None, None)


@pytest.mark.parametrize("rank", [1, 2])
def test_one_step_gives_the_plain_orders_gradients(rank):
    X, y = _data(rank)
    grouped, plain = _stack(rank, True), _stack(rank, False)
    for m in (grouped, plain):
        m.compile(optimizer=optimizers.SGD(1.0), loss="sparse_categorical_crossentropy")
        m.build((None, *X.shape[1:]))
    plain.set_weights(grouped.get_weights())
    conv, pool = grouped.layers[0], grouped.layers[1]
    crop, group = pool_plan(conv, pool, X.shape)
    assert crop is not None and group == pool.pool_size  # not vacuous
    second = grouped.layers[2]
    assert pool_plan(
        second, grouped.layers[3], pool.compute_output_shape(conv.compute_output_shape(X.shape))
    )[0]
    before = grouped.get_weights()

    # the same loss, up to the last bits a smaller or reordered GEMM may round differently
    assert grouped.train_on_batch(X, y) == pytest.approx(plain.train_on_batch(X, y), rel=1e-13)

    # with learning rate 1 each weight moved by its gradient: the convolutions' kernels
    # and biases sum their gradient in another order (grouped) or with fewer zero rows
    # (cropped); every gradient agrees to the last few bits
    for w0, a, b in zip(before, grouped.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a - w0, b - w0, rtol=1e-12, atol=1e-15)
        assert np.abs(a - w0).max() > 0
    # the kept Z in the usual order, for the positions the pool reads (the plain
    # convolution is linear: its A is Z)
    full = plain.layers[0].last_A.reshape(len(X), *conv.compute_output_shape(X.shape)[1:])
    region = full[(slice(None), *(slice(0, c) for c in crop))]
    np.testing.assert_allclose(
        conv.last_Z, region.reshape(conv.last_Z.shape), rtol=1e-13, atol=1e-15
    )
    np.testing.assert_array_equal(conv.last_A, np.maximum(conv.last_Z, 0))


@pytest.mark.parametrize("rank", [1, 2])
def test_training_follows_the_plain_order(rank):
    X, y = _data(rank, dtype="float32")
    grouped, plain = _stack(rank, True, "float32"), _stack(rank, False, "float32")
    for m in (grouped, plain):
        m.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
        m.build((None, *X.shape[1:]))
    plain.set_weights(grouped.get_weights())
    h1 = grouped.fit(X, y, epochs=3, batch_size=8, verbose=0, seed=3).history["loss"]
    h2 = plain.fit(X, y, epochs=3, batch_size=8, verbose=0, seed=3).history["loss"]
    np.testing.assert_allclose(h1, h2, rtol=1e-5)
    for a, b in zip(grouped.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("rank", [1, 2])
def test_gradient_check_through_the_pool_order(rank):
    rng = np.random.default_rng(1)
    X, y = rng.standard_normal((3, *SHAPES[rank])), rng.integers(0, 3, 3)  # no ties
    model = _stack(rank, True)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    model.build((None, *X.shape[1:]))
    assert pool_plan(model.layers[0], model.layers[1], X.shape) != (None, None)
    result = gradient_check(model, X, y)  # dL/dX too: the ordered col2im
    assert len(result.weights) == 6 and result.max_error < 1e-6, str(result)


@pytest.mark.parametrize(
    "strides, dilation", [((1, 1), (1, 1)), ((2, 1), (1, 1)), ((1, 1), (2, 2))]
)
def test_ordered_columns_are_the_columns_permuted(strides, dilation):
    rng = np.random.default_rng(2)
    Xp = rng.standard_normal((2, 21, 17, 2))
    kernel, group = (3, 2), (2, 2)
    out = tuple(
        patches.plan(size, k, s, d, "valid")[2]
        for size, k, s, d in zip(Xp.shape[1:-1], kernel, strides, dilation)
    )
    out = tuple(o - o % g for o, g in zip(out, group))  # a size the pool divides
    Xp = Xp[:, : (out[0] - 1) * strides[0] + (kernel[0] - 1) * dilation[0] + 1]
    Xp = Xp[:, :, : (out[1] - 1) * strides[1] + (kernel[1] - 1) * dilation[1] + 1]
    plain = patches.columns(Xp, kernel, strides, dilation, out, ones=True)
    ordered = patches.columns(Xp, kernel, strides, dilation, out, True, group)
    # (rows, n, o0 / g0, g0, o1 / g1, g1) -> (rows, n, g0, g1, o0 / g0, o1 / g1)
    n = Xp.shape[0]
    as_grouped = plain.reshape(-1, n, out[0] // 2, 2, out[1] // 2, 2).transpose(0, 1, 3, 5, 2, 4)
    np.testing.assert_array_equal(ordered, as_grouped.reshape(plain.shape))
    dPT = rng.standard_normal(plain[:-1].shape)
    dPT_ordered = dPT.reshape(-1, n, out[0] // 2, 2, out[1] // 2, 2).transpose(0, 1, 3, 5, 2, 4)
    np.testing.assert_allclose(
        patches.add_columns(
            dPT_ordered.reshape(dPT.shape), Xp.shape, kernel, strides, dilation, out, group
        ),
        patches.add_columns(dPT, Xp.shape, kernel, strides, dilation, out),
        rtol=1e-14,
        atol=1e-14,
    )


def test_forward_linear_refuses_an_order_it_cannot_give():
    conv = layers.Conv2D(2, 3)
    conv.build((None, 17, 17, 1))
    with pytest.raises(ValueError, match="cannot order its windows by a pool of"):
        conv.forward_linear(np.zeros((1, 17, 17, 1), "float32"), True, (2, 2))


@pytest.mark.parametrize("pool_size", [(2, 2), (2, 3)])
def test_the_pool_order_gives_the_same_bits_with_nan_inf_and_signed_zeros(pool_size):
    rng = np.random.default_rng(6)
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0])
    (g0, g1), n, C = pool_size, 3, 2
    Z = rng.choice(special, size=(n, 3 * g0, 4 * g1, C))
    # (n, 3, g0, 4, g1, C) -> (n, g0, g1, 3, 4, C): each image's rows by pool offset
    Zg = Z.reshape(n, 3, g0, 4, g1, C).transpose(0, 2, 4, 1, 3, 5).reshape(n, g0 * g1, 3, 4, C)
    relu = activations.get("relu")
    usual, ordered = layers.MaxPooling2D(pool_size), layers.MaxPooling2D(pool_size)
    with np.errstate(invalid="ignore"):  # inf * 0
        A = usual.forward_then(Z.copy(), True, relu)
        assert ordered.forward_then(Zg.copy(), True, relu, grouped=True).tobytes() == A.tobytes()
        dA = rng.choice(special, size=A.shape)
        dZ = usual.backward_then(dA)
        dZg = ordered.backward_then(dA).reshape(n, g0, g1, 3, 4, C)
    assert dZg.transpose(0, 3, 1, 4, 2, 5).reshape(Z.shape).tobytes() == dZ.tobytes()


def test_dead_units_are_counted_where_the_pool_reads():
    """The 11x11 output's last row is the only one where the units fire, and the 2x2 pool
    never reads it: the convolution does not compute it, so the recorder sees dead units."""
    X = np.zeros((8, 13, 13, 1))
    X[:, 12, :, 0] = 1.0
    model = models.Sequential(
        [
            layers.Input((13, 13, 1)),
            layers.Conv2D(2, 3, activation="relu", kernel_initializer="ones"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(X, np.arange(8) % 2, epochs=1, verbose=0)
    assert pool_plan(model.layers[0], model.layers[1], X.shape)[0] == (10, 10)
    assert history.dead_units[model.layers[0].name] == [1.0]


@pytest.mark.parametrize("size", [20, 21], ids=["ordered", "ordered-and-cropped"])
def test_conv_backward_refuses_a_gradient_not_shaped_like_what_it_computed(size):
    """After the graph's forward the convolution computed Z in pool order (and for 21x21
    only 18x18 of its 19x19 positions): a dA in the usual (n, 18, 18, 4) or (n, 19, 19, 4)
    shape would be read in the wrong order, or not fit: a clear error, not wrong numbers."""
    conv, pool = layers.Conv2D(4, 3, activation="relu"), layers.MaxPooling2D(2)
    model = models.Sequential([layers.Input((size, size, 1)), conv, pool, layers.Flatten()])
    X = np.random.default_rng(7).standard_normal((2, size, size, 1)).astype("float32")
    model.forward_pass([X], training=True)
    assert conv.last_Z.shape == (2 * 18 * 18, 4)  # the 18x18 positions, in pool order
    usual = np.ones(conv.compute_output_shape(X.shape), "float32")
    cropped = usual[:, :18, :18]
    for dA in (usual, cropped) if size == 21 else (usual,):
        with pytest.raises(ValueError, match="shaped like the output of its last forward pass"):
            conv.backward(dA)
    with pytest.raises(ValueError, match="shaped like the output of its last forward pass"):
        conv.backward_from_Z(usual[:, :, :, :1])
    # what the pool sends back is in that order: accepted
    dZ = pool.backward_then(np.ones(pool.compute_output_shape(cropped.shape)))
    conv.backward(dZ)
    conv.backward_from_Z(dZ)


def test_an_image_too_small_for_the_pool_gets_the_pools_error():
    # sizes unknown at build: the 3x3 image gives the convolution 1x1, no whole 2x2 window
    model = models.Sequential(
        [
            layers.Input((None, None, 1)),
            layers.Conv2D(2, 3, activation="relu"),
            layers.MaxPooling2D(2),
            layers.GlobalMaxPooling2D(),
        ]
    )
    with pytest.raises(ValueError, match=r"pool_size \(2, 2\) is larger than the input's"):
        model.predict(np.ones((1, 3, 3, 1), "float32"), verbose=0)
