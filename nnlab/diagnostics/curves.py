"""Learning-curve diagnosis: read a History the way the lectures read learning curves.

Seed 003: "Ideal case: both training and validation set learning curves converge to a
low number. If the curve for the validation set starts to go up, this indicates
overfitting"; seed 000: insufficient capacity gives a high training error
(underfitting), too much capacity for the data learns its noise (overfitting).

`diagnose(history)` applies these rules in order and returns the first that holds.
Epochs are 0-based as in `History.epoch` (messages print them 1-based, as fit does).
"The last third" means the last max(1, n // 3) of the n recorded epochs. A curve is
*still falling* when its best value in the last third beats its best before by more
than `plateau_tol` of that value AND by more than `progress_tol` of all the progress
made since epoch 1 (the second condition keeps a loss creeping from 0.002 to 0.001
from counting as progress).

1. 'diverging': fit stopped on a non-finite loss or one 1,000x above its starting loss
   and a constant predictor's (`history.diverged`, see nnlab.divergence), a recorded
   training loss is not finite, or the last training loss exceeds `diverge_ratio` x
   the first epoch's (a positive one).
2. 'overfitting' (needs a finite `val_loss` for every epoch): the validation loss,
   averaged over the last max(1, min(5, n // 10)) epochs, lies more than
   `overfit_tol` (relative) above its minimum, reached at an earlier epoch k, and the
   rise is more than 1 % of the first epoch's validation loss (so that wiggles of a
   curve already near zero do not count), while the last training loss is below the
   training loss at k. `best_epoch` is k.
3. 'still improving': the training loss is still falling, and so is the validation
   loss if there is one (or fewer than 3 epochs were run): train longer.
4. 'underfitting': the training loss has plateaued (rule 3 fails) at a high level: the
   last training accuracy (`accuracy`, `binary_accuracy`, ... when logged) is below
   `min_accuracy`, or, without an accuracy, the last training loss is above
   `high_loss_ratio` x the first epoch's (the model stopped learning almost at once).
5. 'good fit' otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from nnlab.callbacks import History

LABELS = ("diverging", "overfitting", "still improving", "underfitting", "good fit")
_ACCURACY_KEYS = (
    "accuracy",
    "acc",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
)


@dataclass
class Diagnosis:
    """What the learning curves say.

    Attributes:
        label: one of 'diverging', 'overfitting', 'still improving', 'underfitting',
            'good fit'.
        message: the diagnosis and the advice, in words.
        best_epoch: the epoch (0-based) of the lowest validation loss, else of the
            lowest training loss; None when nothing was recorded.
        details: the numbers the rules used.
    """

    label: str
    message: str
    best_epoch: int | None = None
    details: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.label}: {self.message}"

    def _repr_html_(self) -> str:
        """In Jupyter: the label in a coloured box (green good, amber improving, red
        otherwise) and the advice."""
        import html

        color = {"good fit": "#1a7f37", "still improving": "#bf8700"}.get(self.label, "#cf222e")
        return (
            f'<div style="border-left:4px solid {color};padding:.3em .8em">'
            f"<b>{html.escape(self.label)}</b>: {html.escape(self.message)}</div>"
        )


def _improvement(series: list[float], m: int) -> tuple[float, float]:
    """Gain of the best of the last m values over the best before: relative to that
    value, and as a share of the whole drop from the first value to the minimum."""
    before, after = min(series[:-m]), min(series[-m:])
    gain, total = before - after, series[0] - min(series)
    return gain / max(abs(before), 1e-12), (gain / total if total > 0 else 0.0)


def _unpack(source) -> tuple[dict, dict | None, list]:
    """(logs, diverged, epoch numbers) of a History, a model after fit, or a dict."""
    if not isinstance(source, (dict, History)):
        source = getattr(source, "history", None)
    if isinstance(source, dict):
        return source, None, list(range(len(source.get("loss", []))))
    if not isinstance(source, History):
        raise TypeError(
            "diagnose() expects the History returned by fit, a model after fit, or a "
            f"history.history dict. Received: {type(source).__name__}"
        )
    logs = source.history
    epochs = list(source.epoch)
    if len(epochs) != len(logs.get("loss", [])):
        epochs = list(range(len(logs.get("loss", []))))
    return logs, getattr(source, "diverged", None), epochs


@dataclass
class _Curves:
    """The curves and thresholds the rules read; `details` collects the numbers used."""

    logs: dict
    diverged: dict | None
    loss: list
    val: list | None
    finite: list
    best: int | None
    best_epoch: int | None
    details: dict
    limits: dict

    @property
    def n(self) -> int:
        return len(self.loss)


def _read_curves(history, limits: dict) -> _Curves:
    """The training and (usable) validation loss, the best epoch and the first details."""
    logs, diverged, epochs = _unpack(history)
    loss = [float(v) for v in logs.get("loss", [])]
    val = [float(v) for v in logs.get("val_loss", [])] or None
    if val is not None and (len(val) != len(loss) or not all(map(math.isfinite, val))):
        val = None  # validation not run every epoch, or not usable
    if not loss and diverged is None:
        raise ValueError("The history has no 'loss' values: was fit run for any epochs?")
    finite = [v for v in loss if math.isfinite(v)]
    details: dict = {"epochs": len(loss), "diverged": diverged}
    if finite:
        details.update(first_loss=loss[0], last_loss=loss[-1], min_loss=min(finite))
    best = None
    if val is not None:
        best = int(np.argmin(val))
        details.update(min_val_loss=val[best], last_val_loss=val[-1])
    elif finite:
        best = int(np.nanargmin(np.where(np.isfinite(loss), loss, np.nan)))
    best_epoch = epochs[best] if best is not None else None
    return _Curves(logs, diverged, loss, val, finite, best, best_epoch, details, limits)


def _diverging(c: _Curves) -> str | None:
    loss, n = c.loss, c.n
    rose = n >= 2 and loss[0] > 0 and loss[-1] > c.limits["diverge_ratio"] * loss[0]
    if c.diverged is None and len(c.finite) == n and not rose:
        return None
    if c.diverged is not None:
        value = c.diverged["loss"]
        where = (
            f"the loss became {value if not math.isfinite(value) else format(value, '.4g')}"
            f" at epoch {c.diverged['epoch'] + 1}, step {c.diverged['step'] + 1}"
        )
        if math.isfinite(value):
            where += f" (more than {c.diverged.get('limit', math.inf):.4g}, the divergence limit)"
    elif len(c.finite) < n:
        where = "the training loss stopped being finite"
    else:
        where = f"the training loss rose from {loss[0]:.4g} to {loss[-1]:.4g}"
    return (
        f"Training diverged: {where}. Gradient descent overshoots: lower the learning "
        "rate (try 10x smaller), standardize the inputs, or clip the gradients."
    )


def _overfitting(c: _Curves) -> str | None:
    loss, val, best, n = c.loss, c.val, c.best, c.n
    if val is None or best is None or n < 3:
        return None
    w = max(1, min(5, n // 10))
    end = sum(val[-w:]) / w
    rise = c.details["val_rise"] = (end - val[best]) / max(abs(val[best]), 1e-12)
    visible = (end - val[best]) > 0.01 * abs(val[0])  # against the curve's own scale
    if not (best < n - w and rise > c.limits["overfit_tol"] and visible and loss[-1] < loss[best]):
        return None
    return (
        f"The validation loss was lowest at epoch {c.best_epoch + 1} ({val[best]:.4g}) "
        f"and has risen to {end:.4g} while the training loss kept falling "
        f"({loss[best]:.4g} -> {loss[-1]:.4g}): the model learns the noise of "
        "the training data (too much capacity for the data). Keep the model of "
        f"epoch {c.best_epoch + 1} (EarlyStopping(restore_best_weights=True)), add "
        "regularization (L2 weight decay, dropout), get more data, or use a "
        "smaller model."
    )


def _still_improving(c: _Curves) -> str | None:
    n, m = c.n, max(1, c.n // 3)
    if n < 3:
        return f"Only {n} epoch(s) recorded: too few to judge the curves; train longer."
    falling = True
    for key, series in (("loss", c.loss), ("val", c.val)):
        if series is not None:
            rel, share = _improvement(series, m)
            c.details[f"{key}_improvement"], c.details[f"{key}_progress_share"] = rel, share
            falling = falling and rel > c.limits["plateau_tol"] and share > c.limits["progress_tol"]
    if not falling:
        return None
    both = "training and validation losses were" if c.val is not None else "training loss was"
    return (
        f"The {both} still falling over the last {m} epochs "
        f"({c.details['loss_improvement']:.1%} for the training loss): the curves have "
        "not converged yet; train longer."
    )


def _underfitting(c: _Curves) -> str | None:
    loss, min_accuracy = c.loss, c.limits["min_accuracy"]
    acc_key = next((k for k in _ACCURACY_KEYS if c.logs.get(k)), None)
    if acc_key is not None:
        c.details["train_accuracy"] = float(c.logs[acc_key][-1])
        high = c.details["train_accuracy"] < min_accuracy
        how = f"training {acc_key} {c.details['train_accuracy']:.3g} < {min_accuracy:g}"
    else:
        high = loss[-1] > c.limits["high_loss_ratio"] * loss[0]
        how = f"training loss {loss[-1]:.4g} vs {loss[0]:.4g} in epoch 1"
    if not high:
        return None
    return (
        f"The training loss has plateaued at a high level ({how}): the model cannot "
        "fit even the training data (insufficient capacity). Use a more flexible "
        "model (more units or layers, nonlinear activations), check the learning "
        "rate, or give it more informative inputs."
    )


def _good_fit(c: _Curves) -> str:
    where = (
        f"the validation loss reached {c.val[c.best]:.4g} at epoch {c.best_epoch + 1}"
        if c.val is not None
        else f"the training loss reached {c.loss[-1]:.4g}"
    )
    return (
        f"The learning curves have converged to a low level ({where}) without the "
        "validation loss going up: a good fit."
    )


# The module docstring's rules 1-5, tried in this order; the first that holds labels.
_RULES = (
    ("diverging", _diverging),
    ("overfitting", _overfitting),
    ("still improving", _still_improving),
    ("underfitting", _underfitting),
    ("good fit", _good_fit),
)


def diagnose(
    history,
    diverge_ratio: float = 1.5,
    overfit_tol: float = 0.1,
    plateau_tol: float = 0.01,
    progress_tol: float = 0.05,
    min_accuracy: float = 0.75,
    high_loss_ratio: float = 0.5,
) -> Diagnosis:
    """Label a training run from its History (see the module docstring for the rules).

    The rules are `_RULES`, a table of (label, rule) tried in order: each rule reads
    the curves and returns its message when it holds, else None.

    Args:
        history: the History from `fit`, a model after `fit`, or a `history.history`
            dict.
        diverge_ratio: last / first training loss above which the run diverges.
        overfit_tol: relative rise of the validation loss above its minimum.
        progress_tol: share of the total progress that the last third must make for
            a curve to count as still falling.
        plateau_tol: relative improvement over the last third below which a curve
            counts as flat.
        min_accuracy: training accuracy below which a flat run underfits.
        high_loss_ratio: without an accuracy, last / first training loss above which a
            flat run underfits.

    Returns:
        A Diagnosis.

    Example:
        >>> logs = {"loss": [1.0, 0.5, 0.3, 0.2, 0.15, 0.1],
        ...         "val_loss": [1.0, 0.6, 0.5, 0.6, 0.7, 0.8]}
        >>> d = diagnose(logs)
        >>> d.label, d.best_epoch
        ('overfitting', 2)
    """
    limits = {
        "diverge_ratio": diverge_ratio,
        "overfit_tol": overfit_tol,
        "plateau_tol": plateau_tol,
        "progress_tol": progress_tol,
        "min_accuracy": min_accuracy,
        "high_loss_ratio": high_loss_ratio,
    }
    curves = _read_curves(history, limits)
    for label, rule in _RULES:
        message = rule(curves)
        if message is not None:
            return Diagnosis(label, message, curves.best_epoch, curves.details)
    raise AssertionError("the last rule ('good fit') always holds")
