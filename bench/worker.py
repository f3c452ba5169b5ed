"""One (task, tool) benchmark run in a fresh process, or the GEMM-limit measurement.

    python bench/worker.py --task iris --tool nnlab --data iris.npz --out result.json
    python bench/worker.py --gemm --tasks iris digits --out gemm.json

Threads are pinned to 2 (or --threads) before NumPy, PyTorch or TensorFlow is imported, and
OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE are dropped so NumPy's OpenBLAS picks its own kernel
(--keep-blas-env keeps them: the tests use it, since tests must not change them).
Only the training call (or loop) is timed.
"""

from __future__ import annotations

import os
import sys

THREAD_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)
BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def pin_environment(threads: int, keep_blas_env: bool = False) -> dict:
    """Set the thread variables and (unless keep_blas_env) drop the OpenBLAS core overrides,
    in this process only; return what was there."""
    before = {k: os.environ.get(k) for k in (*THREAD_VARS, *BLAS_OVERRIDES)}
    for k in THREAD_VARS:
        os.environ[k] = str(threads)
    if not keep_blas_env:
        for k in BLAS_OVERRIDES:
            os.environ.pop(k, None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ["KERAS_BACKEND"] = "tensorflow"
    os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
    return before


def _threads_from_argv(argv) -> int:
    if "--threads" in argv:
        return int(argv[argv.index("--threads") + 1])
    return 2


_ENV_BEFORE = pin_environment(_threads_from_argv(sys.argv), "--keep-blas-env" in sys.argv)

# Only now may NumPy (and the tools) be imported.
import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from pathlib import Path  # noqa: E402

HERE = Path(__file__).resolve().parent
# The nnlab to benchmark: run.py's snapshot of the tree taken at the start of the run (so that
# edits made during a run do not mix versions), else this checkout's.
NNLAB_SRC = os.environ.get("NNLAB_BENCH_SRC") or str(HERE.parent)
sys.path.insert(0, NNLAB_SRC)
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from bench_tasks import TASKS, TaskSpec, gemm_shapes  # noqa: E402


def rss_mb() -> float:
    """Current resident set size in MB (from /proc/self/statm)."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError):
        return float("nan")


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB.

    VmHWM from /proc/self/status, which starts afresh at exec. ru_maxrss does not: Linux keeps
    it across execve, so a worker would report the parent's peak (the parent holds the big
    tasks' data) whenever that is higher than its own.
    """
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024.0
    except (OSError, ValueError):
        pass
    return ru_maxrss_mb()


def ru_maxrss_mb() -> float:
    """resource.getrusage ru_maxrss in MB (KB on Linux); may include the parent's peak."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def blas_info() -> list[dict]:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return []
    keep = (
        "user_api",
        "internal_api",
        "prefix",
        "version",
        "architecture",
        "num_threads",
        "threading_layer",
        "filepath",
    )
    return [{k: d.get(k) for k in keep} for d in threadpool_info()]


def one_hot(y, k):
    out = np.zeros((len(y), k), np.float32)
    out[np.arange(len(y)), y] = 1.0
    return out


def load(path):
    with np.load(path) as z:
        d = {k: z[k] for k in z.files}
    weights = [d[f"w{i}"] for i in range(sum(1 for k in d if k.startswith("w")))]
    return d, weights


def targets_for_loss(spec: TaskSpec, y):
    """One-hot for softmax, (n, 1) float for sigmoid, as-is for regression."""
    if spec.output == "softmax":
        return one_hot(y, spec.sizes[-1])
    if spec.output == "sigmoid":
        return y.astype(np.float32).reshape(-1, 1)
    return y


def test_metric(spec: TaskSpec, out, y_test) -> float:
    """Accuracy from softmax probabilities or logits, or the MSE (sigmoid: binary_accuracy)."""
    out = np.asarray(out, np.float64)
    if spec.output == "softmax":
        return float(np.mean(out.argmax(axis=1) == y_test))
    if spec.output == "sigmoid":
        raise ValueError("use binary_accuracy for sigmoid outputs")
    return float(np.mean((out.reshape(y_test.shape) - y_test) ** 2))


def binary_accuracy(pred_positive, y_test) -> float:
    return float(np.mean(np.asarray(pred_positive).ravel().astype(np.int64) == y_test))


def cnn_stack(L, spec: TaskSpec) -> list:
    """A convnet task's layers for nnlab or Keras (`L`: nnlab.layers or keras.layers)."""
    stack = [L.Input(shape=tuple(spec.image_shape))]
    for layer in spec.net:
        kind = layer[0]
        if kind == "conv":
            stack.append(L.Conv2D(layer[1], layer[2], padding=layer[3], activation="relu"))
        elif kind == "maxpool":
            stack.append(L.MaxPooling2D(layer[1]))
        elif kind == "gap":
            stack.append(L.GlobalAveragePooling2D())
        elif kind == "flatten":
            stack.append(L.Flatten())
        elif kind == "dropout":
            stack.append(L.Dropout(layer[1]))
        else:
            stack.append(L.Dense(layer[1], activation=spec.output))
    return stack


def channels_first(spec: TaskSpec, X):
    """PyTorch's layout: images (n, C, H, W), made once before timing."""
    return np.ascontiguousarray(X.transpose(0, 3, 1, 2)) if spec.net else X


def torch_cnn(torch, spec: TaskSpec, weights) -> list:
    """A convnet task's PyTorch modules (channels first; logits out) with the shared weights:
    kernels (k, k, C, F) -> (F, C, k, k); the Dense after Flatten gets its rows reordered from
    the (H, W, C) order of a channels-last flatten to PyTorch's (C, H, W)."""
    from bench_tasks import cnn_shapes

    mods, w = [], list(weights)
    for layer, shape in zip(spec.net, cnn_shapes(spec)):
        kind = layer[0]
        if kind == "conv":
            K, b = w.pop(0), w.pop(0)
            conv = torch.nn.Conv2d(K.shape[2], K.shape[3], K.shape[0], padding=layer[3])
            with torch.no_grad():
                conv.weight.copy_(torch.from_numpy(K.transpose(3, 2, 0, 1).copy()))
                conv.bias.copy_(torch.from_numpy(b))
            mods += [conv, torch.nn.ReLU()]
        elif kind == "maxpool":
            mods.append(torch.nn.MaxPool2d(layer[1]))
        elif kind == "gap":
            mods += [torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten()]
        elif kind == "flatten":
            h, w_, c = shape["in"]
            flat_order = (h, w_, c)
            mods.append(torch.nn.Flatten())
        elif kind == "dropout":
            mods.append(torch.nn.Dropout(layer[1]))
        else:
            W, b = w.pop(0), w.pop(0)
            if "flatten" in [x[0] for x in spec.net]:
                h, w_, c = flat_order
                W = W.reshape(h, w_, c, -1).transpose(2, 0, 1, 3).reshape(h * w_ * c, -1)
            lin = torch.nn.Linear(W.shape[0], W.shape[1])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(W.T.copy()))
                lin.bias.copy_(torch.from_numpy(b))
            mods.append(lin)
    return mods


