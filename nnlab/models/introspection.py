"""Keras's introspection on models: `model.input` / `output` / `input_shape` /
`output_shape`, `model.losses`, and `get_config` / `from_config` / `to_json`.

A mixin of `Model`, kept apart from the training machinery; the config methods call
`nnlab.models.cloning`.
"""

from __future__ import annotations


class KerasIntrospection:
    """Read-only views of a built model's graph, as Keras names them."""

    @property
    def input(self):
        """The Input tensor (a list for several inputs)."""
        self._require_graph("input")
        return self.inputs[0] if len(self.inputs) == 1 else list(self.inputs)

    @property
    def output(self):
        """The output tensor (a list for several outputs)."""
        self._require_graph("output")
        return self.outputs[0] if not self._multi_output else list(self.outputs)

    @property
    def input_shape(self):
        ins = [t.shape for t in self.input] if isinstance(self.input, list) else self.input.shape
        return ins

    @property
    def output_shape(self):
        out = self.output
        return [t.shape for t in out] if isinstance(out, list) else out.shape

    def _require_graph(self, what: str) -> None:
        if not self.built:
            raise AttributeError(
                f"Model '{self.name}' has no {what} yet: it is not built. Give it an Input "
                "(or call it on data) first."
            )

    @property
    def losses(self) -> list[float]:
        """The weight penalties (one per regularized trainable weight), as Keras's
        `model.losses`; their sum is added to every batch's loss."""
        return [
            float(reg.penalty(layer.params[key]))
            for layer in self.weight_layers()
            if layer.trainable
            for key, reg in layer.regularizers.items()
        ]

    def get_config(self) -> dict:
        """The architecture as a JSON-ready dict, without weights (see nnlab.models.cloning)."""
        from nnlab.models import cloning

        return cloning.get_config(self)

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """A new model with fresh weights from `get_config()`'s dict."""
        from nnlab.models import cloning

        return cloning.from_config(config, custom_objects)

    def to_json(self, **kwargs) -> str:
        """The config as a JSON string; `nnlab.models.model_from_json` rebuilds it."""
        from nnlab.models import cloning

        return cloning.to_json(self, **kwargs)
