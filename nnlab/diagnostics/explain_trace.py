"""The trace of `explain`: what one training step computed, layer by layer.

Dataclasses holding NumPy arrays (batch axis first), so a notebook can read every number;
`Trace.to_text()`, `to_html()` and `to_dict()` render them (nnlab.diagnostics.explain_render).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from nnlab.diagnostics.explain_checks import ChainRule, plain


@dataclass
class LayerStep:
    """One layer in one step. Arrays have the batch axis first; None where not applicable.

    W is Dense's kernel (d_in, units), W[i, j] joining input i to unit j (the lectures'
    w_ji), or BatchNormalization's gamma; b is the bias or beta."""

    name: str
    kind: str
    activation: str | None
    X: np.ndarray
    A: np.ndarray | None = None
    W: np.ndarray | None = None
    b: np.ndarray | None = None
    Z: np.ndarray | None = None
    dA: np.ndarray | None = None
    g_prime: np.ndarray | None = None
    dZ: np.ndarray | None = None
    dX: np.ndarray | None = None
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    numeric: dict[str, np.ndarray] = field(default_factory=dict)
    extras: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    backward_notes: list[str] = field(default_factory=list)


@dataclass
class LossStep:
    """The loss: its name, targets Y, prediction P, value E (with penalties) and dE/dP."""

    name: str
    Y: np.ndarray
    P: np.ndarray
    value: float
    penalty: float
    dP: np.ndarray
    fused: bool
    weight: float = 1.0


@dataclass
class WeightUpdate:
    """One weight tensor's update: before, the gradient used, after, slots around it."""

    layer: str
    weight: str
    before: np.ndarray
    grad: np.ndarray
    after: np.ndarray
    slots_before: dict[str, np.ndarray] = field(default_factory=dict)
    slots_after: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class OptimizerStep:
    """The optimizer's rule (from its own docstring), learning rate and settings."""

    name: str
    rule: str
    learning_rate: float
    iteration: int
    settings: dict
    notes: list[str] = field(default_factory=list)


@dataclass
class StepTrace:
    step: int
    layers: list[LayerStep]
    loss: LossStep
    optimizer: OptimizerStep
    updates: list[WeightUpdate]
    chain: ChainRule | None = None

    @property
    def prediction(self) -> np.ndarray:
        return self.loss.P


@dataclass
class Trace:
    """Consecutive training steps of one model on one batch (see `explain`)."""

    model: str
    steps: list[StepTrace]
    n_params: int
    max_params: int

    @property
    def summarised(self) -> bool:
        """True when the model is too large to print entry by entry."""
        return self.n_params > self.max_params

    @property
    def predictions(self) -> list[np.ndarray]:
        """The output A of every step's forward pass (before that step's update)."""
        return [s.prediction for s in self.steps]

    def to_dict(self) -> dict:
        """Plain dicts and lists (arrays as nested lists), ready for JSON or pandas."""
        return plain(self)

    def to_text(self, digits: int = 3, all_steps: bool = False) -> str:
        """Aligned text: the first step in full (every step with `all_steps`), then
        the loss and prediction of each step."""
        from nnlab.diagnostics.explain_render import to_text

        return to_text(self, digits, all_steps)

    def to_html(self, digits: int = 3, full_page: bool = False, all_steps: bool = False) -> str:
        """The same as a self-contained HTML <section> (a whole page with `full_page`)."""
        from nnlab.diagnostics.explain_render import to_html

        return to_html(self, digits, full_page, all_steps)

    def __str__(self) -> str:
        return self.to_text()
