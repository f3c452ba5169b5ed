"""Convolution, pooling and image helpers: float64 gradient checks over their options,
hand-worked examples, shapes, errors, saving and training.

Keras 3.15 (TensorFlow 2.21 backend, float64) was run on the same weights and inputs for
every option below while these layers were written: forward outputs, dX and weight
gradients agreed to 1e-14, including the tie rules of max pooling (first position) and of
global max pooling (shared equally)."""

from __future__ import annotations

import numpy as np
import pytest

from nnlab.datasets import load_digits
from nnlab.diagnostics import gradient_check
from nnlab.layers import (
    AveragePooling1D,
    AveragePooling2D,
    Conv1D,
    Conv2D,
    Dense,
    Flatten,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    Input,
    MaxPooling1D,
    MaxPooling2D,
    Reshape,
    SpatialDropout1D,
    SpatialDropout2D,
    UpSampling2D,
    ZeroPadding2D,
)
from nnlab.models import Sequential, load_model
from nnlab.optimizers import Adam
from nnlab.utils import set_random_seed, to_categorical

TOL = 1e-6


def _check(layers, x_shape, rng, out=2):
    model = Sequential([Input(shape=x_shape[1:]), *layers, Flatten(), Dense(out)])
    model.compile(optimizer="sgd", loss="mse")
    x = rng.normal(size=x_shape)
    y = rng.normal(size=(x_shape[0], out))
    result = gradient_check(model, x, y)
    assert result.inputs, "dX was not checked"
    assert result.max_error < TOL, str(result)
    return result


# ----------------------------------------------------------------------------- gradients
CONV2D_OPTIONS = [
    dict(kernel_size=3),
    dict(kernel_size=3, strides=2),
    dict(kernel_size=3, padding="same"),
    dict(kernel_size=(2, 3), strides=(2, 1), padding="same"),
    dict(kernel_size=2, dilation_rate=2),
    dict(kernel_size=3, dilation_rate=(1, 2), padding="same"),
    dict(kernel_size=3, use_bias=False),
]


@pytest.mark.parametrize("options", CONV2D_OPTIONS, ids=str)
def test_conv2d_gradients(float64, rng, options):
    result = _check([Conv2D(3, activation="tanh", **options)], (2, 6, 7, 2), rng)
    assert any(name == "kernel" for _, name in result.weights)


@pytest.mark.parametrize(
    "options",
    [
        dict(),
        dict(strides=2),
        dict(padding="same"),
        dict(padding="causal", dilation_rate=2),
        dict(padding="same", strides=3),
    ],
    ids=str,
)
def test_conv1d_gradients(float64, rng, options):
    _check([Conv1D(3, 3, activation="sigmoid", **options)], (2, 9, 2), rng)


@pytest.mark.parametrize("layer", [MaxPooling2D, AveragePooling2D])
@pytest.mark.parametrize(
    "options",
    [dict(pool_size=2), dict(pool_size=3, strides=2), dict(pool_size=3, strides=2, padding="same")],
    ids=str,
)
def test_pooling2d_gradients(float64, rng, layer, options):
    # random inputs have no ties, so the max is differentiable where we check it
    _check([Conv2D(2, 2), layer(**options)], (2, 7, 8, 2), rng)


@pytest.mark.parametrize("layer", [MaxPooling1D, AveragePooling1D])
@pytest.mark.parametrize("options", [dict(pool_size=2), dict(pool_size=3, padding="same")], ids=str)
def test_pooling1d_gradients(float64, rng, layer, options):
    _check([Conv1D(2, 2), layer(**options)], (2, 9, 2), rng)


@pytest.mark.parametrize(
    "layer, shape",
    [
        (GlobalAveragePooling2D(), (2, 4, 5, 3)),
        (GlobalMaxPooling2D(), (2, 4, 5, 3)),
        (GlobalAveragePooling1D(), (2, 6, 3)),
        (GlobalMaxPooling1D(keepdims=True), (2, 6, 3)),
        (ZeroPadding2D(((1, 2), (0, 1))), (2, 3, 4, 2)),
        (UpSampling2D((2, 3)), (2, 3, 2, 2)),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, tuple) else str(v),
)
def test_weightless_layers_gradients(float64, rng, layer, shape):
    _check([layer], shape, rng)


@pytest.mark.parametrize("layer, shape", [(SpatialDropout2D(0.5, seed=3), (4, 3, 3, 4)),
                                          (SpatialDropout1D(0.5, seed=3), (4, 5, 4))])