# -- tools ---------------------------------------------------------------------------------
# Each returns (train_seconds, epoch_end_offsets, metric, version, notes).


def nnlab_model(spec, weights, dense=None):
    """The task's network in nnlab, compiled as the benchmark trains it, from `weights`;
    `dense`: the class of its dense layers (default nnlab.layers.Dense)."""
    from nnlab import layers, models, optimizers

    Dense = dense or layers.Dense
    if spec.net:
        model = models.Sequential(cnn_stack(layers, spec))
    else:
        stack = [layers.Input(shape=(spec.sizes[0],))]
        for units in spec.sizes[1:-1]:
            stack.append(Dense(units, activation=spec.hidden))
        out_act = None if spec.output == "linear" else spec.output
        stack.append(Dense(spec.sizes[-1], activation=out_act))
        model = models.Sequential(stack)
    if spec.optimizer == "adam":
        opt = optimizers.Adam(learning_rate=spec.lr, epsilon=1e-8)
    else:
        opt = optimizers.SGD(learning_rate=spec.lr, momentum=spec.momentum)
    model.compile(optimizer=opt, loss=spec.loss)
    model.set_weights(weights)
    return model


def run_nnlab(spec, d, weights, epochs, threads, seed=0):
    import nnlab
    from nnlab import callbacks

    model = nnlab_model(spec, weights)
    X, Y = d["X_train"], targets_for_loss(spec, d["y_train"])
    marks = []

    class EpochTimer(callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            marks.append(time.perf_counter())

    t0 = time.perf_counter()
    model.fit(
        X,
        Y,
        batch_size=spec.batch,
        epochs=epochs,
        verbose=0,
        shuffle=True,
        seed=seed,
        callbacks=[EpochTimer()],
    )
    t1 = time.perf_counter()
    out = model.predict(d["X_test"], batch_size=4096, verbose=0)
    if spec.output == "sigmoid":
        metric = binary_accuracy(out > 0.5, d["y_test"])
    else:
        metric = test_metric(spec, out, d["y_test"])
    notes = [f"nnlab from {Path(nnlab.__file__).parent}"]
    return t1 - t0, [m - t0 for m in marks], metric, nnlab.__version__, notes


def run_torch(spec, d, weights, epochs, threads, seed=0):
    import torch

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(threads)
    except RuntimeError:
        pass
    torch.manual_seed(seed)
    act = {"relu": torch.nn.ReLU, "tanh": torch.nn.Tanh}[spec.hidden]
    mods = []
    pairs = list(zip(spec.sizes[:-1], spec.sizes[1:]))
    if spec.net:
        mods = torch_cnn(torch, spec, weights)
        pairs = []
    for i, (a, b) in enumerate(pairs):
        lin = torch.nn.Linear(a, b)
        with torch.no_grad():
            lin.weight.copy_(torch.from_numpy(weights[2 * i].T.copy()))
            lin.bias.copy_(torch.from_numpy(weights[2 * i + 1]))
        mods.append(lin)
        if i < len(pairs) - 1:
            mods.append(act())
    model = torch.nn.Sequential(*mods)  # the output activation lives in the loss (logits)
    X = torch.from_numpy(channels_first(spec, d["X_train"]))
    if spec.output == "softmax":
        Y = torch.from_numpy(d["y_train"])  # int64 labels
        loss_fn = torch.nn.CrossEntropyLoss()
    elif spec.output == "sigmoid":
        Y = torch.from_numpy(d["y_train"].astype(np.float32).reshape(-1, 1))
        loss_fn = torch.nn.BCEWithLogitsLoss()
    else:
        Y = torch.from_numpy(d["y_train"])
        loss_fn = torch.nn.MSELoss()
    if spec.optimizer == "adam":
        opt = torch.optim.Adam(model.parameters(), lr=spec.lr, eps=1e-8)
    else:
        opt = torch.optim.SGD(model.parameters(), lr=spec.lr, momentum=spec.momentum)
    n, bs = X.shape[0], spec.batch
    gen = torch.Generator().manual_seed(seed)
    marks = []
    model.train()
    t0 = time.perf_counter()
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for i in range(0, n, bs):
            idx = perm[i : i + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), Y[idx])
            loss.backward()
            opt.step()
        marks.append(time.perf_counter())
    t1 = time.perf_counter()
    model.eval()
    with torch.no_grad():
        out = model(torch.from_numpy(channels_first(spec, d["X_test"]))).numpy()
    if spec.output == "sigmoid":
        metric = binary_accuracy(out > 0.0, d["y_test"])
    else:
        metric = test_metric(spec, out, d["y_test"])
    notes = ["logits + CrossEntropyLoss/BCEWithLogitsLoss; default (non-foreach) optimizer"]
    return t1 - t0, [m - t0 for m in marks], metric, torch.__version__, notes


