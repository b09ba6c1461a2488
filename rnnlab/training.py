"""The compiled heart of ``fit``/``evaluate``/``predict``: pure functions over pytrees.

:func:`make_train_epoch` builds one jitted function that runs a whole epoch —
shuffling, batching, forward, backward and the Optax update for every batch —
inside ``lax.scan``, so Python is visited once per epoch. The last partial
batch is padded to the full batch size and its padding carries weight 0, so
every epoch has the same shapes (no recompilation) while the loss and gradient
of the partial batch are exactly the mean over its real samples, as in Keras.

Example:
    >>> import jax, jax.numpy as jnp, optax
    >>> apply = lambda p, x, training=False, key=None: x @ p["w"]
    >>> loss = lambda y, p: jnp.mean((y - p) ** 2, axis=-1)
    >>> epoch = make_train_epoch(apply, loss, [], optax.sgd(0.1))
    >>> params = {"w": jnp.zeros((3, 1))}
    >>> x, y = jnp.ones((10, 3)), jnp.ones((10, 1))
    >>> out = epoch(params, optax.sgd(0.1).init(params), x, y, jax.random.key(0), batch_size=4)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

ApplyFn = Callable[..., jax.Array]
PerSampleFn = Callable[[jax.Array, jax.Array], jax.Array]


class EpochResult(NamedTuple):
    """What one compiled epoch returns (all JAX arrays).

    ``loss``: mean training loss over the samples seen; ``metrics``: one mean per
    metric; ``finite``: per-batch flags, False where the loss or a gradient was
    NaN/inf (that batch's update and every later one were skipped).
    """

    params: Any
    opt_state: Any
    loss: jax.Array
    metrics: jax.Array
    finite: jax.Array


def per_sample(values: jax.Array) -> jax.Array:
    """Reduce a loss's output to one value per sample: ``(batch, ...) -> (batch,)``."""
    values = jnp.asarray(values)
    if values.ndim > 1:
        values = values.reshape(values.shape[0], -1).mean(axis=1)
    return values


def batch_indices(key: jax.Array, n: int, batch_size: int, shuffle: bool):
    """Sample order for one epoch, padded to whole batches.

    Returns ``(idx, weight)`` of shape ``(n_batches, batch_size)``; padding
    entries repeat real indices and have weight 0.
    """
    n_batches = -(-n // batch_size)
    order = jax.random.permutation(key, n) if shuffle else jnp.arange(n)
    pad = n_batches * batch_size - n
    idx = jnp.concatenate([order, order[:pad]]) if pad else order
    weight = (jnp.arange(n_batches * batch_size) < n).astype(jnp.float32)
    return idx.reshape(n_batches, batch_size), weight.reshape(n_batches, batch_size)


def _all_finite(tree: Any) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def make_train_epoch(
    apply_fn: ApplyFn,
    loss_fn: PerSampleFn,
    metric_fns: Sequence[PerSampleFn],
    tx: optax.GradientTransformation,
) -> Callable[..., EpochResult]:
    """Build ``epoch(params, opt_state, x, y, key, *, batch_size, shuffle=True)``.

    ``x``: ``(n, ...)`` inputs, ``y``: ``(n, ...)`` targets, ``key``: PRNG key
    for shuffling and dropout. Jitted; ``batch_size`` and ``shuffle`` are static.
    """

    def batch_loss(params, xb, yb, wb, key):
        pred = apply_fn(params, xb, training=True, key=key)
        per = per_sample(loss_fn(yb, pred))
        count = jnp.maximum(jnp.sum(wb), 1.0)
        return jnp.sum(per * wb) / count, pred

    grad_fn = jax.value_and_grad(batch_loss, has_aux=True)

    def epoch(params, opt_state, x, y, key, *, batch_size: int, shuffle: bool = True):
        shuffle_key, step_key = jax.random.split(key)
        idx, weights = batch_indices(shuffle_key, x.shape[0], batch_size, shuffle)

        def body(carry, batch):
            params, opt_state, healthy = carry
            i, bidx, wb = batch
            xb, yb = x[bidx], y[bidx]
            (loss, pred), grads = grad_fn(params, xb, yb, wb, jax.random.fold_in(step_key, i))
            finite = jnp.isfinite(loss) & _all_finite(grads)
            updates, new_opt_state = tx.update(grads, opt_state, params)
            new_params = optax.apply_updates(params, updates)
            # Once a batch is non-finite, keep the last finite weights for the rest.
            keep = healthy & finite
            params, opt_state = jax.tree.map(
                lambda new, old: jnp.where(keep, new, old),
                (new_params, new_opt_state),
                (params, opt_state),
            )
            sums = [jnp.sum(per_sample(m(yb, pred)) * wb) for m in metric_fns]
            count = jnp.sum(wb)
            metric_sums = jnp.stack(sums) if sums else jnp.zeros((0,))
            return (params, opt_state, keep), (loss * count, metric_sums, finite)

        steps = jnp.arange(idx.shape[0])
        (params, opt_state, _), (loss_sums, metric_sums, finite) = jax.lax.scan(
            body, (params, opt_state, jnp.array(True)), (steps, idx, weights)
        )
        n = x.shape[0]
        return EpochResult(
            params, opt_state, jnp.sum(loss_sums) / n, jnp.sum(metric_sums, 0) / n, finite
        )

    return jax.jit(epoch, static_argnames=("batch_size", "shuffle"))


def make_evaluate(
    apply_fn: ApplyFn, loss_fn: PerSampleFn, metric_fns: Sequence[PerSampleFn]
) -> Callable[..., jax.Array]:
    """Build ``evaluate(params, x, y, *, chunk) -> [loss, *metrics]`` (sample means).

    The data is processed ``chunk`` samples at a time inside one compiled
    ``lax.scan``, the last chunk padded and masked.
    """

    def evaluate(params, x, y, *, chunk: int):
        idx, weights = batch_indices(jax.random.key(0), x.shape[0], chunk, shuffle=False)

        def body(_, batch):
            bidx, wb = batch
            xb, yb = x[bidx], y[bidx]
            pred = apply_fn(params, xb, training=False)
            values = [loss_fn, *metric_fns]
            return None, jnp.stack([jnp.sum(per_sample(f(yb, pred)) * wb) for f in values])

        _, sums = jax.lax.scan(body, None, (idx, weights))
        return jnp.sum(sums, axis=0) / x.shape[0]

    return jax.jit(evaluate, static_argnames=("chunk",))


def make_predict(apply_fn: ApplyFn) -> Callable[[Any, jax.Array], jax.Array]:
    """Jitted ``predict(params, x) -> y`` on one chunk (shapes cached by ``jit``)."""
    return jax.jit(partial(apply_fn, training=False))


def bucket_size(n: int, cap: int) -> int:
    """Smallest power of two ≥ ``n``, at most ``cap``: few distinct shapes, few compilations."""
    size = 1
    while size < n and size < cap:
        size *= 2
    return min(size, cap)


def default_chunk(n: int, seq_len: int | None) -> int:
    """Samples per compiled forward pass in evaluate/predict: large for short sequences."""
    per_step_budget = 2**17 // max(seq_len or 1, 1)
    return bucket_size(n, max(32, min(2048, per_step_budget)))
