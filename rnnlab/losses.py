"""Loss functions with Keras semantics: per-sample values, mean over the last axis.

Each function takes ``y_true`` and ``y_pred`` of the same shape ``(batch, ..., d)``
and returns ``(batch, ...)``. NumPy inputs give NumPy results; JAX inputs
(also inside ``jit``) give JAX results. A target with one axis less than the
prediction whose last axis is 1 (``(n,)`` vs ``(n, 1)``) is aligned, as Keras does.

Example:
    >>> import numpy as np
    >>> mean_squared_error(np.array([[0.0, 2.0]]), np.array([[1.0, 0.0]]))
    array([2.5])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

LossFn = Callable[[Any, Any], Any]
_EPSILON = 1e-7


def _prepare(y_true: Any, y_pred: Any) -> tuple[Any, Any, Any]:
    """Pick NumPy or jax.numpy, cast the target to the prediction's dtype, align ranks."""
    use_jax = isinstance(y_true, jax.Array) or isinstance(y_pred, jax.Array)
    xp = jnp if use_jax else np
    y_pred = xp.asarray(y_pred)
    if not xp.issubdtype(y_pred.dtype, xp.floating):
        y_pred = y_pred.astype(xp.float32)
    y_true = xp.asarray(y_true).astype(y_pred.dtype)
    if y_true.ndim == y_pred.ndim - 1 and y_pred.shape[-1] == 1:
        y_true = y_true[..., None]
    elif y_pred.ndim == y_true.ndim - 1 and y_true.shape[-1] == 1:
        y_pred = y_pred[..., None]
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_true and y_pred must have the same shape, got y_true {tuple(y_true.shape)} "
            f"and y_pred {tuple(y_pred.shape)}"
        )
    return xp, y_true, y_pred


def mean_squared_error(y_true: Any, y_pred: Any) -> Any:
    """``mean((y_pred - y_true)**2, axis=-1)``: shape ``(batch, ...)``.

    Example:
        >>> float(np.mean(mean_squared_error(np.zeros((2, 1)), np.ones((2, 1)))))
        1.0
    """
    xp, t, p = _prepare(y_true, y_pred)
    return xp.mean(xp.square(p - t), axis=-1)


def mean_absolute_error(y_true: Any, y_pred: Any) -> Any:
    """``mean(|y_pred - y_true|, axis=-1)``: shape ``(batch, ...)``.

    Example:
        >>> mean_absolute_error(np.array([[1.0, 1.0]]), np.array([[0.0, 3.0]]))
        array([1.5])
    """
    xp, t, p = _prepare(y_true, y_pred)
    return xp.mean(xp.abs(p - t), axis=-1)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> Any:
    """``100 * mean(|(y_true - y_pred) / max(|y_true|, eps)|, axis=-1)``.

    Example:
        >>> mean_absolute_percentage_error(np.array([[2.0]]), np.array([[1.0]]))
        array([50.])
    """
    xp, t, p = _prepare(y_true, y_pred)
    return 100.0 * xp.mean(xp.abs((t - p) / xp.maximum(xp.abs(t), _EPSILON)), axis=-1)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> Any:
    """``mean((log1p(max(y_pred, eps)) - log1p(max(y_true, eps)))**2, axis=-1)``.

    Example:
        >>> mean_squared_logarithmic_error(np.array([[0.0]]), np.array([[0.0]]))
        array([0.])
    """
    xp, t, p = _prepare(y_true, y_pred)
    diff = xp.log1p(xp.maximum(p, _EPSILON)) - xp.log1p(xp.maximum(t, _EPSILON))
    return xp.mean(xp.square(diff), axis=-1)


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> Any:
    """Huber loss, quadratic for ``|e| <= delta`` and linear beyond; mean over the last axis.

    ``0.5 * e**2`` if ``|e| <= delta`` else ``delta * |e| - 0.5 * delta**2``.

    Example:
        >>> huber(np.array([[0.0, 0.0]]), np.array([[0.5, 3.0]]))
        array([1.3125])
    """
    xp, t, p = _prepare(y_true, y_pred)
    err = xp.abs(p - t)
    quad = 0.5 * xp.square(err)
    lin = delta * err - 0.5 * delta**2
    return xp.mean(xp.where(err <= delta, quad, lin), axis=-1)


# Keras's short aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
huber_loss = huber

_BY_NAME: dict[str, LossFn] = {
    "mse": mean_squared_error,
    "mean_squared_error": mean_squared_error,
    "mae": mean_absolute_error,
    "mean_absolute_error": mean_absolute_error,
    "mape": mean_absolute_percentage_error,
    "mean_absolute_percentage_error": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error,
    "mean_squared_logarithmic_error": mean_squared_logarithmic_error,
    "huber": huber,
    "huber_loss": huber,
}


class Huber:
    """Huber loss with a chosen ``delta``, usable as ``compile(loss=Huber(0.5))``.

    Calling it returns per-sample values, like the function :func:`huber`.

    Example:
        >>> Huber(delta=0.5)(np.zeros((1, 1)), np.ones((1, 1)))
        array([0.375])
    """

    def __init__(self, delta: float = 1.0) -> None:
        self.delta = float(delta)
        self.__name__ = "huber"

    def __call__(self, y_true: Any, y_pred: Any) -> Any:
        return huber(y_true, y_pred, self.delta)


def get(identifier: str | LossFn, *, owner: str = "loss", kind: str = "loss") -> LossFn:
    """Resolve a loss by Keras name, or pass a callable ``(y_true, y_pred) -> per-sample`` through.

    Example:
        >>> get("mse") is mean_squared_error
        True
    """
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _BY_NAME:
        return _BY_NAME[identifier.lower()]
    valid = ", ".join(sorted(_BY_NAME))
    raise ValueError(f"{owner}: unknown {kind} {identifier!r}; expected one of: {valid}")


def name_of(fn: LossFn) -> str:
    """The name used in History for a loss or metric function."""
    for name, f in _BY_NAME.items():
        if f is fn and len(name) > 4:
            return name
    return getattr(fn, "__name__", type(fn).__name__)
