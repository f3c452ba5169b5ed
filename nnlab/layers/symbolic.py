"""Symbolic tensors: what `Input()` returns and what calling a layer on one returns.

A `KerasTensor` holds no data: only its shape (batch axis first, `None` for the batch),
its dtype, and the layer call that produced it. `Model(inputs, outputs)` walks these
links back from the outputs to find the graph.
"""

from __future__ import annotations


class KerasTensor:
    """A placeholder for the output of a layer in a functional graph."""

    def __init__(self, shape: tuple, dtype: str, layer=None, inputs: tuple = ()):
        self.shape = tuple(shape)
        self.dtype = dtype
        self._layer = layer  # the layer whose call produced this tensor
        self._inputs = tuple(inputs)  # the KerasTensors that call consumed

    @property
    def producer(self):
        """The layer whose call produced this tensor (an `InputLayer` for `Input()`'s).

        `Model(inputs, outputs)` walks `producer` and `producer_inputs` back from the
        outputs to find its graph; model files name a tensor by its producer. Keras keeps
        the same link, privately, as `_keras_history.operation`.

        Example:
            >>> from nnlab.layers import Dense, Input
            >>> x = Input(shape=(2,), name="x")
            >>> Dense(3, name="d")(x).producer.name
            'd'
        """
        return self._layer

    @property
    def producer_inputs(self) -> tuple:
        """The KerasTensors the producing call consumed, in call order (empty for an
        `Input()`); what graph building follows back from a tensor."""
        return self._inputs

    @property
    def name(self) -> str:
        return self._layer.name if self._layer is not None else "tensor"

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"
