"""Sequential: a plain stack of layers, the chain case of `Model`."""

from __future__ import annotations

import warnings

from nnlab.layers.base import Layer
from nnlab.layers.input_layer import Input, InputLayer
from nnlab.layers.symbolic import KerasTensor
from nnlab.models import inputs as inputs_mod
from nnlab.models.model import Model
from nnlab.models.nested import is_model


class Sequential(Model):
    """A linear stack of layers, each feeding the next.

    Give the input shape with `Input(shape=...)` as the first element (an int is
    accepted for one axis, as in the lectures' Iris tutorial), with `input_shape=` on
    the first layer, or let the model build itself from the first data it sees.

    Example:
        >>> from nnlab.layers import Input, Dense
        >>> model = Sequential([Input(shape=(3,)), Dense(4, activation="sigmoid"),
        ...                     Dense(2, activation="softmax")])
        >>> model.count_params()
        26
    """

    _default_name = "sequential"

    def __init__(self, layers=None, name: str | None = None, trainable: bool = True):
        super().__init__(name=name)
        self._stack: list[Layer] = []
        self._input: KerasTensor | None = None
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._rebuild()
        if not trainable:
            self.trainable = False

    @property
    def layers(self) -> list:
        """The layers, without the InputLayer (as in Keras)."""
        return list(self._stack)

    def add(self, layer, rebuild: bool = True) -> None:
        """Append a layer (or, first, an Input tensor or InputLayer)."""
        if isinstance(layer, KerasTensor) and isinstance(layer.producer, InputLayer):
            layer = layer.producer
        if isinstance(layer, InputLayer):
            if self._input is not None or self._stack:
                raise ValueError(
                    "An Input can only be the first element of a Sequential model. "
                    f"Model '{self.name}' already has "
                    f"{'an Input' if self._input is not None else 'layers'}."
                )
            self._input = layer.output
        elif isinstance(layer, Layer) or is_model(layer):
            if any(existing.name == layer.name for existing in self._stack):
                raise ValueError(
                    f"Layer names must be unique in a Sequential model; '{layer.name}' is "
                    "already in it."
                )
            declared = self._declared_shape(layer)
            if declared is not None:
                if self._stack:
                    raise ValueError(
                        f"Layer '{layer.name}' was given input_shape={declared}, but only "
                        "the first layer of a Sequential model may declare an input shape."
                    )
                if self._input is None:
                    self._input = Input(shape=declared, dtype=layer.dtype.name)
                elif tuple(self._input.shape[1:]) != tuple(declared):
                    raise ValueError(
                        f"Layer '{layer.name}' declares input_shape={declared} but the "
                        f"model's Input has shape {self._input.shape[1:]}."
                    )
                else:
                    warnings.warn(
                        f"Layer '{layer.name}': input_shape is ignored because the model "
                        "already starts with an Input.",
                        stacklevel=3,
                    )
            self._stack.append(layer)
        else:
            raise TypeError(
                "Sequential.add expects a Layer or a Model (or an Input first). "
                f"Received: {layer!r} of type {type(layer).__name__}"
            )
        if rebuild:
            self._rebuild()

    def _declared_shape(self, layer):
        """The input shape `layer` declares (a built model first in line declares its
        Input's, as in Keras)."""
        if not is_model(layer):
            return layer.declared_input_shape
        if self._stack or self._input is not None or not layer.built or len(layer.inputs) > 1:
            return None
        return tuple(layer.inputs[0].shape[1:])

    def pop(self) -> Layer:
        """Remove and return the last layer."""
        if not self._stack:
            raise ValueError(f"Sequential model '{self.name}' has no layers to pop.")
        layer = self._stack.pop()
        self._rebuild()
        return layer

    def _rebuild(self) -> None:
        if self._input is None or not self._stack:
            self._nodes = []
            return
        x = self._input
        for layer in self._stack:
            x = layer(x)
        self._set_graph(self._input, x)

    def build(self, input_shape) -> None:
        """Build for inputs of `input_shape` (batch axis first, e.g. (None, 4))."""
        if self._input is None:
            dtype = self._stack[0].dtype.name if self._stack else None
            self._input = Input(shape=tuple(input_shape)[1:], dtype=dtype)
        elif tuple(self._input.shape[1:]) != tuple(input_shape)[1:]:
            raise ValueError(
                f"Sequential model '{self.name}' is already built for inputs of shape "
                f"{self._input.shape}; it cannot be rebuilt for {tuple(input_shape)}."
            )
        self._rebuild()

    def ensure_built(self, x) -> None:
        if self.built:
            return
        if not self._stack:
            raise ValueError(f"Sequential model '{self.name}' has no layers. Add some first.")
        arrays = inputs_mod.as_list(x, ["input"], "input")
        A = inputs_mod.to_array(arrays[0], "Input")
        if A.ndim < 2:
            raise ValueError(
                f"Sequential model '{self.name}' builds from the first data it sees and "
                f"needs samples of at least one axis. Received shape {A.shape}; reshape "
                "1-D data with x.reshape(-1, 1)."
            )
        self.build((None,) + A.shape[1:])
