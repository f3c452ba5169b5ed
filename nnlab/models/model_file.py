"""The `.nnlab` container: a zip of `model.json` plus `.npy` arrays, safe to read.

This module knows nothing about models. It writes a JSON document and named arrays
atomically, and reads them back only after checking, in this order: the file is a
zip; every member name is a plain relative path; `model.json` declares a format this
nnlab reads; every other member is listed in its manifest (`files`) with the dtype,
shape and SHA-256 it must have; each array's bytes match that hash; each `.npy`
header declares a plain numeric dtype (never `object`, which needs pickle). Arrays
are decoded with `allow_pickle=False`, so nothing in a file can run code.
See docs/model-files.md for the format.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import tempfile
import zipfile
import zlib

import numpy as np

FORMAT_NAME = "nnlab-model"
FORMAT_VERSION = "1.0"  # "major.minor": a newer minor only adds fields, a newer major refuses
MANIFEST_MEMBER = "model.json"
#: dtypes an array member may have; anything else (object, structured, strings) is refused.
ALLOWED_DTYPES = frozenset(
    ["bool", "float16", "float32", "float64"]
    + [f"{p}int{b}" for p in ("", "u") for b in (8, 16, 32, 64)]
)
_MAX_JSON_BYTES = 64 * 2**20
_MAX_NPY_HEADER = 2**16
#: what a damaged zip makes zipfile raise (RuntimeError: a member claims encryption).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


class ModelFileError(ValueError):
    """A model file is corrupted, tampered with, unsafe, or from a newer nnlab."""


def _invalid(path, detail: str) -> ModelFileError:
    return ModelFileError(
        f"{path} is not a valid nnlab model file: {detail}. Expected a .nnlab file written "
        "by nnlab's save_model; save the model again or restore the file from a backup."
    )


def _refused(path, detail: str) -> ModelFileError:
    return ModelFileError(
        f"Refused to load {path}: {detail}. A .nnlab file holds only model.json and the "
        ".npy arrays its manifest lists (with their SHA-256); this file was modified after "
        "it was saved or was not written by nnlab. Nothing from it was run."
    )


# -- writing --------------------------------------------------------------------------
def encode_array(array: np.ndarray) -> bytes:
    """The `.npy` bytes of a plain numeric array (never pickled)."""
    # (ascontiguousarray would turn a 0-d array, e.g. Normalization's count, into 1-d)
    array = np.ascontiguousarray(array) if array.ndim else np.asarray(array)
    if array.dtype.name not in ALLOWED_DTYPES:
        raise TypeError(
            f"Only numeric arrays can be saved; dtype {array.dtype} is not one of "
            f"{sorted(ALLOWED_DTYPES)}."
        )
    buf = io.BytesIO()
    np.save(buf, array, allow_pickle=False)
    return buf.getvalue()


def atomic_write(path, write) -> None:
    """Call `write(file)` on a temporary file beside `path`, fsync it, then replace `path`.

    On any exception the temporary file is removed and an existing `path` is untouched.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (POSIX)
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def _mode_for(path: str) -> int:
    if os.path.exists(path):
        return os.stat(path).st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_model_file(path, document: dict, arrays: dict[str, np.ndarray]) -> None:
    """Write each array and then `document` as model.json with a `files` manifest, atomically.

    model.json goes last so that its manifest can list the SHA-256 of every array as
    written; a reader finds members by name, so their order does not matter.
    """
    json.dumps(document, default=_json_default)  # fail before writing anything
    document = dict(document, files={})

    def write(f) -> None:
        with zipfile.ZipFile(f, "w") as zf:
            for name, array in arrays.items():
                data = encode_array(array)
                zf.writestr(name, data, compress_type=zipfile.ZIP_STORED)
                document["files"][name] = {
                    "sha256": hashlib.sha256(data).hexdigest(),
                    "dtype": np.asarray(array).dtype.name,
                    "shape": list(np.shape(array)),
                }
            text = json.dumps(document, indent=1, default=_json_default)
            zf.writestr(MANIFEST_MEMBER, text, compress_type=zipfile.ZIP_DEFLATED)

    atomic_write(path, write)


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(
        f"model.json can hold only plain JSON values. Received {value!r} of type "
        f"{type(value).__name__}; convert it to a number, string, list or dict first."
    )


