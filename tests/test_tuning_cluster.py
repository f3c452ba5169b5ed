"""nnlab.tuning on real Dask clusters: every strategy gives the same table serially, on a
local cluster of worker processes, and on a cluster of `dask scheduler` / `dask worker`
processes started here on 127.0.0.1 (timing columns aside)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from nnlab.tuning import Choice, Float, Int, Search, Space, TuneData, comparable


def _warm(client) -> None:
    """Import the trial code on every worker once, so tests time searches, not imports."""
    client.run(lambda: __import__("nnlab.tuning.trial") and None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def cluster_address():
    """A scheduler and two single-threaded workers, each its own process."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    dask = [sys.executable, "-m", "distributed.cli.dask_scheduler"]
    procs = [subprocess.Popen(
        dask + ["--host", "127.0.0.1", "--port", str(port), "--dashboard-address", ":0",
                "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )]  # fmt: skip
    from dask.distributed import Client

    worker = [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
              "--no-dashboard", "--host", "127.0.0.1"]  # fmt: skip
    for _ in range(2):
        procs.append(subprocess.Popen(worker, env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with Client(address, timeout=5) as client:
                    client.wait_for_workers(2, timeout=max(1.0, deadline - time.monotonic()))
                    _warm(client)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)


@pytest.fixture(scope="module")
def local_client():
    """A LocalCluster of two worker processes on 127.0.0.1 (what scheduler="processes"
    starts), reused across the tests of this module."""
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           host="127.0.0.1", dashboard_address=None)  # fmt: skip
    client = Client(cluster)
    _warm(client)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def iris_data():
    return TuneData.from_source("iris", cv=2, seed=3, test_size=0.2)


SPACE = dict(
    n_layers=Int(1, 2),
    units_1=Choice([4, 8]),
    units_2=Choice([4, 6], when={"n_layers": [2]}),
    learning_rate=Float(0.005, 0.05, log=True),
    activation=Choice(["relu", "tanh"]),
    batch_size=32,
)
CASES = {
    "grid": dict(space=dict(n_layers=Int(1, 2), units_1=Choice([4, 8]),
                            units_2=Choice([4], when={"n_layers": [2]}), epochs=4),
                 n_trials=None),
    "random": dict(space={**SPACE, "epochs": 4}, n_trials=5),
    "halving": dict(space={**SPACE, "epochs": 6}, n_trials=5),
    "hyperband": dict(space={**SPACE, "epochs": 4}, n_trials=None),
    "bayes": dict(space={**SPACE, "epochs": 8}, n_trials=6),
}  # fmt: skip


def _options(strategy):
    from nnlab.tuning.strategies import get

    if strategy == "bayes":  # rounds of 3 so the second round is pruned by the first
        from optuna.pruners import MedianPruner

        return get("bayes", round_size=3, n_startup_trials=3,
                   pruner=MedianPruner(n_startup_trials=2))  # fmt: skip
    if strategy == "hyperband":
        return get("hyperband", factor=2)
    return get(strategy, round_size=3)


@pytest.mark.parametrize("strategy", sorted(CASES))
def test_same_table_serial_processes_cluster(strategy, iris_data, local_client,
                                             cluster_address):  # fmt: skip
    case = CASES[strategy]
    tables = {}
    for backend in ("serial", local_client, cluster_address):
        search = Search(iris_data, Space(**case["space"]), strategy=_options(strategy),
                        n_trials=case["n_trials"], seed=11, scheduler=backend,
                        refit=False)  # fmt: skip
        tables[str(backend)[:12]] = comparable(search.run().table)
    serial, processes, cluster = tables.values()
    assert len(serial) >= 4 and (serial["status"] != "failed").all()
    assert serial["mean_test_score"].nunique() > 1  # trials differ, so equality means something
    pd.testing.assert_frame_equal(serial, processes)
    pd.testing.assert_frame_equal(serial, cluster)
    if strategy == "halving":
        assert set(serial["status"]) == {"promoted", "eliminated", "ok"}
    if strategy == "bayes":
        assert "pruned" in set(serial["status"])


def test_cluster_address_string(iris_data, cluster_address):
    """With an address string the search connects (and disconnects) by itself."""
    from dask.distributed import Client

    space = Space(units=Choice([4, 8, 12]), epochs=2)
    result = Search(iris_data, space, strategy="grid", scheduler=cluster_address,
                    refit=False).run()  # fmt: skip
    assert list(result.table["param_units"]) == [4, 8, 12]
    with Client(cluster_address) as client:  # the worker processes are still there
        assert len(client.scheduler_info()["workers"]) == 2


def test_data_is_scattered_once_and_identical_trials_are_not_merged(iris_data,
                                                                     cluster_address):  # fmt: skip
    from dask.distributed import Future

    from nnlab.tuning.backends import DaskBackend
    from nnlab.tuning.trial import TrialSpec

    backend = DaskBackend(cluster_address)
    backend.start(iris_data)
    try:
        assert isinstance(backend.data, Future)  # every task gets this one reference
        holders = backend.client.who_has([backend.data])[backend.data.key]
        assert len(holders) == 2  # broadcast: on both workers before any trial
        spec = TrialSpec("0:full", 0, {"units": 4, "epochs": 1}, None, 7)
        futures = backend.submit([spec, spec])
        assert futures[0].key != futures[1].key  # pure=False: two tasks, not one
        a, b = (f.result() for f in futures)
        assert a["test"] == b["test"] and a["status"] == "ok"
    finally:
        backend.close()


def test_a_dead_workers_trials_rerun_elsewhere(iris_data, cluster_address):
    """A third worker (no nanny) is SIGKILLed while it runs a trial: the scheduler reruns
    its tasks on the other workers and the table equals the serial one."""
    import threading

    from dask.distributed import Client

    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    doomed = subprocess.Popen(
        [sys.executable, "-m", "distributed.cli.dask_worker", cluster_address, "--nthreads",
         "1", "--no-nanny", "--no-dashboard", "--host", "127.0.0.1", "--name", "doomed"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    client = Client(cluster_address)
    try:
        client.wait_for_workers(3, timeout=60)
        _warm(client)
        address = next(a for a, w in client.scheduler_info()["workers"].items()
                       if w.get("name") == "doomed")  # fmt: skip
        killed, seen = threading.Event(), []

        def kill_when_busy():
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and not killed.is_set():
                busy = client.processing()
                seen.append({a: len(k) for a, k in busy.items()})
                if busy.get(address):
                    doomed.send_signal(signal.SIGKILL)
                    killed.set()
                time.sleep(0.005)

        space = Space(units=Choice([4, 8, 12, 16]), learning_rate=Float(0.005, 0.05, log=True),
                      epochs=30)  # fmt: skip
        kwargs = dict(strategy="random", n_trials=8, seed=4, refit=False)
        watcher = threading.Thread(target=kill_when_busy)
        watcher.start()
        on_cluster = Search(iris_data, space, scheduler=client, **kwargs).run().table
        watcher.join()
        assert killed.is_set(), f"the third worker never got a trial: {seen[-5:]}"
        assert doomed.wait(10) == -signal.SIGKILL
        serial = Search(iris_data, space, scheduler="serial", **kwargs).run().table
        pd.testing.assert_frame_equal(comparable(serial), comparable(on_cluster))
        assert (serial["status"] == "ok").all()
    finally:
        client.close()
        if doomed.poll() is None:
            doomed.kill()
