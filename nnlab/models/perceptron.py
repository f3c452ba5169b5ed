"""Rosenblatt's perceptron: a step-activated unit trained by the perceptron rule."""

from __future__ import annotations

import warnings

import numpy as np

from nnlab.backend import make_rng, standardize_dtype


class ConvergenceWarning(UserWarning):
    """The perceptron rule stopped without separating the training data."""


class Perceptron:
    """A single threshold unit, y_hat = step(X w + b) = 1 if X w + b > 0 else 0.

    Training visits the samples one at a time and applies Rosenblatt's rule
    (seed 004's "just 2 lines"):

        w = w + learning_rate * (y - y_hat) * x
        b = b + learning_rate * (y - y_hat)

    It stops after an epoch with no mistakes. On data that no straight line (hyperplane)
    separates, such as XOR, the rule never stops: nnlab detects the weights repeating an
    earlier epoch's (a cycle) or reaching `max_epochs`, sets `converged_ = False`, and
    warns that the data are not linearly separable.

    Args:
        learning_rate: step size (1.0 is the classic rule).
        max_epochs: the most passes over the data.
        shuffle: visit the samples in a new random order each epoch (default False: the
            order given, as in the lecture's loop).
        seed: drives the initial weights' order of visits when shuffling.

    Example:
        >>> import numpy as np
        >>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]])
        >>> p = Perceptron().fit(X, [0, 0, 0, 1])  # AND
        >>> p.predict(X).tolist()
        [0, 0, 0, 1]
    """

    def __init__(
        self,
        learning_rate: float = 1.0,
        max_epochs: int = 100,
        shuffle: bool = False,
        seed: int | None = None,
        dtype=None,
    ):
        if not learning_rate > 0:
            raise ValueError(
                f"Perceptron expects learning_rate > 0. Received: learning_rate={learning_rate!r}"
            )
        if isinstance(max_epochs, bool) or not isinstance(max_epochs, int) or max_epochs < 1:
            raise ValueError(
                f"Perceptron expects max_epochs to be an int >= 1. Received: {max_epochs!r}"
            )
        self.learning_rate = float(learning_rate)
        self.max_epochs = max_epochs
        self.shuffle = bool(shuffle)
        self.seed = seed
        self.dtype = standardize_dtype(dtype)

    def fit(self, X, y) -> Perceptron:
        """Apply the perceptron rule until an epoch has no mistakes (or it cannot)."""
        X = np.asarray(X, dtype=self.dtype)
        y = np.asarray(y)
        if X.ndim != 2:
            raise ValueError(f"Perceptron.fit expects X of shape (n, d). Received shape {X.shape}.")
        y = y.reshape(-1) if y.ndim == 2 and y.shape[1] == 1 else y
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"Perceptron.fit expects one label per row of X ({X.shape[0]}). "
                f"Received y of shape {y.shape}."
            )
        if not np.all((y == 0) | (y == 1)):
            raise ValueError(
                "Perceptron.fit expects labels 0 or 1. Received values "
                f"{np.unique(y)[:5].tolist()}."
            )
        if not np.all(np.isfinite(X)):
            raise ValueError("Perceptron.fit: X contains NaN or infinite values.")
        y = y.astype(self.dtype)
        rng = make_rng(self.seed)
        n, d = X.shape
        w = np.zeros(d, dtype=self.dtype)
        b = self.dtype.type(0)
        lr = self.learning_rate
        self.errors_: list[int] = []
        seen = {}
        self.converged_ = False
        self.cycled_ = False
        for epoch in range(self.max_epochs):
            order = rng.permutation(n) if self.shuffle else range(n)
            errors = 0
            for i in order:
                y_hat = 1.0 if X[i] @ w + b > 0 else 0.0
                if y_hat != y[i]:
                    errors += 1
                    w += lr * (y[i] - y_hat) * X[i]
                    b += lr * (y[i] - y_hat)
            self.errors_.append(errors)
            if errors == 0:
                self.converged_ = True
                break
            key = (w.tobytes(), float(b))
            if not self.shuffle and key in seen:
                self.cycled_ = True
                break
            seen[key] = epoch
        self.kernel, self.bias = w, b
        self.n_epochs_ = len(self.errors_)
        if not self.converged_:
            why = (
                f"after epoch {self.n_epochs_} the weights repeat those of epoch "
                f"{seen[key] + 1}, so the rule would cycle forever"
                if self.cycled_
                else f"it reached max_epochs={self.max_epochs}"
            )
            warnings.warn(
                f"Perceptron did not converge: {why}, with {self.errors_[-1]} of {n} "
                "training samples still misclassified. The data are not linearly "
                "separable (XOR is the classic example): a single perceptron can only "
                "draw one straight line (hyperplane). Use a network with a hidden layer.",
                ConvergenceWarning,
                stacklevel=2,
            )
        return self

    def decision_function(self, X):
        """X w + b for each row."""
        self._require_fit()
        return np.asarray(X, dtype=self.dtype) @ self.kernel + self.bias

    def predict(self, X):
        """1 where X w + b > 0, else 0 (integers)."""
        return (self.decision_function(X) > 0).astype(np.int64)

    def score(self, X, y) -> float:
        """Accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y).reshape(-1)))

    def get_weights(self) -> list[np.ndarray]:
        self._require_fit()
        return [self.kernel.reshape(-1, 1).copy(), np.array([self.bias], dtype=self.dtype)]

    def _require_fit(self) -> None:
        if not hasattr(self, "kernel"):
            raise RuntimeError("This Perceptron is not fitted yet; call fit(X, y) first.")
