"""Smoke tests of the benchmark (bench/): one tiny nnlab worker run, the GEMM probe, the ratios.

No peer (PyTorch, Keras, scikit-learn's MLP) is needed. The worker runs with --keep-blas-env,
so OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE stay as the test environment has them.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _load(name):
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"nnlab_bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def run_mod():
    return _load("run")


@pytest.fixture(scope="module")
def tasks_mod():
    return _load("bench_tasks")


def _worker(*args, timeout=120):
    cmd = [sys.executable, str(BENCH / "worker.py"), "--keep-blas-env", *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]


def test_iris_data_follows_tasks_md(tasks_mod):
    d = tasks_mod.build_data("iris")
    assert d["X_train"].dtype == np.float32 and d["X_train"].shape == (90, 4)
    assert d["X_test"].shape == (30, 4)
    assert np.bincount(d["y_train"]).tolist() == [30, 30, 30]  # stratified 60 %
    assert np.allclose(d["X_train"].mean(axis=0), 0, atol=1e-5)  # standardized on train
    W0, b0 = d["w0"], d["w1"]
    limit = np.sqrt(6 / (4 + 16))
    assert W0.shape == (4, 16) and W0.dtype == np.float32 and np.abs(W0).max() <= limit
    assert not b0.any()
    again = tasks_mod.build_data("iris")
    assert all(np.array_equal(d[k], again[k]) for k in d)  # one fixed seed


def test_worker_nnlab_iris_two_epochs(tmp_path, tasks_mod):
    data = tmp_path / "iris.npz"
    np.savez(data, **tasks_mod.build_data("iris"))
    out = tmp_path / "result.json"
    _worker("--task", "iris", "--tool", "nnlab", "--data", str(data), "--out", str(out),
            "--epochs", "2")
    r = json.loads(out.read_text())
    assert r["task"] == "iris" and r["tool"] == "nnlab"
    assert r["epochs_run"] == 2 and r["epochs_full"] == 200
    assert r["steps_per_epoch"] == 6 and r["batch_size"] == 16  # 90 rows, batch 16
    assert len(r["epoch_end_seconds"]) == 2
    assert 0 < r["train_seconds_measured"] <= r["train_seconds"]  # extrapolated to 200
    assert r["steady_step_ms"] > 0
    assert r["metric_name"] == "accuracy" and 0.0 <= r["test_metric"] <= 1.0
    assert 0 < r["peak_rss_mb"] < 4096
    assert r["threads"] == 2
    assert any("extrapolated" in n for n in r["notes"])
    assert isinstance(r["blas"], list)


def test_worker_gemm_probe(tmp_path):
    out = tmp_path / "gemm.json"
    _worker("--gemm", "--tasks", "penguins", "--gemm-rounds", "1", "--out", str(out))
    g = json.loads(out.read_text())["tasks"]["penguins"]
    labels = [r["label"] for r in g["gemms"]]
    # 3-16-2: two forward and two dW GEMMs, one dX (the first layer needs none).
    assert len(labels) == 5 and sum("dX" in x for x in labels) == 1
    assert g["step_gemm_seconds"] == pytest.approx(sum(r["seconds"] for r in g["gemms"]))
    assert g["step_gemm_bound_samples_per_s"] == pytest.approx(32 / g["step_gemm_seconds"])


def _fake(task, tool, seconds, rss=100.0, steady=1.0, batch=128):
    return {"task": task, "tool": tool, "train_seconds": seconds, "steady_step_ms": steady,
            "peak_rss_mb": rss, "test_metric": 0.9, "metric_name": "accuracy",
            "epochs_run": 3, "epochs_full": 3, "batch_size": batch, "version": "x"}


def test_ratio_table_from_fake_results(run_mod):
    runs = []
    for s in (1.0, 2.0, 3.0):  # medians: nnlab 2, torch 12, keras 70, sklearn 4
        runs += [_fake("iris", "nnlab", s, rss=50), _fake("iris", "torch", 10 + s),
                 _fake("iris", "keras", 70 * s / 2), _fake("iris", "sklearn", 2 * s, rss=40)]
    runs += [_fake("mnist-shape", "nnlab", 1.0, steady=1.0),
             _fake("mnist-shape", "torch", 1.1), _fake("mnist-shape", "sklearn", 1.5)]
    gemm = {"tasks": {"mnist-shape": {"step_gemm_bound_samples_per_s": 160_000.0}}}
    summary = run_mod.summarize(runs, gemm)
    it = summary["iris"]["nnlab"]
    assert (it["median_s"], it["min_s"], it["max_s"], it["n"]) == (2.0, 1.0, 3.0, 3)
    ratios = run_mod.compute_ratios(summary)
    assert ratios["iris"] == pytest.approx({"torch": 6.0, "keras": 35.0, "sklearn": 2.0})
    assert ratios["mnist-shape"] == pytest.approx({"torch": 1.1, "sklearn": 1.5})
    # 128 samples per 1 ms step = 128,000 samples/s = 80 % of a 160,000/s bound.
    assert summary["mnist-shape"]["nnlab"]["bound_fraction"] == pytest.approx(0.8)

    rows = {(r["task"], r["check"].split(" (")[0]): r for r in
            run_mod.check_targets(summary, ratios)}
    assert rows[("iris", "speed-up vs torch")]["ok"] is True  # 6 >= 5
    assert rows[("iris", "speed-up vs keras")]["ok"] is True  # 35 >= 30
    assert rows[("iris", "speed-up vs sklearn")]["ok"] is False  # 2 < 2.5
    assert rows[("iris", "peak RSS below every peer's")]["ok"] is False  # 50 vs sklearn's 40
    fastest = rows[("mnist-shape", "speed-up vs fastest peer")]
    assert fastest["got"] == pytest.approx(1.1) and fastest["ok"] is False
    assert rows[("mnist-shape", "nnlab share of step-GEMM bound")]["ok"] is True

    text = run_mod.format_ratios(ratios, summary)
    assert "35.00" in text and "6.00" in text and "1.10" in text
    table = run_mod.format_task_table("iris", summary["iris"], None, quick=False)
    assert "2 [1 - 3]" in table and "acc 0.900" in table


def test_epochs_for_quick_and_scaled(run_mod):
    assert run_mod.epochs_for("iris", "nnlab", quick=False, scale={}) == 200
    assert run_mod.epochs_for("iris", "keras", quick=False, scale={"keras": 0.25}) == 50
    assert run_mod.epochs_for("iris", "nnlab", quick=True, scale={}) == 20
    assert run_mod.epochs_for("wide-regression", "torch", quick=True, scale={}) == 2


def test_the_test_metric_is_the_mean_over_the_repeats_seeds(run_mod):
    """Repeat r shuffles with seed r; the table shows the mean metric and its range."""
    runs = []
    for seed, acc in enumerate((0.90, 0.93, 0.87)):
        run = _fake("iris", "nnlab", 1.0 + seed)
        run.update(test_metric=acc, seed=seed)
        runs.append(run)
    s = run_mod.summarize(runs)["iris"]["nnlab"]
    assert s["test_metric"] == pytest.approx(0.90)
    assert (s["test_metric_min"], s["test_metric_max"]) == (0.87, 0.93)
    table = run_mod.format_task_table("iris", {"nnlab": s}, None, quick=False)
    assert "acc 0.900 [0.870-0.930]" in table


def test_worker_seed_is_the_fits_shuffling_seed(tmp_path, tasks_mod):
    """Same data and initial weights; seeds 0 and 2 shuffle differently (10 epochs of iris:
    test accuracy 0.800 and 0.767), seed 0 twice gives the same result."""
    data = tmp_path / "iris.npz"
    np.savez(data, **tasks_mod.build_data("iris"))
    metrics = []
    for seed in (0, 2, 0):
        out = tmp_path / f"seed{seed}.json"
        _worker("--task", "iris", "--tool", "nnlab", "--data", str(data), "--out", str(out),
                "--epochs", "10", "--seed", str(seed))
        r = json.loads(out.read_text())
        assert r["seed"] == seed
        metrics.append(r["test_metric"])
    assert metrics[0] == metrics[2] != metrics[1]


def test_run_help_prints(run_mod, capsys):
    with pytest.raises(SystemExit) as stop:
        run_mod.main(["--help"])
    assert stop.value.code == 0 and "--repeats" in capsys.readouterr().out


def test_step_floor_reports_the_floor_and_what_lies_above_it():
    """bench/step_floor.py on iris, one round: every row, the floor as their sum."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / "step_floor.py"), "--task", "iris", "--rounds", "1",
         "--epochs", "2"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows = {line[:26].strip(): line[26:].split() for line in proc.stdout.splitlines()[2:7]}
    assert list(rows) == ["GEMMs", "update", "floor = GEMMs + update", "bare NumPy step",
                          "nnlab step (fit)"]
    gemms, update, floor = (float(rows[k][0]) for k in list(rows)[:3])
    assert floor == pytest.approx(gemms + update, abs=0.11) and float(rows[list(rows)[2]][2]) == 1
    assert "elementwise work (bare - floor)" in proc.stdout


def test_accuracy_is_not_compared_with_a_tool_that_ran_fewer_epochs(run_mod):
    """--epochs-scale keras=0.25 trains Keras less: its accuracy says nothing about nnlab's."""
    runs = [_fake("digits-cnn", "nnlab", 1.0, batch=32),
            _fake("digits-cnn", "torch", 2.0, batch=32),
            {**_fake("digits-cnn", "keras", 8.0, batch=32), "test_metric": 0.6, "epochs_run": 1}]
    summary = run_mod.summarize(runs)
    rows = [r for r in run_mod.check_targets(summary, run_mod.compute_ratios(summary))
            if "accuracy" in r["check"]]
    by_peer = {r["check"].split(" point of ")[1].split()[0]: r for r in rows}
    assert by_peer["torch"]["ok"] is True and by_peer["torch"]["got"] == pytest.approx(0.0)
    assert by_peer["keras"]["ok"] is None and by_peer["keras"]["got"] is None
    assert "keras ran fewer epochs: not compared" in by_peer["keras"]["check"]


def test_ab_step_alternates_two_checkouts_and_reports_both(tmp_path):
    """bench/ab_step.py with this checkout as its own base: one round, two fits, two
    summaries; a base folder without nnlab fails loudly instead of timing nothing."""
    root = BENCH.parent
    proc = subprocess.run(
        [sys.executable, str(BENCH / "ab_step.py"), "--task", "iris", "--base", str(root),
         "--rounds", "1", "--epochs", "2"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("round 1: base ") and " this " in lines[0]
    summaries = {line.split(":")[0]: float(line.split()[1]) for line in lines[1:]}
    assert set(summaries) == {"base", "this"} and all(v > 0 for v in summaries.values())
    bad = subprocess.run(
        [sys.executable, str(BENCH / "ab_step.py"), "--task", "iris", "--base", str(tmp_path),
         "--rounds", "1", "--epochs", "2"], capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0


def test_profile_step_sorts_main_thread_samples_by_kind_of_work(tmp_path):
    """bench/profile_step.py --raw: each sample inside the epoch loop counts once, for the
    first kind of work among its frames; samples outside the loop are not counted."""
    loop = "fit (nnlab/training.py:190);train_epoch (nnlab/training_epoch.py:45)"
    raw = tmp_path / "profile.raw"
    raw.write_text("\n".join([
        f"{loop};train_step (a.py:1);Dense.forward_into (d.py:9);gemm (nnlab/backend.py:189) 6",
        f"{loop};train_step (a.py:1);Optimizer.apply (o.py:3);update_in_blocks (b.py:2) 3",
        f"{loop};train_step (a.py:1);Dense.backward_into (d.py:9);"
        "Activation.backward_inplace (act.py:70) 2",
        f"{loop};train_step (a.py:1) 1",
        "main (x.py:1);build_data (bench_tasks.py:155) 50",  # before the loop: not counted
    ]) + "\n")
    proc = subprocess.run([sys.executable, str(BENCH / "profile_step.py"), "--raw", str(raw)],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == "main-thread samples inside the epoch loop: 12"
    assert lines[1:] == [
        " 50.0%  GEMMs (BLAS, main thread's share)",
        " 25.0%  optimizer update (Adam, blocks, flushing)",
        " 16.7%  activation backward (ReLU)",
        "  8.3%  other (graph walk or step plan loop, guard, logs)",
    ]


def test_plan_vs_graph_trains_one_network_both_ways():
    """bench/plan_vs_graph.py on iris: both sides timed, the count of rounds reported."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / "plan_vs_graph.py"), "--task", "iris", "--rounds", "3",
         "--epochs", "2"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("iris plan: ") and lines[1].startswith("iris graph: ")
    assert lines[2] in {f"plan faster in {k} of 2 rounds" for k in range(3)}


def test_same_order_trains_nnlab_on_the_same_orders_per_seed(tmp_path):
    """bench/same_order.py: nnlab's child reproduces a seed's run (same order, same
    predictions), two seeds give two orders, and the table counts differing examples."""
    same_order = _load("same_order")
    env = {"PYTHONPATH": str(BENCH.parent), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}

    def child(epochs=1, *extra):
        cmd = [sys.executable, str(BENCH / "same_order.py"), "--child", "nnlab",
               "--task", "digits-cnn", "--seeds", "2", "--epochs", str(epochs), *extra]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr[-3000:]
        return json.loads(proc.stdout.strip().splitlines()[-1])

    first, again = child(), child()
    assert first == again  # same seed, same order, same bits
    assert first["predictions"][0] != first["predictions"][1]  # another seed, another order
    # --per-epoch: the first epoch's order is the fixed one, the second another
    assert child(1, "--per-epoch") == first
    assert child(2, "--per-epoch")["predictions"] != child(2)["predictions"]
    y = first["y_test"]
    keras_like = {"y_test": y, "predictions": [y, first["predictions"][1]]}
    lines = same_order.compare({"nnlab": first, "keras": keras_like})
    differ = sum(a != b for a, b in zip(first["predictions"][0], y))
    assert lines[1].split()[-1] == str(differ) and lines[2].split()[-1] == "0"
    accuracy = [sum(p == q for p, q in zip(first["predictions"][s], y)) / len(y) for s in (0, 1)]
    assert lines[-2].split() == ["mean", f"{sum(accuracy) / 2:.4f}", f"{(accuracy[1] + 1) / 2:.4f}"]
    assert lines[-1].split()[:2] == ["sd", f"{abs(accuracy[0] - accuracy[1]) / 2**0.5:.4f}"]


def test_step_times_counts_every_step_after_the_first_epoch(tmp_path):
    """bench/step_times.py: nnlab's child times each step of epochs 2.. (digits-cnn: 1,079
    training images in batches of 32, 34 steps an epoch), and the summary's percentiles
    are NumPy's."""
    step_times = _load("step_times")
    env = {"PYTHONPATH": str(BENCH.parent), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    cmd = [sys.executable, str(BENCH / "step_times.py"), "--child", "nnlab",
           "--task", "digits-cnn", "--epochs", "3"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    steps = json.loads(proc.stdout.strip().splitlines()[-1])["steps"]
    assert len(steps) == 2 * 34 and all(0 < t < 5 for t in steps)
    values = [0.004, 0.001, 0.003, 0.010, 0.002, 0.0025]
    for q in step_times.PERCENTILES:
        assert step_times.percentile(values, q) == pytest.approx(np.percentile(values, q))
    lines = step_times.summary({"nnlab": values})
    ms = np.array(values) * 1e3
    expected = [f"{np.percentile(ms, q):.1f}" for q in step_times.PERCENTILES]
    assert lines[1].split() == ["nnlab", "6", *expected, f"{ms.mean():.1f}"]
