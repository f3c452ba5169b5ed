"""One training step and one epoch of `fit` (see `nnlab.training`).

`train_step` is forward, loss (+ weight penalties), divergence guard, backward and the
optimizer's update; `train_epoch` runs it over an epoch's batches with the batch hooks;
`fit_epoch` adds the epoch hooks, the shuffling and the validation.
"""

from __future__ import annotations

import math

from nnlab.data_adapters import array_batches
from nnlab.fit_inputs import Data, eval_batches
from nnlab.training_logs import Accumulator, evaluate_data


def train_step(
    model, store, batch: Data, guard=None, epoch: int = 0, step: int = 0, step_plan=None
):
    """Forward, loss (+ penalties), divergence guard, backward, optimizer step.

    With a `step_plan` (`nnlab.step.StepPlan`, for a chain of Dense layers) forward and
    backward run through it instead of the layer graph: the same numbers.

    Returns (total loss, per-output losses, outputs), all computed before the update,
    or None when the guard stopped training on a diverging loss.
    """
    if step_plan is None:
        outs = model.forward_pass(batch.X, training=True)
    else:
        outs = step_plan.forward(batch.X)
    total, per_output, seeds, from_Z = model.batch_loss(
        outs, batch.Y, batch.sw, need_grad=True, unit_rows=batch.unit_rows
    )
    for layer in store.penalized:
        total += layer.penalty()
    if guard is not None and not guard.check(total, model, epoch, step):
        return None
    if step_plan is None:
        model.backward_pass(seeds, from_Z)
    else:
        step_plan.backward(seeds, from_Z)
    for layer in store.penalized:
        layer.add_penalty_grads()
    backup = None if guard is None else guard.backup
    model.optimizer.apply([store.W], [store.dW], store.grad_views, backup=backup)
    return total, per_output, outs


def train_epoch(model, store, batches, cbs, guard, epoch, step_plan=None) -> Accumulator:
    """One epoch, batch (`_Data`) by batch, with the batch hooks."""
    acc = Accumulator(model)
    for step, batch in enumerate(batches):
        if cbs.wants_batch_logs:
            cbs.train_batch_begin(step, {})
        result = train_step(model, store, batch, guard, epoch, step, step_plan)
        if result is None:  # diverged: the guard restored the weights and stopped
            if cbs.wants_batch_logs:
                cbs.train_batch_end(step, {"loss": guard.report["loss"]})
            break
        acc.add(batch.n, *result, batch.Y, batch.sw)
        if cbs.wants_batch_logs:
            cbs.train_batch_end(step, acc.logs())
        if model.stop_training:
            break
    return acc


def lr_is_scheduled(optimizer) -> bool:
    """Whether the learning rate follows a schedule (then the epoch logs carry it)."""
    return optimizer.learning_rate_is_scheduled


def fit_epoch(
    model, store, inputs, cbs, guard, epoch: int, plan, step_plan=None
) -> dict | None:
    """One epoch of `fit` with its hooks and validation; its logs, or None when the
    guard stopped training at the epoch's first step. `plan` is the fit's FitPlan,
    `step_plan` the chain's StepPlan or None."""
    model.fit_state.learning_rate = model.optimizer.learning_rate
    cbs.call("on_epoch_begin", epoch, None)
    if inputs.feed is None:
        data = inputs.data
        steps = math.ceil(data.n / plan.batch_size)
        order = model.fit_state.rng.permutation(data.n) if plan.shuffle and steps > 1 else None
        batches = array_batches(data, plan.batch_size, order)
    else:
        batches = inputs.feed.epoch()
    acc = train_epoch(model, store, batches, cbs, guard, epoch, step_plan)
    if not acc.count:
        return None
    logs = acc.logs()
    if inputs.val is not None and epoch in plan.validation_epochs:
        val_batches = eval_batches(inputs.val, plan.val_batch_size, inputs.val_feed)
        logs.update({f"val_{k}": v for k, v in evaluate_data(model, val_batches, cbs).items()})
    logs = dict(sorted(logs.items()))
    if lr_is_scheduled(model.optimizer):
        logs["learning_rate"] = float(model.optimizer.learning_rate)
    cbs.call("on_epoch_end", epoch, logs)
    return logs
