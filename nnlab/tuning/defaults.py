"""The search space used when none is given: small MLPs for the data's task.

Example:
    >>> sorted(default_space("multiclass").params)[:3]
    ['activation', 'alpha', 'batch_size']
"""

from __future__ import annotations

from nnlab.tuning.space import Choice, Float, Int, Space


def default_space(task: str) -> Space:
    """One or two hidden layers of 8-64 units, activation, Adam's learning rate (log),
    batch size, dropout and L2, 60 epochs with early stopping (patience 10)."""
    return Space(
        n_layers=Int(1, 2),
        units_1=Choice([8, 16, 32, 64]),
        units_2=Choice([8, 16, 32], when={"n_layers": [2]}),
        activation=Choice(["relu", "tanh"]),
        learning_rate=Float(1e-3, 3e-2, log=True),
        batch_size=Choice([16, 32]),
        dropout=Choice([0.0, 0.1]),
        alpha=Choice([0.0, 1e-4]),
        epochs=60,
        early_stopping=True,
        patience=10,
    )
