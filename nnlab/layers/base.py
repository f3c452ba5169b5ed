"""The layer contract shared by every layer.

A layer has three dicts and four methods, nothing hidden:

- `params`: trainable weights keyed by Keras's weight names (`kernel`, `bias`, ...), in
  creation order, so `get_weights()` matches Keras's order and shapes;
- `grads`: one gradient per param, same shape, written in place by `backward` (a model
  may have replaced both with views into its flat parameter store, so a layer never
  rebinds them);
- `state`: non-trainable arrays (moving statistics), never touched by optimizers;
- `build(input_shape)` creates the weights, `forward(X, training)` computes the output
  and keeps what backward needs, `backward(dY, need_dX=True)` sets every `grads[k]` and
  returns dX, and `compute_output_shape(input_shape)`.

Shapes carry the batch axis first; `input_shape` given to `build` has `None` there.
"""

from __future__ import annotations

import copy
import math
import re
from collections import defaultdict

import numpy as np

from nnlab.backend import check_weight_size, standardize_dtype
from nnlab.layers.arguments import as_shape
from nnlab.layers.symbolic import KerasTensor

_name_counts: dict[str, int] = defaultdict(int)


def unique_name(prefix: str) -> str:
    """Keras's naming: the first `dense`, then `dense_1`, `dense_2`, ... per process."""
    n = _name_counts[prefix]
    _name_counts[prefix] += 1
    return prefix if n == 0 else f"{prefix}_{n}"


def clear_session() -> None:
    """Reset the layer-name counters (Keras's `clear_session`)."""
    _name_counts.clear()


