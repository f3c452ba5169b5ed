"""Renderings of an explain Trace: an aligned text table and a self-contained HTML section.

Both come from one list of blocks (`blocks(trace, digits)`), so the text and the HTML
always say the same thing:

- ("h", title), ("p", sentence), ("pre", preformatted lines),
- ("m", label, rows): a labelled matrix of already-rounded numbers, rows = samples (or
  the rows of a kernel W[i, j], input i, unit j).
"""

from __future__ import annotations

import html

import numpy as np

from nnlab.diagnostics.explain_trace import LayerStep, StepTrace, Trace, WeightUpdate

#: Per-sample loss formulas (nnlab.losses), E being their mean over the batch.
LOSS_FORMULAS = {
    "mean_squared_error": "E_i = mean_k (A_k - Y_k)^2",
    "mean_absolute_error": "E_i = mean_k |A_k - Y_k|",
    "huber_loss": "E_i = mean_k (d^2 / 2 if |d| <= delta else delta (|d| - delta / 2)), d = A - Y",
    "binary_crossentropy": "E_i = -mean_k [Y_k ln(A_k) + (1 - Y_k) ln(1 - A_k)]",
    "categorical_crossentropy": "E_i = -sum_k Y_k ln(A_k)",
    "sparse_categorical_crossentropy": "E_i = -ln(A_label)",
    "hinge": "E_i = mean_k max(1 - Y_k A_k, 0), Y in {-1, 1}",
    "kl_divergence": "E_i = sum_k Y_k ln(Y_k / A_k)",
}


def fmt(v: float, digits: int) -> str:
    """v rounded to `digits` decimals, without a negative zero."""
    s = f"{float(v):.{digits}f}"
    return s[1:] if s.startswith("-") and float(s) == 0 else s


def _rows(A, digits: int) -> list[list[str]]:
    A = np.asarray(A, dtype=np.float64)
    A = A.reshape(1, -1) if A.ndim <= 1 else A.reshape(A.shape[0], -1)
    return [[fmt(v, digits) for v in row] for row in A]


def blocks(trace: Trace, digits: int = 3, all_steps: bool = False) -> list[tuple]:
    first = trace.steps[0]
    n = first.loss.P.shape[0]
    opt = first.optimizer
    out = [
        ("h", f"nnlab explain: model '{trace.model}'"),
        (
            "p",
            f"{len(trace.steps)} training step(s) on {n} sample(s); loss {first.loss.name}; "
            f"optimizer {opt.name} (learning_rate={opt.learning_rate:g}); "
            f"{trace.n_params} trainable parameters. Numbers rounded to {digits} decimals; "
            "W[i,j] joins input i to unit j (the lectures' w_ji).",
        ),
    ]
    if trace.summarised:
        out.append(
            (
                "p",
                f"The model has {trace.n_params} trainable parameters, more than the "
                f"{trace.max_params} explain writes out entry by entry (max_params): each "
                "step is summarised per layer (norms), without finite differences.",
            )
        )
    for k, step in enumerate(trace.steps):
        if trace.summarised:
            out += _summary(step, digits)
        elif k == 0 or all_steps:
            out += _step(step, digits)
    out.append(("h", "Every step: its loss E and prediction A (before its update)"))
    out.append(
        (
            "m",
            "step, E, A",
            [
                [str(s.step), fmt(s.loss.value, digits)] + _rows(s.prediction, digits)[0]
                for s in trace.steps
            ],
        )
    )
    return out


def _step(step: StepTrace, digits: int) -> list[tuple]:
    out = [("h", f"Step {step.step}: forward pass")]
    for s in step.layers:
        out.append(("p", _title(s)))
        for note in s.notes:
            out.append(("p", note))
        for label, A in _forward_arrays(s):
            out.append(("m", label, _rows(A, digits)))
    loss = step.loss
    out.append(("h", f"Step {step.step}: loss"))
    text = f"{loss.name}: E = {fmt(loss.value, digits)}"
    if loss.penalty:
        text += f", of which weight penalties {fmt(loss.penalty, digits)}"
    if loss.name in LOSS_FORMULAS:
        out.append(("p", f"{LOSS_FORMULAS[loss.name]}; E = mean over the samples i"))
    out += [("p", text), ("m", "target Y", _rows(loss.Y, digits))]
    out.append(("m", "prediction A", _rows(loss.P, digits)))
    out.append(("h", f"Step {step.step}: backward pass (output layer first)"))
    for s in reversed(step.layers):
        out.append(("p", _title(s)))
        out += [("p", note) for note in s.backward_notes]
        out += _backward(s, digits)
    if step.chain is not None:
        out += _chain(step, digits)
    out += _updates(step, digits)
    return out


