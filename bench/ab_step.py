"""A/B of nnlab's training step between two checkouts, alternating round by round.

    git worktree add ../base <commit>
    python bench/ab_step.py --task digits --base ../base [--rounds 6] [--epochs 20]

Each round runs one fit of the task (bench/TASKS.md: its data, network, optimizer and
batch size, from this checkout's bench/ builders, so both sides train the same thing) in a
fresh process for each checkout, first the base, then this one, with that checkout's nnlab
(PYTHONPATH), and records the median time per step over the fit's epochs after the first.
Alternating fresh processes round by round lets load from other processes hit both alike;
a change is real when most rounds agree.
Prints each round, then the median over rounds of each side's median and minimum.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def child(task: str, epochs: int) -> None:
    """In the checkout's folder: one fit, printing 'median_us min_us' per step."""
    folder = Path.cwd().resolve()
    # nnlab from the checkout; the task (data, network) from this file's bench/ for both
    sys.path[:] = [str(folder), str(HERE)] + [
        p for p in sys.path if Path(p or ".").resolve() not in (HERE, folder)
    ]
    import nnlab

    if not Path(nnlab.__file__).resolve().is_relative_to(folder):
        raise SystemExit(f"{folder} holds no nnlab package: it imported {nnlab.__file__}")
    from bench_tasks import TASKS, build_data
    from worker import nnlab_model, targets_for_loss

    from nnlab.callbacks import Callback

    spec, d = TASKS[task], build_data(task)
    names = sorted((k for k in d if k[0] == "w" and k[1:].isdigit()), key=lambda k: int(k[1:]))
    model = nnlab_model(spec, [d[k] for k in names])
    X, Y = d["X_train"], targets_for_loss(spec, d["y_train"])
    steps = -(-len(X) // spec.batch)
    times: list[float] = []

    class EpochTimer(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append((time.perf_counter() - self.start) / steps * 1e6)

    model.fit(X, Y, batch_size=spec.batch, epochs=epochs, verbose=0, seed=0,
              callbacks=[EpochTimer()])
    print(f"{statistics.median(times[1:]):.1f} {min(times[1:]):.1f}")


def run_side(folder: Path, task: str, epochs: int, threads: int) -> tuple[float, float]:
    env = {**os.environ, "PYTHONPATH": str(folder), "OPENBLAS_NUM_THREADS": str(threads),
           "OMP_NUM_THREADS": str(threads)}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", task, str(epochs)],
        cwd=folder, env=env, capture_output=True, text=True, check=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--base", required=True, help="the other checkout's folder")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--epochs", type=int, default=20, help="epochs per fit (>= 2)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if args.epochs < 2:
        parser.error("--epochs must be at least 2: the first epoch is not timed")
    sides = {"base": Path(args.base).resolve(), "this": HERE.parent}
    results: dict[str, list] = {name: [] for name in sides}
    for r in range(args.rounds):
        line = []
        for name, folder in sides.items():
            median, low = run_side(folder, args.task, args.epochs, args.threads)
            results[name].append((median, low))
            line.append(f"{name} {median:.1f}/{low:.1f}")
        print(f"round {r + 1}: " + "  ".join(line) + "  (us per step, median/min)", flush=True)
    for name, rows in results.items():
        medians, lows = zip(*rows)
        print(f"{name}: {statistics.median(medians):.1f} us per step "
              f"(min {statistics.median(lows):.1f})  [{sides[name]}]")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
