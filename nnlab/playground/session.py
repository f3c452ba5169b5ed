"""One browser tab's playground: its state, data, network and the messages it understands.

`Session.handle(message)` takes one decoded JSON message from the page and returns the
replies (dicts). Every field is validated and bounded here; a bad message raises
`ValueError` or `TypeError` with a message for the page, and the session stays as it was.

Messages (`type` and fields):

- `init` {fragment}: load a URL fragment (Playground's keys), draw data, build the network.
- `set` {key, value}: change one setting; new data and/or a reset when Playground does so.
- `step` {epochs 1..50}: train that many epochs, reply with a frame (Play sends these).
- `reset`, `regenerate`: new weights / new data (Playground's buttons).
- `hover` {node: null | [layer, index]}: which node the big heatmap shows.
- `weight` {layer, source, dest, value}, `bias` {layer, node, value}: edit a parameter.
- `hide` {control, hidden}: classroom mode (`<control>_hide=true`).
- `upload` {csv}: use an uploaded CSV of x1, x2, label (or target).
- `export` {what: "csv" | "model" | "script"}: a file to download.
"""

from __future__ import annotations

import base64
import math
import os
import tempfile

import numpy as np

from nnlab.models.saving import save_model
from nnlab.playground import data as data_mod
from nnlab.playground.engine import make_engine
from nnlab.playground.export import script_for
from nnlab.playground.features import FEATURES, feature_matrix
from nnlab.playground.state import HIDABLE, PlaygroundState, new_seed

DENSITY = 100
GRID = np.linspace(-6.0, 6.0, DENSITY)
# Column i is x = -6 + 12 i / 99; row j runs from y = +6 down to -6 (as Playground draws it).
GRID_POINTS = np.column_stack([np.tile(GRID, DENSITY), np.repeat(GRID[::-1], DENSITY)])
MAX_EPOCHS_PER_STEP = 50
NUM_SHADES = 31


def shades(values: np.ndarray, discretize: bool = False) -> np.ndarray:
    """Values on [-1, 1] as Playground's 31 colour bands (0 = orange -1, 30 = blue +1).

    Example:
        >>> shades(np.array([-5.0, -1.0, 0.0, 0.999, 1.0])).tolist()
        [0, 0, 15, 30, 30]
    """
    v = np.where(values >= 0, 1.0, -1.0) if discretize else np.clip(np.nan_to_num(values), -1, 1)
    return np.clip(np.floor((v + 1.0) * NUM_SHADES / 2.0), 0, NUM_SHADES - 1).astype(np.uint8)


#: How far each feature's thumbnail is scaled onto [-1, 1] (x in [-6, 6], x^2 in [0, 36]).
_FEATURE_SCALE = {"x": 6.0, "y": 6.0, "xSquared": 36.0, "ySquared": 36.0, "xTimesY": 36.0,
                  "sinX": 1.0, "sinY": 1.0}


def _b64(a: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode()


def _thumb(values: np.ndarray) -> np.ndarray:
    """Playground's reduceMatrix(m, 10): mean of 10x10 blocks -> 10x10."""
    return values.reshape(10, 10, 10, 10).mean(axis=(1, 3))


def _int(msg, key, lo, hi):
    value = msg.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
        raise ValueError(f"{msg.get('type')}: {key} must be an int in [{lo}, {hi}]. "
                         f"Received: {value!r}")
    return value


def _float(msg, key, bound=1e6):
    value = msg.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value) or abs(value) > bound:
        raise ValueError(f"{msg.get('type')}: {key} must be a finite number within "
                         f"+-{bound:g}. Received: {value!r}")
    return float(value)


FEATURE_THUMBS = {key: _b64(shades(_thumb(fn(GRID_POINTS).reshape(100, 100)) / _FEATURE_SCALE[key]))
                  for key, (_, _, fn) in FEATURES.items()}


DATASET_THUMBS = data_mod.thumbnail_points()


