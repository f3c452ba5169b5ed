"""Model's training-facing methods: the loss of a batch, weight penalties, and
fit / evaluate / predict / train_on_batch / test_on_batch, which call the one loop in
`nnlab.training`.
"""

from __future__ import annotations

from typing import NamedTuple

from nnlab.step.fused_loss import fused_output_loss


class BatchLoss(NamedTuple):
    """One batch's loss, as `Model.batch_loss` returns it (a tuple: it also unpacks).

    total: the loss-weighted sum of the outputs' losses (weight penalties not included).
    per_output: each output's loss, in the model's output order.
    gradients: {output position: the gradient backpropagation starts from}: dL/dA of the
        output layer's activations A, or dL/dZ of its pre-activations Z where the output
        activation and the loss are fused (softmax or sigmoid with cross-entropy: dZ = A - Y,
        scaled); empty when the gradient was not asked for.
    from_Z: the output positions whose gradient is dL/dZ.
    """

    total: float
    per_output: list
    gradients: dict
    from_Z: set


class TrainingMixin:
    """The loss, penalties and training API of `Model` (the loop is `nnlab.training`).

    Example:
        >>> import numpy as np
        >>> from nnlab.models import Sequential
        >>> from nnlab.layers import Input, Dense
        >>> model = Sequential([Input(shape=(2,)), Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> history = model.fit(np.ones((4, 2)), np.ones((4, 1)), epochs=2, verbose=0)
        >>> len(history.history["loss"])
        2
    """

    # -- weight penalties (regularizers) -------------------------------------------
    def penalty(self) -> float:
        """Sum of all weight penalties (regularizers); added in full to every batch's
        loss (Keras)."""
        return sum(layer.penalty() for layer in self.regularized_layers)

    def add_penalty_grads(self) -> None:
        """Add each weight penalty's gradient to its layer's `grads` (after
        `backward_pass`, which writes the loss's gradient)."""
        for layer in self.regularized_layers:
            layer.add_penalty_grads()

    @property
    def regularized_layers(self) -> list:
        """The layers with a weight penalty (a kernel_, bias_ or other regularizer), in
        `weight_layers` order; `penalty` sums theirs, and evaluation adds a penalty only
        when there is one."""
        return [layer for layer in self.weight_layers() if layer.regularizers]

    # -- loss -----------------------------------------------------------------------
    def batch_loss(self, outs: list, Y_list: list, sw=None, need_grad: bool = True,
                   unit_rows=None) -> BatchLoss:
        """The loss of one batch and, if need_grad, the gradients backward starts from.

        Args:
            outs: the model's outputs for the batch (one array per output).
            Y_list: the targets, one array per output.
            sw: per-sample weights (n,) or None.
            need_grad: also compute each output's gradient (see `BatchLoss`).
            unit_rows: per output, whether every row of its targets sums to exactly 1
                (lets the fused cross-entropy skip a row sum; `nnlab.step.unit_rows`).

        Returns:
            A `BatchLoss` (total, per_output, gradients, from_Z).
        """
        total = 0.0
        per_output = []
        seeds, from_Z = {}, set()
        for i, (pos, layer, P, Y, loss, w, fused) in enumerate(
            zip(
                self._output_pos,
                self._output_layers,
                outs,
                Y_list,
                self._losses,
                self._loss_weights,
                self._fused,
            )
        ):
            if fused and need_grad:
                unit = unit_rows is not None and unit_rows[i]
                value, g = fused_output_loss(loss, Y, layer.last_Z, P, sw, unit)
                per_output.append(value)
                total += w * value
                seeds[pos] = g if w == 1.0 else g * w
                from_Z.add(pos)
                continue
            if fused:
                L = loss.forward_logits(Y, layer.last_Z, P)
                dP = None
            elif loss.uses_logits:
                L = loss.forward_logits(Y, P)
                dP = loss.backward_logits(Y, P) if need_grad else None
            else:
                L = loss.forward(Y, P)
                dP = loss.backward(Y, P) if need_grad else None
            value = float(loss.reduce_values(L, sw))
            per_output.append(value)
            total += w * value
            if need_grad:
                g = loss.reduce_gradient(dP, L, sw)
                seeds[pos] = g if w == 1.0 else g * w
        return BatchLoss(total, per_output, seeds, from_Z)

    # -- training API (the loop lives in nnlab.training) -----------------------------
    def fit(
        self,
        x=None,
        y=None,
        batch_size=None,
        epochs=1,
        verbose="auto",
        callbacks=None,
        validation_split=0.0,
        validation_data=None,
        shuffle=True,
        class_weight=None,
        sample_weight=None,
        initial_epoch=0,
        seed=None,
        gradient_health=True,
        validation_batch_size=None,
        validation_freq=1,
        steps_per_epoch=None,
        validation_steps=None,
    ):
        """Train for `epochs` epochs; returns the History. The arguments are those of
        `nnlab.training.fit` (Keras 3's, plus `seed` and `gradient_health`), documented
        there once; positional ones are accepted in this order, as in Keras."""
        arguments = _as_keywords(locals())
        from nnlab import training

        return training.fit(**arguments)

    def evaluate(
        self,
        x=None,
        y=None,
        batch_size=None,
        verbose="auto",
        sample_weight=None,
        callbacks=None,
        return_dict=False,
        steps=None,
    ):
        """Loss and metrics on (x, y) in inference mode; the arguments are those of
        `nnlab.training.evaluate`, documented there."""
        arguments = _as_keywords(locals())
        from nnlab import training

        return training.evaluate(**arguments)

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Outputs for x in inference mode, batch by batch (a list for several outputs)."""
        from nnlab import training

        return training.predict(
            self, x, batch_size=batch_size, verbose=verbose, callbacks=callbacks, steps=steps
        )

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One optimizer step on this batch; returns its loss (and metrics) before the step."""
        from nnlab import training

        return training.train_on_batch(self, x, y, sample_weight, class_weight, return_dict)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Loss (and metrics) of this batch in inference mode, without updating."""
        from nnlab import training

        return training.test_on_batch(self, x, y, sample_weight, return_dict)

    def predict_on_batch(self, x):
        """Outputs for one batch in inference mode."""
        return self(x, training=False)


def _as_keywords(arguments: dict) -> dict:
    """A method's `locals()` (taken first thing) as keyword arguments for the function
    in `nnlab.training` it forwards to, which takes the model as `model`, so the
    argument list is written once per method instead of again in each call."""
    return {("model" if name == "self" else name): value for name, value in arguments.items()}