def snake_case(name: str) -> str:
    """Keras's rule: "BatchNormalization" -> "batch_normalization", "Conv2D" -> "conv2d"."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


class Layer:
    """Base class of all layers.

    Args:
        name: unique name; defaults to the snake-case class name plus a counter.
        dtype: float dtype of the weights and computation; defaults to floatx().
        trainable: whether optimizers update this layer's params.
        input_shape: (for the first layer of a Sequential) the shape of one sample.
    """

    #: whether a mask from the layer before (Embedding(mask_zero=True)) passes through
    supports_masking = False

    def __init__(
        self,
        name: str | None = None,
        dtype=None,
        trainable: bool = True,
        input_shape=None,
        input_dim: int | None = None,
        activity_regularizer=None,
    ):
        if activity_regularizer is not None:
            raise ValueError(
                f"{type(self).__name__}: activity_regularizer is not supported by nnlab "
                "(weight penalties are: kernel_regularizer / bias_regularizer). "
                f"Received: activity_regularizer={activity_regularizer!r}"
            )
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(
                f"A layer name must be a non-empty string without '/'. Received: name={name!r}"
            )
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._dtype = standardize_dtype(dtype)  # fixed at creation, as in Keras
        self.trainable = bool(trainable)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.state: dict[str, np.ndarray] = {}
        #: weight name -> Regularizer, for the penalties of kernel_regularizer etc.
        self.regularizers: dict[str, object] = {}
        self.built = False
        self.input_shape: tuple | None = None
        self.output_shape: tuple | None = None
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        self._declared_input_shape = as_shape(input_shape) if input_shape is not None else None

    # -- configuration -------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        return self._dtype

    @property
    def declared_input_shape(self) -> tuple | None:
        """The input shape given to the constructor (`input_shape=`, or `input_dim=` as
        a one-axis shape), without the batch axis; None if none was given. Sequential
        builds from the first layer's, as Keras does."""
        return self._declared_input_shape

    def get_config(self) -> dict:
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}

    @classmethod
    def from_config(cls, config: dict):
        """A new, unbuilt layer from `get_config()`'s dict (Keras's from_config)."""
        return cls(**config)

    # -- building --------------------------------------------------------------------
    def build(self, input_shape) -> None:
        """Create weights for inputs of `input_shape` (batch axis first)."""
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_mask(self, mask):
        """The mask of this layer's output, given its input's (None: no mask)."""
        return mask if self.supports_masking else None

    def build_once(self, input_shape) -> None:
        """Build for `input_shape` (batch axis first) the first time, and set
        `input_shape` and `output_shape`; once built, only check that `input_shape` is
        the one it was built for (a clear error otherwise). Calling a layer does this;
        wrappers (Bidirectional, TimeDistributed) build their inner layers with it."""
        if self.built:
            self._check_same_input_shape(input_shape)
            return
        self.input_shape = input_shape
        self.build(input_shape)
        self.built = True
        self.output_shape = self.compute_output_shape(input_shape)

    def _check_same_input_shape(self, input_shape) -> None:
        if self.input_shape is None:
            return
        old, new = _feature_shapes(self.input_shape), _feature_shapes(input_shape)
        if old != new:
            raise ValueError(
                f"Layer '{self.name}' was built for inputs of shape "
                f"{self.input_shape} but now receives {input_shape}. "
                "A layer's input shape (all but the batch axis) is fixed once built."
            )

    def add_weight(
        self, name: str, shape: tuple, initializer, trainable: bool = True, regularizer=None
    ):
        if _planning:  # planned_weights: a read-only placeholder that allocates nothing
            W = np.broadcast_to(np.zeros((), self.dtype), tuple(shape))
        else:
            check_weight_size(f"{type(self).__name__} '{self.name}'", name, shape, self.dtype)
            W = initializer(shape, self.dtype)
        if regularizer is not None:
            self.regularizers[name] = regularizer
        if trainable:
            self.params[name] = W
            self.grads[name] = W if _planning else np.zeros_like(W)
        else:
            self.state[name] = W
        return W

    def penalty(self) -> float:
        """Sum of this layer's weight penalties (0 without regularizers)."""
        if not self.trainable:
            return 0.0
        return sum(reg.penalty(self.params[k]) for k, reg in self.regularizers.items())

    def add_penalty_grads(self) -> None:
        """Add each penalty's gradient to the matching weight gradient."""
        if self.trainable:
            for k, reg in self.regularizers.items():
                self.grads[k] += reg.grad(self.params[k])

    # -- computing -------------------------------------------------------------------
    def forward(self, X, training: bool = False):
        raise NotImplementedError

    def backward(self, dY, need_dX: bool = True):
        raise NotImplementedError

    def __call__(self, inputs, training: bool = False):
        """On KerasTensors: add this layer to a functional graph. On arrays: run it."""
        items = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if any(isinstance(t, KerasTensor) for t in items):
            if not all(isinstance(t, KerasTensor) for t in items):
                raise TypeError(
                    f"Layer '{self.name}' was called on a mix of symbolic tensors and "
                    "arrays. In a functional model every input must come from Input() "
                    "or another layer."
                )
            shape = [t.shape for t in items] if isinstance(inputs, (list, tuple)) else inputs.shape
            self.build_once(shape)
            out_shape = self.compute_output_shape(shape)
            self._input_tensor = inputs
            out = KerasTensor(out_shape, self.dtype.name, self, tuple(items))
            if isinstance(out_shape, list):  # several outputs (return_state): one tensor each
                from nnlab.layers.multi_output import split_outputs

                out = split_outputs(out)
            self.output = out
            return out
        if isinstance(inputs, (list, tuple)):
            X = [np.asarray(x, dtype=self.dtype) for x in inputs]
            shape = [(None,) + x.shape[1:] for x in X]
        else:
            X = np.asarray(inputs, dtype=self.dtype)
            shape = (None,) + X.shape[1:]
        self.build_once(shape)
        return self.forward(X, training=training)

    # -- what the last training forward kept for backward (the lectures' X, Z, A) -------
    @property
    def last_X(self):
        """The input X of the last forward pass that backward will use (None before
        one, or if this layer keeps none). For reading only: gradient checks and the
        gradient-health recorder look here; changing it changes the next backward.
        During `fit` of a chain of Dense layers (`nnlab.step.StepPlan`) the hidden layers'
        X, Z and A are arrays the next step writes over: copy one to keep it."""
        return getattr(self, "_X", None)

    @property
    def last_Z(self):
        """The pre-activation Z = X W + b of the last forward pass. None if none was kept,
        and where the activation was computed in place over Z (relu, tanh, linear...: their
        backward needs only A, so Z's memory holds A after the forward pass)."""
        Z = getattr(self, "_Z", None)
        return None if Z is not None and Z is getattr(self, "_A", None) else Z

    @property
    def last_A(self):
        """The activation A = g(Z) of the last forward pass (None if none kept)."""
        return getattr(self, "_A", None)

    @property
    def keeps_A(self) -> bool:
        """Whether this kind of layer keeps the activation A of its forward pass for
        backward (Dense, the convolutions, Activation, Dot; not the recurrent layers),
        so that `last_A` holds it after a training forward pass."""
        return hasattr(self, "_A")

    def _require_forward(self, attr: str) -> None:
        if getattr(self, attr, None) is None:
            raise RuntimeError(
                f"Layer '{self.name}': backward() was called before forward(). "
                "Run forward(X, training=True) on a batch first."
            )

    # -- the symbolic tensors of the last call (Keras's layer.input / layer.output) -----
    @property
    def output(self) -> KerasTensor:
        """The symbolic output of this layer's call in a model, so that
        `Model(model.input, model.layers[1].output)` extracts hidden features."""
        tensor = self.__dict__.get("_output_tensor")
        if tensor is None:
            raise ValueError(
                f"Layer '{self.name}' has never been called on a symbolic input and thus "
                "has no defined output. Put it in a model with an Input first."
            )
        return tensor

    @output.setter
    def output(self, tensor: KerasTensor) -> None:
        self._output_tensor = tensor

    @property
    def input(self):
        """The symbolic input(s) of this layer's call in a model."""
        if "_input_tensor" not in self.__dict__:
            raise ValueError(
                f"Layer '{self.name}' has never been called on a symbolic input and thus "
                "has no defined input. Put it in a model with an Input first."
            )
        return self._input_tensor

    # -- weights ---------------------------------------------------------------------
    @property
    def weights(self) -> list[np.ndarray]:
        return list(self.params.values()) + list(self.state.values())

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights: trainable params in creation order, then state."""
        return [W.copy() for W in self.weights]

    def set_weights(self, weights) -> None:
        """Overwrite the weights in place; count and shapes must match exactly."""
        targets = self.weights
        weights = list(weights)
        if len(weights) != len(targets):
            raise ValueError(
                f"Layer '{self.name}' expects {len(targets)} weight arrays "
                f"(shapes {[t.shape for t in targets]}). Received {len(weights)}."
            )
        for target, W in zip(targets, weights):
            W = np.asarray(W)
            if W.shape != target.shape:
                raise ValueError(
                    f"Layer '{self.name}': weight shape mismatch. Expected "
                    f"{target.shape}, received {W.shape}."
                )
            target[...] = W

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(
                f"Layer '{self.name}' is not built yet, so it has no weights to count. "
                "Call it on an input or build the model first."
            )
        return int(sum(W.size for W in self.weights))

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"


_planning = False


def planned_weights(layer: Layer, input_shape) -> dict[str, tuple[tuple, str, bool]]:
    """The weights `layer` creates when built for `input_shape`, without allocating them.

    Returns {name: (shape, dtype name, trainable)} in `get_weights` order (params, then
    state). A copy of the unbuilt layer is built while `add_weight` hands out read-only
    zero-stride placeholders, so a layer declaring 10^10 weights costs nothing here; model
    files use this to check their arrays against the graph before reading them.
    """
    global _planning
    probe = copy.deepcopy(layer)
    before, _planning = _planning, True
    try:
        probe.build(input_shape)
    finally:
        _planning = before
    weights = {k: (tuple(W.shape), W.dtype.name, True) for k, W in probe.params.items()}
    weights.update({k: (tuple(W.shape), W.dtype.name, False) for k, W in probe.state.items()})
    return weights


def _feature_shapes(shape):
    if isinstance(shape, list):
        return [tuple(s[1:]) for s in shape]
    return tuple(shape[1:])


def prod(shape) -> int:
    return int(math.prod(shape))
