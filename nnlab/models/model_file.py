"""The `.nnlab` container: a zip of `model.json` plus `.npy` arrays, safe to read.

This module knows nothing about models. It writes a JSON document and named arrays
atomically (`nnlab.fileio.atomic_write`), and `ModelFileReader` reads them back only
after checking, in this order: the file is a zip; every member name is a plain relative
path; `model.json` (read in chunks, at most `max_json_bytes`, nested at most 64 deep)
declares a format this nnlab reads; every other member is listed in its manifest
(`files`) with a numeric dtype, a shape within `max_params` values and a SHA-256. The
caller then checks the document (see `model_schema`, `weight_plan`) before
`read_arrays` reads each member, never past the bytes it declares, checks its SHA-256
and decodes it with `allow_pickle=False`, so nothing in a file can run code. The
SHA-256s detect corruption, not a deliberate edit. See docs/model-files.md and
docs/reliability.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import math
import os
import re
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from nnlab import fileio
from nnlab.models.file_errors import (  # ModelFileError: its historical home
    ModelFileError,
    invalid,
    raise_cap,
    refused,
    too_big,
)
from nnlab.models.npy_member import decode_member

FORMAT_NAME = "nnlab-model"
FORMAT_VERSION = "1.0"  # "major.minor": a newer minor only adds fields, a newer major refuses
MANIFEST_MEMBER = "model.json"
#: dtypes an array member may have; anything else (object, structured, strings) is refused.
ALLOWED_DTYPES = frozenset(
    ["bool", "float16", "float32", "float64"]
    + [f"{p}int{b}" for p in ("", "u") for b in (8, 16, 32, 64)]
)
#: default caps of `LoadLimits`: far above any model nnlab can train in memory.
DEFAULT_MAX_PARAMS = 100_000_000
DEFAULT_MAX_MEMBER_BYTES = 2**30
DEFAULT_MAX_JSON_BYTES = 64 * 2**20
#: model.json nests about 6 levels; anything past this is refused before it is walked.
MAX_JSON_DEPTH = 64
_MAX_NPY_HEADER = 2**16
_MAX_NDIM = 32
_CHUNK = 2**20
#: what a damaged zip makes zipfile raise (RuntimeError: a member claims encryption).
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)
_SAFE_NAME = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")


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

    On any exception the temporary file is removed and an existing `path` is untouched;
    see `nnlab.fileio.atomic_write` for the naming and clean-up of temporary files.
    """
    with fileio.atomic_write(path, "wb") as f:
        write(f)


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
@dataclass(frozen=True)
class LoadLimits:
    """Caps that loading checks before it allocates anything (see docs/reliability.md).

    Args:
        max_params: most weight values the rebuilt model may have (all layers together).
            Each array member may hold at most this many values, and all array members
            together (weights plus optimizer slots) at most four times as many.
        max_member_bytes: most bytes one array member may decompress to.
        max_json_bytes: most bytes `model.json` may decompress to.
    """

    max_params: int = DEFAULT_MAX_PARAMS
    max_member_bytes: int = DEFAULT_MAX_MEMBER_BYTES
    max_json_bytes: int = DEFAULT_MAX_JSON_BYTES

    def __post_init__(self):
        for name in ("max_params", "max_member_bytes", "max_json_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(
                    f"load_model({name}=...) expects a positive int. Received: {name}={value!r}"
                )


class ModelFileReader:
    """An open `.nnlab` file whose container and manifest have been checked.

    `document` is the parsed model.json; `read_arrays()` then reads each array, at most
    the bytes its manifest entry declares. Use as a context manager.
    """

    def __init__(self, path, limits: LoadLimits | None = None):
        self.path = os.fspath(path)
        self.limits = limits or LoadLimits()
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"No model file at {self.path}.")
        self._file = open(self.path, "rb")
        try:
            with _zip_errors(self.path):
                self._zip = zipfile.ZipFile(self._file)
                self.document = self._read_document()
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> ModelFileReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()
        self._file.close()

    def _read_document(self) -> dict:
        path, infos = self.path, self._zip.infolist()
        names = [info.filename for info in infos]
        for name in names:
            if not _SAFE_NAME.fullmatch(name) or any(p in (".", "..") for p in name.split("/")):
                raise refused(path, f"member name {name!r} is not a plain relative path")
        if len(set(names)) != len(names):
            raise refused(path, "a member name appears twice")
        if MANIFEST_MEMBER not in names:
            raise invalid(path, f"it has no {MANIFEST_MEMBER}")
        document = _parse_json(path, self._read(MANIFEST_MEMBER, self.limits.max_json_bytes))
        files = document.get("files")
        if not isinstance(files, dict):
            raise invalid(path, "model.json has no 'files' manifest")
        extra = sorted(set(names) - set(files) - {MANIFEST_MEMBER})
        if extra:
            raise refused(path, f"member(s) {extra} are not listed in the manifest")
        missing = sorted(set(files) - set(names))
        if missing:
            raise invalid(path, f"member(s) {missing} listed in the manifest are missing")
        total = 0
        for name, entry in files.items():
            total += _check_entry(path, name, entry, self.limits)
        if total > 4 * self.limits.max_params:
            raise too_big(
                path,
                f"the array members declare {total:,} values in all, more than 4 x "
                f"max_params = {4 * self.limits.max_params:,}",
                "max_params",
            )
        return document

    def _read(self, name: str, cap: int) -> bytes:
        hint = "max_json_bytes" if name == MANIFEST_MEMBER else "max_member_bytes"
        return read_member(self.path, self._zip, name, cap, raise_cap(hint))

    def read_arrays(self) -> dict[str, np.ndarray]:
        """Every array member, each checked against its manifest entry and SHA-256."""
        arrays = {}
        with _zip_errors(self.path):
            for name, entry in self.document["files"].items():
                cap = _nbytes(entry) + _MAX_NPY_HEADER
                data = self._read(name, min(cap, self.limits.max_member_bytes))
                if hashlib.sha256(data).hexdigest() != entry["sha256"]:
                    raise refused(
                        self.path, f"the SHA-256 of member {name!r} does not match the manifest"
                    )
                arrays[name] = decode_member(self.path, name, data, entry["dtype"], entry["shape"])
        return arrays


