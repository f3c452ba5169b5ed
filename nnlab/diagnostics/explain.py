"""Explain: every number of a training step, computed by the engine and written out.

`explain(model, x, y)` runs one training step (or several) of a Sequential model on a
sample or a small batch, exactly as `train_on_batch` does, and keeps every number on
the way, in the lectures' names:

- forward, per layer: X, W, b, Z = X W + b, A = g(Z) (Dropout: its mask; BatchNormalization:
  the batch mean and variance it normalized with);
- the loss E and its value;
- backward, per layer: dA = dE/dA, g'(Z), dZ = dA * g'(Z), dW = X^T dZ, db, dX = dZ W^T, and
  beside each weight gradient its float64 central finite-difference estimate;
- the chain rule for one chosen weight, dE/dw = dE/dA . dA/dZ . dZ/dw, with each factor;
- the optimizer's update of every weight, with its rule and slots (momentum, Adam's m, v).

The step runs on a copy of the model, so the model itself is not trained; the copy's
Dropout layers draw the masks the model's next real step would draw. Every number comes
from the layers' own forward/backward, the compiled loss and the model's own optimizer
(a copy, with its slots and step count), so the trace is what nnlab really computes;
the tests check it against `train_on_batch`.
"""

from __future__ import annotations

import copy
import textwrap

import numpy as np

from nnlab.activations import Softmax
from nnlab.diagnostics import explain_checks as checks
from nnlab.diagnostics.explain_trace import (
    LayerStep,
    LossStep,
    OptimizerStep,
    StepTrace,
    Trace,
    WeightUpdate,
)
from nnlab.layers.activation import Activation
from nnlab.layers.dense import Dense
from nnlab.layers.dropout import Dropout
from nnlab.layers.normalization import BatchNormalization
from nnlab.losses import reduce, reduce_grad
from nnlab.step.fused_loss import fused_output_loss

#: A model with more trainable parameters than this is summarised per layer, not
#: printed entry by entry (and its finite differences are skipped: 2 forwards each).
MAX_PARAMS = 256
#: "A small batch": more samples than this are refused.
MAX_SAMPLES = 32
SUPPORTED = (Dense, Activation, Dropout, BatchNormalization)


def explain(
    model,
    x,
    y,
    steps: int = 1,
    weight=None,
    finite_differences: bool = True,
    eps: float = 1e-6,
    max_params: int = MAX_PARAMS,
) -> Trace:
    """Trace `steps` consecutive training steps of `model` on the batch (x, y).

    Args:
        model: a compiled Sequential model of Dense, Activation, Dropout and
            BatchNormalization layers (any activation, any loss, any optimizer).
        x: one sample (1-D) or a batch of at most MAX_SAMPLES rows.
        y: the targets, as for `fit`.
        steps: how many consecutive steps on the same batch.
        weight: the weight whose chain rule is written out, as "layer/kernel[i,j]" or
            "layer/bias[j]" (default: the output layer's kernel[0,0], the lecture's w_11).
        finite_differences: add the float64 central-difference estimate of every weight
            gradient (only for models within `max_params`).
        eps: the finite-difference step.
        max_params: larger models are summarised per layer (see MAX_PARAMS).

    Returns:
        A Trace; `str(trace)` or `trace.to_text(digits)` prints it, `trace.to_html()`
        gives an HTML section, `trace.to_dict()` the raw numbers.

    Example:
        >>> from nnlab.diagnostics.explain_presets import lecture_003
        >>> model, x, y = lecture_003()
        >>> trace = explain(model, x, y, steps=2)
        >>> [round(float(p[0, 0]), 3) for p in trace.predictions]
        [0.521, 0.648]
    """
    layers = _check_model(model)
    steps = checks.positive_int("steps", steps)
    max_params = checks.positive_int("max_params", max_params)
    X = checks.as_batch(x, model.dtype, MAX_SAMPLES)
    model(X[:1])  # builds a Sequential from the data, as fit does
    work = copy.deepcopy(model)
    n_params = sum(p.size for layer in layers if layer.trainable for p in layer.params.values())
    small = n_params <= max_params
    where = checks.parse_weight(weight, work.layers)
    trace = Trace(model.name, [], n_params, max_params)
    for k in range(steps):
        twin = checks.float64_twin(work) if finite_differences and small else None
        step = _one_step(work, X, y, k + 1)
        if twin is not None:
            checks.add_finite_differences(twin, step, X, work.output_losses()[0][0], eps)
        layer = next(layer for layer in work.layers if layer.name == where[0])
        step.chain = checks.chain_rule(step, where, layer.regularizers.get(where[1]))
        _update(work, step)
        trace.steps.append(step)
    return trace


