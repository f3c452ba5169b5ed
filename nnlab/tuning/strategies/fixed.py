"""Grid and random search: a fixed list of candidates, run in rounds.

`GridSearch` takes scikit-learn's `ParameterGrid` order (the first `n_trials` when given);
`RandomSearch` draws `n_trials` configurations with scikit-learn's `ParameterSampler`
and the search seed.
"""

from __future__ import annotations

from nnlab.tuning.strategies.base import Strategy, rounds, spec


class _FixedList(Strategy):
    def candidates(self, space, n_trials, seed) -> list[dict]:
        raise NotImplementedError

    def plan(self, space, n_trials, seed):
        configs = self.candidates(space, n_trials, seed)
        specs = [spec(seed, i, c) for i, c in enumerate(configs)]
        for chunk in rounds(specs, self.round_size):
            _records = yield chunk  # a fixed list does not depend on the records


class GridSearch(_FixedList):
    """Every combination of the space (floats need a step), in ParameterGrid order.

    Args:
        round_size: trials per round.
    """

    name = "grid"

    def candidates(self, space, n_trials, seed):
        grid = space.grid()
        return grid if not n_trials else grid[:n_trials]


class RandomSearch(_FixedList):
    """`n_trials` configurations drawn by ParameterSampler with the search seed.

    Args:
        round_size: trials per round.
    """

    name = "random"

    def candidates(self, space, n_trials, seed):
        if not n_trials:
            raise ValueError("The random strategy needs a number of trials (n_trials >= 1).")
        return space.sample(n_trials, seed)
