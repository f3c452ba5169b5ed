"""A model used as a layer inside another model (Keras's nested models).

`Sequential([Input((3,)), inner, Dense(1)])` or `h = inner(x)` in the functional API
puts the whole `inner` model into the outer graph as one node: forward runs the inner
graph, backward sends the gradient back through it (`nnlab.models.graph`), so the
outer optimizer updates the inner layers' weights. As in Keras, `outer.layers` shows
`inner` as one layer, its weights sit in place in `outer.weights`, and
`inner.trainable = False` freezes it.

The same inner model may be called more than once (shared weights). Each call then
keeps its own copy of the inner layers' forward caches, and backward adds the
gradients of the calls, so the shared weights get the sum, as in Keras.
"""

from __future__ import annotations

import numpy as np

from nnlab.layers.input_layer import InputLayer
from nnlab.layers.symbolic import KerasTensor
from nnlab.models import graph


def is_model(obj) -> bool:
    """Whether `obj` is a Model (a nested model in a layer list)."""
    return getattr(obj, "_is_model", False) is True


def leaf_layers(layers) -> list:
    """The layers that own weights, with nested models replaced by their own layers
    (recursively, each once, InputLayers left out), in weight order."""
    out, seen = [], set()
    for layer in layers:
        inner = leaf_layers(layer.layers) if is_model(layer) else [layer]
        for leaf in inner:
            if id(leaf) not in seen and not isinstance(leaf, InputLayer):
                seen.add(id(leaf))
                out.append(leaf)
    return out


def all_layers(model) -> list:
    """Every layer of `model`, nested models and their layers included (recursively)."""
    out = []
    for layer in model.layers:
        out.append(layer)
        if is_model(layer):
            out += all_layers(layer)
    return out


def unique(layers) -> list:
    """`layers` without repeats (a shared nested model is listed once), in order."""
    seen, out = set(), []
    for layer in layers:
        if id(layer) not in seen:
            seen.add(id(layer))
            out.append(layer)
    return out


def _feature_shapes(shapes) -> list:
    return [tuple(s[1:]) for s in shapes]


def _fits(given: tuple, expected: tuple) -> bool:
    return len(given) == len(expected) and all(
        e is None or g == e for g, e in zip(given, expected)
    )


class NestedModel:
    """The layer side of `Model`: what the outer graph calls on a nested model."""

    _is_model = True
    #: a nested model passes no mask on (nnlab's masks start at Embedding(mask_zero=True))
    supports_masking = False

    def compute_mask(self, mask):
        return None

    def compute_output_shape(self, input_shape):
        """The shape(s) of this model's output(s); its graph fixes them."""
        shapes = [t.shape for t in self.outputs]
        return shapes if self._multi_output else shapes[0]

    def _symbolic_call(self, inputs):
        """`inner(x)` on symbolic tensors: one node of the calling graph."""
        items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if not all(isinstance(t, KerasTensor) for t in items):
            raise TypeError(
                f"Model '{self.name}' was called on a mix of symbolic tensors and arrays. "
                "In a functional model every input must come from Input() or a layer."
            )
        if not self.built:  # a Sequential without an Input builds for what it is called on
            if len(items) != 1:
                raise ValueError(
                    f"Sequential model '{self.name}' takes one input. Received "
                    f"{len(items)} tensors."
                )
            self.build(items[0].shape)
        given = [t.shape for t in items]
        expected = [t.shape for t in self.inputs]
        if len(given) != len(expected) or not all(
            _fits(g, e) for g, e in zip(_feature_shapes(given), _feature_shapes(expected))
        ):
            raise ValueError(
                f"Model '{self.name}' expects {len(expected)} input(s) of shape(s) "
                f"{expected} and was called on {len(given)} of shape(s) {given}. Call it on "
                "tensors shaped like its Input(s)."
            )
        out_shape = self.compute_output_shape(given if len(given) > 1 else given[0])
        out = KerasTensor(out_shape, self.dtype.name, self, tuple(items))
        if isinstance(out_shape, list):  # several outputs: one tensor each
            from nnlab.layers.multi_output import split_outputs

            out = split_outputs(out)
        return out

    # -- forward and backward as one node of the outer graph ------------------------------
    def forward(self, X, training: bool = False):
        """The outputs of the inner graph for X (a list of arrays for several inputs)."""
        X_list = list(X) if len(self.inputs) > 1 else [X]
        self._last_input_shapes = [A.shape for A in X_list]
        outs = self.forward_pass(X_list, training)
        return outs if self._multi_output else outs[0]

    def backward(self, dY, need_dX: bool = True):
        """Gradients into the inner layers' `grads`; returns dX (a list for several inputs)."""
        dYs = list(dY) if self._multi_output else [dY]
        seeds = {pos: g for pos, g in zip(self._output_pos, dYs) if g is not None}
        grads = graph.backward(self._nodes, seeds, set(), input_grads=need_dX)
        if not need_dX:
            return None
        dX = [
            grads[i] if grads.get(i) is not None else np.zeros(shape, self.dtype)
            for i, shape in enumerate(self._last_input_shapes)
        ]
        return dX if len(dX) > 1 else dX[0]

    def forward_call(self, X, training: bool, call: int):
        """Forward for call number `call` of a model used several times in one graph:
        the inner layers' caches of this call are kept for its backward."""
        out = self.forward(X, training)
        calls = self.__dict__.setdefault("_call_caches", {})
        if call == 0:
            calls.clear()
            self._grads_written = False
        calls[call] = (_snapshot(self), list(self._last_input_shapes))
        return out

    def backward_call(self, dY, need_dX: bool, call: int):
        """Backward for call number `call`: restores that call's caches and adds its
        weight gradients to those of the calls already sent back."""
        snapshot, shapes = self._call_caches[call]
        _restore(snapshot)
        self._last_input_shapes = shapes
        leaves = [(layer, k) for layer in leaf_layers(self.layers) for k in layer.grads]
        kept = [layer.grads[k].copy() for layer, k in leaves] if self._grads_written else None
        dX = self.backward(dY, need_dX)
        if kept is not None:
            for (layer, k), g in zip(leaves, kept):
                layer.grads[k] += g
        self._grads_written = True
        return dX


def _snapshot(model) -> list:
    """Shallow copies of every inner layer's attributes (its forward caches)."""
    saved = []
    for layer in all_layers(model):
        attrs = dict(layer.__dict__)
        if "_call_caches" in attrs:  # a shared model inside: its per-call caches too
            attrs["_call_caches"] = dict(attrs["_call_caches"])
        saved.append((layer, attrs))
    return saved


def _restore(saved: list) -> None:
    for layer, attrs in saved:
        layer.__dict__.update(attrs)
