"""Embedding: integer token ids -> rows of a trainable table."""

from __future__ import annotations

import numpy as np

from nnlab import initializers as initializers_mod
from nnlab import regularizers as regularizers_mod
from nnlab.layers.arguments import deny_constraints
from nnlab.layers.base import Layer


class Embedding(Layer):
    """Looks up row X[i, t] of the table E (input_dim, output_dim) for every token.

    Shape: X (n, ...) of integer ids in [0, input_dim) -> (n, ..., output_dim).
    A lookup is a product with a one-hot matrix, A = onehot(X) E, so backward is
    dE = onehot(X)^T dA: each token's gradient is added to its own row (rows of tokens
    that occur several times collect several gradients). Token ids are not
    differentiable: the gradient returned for X is zero.

    Args:
        input_dim: vocabulary size (largest id + 1).
        output_dim: length of each embedding vector.
        embeddings_initializer: default "uniform" (U(-0.05, 0.05)), as Keras.
        embeddings_regularizer: penalty on the table.
        mask_zero: id 0 is padding: the layers after it (SimpleRNN, LSTM, GRU,
            Bidirectional, GlobalAveragePooling1D) skip those steps.

    Example:
        >>> import numpy as np
        >>> emb = Embedding(3, 2, embeddings_initializer="ones")
        >>> emb(np.array([[0, 2]])).shape
        (1, 2, 2)
    """

    supports_masking = True

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        embeddings_constraint=None,
        mask_zero: bool = False,
        **kwargs,
    ):
        for name, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(
                    f"Embedding({name}=...) expects a positive int. Received: {name}={value!r}"
                )
        deny_constraints(self, embeddings_constraint=embeddings_constraint)
        super().__init__(**kwargs)
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = initializers_mod.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers_mod.get(embeddings_regularizer)
        self.mask_zero = bool(mask_zero)
        self._ids = self._mask = None

    def build(self, input_shape) -> None:
        if isinstance(input_shape, list):
            raise ValueError(f"Embedding '{self.name}' takes one input of token ids.")
        self.add_weight(
            "embeddings",
            (self.input_dim, self.output_dim),
            self.embeddings_initializer,
            regularizer=self.embeddings_regularizer,
        )

    def compute_output_shape(self, input_shape):
        return tuple(input_shape) + (self.output_dim,)

    def _token_ids(self, X) -> np.ndarray:
        X = np.asarray(X)
        ids = X.astype(np.intp)
        if X.dtype.kind == "f" and not np.array_equal(ids, X):
            bad = X[ids != X].flat[0]
            raise ValueError(
                f"Embedding '{self.name}' expects integer token ids. Received a non-integer "
                f"value {bad!r}. Map tokens to ids 0 .. {self.input_dim - 1} first."
            )
        if ids.size and (ids.min() < 0 or ids.max() >= self.input_dim):
            bad = ids[(ids < 0) | (ids >= self.input_dim)].flat[0]
            raise ValueError(
                f"Embedding '{self.name}': token id {int(bad)} is outside [0, "
                f"{self.input_dim}) (input_dim={self.input_dim}). Raise input_dim to the "
                "vocabulary size (largest id + 1)."
            )
        return ids

    def forward(self, X, training: bool = False):
        ids = self._token_ids(X)
        self._ids = ids
        self._in_shape = np.shape(X)
        self._mask = (ids != 0) if self.mask_zero else None
        return self.params["embeddings"][ids]

    def compute_mask(self, mask):
        return self._mask

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_ids")
        dE = self.grads["embeddings"]
        dE.fill(0)
        np.add.at(dE, self._ids.reshape(-1), dY.reshape(-1, self.output_dim))
        return np.zeros(self._in_shape, dY.dtype) if need_dX else None

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": initializers_mod.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers_mod.serialize(self.embeddings_regularizer),
            "mask_zero": self.mask_zero,
        }
