"""Keras's default weight initializers, as pure functions of a PRNG key.

Each takes ``(key, shape, dtype)`` and returns an array of that shape.
Fan-in and fan-out follow Keras: for a kernel of shape ``(..., in, out)`` the
receptive field is the product of the leading axes.

Example:
    >>> import jax
    >>> w = glorot_uniform(jax.random.key(0), (1, 20))
    >>> w.shape
    (1, 20)
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

Initializer = Callable[..., jax.Array]


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) < 2:
        n = shape[0] if shape else 1
        return n, n
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


def glorot_uniform(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
    """Uniform in ``[-l, l]`` with ``l = sqrt(6 / (fan_in + fan_out))`` (Keras default kernel)."""
    fan_in, fan_out = _fans(shape)
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, shape, dtype, -limit, limit)


def orthogonal(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
    """Orthogonal matrix (Keras default recurrent kernel), gain 1.

    For shape ``(units, k*units)`` the rows are orthonormal, as Keras builds it:
    QR of a normal matrix, signs fixed by the diagonal of R.
    """
    rows = math.prod(shape[:-1])
    cols = shape[-1]
    a = jax.random.normal(key, (max(rows, cols), min(rows, cols)), jnp.float32)
    q, r = jnp.linalg.qr(a)
    q = q * jnp.sign(jnp.diag(r))
    if rows < cols:
        q = q.T
    return q.reshape(shape).astype(dtype)


def zeros(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
    """All zeros (Keras default bias)."""
    del key
    return jnp.zeros(shape, dtype)


def ones(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
    """All ones."""
    del key
    return jnp.ones(shape, dtype)


def constant(value: float) -> Initializer:
    """An initializer filling every entry with ``value`` (handy for tests).

    Example:
        >>> constant(0.5)(None, (2,))
        Array([0.5, 0.5], dtype=float32)
    """

    def init(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
        del key
        return jnp.full(shape, value, dtype)

    return init


def he_uniform(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
    """Uniform in ``[-l, l]`` with ``l = sqrt(6 / fan_in)``."""
    fan_in, _ = _fans(shape)
    limit = math.sqrt(6.0 / fan_in)
    return jax.random.uniform(key, shape, dtype, -limit, limit)


def glorot_normal(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
    """Truncated normal with stddev ``sqrt(2 / (fan_in + fan_out))`` (Keras's variant)."""
    fan_in, fan_out = _fans(shape)
    # Keras divides by the stddev of a unit normal truncated at ±2.
    stddev = math.sqrt(2.0 / (fan_in + fan_out)) / 0.87962566103423978
    return stddev * jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype)


_INITIALIZERS: dict[str, Initializer] = {
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_uniform": he_uniform,
    "orthogonal": orthogonal,
    "zeros": zeros,
    "ones": ones,
}


def get(identifier: str | Initializer, *, owner: str = "initializer") -> Initializer:
    """Resolve an initializer by Keras name, or pass a callable through.

    Example:
        >>> get("orthogonal") is orthogonal
        True
    """
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _INITIALIZERS:
        return _INITIALIZERS[identifier]
    valid = ", ".join(sorted(_INITIALIZERS))
    raise ValueError(f"{owner}: unknown initializer {identifier!r}; expected one of: {valid}")
