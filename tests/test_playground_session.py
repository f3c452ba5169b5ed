"""The playground's state (Playground's URL keys), data, session messages and exports."""

from __future__ import annotations

import base64
import os
import subprocess
import sys

import numpy as np
import pytest

from nnlab.models import load_model
from nnlab.playground import PlaygroundState
from nnlab.playground.data import generate, read_upload
from nnlab.playground.engine import fit_targets
from nnlab.playground.session import Session, shades

# The default link quoted in shared/anchors/playground.md (TensorFlow Playground's own).
PLAYGROUND_DEFAULT_LINK = (
    "#activation=tanh&batchSize=10&dataset=circle&regDataset=reg-plane&learningRate=0.03"
    "&regularizationRate=0&noise=0&networkShape=4,2&seed=0.59704&showTestData=false"
    "&discretize=false&percTrainData=50&x=true&y=true&xTimesY=false&xSquared=false"
    "&ySquared=false&cosX=false&sinX=false&cosY=false&sinY=false&collectStats=false"
    "&problem=classification&initZero=false&hideText=false")


def test_playground_default_link_gives_playgrounds_defaults():
    s = PlaygroundState.from_fragment(PLAYGROUND_DEFAULT_LINK)
    assert (s.activation, s.batchSize, s.dataset, s.learningRate, s.regularization,
            s.regularizationRate, s.noise, s.networkShape, s.seed, s.percTrainData,
            s.problem) == ("tanh", 10, "circle", 0.03, "none", 0, 0, [4, 2], "0.59704", 50,
                           "classification")
    assert s.features() == ["x", "y"] and not s.showTestData and not s.discretize
    assert s.uses_playground_rule()
    again = PlaygroundState.from_fragment(s.to_fragment())
    assert again == s
    # Playground's own key order and spelling, nothing extra at the defaults.
    assert s.to_fragment().startswith("activation=tanh&batchSize=10&dataset=circle")
    assert "loss=" not in s.to_fragment()


def test_fragment_keys_hide_and_bad_values():
    s = PlaygroundState.from_fragment(
        "#dataset=spiral&learningRate=3&regularization=L1&regularizationRate=0.003"
        "&networkShape=8,8,8,8,8,8&noise=35&percTrainData=70&sinX=true&initZero=true"
        "&problem=regression&regDataset=reg-gauss&hideText=true&learningRate_hide=true"
        "&x_hide=true&batchSize=abc&activation=swish&bogus=1")
    assert (s.dataset, s.learningRate, s.regularization, s.regularizationRate, s.noise,
            s.percTrainData, s.problem, s.regDataset) == (
        "spiral", 3.0, "L1", 0.003, 35, 70, "regression", "reg-gauss")
    assert s.networkShape == [8] * 6 and s.sinX and s.initZero and s.hideText
    assert s.hidden == ["learningRate", "x"]
    assert s.batchSize == 10 and s.activation == "tanh"  # unreadable values keep defaults
    assert "learningRate_hide=true" in s.to_fragment()
    with pytest.raises(ValueError, match="at most 10 hidden layers"):
        s.set("networkShape", "4," * 11)
    with pytest.raises(ValueError, match="expected one of"):
        s.set("learningRate", "0.5")


def test_generated_data_sizes_and_split():
    d = generate(PlaygroundState(seed="7"))
    assert len(d["X_train"]) == 250 and len(d["X_test"]) == 250
    assert set(np.unique(d["y_train"])) == {-1.0, 1.0}
    r = generate(PlaygroundState(seed="7", problem="regression", percTrainData=30))
    assert len(r["X_train"]) == 360 and len(r["X_test"]) == 840
    # circle at noise 0: label +1 exactly inside radius 2.5 (Playground's rule)
    X, y = d["X_train"], d["y_train"]
    assert ((np.hypot(X[:, 0], X[:, 1]) < 2.5) == (y > 0)).all()
    # same seed, same bits
    np.testing.assert_array_equal(generate(PlaygroundState(seed="7"))["X_test"], d["X_test"])


