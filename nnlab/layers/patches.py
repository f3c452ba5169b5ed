"""Patches: the sliding windows of a convolution or pooling, and their transpose.

A convolution is Dense applied to every window of its input. For inputs X of shape
(n, *spatial, C) and a window of `kernel` positions, `windows(Xp, ...)` is a view of shape
(n, *out, *kernel, C) whose element [i, p, k, c] is the input value that output position p
sees at window offset k, channel c. Reshaped to (n * prod(out), prod(kernel) * C) it is the
"im2col" matrix P, and the convolution is one GEMM, Z = P W + b, as in Dense.

The transpose, `add_windows` ("col2im"), sends a gradient per window element back to the
input position it came from, adding where windows overlap: dX = sum over windows.
Both work for 1 or 2 spatial axes.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from numpy.lib.stride_tricks import as_strided

from nnlab.step.threads import for_blocks

PADDINGS = ("valid", "same")


def as_tuple(value, rank: int, name: str, owner: str) -> tuple[int, ...]:
    """An int or a tuple of `rank` positive ints, as Keras accepts for kernel_size etc."""
    items = (value,) * rank if isinstance(value, (int, np.integer)) else value
    if (
        not isinstance(items, (tuple, list))
        or len(items) != rank
        or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1 for v in items)
    ):
        raise ValueError(
            f"{owner}({name}=...) expects a positive int or a tuple of {rank} positive ints. "
            f"Received: {name}={value!r}"
        )
    return tuple(int(v) for v in items)


def check_padding(padding, owner: str, allowed=PADDINGS) -> str:
    if not isinstance(padding, str) or padding.lower() not in allowed:
        raise ValueError(
            f"{owner}(padding=...) expects one of {list(allowed)}. Received: padding={padding!r}"
        )
    return padding.lower()


def check_channels_last(data_format, owner: str) -> None:
    if data_format not in (None, "channels_last"):
        raise ValueError(
            f"{owner}: nnlab supports data_format='channels_last' only (Keras's default: "
            f"inputs (batch, ..., channels)). Received: data_format={data_format!r}. "
            "Transpose your data to put the channels last."
        )


def plan(size: int, k: int, stride: int, dilation: int, padding: str) -> tuple[int, int, int]:
    """(pad_before, pad_after, out_size) along one spatial axis, as Keras/TensorFlow pad.

    valid: no padding, out = floor((size - span) / stride) + 1 with span = (k - 1) d + 1;
    same: out = ceil(size / stride), the padding split with the smaller half first;
    causal (Conv1D): span - 1 zeros before, none after, out = ceil(size / stride).
    """
    span = (k - 1) * dilation + 1
    if padding == "valid":
        return 0, 0, max((size - span) // stride + 1, 0)
    if padding == "causal":
        return span - 1, 0, (size - 1) // stride + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + span - size, 0)
    return total // 2, total - total // 2, out


def output_size(size, k, stride, dilation, padding):
    """The output length along one axis; None stays None (unknown size)."""
    return None if size is None else plan(size, k, stride, dilation, padding)[2]


def pad(X: np.ndarray, pads, value: float = 0.0) -> np.ndarray:
    """X (n, *spatial, C) padded by pads[i] = (before, after) on spatial axis i.

    (A filled array and one copy: np.pad's Python overhead is about 4x that on the small
    images of digits-cnn, at every step.)
    """
    if not any(b or a for b, a in pads):
        return X
    shape = (X.shape[0], *(size + b + a for size, (b, a) in zip(X.shape[1:-1], pads)), X.shape[-1])
    Xp = np.full(shape, value, dtype=X.dtype)
    inner = tuple(slice(b, b + size) for size, (b, _) in zip(X.shape[1:-1], pads))
    Xp[(slice(None), *inner, slice(None))] = X
    return Xp


def offsets(window) -> list[tuple[int, ...]]:
    """Every offset in a window, row-major: (0, 0), (0, 1), ... (np.ndindex is ~3x slower)."""
    return list(itertools.product(*(range(k) for k in window)))


def windows(Xp: np.ndarray, kernel, strides, dilation, out) -> np.ndarray:
    """A read-only view (n, *out, *kernel, C) of every window of the padded input."""
    s = Xp.strides
    spatial = s[1:-1]
    shape = (Xp.shape[0], *out, *kernel, Xp.shape[-1])
    steps = (
        s[0],
        *(st * k for st, k in zip(spatial, strides)),
        *(st * d for st, d in zip(spatial, dilation)),
        s[-1],
    )
    return as_strided(Xp, shape=shape, strides=steps, writeable=False)


def _offset_slices(offset, dilation, strides, out) -> tuple:
    """Index of the input positions that window offset `offset` reads, for every window."""
    spatial = tuple(
        slice(o * d, o * d + s * (m - 1) + 1, s)
        for o, d, s, m in zip(offset, dilation, strides, out)
    )
    return (slice(None), *spatial, slice(None))


def add_windows(dW: np.ndarray, padded_shape, kernel, strides, dilation, out=None) -> np.ndarray:
    """The transpose of `windows`: dW (n, *out, *kernel, C) summed into (n, *padded, C).

    Into `out` (added to what it holds) if given, else into a new zero array.
    """
    rank = len(kernel)
    positions_shape = dW.shape[1 : 1 + rank]
    dXp = np.zeros(padded_shape, dtype=dW.dtype) if out is None else out
    lead = (slice(None),) * (1 + rank)
    for offset in offsets(kernel):
        target = _offset_slices(offset, dilation, strides, positions_shape)
        dXp[target] += dW[(*lead, *offset, slice(None))]
    return dXp


#: The column layout (`columns`) is used when a convolution's input has at most this many
#: channels and each image has at least COLUMNS_MIN_POSITIONS output positions.
#: Measured with 2 BLAS threads, im2col + GEMM + bias, float32 (2026-12-01):
#: (n, H, C) = (128, 28, 1): rows 5.8 ms, columns 2.1; (128, 28, 3): 6.2 vs 4.4;
#: (128, 28, 8): 11.6 vs 20.5; (128, 13, 32): 8.0 vs 27.1; digits-cnn's (32, 8, 1):
#: 0.073 vs 0.136 (nine small copies cost more than they save).
COLUMNS_MAX_CHANNELS = 3
COLUMNS_MIN_POSITIONS = 256


def use_columns(channels: int, positions_per_image: int) -> bool:
    """Whether `columns` (P^T, one row per window element) beats the row layout of P.

    A row of P holds C contiguous values per window offset, so with few channels im2col
    copies tiny pieces; a row of P^T holds one channel of one offset for every window,
    long contiguous runs. The choice depends on the image shape only, never on the batch
    size, so an image takes the same path in any batch (its float32 bits may still differ
    in the last place between batches: BLAS may round a row of a smaller GEMM otherwise).
    """
    return channels <= COLUMNS_MAX_CHANNELS and positions_per_image >= COLUMNS_MIN_POSITIONS


def columns(Xp: np.ndarray, kernel, strides, dilation, out, ones: bool, group=None) -> np.ndarray:
    """P^T, the im2col matrix transposed: (prod(kernel) * C [+ 1], n * prod(out)).

    Row k * C + c holds channel c of window offset k for every window (image-major, as
    P's rows), the same order as the kernel reshaped to (prod(kernel) * C, filters).
    With `ones`, a last row of ones: then P^T.T @ [W; b] is Z = P W + b in one GEMM, and
    P^T @ dZ gives dW and db together.

    With `group` (a tiling max pool's pool_size, dividing `out`), each image's windows
    come ordered by their offset inside the pool window: (n, *group, *out / group), so
    that the rows of Z each pool offset reads are one run per image (`grouped`).
    """
    n, C = Xp.shape[0], Xp.shape[-1]
    cells = len(offsets(kernel)) * C
    PT = np.empty((cells + int(ones), n * positions(out)), dtype=Xp.dtype)
    if ones:
        PT[cells] = 1
    by_offset = PT[:cells].reshape(-1, C, n, *grouped_shape(out, group))
    window = offsets(kernel)

    def copy(start, stop):  # window offsets start..stop
        for k in range(start, stop):
            values = _read_at(Xp, window[k], strides, dilation, out, group)
            by_offset[k] = np.moveaxis(values, -1, 0)

    # by offsets on two threads, where P^T is big enough to pay for the hand-off
    split = PT.nbytes >= IMAGE_BLOCK_BYTES
    for_blocks([(k, k + 1) for k in range(len(window))] if split else [(0, len(window))], copy)
    return PT


def add_columns(
    dPT: np.ndarray, padded_shape, kernel, strides, dilation, out, group=None
) -> np.ndarray:
    """The transpose of `columns` (without its ones row): dP^T summed into (n, *padded, C)."""
    n, C = padded_shape[0], padded_shape[-1]
    dXp = np.zeros(padded_shape, dtype=dPT.dtype)
    by_offset = np.moveaxis(dPT.reshape(-1, C, n, *grouped_shape(out, group)), 1, -1)
    if group is None:
        return add_offsets(by_offset, dXp, kernel, strides, dilation)
    for k, offset in enumerate(offsets(kernel)):
        # one window offset's positions are distinct input positions: no overlap in a view
        target = _read_at(dXp, offset, strides, dilation, out, group, writeable=True)
        target += by_offset[k]
    return dXp


def grouped_shape(out, group=None) -> tuple[int, ...]:
    """The spatial part of an image's window order: `out`, or (*group, *out / group)."""
    if group is None:
        return tuple(out)
    return (*group, *(o // g for o, g in zip(out, group)))


def _read_at(Xp, offset, strides, dilation, out, group, writeable=False):
    """The input values window offset `offset` reads, for every window, (n, *spatial, C)
    with the spatial axes in `grouped_shape(out, group)`'s order."""
    if group is None:
        return Xp[_offset_slices(offset, dilation, strides, out)]
    start = Xp[(slice(None), *(slice(o * d, None) for o, d in zip(offset, dilation)))]
    s = start.strides
    spatial = s[1:-1]
    shape = (start.shape[0], *grouped_shape(out, group), start.shape[-1])
    steps = (
        s[0],
        *(st * k for st, k in zip(spatial, strides)),  # the offset inside the pool window
        *(st * k * g for st, k, g in zip(spatial, strides, group)),  # the pool window
        s[-1],
    )
    return as_strided(start, shape=shape, strides=steps, writeable=writeable)


def add_offsets(dP: np.ndarray, dXp: np.ndarray, kernel, strides, dilation) -> np.ndarray:
    """col2im from dP split by window offset: dP[k] (n, *out, C) is added to the input
    positions that offset k read, in dXp (n, *padded, C), in place; returns dXp.

    With dP[k] contiguous, a row of windows and its channels are one run of memory on
    both sides, so NumPy adds long runs instead of C values at a time.
    """
    out = dP.shape[2:-1]
    for k, offset in enumerate(offsets(kernel)):
        dXp[_offset_slices(offset, dilation, strides, out)] += dP[k]
    return dXp


#: Bytes of one block of images in the convolutions' and max pooling's memory-bound loops
#: (im2col, col2im, the pool's maxima and shares), which `nnlab.step.threads.for_blocks`
#: splits between two threads. Measured when each block also ran its own GEMM, on one
#: thread: mnist-cnn's second convolution's dP and col2im (128 images, dP 17.8 MB), 42 ms
#: in one piece, 25 ms in blocks of 8 images (1.1 MB) or 16 (2.2 MB), 29-30 ms at 4 or 32.
#: The same bits however the blocks are cut (rows are independent).
IMAGE_BLOCK_BYTES = 2**21


def image_blocks(n: int, bytes_per_image: int):
    """(start, stop) ranges covering n images, each about IMAGE_BLOCK_BYTES (at least one image)."""
    step = max(1, IMAGE_BLOCK_BYTES // max(1, bytes_per_image))
    return [(start, min(n, start + step)) for start in range(0, n, step)]


def crop(dXp: np.ndarray, pads) -> np.ndarray:
    """Undo `pad`: the gradient for the unpadded input."""
    if not any(b or a for b, a in pads):
        return dXp
    index = tuple(slice(b, dXp.shape[1 + i] - a) for i, (b, a) in enumerate(pads))
    return dXp[(slice(None), *index, slice(None))]


def positions(out) -> int:
    return int(math.prod(out))