def run_keras(spec, d, weights, epochs, threads, seed=0):
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
    import keras

    keras.utils.set_random_seed(seed)
    if spec.net:
        model = keras.Sequential(cnn_stack(keras.layers, spec))
    else:
        stack = [keras.Input(shape=(spec.sizes[0],))]
        for units in spec.sizes[1:-1]:
            stack.append(keras.layers.Dense(units, activation=spec.hidden))
        out_act = None if spec.output == "linear" else spec.output
        stack.append(keras.layers.Dense(spec.sizes[-1], activation=out_act))
        model = keras.Sequential(stack)
    if spec.optimizer == "adam":
        opt = keras.optimizers.Adam(learning_rate=spec.lr, epsilon=1e-8)
    else:
        opt = keras.optimizers.SGD(learning_rate=spec.lr, momentum=spec.momentum)
    model.compile(optimizer=opt, loss=spec.loss)
    model.set_weights(weights)
    X, Y = d["X_train"], targets_for_loss(spec, d["y_train"])
    marks = []

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            marks.append(time.perf_counter())

    t0 = time.perf_counter()
    model.fit(
        X,
        Y,
        batch_size=spec.batch,
        epochs=epochs,
        verbose=0,
        shuffle=True,
        callbacks=[EpochTimer()],
    )
    t1 = time.perf_counter()
    out = model.predict(d["X_test"], batch_size=4096, verbose=0)
    if spec.output == "sigmoid":
        metric = binary_accuracy(out > 0.5, d["y_test"])
    else:
        metric = test_metric(spec, out, d["y_test"])
    version = f"keras {keras.__version__}, tensorflow {tf.__version__}"
    notes = [f"Keras 3, TF backend, jit_compile={model.jit_compile}"]
    return t1 - t0, [m - t0 for m in marks], metric, version, notes


