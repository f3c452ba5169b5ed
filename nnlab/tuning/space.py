"""The search space: named parameters, their ranges, and conditions between them.

A space maps names to `Int`, `Float`, `Choice` or a fixed value. A parameter with
`when={"n_layers": [2, 3]}` exists only when `n_layers` is 2 or 3 (widths only for the
layers that exist); inactive parameters are absent from a configuration. The same space
drives every strategy: `grid()` (scikit-learn's `ParameterGrid`), `sample(n, seed)`
(scikit-learn's `ParameterSampler`) and `suggest(trial)` (Optuna's define-by-run API).

In TOML (`Space.from_toml`), one table per space:

    [space]
    n_layers = { int = [1, 3] }
    units_1 = { choice = [16, 32, 64] }
    units_2 = { choice = [16, 32, 64], when = { n_layers = [2, 3] } }
    learning_rate = { float = [1e-4, 1e-1], log = true }
    epochs = 40

Example:
    >>> space = Space(n_layers=Int(1, 2), units_1=Choice([4, 8]),
    ...               units_2=Choice([4], when={"n_layers": [2]}), epochs=5)
    >>> space.grid()[:2]
    [{'n_layers': 1, 'units_1': 4, 'epochs': 5}, {'n_layers': 1, 'units_1': 8, 'epochs': 5}]
    >>> len(space.grid())
    4
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field

import numpy as np
import tomllib


def _number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


@dataclass(frozen=True)
class Int:
    """An integer in [low, high] (both included), linear or log-uniform, with a step."""

    low: int
    high: int
    step: int = 1
    log: bool = False
    when: dict = field(default_factory=dict)

    def __post_init__(self):
        ints = all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                   for v in (self.low, self.high, self.step))  # fmt: skip
        if not ints or self.low > self.high or self.step < 1 or (self.log and self.low < 1):
            raise ValueError(
                "Int(low, high, step, log) expects ints with low <= high, step >= 1 and "
                f"low >= 1 for log. Received: low={self.low!r}, high={self.high!r}, "
                f"step={self.step!r}, log={self.log!r}"
            )

    def values(self, name: str) -> list:
        return list(range(self.low, self.high + 1, self.step))

    def distribution(self):
        if not self.log:
            return self.values("")
        return _LogInt(self.low, self.high)

    def suggest(self, trial, name: str):
        return trial.suggest_int(name, self.low, self.high, step=self.step, log=self.log)


@dataclass(frozen=True)
class Float:
    """A float in [low, high], uniform or log-uniform; a grid needs a `step`."""

    low: float
    high: float
    step: float | None = None
    log: bool = False
    when: dict = field(default_factory=dict)

    def __post_init__(self):
        ok = _number(self.low) and _number(self.high) and self.low < self.high
        if not ok or (self.log and self.low <= 0) or (self.step is not None and self.step <= 0):
            raise ValueError(
                "Float(low, high, step, log) expects numbers with low < high, low > 0 for "
                f"log and step > 0. Received: low={self.low!r}, high={self.high!r}, "
                f"step={self.step!r}, log={self.log!r}"
            )

    def values(self, name: str) -> list:
        if self.step is None:
            raise ValueError(
                f"A grid over {name!r} = Float({self.low}, {self.high}) needs a step (or use "
                "a Choice of values, or the random or bayes strategy)."
            )
        n = int(math.floor((self.high - self.low) / self.step + 1e-9)) + 1
        return [float(self.low + i * self.step) for i in range(n)]

    def distribution(self):
        from scipy import stats

        if self.step is not None:
            return self.values("")
        if self.log:
            return stats.loguniform(self.low, self.high)
        return stats.uniform(self.low, self.high - self.low)

    def suggest(self, trial, name: str):
        return trial.suggest_float(name, self.low, self.high, step=self.step, log=self.log)


@dataclass(frozen=True)
class Choice:
    """One of a list of values (numbers, strings, booleans)."""

    options: list
    when: dict = field(default_factory=dict)

    def __post_init__(self):
        if not isinstance(self.options, (list, tuple)) or not self.options:
            raise ValueError(f"Choice expects a non-empty list. Received: {self.options!r}")

    def values(self, name: str) -> list:
        return list(self.options)

    def distribution(self):
        return list(self.options)

    def suggest(self, trial, name: str):
        return trial.suggest_categorical(name, list(self.options))


class _LogInt:
    """A log-uniform integer distribution for ParameterSampler (an object with `rvs`)."""

    def __init__(self, low: int, high: int):
        from scipy import stats

        self.low, self.high = low, high
        self.dist = stats.loguniform(low, high + 1)

    def rvs(self, random_state=None):
        value = self.dist.rvs(random_state=random_state)
        return int(min(math.floor(value), self.high))


PARAM_TYPES = {"int": Int, "float": Float, "choice": Choice}


class Space:
    """Named parameters (Int, Float, Choice or fixed values) with optional conditions.

    Args:
        **params: name -> Int / Float / Choice, or any other value (fixed).
    """

    def __init__(self, **params):
        self.params = {}
        for name, spec in params.items():
            if not isinstance(spec, (Int, Float, Choice)):
                spec = Choice([spec])
            for parent, allowed in spec.when.items():
                if parent not in self.params:
                    raise ValueError(
                        f"Parameter {name!r} depends on {parent!r}, which must be declared "
                        f"before it. Declared so far: {list(self.params)}"
                    )
                if not isinstance(allowed, (list, tuple)):
                    raise ValueError(
                        f"{name!r}: when={{{parent!r}: ...}} expects a list of values. "
                        f"Received: {allowed!r}"
                    )
            self.params[name] = spec

    @classmethod
    def from_dict(cls, table: dict) -> Space:
        """A space from plain data: `{name: value | {"int"|"float"|"choice": ..., ...}}`."""
        params = {}
        for name, entry in table.items():
            if not isinstance(entry, dict):
                params[name] = entry
                continue
            kinds = [k for k in PARAM_TYPES if k in entry]
            if len(kinds) != 1:
                raise ValueError(
                    f"Space entry {name!r} needs exactly one of {sorted(PARAM_TYPES)}, e.g. "
                    f'{name} = {{ int = [1, 3] }}. Received: {entry!r}'
                )
            kind = kinds[0]
            extra = {k: v for k, v in entry.items() if k != kind}
            known = {"int": {"step", "log", "when"}, "float": {"step", "log", "when"},
                     "choice": {"when"}}[kind]  # fmt: skip
            unknown = sorted(set(extra) - known)
            if unknown:
                raise ValueError(
                    f"Space entry {name!r} ({kind}) has unknown keys {unknown}; "
                    f"allowed: {sorted(known)}"
                )
            args = entry[kind]
            if kind == "choice":
                params[name] = Choice(list(args), **extra)
            else:
                if not isinstance(args, list) or len(args) != 2:
                    raise ValueError(
                        f"Space entry {name!r}: {kind} = [low, high]. Received: {args!r}"
                    )
                params[name] = PARAM_TYPES[kind](args[0], args[1], **extra)
        return cls(**params)

    @classmethod
    def from_toml(cls, path) -> Space:
        """Read the `[space]` table of a TOML file (or the whole file if it has none)."""
        try:
            with open(path, "rb") as f:
                document = tomllib.load(f)
        except FileNotFoundError:
            raise ValueError(f"No such space file: {path}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path} is not valid TOML: {exc}") from None
        return cls.from_dict(document.get("space", document))

    def to_dict(self) -> dict:
        """Plain data for the results file's header (compared on resume)."""
        out = {}
        for name, spec in self.params.items():
            if isinstance(spec, Choice):
                out[name] = {"choice": list(spec.options)}
            else:
                kind = "int" if isinstance(spec, Int) else "float"
                out[name] = {kind: [spec.low, spec.high], "step": spec.step, "log": spec.log}
            if spec.when:
                out[name]["when"] = {k: list(v) for k, v in spec.when.items()}
        return out

    def active(self, config: dict) -> dict:
        """`config` without the parameters whose conditions do not hold (declared order)."""
        out = {}
        for name, spec in self.params.items():
            if all(parent in out and out[parent] in allowed
                   for parent, allowed in spec.when.items()):  # fmt: skip
                out[name] = _plain(config[name])
        return out

    def _unique_active(self, configs) -> list[dict]:
        seen, out = set(), []
        for config in configs:
            active = self.active(config)
            key = tuple(sorted((k, repr(v)) for k, v in active.items()))
            if key not in seen:
                seen.add(key)
                out.append(active)
        return out

    def grid(self) -> list[dict]:
        """Every combination (scikit-learn's ParameterGrid order), inactive ones merged."""
        from sklearn.model_selection import ParameterGrid

        grid = {name: spec.values(name) for name, spec in self.params.items()}
        return self._unique_active(ParameterGrid(grid))

    def sample(self, n: int, seed: int) -> list[dict]:
        """`n` configurations drawn by scikit-learn's ParameterSampler with `seed`."""
        from sklearn.model_selection import ParameterSampler

        dists = {name: spec.distribution() for name, spec in self.params.items()}
        return [self.active(c) for c in ParameterSampler(dists, n, random_state=seed)]

    def suggest(self, trial) -> dict:
        """One configuration from an Optuna trial (define-by-run: inactive not asked)."""
        out = {}
        for name, spec in self.params.items():
            if all(parent in out and out[parent] in allowed
                   for parent, allowed in spec.when.items()):  # fmt: skip
                out[name] = _plain(spec.suggest(trial, name))
        return out

    def __repr__(self) -> str:
        return f"Space({', '.join(self.params)})"


def _plain(value):
    """NumPy scalars to Python ones, so configurations are JSON and compare exactly."""
    if isinstance(value, np.generic):
        return value.item()
    return value
