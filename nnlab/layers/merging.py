"""Merge layers: combine a list of branches into one tensor.

`forward` takes a list of arrays and `backward` returns a list of gradients, one per
input. Elementwise merges broadcast axes of size 1 (as Keras does); their backward sums
the gradient back over the broadcast axes.
"""

from __future__ import annotations

import numpy as np

from nnlab.layers.base import Layer


def _unbroadcast(dY, shape):
    """Sum dY over the axes along which an input of `shape` was broadcast."""
    if dY.shape == tuple(shape):
        return dY
    while dY.ndim > len(shape):
        dY = dY.sum(axis=0)
    axes = tuple(i for i, d in enumerate(shape) if d == 1 and dY.shape[i] != 1)
    return dY.sum(axis=axes, keepdims=True) if axes else dY


class _Merge(Layer):
    min_inputs = 2
    max_inputs: int | None = None

    def build(self, input_shape) -> None:
        if not isinstance(input_shape, list):
            raise ValueError(
                f"{type(self).__name__} '{self.name}' must be called on a list of "
                f"inputs. Received a single input of shape {input_shape}."
            )
        n = len(input_shape)
        if n < self.min_inputs or (self.max_inputs is not None and n > self.max_inputs):
            want = (
                f"exactly {self.max_inputs}"
                if self.max_inputs == self.min_inputs
                else f"at least {self.min_inputs}"
            )
            raise ValueError(
                f"{type(self).__name__} '{self.name}' expects {want} inputs. Received {n}."
            )
        self.compute_output_shape(input_shape)

    def compute_output_shape(self, input_shape):
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            if len(shape) != len(out):
                raise ValueError(self._incompatible(input_shape))
            for i, (a, b) in enumerate(zip(out, shape)):
                if a is None or b is None:
                    out[i] = a if b is None else b
                elif a != b and 1 not in (a, b):
                    raise ValueError(self._incompatible(input_shape))
                else:
                    out[i] = max(a, b)
        return tuple(out)

    def _incompatible(self, input_shape) -> str:
        return (
            f"{type(self).__name__} '{self.name}': inputs have incompatible shapes. "
            f"Received shapes {', '.join(str(tuple(s)) for s in input_shape)}"
        )

    def forward(self, X, training: bool = False):
        self._X = list(X)
        self._shapes = [x.shape for x in X]
        return self._merge(self._X)

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_X")
        return [_unbroadcast(d, s) for d, s in zip(self._split(dY), self._shapes)]


class Add(_Merge):
    """Elementwise sum of the inputs; each input receives dY."""

    def _merge(self, X):
        out = X[0] + X[1]
        for x in X[2:]:
            out = out + x
        return out

    def _split(self, dY):
        return [dY] * len(self._X)


class Subtract(_Merge):
    """a - b for exactly two inputs; gradients dY and -dY."""

    max_inputs = 2

    def _merge(self, X):
        return X[0] - X[1]

    def _split(self, dY):
        return [dY, -dY]


class Multiply(_Merge):
    """Elementwise product; input i receives dY times the product of the others."""

    def _merge(self, X):
        out = X[0] * X[1]
        for x in X[2:]:
            out = out * x
        return out

    def _split(self, dY):
        grads = []
        for i in range(len(self._X)):
            g = dY
            for j, x in enumerate(self._X):
                if j != i:
                    g = g * x
            grads.append(g)
        return grads


class Average(_Merge):
    """Elementwise mean of the inputs; each input receives dY / k."""

    def _merge(self, X):
        return Add._merge(self, X) * (1.0 / len(X))

    def _split(self, dY):
        return [dY * (1.0 / len(self._X))] * len(self._X)


class Maximum(_Merge):
    """Elementwise maximum, taken pairwise left to right; the gradient goes to the
    input holding the maximum (the earlier one on ties, as TensorFlow's x >= y)."""

    def _merge(self, X):
        out = X[0]
        for x in X[1:]:
            out = self._pick(out, x)
        return out

    @staticmethod
    def _pick(a, b):
        return np.maximum(a, b)

    def _split(self, dY):
        grads, out = [None] * len(self._X), self._X[0]
        winner = [np.ones(np.broadcast(*self._X).shape, dtype=bool)]
        for x in self._X[1:]:
            keep = self._pick(out, x) == out  # True where the running result stays
            winner = [w & keep for w in winner] + [~keep]
            out = self._pick(out, x)
        for i, w in enumerate(winner):
            grads[i] = dY * w
        return grads


class Minimum(Maximum):
    """Elementwise minimum; the gradient goes to the input holding it."""

    @staticmethod
    def _pick(a, b):
        return np.minimum(a, b)


class Concatenate(_Merge):
    """Join the inputs along `axis` (default the last); backward slices dY back apart.

    Shape: [(n, d1), (n, d2)] -> (n, d1 + d2) for axis=-1.
    """

    def __init__(self, axis: int = -1, **kwargs):
        super().__init__(**kwargs)
        self.axis = int(axis)

    def compute_output_shape(self, input_shape):
        rank = len(input_shape[0])
        axis = self.axis % rank if -rank <= self.axis < rank else None
        if axis is None or axis == 0 or any(len(s) != rank for s in input_shape):
            raise ValueError(
                f"Concatenate '{self.name}': axis={self.axis} is not a feature axis of "
                f"inputs with shapes {', '.join(str(tuple(s)) for s in input_shape)}."
            )
        out = list(input_shape[0])
        for shape in input_shape[1:]:
            for i, (a, b) in enumerate(zip(out, shape)):
                if i != axis and a is not None and b is not None and a != b:
                    raise ValueError(
                        f"Concatenate '{self.name}': inputs must match on every axis but "
                        f"axis {self.axis}. Received shapes "
                        f"{', '.join(str(tuple(s)) for s in input_shape)}"
                    )
        sizes = [s[axis] for s in input_shape]
        out[axis] = None if None in sizes else sum(sizes)
        return tuple(out)

    def _merge(self, X):
        return np.concatenate(X, axis=self.axis)

    def _split(self, dY):
        cuts = np.cumsum([s[self.axis] for s in self._shapes])[:-1]
        return np.split(dY, cuts, axis=self.axis)

    def get_config(self) -> dict:
        return {**super().get_config(), "axis": self.axis}


def add(inputs, **kwargs):
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    return Average(**kwargs)(inputs)


def maximum(inputs, **kwargs):
    return Maximum(**kwargs)(inputs)


def minimum(inputs, **kwargs):
    return Minimum(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    return Concatenate(axis=axis, **kwargs)(inputs)
