"""TensorFlow Playground's training rule, in NumPy, usable from Python.

This is the rule of Playground's `nn.ts` and `oneStep` (read from tensorflow/playground,
Apache-2.0), written with the lectures' matrices instead of Playground's node objects:

- Network: inputs -> hidden layers (one activation each, Playground uses one for all) ->
  one output node, `tanh` for classification and linear for regression. Labels are +1 / -1.
- Initialisation: every weight ~ U(-0.5, 0.5), every bias = 0.1 (`init_zero`: all 0).
- Loss: the square error E = 1/2 (A - y)^2 per point, dE/dA = A - y; the reported loss is
  its mean over the points (data loss only, no penalty).
- One epoch visits the training points in their fixed order (no reshuffle). The gradients
  of the points are summed; after every `batch_size`-th point of the epoch the mean of
  the sums is applied, `W -= lr * sum(dW) / count`, `b -= lr * sum(db) / count`. A trailing
  partial batch is *not* applied at the end of the epoch: its sums carry over and join the
  first update of the next epoch (whose count is then larger than `batch_size`).
- Regularization (weights only) is a separate step after the gradient step, with R' taken
  at the weight *before* the gradient step: `W -= lr * rate * R'(W_before)`, L2 R' = w,
  L1 R' = sign(w). L1 special case: a weight that this step pushes across zero is set to 0
  and is "dead": never updated again (until the network is rebuilt).
- As in Playground, a training set smaller than `batch_size` is never updated (no epoch
  reaches the `batch_size`-th point).

Example:
    >>> import numpy as np
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]]); y = np.array([1.0, -1.0, 1.0])
    >>> net = PlaygroundTrainer(2, hidden=[3], batch_size=1, seed=0)
    >>> before = net.loss(X, y)
    >>> for _ in range(50):
    ...     net.train_epoch(X, y)
    >>> bool(net.loss(X, y) < before)
    True
"""

from __future__ import annotations

import numpy as np

#: activation name -> (g(Z), g'(Z) given Z and A = g(Z)), as in Playground's nn.ts.
ACTIVATIONS = {
    "tanh": (np.tanh, lambda Z, A: 1.0 - A * A),
    "relu": (lambda Z: np.maximum(Z, 0.0), lambda Z, A: (Z > 0).astype(np.float64)),
    "sigmoid": (lambda Z: 0.5 * (1.0 + np.tanh(0.5 * Z)), lambda Z, A: A * (1.0 - A)),
    "linear": (lambda Z: Z, lambda Z, A: np.ones_like(Z)),
}
REGULARIZATIONS = (None, "L1", "L2")


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"PlaygroundTrainer({name}=...) expects one of {list(choices)}. "
                         f"Received: {name}={value!r}")


def _positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"PlaygroundTrainer({name}=...) expects a positive int. "
                         f"Received: {name}={value!r}")
    return int(value)