def _title(s: LayerStep) -> str:
    if s.kind == "Dense":
        return f"layer '{s.name}' (Dense, {s.activation}): Z = X W + b, A = {s.activation}(Z)"
    if s.kind == "Activation":
        return f"layer '{s.name}' (Activation): A = {s.activation}(Z), Z = X"
    return f"layer '{s.name}' ({s.kind})"


def _forward_arrays(s: LayerStep) -> list[tuple[str, np.ndarray]]:
    names = {"Dense": ("W", "b"), "BatchNormalization": ("gamma", "beta")}.get(s.kind, ("", ""))
    pairs = [("X", s.X), (names[0], s.W), (names[1], s.b)]
    if s.kind != "Activation":
        pairs.append(("Z", s.Z))
    pairs += [(k, v) for k, v in s.extras.items()] + [("A", s.A)]
    return [(label, A) for label, A in pairs if A is not None]


def _backward(s: LayerStep, digits: int) -> list[tuple]:
    out = []
    for label, A in (("dA = dE/dA", s.dA), ("g'(Z)", s.g_prime), ("dZ = dA * g'(Z)", s.dZ)):
        if A is not None:
            out.append(("m", label, _rows(A, digits)))
    names = {"kernel": "dW = X^T dZ", "bias": "db = sum of dZ", "gamma": "dgamma", "beta": "dbeta"}
    for k, G in s.grads.items():
        out.append(("m", names.get(k, "d" + k), _rows(G, digits)))
        if k in s.numeric:
            gap = float(np.max(np.abs(G - s.numeric[k]), initial=0.0))
            out.append(("m", "  finite difference", _rows(s.numeric[k], digits)))
            out.append(("p", f"max |d{k} - finite difference| = {gap:.1e}"))
    out.append(("m", "dX = dZ W^T" if s.kind == "Dense" else "dX", _rows(s.dX, digits)))
    return out


def _chain(step: StepTrace, digits: int) -> list[tuple]:
    c = step.chain
    where = f"{c.layer}/{c.weight}[{','.join(map(str, c.index))}]"
    symbols = " * ".join(f.symbol for f in c.factors)
    penalty = "" if c.penalty is None else " + dR/dw"
    lines = [f"dE/dw = {symbols}{penalty}"]
    n = len(c.factors[0].values)
    for i in range(n):
        values = " * ".join(f"({fmt(f.values[i], digits)})" for f in c.factors)
        lines.append(f"{'sample ' + str(i + 1) + ': ' if n > 1 else '      = '}{values}")
    lines.append(
        f"      = {fmt(c.product, digits)}" + (f" (sum over {n} samples)" if n > 1 else "")
    )
    if c.penalty is not None:
        lines.append(f"      + {fmt(c.penalty, digits)} (dR/dw, the weight penalty's gradient)")
        lines.append(f"      = {fmt(c.product + c.penalty, digits)}")
    check = f"backprop {fmt(c.analytic, digits)}"
    if c.numeric is not None:
        check += f", finite difference {fmt(c.numeric, digits)}"
    lines.append(f"      ({check})")
    lines += [f"  {f.symbol}: {f.meaning}" for f in c.factors]
    return [("h", f"Step {step.step}: chain rule for {where}"), ("pre", "\n".join(lines))]


def _updates(step: StepTrace, digits: int) -> list[tuple]:
    o = step.optimizer
    out = [("h", f"Step {step.step}: update ({o.name}, learning_rate = {o.learning_rate:g})")]
    out.append(("pre", o.rule or "(see the optimizer's docstring)"))
    if o.settings:
        out.append(("p", ", ".join(f"{k}={v}" for k, v in o.settings.items())))
    for note in o.notes:
        out.append(("p", note))
    for u in step.updates:
        out.append(("p", f"{u.layer}/{u.weight}"))
        out.append(
            ("pre", "\n".join(_arithmetic(u, o, i, digits) for i in np.ndindex(u.before.shape)))
        )
    return out