def run_sklearn(spec, d, weights, epochs, threads, seed=0):
    if spec.net:
        raise ValueError(f"scikit-learn has no convolutional layers: no {spec.name} run")
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    notes = []
    weights = [w.copy() for w in weights]
    if spec.output == "softmax" and spec.sizes[-1] == 2:
        # sklearn's binary output is one logistic unit: sigmoid(z1 - z0) == softmax(z)[1],
        # so start it from the same function as the 2-unit softmax.
        W, b = weights[-2], weights[-1]
        weights[-2] = (W[:, 1] - W[:, 0]).reshape(-1, 1).astype(np.float32)
        weights[-1] = (b[1:] - b[:1]).astype(np.float32)
        notes.append("binary: one logistic unit, started as w1 - w0 of the 2-unit softmax")
    common = dict(
        hidden_layer_sizes=tuple(spec.sizes[1:-1]),
        activation=spec.hidden,
        solver=spec.optimizer,
        alpha=0.0,
        batch_size=spec.batch,
        learning_rate_init=spec.lr,
        max_iter=epochs,
        shuffle=True,
        random_state=seed,
        tol=0.0,
        n_iter_no_change=epochs + 10,
        early_stopping=False,
    )
    if spec.optimizer == "adam":
        common.update(epsilon=1e-8)
    else:
        common.update(learning_rate="constant", momentum=spec.momentum, nesterovs_momentum=False)
    if spec.classification:
        est, y = MLPClassifier(**common), d["y_train"]
    else:
        est, y = MLPRegressor(**common), d["y_train"].ravel()
        notes.append("MLPRegressor's loss is MSE / 2")
    # Start from the shared initial weights: _initialize draws each layer from _init_coef.
    pending = [(weights[i], weights[i + 1]) for i in range(0, len(weights), 2)]

    def init_coef(fan_in, fan_out, dtype):
        W, b = pending.pop(0)
        assert W.shape == (fan_in, fan_out), (W.shape, fan_in, fan_out)
        return W.astype(dtype, copy=True), b.astype(dtype, copy=True)

    if hasattr(est, "_init_coef"):
        est._init_coef = init_coef
    else:
        notes.append("could not set initial weights (sklearn internals changed)")
    marks = []
    orig = est._update_no_improvement_count

    def epoch_end(*a, **k):  # called once per epoch, right after the epoch's last step
        marks.append(time.perf_counter())
        return orig(*a, **k)

    est._update_no_improvement_count = epoch_end
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        est.fit(d["X_train"], y)
        t1 = time.perf_counter()
    if est.n_iter_ != epochs:
        notes.append(f"ran {est.n_iter_} of {epochs} epochs")
    if pending:
        notes.append("initial weights not injected")
    if spec.classification:
        metric = float(np.mean(est.predict(d["X_test"]) == d["y_test"]))
    else:
        metric = float(np.mean((est.predict(d["X_test"]).reshape(-1, 1) - d["y_test"]) ** 2))
    return t1 - t0, [m - t0 for m in marks], metric, sklearn.__version__, notes


