"""The layer graph: nodes in topological order, forward through them, backward back.

A node is one layer call: the ids of the tensors it reads and the id of the tensor it
writes. Forward visits nodes in order; backward visits them in reverse and sums the
gradients of a tensor that feeds several nodes (fan-out), so no layer sees fan-out.
"""

from __future__ import annotations

from dataclasses import dataclass

from nnlab.layers.input_layer import InputLayer
from nnlab.layers.multi_output import OutputItem
from nnlab.layers.symbolic import KerasTensor
from nnlab.step.pool_activation import moves_past_pool, pool_plan


@dataclass
class Node:
    layer: object
    inputs: tuple[int, ...]  # positions (node indices) of the tensors read
    output: int  # position of the tensor written: this node's own index
    multi_input: bool  # the layer takes a list (merge layers)
    reads_only_inputs: bool = False  # dX is not needed (unless checking input gradients)
    masked: bool = False  # a mask (from Embedding(mask_zero=True)) may reach or leave it
    call: int = 0  # which call of its layer this node is (a nested model may have several)
    shared: bool = False  # its layer (a nested model) has more than one node
    # a max pool that may apply this node's activation (nnlab.step.pool_activation)
    pool_reader: int | None = None


def build_graph(
    inputs: list[KerasTensor], outputs: list[KerasTensor]
) -> tuple[list[Node], list[int]]:
    """Nodes that lead from `inputs` to `outputs`, inputs first, in topological order,
    and the positions of the outputs.

    Tensors are referred to by position (node i writes tensor i), never by object
    identity, so a model survives copying and pickling.
    """
    from nnlab.models.nested import is_model  # here: nested imports this module

    input_ids = {id(t) for t in inputs}
    order = _keras_order(inputs, outputs, input_ids)

    pos = {id(t): i for i, t in enumerate(order)}
    nodes = []
    carries: set[int] = set()  # tensors that may carry a mask
    calls: dict[int, int] = {}  # layer id -> nodes so far
    for t in order:
        layer = t.producer
        if id(layer) in calls and not is_model(layer):
            raise ValueError(
                f"Layer '{layer.name}' is used more than once in this model. nnlab does "
                "not support shared layers (one layer object called on several inputs), "
                "except whole models; create a separate layer for each call, or wrap the "
                "shared layers in a Model and call that."
            )
        call = calls[id(layer)] = calls.get(id(layer), -1) + 1
        if id(t) in input_ids:
            nodes.append(Node(layer, (), pos[id(t)], False))
        else:
            multi = len(t.producer_inputs) > 1 or _called_on_list(layer)
            only_inputs = all(id(p) in input_ids for p in t.producer_inputs)
            masked_in = any(id(p) in carries for p in t.producer_inputs)
            if getattr(layer, "mask_zero", False) or (masked_in and layer.supports_masking):
                carries.add(id(t))
            masked = masked_in or id(t) in carries
            nodes.append(
                Node(
                    layer,
                    tuple(pos[id(p)] for p in t.producer_inputs),
                    pos[id(t)],
                    multi,
                    only_inputs,
                    masked,
                    call,
                )
            )
    for node in nodes:
        node.shared = calls[id(node.layer)] > 0
    output_pos = [pos[id(t)] for t in outputs]
    _move_activations_past_pools(nodes, output_pos)
    return nodes, output_pos


def _move_activations_past_pools(nodes: list[Node], output_pos: list[int]) -> None:
    """Let each max pool apply the ReLU of the layer before it (`nnlab.step.pool_activation`)
    where that layer's output goes only to the pool: same numbers, a quarter of the work."""
    readers: dict[int, int] = {}
    for node in nodes:
        for i in node.inputs:
            readers[i] = readers.get(i, 0) + 1
    plain = [not (n.multi_input or n.masked or n.shared or not n.inputs) for n in nodes]
    for pool in nodes:
        if not plain[pool.output]:
            continue
        source = nodes[pool.inputs[0]]
        if (
            plain[source.output]
            and readers[source.output] == 1
            and source.output not in output_pos
            and moves_past_pool(source.layer, pool.layer)
        ):
            source.pool_reader = pool.output


