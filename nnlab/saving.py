"""Keras's `keras.saving` names: your own classes in saved models, and load/save.

A model file never makes nnlab import code: a class it names is looked up only in
nnlab's own tables and among the classes you hand over, either per call
(`load_model(path, custom_objects={"MyLayer": MyLayer})`, also `from_config` and
`model_from_json`), for a block of code (`with custom_object_scope({...}):`), or once
for the process (`@register_keras_serializable()`, saved as "package>Name" as in Keras).
Custom objects are Layer, Loss, Activation and Metric subclasses, and plain metric
functions of (y_true, y_pred).

Example:
    >>> import nnlab
    >>> @nnlab.saving.register_keras_serializable(package="course")
    ... class Doubling(nnlab.layers.Layer):
    ...     def forward(self, X, training=False):
    ...         return 2 * X
    ...     def backward(self, dY, need_dX=True):
    ...         return 2 * dY
    >>> nnlab.saving.get_registered_name(Doubling)
    'course>Doubling'
    >>> del nnlab.saving.get_custom_objects()["course>Doubling"]  # (keep the registry clean)
"""

from __future__ import annotations

from nnlab.custom_objects import (
    CustomObjectScope,
    custom_object_scope,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
)
from nnlab.models.saving import load_model, save_model

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "register_keras_serializable",
    "save_model",
]
