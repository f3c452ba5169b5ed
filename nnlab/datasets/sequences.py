"""Sequence data for the recurrent layers, generated from a seed: (n, timesteps, features) inputs.

- `make_sine_forecast`: windows of a noisy sine wave; predict the next value (regression).
- `make_adding`: the adding problem of Hochreiter & Schmidhuber (1997): sum the two marked
  numbers of a long sequence (regression).
- `make_parity`: is the number of ones in a bit string odd (binary classification)?
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import make_rng
from nnlab.datasets.base import Dataset
from nnlab.datasets.synthetic import GENERATED_LICENSE, check_int


def _check_noise(noise):
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0. Received: noise={noise!r}")
    return float(noise)


def make_sine_forecast(n_samples=1000, timesteps=20, period=25.0, noise=0.1, seed=None):
    """Windows of a noisy sine: X the last `timesteps` values, y the next one.

    Each sample has its own random phase phi ~ U(0, 2 pi); its series is
    s_t = sin(2 pi t / period + phi) + N(0, noise^2) for t = 0..timesteps, and
    X = s_0..s_{timesteps-1}, y = s_timesteps. The noise is in y too, so no model can reach
    an MSE below noise^2 (0.01 at the defaults); predicting 0 gives about 0.5 + noise^2.

    Args:
        n_samples: number of windows.
        timesteps: length of each window.
        period: period of the sine in steps (> 0).
        noise: standard deviation of the Gaussian noise on every value.
        seed: int for reproducible data; None draws one from nnlab's seed stream.

    Returns:
        Dataset with X (n, timesteps, 1) float64 and y (n,) float64, task "regression".

    Example:
        >>> X, y = make_sine_forecast(200, timesteps=10, noise=0.0, seed=0)
        >>> X.shape, y.shape
        ((200, 10, 1), (200,))
    """
    n_samples = check_int("n_samples", n_samples)
    timesteps = check_int("timesteps", timesteps)
    noise = _check_noise(noise)
    if not np.isfinite(period) or period <= 0:
        raise ValueError(f"period must be a number > 0. Received: period={period!r}")
    rng = make_rng(seed)
    phase = rng.uniform(0.0, 2 * np.pi, (n_samples, 1))
    t = np.arange(timesteps + 1)[None, :]
    series = np.sin(2 * np.pi * t / period + phase)
    series = series + noise * rng.standard_normal(series.shape)
    return Dataset(
        X=series[:, :timesteps, None],
        y=series[:, timesteps],
        feature_names=["value"],
        target_names=["next_value"],
        task="regression",
        name="sine_forecast",
        description=f"Windows of sin(2 pi t / {period:g} + phase) + N(0, {noise:g}^2), one "
        f"random phase per window; X: {timesteps} values, y: the next value.",
        license=GENERATED_LICENSE,
    )


def make_adding(n_samples=1000, timesteps=30, seed=None):
    """The adding problem: each step holds (value, marker); y is the sum of the two marked values.

    Values are U(0, 1); exactly two steps per sequence have marker 1, one in the first half and
    one in the second half, so the network must remember across the sequence. Predicting the
    mean (1.0) gives an MSE of about 1/6 = 0.167; a model that learned the task goes far below.

    Args:
        n_samples: number of sequences.
        timesteps: length of each sequence (>= 2).
        seed: int for reproducible data; None draws one from nnlab's seed stream.

    Returns:
        Dataset with X (n, timesteps, 2) float64 and y (n,) float64, task "regression".

    Example:
        >>> X, y = make_adding(5, timesteps=6, seed=0)
        >>> X.shape, X[:, :, 1].sum(axis=1).tolist()
        ((5, 6, 2), [2.0, 2.0, 2.0, 2.0, 2.0])
        >>> bool(np.allclose(y, (X[:, :, 0] * X[:, :, 1]).sum(axis=1)))
        True
    """
    n_samples = check_int("n_samples", n_samples)
    timesteps = check_int("timesteps", timesteps, minimum=2)
    rng = make_rng(seed)
    values = rng.uniform(0.0, 1.0, (n_samples, timesteps))
    half = timesteps // 2
    first = rng.integers(0, half, n_samples)
    second = rng.integers(half, timesteps, n_samples)
    markers = np.zeros((n_samples, timesteps))
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    return Dataset(
        X=np.stack([values, markers], axis=-1),
        y=values[rows, first] + values[rows, second],
        feature_names=["value", "marker"],
        target_names=["sum_of_marked"],
        task="regression",
        name="adding",
        description=f"Adding problem: {timesteps} steps of (U(0,1) value, 0/1 marker); y is "
        "the sum of the two marked values (one marker in each half).",
        license=GENERATED_LICENSE,
    )


def make_parity(n_samples=1000, timesteps=8, seed=None):
    """Bit strings; y = 1 when the number of ones is odd (XOR of all bits).

    Args:
        n_samples: number of strings.
        timesteps: bits per string.
        seed: int for reproducible data; None draws one from nnlab's seed stream.

    Returns:
        Dataset with X (n, timesteps, 1) float64 of 0/1 and y (n,) int64, task "binary".

    Example:
        >>> X, y = make_parity(4, timesteps=5, seed=0)
        >>> bool(np.array_equal(y, X[:, :, 0].sum(axis=1).astype(int) % 2))
        True
    """
    n_samples = check_int("n_samples", n_samples)
    timesteps = check_int("timesteps", timesteps)
    bits = make_rng(seed).integers(0, 2, (n_samples, timesteps))
    return Dataset(
        X=bits[:, :, None].astype(np.float64),
        y=(bits.sum(axis=1) % 2).astype(np.int64),
        feature_names=["bit"],
        target_names=["even", "odd"],
        task="binary",
        name="parity",
        description=f"Parity of {timesteps} random bits: 1 when the count of ones is odd.",
        license=GENERATED_LICENSE,
    )
