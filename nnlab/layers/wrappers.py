"""Wrappers: Bidirectional (a recurrent layer read both ways) and TimeDistributed.

A wrapper owns its inner layers' weights: the inner layers read and write their
`params`, `grads` and `state` through the wrapper's dicts, so the model's flat parameter
store (which replaces the wrapper's arrays with views) is what every layer computes with.
"""

from __future__ import annotations

from collections.abc import MutableMapping

import numpy as np

from nnlab.layers.base import Layer
from nnlab.layers.multi_output import output_gradients
from nnlab.layers.recurrent import RNN

MERGE_MODES = ("concat", "sum", "mul", "ave")


class _Prefixed(MutableMapping):
    """The entries of `parent` whose keys start with `prefix`, seen without it."""

    def __init__(self, parent: dict, prefix: str):
        self.parent, self.prefix = parent, prefix

    def __getitem__(self, key):
        return self.parent[self.prefix + key]

    def __setitem__(self, key, value):
        self.parent[self.prefix + key] = value

    def __delitem__(self, key):
        del self.parent[self.prefix + key]

    def __iter__(self):
        n = len(self.prefix)
        return (k[n:] for k in list(self.parent) if k.startswith(self.prefix))

    def __len__(self):
        return sum(1 for _ in self)


def _adopt(wrapper: Layer, inner: Layer, prefix: str) -> None:
    """Make `inner` keep its weights in `wrapper`'s dicts under `prefix`."""
    for attr in ("params", "grads", "state", "regularizers"):
        parent = getattr(wrapper, attr)
        for key, value in getattr(inner, attr).items():  # weights it already built
            parent[prefix + key] = value
        setattr(inner, attr, _Prefixed(parent, prefix))


#: config keys that hold an inner layer's {"class_name", "config"}
WRAPPED_LAYER_KEYS = ("layer", "backward_layer")


def _layer_from(config_or_layer):
    """A layer, or one rebuilt from its {"class_name": ..., "config": ...} entry."""
    if isinstance(config_or_layer, Layer):
        return config_or_layer
    from nnlab import activations, initializers, regularizers
    from nnlab.layers import LAYERS

    name = config_or_layer.get("class_name") if isinstance(config_or_layer, dict) else None
    config = config_or_layer.get("config") if name in LAYERS else None
    if not isinstance(config, dict):
        raise ValueError(
            "A wrapper expects a layer or a layer config {'class_name': ..., 'config': ...} "
            f"naming one of {sorted(LAYERS)}. Received: {config_or_layer!r}"
        )

    def decode(key, value):
        if not isinstance(value, dict) or key in WRAPPED_LAYER_KEYS:
            return value
        if key.endswith("activation"):
            return activations.deserialize(value)
        if key.endswith("_initializer"):
            return initializers.deserialize(value)
        if key.endswith("_regularizer"):
            return regularizers.deserialize(value)
        raise ValueError(f"config entry {key!r} of a {name} holds an object nnlab cannot rebuild")

    return LAYERS[name](**{key: decode(key, value) for key, value in config.items()})