def test_shades_are_playgrounds_31_bands():
    v = np.array([-1.0, -0.99, 0.0, 0.5, 1.0, 7.0])
    assert shades(v).tolist() == [0, 0, 15, 23, 30, 30]
    assert shades(np.array([-0.001, 0.0]), discretize=True).tolist() == [0, 30]


def _session(fragment="seed=0.3"):
    s = Session()
    replies = s.handle({"type": "init", "fragment": fragment})
    assert [r["type"] for r in replies] == ["state", "data", "frame"]
    return s


def test_learning_rate_changes_without_reset_other_settings_reset():
    s = _session()
    s.handle({"type": "step", "epochs": 5})
    s.handle({"type": "set", "key": "learningRate", "value": "0.1"})
    assert s.epoch == 5 and s.engine.net.learning_rate == 0.1
    seed = s.state.seed
    s.handle({"type": "regenerate"})
    assert s.epoch == 5 and s.state.seed != seed  # new data, training goes on
    s.handle({"type": "set", "key": "activation", "value": "relu"})
    assert s.epoch == 0
    s.handle({"type": "set", "key": "noise", "value": 20})
    assert s.epoch == 0 and s.state.noise == 20
    s.handle({"type": "set", "key": "seed", "value": "0.3"})  # a seed typed in: its data
    np.testing.assert_array_equal(s.data["X_train"], _session("seed=0.3&noise=20").data["X_train"])


def test_reload_of_a_link_reproduces_data_and_weights():
    a, b = _session("seed=0.123&networkShape=3"), _session("seed=0.123&networkShape=3")
    np.testing.assert_array_equal(a.data["X_train"], b.data["X_train"])
    for Wa, Wb in zip(a.engine.weights()[0], b.engine.weights()[0]):
        np.testing.assert_array_equal(Wa, Wb)
    a.handle({"type": "reset"})  # the reset button draws new weights
    assert not np.array_equal(a.engine.weights()[0][0], b.engine.weights()[0][0])


def test_edit_weight_and_bias():
    s = _session()
    reply = s.handle({"type": "weight", "layer": 0, "source": 1, "dest": 2, "value": 1.5})
    assert reply[0]["weights"][0][1][2] == 1.5
    reply = s.handle({"type": "bias", "layer": 1, "node": 0, "value": -0.25})
    assert reply[0]["biases"][1][0] == -0.25
    with pytest.raises(ValueError, match="dest must be an int"):
        s.handle({"type": "weight", "layer": 0, "source": 0, "dest": 9, "value": 1})


def test_beyond_options_switch_to_fit_and_back():
    s = _session("seed=0.3&dataset=spiral3&networkShape=8,8")
    assert not s.engine.playground_rule and s.engine.kind == "softmax"
    frame = s.handle({"type": "step", "epochs": 3})[0]
    assert "classMap" in frame and len(frame["metrics"]["confusion"]) == 3
    s.handle({"type": "set", "key": "dataset", "value": "circle"})
    assert s.engine.playground_rule
    for key, value in [("optimizer", "adam"), ("loss", "crossentropy"), ("dropout", 0.2)]:
        reply = s.handle({"type": "set", "key": key, "value": value})
        assert not reply[0]["playgroundRule"] and "fit" in reply[0]["rule"]
    s.handle({"type": "set", "key": "stopEpoch", "value": 4})
    frame = s.handle({"type": "step", "epochs": 10})[0]
    assert frame["epoch"] == 4 and frame["stopped"]


@pytest.mark.parametrize("fragment", ["seed=0.3&dataset=spiral3&networkShape=3",
                                      "seed=0.3&dataset=circle&loss=crossentropy&networkShape=3"])
