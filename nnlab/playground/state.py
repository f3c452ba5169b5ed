"""The page's whole state as one object, read from and written to a URL fragment.

The keys, value spellings and defaults are TensorFlow Playground's (`state.ts`), so a
Playground link opened in nnlab gives the same settings; nnlab's own additions (loss,
optimizer, dropout, per-layer activations, stop epoch, larger limits) have their own keys
and are written only when they differ from their defaults. Every value is validated and
bounded here; the page only displays what this module accepts.
"""

from __future__ import annotations

import dataclasses
import math
import random
from urllib.parse import quote, unquote

from nnlab.playground.features import FEATURES

LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
REGULARIZATION_RATES = (0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10)
ACTIVATION_NAMES = ("relu", "tanh", "sigmoid", "linear")
REGULARIZATION_NAMES = ("none", "L1", "L2")
DATASETS = ("circle", "xor", "gauss", "spiral", "spiral3", "blobs")
MULTICLASS_DATASETS = ("spiral3", "blobs")
REG_DATASETS = ("reg-plane", "reg-gauss")
PROBLEMS = ("classification", "regression")
LOSSES = ("square", "crossentropy")
OPTIMIZER_NAMES = ("playground", "sgd", "momentum", "nesterov", "adam", "rmsprop", "adagrad",
                   "adadelta")
#: The bounded larger limits of `largeLimits=true` (and of links); Playground's own 6 x 8
#: are the page's `+`/`-` buttons' limits.
LARGE_LIMITS = {"layers": 10, "neurons": 32}
MAX_EPOCHS = 100_000
HIDABLE = ("showTestData", "discretize", "playButton", "stepButton", "resetButton",
           "learningRate", "activation", "regularization", "regularizationRate", "problem",
           "dataset", "percTrainData", "noise", "batchSize", "numHiddenLayers", *FEATURES)
#: Changing one of these keys rebuilds the network (Playground's "reset").
RESET_KEYS = {"activation", "regularization", "regularizationRate", "batchSize",
              "networkShape", "initZero", "activations", "loss", "optimizer", "dropout",
              *FEATURES}
#: Changing one of these keys draws new data (with a new seed, unless it is the seed), then
#: resets.
DATA_KEYS = {"dataset", "regDataset", "noise", "percTrainData", "problem", "seed"}


def new_seed() -> str:
    """A fresh seed spelled as Playground spells it (`Math.random().toFixed(5)`)."""
    return f"{random.random():.5f}"


@dataclasses.dataclass
class PlaygroundState:
    """Every setting of the page; field names are the URL keys.

    Example:
        >>> s = PlaygroundState.from_fragment("#dataset=xor&networkShape=&xTimesY=true&x=false")
        >>> s.dataset, s.networkShape, s.features()
        ('xor', [], ['y', 'xTimesY'])
        >>> "dataset=xor" in s.to_fragment()
        True
    """

    activation: str = "tanh"
    batchSize: int = 10
    dataset: str = "circle"
    regDataset: str = "reg-plane"
    learningRate: float = 0.03
    regularization: str = "none"
    regularizationRate: float = 0.0
    noise: int = 0
    networkShape: list = dataclasses.field(default_factory=lambda: [4, 2])
    seed: str = dataclasses.field(default_factory=new_seed)
    showTestData: bool = False
    discretize: bool = False
    percTrainData: int = 50
    x: bool = True
    y: bool = True
    xTimesY: bool = False
    xSquared: bool = False
    ySquared: bool = False
    cosX: bool = False
    sinX: bool = False
    cosY: bool = False
    sinY: bool = False
    collectStats: bool = False
    problem: str = "classification"
    initZero: bool = False
    hideText: bool = False
    # nnlab's additions ("beyond" Playground)
    loss: str = "square"
    optimizer: str = "playground"
    dropout: float = 0.0
    activations: list = dataclasses.field(default_factory=list)
    stopEpoch: int = 0
    largeLimits: bool = False
    hidden: list = dataclasses.field(default_factory=list)
    #: classes of an uploaded CSV (0: no upload); not a URL key
    uploadClasses: int = 0

    # ---- reading -------------------------------------------------------------------
    @classmethod
    def from_fragment(cls, fragment: str) -> PlaygroundState:
        """Parse `#key=value&...` as Playground does: unknown keys and bad values are ignored.

        `<control>_hide=true` keys fill `hidden`.
        """
        state = cls()
        for part in str(fragment).lstrip("#").split("&"):
            key, _, value = part.partition("=")
            value = unquote(value).strip()
            if key.endswith("_hide") and value == "true" and key[:-5] in HIDABLE:
                state.hidden.append(key[:-5])
            elif key == "noise" and value.isdigit() and int(value) > 80:
                state.noise = 50  # Playground: above 80 the slider falls back to 50
            elif key in _FIELDS and (value or key in ("networkShape", "activations")):
                try:
                    state.set(key, value)
                except (TypeError, ValueError):
                    pass  # Playground keeps the default for a value it cannot read
        return state

    def set(self, key: str, value) -> str:
        """Validate and apply one change; return what it needs: "data", "reset" or "none".

        Raises:
            ValueError: an unknown key or a value outside its choices or range.
        """
        if key not in _FIELDS or key in ("hidden", "uploadClasses"):
            raise ValueError(f"Unknown setting {key!r}. Expected one of {sorted(_FIELDS)}.")
        parsed = _PARSERS[key](value)  # (networkShape's parser bounds it by LARGE_LIMITS)
        old = getattr(self, key)
        setattr(self, key, parsed)
        if old == parsed:
            return "none"
        if key in DATA_KEYS:
            return "data"
        return "reset" if key in RESET_KEYS else "none"

    # ---- derived -------------------------------------------------------------------
    def features(self) -> list[str]:
        """The switched-on input features, in Playground's order."""
        return [k for k in FEATURES if getattr(self, k)]

    def hidden_activations(self) -> list[str]:
        """One activation per hidden layer (`activations` where given, else `activation`)."""
        per = list(self.activations[: len(self.networkShape)])
        return per + [self.activation] * (len(self.networkShape) - len(per))

    def n_classes(self) -> int:
        """1 for regression and the binary sets, the number of classes otherwise."""
        if self.problem == "regression":
            return 1
        if self.uploadClasses:
            return self.uploadClasses if self.uploadClasses > 2 else 1
        return {"spiral3": 3, "blobs": 4}.get(self.dataset, 1)

    def uses_playground_rule(self) -> bool:
        """True when training follows Playground's rule, False when it is nnlab's `fit`."""
        return (self.optimizer == "playground" and self.loss == "square"
                and self.dropout == 0 and self.n_classes() == 1)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_fragment(self) -> str:
        """`key=value&...` with Playground's keys first and nnlab's additions when not default."""
        default = PlaygroundState(seed=self.seed)
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("hidden", "uploadClasses"):
                continue
            if f.name in _EXTRA and value == getattr(default, f.name):
                continue
            if isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, list):
                text = ",".join(str(v) for v in value)
            elif isinstance(value, float):
                text = repr(value).removesuffix(".0") if value == int(value) else repr(value)
            else:
                text = str(value)
            parts.append(f"{f.name}={quote(text, safe=',.-')}")
        parts += [f"{name}_hide=true" for name in self.hidden]
        return "&".join(parts)


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError(f"expected true or false. Received: {value!r}")


