"""Activation functions by Keras name, and ``keras.activations``' functions.

``get(name)`` resolves what a layer's ``activation=`` names to a pure jax function (the
fused recurrent kernels recognise ``jnp.tanh`` and ``jax.nn.sigmoid`` by identity). The
public functions (``relu``, ``tanh``, ``sigmoid``, ``softmax``...) are Keras 3's, with its
signatures and defaults: on arrays and traced values they compute, on a symbolic tensor
of a functional model they record an operation as Keras does
(``keras.activations.relu(t)`` → ``re_lu (ReLU)``; ``tanh`` → ``keras.ops.tanh``...).
``get`` maps each of them back to the plain function, so ``Dense(4,
activation=keras.activations.relu)`` runs exactly as ``activation="relu"``.

Example:
    >>> from rnnlab.activations import get
    >>> get("tanh")(0.0)
    Array(0., dtype=float32, weak_type=True)
    >>> import rnnlab as keras
    >>> t = keras.activations.relu(keras.Input(shape=(3,)))
    >>> type(t.node.layer).__name__, t.node.layer.get_config()["negative_slope"]
    ('ReLU', 0.0)
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from rnnlab.ops import nn as _nn
from rnnlab.ops import numpy as _np
from rnnlab.ops.operation import call_op, define

Activation = Callable[[jax.Array], jax.Array]
Tensor = Any  # an array, a traced value or a KerasTensor

__all__ = [
    "deserialize", "elu", "exponential", "gelu", "get", "hard_sigmoid", "leaky_relu", "linear",
    "log_softmax", "mish", "name_of", "relu", "relu6", "selu", "serialize", "sigmoid", "silu",
    "softmax", "softplus", "softsign", "swish", "tanh",
]  # fmt: skip

_MODULE = "keras.src.activations.activations"


def _relu(x: Any, negative_slope: float = 0.0, max_value: float | None = None, threshold=0.0):
    # Keras 3's ReLU: x above threshold, negative_slope * (x - threshold) below, capped
    x = jnp.asarray(x)
    y = jnp.where(x > threshold, x, negative_slope * (x - threshold) if negative_slope else 0.0)
    return y if max_value is None else jnp.minimum(y, max_value)


def _mish(x: Any) -> jax.Array:
    return x * jnp.tanh(jax.nn.softplus(x))


ReLU = define("ReLU", _MODULE, _relu, __name__, negative_slope=0.0, max_value=None, threshold=0.0)
Mish = define("Mish", _MODULE, _mish, __name__)


def linear(x: Tensor) -> Tensor:
    """Identity: returns ``x`` unchanged (any shape; no operation is recorded)."""
    return x


def relu(
    x: Tensor, negative_slope: float = 0.0, max_value: float | None = None, threshold: float = 0.0
) -> Tensor:
    """``max(x, 0)``; with Keras's options, ``negative_slope * (x - threshold)`` below
    ``threshold`` and at most ``max_value``. Example: ``relu(x, max_value=6.0)``."""
    return call_op(ReLU, x, negative_slope=negative_slope, max_value=max_value, threshold=threshold)


def tanh(x: Tensor) -> Tensor:
    """Hyperbolic tangent element-wise."""
    return _np.tanh(x)


def sigmoid(x: Tensor) -> Tensor:
    """``1 / (1 + exp(-x))`` element-wise."""
    return _nn.sigmoid(x)


def hard_sigmoid(x: Tensor) -> Tensor:
    """Keras 3's hard sigmoid, ``relu6(x + 3) / 6`` element-wise."""
    return _nn.hard_sigmoid(x)


def exponential(x: Tensor) -> Tensor:
    """``exp(x)`` element-wise."""
    return _np.exp(x)


def softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return _nn.softmax(x, axis=axis)


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """``log(softmax(x))`` along ``axis``."""
    return _nn.log_softmax(x, axis=axis)


def softplus(x: Tensor) -> Tensor:
    """``log(1 + exp(x))`` element-wise."""
    return _nn.softplus(x)


def softsign(x: Tensor) -> Tensor:
    """``x / (1 + |x|)`` element-wise."""
    return _nn.softsign(x)


