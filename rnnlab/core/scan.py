"""One scan wrapper serves every cell.

:func:`scan` runs any :class:`~rnnlab.core.cells.Cell` over the time axis. For a
:class:`~rnnlab.core.cells.ProjectedCell` the input projection runs for all steps at
once, outside the loop; for a built-in cell with its default activations and
neither mask nor recurrent dropout, the whole sequence runs with a hand-written
backward pass (:mod:`rnnlab.core.fused`; the ``fused`` argument says whether it may).

Example:
    >>> import jax, jax.numpy as jnp
    >>> from rnnlab.core.cells import GRUCell
    >>> cell = GRUCell(8)
    >>> params = cell.init(jax.random.key(0), input_dim=3)
    >>> ys, carry = scan(cell, params, jnp.ones((4, 10, 3)))
    >>> ys.shape
    (4, 10, 8)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from rnnlab.core import fused as fused_module
from rnnlab.core.cells import Cell, ProjectedCell

Step = Callable[[Any, Any], tuple[Any, Any]]  # (carry, inputs) -> (carry, y)


def scan(
    cell: Cell,
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
    fused: bool | str = "auto",
    zero_output_for_mask: bool = False,
) -> tuple[jax.Array, Any]:
    """Run ``cell`` over the time axis of ``xs`` with ``jax.lax.scan``.

    Args:
        cell: a :class:`~rnnlab.core.cells.Cell`: ``initial_carry(batch_size, dtype)``
            (``dtype`` optional) and a pure step ``cell(params, carry, x) -> (carry, y)``.
            A :class:`~rnnlab.core.cells.ProjectedCell` (the built-in cells are) has its
            input projection computed for all time steps in one matrix product,
            outside the loop.
        params: the cell's parameter pytree.
        xs: inputs, ``(batch, time, features)``.
        initial_carry: starting state; zeros when ``None``.
        return_sequences: return every step's output, else only the last.
        go_backwards: process the sequence from last to first step; outputs
            are then in processing order, as Keras returns them.
        unroll: steps per loop iteration (``lax.scan``'s ``unroll``).
        mask: ``(batch, time)`` booleans; at a False step the carry is left unchanged
            and the output repeats the previous one, as Keras 3 does (taken, as Keras
            takes it, to be the carry's first array — ``h`` of the built-in cells — or
            zeros when that has another shape); the last output skips it.
        recurrent_mask: ``(batch, units)`` passed to ``cell.recur`` (recurrent dropout).
        remat_segment: when given, run the time axis in segments of this many steps,
            each recomputed in the backward pass (``jax.checkpoint``): the gradient
            keeps one carry per segment and one segment's intermediates at a time.
            Same outputs and gradients; see :mod:`rnnlab.core.remat`.
        fused: ``"auto"``: use the hand-written backward pass of :mod:`rnnlab.core.fused`
            when it can run (see :func:`rnnlab.core.fused.reason_unavailable`; a mask or a
            recurrent mask means the plain loop); ``True``: require it (``ValueError``
            with the reason when it cannot run); ``False``: always the plain loop.
        zero_output_for_mask: output zeros at masked steps instead (Keras's argument).

    Returns:
        ``(outputs, carry)``: ``outputs`` is ``(batch, time, units)`` when
        ``return_sequences``, else the last step's output ``(batch, units)``.
    """
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
            fused=fused,
            zero_output_for_mask=zero_output_for_mask,
        )
    carry = _initial_carry(cell, xs.shape[0], xs.dtype) if initial_carry is None else initial_carry
    seq, steps_mask = _time_major(xs, mask, go_backwards)
    if isinstance(cell, ProjectedCell):
        seq = cell.project(params, seq)
    if use_fused(
        cell, fused, masked=mask is not None, recurrent_dropout=recurrent_mask is not None
    ):
        ys, carry = fused_module.run_cell(cell, params, carry, seq)
        return (jnp.swapaxes(ys, 0, 1) if return_sequences else ys[-1]), carry
    step = _step_function(cell, params, recurrent_mask)
    if steps_mask is not None:
        step, seq = _masked(step, zero_output_for_mask), (seq, steps_mask)
    if return_sequences:
        carry, ys = jax.lax.scan(step, carry, seq, unroll=unroll)
        return jnp.swapaxes(ys, 0, 1), carry
    return _scan_keeping_last(step, carry, seq, unroll, masked=steps_mask is not None)


def use_fused(cell: Any, fused: bool | str, *, masked: bool, recurrent_dropout: bool) -> bool:
    """Whether :func:`scan` runs ``cell`` with the hand-written backward pass.

    ``fused`` is ``"auto"``, ``True`` or ``False`` (see :func:`scan`); with ``True``
    a cell or call that cannot use it raises ``ValueError`` saying why.

    Example:
        >>> from rnnlab.core.cells import LSTMCell
        >>> use_fused(LSTMCell(4), "auto", masked=True, recurrent_dropout=False)
        False
        >>> use_fused(LSTMCell(4, activation="relu"), True, masked=False, recurrent_dropout=False)
        Traceback (most recent call last):
        ...
        ValueError: scan: fused=True, but the hand-written backward pass cannot run: \
activation='relu' (the hand-written pass is for 'tanh')
    """
    if fused is False:
        return False
    if fused is not True and fused != "auto":
        raise ValueError(f"scan: fused must be True, False or 'auto', got {fused!r}")
    reason = fused_module.reason_unavailable(
        cell, masked=masked, recurrent_dropout=recurrent_dropout
    )
    if reason is not None and fused is True:
        raise ValueError(
            f"scan: fused=True, but the hand-written backward pass cannot run: {reason}"
        )
    return reason is None


def _time_major(
    xs: jax.Array, mask: jax.Array | None, go_backwards: bool
) -> tuple[jax.Array, jax.Array | None]:
    """``xs (batch, time, ...)`` and ``mask (batch, time)`` as ``(time, batch, ...)``,
    reversed in time when ``go_backwards``."""
    seq = jnp.swapaxes(xs, 0, 1)
    steps_mask = None if mask is None else jnp.swapaxes(mask, 0, 1)
    if go_backwards:
        seq = seq[::-1]
        steps_mask = None if steps_mask is None else steps_mask[::-1]
    return seq, steps_mask


def _step_function(cell: Any, params: Any, recurrent_mask: jax.Array | None) -> Step:
    """The loop body ``(carry, x) -> (carry, y)``: ``cell.recur`` on projected input for a
    :class:`~rnnlab.core.cells.ProjectedCell` (with the recurrent mask), else the cell itself."""
    if not isinstance(cell, ProjectedCell):
        return lambda carry, x: cell(params, carry, x)
    if recurrent_mask is None:
        return lambda carry, xp: cell.recur(params, carry, xp)
    return lambda carry, xp: cell.recur(params, carry, xp, recurrent_mask)


def _masked(step: Step, zero_output: bool) -> Step:
    """``step`` on ``(x, m)`` inputs: where ``m (batch,)`` is False the carry is kept and
    the output is the previous one (see :func:`scan`), or zero with ``zero_output``."""

    def masked_step(carry, inputs):
        x, m = inputs
        new_carry, y = step(carry, x)
        keep = m[:, None]
        previous = jax.tree.leaves(carry)[0]
        if zero_output or previous.shape != y.shape:
            previous = jnp.zeros_like(y)
        new_carry = jax.tree.map(lambda n, o: jnp.where(keep, n, o), new_carry, carry)
        return new_carry, jnp.where(keep, y, previous)

    return masked_step


def _scan_keeping_last(
    step: Step, carry: Any, inputs: Any, unroll: int, *, masked: bool
) -> tuple[jax.Array, Any]:
    """Run ``step`` over ``inputs`` keeping only the last output in the loop state, instead
    of stacking every step's: ``(y_last, carry)``. When ``masked`` (inputs are ``(x, m)``)
    the last output is that of the last unmasked step (zeros if there is none)."""
    first = jax.tree.map(lambda a: a[0], inputs)
    y_spec = jax.eval_shape(step, carry, first)[1]
    y0 = jnp.zeros(y_spec.shape, y_spec.dtype)

    def last_step(state, inp):
        c, y_prev = state
        c, y = step(c, inp)
        if masked:
            y = jnp.where(inp[1][:, None], y, y_prev)
        return (c, y), None

    (carry, y_last), _ = jax.lax.scan(last_step, (carry, y0), inputs, unroll=unroll)
    return y_last, carry


def _initial_carry(cell: Any, batch: int, dtype: Any) -> Any:
    """``cell.initial_carry(batch, dtype=dtype)``, or ``(batch)`` for a custom cell whose
    ``initial_carry`` has no ``dtype`` parameter (decided from its signature, so an
    error raised inside it reaches the caller unchanged)."""
    if _accepts_dtype(cell.initial_carry):
        return cell.initial_carry(batch, dtype=dtype)
    return cell.initial_carry(batch)


def _accepts_dtype(method: Callable) -> bool:
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):  # no signature to read (some builtins): pass dtype
        return True
    try:
        signature.bind(1, dtype=None)
    except TypeError:
        return False
    return True


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
    fused,
    zero_output_for_mask,
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
            fused=fused,
            zero_output_for_mask=zero_output_for_mask,
        )
        return carry, out

    def run(carry, part_xs, part_mask):
        return checkpointed(params, recurrent_mask, carry, part_xs, part_mask)

    n = steps // segment
    parts = (_split(xs, n, segment), None if mask is None else _split(mask, n, segment))
    if return_sequences:
        carry, outs = jax.lax.scan(lambda c, p: run(c, *p), initial_carry, parts)
        outs = jnp.swapaxes(outs, 0, 1).reshape((batch, n * segment, *outs.shape[3:]))
    else:
        y_spec = jax.eval_shape(run, initial_carry, xs[:, :1], None)[1]
        y0 = jnp.zeros(y_spec.shape, y_spec.dtype)

        def body(state, p):
            carry, y_prev = state
            carry, y = run(carry, *p)
            return (carry, _merge_last(y_prev, y, p[1])), None

        (carry, outs), _ = jax.lax.scan(body, (initial_carry, y0), parts)
    if n * segment < steps:  # the remaining steps: one more, shorter segment
        tail_mask = None if mask is None else mask[:, n * segment :]
        carry, tail = run(carry, xs[:, n * segment :], tail_mask)
        if return_sequences:
            outs = jnp.concatenate([outs, tail], axis=1)
        else:
            outs = _merge_last(outs, tail, tail_mask)
    return outs, carry


def _split(a: jax.Array, n: int, segment: int) -> jax.Array:
    """``(batch, n*segment + rest, ...)`` → ``(n, batch, segment, ...)`` (the rest dropped)."""
    batch = a.shape[0]
    a = a[:, : n * segment].reshape((batch, n, segment, *a.shape[2:]))
    return jnp.swapaxes(a, 0, 1)


def _merge_last(y_prev: jax.Array, y: jax.Array, part_mask: jax.Array | None) -> jax.Array:
    """A segment's last output, or ``y_prev`` where all of the segment's steps are masked."""
    if part_mask is None:
        return y
    return jnp.where(jnp.any(part_mask, axis=1)[:, None], y, y_prev)
