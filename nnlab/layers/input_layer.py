"""Input: the entry point of a functional graph."""

from __future__ import annotations

import numpy as np

from nnlab.layers.arguments import as_shape
from nnlab.layers.base import Layer
from nnlab.layers.symbolic import KerasTensor


class InputLayer(Layer):
    """Holds the shape of one input; forward passes the batch through unchanged.

    Shape: X (n, *shape) -> X (n, *shape)
    """

    def __init__(
        self, shape=None, batch_size: int | None = None, dtype=None, name=None, batch_shape=None
    ):
        if dtype is not None and np.dtype(dtype).kind in "iub":
            dtype = None  # integer token ids, booleans: carried in the float type (see Input)
        super().__init__(name=name, dtype=dtype)
        if shape is not None and batch_shape is not None:
            raise ValueError("Pass either shape or batch_shape to Input, not both.")
        if batch_shape is not None:
            if batch_size is not None:
                raise ValueError("Pass either batch_size or batch_shape to Input, not both.")
            batch_shape = as_shape(batch_shape)
            batch_size, shape = batch_shape[0], batch_shape[1:]
        elif shape is None:
            raise ValueError(
                "Input needs the shape of one sample, e.g. Input(shape=(4,)). "
                "Received neither shape nor batch_shape."
            )
        else:
            shape = as_shape(shape)
        if 0 in shape:
            raise ValueError(
                "Input expects every axis of a sample to have size >= 1 (or None): a sample "
                f"of zero values gives the model nothing to compute with. Received: "
                f"shape={shape}. Pass the number of features, e.g. Input(shape=(4,))."
            )
        self.sample_shape = shape
        self.batch_size = batch_size
        self.input_shape = self.output_shape = (batch_size,) + shape
        self.built = True
        self.output = KerasTensor(self.output_shape, self.dtype.name, self)
        self._input_tensor = self.output

    def forward(self, X, training: bool = False):
        return X

    def backward(self, dY, need_dX: bool = True):
        return dY

    def get_config(self) -> dict:
        return {"shape": list(self.sample_shape), "dtype": self.dtype.name, "name": self.name}


def Input(
    shape=None, batch_size: int | None = None, dtype=None, name: str | None = None, batch_shape=None
) -> KerasTensor:
    """A symbolic input of the given per-sample `shape` (batch axis excluded).

    Unlike Keras, a bare int is accepted as a one-axis shape (`Input(shape=4)` means
    `Input(shape=(4,))`), as the lectures' Iris tutorial writes it. And an integer dtype,
    as Keras code declares token ids for an Embedding (`Input(shape=(None,),
    dtype="int32")`), is accepted but the ids are carried in the float type (floatx()),
    as nnlab does for every input: Embedding checks that they are whole numbers, and
    float32 holds every id below 2**24 exactly. A bool dtype is held the same way, as 0
    and 1.

    Example:
        >>> x = Input(shape=(4,))
        >>> x.shape
        (None, 4)
        >>> Input(shape=(6,), dtype="int32").dtype  # token ids, held as floats
        'float32'
    """
    return InputLayer(shape, batch_size, dtype, name, batch_shape).output
