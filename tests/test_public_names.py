"""Modules reach each other only through public names (issue 13): the shared helpers
they import have public, documented names, and no module imports another module's
`_private` name or reads another object's `_private` attribute by string."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from nnlab.callbacks import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau
from nnlab.callbacks.monitor import MonitorCallback
from nnlab.datasets.synthetic import check_int
from nnlab.layers import GRU, LSTM, Dense, Dropout, GaussianNoise, Input, SimpleRNN
from nnlab.layers.arguments import as_shape, deny_constraints
from nnlab.layers.dropout import RandomLayer
from nnlab.layers.multi_output import Parts, output_gradients
from nnlab.metrics.curves import counts_at_thresholds, require_both_classes
from nnlab.metrics.keras_metrics import match_targets
from nnlab.models import Model, Sequential
from nnlab.optimizers.base import check_number
from nnlab.optimizers.schedules import check_positive

PACKAGE = Path(__file__).resolve().parent.parent / "nnlab"
# a private name imported under another private alias is fine when what it names is public
_PUBLIC_ALIASES = {("nnlab.models.keras_weights", "bad")}


def _own_names(tree) -> set[str]:
    """The names a module defines: functions, classes, assigned names and attributes."""
    own = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            own.add(node.attr)
    return own


def _private_reach_ins(path: Path) -> list[str]:
    """`from nnlab.x import _y`, and `getattr/hasattr(obj, "_y")` on an object other than
    self where `_y` is not a name the module itself defines, in one module."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    own = _own_names(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nnlab"):
            for alias in node.names:
                if alias.name.startswith("_") and (node.module, alias.name) not in _PUBLIC_ALIASES:
                    found.append(f"line {node.lineno}: from {node.module} import {alias.name}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and str(node.args[1].value).startswith("_")
            and not str(node.args[1].value).startswith("__")
            and node.args[1].value not in own
            and not (isinstance(node.args[0], ast.Name) and node.args[0].id == "self")
        ):
            found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_imports_or_reads_another_modules_private_names():
    found = {
        str(path.relative_to(PACKAGE.parent)): hits
        for path in sorted(PACKAGE.rglob("*.py"))
        if (hits := _private_reach_ins(path))
    }
    assert not found, (
        "Modules reach into other modules' private names; give the helper a public, "
        f"documented name in the module that owns it and import that: {found}"
    )


def test_the_scan_finds_a_private_import_and_a_private_getattr(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from nnlab.layers.base import _planning\n"
        "def f(layer):\n    return getattr(layer, '_A', None)\n"
    )
    assert len(_private_reach_ins(bad)) == 2


# -- layers ------------------------------------------------------------------------------
def test_as_shape_normalizes_ints_and_lists_and_refuses_bad_entries():
    assert as_shape(np.int64(4)) == (4,) and type(as_shape(np.int64(4))[0]) is int
    assert as_shape([None, 3]) == (None, 3)
    with pytest.raises(TypeError, match=r"int or a tuple of ints .* Received: 'x'"):
        as_shape("x")
    with pytest.raises(ValueError, match=r"ints >= 0 or None. Received: shape=\(2, -1\)"):
        as_shape((2, -1))
    with pytest.raises(ValueError, match=r"Received: shape=\(True,\)"):
        as_shape((True,))


@pytest.mark.parametrize(
    "make, arg",
    [
        (lambda c: Dense(2, kernel_constraint=c), "kernel_constraint"),
        (lambda c: LSTM(2, recurrent_constraint=c), "recurrent_constraint"),
    ],
)
def test_layers_refuse_weight_constraints_naming_the_argument(make, arg):
    with pytest.raises(ValueError, match=rf"not supported by nnlab. Received: {arg}='non_neg'"):
        make("non_neg")
    make(None)  # None is accepted


def test_deny_constraints_names_every_constraint_given():
    with pytest.raises(ValueError, match=r"^Dense: .* Received: a=1, c=3$"):
        deny_constraints(Dense(1), a=1, b=None, c=3)


def test_output_gradients_pads_with_none_and_keeps_parts():
    dY = np.ones((2, 3))
    assert output_gradients(dY, 3)[0] is dY and output_gradients(dY, 3)[1:] == [None, None]
    parts = Parts([None, dY])
    assert output_gradients(parts, 3) == [None, dY, None]


def test_random_layers_share_the_public_random_layer_base():
    for layer in (Dropout(0.5), GaussianNoise(0.1), SimpleRNN(2), LSTM(2), GRU(2)):
        assert isinstance(layer, RandomLayer)
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=4)
    b.set_random_state(a.get_random_state())
    X = np.ones((4, 6))
    np.testing.assert_array_equal(a.forward(X, training=True), b.forward(X, training=True))


