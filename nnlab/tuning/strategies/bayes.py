"""Bayesian search: Optuna's TPE sampler and median pruner through ask-and-tell.

Each round asks the study for `round_size` configurations (`study.ask()` then
`space.suggest(trial)`), so the proposals depend on the seed and on completed rounds
only, never on how many workers there are. A trial whose `epochs` is larger than
`prune_epoch` first runs `prune_epoch` epochs (every fold); its fold-mean held-out
score after each epoch is reported to Optuna (`trial.report`) and Optuna's pruner
(`MedianPruner` by default) decides, in plan order and before anything of the round is
told, whether to stop it: it compares only with trials of completed rounds. Survivors
are trained again from scratch for their full epochs with the same seed (the first
`prune_epoch` epochs repeat exactly: the rerun is the warm continuation, at the price
of those epochs). Their records are marked "continued" and "pruned" for the others.
"""

from __future__ import annotations

import warnings

import numpy as np

from nnlab.tuning.strategies.base import Strategy, spec


def fold_mean_curve(record: dict) -> list[float]:
    """Fold-mean held-out score per epoch (a fold that stopped early keeps its last)."""
    curves = [c for c in record.get("curve", []) if c]
    if not curves:
        return []
    n = max(len(c) for c in curves)
    padded = [c + [c[-1]] * (n - len(c)) for c in curves]
    return [float(v) for v in np.mean(padded, axis=0)]


class BayesSearch(Strategy):
    """TPE proposals in fixed-size rounds, with pruning after early epochs.

    Args:
        round_size: configurations asked per round.
        prune_epoch: epochs before the pruning decision; None: a quarter of the
            configuration's epochs (no pruning below 4 epochs); 0 disables pruning.
        n_startup_trials: random proposals before TPE starts (Optuna's default 10).
        pruner: an Optuna pruner; default MedianPruner(n_startup_trials=round_size).
    """

    name = "bayes"

    def __init__(self, round_size: int = 8, prune_epoch: int | None = None,
                 n_startup_trials: int = 10, pruner=None):  # fmt: skip
        super().__init__(round_size)
        self.prune_epoch = prune_epoch
        self.n_startup_trials = n_startup_trials
        self.pruner = pruner

    def options(self) -> dict:
        pruner = type(self.pruner).__name__ if self.pruner else "MedianPruner"
        return {"round_size": self.round_size, "prune_epoch": self.prune_epoch,
                "n_startup_trials": self.n_startup_trials, "pruner": pruner}  # fmt: skip

    def _warmup(self, params: dict) -> int:
        epochs = int(params.get("epochs", 200))
        warm = epochs // 4 if self.prune_epoch is None else int(self.prune_epoch)
        return warm if 0 < warm < epochs else 0

    def study(self, seed: int):
        import optuna

        optuna.logging.set_verbosity(optuna.logging.WARNING)
        pruner = self.pruner or optuna.pruners.MedianPruner(n_startup_trials=self.round_size)
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=self.n_startup_trials)
        return optuna.create_study(direction="maximize", sampler=sampler, pruner=pruner,
                                   study_name=f"nnlab-{seed}")  # fmt: skip

    def plan(self, space, n_trials, seed):
        from optuna.trial import TrialState

        from nnlab.tuning.strategies import mean_score

        if not n_trials:
            raise ValueError("The bayes strategy needs a number of trials (n_trials >= 1).")
        study = self.study(seed)
        done = 0
        while done < n_trials:
            size = min(self.round_size, n_trials - done)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Optuna's experimental-feature notes
                trials = [study.ask() for _ in range(size)]
                configs = [space.suggest(t) for t in trials]
            ids = range(done, done + size)
            done += size
            warm = {i: self._warmup(c) for i, c in zip(ids, configs)}
            first = [spec(seed, i, c, warm[i]) for i, c in zip(ids, configs) if warm[i]]
            pruned = set()
            if first:
                records = yield first
                for s, record in zip(first, records):
                    trial = trials[s.candidate - ids.start]
                    for step, value in enumerate(fold_mean_curve(record)):
                        trial.report(value, step)
                    if record["status"] == "failed":
                        study.tell(trial, state=TrialState.FAIL)
                        pruned.add(s.candidate)
                    elif trial.should_prune():
                        study.tell(trial, state=TrialState.PRUNED)
                        self.marks[s.key] = "pruned"
                        pruned.add(s.candidate)
                    else:
                        self.marks[s.key] = "continued"
            full = [spec(seed, i, c) for i, c in zip(ids, configs) if i not in pruned]
            records = yield full
            for s, record in zip(full, records):
                trial = trials[s.candidate - ids.start]
                score = mean_score(record)
                if record["status"] == "failed" or not np.isfinite(score):
                    study.tell(trial, state=TrialState.FAIL)
                else:
                    if not warm[s.candidate]:
                        for step, value in enumerate(fold_mean_curve(record)):
                            trial.report(value, step)
                    study.tell(trial, score)