def _keras_order(inputs: list, outputs: list, input_ids: set) -> list:
    """The tensors from `inputs` to `outputs`, inputs first, in Keras's layer order."""
    order: list[KerasTensor] = []
    state: dict[int, str] = {}

    def visit(t: KerasTensor) -> None:  # depth-first, post-order
        key = id(t)
        if state.get(key) == "done":
            return
        if state.get(key) == "active":
            raise ValueError("The layer graph has a cycle.")
        state[key] = "active"
        if key not in input_ids:
            if isinstance(t.producer, InputLayer):
                raise ValueError(
                    f"Output depends on Input '{t.producer.name}', which is not among the "
                    "model's inputs. Pass every Input the outputs need to Model(inputs=...)."
                )
            for parent in t.producer_inputs:
                visit(parent)
        state[key] = "done"
        order.append(t)

    for t in inputs:
        visit(t)
    for t in outputs:
        visit(t)

    # Keras orders a functional model's layers by depth from the outputs, deepest
    # first, ties in traversal order; a parent is always deeper than its children, so
    # this is still a topological order. An OutputItem (one output of an RNN with
    # return_state) is no layer in Keras: it shares its RNN's depth, after it by rank.
    depth = {id(t): 0 for t in outputs}
    for t in reversed(order):
        d = depth.setdefault(id(t), 0)
        step = 0 if isinstance(t.producer, OutputItem) else 1
        for parent in t.producer_inputs:
            depth[id(parent)] = max(depth.get(id(parent), 0), d + step)
    rank = {id(t): i for i, t in enumerate(order)}
    rest = sorted(
        (t for t in order if id(t) not in input_ids), key=lambda t: (-depth[id(t)], rank[id(t)])
    )
    return list(inputs) + rest


def _called_on_list(layer) -> bool:
    return isinstance(layer.input_shape, list) and not getattr(layer, "single_input", False)


def forward(nodes: list[Node], X_list: list, training: bool) -> dict[int, object]:
    """Run every node; returns the value of each tensor by position."""
    values: dict[int, object] = {}
    masks: dict[int, object] = {}
    moved: dict[int, tuple] = {}  # max pool position -> (the activation it applies, grouped)
    k = 0
    for node in nodes:
        if not node.inputs:  # an input node
            values[node.output] = X_list[k]
            k += 1
            continue
        X = [values[i] for i in node.inputs] if node.multi_input else values[node.inputs[0]]
        if node.shared:  # a nested model called more than once keeps each call's caches
            values[node.output] = node.layer.forward_call(X, training, node.call)
        elif node.masked:  # the layer reads its input's mask and says what its output's is
            mask = masks.get(node.inputs[0])
            node.layer.input_mask = mask
            values[node.output] = node.layer.forward(X, training)
            masks[node.output] = node.layer.compute_mask(mask)
        elif node.pool_reader is not None and moves_past_pool(
            node.layer, nodes[node.pool_reader].layer
        ):  # checked each pass: the activation may have been replaced since the build
            crop, group = pool_plan(node.layer, nodes[node.pool_reader].layer, X.shape)
            values[node.output] = node.layer.forward_linear(X, training, group, crop)
            moved[node.pool_reader] = (node.layer.activation, group is not None)
        elif node.output in moved:
            values[node.output] = node.layer.forward_then(X, training, *moved[node.output])
        else:
            values[node.output] = node.layer.forward(X, training)
    return values


def backward(
    nodes: list[Node],
    seeds: dict[int, object],
    from_Z: set[int],
    input_grads: bool = False,
) -> dict[int, object]:
    """Propagate output gradients `seeds` (tensor id -> dY) back through every node.

    For tensor ids in `from_Z` the seed is already the gradient with respect to the
    producing layer's pre-activation Z (the fused output + loss pair). Gradients with
    respect to the model inputs are computed only if `input_grads`; they are returned
    keyed by input tensor id.
    """
    grads, from_Z = dict(seeds), set(from_Z)
    for node in reversed(nodes):
        if not node.inputs:
            continue
        dY = grads.pop(node.output, None)
        if dY is None:  # this branch does not reach any loss
            continue
        need_dX = input_grads or not node.reads_only_inputs
        layer = node.layer
        if node.shared:
            dX = layer.backward_call(dY, need_dX, node.call)
        elif node.output in from_Z:
            dX = layer.backward_from_Z(dY, need_dX)
        elif getattr(layer, "applied_activation", False):  # its input's ReLU, moved past it
            dX = layer.backward_then(dY, need_dX)
            from_Z.add(node.inputs[0])
        else:
            dX = layer.backward(dY, need_dX)
        if not need_dX:
            continue
        if not node.multi_input:  # the common chain case
            i = node.inputs[0]
            grads[i] = dX if i not in grads else grads[i] + dX
            continue
        for i, d in zip(node.inputs, dX):
            grads[i] = d if i not in grads else grads[i] + d
    return grads
