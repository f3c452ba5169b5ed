"""The errors of nnlab's model files: one exception class and the wording of its
messages (a damaged file, a refused one, one over a safety cap), shared by the
container (`model_file`) and its array members (`npy_member`).

Example:
    >>> str(invalid("m.nnlab", "model.json is missing")).split(":")[0]
    'm.nnlab is not a valid nnlab model file'
"""

from __future__ import annotations


class ModelFileError(ValueError):
    """A model file is corrupted, tampered with, unsafe, or from a newer nnlab."""


def invalid(path, detail: str) -> ModelFileError:
    """The error for a damaged file, or one that is no nnlab model file; `detail` says
    what is wrong."""
    return ModelFileError(
        f"{path} is not a valid nnlab model file: {detail}. Expected a .nnlab file written "
        "by nnlab's save_model; save the model again or restore the file from a backup."
    )


def refused(path, detail: str) -> ModelFileError:
    """The error for a file that holds something a saved model never holds (a member
    outside the manifest, an object array); `detail` says what."""
    return ModelFileError(
        f"Refused to load {path}: {detail}. A .nnlab file holds only model.json and the "
        ".npy arrays its manifest lists (with their SHA-256); this file was modified after "
        "it was saved or was not written by nnlab. Nothing from it was run; restore it "
        "from a backup or save the model again."
    )


def raise_cap(cap: str) -> str:
    """The sentence that tells how to raise the safety cap `cap` of load_model."""
    return (
        "This is a safety cap against files that would exhaust memory; if you trust the "
        f"file, raise it: load_model(path, {cap}=...)."
    )


def too_big(path, detail: str, cap: str) -> ModelFileError:
    """The error for a file over the safety cap `cap`; `detail` gives the figures."""
    return ModelFileError(f"Refused to load {path}: {detail}. {raise_cap(cap)}")
