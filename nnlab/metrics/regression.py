"""Regression metrics: how far continuous predictions fall from the targets.

For targets y_i and predictions y_hat_i, i = 1..n, with errors E_i:

* mean squared error (MSE, the L2 loss): E = 1/n sum_i (y_i - y_hat_i)^2;
* root mean squared error: RMSE = sqrt(MSE), in the units of y;
* mean absolute error (MAE, the L1 loss): E = 1/n sum_i |y_i - y_hat_i|, more robust
  to outliers than the MSE;
* coefficient of determination: R^2 = 1 - sum_i (y_i - y_hat_i)^2 / sum_i (y_i - mean y)^2,
  1 for a perfect fit, 0 for always predicting the mean, negative for worse.

Inputs of shape (n,) or (n, d): with several outputs each output is scored on its
own and the scores are averaged (scikit-learn's 'uniform_average'); pass
``multioutput='raw_values'`` for one score per output. (n,) and (n, 1) match.
"""

from __future__ import annotations

import numpy as np

_MULTIOUTPUT = ("uniform_average", "raw_values")


def _pair(y_true, y_pred):
    Y = np.asarray(y_true, dtype=np.float64)
    P = np.asarray(y_pred, dtype=np.float64)
    Y = Y[:, None] if Y.ndim == 1 else Y
    P = P[:, None] if P.ndim == 1 else P
    if Y.ndim != 2 or Y.shape != P.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, (n,) or (n, d); got "
            f"{np.shape(y_true)} and {np.shape(y_pred)}."
        )
    if len(Y) == 0:
        raise ValueError("y_true and y_pred are empty; metrics need samples.")
    if not (np.all(np.isfinite(Y)) and np.all(np.isfinite(P))):
        raise ValueError("y_true and y_pred must be finite; got NaN or infinity.")
    return Y, P


def _combine(per_output, multioutput):
    if multioutput not in _MULTIOUTPUT:
        raise ValueError(f"Unknown multioutput {multioutput!r}. Expected one of {_MULTIOUTPUT}.")
    return per_output if multioutput == "raw_values" else float(np.mean(per_output))


def mean_squared_error(y_true, y_pred, *, multioutput="uniform_average"):
    """Mean squared error: E = 1/n sum_i (y_i - y_hat_i)^2 (the L2 loss).

    Example:
        >>> mean_squared_error([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
        1.3333333333333333
    """
    Y, P = _pair(y_true, y_pred)
    return _combine(np.mean((Y - P) ** 2, axis=0), multioutput)


def root_mean_squared_error(y_true, y_pred, *, multioutput="uniform_average"):
    """Root mean squared error: sqrt(1/n sum_i (y_i - y_hat_i)^2), per output.

    `rmse` is the same function. With several outputs the per-output RMSEs are
    averaged (not the square root of the averaged MSE), as scikit-learn does.
    """
    Y, P = _pair(y_true, y_pred)
    return _combine(np.sqrt(np.mean((Y - P) ** 2, axis=0)), multioutput)


def mean_absolute_error(y_true, y_pred, *, multioutput="uniform_average"):
    """Mean absolute error: E = 1/n sum_i |y_i - y_hat_i| (the L1 loss).

    Example:
        >>> mean_absolute_error([1.0, 2.0, 3.0], [1.5, 2.0, 5.0])
        0.8333333333333334
    """
    Y, P = _pair(y_true, y_pred)
    return _combine(np.mean(np.abs(Y - P), axis=0), multioutput)


def r2_score(y_true, y_pred, *, multioutput="uniform_average"):
    """Coefficient of determination: R^2 = 1 - SS_res / SS_tot.

    SS_res = sum_i (y_i - y_hat_i)^2 is what the model leaves unexplained and
    SS_tot = sum_i (y_i - mean y)^2 the spread of the targets. A constant target
    (SS_tot = 0) scores 1.0 if predicted exactly and 0.0 otherwise, as scikit-learn does.

    Example:
        >>> r2_score([1.0, 2.0, 3.0], [1.0, 2.0, 4.0])
        0.5
    """
    Y, P = _pair(y_true, y_pred)
    ss_res = np.sum((Y - P) ** 2, axis=0)
    ss_tot = np.sum((Y - Y.mean(axis=0)) ** 2, axis=0)
    r2 = np.where(ss_res == 0, 1.0, 0.0)
    np.divide(ss_res, ss_tot, out=r2, where=ss_tot != 0)
    r2 = np.where(ss_tot != 0, 1.0 - r2, r2)
    return _combine(r2, multioutput)


rmse = root_mean_squared_error
