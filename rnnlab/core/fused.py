"""Hand-written backward passes for the built-in SimpleRNN, LSTM and GRU sequences.

Autodiff through ``lax.scan`` saves a dozen small arrays per step and computes
the recurrent-kernel gradient inside the loop. Here the forward loop saves only
the gate activations and states, the backward loop is one fused element-wise
block and one matrix product per step, and the recurrent kernel's gradient is
one matrix product over all steps, after the loop. On XLA's CPU backend this
cuts an LSTM/GRU step's forward+backward time by about a quarter (BENCHMARKS.md).

The forward loops run the cells' own step functions (:func:`rnnlab.core.cells.simple_rnn_step`,
:func:`~rnnlab.core.cells.lstm_step`, :func:`~rnnlab.core.cells.gru_gates`), so the arithmetic
is written once; the tests check values and gradients against autodiff of the
plain cell.

Which cells can run here: :func:`reason_unavailable` says why not (``None``: they
can); :func:`run_cell` runs one. :func:`rnnlab.core.scan.scan` uses them with
``fused="auto"`` (its default), as the layers' ``fused`` argument does.

Shapes: ``xp`` is the projected input, time-major ``(time, batch, gates*units)``;
states are ``(batch, units)``; outputs ``hs`` are ``(time, batch, units)``.

Example:
    >>> import jax, jax.numpy as jnp
    >>> u = jnp.zeros((4, 16)); xp = jnp.ones((5, 2, 16)); h0 = jnp.zeros((2, 4))
    >>> hs, h, c = lstm_sequence(u, xp, h0, h0)
    >>> hs.shape
    (5, 2, 4)
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from rnnlab import activations
from rnnlab.core.cells import (
    GRUCell,
    LSTMCell,
    SimpleRNNCell,
    fast_sigmoid,
    gru_gates,
    is_sigmoid,
    is_tanh,
    lstm_gate_constants,
    lstm_step,
    simple_rnn_step,
)
from rnnlab.core.linalg import sum_outer

BUILTIN = (SimpleRNNCell, LSTMCell, GRUCell)
"""The cell types with a hand-written backward pass (exactly these types, not subclasses)."""


def _name(activation: Any) -> str:
    return activations.name_of(activations.get(activation))


def reason_unavailable(
    cell: Any, *, masked: bool = False, recurrent_dropout: bool = False
) -> str | None:
    """Why ``cell``'s sequence cannot run with a hand-written backward pass, or ``None``.

    It can for a :data:`BUILTIN` cell with ``activation`` tanh, ``recurrent_activation``
    sigmoid (compared by resolved function: ``"tanh"`` and ``jnp.tanh`` are the same)
    and, for the GRU, ``reset_after=True``; and neither a mask (``masked``) nor a
    recurrent-dropout mask (``recurrent_dropout``), which need the per-step loop.

    Example:
        >>> reason_unavailable(LSTMCell(4)) is None
        True
        >>> reason_unavailable(GRUCell(4, reset_after=False))
        'reset_after=False (the hand-written pass is for reset_after=True)'
        >>> reason_unavailable(SimpleRNNCell(4, activation="relu"), masked=True)
        "activation='relu' (the hand-written pass is for 'tanh')"
    """
    kind = type(cell)
    if kind not in BUILTIN:
        return f"the cell {kind.__name__} is not a built-in SimpleRNNCell, LSTMCell or GRUCell"
    if not is_tanh(cell.activation):
        return f"activation={_name(cell.activation)!r} (the hand-written pass is for 'tanh')"
    recurrent = getattr(cell, "recurrent_activation", "sigmoid")
    if not is_sigmoid(recurrent):
        return f"recurrent_activation={_name(recurrent)!r} (the hand-written pass is for 'sigmoid')"
    if kind is GRUCell and not cell.reset_after:
        return "reset_after=False (the hand-written pass is for reset_after=True)"
    if masked:
        return "the input has a mask (masked steps need the per-step loop)"
    if recurrent_dropout:
        return "recurrent dropout is on (it needs the per-step loop)"
    return None


def run_cell(cell: Any, params: dict, carry: Any, xp: jax.Array) -> tuple[jax.Array, Any]:
    """All steps of a built-in ``cell`` on projected input ``xp (time, batch, gates*units)``:
    ``(hs (time, batch, units), final carry)``. Needs ``reason_unavailable(cell) is None``.

    Example:
        >>> cell = GRUCell(4)
        >>> params = cell.init(jax.random.key(0), 2)
        >>> xp = cell.project(params, jnp.ones((5, 3, 2)))
        >>> hs, h = run_cell(cell, params, cell.initial_carry(3), xp)
        >>> hs.shape, h.shape
        ((5, 3, 4), (3, 4))
    """
    reason = reason_unavailable(cell)
    if reason is not None:
        raise ValueError(f"run_cell: no hand-written backward pass for {cell!r}: {reason}")
    kernel = params["recurrent_kernel"]
    if type(cell) is SimpleRNNCell:
        return simple_rnn_sequence(kernel, xp, carry)
    if type(cell) is LSTMCell:
        hs, h, c = lstm_sequence(kernel, xp, *carry)
        return hs, (h, c)
    bias = params["bias"][1] if cell.use_bias else jnp.zeros(kernel.shape[1], kernel.dtype)
    return gru_sequence(kernel, bias, xp, carry)


def _shift_in(first: jax.Array, seq: jax.Array) -> jax.Array:
    """``[first, seq[0], …, seq[-2]]``: the previous step's value at every step."""
    return jnp.concatenate([first[None], seq[:-1]], axis=0)


