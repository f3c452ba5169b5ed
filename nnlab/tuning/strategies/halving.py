"""Successive halving and Hyperband, with training epochs as the budget.

`SuccessiveHalving` follows scikit-learn's `HalvingRandomSearchCV` with
`resource="epochs"`: `n_trials` random candidates start at `min_epochs` (by default
the smallest budget that lets the last iteration reach `max_epochs`, sklearn's
"exhaust"), and each iteration keeps the best ceil(n / factor) and gives them factor
times the epochs, refitting from scratch, until one budget or one candidate is left.
The number of iterations is min(1 + floor(log_f n_trials), 1 + floor(log_f(max/min))).

`Hyperband` runs the brackets of Li et al. (2018): with R = max_epochs / min_epochs and
s_max = floor(log_f R), bracket s = s_max .. 0 starts n = ceil((s_max + 1) f^s / (s + 1))
candidates at R f^-s budget units and halves them s times, keeping floor(n_i / f).

The budget is the `epochs` parameter, so the space must fix `epochs` (as sklearn
refuses to search its resource). Each rung is one round; the winner comes from the
last rung (of any bracket): those records stay "ok", earlier ones become "promoted" or
"eliminated".
"""

from __future__ import annotations

import math

from nnlab.tuning.strategies.base import Strategy, spec


def _max_epochs(space) -> int:
    entry = space.params.get("epochs")
    options = getattr(entry, "options", None)
    if options is None or len(options) != 1 or not isinstance(options[0], int):
        raise ValueError(
            "Halving and Hyperband use epochs as the budget: the space must fix `epochs` "
            "to one int (the most epochs a candidate gets), e.g. epochs = 27. "
            f"Received: epochs = {entry!r}"
        )
    return int(options[0])


def _check_factor(factor) -> int:
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 2:
        raise ValueError(f"factor must be an int >= 2. Received: factor={factor!r}")
    return factor


def _ranked(candidates: list[int], records: list[dict]) -> list[int]:
    """Candidates best first (fold-mean score; failures last; ties by candidate)."""
    from nnlab.tuning.strategies import mean_score

    def key(pair):
        score = mean_score(pair[1])
        return (-(score if score == score else -math.inf), pair[0])

    return [c for c, _ in sorted(zip(candidates, records), key=key)]


class _Halving(Strategy):
    def _run_bracket(self, seed, configs: dict, budgets: list[int], keep):
        """Halve `configs` (candidate -> params) over `budgets`; keep(n) survivors."""
        alive = sorted(configs)
        for level, epochs in enumerate(budgets):
            specs = [spec(seed, c, configs[c], epochs) for c in alive]
            records = yield specs
            if level == len(budgets) - 1:
                return
            kept = set(_ranked(alive, records)[: keep(len(alive))])
            for s in specs:
                self.marks[s.key] = "promoted" if s.candidate in kept else "eliminated"
            alive = [c for c in alive if c in kept]
            if not alive:
                return


class SuccessiveHalving(_Halving):
    """scikit-learn's successive halving with epochs as the resource.

    Args:
        factor: the halving factor (keep 1/factor, give factor x epochs).
        min_epochs: the first iteration's epochs; None: sklearn's "exhaust".
    """

    name = "halving"

    def __init__(self, factor: int = 3, min_epochs: int | None = None, round_size: int = 8):
        super().__init__(round_size)
        self.factor = _check_factor(factor)
        self.min_epochs = min_epochs

    def options(self) -> dict:
        return {"factor": self.factor, "min_epochs": self.min_epochs}

    def schedule(self, n_candidates: int, max_epochs: int) -> list[int]:
        """Epochs of each iteration (scikit-learn's rule, resource = epochs).

        Example:
            >>> SuccessiveHalving(factor=3).schedule(n_candidates=9, max_epochs=27)
            [3, 9, 27]
        """
        f = self.factor
        required = 1 + int(math.floor(math.log(n_candidates, f) + 1e-9))
        low = self.min_epochs or max(1, max_epochs // f ** (required - 1))
        possible = 1 + int(math.floor(math.log(max(max_epochs // low, 1), f) + 1e-9))
        return [min(low * f**i, max_epochs) for i in range(min(required, possible))]

    def plan(self, space, n_trials, seed):
        if not n_trials:
            raise ValueError("The halving strategy needs a number of candidates (n_trials).")
        budgets = self.schedule(n_trials, _max_epochs(space))
        configs = dict(enumerate(space.sample(n_trials, seed)))
        yield from self._run_bracket(seed, configs, budgets, lambda n: math.ceil(n / self.factor))


class Hyperband(_Halving):
    """Hyperband's brackets of successive halving; `n_trials` is not used (the brackets
    set the number of candidates).

    Args:
        factor: eta, the halving factor.
        min_epochs: the smallest budget (one budget unit).
    """

    name = "hyperband"

    def __init__(self, factor: int = 3, min_epochs: int = 1, round_size: int = 8):
        super().__init__(round_size)
        self.factor = _check_factor(factor)
        self.min_epochs = min_epochs

    def options(self) -> dict:
        return {"factor": self.factor, "min_epochs": self.min_epochs}

    def brackets(self, max_epochs: int) -> list[tuple[int, list[int]]]:
        """(candidates, epochs per rung) of every bracket, most aggressive first.

        Example:
            >>> Hyperband(factor=3).brackets(9)
            [(9, [1, 3, 9]), (5, [3, 9]), (3, [9])]
        """
        f, R = self.factor, max_epochs / self.min_epochs
        s_max = int(math.floor(math.log(R, f) + 1e-9))
        out = []
        for s in range(s_max, -1, -1):
            n = int(math.ceil((s_max + 1) * f**s / (s + 1)))
            budgets = [int(round(self.min_epochs * R * f ** (i - s))) for i in range(s + 1)]
            out.append((n, budgets))
        return out

    def plan(self, space, n_trials, seed):
        brackets = self.brackets(_max_epochs(space))
        configs = space.sample(sum(n for n, _ in brackets), seed)
        first = 0
        for n, budgets in brackets:
            mine = {first + i: configs[first + i] for i in range(n)}
            first += n
            yield from self._run_bracket(seed, mine, budgets, lambda k: k // self.factor)
