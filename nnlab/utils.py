"""Small utilities with Keras's names: `to_categorical`, `set_random_seed`, `PyDataset`."""

from __future__ import annotations

import numpy as np

from nnlab.backend import set_random_seed
from nnlab.data_adapters import PyDataset

__all__ = ["PyDataset", "set_random_seed", "to_categorical"]


def to_categorical(x, num_classes: int | None = None) -> np.ndarray:
    """One-hot encode integer class labels (Keras semantics).

    A trailing axis of size 1 is dropped; `num_classes` defaults to max(x) + 1. The
    result is float64 with shape `x.shape + (num_classes,)`.

    Example:
        >>> to_categorical([0, 2, 1])
        array([[1., 0., 0.],
               [0., 0., 1.],
               [0., 1., 0.]])
    """
    x = np.asarray(x)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.size and x.dtype.kind == "f":
        if not np.all(np.isfinite(x)) or np.any(x != np.round(x)):
            raise ValueError(
                "to_categorical expects integer class labels. Received non-integer "
                f"values such as {x[x != np.round(x)][:3].tolist()}"
            )
    elif x.size and x.dtype.kind not in "iub":
        raise ValueError(f"to_categorical expects integer class labels. Received dtype {x.dtype}")
    labels = x.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical expects labels >= 0. Received a label {labels.min()}")
    if num_classes is None:
        num_classes = int(labels.max()) + 1 if labels.size else 0
    elif labels.size and labels.max() >= num_classes:
        raise ValueError(
            f"to_categorical got a label {labels.max()} but num_classes={num_classes}; "
            "labels must lie in [0, num_classes)"
        )
    out = np.zeros(labels.shape + (num_classes,), dtype=np.float64)
    np.put_along_axis(out, labels[..., None], 1.0, axis=-1)
    return out
