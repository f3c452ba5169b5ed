"""The seven input features of TensorFlow Playground, in Playground's order.

Each feature is a function of the point (x1, x2). Playground keys them by the names its URL
uses (`x`, `y`, `xSquared`, ...); the network's inputs are the switched-on features in the
order of `FEATURES`.
"""

from __future__ import annotations

import numpy as np

#: URL key -> (label shown in the page, what it is, function of X = (x1, x2) rows).
FEATURES: dict[str, tuple[str, str, object]] = {
    "x": ("X₁", "the first coordinate x1", lambda X: X[:, 0]),
    "y": ("X₂", "the second coordinate x2", lambda X: X[:, 1]),
    "xSquared": ("X₁²", "x1 squared: a bowl along x1", lambda X: X[:, 0] ** 2),
    "ySquared": ("X₂²", "x2 squared: a bowl along x2", lambda X: X[:, 1] ** 2),
    "xTimesY": ("X₁X₂", "x1 times x2: positive in quadrants I and III",
                lambda X: X[:, 0] * X[:, 1]),
    "sinX": ("sin(X₁)", "sine of x1: stripes across x1", lambda X: np.sin(X[:, 0])),
    "sinY": ("sin(X₂)", "sine of x2: stripes across x2", lambda X: np.sin(X[:, 1])),
}


def feature_matrix(X: np.ndarray, names) -> np.ndarray:
    """The network's input matrix: one column per switched-on feature, in Playground's order.

    Args:
        X: points, shape (n, 2).
        names: the switched-on feature keys (any order; `FEATURES`' order is used).

    Returns:
        float64 array of shape (n, len(names)).

    Example:
        >>> feature_matrix(np.array([[2.0, 3.0]]), ["xTimesY", "x"])
        array([[2., 6.]])
    """
    wanted = set(names)
    unknown = wanted - set(FEATURES)
    if unknown:
        raise ValueError(f"Unknown features {sorted(unknown)}. Expected some of {list(FEATURES)}.")
    cols = [fn(X) for key, (_, _, fn) in FEATURES.items() if key in wanted]
    return np.column_stack(cols).astype(np.float64) if cols else np.empty((len(X), 0))