# -- reading --------------------------------------------------------------------------
def read_model_file(path) -> tuple[dict, dict[str, np.ndarray]]:
    """The checked model.json document and its arrays by member name.

    Raises:
        FileNotFoundError: no file at `path`.
        ModelFileError: the file is not a readable zip, is from a newer format, or fails
            any safety or integrity check.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No model file at {path}.")
    with open(path, "rb") as f:
        try:
            with zipfile.ZipFile(f) as zf:
                return _read(path, zf)
        except _ZIP_ERRORS as exc:
            detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise _invalid(path, f"the zip container cannot be read ({detail})") from None


def _read(path: str, zf: zipfile.ZipFile) -> tuple[dict, dict[str, np.ndarray]]:
    infos = zf.infolist()
    names = [info.filename for info in infos]
    for name in names:
        if not _SAFE_NAME.fullmatch(name) or any(p in (".", "..") for p in name.split("/")):
            raise _refused(path, f"member name {name!r} is not a plain relative path")
    if len(set(names)) != len(names):
        raise _refused(path, "a member name appears twice")
    if MANIFEST_MEMBER not in names:
        raise _invalid(path, f"it has no {MANIFEST_MEMBER}")
    document = _read_json(path, zf)
    files = document.get("files")
    if not isinstance(files, dict):
        raise _invalid(path, "model.json has no 'files' manifest")
    extra = sorted(set(names) - set(files) - {MANIFEST_MEMBER})
    if extra:
        raise _refused(path, f"member(s) {extra} are not listed in the manifest")
    missing = sorted(set(files) - set(names))
    if missing:
        raise _invalid(path, f"member(s) {missing} listed in the manifest are missing")
    by_name = {info.filename: info for info in infos}
    arrays = {name: _read_array(path, zf, by_name[name], entry) for name, entry in files.items()}
    return document, arrays


def _read_json(path: str, zf: zipfile.ZipFile) -> dict:
    if zf.getinfo(MANIFEST_MEMBER).file_size > _MAX_JSON_BYTES:
        raise _refused(path, f"{MANIFEST_MEMBER} is larger than {_MAX_JSON_BYTES} bytes")
    try:
        document = json.loads(zf.read(MANIFEST_MEMBER).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise _invalid(path, f"{MANIFEST_MEMBER} is not valid JSON ({exc})") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise _invalid(path, f"{MANIFEST_MEMBER} does not declare format '{FORMAT_NAME}'")
    check_version(path, document.get("format_version"))
    return document


def check_version(path, version) -> None:
    """Accept format versions with this nnlab's major number (a newer minor is fine)."""
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        raise _invalid(path, f"format_version {version!r} is not 'major.minor'") from None
    ours = int(FORMAT_VERSION.split(".")[0])
    if major > ours:
        raise ModelFileError(
            f"{path} was written by a newer nnlab (model format version {version}; this "
            f"nnlab reads version {ours}.x). Upgrade nnlab to load it."
        )
    if major < 1:
        raise _invalid(path, f"format_version {version!r} is unknown")


def _read_array(path: str, zf: zipfile.ZipFile, info: zipfile.ZipInfo, entry) -> np.ndarray:
    name = info.filename
    if not (name.endswith(".npy") and isinstance(entry, dict)):
        raise _refused(path, f"member {name!r} is not a manifest-listed .npy array")
    dtype, shape, digest = entry.get("dtype"), entry.get("shape"), entry.get("sha256")
    if dtype not in ALLOWED_DTYPES:
        raise _refused(path, f"member {name!r} declares dtype {dtype!r}, not a numeric dtype")
    if not (isinstance(shape, list) and all(type(d) is int and d >= 0 for d in shape)):
        raise _invalid(path, f"member {name!r} has an invalid shape {shape!r} in the manifest")
    limit = math.prod(shape) * np.dtype(dtype).itemsize + _MAX_NPY_HEADER
    if info.file_size > limit:
        raise _refused(path, f"member {name!r} is larger than its declared shape and dtype")
    data = zf.read(info)
    if hashlib.sha256(data).hexdigest() != digest:
        raise _refused(path, f"the SHA-256 of member {name!r} does not match the manifest")
    return _decode_npy(path, name, data, dtype, shape)


def _decode_npy(path: str, name: str, data: bytes, dtype: str, shape: list) -> np.ndarray:
    """Check the .npy header against the manifest before any array is allocated, then read."""
    fp = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(fp)
        if version == (1, 0):
            header_shape, _, header_dtype = np.lib.format.read_array_header_1_0(fp)
        elif version == (2, 0):
            header_shape, _, header_dtype = np.lib.format.read_array_header_2_0(fp)
        else:
            raise ValueError(f"unsupported .npy version {version}")
    except (ValueError, OSError, EOFError) as exc:
        raise _invalid(path, f"member {name!r} has no readable .npy header ({exc})") from None
    if header_dtype.hasobject:
        raise _refused(path, f"member {name!r} is an object array, which needs pickle")
    if header_dtype.name != dtype or list(header_shape) != shape:
        raise _invalid(
            path,
            f"member {name!r} holds {header_dtype.name} {tuple(header_shape)} but the "
            f"manifest lists {dtype} {tuple(shape)}",
        )
    if fp.tell() + math.prod(shape) * header_dtype.itemsize != len(data):
        raise _invalid(path, f"member {name!r} does not hold exactly the data its header declares")
    fp.seek(0)
    try:
        return np.lib.format.read_array(fp, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise _invalid(path, f"member {name!r} is not a readable .npy array ({exc})") from None