def test_spatial_dropout_gradients_with_its_mask_held(float64, rng, layer, shape):
    _check([layer], shape, rng)


# ----------------------------------------------------------------------------- by hand
def test_conv2d_by_hand():
    """3x3 input 1..9, 2x2 kernel [[1, 0], [0, -1]], bias 0.5, stride 1, valid:
    z[0,0] = 1 - 5 + 0.5 = -3.5; every window gives x[i,j] - x[i+1,j+1] + 0.5 = -3.5.
    With dY = 1 everywhere: dW[a,b] = sum of the inputs each kernel entry saw,
    dW[0,0] = 1+2+4+5 = 12, dW[0,1] = 2+3+5+6 = 16, dW[1,0] = 4+5+7+8 = 24, dW[1,1] = 28;
    db = 4 (four positions); dX = sum over windows of W: corner (0,0) gets 1, (2,2) gets -1,
    (0,2) gets 0 (kernel entry 0,1 is 0), the middle gets 1 - 1 = 0."""
    conv = Conv2D(1, 2)
    X = np.arange(1.0, 10.0).reshape(1, 3, 3, 1)
    conv(X)
    conv.set_weights([np.array([[1.0, 0.0], [0.0, -1.0]]).reshape(2, 2, 1, 1), np.array([0.5])])
    Z = conv.forward(X, training=True)
    assert Z[0, :, :, 0].tolist() == [[-3.5, -3.5], [-3.5, -3.5]]
    dX = conv.backward(np.ones_like(Z))
    assert conv.grads["kernel"][:, :, 0, 0].tolist() == [[12.0, 16.0], [24.0, 28.0]]
    assert conv.grads["bias"].tolist() == [4.0]
    assert dX[0, :, :, 0].tolist() == [[1.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -1.0]]


def test_same_padding_puts_the_smaller_half_first():
    """Length 4, kernel 4, stride 1, same: 3 zeros in all, 1 before and 2 after
    (TensorFlow's split), so output 0 sees [0, x0, x1, x2] = 0 + 1 + 2 + 3 = 6 with ones."""
    conv = Conv1D(1, 4, padding="same", kernel_initializer="ones", use_bias=False)
    out = conv(np.array([[[1.0], [2.0], [3.0], [4.0]]]))[0, :, 0]
    assert out.tolist() == [6.0, 10.0, 9.0, 7.0]


def test_causal_padding_sees_only_the_past():
    conv = Conv1D(1, 2, padding="causal", kernel_initializer="ones", use_bias=False)
    out = conv(np.array([[[1.0], [2.0], [4.0]]]))[0, :, 0]
    assert out.tolist() == [1.0, 3.0, 6.0]  # 0 + 1, 1 + 2, 2 + 4


def test_max_pooling_tie_goes_to_the_first_position_and_average_counts_real_cells():
    pool = MaxPooling2D(2)
    X = np.zeros((1, 2, 2, 1))
    pool(X)
    pool.forward(X, training=True)
    assert pool.backward(np.full((1, 1, 1, 1), 5.0))[0, :, :, 0].tolist() == [[5, 0], [0, 0]]
    # 3 x 3 ones, pool 2, stride 2, same: windows hold 4, 2, 2 and 1 real cells; mean 1 each
    avg = AveragePooling2D(2, padding="same")
    assert avg(np.ones((1, 3, 3, 1)))[0, :, :, 0].tolist() == [[1.0, 1.0], [1.0, 1.0]]
    dX = avg.backward(np.ones((1, 2, 2, 1)))[0, :, :, 0]
    assert dX.tolist() == [[0.25, 0.25, 0.5], [0.25, 0.25, 0.5], [0.5, 0.5, 1.0]]


def _max_pool_grad_by_loops(X, dY, k, s):
    """MaxPooling2D's dX by plain loops: each window's dY to its first maximum."""
    dX = np.zeros_like(X)
    n, oh, ow, C = dY.shape
    for i, p, q, c in np.ndindex(n, oh, ow, C):
        window = X[i, p * s : p * s + k, q * s : q * s + k, c]
        a, b = np.unravel_index(np.argmax(window), window.shape)  # argmax: the first max
        dX[i, p * s + a, q * s + b, c] += dY[i, p, q, c]
    return dX


