"""FLOPs per sample and the memory that training a model needs (seed 004's quiz).

Training by gradient descent keeps, at the same time (seed 004, "3-minute Quiz"):

- the parameters: one value each, `bytes_per_value` bytes (4 in float32, 8 in float64);
- the gradients: one value per trainable parameter. Only one copy, whatever the batch
  size: the step needs only the batch *average*, so it is summed in place;
- the optimizer state: `slots` more arrays of the parameters' size (plain SGD 0, SGD
  with momentum 1, Adam 2 (3 with amsgrad), RMSprop 1 (+1 centered, +1 momentum),
  Adagrad 1, Adadelta 2), counted from the optimizer's own `build_state`;
- the activations: every layer's output for every sample of the batch, kept for
  backprop, so they scale with the batch size;
- the input batch itself.

Activations are counted as the sum over layers of their output sizes, as in the quiz;
nnlab's Dense layers also keep the pre-activation Z, so the real peak can be up to
about twice that. Temporaries of single operations are not counted.

FLOPs count a multiply-add as 2 FLOPs (the usual convention; some tools count it as
1 and quote half): a Dense layer costs 2 * d_in * units (+ units with a bias) per
sample and position. BatchNormalization counts 2 per element (its inference form is
one multiply-add per element), merges (Add, Subtract, Multiply, Average) k - 1 per
output element (Average k); Conv1D/Conv2D are Dense over every window,
2 * (window size * channels) * filters (+ filters) per output position; pooling counts
one compare or add per window cell, global pooling one per input element; activation
functions, dropout, reshapes and Embedding (a table look-up) count 0. SimpleRNN, LSTM
and GRU count, per time step, their two matrix products and biases,
2 * (d + units) * G + G per bias with G = gates * units (1, 4, 3 gates; GRU with
reset_after has two biases); the element-wise gate arithmetic is not counted, like the
activations. Bidirectional is its two layers plus one FLOP per output element of one
direction for sum and mul (two for ave, none for concat); TimeDistributed is T times
its layer. Convolutions also keep their im2col patches
(window size * channels values per output position), and recurrent layers keep every
step's pre-activations, gates and states for backpropagation through time (about
2 x units values per step for SimpleRNN and 10 x units for GRU and LSTM, plus the input
projection, even with return_sequences=False); neither is counted. A
training step costs about 3x the forward FLOPs (backward needs two matrix products
per Dense layer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnlab import optimizers as optimizers_mod
from nnlab.layers.input_layer import InputLayer


@dataclass
class MemoryEstimate:
    """Bytes needed to train with one batch; counts are numbers of values.

    Attributes:
        batch_size: samples per step.
        bytes_per_value: bytes of one value of the model's dtype.
        n_params: all weights (trainable or not).
        n_trainable: trainable weights (they get gradients and optimizer slots).
        optimizer: the optimizer's name ('none' if there is none).
        optimizer_slots: arrays of the parameters' size the optimizer keeps.
        activations_per_sample: layer output values per sample.
        input_bytes_per_sample: bytes of one input sample.
        parameters, gradients, optimizer_state, activations, inputs: bytes of each.
    """

    batch_size: int
    bytes_per_value: int
    n_params: int
    n_trainable: int
    optimizer: str
    optimizer_slots: int
    activations_per_sample: int
    input_bytes_per_sample: int
    parameters: int
    gradients: int
    optimizer_state: int
    activations: int
    inputs: int

    @property
    def total(self) -> int:
        """Bytes of parameters, gradients, optimizer state, activations and inputs."""
        return (
            self.parameters + self.gradients + self.optimizer_state + self.activations + self.inputs
        )


def memory_budget(
    n_params: int,
    bytes_per_value: int,
    batch_size: int = 1,
    activations_per_sample: int = 0,
    input_bytes_per_sample: int = 0,
    optimizer_slots: int = 0,
    n_trainable: int | None = None,
    optimizer: str = "SGD",
) -> MemoryEstimate:
    """The quiz's arithmetic from counts alone (no model needed).

    Args:
        n_params: number of parameters.
        bytes_per_value: 4 for single precision, 8 for double.
        batch_size: samples processed per step.
        activations_per_sample: activation values kept per sample.
        input_bytes_per_sample: bytes of one input sample.
        optimizer_slots: optimizer arrays per trainable parameter.
        n_trainable: trainable parameters (default all).
        optimizer: a name for the report.

    Returns:
        A MemoryEstimate.

    Example:
        >>> est = memory_budget(10, 4, batch_size=2, activations_per_sample=3,
        ...                     input_bytes_per_sample=8, optimizer_slots=2)
        >>> est.parameters, est.gradients, est.optimizer_state, est.activations, est.inputs
        (40, 40, 80, 24, 16)
        >>> est.total
        200
    """
    n_params, b, batch = int(n_params), int(bytes_per_value), int(batch_size)
    n_trainable = n_params if n_trainable is None else int(n_trainable)
    return MemoryEstimate(
        batch_size=batch,
        bytes_per_value=b,
        n_params=n_params,
        n_trainable=n_trainable,
        optimizer=optimizer,
        optimizer_slots=int(optimizer_slots),
        activations_per_sample=int(activations_per_sample),
        input_bytes_per_sample=int(input_bytes_per_sample),
        parameters=n_params * b,
        gradients=n_trainable * b,
        optimizer_state=int(optimizer_slots) * n_trainable * b,
        activations=batch * int(activations_per_sample) * b,
        inputs=batch * int(input_bytes_per_sample),
    )


def optimizer_slots(optimizer, dtype="float32") -> int:
    """Arrays of a parameter's size the optimizer keeps, read from its `build_state`.

    Example:
        >>> optimizer_slots("adam"), optimizer_slots("sgd")
        (2, 0)
    """
    opt = optimizers_mod.get(optimizer)
    return len(opt.build_state(np.zeros(1, dtype=dtype)))


def _layers(model) -> list:
    """The computing layer of every node, a nested model's layers in its place (once per
    call: each call computes and keeps its activations)."""
    from nnlab.models.nested import is_model

    out = []
    for n in model.graph_nodes:
        if not isinstance(n.layer, InputLayer):
            out += _layers(n.layer) if is_model(n.layer) else [n.layer]
    return out


def _size(shape) -> int:
    """Values per sample of an output shape (batch axis first), or of a list of them."""
    if isinstance(shape, list):
        return sum(_size(s) for s in shape)
    return int(math.prod(d or 0 for d in shape[1:]))


def layer_flops(layer) -> int:
    """Forward FLOPs per sample of one layer (see the module docstring)."""
    kind = type(layer).__name__
    out = layer.output_shape
    if kind == "Dense":
        d_in = layer.input_shape[-1]
        positions = _size(out) // layer.units
        return positions * (2 * d_in * layer.units + (layer.units if layer.use_bias else 0))
    if kind in ("Conv1D", "Conv2D"):  # Dense over every window: k * C inputs per filter
        fan_in = math.prod(layer.kernel_size) * layer.input_shape[-1]
        positions = _size(out) // layer.filters
        return positions * (2 * fan_in * layer.filters + (layer.filters if layer.use_bias else 0))
    if kind.endswith(("Pooling1D", "Pooling2D")) and not kind.startswith("Global"):
        return _size(out) * math.prod(layer.pool_size)  # one compare or add per cell
    if kind.startswith("Global"):
        return _size(layer.input_shape)
    if kind in ("SimpleRNN", "LSTM", "GRU"):
        return _recurrent_flops(layer)
    if kind == "Bidirectional":
        inner = layer.forward_layer
        merge = {"concat": 0, "sum": 1, "mul": 1, "ave": 2}[layer.merge_mode]
        one = _size(inner.output_shape if not inner.return_state else inner.output_shape[0])
        return layer_flops(inner) + layer_flops(layer.backward_layer) + merge * one
    if kind == "TimeDistributed":
        steps = layer.input_shape[1] or 0
        return steps * layer_flops(layer.layer)
    if kind == "BatchNormalization":
        return 2 * _size(out)
    if kind in ("Add", "Subtract", "Multiply", "Average"):
        k = len(layer.input_shape)
        return (k if kind == "Average" else k - 1) * _size(out)
    return 0


def _recurrent_flops(layer) -> int:
    """T steps of P_t = x_t W (+ b) and R_t = h_{t-1} U (+ the recurrent bias of GRU with
    reset_after): 2 (d + units) G + G per bias, with G = gates * units (1, 4 or 3 gates)."""
    shape = layer.input_shape[0] if isinstance(layer.input_shape, list) else layer.input_shape
    steps, d = shape[1] or 0, shape[-1]
    G = layer.gates * layer.units
    biases = 0
    if layer.use_bias:
        biases = 2 if getattr(layer, "reset_after", False) else 1
    return steps * (2 * (d + layer.units) * G + biases * G)


def flops_per_sample(model) -> int:
    """Forward FLOPs for one sample (a multiply-add = 2 FLOPs).

    Example:
        >>> from nnlab.models import Sequential
        >>> from nnlab.layers import Input, Dense
        >>> model = Sequential([Input(shape=(3,)), Dense(4), Dense(2)])
        >>> flops_per_sample(model)  # (2*3*4 + 4) + (2*4*2 + 2)
        46
    """
    return sum(layer_flops(layer) for layer in _layers(model))


def memory_estimate(model, batch_size: int, optimizer=None) -> MemoryEstimate:
    """Memory to train `model` with batches of `batch_size`, in the model's dtype.

    Args:
        model: a built model.
        batch_size: samples per step.
        optimizer: a name or Optimizer; default the compiled one (none: 0 slots).

    Returns:
        A MemoryEstimate.
    """
    if not model.built:
        raise ValueError(f"Model '{model.name}' is not built yet, so its size is unknown.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
        raise ValueError(f"batch_size must be a positive int. Received: {batch_size!r}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be a positive int. Received: {batch_size!r}")
    from nnlab.models.nested import leaf_layers

    layers = _layers(model)
    dtype = model.dtype
    opt = optimizer if optimizer is not None else model.optimizer
    if opt is None:
        slots, name = 0, "none"
    else:
        opt = optimizers_mod.get(opt)
        slots, name = optimizer_slots(opt, dtype), opt.name
    owners = leaf_layers(layers)  # a shared nested model's weights count once
    trainable = sum(W.size for layer in owners if layer.trainable for W in layer.params.values())
    return memory_budget(
        n_params=sum(layer.count_params() for layer in owners),
        bytes_per_value=dtype.itemsize,
        batch_size=batch_size,
        activations_per_sample=sum(_size(layer.output_shape) for layer in layers),
        input_bytes_per_sample=sum(_size(t.shape) for t in model.inputs) * dtype.itemsize,
        optimizer_slots=slots,
        n_trainable=trainable,
        optimizer=name,
    )
