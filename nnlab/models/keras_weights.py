"""The weights of a Keras 3 `.keras` file (`model.weights.h5`) read into an nnlab model.

Keras keeps each layer's variables in `layers/<key>/vars/0, 1, ...` (the key is the
snake-cased class name numbered in layer order; the `name` attribute of the `vars` group
is the layer's name; see `nnlab.models.keras_layers.saved_groups` for recurrent layers
and wrappers). A nested model has the same layout below its own key, e.g.
`layers/sequential/layers/dense/vars/0`, with `layers/sequential/vars` naming the nested
model. The file is walked first, before anything is copied: soft and external links,
virtual datasets and external storage (which could make the reader open other files)
are refused, and every dataset must be numeric within the size cap.
"""

from __future__ import annotations

import io

import numpy as np

from nnlab.models.keras_format import h5py_module
from nnlab.models.keras_layers import saved_groups
from nnlab.models.model_file import ModelFileError
from nnlab.models.nested import is_model

MAX_WEIGHTS_BYTES = 2 * 2**30


def bad(path, detail: str) -> ModelFileError:
    """The error of a `.keras` file nnlab cannot read, naming the problem."""
    return ModelFileError(
        f"Cannot load {path} as a Keras model: {detail}. Nothing from it was run."
    )


def read_weights(path, data: bytes) -> tuple[dict[str, np.ndarray], dict]:
    """Every dataset below `layers/` of the HDF5 weights by its path, after refusing
    links and virtual data; and {(parent group, layer name): the layer's group}, where
    the parent group is "" for the model's own layers and `layers/<key>` for those of
    the nested model at that key (read from the `name` attribute of `.../vars`)."""
    h5py = h5py_module()

    arrays: dict[str, np.ndarray] = {}
    groups: dict = {}
    total = 0
    try:
        f = h5py.File(io.BytesIO(data), "r")
    except OSError as exc:
        raise bad(path, f"model.weights.h5 is not an HDF5 file ({exc})") from None
    with f:
        links: list = []
        f.visititems_links(lambda name, link: links.append((name, link)))
        for name, link in links:  # checked outside h5py's callback, which eats exceptions
            if not isinstance(link, h5py.HardLink):
                raise bad(path, f"model.weights.h5 holds a {type(link).__name__} at '{name}' "
                                "(links could make the loader read other files)")
        for name, _ in links:
            obj = f[name]
            if not isinstance(obj, h5py.Dataset):
                parts = name.split("/")
                if len(parts) >= 3 and parts[-3] == "layers" and parts[-1] == "vars":
                    key = ("/".join(parts[:-3]), _text(obj.attrs.get("name", "")))
                    groups[key] = "/".join(parts[:-1])
                continue
            if obj.is_virtual or obj.external:
                raise bad(path, f"dataset '{name}' is virtual or stored in another file")
            if not name.startswith("layers/"):
                continue  # optimizer state: nnlab loads the model uncompiled
            if obj.dtype.kind not in "fiu":
                raise bad(path, f"dataset '{name}' has dtype {obj.dtype}, not a number")
            total += obj.size * obj.dtype.itemsize
            if total > MAX_WEIGHTS_BYTES:
                raise bad(path, "the weights exceed the size cap")
            arrays[name] = obj[()]
    return arrays, groups


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def set_weights(path, model, arrays: dict, groups: dict, parent: str = "") -> None:
    """Copy every layer's weights from where Keras keeps them (`saved_groups`), nested
    models' layers from below the nested model's group."""
    for layer in model.layers:
        top = groups.get((parent, layer.name))
        held = [k for k in arrays if top is not None and k.startswith(top + "/")]
        if is_model(layer):
            if len(held) != len(layer.weights):
                raise bad(path, f"the nested model '{layer.name}' has {len(layer.weights)} "
                                f"weights but the file holds {len(held)} under "
                                f"{top or 'no group of that name'}")
            set_weights(path, layer, arrays, groups, top)
            continue
        wanted = [(f"{top}/{prefix}vars/{i}", W) for prefix, _, weights in saved_groups(layer)
                  for i, W in enumerate(weights)]
        if len(held) != len(wanted) or any(key not in arrays for key, _ in wanted):
            raise bad(path, f"layer '{layer.name}' has {len(wanted)} weights but the file "
                            f"holds {len(held)} under {top or 'no group of that name'}")
        for key, target in wanted:
            W = arrays[key]
            if W.shape != target.shape:
                raise bad(path, f"a weight of layer '{layer.name}' ({key}) has shape "
                                f"{W.shape}, expected {target.shape}")
            target[...] = W