def test_keeps_A_says_which_layers_keep_their_activation():
    assert Dense(2).keeps_A and not SimpleRNN(2).keeps_A and not Input(shape=(2,)).producer.keeps_A


def test_dead_unit_recorder_watches_relu_layers_that_keep_A_only():
    rnn, dense = SimpleRNN(3, activation="relu"), Dense(4, activation="relu")
    model = Sequential([Input(shape=(5, 2)), rnn, dense, Dense(1)])
    model.compile("sgd", "mse")
    rng = np.random.default_rng(0)
    history = model.fit(rng.normal(size=(40, 5, 2)), rng.normal(size=(40, 1)), epochs=2,
                        batch_size=40, verbose=0, seed=0)
    assert list(history.dead_units) == [dense.name]
    assert len(history.dead_units[dense.name]) == 2


def test_a_layer_called_twice_is_refused_but_a_nested_model_may_be():
    inp = Input(shape=(2,))
    shared = Dense(2)
    with pytest.raises(ValueError, match="is used more than once in this model"):
        Model(inp, shared(shared(inp)))
    inner_in = Input(shape=(2,))
    inner = Model(inner_in, Dense(2)(inner_in))
    outer = Model(inp, inner(inner(inp)))
    assert outer.predict(np.ones((1, 2)), verbose=0).shape == (1, 2)


# -- optimizers --------------------------------------------------------------------------
def test_check_number_returns_a_float_and_names_range_and_value():
    assert check_number("Adam", "beta_1", np.float32(0.5), low=0, high=1) == 0.5
    with pytest.raises(TypeError, match=r"Adam\(beta_1=...\) expects a number. Received: "):
        check_number("Adam", "beta_1", True)
    with pytest.raises(ValueError, match=r"finite value > 0 and <= 1. Received: beta_1=0.0"):
        check_number("Lion", "beta_1", 0, low=0, high=1, low_open=True)
    with pytest.raises(ValueError, match=r"finite value >= 0. Received: epsilon=inf"):
        check_number("Adam", "epsilon", float("inf"), low=0)


def test_check_positive_refuses_zero_and_bools():
    assert check_positive("CosineDecay", "decay_steps", 3) == 3.0
    for bad in (0, -1.0, True, "3"):
        with pytest.raises(ValueError, match="CosineDecay expects decay_steps > 0"):
            check_positive("CosineDecay", "decay_steps", bad)


# -- callbacks, metrics, datasets --------------------------------------------------------
def test_monitoring_callbacks_share_the_public_monitor_base(tmp_path):
    callbacks = [EarlyStopping(), ReduceLROnPlateau(),
                 ModelCheckpoint(str(tmp_path / "m.nnlab"))]
    assert all(isinstance(cb, MonitorCallback) for cb in callbacks)
    with pytest.raises(ValueError, match="EarlyStopping: mode must be 'auto', 'min' or 'max'"):
        EarlyStopping(mode="up")


def test_match_targets_adds_or_drops_a_trailing_axis_of_one():
    assert match_targets(np.zeros(4), np.zeros((4, 1))).shape == (4, 1)
    assert match_targets(np.zeros((4, 1)), np.zeros(4)).shape == (4,)
    Y = np.zeros((4, 2))
    assert match_targets(Y, np.zeros((4, 3))) is Y


def test_counts_at_thresholds_by_hand_and_both_classes_required():
    t, s = np.array([1, 0, 1, 0, 1]), np.array([0.9, 0.8, 0.8, 0.3, 0.1])
    fps, tps, thr = counts_at_thresholds(t, s)
    # scores >= 0.9: one TP; >= 0.8: two TP, one FP; >= 0.3: one more FP; >= 0.1: all
    assert tps.tolist() == [1.0, 2.0, 2.0, 3.0] and fps.tolist() == [0.0, 1.0, 2.0, 2.0]
    assert thr.tolist() == [0.9, 0.8, 0.3, 0.1]
    require_both_classes(tps, fps, "roc_curve")
    fps, tps, _ = counts_at_thresholds(np.ones(3, int), np.array([0.1, 0.2, 0.3]))
    with pytest.raises(ValueError, match=r"roc_curve needs both classes .* no negative \(0\)"):
        require_both_classes(tps, fps, "roc_curve")


def test_check_int_returns_an_int_and_names_the_minimum():
    assert check_int("timesteps", np.int32(3), minimum=2) == 3
    for bad in (1, 2.0, True):
        with pytest.raises(ValueError, match=r"timesteps must be an int >= 2. Received: "):
            check_int("timesteps", bad, minimum=2)
