"""Explain's checks: input checking, finite differences in float64, the chain rule.

Helpers of `nnlab.diagnostics.explain`, kept apart so the step itself reads top to
bottom. The finite differences run on a float64 twin of the model (same layers, same
weights, same Dropout generator state, so the same masks), perturbing one weight entry
at a time: (E(w + eps) - E(w - eps)) / (2 eps).
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np

from nnlab.diagnostics.gradcheck import numeric_gradient
from nnlab.layers.dense import Dense
from nnlab.losses import reduce
from nnlab.step.fused_loss import fused_output_loss


def positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"explain({name}=...) expects an int >= 1. Received: {name}={value!r}")
    return int(value)


def as_batch(x, dtype, max_samples: int) -> np.ndarray:
    """x as a (n, features) array of the model's dtype; one 1-D sample becomes (1, d)."""
    try:
        X = np.asarray(x, dtype=dtype)
    except (TypeError, ValueError):
        raise TypeError(f"explain: x must be numbers. Received: {x!r}") from None
    if X.ndim == 1:
        X = X[None, :]
    if X.ndim != 2 or X.shape[0] == 0:
        raise ValueError(
            f"explain: x must be one sample (1-D) or a batch (samples, features). "
            f"Received shape {X.shape}."
        )
    if X.shape[0] > max_samples:
        raise ValueError(
            f"explain writes out a step on a small batch: at most {max_samples} samples. "
            f"Received {X.shape[0]}; pass a few rows, e.g. x[:{min(4, max_samples)}]."
        )
    if not np.all(np.isfinite(X)):
        raise ValueError("explain: x holds NaN or infinite values.")
    return X


_WEIGHT = re.compile(r"^\s*([^/\s]+)/(kernel|bias)\[\s*(\d+)\s*(?:,\s*(\d+)\s*)?\]\s*$")


def parse_weight(spec, layers: list) -> tuple[str, str, tuple]:
    """("layer", "kernel" or "bias", index) from "layer/kernel[i,j]" or "layer/bias[j]";
    None chooses the last Dense layer's kernel[0,0]."""
    dense = [layer for layer in layers if isinstance(layer, Dense)]
    if spec is None:
        if not dense:
            raise ValueError("explain needs at least one Dense layer.")
        return dense[-1].name, "kernel", (0, 0)
    m = _WEIGHT.match(str(spec))
    names = {layer.name: layer for layer in dense}
    if m is None or m.group(1) not in names:
        raise ValueError(
            f"explain(weight=...) expects 'LAYER/kernel[i,j]' or 'LAYER/bias[j]' with a "
            f"Dense layer of {sorted(names)}. Received: weight={spec!r}"
        )
    layer, kind = names[m.group(1)], m.group(2)
    index = tuple(int(g) for g in m.groups()[2:] if g is not None)
    shape = layer.params[kind].shape if kind in layer.params else ()
    if len(index) != len(shape) or any(i >= n for i, n in zip(index, shape)):
        raise ValueError(
            f"explain(weight=...): {layer.name}/{kind} has shape {shape}; index {index} "
            f"is outside it. Received: weight={spec!r}"
        )
    return layer.name, kind, index


# -- finite differences ---------------------------------------------------------------
def float64_twin(model):
    """A float64 copy of a Sequential model (weights, Dropout generator states)."""
    from nnlab.models.model_config import architecture, rebuild

    arrays: dict = {}
    spec = architecture(model, arrays)
    for entry in spec["layers"]:
        if "dtype" in entry["config"]:
            entry["config"]["dtype"] = "float64"
    arrays = {k: np.asarray(v, dtype=np.float64) for k, v in arrays.items()}
    return rebuild("<explain>", spec, arrays)


def add_finite_differences(twin, step, X, loss, eps: float) -> None:
    """Fill `numeric[k]` of every trainable layer of `step` from the twin (float64);
    `loss` is the compiled Loss object."""
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(step.loss.Y, dtype=np.float64)
    loss_fn = _loss_function(twin, step, X, Y, loss)
    loss_fn()  # draws the Dropout masks once ...
    for layer in twin.layers:
        if hasattr(layer, "hold_randomness"):
            layer.hold_randomness(True)  # ... and every later forward reuses them
    for layer, s in zip(twin.layers, step.layers):
        if not layer.trainable:
            continue
        for k, W in layer.params.items():
            s.numeric[k] = numeric_gradient(loss_fn, W, eps)


