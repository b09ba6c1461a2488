"""Checks run on user data before any work starts, with messages that say
which argument was wrong, what was expected and what came.

Example:
    >>> import numpy as np
    >>> as_float_array(np.ones((2, 3)), "x", "fit").dtype
    dtype('float32')
"""

from __future__ import annotations

from typing import Any

import numpy as np


def as_float_array(value: Any, arg: str, where: str) -> np.ndarray:
    """Convert to a float32 NumPy array; reject empty, non-numeric, NaN and inf values."""
    if value is None:
        raise ValueError(f"{where}: {arg} is required, got None")
    try:
        arr = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise ValueError(
            f"{where}: {arg} must be a numeric array, got {type(value).__name__}"
        ) from exc
    if arr.dtype == object or not (
        np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.bool_)
    ):
        raise ValueError(f"{where}: {arg} must be a numeric array, got dtype {arr.dtype}")
    if arr.ndim == 0 or arr.size == 0:
        raise ValueError(
            f"{where}: {arg} is empty (shape {arr.shape}); expected at least one sample"
        )
    arr = arr.astype(np.float32, copy=False)
    if not np.all(np.isfinite(arr)):
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(
            f"{where}: {arg} contains {bad} NaN or infinite value(s); clean or impute them first"
        )
    return arr


def same_length(x: np.ndarray, y: np.ndarray, x_arg: str, y_arg: str, where: str) -> None:
    """Require the same number of samples (first axis) in ``x`` and ``y``."""
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"{where}: {x_arg} and {y_arg} must have the same number of samples, "
            f"got {x.shape[0]} in {x_arg} {x.shape} and {y.shape[0]} in {y_arg} {y.shape}"
        )


def positive_int_arg(value: Any, arg: str, where: str) -> int:
    """Require an integer ≥ 1."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{where}: {arg} must be an integer >= 1, got {value!r}")
    return int(value)


def target_matches(y: np.ndarray, out_shape: tuple, arg: str, where: str) -> np.ndarray:
    """Check targets against the output shape ``(None, ...)``; align ``(n,)`` to ``(n, 1)``."""
    want = tuple(out_shape[1:])
    got = y.shape[1:]
    if len(got) == len(want) - 1 and want[-1] == 1:
        y = y[..., None]
        got = y.shape[1:]
    ok = len(got) == len(want) and all(w is None or w == g for w, g in zip(want, got, strict=True))
    if not ok:
        shown = "(n, " + ", ".join("?" if w is None else str(w) for w in want) + ")"
        raise ValueError(
            f"{where}: {arg} has shape {y.shape}, but the model outputs {shown}; "
            f"targets must match the model's output shape"
        )
    return y
