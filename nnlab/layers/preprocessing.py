"""Preprocessing layers: Normalization (with `adapt`) and Rescaling.

Both have no trainable weights; their backward passes the gradient through the same
affine map, so a model may be trained through them (and gradient-checked).
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import EPS
from nnlab.layers.base import Layer


class Normalization(Layer):
    """Feature-wise standardization: Y = (X - mean) / max(sqrt(variance), EPS), with
    mean and variance given or learned by `adapt(data)` (biased variance over every
    axis but `axis`). `invert=True` maps back: Y = mean + X * max(sqrt(variance), EPS).
    Backward: dX = dY / max(sqrt(variance), EPS) (times it when inverted).

    Its non-trainable weights are `mean`, `variance` and `count` (the samples adapt saw).

    Args:
        axis: the feature axis (default -1).
        mean, variance: fixed statistics instead of `adapt`.
        invert: apply the inverse map.

    Example:
        >>> import numpy as np
        >>> norm = Normalization()
        >>> norm.adapt(np.array([[1.0], [3.0]]))
        >>> norm(np.array([[1.0], [5.0]])).tolist()
        [[-1.0], [3.0]]
    """

    def __init__(self, axis: int = -1, mean=None, variance=None, invert: bool = False, **kwargs):
        super().__init__(**kwargs)
        if axis != -1:
            raise ValueError(f"Normalization supports axis=-1 only. Received: axis={axis!r}")
        if (mean is None) != (variance is None):
            raise ValueError("Normalization needs both mean and variance, or neither (adapt).")
        self.axis = -1
        self.invert = bool(invert)
        self._given = None if mean is None else (np.asarray(mean), np.asarray(variance))

    def build(self, input_shape) -> None:
        C = input_shape[-1]
        if C is None:
            raise ValueError(f"Normalization '{self.name}' needs a known last axis size.")
        self.state["mean"] = np.zeros(C, dtype=self.dtype)
        self.state["variance"] = np.ones(C, dtype=self.dtype)
        self.state["count"] = np.zeros((), dtype=np.int64)
        if self._given is not None:
            self.state["mean"][...] = self._given[0]
            self.state["variance"][...] = self._given[1]

    def adapt(self, data) -> None:
        """Set mean and variance from `data` (all rows, biased variance)."""
        X = np.asarray(data, dtype=np.float64)
        if X.ndim == 1:
            X = X[:, None]
        self.build_once((None,) + X.shape[1:])
        axes = tuple(range(X.ndim - 1))
        self.state["mean"][...] = X.mean(axis=axes)
        self.state["variance"][...] = X.var(axis=axes)
        self.state["count"][...] = X.shape[0]

    def _scale(self):
        return np.maximum(np.sqrt(self.state["variance"]), EPS)

    def forward(self, X, training: bool = False):
        if self.invert:
            return self.state["mean"] + X * self._scale()
        return (X - self.state["mean"]) / self._scale()

    def backward(self, dY, need_dX: bool = True):
        return dY * self._scale() if self.invert else dY / self._scale()

    def get_config(self) -> dict:
        config = {**super().get_config(), "axis": self.axis, "invert": self.invert}
        if self._given is not None:
            config["mean"] = self._given[0].tolist()
            config["variance"] = self._given[1].tolist()
        return config


class Rescaling(Layer):
    """Y = X * scale + offset (e.g. scale=1/255 for pixels); dX = dY * scale.

    Example:
        >>> import numpy as np
        >>> Rescaling(0.5, offset=-1.0)(np.array([[2.0, 4.0]])).tolist()
        [[0.0, 1.0]]
    """

    def __init__(self, scale: float, offset: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = float(scale), float(offset)

    def forward(self, X, training: bool = False):
        return X * self.scale + self.offset

    def backward(self, dY, need_dX: bool = True):
        return dY * self.scale

    def get_config(self) -> dict:
        return {**super().get_config(), "scale": self.scale, "offset": self.offset}
