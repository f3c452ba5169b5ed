"""The two learning rules behind the page, with one interface.

- `RuleEngine`: TensorFlow Playground's rule (`PlaygroundTrainer`); used while every setting
  is one Playground has (square error, its SGD, no dropout, one output).
- `FitEngine`: nnlab's standard Keras-shaped `Sequential.fit`, one epoch per call; used as
  soon as a "beyond" option is chosen (cross-entropy, another optimizer, dropout, more than
  two classes). It starts from Playground's initialisation (U(-0.5, 0.5) weights, 0.1
  biases) so the two rules can be compared from the same start.

Both report `loss(X, y)` as the page shows it: Playground's 1/2 mean square error for the
square loss (also under `fit`, where Keras's "mse" is twice that), the mean cross-entropy
otherwise.
"""

from __future__ import annotations

import numpy as np

from nnlab import initializers, losses, optimizers, regularizers
from nnlab.layers import Dense, Dropout, Input
from nnlab.models import Sequential
from nnlab.playground.data import seed_number
from nnlab.playground.trainer import PlaygroundTrainer

RULE_TEXT = ("Playground's rule: square error 1/2 (output - label)^2, plain SGD on the mean "
             "of each batch, fixed order, regularization as a separate step")


#: the Keras loss `fit` minimises for each output kind.
LOSS_NAMES = {"linear": "mse", "tanh": "mse", "sigmoid": "binary_crossentropy",
              "softmax": "sparse_categorical_crossentropy"}


def _optimizer(name: str, lr: float):
    if name in ("playground", "sgd"):
        return optimizers.SGD(learning_rate=lr)
    if name in ("momentum", "nesterov"):
        return optimizers.SGD(learning_rate=lr, momentum=0.9, nesterov=name == "nesterov")
    return optimizers.get(name).__class__(learning_rate=lr)


def output_kind(state) -> str:
    """"tanh" (binary, square error), "sigmoid" (binary, cross-entropy), "softmax"
    (several classes) or "linear" (regression)."""
    if state.problem == "regression":
        return "linear"
    if state.n_classes() > 1:
        return "softmax"
    return "sigmoid" if state.loss == "crossentropy" else "tanh"


class RuleEngine:
    """Playground's rule on the state's network (see `PlaygroundTrainer`)."""

    playground_rule = True
    text = RULE_TEXT

    def __init__(self, state, n_inputs: int, resets: int = 0):
        self.kind = output_kind(state)
        reg = None if state.regularization == "none" else state.regularization
        self.net = PlaygroundTrainer(
            n_inputs, state.networkShape, state.hidden_activations(), self.kind,
            state.learningRate, reg, state.regularizationRate, state.batchSize,
            state.initZero, seed=seed_number(state.seed, 1, resets))

    def set_learning_rate(self, lr: float) -> None:
        self.net.learning_rate = float(lr)

    def train_epoch(self, X, y, epoch: int) -> None:
        self.net.train_epoch(X, y)

    def layer_outputs(self, X, dtype=np.float64) -> list[np.ndarray]:
        return self.net.forward(X, dtype)

    def loss(self, X, y) -> float:
        return self.net.loss(X, y)

    def weights(self):
        return self.net.W, self.net.b, self.net.dead

    def set_weight(self, layer, source, dest, value):
        self.net.set_weight(layer, source, dest, value)

    def set_bias(self, layer, node, value):
        self.net.set_bias(layer, node, value)

    def to_model(self) -> Sequential:
        """The trained network as an nnlab `Sequential` (for saving as a `.nnlab` file)."""
        sizes, acts = self.net.sizes, self.net.activations
        model = Sequential([Input(shape=(sizes[0],), dtype="float64")]
                           + [Dense(n, activation=a, dtype="float64", name=f"dense_{i + 1}")
                              for i, (n, a) in enumerate(zip(sizes[1:], acts))])
        model.set_weights([w for W, b in zip(self.net.W, self.net.b) for w in (W, b)])
        model.compile(optimizer=optimizers.SGD(learning_rate=self.net.learning_rate),
                      loss="mse")
        return model


