"""Model: a graph of layers with Keras's compile / fit / evaluate / predict.

`Model(inputs, outputs)` is the functional API (several inputs and outputs, branches
merged by merge layers); `Sequential` is the chain case built on the same engine.
The loop itself lives in `nnlab.training`; this class holds the graph, the compiled
losses and metrics, and the weights.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np

from nnlab import losses as losses_mod
from nnlab import metrics as metrics_mod
from nnlab import optimizers as optimizers_mod
from nnlab.layers.base import unique_name
from nnlab.layers.input_layer import InputLayer
from nnlab.layers.symbolic import KerasTensor
from nnlab.models import graph, inputs
from nnlab.models.introspection import KerasIntrospection
from nnlab.models.nested import NestedModel, leaf_layers, unique
from nnlab.models.param_store import ParamStore


class Model(NestedModel, KerasIntrospection):
    """A network of layers from `inputs` to `outputs`.

    Args:
        inputs: a KerasTensor from `Input()`, or a list (or dict) of them.
        outputs: a KerasTensor produced by layer calls, or a list of them.
        name: model name (default "functional", "functional_1", ...).

    Example:
        >>> from nnlab.layers import Input, Dense, Concatenate
        >>> a, b = Input(shape=(3,)), Input(shape=(2,))
        >>> h = Concatenate()([Dense(4)(a), Dense(4)(b)])
        >>> model = Model([a, b], Dense(1)(h))
        >>> model.count_params()
        37
    """

    _default_name = "functional"

    def __init__(self, inputs=None, outputs=None, name: str | None = None):
        self.name = name or unique_name(self._default_name)
        self.optimizer = None
        self.compiled = False
        self.stop_training = False
        self.history = None
        self._store: ParamStore | None = None
        self._nodes: list = []
        if type(self) is Model or inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError(
                    "Model(inputs, outputs) needs both: the Input tensor(s) and the "
                    "output tensor(s) of the layer graph."
                )
            self._set_graph(inputs, outputs)

    # -- the graph -----------------------------------------------------------------
    def _set_graph(self, inputs, outputs) -> None:
        self._input_names_given = list(inputs) if isinstance(inputs, dict) else None
        inputs = list(inputs.values()) if isinstance(inputs, dict) else inputs
        ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        for t in ins + outs:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    "Model inputs and outputs must be symbolic tensors from Input() and "
                    f"layer calls. Received: {t!r}"
                )
        for t in ins:
            if not isinstance(t._layer, InputLayer):
                raise ValueError(
                    f"Model inputs must come straight from Input(). Received the output "
                    f"of layer '{t._layer.name}'."
                )
        # A one-element list of outputs is one output, as in Keras (predict returns the
        # array, logs carry no output prefix).
        self._multi_output = isinstance(outputs, (list, tuple)) and len(outputs) > 1
        self.inputs, self.outputs = ins, outs
        self._nodes, self._output_pos = graph.build_graph(ins, outs)
        names = [layer.name for layer in self.layers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"Layer names must be unique in a model. Repeated: {dupes}")
        self._output_layers = [t._layer for t in outs]
        self._store = None
        if self.compiled:
            self._resolve_compile()

    @property
    def layers(self) -> list:
        """The layers in graph order (InputLayers included, as in Keras's functional API);
        a nested model is one layer, listed once however often it is called."""
        return unique(node.layer for node in self._nodes)

    @property
    def built(self) -> bool:
        return bool(self._nodes)

    @property
    def input_names(self) -> list[str]:
        """The keys for dict inputs: the dict's keys if the model was built from a dict
        of Inputs, else the Input layers' names."""
        return self._input_names_given or [t._layer.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [layer.name for layer in self._output_layers]

    @property
    def dtype(self) -> np.dtype:
        if self.built:
            return self.inputs[0]._layer.dtype
        layers = self.layers  # an unbuilt Sequential computes in its first layer's dtype
        return layers[0].dtype if layers else np.dtype("float32")

    @property
    def trainable(self) -> bool:
        """True if any layer is trainable; setting it sets every layer."""
        return any(layer.trainable for layer in self._weight_layers())

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self._weight_layers():
            layer.trainable = bool(value)

    def _weight_layers(self) -> list:
        """The layers that own weights, nested models' layers in their place."""
        return leaf_layers(self.layers)

    def _ensure_store(self) -> ParamStore:
        """(Re)pack the trainable params into one flat store when the layers changed."""
        layers = self._weight_layers()
        if self._store is None or not self._store.holds(layers):
            self._store = ParamStore(layers)
            if self.optimizer is not None:
                self.optimizer.reset()
        return self._store

    def _ensure_built(self, x) -> None:
        """Sequential builds here from the first data it sees; functional models are built."""
        if not self.built:
            raise ValueError(f"Model '{self.name}' has no layers to run.")

    # -- forward and backward ---------------------------------------------------------
    def _forward(self, X_list: list, training: bool) -> list:
        values = graph.forward(self._nodes, X_list, training)
        return [values[i] for i in self._output_pos]

    def _backward(self, seeds: dict, from_Z: set, input_grads: bool = False) -> list | None:
        grads = graph.backward(self._nodes, seeds, from_Z, input_grads)
        return [grads.get(i) for i in range(len(self.inputs))] if input_grads else None

    def __call__(self, x, training: bool = False):
        """Run the model eagerly on arrays (no batching), like `predict_on_batch`; on
        symbolic tensors, add it as one layer to a functional graph (a nested model)."""
        items = x if isinstance(x, (list, tuple)) else [x]
        if any(isinstance(t, KerasTensor) for t in items):
            return self._symbolic_call(x)
        self._ensure_built(x)
        X_list = inputs.check_inputs(x, self._input_shapes(), self.input_names, self.dtype)
        outs = self._forward(X_list, training)
        return outs if self._multi_output else outs[0]

    def _input_shapes(self) -> list[tuple]:
        return [t.shape for t in self.inputs]

    # -- compile ------------------------------------------------------------------
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
        per_output = _per_output(spec, names, "loss", single_ok=True)
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
            self._loss_weights = [float(w) for w in _per_output(weights, names, "loss_weights")]
        self._metric_specs = _metric_lists(self._metrics_spec, names)
        self._weighted_specs = _metric_lists(getattr(self, "_weighted_metrics_spec", None), names)
        for layer in self._weight_layers():
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
        (`Loss.fused_value_and_grad`) instead of going through dL/dA and the activation.
        Public for diagnostics (nnlab.diagnostics.explain); needs a compiled, built model."""
        self._require_compiled("output_losses")
        if not self.built:
            raise ValueError(f"Model '{self.name}' is not built yet; call it on data first.")
        return list(zip(self._losses, self._loss_weights, self._fused))

    def _require_compiled(self, what: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"You must compile the model before calling {what}(): "
                "model.compile(optimizer=..., loss=...)."
            )

    def _resolve_metrics(self, Y_list: list) -> list[list]:
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

    def _metric_names(self) -> list[str]:
        """Log keys of the metrics in compile order (prefixed by output for several)."""
        names = []
        for out_name, ms in zip(self.output_names, self._metrics or []):
            for m in ms:
                names.append(f"{out_name}_{m.name}" if len(self.outputs) > 1 else m.name)
        return names

    # -- weight penalties (regularizers) -------------------------------------------
    def _penalty(self) -> float:
        """Sum of all weight penalties; added in full to every batch's loss (Keras)."""
        return sum(layer.penalty() for layer in self._regularized)

    def _add_penalty_grads(self) -> None:
        for layer in self._regularized:
            layer.add_penalty_grads()

    @property
    def _regularized(self) -> list:
        return [layer for layer in self._weight_layers() if layer.regularizers]

    # -- loss -----------------------------------------------------------------------
    def _loss(self, outs: list, Y_list: list, sw, need_grad: bool, unit_rows=None):
        """Total loss, per-output losses and (if need_grad) the seeds for backward.

        `unit_rows[i]`: every row of output i's targets sums to exactly 1 (see
        `Loss.fused_value_and_grad`)."""
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
                value, g = loss.fused_value_and_grad(Y, layer._Z, P, sw, unit)
                per_output.append(value)
                total += w * value
                seeds[pos] = g if w == 1.0 else g * w
                from_Z.add(pos)
                continue
            if fused:
                L = loss.forward_logits(Y, layer._Z, P)
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
        return total, per_output, seeds, from_Z

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
        """Train for `epochs` epochs; returns the History. See `nnlab.training.fit`."""
        from nnlab import training

        return training.fit(
            self,
            x,
            y,
            batch_size=batch_size,
            epochs=epochs,
            verbose=verbose,
            callbacks=callbacks,
            validation_split=validation_split,
            validation_data=validation_data,
            shuffle=shuffle,
            class_weight=class_weight,
            sample_weight=sample_weight,
            initial_epoch=initial_epoch,
            seed=seed,
            gradient_health=gradient_health,
            validation_batch_size=validation_batch_size,
            validation_freq=validation_freq,
            steps_per_epoch=steps_per_epoch,
            validation_steps=validation_steps,
        )

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
        """Loss and metrics on (x, y) in inference mode. See `nnlab.training.evaluate`."""
        from nnlab import training

        return training.evaluate(
            self,
            x,
            y,
            batch_size=batch_size,
            verbose=verbose,
            sample_weight=sample_weight,
            callbacks=callbacks,
            return_dict=return_dict,
            steps=steps,
        )

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

    # -- weights ---------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """All weights, layer by layer in `layers` order (kernel (in, out), then bias)."""
        return [W for layer in self._weight_layers() for W in layer.get_weights()]

    def set_weights(self, weights) -> None:
        """Set all weights from a list in `get_weights()` order; shapes must match."""
        weights = list(weights)
        layers = self._weight_layers()
        expected = sum(len(layer.weights) for layer in layers)
        if len(weights) != expected:
            raise ValueError(
                f"Model '{self.name}' expects {expected} weight arrays "
                f"(shapes {[W.shape for layer in layers for W in layer.weights]}). "
                f"Received {len(weights)}."
            )
        k = 0
        for layer in layers:
            n = len(layer.weights)
            layer.set_weights(weights[k : k + n])
            k += n

    def save(self, filepath, preprocessing=None, metadata=None) -> None:
        """Save the whole model to a `.nnlab` file (see `nnlab.models.saving.save_model`),
        or to a Keras 3 `.keras` archive (architecture and weights; see
        `nnlab.models.keras_format`)."""
        from nnlab.models import keras_format, saving

        if str(filepath).endswith(keras_format.SUFFIX):
            keras_format.save_keras(self, filepath)
            return
        saving.save_model(self, filepath, preprocessing=preprocessing, metadata=metadata)

    def save_weights(self, filepath) -> None:
        """Save the weights alone to a `.weights.npz` file (no pickle, written atomically)."""
        from nnlab.models import saving

        saving.save_weights(self, filepath)

    def load_weights(self, filepath) -> None:
        """Load weights saved by `save_weights` into this model (same architecture)."""
        from nnlab.models import saving

        saving.load_weights(self, filepath)

    @property
    def weights(self) -> list[np.ndarray]:
        return [W for layer in self._weight_layers() for W in layer.weights]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        return [
            W for layer in self._weight_layers() if layer.trainable for W in layer.params.values()
        ]

    def count_params(self) -> int:
        """Total number of weights, trainable and not."""
        if not self.built:
            raise ValueError(
                f"Model '{self.name}' is not built yet: give it an Input or call it on data first."
            )
        return int(sum(layer.count_params() for layer in self._weight_layers()))

    def get_layer(self, name: str | None = None, index: int | None = None):
        """A layer by name or by index in `layers`."""
        if index is not None:
            return self.layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No layer named {name!r}. Layers: {[layer.name for layer in self.layers]}"
        )

    def summary(self, print_fn=None, batch_size=None) -> None:
        """Print layers, output shapes and parameter counts (Keras's table).

        Args:
            print_fn: called with the text (default `print`).
            batch_size: nnlab extension; also print the forward FLOPs per sample and
                the memory to train with this batch size (parameters, gradients,
                optimizer state, activations, inputs; see nnlab.diagnostics.memory).
        """
        from nnlab.models.summary import summary_text

        (print_fn or print)(summary_text(self, batch_size=batch_size))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    def _repr_html_(self) -> str:
        """In Jupyter, a model shows its summary table."""
        import html

        from nnlab.models.summary import summary_text

        return f"<pre>{html.escape(summary_text(self))}</pre>"


def _per_output(spec, names: list[str], what: str, single_ok: bool = False) -> list:
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


def _metric_lists(spec, names: list[str]) -> list[list]:
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
        return [list(s) for s in _per_output(spec, names, "metrics")]
    # One list for every output: each output needs its own Metric objects (they keep
    # running totals), so instances are copied per output.
    return [
        [copy.deepcopy(m) if isinstance(m, metrics_mod.Metric) else m for m in spec] for _ in names
    ]


def _warn_single_unit_softmax(model) -> None:
    """Warn, as Keras does, when an output is a softmax over one unit: it is always 1,
    so a cross-entropy on it is always 0 and nothing is learned."""
    for layer, tensor, loss in zip(model._output_layers, model.outputs, model._losses):
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
