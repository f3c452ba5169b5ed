"""The training loop's divergence guard: stop, restore and say why when the loss blows up.

A step *diverges* when its loss (computed with the weights the previous step produced)
is not finite, or is more than `DIVERGENCE_FACTOR` (1,000) times the larger of two
references fixed at the start of `fit`:

- the loss of the fit's first step, computed before any update (the starting loss);
- the loss of a constant predictor on the training targets (the mean target, the
  class frequencies for class targets): what a model that learned nothing achieves.

Taking the larger of the two keeps a fit that starts from an already good model (a tiny
starting loss) from stopping on an ordinary wiggle. With `Adam(learning_rate=1e6)` the
first step's loss is about 1 and the second is already about 1e11: the guard stops at
the second step although the loss is finite.

On a diverging step the guard puts back the weights from before the previous update
(the last weights whose loss passed the check) and BatchNormalization's moving
statistics, sets `model.stop_training`, records `history.diverged` and warns with a
`DivergenceWarning` naming the epoch, the step and the likely causes.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from nnlab.models import inputs as inputs_mod
from nnlab.step.weight_backup import WeightBackup

#: A finite loss above this many times the reference (see the module docstring) diverges.
DIVERGENCE_FACTOR = 1000.0


class DivergenceWarning(RuntimeWarning):
    """Training stopped because the loss stopped being finite or grew 1,000x."""


def constant_predictor_loss(model, Y_list: list, sw=None) -> float | None:
    """The loss of predicting the mean target (class frequencies for class indices)
    for every row, summed over the outputs with the loss weights; None when a loss
    cannot be evaluated that way.

    Example:
        >>> import numpy as np
        >>> from nnlab.layers import Dense, Input
        >>> from nnlab.models import Sequential
        >>> model = Sequential([Input(shape=(1,)), Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> constant_predictor_loss(model, [np.array([[0.0], [2.0]])])  # variance
        1.0
    """
    total = 0.0
    for (loss, w, _), Y, out in zip(model.output_losses(), Y_list, model.outputs):
        try:
            with np.errstate(all="ignore"):
                Y = np.asarray(Y, dtype=np.float64)
                if loss.sparse_targets:
                    k = int(out.shape[-1])
                    labels = Y.reshape(-1).astype(np.int64)
                    P = np.bincount(labels, minlength=k)[:k] / max(labels.size, 1)
                    P = np.broadcast_to(P, (labels.size, k))
                else:
                    P = np.broadcast_to(Y.mean(axis=0), Y.shape)
                if loss.uses_logits:
                    p = np.clip(P, 1e-7, 1 - 1e-7)
                    P = np.log(p / (1 - p)) if Y.shape[-1] == 1 else np.log(p)
                value = float(loss(Y, np.array(P), sw))
        except Exception:  # a custom loss that needs more than (y_true, y_pred)
            return None
        if not math.isfinite(value):
            return None
        total += w * value
    return total


class DivergenceGuard:
    """Stops training at the first diverging step and restores the weights from before it.

    The guard is the policy: detect a diverging loss, restore, report. The copy it
    restores from is `backup`, a `nnlab.step.WeightBackup` that every step's update
    fills block by block (`Optimizer.apply(..., backup=guard.backup)`).

    Attributes:
        reference: the larger of the starting loss and the constant predictor's loss
            (set at the fit's first step); `BackupAndRestore` saves and restores it so
            that a resumed fit applies the same limit.
        report: None, or {"epoch", "step", "loss", "limit"} of the diverging step.
    """

    def __init__(self, store, data, layers: list, constant_loss: float | None = None):
        # Non-trainable state (BatchNormalization's moving statistics) is backed up
        # too, so that a diverging step cannot leave it non-finite.
        self.backup = WeightBackup(store, layers)
        self.data = data
        self.constant_loss = constant_loss
        self.reference: float | None = None
        self.report: dict | None = None

    def reset_backup(self) -> None:
        """Take the current weights as the ones to restore (after they were replaced)."""
        self.backup.take()

    @property
    def limit(self) -> float:
        """The largest finite loss that does not count as diverging."""
        if self.reference is None or self.reference <= 0:
            return math.inf
        return DIVERGENCE_FACTOR * self.reference

    def check(self, loss: float, model, epoch: int, step: int) -> bool:
        """True to go on; False (after restoring the weights and warning) to stop."""
        finite = math.isfinite(loss)
        if self.reference is None and finite:
            self.reference = max(loss, self.constant_loss or 0.0)
        if finite and loss <= self.limit:
            self.backup.take_state()
            return True
        self.backup.restore()
        model.stop_training = True
        self.report = {"epoch": epoch, "step": step, "loss": loss, "limit": self.limit}
        what = (
            f"the loss became {loss}"
            if not finite
            else f"the loss reached {loss:.4g}, more than {DIVERGENCE_FACTOR:,.0f}x "
            f"{self.reference:.4g} (the larger of the starting loss and a constant "
            "predictor's loss)"
        )
        warnings.warn(
            f"Training diverged: {what} at epoch {epoch + 1}, step {step + 1}. Training "
            "stopped and the weights from before the previous update were restored. "
            "Likely causes: " + "; ".join(self._causes(model)) + ".",
            DivergenceWarning,
            # check <- train_step <- train_epoch <- fit_epoch <- fit <- Model.fit <- user
            stacklevel=7,
        )
        return False

    def _causes(self, model) -> list[str]:
        lr = model.optimizer.learning_rate
        causes = [f"the learning rate is too high (learning_rate={lr:g}; try 10x smaller)"]
        x_scale = max(inputs_mod.max_abs(X) for X in self.data.X)
        if x_scale > 100:
            causes.append(
                f"the inputs are not scaled (values up to {x_scale:.3g}; standardize "
                "them with training-set statistics)"
            )
        else:
            causes.append("the inputs are not scaled")
        causes.append("a log of zero or a division by zero in a custom loss or layer")
        return causes