def build_model(state, n_inputs: int, n_outputs: int, kind: str, resets: int = 0):
    """The Keras-shaped model `FitEngine` trains (also written into exported scripts)."""
    base = seed_number(state.seed, 1, resets)
    seeds = np.random.SeedSequence(base).generate_state(2 * len(state.networkShape) + 2)
    layers = [Input(shape=(n_inputs,), dtype="float64")]
    # Playground's penalties: L1 rate*|w|, L2 rate*w^2/2 (Keras's L2 has no 1/2).
    reg = {"none": None, "L1": lambda r: regularizers.L1(r),
           "L2": lambda r: regularizers.L2(r / 2)}[state.regularization]
    units = [*state.networkShape, n_outputs]
    acts = [*state.hidden_activations(), kind]
    for i, (n, act) in enumerate(zip(units, acts)):
        layers.append(Dense(n, activation=act, dtype="float64", name=f"dense_{i + 1}",
                            kernel_initializer=initializers.RandomUniform(
                                -0.5, 0.5, seed=int(seeds[2 * i])),
                            bias_initializer=initializers.Constant(0.1),
                            kernel_regularizer=reg(state.regularizationRate)
                            if reg and state.regularizationRate else None))
        if state.dropout > 0 and i < len(state.networkShape):
            layers.append(Dropout(state.dropout, seed=int(seeds[2 * i + 1]), dtype="float64",
                                  name=f"dropout_{i + 1}"))
    model = Sequential(layers)
    model.compile(optimizer=_optimizer(state.optimizer, state.learningRate),
                  loss=LOSS_NAMES[kind])
    return model


def fit_targets(y, kind: str) -> np.ndarray:
    """Page labels (+1/-1, class index or float) as the Keras loss wants them."""
    return (np.asarray(y) + 1.0) / 2.0 if kind == "sigmoid" else np.asarray(y)


class FitEngine:
    """nnlab's standard `fit`, one epoch per call, shuffled with seed (seed + epoch)."""

    playground_rule = False

    def __init__(self, state, n_inputs: int, resets: int = 0):
        self.kind = output_kind(state)
        self.n_out = state.n_classes() if self.kind == "softmax" else 1
        self.model = build_model(state, n_inputs, self.n_out, self.kind, resets)
        self.loss_name = LOSS_NAMES[self.kind]
        self.batch_size = state.batchSize
        self.fit_seed = seed_number(state.seed, 2, resets)[0]
        self.text = (f"nnlab's fit: {state.optimizer if state.optimizer != 'playground' else 'sgd'}"
                     f" optimizer, {self.loss_name} loss"
                     + (f", dropout {state.dropout}" if state.dropout else "")
                     + ", reshuffled every epoch")
        self._dense = [layer for layer in self.model.layers if isinstance(layer, Dense)]

    def set_learning_rate(self, lr: float) -> None:
        self.model.optimizer.learning_rate = float(lr)

    def train_epoch(self, X, y, epoch: int) -> None:
        self.model.fit(X, fit_targets(y, self.kind), epochs=1, batch_size=self.batch_size,
                       verbose=0, shuffle=True, seed=self.fit_seed + epoch)

    def layer_outputs(self, X, dtype=np.float64) -> list[np.ndarray]:
        A = [np.asarray(X, dtype=np.float64)]
        for layer in self._dense:
            A.append(np.asarray(layer(A[-1])))
        return A

    def loss(self, X, y) -> float:
        out = self.layer_outputs(X)[-1]
        if self.kind in ("tanh", "linear"):
            return float(np.mean(0.5 * (out[:, 0] - y) ** 2))
        t = fit_targets(y, self.kind)  # the mean cross-entropy, as fit computes it
        if self.kind == "sigmoid":
            t = t.reshape(-1, 1)
        return float(losses.get(self.loss_name)(t, out))

    def weights(self):
        W = [layer.get_weights()[0] for layer in self._dense]
        b = [layer.get_weights()[1] for layer in self._dense]
        return W, b, [np.zeros(w.shape, bool) for w in W]

    def _set(self, layer, index, value):
        params = self._dense[layer].get_weights()
        params[index[0]][index[1:]] = value
        self._dense[layer].set_weights(params)

    def set_weight(self, layer, source, dest, value):
        self._set(layer, (0, source, dest), float(value))

    def set_bias(self, layer, node, value):
        self._set(layer, (1, node), float(value))

    def to_model(self) -> Sequential:
        return self.model


def make_engine(state, n_inputs: int, resets: int = 0):
    """`RuleEngine` while the state is Playground's, `FitEngine` otherwise."""
    cls = RuleEngine if state.uses_playground_rule() else FitEngine
    return cls(state, n_inputs, resets)
