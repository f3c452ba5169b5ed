"""nnlab and Keras trained on the same batches: per-seed test accuracy side by side.

    python bench/same_order.py --task digits-cnn --seeds 10
    python bench/same_order.py --task digits-cnn --seeds 20 --per-epoch
    python bench/same_order.py --keras-epoch-orders

In `bench/run.py` each tool shuffles with its own generator, so a tool's test metric is a
mean over different batch orders, and on the small convnet tasks one order moves the test
accuracy by up to 3 points. Here both tools get the same order instead: seed s draws one
permutation of the training set with NumPy, both train on the permuted arrays with
shuffle=False from the task's shared initial weights, and the script prints each seed's
test accuracy for both, how many test examples they classify differently, and the means.
With --per-epoch, seed s draws a new permutation at every epoch instead (NumPy's
default_rng(s), one `permutation` call per epoch) and each tool trains one epoch at a time
on it: the scheme nnlab's and PyTorch's own shuffling follows.

One permutation for every epoch is also what Keras 3 (TensorFlow backend) itself does in
`bench/run.py`: with `keras.utils.set_random_seed(seed)` its `fit(x, y, shuffle=True)` on
arrays draws the same permutation at every epoch (the shuffle inside its tf.data pipeline
is re-seeded each time the pipeline is read again), while nnlab and PyTorch draw a new one
per epoch. `--keras-epoch-orders` shows it on 12 samples: the order each epoch saw.

Each tool runs in its own process with 2 threads; the task's data, network and training
settings come from bench/bench_tasks.py, as in bench/run.py.
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


def child(tool: str, task: str, seeds: list[int], epochs: int | None, per_epoch: bool) -> None:
    """Train `tool` once per seed on that seed's order(s); print JSON predictions."""
    import numpy as np
    from bench_tasks import TASKS, build_data
    from worker import cnn_stack, nnlab_model, targets_for_loss

    spec, d = TASKS[task], build_data(task)
    names = sorted((k for k in d if k[0] == "w" and k[1:].isdigit()), key=lambda k: int(k[1:]))
    weights = [d[k] for k in names]
    X, Y = d["X_train"], targets_for_loss(spec, d["y_train"])
    predictions = []
    for seed in seeds:
        order = np.random.default_rng(seed).permutation(len(X))
        if tool == "nnlab":
            model = nnlab_model(spec, weights)
        else:
            import keras

            keras.utils.set_random_seed(seed)  # dropout masks
            if spec.net:
                model = keras.Sequential(cnn_stack(keras.layers, spec))
            else:
                raise SystemExit("same_order.py compares the convnet tasks only")
            opt = keras.optimizers.Adam(learning_rate=spec.lr, epsilon=1e-8)
            model.compile(optimizer=opt, loss=spec.loss)
            model.set_weights(weights)
        if per_epoch:  # a new order at every epoch, the first one being `order`
            rng = np.random.default_rng(seed)
            for _ in range(epochs or spec.epochs):
                o = rng.permutation(len(X))
                model.fit(X[o], Y[o], batch_size=spec.batch, epochs=1, verbose=0, shuffle=False)
        else:
            model.fit(X[order], Y[order], batch_size=spec.batch, epochs=epochs or spec.epochs,
                      verbose=0, shuffle=False)
        out = np.asarray(model.predict(d["X_test"], verbose=0))
        predictions.append(out.argmax(axis=-1).tolist())
    print(json.dumps({"y_test": np.asarray(d["y_test"]).tolist(), "predictions": predictions}))


def keras_epoch_orders() -> None:
    """The order in which Keras's seeded fit(shuffle=True) feeds 12 samples, per epoch."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras
    import numpy as np

    seen = []

    class Spy(keras.layers.Layer):
        def call(self, x):
            seen.extend(np.asarray(x)[:, 0].astype(int).tolist())
            return x

    class PrintOrder(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            print(f"epoch {epoch}: {seen}")
            seen.clear()

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((1,)), Spy(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", run_eagerly=True)  # eager: Spy sees values
    X = np.arange(12, dtype="float32").reshape(-1, 1)
    model.fit(X, np.zeros_like(X), batch_size=4, epochs=3, shuffle=True, verbose=0,
              callbacks=[PrintOrder()])


def run_child(tool: str, task: str, seeds: int, epochs: int | None, per_epoch: bool) -> dict:
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2", "OMP_NUM_THREADS": "2",
           "MKL_NUM_THREADS": "2", "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", tool, "--task", task,
           "--seeds", str(seeds)] + ([] if epochs is None else ["--epochs", str(epochs)])
    cmd += ["--per-epoch"] if per_epoch else []
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode:
        raise SystemExit(f"{tool} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def compare(runs: dict) -> list[str]:
    """Per-seed accuracy of each tool, the test examples the first and last tools classify
    differently, and each tool's mean and standard deviation over the seeds."""
    import statistics

    tools = list(runs)
    y = runs[tools[0]]["y_test"]
    lines = [f"{'seed':>4}  " + "  ".join(f"{t:>8}" for t in tools) + "  differ"]
    accuracies = {t: [] for t in tools}
    for s, preds in enumerate(zip(*(runs[t]["predictions"] for t in tools))):
        acc = [sum(p == q for p, q in zip(pred, y)) / len(y) for pred in preds]
        differ = sum(a != b for a, b in zip(preds[0], preds[-1]))
        for t, a in zip(tools, acc):
            accuracies[t].append(a)
        lines.append(f"{s:>4}  " + "  ".join(f"{a:8.4f}" for a in acc) + f"  {differ:6d}")
    lines.append("mean  " + "  ".join(f"{statistics.fmean(accuracies[t]):8.4f}" for t in tools))
    if all(len(v) > 1 for v in accuracies.values()):
        lines.append("sd    " + "  ".join(f"{statistics.stdev(accuracies[t]):8.4f}" for t in tools))
    return lines


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--task", default="digits-cnn", choices=["digits-cnn", "mnist-cnn"])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--epochs", type=int, help="default: the task's")
    p.add_argument("--tools", nargs="+", default=["nnlab", "keras"])
    p.add_argument("--child", help=argparse.SUPPRESS)
    p.add_argument("--per-epoch", action="store_true", help="a new permutation every epoch")
    p.add_argument("--keras-epoch-orders", action="store_true")
    a = p.parse_args(argv)
    if a.keras_epoch_orders:
        return keras_epoch_orders()
    if a.child:
        return child(a.child, a.task, list(range(a.seeds)), a.epochs, a.per_epoch)
    runs = {tool: run_child(tool, a.task, a.seeds, a.epochs, a.per_epoch) for tool in a.tools}
    scheme = "a new permutation per epoch" if a.per_epoch else "one permutation per seed"
    print(f"== {a.task}: the same batch order for every tool, {scheme} ==")
    print("\n".join(compare(runs)))


if __name__ == "__main__":
    main()
