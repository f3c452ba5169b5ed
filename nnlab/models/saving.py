"""Save and load whole models as `.nnlab` files, and weights alone as `.weights.npz`.

A `.nnlab` file (see docs/model-files.md and `nnlab.models.model_file`) holds the
architecture, the compile settings, the weights (BatchNormalization's moving
statistics included), the optimizer's step count and slots, the fitted preprocessing
and metadata, so `load_model` gives a model that predicts bit for bit the same and
resumes training exactly where it stopped. Classes are looked up only in nnlab's own
name tables (`nnlab.layers.LAYERS`, `OPTIMIZERS`, ...); nothing is imported by name
from a file and nothing is unpickled.
"""

from __future__ import annotations

import datetime
import os
import warnings
import zipfile
import zlib

import numpy as np

from nnlab import backend
from nnlab.custom_objects import CustomObjectScope, visible
from nnlab.models import model_config as config
from nnlab.models import model_file, model_schema, npy_member, preprocessing_schema, weight_plan
from nnlab.models.model_file import ModelFileError

MODEL_SUFFIX = ".nnlab"
WEIGHTS_SUFFIX = ".weights.npz"

__all__ = [
    "MODEL_SUFFIX",
    "WEIGHTS_SUFFIX",
    "ModelFileError",
    "load_model",
    "load_weights",
    "save_model",
    "save_weights",
]


def _check_suffix(path, suffix: str, what: str) -> str:
    path = os.fspath(path)
    if not path.endswith(suffix):
        raise ValueError(
            f"{what} writes nnlab's own format, so the path must end in '{suffix}'. "
            f"Received: {path!r}. Use e.g. 'model{suffix}'."
        )
    return path


# -- whole models -------------------------------------------------------------------
def save_model(model, path, preprocessing=None, metadata=None) -> None:
    """Save `model` to a `.nnlab` file atomically (an old file is replaced whole or kept).

    Args:
        model: a `Sequential` or functional `Model` built from nnlab's layers.
        path: destination, ending in `.nnlab`.
        preprocessing: fitted preprocessing to store with the model (a
            `nnlab.data.TabularPreprocessor`); defaults to `model.preprocessing` if a
            loaded model carries one.
        metadata: a dict of your own JSON values (strings, numbers, lists, dicts).

    Example:
        >>> import os, tempfile
        >>> from nnlab.models import Sequential, load_model
        >>> from nnlab.layers import Input, Dense
        >>> model = Sequential([Input(shape=(2,)), Dense(1)])
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     model.save(os.path.join(folder, "tiny.nnlab"))
        ...     load_model(os.path.join(folder, "tiny.nnlab")).count_params()
        3
    """
    path = _check_suffix(path, MODEL_SUFFIX, "save_model")
    if metadata is not None and not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict of JSON values. Received: {metadata!r}")
    if preprocessing is None:
        preprocessing = getattr(model, "preprocessing", None)
    arrays: dict[str, np.ndarray] = {}
    document = {
        "format": model_file.FORMAT_NAME,
        "format_version": model_file.FORMAT_VERSION,
        "nnlab_version": _nnlab_version(),
        "model": config.architecture(model, arrays),
        "compile": config.compile_config(model),
        "optimizer_state": _optimizer_state(model, arrays),
        "preprocessing": config.preprocessing_config(preprocessing),
        "metadata": {
            "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(),
            "user": metadata or {},
        },
    }
    _check_preprocessing_fits(path, model, document)
    model_file.write_model_file(path, document, arrays)


def _check_preprocessing_fits(path: str, model, document: dict) -> None:
    """Refuse to save preprocessing that does not fit the model (the file would not load)."""
    if document["preprocessing"] is None or not model.built:
        return
    spec = document["model"]
    tensors = list(model.inputs) + list(model.outputs)
    shapes = dict(zip(spec["inputs"] + spec["outputs"], (t.shape for t in tensors)))
    try:
        preprocessing_schema.check_preprocessing(
            path,
            document["preprocessing"],
            shapes,
            spec["inputs"],
            spec["outputs"],
            fix="pass the preprocessor fitted on this model's training data",
        )
    except ModelFileError as exc:
        raise ValueError(str(exc)) from None


