"""Model.compile and what it resolves: one loss, loss weight and metric list per output.

`CompileMixin` is one of `Model`'s bases; it turns the arguments of `compile` into the
per-output lists the training loop (`nnlab.training`) reads, and decides which outputs
take the fused activation + loss gradient (see `nnlab.losses`).
"""

from __future__ import annotations

import copy
import warnings

from nnlab import losses as losses_mod
from nnlab import metrics as metrics_mod
from nnlab import optimizers as optimizers_mod


class CompileMixin:
    """`compile` and its resolution for `Model` (uses the model's outputs and layers).

    Example:
        >>> from nnlab.models import Sequential
        >>> from nnlab.layers import Input, Dense
        >>> model = Sequential([Input(shape=(2,)), Dense(1)])
        >>> model.compile(optimizer="sgd", loss="mse")
        >>> [type(loss).__name__ for loss, w, fused in model.output_losses()]
        ['MeanSquaredError']
    """

    def compile(
        self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None, weighted_metrics=None
    ):
        """Configure training: optimizer, loss per output, loss weights and metrics.

        Args:
            optimizer: a name ("sgd", "adam", ...) or an Optimizer instance.
            loss: a name or Loss; for several outputs one for all, a list, or a dict
                keyed by output layer name.
            loss_weights: a float, list or dict; the total loss is sum_i w_i L_i.
            metrics: a list of names ("accuracy", "mse", "mae", ...) or Metric
                instances; for several outputs a list applied to each, a list of
                lists, or a dict keyed by output layer name. A plain function
                fn(y_true, y_pred) returning per-sample values is a metric too.
                Unknown names are refused here (Keras waits until fit).
            weighted_metrics: as `metrics`, but computed with the sample weights
                (class_weight or sample_weight); a name that is also in `metrics`
                logs as `weighted_<name>`.
        """
        # An optimizer instance keeps its step count and slots across compiles, as in
        # Keras; it is reset when it first meets this model's parameters.
        self.optimizer = optimizers_mod.get(optimizer)
        metrics_mod.check_metric_specs(metrics)
        metrics_mod.check_metric_specs(weighted_metrics)
        self._weighted_metrics_spec = weighted_metrics
        self._loss_spec, self._loss_weights_spec, self._metrics_spec = loss, loss_weights, metrics
        self.compiled = True
        if self.built:
            self._resolve_compile()

    def _resolve_compile(self) -> None:
        """Turn the compile arguments into one loss, weight and metric list per output."""
        names = self.output_names
        n = len(names)
        spec = self._loss_spec
        if spec is None:
            raise ValueError(
                "compile() needs a loss, e.g. model.compile(optimizer='adam', "
                "loss='categorical_crossentropy'). Received loss=None."
            )
        per_output = spec_per_output(spec, names, "loss", single_ok=True)
        self._losses = [losses_mod.get(s) for s in per_output]
        for loss in self._losses:
            if loss.reduction in (None, "none"):
                raise ValueError(
                    f"{type(loss).__name__}(reduction={loss.reduction!r}) returns one value "
                    "per sample, which cannot be minimized as one number. Use it to call the "
                    "loss directly, and compile with reduction='sum_over_batch_size' (the "
                    "default), 'sum' or 'mean_with_sample_weight'."
                )
        weights = self._loss_weights_spec
        if weights is None:
            self._loss_weights = [1.0] * n
        elif isinstance(weights, (int, float)):
            self._loss_weights = [float(weights)] * n
        else:
            self._loss_weights = [float(w) for w in spec_per_output(weights, names, "loss_weights")]
        self._metric_specs = metric_lists(self._metrics_spec, names)
        self._weighted_specs = metric_lists(getattr(self, "_weighted_metrics_spec", None), names)
        for layer in self.weight_layers():
            act = getattr(layer, "activation", None)
            if act is not None and not act.differentiable:
                raise ValueError(
                    f"Layer '{layer.name}' uses the '{act.name}' activation, which has no "
                    "useful gradient, so this model cannot be trained by gradient descent. "
                    "Use nnlab.models.Perceptron for the perceptron learning rule, or a "
                    "differentiable activation such as 'sigmoid'."
                )
        _warn_single_unit_softmax(self)
        # Fuse output activation + loss where they pair (see nnlab.losses): the
        # gradient with respect to the output layer's Z is then (P - Y) / N.
        consumed = {i for node in self._nodes for i in node.inputs}
        self._fused = []
        for pos, layer, loss in zip(self._output_pos, self._output_layers, self._losses):
            act = getattr(layer, "activation", None)
            self._fused.append(
                not loss.uses_logits
                and loss.reduction in ("sum_over_batch_size", "mean")
                and loss.fused_activation is not None
                and act is not None
                and act.name == loss.fused_activation
                and hasattr(layer, "backward_from_Z")
                and pos not in consumed
            )
        self._metrics = None  # resolved from data shapes on first use

    def output_losses(self) -> list[tuple]:
        """Per output, as compile resolved it: (Loss, loss weight, fused). `fused` means
        the training step takes the output layer's dL/dZ straight from the loss
        (`nnlab.step.fused_output_loss`) instead of going through dL/dA and the activation.
        Public for diagnostics (nnlab.diagnostics.explain); needs a compiled, built model."""
        self.require_compiled("output_losses")
        if not self.built:
            raise ValueError(f"Model '{self.name}' is not built yet; call it on data first.")
        return list(zip(self._losses, self._loss_weights, self._fused))

    def require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"You must compile the model before calling {what}(): "
                "model.compile(optimizer=..., loss=...)."
            )

    @property
    def compile_arguments(self) -> dict:
        """The arguments of the last `compile`, as given (not yet resolved per output):
        {"loss", "loss_weights", "metrics", "weighted_metrics"}. Model files save them
        (`nnlab.models.model_config.compile_config`); needs a compiled model."""
        self.require_compiled("compile_arguments")
        return {
            "loss": self._loss_spec,
            "loss_weights": self._loss_weights_spec,
            "metrics": self._metrics_spec,
            "weighted_metrics": getattr(self, "_weighted_metrics_spec", None),
        }

    @property
    def output_metrics(self) -> list[list] | None:
        """Per output, the Metric objects that `metrics` and `weighted_metrics` resolved
        to (a metric's kind, e.g. which accuracy, depends on the targets' shape), or None
        until `resolve_metrics` has seen targets (the first fit / evaluate /
        train_on_batch). The epoch logs and the callbacks that watch a metric read them."""
        return getattr(self, "_metrics", None)  # set by compile once the model is built

    def resolve_metrics(self, Y_list: list) -> list[list]:
        """Resolve the compiled metrics for targets `Y_list` (one array per output) the
        first time, and return `output_metrics`; fit, evaluate, train_on_batch and
        test_on_batch call it at their entry. Later calls keep the first resolution."""
        if self._metrics is None:
            self._metrics = []
            for specs, wspecs, Y, t, loss in zip(
                self._metric_specs, self._weighted_specs, Y_list, self.outputs, self._losses
            ):
                ms = [metrics_mod.get(s, Y.shape, t.shape, loss.sparse_targets) for s in specs]
                names = {m.name for m in ms}
                for s in wspecs:
                    m = copy.deepcopy(metrics_mod.get(s, Y.shape, t.shape, loss.sparse_targets))
                    m.weighted = True
                    if m.name in names:  # Keras's rule for a name in both lists
                        m.name = f"weighted_{m.name}"
                    names.add(m.name)
                    ms.append(m)
                self._metrics.append(ms)
        return self._metrics

    def metric_log_names(self) -> list[str]:
        """The log keys of the resolved metrics in compile order: the metric's name, or
        `<output>_<name>` for several outputs (empty before `resolve_metrics`).
        `evaluate` orders its results by them.

        Example:
            >>> import numpy as np
            >>> from nnlab.models import Sequential
            >>> from nnlab.layers import Input, Dense
            >>> model = Sequential([Input(shape=(2,)), Dense(1)])
            >>> model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
            >>> _ = model.evaluate(np.ones((4, 2)), np.ones((4, 1)), verbose=0)
            >>> model.metric_log_names()
            ['mae']
        """
        names = []
        for out_name, ms in zip(self.output_names, self._metrics or []):
            for m in ms:
                names.append(f"{out_name}_{m.name}" if len(self.outputs) > 1 else m.name)
        return names


