"""What callbacks that watch a log value share: its direction and improvement test."""

from __future__ import annotations

import warnings

from nnlab.callbacks.base import Callback


def _resolve_mode(callback: str, model, monitor: str, mode: str) -> str:
    """'min' or 'max' for `monitor`: explicit, or from the loss / compiled metric names."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(
            f"{callback}: mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}"
        )
    base = monitor[4:] if monitor.startswith("val_") else monitor
    if base == "loss" or base.endswith("_loss"):
        return "min"
    multi = len(getattr(model, "outputs", [])) > 1
    resolved = model.output_metrics or []
    for out_name, metrics in zip(getattr(model, "output_names", []), resolved):
        for m in metrics:
            if base == (f"{out_name}_{m.name}" if multi else m.name):
                return m.direction
    raise ValueError(
        f"{callback}: cannot tell whether '{monitor}' should decrease or increase: it is "
        "neither a loss nor a compiled metric. Pass mode='min' or mode='max'."
    )


class MonitorCallback(Callback):
    """The base of callbacks that watch one log value (EarlyStopping, ReduceLROnPlateau,
    ModelCheckpoint): reads `monitor` from the logs, knows whether it should decrease or
    increase (`mode`, resolved from the loss or compiled metric when 'auto') and tests
    an improvement by more than `min_delta`.

    Args:
        monitor: the log key to watch, e.g. "val_loss".
        mode: "auto", "min" or "max".
        min_delta: the smallest change that counts as an improvement (its sign is ignored).

    Example:
        >>> from nnlab.callbacks import EarlyStopping
        >>> issubclass(EarlyStopping, MonitorCallback)
        True
    """

    def __init__(self, monitor: str, mode: str, min_delta: float):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(
                f"{type(self).__name__}: mode must be 'auto', 'min' or 'max'. "
                f"Received: mode={mode!r}"
            )
        self.monitor = monitor
        self.mode = mode
        self.min_delta = abs(float(min_delta))
        self._mode = None

    def _direction(self) -> str:
        if self._mode is None:
            self._mode = _resolve_mode(type(self).__name__, self.model, self.monitor, self.mode)
        return self._mode

    def _is_improvement(self, current: float, reference) -> bool:
        """current < reference - min_delta (min) or current > reference + min_delta (max)."""
        if reference is None:
            return True
        if self._direction() == "min":
            return current < reference - self.min_delta
        return current > reference + self.min_delta

    def _current(self, logs) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(
                f"{type(self).__name__} is watching '{self.monitor}', which is not in the "
                f"logs. Available: {sorted(logs or {})}. (Validation values need "
                "validation_data or validation_split.)",
                stacklevel=3,
            )
        return value
