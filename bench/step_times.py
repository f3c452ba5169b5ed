"""Every training step's time, per tool: the spread of a task's steps and its fastest ones.

    python bench/step_times.py --task mnist-cnn --epochs 4            # nnlab and Keras
    python bench/step_times.py --task digits-cnn --tools nnlab --epochs 3

`bench/run.py` times whole fits; on a shared host a fit's time mixes what the step costs
with what the other tenants take from it. Here each tool trains the task (the benchmark's
data, network, shared initial weights and optimizer, from bench/bench_tasks.py and
bench/worker.py) in its own process with 2 threads, and a callback reads the clock at
`on_train_batch_begin` and `on_train_batch_end` of every step, the same hooks in both
tools (Keras's window also holds fetching the batch from its tf.data pipeline, which runs
inside its step function; nnlab gathers the batch before the hook). The first epoch is
left out (warm-up: Keras traces its step function then), unless there is only one. The
tools run one after the other, `--rounds` times, so that a quiet or a busy minute falls on
both. Prints, per tool, the steps counted and their 5th, 25th, 50th, 75th and 95th
percentiles and mean, in ms. The low percentiles are the nearest this can get to what a
step costs on a quiet machine.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

PERCENTILES = (5, 25, 50, 75, 95)


def child(tool: str, task: str, epochs: int) -> None:
    """Train `tool` on `task` for `epochs`; print the step times after the first epoch
    (seconds) as JSON."""
    import time

    from bench_tasks import TASKS, build_data
    from worker import cnn_stack, nnlab_model, targets_for_loss

    spec, d = TASKS[task], build_data(task)
    names = sorted((k for k in d if k[0] == "w" and k[1:].isdigit()), key=lambda k: int(k[1:]))
    weights = [d[k] for k in names]
    X, Y = d["X_train"], targets_for_loss(spec, d["y_train"])
    steps, epoch_of_step = [], []

    def timer(base):
        class StepTimer(base):
            def on_epoch_begin(self, epoch, logs=None):
                self.epoch = epoch

            def on_train_batch_begin(self, batch, logs=None):
                self.start = time.perf_counter()

            def on_train_batch_end(self, batch, logs=None):
                steps.append(time.perf_counter() - self.start)
                epoch_of_step.append(self.epoch)

        return StepTimer()

    if tool == "nnlab":
        from nnlab import callbacks

        model = nnlab_model(spec, weights)
        model.fit(X, Y, batch_size=spec.batch, epochs=epochs, verbose=0, shuffle=True, seed=0,
                  callbacks=[timer(callbacks.Callback)])
    else:
        import keras
        import tensorflow as tf

        tf.config.threading.set_intra_op_parallelism_threads(2)
        tf.config.threading.set_inter_op_parallelism_threads(2)
        keras.utils.set_random_seed(0)
        if spec.net:
            model = keras.Sequential(cnn_stack(keras.layers, spec))
        else:
            raise SystemExit("step_times.py times the convnet tasks in Keras")
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=spec.lr, epsilon=1e-8),
                      loss=spec.loss)
        model.set_weights(weights)
        model.fit(X, Y, batch_size=spec.batch, epochs=epochs, verbose=0, shuffle=True,
                  callbacks=[timer(keras.callbacks.Callback)])
    kept = [t for t, e in zip(steps, epoch_of_step) if e > 0 or epochs == 1]
    print(json.dumps({"steps": kept}))


def run_child(tool: str, task: str, epochs: int) -> list[float]:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2",
           "MKL_NUM_THREADS": "2", "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": "tensorflow",
           "CUDA_VISIBLE_DEVICES": ""}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", tool, "--task", task,
           "--epochs", str(epochs)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(f"{tool} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["steps"]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile with linear interpolation between the closest ranks (NumPy's
    default method)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def summary(times: dict[str, list[float]]) -> list[str]:
    """One line per tool: steps, the percentiles and the mean, in ms."""
    head = f"{'tool':8s} {'steps':>6s} " + " ".join(f"{f'p{q}':>7s}" for q in PERCENTILES)
    lines = [head + f" {'mean':>7s}"]
    for tool, values in times.items():
        if not values:
            lines.append(f"{tool:8s} {0:6d}  (no steps timed)")
            continue
        ms = [v * 1e3 for v in values]
        cells = " ".join(f"{percentile(ms, q):7.1f}" for q in PERCENTILES)
        lines.append(f"{tool:8s} {len(ms):6d} {cells} {sum(ms) / len(ms):7.1f}")
    return lines


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", default="mnist-cnn")
    p.add_argument("--tools", nargs="+", default=["nnlab", "keras"], choices=["nnlab", "keras"])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--child", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        return child(a.child, a.task, a.epochs)
    times = {tool: [] for tool in a.tools}
    for _ in range(a.rounds):
        for tool in a.tools:
            times[tool] += run_child(tool, a.task, a.epochs)
    epochs = f"epochs 2-{a.epochs}" if a.epochs > 1 else "the one epoch"
    print(f"== {a.task}: time per training step, ms, {epochs} of each fit, "
          f"{a.rounds} round(s) ==")
    print("\n".join(summary(times)))


if __name__ == "__main__":
    main()