def spec_per_output(spec, names: list[str], what: str, single_ok: bool = False) -> list:
    """One entry per output from a compile argument (a dict keyed by output name, a
    list, or, when `single_ok` or there is one output, a single value for all).

    Args:
        spec: the argument as given to compile.
        names: the model's output names.
        what: the argument's name, for the error messages.
        single_ok: whether one value may stand for every output.

    Example:
        >>> spec_per_output({"b": 2, "a": 1}, ["a", "b"], "loss_weights")
        [1, 2]
    """
    n = len(names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in names]
        if unknown:
            raise ValueError(f"{what} has keys {unknown} that are not outputs; outputs: {names}")
        missing = [k for k in names if k not in spec]
        if missing:
            raise ValueError(f"{what} gives no value for outputs {missing}.")
        return [spec[k] for k in names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(
                f"{what} is a list of {len(spec)} but the model has {n} output(s): {names}"
            )
        return list(spec)
    if single_ok or n == 1:
        return [spec] * n
    raise ValueError(f"{what} must be a list or dict with one entry per output: {names}")


def metric_lists(spec, names: list[str]) -> list[list]:
    """One list of metric specs per output from compile's `metrics` (or
    `weighted_metrics`); Metric instances are copied for each output.

    Args:
        spec: None, a name, a Metric, a list, a list of lists or a dict by output name.
        names: the model's output names.

    Example:
        >>> metric_lists("mae", ["a", "b"])
        [['mae'], ['mae']]
    """
    if spec is None:
        return [[] for _ in names]
    if isinstance(spec, dict):
        return [
            list(spec.get(k, [])) if isinstance(spec.get(k, []), (list, tuple)) else [spec[k]]
            for k in names
        ]
    if isinstance(spec, (str, metrics_mod.Metric)) or callable(spec):
        spec = [spec]
    spec = list(spec)
    if len(names) > 1 and spec and all(isinstance(s, (list, tuple)) for s in spec):
        return [list(s) for s in spec_per_output(spec, names, "metrics")]
    # One list for every output: each output needs its own Metric objects (they keep
    # running totals), so instances are copied per output.
    return [
        [copy.deepcopy(m) if isinstance(m, metrics_mod.Metric) else m for m in spec] for _ in names
    ]


def _warn_single_unit_softmax(model) -> None:
    """Warn, as Keras does, when an output is a softmax over one unit: it is always 1,
    so a cross-entropy on it is always 0 and nothing is learned."""
    for layer, tensor, loss in zip(model.output_layers, model.outputs, model._losses):
        act = getattr(layer, "activation", None)
        if getattr(act, "name", None) == "softmax" and tensor.shape[-1] == 1:
            always = (
                "so the loss is always 0 and the model learns nothing"
                if "crossentropy" in type(loss).__name__.lower()
                else "whatever the inputs"
            )
            warnings.warn(
                f"Output layer '{layer.name}' applies softmax over a single unit: its output "
                f"is always 1, {always}. For two classes use Dense(1, activation='sigmoid') "
                "with loss='binary_crossentropy'; for k classes Dense(k, "
                "activation='softmax') with one-hot targets.",
                UserWarning,
                stacklevel=4,
            )
