"""Readers for image files a user already has: MNIST-style IDX and CIFAR-10's binary version.

Nothing here downloads, and nothing unpickles: both formats are plain bytes.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from nnlab.datasets.base import Dataset

# IDX type codes (the third byte of the magic number) -> big-endian NumPy dtypes.
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

CIFAR10_CLASSES = [
    "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck",
]  # fmt: skip
FASHION_MNIST_CLASSES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]  # fmt: skip
_CIFAR_RECORD = 1 + 32 * 32 * 3


def _read_bytes(path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name)."""
    raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError) as err:
            raise ValueError(f"{path}: the gzip stream is truncated or corrupt ({err}).") from err
    return raw


def read_idx(path) -> np.ndarray:
    """Read one IDX file (the format of MNIST, Fashion-MNIST, EMNIST), plain or gzipped.

    Layout: magic number 0x0000TTDD (TT = type code, DD = number of dimensions), then DD
    big-endian uint32 sizes, then the values in C order, big-endian.

    Args:
        path: path of an IDX file such as `train-images-idx3-ubyte(.gz)`.

    Returns:
        NumPy array in native byte order with the file's shape and type (uint8 for MNIST).

    Raises:
        ValueError: bad magic number, unknown type code, truncated or oversized file.

    Example:
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> p = Path(tmp.name) / "labels-idx1-ubyte"
        >>> _ = p.write_bytes(bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1]))
        >>> read_idx(p)
        array([7, 2, 1], dtype=uint8)
        >>> tmp.cleanup()
    """
    data = _read_bytes(path)
    if len(data) < 4:
        raise ValueError(f"{path}: expected at least a 4-byte IDX header, got {len(data)} bytes.")
    magic = int.from_bytes(data[:4], "big")
    code, ndim = data[2], data[3]
    if data[:2] != b"\x00\x00" or code not in IDX_DTYPES or ndim == 0:
        raise ValueError(
            f"{path}: bad IDX magic number 0x{magic:08X}; expected 0x0000TTDD with type code "
            f"TT in {{{', '.join(f'0x{c:02X}' for c in IDX_DTYPES)}}} and DD >= 1 dimensions "
            "(MNIST images: 0x00000803, labels: 0x00000801). Is this an IDX file?"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(
            f"{path}: truncated IDX header: {ndim} dimensions need {header} bytes, got {len(data)}."
        )
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    dtype = np.dtype(IDX_DTYPES[code])
    expected = header + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(data) != expected:
        kind = "truncated" if len(data) < expected else "too long"
        raise ValueError(
            f"{path}: {kind} IDX file: shape {shape} of {dtype.name} needs {expected} bytes "
            f"(header included), got {len(data)}."
        )
    values = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return values.astype(dtype.newbyteorder("="))


def load_idx_dataset(images_path, labels_path, target_names=None, name="idx") -> Dataset:
    """An image dataset from a pair of IDX files (MNIST, Fashion-MNIST, ...).

    Args:
        images_path: IDX file of images, shape (n, h, w) (plain or .gz).
        labels_path: IDX file of labels, shape (n,).
        target_names: class names (e.g. FASHION_MNIST_CLASSES); default "0", "1", ...
        name: the dataset's name.

    Returns:
        Dataset with X the images as stored (MNIST: (n, 28, 28) uint8, 0..255) and y int64.

    Example (with MNIST's own files on disk)::

        ds = load_idx_dataset("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz")
        ds.X.shape, ds.y.shape  # ((60000, 28, 28), (60000,))
    """
    images, labels = read_idx(images_path), read_idx(labels_path)
    if labels.ndim != 1:
        raise ValueError(f"{labels_path}: expected labels of shape (n,), got {labels.shape}.")
    if images.shape[0] != labels.shape[0]:
        raise ValueError(
            f"images and labels disagree: {images.shape[0]} images in {images_path} but "
            f"{labels.shape[0]} labels in {labels_path}."
        )
    y = labels.astype(np.int64)
    if target_names is None:
        target_names = [str(k) for k in range(int(y.max(initial=-1)) + 1)]
    return Dataset(
        X=images,
        y=y,
        feature_names=[f"pixel_{i}" for i in range(int(np.prod(images.shape[1:])))],
        target_names=list(target_names),
        task="multiclass" if len(target_names) > 2 else "binary",
        name=name,
        description=f"Images from {os.fspath(images_path)}, labels from {os.fspath(labels_path)}.",
        license="Supplied by the user: the licence of the source files applies.",
    )


def read_cifar10_binary(path):
    """Read CIFAR-10 *binary version* batch files (`data_batch_1.bin`, ..., `test_batch.bin`).

    Each record is 3073 bytes: 1 label byte (0..9), then 1024 red, 1024 green and 1024 blue
    bytes, each a 32x32 image in row-major order.

    Args:
        path: one file, or a list of files read in order and concatenated.

    Returns:
        (images, labels): images (n, 32, 32, 3) uint8 (channels last), labels (n,) int64.

    Raises:
        ValueError: a file size that is not a multiple of 3073 bytes, or a label above 9.

    Example:
        >>> import tempfile
        >>> tmp = tempfile.TemporaryDirectory()
        >>> p = Path(tmp.name) / "data_batch_1.bin"
        >>> _ = p.write_bytes(bytes([3]) + bytes(3072))
        >>> images, labels = read_cifar10_binary(p)
        >>> images.shape, labels.tolist()
        ((1, 32, 32, 3), [3])
        >>> tmp.cleanup()
    """
    if not isinstance(path, (str, os.PathLike)):
        parts = [read_cifar10_binary(p) for p in path]
        if not parts:
            raise ValueError("read_cifar10_binary: received an empty list of files.")
        return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    data = _read_bytes(path)
    if len(data) == 0 or len(data) % _CIFAR_RECORD:
        raise ValueError(
            f"{path}: expected a whole number of {_CIFAR_RECORD}-byte CIFAR-10 records "
            f"(1 label + 3072 pixels; 10000 records = 30730000 bytes per batch), got "
            f"{len(data)} bytes ({len(data) / _CIFAR_RECORD:.3f} records). Truncated file, or "
            "the python (pickle) version, or CIFAR-100 (2 label bytes)?"
        )
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, _CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(
            f"{path}: expected CIFAR-10 labels 0..9, got {labels[bad]} in record {bad}."
        )
    images = records[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def load_cifar10_dataset(paths, name="cifar10") -> Dataset:
    """CIFAR-10 from binary-version batch files, as a Dataset.

    Args:
        paths: one `.bin` batch file or a list of them (e.g. data_batch_1..5.bin).
        name: the dataset's name.

    Returns:
        Dataset with X (n, 32, 32, 3) uint8 (0..255), channels last as Conv2D reads it (scale
        with `X / 255.0` before training), and y (n,) int64 over CIFAR10_CLASSES; `images`
        is the same array.

    Example (with CIFAR-10's binary files on disk)::

        ds = load_cifar10_dataset([f"cifar-10-batches-bin/data_batch_{i}.bin"
                                   for i in range(1, 6)])
        ds.X.shape  # (50000, 32, 32, 3)
    """
    images, labels = read_cifar10_binary(paths)
    return Dataset(
        X=images,
        y=labels,
        feature_names=[f"pixel_{i}" for i in range(32 * 32 * 3)],
        target_names=list(CIFAR10_CLASSES),
        task="multiclass",
        name=name,
        description="CIFAR-10 images (Krizhevsky, 2009) read from user-supplied binary batches.",
        images=images,
        license="Supplied by the user. CIFAR-10's authors state no explicit licence; cite "
        "A. Krizhevsky, Learning Multiple Layers of Features from Tiny Images, 2009.",
    )
