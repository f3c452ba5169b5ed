"""Checks of constructor arguments that several layers share: a per-sample shape
(`as_shape`) and Keras's weight constraints, which nnlab accepts as None only
(`deny_constraints`)."""

from __future__ import annotations

import numpy as np


def as_shape(shape) -> tuple:
    """A per-sample shape (no batch axis) as a tuple of ints >= 0 or None.

    Args:
        shape: an int (one axis) or a tuple or list whose entries are ints >= 0 or None.

    Returns:
        The shape as a tuple of Python ints and None.

    Raises:
        TypeError: `shape` is neither an int nor a tuple or list.
        ValueError: an entry is negative, a bool or not an int.

    Example:
        >>> as_shape(4), as_shape([None, 3])
        ((4,), (None, 3))
    """
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, (tuple, list)):
        raise TypeError(
            f"A shape must be an int or a tuple of ints (without the batch axis). "
            f"Received: {shape!r}"
        )
    out = []
    for d in shape:
        if d is None:
            out.append(None)
        elif isinstance(d, (int, np.integer)) and not isinstance(d, bool) and d >= 0:
            out.append(int(d))
        else:
            raise ValueError(
                f"Shape entries must be ints >= 0 or None. Received: shape={tuple(shape)}"
            )
    return tuple(out)


def deny_constraints(layer, **constraints) -> None:
    """Refuse Keras's weight constraints, which nnlab accepts only as None.

    Args:
        layer: the layer being constructed (its class name goes into the message).
        **constraints: the constraint arguments by name, e.g. `kernel_constraint=None`.

    Raises:
        ValueError: naming every constraint given that is not None.

    Example:
        >>> deny_constraints(object(), kernel_constraint=None, bias_constraint=None)
        >>> deny_constraints(object(), kernel_constraint="non_neg")
        Traceback (most recent call last):
        ...
        ValueError: object: weight constraints are not supported by nnlab. Received: ...
    """
    given = {k: v for k, v in constraints.items() if v is not None}
    if given:
        raise ValueError(
            f"{type(layer).__name__}: weight constraints are not supported by nnlab. "
            f"Received: {', '.join(f'{k}={v!r}' for k, v in given.items())}"
        )
