"""nnlab in a real Jupyter kernel: the user's plots keep working, displays show once,
live curves update in place; and the live-curves fallback in a plain terminal."""

from __future__ import annotations

import subprocess
import sys

import pytest
from jupyter_kernel import REPO, mime_outputs, notebook, run

from nnlab.callbacks import Callback

SETUP = """
import matplotlib
backend_before = matplotlib.get_backend()
assert "inline" in backend_before, backend_before
import nnlab
"""

USER_PLOT = "import matplotlib.pyplot as plt\nplt.plot([1, 2, 3]); plt.show()"

EVERY_PLOT = """
import numpy as np
from nnlab import plotting as P
from nnlab.report import plots as R
rng = np.random.default_rng(0)
X = rng.normal(size=(60, 2)); y = (X[:, 0] * X[:, 1] > 0).astype(int)
model = nnlab.Sequential([nnlab.Input((2,)), nnlab.layers.Dense(4, "tanh"),
                          nnlab.layers.Dense(1, "sigmoid")])
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
rec = P.LayerStatsRecorder(x=X[:20], epochs=[0, 2])
h = model.fit(X, y[:, None], epochs=3, verbose=0, validation_split=0.25, callbacks=[rec])
shown = [
    P.LearningCurvesDisplay.from_histories({"a": h, "b": h}),
    P.DecisionBoundaryDisplay.from_model(model, X[:40], y[:40], X[40:], y[40:]),
    P.ConfusionMatrixDisplay.from_model(model, X, y),
    P.GradientNormsDisplay.from_history(h),
    P.LayerHistogramsDisplay.from_recorder(rec, kind="weights"),
    P.PredictionErrorDisplay.from_predictions(X[:, 0], X[:, 1]),
    P.PolynomialCapacityDisplay.from_data(X[:, 0], X[:, 1], degrees=(1, 3)),
    P.CrossValidationCurveDisplay.from_predictions(y, X[:, 0], [np.arange(30), np.arange(30, 60)]),
    P.LiveCurves(notebook=False),
]
fpr, tpr, _ = nnlab.metrics.roc_curve(y, X[:, 0])
rec_, prec_ = np.array([1.0, 0.5, 0.0]), np.array([0.5, 0.8, 1.0])
figs = [R.learning_curves(h), R.confusion_matrix([[3, 1], [0, 4]], ["a", "b"]),
        R.roc_curve([("x", fpr, tpr, 0.5)]), R.precision_recall([("x", rec_, prec_, 0.7)]),
        R.gradient_norms(h.gradient_norms), R.regression(X[:, 0], X[:, 1]),
        R.decision_boundary(lambda G: model.predict(G, verbose=0), X, y)]
pngs = [h._repr_png_(), nnlab.metrics.confusion_matrix(y, y)._repr_html_()]
assert matplotlib.get_backend() == backend_before, matplotlib.get_backend()
"""

ONE_DISPLAY = "P.ConfusionMatrixDisplay.from_predictions([0, 1, 1], [0, 1, 0])"
ON_PYPLOT_AXES = 'P.ConfusionMatrixDisplay.from_predictions([0, 1, 1], [0, 1, 0], ax="current")'

LIVE = """
live = P.LiveCurves()
model.fit(X, y[:, None], epochs=5, verbose=0, validation_split=0.25, callbacks=[live])
assert live.updates == 5, live.updates
"""


