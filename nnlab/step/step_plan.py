"""The step plan: a chain of Dense layers trained from arrays kept between steps.

The layer graph (`nnlab.models.graph`) runs any model: per node it looks up the input
values in a dict, checks what kind of node it is, and every layer returns fresh arrays.
For the networks of the first lectures, a chain Input -> Dense -> ... -> Dense, that is
all overhead. `StepPlan` runs the same layer methods in a plain loop over the layers,
and each layer writes into arrays the plan keeps for the batch size: Z (A over it where
the activation works in place), and in backward dX, then dZ over it (ReLU, linear).
The output layer's Z and A are fresh each step, since a metric may keep them; the hidden
layers' `last_X`, `last_Z` and `last_A` are the plan's arrays during `fit`, written over by
the next step (copy one to keep it).
The numbers are the same bits as the graph's: the same products and sums, into other
memory (tests/test_step_plan.py trains both ways and compares every weight).

`fit` builds one per fit (`StepPlan.of`) and `train_step` uses it for forward and
backward; the loss, the penalties, the guard and the update are the graph path's own.
Arrays are made once per batch size (an epoch's last, short batch has its own).

Measurement: `python bench/plan_vs_graph.py --task digits --rounds 30 --epochs 3` (the same
network trained through the plan and through the graph, alternating in one process, 2 BLAS
threads) printed 168.0 against 180.5 us per step, the plan faster in 25 of 29 rounds.
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
        >>> X = np.ones((5, 3), dtype="float32")
        >>> [out] = plan.forward([X])
        >>> A1 = model.layers[0].last_A
        >>> _ = plan.forward([X])
        >>> out.shape, model.layers[0].last_A is A1  # the hidden A: the same array again
        ((5, 2), True)
    """

    def __init__(self, layers: list, output: int):
        self.layers = layers
        self.output = output  # the output tensor's position in the graph
        self.n = self.dtype = None  # the batch size and input dtype of the arrays in use
        self.Z: list = []
        self.dX: list = []
        self._made: dict = {}  # (batch size, dtype) -> (Z, dX, output dtype): short batches too

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

    def _use_arrays(self, X) -> None:
        n, key = X.shape[0], (X.shape[0], X.dtype)
        if key not in self._made:
            Z, dX, dtype = [], [], X.dtype
            for layer in self.layers:
                W = layer.params["kernel"]
                dtype = np.result_type(dtype, W)
                dX.append(np.empty((n, W.shape[0]), dtype))
                Z.append(np.empty((n, W.shape[1]), dtype))
            dX[0] = None  # the first layer's dX is not needed
            Z[-1] = None  # the output's Z is fresh every step (`forward`)
            self._made[key] = (Z, dX, dtype)
        self.Z, self.dX, self.out_dtype = self._made[key]
        self.n, self.dtype = n, X.dtype

    def forward(self, X_list: list) -> list:
        """The training forward pass of the chain: [A of the last layer]."""
        A = X_list[0]
        if A.shape[0] != self.n or A.dtype != self.dtype:
            self._use_arrays(A)
        for layer, Z in zip(self.layers[:-1], self.Z):
            A = layer.forward_into(A, Z)
        # the output gets a fresh array: a metric or callback may keep it past this step
        return [self.layers[-1].forward_into(A, None)]

    def backward(self, seeds: dict, from_Z: set) -> None:
        """Backward from the loss's gradient `seeds` (dL/dZ of the last layer where its
        position is in `from_Z`, the fused output + loss, else dL/dA)."""
        last = len(self.layers) - 1
        d = seeds[self.output]
        # a custom loss may give a wider gradient (float64 for a float32 model): then every
        # dX is a fresh array of the product's dtype, as in the graph
        kept = self.dX if d.dtype == self.out_dtype else [None] * len(self.dX)
        for i in range(last, -1, -1):
            layer, need_dX = self.layers[i], i > 0
            if i == last and self.output in from_Z:
                d = layer.backward_from_Z(d, need_dX, kept[i])
            elif i == last:  # the seed is the loss's array, not ours to write over
                d = layer.backward(d, need_dX)
            else:
                d = layer.backward_into(d, kept[i], need_dX)