def relu6(x: Tensor) -> Tensor:
    """``min(max(x, 0), 6)`` element-wise."""
    return _nn.relu6(x)


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x >= 0``, else ``negative_slope * x`` (Keras's default slope 0.2)."""
    return _nn.leaky_relu(x, negative_slope=negative_slope)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return _nn.elu(x, alpha=alpha)


def selu(x: Tensor) -> Tensor:
    """Scaled exponential linear unit element-wise."""
    return _nn.selu(x)


def gelu(x: Tensor, approximate: bool = False) -> Tensor:
    """Gaussian error linear unit; exact (erf) by default, as ``keras.activations.gelu``
    (``keras.ops.gelu`` defaults to the tanh approximation)."""
    return _nn.gelu(x, approximate=approximate)


def silu(x: Tensor) -> Tensor:
    """``x * sigmoid(x)`` element-wise (also ``swish``)."""
    return _nn.silu(x)


swish = silu


def mish(x: Tensor) -> Tensor:
    """``x * tanh(softplus(x))`` element-wise."""
    return call_op(Mish, x)


def _hard_sigmoid(x: jax.Array) -> jax.Array:
    return jax.nn.relu6(x + 3.0) / 6.0


# What names resolve to: plain jax functions, with Keras's defaults where jax's differ
# (gelu exact, leaky_relu slope 0.2).
_gelu_exact = functools.partial(jax.nn.gelu, approximate=False)
_leaky_relu = functools.partial(jax.nn.leaky_relu, negative_slope=0.2)

_ACTIVATIONS: dict[str, Activation] = {
    "linear": linear,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "hard_sigmoid": _hard_sigmoid,
    "relu": jax.nn.relu,
    "relu6": jax.nn.relu6,
    "elu": jax.nn.elu,
    "selu": jax.nn.selu,
    "gelu": _gelu_exact,
    "silu": jax.nn.silu,
    "swish": jax.nn.silu,
    "softplus": jax.nn.softplus,
    "softsign": jax.nn.soft_sign,
    "leaky_relu": _leaky_relu,
    "exponential": jnp.exp,
    "softmax": jax.nn.softmax,
    "log_softmax": jax.nn.log_softmax,
    "mish": _mish,
}

# The public functions, resolved by get() to the plain functions layers run.
_PUBLIC: dict[Callable[..., Any], Activation] = {
    relu: jax.nn.relu,
    tanh: jnp.tanh,
    sigmoid: jax.nn.sigmoid,
    hard_sigmoid: _hard_sigmoid,
    exponential: jnp.exp,
    softmax: jax.nn.softmax,
    log_softmax: jax.nn.log_softmax,
    softplus: jax.nn.softplus,
    softsign: jax.nn.soft_sign,
    relu6: jax.nn.relu6,
    leaky_relu: _leaky_relu,
    elu: jax.nn.elu,
    selu: jax.nn.selu,
    gelu: _gelu_exact,
    silu: jax.nn.silu,
    mish: _mish,
}


def _plain(fn: Any) -> Any:
    try:
        return _PUBLIC.get(fn, fn)
    except TypeError:  # an unhashable callable object of the user's
        return fn


def get(identifier: str | Activation | None, *, owner: str = "activation") -> Activation:
    """Resolve a Keras activation name (or ``None`` → linear, or a callable).

    Raises ``ValueError`` naming ``owner`` and the valid names for an unknown name.

    Example:
        >>> get("relu")(-1.0)
        Array(0., dtype=float32, weak_type=True)
        >>> get(relu) is get("relu")
        True
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return _plain(identifier)
    if isinstance(identifier, str) and identifier in _ACTIVATIONS:
        return _ACTIVATIONS[identifier]
    valid = ", ".join(sorted(_ACTIVATIONS))
    raise ValueError(f"{owner}: unknown activation {identifier!r}; expected one of: {valid}")


def name_of(fn: Activation) -> str:
    """The Keras name of an activation function, or its ``__name__``."""
    fn = _plain(fn)
    for name, f in _ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", repr(fn))


def serialize(activation: str | Activation | None) -> str:
    """Keras's ``activations.serialize``: an activation's name, for a layer's ``get_config``
    (``get`` reads it back).

    Example:
        >>> serialize("relu"), serialize(None), get(serialize(jax.nn.sigmoid)) is get("sigmoid")
        ('relu', 'linear', True)
    """
    return name_of(get(activation, owner="activations.serialize"))


def deserialize(name: str | Activation | None) -> Activation:
    """Keras's ``activations.deserialize``: :func:`get`."""
    return get(name, owner="activations.deserialize")
