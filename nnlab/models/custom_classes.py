"""The classes a model file may name: nnlab's own tables, then your custom objects.

Used by the `.nnlab` schema check and rebuild, `from_config` and `model_from_json`.
Custom objects (`nnlab.custom_objects`: the `custom_objects=` of a load, an active
`custom_object_scope`, or `@register_keras_serializable()` classes) come first, as in
Keras, and must subclass the right nnlab base class; nothing is ever imported by name.
"""

from __future__ import annotations

import inspect

from nnlab import activations
from nnlab import losses as losses_mod
from nnlab import metrics as metrics_mod
from nnlab.custom_objects import get_registered_name, lookup
from nnlab.layers import LAYERS
from nnlab.layers.base import Layer

LOSSES = {cls.__name__: cls for cls in losses_mod.LOSSES.values()}
METRICS = {cls.__name__: cls for cls in metrics_mod.METRICS.values()}


def layer_class(name):
    """The Layer class saved as `name`, or None."""
    return lookup(name, Layer) or (LAYERS.get(name) if isinstance(name, str) else None)


def loss_class(name):
    return lookup(name, losses_mod.Loss) or (LOSSES.get(name) if isinstance(name, str) else None)


def metric_class(name):
    found = lookup(name, metrics_mod.Metric)
    return found or (METRICS.get(name) if isinstance(name, str) else None)


def metric_function(name):
    """A plain metric function fn(y_true, y_pred) passed as a custom object, or None."""
    found = lookup(name)
    return found if callable(found) and not inspect.isclass(found) else None


def activation_class(value):
    """The Activation class of a serialized activation ({"name", "config"}, with
    "class_name" for your own), or None."""
    if isinstance(value, dict) and "class_name" in value:
        return lookup(value["class_name"], activations.Activation)
    name = value.get("name") if isinstance(value, dict) else value
    return activations.ACTIVATIONS.get(name) if isinstance(name, str) else None


def saved_name(obj, own: dict) -> str:
    """The class name a file records for `obj`: nnlab's own name for its own classes,
    else the registered name ("package>Name") or the class name."""
    cls = type(obj)
    return cls.__name__ if own.get(cls.__name__) is cls else get_registered_name(cls)


def layer_name(layer) -> str:
    """`saved_name` of a layer; a non-Layer object cannot be saved."""
    if not isinstance(layer, Layer):
        raise TypeError(
            f"Layer '{getattr(layer, 'name', layer)}' is a {type(layer).__name__}, not an "
            "nnlab Layer, so a loaded file could not rebuild it. Subclass "
            "nnlab.layers.Layer (with get_config) for your own layers."
        )
    return saved_name(layer, LAYERS)
