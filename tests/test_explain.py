"""Explain: every number of a training step (issue 15).

- lecture 003's 3-4-1 example: the slides' numbers, from the API and from `nnlab explain`;
- the trace is the engine's own step: it matches `train_on_batch` for every optimizer,
  with Dropout and BatchNormalization, and leaves the model untouched;
- every analytic gradient equals its float64 central-difference estimate, for random
  small models of every activation and every loss;
- the text and HTML renderings (content), the size limit, the refusals, the command.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from nnlab.activations import ACTIVATIONS
from nnlab.cli import main
from nnlab.diagnostics.explain import MAX_PARAMS, MAX_SAMPLES, explain
from nnlab.diagnostics.explain_presets import lecture_003
from nnlab.initializers import RandomNormal
from nnlab.layers import Activation, BatchNormalization, Dense, Dropout, Flatten, Input
from nnlab.losses import LOSSES
from nnlab.models import Model, Sequential
from nnlab.optimizers import SGD, Adagrad, Adam, RMSprop
from nnlab.regularizers import L2

SLIDE_PREDICTIONS = [0.521, 0.648, 0.758, 0.837, 0.881, 0.908, 0.925]


@pytest.fixture(scope="module")
def lecture():
    model, x, y = lecture_003()
    return explain(model, x, y, steps=7)


# -- must-show 1: lecture 003 ---------------------------------------------------------
def test_lecture_003_forward_and_loss(lecture):
    first = lecture.steps[0]
    assert round(float(first.prediction[0, 0]), 3) == 0.521
    assert round(first.loss.value, 3) == 0.652
    # phi on the slide: 0.845 (from unrounded weights), 0.132, 0.354, 0.377; from the
    # printed weights: sigmoid(1.705) = 0.8462 (see docs/explain.md, errata)
    np.testing.assert_allclose(first.layers[0].A[0], [0.8462, 0.1328, 0.3543, 0.3766], atol=1e-4)
    np.testing.assert_allclose(first.layers[0].Z[0], [1.705, -1.876, -0.600, -0.504], atol=1e-12)


def test_lecture_003_gradients(lecture):
    out = lecture.steps[0].layers[1]
    # exact: (y - y_hat) phi_i; the slides' -0.063, -0.169, -0.181 round phi first
    assert [round(float(g), 3) for g in out.grads["kernel"][:, 0]] == [
        -0.405,
        -0.064,
        -0.170,
        -0.180,
    ]
    assert round(float(out.grads["bias"][0]), 3) == -0.479
    assert round(float(out.dZ[0, 0]), 3) == -0.479  # y - y_hat
    hidden = lecture.steps[0].layers[0]
    # the slides' dE/dw_43^1 = 0.045 is kernel[2, 3] (input 3 -> hidden unit 4)
    assert round(float(hidden.grads["kernel"][2, 3]), 3) == 0.045
    # and dE/dw_13^1 = -0.055 is kernel[2, 0]
    assert round(float(hidden.grads["kernel"][2, 0]), 3) == -0.055


def test_lecture_003_updated_weights(lecture):
    updates = {(u.layer, u.weight): u for u in lecture.steps[0].updates}
    out_w = updates[("output", "kernel")].after[:, 0]
    assert [round(float(w), 3) for w in out_w] == [0.291, 0.203, 0.090, 0.050]
    assert round(float(updates[("output", "bias")].after[0]), 3) == 0.240
    hid = updates[("hidden", "kernel")].after
    assert round(float(hid[2, 0]), 4) == 0.0374  # the slide's 0.01 - eta(-0.055) = 0.0375
    assert round(float(updates[("hidden", "bias")].after[2]), 6) == 0.000274
    # w_new = w - 0.5 dw, entry by entry
    for u in lecture.steps[0].updates:
        np.testing.assert_allclose(u.after, u.before - 0.5 * u.grad, rtol=0, atol=1e-15)


def test_lecture_003_seven_predictions(lecture):
    got = [float(p[0, 0]) for p in lecture.predictions]
    assert [round(p, 3) for p in got] == SLIDE_PREDICTIONS
    assert round(got[3], 5) == 0.83652  # the slide prints 0.836


def test_lecture_003_chain_rule(lecture):
    model, x, y = lecture_003()
    c = explain(model, x, y, weight="hidden/kernel[2,3]").steps[0].chain
    assert [f.symbol for f in c.factors] == ["dE/dy", "dy/dz", "dz/dA", "dA/dZ", "dZ/dw"]
    values = [float(f.values[0]) for f in c.factors]
    np.testing.assert_allclose(values[2:], [-0.040, 0.3766 * 0.6234, 10.0], atol=1e-4)
    assert round(values[0] * values[1], 3) == -0.479  # dE/dy dy/dz = y - y_hat
    assert c.product == pytest.approx(c.analytic, rel=1e-12)
    assert c.numeric == pytest.approx(c.analytic, rel=1e-7)
    assert round(c.analytic, 3) == 0.045
    default = lecture.steps[0].chain  # output/kernel[0,0], the slides' w_11^2
    assert (default.layer, default.index) == ("output", (0, 0))
    assert [round(float(f.values[0]), 3) for f in default.factors] == [-1.920, 0.250, 0.846]


def _lines_after(text: str, title: str) -> list[str]:
    return text.split(f"== {title}")[1].split("\n==")[0].splitlines()[1:]


def _numbers(line: str) -> list[float]:
    return [float(v) for v in re.findall(r"-?\d+\.\d+", line)]


def test_cli_lecture_003_prints_the_slides_numbers():
    result = CliRunner().invoke(main, ["explain", "--preset", "lecture-003"])
    assert result.exit_code == 0, result.output
    text = result.output
    loss = _lines_after(text, "Step 1: loss")
    assert (
        loss[0]
        == "E_i = -mean_k [Y_k ln(A_k) + (1 - Y_k) ln(1 - A_k)]; E = mean over the samples i"
    )
    assert loss[1] == "binary_crossentropy: E = 0.652"
    assert _numbers([ln for ln in loss if "prediction A" in ln][0]) == [0.521]
    back = _lines_after(text, "Step 1: backward pass")
    i = next(k for k, ln in enumerate(back) if "dW = X^T dZ" in ln)  # the output layer's
    assert [_numbers(ln)[0] for ln in back[i : i + 4]] == [-0.405, -0.064, -0.170, -0.180]
    assert _numbers(next(ln for ln in back if "db = sum of dZ" in ln)) == [-0.479]
    update = _lines_after(text, "Step 1: update (SGD, learning_rate = 0.5)")
    assert "    [0,0] 0.088 - 0.5 * (-0.405) = 0.291" in update
    assert "    [3,0] -0.040 - 0.5 * (-0.180) = 0.050" in update
    assert "    [2,0] 0.010 - 0.5 * (-0.055) = 0.037" in update
    assert "    [0] 0.000 - 0.5 * (-0.479) = 0.240" in update
    rows = _lines_after(text, "Every step")
    assert [_numbers(ln)[1] for ln in rows if ln.strip()] == SLIDE_PREDICTIONS
    assert "finite difference -0.405" in text


# -- the trace is the engine's own step --------------------------------------------------
def _net(optimizer, extra=(), seed=0, loss="categorical_crossentropy", out="softmax"):
    rng = np.random.default_rng(seed)
    layers = [Input(shape=(3,)), Dense(4, activation="tanh"), *extra, Dense(3, activation=out)]
    model = Sequential(layers)
    model.compile(optimizer=optimizer, loss=loss)
    x = rng.normal(size=(5, 3))
    y = np.eye(3)[rng.integers(0, 3, 5)]
    return model, x, y


OPTIMIZERS = {
    "sgd": lambda: SGD(0.1),
    "momentum": lambda: SGD(0.1, momentum=0.9),
    "nesterov": lambda: SGD(0.1, momentum=0.9, nesterov=True),
    "adam": lambda: Adam(0.01),
    "rmsprop": lambda: RMSprop(0.01, momentum=0.5),
    "adagrad": lambda: Adagrad(0.1),
    "clipnorm": lambda: SGD(0.1, clipnorm=0.05),
}


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_trace_is_what_train_on_batch_does(float64, optimizer):
    def build():
        extra = (Dropout(0.5, seed=3), BatchNormalization(), Activation("relu"))
        return _net(OPTIMIZERS[optimizer](), extra)

    (model, x, y), (twin, _, _) = build(), build()
    twin.set_weights(model.get_weights())
    for m in (model, twin):  # both optimizers now have slots and a step count
        m.train_on_batch(x, y)
    before = [w.copy() for w in model.get_weights()]
    trace = explain(model, x, y, steps=3)
    for w, b in zip(model.get_weights(), before):  # explain does not train the model
        np.testing.assert_array_equal(w, b)
    losses = [twin.train_on_batch(x, y) for _ in range(3)]
    np.testing.assert_allclose([s.loss.value for s in trace.steps], losses, rtol=1e-12)
    final = {(u.layer, u.weight): u.after for u in trace.steps[-1].updates}
    for mine, theirs in zip(model.layers, twin.layers):
        for k, W in theirs.params.items():
            np.testing.assert_allclose(final[(mine.name, k)], W, rtol=1e-12, atol=1e-15)
    # the mask of the last step is the one the real step drew
    drop = next(s for s in trace.steps[-1].layers if s.kind == "Dropout")
    np.testing.assert_array_equal(drop.extras["mask"], twin.layers[1].mask)
    bn = next(s for s in trace.steps[-1].layers if s.kind == "BatchNormalization")
    np.testing.assert_allclose(bn.extras["mean"], bn.X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(bn.extras["variance"], bn.X.var(axis=0), rtol=1e-12)


def test_layer_formulas_hold_in_the_trace(float64):
    model, x, y = _net(SGD(0.1), loss="mse", out="sigmoid")
    step = explain(model, x, y).steps[0]
    for s in step.layers:
        np.testing.assert_allclose(s.Z, s.X @ s.W + s.b, rtol=1e-12)
        np.testing.assert_allclose(s.dZ, s.dA * s.g_prime, rtol=1e-12)
        np.testing.assert_allclose(s.grads["kernel"], s.X.T @ s.dZ, rtol=1e-12)
        np.testing.assert_allclose(s.grads["bias"], s.dZ.sum(axis=0), rtol=1e-12)
        np.testing.assert_allclose(s.dX, s.dZ @ s.W.T, rtol=1e-12)
    assert len(step.chain.factors[0].values) == 5  # summed over the batch's samples
    assert step.chain.product == pytest.approx(step.chain.analytic, rel=1e-12)


# -- must-show 2: analytic gradients equal finite differences ------------------------
_OUTPUT_FOR = {
    "BinaryCrossentropy": ("sigmoid", "binary"),
    "CategoricalCrossentropy": ("softmax", "onehot"),
    "SparseCategoricalCrossentropy": ("softmax", "labels"),
    "KLDivergence": ("softmax", "onehot"),
    "Hinge": ("tanh", "signs"),
    # the losses Keras courses add: each with outputs in its domain
    "BinaryFocalCrossentropy": ("sigmoid", "binary"),
    "CategoricalFocalCrossentropy": ("softmax", "onehot"),
    "Poisson": ("softplus", "positive"),  # log(p): predictions must be positive
    "MeanAbsolutePercentageError": ("linear", "positive"),  # divides by |y|
    "SquaredHinge": ("tanh", "signs"),
    "CategoricalHinge": ("softmax", "onehot"),
}
ACTIVATION_NAMES = sorted(a for a in ACTIVATIONS if a != "step")
LOSS_NAMES = sorted({cls.__name__: cls for cls in LOSSES.values()})
LOSS_CLASSES = {cls.__name__: cls for cls in LOSSES.values()}


def _targets(kind: str, rng, n: int, k: int):
    if kind == "binary":
        return rng.integers(0, 2, (n, k)).astype(float)
    if kind == "onehot":
        return np.eye(k)[rng.integers(0, k, n)]
    if kind == "labels":
        return rng.integers(0, k, n)
    if kind == "signs":
        return rng.choice([-1.0, 1.0], (n, k))
    if kind == "positive":
        return rng.uniform(0.5, 2.0, (n, k))
    return rng.normal(size=(n, k))


@pytest.mark.parametrize("loss", LOSS_NAMES)
@pytest.mark.parametrize("activation", ACTIVATION_NAMES)
def test_every_gradient_equals_its_finite_difference(float64, activation, loss):
    rng = np.random.default_rng(len(activation) * 31 + len(loss))
    out, kind = _OUTPUT_FOR.get(loss, ("linear", "real"))
    # two stacked exponentials turn Glorot-sized weights into outputs near 1e6, so that
    # activation gets small kernels (its trace is checked all the same)
    kernel = RandomNormal(stddev=0.1, seed=1) if activation == "exponential" else "glorot_uniform"
    model = Sequential(
        [
            Input(shape=(3,)),
            # random biases keep every Z off the kinks (ReLU at 0: a dead unit's
            # successor would otherwise sit exactly at Z = b = 0)
            Dense(4, activation=activation, bias_initializer="random_normal",
                  kernel_initializer=kernel),  # fmt: skip
            Dense(3, activation=activation, bias_initializer="random_normal",
                  kernel_initializer=kernel),  # fmt: skip
            Dense(3, activation=out),
        ]
    )
    model.compile(optimizer=SGD(0.1), loss=LOSS_CLASSES[loss]())
    x = rng.normal(size=(4, 3))
    trace = explain(model, x, _targets(kind, rng, 4, 3), steps=2)
    for step in trace.steps:
        for s in step.layers:
            assert set(s.numeric) == set(s.grads) == {"kernel", "bias"}
            for k, G in s.grads.items():
                # central differences err by about eps^2 times the loss's scale, so the
                # absolute tolerance follows the largest gradient of the array
                atol = 1e-8 * max(1.0, float(np.abs(G).max()))
                np.testing.assert_allclose(G, s.numeric[k], rtol=1e-5, atol=atol, err_msg=k)


def test_finite_differences_with_dropout_batchnorm_and_penalty(float64):
    model = Sequential(
        [
            Input(shape=(3,)),
            Dense(5, activation="elu", kernel_regularizer="l2"),
            BatchNormalization(),
            Dropout(0.4, seed=1),
            Dense(2, activation="softmax"),
        ]
    )
    model.compile(optimizer=Adam(0.01), loss="categorical_crossentropy")
    rng = np.random.default_rng(5)
    trace = explain(model, rng.normal(size=(6, 3)), np.eye(2)[rng.integers(0, 2, 6)], steps=2)
    for step in trace.steps:
        assert step.loss.penalty > 0
        for s in step.layers:
            for k, G in s.grads.items():
                np.testing.assert_allclose(G, s.numeric[k], rtol=1e-6, atol=1e-9)
    assert {"gamma", "beta"} <= set(trace.steps[0].layers[1].numeric)


def test_chain_rule_adds_the_weight_penalty(float64):
    model = Sequential(
        [
            Input(shape=(2,)),
            Dense(3, activation="tanh", kernel_regularizer=L2(0.5), name="hidden"),
            Dense(1, activation="sigmoid", name="out"),
        ]
    )
    model.compile(optimizer=SGD(0.1), loss="binary_crossentropy")
    trace = explain(model, [[0.5, -1.0]], [[1.0]], weight="hidden/kernel[0,1]")
    c, W = trace.steps[0].chain, trace.steps[0].layers[0].W
    assert c.penalty == pytest.approx(2 * 0.5 * W[0, 1], rel=1e-12)  # L2(0.5): d(0.5 w^2)/dw
    assert c.product + c.penalty == pytest.approx(c.analytic, rel=1e-9)
    assert c.analytic == pytest.approx(c.numeric, rel=1e-6)
    text = trace.to_text(digits=4)
    assert "dE/dw = dE/dy * dy/dz * dz/dA * dA/dZ * dZ/dw + dR/dw" in text
    assert f"      = {c.product + c.penalty:.4f}" in text
    assert explain(model, [[0.5, -1.0]], [[1.0]]).steps[0].chain.penalty is None  # out: none


def test_fused_output_note_states_the_divisor(float64):
    model, x, y = _net(SGD(0.1))  # softmax + categorical cross-entropy, 5 samples, 3 classes
    out = explain(model, x, y).steps[0].layers[-1]
    assert "dZ = (A - Y) / 5" in out.backward_notes[0]
    np.testing.assert_allclose(out.dZ, (out.A - y) / 5, rtol=1e-12)
    np.testing.assert_allclose(out.dZ, out.A * (out.dA - (out.dA * out.A).sum(1, keepdims=True)))
    model, x, y = _net(SGD(0.1), loss="binary_crossentropy", out="sigmoid")
    out = explain(model, x, y).steps[0].layers[-1]
    assert "dZ = (A - Y) / 15" in out.backward_notes[0]
    np.testing.assert_allclose(out.dZ, (out.A - y) / 15, rtol=1e-12)
    np.testing.assert_allclose(out.dZ, out.dA * out.g_prime, rtol=1e-9)


def test_float32_model_gets_float64_differences():
    model, x, y = _net(SGD(0.1))
    s = explain(model, x, y).steps[0].layers[0]
    assert s.grads["kernel"].dtype == np.float32 and s.numeric["kernel"].dtype == np.float64
    np.testing.assert_allclose(s.grads["kernel"], s.numeric["kernel"], atol=1e-5)


# -- must-show 3: renderings and the size limit ---------------------------------------
class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.cells, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)
        if self.tags and self.tags[-1][0] == "td":
            self.cells.append(data)


def test_text_rounds_to_the_chosen_digits(lecture):
    text = lecture.to_text(digits=5)
    assert "E = 0.65208" in text and "0.83652" in text and "-0.40536" in text
    assert "0.521" not in lecture.to_text(digits=2).split("== Every step")[1]
    full = lecture.to_text(all_steps=True)
    assert "== Step 7: update" in full and "== Step 2: update" not in lecture.to_text()
    widths = {len(ln) for ln in _lines_after(lecture.to_text(), "Every step") if ln.strip()}
    assert len(widths) == 1  # aligned columns


def test_text_update_lines_for_momentum_and_adam(float64):
    model, x, y = _net(SGD(0.1, momentum=0.9))
    trace = explain(model, x, y, steps=2)
    u = trace.steps[1].updates[0]  # the second step: v from the first
    v0, g, v1, w, new = (
        float(a.flat[0])
        for a in (u.slots_before["momentum"], u.grad, u.slots_after["momentum"], u.before, u.after)
    )
    assert v1 == pytest.approx(0.9 * v0 - 0.1 * g, rel=1e-12)
    assert new == pytest.approx(w + v1, rel=1e-12)
    par = lambda v: f"({v:.4f})" if v < 0 else f"{v:.4f}"  # noqa: E731
    line = (
        f"[0,0] v = 0.9 * {v0:.4f} - 0.1 * ({g:.4f}) = {v1:.4f}; "
        f"w = {w:.4f} + {par(v1)} = {new:.4f}"
    )
    assert line in trace.to_text(digits=4, all_steps=True)
    adam = explain(_net(Adam(0.01))[0], x, y).to_text(digits=4)
    assert "m = m + (1 - beta_1) * (g - m)" in adam  # the rule, from Adam's docstring
    assert re.search(r"\[0,0\] m = \S+, v = \S+; w = \S+ - 0\.003162 \* \(", adam)


def test_html_section_content(lecture):
    section = lecture.to_html()
    assert section.startswith('<section class="nnlab-explain">')
    assert section.rstrip().endswith("</section>")
    parser = _Collect()
    parser.feed(section)
    tags = {t for t, _ in parser.tags}
    assert not tags & {"script", "link", "img", "iframe"}  # self-contained, inert
    for value in ("0.521", "-0.405", "-0.064", "-0.170", "-0.180", "-0.479", "0.925"):
        assert value in parser.cells
    text = "".join(parser.text)
    assert "binary_crossentropy: E = 0.652" in text
    assert "[0,0] 0.088 - 0.5 * (-0.405) = 0.291" in text
    page = lecture.to_html(full_page=True)
    assert page.startswith("<!DOCTYPE html>") and section in page


def test_html_escapes_names(float64):
    model, x, y = _net(SGD(0.1))
    model.name = "a<b>&"
    section = explain(model, x, y).to_html()
    assert "a&lt;b&gt;&amp;" in section and "a<b>" not in section


def test_to_dict_is_plain_json(lecture):
    d = json.loads(json.dumps(lecture.to_dict()))
    assert round(d["predictions"][3][0][0], 5) == 0.83652
    assert d["steps"][0]["layers"][1]["grads"]["bias"] == pytest.approx([-0.47904], abs=1e-5)
    assert d["steps"][0]["chain"]["layer"] == "output"


def test_size_limit_summarises_per_layer(float64):
    model = Sequential([Input(shape=(20,)), Dense(12, activation="relu"), Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert model.count_params() == 265 > MAX_PARAMS
    x, y = np.random.default_rng(0).normal(size=(2, 20)), np.zeros((2, 1))
    trace = explain(model, x, y)
    assert trace.summarised and not trace.steps[0].layers[0].numeric
    text = trace.to_text()
    assert f"265 trainable parameters, more than the {MAX_PARAMS}" in text
    fd_rows = re.compile(r"^\s+finite difference\s+-?\d", re.M)
    assert not fd_rows.search(text) and "W = W - lr" not in text
    rows = _lines_after(text, "Step 1: per layer")
    assert rows[0].split() == [
        "per",
        "layer",
        "layer",
        "kind",
        "W.shape",
        "|W|",
        "|dW|",
        "|A|",
        "|dZ|",
    ]
    assert rows[1].split()[:4] == ["dense", "Dense", "(20,", "12)"]
    W_norm = float(np.linalg.norm(model.layers[0].params["kernel"]))
    assert float(rows[1].split()[4]) == round(W_norm, 3)
    assert len(rows) == 3
    # exactly at the limit: written out in full
    full = explain(model, x, y, max_params=265)
    assert not full.summarised and fd_rows.search(full.to_text())


# -- refusals ---------------------------------------------------------------------------
def test_refusals(float64):
    inp = Input(shape=(3,))
    functional = Model(inp, Dense(1)(inp))
    functional.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="Sequential"):
        explain(functional, np.zeros((1, 3)), np.zeros((1, 1)))
    flat = Sequential([Input(shape=(3,)), Flatten(), Dense(1)])
    flat.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="Flatten"):
        explain(flat, np.zeros((1, 3)), np.zeros((1, 1)))
    model, x, y = _net(SGD(0.1))
    with pytest.raises(ValueError, match=f"at most {MAX_SAMPLES} samples"):
        explain(model, np.zeros((MAX_SAMPLES + 1, 3)), np.zeros((MAX_SAMPLES + 1, 3)))
    with pytest.raises(ValueError, match="LAYER/kernel"):
        explain(model, x, y, weight="nope/kernel[0,0]")
    with pytest.raises(ValueError, match="outside"):
        explain(model, x, y, weight=f"{model.layers[0].name}/kernel[3,0]")
    with pytest.raises(ValueError, match="shape"):
        explain(model, x, y[:, :2])
    uncompiled = Sequential([Input(shape=(3,)), Dense(1)])
    with pytest.raises(ValueError, match="compiled"):
        explain(uncompiled, x, y)


# -- the command on a user's saved model -------------------------------------------------
def test_cli_on_a_saved_model(tmp_path):
    model, x, y = _net(Adam(0.01), (Dropout(0.2, seed=0),))
    path = tmp_path / "m.nnlab"
    model.save(path)
    runner = CliRunner()
    args = ["explain", str(path), "--x", "0.5,-1,2", "--y", "0,1,0", "--digits", "4"]
    html = tmp_path / "step.html"
    result = runner.invoke(main, [*args, "--html", str(html), "--weight", "dense/bias[2]"])
    assert result.exit_code == 0, result.output
    assert "chain rule for dense/bias[2]" in result.output
    assert "update (Adam, learning_rate = 0.01)" in result.output
    assert "mask drawn for this step" in result.output
    assert html.read_text().startswith("<!DOCTYPE html>")
    bad = runner.invoke(main, [*args[:2], "--x", "1,2", "--y", "0,1,0"])
    assert bad.exit_code == 2 and bad.output.count("\n") == 1 and "expects" in bad.output
    csv = runner.invoke(main, [*args[:2], "--csv", str(tmp_path / "rows.csv")])
    assert csv.exit_code == 2 and "preprocessing" in csv.output
    saved = path.read_bytes()
    for target in (path, tmp_path / "link.nnlab"):  # the model, or a symlink to it
        if target != path:
            target.symlink_to(path)
        clobber = runner.invoke(main, [*args, "--html", str(target), "--force"])
        assert clobber.exit_code == 2 and "would destroy it" in clobber.output
        assert path.read_bytes() == saved
    html.write_text("mine")  # an existing output is replaced only with --force
    again = runner.invoke(main, [*args, "--html", str(html)])
    assert again.exit_code == 2 and "--force" in again.output and html.read_text() == "mine"
    again = runner.invoke(main, [*args, "--html", str(html), "--force"])
    assert again.exit_code == 0 and html.read_text().startswith("<!DOCTYPE html>")
    both = runner.invoke(main, [*args, "--csv", str(tmp_path / "rows.csv")])
    assert both.exit_code == 2 and "do not combine" in both.output
    neither = runner.invoke(main, ["explain"])
    assert neither.exit_code == 2 and "exactly one" in neither.output


def test_cli_on_a_csv_row_through_the_saved_preprocessing(tmp_path):
    """A model saved with its fitted preprocessing, as `nnlab train` saves it."""
    import pandas as pd

    from nnlab.data import TabularPreprocessor
    from nnlab.models import load_model

    rng = np.random.default_rng(0)
    hours, sleep = rng.uniform(0, 10, 40).round(1), rng.uniform(4, 9, 40).round(1)
    frame = pd.DataFrame({"hours": hours, "sleep": sleep})
    frame["passed"] = np.where(0.6 * hours + 0.4 * sleep > 5, "yes", "no")
    csv = tmp_path / "exam.csv"
    frame.to_csv(csv, index=False)
    prep = TabularPreprocessor("passed").fit(frame)
    model = Sequential(
        [Input(shape=(2,)), Dense(3, activation="tanh"), Dense(1, activation="sigmoid")]
    )
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(
        prep.transform(frame), prep.transform_target(frame).reshape(-1, 1), epochs=2, verbose=0
    )
    path = tmp_path / "model.nnlab"
    model.save(path, preprocessing=prep)
    runner = CliRunner()
    result = runner.invoke(main, ["explain", str(path), "--csv", str(csv), "--row", "2"])
    assert result.exit_code == 0, result.output
    # the row went through the saved preprocessing, the target too
    model = load_model(path)
    row = frame.iloc[[2]]
    y = np.asarray(model.preprocessing.transform_target(row), dtype=float).reshape(-1, 1)
    assert result.output == explain(model, model.preprocessing.transform(row), y).to_text()
    assert y[0, 0] == float(frame.passed[2] == "yes")
    np.testing.assert_allclose(
        explain(model, prep.transform(row), y).steps[0].layers[0].X, prep.transform(row), rtol=1e-6
    )
    past = runner.invoke(main, ["explain", str(path), "--csv", str(csv), "--row", "40"])
    assert past.exit_code == 2 and "past the end" in past.output


# -- docs/explain.md shows real output ---------------------------------------------------
DOC = Path(__file__).resolve().parent.parent / "docs" / "explain.md"


def _doc_block(after: str) -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split(after, 1)[1].split("```", 1)[0]


def test_docs_show_what_the_commands_print(tmp_path, monkeypatch):
    lecture = CliRunner().invoke(main, ["explain", "--preset", "lecture-003"])
    assert _doc_block("$ nnlab explain --preset lecture-003\n") == lecture.output
    chain = CliRunner().invoke(
        main, ["explain", "--preset", "lecture-003", "--weight", "hidden/kernel[2,3]"]
    )
    section = chain.output.split("== Step 1: chain rule")[1].split("\n\n")[0]
    assert _doc_block("sed -n '/chain rule/,/^$/p'\n") == "== Step 1: chain rule" + section + "\n\n"
    script = _doc_block("run as\n`python mine.py` in an empty folder:\n\n```python\n")
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(script, "docs/explain.md", "exec"), {})
    assert _doc_block("prints\n\n```text\n") == printed.getvalue()
    cli = CliRunner().invoke(
        main, ["explain", "mine.nnlab", "--x", "0.5,-1.0", "--y", "1", "--digits", "4"]
    )
    tail = "".join(cli.output.splitlines(keepends=True)[-12:])
    assert _doc_block("--digits 4 | tail -n 12\n") == tail
