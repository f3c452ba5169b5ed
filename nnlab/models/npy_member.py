"""The `.npy` members of a model file: their header read without the data, and their
decoding with `allow_pickle=False` once the header agrees with the manifest.
"""

from __future__ import annotations

import io
import math

import numpy as np

from nnlab.models.file_errors import invalid, refused


def npy_header(data: bytes) -> tuple[tuple, np.dtype, int]:
    """Shape, dtype and data offset declared by the header of `.npy` bytes (no data read).

    Raises:
        ValueError: the bytes do not start with a readable version 1.0 or 2.0 header.
    """
    fp = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            shape, _, dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            shape, _, dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, EOFError, TypeError, SyntaxError) as exc:
        raise ValueError(str(exc) or type(exc).__name__) from None
    return tuple(shape), dtype, fp.tell()


def decode_npy(data: bytes) -> np.ndarray:
    """The array in `.npy` bytes whose header was checked with `npy_header` (no pickle)."""
    return np.lib.format.read_array(io.BytesIO(data), allow_pickle=False)


def decode_member(path: str, name: str, data: bytes, dtype: str, shape: list) -> np.ndarray:
    """Check the .npy header against the manifest before any array is allocated, then read."""
    try:
        header_shape, header_dtype, offset = npy_header(data)
    except ValueError as exc:
        raise invalid(path, f"member {name!r} has no readable .npy header ({exc})") from None
    if header_dtype.hasobject:
        raise refused(path, f"member {name!r} is an object array, which needs pickle")
    if header_dtype.name != dtype or list(header_shape) != shape:
        raise invalid(
            path,
            f"member {name!r} holds {header_dtype.name} {tuple(header_shape)} but the "
            f"manifest lists {dtype} {tuple(shape)}",
        )
    if offset + math.prod(shape) * header_dtype.itemsize != len(data):
        raise invalid(path, f"member {name!r} does not hold exactly the data its header declares")
    try:
        return decode_npy(data)
    except (ValueError, OSError, EOFError) as exc:
        raise invalid(path, f"member {name!r} is not a readable .npy array ({exc})") from None
