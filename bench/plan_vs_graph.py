"""The step plan against the layer graph, in one process, on a dense benchmark task.

    python bench/plan_vs_graph.py --task digits [--rounds 30] [--epochs 3]

Builds the task's network twice from the same initial weights (bench/TASKS.md, the
benchmark's own builder): with `Dense` layers, which `fit` trains through the step plan
(`nnlab.step.StepPlan`), and with a subclass of Dense that changes nothing but its class,
which `StepPlan.of` refuses, so `fit` trains it through the layer graph. Then alternates
their fits, round by round, and prints each side's median and minimum time per step over
the rounds after the first, and in how many rounds the plan was faster.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent), str(HERE)]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)

    from bench_tasks import TASKS, build_data
    from worker import nnlab_model, targets_for_loss

    from nnlab import layers
    from nnlab.step import StepPlan

    class GraphDense(layers.Dense):
        """Dense under another class name: the graph path."""

    spec, d = TASKS[args.task], build_data(args.task)
    if spec.net:
        parser.error(f"{args.task} is a convnet; the step plan is for chains of Dense layers")
    weights = [d[f"w{i}"] for i in range(2 * (len(spec.sizes) - 1))]
    planned, graphed = nnlab_model(spec, weights), nnlab_model(spec, weights, GraphDense)
    assert StepPlan.of(planned) is not None and StepPlan.of(graphed) is None

    X, Y = d["X_train"], targets_for_loss(spec, d["y_train"])
    per_fit = -(-len(X) // spec.batch) * args.epochs
    times: dict[str, list] = {"plan": [], "graph": []}
    for r in range(args.rounds):
        order = [("plan", planned), ("graph", graphed)]
        for name, model in order if r % 2 else order[::-1]:
            start = time.perf_counter()
            model.fit(X, Y, batch_size=spec.batch, epochs=args.epochs, verbose=0)
            times[name].append((time.perf_counter() - start) / per_fit * 1e6)
    for name, ts in times.items():
        print(f"{args.task} {name}: {statistics.median(ts[1:]):.1f} us per step "
              f"(min {min(ts[1:]):.1f})")
    wins = sum(p < g for p, g in zip(times["plan"][1:], times["graph"][1:]))
    print(f"plan faster in {wins} of {args.rounds - 1} rounds")


if __name__ == "__main__":
    main()
