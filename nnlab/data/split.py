"""Leak-free splits: holdout (train / validation / test) and k-fold, as index arrays.

Splitting by index keeps one copy of the data and lets preprocessing be fitted on the
training indices only. Everything is seeded and stratified by class when asked (the
default for classification targets), built on scikit-learn's splitters.
"""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split


def class_labels(y) -> np.ndarray | None:
    """Integer class labels for stratifying, or None for regression-like targets.

    Accepts labels (n,), one-hot (n, k) or binary (n, 1) targets; floats that are not
    whole numbers mean regression.
    """
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        if np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1):
            return y.argmax(axis=1)
        return None  # multi-label or multi-output regression
    y = y.reshape(len(y), -1)[:, 0] if y.ndim == 2 else y
    if y.dtype.kind in "OUSb":
        return np.unique(y, return_inverse=True)[1]
    if y.dtype.kind == "f" and (not np.all(np.isfinite(y)) or np.any(y != np.round(y))):
        return None
    values = np.unique(y)
    if len(values) > max(20, len(y) // 10):
        return None  # many distinct integers: a count, not a class
    return np.searchsorted(values, y)


def holdout_split(
    n_or_y,
    val_size: float = 0.2,
    test_size: float = 0.2,
    stratify: bool = True,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Indices of a train / validation / test split (default 60 / 20 / 20).

    Args:
        n_or_y: the number of samples, or the targets (then the split is stratified by
            class when `stratify` and the targets are classes).
        val_size, test_size: fractions of all samples; either may be 0.
        stratify: keep the class proportions in every part.
        seed: the split's seed.

    Returns:
        (train_idx, val_idx, test_idx), each sorted.

    Example:
        >>> train, val, test = holdout_split(10, seed=0)
        >>> len(train), len(val), len(test)
        (6, 2, 2)
    """
    if not (0 <= val_size < 1 and 0 <= test_size < 1 and val_size + test_size < 1):
        raise ValueError(
            "val_size and test_size must lie in [0, 1) and sum to less than 1. Received "
            f"val_size={val_size}, test_size={test_size}"
        )
    if isinstance(n_or_y, (int, np.integer)):
        n, labels = int(n_or_y), None
    else:
        labels = class_labels(n_or_y) if stratify else None
        n = len(n_or_y)
    idx = np.arange(n)
    n_test = int(round(n * test_size))
    n_val = int(round(n * val_size))
    rest, test = _cut(idx, labels, n_test, seed)
    rest_labels = None if labels is None else labels[rest]
    train, val = _cut(rest, rest_labels, n_val, seed + 1)
    return np.sort(train), np.sort(val), np.sort(test)


def _cut(idx, labels, n_out: int, seed: int):
    if n_out == 0:
        return idx, idx[:0]
    strat = labels
    if strat is not None:
        counts = np.bincount(strat)
        counts = counts[counts > 0]
        if counts.min() < 2 or n_out < len(counts) or len(idx) - n_out < len(counts):
            strat = None  # too few samples per class to stratify
    return train_test_split(idx, test_size=n_out, random_state=seed, shuffle=True, stratify=strat)


def kfold_indices(
    n_or_y, k: int = 5, stratified: bool | None = None, shuffle: bool = True, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train_idx, val_idx) for each of k folds; every sample is validated exactly once.

    Args:
        n_or_y: the number of samples, or the targets.
        k: the number of folds (>= 2).
        stratified: keep class proportions per fold; None means yes when the targets
            are classes.
        shuffle: shuffle before cutting the folds (with `seed`).
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 2:
        raise ValueError(f"k-fold needs an int k >= 2. Received: k={k!r}")
    if isinstance(n_or_y, (int, np.integer)):
        n, labels = int(n_or_y), None
    else:
        n, labels = len(n_or_y), class_labels(n_or_y)
    if k > n:
        raise ValueError(f"Cannot make {k} folds of {n} samples; use k <= {n}.")
    if stratified is None:
        stratified = labels is not None
    if stratified and labels is None:
        raise ValueError("stratified k-fold needs class targets; pass y (labels or one-hot).")
    rs = seed if shuffle else None
    if stratified:
        counts = np.bincount(labels)
        if counts[counts > 0].min() < k:
            raise ValueError(
                f"stratified {k}-fold needs at least {k} samples of every class. Received class "
                f"counts {counts.tolist()}; lower k or use stratified=False."
            )
        splitter = StratifiedKFold(k, shuffle=shuffle, random_state=rs)
        return [(np.sort(a), np.sort(b)) for a, b in splitter.split(np.zeros(n), labels)]
    splitter = KFold(k, shuffle=shuffle, random_state=rs)
    return [(np.sort(a), np.sort(b)) for a, b in splitter.split(np.zeros(n))]
