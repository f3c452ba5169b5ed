"""Data for the CNN and RNN tutorials: images as (N, H, W, C) and seeded sequence sets."""

import numpy as np
import pytest

from nnlab import datasets as ds
from nnlab import layers, models, optimizers


def test_digits_and_mnist_as_images_are_the_flat_rows_reshaped():
    flat, img = ds.load_digits(), ds.load_digits(as_images=True)
    assert img.X.shape == (1797, 8, 8, 1) and img.images.shape == (1797, 8, 8)
    assert np.array_equal(img.X.reshape(1797, 64), flat.X) and np.array_equal(img.y, flat.y)
    # pixel (row 2, column 5) of image 0 is flat feature 2 * 8 + 5
    assert img.X[0, 2, 5, 0] == flat.X[0, 21]
    m = ds.load_mnist_subset(shuffle=True, seed=3, as_images=True)
    m_flat = ds.load_mnist_subset(shuffle=True, seed=3)
    assert m.X.shape == (5000, 28, 28, 1) and m.X.dtype == np.uint8
    assert np.array_equal(m.X[..., 0], m_flat.images) and np.array_equal(m.y, m_flat.y)
    with pytest.raises(TypeError, match="as_images must be True.*Received: as_images='yes'"):
        ds.load_digits(as_images="yes")


def _cifar_file(path, labels, images_chw):
    rows = [np.concatenate([[lab], im.ravel()]) for lab, im in zip(labels, images_chw)]
    path.write_bytes(np.asarray(rows, np.uint8).tobytes())


def test_cifar10_file_feeds_conv2d(tmp_path):
    """A tiny CIFAR-10 binary file written here, read as (N, 32, 32, 3) and trained on."""
    rng = np.random.default_rng(0)
    chw = rng.integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
    path = tmp_path / "data_batch_1.bin"
    _cifar_file(path, [0, 3, 9, 3], chw)
    d = ds.load_cifar10_dataset(path)
    assert d.X.shape == (4, 32, 32, 3) and d.images is d.X
    # channels last: pixel (row 1, col 2) of channel g (1) of image 2
    assert d.X[2, 1, 2, 1] == chw[2, 1, 1, 2]
    assert d.y.tolist() == [0, 3, 9, 3] and d.target_names[3] == "cat"
    model = models.Sequential(
        [
            layers.Input(shape=(32, 32, 3)),
            layers.Conv2D(2, 5, strides=3, activation="relu"),
            layers.GlobalAveragePooling2D(),
            layers.Dense(10, activation="softmax"),
        ]
    )
    model.compile(optimizer=optimizers.Adam(1e-2), loss="sparse_categorical_crossentropy")
    hist = model.fit(d.X / 255.0, d.y, epochs=5, batch_size=4, verbose=0, seed=0)
    assert model.predict(d.X / 255.0, verbose=0).shape == (4, 10)
    assert hist.history["loss"][-1] < hist.history["loss"][0]


def test_sine_forecast_windows_follow_the_formula():
    d = ds.make_sine_forecast(50, timesteps=6, period=10.0, noise=0.0, seed=1)
    assert d.X.shape == (50, 6, 1) and d.y.shape == (50,) and d.task == "regression"
    # no noise: each row is sin(2 pi t / 10 + phase) for t = 0..6, so the phase of row i
    # recovered from t = 0 and t = 1 predicts y exactly
    s0, s1 = d.X[:, 0, 0], d.X[:, 1, 0]
    w = 2 * np.pi / 10
    cos_phase = (s1 - s0 * np.cos(w)) / np.sin(w)  # sin(w + p) = sin p cos w + cos p sin w
    phase = np.arctan2(s0, cos_phase)
    assert np.allclose(d.y, np.sin(w * 6 + phase))
    noisy = ds.make_sine_forecast(2000, noise=0.3, seed=2)
    clean = ds.make_sine_forecast(2000, noise=0.0, seed=2)
    assert 0.27 < np.std(noisy.X - clean.X) < 0.33
    assert np.array_equal(ds.make_sine_forecast(5, seed=7).X, ds.make_sine_forecast(5, seed=7).X)
    with pytest.raises(ValueError, match="period must be a number > 0. Received: period=0"):
        ds.make_sine_forecast(period=0)


def test_adding_and_parity_targets():
    X, y = ds.make_adding(200, timesteps=10, seed=0)
    assert X.shape == (200, 10, 2) and np.all(X[:, :, 1].sum(axis=1) == 2)
    assert np.all(X[:, :5, 1].sum(axis=1) == 1)  # one marker in each half
    assert np.allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(axis=1))
    Xp, yp = ds.make_parity(300, timesteps=4, seed=0)
    assert set(np.unique(Xp)) == {0.0, 1.0} and Xp.shape == (300, 4, 1)
    assert np.array_equal(yp, Xp[:, :, 0].sum(axis=1).astype(int) % 2)
    assert ds.make_parity(3, timesteps=1, seed=0).y.tolist() == ds.make_parity(
        3, timesteps=1, seed=0).X[:, 0, 0].astype(int).tolist()
    with pytest.raises(ValueError, match="timesteps must be an int >= 2. Received: timesteps=1"):
        ds.make_adding(timesteps=1)
    assert ds.load("adding", n_samples=4, seed=0).X.shape == (4, 30, 2)