TOOLS = {"nnlab": run_nnlab, "torch": run_torch, "keras": run_keras, "sklearn": run_sklearn}


def steady_step_ms(marks, steps_per_epoch, total):
    """Mean time per step over the epochs after the first (all epochs if only one ran)."""
    if len(marks) >= 2:
        return 1e3 * (marks[-1] - marks[0]) / (steps_per_epoch * (len(marks) - 1))
    return 1e3 * total / max(1, steps_per_epoch * max(1, len(marks)))


def run_one(task, tool, data_path, epochs=None, threads=2, seed=0) -> dict:
    spec = TASKS[task]
    full = spec.epochs
    epochs = full if epochs is None else int(epochs)
    d, weights = load(data_path)
    n = d["X_train"].shape[0]
    steps = -(-n // spec.batch)
    rss0 = rss_mb()
    seconds, marks, metric, version, notes = TOOLS[tool](spec, d, weights, epochs, threads, seed)
    steady = steady_step_ms(marks, steps, seconds)
    if epochs < full:
        # Extrapolate: the run as measured, plus the missing epochs at the steady epoch cost.
        epoch_s = steady * steps / 1e3
        scaled = seconds + (full - epochs) * epoch_s
        notes.append(f"ran {epochs} of {full} epochs; time extrapolated to {full}")
    else:
        scaled = seconds
    return {
        "task": task,
        "tool": tool,
        "seed": seed,
        "version": version,
        "epochs_full": full,
        "epochs_run": epochs,
        "n_train": n,
        "batch_size": spec.batch,
        "steps_per_epoch": steps,
        "train_seconds_measured": seconds,
        "train_seconds": scaled,
        "epoch_end_seconds": marks,
        "steady_step_ms": steady,
        "metric_name": spec.metric,
        "test_metric": metric,
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": ru_maxrss_mb(),
        "rss_before_fit_mb": rss0,
        "threads": threads,
        "env_before_pinning": _ENV_BEFORE,
        "blas": blas_info(),
        "python": platform.python_version(),
        "notes": notes,
    }


# -- GEMM limit ----------------------------------------------------------------------------


def _calls_for(fn, min_round_s) -> int:
    """How many calls make one timing round last about min_round_s."""
    for _ in range(3):
        fn()
    calls = 1
    while calls < 1 << 20:
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - t0 >= min_round_s:
            break
        calls *= 2
    return calls


def _operands(g, rng):
    """Operands laid out as a training step has them: X (B, a) and W (a, b) in C order, so
    X^T and W^T are transposed views."""
    m, k, n = g["m"], g["k"], g["n"]
    if g["trans"] == "A":
        A = rng.standard_normal((k, m)).astype(np.float32).T
    else:
        A = rng.standard_normal((m, k)).astype(np.float32)
    if g["trans"] == "B":
        Bm = rng.standard_normal((n, k)).astype(np.float32).T
    else:
        Bm = rng.standard_normal((k, n)).astype(np.float32)
    return A, Bm, np.empty((m, n), np.float32)


def gemm_limit(task_names, rounds=7, min_round_s=0.01) -> dict:
    """float32 GEMM throughput at each task's training-step shapes and the step-GEMM bound.

    Each GEMM is timed in `rounds` rounds, the rounds of all shapes interleaved so that a
    burst of load from other processes does not hit one shape only; the best round counts
    (the limit is what the machine can do). A rank-1 product (k = 1) is also timed as an
    outer product (np.multiply), and the faster kernel counts.
    """
    rng = np.random.default_rng(0)
    items = []
    for name in task_names:
        for g in gemm_shapes(TASKS[name]):
            A, Bm, C = _operands(g, rng)
            fns = {"matmul": lambda A=A, Bm=Bm, C=C: np.matmul(A, Bm, out=C)}
            if g["k"] == 1:
                fns["outer (np.multiply)"] = lambda A=A, Bm=Bm, C=C: np.multiply(A, Bm, out=C)
            for how, fn in fns.items():
                items.append(
                    {
                        "task": name,
                        "g": g,
                        "how": how,
                        "fn": fn,
                        "calls": _calls_for(fn, min_round_s),
                        "best": math.inf,
                    }
                )
    for _ in range(rounds):
        for it in items:
            fn, calls = it["fn"], it["calls"]
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            it["best"] = min(it["best"], (time.perf_counter() - t0) / calls)
    out = {}
    for name in task_names:
        rows = {}
        for it in items:
            if it["task"] != name:
                continue
            g, label = it["g"], it["g"]["label"]
            if label not in rows or it["best"] < rows[label]["seconds"]:
                flops = 2.0 * g["m"] * g["k"] * g["n"]
                rows[label] = {
                    **g,
                    "seconds": it["best"],
                    "gflops": flops / it["best"] / 1e9,
                    "kernel": it["how"],
                }
        out[name] = summarize_gemm(TASKS[name].batch, list(rows.values()))
    return {
        "threads": int(os.environ["OMP_NUM_THREADS"]),
        "rounds": rounds,
        "blas": blas_info(),
        "tasks": out,
        "env_before_pinning": _ENV_BEFORE,
    }


def summarize_gemm(batch, rows) -> dict:
    total = sum(r["seconds"] for r in rows)
    return {
        "batch_size": batch,
        "gemms": rows,
        "step_gemm_seconds": total,
        "step_gemm_bound_samples_per_s": batch / total,
    }


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task")
    p.add_argument("--tool", choices=sorted(TOOLS))
    p.add_argument("--data")
    p.add_argument("--epochs", type=int, default=None, help="run fewer epochs than the task's")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--seed", type=int, default=0, help="seed of the shuffling (and dropout) of the fit"
    )
    p.add_argument("--gemm", action="store_true", help="measure the GEMM limit instead")
    p.add_argument("--tasks", nargs="*", default=list(TASKS), help="tasks for --gemm")
    p.add_argument("--gemm-rounds", type=int, default=7, help="timing rounds per GEMM")
    p.add_argument(
        "--keep-blas-env",
        action="store_true",
        help="keep OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (read before argparse)",
    )
    p.add_argument("--out", required=True)
    a = p.parse_args(argv)
    if a.gemm:
        res = gemm_limit(a.tasks, rounds=a.gemm_rounds)
    else:
        if not (a.task and a.tool and a.data):
            p.error("--task, --tool and --data are required (or --gemm)")
        res = run_one(a.task, a.tool, a.data, a.epochs, a.threads, a.seed)
    Path(a.out).write_text(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