def test_fit_rule_shows_the_cross_entropy_fit_minimises(fragment):
    s = _session(fragment)
    s.handle({"type": "step", "epochs": 2})
    X, y = s.inputs["train"], s.data["y_train"]
    expected = s.engine.model.evaluate(X, fit_targets(y, s.engine.kind), verbose=0)
    assert s.engine.loss(X, y) == pytest.approx(expected, rel=1e-12)
    assert s.history[-1][0] == pytest.approx(expected, rel=1e-12)


def test_regression_reports_r2():
    s = _session("seed=0.3&problem=regression&networkShape=4")
    frame = s.handle({"type": "step", "epochs": 20})[0]
    assert frame["metrics"]["r2"] > 0.5


def test_upload_validates_with_clear_messages():
    good = "a,b,label\n" + "\n".join(f"{i % 5},{i % 3},{'yes' if i % 2 else 'no'}"
                                     for i in range(40))
    X, y, classes = read_upload(good, "classification")
    assert X.shape == (40, 2) and classes == ["no", "yes"] and set(y) == {-1.0, 1.0}
    for text, match in [("a,b\n1,2\n", "exactly 3 columns"),
                        ("a,b,c\n1,x,1\n2,2,0\n3,3,1\n4,4,0\n", "must hold numbers"),
                        ("a,b,c\n1,2,1\n", "4 to 5000 rows"),
                        ("a,b,c\n1,2,\n2,2,0\n3,3,1\n4,4,0\n", "empty cells")]:
        with pytest.raises(ValueError, match=match):
            read_upload(text, "classification")
    with pytest.raises(ValueError, match="cannot be regressed"):
        read_upload(good, "regression")
    s = _session()
    s.handle({"type": "upload", "csv": good})
    assert s.upload is not None and len(s.data["X_train"]) == 20 and s.engine.playground_rule
    three = "x,y,species\n" + "\n".join(f"{i % 7},{i % 3},{'abc'[i % 3]}" for i in range(30))
    reply = s.handle({"type": "upload", "csv": three})
    assert reply[0]["classes"] == ["a", "b", "c"] and s.engine.kind == "softmax"
    s.handle({"type": "step", "epochs": 2})
    s.handle({"type": "set", "key": "dataset", "value": "circle"})  # back to generated data
    assert s.upload is None and s.engine.playground_rule and len(s.data["X_train"]) == 250


def test_exported_script_reproduces_the_test_loss(tmp_path):
    # (nnlab's fit with three classes, Adam and dropout: tests/test_playground_browser.py)
    s = _session("seed=0.3&networkShape=3&learningRate=0.1")
    s.handle({"type": "step", "epochs": 12})
    script = s.handle({"type": "export", "what": "script"})[0]["text"]
    path = tmp_path / "run.py"
    path.write_text(script)
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env,
                         timeout=120, check=True).stdout
    assert f"epoch 12 train loss {s.history[-1][0]:.6f} test loss {s.history[-1][1]:.6f}" in out


def test_exported_model_and_data(tmp_path):
    s = _session("seed=0.3&networkShape=3")
    s.handle({"type": "step", "epochs": 3})
    blob = base64.b64decode(s.handle({"type": "export", "what": "model"})[0]["base64"])
    path = tmp_path / "m.nnlab"
    path.write_bytes(blob)
    model = load_model(str(path))
    X = s.inputs["test"]
    np.testing.assert_allclose(model.predict(X, verbose=0)[:, 0], s.engine.net.predict(X),
                               rtol=1e-12)
    csv = s.handle({"type": "export", "what": "csv"})[0]["text"]
    assert csv.startswith("x1,x2,label,split\n") and csv.count("\n") == 501


def test_docs_example_runs_and_prints_what_the_docs_say(capsys):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "docs" / "playground.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks
    for block in blocks:
        exec(compile(block, "docs/playground.md", "exec"), {})
    printed = capsys.readouterr().out.strip()
    assert f"which prints `{printed}`" in text
