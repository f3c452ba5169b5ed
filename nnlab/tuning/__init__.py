"""Hyper-parameter tuning with k-fold scoring, in one process or on a Dask cluster.

    space = Space(n_layers=Int(1, 2), units_1=Choice([16, 32]),
                  learning_rate=Float(1e-3, 1e-1, log=True))
    result = Search("iris", space, strategy="bayes", n_trials=20, cv=5).run()
    result.table, result.best_params, result.test_metrics
    result.save_model("best.nnlab"); result.write_report("tuning.html")

See docs/tuning.md. The pieces, one per module: space (parameters and conditions),
strategies (grid, random, halving, hyperband, bayes), trial (one configuration's k-fold
run), backends (serial, Dask), results_file (append-only, resumable), table, refit,
report, cli (`nnlab tune`).
"""

from nnlab.tuning.data import TuneData
from nnlab.tuning.search import Search, SearchResult
from nnlab.tuning.space import Choice, Float, Int, Space
from nnlab.tuning.table import TIMING_COLUMNS, comparable

__all__ = [
    "TIMING_COLUMNS",
    "Choice",
    "Float",
    "Int",
    "Search",
    "SearchResult",
    "Space",
    "TuneData",
    "comparable",
]
