"""Gradient checking: backprop's gradients against central finite differences.

For every weight entry w (and every input entry x), the numerical derivative

    (L(w + eps) - L(w - eps)) / (2 eps)

is compared with the analytic one from `backward`. The error of a weight tensor is the
standard relative error of the two gradient vectors,

    ||analytic - numeric|| / max(||analytic|| + ||numeric||, floor),

which is about 1e-9 for a correct backward in float64 and about the size of the mistake
for a wrong one (1e-2 for a gradient 1 % off), while round-off in individual near-zero
entries cannot dominate it. The check runs in float64 in training mode; layers that draw random
masks hold them fixed during the check (`hold_randomness`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class GradientCheckResult:
    """Worst error per weight `(layer name, weight name)` and per input."""

    weights: dict[tuple[str, str], float] = field(default_factory=dict)
    inputs: dict[str, float] = field(default_factory=dict)

    @property
    def max_error(self) -> float:
        return max([*self.weights.values(), *self.inputs.values()], default=0.0)

    def passed(self, tol: float = 1e-6) -> bool:
        return self.max_error < tol

    def __str__(self) -> str:
        lines = [f"{'where':<32}max relative error"]
        for (layer, name), err in self.weights.items():
            lines.append(f"{layer + '.' + name:<32}{err:.3e}")
        for name, err in self.inputs.items():
            lines.append(f"{'input ' + name:<32}{err:.3e}")
        return "\n".join(lines)


def _errors(analytic: np.ndarray, numeric: np.ndarray, floor: float) -> float:
    diff = np.linalg.norm(analytic - numeric)
    return float(diff / max(np.linalg.norm(analytic) + np.linalg.norm(numeric), floor))


def gradient_check(
    model,
    x,
    y,
    sample_weight=None,
    eps: float = 1e-6,
    floor: float = 1e-12,
    check_inputs: bool = True,
) -> GradientCheckResult:
    """Check every weight gradient (and dL/dx) of a compiled float64 model on (x, y).

    Args:
        model: a compiled nnlab Model whose weights are float64 (build it after
            `nnlab.config.set_floatx("float64")` or with `dtype="float64"` layers).
        x, y: a small batch; every entry of every weight is perturbed, so keep it small.
        eps: the finite-difference step.
        floor: the smallest denominator (for gradients that are exactly zero).

    Returns:
        A GradientCheckResult with the worst error per weight and per input.
    """
    from nnlab.fit_inputs import prepare

    model.require_compiled("gradient_check")
    model.ensure_built(x)
    if model.dtype != np.float64:
        raise ValueError(
            f"gradient_check needs a float64 model for exact differences; model "
            f"'{model.name}' is {model.dtype}. Build it after "
            "nnlab.config.set_floatx('float64')."
        )
    data = prepare(model, x, y, sample_weight)
    data.X = [np.ascontiguousarray(X) for X in data.X]  # perturbed in place through views
    model.pack_parameters()
    layers = model.weight_layers()  # nested models' layers included
    random_layers = [layer for layer in layers if hasattr(layer, "hold_randomness")]
    # Training-mode forwards move BatchNormalization's moving statistics: put them back.
    saved_state = [{k: v.copy() for k, v in layer.state.items()} for layer in layers]
    for layer in random_layers:
        layer.hold_randomness(False)
    try:
        return _check(model, data, eps, floor, check_inputs, random_layers)
    finally:
        for layer in random_layers:
            layer.hold_randomness(False)
        for layer, state in zip(layers, saved_state):
            for k, v in state.items():
                layer.state[k][...] = v


def _check(model, data, eps, floor, check_inputs, random_layers) -> GradientCheckResult:

    def loss_value() -> float:
        outs = model.forward_pass(data.X, training=True)
        return model.batch_loss(outs, data.Y, data.sw, need_grad=False)[0] + model.penalty()

    outs = model.forward_pass(data.X, training=True)  # draws the masks once ...
    for layer in random_layers:
        layer.hold_randomness(True)  # ... and every later forward reuses them
    _, _, seeds, from_Z = model.batch_loss(outs, data.Y, data.sw, need_grad=True)
    dX = model.backward_pass(seeds, from_Z, input_grads=check_inputs)
    model.add_penalty_grads()

    result = GradientCheckResult()
    for layer in model.weight_layers():
        for name, W in layer.params.items():
            analytic = layer.grads[name].copy()
            numeric = numeric_gradient(loss_value, W, eps)
            result.weights[(layer.name, name)] = _errors(analytic, numeric, floor)
    if check_inputs:
        for name, X, d in zip(model.input_names, data.X, dX):
            numeric = numeric_gradient(loss_value, X, eps)
            analytic = np.zeros_like(X) if d is None else d
            result.inputs[name] = _errors(analytic, numeric, floor)
    return result


def numeric_gradient(f, A: np.ndarray, eps: float) -> np.ndarray:
    """Central differences (f(a + eps) - f(a - eps)) / (2 eps) of the scalar f() with
    respect to every entry a of A; A is perturbed in place and restored.

    Args:
        f: a function of no arguments that reads A and returns a float.
        A: the array to differentiate against (changed in place during the call).
        eps: the step.

    Example:
        >>> A = np.array([1.0, 2.0])
        >>> numeric_gradient(lambda: float((A**2).sum()), A, 1e-6).round(6).tolist()
        [2.0, 4.0]
    """
    G = np.zeros_like(A)
    # index A itself: reshape(-1) of a non-contiguous array (a weight view) is a copy,
    # and perturbing a copy would leave f unchanged
    for i in np.ndindex(A.shape):
        old = A[i]
        A[i] = old + eps
        up = f()
        A[i] = old - eps
        down = f()
        A[i] = old
        G[i] = (up - down) / (2 * eps)
    return G
