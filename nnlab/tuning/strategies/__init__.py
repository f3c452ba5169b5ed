"""Search strategies: which configurations to try, in rounds, and with what budget.

A strategy's `plan(space, n_trials, seed)` is a generator: it yields a round (a list of
`TrialSpec`), receives that round's records (same order) and decides the next round
from them. Rounds have a fixed size that does not depend on the number of workers,
and the records of a round are told back in plan order, so a seed gives the same
search on any backend. `marks` holds statuses a strategy gives finished records
("promoted", "eliminated", "continued", "pruned"); the best configuration is chosen
among records left "ok".
"""

from __future__ import annotations

import numpy as np

from nnlab.tuning.strategies.bayes import BayesSearch
from nnlab.tuning.strategies.fixed import GridSearch, RandomSearch
from nnlab.tuning.strategies.halving import Hyperband, SuccessiveHalving

STRATEGIES = {
    "grid": GridSearch,
    "random": RandomSearch,
    "halving": SuccessiveHalving,
    "hyperband": Hyperband,
    "bayes": BayesSearch,
}


def get(identifier, **kwargs):
    """A strategy from its name (or an instance, returned as is)."""
    if not isinstance(identifier, str):
        return identifier
    if identifier not in STRATEGIES:
        raise ValueError(f"Unknown strategy {identifier!r}. Expected one of {sorted(STRATEGIES)}.")
    return STRATEGIES[identifier](**kwargs)


def mean_score(record: dict) -> float:
    """The fold-mean held-out score of a record (nan for a failed one)."""
    if record.get("status") == "failed" or not record.get("test"):
        return float("nan")
    return float(np.mean([fold["score"] for fold in record["test"]]))


__all__ = [
    "STRATEGIES",
    "BayesSearch",
    "GridSearch",
    "Hyperband",
    "RandomSearch",
    "SuccessiveHalving",
    "get",
    "mean_score",
]
