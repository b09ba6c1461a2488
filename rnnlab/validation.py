"""Checks run on user data before any work starts, with messages that say
which argument was wrong, what was expected and what came.

Example:
    >>> import numpy as np
    >>> as_float_array(np.ones((2, 3)), "x", "fit").dtype
    dtype('float32')
"""

from __future__ import annotations

from collections.abc import Sequence
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


def is_int(value: Any) -> bool:
    """Whether ``value`` is an integer (a NumPy one too), and not a bool.

    Example:
        >>> is_int(3), is_int(np.int64(3)), is_int(True), is_int(3.0)
        (True, True, False, False)
    """
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    """Whether ``value`` is a real number (int or float, NumPy ones too), and not a bool."""
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def positive_int(value: Any, arg: str, owner: str) -> int:
    """``value`` as an int ≥ 1, or a ValueError naming ``owner`` and ``arg``.

    Example:
        >>> positive_int(0, "units", "Dense 'dense'")
        Traceback (most recent call last):
        ...
        ValueError: Dense 'dense': units must be a positive integer, got 0
    """
    if not is_int(value) or value < 1:
        raise ValueError(f"{owner}: {arg} must be a positive integer, got {value!r}")
    return int(value)


def non_negative_int(value: Any, arg: str, owner: str) -> int:
    """``value`` as an int ≥ 0, or a ValueError naming ``owner`` and ``arg``."""
    if not is_int(value) or value < 0:
        raise ValueError(f"{owner}: {arg} must be a non-negative integer, got {value!r}")
    return int(value)


def rate(value: Any, arg: str, owner: str) -> float:
    """A fraction in ``[0, 1)`` (dropout rates), or a ValueError naming ``owner`` and ``arg``."""
    if not is_number(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"{owner}: {arg} must be a number in [0, 1), got {value!r}")
    return float(value)


def positive_number(value: Any, arg: str, owner: str) -> float:
    """A number > 0 (epsilons, learning rates), or a ValueError naming ``owner`` and ``arg``."""
    if not is_number(value) or not value > 0:
        raise ValueError(f"{owner}: {arg} must be a positive number, got {value!r}")
    return float(value)


def sample_shape(value: Any, arg: str, owner: str) -> tuple[int | None, ...]:
    """One sample's shape — a tuple of positive ints or ``None`` (an int for one axis) —
    with the batch axis added in front: ``(None, 1)`` → ``(None, None, 1)``.

    Example:
        >>> sample_shape([None, 1], "input_shape", "LSTM 'lstm'")
        (None, None, 1)
    """
    if is_int(value):
        value = (int(value),)
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(f"{owner}: {arg} must be a tuple such as (None, 1), got {value!r}")
    dims = []
    for d in value:
        if d is not None and (not is_int(d) or d < 1):
            raise ValueError(
                f"{owner}: {arg} entries must be positive integers or None, got {tuple(value)!r}"
            )
        dims.append(None if d is None else int(d))
    return (None, *dims)


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
