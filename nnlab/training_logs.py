"""What the training loop reports: running epoch means, and the results of evaluate.

`Accumulator` keeps the logged values of an epoch (or an evaluation) the way Keras
logs them; `evaluate_data` runs a model in inference mode over batches and returns
those logs; `ordered_results` turns logs into evaluate's return value.
"""

from __future__ import annotations

import numpy as np

from nnlab.callbacks import CallbackList


class Accumulator:
    """Running epoch means: loss weighted by batch size, per-output losses, metrics."""

    def __init__(self, model):
        self.model = model
        self.metrics = model.output_metrics
        for ms in self.metrics:
            for m in ms:
                m.reset_state()
        self.total = 0.0
        self.per_output = [0.0] * len(model.outputs)
        self.count = 0
        self.batches = 0

    def add(self, nb: int, total: float, per_output: list, outs: list, Y: list, sw=None):
        self.count += nb
        self.batches += 1
        self.total += nb * total
        if len(per_output) == 1 and not self.metrics[0]:  # one output, loss only
            self.per_output[0] += per_output[0]
            return
        # Per-output losses are plain means of the batch means, as Keras's TensorFlow
        # backend logs them (its batch size is unknown inside the traced step, so they
        # are not weighted by it); the total `loss` is weighted by batch size.
        for i, v in enumerate(per_output):
            self.per_output[i] += v
        for ms, P, Yb in zip(self.metrics, outs, Y):
            for m in ms:  # compile(weighted_metrics=...) ones see the sample weights
                m.update_state(Yb, P, sw if m.weighted else None)

    def logs(self) -> dict:
        model, c = self.model, max(self.count, 1)
        logs = {"loss": self.total / c}
        multi = len(model.outputs) > 1
        if multi:
            for name, v in zip(model.output_names, self.per_output):
                logs[f"{name}_loss"] = v / max(self.batches, 1)
        for name, ms in zip(model.output_names, self.metrics):
            for m in ms:
                logs[f"{name}_{m.name}" if multi else m.name] = one_number(m)
        return logs


def one_number(metric) -> float:
    value = metric.result()
    if np.ndim(value) == 0:
        return float(value)
    raise ValueError(
        f"Metric '{metric.name}' gives {np.size(value)} values (one per threshold or class), "
        "but fit and evaluate log one number per metric. Give it a single threshold (or an "
        "`average`), or use it outside compile with update_state() and result()."
    )


def evaluate_data(model, batches, cbs: CallbackList | None = None) -> dict:
    """Loss and metrics in inference mode, firing the test hooks of `cbs` if given."""
    acc = Accumulator(model)
    batch_hooks = cbs is not None and cbs.wants_test_batch_logs
    if cbs is not None:
        cbs.call("on_test_begin", None)
    for step, batch in enumerate(batches):
        if batch_hooks:
            cbs.call("on_test_batch_begin", step, {})
        outs = model.forward_pass(batch.X, training=False)
        total, per_output, _, _ = model.batch_loss(outs, batch.Y, batch.sw, need_grad=False)
        if model.regularized_layers:
            total += model.penalty()
        acc.add(batch.n, total, per_output, outs, batch.Y, batch.sw)
        if batch_hooks:
            cbs.call("on_test_batch_end", step, acc.logs())
    logs = acc.logs()
    if cbs is not None:
        cbs.call("on_test_end", logs)
    return logs


def ordered_results(model, logs: dict, return_dict: bool):
    """evaluate's return value from its logs: the dict itself if `return_dict`, the
    loss alone when there is nothing else, else a list in Keras's order."""
    if return_dict:
        return logs
    if len(logs) == 1:
        return logs["loss"]
    if len(model.outputs) == 1:  # Keras: the loss, then the metrics in compile order
        return [logs[k] for k in ["loss"] + model.metric_log_names()]
    # Keras: the loss, the per-output losses in output order, then the metrics with
    # their keys sorted (`<output>_<metric>`).
    losses = ["loss"] + [f"{name}_loss" for name in model.output_names]
    return [logs[k] for k in losses] + [logs[k] for k in sorted(model.metric_log_names())]
