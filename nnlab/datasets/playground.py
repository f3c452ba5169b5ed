"""TensorFlow Playground's 2D datasets, vectorised and seeded.

The formulas follow `src/dataset.ts` of tensorflow/playground (Daniel Smilkov, Shan Carter;
Apache-2.0): same constants, same distributions. The points themselves differ, because
Playground draws from a JavaScript `seedrandom` stream; here every generator draws from
`numpy.random.default_rng(seed)`, so the same seed gives the same bits.

Differences from Playground, on purpose:

- Classification labels are **1 / 0** (Playground uses +1 / -1): `y_pm = 2 * y - 1`.
- `noise` is Playground's slider divided by 100 (slider 0..50 -> noise 0..0.5).
- `shuffle=True` shuffles the rows once, as Playground does before its train/test split.
- `n_samples` is honoured exactly (an odd count gives the positive class one point more).

For circle, xor, reg_plane and reg_gauss, noise does not move the points: it perturbs the
coordinates used to compute the label, so labels near the boundary flip. For gauss and spiral,
noise moves the points.
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import make_rng
from nnlab.datasets.base import Dataset

PLAYGROUND_LICENSE = (
    "Generated data: no licence needed. The generator formulas follow TensorFlow Playground's "
    "src/dataset.ts (c) Google, Daniel Smilkov and Shan Carter, Apache-2.0."
)
_XY = ["x1", "x2"]


def _check(n_samples, noise):
    if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)):
        raise ValueError(f"n_samples must be an int. Received: n_samples={n_samples!r}")
    if n_samples < 2:
        raise ValueError(f"n_samples must be at least 2. Received: n_samples={n_samples}")
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0. Received: noise={noise!r}")
    return int(n_samples) - int(n_samples) // 2, int(n_samples) // 2


def _dataset(X, y, rng, shuffle, name, target_names, description, task="binary"):
    if shuffle:
        order = rng.permutation(len(X))
        X, y = X[order], y[order]
    return Dataset(
        X=np.ascontiguousarray(X, dtype=np.float64),
        y=y,
        feature_names=list(_XY),
        target_names=target_names,
        task=task,
        name=name,
        description=description,
        license=PLAYGROUND_LICENSE,
    )


def _polar(rng, r):
    angle = rng.uniform(0.0, 2 * np.pi, r.shape)
    return np.column_stack([r * np.sin(angle), r * np.cos(angle)])


def make_circle(n_samples=500, noise=0.0, seed=None, shuffle=True):
    """Playground "circle": a disc of class 1 inside a ring of class 0.

    Half the points have radius U(0, 2.5), half U(3.5, 5), angle U(0, 2pi). The label is
    1 where |(x + nx, y + ny)| < 2.5, with nx, ny ~ U(-5, 5) * noise.

    Args:
        n_samples: number of points (Playground: 500).
        noise: label noise, 0..0.5 in Playground's slider range.
        seed: int for reproducible data; None draws one from nnlab's seed stream.
        shuffle: shuffle the rows once (otherwise the inner half comes first).

    Returns:
        Dataset with X (n, 2) float64 and y (n,) int64 in {0, 1}.

    Example:
        >>> X, y = make_circle(200, seed=0)
        >>> X.shape, int(y.sum())
        ((200, 2), 100)
    """
    n_pos, n_neg = _check(n_samples, noise)
    rng = make_rng(seed)
    r = np.concatenate([rng.uniform(0.0, 2.5, n_pos), rng.uniform(3.5, 5.0, n_neg)])
    X = _polar(rng, r)
    jitter = rng.uniform(-5.0, 5.0, X.shape) * noise
    y = (np.hypot(*(X + jitter).T) < 2.5).astype(np.int64)
    desc = "TensorFlow Playground circle: class 1 inside radius 2.5, class 0 in the ring 3.5..5."
    return _dataset(X, y, rng, shuffle, "circle", ["outside", "inside"], desc)


def make_circle_bench(n_samples=1000, noise=0.25, seed=None, shuffle=True):
    """The benchmark's circle (bench/TASKS.md "playground"): noise moves the points.

    Half the points have radius U(0, 2) and label 1, half radius U(3, 5) and label 0, angle
    U(0, 2pi); then each coordinate gets U(-noise, noise) added. Labels never flip. Use the
    first half of the (shuffled) rows for training and the second half for testing.

    Args:
        n_samples: number of points (the benchmark uses 1000).
        noise: half-width of the uniform noise added to each coordinate (0.25).
        seed: int for reproducible data; None draws one from nnlab's seed stream.
        shuffle: shuffle the rows once.

    Returns:
        Dataset with X (n, 2) float64 and y (n,) int64 in {0, 1}.

    Example:
        >>> X, y = make_circle_bench(seed=0)
        >>> X.shape, int(y.sum())
        ((1000, 2), 500)
    """
    n_pos, n_neg = _check(n_samples, noise)
    rng = make_rng(seed)
    r = np.concatenate([rng.uniform(0.0, 2.0, n_pos), rng.uniform(3.0, 5.0, n_neg)])
    X = _polar(rng, r) + rng.uniform(-noise, noise, (r.size, 2))
    y = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    desc = (
        "Benchmark circle: class 1 at radius U(0, 2), class 0 at radius U(3, 5), "
        f"each coordinate plus U(-{noise}, {noise})."
    )
    return _dataset(X, y, rng, shuffle, "circle_bench", ["outside", "inside"], desc)


def make_xor(n_samples=500, noise=0.0, seed=None, shuffle=True):
    """Playground "xor": class 1 in the quadrants where x * y >= 0.

    x, y ~ U(-5, 5), each pushed 0.3 away from 0. Label 1 where (x + nx)(y + ny) >= 0, with
    nx, ny ~ U(-5, 5) * noise.

    Args:
        n_samples: number of points (Playground: 500).
        noise: label noise, 0..0.5.
        seed: int for reproducible data; None draws one from nnlab's seed stream.
        shuffle: accepted for a uniform signature (the points are already in random order).

    Returns:
        Dataset with X (n, 2) float64 and y (n,) int64 in {0, 1}.

    Example:
        >>> X, y = make_xor(100, seed=0)
        >>> bool((abs(X) >= 0.3).all())
        True
    """
    _check(n_samples, noise)
    rng = make_rng(seed)
    X = rng.uniform(-5.0, 5.0, (n_samples, 2))
    X += np.where(X > 0, 0.3, -0.3)
    Xn = X + rng.uniform(-5.0, 5.0, X.shape) * noise
    y = (Xn[:, 0] * Xn[:, 1] >= 0).astype(np.int64)
    desc = "TensorFlow Playground xor: class 1 where x1 * x2 >= 0 (quadrants I and III)."
    return _dataset(X, y, rng, False, "xor", ["x1*x2 < 0", "x1*x2 >= 0"], desc)


def make_gauss(n_samples=500, noise=0.0, seed=None, shuffle=True):
    """Playground "gauss": two Gaussian blobs, class 1 at (2, 2), class 0 at (-2, -2).

    The variance maps noise linearly from [0, 0.5] onto [0.5, 4] (variance = 0.5 + 7 * noise,
    extrapolated above 0.5 as d3's unclamped scale does); std = sqrt(variance).

    Args:
        n_samples: number of points (Playground: 500).
        noise: 0..0.5; sets the blobs' variance.
        seed: int for reproducible data; None draws one from nnlab's seed stream.
        shuffle: shuffle the rows once.

    Returns:
        Dataset with X (n, 2) float64 and y (n,) int64 in {0, 1}.

    Example:
        >>> X, y = make_gauss(1000, seed=0)
        >>> bool(X[y == 1].mean() > 1.5 and X[y == 0].mean() < -1.5)
        True
    """
    n_pos, n_neg = _check(n_samples, noise)
    rng = make_rng(seed)
    std = np.sqrt(0.5 + 7.0 * noise)
    centres = np.repeat([[2.0, 2.0], [-2.0, -2.0]], [n_pos, n_neg], axis=0)
    X = centres + std * rng.standard_normal(centres.shape)
    y = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    desc = "TensorFlow Playground gauss: class 1 around (2, 2), class 0 around (-2, -2)."
    return _dataset(X, y, rng, shuffle, "gauss", ["centre (-2,-2)", "centre (2,2)"], desc)


def make_spiral(n_samples=500, noise=0.0, seed=None, shuffle=True):
    """Playground "spiral": two interleaved arms of 1.75 turns.

    For i in 0..n-1 per arm: r = 5 i / n, t = 1.75 * 2pi * i / n + delta,
    (x, y) = (r sin t, r cos t) + U(-1, 1) * noise. delta = 0 is class 1, delta = pi class 0.

    Args:
        n_samples: number of points (Playground: 500).
        noise: 0..0.5; moves the points.
        seed: int for reproducible data; None draws one from nnlab's seed stream.
        shuffle: shuffle the rows once.

    Returns:
        Dataset with X (n, 2) float64 and y (n,) int64 in {0, 1}.

    Example:
        >>> X, y = make_spiral(200, seed=0)
        >>> X.shape, bool(abs(X).max() <= 5)
        ((200, 2), True)
    """
    n_pos, n_neg = _check(n_samples, noise)
    rng = make_rng(seed)
    parts = []
    for n, delta in ((n_pos, 0.0), (n_neg, np.pi)):
        i = np.arange(n) / n
        r, t = 5.0 * i, 1.75 * 2 * np.pi * i + delta
        parts.append(np.column_stack([r * np.sin(t), r * np.cos(t)]))
    X = np.concatenate(parts) + rng.uniform(-1.0, 1.0, (n_samples, 2)) * noise
    y = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    desc = "TensorFlow Playground spiral: two arms of 1.75 turns out to radius 5."
    return _dataset(X, y, rng, shuffle, "spiral", ["arm delta=pi", "arm delta=0"], desc)


def make_reg_plane(n_samples=1200, noise=0.0, seed=None, shuffle=True):
    """Playground "reg-plane": y = (x1 + x2) / 10 on the square [-6, 6]^2.

    The label uses noisy coordinates (x + nx, y + ny), nx, ny ~ U(-6, 6) * noise, and is not
    clamped, so it spans about -1.2..1.2.

    Args:
        n_samples: number of points (Playground: 1200).
        noise: label noise, 0..0.5.
        seed: int for reproducible data; None draws one from nnlab's seed stream.
        shuffle: accepted for a uniform signature (the points are already in random order).

    Returns:
        Dataset with X (n, 2) float64 and y (n,) float64.

    Example:
        >>> X, y = make_reg_plane(100, seed=0)
        >>> bool(np.allclose(y, X.sum(axis=1) / 10))
        True
    """
    _check(n_samples, noise)
    rng = make_rng(seed)
    X = rng.uniform(-6.0, 6.0, (n_samples, 2))
    y = (X + rng.uniform(-6.0, 6.0, X.shape) * noise).sum(axis=1) / 10.0
    desc = "TensorFlow Playground reg-plane: target (x1 + x2) / 10 on [-6, 6]^2."
    return _dataset(X, y, rng, False, "reg_plane", ["y"], desc, task="regression")


_BUMPS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]]
)


def make_reg_gauss(n_samples=1200, noise=0.0, seed=None, shuffle=True):
    """Playground "reg-gauss": six signed bumps of radius 2 on [-6, 6]^2.

    Bump k at centre c_k with sign s_k gives v_k = s_k * clip(1 - d_k / 2, 0, 1), d_k the
    distance from the noisy point (noise as in reg_plane) to c_k; the target is the v_k of
    largest magnitude (the first one on ties, as upstream).

    Args:
        n_samples: number of points (Playground: 1200).
        noise: label noise, 0..0.5.
        seed: int for reproducible data; None draws one from nnlab's seed stream.
        shuffle: accepted for a uniform signature (the points are already in random order).

    Returns:
        Dataset with X (n, 2) float64 and y (n,) float64 in [-1, 1].

    Example:
        >>> X, y = make_reg_gauss(500, seed=0)
        >>> bool(-1 <= y.min() < 0 < y.max() <= 1)
        True
    """
    _check(n_samples, noise)
    rng = make_rng(seed)
    X = rng.uniform(-6.0, 6.0, (n_samples, 2))
    Xn = X + rng.uniform(-6.0, 6.0, X.shape) * noise
    d = np.hypot(Xn[:, None, 0] - _BUMPS[:, 0], Xn[:, None, 1] - _BUMPS[:, 1])
    v = _BUMPS[:, 2] * np.clip(1.0 - d / 2.0, 0.0, 1.0)
    y = v[np.arange(n_samples), np.abs(v).argmax(axis=1)]
    desc = "TensorFlow Playground reg-gauss: six +/- bumps of radius 2 at (-4|0|4, +/-2.5)."
    return _dataset(X, y, rng, False, "reg_gauss", ["y"], desc, task="regression")
