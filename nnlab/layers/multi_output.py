"""Layers with several outputs (an RNN with return_state=True) in a functional graph.

The graph has one tensor per node, so a layer with k outputs writes one tensor holding
all k values, and k `OutputItem` nodes each pick one of them. Backward, each pick sends
its gradient back as `Parts` (a list with None for the outputs it does not own); the
graph adds the gradients of a tensor read by several nodes with `+`, which for `Parts`
merges item by item, so the layer receives one gradient per output.
"""

from __future__ import annotations

from nnlab.layers.base import Layer


class Parts(list):
    """Gradients of a multi-output layer, one per output (None: no gradient yet)."""

    def __add__(self, other):
        return Parts(
            b if a is None else a if b is None else a + b for a, b in zip(self, other)
        )

    __radd__ = __add__


class OutputItem(Layer):
    """Picks output `index` of a multi-output layer (made by the graph, not by users)."""

    #: reads one tensor (whose shape is a list), not a list of tensors
    single_input = True

    def __init__(self, index: int, count: int, **kwargs):
        super().__init__(**kwargs)
        self.index, self.count = int(index), int(count)

    def compute_output_shape(self, input_shape):
        return input_shape[self.index]

    def compute_mask(self, mask):
        return mask if self.index == 0 else None  # an RNN's mask belongs to its output

    def forward(self, X, training: bool = False):
        return X[self.index]

    def backward(self, dY, need_dX: bool = True):
        grads = Parts([None] * self.count)
        grads[self.index] = dY
        return grads

    def get_config(self) -> dict:
        return {**super().get_config(), "index": self.index, "count": self.count}


def split_outputs(tensor) -> list:
    """One KerasTensor per output of the multi-output call that made `tensor`."""
    layer, count = tensor.producer, len(tensor.shape)
    return [
        OutputItem(i, count, name=f"{layer.name}_output_{i}", dtype=layer.dtype.name)(tensor)
        for i in range(count)
    ]


def output_gradients(dY, k: int) -> list:
    """The gradients of a layer's k outputs as a list of k, None where an output reaches
    no loss: what a multi-output layer's `backward` unpacks.

    Args:
        dY: what backward received: one array (the first output's gradient) or a list
            (`Parts`) of up to k gradients.
        k: the number of outputs of the layer.

    Example:
        >>> output_gradients([1.0, None], 3), output_gradients(2.0, 2)
        ([1.0, None, None], [2.0, None])
    """
    items = list(dY) if isinstance(dY, (list, tuple)) else [dY]
    return items + [None] * (k - len(items))
