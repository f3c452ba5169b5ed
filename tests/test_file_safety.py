"""Files nnlab writes survive SIGKILL whole, leave no temporary files behind once the next
save has run, spare other writers' temporary files, get the user's umask; loading refuses
decompression bombs quickly without allocating them."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pytest
from click.testing import CliRunner
from file_cases import (
    PENGUINS,
    deflated_spaces,
    members_of,
    raw_zip,
    save_valid_model,
    stored,
)

from nnlab import fileio
from nnlab.cli import main
from nnlab.layers import Dense, Input
from nnlab.models import Sequential, load_model
from nnlab.models.saving import ModelFileError
from nnlab.onnx_export import export_onnx

FORK = multiprocessing.get_context("fork")


def _temp_files(folder) -> list[str]:
    return sorted(n for n in os.listdir(folder) if n.endswith(fileio.TEMP_SUFFIX))


def _model(value: float, width: int = 8) -> Sequential:
    model = Sequential([Input(shape=(width,)), Dense(width)])
    model.set_weights([np.full((width, width), value), np.full(width, value)])
    return model


def _mode(path) -> int:
    return os.stat(path).st_mode & 0o777


# -- permissions -----------------------------------------------------------------------
@pytest.mark.parametrize("umask", [0o022, 0o027, 0o077])
def test_new_files_get_the_users_umask_and_replaced_files_keep_their_mode(tmp_path, umask):
    old = os.umask(umask)
    try:
        model = _model(1.0)
        model.save(tmp_path / "m.nnlab")
        model.save_weights(tmp_path / "m.weights.npz")
        export_onnx(model, tmp_path / "m.onnx")
        with fileio.atomic_write(tmp_path / "notes.txt", "w", encoding="utf-8") as f:
            f.write("hello")
        for name in ("m.nnlab", "m.weights.npz", "m.onnx", "notes.txt"):
            assert _mode(tmp_path / name) == 0o666 & ~umask, name
        os.chmod(tmp_path / "m.nnlab", 0o604)
        model.save(tmp_path / "m.nnlab")  # replacing keeps the mode, as open(path, "w") would
        assert _mode(tmp_path / "m.nnlab") == 0o604
    finally:
        os.umask(old)


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    return save_valid_model(tmp_path_factory.mktemp("valid") / "m.nnlab")


def _cli(folder, *args):
    old = os.getcwd()
    os.chdir(folder)
    try:
        return CliRunner().invoke(main, [str(a) for a in args])
    finally:
        os.chdir(old)


def test_command_line_outputs_get_the_umask_and_are_replaced_only_with_force(tmp_path, saved_model):
    rows = tmp_path / "predictions.csv"  # the name the old default output had
    rows.write_bytes(PENGUINS.read_bytes())
    old = os.umask(0o027)
    try:
        result = _cli(tmp_path, "predict", saved_model, "predictions.csv")
        assert result.exit_code == 0, result.output
        out = tmp_path / "predictions.predictions.csv"  # the default never names an input
        assert rows.read_bytes() == PENGUINS.read_bytes()
        assert _mode(out) == 0o640 and len(out.read_text().splitlines()) == 345
        out.write_text("mine\n")
        result = _cli(tmp_path, "predict", saved_model, "predictions.csv")
        assert result.exit_code == 2 and "--force" in result.stderr
        assert out.read_text() == "mine\n"
        result = _cli(tmp_path, "predict", saved_model, "predictions.csv", "--force")
        assert result.exit_code == 0 and out.read_text().startswith("prediction,")
        # a run folder whose parent does not exist yet is created with its parent
        result = _cli(tmp_path, "train", "iris", "--epochs", "1", "--verbose", "0", "--out",
                      "new/r")
        assert result.exit_code == 0, result.output
        names = ["config.toml", "history.csv", "model.nnlab", "report.html"]
        assert sorted(os.listdir(tmp_path / "new" / "r")) == names
        assert {_mode(tmp_path / "new" / "r" / n) for n in names} == {0o640}
    finally:
        os.umask(old)


def test_an_unwritable_run_folder_is_found_before_training(tmp_path):
    (tmp_path / "a-file").write_text("x")
    start = time.perf_counter()
    result = _cli(tmp_path, "train", "iris", "--epochs", "500", "--out", "a-file/run")
    assert result.exit_code == 2 and "Cannot create the run folder" in result.stderr
    assert "Epoch" not in result.output and time.perf_counter() - start < 10
    assert os.listdir(tmp_path) == ["a-file"]  # (a nested new run folder works: see above)


@pytest.mark.filterwarnings("ignore:EarlyStopping is watching")  # two rows: no validation
def test_a_failed_training_removes_the_run_folder_it_created(tmp_path):
    result = _cli(tmp_path, "train", "missing.csv", "--target", "y", "--out", "r")
    assert result.exit_code == 2 and not (tmp_path / "r").exists()
    # two rows: the folders are made (and config.toml written), then the split leaves no
    # test rows
    (tmp_path / "tiny.csv").write_text("x,y\n1,0\n2,1\n")
    for out in ("r", "new/r"):
        result = _cli(tmp_path, "train", "tiny.csv", "--target", "y", "--out", out)
        assert result.exit_code == 2 and "too few for the split" in result.stderr, result.output
        assert os.listdir(tmp_path) == ["tiny.csv"]  # the run folder and the parent it made


# -- temporary files ----------------------------------------------------------------------
def test_a_temporary_file_names_its_host_and_process(tmp_path):
    with fileio.atomic_write(tmp_path / "x.bin") as f:
        f.write(b"data")
        (name,) = os.listdir(tmp_path)
    assert name.startswith(".x.bin.") and name.endswith(".nnlab-tmp")
    assert f".{os.getpid()}." in name and fileio.is_stale_temp_file(tmp_path, name) is False
    assert os.listdir(tmp_path) == ["x.bin"]


def test_a_failing_write_removes_its_own_temporary_file(tmp_path):
    (tmp_path / "x.bin").write_bytes(b"old")
    with pytest.raises(RuntimeError, match="midway"):
        with fileio.atomic_write(tmp_path / "x.bin") as f:
            f.write(b"new")
            raise RuntimeError("midway")
    assert os.listdir(tmp_path) == ["x.bin"] and (tmp_path / "x.bin").read_bytes() == b"old"


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_the_next_save_removes_only_stale_temporary_files(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        mine = os.path.basename(fileio.temp_path(tmp_path / "m.nnlab"))

        def owned_by(pid: int) -> str:
            return mine.replace(f".{os.getpid()}.", f".{pid}.")

        two_days = time.time() - 2 * 86400
        files = {
            owned_by(_dead_pid()): "removed: its process is gone",
            owned_by(sleeper.pid): "kept: its process is alive",
            mine: "kept: this process",
            ".m.nnlab.otherhost.123.0123456789ab.nnlab-tmp": "kept: other host, recent",
            ".old.nnlab.otherhost.7.0123456789ab.nnlab-tmp": "removed: other host, 2 days",
            owned_by(sleeper.pid).replace(".m.nnlab.", ".old.nnlab."): "removed: 2 days",
            ".m.nnlab.k2j3h4.tmp": "kept: not named by nnlab",
            ".m.nnlab.host.12.not-hex-token.nnlab-tmp": "kept: not named by nnlab",
            "notes.nnlab-tmp": "kept: not named by nnlab",
            "data.csv": "kept: a user's file",
        }
        for name in files:
            (tmp_path / name).write_text("x")
            if ".old." in name or name.endswith(".tmp"):
                os.utime(tmp_path / name, (two_days, two_days))
        _model(1.0).save(tmp_path / "m.nnlab")
        left = set(os.listdir(tmp_path))
        for name, fate in files.items():
            assert (name in left) == fate.startswith("kept"), (name, fate)
        assert "m.nnlab" in left
    finally:
        sleeper.kill()
        sleeper.wait()


def _save_forever(path, ready) -> None:
    models = [_model(1.0, 200), _model(2.0, 200)]
    for i in range(10**9):
        models[i % 2].save(path)
        if i == 1:
            ready.set()


def _die_mid_write(path, ready) -> None:
    with fileio.atomic_write(path) as f:
        f.write(b"half a file")
        f.flush()
        ready.set()
        time.sleep(60)


def _kill_when_ready(target, path, delay: float) -> None:
    ready = FORK.Event()
    proc = FORK.Process(target=target, args=(str(path), ready))
    proc.start()
    assert ready.wait(60), "the child never got going"
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    assert proc.exitcode == -signal.SIGKILL


def test_sigkill_during_saves_leaves_the_old_or_the_new_file_and_the_next_save_cleans_up(
    tmp_path,
):
    path = tmp_path / "m.nnlab"
    delays = np.random.default_rng(0).uniform(0.0, 0.15, size=6)  # 6 random points
    for delay in delays:
        _kill_when_ready(_save_forever, path, float(delay))
        kernel = load_model(path).get_weights()[0]  # loads: never a torn file
        assert kernel[0, 0] in (1.0, 2.0) and np.all(kernel == kernel[0, 0])
        assert sorted(set(os.listdir(tmp_path)) - set(_temp_files(tmp_path))) == ["m.nnlab"]
    _kill_when_ready(_die_mid_write, path, 0.0)  # a temporary file is certainly left now
    assert len(_temp_files(tmp_path)) >= 1
    _model(3.0).save(tmp_path / "other.nnlab")  # the next save in the folder
    assert _temp_files(tmp_path) == []
    assert np.all(load_model(path).get_weights()[0] == load_model(path).get_weights()[0][0, 0])


def _hold_a_write(path, ready, go) -> None:
    with fileio.atomic_write(path) as f:
        f.write(b"first half, ")
        ready.set()
        assert go.wait(60)
        f.write(b"second half")


def test_a_save_spares_the_temporary_file_of_another_process_writing_in_the_folder(tmp_path):
    ready, go = FORK.Event(), FORK.Event()
    writer = FORK.Process(target=_hold_a_write, args=(str(tmp_path / "a.bin"), ready, go))
    writer.start()
    try:
        assert ready.wait(60)
        (theirs,) = _temp_files(tmp_path)
        _model(1.0).save(tmp_path / "b.nnlab")  # cleans the folder up first
        assert _temp_files(tmp_path) == [theirs]
    finally:
        go.set()
        writer.join(60)
    assert writer.exitcode == 0
    assert (tmp_path / "a.bin").read_bytes() == b"first half, second half"
    assert _temp_files(tmp_path) == []


def _save_n_times(path, value) -> None:
    model = _model(value, 100)
    for _ in range(15):
        model.save(path)


def test_two_processes_saving_in_one_folder_never_break_each_other(tmp_path):
    procs = [
        FORK.Process(target=_save_n_times, args=(str(tmp_path / f"{v}.nnlab"), v))
        for v in (1.0, 2.0)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    for v in (1.0, 2.0):
        assert np.all(load_model(tmp_path / f"{v}.nnlab").get_weights()[0] == v)
    assert _temp_files(tmp_path) == []


# -- decompression bombs ------------------------------------------------------------------
@pytest.fixture(scope="module")
def gib_of_spaces():
    return deflated_spaces(2**30)


@pytest.mark.parametrize(
    "member, declared, problem",
    [
        ("model.json", 2**30, "decompresses to more than 67,108,864 bytes"),
        ("weights/1/bias.npy", 2**30, "decompresses to more than"),
        ("evil.npy", 2**30, "not listed in the manifest"),
        ("weights/1/bias.npy", 100, "zip container cannot be read"),  # a lying header
    ],
)
def test_a_compressed_gigabyte_is_refused_quickly_without_allocating_it(
    tmp_path, saved_model, gib_of_spaces, member, declared, problem
):
    data, crc = gib_of_spaces
    members = {
        name: stored(payload) for name, payload in members_of(saved_model.read_bytes()).items()
    }
    members[member] = (data, 8, declared, crc)  # 8: deflate
    path = tmp_path / "bomb.nnlab"
    path.write_bytes(raw_zip(members))
    assert path.stat().st_size < 2 * 2**20
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ModelFileError, match=problem):
            load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - start < 10
    assert peak < 100 * 2**20, f"{peak / 2**20:.0f} MiB allocated"


def test_default_output_names_never_name_an_input(tmp_path):
    from nnlab.outputs import default_predictions_path, unique_folder

    for name, expected in [
        ("rows.csv", "rows.predictions.csv"),
        ("predictions.csv", "predictions.predictions.csv"),
        ("DATA.CSV", "DATA.predictions.csv"),
        ("table", "table.predictions.csv"),
    ]:
        out = default_predictions_path(tmp_path / name)
        assert out == str(tmp_path / expected) and out != str(tmp_path / name)
    (tmp_path / "runs" / "iris-1").mkdir(parents=True)
    (tmp_path / "runs" / "iris-1-2").mkdir()
    assert unique_folder(tmp_path / "runs" / "iris-1") == str(tmp_path / "runs" / "iris-1-3")
    assert unique_folder(tmp_path / "runs" / "new") == str(tmp_path / "runs" / "new")
