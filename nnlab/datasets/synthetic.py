"""Synthetic data: polynomial regression with noise, and data labelled by a teacher network."""

from __future__ import annotations

import numpy as np

from nnlab.backend import make_rng
from nnlab.datasets.base import Dataset

GENERATED_LICENSE = "Generated data: no licence needed."


def check_int(name, value, minimum=1):
    """A generator's integer argument (a size, a degree...) as an int >= `minimum`.

    Args:
        name: the argument's name for the message, e.g. "n_samples".
        value: what the user passed (an int, not a bool or float).
        minimum: the smallest allowed value.

    Raises:
        ValueError: `value` is not an int >= `minimum`.

    Example:
        >>> check_int("n_samples", np.int64(5))
        5
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}. Received: {name}={value!r}")
    return int(value)


def make_polynomial(
    n_samples=100, degree=3, coefficients=None, noise=0.1, x_range=(-1.0, 1.0), seed=None
):
    """Polynomial regression: y = sum_k c_k x^k + N(0, noise^2), with x ~ U(x_range).

    Args:
        n_samples: number of points.
        degree: degree of a polynomial with random coefficients c_k ~ N(0, 1); ignored when
            `coefficients` is given.
        coefficients: c_0, c_1, ..., c_degree in ascending powers (c_0 is the constant).
        noise: standard deviation of the Gaussian noise added to y.
        x_range: (low, high) of the uniform x.
        seed: int for reproducible data; None draws one from nnlab's seed stream.

    Returns:
        Dataset with X (n, 1) float64, y (n,) float64; the coefficients used are in `notes`
        and `description`.

    Example:
        >>> X, y = make_polynomial(50, coefficients=[1.0, 0.0, 2.0], noise=0.0, seed=0)
        >>> bool(np.allclose(y, 1 + 2 * X[:, 0] ** 2))
        True
    """
    n_samples = check_int("n_samples", n_samples)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0. Received: noise={noise!r}")
    low, high = (float(v) for v in x_range)
    if not low < high:
        raise ValueError(f"x_range must be (low, high) with low < high. Received: {x_range!r}")
    rng = make_rng(seed)
    if coefficients is None:
        degree = check_int("degree", degree, minimum=0)
        coefficients = rng.standard_normal(degree + 1)
    coefficients = np.asarray(coefficients, dtype=np.float64).ravel()
    if coefficients.size == 0:
        raise ValueError("coefficients must hold at least one value (the constant c_0).")
    x = rng.uniform(low, high, n_samples)
    y = np.polynomial.polynomial.polyval(x, coefficients)
    y = y + noise * rng.standard_normal(n_samples)
    terms = " + ".join(f"{c:.4g}*x^{k}" for k, c in enumerate(coefficients))
    return Dataset(
        X=x[:, None],
        y=y,
        feature_names=["x"],
        target_names=["y"],
        task="regression",
        name="polynomial",
        description=f"Polynomial regression: y = {terms} + N(0, {noise}^2), x ~ U{(low, high)}.",
        license=GENERATED_LICENSE,
        notes=[f"coefficients (ascending powers): {coefficients.tolist()}"],
    )


def make_sine(n_samples=30, noise=0.3, seed=None):
    """The lectures' curve-fitting data (Bishop, PRML 1.1): y = sin(2 pi x) + N(0, noise^2).

    x ~ U(0, 1). Lecture 004 fits polynomials of degree 1 to 9 to it and chooses the
    degree by k-fold cross-validation (`nnlab tune sine`, docs/tuning.md).

    Args:
        n_samples: number of points.
        noise: standard deviation of the Gaussian noise added to y.
        seed: int for reproducible data; None draws one from nnlab's seed stream.

    Returns:
        Dataset with X (n, 1) float64 and y (n,) float64.

    Example:
        >>> X, y = make_sine(5, noise=0.0, seed=0)
        >>> bool(np.allclose(y, np.sin(2 * np.pi * X[:, 0])))
        True
    """
    n_samples = check_int("n_samples", n_samples)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0. Received: noise={noise!r}")
    rng = make_rng(seed)
    x = rng.uniform(0.0, 1.0, n_samples)
    y = np.sin(2 * np.pi * x) + noise * rng.standard_normal(n_samples)
    return Dataset(
        X=x[:, None],
        y=y,
        feature_names=["x"],
        target_names=["y"],
        task="regression",
        name="sine",
        description=f"Curve fitting: y = sin(2 pi x) + N(0, {noise}^2), x ~ U(0, 1).",
        license=GENERATED_LICENSE,
    )


def teacher_weights(n_features, hidden, n_outputs, seed=None):
    """The weights of a random tanh teacher: one (fan_in, fan_out) matrix per layer, N(0, 1/fan_in).

    Args:
        n_features: input width.
        hidden: width of the hidden layer, or a sequence of widths.
        n_outputs: output width.
        seed: int for reproducible weights; None draws one from nnlab's seed stream.

    Returns:
        list of float64 arrays; the teacher has no biases.

    Example:
        >>> [w.shape for w in teacher_weights(4, (8, 3), 2, seed=0)]
        [(4, 8), (8, 3), (3, 2)]
    """
    widths = [int(hidden)] if np.isscalar(hidden) else [int(h) for h in hidden]
    sizes = [check_int("n_features", n_features), *widths, check_int("n_outputs", n_outputs)]
    for width in widths:
        check_int("hidden width", width)
    rng = make_rng(seed)
    return [rng.standard_normal((a, b)) / np.sqrt(a) for a, b in zip(sizes[:-1], sizes[1:])]


def make_teacher(
    n_samples=1000,
    n_features=20,
    hidden=32,
    n_outputs=1,
    task="regression",
    noise=0.0,
    seed=None,
    teacher_seed=None,
    dtype=np.float32,
):
    """Inputs ~ N(0, 1) labelled by a fixed random teacher network with tanh hidden layers.

    The teacher computes z = tanh(...tanh(X W_1)...) W_out (no biases, linear output),
    weights N(0, 1/fan_in). Classification: y = argmax(z) for n_outputs >= 2, or y = (z > 0)
    for one output. Regression: y = z + N(0, noise^2). This is how bench/TASKS.md builds
    "mnist-shape" (784 features, hidden 64, 10 outputs, classification) and
    "wide-regression" (100 features, hidden 32, 1 output, noise 0.05).

    Args:
        n_samples: number of rows.
        n_features: input width.
        hidden: hidden width, or a sequence of widths.
        n_outputs: number of classes (classification) or targets (regression).
        task: "classification" or "regression".
        noise: regression: std of the Gaussian noise on y. Classification: fraction of labels
            replaced by a uniformly random class (0 = none).
        seed: int for reproducible inputs and noise; None draws one from nnlab's seed stream.
        teacher_seed: seed of the teacher's weights; give the same one to label a second
            draw (e.g. a test set) with the same teacher. None uses `seed`.
        dtype: dtype of X (and of y for regression); float32 as in the benchmark.

    Returns:
        Dataset; y is int64 (n,) for classification, (n,) or (n, k) floats for regression.

    Example:
        >>> X, y = make_teacher(500, n_features=10, hidden=16, n_outputs=3,
        ...                     task="classification", seed=0)
        >>> X.shape, y.shape, sorted(set(y.tolist())) == [0, 1, 2]
        ((500, 10), (500,), True)
    """
    if task not in ("classification", "regression"):
        raise ValueError(f"task must be 'classification' or 'regression'. Received: task={task!r}")
    n_samples = check_int("n_samples", n_samples)
    if not np.isfinite(noise) or noise < 0:
        raise ValueError(f"noise must be a finite number >= 0. Received: noise={noise!r}")
    if task == "classification" and noise > 1:
        raise ValueError(f"classification noise is a fraction in [0, 1]. Received: {noise}")
    rng = make_rng(seed)
    if teacher_seed is None:
        teacher_seed = int(rng.integers(0, 2**31 - 1))
    weights = teacher_weights(n_features, hidden, n_outputs, seed=teacher_seed)
    X = rng.standard_normal((n_samples, int(n_features))).astype(dtype)
    z = X
    for w in weights[:-1]:
        z = np.tanh(z @ w.astype(X.dtype))
    z = z @ weights[-1].astype(X.dtype)
    sizes = "-".join(str(w.shape[0]) for w in weights) + f"-{n_outputs}"
    notes = [f"teacher {sizes}, tanh hidden, linear output, teacher_seed={teacher_seed}"]
    if task == "regression":
        y = (z + noise * rng.standard_normal(z.shape)).astype(dtype)
        y = y[:, 0] if n_outputs == 1 else y
        task_name = "regression"
        target_names = [f"y{k}" for k in range(n_outputs)] if n_outputs > 1 else ["y"]
    else:
        y = (z[:, 0] > 0).astype(np.int64) if n_outputs == 1 else z.argmax(axis=1)
        n_classes = max(2, n_outputs)
        if noise > 0:
            flip = rng.random(n_samples) < noise
            y = np.where(flip, rng.integers(0, n_classes, n_samples), y)
            notes.append(f"{int(flip.sum())} labels replaced by a random class")
        task_name = "binary" if n_classes == 2 else "multiclass"
        target_names = [str(k) for k in range(n_classes)]
    return Dataset(
        X=X,
        y=y.astype(np.int64) if task == "classification" else y,
        feature_names=[f"x{k}" for k in range(int(n_features))],
        target_names=target_names,
        task=task_name,
        name="teacher",
        description=(
            f"N(0, 1) inputs labelled by a random {sizes} tanh teacher network "
            f"({task}, noise={noise})."
        ),
        license=GENERATED_LICENSE,
        notes=notes,
    )
