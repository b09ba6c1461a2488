"""What the monitoring callbacks share: which way is better, and reading the monitored value.

Example:
    >>> direction("EarlyStopping", "auto", "val_loss"), direction("X", "auto", "val_accuracy")
    ('min', 'max')
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import jax
import numpy as np

__all__ = ["MODES", "direction", "monitor_value", "snapshot"]

MODES = ("auto", "min", "max")


def direction(owner: str, mode: str, monitor: str) -> str:
    """``"min"`` or ``"max"``: ``mode``, or for ``"auto"`` from the monitor's name.

    ``auto`` maximizes names containing ``acc`` or ``auc`` and minimizes the rest
    (losses, errors). An unknown mode warns and falls back to ``auto``, as in Keras.
    """
    if mode not in MODES:
        warnings.warn(
            f"{owner}: mode {mode!r} is unknown (expected 'auto', 'min' or 'max'); "
            "falling back to 'auto'",
            stacklevel=3,
        )
        mode = "auto"
    if mode == "auto":
        name = monitor.lower()
        return "max" if "acc" in name or "auc" in name else "min"
    return mode


def monitor_value(owner: str, monitor: str, logs: dict[str, float] | None) -> float | None:
    """``logs[monitor]`` as a float; ``None`` with a warning naming the available keys."""
    logs = logs or {}
    value = logs.get(monitor)
    if value is None:
        loss = logs.get("loss")
        if isinstance(loss, float) and not math.isfinite(loss):
            return None  # fit ended this epoch on a NaN loss: nothing else was computed
        hint = ""
        if monitor.startswith("val_"):
            hint = " (val_* values need validation_data or validation_split in fit)"
        warnings.warn(
            f"{owner} is conditioned on {monitor!r}, which is not in the epoch logs{hint}; "
            f"available keys: {', '.join(sorted(logs)) or 'none'}. "
            "Skipping this epoch.",
            stacklevel=3,
        )
        return None
    return float(value)


def snapshot(params: Any) -> Any:
    """A copy of the params pytree's containers; JAX arrays are immutable, so shared."""
    return jax.tree.map(lambda a: a.copy() if isinstance(a, np.ndarray) else a, params)