def _number(lo, hi, integer=False):
    def parse(value):
        if isinstance(value, bool):
            raise TypeError(f"expected a number. Received: {value!r}")
        number = float(value)
        if not math.isfinite(number) or not lo <= number <= hi:
            raise ValueError(f"expected a number in [{lo}, {hi}]. Received: {value!r}")
        if integer:
            if number != int(number):
                raise ValueError(f"expected a whole number. Received: {value!r}")
            return int(number)
        return number
    return parse


def _choice(choices, mapping=None):
    def parse(value):
        value = (mapping or {}).get(value, value)
        if value not in choices:
            raise ValueError(f"expected one of {list(choices)}. Received: {value!r}")
        return value
    return parse


def _int_list(value):
    items = value if isinstance(value, list) else [v for v in str(value).split(",") if v.strip()]
    if len(items) > LARGE_LIMITS["layers"]:
        raise ValueError(f"at most {LARGE_LIMITS['layers']} hidden layers. Received: {value!r}")
    return [_number(1, LARGE_LIMITS["neurons"], integer=True)(v) for v in items]


def _name_list(value):
    items = value if isinstance(value, list) else [v for v in str(value).split(",") if v]
    if len(items) > LARGE_LIMITS["layers"]:
        raise ValueError(f"at most {LARGE_LIMITS['layers']} names. Received: {value!r}")
    return [_choice(ACTIVATION_NAMES)(v) for v in items]


def _seed(value):
    text = str(value)
    if not 0 < len(text) <= 40 or not all(c.isalnum() or c in ".-_" for c in text):
        raise ValueError(f"expected up to 40 letters, digits or '.-_'. Received: {value!r}")
    return text


def _rate(choices):
    def parse(value):
        number = _number(0, 10)(value)
        if not any(math.isclose(number, c, rel_tol=1e-9, abs_tol=1e-12) for c in choices):
            raise ValueError(f"expected one of {list(choices)}. Received: {value!r}")
        return number
    return parse


_PARSERS = {
    "activation": _choice(ACTIVATION_NAMES),
    "batchSize": _number(1, 1000, integer=True),
    "dataset": _choice(DATASETS),
    "regDataset": _choice(REG_DATASETS),
    "learningRate": _rate(LEARNING_RATES),
    "regularization": _choice(REGULARIZATION_NAMES),
    "regularizationRate": _rate(REGULARIZATION_RATES),
    "noise": _number(0, 80, integer=True),
    "networkShape": _int_list,
    "seed": _seed,
    "percTrainData": _number(10, 90, integer=True),
    "problem": _choice(PROBLEMS),
    "loss": _choice(LOSSES),
    "optimizer": _choice(OPTIMIZER_NAMES),
    "dropout": _number(0, 0.5),
    "activations": _name_list,
    "stopEpoch": _number(0, MAX_EPOCHS, integer=True),
}
_FIELDS = {f.name for f in dataclasses.fields(PlaygroundState)}
_PARSERS.update({f.name: _bool for f in dataclasses.fields(PlaygroundState) if f.type == "bool"})
_EXTRA = ("loss", "optimizer", "dropout", "activations", "stopEpoch", "largeLimits")
