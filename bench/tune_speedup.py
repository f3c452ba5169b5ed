"""Tuning on a 2-worker local Dask cluster against one process (issue 17, point 3).

The digits task, a random search of 24 configurations x 3 folds, seed 0. Serial: this
process, BLAS limited to one thread. Cluster: a LocalCluster of 2 worker processes with
one thread each (and one BLAS thread: OMP/OPENBLAS/MKL_NUM_THREADS=1 in the workers'
environment, and every trial runs under threadpool_limits(1)). The cluster is started and
warmed up (nnlab imported on every worker) before the clock starts: start-up is not
timed. Both searches give the same table (checked). Refit is off: only the search is timed.

    python bench/tune_speedup.py [--trials 24] [--cv 3] [--repeats 1]
"""

from __future__ import annotations

import argparse
import os
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"  # before NumPy loads: this process and the workers it starts


def space():
    from nnlab.tuning import Choice, Float, Int, Space

    return Space(
        n_layers=Int(1, 2),
        units_1=Choice([32, 64]),
        units_2=Choice([16, 32], when={"n_layers": [2]}),
        activation=Choice(["relu", "tanh"]),
        learning_rate=Float(1e-3, 1e-2, log=True),
        batch_size=Choice([32, 64]),
        epochs=15,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trials", type=int, default=24)
    parser.add_argument("--cv", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    import pandas as pd
    from dask.distributed import Client, LocalCluster
    from threadpoolctl import threadpool_limits

    from nnlab.tuning import Search, TuneData, comparable

    data = TuneData.from_source("digits", cv=args.cv, seed=0)
    kwargs = dict(strategy="random", n_trials=args.trials, seed=0, refit=False)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)  # fmt: skip
    client = Client(cluster)
    client.run(lambda: __import__("nnlab.tuning.trial") and None)  # warm-up, not timed
    serial_times, cluster_times = [], []
    for _ in range(args.repeats):
        with threadpool_limits(limits=1, user_api="blas"):
            t0 = time.perf_counter()
            serial = Search(data, space(), scheduler="serial", **kwargs).run()
            serial_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        parallel = Search(data, space(), scheduler=client, **kwargs).run()
        cluster_times.append(time.perf_counter() - t0)
        pd.testing.assert_frame_equal(comparable(serial.table), comparable(parallel.table))
    client.close()
    cluster.close()
    s, c = min(serial_times), min(cluster_times)
    print(f"digits random search: {args.trials} configurations x {args.cv} folds, "
          f"{len(data.train_rows)} training rows, cores on this machine: {os.cpu_count()}")
    print(f"serial (1 BLAS thread):          {s:8.2f} s   (runs: {serial_times})")
    print(f"local cluster, 2 workers x 1 thr: {c:8.2f} s   (runs: {cluster_times})")
    fs, fc = serial.table["fit_time"].sum(), parallel.table["fit_time"].sum()
    print(f"sum of trial times: serial {fs:.2f} s, cluster {fc:.2f} s (a trial's own time; "
          "the cluster's larger sum is time its workers waited for a core)")
    print(f"speed-up: {s / c:.2f}x   tables identical: yes   best CV accuracy: "
          f"{serial.best_score:.4f}")


if __name__ == "__main__":
    main()
