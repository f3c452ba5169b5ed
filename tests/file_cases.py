"""Shared helpers for the file-safety tests: a valid model file and ways to damage it."""

from __future__ import annotations

import hashlib
import io
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from nnlab.data import TabularPreprocessor
from nnlab.datasets.bundled import DATA_DIR
from nnlab.layers import BatchNormalization, Dense, Dropout, Input
from nnlab.models import Sequential

PENGUINS = DATA_DIR / "penguins.csv"
#: words that tell the user what to do about a refused file
FIX = (
    "save the model again",
    "restore it from a backup",
    "restore the file from a backup",
    "raise it: load_model(path",
    "Upgrade nnlab",
    "load it with compile=False",
)


def save_valid_model(path: Path) -> Path:
    """A small trained multi-class penguins model with its fitted preprocessing."""
    frame = pd.read_csv(PENGUINS)
    prep = TabularPreprocessor("species").fit(frame)
    X = prep.transform(frame)[:60]
    Y = np.eye(3, dtype="float32")[prep.transform_target(frame)[:60]]
    model = Sequential(
        [
            Input(shape=(X.shape[1],)),
            Dense(6, activation="relu", kernel_regularizer="l2"),
            BatchNormalization(),
            Dropout(0.1, seed=1),
            Dense(3, activation="softmax"),
        ]
    )
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(X, Y, epochs=1, batch_size=30, verbose=0, seed=0)
    model.save(path, preprocessing=prep)
    return path


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def zip_of(members: dict[str, bytes], compress=zipfile.ZIP_STORED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data, compress_type=compress)
    return buf.getvalue()


def edit_json(data: bytes, edit) -> bytes:
    """The model file `data` after `edit(document)` changes its model.json in place."""
    members = members_of(data)
    doc = json.loads(members["model.json"])
    edit(doc)
    members["model.json"] = json.dumps(doc).encode()
    return zip_of(members)


def replace_array(data: bytes, name: str, array: np.ndarray, fix_manifest: bool = True) -> bytes:
    """Put `array` in member `name`; with `fix_manifest`, its hash, dtype and shape too."""
    members = members_of(data)
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    members[name] = buf.getvalue()
    if fix_manifest:
        doc = json.loads(members["model.json"])
        doc["files"][name] = {
            "sha256": hashlib.sha256(members[name]).hexdigest(),
            "dtype": array.dtype.name,
            "shape": list(array.shape),
        }
        members["model.json"] = json.dumps(doc).encode()
    return zip_of(members)


def layer(doc: dict, class_name: str, k: int = 0) -> dict:
    """The k-th layer entry of class `class_name` in a model.json document."""
    return [e for e in doc["model"]["layers"] if e["class_name"] == class_name][k]


def prep_config(doc: dict) -> dict:
    return doc["preprocessing"]["config"]


def deflated_spaces(size: int = 2**30) -> tuple[bytes, int]:
    """A raw deflate stream of `size` spaces (about 1 MB for 1 GiB) and its CRC-32.

    Each 1 MiB block is compressed after a full flush, so all blocks are the same bytes
    and the stream is built without compressing `size` bytes.
    """
    chunk = b" " * 2**20
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(chunk) + co.flush(zlib.Z_FULL_FLUSH)
    crc = 0
    for _ in range(size // len(chunk)):
        crc = zlib.crc32(chunk, crc)
    return block * (size // len(chunk)) + co.flush(zlib.Z_FINISH), crc


def raw_zip(members: dict[str, tuple[bytes, int, int, int]]) -> bytes:
    """A zip of members given as (stored bytes, method, uncompressed size, CRC-32).

    Lets a test declare any sizes: zipfile itself would compress the data.
    """
    out, central = bytearray(), bytearray()
    for name, (data, method, size, crc) in members.items():
        encoded = name.encode()
        offset = len(out)
        out += struct.pack(
            "<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc, len(data), size,
            len(encoded), 0,
        )  # fmt: skip
        out += encoded + data
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, crc, len(data), size,
            len(encoded), 0, 0, 0, 0, 0, offset,
        )  # fmt: skip
        central += encoded
    n = len(members)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, n, n, len(central), len(out), 0)
    return bytes(out + central + end)


def stored(data: bytes) -> tuple[bytes, int, int, int]:
    return data, 0, len(data), zlib.crc32(data)


def rewrite_keras(src: Path, dst: Path, config=None, weights=None) -> Path:
    """A copy of the .keras file `src` at `dst`, with its config.json replaced by `config`
    (a dict) and/or its model.weights.h5 by `weights` (bytes), the rest as it was."""
    zin = zipfile.ZipFile(src)
    with zipfile.ZipFile(dst, "w") as zout:
        zout.writestr("metadata.json", zin.read("metadata.json"))
        zout.writestr("config.json", json.dumps(config) if config is not None
                      else zin.read("config.json"))
        zout.writestr("model.weights.h5", weights if weights is not None
                      else zin.read("model.weights.h5"))
    return dst
