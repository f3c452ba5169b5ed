"""Keras's introspection and cloning: `get_config` / `from_config` on models,
`to_json` / `model_from_json`, and `clone_model`.

A model's config is its architecture in nnlab's own JSON (the one `.nnlab` files hold,
see `nnlab.models.model_config`) without weights: rebuilding it gives the same layers
with fresh initial weights, as in Keras. Only nnlab's name tables are consulted, so a
JSON string cannot make nnlab import or run anything.
"""

from __future__ import annotations

import json

from nnlab.custom_objects import CustomObjectScope, get_registered_name
from nnlab.models import model_config, nested_file


def get_config(model) -> dict:
    """The architecture of `model` as a JSON-ready dict (no weights)."""
    return nested_file.strip_weights(model_config.architecture(model, {}))


def from_config(config: dict, custom_objects=None):
    """A new model with fresh weights from `get_config()`'s dict.

    Args:
        config: a dict from `get_config()`.
        custom_objects: {saved class name: class} for your own layers, losses,
            activations and metrics in it (see `nnlab.saving`).

    Raises:
        ModelFileError: the config names a class nnlab does not have and that is not
            among the custom objects, or is malformed.
    """
    with CustomObjectScope(custom_objects):  # your own classes, by their saved names
        return model_config.rebuild("<config>", config, None)


def to_json(model, **kwargs) -> str:
    """The model's config as a JSON string (`json.dumps` keyword arguments allowed)."""
    return json.dumps({"class_name": get_config(model)["class_name"], "config": get_config(model)},
                      **kwargs)


def model_from_json(json_string: str, custom_objects=None):
    """A new model with fresh weights from `to_json()`'s string.

    Example:
        >>> from nnlab.models import Sequential, model_from_json
        >>> from nnlab.layers import Input, Dense
        >>> model = Sequential([Input(shape=(3,)), Dense(2, activation="relu")])
        >>> model_from_json(model.to_json()).count_params()
        8
    """
    document = json.loads(json_string)
    return from_config(document["config"] if "config" in document else document, custom_objects)


def clone_model(model):
    """A new model with the same architecture and fresh weights (Keras's clone_model;
    copy the weights with `clone.set_weights(model.get_weights())`). Your own layer and
    activation classes in `model` are used as they are, as in Keras: no custom_objects
    are needed (nothing is read from a file)."""
    return from_config(get_config(model), _own_classes(model))


def _own_classes(model) -> dict:
    """{saved name: class} of the layers and activations in `model` that are not nnlab's."""
    from nnlab.activations import ACTIVATIONS, Activation
    from nnlab.layers import LAYERS
    from nnlab.models.nested import all_layers, is_model

    found = {}
    for layer in all_layers(model):
        if not is_model(layer) and LAYERS.get(type(layer).__name__) is not type(layer):
            found[get_registered_name(type(layer))] = type(layer)
        for key in ("activation", "recurrent_activation"):
            act = getattr(layer, key, None)
            if isinstance(act, Activation) and type(act) not in set(ACTIVATIONS.values()):
                found[get_registered_name(type(act))] = type(act)
    return found
