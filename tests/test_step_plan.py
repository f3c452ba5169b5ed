"""The step plan (nnlab.step.StepPlan): a chain of Dense layers trained from kept arrays,
to the same bits as the layer graph, and only for such chains."""

import numpy as np
import pytest

from nnlab import layers, models
from nnlab.layers import Dense
from nnlab.step import StepPlan


class GraphDense(Dense):
    """Dense itself, under another class: StepPlan.of refuses it, so the graph runs it."""


def _net(dense, sizes, hidden, output, dtype):
    stack = [layers.Input((sizes[0],), dtype=dtype)]
    for units in sizes[1:-1]:
        stack.append(dense(units, activation=hidden, dtype=dtype, kernel_regularizer="l2"))
    return models.Sequential(stack + [dense(sizes[-1], activation=output, dtype=dtype)])


CASES = {  # sizes, hidden, output, loss, targets
    "softmax-cce": ((5, 7, 6, 3), "relu", "softmax", "categorical_crossentropy", "onehot"),
    "sigmoid-bce": ((5, 7, 1), "tanh", "sigmoid", "binary_crossentropy", "binary"),
    "linear-mse": ((5, 7, 4, 2), "relu", None, "mse", "real"),
    "one-input-one-unit": ((1, 8, 1), "sigmoid", None, "mae", "real"),  # rank-one paths
}


def _targets(kind, rng, n, units):
    if kind == "onehot":
        return np.eye(units)[rng.integers(0, units, n)]
    if kind == "binary":
        return rng.integers(0, 2, (n, 1)).astype(float)
    return rng.standard_normal((n, units))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_the_plan_trains_to_the_graphs_bits(case, dtype):
    sizes, hidden, output, loss, kind = CASES[case]
    rng = np.random.default_rng(0)
    X = rng.standard_normal((45, sizes[0])).astype(dtype)  # 45 = 2 batches of 16 + 13
    Y = _targets(kind, rng, 45, sizes[-1]).astype(dtype)
    planned = _net(Dense, sizes, hidden, output, dtype)
    graphed = _net(GraphDense, sizes, hidden, output, dtype)
    graphed.set_weights(planned.get_weights())
    assert StepPlan.of(planned) is not None and StepPlan.of(graphed) is None
    histories = []
    for model in (planned, graphed):
        model.compile(optimizer="adam", loss=loss, metrics=["mae"])
        histories.append(model.fit(X, Y, batch_size=16, epochs=3, verbose=0, seed=2))
    assert histories[0].history == histories[1].history
    for recorded in ("dead_units", "gradient_norms"):  # read from the layers after each epoch
        a, b = (list(getattr(h, recorded).values()) for h in histories)
        assert a == b, recorded
    assert all(len(v) == 3 for v in histories[0].gradient_norms.values())
    for a, b in zip(planned.get_weights(), graphed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_plan_keeps_one_set_of_arrays_per_batch_size():
    model = _net(Dense, (3, 4, 2), "relu", None, "float32")
    hidden = model.layers[0]
    plan = StepPlan.of(model)
    X = np.ones((6, 3), dtype="float32")
    first_out = plan.forward([X])[0]
    first_A = hidden.last_A
    second_out = plan.forward([X])[0]
    assert hidden.last_A is first_A  # written again into the same array
    assert second_out is not first_out  # the output is fresh: a metric may keep it
    np.testing.assert_array_equal(second_out, first_out)
    short = plan.forward([X[:5]])[0]  # an epoch's last, short batch
    assert short.shape == (5, 2) and hidden.last_A.shape == (5, 4)
    np.testing.assert_array_equal(short, first_out[:5])
    plan.forward([X])
    assert hidden.last_A is first_A  # the next epoch's first batch: the same again


def test_a_metric_may_keep_each_batchs_outputs():
    """A metric that keeps y_pred per batch (Keras's tensors are immutable) sees every
    batch's own outputs, through the plan as through the graph."""
    from nnlab.metrics import Metric

    class MeanOfKept(Metric):
        def __init__(self, name="kept"):
            super().__init__(name=name)
            self.parts = []

        def update_state(self, y_true, y_pred, sample_weight=None):
            self.parts.append(y_pred)

        def result(self):
            return float(np.mean(np.concatenate(self.parts)))

        def reset_state(self):
            self.parts = []

    rng = np.random.default_rng(5)
    X, Y = rng.standard_normal((40, 3)), rng.standard_normal((40, 2))
    logs = []
    for dense in (Dense, GraphDense):
        model = _net(dense, (3, 4, 2), "relu", None, "float64")
        model.set_weights([np.full_like(w, 0.1) for w in model.get_weights()])
        model.compile(optimizer="sgd", loss="mse", metrics=[MeanOfKept()])
        logs.append(model.fit(X, Y, batch_size=8, epochs=1, verbose=0, shuffle=False).history)
    assert logs[0] == logs[1]


def test_a_wider_loss_gradient_goes_down_the_chain_as_in_the_graph():
    """A custom loss whose gradient is float64 on a float32 model: each dX is the float64
    product, as the graph computes it, not cast into the plan's float32 arrays."""
    from nnlab.losses import Loss

    class WideMSE(Loss):
        def forward(self, Y, P):
            return np.mean((P.astype(np.float64) - Y) ** 2, axis=-1)

        def backward(self, Y, P):
            return 2.0 * (P.astype(np.float64) - Y) / P.shape[-1]

    rng = np.random.default_rng(6)
    X = rng.standard_normal((24, 3)).astype("float32")
    Y = rng.standard_normal((24, 2)).astype("float32")
    planned = _net(Dense, (3, 5, 4, 2), "relu", None, "float32")
    graphed = _net(GraphDense, (3, 5, 4, 2), "relu", None, "float32")
    graphed.set_weights(planned.get_weights())
    for model in (planned, graphed):
        model.compile(optimizer="sgd", loss=WideMSE())
        model.fit(X, Y, batch_size=8, epochs=3, verbose=0, shuffle=False)
    for a, b in zip(planned.get_weights(), graphed.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_plan_reads_each_layers_weights_at_every_step():
    model = _net(Dense, (3, 4, 2), "relu", None, "float64")
    plan = StepPlan.of(model)
    X = np.ones((2, 3))
    before = plan.forward([X])[0].copy()
    model.set_weights([w * 2 for w in model.get_weights()])
    assert not np.array_equal(plan.forward([X])[0], before)
    np.testing.assert_array_equal(plan.forward([X])[0], model.predict(X, verbose=0))


def _two_outputs():
    x = layers.Input((3,))
    h = layers.Dense(4)(x)
    return models.Model(x, [layers.Dense(1)(h), layers.Dense(2)(h)])


@pytest.mark.parametrize(
    "build",
    [
        lambda: models.Sequential([layers.Input((3,)), layers.Dense(4), layers.Dropout(0.5),
                                   layers.Dense(1)]),
        lambda: models.Sequential([layers.Input((3, 2)), layers.Dense(4), layers.Dense(1)]),
        lambda: models.Sequential([layers.Input((3,)), GraphDense(4), layers.Dense(1)]),
        _two_outputs,
    ],
    ids=["dropout", "3-d-input", "dense-subclass", "two-outputs"],
)
def test_no_plan_where_the_model_is_not_a_chain_of_dense_layers(build):
    assert StepPlan.of(build()) is None
