"""Hand-written LSTM/GRU backward passes against autodiff of the plain cells."""

import jax
import jax.numpy as jnp
import pytest
from jax.test_util import check_grads

from rnnlab.core.cells import GRUCell, LSTMCell, SimpleRNNCell
from rnnlab.core.fused import (
    gru_sequence,
    lstm_sequence,
    reason_unavailable,
    run_cell,
    simple_rnn_sequence,
)
from rnnlab.core.scan import scan

U, B, T = 3, 2, 6


def _normal(i, shape):
    return jax.random.normal(jax.random.key(i), shape, jnp.float64)


def _max_diff(a, b):
    return max(float(jnp.max(jnp.abs(x - y))) for x, y in zip(a, b, strict=True))


def _weighted_sum(outputs):
    # A loss that touches every output, so every cotangent is non-zero.
    return sum(jnp.sum(o * _normal(10 + k, o.shape)) for k, o in enumerate(outputs))


def _check_against_autodiff(fused, reference, args):
    """Values and reverse-mode gradients of ``fused`` equal autodiff of ``reference``."""
    assert _max_diff(fused(*args), reference(*args)) < 1e-12
    argnums = tuple(range(len(args)))
    grad = jax.grad(lambda *a: _weighted_sum(fused(*a)), argnums=argnums)
    grad_ref = jax.grad(lambda *a: _weighted_sum(reference(*a)), argnums=argnums)
    assert _max_diff(grad(*args), grad_ref(*args)) < 1e-12
    check_grads(fused, args, order=1, modes=["rev"])


# The references: autodiff of the plain cell's recur, with its activations given as
# wrappers so that recur computes them the plain way (jax.nn.sigmoid, not the tanh form
# that rnnlab.core.fused shares with the default cells): an independent check of the values.
def _tanh(v):
    return jnp.tanh(v)


def _sigmoid(v):
    return jax.nn.sigmoid(v)


def _lstm_by_autodiff(kernel, xp, h0, c0):
    cell = LSTMCell(U, activation=_tanh, recurrent_activation=_sigmoid)
    (h, c), hs = jax.lax.scan(
        lambda s, x: cell.recur({"recurrent_kernel": kernel}, s, x), (h0, c0), xp
    )
    return hs, h, c


def _gru_by_autodiff(kernel, bias, xp, h0):
    cell = GRUCell(U, activation=_tanh, recurrent_activation=_sigmoid)
    params = {"recurrent_kernel": kernel, "bias": jnp.stack([jnp.zeros_like(bias), bias])}
    h, hs = jax.lax.scan(lambda s, x: cell.recur(params, s, x), h0, xp)
    return hs, h


def test_lstm_sequence_values_and_gradients(x64):
    args = (
        _normal(0, (U, 4 * U)),
        _normal(1, (T, B, 4 * U)),
        _normal(2, (B, U)),
        _normal(3, (B, U)),
    )
    _check_against_autodiff(lstm_sequence, _lstm_by_autodiff, args)


def test_gru_sequence_values_and_gradients(x64):
    args = (
        _normal(4, (U, 3 * U)),
        _normal(5, (3 * U,)),
        _normal(6, (T, B, 3 * U)),
        _normal(7, (B, U)),
    )
    _check_against_autodiff(gru_sequence, _gru_by_autodiff, args)


def _simple_by_autodiff(kernel, xp, h0):
    cell = SimpleRNNCell(U, activation=_tanh)
    h, hs = jax.lax.scan(lambda s, x: cell.recur({"recurrent_kernel": kernel}, s, x), h0, xp)
    return hs, h


def test_simple_rnn_sequence_values_and_gradients(x64):
    args = (_normal(8, (U, U)), _normal(9, (T, B, U)), _normal(2, (B, U)))
    _check_against_autodiff(simple_rnn_sequence, _simple_by_autodiff, args)


@pytest.mark.parametrize(
    "cell", [SimpleRNNCell(U), LSTMCell(U), GRUCell(U)], ids=["simple_rnn", "lstm", "gru"]
)
def test_scan_takes_the_fused_path_only_without_mask(cell):
    params = cell.init(jax.random.key(0), 2)
    xs = jax.random.normal(jax.random.key(1), (B, T, 2))
    assert reason_unavailable(cell) is None
    hs, _ = run_cell(cell, params, cell.initial_carry(B), cell.project(params, xs.swapaxes(0, 1)))
    assert hs.shape == (T, B, U)
    jaxpr = str(jax.make_jaxpr(lambda p: scan(cell, p, xs))(params))
    assert "custom_vjp_call" in jaxpr
    mask = jnp.ones((B, T), bool)
    masked = str(jax.make_jaxpr(lambda p: scan(cell, p, xs, mask=mask))(params))
    assert "custom_vjp_call" not in masked
    plain = str(jax.make_jaxpr(lambda p: scan(cell, p, xs, fused=False))(params))
    assert "custom_vjp_call" not in plain


def test_gru_without_reset_after_or_custom_activations_has_no_fused_path():
    gru = GRUCell(U, reset_after=False)
    assert reason_unavailable(gru) == (
        "reset_after=False (the hand-written pass is for reset_after=True)"
    )
    lstm = LSTMCell(U, recurrent_activation="hard_sigmoid")
    assert reason_unavailable(lstm) == (
        "recurrent_activation='hard_sigmoid' (the hand-written pass is for 'sigmoid')"
    )
    with pytest.raises(ValueError, match="run_cell: no hand-written backward pass for LSTMCell"):
        run_cell(
            lstm, lstm.init(jax.random.key(0), 2), lstm.initial_carry(B), jnp.zeros((T, B, 12))
        )
