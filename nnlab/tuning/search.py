"""The trial loop: a strategy proposes rounds, a backend runs them, a file keeps them.

`Search(...).run()` asks the strategy for a round, skips the trials already in the
results file (resume), runs the others on the backend, appends each record to the
file as it completes, hands the round's records back in plan order, and repeats. Then
it builds the table, picks the best "ok" row, refits that configuration on all training
rows and scores it once on the held-out test rows.

Example:
    >>> from nnlab.tuning import Choice, Search, Space
    >>> space = Space(units=Choice([4, 8]), epochs=2, learning_rate=0.05)
    >>> result = Search("iris", space, strategy="grid", cv=2, scheduler="serial").run()
    >>> list(result.table["param_units"]), result.best_params["units"] in (4, 8)
    ([4, 8], True)
"""

from __future__ import annotations

import contextlib
import dataclasses

from nnlab.tuning import backends, strategies
from nnlab.tuning.config import check_names
from nnlab.tuning.data import TuneData
from nnlab.tuning.refit import refit_best
from nnlab.tuning.results_file import ResultsFile
from nnlab.tuning.space import Space
from nnlab.tuning.table import best_row, build_table
from nnlab.tuning.trial import TrialSpec


class Search:
    """A hyper-parameter search with k-fold scoring.

    Args:
        data: a TuneData, a dataset name or a CSV path (then `target`).
        space: a Space, a dict (Space.from_dict) or a TOML path; None: the default
            space of the task (see nnlab.tuning.defaults).
        strategy: "grid", "random", "halving", "hyperband", "bayes" or an instance.
        n_trials: candidates to try (grid: the first n; None: all of the grid).
        cv: folds on the training rows (ignored when data is a TuneData).
        seed: drives the test split, the folds, the proposals and every trial's seed.
        scheduler: "serial", "processes" (a local cluster; the default), a Dask
            scheduler address "tcp://host:port" or a dask.distributed.Client.
        n_workers: worker processes of a local cluster (default: one per core).
        results: path of the results file (None: keep the records in memory only).
        resume: continue the search recorded in `results`.
        test_size: share of rows held out for the final test.
        target: the target column of a CSV.
        progress: show a progress bar of trials (tqdm).
        refit: refit the best configuration on all training rows and test it.
    """

    def __init__(self, data, space=None, strategy="random", n_trials=None, cv=5, seed=0,
                 scheduler="processes", n_workers=None, results=None, resume=False,
                 test_size=0.2, target="", progress=False, refit=True):  # fmt: skip
        if not isinstance(data, TuneData):
            data = TuneData.from_source(str(data), target, cv=cv, seed=seed, test_size=test_size)
        self.data = data
        if space is None:
            from nnlab.tuning.defaults import default_space

            space = default_space(data.task)
        elif isinstance(space, dict):
            space = Space.from_dict(space)
        elif not isinstance(space, Space):
            space = Space.from_toml(space)
        check_names(space.params, data.task)
        self.space = space
        self.strategy = strategies.get(strategy)
        self.n_trials = n_trials
        self.seed = int(seed)
        self.backend = backends.get(scheduler, n_workers)
        self.results_path = results
        self.resume = resume
        self.progress = progress
        self.refit = refit

    def header(self) -> dict:
        """What identifies this search in its results file."""
        return {
            "nnlab_tune": 1,
            "strategy": self.strategy.name,
            "options": self.strategy.options(),
            "n_trials": self.n_trials,
            "seed": self.seed,
            "space": self.space.to_dict(),
            "data": self.data.name,
            "task": self.data.task,
            "cv": len(self.data.folds),
            "data_fingerprint": self.data.fingerprint(),
        }

    def run(self):
        """Run (or finish) the search; returns a SearchResult."""
        with contextlib.ExitStack() as stack:
            store = _MemoryStore()
            if self.results_path:
                store = stack.enter_context(
                    ResultsFile(self.results_path, self.header(), self.resume)
                )
            bar = _bar(self.progress, stack)
            records = self._loop(store, bar)
        table = build_table(records, self.strategy.marks, list(self.space.params))
        best = best_row(table)
        result = SearchResult(table=table, records=records, best_index=best,
                              best_params=records[best]["params"],
                              best_budget=records[best]["epochs"],
                              best_score=float(table.loc[best, "mean_test_score"]),
                              data=self.data, strategy=self.strategy.name)  # fmt: skip
        if self.refit:
            refit_best(result)
        return result

    def _loop(self, store, bar) -> list[dict]:
        plan = self.strategy.plan(self.space, self.n_trials, self.seed)
        records: list[dict] = []
        started = self._backend_started = False
        try:
            round_records = None
            while True:
                specs = plan.send(round_records) if started else next(plan)
                started = True
                round_records = self._run_round(specs, store, bar)
                records.extend(round_records)
        except StopIteration:
            pass
        finally:
            if self._backend_started:
                self.backend.close()
        return records

    def _run_round(self, specs: list[TrialSpec], store, bar) -> list[dict]:
        todo = [s for s in specs if s.key not in store.finished]
        if todo:
            if not self._backend_started:
                self.backend.start(self.data)
                self._backend_started = True
            for record in self.backend.run(todo):
                store.append(record)
                bar.update(1)
        bar.update(len(specs) - len(todo))
        return [store.finished[s.key] for s in specs]


class _MemoryStore:
    def __init__(self):
        self.finished: dict[str, dict] = {}

    def append(self, record: dict) -> None:
        self.finished[record["key"]] = record


class _NoBar:
    def update(self, n: int) -> None:
        pass


def _bar(progress: bool, stack):
    if not progress:
        return _NoBar()
    from tqdm import tqdm

    return stack.enter_context(tqdm(desc="trials", unit="trial"))


@dataclasses.dataclass
class SearchResult:
    """What a search produced: the table, the best configuration, the refitted model.

    Attributes:
        table: pandas DataFrame (see nnlab.tuning.table).
        records: the raw trial records, in plan order.
        best_index, best_params, best_score, best_budget: the winning row.
        estimator, preprocessor, test_metrics: the refitted best model (refit=True).
    """

    table: object
    records: list
    best_index: int
    best_params: dict
    best_score: float
    best_budget: object
    data: TuneData
    strategy: str
    estimator: object = None
    preprocessor: object = None
    test_metrics: dict = dataclasses.field(default_factory=dict)

    def save_model(self, path) -> None:
        """The refitted best model as an .nnlab file, with its fitted preprocessing."""
        if self.estimator is None:
            raise ValueError("No refitted model: run the search with refit=True.")
        metadata = {"tuning": {"params": self.best_params, "cv_score": self.best_score,
                               "test": self.test_metrics,
                               "degree": self.best_params.get("degree", 1)}}  # fmt: skip
        self.estimator.model_.save(path, preprocessing=self.preprocessor, metadata=metadata)

    def write_report(self, path) -> None:
        """The HTML report (see nnlab.tuning.report)."""
        from nnlab.tuning.report import write_report

        write_report(path, self)
