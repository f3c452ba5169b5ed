"""Dataset: arrays plus what a person needs to read them (names, task, provenance)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

TASKS = ("binary", "multiclass", "multilabel", "regression")


@dataclass
class Dataset:
    """A dataset ready for training.

    Attributes:
        X: features, shape (n, d) (or (n, h, w[, c]) for images).
        y: targets: integer class labels (n,) for binary/multiclass, a 0/1 matrix (n, k)
            for multilabel, floats (n,) or (n, k) for regression.
        feature_names: one name per feature column.
        target_names: class names (classification) or target column names (regression).
        task: one of "binary", "multiclass", "multilabel", "regression".
        name: short dataset name.
        description: one paragraph: what the rows are and where they come from.
        license: the data's licence and attribution.
        frame: the raw table (a pandas DataFrame) where there is one, else None.
        notes: what loading did (dropped rows, imputations, ...), one line each.
        images: for image data loaded as flat rows (digits, MNIST subset), the same
            pixels shaped (n, h, w[, c]); None otherwise.
        preprocessor: the fitted preprocessing that produced X from a table (for
            `load_csv`), to apply to new rows; None for bundled arrays.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_names: list[str]
    task: str
    name: str = ""
    description: str = ""
    license: str = ""
    frame: object = None
    notes: list[str] = field(default_factory=list)
    images: np.ndarray | None = None
    preprocessor: object = None

    def __post_init__(self):
        if self.task not in TASKS:
            raise ValueError(f"task must be one of {TASKS}. Received: task={self.task!r}")

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_classes(self) -> int | None:
        """Number of classes for classification tasks, None for regression."""
        if self.task == "regression":
            return None
        return len(self.target_names)

    def __iter__(self):
        """Unpack as `X, y = dataset`."""
        return iter((self.X, self.y))

    def __repr__(self) -> str:
        return (
            f"Dataset(name={self.name!r}, X{tuple(self.X.shape)}, y{tuple(self.y.shape)}, "
            f"task={self.task!r}, target_names={self.target_names[:5]!r})"
        )
