"""The step plan: a chain of Dense layers trained from arrays kept between steps.

The layer graph (`nnlab.models.graph`) runs any model: per node it looks up the input
values in a dict, checks what kind of node it is, and every layer returns fresh arrays.
For the networks of the first lectures, a chain Input -> Dense -> ... -> Dense, that is
all overhead. `StepPlan` runs the same layer methods in a plain loop over the layers,
and each layer writes into arrays the plan keeps for the batch size: Z (A over it where
the activation works in place), and in backward dX, then dZ over it (ReLU, linear).
The numbers are the same bits as the graph's: the same products and sums, into other
memory (tests/test_step_plan.py trains both ways and compares every weight).

`fit` builds one per fit (`StepPlan.of`) and `train_step` uses it for forward and
backward; the loss, the penalties, the guard and the update are the graph path's own.
The arrays are made again when the batch size changes (an epoch's last, short batch).

Measurement (digits' 64-128-64-10 net, batch 32, forward + fused loss + backward, no
update, 4,000 interleaved calls, 2 BLAS threads): the graph path 126-140 us median
(77-79 us min), a loop with kept arrays 111-123 us (69-71 us min).
"""

from __future__ import annotations

import numpy as np

__all__ = ["StepPlan"]


class StepPlan:
    """Forward and backward of a chain of Dense layers into kept arrays.

    Example:
        >>> import numpy as np
        >>> from nnlab import layers, models
        >>> model = models.Sequential([layers.Input((3,)), layers.Dense(4, activation="relu"),
        ...                            layers.Dense(2)])
        >>> plan = StepPlan.of(model)
        >>> [out] = plan.forward([np.ones((5, 3), dtype="float32")])
        >>> out.shape, out is plan.forward([np.ones((5, 3), dtype="float32")])[0]
        ((5, 2), True)
    """

    def __init__(self, layers: list, output: int):
        self.layers = layers
        self.output = output  # the output tensor's position in the graph
        self.n = None  # the batch size the arrays are made for
        self.Z: list = []
        self.dX: list = []

    @classmethod
    def of(cls, model) -> StepPlan | None:
        """A plan for `model` when it is a chain of Dense layers on 2-D inputs with one
        output; None otherwise (the graph path then runs it)."""
        from nnlab.layers.dense import Dense

        nodes = model.graph_nodes
        if len(model.inputs) != 1 or len(model.outputs) != 1 or len(model.inputs[0].shape) != 2:
            return None
        if not nodes or nodes[0].inputs:
            return None
        for i, node in enumerate(nodes[1:], start=1):
            if (
                type(node.layer) is not Dense
                or node.inputs != (i - 1,)
                or node.multi_input
                or node.masked
                or node.shared
            ):
                return None
        if model.output_positions != [len(nodes) - 1]:
            return None
        return cls([node.layer for node in nodes[1:]], len(nodes) - 1)

    def _make_arrays(self, X) -> None:
        n, dtype = X.shape[0], X.dtype
        self.Z, self.dX = [], []
        for layer in self.layers:
            W = layer.params["kernel"]
            self.dX.append(np.empty((n, W.shape[0]), np.result_type(dtype, W)))
            dtype = np.result_type(dtype, W)
            self.Z.append(np.empty((n, W.shape[1]), dtype))
        self.dX[0] = None  # the first layer's dX is not needed
        self.n = n

    def forward(self, X_list: list) -> list:
        """The training forward pass of the chain: [A of the last layer]."""
        A = X_list[0]
        if A.shape[0] != self.n or A.dtype != self.Z[0].dtype:
            self._make_arrays(A)
        for layer, Z in zip(self.layers, self.Z):
            A = layer.forward_into(A, Z)
        return [A]

    def backward(self, seeds: dict, from_Z: set) -> None:
        """Backward from the loss's gradient `seeds` (dL/dZ of the last layer where its
        position is in `from_Z`, the fused output + loss, else dL/dA)."""
        last = len(self.layers) - 1
        d = seeds[self.output]
        for i in range(last, -1, -1):
            layer, need_dX = self.layers[i], i > 0
            if i == last and self.output in from_Z:
                d = layer.backward_from_Z(d, need_dX, self.dX[i])
            elif i == last:  # the seed is the loss's array, not ours to write over
                d = layer.backward(d, need_dX)
            else:
                d = layer.backward_into(d, self.dX[i], need_dX)
