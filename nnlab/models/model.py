"""Model: a graph of layers with Keras's compile / fit / evaluate / predict.

`Model(inputs, outputs)` is the functional API (several inputs and outputs, branches
merged by merge layers); `Sequential` is the chain case built on the same engine.
The loop itself lives in `nnlab.training`; this class holds the graph and the weights,
`CompileMixin` (nnlab.models.compiling) the compiled losses and metrics, and
`TrainingMixin` (nnlab.models.training_api) the batch loss and fit / evaluate / predict.
"""

from __future__ import annotations

import numpy as np

from nnlab.layers.base import unique_name
from nnlab.layers.input_layer import InputLayer
from nnlab.layers.symbolic import KerasTensor
from nnlab.models import graph, inputs
from nnlab.models.compiling import CompileMixin
from nnlab.models.introspection import KerasIntrospection
from nnlab.models.nested import NestedModel, leaf_layers, unique
from nnlab.models.training_api import TrainingMixin
from nnlab.step.param_store import ParamStore, packed


class Model(CompileMixin, TrainingMixin, NestedModel, KerasIntrospection):
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
            if not isinstance(t.producer, InputLayer):
                raise ValueError(
                    f"Model inputs must come straight from Input(). Received the output "
                    f"of layer '{t.producer.name}'."
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
        self._output_layers = [t.producer for t in outs]
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
        return self._input_names_given or [t.producer.name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [layer.name for layer in self._output_layers]

    @property
    def output_layers(self) -> list:
        """The layers whose calls produce the model's outputs, in output order; compile
        pairs each with its loss (and checks its activation). Empty until built."""
        return self._output_layers if self.built else []

    @property
    def multi_output(self) -> bool:
        """True when the model was built with a list of several outputs: `predict` and
        calling the model then return a list, and model files (`.nnlab`, `.keras`) save
        the outputs as a list. A one-element list of outputs is one output, as in Keras.
        False for a model not built yet."""
        return bool(self.built and self._multi_output)

    @property
    def output_positions(self) -> list[int]:
        """Per model output, in output order, the position in `graph_nodes` of the node
        that writes it (node i writes tensor i); `forward_pass` reads its outputs there,
        and the model-file and ONNX writers use it to name each output's producer.
        Empty until built."""
        return self._output_pos if self.built else []

    @property
    def dtype(self) -> np.dtype:
        if self.built:
            return self.inputs[0].producer.dtype
        layers = self.layers  # an unbuilt Sequential computes in its first layer's dtype
        return layers[0].dtype if layers else np.dtype("float32")

    @property
    def trainable(self) -> bool:
        """True if any layer is trainable; setting it sets every layer."""
        return any(layer.trainable for layer in self.weight_layers())

    @trainable.setter
    def trainable(self, value: bool) -> None:
        for layer in self.weight_layers():
            layer.trainable = bool(value)

    def weight_layers(self) -> list:
        """The layers that own weights, nested models' layers in their place."""
        return leaf_layers(self.layers)

    @property
    def parameter_store(self) -> ParamStore | None:
        """The flat store of the trainable weights (`store.W`) and their gradients
        (`store.dW`), each layer's `params` / `grads` views into it; None until the first
        `fit` / `train_on_batch` packs it (it is repacked when what is trainable changes).
        """
        return self._store

    def pack_parameters(self) -> ParamStore:
        """Pack the trainable weights into the flat store (`nnlab.step.ParamStore`), or
        repack them when what is trainable changed since; returns `parameter_store`.
        A repack resets the optimizer, whose slots were built for the old store.

        Example:
            >>> from nnlab.layers import Dense, Input
            >>> x = Input(shape=(2,))
            >>> model = Model(x, Dense(3)(x))
            >>> store = model.pack_parameters()
            >>> store.W.size, model.parameter_store is store
            (9, True)
        """
        store = packed(self._store, self.weight_layers())
        if store is not self._store:
            self._store = store
            if self.optimizer is not None:
                self.optimizer.reset()
        return store

    def ensure_built(self, x) -> None:
        """Make sure the model has its graph before running on `x`: a Sequential
        without an Input builds here from the first data it sees; a functional model
        is built already (only an empty one raises)."""
        if not self.built:
            raise ValueError(f"Model '{self.name}' has no layers to run.")

    @property
    def graph_nodes(self) -> list:
        """The graph's nodes in the order forward runs them (`nnlab.models.graph.Node`:
        `layer`, `inputs`, `output`, `shared`); a layer called twice has two nodes, and
        the InputLayers have theirs."""
        return list(self._nodes)

    # -- forward and backward ---------------------------------------------------------
    def forward_pass(self, X_list: list, training: bool) -> list:
        """Run the graph on checked inputs (one array per model input) and return the
        outputs A, one array per model output. In training mode every layer keeps
        what its backward needs (`Layer.last_X`, `last_Z`, `last_A`).

        Example:
            >>> import numpy as np
            >>> from nnlab.layers import Dense, Input
            >>> x = Input(shape=(2,))
            >>> model = Model(x, Dense(1, kernel_initializer="ones")(x))
            >>> model.forward_pass([np.array([[1.0, 2.0]], dtype="float32")], training=True)
            [array([[3.]], dtype=float32)]
        """
        values = graph.forward(self._nodes, X_list, training)
        return [values[i] for i in self._output_pos]

    def backward_pass(
        self, gradients: dict, from_Z: set, input_grads: bool = False
    ) -> list | None:
        """Backpropagate from the outputs after a training-mode `forward_pass`: every
        trainable layer's `grads` receive dL/dW.

        Args:
            gradients: {output position: the gradient to start from}, as
                `batch_loss(...).gradients` gives it: dL/dA of an output, or dL/dZ of
                its pre-activation for the positions in `from_Z`.
            from_Z: the output positions whose gradient is dL/dZ (fused outputs).
            input_grads: also return dL/dX for every model input.

        Returns:
            The list of dL/dX per input (None for an input no gradient reaches) if
            `input_grads`, else None.
        """
        grads = graph.backward(self._nodes, gradients, from_Z, input_grads)
        return [grads.get(i) for i in range(len(self.inputs))] if input_grads else None

    def __call__(self, x, training: bool = False):
        """Run the model eagerly on arrays (no batching), like `predict_on_batch`; on
        symbolic tensors, add it as one layer to a functional graph (a nested model)."""
        items = x if isinstance(x, (list, tuple)) else [x]
        if any(isinstance(t, KerasTensor) for t in items):
            return self._symbolic_call(x)
        self.ensure_built(x)
        X_list = self.check_inputs(x)
        outs = self.forward_pass(X_list, training)
        return outs if self._multi_output else outs[0]

    def check_inputs(self, x) -> list:
        """`x` checked against the model's inputs (shapes, names, count), as a list
        of arrays in the model's dtype, one per input; a clear error otherwise.

        Example:
            >>> import numpy as np
            >>> from nnlab.layers import Dense, Input
            >>> x = Input(shape=(2,))
            >>> [X.shape for X in Model(x, Dense(1)(x)).check_inputs(np.ones((4, 2)))]
            [(4, 2)]
        """
        return inputs.check_inputs(x, self._input_shapes(), self.input_names, self.dtype)

    def _input_shapes(self) -> list[tuple]:
        return [t.shape for t in self.inputs]

    # -- compile ------------------------------------------------------------------
    # -- weights ---------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """All weights, layer by layer in `layers` order (kernel (in, out), then bias)."""
        return [W for layer in self.weight_layers() for W in layer.get_weights()]

    def set_weights(self, weights) -> None:
        """Set all weights from a list in `get_weights()` order; shapes must match."""
        weights = list(weights)
        layers = self.weight_layers()
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
        return [W for layer in self.weight_layers() for W in layer.weights]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        return [
            W for layer in self.weight_layers() if layer.trainable for W in layer.params.values()
        ]

    def count_params(self) -> int:
        """Total number of weights, trainable and not."""
        if not self.built:
            raise ValueError(
                f"Model '{self.name}' is not built yet: give it an Input or call it on data first."
            )
        return int(sum(layer.count_params() for layer in self.weight_layers()))

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
