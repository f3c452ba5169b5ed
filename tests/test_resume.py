"""Exact resume: training killed with SIGKILL at random points (in a subprocess), then
resumed by `BackupAndRestore` or `nnlab train --resume`, ends bit-identical to a run
that was never interrupted, with shuffling, dropout and a validation split."""

from __future__ import annotations

import json
import os
import runpy
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
from click.testing import CliRunner

from nnlab import optimizers
from nnlab.callbacks import BackupAndRestore, Callback, EarlyStopping, ModelCheckpoint
from nnlab.cli import main
from nnlab.layers import Dense, Dropout, GaussianNoise, Input
from nnlab.models import Sequential, load_model
from nnlab.utils import set_random_seed

WORKER = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    from nnlab import optimizers
    from nnlab.callbacks import BackupAndRestore, Callback
    from nnlab.layers import Dense, Dropout, Input
    from nnlab.models import Sequential
    from nnlab.utils import set_random_seed

    backup_dir, out = sys.argv[1], sys.argv[2]

    class Progress(Callback):  # one line per phase, so kills land all over the run
        def on_epoch_begin(self, epoch, logs=None):
            print(f"begin {epoch}", flush=True)  # BackupAndRestore saves right after
        def on_train_batch_end(self, batch, logs=None):
            print(f"batch {batch}", flush=True)
        def on_epoch_end(self, epoch, logs=None):
            print(f"end {epoch}", flush=True)

    set_random_seed(0)
    r = np.random.default_rng(0)
    X = r.normal(size=(300, 6)).astype("float32")
    y = np.eye(3, dtype="float32")[(X[:, 0] + X[:, 1] > 0).astype(int) + (X[:, 2] > 1)]
    model = Sequential([Input(shape=(6,)), Dense(16, activation="relu"), Dropout(0.3),
                        Dense(3, activation="softmax")])
    model.compile(optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(X, y, epochs=12, batch_size=16, validation_split=0.2, shuffle=True,
                        seed=7, verbose=0, callbacks=[Progress(), BackupAndRestore(backup_dir)])
    np.savez(out, *model.get_weights())
    with open(out + ".json", "w") as f:
        json.dump({"epoch": history.epoch,
                   "history": {k: [v.hex() for v in vs] for k, vs in history.history.items()},
                   "norms": [v.hex() for v in history.global_gradient_norms]}, f)
    print("done", flush=True)
    """
)


def _kill_after(cmd, lines: int, cwd, until_prefix: str | None = None) -> bool:
    """Run `cmd`, SIGKILL it after `lines` lines of output (then, with `until_prefix`, at
    the next line starting with it). True if the kill ended it, False if it had finished
    (a loaded machine may let it run to the end before the lines are read)."""
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, text=True)
    seen, armed = 0, False
    for line in proc.stdout:
        seen += 1
        armed = armed or seen >= lines
        if armed and (until_prefix is None or line.startswith(until_prefix)):
            os.kill(proc.pid, signal.SIGKILL)
            break
    proc.stdout.close()
    code = proc.wait()
    assert code in (0, -signal.SIGKILL), code
    return code == -signal.SIGKILL


def _results(out: str):
    with np.load(out + ".npz") as f:
        weights = [f[k] for k in f.files]
    with open(out + ".json") as f:
        return weights, json.load(f)


def test_api_resume_after_sigkill_at_random_points_is_bit_identical(tmp_path, monkeypatch):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    py = sys.executable
    # the uninterrupted reference runs in this process (same code, same bits)
    argv = [str(script), str(tmp_path / "ref-backup"), str(tmp_path / "ref")]
    monkeypatch.setattr(sys, "argv", argv)
    runpy.run_path(str(script), run_name="__main__")
    # A full run prints 12 x (1 + 15 + 1) = 204 lines. Six kills at seeded random
    # points, every other one at the next epoch start (during the backup's save).
    rng = np.random.default_rng(2024)
    backup = tmp_path / "backup"
    cmd = [py, str(script), str(backup), str(tmp_path / "resumed")]
    kills = attempts = 0
    while kills < 6 and attempts < 15:
        prefix = "begin" if attempts % 2 else None
        kills += _kill_after(cmd, int(rng.integers(1, 45)), tmp_path, prefix)
        attempts += 1
    assert kills == 6
    final = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    w_ref, h_ref = _results(str(tmp_path / "ref"))
    w_res, h_res = _results(str(tmp_path / "resumed"))
    assert h_res == h_ref  # every epoch's logs, bit for bit (hex floats), and the norms
    assert h_res["epoch"] == list(range(12))
    assert len(w_res) == len(w_ref) and all(np.array_equal(a, b) for a, b in zip(w_res, w_ref))
    assert not backup.exists()  # delete_checkpoint=True, temporary files of killed saves too


def test_cli_resume_after_sigkill_at_random_points_is_bit_identical(tmp_path, monkeypatch):
    r = np.random.default_rng(5)
    X = r.normal(size=(240, 4))
    label = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "yes", "no")
    lines = ["a,b,c,d,label"] + [
        ",".join(f"{v:.4f}" for v in row) + f",{t}" for row, t in zip(X, label)
    ]
    (tmp_path / "data.csv").write_text("\n".join(lines) + "\n")
    args = ["data.csv", "--target", "label", "--epochs", "12", "--dropout", "0.2",
            "--batch-size", "16", "--patience", "4", "--seed", "3", "--verbose", "2"]
    nnlab = [sys.executable, "-m", "nnlab", "train"]
    monkeypatch.chdir(tmp_path)  # the uninterrupted reference runs in this process
    ref = CliRunner().invoke(main, ["train", *args, "--out", "ref"])
    assert ref.exit_code == 0, ref.output
    rng = np.random.default_rng(7)
    kills = attempts = 0
    first = nnlab + args + ["--out", "run"]
    while kills < 5 and attempts < 12:
        run = tmp_path / "run"
        if (run / "model.nnlab").exists() and not (run / "backup").exists():
            break  # a run finished before its kill: nothing left to resume
        cmd = first if attempts == 0 else nnlab + ["--resume", "run", "--verbose", "2"]
        kills += _kill_after(cmd, int(rng.integers(1, 4)), tmp_path)
        attempts += 1
    assert kills >= 4
    done = subprocess.run(nnlab + ["--resume", "run", "--verbose", "0"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "run" / "history.csv").read_text() == (
        tmp_path / "ref" / "history.csv"
    ).read_text()
    a = load_model(tmp_path / "run" / "model.nnlab")
    b = load_model(tmp_path / "ref" / "model.nnlab")
    assert all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights()))
    assert a.metadata["user"]["checkpoint"] == b.metadata["user"]["checkpoint"]
    assert not (tmp_path / "run" / "backup").exists()  # removed once the outputs exist
    again = CliRunner().invoke(main, ["train", "--resume", "run"])
    assert again.exit_code == 2 and "already finished" in again.stderr
    assert "Traceback" not in again.output


# -- in-process: what a backup keeps ----------------------------------------------------
X = np.random.default_rng(0).normal(size=(120, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-1.0], [0.5]]) > 0).astype("float32")


class Interrupt(Callback):
    def __init__(self, at: int):
        super().__init__()
        self.at = at

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at:
            raise KeyboardInterrupt


def _model():
    set_random_seed(1)
    model = Sequential(
        [
            Input(shape=(3,)),
            GaussianNoise(0.1),
            Dense(8, activation="tanh"),
            Dropout(0.25),
            Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizers.Adam(0.02), "binary_crossentropy", metrics=["accuracy"])
    return model


def _fit(model, backup, extra=(), **kwargs):
    callbacks = [BackupAndRestore(backup, **kwargs), *extra, EarlyStopping(patience=2)]
    return model.fit(X, Y, epochs=10, batch_size=16, validation_split=0.25, seed=4,
                     verbose=0, callbacks=callbacks)


def test_interrupted_fits_resume_with_early_stopping_and_noise_layers(tmp_path):
    ref_model = _model()
    ref = _fit(ref_model, tmp_path / "ref")
    backup = tmp_path / "b"
    for at in (1, 4):
        with pytest.raises(KeyboardInterrupt):
            _fit(_model(), backup, extra=[Interrupt(at)])
    model = _model()
    history = _fit(model, backup)
    assert history.history == ref.history and history.epoch == ref.epoch
    assert history.best_epoch == ref.best_epoch
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), ref_model.get_weights()))


def test_double_checkpoint_falls_back_on_the_previous_backup(tmp_path):
    backup = tmp_path / "b"
    with pytest.raises(KeyboardInterrupt):
        _fit(_model(), backup, extra=[Interrupt(3)], double_checkpoint=True)
    assert {"latest.nnlab", "previous.nnlab"} <= set(os.listdir(backup))
    (backup / "latest.nnlab").write_bytes(b"not a zip")  # a damaged disk
    model = _model()
    callback = BackupAndRestore(backup, double_checkpoint=True)
    model.fit(X, Y, epochs=10, batch_size=16, validation_split=0.25, seed=4, verbose=0,
              callbacks=[callback, EarlyStopping(patience=2)])
    assert callback.restored_epoch == 2  # previous.nnlab: the backup before the last


def test_a_damaged_backup_without_a_second_one_is_a_clear_error(tmp_path):
    backup = tmp_path / "b"
    backup.mkdir()
    (backup / "latest.nnlab").write_bytes(b"garbage")
    with pytest.raises(ValueError, match=r"cannot read its backup.*Delete .* to start"):
        _fit(_model(), backup)


def test_resuming_with_other_data_or_another_model_is_refused(tmp_path):
    backup = tmp_path / "b"
    with pytest.raises(KeyboardInterrupt):
        _fit(_model(), backup, extra=[Interrupt(2)])
    model = _model()
    with pytest.raises(ValueError, match=r"steps per epoch.*data or batch_size changed"):
        model.fit(X[:50], Y[:50], epochs=10, batch_size=16, verbose=0,
                  callbacks=[BackupAndRestore(backup, delete_checkpoint=False)])
    sgd = _model()
    sgd.compile(optimizers.SGD(0.1), "binary_crossentropy")
    with pytest.raises(ValueError, match="with Adam, but this model is compiled with SGD"):
        sgd.fit(X, Y, epochs=10, batch_size=16, validation_split=0.25, verbose=0,
                callbacks=[BackupAndRestore(backup, delete_checkpoint=False)])
    other = Sequential([Input(shape=(3,)), Dense(2, activation="tanh"), Dense(1)])
    other.compile("adam", "mse")
    with pytest.raises(ValueError, match="different model"):
        other.fit(X, Y, epochs=10, batch_size=16, validation_split=0.25, verbose=0,
                  callbacks=[BackupAndRestore(backup)])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"backup_dir": ""}, "non-empty folder path"),
        ({"backup_dir": None}, "non-empty folder path"),
        ({"backup_dir": "b", "save_freq": 0}, "save_freq='epoch' or a positive int"),
        ({"backup_dir": "b", "save_freq": "batch"}, "Received: save_freq='batch'"),
    ],
)
def test_backup_and_restore_arguments_are_checked(kwargs, match):
    with pytest.raises(ValueError, match=match):
        BackupAndRestore(**kwargs)


def test_batch_level_backups_resume_at_the_start_of_the_interrupted_epoch(tmp_path):
    backup = tmp_path / "b"
    with pytest.raises(KeyboardInterrupt):
        _fit(_model(), backup, extra=[Interrupt(2)], save_freq=4)
    saved = load_model(backup / "latest.nnlab").metadata["user"]["nnlab_backup"]
    assert saved["epoch"] == 2 and saved["batch"] == 4  # epoch 3's 4th batch, 0-based epoch 2
    callback = BackupAndRestore(backup, save_freq=4)
    history = _model().fit(X, Y, epochs=10, batch_size=16, validation_split=0.25, seed=4,
                           verbose=0, callbacks=[callback, EarlyStopping(patience=2)])
    assert callback.restored_epoch == 2 and history.epoch[:3] == [0, 1, 2]


def test_model_checkpoint_files_record_their_epoch(tmp_path):
    model = _model()
    model.fit(X, Y, epochs=3, batch_size=16, verbose=0, seed=0,
              callbacks=[ModelCheckpoint(str(tmp_path / "ck-{epoch}.nnlab"), monitor="loss"),
                         ModelCheckpoint(str(tmp_path / "b.nnlab"), save_freq=5)])
    for epoch in (1, 2, 3):
        meta = load_model(tmp_path / f"ck-{epoch}.nnlab").metadata["user"]
        assert meta["checkpoint"] == {"epoch": epoch, "batch": None}
    assert load_model(tmp_path / "b.nnlab").metadata["user"]["checkpoint"] == {
        "epoch": 3, "batch": 4
    }


def test_a_relative_learning_rate_schedule_before_the_backup_resumes_exactly(tmp_path):
    # The scheduler runs before BackupAndRestore at every epoch start, halving the rate:
    # the backup must hold the rate from before that epoch's hooks, not after.
    from nnlab.callbacks import LearningRateScheduler

    def run(backup, extra=()):
        set_random_seed(0)
        model = Sequential([Input(shape=(3,)), Dense(4), Dense(1)])
        model.compile(optimizers.SGD(0.05), "mse")
        callbacks = [LearningRateScheduler(lambda e, lr: lr * 0.5), BackupAndRestore(backup)]
        history = model.fit(X, Y, epochs=8, batch_size=16, verbose=0, seed=1,
                            callbacks=callbacks + list(extra))
        return model, history

    ref_model, ref = run(tmp_path / "a")
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "b", [Interrupt(3)])
    model, history = run(tmp_path / "b")
    assert history.history == ref.history
    assert all(np.array_equal(a, b) for a, b in zip(model.get_weights(), ref_model.get_weights()))
