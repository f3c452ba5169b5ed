"""Checking and converting what users pass to fit/evaluate/predict, at the entry.

Every problem is reported here, before any computation, with what was expected, what
was received and how to fix it; nothing reaches the engine as a wrong shape, a wrong
dtype or a NaN.
"""

from __future__ import annotations

import numpy as np


def to_array(value, what: str) -> np.ndarray:
    """`value` (an array, a list, a pandas DataFrame or Series) as a numeric NumPy array,
    or a ValueError naming `what` (e.g. "Input 'x'") when it is ragged or not numeric.
    The checks of this module start with it; Sequential reads the first data it sees
    with it to build itself.

    Example:
        >>> to_array([[1, 2], [3, 4]], "Input").shape
        (2, 2)
    """
    if hasattr(value, "to_numpy"):  # pandas DataFrame / Series
        value = value.to_numpy()
    try:
        A = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(f"{what} could not be read as an array: {exc}") from None
    if A.dtype == object or A.dtype.kind in "USVc":
        raise ValueError(
            f"{what} must be numeric. Received an array of dtype {A.dtype} "
            f"(first values: {A.ravel()[:3].tolist()}). Encode text columns as numbers "
            "first (for example one-hot for categories)."
        )
    return A


def as_list(value, names: list[str], what: str) -> list:
    """A single array, a list/tuple, or a dict keyed by name -> list in model order."""
    if isinstance(value, dict):
        missing = [n for n in names if n not in value]
        extra = [k for k in value if k not in names]
        if missing or extra:
            raise ValueError(
                f"{what} dict keys must be {names}. Missing: {missing}; unexpected: {extra}."
            )
        return [value[n] for n in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        if len(value) != len(names):
            raise ValueError(
                f"The model has {len(names)} {what.split()[0]}s ({names}) but received a "
                f"list of {len(value)}."
            )
        return list(value)
    if len(names) > 1:
        raise ValueError(
            f"The model has {len(names)} {what.split()[0]}s ({names}); pass a list or a "
            f"dict of {len(names)} arrays. Received a single array."
        )
    return [value]


def check_inputs(x, input_shapes: list[tuple], input_names: list[str], dtype) -> list:
    """Convert `x` to a list of float arrays matching the model's Inputs."""
    if x is None:
        raise ValueError("No input data: pass x (an array, or a list/dict of arrays).")
    arrays = []
    for value, shape, name in zip(as_list(x, input_names, "input"), input_shapes, input_names):
        A = to_array(value, f"Input '{name}'")
        if A.ndim == 1 and tuple(shape[1:]) == (1,):
            A = A[:, None]  # one feature per sample, as Keras reads a 1-D x for shape=(1,)
        if A.ndim != len(shape) or any(
            want is not None and got != want for want, got in zip(shape[1:], A.shape[1:])
        ):
            hint = ""
            if A.ndim == 1 and len(shape) == 2:
                hint = " A 1-D array is one feature per sample: reshape it with x.reshape(-1, 1)."
            raise ValueError(
                f"Input '{name}' expects arrays of shape {_fmt(shape)}. "
                f"Received shape {A.shape}.{hint}"
            )
        A = A.astype(dtype, copy=False)
        if not all_finite(A):
            bad = np.argwhere(~np.isfinite(A))[0]
            raise ValueError(
                f"Input '{name}' contains NaN or infinite values (first at index "
                f"{tuple(int(i) for i in bad)}). Impute or drop missing values before "
                "training."
            )
        arrays.append(A)
    _same_length(arrays, input_names, "input")
    return arrays


def check_targets(y, outputs: list, losses: list, output_shapes: list, names: list, dtype) -> list:
    """Convert `y` to a list of float arrays shaped like the model's outputs."""
    if y is None:
        raise ValueError("No targets: pass y to fit/evaluate (one array per model output).")
    result = []
    for value, loss, shape, name in zip(as_list(y, names, "output"), losses, output_shapes, names):
        A = to_array(value, f"Target for output '{name}'")
        check = _sparse_target if loss.sparse_targets else _dense_target
        result.append(check(A, loss, shape, name, dtype))
    return result


def _sparse_target(A: np.ndarray, loss, shape, name: str, dtype) -> np.ndarray:
    """Integer labels for output `name`, checked and one-hot encoded like its output."""
    P_shape = (A.shape[0],) + tuple(shape[1:])
    Y = A[..., 0] if A.ndim == len(P_shape) and A.shape[-1] == 1 else A
    C = P_shape[-1]
    if Y.shape != P_shape[:-1]:
        raise ValueError(
            f"{loss.name} expects integer labels of shape {P_shape[:-1]} for output "
            f"'{name}' of shape {_fmt(shape)}. Received shape {A.shape}. For one-hot "
            "targets use loss='categorical_crossentropy'."
        )
    if Y.size and (
        not np.all(np.isfinite(Y))
        or np.any(Y != np.round(Y))
        or Y.min() < 0
        or Y.max() >= C
    ):
        raise ValueError(
            f"{loss.name} expects integer labels in [0, {C}) for output '{name}'. "
            f"Received values from {Y.min()} to {Y.max()}."
        )
    onehot = np.zeros(P_shape, dtype=dtype)
    np.put_along_axis(onehot, Y.astype(np.int64)[..., None], 1.0, axis=-1)
    return onehot


def _dense_target(A: np.ndarray, loss, shape, name: str, dtype) -> np.ndarray:
    """Targets for output `name` shaped like it (a missing last axis of 1 added), finite,
    and in [0, 1] for the cross-entropies."""
    P_shape = (A.shape[0],) + tuple(shape[1:])
    Y = A
    if Y.ndim == len(P_shape) - 1 and P_shape[-1] == 1:
        Y = Y[..., None]
    if Y.shape != P_shape:
        hint = ""
        column_labels = Y.ndim == len(P_shape) and Y.shape[-1] == 1
        if P_shape[-1] > 1 and (Y.ndim == len(P_shape) - 1 or column_labels):
            hint = (
                " These look like class labels: one-hot encode them with "
                "nnlab.utils.to_categorical(y), or use "
                "loss='sparse_categorical_crossentropy'."
            )
        raise ValueError(
            f"Target for output '{name}' must have shape {_fmt(shape)} to match the "
            f"model's output. Received shape {A.shape}.{hint}"
        )
    Y = Y.astype(dtype, copy=False)
    if not np.all(np.isfinite(Y)):
        raise ValueError(f"Target for output '{name}' contains NaN or infinite values.")
    if loss.name in ("binary_crossentropy", "categorical_crossentropy", "kl_divergence") and (
        Y.size and (Y.min() < 0 or Y.max() > 1)
    ):
        raise ValueError(
            f"{loss.name} expects targets in [0, 1] for output '{name}'. Received "
            f"values from {Y.min()} to {Y.max()}. Class labels must be 0/1 "
            "(binary) or one-hot (categorical)."
        )
    return Y


def all_finite(A: np.ndarray) -> bool:
    """True if A has no NaN or inf, without a full-size boolean temporary (min and max
    propagate NaN and expose inf)."""
    if A.size == 0:
        return True
    with np.errstate(invalid="ignore"):
        return bool(np.isfinite(A.min()) and np.isfinite(A.max()))


def max_abs(A: np.ndarray) -> float:
    """max |A| without a full-size temporary."""
    return float(max(abs(A.min()), abs(A.max()))) if A.size else 0.0


def check_sample_weight(sample_weight, n: int, dtype):
    if sample_weight is None:
        return None
    s = to_array(sample_weight, "sample_weight").astype(dtype, copy=False)
    if s.ndim != 1 or s.shape[0] != n:
        raise ValueError(
            f"sample_weight must be a 1-D array with one weight per sample ({n}). "
            f"Received shape {s.shape}."
        )
    if not np.all(np.isfinite(s)) or np.any(s < 0):
        raise ValueError("sample_weight must contain finite values >= 0.")
    return s


def _same_length(arrays: list, names: list, what: str) -> None:
    lengths = {a.shape[0] if a.ndim else 0 for a in arrays}
    if len(lengths) > 1:
        raise ValueError(
            f"All {what}s must have the same number of samples. Received "
            f"{', '.join(f'{n}: {a.shape[0]}' for n, a in zip(names, arrays))}."
        )


def check_same_samples(X_list: list, Y_list: list) -> int:
    n = X_list[0].shape[0]
    for Y in Y_list:
        if Y.shape[0] != n:
            raise ValueError(
                f"x and y must have the same number of samples. Received {n} input rows "
                f"and {Y.shape[0]} target rows."
            )
    if n == 0:
        raise ValueError("Received 0 samples; there is nothing to train or evaluate on.")
    return n


def _fmt(shape) -> str:
    return "(" + ", ".join("n" if i == 0 else str(d) for i, d in enumerate(shape)) + ")"
