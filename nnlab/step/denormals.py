"""Subnormal flushing of the optimizer's slots.

Where a gradient stays exactly zero (an input pixel that is always 0) a momentum decays
geometrically into the subnormal range, where x86 arithmetic runs about 100x slower.
Every `FLUSH_EVERY` steps the slots (momenta, running averages) are cleared of
subnormal numbers with two vector operations.

Measurement (commit a3bad45, also in the old code comment): the digits benchmark's Adam
step had slowed from 160 to 290 us before this.
"""

from __future__ import annotations

import numpy as np

__all__ = ["FLUSH_EVERY", "flush_denormals", "flush_due"]

#: The slots are cleared of subnormal numbers once every this many optimizer steps.
FLUSH_EVERY = 8


def flush_due(iterations: int) -> bool:
    """Whether the step that follows `iterations` earlier steps flushes the slots
    (the 8th, 16th, ... step).

    Example:
        >>> [flush_due(i) for i in (0, 6, 7, 15)]
        [False, False, True, True]
    """
    return iterations % FLUSH_EVERY == FLUSH_EVERY - 1


def flush_denormals(A: np.ndarray) -> None:
    """Set A's subnormal entries to zero (or to the smallest normal), in place, with two
    vector operations: adding and subtracting c = tiny * 2**(mantissa bits + 1) rounds
    every |a| below ~tiny away, and leaves every |a| above ~c * 2**24 exactly as it was.

    Example:
        >>> A = np.array([1e-40, 0.5], dtype=np.float32)
        >>> flush_denormals(A)
        >>> A.tolist()
        [0.0, 0.5]
    """
    info = np.finfo(A.dtype)
    c = A.dtype.type(info.tiny * 2.0 ** (info.nmant + 1))
    A += c
    A -= c