@jax.custom_vjp
def lstm_sequence(recurrent_kernel, xp, h0, c0):
    """LSTM (gates i, f, c, o; sigmoid/tanh) over all steps: ``(hs, h_last, c_last)``."""
    return _lstm_forward(recurrent_kernel, xp, h0, c0)[0]


def _lstm_forward(recurrent_kernel, xp, h0, c0):
    scale, shift = lstm_gate_constants(h0.shape[-1], xp.dtype)

    def step(carry, x):
        (h, c), a = lstm_step(recurrent_kernel, carry, x, scale, shift)
        return (h, c), (h, c, a)

    (h, c), (hs, cs, acts) = jax.lax.scan(step, (h0, c0), xp)
    return (hs, h, c), (recurrent_kernel, hs, cs, acts, h0, c0)


def _lstm_backward(saved, cotangents):
    recurrent_kernel, hs, cs, acts, h0, c0 = saved
    d_hs, d_h, d_c = cotangents
    u = h0.shape[-1]
    kernel_t = recurrent_kernel.T

    def step(carry, inputs):
        dh, dc = carry
        a, c, c_prev, dy = inputs
        i, f, g, o = a[:, :u], a[:, u : 2 * u], a[:, 2 * u : 3 * u], a[:, 3 * u :]
        dh = dh + dy
        tanh_c = jnp.tanh(c)
        dc = dc + dh * o * (1.0 - tanh_c * tanh_c)
        dz = jnp.concatenate(
            [
                dc * g * i * (1.0 - i),
                dc * c_prev * f * (1.0 - f),
                dc * i * (1.0 - g * g),
                dh * tanh_c * o * (1.0 - o),
            ],
            axis=-1,
        )
        return (dz @ kernel_t, dc * f), dz

    (dh0, dc0), dzs = jax.lax.scan(
        step, (d_h, d_c), (acts, cs, _shift_in(c0, cs), d_hs), reverse=True
    )
    d_kernel = sum_outer(_shift_in(h0, hs), dzs)
    return d_kernel, dzs, dh0, dc0


lstm_sequence.defvjp(_lstm_forward, _lstm_backward)


@jax.custom_vjp
def gru_sequence(recurrent_kernel, recurrent_bias, xp, h0):
    """GRU with ``reset_after=True`` (gates z, r, h; sigmoid/tanh): ``(hs, h_last)``."""
    return _gru_forward(recurrent_kernel, recurrent_bias, xp, h0)[0]


def _gru_forward(recurrent_kernel, recurrent_bias, xp, h0):
    u = h0.shape[-1]

    def step(h, x):
        zr, n, hn = gru_gates(h @ recurrent_kernel + recurrent_bias, x, jnp.tanh, fast_sigmoid)
        # = z * h + (1 - z) * n (GRUCell.recur), one product less
        h = n + zr[:, :u] * (h - n)
        return h, (h, zr, n, hn)

    h, (hs, zrs, ns, hns) = jax.lax.scan(step, h0, xp)
    return (hs, h), (recurrent_kernel, hs, zrs, ns, hns, h0)


def _gru_backward(saved, cotangents):
    recurrent_kernel, hs, zrs, ns, hns, h0 = saved
    d_hs, d_h = cotangents
    u = h0.shape[-1]
    kernel_t = recurrent_kernel.T

    def step(dh, inputs):
        zr, n, hn, h_prev, dy = inputs
        z, r = zr[:, :u], zr[:, u:]
        dh = dh + dy
        dn = dh * (1.0 - z) * (1.0 - n * n)
        dz = dh * (h_prev - n) * z * (1.0 - z)
        dr = dn * hn * r * (1.0 - r)
        dhp = jnp.concatenate([dz, dr, dn * r], axis=-1)
        dxp = jnp.concatenate([dz, dr, dn], axis=-1)
        return dh * z + dhp @ kernel_t, (dxp, dhp)

    h_prev = _shift_in(h0, hs)
    dh0, (dxps, dhps) = jax.lax.scan(step, d_h, (zrs, ns, hns, h_prev, d_hs), reverse=True)
    d_kernel = sum_outer(h_prev, dhps)
    return d_kernel, jnp.sum(dhps, axis=(0, 1)), dxps, dh0


gru_sequence.defvjp(_gru_forward, _gru_backward)


@jax.custom_vjp
def simple_rnn_sequence(recurrent_kernel, xp, h0):
    """``h_t = tanh(xp_t + h_{t-1} @ U)`` over all steps: ``(hs, h_last)``."""
    return _simple_forward(recurrent_kernel, xp, h0)[0]


def _simple_forward(recurrent_kernel, xp, h0):
    def step(h, x):
        h = simple_rnn_step(recurrent_kernel, h, x)
        return h, h

    h, hs = jax.lax.scan(step, h0, xp)
    return (hs, h), (recurrent_kernel, hs, h0)


def _simple_backward(saved, cotangents):
    recurrent_kernel, hs, h0 = saved
    d_hs, d_h = cotangents
    kernel_t = recurrent_kernel.T

    def step(dh, inputs):
        h, dy = inputs
        d_pre = (dh + dy) * (1.0 - h * h)
        return d_pre @ kernel_t, d_pre

    dh0, d_pres = jax.lax.scan(step, d_h, (hs, d_hs), reverse=True)
    d_kernel = sum_outer(_shift_in(h0, hs), d_pres)
    return d_kernel, d_pres, dh0


simple_rnn_sequence.defvjp(_simple_forward, _simple_backward)
