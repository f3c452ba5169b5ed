"""The registry of your own classes for loading: custom_objects, scopes, registration.

The implementation behind `nnlab.saving` (Keras's `keras.saving` names); it imports no
model code, so the loaders can consult it. A file never makes nnlab import code: a
class name it holds is found only in nnlab's own tables or here.
"""

from __future__ import annotations

import inspect
import threading

_GLOBAL_CUSTOM_OBJECTS: dict[str, object] = {}
_GLOBAL_CUSTOM_NAMES: dict[object, str] = {}
_local = threading.local()


def register_keras_serializable(package: str = "Custom", name: str | None = None):
    """Decorator: make a class (or metric function) loadable without custom_objects.

    Args:
        package: the first part of the registered name "package>name".
        name: the second part; defaults to the class's (or function's) own name.

    Example:
        >>> import nnlab
        >>> @nnlab.saving.register_keras_serializable(package="course", name="cube")
        ... class Cube(nnlab.activations.Activation):
        ...     name = "cube"
        ...     def forward(self, Z): return Z ** 3
        ...     def backward(self, dA, Z, A): return dA * 3 * Z ** 2
        >>> nnlab.saving.get_registered_object("course>cube") is Cube
        True
        >>> del nnlab.saving.get_custom_objects()["course>cube"]
    """
    if not isinstance(package, str) or not package or ">" in package:
        raise ValueError(
            "register_keras_serializable(package=...) expects a non-empty string without "
            f"'>'. Received: package={package!r}"
        )

    def decorator(obj):
        key = f"{package}>{name if name is not None else obj.__name__}"
        if inspect.isclass(obj) and not hasattr(obj, "get_config"):
            raise ValueError(
                f"Cannot register {obj.__name__}: a class needs a get_config() method to be "
                "saved. Subclass nnlab.layers.Layer, nnlab.losses.Loss, "
                "nnlab.activations.Activation or nnlab.metrics.Metric."
            )
        _GLOBAL_CUSTOM_OBJECTS[key] = obj
        _GLOBAL_CUSTOM_NAMES[obj] = key
        return obj

    return decorator


def get_registered_name(obj) -> str:
    """The name `obj` is saved under: "package>name" if registered, else its own name."""
    return _GLOBAL_CUSTOM_NAMES.get(obj, getattr(obj, "__name__", None) or type(obj).__name__)


def get_custom_objects() -> dict:
    """The live process-wide {registered name: object} dictionary (Keras's)."""
    return _GLOBAL_CUSTOM_OBJECTS


def get_registered_object(name: str, custom_objects=None, module_objects=None):
    """The object saved as `name`: from the active custom object scopes, the registered
    objects, then `custom_objects` and `module_objects`; None if none has it."""
    for scope in reversed(_scopes()):
        if name in scope:
            return scope[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    for table in (custom_objects, module_objects):
        if table and name in table:
            return table[name]
    return None


class CustomObjectScope:
    """`with custom_object_scope({"MyLayer": MyLayer}):` loads may use these objects.

    Args:
        *objects: dicts of {saved name: class or function}.
    """

    def __init__(self, *objects):
        merged = {}
        for table in objects:
            if table is None:
                continue
            if not isinstance(table, dict):
                raise TypeError(
                    "custom_objects must be a dict of {saved class name: class}, e.g. "
                    f"custom_objects={{'MyLayer': MyLayer}}. Received: {table!r}"
                )
            merged.update(table)
        self.custom_objects = merged

    def __enter__(self):
        _scopes().append(self.custom_objects)
        return self

    def __exit__(self, *exc) -> None:
        _scopes().pop()


custom_object_scope = CustomObjectScope


def visible(custom_objects=None) -> dict:
    """Every custom object usable now, as one dict for loaders keyed by class name (the
    `.keras` reader): registered objects under "package>Name" and "Name", then the active
    scopes, then `custom_objects`, each overriding the one before."""
    explicit = CustomObjectScope(custom_objects).custom_objects  # checks it is a dict
    out = {}
    for key, obj in _GLOBAL_CUSTOM_OBJECTS.items():
        out[key] = obj
        out.setdefault(key.split(">", 1)[-1], obj)
    for scope in _scopes():
        out.update(scope)
    out.update(explicit)
    return out


def _scopes() -> list:
    if not hasattr(_local, "stack"):
        _local.stack = []
    return _local.stack


def lookup(saved_name, base: type | None = None):
    """The custom object a file names, or None (nnlab's own tables are the caller's).

    A registered name "package>Name" is also found under "Name" among the objects passed
    in custom_objects. With `base`, only a subclass of it counts.
    """
    if not isinstance(saved_name, str):
        return None
    found = get_registered_object(saved_name)
    if found is None and ">" in saved_name:
        found = get_registered_object(saved_name.split(">", 1)[1])
    if base is not None and not (inspect.isclass(found) and issubclass(found, base)):
        return None
    return found


def how_to_pass(name: str) -> str:
    """The sentence an error about an unknown class ends with."""
    short = name.split(">", 1)[-1]
    return (
        f"nnlab never imports code named by a file: if {name!r} is your own class, pass "
        f"it when loading, e.g. load_model(path, custom_objects={{{short!r}: {short}}}), "
        "or decorate it with @nnlab.saving.register_keras_serializable()"
    )
