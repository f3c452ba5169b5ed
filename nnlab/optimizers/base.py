"""The optimizer: Keras's arguments (clipping, weight decay, EMA) and one update rule.

Subclasses implement only `build_state(W)` (their slot arrays, zeros unless stated)
and `_update(W, dW, state, lr)`, an in-place rule on one block of W. The model hands
over its whole flat parameter store as one (W, dW) pair; `nnlab.step.update_in_blocks`
runs the rule over it in cache-sized blocks, flushes subnormal slots and fills the
divergence guard's backup. The Keras-style `apply_gradients([(dW, W), ...])` works on
any list of arrays.
"""

from __future__ import annotations

import math

import numpy as np

from nnlab.backend import aligned_copy
from nnlab.optimizers.schedules import LearningRateSchedule
from nnlab.step.blocked_update import update_in_blocks
from nnlab.step.work_buffer import WorkBuffer


def check_number(owner: str, name: str, value, low=None, high=None, low_open=False):
    """An optimizer's numeric argument as a float, checked to be finite and in range.

    Args:
        owner: the class name for the message, e.g. "Adam".
        name: the argument's name, e.g. "beta_1".
        value: what the user passed (an int or float, not a bool).
        low: lower bound, or None for none.
        high: upper bound (inclusive), or None for none.
        low_open: whether `low` itself is excluded (value > low instead of >= low).

    Raises:
        TypeError: `value` is not a number.
        ValueError: `value` is not finite or out of range, naming the range.

    Example:
        >>> check_number("Adam", "beta_1", 0.9, low=0, high=1)
        0.9
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{owner}({name}=...) expects a number. Received: {name}={value!r}")
    value = float(value)
    bad = not math.isfinite(value)
    if low is not None:
        bad |= value <= low if low_open else value < low
    if high is not None:
        bad |= value > high
    if bad:
        lo = "" if low is None else f"{'>' if low_open else '>='} {low}"
        hi = "" if high is None else f"<= {high}"
        rng = " and ".join(p for p in (lo, hi) if p)
        raise ValueError(
            f"{owner}({name}=...) expects a finite value {rng}. Received: {name}={value!r}"
        )
    return value


class Optimizer:
    """Base class with Keras's shared arguments.

    Args:
        learning_rate: a float, a `LearningRateSchedule` (called with the step count),
            or a zero-argument callable.
        clipnorm: rescale each gradient tensor g to g * c / max(||g||, c).
        clipvalue: clip every gradient entry to [-v, v].
        global_clipnorm: rescale all gradients by c / max(G, c), G the global norm.
        weight_decay: decoupled decay before the step, W <- W - lr * wd * W.
        use_ema: keep an exponential moving average (EMA) of the weights, as Keras 3:
            after each step (step count t before it), with m = 0 at t = 0 and
            m = ema_momentum after, `average = m * average + (1 - m) * W`; the average
            is an optimizer slot ("average"), saved and restored with the others.
        ema_momentum: the EMA's momentum, in [0, 1] (default 0.99).
        ema_overwrite_frequency: None (default) or an int >= 1: every this many steps
            (when (t + 1) is a multiple of it) the weights are replaced by their
            average. Whatever it is, `fit` replaces them at its end
            (`finalize_variable_values`, before the callbacks' `on_train_end`).
        name: a name for the optimizer.

    At most one of the clipping options may be set; 0 or None disables clipping.

    Example:
        >>> import numpy as np
        >>> from nnlab.optimizers import SGD
        >>> opt = SGD(0.5, use_ema=True, ema_momentum=0.5)
        >>> W = np.array([1.0])
        >>> for _ in range(2):
        ...     opt.apply_gradients([(np.array([1.0]), W)])
        >>> W, opt.get_slots()[0]["average"]  # W: 0.5 then 0; average: 0.5, then 0.25
        (array([0.]), array([0.25]))
    """

    name = "optimizer"

    def __init__(
        self,
        learning_rate=0.001,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        weight_decay: float | None = None,
        name: str | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
    ):
        owner = type(self).__name__
        self._learning_rate = _check_lr(owner, learning_rate)
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        given = [k for k, v in clips.items() if v]
        if len(given) > 1:
            raise ValueError(
                f"{owner}: set at most one of clipnorm, clipvalue, global_clipnorm. "
                f"Received: {', '.join(f'{k}={clips[k]}' for k in given)}"
            )
        for k in given:
            check_number(owner, k, clips[k], low=0, low_open=True)
        self.clipnorm = float(clipnorm) if clipnorm else None
        self.clipvalue = float(clipvalue) if clipvalue else None
        self.global_clipnorm = float(global_clipnorm) if global_clipnorm else None
        self.weight_decay = (
            check_number(owner, "weight_decay", weight_decay, low=0) if weight_decay else None
        )
        if name is not None:
            self.name = name
        self.use_ema = bool(use_ema)
        self.ema_momentum = float(ema_momentum)
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if self.use_ema:
            _check_ema(owner, ema_momentum, ema_overwrite_frequency)
        self.iterations = 0
        self._slots: list[dict[str, np.ndarray]] | None = None
        self._work = WorkBuffer()

    # -- learning rate ---------------------------------------------------------------
    @property
    def learning_rate(self) -> float:
        """The learning rate for the next step (a schedule is evaluated at `iterations`)."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule) or hasattr(lr, "get_config"):
            return float(lr(self.iterations))  # a schedule of the step count
        if callable(lr):
            return float(lr())
        return lr

    @property
    def learning_rate_is_scheduled(self) -> bool:
        """True when the learning rate is a schedule or a callable (it then changes
        with the step count, and `fit`'s epoch logs carry it)."""
        return callable(self._learning_rate)

    @property
    def learning_rate_schedule(self):
        """The schedule (a `LearningRateSchedule`) or callable the optimizer was built
        with, or None for a constant learning rate; model files save the schedule's
        class and config from it."""
        lr = self._learning_rate
        return lr if callable(lr) else None

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        if callable(self._learning_rate):
            raise TypeError(
                f"{type(self).__name__}: this optimizer's learning rate is a schedule "
                "or callable, so it cannot be set to a number. Build the optimizer "
                "with a float learning_rate to change it from callbacks."
            )
        self._learning_rate = _check_lr(type(self).__name__, value)

    # -- one step ------------------------------------------------------------------
    def build_state(self, W: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _update(self, W, dW, state, lr: float) -> None:
        raise NotImplementedError

    def scratch(self, W: np.ndarray) -> np.ndarray:
        """A reusable work array shaped like W, so that a step allocates nothing
        (`nnlab.step.WorkBuffer`): an update rule may take one scratch array and use
        it only until it returns."""
        return self._work.like(W)

    def apply(
        self, params: list, grads: list, clip_groups: list | None = None, backup=None
    ) -> None:
        """One step: W <- rule(W, dW) for each pair, in place.

        Args:
            params: the arrays to update (for a model, `[store.W]`).
            grads: their gradients, one array per param.
            clip_groups: the individual gradient tensors for clipnorm when `grads`
                are flat stores holding several tensors (they are views into `grads`).
            backup: None, or a `nnlab.step.WeightBackup` of `params` (the training
                loop's divergence guard): it receives the values from before the
                step, block by block just before each block changes.
        """
        self._clip(clip_groups if clip_groups is not None else grads)
        lr = self._learning_rate
        if type(lr) is not float:
            lr = self.learning_rate
        slots = self._slots_for(params)
        saved = None if backup is None else backup.arrays
        update_in_blocks(self._apply_rule, params, grads, slots, lr, self.iterations, saved)
        if self.use_ema:
            self._update_average(params)
        self.iterations += 1

    def _slots_for(self, params: list) -> list:
        """The slot dicts, built on the first step; a clear error if `params` are not
        the arrays they were built for."""
        if self._slots is None or len(self._slots) != len(params):
            self._slots = [self._aligned(self.build_state(W)) for W in params]
        for W, state in zip(params, self._slots):
            for name, slot in state.items():
                if slot.shape != W.shape:
                    raise ValueError(
                        f"{type(self).__name__}: its '{name}' slot was built for a "
                        f"parameter of shape {slot.shape}, but this step updates one of "
                        f"shape {W.shape}. An optimizer keeps state per parameter: use a "
                        "fresh optimizer (or optimizer.reset()) for other parameters."
                    )
                break  # all slots of a parameter share its shape
        return self._slots

    def _update_average(self, params: list) -> None:
        """Keras's EMA rule after a step; every `ema_overwrite_frequency` steps the
        weights take their average's values."""
        m = self.ema_momentum if self.iterations else 0.0
        freq = self.ema_overwrite_frequency
        overwrite = bool(freq) and (self.iterations + 1) % freq == 0
        for W, state in zip(params, self._slots):
            average = state.get("average")
            if average is None:  # slots restored from before use_ema was set
                average = state["average"] = aligned_copy(np.zeros_like(W))
            work = self.scratch(W)
            np.multiply(W, 1.0 - m, out=work)
            average *= m
            average += work  # m * average + (1 - m) * W
            if overwrite:
                np.copyto(W, average)

    def finalize_variable_values(self, var_list: list) -> None:
        """With `use_ema`: put each variable's moving average into it (in place), as
        Keras's `fit` does once training ends. `var_list` are the arrays this optimizer
        steps (for a model, its flat parameter store). Without EMA it does nothing."""
        if not self.use_ema or not self._slots:
            return
        if len(var_list) != len(self._slots):
            raise ValueError(
                f"{type(self).__name__}.finalize_variable_values: the optimizer holds the "
                f"moving averages of {len(self._slots)} variable(s), but received "
                f"{len(var_list)}. Pass the arrays this optimizer updated."
            )
        for W, state in zip(var_list, self._slots):
            if "average" in state:
                np.copyto(W, state["average"])

    def _apply_rule(self, W, dW, state, lr: float) -> None:
        """Weight decay, then the update rule, on one block."""
        if self.weight_decay:
            W -= (lr * self.weight_decay) * W
        self._update(W, dW, state, lr)

    @staticmethod
    def _aligned(state: dict) -> dict:
        """Slot arrays on cache-line boundaries (see nnlab.backend.ALIGN)."""
        return {k: aligned_copy(a) for k, a in state.items()}

    def apply_gradients(self, grads_and_vars) -> None:
        """Keras-style: update each variable (a NumPy array, in place) from its gradient."""
        pairs = list(grads_and_vars)
        self.apply([v for _, v in pairs], [np.array(g, dtype=v.dtype) for g, v in pairs])

    def _clip(self, grads: list) -> None:
        if self.clipvalue:
            for g in grads:
                np.clip(g, -self.clipvalue, self.clipvalue, out=g)
        elif self.clipnorm:
            for g in grads:
                norm = float(np.sqrt(np.vdot(g, g)))
                if norm > self.clipnorm:
                    g *= self.clipnorm / norm
        elif self.global_clipnorm:
            norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
            if norm > self.global_clipnorm:
                for g in grads:
                    g *= self.global_clipnorm / norm

    # -- state for saving and resuming ------------------------------------------------
    def get_slots(self) -> list[dict[str, np.ndarray]]:
        return [] if self._slots is None else [dict(s) for s in self._slots]

    def set_slots(self, slots: list[dict[str, np.ndarray]]) -> None:
        """Replace the slot arrays with copies of `slots` (as `get_slots` returns them),
        e.g. to resume a run; an empty list leaves a fresh state."""
        self._slots = [self._aligned(s) for s in slots] if slots else None

    def reset(self) -> None:
        """Forget the step count and all slot arrays (a fresh optimizer)."""
        self.iterations = 0
        self._slots = None

    def get_config(self) -> dict:
        lr = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": lr if not callable(lr) else repr(lr),
            "clipnorm": self.clipnorm,
            "clipvalue": self.clipvalue,
            "global_clipnorm": self.global_clipnorm,
            "weight_decay": self.weight_decay,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
        }

    @classmethod
    def from_config(cls, config: dict):
        """A fresh optimizer (no state) from `get_config()`'s dict."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(learning_rate={self._learning_rate!r})"


def _check_ema(owner: str, momentum, frequency) -> None:
    """Keras's checks of the EMA arguments (made only when use_ema is set)."""
    check_number(owner, "ema_momentum", momentum)
    if not 0.0 <= float(momentum) <= 1.0:
        raise ValueError(
            f"{owner}: `ema_momentum` must be in the range [0, 1]. "
            f"Received: ema_momentum={momentum}"
        )
    if frequency is not None and (
        isinstance(frequency, bool) or not isinstance(frequency, (int, np.integer)) or frequency < 1
    ):
        raise ValueError(
            f"{owner}: `ema_overwrite_frequency` must be an integer >= 1 or None. "
            f"Received: ema_overwrite_frequency={frequency!r}"
        )


def _check_lr(owner: str, value):
    if callable(value):
        return value
    return check_number(owner, "learning_rate", value, low=0)
