"""The convnet benchmark tasks (digits-cnn, mnist-cnn): data, weights, one nnlab worker epoch,
their GEMMs and their targets. No peer is needed."""

from __future__ import annotations

import json

import numpy as np
from test_bench import _fake, _load, _worker


def test_cnn_tasks_data_and_weights():
    tasks = _load("bench_tasks")
    d = tasks.build_data("digits-cnn")
    flat = tasks.build_data("digits")
    assert d["X_train"].shape == (1079, 8, 8, 1) and d["X_train"].dtype == np.float32
    assert np.array_equal(d["X_train"].reshape(1079, 64), flat["X_train"])  # same split
    # Keras's Glorot for a (3, 3, 1, 16) kernel: fan_in 9, fan_out 144
    K = d["w0"]
    assert K.shape == (3, 3, 1, 16) and np.abs(K).max() <= np.sqrt(6 / (9 + 144))
    assert [d[f"w{i}"].shape for i in range(6)] == [(3, 3, 1, 16), (16,), (3, 3, 16, 32),
                                                     (32,), (32, 10), (10,)]
    spec = tasks.TASKS["mnist-cnn"]
    shapes = tasks.cnn_shapes(spec)
    assert shapes[4]["out"] == (1, 1, 1600)  # 28 -> 26 -> 13 -> 11 -> 5; 5 * 5 * 64
    labels = [g["label"] for g in tasks.gemm_shapes(spec)]
    assert labels == ["L0 conv fwd", "L0 conv dW", "L2 conv fwd", "L2 conv dW", "L2 conv dX",
                      "L6 dense fwd", "L6 dense dW", "L6 dense dX"]
    assert tasks.gemm_shapes(spec)[2] == {"label": "L2 conv fwd", "m": 128 * 121, "k": 288,
                                          "n": 64, "trans": ""}


def test_worker_nnlab_digits_cnn_one_epoch(tmp_path):
    tasks = _load("bench_tasks")
    data = tmp_path / "digits-cnn.npz"
    np.savez(data, **tasks.build_data("digits-cnn"))
    out = tmp_path / "result.json"
    _worker("--task", "digits-cnn", "--tool", "nnlab", "--data", str(data), "--out", str(out),
            "--epochs", "1")
    r = json.loads(out.read_text())
    assert r["steps_per_epoch"] == 34 and r["epochs_full"] == 30
    assert r["metric_name"] == "accuracy" and 0.0 <= r["test_metric"] <= 1.0
    assert len(r["epoch_end_seconds"]) == 1 and r["peak_rss_mb"] > 0


def test_cnn_targets():
    run = _load("run")
    runs = [_fake("mnist-cnn", "nnlab", 10.0), _fake("mnist-cnn", "torch", 9.0),
            _fake("mnist-cnn", "keras", 30.0)]
    runs[1]["test_metric"] = 0.915  # 1.5 points above nnlab's 0.9
    summary = run.summarize(runs)
    rows = run.check_targets(summary, run.compute_ratios(summary))
    got = {r["check"]: r["ok"] for r in rows}
    assert got["speed vs torch (peer s / nnlab s)"] is True  # 0.9 >= 0.8
    assert got["speed vs keras (peer s / nnlab s)"] is True
    assert got["test accuracy within 1 point of torch"] is False
    assert got["test accuracy within 1 point of keras"] is True