@pytest.mark.parametrize("k", [2, 3])  # 3: nine offsets compete for each window's max
@pytest.mark.parametrize("strides", ["k", 1])  # tiling windows (a fast path) and overlapping
@pytest.mark.parametrize("size", [6, 7])  # 7: the last row and column belong to no window
def test_max_pooling_gradient_with_many_ties_matches_loops(k, strides, size):
    strides = k if strides == "k" else strides
    rng = np.random.default_rng(3)
    X = rng.integers(0, 3, size=(2, size, size, 3)).astype(np.float64)  # ties everywhere
    pool = MaxPooling2D(k, strides=strides)
    pool(X)
    A = pool.forward(X, training=True)
    dY = rng.standard_normal(A.shape)
    # overlapping windows add their shares in another order than the loops: 1 ulp apart
    np.testing.assert_allclose(
        pool.backward(dY), _max_pool_grad_by_loops(X, dY, k, strides), rtol=0, atol=1e-15
    )


def test_global_max_shares_the_gradient_between_ties():
    pool = GlobalMaxPooling2D()
    X = np.zeros((1, 2, 2, 1))
    pool(X)
    assert pool.backward(np.array([[2.0]]))[0, :, :, 0].tolist() == [[0.5, 0.5], [0.5, 0.5]]


def test_spatial_dropout_drops_whole_channels():
    layer = SpatialDropout2D(0.5, seed=0)
    A = layer(np.ones((8, 4, 4, 6)), training=True)
    per_map = A.reshape(8, 16, 6)
    assert np.all(per_map.min(axis=1) == per_map.max(axis=1))  # a map is all 0 or all 2
    assert set(np.unique(A)) == {0.0, 2.0}


# ----------------------------------------------------------------------------- shapes
def test_shapes_and_summary_of_a_small_cnn():
    model = Sequential(
        [
            Input(shape=(28, 28, 1)),
            Conv2D(32, 3, activation="relu"),
            MaxPooling2D(2),
            Conv2D(64, 3, activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, activation="softmax"),
        ]
    )
    assert [layer.output_shape for layer in model.layers] == [
        (None, 26, 26, 32),
        (None, 13, 13, 32),
        (None, 11, 11, 64),
        (None, 5, 5, 64),
        (None, 1600),
        (None, 10),
    ]
    # Keras's summary of its MNIST convnet: 320 + 18,496 + 16,010 parameters
    assert model.count_params() == 320 + 18496 + 16010


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: Conv2D(0, 3), "filters"),
        (lambda: Conv2D(2, (3, 0)), "kernel_size"),
        (lambda: Conv2D(2, 3, padding="full"), "padding"),
        (lambda: Conv1D(2, 3, padding="reflect"), "padding"),
        (lambda: Conv2D(2, 3, data_format="channels_first"), "channels_last"),
        (lambda: Conv2D(2, 3, groups=2), "groups"),
        (lambda: Conv2D(2, 3, strides=2, dilation_rate=2), "dilation"),
        (lambda: MaxPooling2D(0), "pool_size"),
        (lambda: UpSampling2D(interpolation="bilinear"), "nearest"),
        (lambda: ZeroPadding2D(-1), "padding"),
        (lambda: Sequential([Input(shape=(28, 28)), Conv2D(2, 3)]), "channels"),
        (lambda: Sequential([Input(shape=(2, 2, 1)), Conv2D(2, 3)]), "does not fit"),
        (lambda: Sequential([Input(shape=(8,)), MaxPooling1D()]), "steps"),
    ],
)
def test_bad_arguments_are_refused_early_with_the_fix(make, match):
    with pytest.raises(ValueError, match=match):
        make()


# ----------------------------------------------------------------------------- workflow
def _small_cnn():
    return Sequential(
        [
            Input(shape=(8, 8, 1)),
            Conv2D(4, 3, padding="same", activation="relu"),
            MaxPooling2D(2),
            Conv2D(6, 3, padding="same", activation="relu"),
            SpatialDropout2D(0.1, seed=1),
            GlobalAveragePooling2D(),
            Dense(3, activation="softmax"),
        ]
    )


def test_save_and_load_round_trip(tmp_path, rng):
    model = _small_cnn()
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x = rng.normal(size=(5, 8, 8, 1))
    before = model.predict(x, verbose=0)
    model.save(tmp_path / "cnn.nnlab")
    again = load_model(tmp_path / "cnn.nnlab")
    np.testing.assert_array_equal(again.predict(x, verbose=0), before)
    assert [type(layer).__name__ for layer in again.layers] == [
        type(layer).__name__ for layer in model.layers
    ]


