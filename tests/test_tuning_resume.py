"""A search killed with SIGKILL midway and resumed ends with the table of a search that
was never interrupted (timing columns aside), and redoes no finished trial."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
from click.testing import CliRunner

from nnlab.cli import main
from nnlab.tuning import comparable

SPACE = """[space]
n_layers = { int = [1, 2] }
units_1 = { choice = [4, 8, 16] }
units_2 = { choice = [4, 8], when = { n_layers = [2] } }
learning_rate = { float = [0.003, 0.05], log = true }
activation = { choice = ["relu", "tanh"] }
epochs = 16
"""
ARGS = ["iris", "--strategy", "bayes", "--trials", "9", "--cv", "2", "--seed", "5",
        "--scheduler", "serial", "--no-progress"]  # fmt: skip


def _records(path) -> list[dict]:
    if not os.path.exists(path):
        return []
    lines = open(path, encoding="utf-8").read().split("\n")[1:-1]
    return [json.loads(line) for line in lines]


def test_sigkill_then_resume_gives_the_uninterrupted_table(tmp_path):
    space = tmp_path / "space.toml"
    space.write_text(SPACE)
    args = ARGS + ["--space", str(space)]
    killed = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": os.getcwd() + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "nnlab", "tune", *args, "--out", str(killed)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    results = killed / "trials.jsonl"
    deadline = time.monotonic() + 120
    while len(_records(results)) < 4 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait(30)
    before = _records(results)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()[-2000:]
    assert 4 <= len(before) < 12, "the search should be killed midway"
    assert not (killed / "table.csv").exists()

    runner = CliRunner()
    refused = runner.invoke(main, ["tune", *args, "--out", str(killed)])
    assert refused.exit_code == 2 and "--resume" in refused.output
    resumed = runner.invoke(main, ["tune", *args, "--out", str(killed), "--resume"])
    assert resumed.exit_code == 0, resumed.output
    after = _records(results)
    assert after[: len(before)] == before  # finished trials kept, not redone
    assert len({r["key"] for r in after}) == len(after)

    clean = tmp_path / "clean"
    straight = runner.invoke(main, ["tune", *args, "--out", str(clean)])
    assert straight.exit_code == 0, straight.output
    a = comparable(pd.read_csv(killed / "table.csv"))
    b = comparable(pd.read_csv(clean / "table.csv"))
    pd.testing.assert_frame_equal(a, b)
    assert json.loads((killed / "best.json").read_text()) == json.loads(
        (clean / "best.json").read_text()
    )
