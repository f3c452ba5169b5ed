"""Learning-rate schedules (Keras 3's): functions of the optimizer's step count.

A schedule is passed as `learning_rate=` to an optimizer and called with `step`, the
number of optimizer steps (batches) done so far, so the first step uses `schedule(0)`.
With p = step / decay_steps (floor(step / decay_steps) when `staircase`):

    ExponentialDecay:       lr0 * decay_rate ** p
    InverseTimeDecay:       lr0 / (1 + decay_rate * p)
    PiecewiseConstantDecay: values[i] for boundaries[i-1] < step <= boundaries[i]
    CosineDecay:            lr0 * ((1 - alpha) * (1 + cos(pi * s / decay_steps)) / 2 + alpha),
                            s = min(step, decay_steps), after an optional linear warmup

For decay per epoch instead of per step, use `callbacks.LearningRateScheduler`.
"""

from __future__ import annotations

import math


class LearningRateSchedule:
    """Base class: `__call__(step) -> float` and `get_config()`."""

    def __call__(self, step) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def check_positive(owner: str, name: str, value) -> float:
    """A schedule's argument as a float, checked to be a number > 0.

    Args:
        owner: the class name for the message, e.g. "ExponentialDecay".
        name: the argument's name, e.g. "decay_steps".
        value: what the user passed (an int or float, not a bool).

    Raises:
        ValueError: `value` is not a number > 0.

    Example:
        >>> check_positive("CosineDecay", "decay_steps", 100)
        100.0
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{owner} expects {name} > 0. Received: {name}={value!r}")
    return float(value)


class _TimeDecay(LearningRateSchedule):
    """Shared by the decays of p = step / decay_steps (floored with `staircase`)."""

    #: whether decay_rate may be 0 (no decay)
    allow_zero_rate = False

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        decay_rate: float,
        staircase: bool = False,
        name: str | None = None,
    ):
        owner = type(self).__name__
        self.initial_learning_rate = check_positive(
            owner, "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = check_positive(owner, "decay_steps", decay_steps)
        if self.allow_zero_rate and decay_rate == 0:
            self.decay_rate = 0.0
        else:
            self.decay_rate = check_positive(owner, "decay_rate", decay_rate)
        self.staircase = bool(staircase)
        self.name = name or owner

    def __call__(self, step) -> float:
        p = step / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self._decay(p)

    def _decay(self, p: float) -> float:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class ExponentialDecay(_TimeDecay):
    """lr0 * decay_rate ** (step / decay_steps); with staircase, every decay_steps steps."""

    def _decay(self, p: float) -> float:
        return self.initial_learning_rate * self.decay_rate**p


class InverseTimeDecay(_TimeDecay):
    """lr0 / (1 + decay_rate * step / decay_steps); with staircase, floor the ratio."""

    allow_zero_rate = True

    def _decay(self, p: float) -> float:
        return self.initial_learning_rate / (1.0 + self.decay_rate * p)


class PiecewiseConstantDecay(LearningRateSchedule):
    """values[0] while step <= boundaries[0], values[i] while step <= boundaries[i], ...,
    values[-1] after the last boundary. len(values) == len(boundaries) + 1."""

    def __init__(self, boundaries, values, name: str = "PiecewiseConstant"):
        boundaries, values = list(boundaries), [float(v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise ValueError(
                "PiecewiseConstantDecay needs one more value than boundaries. Received "
                f"{len(boundaries)} boundaries and {len(values)} values."
            )
        if any(b2 <= b1 for b1, b2 in zip(boundaries, boundaries[1:])):
            raise ValueError(f"boundaries must increase strictly. Received: {boundaries}")
        self.boundaries, self.values, self.name = boundaries, values, name

    def __call__(self, step) -> float:
        for b, v in zip(self.boundaries, self.values):
            if step <= b:
                return v
        return self.values[-1]

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from lr0 to alpha * lr0 over decay_steps, after an optional warmup.

    With warmup_steps > 0 and warmup_target, the rate first rises linearly from lr0 to
    warmup_target over warmup_steps, then decays from warmup_target.
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: int = 0,
    ):
        if not initial_learning_rate >= 0:
            raise ValueError(
                "CosineDecay expects initial_learning_rate >= 0. "
                f"Received: {initial_learning_rate!r}"
            )
        self.initial_learning_rate = float(initial_learning_rate)
        self.decay_steps = check_positive("CosineDecay", "decay_steps", decay_steps)
        self.alpha = float(alpha)
        self.name = name
        self.warmup_target = None if warmup_target is None else float(warmup_target)
        self.warmup_steps = int(warmup_steps)

    def __call__(self, step) -> float:
        lr0 = self.initial_learning_rate
        if self.warmup_target is None or self.warmup_steps <= 0:
            target, s = lr0, min(step, self.decay_steps)
        elif step < self.warmup_steps:
            return lr0 + (self.warmup_target - lr0) * step / self.warmup_steps
        else:
            target = self.warmup_target
            s = min(step, self.warmup_steps + self.decay_steps) - self.warmup_steps
        cosine = 0.5 * (1.0 + math.cos(math.pi * s / self.decay_steps))
        return target * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


SCHEDULES = {
    cls.__name__: cls
    for cls in (ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, CosineDecay)
}


def _register_extra() -> None:
    """PolynomialDecay and CosineDecayRestarts live in schedules_extra (built on the
    base class above)."""
    from nnlab.optimizers import schedules_extra as extra

    for cls in (extra.PolynomialDecay, extra.CosineDecayRestarts):
        SCHEDULES[cls.__name__] = cls
        globals()[cls.__name__] = cls


_register_extra()
