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
    def name(self) -> str:
        return self._layer.name if self._layer is not None else "tensor"

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"
