"""Playground's training rule: against an independent per-point re-implementation of
Playground's nn.ts step, a hand-worked golden step, and the lectures' exercises."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnlab.playground import PlaygroundState, PlaygroundTrainer, feature_matrix, generate
from nnlab.playground.data import seed_number

# ---- an independent re-implementation of nn.ts: one node, one link, one point at a time ----
_ACT = {
    "tanh": (math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "relu": (lambda x: max(0.0, x), lambda x: 0.0 if x <= 0 else 1.0),
    "sigmoid": (lambda x: 1 / (1 + math.exp(-x)),
                lambda x: (1 / (1 + math.exp(-x))) * (1 - 1 / (1 + math.exp(-x)))),
    "linear": (lambda x: x, lambda x: 1.0),
}


class RefNet:
    """Playground's Node/Link objects, copied weights; the loops of forwardProp, backProp,
    updateWeights and oneStep written out per point."""

    def __init__(self, W, b, acts, reg, reg_rate):
        self.w = [[list(map(float, row)) for row in Wl] for Wl in W]  # w[k][i][j]: i -> j
        self.b = [list(map(float, bl)) for bl in b]
        self.acts, self.reg, self.rate = acts, reg, reg_rate
        self.dead = [[[False] * len(row) for row in Wl] for Wl in W]
        self.acc_w = [[[0.0] * len(row) for row in Wl] for Wl in W]
        self.n_w = [[[0] * len(row) for row in Wl] for Wl in W]
        self.acc_b = [[0.0] * len(bl) for bl in b]
        self.n_b = [[0] * len(bl) for bl in b]

    def forward(self, x):
        self.out, self.tot = [list(x)], []
        for k, Wl in enumerate(self.w):
            tot = [self.b[k][j] + sum(Wl[i][j] * self.out[-1][i] for i in range(len(Wl)))
                   for j in range(len(self.b[k]))]
            self.tot.append(tot)
            self.out.append([_ACT[self.acts[k]][0](t) for t in tot])
        return self.out[-1][0]

    def backprop(self, target):
        out_der = [self.out[-1][0] - target]
        for k in range(len(self.w) - 1, -1, -1):
            in_der = [out_der[j] * _ACT[self.acts[k]][1](self.tot[k][j])
                      for j in range(len(out_der))]
            for j, d in enumerate(in_der):
                self.acc_b[k][j] += d
                self.n_b[k][j] += 1
            for i in range(len(self.w[k])):
                for j in range(len(in_der)):
                    if not self.dead[k][i][j]:
                        self.acc_w[k][i][j] += in_der[j] * self.out[k][i]
                        self.n_w[k][i][j] += 1
            out_der = [sum(self.w[k][i][j] * in_der[j] for j in range(len(in_der)))
                       for i in range(len(self.w[k]))]

    def update(self, lr):
        for k in range(len(self.w)):
            for j in range(len(self.b[k])):
                if self.n_b[k][j] > 0:
                    self.b[k][j] -= lr * self.acc_b[k][j] / self.n_b[k][j]
                    self.acc_b[k][j], self.n_b[k][j] = 0.0, 0
            for i in range(len(self.w[k])):
                for j in range(len(self.w[k][i])):
                    if self.dead[k][i][j]:
                        continue
                    w = self.w[k][i][j]
                    der = 0.0
                    if self.reg == "L1":
                        der = -1.0 if w < 0 else (1.0 if w > 0 else 0.0)
                    elif self.reg == "L2":
                        der = w
                    if self.n_w[k][i][j] > 0:
                        w = w - (lr / self.n_w[k][i][j]) * self.acc_w[k][i][j]
                        new = w - lr * self.rate * der
                        if self.reg == "L1" and w * new < 0:
                            self.w[k][i][j], self.dead[k][i][j] = 0.0, True
                        else:
                            self.w[k][i][j] = new
                        self.acc_w[k][i][j], self.n_w[k][i][j] = 0.0, 0

    def one_step(self, X, y, lr, batch_size):
        for i, (x, t) in enumerate(zip(X, y)):
            self.forward(x)
            self.backprop(t)
            if (i + 1) % batch_size == 0:
                self.update(lr)


CASES = [
    # hidden, activation, output, regularization, rate, batch size, points
    ([4, 2], "tanh", "tanh", None, 0.0, 10, 23),  # partial last batch carried over
    ([3], "relu", "tanh", "L2", 0.03, 4, 17),
    ([3, 3], "sigmoid", "linear", "L1", 0.3, 5, 12),  # L1 kills weights
    ([], "tanh", "tanh", "L1", 0.3, 7, 20),
    ([2], "linear", "linear", None, 0.0, 1, 9),
]


@pytest.mark.parametrize("hidden,act,out,reg,rate,bs,n", CASES)
def test_trainer_matches_playground_reference_step(hidden, act, out, reg, rate, bs, n):
    rng = np.random.default_rng(7)
    X = rng.uniform(-2, 2, (n, 3))
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0) if out == "tanh" else rng.normal(size=n)
    net = PlaygroundTrainer(3, hidden, act, out, learning_rate=0.3, regularization=reg,
                            regularization_rate=rate, batch_size=bs, seed=3)
    ref = RefNet(net.W, net.b, net.activations, reg, rate)
    for _ in range(6):
        net.train_epoch(X, y)
        ref.one_step(X, y, 0.3, bs)
    for layer in range(len(net.W)):
        np.testing.assert_allclose(net.W[layer], ref.w[layer], rtol=1e-11, atol=1e-13)
        np.testing.assert_allclose(net.b[layer], ref.b[layer], rtol=1e-11, atol=1e-13)
        np.testing.assert_array_equal(net.dead[layer], ref.dead[layer])
    if reg == "L1":
        assert any(d.any() for d in net.dead), "the case should kill at least one weight"
        assert all((W[d] == 0).all() for W, d in zip(net.W, net.dead))
    assert net.loss(X, y) == pytest.approx(
        np.mean([0.5 * (ref.forward(x) - t) ** 2 for x, t in zip(X, y)]), rel=1e-11)


def test_golden_step_by_hand():
    # One input, no hidden layer, linear output, w = 0.5, b = 0.1 (set by hand), lr = 0.1.
    # Points (x, t): (1, 1), (2, 0), (3, 1); batch size 2.
    # Epoch 1: points 1-2 form batch 1: outputs 0.6, 1.1; dE/dA = -0.4, 1.1;
    #   sum dW = -0.4*1 + 1.1*2 = 1.8, sum db = 0.7, count 2:
    #   w = 0.5 - 0.1 * 1.8 / 2 = 0.41, b = 0.1 - 0.1 * 0.7 / 2 = 0.065.
    #   Point 3 (partial batch): output 0.41*3 + 0.065 = 1.295, dE/dA = 0.295:
    #   carried sums dW = 0.885, db = 0.295, count 1 -> no update at the end of epoch 1.
    # Epoch 2, point 1: output 0.475, dE/dA = -0.525 -> sums dW = 0.36, db = -0.23;
    #   point 2: output 0.885, dE/dA = 0.885 -> dW = 0.36 + 1.77 = 2.13, db = 0.655, count 3:
    #   w = 0.41 - 0.1 * 2.13 / 3 = 0.339, b = 0.065 - 0.1 * 0.655 / 3 = 0.0431666...
    net = PlaygroundTrainer(1, [], output_activation="linear", learning_rate=0.1, batch_size=2)
    net.W[0][:] = 0.5
    X, y = np.array([[1.0], [2.0], [3.0]]), np.array([1.0, 0.0, 1.0])
    net.train_epoch(X, y)
    assert net.W[0][0, 0] == pytest.approx(0.41) and net.b[0][0] == pytest.approx(0.065)
    net.train_epoch(X, y)
    assert net.W[0][0, 0] == pytest.approx(0.339)
    assert net.b[0][0] == pytest.approx(0.065 - 0.0655 / 3)


def test_golden_l1_kills_a_crossing_weight():
    # w = 0.01, zero gradient (x = 0), L1 rate 1, lr 0.03: 0.01 - 0.03 * 1 * 1 < 0 -> dead 0.
    net = PlaygroundTrainer(1, [], output_activation="linear", learning_rate=0.03,
                            regularization="L1", regularization_rate=1.0, batch_size=1)
    net.W[0][:] = 0.01
    net.train_epoch(np.zeros((1, 1)), np.zeros(1))
    assert net.W[0][0, 0] == 0.0 and net.dead[0][0, 0]
    net.W[0][0, 0] = 0.0
    net.train_epoch(np.ones((1, 1)), np.full(1, 5.0))  # a big gradient: a dead weight stays
    assert net.W[0][0, 0] == 0.0


def test_initialisation_is_playgrounds_and_seeded():
    a = PlaygroundTrainer(2, [8, 8], seed=5)
    b = PlaygroundTrainer(2, [8, 8], seed=5)
    for Wa, Wb, ba in zip(a.W, b.W, a.b):
        np.testing.assert_array_equal(Wa, Wb)
        assert Wa.min() >= -0.5 and Wa.max() < 0.5 and (ba == 0.1).all()
    z = PlaygroundTrainer(2, [3], init_zero=True)
    assert all((W == 0).all() for W in z.W) and all((v == 0).all() for v in z.b)


@pytest.mark.parametrize("kwargs,match", [
    ({"hidden": [0]}, "hidden"), ({"activation": "swish"}, "activation"),
    ({"batch_size": 0}, "batch_size"), ({"regularization": "L3"}, "regularization"),
    ({"activation": ["tanh"], "hidden": [2, 2]}, "one name per hidden layer"),
])
def test_bad_arguments_say_what_was_wrong(kwargs, match):
    with pytest.raises(ValueError, match=match):
        PlaygroundTrainer(2, **kwargs)


def _exercise(fragment, epochs, stop_below=None):
    """Test losses of a run at Playground's defaults plus `fragment` (the page's seeds)."""
    state = PlaygroundState.from_fragment(fragment + "&seed=0.42")
    data = generate(state)
    feats = state.features()
    Xtr, Xte = feature_matrix(data["X_train"], feats), feature_matrix(data["X_test"], feats)
    net = PlaygroundTrainer(len(feats), state.networkShape, state.activation, "tanh",
                            state.learningRate, batch_size=state.batchSize,
                            seed=seed_number(state.seed, 1))
    losses = []
    for _ in range(epochs):
        net.train_epoch(Xtr, data["y_train"])
        losses.append(net.loss(Xte, data["y_test"]))
        if stop_below is not None and losses[-1] < stop_below:
            break
    return losses


def test_exercise_circle_needs_only_squares():
    losses = _exercise("dataset=circle&networkShape=&x=false&y=false&xSquared=true"
                       "&ySquared=true", 500, stop_below=0.05)
    assert losses[-1] < 0.05


def test_exercise_xor_needs_only_x1x2():
    losses = _exercise("dataset=xor&networkShape=&x=false&y=false&xTimesY=true", 500,
                       stop_below=0.05)
    assert losses[-1] < 0.05


def test_exercise_spiral_linear_model_fails_deep_model_succeeds():
    linear = _exercise("dataset=spiral&networkShape=", 300)
    assert min(linear) > 0.4
    deep = _exercise("dataset=spiral&networkShape=8,8,8,8,8,8&xSquared=true&ySquared=true"
                     "&xTimesY=true&sinX=true&sinY=true", 3000, stop_below=0.1)
    assert deep[-1] < 0.1


def test_exercise_learning_rate_3_oscillates_or_stalls():
    losses = np.array(_exercise("dataset=circle&learningRate=3", 200))
    assert np.isfinite(losses).all() and losses.max() <= 2.0  # tanh output: bounded
    rises = int(np.sum(np.diff(losses[-50:]) > 0))
    assert losses[-1] > 0.2 and (rises >= 5 or abs(losses[-1] - losses[-50]) < 0.01)
    good = _exercise("dataset=circle", 200)
    assert good[-1] < losses[-1] / 2
