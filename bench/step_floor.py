"""A dense task's training step against its floor, and what lies between them.

    python bench/step_floor.py [--task digits] [--threads 2] [--rounds 7] [--epochs 6]

Four timings of one training step of a bench task (bench/TASKS.md), interleaved round by
round so that load from other processes hits them alike:

- GEMMs: the step's matrix products alone (bench_tasks.gemm_shapes: X W, X^T dZ and dZ W^T
  per layer, as the benchmark's GEMM probe times them), float32, each into a preallocated
  output;
- update: nnlab's optimizer updating every parameter once (Optimizer.apply on the model's
  flat parameter store, after one fit step packed it);
- bare NumPy: the same step as a careful hand-written NumPy loop, no framework (TASKS.md's
  "bare loop"): weights and gradients as views into two flat arrays, forward, the loss's
  gradient at the output, backward, and the update rule as a few in-place operations on the
  whole flat array (subnormal momenta zeroed every 8 steps, as nnlab does), over the
  training set's batches in turn;
- nnlab: `Model.fit` on the task's training set, the steady time per step (the median epoch
  after the first, divided by the steps per epoch).

floor = GEMMs + update. "bare - floor" is what the elementwise work (bias, activations and
their gradients, the loss) adds; "nnlab - bare" is what nnlab adds around the same math
(the layer and loss calls, batching, callbacks, the divergence guard). Medians over the
rounds, with the minimum.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))


def _threads(argv) -> int:
    return int(argv[argv.index("--threads") + 1]) if "--threads" in argv else 2


for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(_threads(sys.argv))  # before NumPy is imported

import numpy as np  # noqa: E402
from bench_tasks import TASKS, build_data, gemm_shapes  # noqa: E402
from worker import nnlab_model, targets_for_loss  # noqa: E402

ACTIVATIONS = {
    "relu": (lambda Z: np.maximum(Z, 0), lambda dA, A: dA * (A > 0)),
    "tanh": (np.tanh, lambda dA, A: dA * (1 - A * A)),
}


def build_model(spec, d):
    """nnlab's network for the task as the benchmark's worker builds it."""
    return nnlab_model(spec, [d[f"w{i}"] for i in range(2 * (len(spec.sizes) - 1))])


def gemm_step(spec):
    """One call runs every GEMM of a step once."""
    rng = np.random.default_rng(0)
    calls = []
    for g in gemm_shapes(spec):
        A = rng.standard_normal((g["k"], g["m"]) if "A" in g["trans"] else (g["m"], g["k"]))
        Bm = rng.standard_normal((g["n"], g["k"]) if "B" in g["trans"] else (g["k"], g["n"]))
        A, Bm = A.astype(np.float32), Bm.astype(np.float32)
        A = A.T if "A" in g["trans"] else A
        Bm = Bm.T if "B" in g["trans"] else Bm
        C = np.empty((g["m"], g["n"]), np.float32)
        calls.append((A, Bm, C))

    def run():
        for A, Bm, C in calls:
            np.matmul(A, Bm, out=C)

    return run


def update_step(model):
    store = model.parameter_store
    params, grads = [store.W], [store.dW]
    store.dW[...] = np.float32(1e-3)
    return lambda: model.optimizer.apply(params, grads)


def bare_step(spec, d):
    """The task's step as a careful hand-written NumPy loop (bench/TASKS.md's "bare loop"):
    every weight and bias a view into one flat float32 array and every gradient a view into
    another, products into those views, and the update as a few in-place operations on the
    whole flat array. Softmax / sigmoid / linear output, Adam or SGD with momentum."""
    shapes = [s for a, b in zip(spec.sizes[:-1], spec.sizes[1:]) for s in ((a, b), (b,))]
    sizes = [int(np.prod(s)) for s in shapes]
    flat, grad = np.zeros(sum(sizes), np.float32), np.zeros(sum(sizes), np.float32)
    ends = np.cumsum(sizes)
    params = [flat[e - n : e].reshape(s) for e, n, s in zip(ends, sizes, shapes)]
    grads = [grad[e - n : e].reshape(s) for e, n, s in zip(ends, sizes, shapes)]
    for i, p in enumerate(params):
        p[...] = d[f"w{i}"]
    n_layers = len(spec.sizes) - 1
    X_all = d["X_train"]
    Y_all = targets_for_loss(spec, d["y_train"]).astype(np.float32).reshape(len(X_all), -1)
    starts = range(0, len(X_all) - spec.batch + 1, spec.batch)  # full batches, in turn
    g, g_prime = ACTIVATIONS[spec.hidden]
    tiny = np.finfo(np.float32).tiny
    m, v, work = np.zeros_like(flat), np.zeros_like(flat), np.empty_like(flat)
    b1, b2, eps = 0.9, 0.999, 1e-8
    state = {"t": 0}

    def run():
        start = starts[state["t"] % len(starts)]
        X, Y = X_all[start : start + spec.batch], Y_all[start : start + spec.batch]
        As = [X]
        for i in range(n_layers):
            Z = As[-1] @ params[2 * i]
            Z += params[2 * i + 1]
            As.append(g(Z) if i < n_layers - 1 else Z)
        Z = As[-1]
        if spec.output == "softmax":
            E = np.exp(Z - Z.max(axis=1, keepdims=True))
            dZ = (E / E.sum(axis=1, keepdims=True) - Y) / len(X)
        elif spec.output == "sigmoid":
            dZ = (1 / (1 + np.exp(-Z)) - Y) / len(X)
        else:
            dZ = 2 * (Z - Y) / Z.size
        for i in reversed(range(n_layers)):
            np.matmul(As[i].T, dZ, out=grads[2 * i])
            np.add.reduce(dZ, axis=0, out=grads[2 * i + 1])
            if i:
                dZ = g_prime(dZ @ params[2 * i].T, As[i])
        state["t"] += 1
        if spec.optimizer == "adam":
            t = state["t"]
            lr_t = spec.lr * (1 - b2**t) ** 0.5 / (1 - b1**t)
            np.subtract(grad, m, out=work)
            np.multiply(work, 1 - b1, out=work)
            np.add(m, work, out=m)  # m += (1 - b1) (g - m)
            np.multiply(grad, grad, out=work)
            np.subtract(work, v, out=work)
            np.multiply(work, 1 - b2, out=work)
            np.add(v, work, out=v)  # v += (1 - b2) (g^2 - v)
            np.sqrt(v, out=work)
            np.add(work, eps, out=work)
            np.divide(m, work, out=work)
            np.multiply(work, lr_t, out=work)
            np.subtract(flat, work, out=flat)
            if t % 8 == 0:  # subnormal momenta are ~100x slower: zero them, as nnlab does
                for slot in (m, v):
                    np.copyto(slot, 0, where=np.abs(slot) < tiny)
        else:
            np.multiply(m, spec.momentum, out=m)
            np.multiply(grad, spec.lr, out=work)
            np.subtract(m, work, out=m)
            np.add(flat, m, out=flat)

    return run


def nnlab_step_ms(model, spec, d, epochs: int) -> float:
    from nnlab.callbacks import Callback

    marks = []

    class Marks(Callback):
        def on_epoch_end(self, epoch, logs=None):
            marks.append(time.perf_counter())

    X, Y = d["X_train"], targets_for_loss(spec, d["y_train"])
    steps = -(-len(X) // spec.batch)
    t0 = time.perf_counter()
    model.fit(X, Y, batch_size=spec.batch, epochs=epochs, verbose=0, callbacks=[Marks()])
    epoch_s = np.diff([t0, *marks])[1:]
    return 1e3 * float(np.median(epoch_s)) / steps


def timed(fn, calls: int) -> float:
    t0 = time.perf_counter()
    for _ in range(calls):
        fn()
    return 1e3 * (time.perf_counter() - t0) / calls


def measure(task: str, rounds: int, epochs: int) -> dict:
    spec = TASKS[task]
    if spec.net:
        raise SystemExit(f"step_floor.py measures the dense tasks; {task} is a convnet")
    d = build_data(task)
    model = build_model(spec, d)
    X, Y = d["X_train"], targets_for_loss(spec, d["y_train"])
    model.fit(X[: spec.batch], Y[: spec.batch], epochs=1, verbose=0)  # packs the store
    fns = {"GEMMs": gemm_step(spec), "update": update_step(model), "bare NumPy": bare_step(spec, d)}
    calls = {k: max(1, int(0.05 / max(1e-7, timed(f, 3) / 1e3))) for k, f in fns.items()}
    times: dict = {k: [] for k in [*fns, "nnlab"]}
    for _ in range(rounds):
        for k, f in fns.items():
            times[k].append(timed(f, calls[k]))
        times["nnlab"].append(nnlab_step_ms(build_model(spec, d), spec, d, epochs))
    return {k: (statistics.median(v), min(v)) for k, v in times.items()}


def report(task: str, t: dict, threads: int) -> str:
    spec = TASKS[task]
    floor = t["GEMMs"][0] + t["update"][0]
    rows = [
        ("GEMMs", t["GEMMs"]),
        ("update", t["update"]),
        ("floor = GEMMs + update", (floor, t["GEMMs"][1] + t["update"][1])),
        ("bare NumPy step", t["bare NumPy"]),
        ("nnlab step (fit)", t["nnlab"]),
    ]
    lines = [
        f"== {task}: {spec.describe()}, batch {spec.batch}, {threads} threads, float32 ==",
        f"{'':<26}{'median us':>10}{'min us':>9}{'x floor':>9}",
    ]
    for name, (med, low) in rows:
        lines.append(f"{name:<26}{1e3 * med:>10.1f}{1e3 * low:>9.1f}{med / floor:>9.2f}")
    bare, nn = t["bare NumPy"][0], t["nnlab"][0]
    lines.append(
        f"elementwise work (bare - floor): {1e3 * (bare - floor):.1f} us; "
        f"nnlab around the same math (nnlab - bare): {1e3 * (nn - bare):.1f} us"
    )
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--task", default="digits", choices=[k for k, s in TASKS.items() if not s.net])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--epochs", type=int, default=6, help="epochs per nnlab fit (>= 2)")
    a = p.parse_args(argv)
    print(report(a.task, measure(a.task, a.rounds, max(2, a.epochs)), a.threads))


if __name__ == "__main__":
    main()
