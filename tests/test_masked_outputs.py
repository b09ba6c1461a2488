"""Outputs at masked steps, as Keras 3: the previous output, or zeros with zero_output_for_mask."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnlab.core.cells import LSTMCell, SimpleRNNCell
from rnnlab.core.scan import scan
from rnnlab.layers import GRU

MASK = np.array([[True, False, False, True, False]])


def _loop(cell, params, xs, mask):
    """A Python loop written from Keras's rule: a masked step keeps the state and repeats h."""
    carry = cell.initial_carry(1)
    outputs = []
    for t in range(xs.shape[1]):
        new, y = cell(params, carry, xs[:, t])
        if mask[0, t]:
            carry = new
        h = carry[0] if isinstance(carry, tuple) else carry
        outputs.append(np.asarray(y) if mask[0, t] else np.asarray(h))
    return np.stack(outputs, axis=1)


@pytest.mark.parametrize("make", [lambda: SimpleRNNCell(3), lambda: LSTMCell(3)])
def test_a_masked_step_repeats_the_previous_output(make):
    cell = make()
    params = {k: v + 0.3 for k, v in cell.init(jax.random.key(0), 2).items()}
    xs = jnp.asarray(np.random.default_rng(0).normal(size=(1, 5, 2)), jnp.float32)
    ys, _ = scan(cell, params, xs, mask=jnp.asarray(MASK))
    np.testing.assert_allclose(np.asarray(ys), _loop(cell, params, xs, MASK), rtol=1e-6)
    assert np.all(np.asarray(ys)[0, 1] == np.asarray(ys)[0, 0])  # step 1 repeats step 0
    zeros, _ = scan(cell, params, xs, mask=jnp.asarray(MASK), zero_output_for_mask=True)
    assert np.all(np.asarray(zeros)[0, [1, 2, 4]] == 0.0)
    np.testing.assert_array_equal(np.asarray(zeros)[0, [0, 3]], np.asarray(ys)[0, [0, 3]])


def test_the_layer_argument_reaches_the_scan():
    x = np.random.default_rng(1).normal(size=(1, 5, 2)).astype(np.float32)
    for zero in (False, True):
        layer = GRU(3, return_sequences=True, zero_output_for_mask=zero)
        _ = layer(x)  # builds
        y = np.asarray(layer.apply(layer.params, jnp.asarray(x), mask=jnp.asarray(MASK)))
        assert np.all(y[0, 2] == 0.0) == zero
        assert np.all(y[0, 2] == y[0, 0]) != zero


def test_bidirectional_outputs_zeros_at_masked_steps_as_keras_does():
    from rnnlab.layers import LSTM, Bidirectional

    x = np.random.default_rng(2).normal(size=(1, 5, 2)).astype(np.float32)
    layer = Bidirectional(LSTM(3, return_sequences=True))
    _ = layer(x)
    assert layer.forward_layer.zero_output_for_mask and layer.backward_layer.zero_output_for_mask
    y = np.asarray(layer.apply(layer.params, jnp.asarray(x), mask=jnp.asarray(MASK)))
    assert np.all(y[0, [1, 2, 4]] == 0.0) and np.all(y[0, [0, 3]] != 0.0)