def test_user_plots_survive_nnlab_and_displays_show_once(tmp_path, monkeypatch):
    nb = notebook(
        SETUP,
        USER_PLOT,
        EVERY_PLOT,
        USER_PLOT + "\nassert matplotlib.get_backend() == backend_before",
        ONE_DISPLAY,
        ON_PYPLOT_AXES,
        LIVE,
        "history = model.history\nhistory",
        "model",
        "nnlab.diagnostics.diagnose(history)",
        USER_PLOT + "\nassert matplotlib.get_backend() == backend_before",
        "_ = model.fit(X, y[:, None], epochs=3, batch_size=10, verbose=1)",
    )
    client = run(nb, tmp_path, monkeypatch)
    cells = client.nb.cells
    # The student's own figure is shown inline before and after every nnlab figure.
    assert len(mime_outputs(cells[1], "image/png")) == 1
    assert mime_outputs(cells[2], "image/png") == []  # nnlab made figures but showed none
    assert len(mime_outputs(cells[3], "image/png")) == 1
    # A display as a cell's value: one picture (its own PNG), not two.
    assert len(mime_outputs(cells[4], "image/png")) == 1
    # Drawn on pyplot's axes: pyplot shows it, the display adds no copy.
    assert len(mime_outputs(cells[5], "image/png")) == 1
    # Live curves: one picture, replaced in place after every epoch after the first.
    assert len(mime_outputs(cells[6], "image/png")) == 1
    assert client.updates.get(6) == 4
    assert len(mime_outputs(cells[7], "image/png")) == 1  # a History shows its curves
    assert "Total params" in mime_outputs(cells[8], "text/html")[0]["data"]["text/html"]
    assert "<b>" in mime_outputs(cells[9], "text/html")[0]["data"]["text/html"]
    # and after all of it, the student's plt.show() still draws inline
    assert len(mime_outputs(cells[10], "image/png")) == 1
    # fit's progress bar: one HTML <progress> per epoch, updated in place, no raw "\r"
    bars = [o["data"]["text/html"] for o in mime_outputs(cells[11], "text/html")]
    assert len(bars) == 3 and all("<progress" in b for b in bars)
    assert "Epoch 3/3 <progress value='6' max='6'" in bars[-1] and "loss: " in bars[-1]
    assert client.updates.get(11, 0) >= 3
    assert not any("\r" in o.get("text", "") for o in cells[11].outputs)


TERMINAL = """
import sys
import numpy as np
import nnlab
from nnlab.plotting import LiveCurves, in_notebook
model = nnlab.Sequential([nnlab.Input((1,)), nnlab.layers.Dense(1)])
model.compile("sgd", "mse")
live = LiveCurves()
model.fit(np.ones((8, 1)), np.ones((8, 1)), epochs=3, verbose=0, callbacks=[live])
print("notebook:", in_notebook(), "updates:", live.updates)
print("pyplot imported:", "matplotlib.pyplot" in sys.modules)
"""


def test_live_curves_fall_back_to_text_in_a_terminal():
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", TERMINAL], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split(" - ")[0] for line in lines[:3]] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert "loss:" in lines[0] and "\r" not in out.stdout
    assert lines[3:] == ["notebook: False updates: 0", "pyplot imported: False"]


def test_importing_nnlab_loads_no_matplotlib():
    code = (
        "import sys, nnlab, nnlab.plotting, nnlab.report, nnlab.workflow, nnlab.cli\n"
        "print('matplotlib' in sys.modules)"
    )
    env = {"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.stdout.strip() == "False", out.stderr


def test_live_curves_stay_quiet_when_fit_prints_progress(capsys):
    import numpy as np

    import nnlab
    from nnlab.plotting import LiveCurves

    model = nnlab.Sequential([nnlab.Input((1,)), nnlab.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=2, verbose=2, callbacks=[LiveCurves()])
    # fit's own line per epoch, not a second one from LiveCurves
    assert capsys.readouterr().out.count("Epoch 1/2") == 1


def test_live_curves_checks_every():
    from nnlab.plotting import LiveCurves

    with pytest.raises(ValueError, match="positive int"):
        LiveCurves(every=0)


class _StopAfter(Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self.model.stop_training = epoch >= self.epoch


@pytest.mark.parametrize("every, stop, draws", [(2, None, 3), (10, 2, 1), (2, 2, 2)])
def test_live_curves_draw_every_nth_epoch_and_the_last_once(every, stop, draws, capsys):
    import numpy as np

    import nnlab
    from nnlab.plotting import LiveCurves

    model = nnlab.Sequential([nnlab.Input((1,)), nnlab.layers.Dense(1)])
    model.compile("sgd", "mse")
    live = LiveCurves(every=every, notebook=True)  # outside a kernel IPython prints reprs
    stops = [] if stop is None else [_StopAfter(stop)]
    model.fit(np.ones((4, 1)), np.ones((4, 1)), epochs=5, verbose=0, callbacks=[live, *stops])
    # 5 epochs, every 2: epochs 2, 4 and the last (5); stopped after 3: 2 and 3, or only 3
    assert live.updates == draws
