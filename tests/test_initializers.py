"""Tests for rnnlab.initializers: distributions, reproducibility from the key, and the
same values whether called eagerly, under jit or under vmap."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnlab import initializers
from rnnlab.core.cells import LSTMCell

RANDOM = ["glorot_uniform", "glorot_normal", "he_uniform", "orthogonal"]


@pytest.mark.parametrize("name", RANDOM)
def test_same_key_same_values_other_key_other_values(name):
    init = initializers.get(name)
    a = np.asarray(init(jax.random.key(7), (20, 80)))
    b = np.asarray(init(jax.random.key(7), (20, 80)))
    c = np.asarray(init(jax.random.key(8), (20, 80)))
    assert a.shape == (20, 80) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("name", RANDOM)
def test_jit_and_vmap_give_the_eager_values(name):
    init = initializers.get(name)
    keys = jax.random.split(jax.random.key(3), 3)
    eager = np.stack([np.asarray(init(k, (6, 12))) for k in keys])
    jitted = np.asarray(jax.jit(lambda k: init(k, (6, 12)))(keys[1]))
    mapped = np.asarray(jax.vmap(lambda k: init(k, (6, 12)))(keys))
    np.testing.assert_array_equal(jitted, eager[1])
    np.testing.assert_array_equal(mapped, eager)


def test_values_follow_the_key_bits_through_numpy():
    # The documented recipe: a NumPy generator seeded by the key's bits.
    key = jax.random.key(11)
    limit = math.sqrt(6.0 / (3 + 5))
    expected = initializers.key_rng(key).uniform(-limit, limit, (3, 5)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(initializers.glorot_uniform(key, (3, 5))), expected)
    raw = jax.random.key_data(key)  # an old-style uint32 key gives the same numbers
    np.testing.assert_array_equal(np.asarray(initializers.glorot_uniform(raw, (3, 5))), expected)


def test_glorot_uniform_and_he_uniform_fill_their_ranges():
    w = np.asarray(initializers.glorot_uniform(jax.random.key(0), (200, 300)))
    limit = math.sqrt(6.0 / 500)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert abs(w.mean()) < 0.01 * limit and w.var() == pytest.approx(limit**2 / 3, rel=0.02)
    h = np.asarray(initializers.he_uniform(jax.random.key(0), (200, 300)))
    assert np.abs(h).max() <= math.sqrt(6.0 / 200)


def test_glorot_normal_is_truncated_at_two_standard_deviations_with_keras_scale():
    w = np.asarray(initializers.glorot_normal(jax.random.key(0), (300, 500)))
    stddev = math.sqrt(2.0 / 800) / 0.87962566103423978
    assert np.abs(w).max() <= 2.0 * stddev + 1e-7
    # a unit normal truncated at ±2 has standard deviation 0.8796..., so w's is sqrt(2/800)
    assert w.std() == pytest.approx(math.sqrt(2.0 / 800), rel=0.01)


@pytest.mark.parametrize("shape", [(20, 80), (80, 20), (3, 4, 5)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    q = np.asarray(initializers.orthogonal(jax.random.key(1), shape), np.float64)
    flat = q.reshape(-1, shape[-1])
    small = flat @ flat.T if flat.shape[0] <= flat.shape[1] else flat.T @ flat
    np.testing.assert_allclose(small, np.eye(small.shape[0]), atol=1e-5)


def test_constant_zeros_ones_and_dtype():
    assert initializers.constant(0.5)(None, (2, 2), jnp.bfloat16).dtype == jnp.bfloat16
    np.testing.assert_array_equal(np.asarray(initializers.zeros(None, (3,))), np.zeros(3))
    np.testing.assert_array_equal(np.asarray(initializers.ones(None, (2,))), np.ones(2))


def test_lstm_forget_bias_is_the_same_eagerly_and_under_jit():
    cell = LSTMCell(3)
    eager = cell.init(jax.random.key(5), 2)
    jitted = jax.jit(lambda k: cell.init(k, 2))(jax.random.key(5))
    for name in eager:
        np.testing.assert_array_equal(np.asarray(eager[name]), np.asarray(jitted[name]))
    np.testing.assert_array_equal(np.asarray(eager["bias"]), [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0])


def test_building_a_model_compiles_nothing_for_its_weights():
    # Weights drawn with jax.random outside jit compiled small programs for every new
    # shape (3.3 s for the chapter's six models); drawn with NumPy they compile none.
    from rnnlab.layers import GRU, LSTM, Dense
    from rnnlab.models import Sequential

    Sequential([LSTM(7, return_sequences=True, input_shape=(None, 2)), Dense(1)], seed=0)
    compiles = []

    def listen(name, _seconds, **_kwargs):
        if name == "/jax/core/compile/backend_compile_duration":
            compiles.append(name)

    jax.monitoring.register_event_duration_secs_listener(listen)
    try:
        model = Sequential(
            [LSTM(13, return_sequences=True, input_shape=(None, 3)), GRU(5), Dense(4)], seed=1
        )
    finally:
        jax.monitoring.unregister_event_duration_listener(listen)
    assert compiles == []
    assert model.count_params() == 4 * (3 * 13 + 13 * 13 + 13) + 3 * (13 * 5 + 5 * 5 + 2 * 5) + 24
