"""One scan wrapper serves every cell.

Example:
    >>> import jax, jax.numpy as jnp
    >>> from rnnlab.cells import GRUCell
    >>> cell = GRUCell(8)
    >>> params = cell.init(jax.random.key(0), input_dim=3)
    >>> ys, carry = scan(cell, params, jnp.ones((4, 10, 3)))
    >>> ys.shape
    (4, 10, 8)
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp


def scan(
    cell: Any,
    params: Any,
    xs: jax.Array,
    *,
    initial_carry: Any = None,
    return_sequences: bool = True,
    go_backwards: bool = False,
    unroll: int = 1,
    mask: jax.Array | None = None,
    recurrent_mask: jax.Array | None = None,
    remat_segment: int | None = None,
) -> tuple[jax.Array, Any]:
    """Run ``cell`` over the time axis of ``xs`` with ``jax.lax.scan``.

    Args:
        cell: any object with ``initial_carry(batch)`` and a pure step
            ``cell(params, carry, x) -> (carry, y)``. If it also has
            ``project``/``recur`` (the built-in cells do), the input projection
            is computed for all time steps in one matrix product, outside the loop.
        params: the cell's parameter pytree.
        xs: inputs, ``(batch, time, features)``.
        initial_carry: starting state; zeros when ``None``.
        return_sequences: return every step's output, else only the last.
        go_backwards: process the sequence from last to first step; outputs
            are then in processing order, as Keras returns them.
        unroll: steps per loop iteration (``lax.scan``'s ``unroll``).
        mask: ``(batch, time)`` booleans; at a False step the carry is left
            unchanged and the output is zero (the last output skips it).
        recurrent_mask: ``(batch, units)`` passed to ``cell.recur`` (recurrent dropout).
        remat_segment: when given, run the time axis in segments of this many steps,
            each recomputed in the backward pass (``jax.checkpoint``): the gradient
            keeps one carry per segment and one segment's intermediates at a time.
            Same outputs and gradients; see :mod:`rnnlab.remat`.

    Returns:
        ``(outputs, carry)``: ``outputs`` is ``(batch, time, units)`` when
        ``return_sequences``, else the last step's output ``(batch, units)``.
    """
    batch = xs.shape[0]
    if remat_segment is not None and xs.shape[1] > remat_segment:
        return _scan_in_segments(
            cell,
            params,
            xs,
            segment=remat_segment,
            initial_carry=initial_carry,
            return_sequences=return_sequences,
            go_backwards=go_backwards,
            unroll=unroll,
            mask=mask,
            recurrent_mask=recurrent_mask,
        )
    carry = _initial_carry(cell, batch, xs.dtype) if initial_carry is None else initial_carry
    seq = jnp.swapaxes(xs, 0, 1)  # time-major for the loop
    steps_mask = None if mask is None else jnp.swapaxes(mask, 0, 1)
    if go_backwards:
        seq = seq[::-1]
        steps_mask = None if steps_mask is None else steps_mask[::-1]
    if hasattr(cell, "project") and hasattr(cell, "recur"):
        seq = cell.project(params, seq)
        if steps_mask is None and recurrent_mask is None and hasattr(cell, "run_sequence"):
            fast = cell.run_sequence(params, carry, seq)
            if fast is not None:  # built-in cell with a hand-written backward pass
                ys, carry = fast
                return (jnp.swapaxes(ys, 0, 1) if return_sequences else ys[-1]), carry
        if recurrent_mask is None:
            step_fn = cell.recur
        else:

            def step_fn(p, c, x):
                return cell.recur(p, c, x, recurrent_mask)
    else:
        step_fn = cell

    def plain_step(c, x):
        return step_fn(params, c, x)

    if steps_mask is None:
        step, inputs = plain_step, seq
    else:

        def step(c, inp):
            x, m = inp
            new_c, y = plain_step(c, x)
            keep = m[:, None]
            new_c = jax.tree.map(lambda n, o: jnp.where(keep, n, o), new_c, c)
            return new_c, jnp.where(keep, y, 0.0)

        inputs = (seq, steps_mask)

    if return_sequences:
        carry, ys = jax.lax.scan(step, carry, inputs, unroll=unroll)
        return jnp.swapaxes(ys, 0, 1), carry

    # Only the last output is wanted: keep it in the loop state instead of
    # stacking every step's output.
    first = jax.tree.map(lambda a: a[0], inputs)
    y_spec = jax.eval_shape(step, carry, first)[1]
    y0 = jnp.zeros(y_spec.shape, y_spec.dtype)

    def last_step(state, inp):
        c, y_prev = state
        c, y = step(c, inp)
        if steps_mask is not None:
            y = jnp.where(inp[1][:, None], y, y_prev)
        return (c, y), None

    (carry, y_last), _ = jax.lax.scan(last_step, (carry, y0), inputs, unroll=unroll)
    return y_last, carry


def _initial_carry(cell: Any, batch: int, dtype: Any) -> Any:
    try:
        return cell.initial_carry(batch, dtype=dtype)
    except TypeError:  # a custom cell without the dtype argument
        return cell.initial_carry(batch)


def _scan_in_segments(
    cell,
    params,
    xs,
    *,
    segment,
    initial_carry,
    return_sequences,
    go_backwards,
    unroll,
    mask,
    recurrent_mask,
):
    """:func:`scan` over consecutive time segments, each one under ``jax.checkpoint``.

    An outer ``lax.scan`` carries the state (and the last output) from segment to
    segment, so the backward pass keeps only those per segment and recomputes one
    segment's forward at a time. A last shorter segment takes the remaining steps.
    """
    if go_backwards:  # reverse once here; the segments then run forwards
        xs = xs[:, ::-1]
        mask = None if mask is None else mask[:, ::-1]
    batch, steps = xs.shape[:2]
    if initial_carry is None:
        initial_carry = _initial_carry(cell, batch, xs.dtype)

    # Parameters and dropout mask are arguments, not closed over: the gradient
    # with respect to them flows through the checkpoint like any input's.
    @jax.checkpoint
    def checkpointed(params, recurrent_mask, carry, part_xs, part_mask):
        out, carry = scan(
            cell,
            params,
            part_xs,
            initial_carry=carry,
            return_sequences=return_sequences,
            unroll=unroll,
            mask=part_mask,
            recurrent_mask=recurrent_mask,
        )
        return carry, out

    def run(carry, part_xs, part_mask):
        return checkpointed(params, recurrent_mask, carry, part_xs, part_mask)

    def split(a):  # (batch, n*segment, ...) -> (n, batch, segment, ...)
        a = a[:, : n * segment].reshape((batch, n, segment, *a.shape[2:]))
        return jnp.swapaxes(a, 0, 1)

    def merge_last(y_prev, y, part_mask):
        # the last output of a segment whose steps are all masked is the one before it
        if part_mask is None:
            return y
        return jnp.where(jnp.any(part_mask, axis=1)[:, None], y, y_prev)

    n = steps // segment
    parts = (split(xs), None if mask is None else split(mask))
    if return_sequences:
        carry, outs = jax.lax.scan(lambda c, p: run(c, *p), initial_carry, parts)
        outs = jnp.swapaxes(outs, 0, 1).reshape((batch, n * segment, *outs.shape[3:]))
    else:
        y_spec = jax.eval_shape(run, initial_carry, xs[:, :1], None)[1]
        y0 = jnp.zeros(y_spec.shape, y_spec.dtype)

        def body(state, p):
            carry, y_prev = state
            carry, y = run(carry, *p)
            return (carry, merge_last(y_prev, y, p[1])), None

        (carry, outs), _ = jax.lax.scan(body, (initial_carry, y0), parts)
    if n * segment < steps:  # the remaining steps: one more, shorter segment
        tail_mask = None if mask is None else mask[:, n * segment :]
        carry, tail = run(carry, xs[:, n * segment :], tail_mask)
        if return_sequences:
            outs = jnp.concatenate([outs, tail], axis=1)
        else:
            outs = merge_last(outs, tail, tail_mask)
    return outs, carry