def load_model(
    path,
    compile: bool = True,
    *,
    max_params: int = model_file.DEFAULT_MAX_PARAMS,
    max_member_bytes: int = model_file.DEFAULT_MAX_MEMBER_BYTES,
    max_json_bytes: int = model_file.DEFAULT_MAX_JSON_BYTES,
    custom_objects=None,
):
    """Load a model saved by `save_model` / `Model.save`.

    The model comes back with its weights and, if it was compiled and `compile` is
    true, compiled with the same optimizer (step count and slots restored), losses,
    loss weights and metrics, so `fit(..., initial_epoch=k)` continues the run. The
    stored preprocessing is `model.preprocessing` (None if none was saved) and the
    metadata is `model.metadata`.

    Everything is checked before it is allocated: the container, then model.json
    against its schema and the weight shapes against the layer graph and the caps,
    and only then are the arrays read (each at most the bytes it declares).

    Args:
        path: a `.nnlab` file.
        compile: restore the compile settings and optimizer state.
        max_params: most weight values the model may have (default 100 million; an
            nnlab extension, as are the two caps below).
        max_member_bytes: most bytes one array member may decompress to (1 GiB).
        max_json_bytes: most bytes model.json may decompress to (64 MiB).
        custom_objects: {saved class name: class} for your own Layer, Loss,
            Activation and Metric subclasses (and plain metric functions) in the model;
            nothing else is ever used to rebuild it (see `nnlab.saving`). For a Keras
            `.keras` file, nnlab layer classes for layers nnlab does not have.

    Raises:
        ModelFileError (a ValueError): the file is corrupted, tampered with, unsafe,
            above a cap, or written by a newer nnlab.
    """
    path = os.fspath(path)
    if path.endswith(".keras"):  # Keras 3's own format: architecture and weights
        from nnlab.models import keras_format

        return keras_format.load_keras(path, visible(custom_objects))
    limits = model_file.LoadLimits(max_params, max_member_bytes, max_json_bytes)
    with CustomObjectScope(custom_objects):  # your own classes, found by their saved names
        return _load_nnlab(path, compile, limits)


def _load_nnlab(path: str, compile: bool, limits):
    seed_state = backend.get_seed_stream_state()  # rebuilding draws initial weights
    try:
        with model_file.ModelFileReader(path, limits) as reader:
            document = reader.document
            model_schema.check_document(path, document, compile)
            spec, files = document["model"], document["files"]
            layers = config.make_layers(path, spec)
            io_shapes, sizes = weight_plan.plan_weights(path, spec, layers, files, limits)
            weight_plan.check_optimizer_state(path, document.get("optimizer_state"), sizes, files)
            preprocessing_schema.check_preprocessing(
                path, document.get("preprocessing"), io_shapes, spec["inputs"], spec["outputs"]
            )
            arrays = reader.read_arrays()
        model = config.rebuild(path, spec, arrays, layers)
    finally:
        backend.set_seed_stream_state(seed_state)
    if compile and document.get("compile") is not None:
        config.recompile(path, model, document["compile"])
        _restore_optimizer_state(path, model, document.get("optimizer_state"), arrays)
    model.preprocessing = config.rebuild_preprocessing(path, document.get("preprocessing"))
    meta = document.get("metadata") or {}
    model.metadata = {"nnlab_version": document.get("nnlab_version"), **meta}
    return model


def _nnlab_version() -> str:
    import nnlab

    return getattr(nnlab, "__version__", "unknown")


# -- optimizer state ------------------------------------------------------------------
def _optimizer_state(model, arrays: dict) -> dict | None:
    """Step count and slot arrays, laid out for the model's flat parameter store.

    If the layers changed since the store was packed (e.g. a layer was frozen), the
    next `fit` would reset the optimizer, so a fresh state is saved instead.
    """
    opt = model.optimizer if model.compiled else None
    if opt is None:
        return None
    store, slots = model.parameter_store, opt.get_slots() or None
    if store is not None and not store.holds(model.weight_layers()):
        return {"iterations": 0, "slots": [], "layout": []}
    if store is None or slots is None:
        return {"iterations": int(opt.iterations), "slots": [], "layout": []}
    if len(slots) != 1 or any(a.shape != store.W.shape for a in slots[0].values()):
        warnings.warn(
            "The optimizer's slots do not match the model's parameters (was it also used "
            "with apply_gradients on other arrays?); they are not saved, so training "
            "resumes with a fresh optimizer state.",
            stacklevel=3,
        )
        return {"iterations": 0, "slots": [], "layout": []}
    names = {}
    for key, value in slots[0].items():
        names[key] = f"optimizer/0/{key}.npy"
        arrays[names[key]] = value
    layout = [[layer, k, v.size] for (layer, k), v in zip(store.keys, store.grad_views)]
    return {"iterations": int(opt.iterations), "slots": [names], "layout": layout}