def _check_model(model) -> list:
    from nnlab.models import Sequential

    if not isinstance(model, Sequential):
        raise TypeError(
            "explain works on Sequential models (a chain of layers). Received a "
            f"{type(model).__name__}; rebuild it as Sequential([...]) to explain it."
        )
    if not model.compiled:
        raise ValueError("explain needs a compiled model: model.compile(optimizer=..., loss=...).")
    for layer in model.layers:
        if not isinstance(layer, SUPPORTED):
            raise ValueError(
                f"explain can write out Dense, Activation, Dropout and BatchNormalization "
                f"layers; layer '{layer.name}' is a {type(layer).__name__}. Explain a "
                "model made of those layers only."
            )
    return model.layers


def _one_step(work, X, y, number: int) -> StepTrace:
    loss, loss_weight, fused = work.output_losses()[0]
    steps, A = [], X
    for layer in work.layers:
        steps.append(_forward(layer, A))
        A = steps[-1].A
    P, out = A, steps[-1]
    Y = loss.prepare_targets(np.asarray(y), P)
    if Y.shape[0] != P.shape[0] or (not loss.sparse_targets and Y.shape != P.shape):
        raise ValueError(
            f"explain: the model predicts shape {P.shape} for x, but y has shape "
            f"{Y.shape}; give one target row per sample, shaped like the prediction."
        )
    # The same arithmetic as the training step (Model.output_losses, nnlab.losses).
    L = loss.forward_logits(Y, P) if loss.uses_logits else loss.forward(Y, P)
    back = loss.backward_logits(Y, P) if loss.uses_logits else loss.backward(Y, P)
    dP = reduce_grad(back, L.size) * loss_weight
    if fused:
        value, dZ_out = fused_output_loss(loss, Y, out.Z, P)
        dZ_out = dZ_out * loss_weight
    else:
        value = float(reduce(L))
    trainable = [layer for layer in work.layers if layer.trainable]
    penalty = float(sum(layer.penalty() for layer in trainable))
    loss_step = LossStep(
        loss.name, Y, P.copy(), loss_weight * value + penalty, penalty, dP, fused, loss_weight
    )
    g = dP
    for i in reversed(range(len(steps))):
        layer, s = work.layers[i], steps[i]
        last = i == len(steps) - 1
        s.dA = g
        if last and fused:
            # sigmoid + BCE averages over every entry, softmax + CCE over the samples
            terms = P.size if loss.fused_activation == "sigmoid" else P.size // P.shape[-1]
            s.backward_notes.append(
                f"fused output and loss: dZ = (A - Y) / {terms} is taken from the loss "
                "directly (the exact gradient; it equals dA * g'(Z))"
            )
            _activation_parts(layer, s)
            s.dZ = dZ_out
            g = layer.backward_from_Z(dZ_out)
        else:
            _activation_parts(layer, s)
            g = layer.backward(g)
        layer.add_penalty_grads()
        s.dX = g
        s.grads = {k: v.copy() for k, v in layer.grads.items()}
        if layer.regularizers:
            s.backward_notes.append(
                "the weight penalty's gradient is added: "
                + ", ".join(f"{k}: {r!r}" for k, r in layer.regularizers.items())
            )
    return StepTrace(number, steps, loss_step, _optimizer_info(work.optimizer), [])


