"""The page's "Export script": a Python file that replays the run from the same seed and data.

The script uses the rule the page was using: `PlaygroundTrainer` (Playground's rule) or an
nnlab `Sequential` trained with `fit` (the "beyond" options). Run with nnlab installed, it
prints the training and test loss at the page's epoch; they equal the page's numbers when
the run had no hand edits (weights typed in, learning rate changed mid-run).
"""

from __future__ import annotations

import numpy as np

from nnlab.playground.data import seed_number
from nnlab.playground.engine import output_kind

_HEADER = '''"""Replays an nnlab playground run (nnlab playground, exported at epoch {epoch}).

Settings: #{fragment}
Learning rule: {rule}
{edited}"""
import numpy as np

from nnlab.playground import PlaygroundState, feature_matrix, generate
'''

_DATA_GENERATED = '''
state = PlaygroundState.from_fragment("{fragment}")
data = generate(state)  # Playground's generator, seeded by state.seed, then the train/test split
'''

_DATA_UPLOADED = '''
state = PlaygroundState.from_fragment("{fragment}")
data = {{  # the uploaded CSV's points, split as the page split them
    "X_train": np.array({X_train}), "y_train": np.array({y_train}),
    "X_test": np.array({X_test}), "y_test": np.array({y_test}),
}}
'''

_RULE = '''
from nnlab.playground import PlaygroundTrainer, seed_number

X_train = feature_matrix(data["X_train"], state.features())
X_test = feature_matrix(data["X_test"], state.features())
net = PlaygroundTrainer(
    n_inputs=X_train.shape[1],
    hidden=state.networkShape,
    activation=state.hidden_activations(),
    output_activation="{kind}",
    learning_rate=state.learningRate,
    regularization={regularization},
    regularization_rate=state.regularizationRate,
    batch_size=state.batchSize,
    init_zero=state.initZero,
    seed=seed_number(state.seed, 1, {resets}),  # the page's weight seed (reset count {resets})
)
for epoch in range({epochs}):
    net.train_epoch(X_train, data["y_train"])
print(f"epoch {epochs} train loss {{net.loss(X_train, data['y_train']):.6f}} "
      f"test loss {{net.loss(X_test, data['y_test']):.6f}}")
'''

_FIT = '''
from nnlab import initializers, optimizers, regularizers
from nnlab.layers import Dense, Dropout, Input
from nnlab.models import Sequential

X_train = feature_matrix(data["X_train"], state.features())
X_test = feature_matrix(data["X_test"], state.features())
y_train = {target}
model = Sequential([
    Input(shape=(X_train.shape[1],), dtype="float64"),
{layers}
])
model.compile(optimizer={optimizer}, loss="{loss}")
for epoch in range({epochs}):  # one fit call per epoch, as the page trains
    model.fit(X_train, y_train, epochs=1, batch_size={batch_size}, verbose=0, shuffle=True,
              seed={fit_seed} + epoch)


def page_loss(X, y):
    """The loss as the page shows it."""
    out = model.predict(X, verbose=0)
{loss_code}

print(f"epoch {epochs} train loss {{page_loss(X_train, data['y_train']):.6f}} "
      f"test loss {{page_loss(X_test, data['y_test']):.6f}}")
'''

_LOSS_CODE = {
    "square": "    return float(np.mean(0.5 * (out[:, 0] - y) ** 2))  # Playground's 1/2 square",
    "sigmoid": ("    p, t = np.clip(out[:, 0], 1e-7, 1 - 1e-7), (y + 1) / 2\n"
                "    return float(-np.mean(t * np.log(p) + (1 - t) * np.log(1 - p)))"),
    "softmax": ("    p = np.clip(out[np.arange(len(y)), y.astype(int)], 1e-7, 1.0)\n"
                "    return float(-np.mean(np.log(p)))"),
}


def _optimizer_code(state) -> str:
    lr = repr(state.learningRate)
    if state.optimizer in ("playground", "sgd"):
        return f"optimizers.SGD(learning_rate={lr})"
    if state.optimizer in ("momentum", "nesterov"):
        return (f"optimizers.SGD(learning_rate={lr}, momentum=0.9, "
                f"nesterov={state.optimizer == 'nesterov'})")
    name = {"adam": "Adam", "rmsprop": "RMSprop", "adagrad": "Adagrad",
            "adadelta": "Adadelta"}[state.optimizer]
    return f"optimizers.{name}(learning_rate={lr})"


def _layers_code(state, n_out: int, kind: str, resets: int) -> str:
    seeds = np.random.SeedSequence(seed_number(state.seed, 1, resets)).generate_state(
        2 * len(state.networkShape) + 2)
    reg = {"none": "None", "L1": f"regularizers.L1({state.regularizationRate!r})",
           "L2": f"regularizers.L2({state.regularizationRate / 2!r})"}[state.regularization]
    if not state.regularizationRate:
        reg = "None"
    lines = []
    units = [*state.networkShape, n_out]
    for i, (n, act) in enumerate(zip(units, [*state.hidden_activations(), kind])):
        lines.append(
            f'    Dense({n}, activation="{act}", dtype="float64", name="dense_{i + 1}",\n'
            f"          kernel_initializer=initializers.RandomUniform(-0.5, 0.5, "
            f"seed={int(seeds[2 * i])}),\n"
            f"          bias_initializer=initializers.Constant(0.1), kernel_regularizer={reg}),")
        if state.dropout > 0 and i < len(state.networkShape):
            lines.append(f'    Dropout({state.dropout!r}, seed={int(seeds[2 * i + 1])}, '
                         f'dtype="float64", name="dropout_{i + 1}"),')
    return "\n".join(lines)


def script_for(session) -> str:
    """The replay script for a `Session` at its current epoch (see the module docstring)."""
    state, engine = session.state, session.engine
    fragment = state.to_fragment()
    edited = ("Note: weights were edited, the learning rate changed or the data regenerated "
              "during this run; the script replays the settings from the start and will "
              "differ.\n"
              if session.edited else "")
    text = _HEADER.format(epoch=session.epoch, fragment=fragment, rule=engine.text,
                          edited=edited)
    if session.upload is not None:
        d = session.data
        text += _DATA_UPLOADED.format(
            fragment=fragment, **{k: repr(np.asarray(v).tolist()) for k, v in d.items()})
    else:
        text += _DATA_GENERATED.format(fragment=fragment)
    kind = output_kind(state)
    if engine.playground_rule:
        reg = "None" if state.regularization == "none" else f'"{state.regularization}"'
        return text + _RULE.format(kind=kind, regularization=reg, resets=session.resets,
                                   epochs=session.epoch)
    n_out = state.n_classes() if kind == "softmax" else 1
    return text + _FIT.format(
        target='(data["y_train"] + 1) / 2' if kind == "sigmoid" else 'data["y_train"]',
        layers=_layers_code(state, n_out, kind, session.resets),
        optimizer=_optimizer_code(state), loss=engine.loss_name, epochs=session.epoch,
        batch_size=state.batchSize, fit_seed=engine.fit_seed,
        loss_code=_LOSS_CODE.get(kind, _LOSS_CODE["square"]))