def _arithmetic(u: WeightUpdate, o, i: tuple, digits: int) -> str:
    """One entry's update with its numbers, for the rules explain knows; else before,
    gradient, slots and after."""
    f = lambda v: fmt(v, digits)  # noqa: E731
    w, g, new, lr = u.before[i], u.grad[i], u.after[i], o.learning_rate
    label = f"[{','.join(map(str, i))}]"
    s0 = {k: v[i] for k, v in u.slots_before.items()}
    s1 = {k: v[i] for k, v in u.slots_after.items()}
    if o.name == "SGD" and not s1 and not o.notes:
        return f"{label} {f(w)} - {lr:g} * ({f(g)}) = {f(new)}"
    if o.name == "SGD" and set(s1) == {"momentum"} and not o.notes:
        mom = o.settings.get("momentum")
        v1 = f(s1["momentum"])
        vp = v1 if s1["momentum"] >= 0 else f"({v1})"
        v = f"v = {mom:g} * {f(s0.get('momentum', 0.0))} - {lr:g} * ({f(g)}) = {v1}"
        if o.settings.get("nesterov"):
            return f"{label} {v}; w = {f(w)} + {mom:g} * {vp} - {lr:g} * ({f(g)}) = {f(new)}"
        return f"{label} {v}; w = {f(w)} + {vp} = {f(new)}"
    if o.name == "Adam" and set(s1) == {"momentum", "velocity"} and not o.notes:
        b1, b2, t = o.settings["beta_1"], o.settings["beta_2"], o.iteration
        alpha = lr * (1.0 - b2**t) ** 0.5 / (1.0 - b1**t)
        m, v = (f"{s1[k]:.{digits}g}" for k in ("momentum", "velocity"))
        return (
            f"{label} m = {m}, v = {v}; w = {f(w)} - {alpha:.{digits}g} * ({m}) / "
            f"(sqrt({v}) + {o.settings['epsilon']:g}) = {f(new)}"
        )
    slots = "".join(f", {k} {f(s0.get(k, 0.0))} -> {f(v)}" for k, v in s1.items())
    return f"{label} w {f(w)} -> {f(new)} (dw {f(g)}{slots})"


def _summary(step: StepTrace, digits: int) -> list[tuple]:
    rows = []
    for s in step.layers:
        norm = lambda A: "-" if A is None else fmt(np.linalg.norm(A), digits)  # noqa: E731
        dW = s.grads.get("kernel", s.grads.get("gamma"))
        rows.append(
            [
                s.name,
                s.kind,
                str(None if s.W is None else s.W.shape),
                norm(s.W),
                norm(dW),
                norm(s.A),
                norm(s.dZ),
            ]
        )
    return [
        ("h", f"Step {step.step}: per layer (E = {fmt(step.loss.value, digits)})"),
        ("m", "per layer", [["layer", "kind", "W.shape", "|W|", "|dW|", "|A|", "|dZ|"], *rows]),
    ]


# -- text and HTML -------------------------------------------------------------------
def to_text(trace: Trace, digits: int = 3, all_steps: bool = False) -> str:
    """The trace as aligned plain text (the first step in full unless `all_steps`)."""
    lines = []
    for b in blocks(trace, digits, all_steps):
        if b[0] == "h":
            lines += ["", f"== {b[1]} =="]
        elif b[0] == "p":
            lines.append(b[1])
        elif b[0] == "pre":
            lines += ["    " + line for line in b[1].split("\n")]
        else:
            _, label, rows = b
            # one width for every number of the same size, so columns line up across
            # matrices: sign, one integer digit, the point and the decimals
            columns = range(max(map(len, rows)))
            widths = [max([digits + 3] + [len(r[c]) for r in rows if c < len(r)]) for c in columns]
            for k, row in enumerate(rows):
                cells = "  ".join(v.rjust(widths[c]) for c, v in enumerate(row))
                lines.append(f"  {(label if k == 0 else ''):<20}{cells}")
    return "\n".join(lines).lstrip("\n") + "\n"


_STYLE = (
    ".nnlab-explain{font-family:sans-serif;font-size:14px}"
    ".nnlab-explain table{border-collapse:collapse;margin:2px 0 2px 1em}"
    ".nnlab-explain th{text-align:left;font-weight:normal;min-width:11em;color:#555}"
    ".nnlab-explain td{text-align:right;min-width:5em;padding:0 .3em;font-family:monospace}"
    ".nnlab-explain pre{margin:2px 0 2px 1em}"
)


def to_html(trace: Trace, digits: int = 3, full_page: bool = False, all_steps: bool = False) -> str:
    """The trace as one self-contained <section> (its own style, no scripts, no links),
    for the run report or the playground; `full_page` wraps it in an HTML document."""
    e = html.escape
    parts = [f'<section class="nnlab-explain"><style>{_STYLE}</style>']
    for b in blocks(trace, digits, all_steps):
        if b[0] == "h":
            parts.append(f"<h3>{e(b[1])}</h3>")
        elif b[0] == "p":
            parts.append(f"<p>{e(b[1])}</p>")
        elif b[0] == "pre":
            parts.append(f"<pre>{e(b[1])}</pre>")
        else:
            _, label, rows = b
            body = "".join(
                f"<tr><th>{e(label) if k == 0 else ''}</th>"
                + "".join(f"<td>{e(v)}</td>" for v in row)
                + "</tr>"
                for k, row in enumerate(rows)
            )
            parts.append(f"<table>{body}</table>")
    parts.append("</section>")
    section = "\n".join(parts)
    if not full_page:
        return section
    title = e(f"nnlab explain: {trace.model}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}'
        f"</title></head><body>\n{section}\n</body></html>\n"
    )
