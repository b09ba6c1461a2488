"""Matrix products over sequences, in the 2-D form XLA's CPU backend runs fastest.

A product over a ``(time, batch, features)`` array written on the 3-D array is,
for XLA's CPU backend, a different program from the same product on the array
reshaped to ``(time*batch, features)``: for the 3-D form it transposes operands
with slow copies and runs the kernel's gradient (a sum over time and batch) in an
Eigen kernel; the 2-D form goes straight to YNNPACK. In the chapter's recurrent
models that made epochs 7–15% faster (BENCHMARKS.md). The reshapes are free.

Example:
    >>> import jax.numpy as jnp
    >>> matmul_last_axis(jnp.ones((5, 4, 3)), jnp.ones((3, 2))).shape
    (5, 4, 2)
    >>> sum_outer(jnp.ones((5, 4, 3)), jnp.ones((5, 4, 2))).tolist()[0]
    [20.0, 20.0]
"""

from __future__ import annotations

import jax


def matmul_last_axis(x: jax.Array, kernel: jax.Array) -> jax.Array:
    """``x @ kernel`` on the last axis: ``(..., in)`` and ``(in, out)`` → ``(..., out)``."""
    if x.ndim <= 2:
        return x @ kernel
    flat = x.reshape(-1, x.shape[-1]) @ kernel
    return flat.reshape((*x.shape[:-1], kernel.shape[-1]))


def sum_outer(a: jax.Array, b: jax.Array) -> jax.Array:
    """``Σ_i a[i].T @ b[i]`` over every leading axis: ``(..., u)`` and ``(..., g)`` → ``(u, g)``.

    E.g. a recurrent kernel's gradient, summed over time and batch.
    """
    return a.reshape(-1, a.shape[-1]).T @ b.reshape(-1, b.shape[-1])
