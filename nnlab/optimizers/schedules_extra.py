"""Two more of Keras 3's learning-rate schedules: PolynomialDecay and CosineDecayRestarts."""

from __future__ import annotations

import math

from nnlab.optimizers.schedules import LearningRateSchedule, check_positive


class PolynomialDecay(LearningRateSchedule):
    """lr(step) = (lr0 - end) * (1 - s / decay_steps)^power + end.

    Without `cycle`, s = min(step, decay_steps); with `cycle` the horizon grows to
    decay_steps * ceil(step / decay_steps) (1 at step 0) and s = step.

    Example:
        >>> PolynomialDecay(1.0, 10, end_learning_rate=0.0, power=2.0)(5)
        0.25
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: int,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
    ):
        self.initial_learning_rate = check_positive(
            "PolynomialDecay", "initial_learning_rate", initial_learning_rate
        )
        self.decay_steps = check_positive("PolynomialDecay", "decay_steps", decay_steps)
        self.end_learning_rate = float(end_learning_rate)
        self.power = float(power)
        self.cycle = bool(cycle)
        self.name = name

    def __call__(self, step) -> float:
        steps = self.decay_steps
        if self.cycle:
            steps = steps * (1.0 if step == 0 else math.ceil(step / steps))
        else:
            step = min(step, steps)
        frac = (1.0 - step / steps) ** self.power
        return (self.initial_learning_rate - self.end_learning_rate) * frac + self.end_learning_rate

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR). With f = step / first_decay_steps, the
    restart index i and the fraction c of the current period are

        t_mul == 1: i = floor(f), c = f - i
        otherwise:  i = floor(log(1 - f (1 - t_mul)) / log(t_mul)),
                    c = (f - (1 - t_mul^i) / (1 - t_mul)) / t_mul^i

    and lr = lr0 * ((1 - alpha) * m_mul^i * (1 + cos(pi c)) / 2 + alpha).

    Example:
        >>> CosineDecayRestarts(1.0, 10)(5)
        0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: int,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
    ):
        self.initial_learning_rate = check_positive(
            "CosineDecayRestarts", "initial_learning_rate", initial_learning_rate
        )
        self.first_decay_steps = check_positive(
            "CosineDecayRestarts", "first_decay_steps", first_decay_steps
        )
        self.t_mul = check_positive("CosineDecayRestarts", "t_mul", t_mul)
        self.m_mul = float(m_mul)
        self.alpha = float(alpha)
        self.name = name

    def __call__(self, step) -> float:
        f = step / self.first_decay_steps
        if self.t_mul == 1.0:
            i = math.floor(f)
            c = f - i
        else:
            i = math.floor(math.log(1.0 - f * (1.0 - self.t_mul)) / math.log(self.t_mul))
            done = (1.0 - self.t_mul**i) / (1.0 - self.t_mul)
            c = (f - done) / self.t_mul**i
        cosine = 0.5 * self.m_mul**i * (1.0 + math.cos(math.pi * c))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }
