"""Where trials run: in this process, or on Dask workers (local processes or a cluster).

`SerialBackend` runs trials one after another here. `DaskBackend` sends the search data
to every worker once (`Client.scatter(..., broadcast=True)`), submits one task per trial
with `pure=False` (two trials are never merged as identical tasks) and yields records as
they complete (`as_completed`). It connects to `scheduler` (a "tcp://host:port"
address or a `dask.distributed.Client`), or starts a `LocalCluster` of `n_workers`
single-threaded worker processes on 127.0.0.1 (default: one per core). A worker that
dies has its task rerun elsewhere by the scheduler; an exception inside a trial is
already a "failed" record.
"""

from __future__ import annotations

import os

from nnlab.tuning.trial import run_trial


class SerialBackend:
    """Trials one by one in this process."""

    name = "serial"

    def start(self, data) -> None:
        self.data = data

    def run(self, specs):
        for spec in specs:
            yield run_trial(self.data, spec)

    def close(self) -> None:
        self.data = None


class DaskBackend:
    """Trials as Dask tasks.

    Args:
        scheduler: None (start a local cluster), an address, or a Client.
        n_workers: worker processes of the local cluster (default: os.cpu_count()).
    """

    name = "dask"

    def __init__(self, scheduler=None, n_workers: int | None = None):
        self.scheduler = scheduler
        self.n_workers = n_workers
        self.client = None
        self._own = []

    def start(self, data) -> None:
        from dask.distributed import Client, LocalCluster

        if isinstance(self.scheduler, Client):
            self.client = self.scheduler
        elif isinstance(self.scheduler, str):
            self.client = Client(self.scheduler)
            self._own = [self.client]
        else:
            cluster = LocalCluster(
                n_workers=self.n_workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = Client(cluster)
            self._own = [self.client, cluster]
        self._payload = data
        self._scatter()

    def _scatter(self) -> None:
        # a fresh key per search (hash=False): no clash with an earlier search's copy
        self.data = self.client.scatter(self._payload, broadcast=True, hash=False)

    def submit(self, specs) -> list:
        """One task per spec: the scattered data's future and the spec as arguments."""
        return [self.client.submit(run_trial, self.data, s, pure=False) for s in specs]

    def run(self, specs, max_resubmits: int = 3):
        """Records as trials complete. A task lost with its worker is rerun by the
        scheduler; one that comes back cancelled (its data was lost with the worker)
        is submitted again, with the data scattered again if needed."""
        from dask.distributed import as_completed

        futures = self.submit(specs)
        owner = {f.key: s for f, s in zip(futures, specs)}
        resubmits = 0
        pending = as_completed(futures)
        for future in pending:
            try:
                record = future.result()
            except Exception:
                resubmits += 1
                if resubmits > max_resubmits * len(specs):
                    raise
                if self.data.status != "finished":
                    self._scatter()
                (again,) = self.submit([owner[future.key]])
                owner[again.key] = owner[future.key]
                pending.add(again)
                continue
            yield record

    def close(self) -> None:
        for thing in self._own:
            thing.close()
        self._own = []


def get(scheduler=None, n_workers: int | None = None):
    """"serial" -> SerialBackend; "processes"/None -> a local cluster; an address or a
    Client -> that cluster."""
    if scheduler == "serial":
        return SerialBackend()
    if scheduler in (None, "processes", "local"):
        return DaskBackend(None, n_workers)
    return DaskBackend(scheduler, n_workers)