class PlaygroundTrainer:
    """A fully connected network trained exactly by TensorFlow Playground's rule.

    Args:
        n_inputs: number of input features (Playground: the switched-on thumbnails).
        hidden: neurons per hidden layer, e.g. `[4, 2]` (Playground's default); `[]` for none.
        activation: hidden activation, one of "tanh", "relu", "sigmoid", "linear", or a
            list with one name per hidden layer.
        output_activation: "tanh" (classification) or "linear" (regression).
        learning_rate: step size (Playground's default 0.03); may change between epochs.
        regularization: None, "L1" or "L2".
        regularization_rate: the penalty's rate (Playground's default 0).
        batch_size: points per update (Playground's default 10).
        init_zero: start every weight and bias at 0 (Playground's `initZero`).
        seed: int seeding the weights (same seed, same weights).

    Attributes:
        W: list of weight matrices, `W[l]` of shape (n_{l-1}, n_l) (rows: source nodes).
        b: list of bias vectors, `b[l]` of shape (n_l,).
        dead: list of boolean masks like `W`: L1-killed weights.

    Example:
        >>> net = PlaygroundTrainer(2, hidden=[4, 2], seed=1)
        >>> [w.shape for w in net.W], float(net.b[0][0])
        ([(2, 4), (4, 2), (2, 1)], 0.1)
    """

    def __init__(self, n_inputs, hidden=(4, 2), activation="tanh", output_activation="tanh",
                 learning_rate=0.03, regularization=None, regularization_rate=0.0,
                 batch_size=10, init_zero=False, seed=None):
        n_inputs = _positive_int("n_inputs", n_inputs)
        hidden = [_positive_int("hidden", h) for h in hidden]
        acts = [activation] * len(hidden) if isinstance(activation, str) else list(activation)
        if len(acts) != len(hidden):
            raise ValueError(f"PlaygroundTrainer(activation=[...]) needs one name per hidden "
                             f"layer ({len(hidden)}). Received: {len(acts)} names")
        for a in acts:
            _check_choice("activation", a, ACTIVATIONS)
        _check_choice("output_activation", output_activation, ("tanh", "linear"))
        _check_choice("regularization", regularization, REGULARIZATIONS)
        self.activations = acts + [output_activation]
        self.regularization = regularization
        self.regularization_rate = float(regularization_rate)
        self.learning_rate = float(learning_rate)
        self.batch_size = _positive_int("batch_size", batch_size)
        self.sizes = [n_inputs, *hidden, 1]
        rng = np.random.default_rng(seed)
        self.W, self.b, self.dead = [], [], []
        for n_in, n_out in zip(self.sizes[:-1], self.sizes[1:]):
            # Playground draws the links node by node (destination-major), hence the .T.
            W = np.zeros((n_in, n_out)) if init_zero else rng.uniform(-0.5, 0.5, (n_out, n_in)).T
            self.W.append(np.ascontiguousarray(W))
            self.b.append(np.full(n_out, 0.0 if init_zero else 0.1))
            self.dead.append(np.zeros((n_in, n_out), dtype=bool))
        # the running sums of dE/dW, dE/db over the points since the last update
        self._dW = [np.zeros_like(W) for W in self.W]
        self._db = [np.zeros_like(b) for b in self.b]
        self._count = 0

    def _reset_sums(self):
        for s in (*self._dW, *self._db):
            s.fill(0.0)
        self._count = 0

    def forward(self, X, dtype=np.float64) -> list[np.ndarray]:
        """Every layer's output A (the input X first, the network output last).

        `dtype=np.float32` computes a picture (the page's heatmaps) about 4x faster.
        """
        A = [np.asarray(X, dtype=dtype)]
        for W, b, act in zip(self.W, self.b, self.activations):
            Z = A[-1] @ W.astype(dtype, copy=False) + b.astype(dtype, copy=False)
            A.append(ACTIVATIONS[act][0](Z))  # (n, n_in) @ (n_in, n_out)
        return A

    def predict(self, X) -> np.ndarray:
        """The network's output, shape (n,)."""
        return self.forward(X)[-1][:, 0]

    def loss(self, X, y) -> float:
        """Playground's loss: mean of 1/2 (output - y)^2 over the points."""
        return float(np.mean(0.5 * (self.predict(X) - np.asarray(y, np.float64)) ** 2))

    def _accumulate(self, X, y):
        """Add the batch's summed dE/dW, dE/db (square error) to the running sums."""
        A, Z = [X], []
        for W, b, act in zip(self.W, self.b, self.activations):
            Z.append(A[-1] @ W + b)  # (n, n_in) @ (n_in, n_out)
            A.append(ACTIVATIONS[act][0](Z[-1]))
        dA = A[-1] - y.reshape(-1, 1)  # dE/dA for E = 1/2 (A - y)^2
        for layer in range(len(self.W) - 1, -1, -1):
            dZ = dA * ACTIVATIONS[self.activations[layer]][1](Z[layer], A[layer + 1])
            self._dW[layer] += A[layer].T @ dZ  # (n_in, n) @ (n, n_out)
            self._db[layer] += dZ.sum(axis=0)
            if layer:
                dA = dZ @ self.W[layer].T  # (n, n_out) @ (n_out, n_in)
        self._count += len(X)

    def _update(self):
        """Apply the mean gradient, then the regularization step (Playground's updateWeights)."""
        lr, n = self.learning_rate, self._count
        for layer, W in enumerate(self.W):
            self.b[layer] -= lr * self._db[layer] / n
            live = ~self.dead[layer]
            stepped = W - (lr / n) * self._dW[layer]
            if self.regularization is None:
                new = stepped
            else:
                reg_der = np.sign(W) if self.regularization == "L1" else W  # R'(W_before)
                new = stepped - lr * self.regularization_rate * reg_der
            if self.regularization == "L1":
                crossed = live & (stepped * new < 0)
                new[crossed] = 0.0
                self.dead[layer] |= crossed
            np.copyto(W, new, where=live)
        self._reset_sums()

    def train_epoch(self, X, y) -> None:
        """One Playground epoch over (X, y), in order; see the module docstring."""
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        bs = self.batch_size
        for start in range(0, len(X), bs):
            self._accumulate(X[start:start + bs], y[start:start + bs])
            if start + bs <= len(X):
                self._update()

    def set_weight(self, layer: int, source: int, dest: int, value: float) -> None:
        """Set one weight (as Playground's click-to-edit does); it becomes live again."""
        self.W[layer][source, dest] = float(value)
        self.dead[layer][source, dest] = False

    def set_bias(self, layer: int, node: int, value: float) -> None:
        """Set one bias (as Playground's click-to-edit does)."""
        self.b[layer][node] = float(value)

    def fit(self, X, y, epochs: int, validation_data=None) -> dict[str, list[float]]:
        """Train `epochs` Playground epochs; return the loss after each (and `val_loss`)."""
        history = {"loss": [], **({"val_loss": []} if validation_data is not None else {})}
        for _ in range(_positive_int("epochs", epochs)):
            self.train_epoch(X, y)
            history["loss"].append(self.loss(X, y))
            if validation_data is not None:
                history["val_loss"].append(self.loss(*validation_data))
        return history
