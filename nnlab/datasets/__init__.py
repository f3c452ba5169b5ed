"""Offline datasets: bundled real data, seeded generators, and readers for files you have.

Everything works without a network: the real datasets ship inside nnlab (or scikit-learn),
the synthetic ones are generated with NumPy, and the readers parse IDX / CIFAR-10 binary files
already on disk. Every loader returns a `Dataset` (unpack it as `X, y = ds`).

Example:
    >>> from nnlab import datasets
    >>> X, y = datasets.load_penguins_lecture()
    >>> X.shape, datasets.load("circle", seed=0).task
    ((342, 3), 'binary')
"""

from nnlab.datasets.base import TASKS, Dataset
from nnlab.datasets.bundled import (
    PENGUIN_FEATURES,
    PENGUIN_LECTURE_FEATURES,
    TITANIC_FEATURES,
    load_digits,
    load_iris,
    load_mnist_subset,
    load_penguins,
    load_penguins_lecture,
    load_titanic,
)
from nnlab.datasets.catalog import list_datasets, load
from nnlab.datasets.playground import (
    make_circle,
    make_circle_bench,
    make_gauss,
    make_reg_gauss,
    make_reg_plane,
    make_spiral,
    make_xor,
)
from nnlab.datasets.readers import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    load_cifar10_dataset,
    load_idx_dataset,
    read_cifar10_binary,
    read_idx,
)
from nnlab.datasets.sequences import make_adding, make_parity, make_sine_forecast
from nnlab.datasets.synthetic import make_polynomial, make_sine, make_teacher, teacher_weights

__all__ = [
    "CIFAR10_CLASSES",
    "FASHION_MNIST_CLASSES",
    "PENGUIN_FEATURES",
    "PENGUIN_LECTURE_FEATURES",
    "TASKS",
    "TITANIC_FEATURES",
    "Dataset",
    "list_datasets",
    "load",
    "load_cifar10_dataset",
    "load_digits",
    "load_idx_dataset",
    "load_iris",
    "load_mnist_subset",
    "load_penguins",
    "load_penguins_lecture",
    "load_titanic",
    "make_adding",
    "make_circle",
    "make_circle_bench",
    "make_gauss",
    "make_parity",
    "make_polynomial",
    "make_reg_gauss",
    "make_reg_plane",
    "make_sine",
    "make_sine_forecast",
    "make_spiral",
    "make_teacher",
    "make_xor",
    "read_cifar10_binary",
    "read_idx",
    "teacher_weights",
]
