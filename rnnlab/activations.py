"""Activation functions by Keras name.

Example:
    >>> from rnnlab.activations import get
    >>> get("tanh")(0.0)
    Array(0., dtype=float32, weak_type=True)
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

Activation = Callable[[jax.Array], jax.Array]


def linear(x: jax.Array) -> jax.Array:
    """Identity: returns ``x`` unchanged (any shape)."""
    return x


def hard_sigmoid(x: jax.Array) -> jax.Array:
    """Keras 3's hard sigmoid, ``relu6(x + 3) / 6`` (any shape)."""
    return jax.nn.relu6(x + 3.0) / 6.0


def exponential(x: jax.Array) -> jax.Array:
    """``exp(x)`` elementwise (any shape)."""
    return jnp.exp(x)


_ACTIVATIONS: dict[str, Activation] = {
    "linear": linear,
    "tanh": jnp.tanh,
    "sigmoid": jax.nn.sigmoid,
    "hard_sigmoid": hard_sigmoid,
    "relu": jax.nn.relu,
    "relu6": jax.nn.relu6,
    "elu": jax.nn.elu,
    "selu": jax.nn.selu,
    "gelu": jax.nn.gelu,
    "silu": jax.nn.silu,
    "swish": jax.nn.silu,
    "softplus": jax.nn.softplus,
    "softsign": jax.nn.soft_sign,
    "leaky_relu": jax.nn.leaky_relu,
    "exponential": exponential,
    "softmax": jax.nn.softmax,
}


def get(identifier: str | Activation | None, *, owner: str = "activation") -> Activation:
    """Resolve a Keras activation name (or ``None`` → linear, or a callable).

    Raises ``ValueError`` naming ``owner`` and the valid names for an unknown name.

    Example:
        >>> get("relu")(-1.0)
        Array(0., dtype=float32, weak_type=True)
    """
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _ACTIVATIONS:
        return _ACTIVATIONS[identifier]
    valid = ", ".join(sorted(_ACTIVATIONS))
    raise ValueError(f"{owner}: unknown activation {identifier!r}; expected one of: {valid}")


def name_of(fn: Activation) -> str:
    """The Keras name of an activation function, or its ``__name__``."""
    for name, f in _ACTIVATIONS.items():
        if f is fn:
            return name
    return getattr(fn, "__name__", repr(fn))