def _config_of(layer: Layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence and
    merges the two outputs (the backward one re-reversed in time when return_sequences).

    Shape: X (n, T, d) -> (n, [T,] 2 units) with merge_mode "concat" (default), or
    (n, [T,] units) with "sum", "mul", "ave". Backward: the merge's gradient is split
    between the two layers (concat: by columns; sum: to both; ave: half to each;
    mul: dY times the other output) and dX is the sum of their dX.

    Args:
        layer: a SimpleRNN, LSTM or GRU (its copy reads the sequence reversed).
        merge_mode: "concat", "sum", "mul" or "ave". (Keras's None, two separate
            outputs, is not supported.)
        backward_layer: optional own layer for the backward direction (go_backwards=True).
    """

    supports_masking = True

    def __init__(self, layer, merge_mode="concat", backward_layer=None, **kwargs):
        layer = _layer_from(layer)
        if not isinstance(layer, RNN):
            raise ValueError(
                "Bidirectional(layer=...) expects a SimpleRNN, LSTM or GRU layer. "
                f"Received: {layer!r}"
            )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"Bidirectional(merge_mode=...) expects one of {list(MERGE_MODES)}. "
                f"Received: merge_mode={merge_mode!r}"
            )
        super().__init__(**kwargs)
        if backward_layer is None:
            config = layer.get_config()
            config.update(name=f"backward_{layer.name}", go_backwards=not layer.go_backwards)
            backward_layer = _layer_from({"class_name": type(layer).__name__, "config": config})
        else:
            backward_layer = _layer_from(backward_layer)
            if backward_layer.go_backwards == layer.go_backwards:
                raise ValueError(
                    "Bidirectional: backward_layer must read the other way "
                    f"(go_backwards={not layer.go_backwards}). Received go_backwards="
                    f"{backward_layer.go_backwards}."
                )
        self.forward_layer, self.backward_layer = layer, backward_layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        for inner in (layer, backward_layer):
            inner.zero_output_for_mask = inner.return_sequences  # Keras's rule
        _adopt(self, layer, "forward/")
        _adopt(self, backward_layer, "backward/")
        self.input_mask = None

    def build(self, input_shape) -> None:
        self.forward_layer.build_once(input_shape)
        self.backward_layer.build_once(input_shape)

    def compute_output_shape(self, input_shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            out, *states = out
            states = states * 2
        units = out[-1] * 2 if self.merge_mode == "concat" else out[-1]
        out = tuple(out[:-1]) + (units,)
        return [out, *states] if self.return_state else out

    def compute_mask(self, mask):
        return mask if self.return_sequences else None

    def forward(self, X, training: bool = False):
        for inner in (self.forward_layer, self.backward_layer):
            inner.input_mask = self.input_mask
        self.input_mask = None
        yf, yb = self.forward_layer.forward(X, training), self.backward_layer.forward(X, training)
        states = []
        if self.return_state:
            (yf, *sf), (yb, *sb) = yf, yb
            states = sf + sb
        if self.return_sequences:
            yb = yb[:, ::-1]
        self._outputs = (yf, yb)
        if self.merge_mode == "concat":
            out = np.concatenate([yf, yb], axis=-1)
        elif self.merge_mode == "sum":
            out = yf + yb
        elif self.merge_mode == "mul":
            out = yf * yb
        else:
            out = (yf + yb) / 2
        return [out, *states] if self.return_state else out

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_outputs")
        yf, yb = self._outputs
        k = self.forward_layer.n_states
        if self.return_state:
            dOut, *dS = output_gradients(dY, 1 + 2 * k)
        else:
            dOut, dS = dY, []
        if self.merge_mode == "concat":
            u = yf.shape[-1]
            df, db = dOut[..., :u], dOut[..., u:]
        elif self.merge_mode == "sum":
            df = db = dOut
        elif self.merge_mode == "mul":
            df, db = dOut * yb, dOut * yf
        else:
            df = db = dOut / 2
        if self.return_sequences:
            db = db[:, ::-1]
        if self.return_state:
            df, db = [df, *dS[:k]], [db, *dS[k:]]
        dXf = self.forward_layer.backward(df, need_dX)
        dXb = self.backward_layer.backward(db, need_dX)
        if not need_dX:
            return None
        if isinstance(dXf, list):  # with initial states: [dX, d states...]
            return [dXf[0] + dXb[0], *dXf[1:], *dXb[1:]]
        return dXf + dXb

    def hold_randomness(self, hold: bool = True) -> None:
        self.forward_layer.hold_randomness(hold)
        self.backward_layer.hold_randomness(hold)

    def get_config(self) -> dict:
        return {
            **super().get_config(),
            "layer": _config_of(self.forward_layer),
            "backward_layer": _config_of(self.backward_layer),
            "merge_mode": self.merge_mode,
        }


class TimeDistributed(Layer):
    """Applies one layer to every time step: X (n, T, ...) -> (n, T, ...'), the same
    weights at each step. Forward and backward run the inner layer once on all
    n * T steps stacked as a batch (so the inner layer's weight gradients are summed
    over the steps, as the shared weights require).

    Args:
        layer: the layer to apply (Dense, Conv2D, ...).
    """

    supports_masking = True

    def __init__(self, layer, **kwargs):
        layer = _layer_from(layer)
        if not isinstance(layer, Layer):
            raise ValueError(f"TimeDistributed(layer=...) expects a layer. Received: {layer!r}")
        super().__init__(**kwargs)
        self.layer = layer
        _adopt(self, layer, "")
        self._shape = None

    def _check(self, input_shape):
        if isinstance(input_shape, list) or len(input_shape) < 3:
            raise ValueError(
                f"TimeDistributed '{self.name}' needs inputs of shape (batch, steps, ...). "
                f"Received input shape {input_shape}."
            )

    def build(self, input_shape) -> None:
        self._check(input_shape)
        self.layer.build_once((None, *input_shape[2:]))

    def compute_output_shape(self, input_shape):
        self._check(input_shape)
        inner = self.layer.compute_output_shape((None, *input_shape[2:]))
        return (input_shape[0], input_shape[1], *inner[1:])

    def forward(self, X, training: bool = False):
        n, T = X.shape[:2]
        self._shape = (n, T)
        A = self.layer.forward(X.reshape(n * T, *X.shape[2:]), training)
        return A.reshape(n, T, *A.shape[1:])

    def backward(self, dY, need_dX: bool = True):
        self._require_forward("_shape")
        n, T = self._shape
        dX = self.layer.backward(dY.reshape(n * T, *dY.shape[2:]), need_dX)
        return None if dX is None else dX.reshape(n, T, *dX.shape[1:])

    def hold_randomness(self, hold: bool = True) -> None:
        if hasattr(self.layer, "hold_randomness"):
            self.layer.hold_randomness(hold)

    def get_config(self) -> dict:
        return {**super().get_config(), "layer": _config_of(self.layer)}