def _restore_optimizer_state(path, model, state, arrays: dict) -> None:
    if not state or not model.built:
        return
    opt = model.optimizer
    store = model.pack_parameters()  # packed now, so fit will not rebuild it and reset `opt`
    iterations = state.get("iterations", 0)
    if type(iterations) is not int or iterations < 0:
        raise ModelFileError(f"{path}: optimizer_state.iterations {iterations!r} is invalid.")
    slots = state.get("slots") or []
    if slots:
        layout = [[layer, k, v.size] for (layer, k), v in zip(store.keys, store.grad_views)]
        if state.get("layout") != layout or len(slots) != 1:
            raise ModelFileError(
                f"{path}: the saved optimizer slots are laid out for parameters "
                f"{state.get('layout')}, but the rebuilt model has {layout}. The file is "
                "inconsistent; load it with compile=False and compile again."
            )
        restored = {}
        for key, member in slots[0].items():
            array = arrays.get(member)
            if array is None or array.shape != store.W.shape or array.dtype != store.W.dtype:
                raise ModelFileError(
                    f"{path}: optimizer slot {key!r} ({member!r}) is missing or does not "
                    f"match the parameters (expected shape {store.W.shape}, dtype "
                    f"{store.W.dtype})."
                )
            restored[key] = array
        opt.set_slots([restored])
    opt.iterations = iterations


# -- weights only -----------------------------------------------------------------------
def _weight_keys(model) -> list[tuple[str, np.ndarray]]:
    """One `index/layer/weight` key per array, in `get_weights()` order."""
    keys, k = [], 0
    for layer in model.weight_layers():
        for name, W in list(layer.params.items()) + list(layer.state.items()):
            keys.append((f"{k:04d}/{layer.name}/{name}", W))
            k += 1
    return keys


def save_weights(model, path) -> None:
    """Save all weights (no architecture, no optimizer) to a `.weights.npz` file, atomically.

    Arrays are matched on load by position (`get_weights()` order), as in Keras.
    """
    path = _check_suffix(path, WEIGHTS_SUFFIX, "save_weights")
    arrays = {key: np.ascontiguousarray(W) for key, W in _weight_keys(model)}
    for key, W in arrays.items():
        if W.dtype.name not in model_file.ALLOWED_DTYPES:
            raise TypeError(f"Weight {key} has dtype {W.dtype}, which cannot be saved.")
    model_file.atomic_write(path, lambda f: np.savez(f, **arrays))


def load_weights(model, path) -> None:
    """Load weights saved by `save_weights` into a model built the same way.

    Arrays are matched by position and weight name; layer names may differ. Each
    member's header is checked against the weight it fills before its data is read,
    and no member is read past the size that weight needs.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No weights file at {path}.")
    expected = _weight_keys(model)
    try:
        with open(path, "rb") as f, zipfile.ZipFile(f) as zf:
            names = sorted(zf.namelist(), key=lambda n: _parse_key(n.removesuffix(".npy")))
            stored = [_parse_key(n.removesuffix(".npy")) for n in names]
            if [k[2] for k in stored] != [_parse_key(key)[2] for key, _ in expected]:
                raise _WeightsMismatch(stored)
            arrays = [_read_weight(path, zf, n, W) for n, (_, W) in zip(names, expected)]
    except _WeightsMismatch as exc:
        raise ValueError(
            f"{path} holds weights {[f'{k[1]}/{k[2]}' for k in exc.args[0]]}, but model "
            f"'{model.name}' has {[key.split('/', 1)[1] for key, _ in expected]}. Load the "
            "weights into a model built like the one that saved them."
        ) from None
    except (ValueError, OSError, EOFError, RuntimeError, zipfile.BadZipFile, zlib.error) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(
            f"{path} is not a valid nnlab weights file: {exc}. Expected a .weights.npz "
            "file of plain numeric arrays written by model.save_weights."
        ) from None
    model.set_weights(arrays)


class _WeightsMismatch(Exception):
    """The file's weight names differ from the model's (args: the stored keys)."""


def _read_weight(path: str, zf: zipfile.ZipFile, name: str, W: np.ndarray) -> np.ndarray:
    """Member `name` as an array shaped like `W`, read no further than that needs."""
    cap = W.size * 8 + 2**16
    fix = "The file was not written by save_weights for this model."
    data = model_file.read_member(path, zf, name, cap, fix)
    shape, dtype, offset = npy_member.npy_header(data)
    if dtype.name not in model_file.ALLOWED_DTYPES:
        raise ValueError(f"weight {name!r} is not a plain numeric array (dtype {dtype})")
    if shape != W.shape or offset + W.size * dtype.itemsize != len(data):
        raise ValueError(
            f"weight {name!r} holds {dtype.name} {shape} in {len(data) - offset} bytes, but "
            f"the model's weight has shape {W.shape}"
        )
    return npy_member.decode_npy(data)


def _parse_key(key: str) -> tuple[int, str, str]:
    try:
        index, layer, name = key.split("/")
        return int(index), layer, name
    except ValueError:
        raise ValueError(f"member {key!r} is not named <index>/<layer>/<weight>") from None
