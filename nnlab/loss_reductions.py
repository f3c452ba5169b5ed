"""Keras 3's loss reductions: how per-sample losses L_i (with sample weights s_i)
become the one number training minimizes, and the matching gradient scale.

    "sum_over_batch_size" / "mean" (the default):  sum_i s_i L_i / L.size
    "sum":                                         sum_i s_i L_i
    "mean_with_sample_weight":                     sum_i s_i L_i / sum_i s_i
    None / "none":                                 the values s_i L_i themselves

The sample weights are left out of the default divisor, as in Keras.
"""

from __future__ import annotations

import numpy as np

from nnlab.backend import xp

#: Keras 3's values of `reduction=` (None means "none").
REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)


def weighted(L, sample_weight):
    if sample_weight is None:
        return L
    s = xp.asarray(sample_weight, dtype=L.dtype).reshape(L.shape[:1] + (1,) * (L.ndim - 1))
    return L * s


def reduce(L, sample_weight=None):
    """Keras's sum_over_batch_size: sum(L * s) / L.size (weights not in the divisor)."""
    if sample_weight is None:
        return L.sum() / max(L.size, 1)
    s = xp.asarray(sample_weight, dtype=L.dtype).reshape(L.shape[:1] + (1,) * (L.ndim - 1))
    return (L * s).sum() / max(L.size, 1)


def reduce_grad(dL, n_values: int, sample_weight=None):
    """Scale an unreduced derivative dL_i/dP into the derivative of the reduced loss."""
    if sample_weight is None:
        return dL * (1.0 / n_values)
    s = xp.asarray(sample_weight, dtype=dL.dtype).reshape(dL.shape[:1] + (1,) * (dL.ndim - 1))
    return dL * (s / n_values)


def reduce_values(L, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce per-sample values L as `reduction` says (see the module docstring)."""
    if reduction in ("sum_over_batch_size", "mean"):
        return reduce(L, sample_weight)
    W = weighted(L, sample_weight)
    if reduction == "sum":
        return W.sum()
    if reduction == "mean_with_sample_weight":
        total = L.size if sample_weight is None else float(np.sum(sample_weight))
        return W.sum() / total if total else W.sum() * 0.0
    return W


def reduce_gradient(dL, L, sample_weight=None, reduction="sum_over_batch_size"):
    """The derivative of `reduce_values` given the unreduced derivative dL_i/dP."""
    if reduction == "sum":
        return reduce_grad(dL, 1, sample_weight)
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        total = float(np.sum(sample_weight))
        return reduce_grad(dL, 1, sample_weight) * (1.0 / total if total else 0.0)
    return reduce_grad(dL, L.size, sample_weight)