def read_member(path, zf: zipfile.ZipFile, name: str, cap: int, fix: str) -> bytes:
    """The bytes of member `name`, refusing it once it decompresses past `cap` bytes.

    The zip header's declared size is not trusted: the member is read in chunks and
    reading stops at the cap. `fix` ends the message (what the user can do).
    """
    chunks, size = [], 0
    with zf.open(name) as member:
        while chunk := member.read(min(_CHUNK, cap + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > cap:
                raise ModelFileError(
                    f"Refused to load {path}: member {name!r} decompresses to more than "
                    f"{cap:,} bytes. {fix}"
                )
    return b"".join(chunks)


def read_model_file(path, limits: LoadLimits | None = None) -> tuple[dict, dict[str, np.ndarray]]:
    """The checked model.json document and its arrays by member name.

    Raises:
        FileNotFoundError: no file at `path`.
        ModelFileError: the file is not a readable zip, is from a newer format, exceeds
            a cap of `limits`, or fails any safety or integrity check.
    """
    with ModelFileReader(path, limits) as reader:
        return reader.document, reader.read_arrays()


@contextlib.contextmanager
def _zip_errors(path: str):
    try:
        yield
    except _ZIP_ERRORS as exc:
        detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        raise invalid(path, f"the zip container cannot be read ({detail})") from None


def _parse_json(path: str, data: bytes) -> dict:
    try:
        document = json.loads(data.decode("utf-8"))
    except RecursionError:
        raise refused(path, f"{MANIFEST_MEMBER} is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError, int digit limit
        raise invalid(path, f"{MANIFEST_MEMBER} is not valid JSON ({exc})") from None
    depth = _nesting(document)
    if depth > MAX_JSON_DEPTH:
        raise refused(
            path,
            f"{MANIFEST_MEMBER} is nested more than {MAX_JSON_DEPTH} levels deep (nnlab "
            "writes about 6)",
        )
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise invalid(path, f"{MANIFEST_MEMBER} does not declare format '{FORMAT_NAME}'")
    check_version(path, document.get("format_version"))
    return document


def _nesting(value) -> int:
    """How deeply lists and dicts nest in `value` (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, depth)
            if depth <= MAX_JSON_DEPTH:
                stack.extend((child, depth + 1) for child in item)
    return deepest


def check_version(path, version) -> None:
    """Accept format versions with this nnlab's major number (a newer minor is fine)."""
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        raise invalid(path, f"format_version {version!r} is not 'major.minor'") from None
    ours = int(FORMAT_VERSION.split(".")[0])
    if major > ours:
        raise ModelFileError(
            f"{path} was written by a newer nnlab (model format version {version}; this "
            f"nnlab reads version {ours}.x). Upgrade nnlab to load it."
        )
    if major < 1:
        raise invalid(path, f"format_version {version!r} is unknown")


def _check_entry(path: str, name: str, entry, limits: LoadLimits) -> int:
    """Check one manifest entry before its member is read; the values it declares."""
    if not (name.endswith(".npy") and isinstance(entry, dict)):
        raise refused(path, f"member {name!r} is not a manifest-listed .npy array")
    dtype, shape, digest = entry.get("dtype"), entry.get("shape"), entry.get("sha256")
    if not (isinstance(dtype, str) and dtype in ALLOWED_DTYPES):
        raise refused(path, f"member {name!r} declares dtype {dtype!r}, not a numeric dtype")
    if not (
        isinstance(shape, list)
        and len(shape) <= _MAX_NDIM
        and all(type(d) is int and d >= 0 for d in shape)
    ):
        raise invalid(path, f"member {name!r} has an invalid shape {shape!r} in the manifest")
    if not (isinstance(digest, str) and re.fullmatch(r"[0-9a-f]{64}", digest)):
        raise invalid(path, f"member {name!r} has no SHA-256 (64 hex digits) in the manifest")
    size = math.prod(shape)
    if size > limits.max_params:
        raise too_big(
            path,
            f"member {name!r} declares shape {tuple(shape)} ({size:,} values), more than "
            f"max_params = {limits.max_params:,}",
            "max_params",
        )
    if _nbytes(entry) + _MAX_NPY_HEADER > limits.max_member_bytes:
        raise too_big(
            path,
            f"member {name!r} declares {_nbytes(entry):,} bytes, more than max_member_bytes "
            f"= {limits.max_member_bytes:,}",
            "max_member_bytes",
        )
    return size


def _nbytes(entry: dict) -> int:
    return math.prod(entry["shape"]) * np.dtype(entry["dtype"]).itemsize
