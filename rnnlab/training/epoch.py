"""The compiled heart of ``fit``/``evaluate``/``predict``: pure functions over pytrees.

:func:`make_train_epoch` builds one jitted function that runs a whole epoch —
batching, forward, backward and the Optax update for every batch — inside
``lax.scan``, so Python is visited once per epoch. The sample order comes in as
an array from :func:`batch_plan` (drawn with NumPy on the host: a shuffle inside
the compiled epoch cost ~0.15 s of compilation per model and nothing is gained by
compiling it). The last partial batch is padded to the full batch size and its
padding carries weight 0, so every epoch has the same shapes (no recompilation)
while the loss and gradient of the partial batch are exactly the mean over its
real samples, as in Keras.

The model is seen through ``forward(params, x, *, training, key, sample_weight)
-> (pred, mask, updates)``: ``mask`` (or ``None``) marks the output time steps
that count in the loss (several outputs: a list, one mask or ``None`` per output);
``updates`` replaces non-trainable weights after the step (BatchNormalization's moving
statistics).

Example:
    >>> import jax, jax.numpy as jnp, optax
    >>> from rnnlab.training.state import init_state
    >>> fwd = lambda p, x, training=False, key=None, sample_weight=None: (x @ p["w"], None, {})
    >>> loss = lambda y, p: jnp.mean((y - p) ** 2, axis=-1)
    >>> epoch = make_train_epoch(fwd, loss, [], optax.sgd(0.1))
    >>> params = {"w": jnp.zeros((3, 1))}
    >>> state = init_state(params, optax.sgd(0.1).init(params), jax.random.key(0))
    >>> x, y = jnp.ones((10, 3)), jnp.ones((10, 1))
    >>> idx, weights = batch_plan(10, 4, rng=None)
    >>> out = epoch(state, x, y, idx, weights)
    >>> out.loss.shape, int(out.state.epoch), int(out.state.step)
    ((), 1, 3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from rnnlab.training.flat import Flat
from rnnlab.training.sources import TakeFn, take_rows
from rnnlab.training.state import TrainState

ForwardFn = Callable[..., tuple[jax.Array, jax.Array | None, dict]]
PerSampleFn = Callable[[jax.Array, jax.Array], jax.Array]


class EpochResult(NamedTuple):
    """What one compiled epoch returns (all JAX arrays).

    ``state``: the :class:`~rnnlab.training.state.TrainState` after the epoch (its
    ``epoch`` advanced by one, ``step`` by the batches applied); ``loss``: mean
    training loss; ``metrics``: one mean per metric; ``finite``:
    per-batch flags, False where the loss or a gradient was NaN/inf (that
    batch's update and every later one were skipped); ``val``: ``[loss, *metrics]``
    on the validation data after the epoch, or ``None`` without validation data.
    """

    state: TrainState
    loss: jax.Array
    metrics: jax.Array
    finite: jax.Array
    val: jax.Array | None = None


def weighted_sums(
    values: jax.Array, sample_weight: jax.Array, mask: jax.Array | None
) -> tuple[jax.Array, jax.Array]:
    """``(sum of weighted values, sum of weights)`` for a loss's output ``(batch, ...)``.

    Values are weighted by the sample weight ``(batch,)`` and, when given, by the
    time-step mask ``(batch, time)`` — so padded samples and masked steps do not count.
    """
    values = jnp.asarray(values)
    weight = sample_weight.reshape((-1,) + (1,) * (values.ndim - 1))
    if mask is not None and values.ndim >= 2 and values.shape[:2] == mask.shape:
        weight = weight * mask.reshape(mask.shape + (1,) * (values.ndim - 2))
    weight = jnp.broadcast_to(weight, values.shape)
    return jnp.sum(values * weight), jnp.sum(weight)


def reduced_sums(
    fn: PerSampleFn, y: Any, pred: Any, sample_weight: jax.Array, mask: Any
) -> tuple[jax.Array, jax.Array]:
    """``(sum, weight)`` of the loss or metric ``fn`` over a batch, its value ``sum / weight``.

    ``mask``: ``None``, the output's time-step mask, or — a model of several outputs with
    a mask on one of them — a list of masks, one per output (``None`` where unmasked),
    which only ``fn.masked_sums`` can apply: a mask counts within its own output's mean.
    """
    if isinstance(mask, list):
        return fn.masked_sums(y, pred, sample_weight, mask)
    return weighted_sums(fn(y, pred), sample_weight, mask)


def batch_plan(
    n: int, batch_size: int, rng: np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray]:
    """Sample order for one epoch, padded to whole batches (NumPy, on the host).

    ``rng`` shuffles the samples; ``None`` keeps them in order. Returns ``(idx,
    weight)``, each ``(n_batches, batch_size)``: padding slots repeat real
    samples and have weight 0, so every batch has the same shape.

    Example:
        >>> idx, weight = batch_plan(5, 2, rng=None)
        >>> idx.tolist(), weight.tolist()
        ([[0, 1], [2, 3], [4, 0]], [[1.0, 1.0], [1.0, 1.0], [1.0, 0.0]])
    """
    n_batches = -(-n // batch_size)
    order = np.arange(n, dtype=np.int32) if rng is None else rng.permutation(n).astype(np.int32)
    slots = np.arange(n_batches * batch_size)
    idx = order[slots % n]
    weight = (slots < n).astype(np.float32)
    return idx.reshape(n_batches, batch_size), weight.reshape(n_batches, batch_size)


def _all_finite(tree: Any) -> jax.Array:
    leaves = [jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(tree)]
    return jnp.all(jnp.stack(leaves)) if leaves else jnp.array(True)


def _merge(params: dict, updates: dict) -> dict:
    """Copy of ``params`` with the non-trainable ``updates`` (``{layer: {name: value}}``;
    a model used as a layer nests its own layers' updates one level deeper)."""
    if not updates:
        return params
    merged = dict(params)
    for name, values in updates.items():
        old = params[name]
        merged[name] = (
            _merge(old, values)
            if isinstance(values, dict) and any(isinstance(v, dict) for v in values.values())
            else {**old, **values}
        )
    return merged


def _tree_update(tx, params, opt_state, grads, updates):
    """One optimizer step weight by weight: ``(params, opt_state, finite)``."""
    step, new_opt_state = tx.update(grads, opt_state, params)
    new_params = _merge(optax.apply_updates(params, step), updates)
    return new_params, new_opt_state, _all_finite(grads) & _all_finite(new_params)


def _flat_update(tx, packing, params, opt_state, grads, updates):
    """The same step with the gradients and the Optax state as one vector each
    (:mod:`rnnlab.training.flat`); only the final addition is per weight. The new
    weights are finite when the old ones (every kept batch's are) and the step are, so
    finiteness is checked on the two vectors, not per weight."""
    flat_grads = packing.pack(grads)
    step, new_opt_state = tx.update(flat_grads, opt_state, packing.pack(params))
    new_params = _merge(optax.apply_updates(params, packing.unpack(step)), updates)
    finite = jnp.all(jnp.isfinite(flat_grads)) & jnp.all(jnp.isfinite(step))
    return new_params, new_opt_state, finite & _all_finite(updates)


def _metric_sums(metric_fns, y, pred, wb, mask):
    sums = [reduced_sums(m, y, pred, wb, mask) for m in metric_fns]
    if not sums:
        return jnp.zeros((0,)), jnp.zeros((0,))
    return jnp.stack([s for s, _ in sums]), jnp.stack([w for _, w in sums])


def make_train_epoch(
    forward_fn: ForwardFn,
    loss_fn: PerSampleFn,
    metric_fns: Sequence[PerSampleFn],
    tx: optax.GradientTransformation,
    on_batch: Callable[[Any, Any], None] | None = None,
    take: TakeFn = take_rows,
    constrain: Callable[[Any], Any] | None = None,
    out_shardings: Any = None,
    flat: bool = False,
) -> Callable[..., EpochResult]:
    """Build ``epoch(state, x, y, idx, weights, val=None) -> EpochResult``.

    ``state``: a :class:`~rnnlab.training.state.TrainState`; the epoch's dropout key
    is ``fold_in(state.rng, state.epoch)`` (batch ``i``: folded again with ``i``).
    ``x``: ``(n, ...)`` inputs, ``y``: ``(n, ...)`` targets; ``idx`` and
    ``weights``, ``(n_batches, batch_size)``, say which samples make each batch
    (:func:`batch_plan`). ``val``, when given, is
    ``(x_val, y_val, val_idx, val_weights)`` (chunks from :func:`batch_plan`): the
    epoch then also evaluates the trained weights on it, in the same compiled
    program (a separate validation program cost ~0.2 s of compilation). Jitted.
    ``on_batch(loss_sum, weight)``, when given, is called from inside the compiled
    loop after every batch (``jax.debug.callback``) — for a live progress bar only:
    it costs a host round-trip per batch, so ``fit`` uses it just on a terminal.
    ``take(x, y, idx) -> (x_batch, y_batch)`` cuts a batch out of ``x`` and ``y``
    (any pytrees; the rows ``x[idx], y[idx]`` by default) — a
    :class:`~rnnlab.training.sources.Source`'s gather, for data kept compact.
    ``constrain`` and ``out_shardings`` make the data-parallel variant
    (:mod:`rnnlab.distribution`): ``constrain((xb, yb, wb))`` pins every gathered batch
    to be split over the devices, and every output gets ``out_shardings`` (replicated);
    with both ``None`` the program is the single-device one.
    ``flat``: the fast path for an elementwise optimizer and no frozen weights — the
    optimizer's update, its state's keep-or-revert and the finite checks on one vector
    each (:mod:`rnnlab.training.flat`: the same arithmetic in far fewer compiled kernels).
    """

    def batch_loss(params, xb, yb, wb, key):
        pred, mask, updates = forward_fn(params, xb, training=True, key=key, sample_weight=wb)
        total, weight = reduced_sums(loss_fn, yb, pred, wb, mask)
        return total / jnp.maximum(weight, 1e-12), (pred, mask, updates, weight)

    grad_fn = jax.value_and_grad(batch_loss, has_aux=True)
    evaluate_chunks = _chunked_evaluation(forward_fn, loss_fn, metric_fns, take, constrain)

    def epoch(state, x, y, idx, weights, val=None):
        key = jax.random.fold_in(state.rng, state.epoch)
        packing = Flat(state.params) if flat and Flat.applies(state.params) else None

        def body(carry, batch):
            params, opt_state, healthy = carry
            i, bidx, wb = batch
            xb, yb = take(x, y, bidx)
            if constrain is not None:  # each device computes its part of the batch
                xb, yb, wb = constrain((xb, yb, wb))
            (loss, aux), grads = grad_fn(params, xb, yb, wb, jax.random.fold_in(key, i))
            pred, mask, updates, weight = aux
            if on_batch is not None:
                jax.debug.callback(on_batch, loss * weight, weight)
            if packing is None:
                new_params, new_opt_state, finite = _tree_update(
                    tx, params, opt_state, grads, updates
                )
            else:
                new_params, new_opt_state, finite = _flat_update(
                    tx, packing, params, opt_state, grads, updates
                )
            finite = jnp.isfinite(loss) & finite
            # Once a batch is non-finite, keep the last finite weights for the rest.
            keep = healthy & finite
            params, opt_state = jax.tree.map(
                lambda new, old: jnp.where(keep, new, old),
                (new_params, new_opt_state),
                (params, opt_state),
            )
            m_sums, m_weights = _metric_sums(metric_fns, yb, pred, wb, mask)
            return (params, opt_state, keep), (loss * weight, weight, m_sums, m_weights, finite)

        steps = jnp.arange(idx.shape[0])
        opt_state = state.opt_state if packing is None else packing.pack_state(state.opt_state)
        (params, opt_state, _), outs = jax.lax.scan(
            body, (state.params, opt_state, jnp.array(True)), (steps, idx, weights)
        )
        if packing is not None:  # the state outside the epoch keeps its per-weight layout
            opt_state = packing.unpack_state(opt_state, state.opt_state)
        loss_sums, loss_weights, m_sums, m_weights, finite = outs
        applied = jnp.sum(jnp.cumprod(finite.astype(jnp.int32)))  # batches before the first bad
        loss = jnp.sum(loss_sums) / jnp.maximum(jnp.sum(loss_weights), 1e-12)
        metrics = jnp.sum(m_sums, 0) / jnp.maximum(jnp.sum(m_weights, 0), 1e-12)
        val_values = None if val is None else evaluate_chunks(params, *val)
        new_state = TrainState(params, opt_state, state.step + applied, state.epoch + 1, state.rng)
        return EpochResult(new_state, loss, metrics, finite, val_values)

    if out_shardings is not None:
        return jax.jit(epoch, out_shardings=out_shardings, compiler_options=compiler_options())
    return jax.jit(epoch, compiler_options=compiler_options())


def make_evaluate(
    forward_fn: ForwardFn,
    loss_fn: PerSampleFn,
    metric_fns: Sequence[PerSampleFn],
    take: TakeFn = take_rows,
    constrain: Callable[[Any], Any] | None = None,
    out_shardings: Any = None,
) -> Callable[..., jax.Array]:
    """Build the jitted ``evaluate(params, x, y, idx, weights) -> [loss, *metrics]``.

    Weighted means over the chunks ``idx``/``weights`` ``(n_chunks, chunk)`` of
    ``x``/``y`` (:func:`batch_plan` without shuffling: the last chunk padded and
    weighted 0), one chunk per step of a compiled ``lax.scan``. ``constrain`` and
    ``out_shardings``: the data-parallel variant, as in :func:`make_train_epoch`.
    """
    evaluate = _chunked_evaluation(forward_fn, loss_fn, metric_fns, take, constrain)
    if out_shardings is not None:
        return jax.jit(evaluate, out_shardings=out_shardings, compiler_options=compiler_options())
    return jax.jit(evaluate, compiler_options=compiler_options())


def _chunked_evaluation(
    forward_fn: ForwardFn,
    loss_fn: PerSampleFn,
    metric_fns: Sequence[PerSampleFn],
    take: TakeFn,
    constrain: Callable[[Any], Any] | None = None,
) -> Callable[..., jax.Array]:
    """``run(params, x, y, idx, weights) -> [loss, *metrics]``, not jitted: the body of
    :func:`make_evaluate`'s function and of the validation pass in the compiled epoch."""

    def run(params, x, y, idx, weights):
        def body(_, batch):
            bidx, wb = batch
            xb, yb = take(x, y, bidx)
            if constrain is not None:
                xb, yb, wb = constrain((xb, yb, wb))
            pred, mask, _ = forward_fn(params, xb, training=False)
            sums = [reduced_sums(f, yb, pred, wb, mask) for f in [loss_fn, *metric_fns]]
            return None, (jnp.stack([s for s, _ in sums]), jnp.stack([w for _, w in sums]))

        _, (sums, counts) = jax.lax.scan(body, None, (idx, weights))
        return jnp.sum(sums, axis=0) / jnp.maximum(jnp.sum(counts, axis=0), 1e-12)

    return run


def compiler_options() -> dict[str, Any] | None:
    """XLA options for rnnlab's compiled epoch, evaluate and predict functions.

    On CPU, LLVM's default optimization level (3) makes the small per-step loops
    of recurrent layers slower: at level 1 the chapter's six models train 14%
    faster (LSTM 17%) and compile a little faster. Region analysis in copy
    insertion drops copies of loop-carried states, another 7% on the LSTM
    (BENCHMARKS.md). Other backends keep XLA's defaults.

    Example:
        >>> options = compiler_options()
        >>> options is None or options["xla_backend_optimization_level"] == 1
        True
    """
    if jax.default_backend() == "cpu":
        return {
            "xla_backend_optimization_level": 1,
            "xla_cpu_copy_insertion_use_region_analysis": True,
        }
    return None


def bucket_size(n: int, cap: int) -> int:
    """Smallest power of two ≥ ``n``, at most ``cap``: few distinct shapes, few compilations."""
    size = 1
    while size < n and size < cap:
        size *= 2
    return min(size, cap)


def default_chunk(n: int, seq_len: int | None) -> int:
    """Samples per compiled forward pass in evaluate/predict (a power of two).

    At most 512: a chapter LSTM evaluates its 2,000 validation series in 24 ms
    with chunks of 512 and 45 ms with one chunk of 2,048 (each step's arrays stay
    in the core's cache). Long sequences get smaller chunks, 2**17 sample·steps at most.

    Example:
        >>> default_chunk(2000, 50), default_chunk(100, 50), default_chunk(2000, 1000)
        (512, 128, 128)
    """
    budget = max(1, 2**17 // max(seq_len or 1, 1))
    power_of_two = 1 << (budget.bit_length() - 1)
    return bucket_size(n, max(32, min(512, power_of_two)))