def _loss_function(twin, step, X, Y, loss):
    weight, fused = step.loss.weight, step.loss.fused
    layers = twin.layers

    def value() -> float:
        A, Z = X, None
        for layer in layers:
            if fused and layer is layers[-1]:
                Z = layer.pre_activation(A) if isinstance(layer, Dense) else A
            A = layer.forward(A, training=True)
        if fused:
            E = fused_output_loss(loss, Y, Z, A)[0]
        else:
            E = float(reduce(loss.forward_logits(Y, A) if loss.uses_logits else loss.forward(Y, A)))
        return weight * E + sum(layer.penalty() for layer in layers if layer.trainable)

    return value


# -- the chain rule -------------------------------------------------------------------
@dataclass
class Factor:
    """One factor of the chain rule: its symbol, what it is, and its value per sample."""

    symbol: str
    meaning: str
    values: np.ndarray


@dataclass
class ChainRule:
    """dE/dw for one weight as a product of factors, summed over the batch's samples."""

    layer: str
    weight: str
    index: tuple
    factors: list[Factor]
    product: float
    analytic: float
    numeric: float | None
    penalty: float | None = None  # dR/dw of the weight's regularizer (added to the product)


def chain_rule(step, where: tuple, regularizer=None) -> ChainRule:
    """The chain rule for weight `where` = (layer, "kernel" | "bias", index); with the
    weight's `regularizer`, its penalty gradient dR/dw is added to the product."""
    name, kind, index = where
    pos = next(i for i, s in enumerate(step.layers) if s.name == name)
    s = step.layers[pos]
    j = index[-1]
    if kind == "kernel":
        local = Factor(
            "dZ/dw", f"X[{index[0]}], the input this weight multiplies", s.X[:, index[0]]
        )
    else:
        local = Factor("dZ/db", "1 (the bias is added to Z)", np.ones(s.X.shape[0]))
    if s.g_prime is None:  # softmax: no elementwise g'; dE/dZ comes from its Jacobian
        factors = [Factor("dE/dZ", f"dZ[{j}] through the softmax Jacobian", s.dZ[:, j]), local]
    else:
        factors = _upstream(step, pos, j) + [
            Factor("dA/dZ", f"g'(Z[{j}]) of {s.activation}", s.g_prime[:, j]),
            local,
        ]
    product = float(np.sum(np.prod([f.values for f in factors], axis=0)))
    numeric = s.numeric.get(kind)
    W = s.W if kind == "kernel" else s.b  # the weight before this step's update
    return ChainRule(
        name,
        kind,
        index,
        factors,
        product,
        float(s.grads[kind][index]),
        None if numeric is None else float(numeric[index]),
        None if regularizer is None else float(np.asarray(regularizer.grad(W))[index]),
    )


def _upstream(step, pos: int, j: int) -> list[Factor]:
    """dE/dA[j] of layer `pos`: from the loss for the output layer; through the output
    layer when it is the next and only one with one unit (the lecture's 3-4-1); else the
    backpropagated value."""
    layers = step.layers
    if pos == len(layers) - 1:
        return [
            Factor("dE/dA", f"the loss's derivative at the prediction A[{j}]", layers[pos].dA[:, j])
        ]
    nxt = layers[pos + 1]
    if (
        pos + 1 == len(layers) - 1
        and nxt.kind == "Dense"
        and nxt.W.shape[1] == 1
        and nxt.g_prime is not None
    ):
        return [
            Factor("dE/dy", "the loss's derivative at the prediction y", nxt.dA[:, 0]),
            Factor("dy/dz", f"g'(z) of the output's {nxt.activation}", nxt.g_prime[:, 0]),
            Factor(
                "dz/dA",
                f"W[{j},0] of '{nxt.name}', joining unit {j} to the output",
                np.full(nxt.X.shape[0], nxt.W[j, 0]),
            ),
        ]
    return [Factor("dE/dA", f"dA[{j}], backpropagated from the layers above", layers[pos].dA[:, j])]


# -- small helpers ---------------------------------------------------------------------
def slot_parts(slots: list, cuts, i: int, shape) -> dict:
    """Entry i of the optimizer's flat slots, reshaped like its weight."""
    if not slots:
        return {}
    return {k: np.split(a, cuts)[i].reshape(shape).copy() for k, a in slots[0].items()}


def plain(obj):
    """Dataclasses, dicts and arrays as plain dicts, lists and floats."""
    if dataclasses.is_dataclass(obj):
        out = {f.name: plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
        if hasattr(obj, "predictions"):
            out["predictions"] = plain(obj.predictions)
        return out
    if isinstance(obj, dict):
        return {str(k): plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