def _forward(layer, X) -> LayerStep:
    act = getattr(layer, "activation", None)
    s = LayerStep(layer.name, type(layer).__name__, None if act is None else act.name, X.copy())
    if isinstance(layer, Dense):
        s.W = layer.params["kernel"].copy()
        s.b = layer.params["bias"].copy() if layer.use_bias else None
        s.Z = layer.pre_activation(X)
    elif isinstance(layer, Activation):
        s.Z = X
    A = layer.forward(X, training=True)
    s.A = A.copy()
    if isinstance(layer, Dropout):
        mask = layer.mask
        if mask is None:
            s.notes.append("rate 0: the identity")
        else:
            s.extras["mask"] = np.broadcast_to(mask, X.shape).copy()
            s.notes.append(
                f"mask drawn for this step: kept units scaled by 1/(1 - rate) = "
                f"{1.0 / (1.0 - layer.rate):.6g}, dropped units 0; A = X * mask, dX = dA * mask"
            )
    if isinstance(layer, BatchNormalization):
        stats = layer.statistics
        s.W = layer.params["gamma"].copy() if layer.scale else None
        s.b = layer.params["beta"].copy() if layer.center else None
        s.extras.update({k: np.array(stats[k]) for k in ("mean", "variance", "X_hat")})
        source = "this batch's" if stats["from_batch"] else "the moving (frozen layer)"
        s.notes.append(
            f"normalized with {source} mean and variance: X_hat = (X - mean) / "
            f"sqrt(variance + {layer.epsilon:g}), A = gamma * X_hat + beta"
        )
    return s


def _activation_parts(layer, s: LayerStep) -> None:
    """g'(Z) and dZ = dA * g'(Z) from the activation's own backward (Softmax: no
    elementwise g'; its dZ is the Jacobian-vector product A * (dA - sum(dA * A)))."""
    act = getattr(layer, "activation", None)
    if act is None or s.Z is None:
        return
    if not isinstance(act, Softmax):
        s.g_prime = act.backward(np.ones_like(s.A), s.Z, s.A)
    s.dZ = act.backward(s.dA, s.Z, s.A)


def _optimizer_info(opt) -> OptimizerStep:
    doc = (type(opt).__doc__ or "").split("\n")
    rule = []
    for line in doc[1:]:
        if line.strip().startswith("Args:") or (rule and not line.strip()):
            break
        if line.startswith("        "):
            rule.append(line)
    unused = () if opt.use_ema else ("use_ema", "ema_momentum", "ema_overwrite_frequency")
    settings = {
        k: v
        for k, v in opt.get_config().items()
        if k not in ("name", "learning_rate", *unused) and v is not None
    }
    notes = []
    if opt.use_ema:
        notes.append(f"then average = m * average + (1 - m) * W, m = {opt.ema_momentum:g} "
                     "(0 at the first step)")
    if opt.weight_decay:
        notes.append(f"weight decay first: W = W - lr * {opt.weight_decay:g} * W")
    for k in ("clipnorm", "clipvalue", "global_clipnorm"):
        if getattr(opt, k):
            notes.append(f"gradients clipped ({k}={getattr(opt, k):g}) before the rule")
    return OptimizerStep(
        type(opt).__name__,
        textwrap.dedent("\n".join(rule)),
        opt.learning_rate,
        opt.iterations + 1,
        settings,
        notes,
    )


def _update(work, step: StepTrace) -> None:
    """The model's own optimizer (a copy, slots included) on the flat weights, in the
    order of the model's parameter store, so its slots line up as in training."""
    entries = [(layer, k) for layer in work.layers if layer.trainable for k in layer.params]
    if not entries:
        return
    opt = work.optimizer
    W = np.concatenate([layer.params[k].ravel() for layer, k in entries])
    dW = np.concatenate([layer.grads[k].ravel() for layer, k in entries])
    sizes = [layer.params[k].size for layer, k in entries]
    cuts = np.cumsum(sizes)[:-1]
    views = [
        part.reshape(layer.params[k].shape) for part, (layer, k) in zip(np.split(dW, cuts), entries)
    ]
    before = [layer.params[k].copy() for layer, k in entries]
    slots0 = [{k: a.copy() for k, a in s.items()} for s in opt.get_slots()]  # apply is in place
    opt.apply([W], [dW], views)
    slots1 = opt.get_slots()
    for i, (part, (layer, k)) in enumerate(zip(np.split(W, cuts), entries)):
        shape = layer.params[k].shape
        layer.params[k][...] = part.reshape(shape)
        step.updates.append(
            WeightUpdate(
                layer.name,
                k,
                before[i],
                views[i].copy(),
                layer.params[k].copy(),
                checks.slot_parts(slots0, cuts, i, shape),
                checks.slot_parts(slots1, cuts, i, shape),
            )
        )