def _fit_digits_cnn(X, y):
    set_random_seed(7)
    model = Sequential(
        [
            Input(shape=(8, 8, 1)),
            Conv2D(8, 3, padding="same", activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=Adam(0.01), loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, y, epochs=8, batch_size=32, verbose=0)
    return model, history


def test_a_small_cnn_learns_digit_images_and_is_reproducible():
    data = load_digits()
    X = (data.images.reshape(-1, 8, 8, 1) / 16.0)[:600]
    y = to_categorical(data.y[:600], 10)
    model, history = _fit_digits_cnn(X[:500], y[:500])
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    _, accuracy = model.evaluate(X[500:], y[500:], verbose=0)
    assert accuracy > 0.8
    again, _ = _fit_digits_cnn(X[:500], y[:500])
    for a, b in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(a, b)  # same seed, same bits


def test_flops_of_keras_mnist_convnet():
    """Conv2D(32, 3) on 28x28x1: 26*26 positions * 32 filters * (2*9 + 1) FLOPs; the second
    11*11*64*(2*288 + 1); pools 13*13*32*4 and 5*5*64*4; Dense 1600 -> 10: 2*1600*10 + 10."""
    from nnlab.diagnostics import flops_per_sample

    model = Sequential(
        [
            Input(shape=(28, 28, 1)),
            Conv2D(32, 3, activation="relu"),
            MaxPooling2D(2),
            Conv2D(64, 3, activation="relu"),
            MaxPooling2D(2),
            Flatten(),
            Dense(10, activation="softmax"),
        ]
    )
    expected = (
        26 * 26 * 32 * 19 + 13 * 13 * 32 * 4 + 11 * 11 * 64 * 577 + 5 * 5 * 64 * 4 + 32010
    )
    assert flops_per_sample(model) == expected


def test_default_names_follow_keras():
    assert [Conv2D(1, 1).name, MaxPooling2D().name, GlobalAveragePooling2D().name] == [
        "conv2d",
        "max_pooling2d",
        "global_average_pooling2d",
    ]


@pytest.mark.parametrize("opset", [13, 18])
def test_onnx_export_of_image_layers_predicts_as_nnlab(tmp_path, rng, opset):
    import onnxruntime as ort

    from nnlab.layers import Concatenate
    from nnlab.models import Model
    from nnlab.onnx_export import export_onnx

    x = Input(shape=(7, 6, 2))
    h = Conv2D(3, 3, padding="same", strides=2, activation="relu")(x)
    h = ZeroPadding2D(((1, 0), (0, 2)))(UpSampling2D((2, 1))(h))
    h = SpatialDropout2D(0.3)(MaxPooling2D(3, strides=2, padding="same")(h))
    h = AveragePooling2D(2, strides=1, padding="same")(Conv2D(4, 2, dilation_rate=2)(h))
    seq = Reshape((-1, 4))(h)
    seq = MaxPooling1D(2, padding="same")(Conv1D(3, 3, padding="causal", activation="tanh")(seq))
    seq = AveragePooling1D(2, padding="same")(Conv1D(2, 2, padding="same")(seq))
    heads = [
        GlobalAveragePooling2D()(h),
        GlobalMaxPooling2D()(h),
        GlobalAveragePooling1D()(seq),
        GlobalMaxPooling1D()(seq),
    ]
    model = Model(x, Dense(2, activation="softmax")(Concatenate()(heads)))
    X = rng.normal(size=(5, 7, 6, 2)).astype("float32")
    proto = export_onnx(model, tmp_path / "cnn.onnx", opset=opset)
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {model.input_names[0]: X})
    np.testing.assert_allclose(out, model.predict(X, verbose=0), atol=1e-6)


def test_blocks_of_images_give_the_same_bits_as_one_image_at_a_time():
    """Convolution and max pooling run in blocks of images (patches.image_blocks); every
    image's output and input gradient must not depend on where the blocks are cut."""
    from nnlab.layers import patches

    rng = np.random.default_rng(0)
    X = rng.normal(size=(96, 16, 16, 3))
    assert len(patches.image_blocks(96, 16 * 16 * 27 * 8)) >= 2  # really several blocks
    conv, pool = Conv2D(8, 3, padding="same", activation="relu"), MaxPooling2D(2)
    conv.build(X.shape)
    A = pool.forward(conv.forward(X, training=True), training=True)
    dY = rng.normal(size=A.shape)
    dX = conv.backward(pool.backward(dY))
    for i in (0, 37, 95):
        Ai = pool.forward(conv.forward(X[i : i + 1], training=True), training=True)
        assert np.array_equal(Ai, A[i : i + 1])
        assert np.array_equal(conv.backward(pool.backward(dY[i : i + 1])), dX[i : i + 1])


# ------------------------------------------------------------- the two layouts of im2col
@pytest.fixture(params=[True, False], ids=["columns", "rows"])
def layout(request, monkeypatch):
    """Force one layout of the patches (patches.use_columns picks by the image's shape)."""
    from nnlab.layers import patches

    monkeypatch.setattr(patches, "use_columns", lambda channels, positions: request.param)
    return request.param


@pytest.mark.parametrize("options", CONV2D_OPTIONS, ids=str)
def test_conv2d_gradients_in_both_layouts(float64, rng, layout, options):
    _check([Conv2D(3, activation="relu", **options), Conv2D(2, 2)], (2, 6, 7, 2), rng)


@pytest.mark.parametrize("options", [dict(), dict(padding="causal", dilation_rate=2),
                                     dict(padding="same", strides=3)], ids=str)
def test_conv1d_gradients_in_both_layouts(float64, rng, layout, options):
    _check([Conv1D(3, 3, activation="tanh", **options), Conv1D(2, 2)], (2, 9, 2), rng)


def test_both_layouts_compute_the_same_convolution(float64, rng, monkeypatch):
    """P W + b by rows of P and P^T.T [W; b] by columns agree to rounding, forward and
    backward, and the shapes that matter pick the layout measured faster."""
    from nnlab.layers import patches

    assert patches.use_columns(1, 26 * 26) and not patches.use_columns(1, 8 * 8)
    assert not patches.use_columns(32, 11 * 11)
    X = rng.normal(size=(3, 9, 8, 2))
    dY = rng.normal(size=(3, 5, 4, 4))
    results = []
    for columns in (True, False):
        monkeypatch.setattr(patches, "use_columns", lambda c, p, columns=columns: columns)
        conv = Conv2D(4, 3, strides=(2, 2), padding="same", dilation_rate=1)
        conv.build(X.shape)
        conv.set_weights([np.linspace(-1, 1, 72).reshape(3, 3, 2, 4), np.arange(4.0)])
        A = conv.forward(X, training=True)
        dX = conv.backward(dY)
        results.append((A, dX, conv.grads["kernel"].copy(), conv.grads["bias"].copy()))
    for by_columns, by_rows in zip(*results):
        np.testing.assert_allclose(by_columns, by_rows, rtol=1e-12, atol=1e-12)


def test_gradient_check_catches_a_wrong_col2im(float64, rng, layout, monkeypatch):
    """The check is not vacuous: dX 1 % off in one window offset fails it, in both layouts."""
    from nnlab.layers import patches

    real = patches.add_offsets

    def off(dP, *args, **kwargs):
        dP = dP.copy()
        dP[0] *= 1.01
        return real(dP, *args, **kwargs)

    monkeypatch.setattr(patches, "add_offsets", off)
    model = Sequential([Input(shape=(5, 5, 1)), Conv2D(2, 2), Conv2D(1, 2), Flatten(), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    result = gradient_check(model, rng.normal(size=(2, 5, 5, 1)), rng.normal(size=(2, 1)))
    assert 1e-4 < max(result.inputs.values())


def test_max_pooling_with_more_windows_offsets_than_a_byte_counts():
    """17 x 17 = 289 offsets per window: the winners no longer fit in uint8 (uint16)."""
    rng = np.random.default_rng(5)
    X = rng.integers(0, 4, size=(2, 34, 34, 2)).astype(np.float32)  # ties in every window
    X[0, 20, 30, 1] = 9.0  # the max at an offset past 255 (row 3, column 13 of its window)
    pool = MaxPooling2D(17)
    pool(X)
    A = pool.forward(X, training=True)
    np.testing.assert_array_equal(A, X.reshape(2, 2, 17, 2, 17, 2).max(axis=(2, 4)))
    dY = rng.standard_normal(A.shape).astype(np.float32)
    np.testing.assert_array_equal(pool.backward(dY), _max_pool_grad_by_loops(X, dY, 17, 17))
