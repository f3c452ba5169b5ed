"""The array seam: every numerical module takes its array library and dtype from here.

`xp` is NumPy today; a GPU array library with the same interface can replace it later.
`floatx()` is the default float dtype for new weights ("float32" unless changed with
`nnlab.config.set_floatx`). `EPS` is Keras's fuzz factor (1e-7), used to keep
probabilities away from log(0).
"""

from __future__ import annotations

import random

import numpy as np

xp = np

EPS = 1e-7

_FLOATX = "float32"
_VALID_FLOATX = ("float16", "float32", "float64")

# One stream of seeds for everything random that was not given its own seed.
_seed_stream = np.random.default_rng()

#: The largest weight array a layer may allocate (bytes); see set_max_weight_bytes.
DEFAULT_MAX_WEIGHT_BYTES = 2**32
_max_weight_bytes: int | None = DEFAULT_MAX_WEIGHT_BYTES


class WeightTooLargeError(ValueError, MemoryError):
    """A layer would allocate a weight larger than `max_weight_bytes()` (checked before
    any memory is taken). Both a ValueError (a bad size) and a MemoryError."""


def max_weight_bytes() -> int | None:
    """The cap on one weight array's size in bytes (None: no cap). Default 4 GiB."""
    return _max_weight_bytes


def set_max_weight_bytes(value: int | None) -> None:
    """Set the cap on one weight array's size in bytes; None removes it.

    Example:
        >>> set_max_weight_bytes(2**34)  # allow weights up to 16 GiB
        >>> set_max_weight_bytes(DEFAULT_MAX_WEIGHT_BYTES)
    """
    global _max_weight_bytes
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(
            f"set_max_weight_bytes expects a positive int (bytes) or None. Received: {value!r}"
        )
    _max_weight_bytes = value


def check_weight_size(owner: str, name: str, shape: tuple, dtype) -> None:
    """Raise WeightTooLargeError, before allocating, if the weight would pass the cap."""
    cap = _max_weight_bytes
    nbytes = int(np.prod([int(d) for d in shape], dtype=object)) * np.dtype(dtype).itemsize
    if cap is not None and nbytes > cap:
        raise WeightTooLargeError(
            f"{owner}: its {name} of shape {tuple(shape)} in {np.dtype(dtype).name} would need "
            f"{nbytes:,} bytes ({nbytes / 2**30:.1f} GiB), more than the cap of {cap:,} bytes "
            f"({cap / 2**30:.3g} GiB) for one weight. Check the layer sizes (units, input "
            "shape), or raise the cap with nnlab.config.set_max_weight_bytes(...)."
        )


def floatx() -> str:
    """The default float dtype name for new weights ("float32" unless changed)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype for layers built from now on.

    Args:
        value: one of "float16", "float32", "float64".
    """
    global _FLOATX
    if value not in _VALID_FLOATX:
        raise ValueError(
            f"set_floatx expects one of {list(_VALID_FLOATX)}. Received: value={value!r}"
        )
    _FLOATX = value


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (1e-7, as Keras)."""
    return EPS


def standardize_dtype(dtype) -> np.dtype:
    """`None` means floatx(); anything else must name a float dtype."""
    dt = np.dtype(floatx() if dtype is None else dtype)
    if dt.kind != "f":
        raise ValueError(f"expected a float dtype. Received: dtype={dtype!r}")
    return dt


def set_random_seed(seed: int) -> None:
    """Make every later random choice reproducible from one integer seed.

    Resets nnlab's seed stream (used by initializers, layers and `fit` whenever no
    explicit `seed=` is given) and, as Keras does, seeds Python's `random` and NumPy's
    legacy global generator for user code.
    """
    global _seed_stream
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(
            f"set_random_seed expects an int. Received: seed={seed!r} of type {type(seed).__name__}"
        )
    _seed_stream = np.random.default_rng(int(seed))
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)


def get_seed_stream_state() -> dict:
    """The global seed stream's generator state (JSON-serializable), for exact resume."""
    return _seed_stream.bit_generator.state


def set_seed_stream_state(state: dict) -> None:
    """Put the global seed stream back to a state from `get_seed_stream_state`."""
    _seed_stream.bit_generator.state = state


def draw_seed() -> int:
    """Draw a fresh integer seed from the global seed stream."""
    return int(_seed_stream.integers(0, 2**31 - 1))


def make_rng(seed: int | None = None) -> np.random.Generator:
    """A generator for `seed`, or for a seed drawn from the global stream if None."""
    if seed is None:
        seed = draw_seed()
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be an int or None. Received: seed={seed!r}")
    return np.random.default_rng(int(seed))


def flush_denormals(A: np.ndarray) -> None:
    """Set A's subnormal entries to zero (or to the smallest normal), in place, with two
    vector operations: adding and subtracting c = tiny * 2**(mantissa bits + 1) rounds
    every |a| below ~tiny away, and leaves every |a| above ~c * 2**24 exactly as it was."""
    info = np.finfo(A.dtype)
    c = A.dtype.type(info.tiny * 2.0 ** (info.nmant + 1))
    A += c
    A -= c


#: Byte alignment of the engine's long-lived flat arrays (the parameter store, optimizer
#: slots, work buffers): a cache line, and the width of an AVX-512 register. malloc
#: aligns to 16 bytes only, and elementwise kernels over operands that are not
#: cache-line aligned measured 10-15 % slower (Adam on 17k-315k float32 parameters).
ALIGN = 64


def aligned_empty(shape, dtype) -> np.ndarray:
    """An uninitialised C-contiguous array whose data starts on an ALIGN-byte boundary."""
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    raw = np.empty(nbytes + ALIGN, dtype=np.uint8)
    start = -raw.ctypes.data % ALIGN
    return raw[start : start + nbytes].view(dtype).reshape(shape)


def aligned_copy(A: np.ndarray) -> np.ndarray:
    """A C-contiguous, ALIGN-byte-aligned copy of A."""
    out = aligned_empty(A.shape, A.dtype)
    out[...] = A
    return out


#: Products up to this many multiply-adds go through `np.dot`, whose call costs ~0.35 us
#: less than `np.matmul`'s (the small networks' steps are a few dozen such calls); larger
#: ones through `np.matmul`, which was as fast or faster there (much faster for
#: X^T @ dZ at 784 x 128 x 256). Both call the same BLAS routine: the same bits.
SMALL_GEMM = 2**18


def gemm(A: np.ndarray, B: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """A @ B for 2-D arrays (into `out` if given), by the cheaper NumPy entry."""
    if A.size * B.shape[1] <= SMALL_GEMM:
        try:
            return np.dot(A, B) if out is None else np.dot(A, B, out=out)
        except ValueError:  # an `out` np.dot will not write (another dtype or layout)
            pass
    return np.matmul(A, B, out=out)
