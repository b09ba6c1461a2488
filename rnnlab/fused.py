"""Hand-written backward passes for the built-in SimpleRNN, LSTM and GRU sequences.

Autodiff through ``lax.scan`` saves a dozen small arrays per step and computes
the recurrent-kernel gradient inside the loop. Here the forward loop saves only
the gate activations and states, the backward loop is one fused element-wise
block and one matrix product per step, and the recurrent kernel's gradient is
one matrix product over all steps, after the loop. On XLA's CPU backend this
cuts an LSTM/GRU step's forward+backward time by about a quarter (BENCHMARKS.md).

Used by :func:`rnnlab.recurrent_scan.scan` for the built-in cells with their
default activations when there is no mask and no recurrent dropout; the tests
check values and gradients against autodiff of the plain cell.

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

import jax
import jax.numpy as jnp

from rnnlab.linalg import sum_outer


def _lstm_constants(units: int, dtype) -> tuple[jax.Array, jax.Array]:
    # sigmoid(v) = 0.5 * tanh(v / 2) + 0.5 on i, f, o; plain tanh on the candidate.
    candidate = jnp.arange(4 * units) // units == 2
    scale = jnp.where(candidate, 1.0, 0.5).astype(dtype)
    return scale, jnp.where(candidate, 0.0, 0.5).astype(dtype)


def _shift_in(first: jax.Array, seq: jax.Array) -> jax.Array:
    """``[first, seq[0], …, seq[-2]]``: the previous step's value at every step."""
    return jnp.concatenate([first[None], seq[:-1]], axis=0)


@jax.custom_vjp
def lstm_sequence(recurrent_kernel, xp, h0, c0):
    """LSTM (gates i, f, c, o; sigmoid/tanh) over all steps: ``(hs, h_last, c_last)``."""
    return _lstm_forward(recurrent_kernel, xp, h0, c0)[0]


def _lstm_forward(recurrent_kernel, xp, h0, c0):
    u = h0.shape[-1]
    scale, shift = _lstm_constants(u, xp.dtype)

    def step(carry, x):
        h, c = carry
        a = jnp.tanh((x + h @ recurrent_kernel) * scale) * scale + shift
        c = a[:, u : 2 * u] * c + a[:, :u] * a[:, 2 * u : 3 * u]
        h = a[:, 3 * u :] * jnp.tanh(c)
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
        hp = h @ recurrent_kernel + recurrent_bias
        zr = 0.5 * jnp.tanh(0.5 * (x[:, : 2 * u] + hp[:, : 2 * u])) + 0.5
        hn = hp[:, 2 * u :]
        n = jnp.tanh(x[:, 2 * u :] + zr[:, u:] * hn)
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
        h = jnp.tanh(x + h @ recurrent_kernel)
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
