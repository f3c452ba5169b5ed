"""Convolution + ReLU stacks built two ways, for the tests of the moved ReLU and the pool plan."""

from nnlab import layers


def conv_relu(rank: int, moved: bool, dtype: str):
    """A maker of 3-wide Conv1D/Conv2D layers with a ReLU: as the convolution's activation
    (the layer graph may move it past the max pool that follows), or with `moved=False` as
    its own Activation layer, which the graph never moves: the same function two ways."""
    Conv = layers.Conv2D if rank == 2 else layers.Conv1D

    def make(filters, **kw):
        if moved:
            return [Conv(filters, 3, activation="relu", dtype=dtype, **kw)]
        return [Conv(filters, 3, dtype=dtype, **kw), layers.Activation("relu", dtype=dtype)]

    return make


def max_pooling(rank: int):
    return layers.MaxPooling2D if rank == 2 else layers.MaxPooling1D
