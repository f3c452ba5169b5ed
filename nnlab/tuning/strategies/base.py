"""What every strategy shares: per-candidate seeds, rounds, and the record statuses."""

from __future__ import annotations

import numpy as np

from nnlab.tuning.trial import TrialSpec

_SEED_MAX = 2**31 - 1


def candidate_seed(seed: int, candidate: int) -> int:
    """The trial seed of candidate `candidate` in a search with `seed` (SeedSequence).

    Example:
        >>> candidate_seed(0, 3) == candidate_seed(0, 3) != candidate_seed(0, 4)
        True
    """
    state = np.random.SeedSequence([int(seed), int(candidate)]).generate_state(1)
    return int(state[0] % _SEED_MAX)


def spec(seed: int, candidate: int, params: dict, epochs=None) -> TrialSpec:
    """The TrialSpec of a candidate at a budget (None: the configuration's own epochs)."""
    budget = "full" if epochs is None else f"e{int(epochs)}"
    return TrialSpec(f"{candidate}:{budget}", candidate, params, epochs,
                     candidate_seed(seed, candidate))  # fmt: skip


def rounds(items: list, size: int):
    """`items` in consecutive chunks of `size` (the last may be shorter)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


class Strategy:
    """Base: `marks` (record key -> status) and the round size."""

    name = "strategy"

    def __init__(self, round_size: int = 8):
        if isinstance(round_size, bool) or not isinstance(round_size, int) or round_size < 1:
            raise ValueError(f"round_size must be an int >= 1. Received: {round_size!r}")
        self.round_size = round_size
        self.marks: dict[str, str] = {}

    def options(self) -> dict:
        """The settings that shape the plan (stored in the results file's header)."""
        return {"round_size": self.round_size}

    def plan(self, space, n_trials: int, seed: int):
        raise NotImplementedError