class Session:
    """The playground of one tab. Start with `handle({"type": "init", "fragment": ...})`."""

    def __init__(self):
        self.state = PlaygroundState()
        self.epoch = 0
        self.resets = 0
        self.hover = None
        self.upload = None  # (X, y, classes) of an uploaded CSV
        self.edited = False  # weights edited or learning rate changed since the reset
        self.history: list[tuple[float, float]] = []
        self._new_data()

    # ---- building -------------------------------------------------------------------
    def _new_data(self):
        if self.upload is not None:
            X, y, self.classes = self.upload
            self.data = data_mod.split_upload(X, y, self.state)
        else:
            self.data = data_mod.generate(self.state)
            k = self.state.n_classes()
            self.classes = [str(i) for i in range(k)] if k > 1 else []
        self._reset()

    def _reset(self, new_weights=False):
        if new_weights:
            self.resets += 1
        feats = self.state.features()
        self._compute_inputs()
        self.grid = feature_matrix(GRID_POINTS, feats)
        if not feats:
            self.engine = None
        else:
            self.engine = make_engine(self.state, len(feats), self.resets)
        self.epoch, self.history, self.edited, self._charted = 0, [], False, 0
        self.hover = None
        self._record()

    def _compute_inputs(self):
        """The switched-on features of the training and the test points."""
        feats = self.state.features()
        self.inputs = {part: feature_matrix(self.data[f"X_{part}"], feats)
                       for part in ("train", "test")}

    def _record(self):
        if self.engine is not None:
            y = self.data
            self.history.append((self.engine.loss(self.inputs["train"], y["y_train"]),
                                 self.engine.loss(self.inputs["test"], y["y_test"])
                                 if len(y["y_test"]) else float("nan")))

    # ---- messages -------------------------------------------------------------------
    def handle(self, msg) -> list[dict]:
        """Validate and apply one message from the page; return the replies."""
        if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
            raise TypeError("A message must be a JSON object with a string 'type'. "
                            f"Received: {str(msg)[:80]!r}")
        handler = getattr(self, "_on_" + msg["type"], None)
        if handler is None:
            raise ValueError(f"Unknown message type {msg['type'][:40]!r}. Expected one of "
                             f"{sorted(n[4:] for n in dir(self) if n.startswith('_on_'))}.")
        # A learning rate of 10 may overflow: the frame then says "diverged" (no exception).
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return handler(msg)

    def _full(self):
        return [self.describe(), self.points(), self.frame()]

    def _on_init(self, msg):
        fragment = msg.get("fragment", "")
        if not isinstance(fragment, str) or len(fragment) > 4000:
            raise ValueError("init: fragment must be a string of at most 4000 characters.")
        self.state, self.upload, self.resets = PlaygroundState.from_fragment(fragment), None, 0
        self.state.uploadClasses = 0
        self._new_data()
        return self._full()

    def _on_set(self, msg):
        key = msg.get("key")
        if not isinstance(key, str):
            raise TypeError(f"set: key must be a string. Received: {key!r}")
        value = msg.get("value")
        if not isinstance(value, (str, int, float, bool, list)) or len(str(value)) > 200:
            raise ValueError(f"set: value for {key!r} must be a short string, number, bool "
                             f"or list. Received: {str(value)[:80]!r}")
        saved = self.state.to_dict()
        try:
            effect = self.state.set(key, value)
            if not self.state.features():
                raise ValueError("Keep at least one input feature switched on.")
        except (TypeError, ValueError) as exc:
            self.state = PlaygroundState(**saved)
            raise ValueError(f"{key}: {exc}") from None
        if self.upload is not None and key in ("dataset", "regDataset"):
            effect = "data"  # clicking a data set leaves the uploaded data
        if effect == "data":
            if key in ("problem", "dataset", "regDataset"):
                self.upload, self.state.uploadClasses = None, 0
            if key != "seed":
                self.state.seed = new_seed()
            self._new_data()
            return self._full()
        if effect == "reset":
            self._reset()
            return [self.describe(), self.frame()]
        if key == "learningRate" and self.engine is not None:
            self.engine.set_learning_rate(self.state.learningRate)
            self.edited = self.edited or self.epoch > 0
        return [self.describe(), self.frame()]

    def _on_step(self, msg):
        n = _int(msg, "epochs", 1, MAX_EPOCHS_PER_STEP)
        if self.engine is not None:
            stop = self.state.stopEpoch or float("inf")
            for _ in range(n):
                if self.epoch >= stop:
                    break
                self.engine.train_epoch(self.inputs["train"], self.data["y_train"], self.epoch)
                self.epoch += 1
                self._record()
        return [self.frame()]

    def _on_reset(self, msg):
        self._reset(new_weights=True)
        return [self.describe(), self.frame()]

    def _on_regenerate(self, msg):
        """Playground: new seed, new data, the network keeps training (no reset)."""
        if self.upload is not None:
            raise ValueError("regenerate: the data is an uploaded CSV; choose a data set first.")
        self.state.seed = new_seed()
        self.data = data_mod.generate(self.state)
        self.edited = self.edited or self.epoch > 0  # a replay from the start would differ
        self._compute_inputs()
        return [self.describe(), self.points(), self.frame()]

    def _on_hover(self, msg):
        node = msg.get("node")
        if node is not None:
            sizes = [len(self.state.features()), *self.state.networkShape]
            layer = _int({"type": "hover", "layer": node[0] if isinstance(node, list) and
                          len(node) == 2 else None}, "layer", 0, len(sizes) - 1)
            _int({"type": "hover", "index": node[1]}, "index", 0, sizes[layer] - 1)
            node = [layer, node[1]]
        self.hover = node
        return [self.frame()]

    def _edit_target(self, msg, what):
        if self.engine is None:
            raise ValueError(f"{what}: there is no network (switch on a feature).")
        W, b, _ = self.engine.weights()
        layer = _int(msg, "layer", 0, len(W) - 1)
        value = _float(msg, "value", 1e3)
        return layer, W, b, value

    def _on_weight(self, msg):
        layer, W, _, value = self._edit_target(msg, "weight")
        source = _int(msg, "source", 0, W[layer].shape[0] - 1)
        dest = _int(msg, "dest", 0, W[layer].shape[1] - 1)
        self.engine.set_weight(layer, source, dest, value)
        self.edited = True
        return [self.frame()]

    def _on_bias(self, msg):
        layer, _, b, value = self._edit_target(msg, "bias")
        self.engine.set_bias(layer, _int(msg, "node", 0, len(b[layer]) - 1), value)
        self.edited = True
        return [self.frame()]

    def _on_hide(self, msg):
        control = msg.get("control")
        if control not in HIDABLE or not isinstance(msg.get("hidden"), bool):
            raise ValueError(f"hide: control must be one of {list(HIDABLE)} and hidden a bool. "
                             f"Received: {str(control)[:40]!r}")
        hidden = [c for c in self.state.hidden if c != control]
        self.state.hidden = hidden + ([control] if msg["hidden"] else [])
        return [self.describe()]

    def _on_upload(self, msg):
        text = msg.get("csv")
        if not isinstance(text, str):
            raise TypeError("upload: csv must be the file's text.")
        X, y, classes = data_mod.read_upload(text, self.state.problem)
        self.upload = (X, y, classes)
        self.state.uploadClasses = len(classes)
        self._new_data()
        return self._full()

    def _on_export(self, msg):
        what = msg.get("what")
        if what == "csv":
            text = data_mod.to_csv(self.data, self.state.problem, self.classes)
            return [{"type": "file", "name": "playground-data.csv", "mime": "text/csv",
                     "text": text}]
        if self.engine is None:
            raise ValueError("export: there is no network (switch on a feature).")
        if what == "script":
            return [{"type": "file", "name": "playground_run.py", "mime": "text/x-python",
                     "text": script_for(self)}]
        if what == "model":
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "playground.nnlab")
                save_model(self.engine.to_model(), path,
                           metadata={"playground": self.state.to_fragment(), "epoch": self.epoch})
                with open(path, "rb") as fh:
                    blob = fh.read()
            return [{"type": "file", "name": "playground.nnlab",
                     "mime": "application/octet-stream", "base64": base64.b64encode(blob).decode()}]
        raise ValueError(f"export: what must be 'csv', 'model' or 'script'. Received: {what!r}")

    # ---- replies --------------------------------------------------------------------
    def describe(self) -> dict:
        """The state reply: settings, URL fragment, rule in use and warnings."""
        warnings = []
        if self.state.learningRate >= 3:
            warnings.append(f"Learning rate {self.state.learningRate:g} is too high: each step "
                            "overshoots, so the loss oscillates or stalls instead of falling.")
        return {"type": "state", "state": self.state.to_dict(),
                "fragment": self.state.to_fragment(),
                "rule": self.engine.text if self.engine else "no network: no input feature",
                "playgroundRule": bool(self.engine and self.engine.playground_rule),
                "features": {k: [v[0], v[1]] for k, v in FEATURES.items()},
                "featureThumbs": FEATURE_THUMBS, "datasetThumbs": DATASET_THUMBS,
                "classes": self.classes, "uploaded": self.upload is not None,
                "warnings": warnings}

    def points(self) -> dict:
        """The data reply: [x1, x2, label] rows of the training and the test points."""
        def rows(part):
            X, y = self.data[f"X_{part}"], self.data[f"y_{part}"]
            return np.column_stack([X, y]).round(4).tolist()
        return {"type": "data", "train": rows("train"), "test": rows("test")}

    def frame(self) -> dict:
        """Epoch, losses, metrics, heatmaps (as 31-band shades) and the parameters."""
        out = {"type": "frame", "epoch": self.epoch}
        if self.engine is None:
            return out
        # every epoch's losses since the last frame: the chart has one point per epoch
        out["losses"] = [[_finite(a), _finite(b)] for a, b in self.history[self._charted:]]
        self._charted = len(self.history)
        loss_train, loss_test = self.history[-1]
        A = self.engine.layer_outputs(self.grid, np.float32)  # a picture: float32 is enough
        disc = self.state.discretize
        kind = self.engine.kind
        final = A[-1]
        if kind == "softmax":
            out["classMap"] = _b64(final.argmax(axis=1))
            out["output"] = _b64(shades(2 * final.max(axis=1) - 1))
        else:
            value = 2 * final[:, 0] - 1 if kind == "sigmoid" else final[:, 0]
            out["output"] = _b64(shades(value, disc))
        thumbs = []
        # all neurons of a layer at once: (100*100, k) -> (10, 10, k); with several classes
        # the output layer too (probability p drawn as 2p - 1)
        pictures = A[1:-1] + ([2 * final - 1] if kind == "softmax" else [])
        for layer in pictures:
            blocks = shades(layer.reshape(10, 10, 10, 10, -1).mean(axis=(1, 3)), disc)
            thumbs.append([_b64(blocks[..., k]) for k in range(layer.shape[1])])
        out["thumbs"] = thumbs  # inputs use FEATURE_THUMBS
        if self.hover is not None:
            layer, index = self.hover
            out["hoverMap"] = _b64(shades(A[layer][:, index], disc))
        W, b, dead = self.engine.weights()
        diverged = not all(np.isfinite(p).all() for p in (*W, *b))
        out.update(weights=[_json_safe(w) for w in W], biases=[_json_safe(v) for v in b],
                   diverged=diverged,
                   dead=[d.astype(int).tolist() for d in dead],
                   lossTrain=_finite(loss_train), lossTest=_finite(loss_test),
                   metrics=self.metrics(), stopped=bool(self.state.stopEpoch and
                                                        self.epoch >= self.state.stopEpoch))
        if self.epoch > 0 and self.state.learningRate >= 1 and len(self.history) > 20:
            recent = [t for t, _ in self.history[-20:]]
            rises = sum(b > a for a, b in zip(recent, recent[1:]))
            out["oscillating"] = bool(rises >= 5 or recent[-1] >= recent[0])
        return out

    def metrics(self) -> dict:
        """Accuracy and confusion matrix (classification) or R^2 (regression), on test."""
        from nnlab.metrics import confusion_matrix, r2_score

        X, y = self.inputs["test"], self.data["y_test"]
        if len(y) == 0:
            X, y = self.inputs["train"], self.data["y_train"]
        final = self.engine.layer_outputs(X)[-1]
        if self.state.problem == "regression":
            return {"r2": _finite(float(r2_score(y, final[:, 0])))}
        if self.engine.kind == "softmax":
            pred, truth = final.argmax(axis=1), np.asarray(y, np.int64)
        else:
            cut = 0.5 if self.engine.kind == "sigmoid" else 0.0
            pred, truth = (final[:, 0] >= cut).astype(np.int64), (np.asarray(y) > 0).astype(int)
        labels = list(range(max(2, final.shape[1])))
        cm = confusion_matrix(truth, pred, labels=labels)  # rows: true class, columns: predicted
        return {"accuracy": float(np.mean(pred == truth)), "confusion": cm.counts.tolist()}


def _json_safe(a: np.ndarray) -> list:
    """Rounded values for the page; a diverged (inf/nan) entry is sent as +-1e6 / 0."""
    return np.nan_to_num(a, nan=0.0, posinf=1e6, neginf=-1e6).round(6).tolist()


def _finite(x):
    return x if x is not None and math.isfinite(x) else None
