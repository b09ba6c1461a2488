"""Tests for rnnlab.layers: shapes, parameter counts, forward values against an
independent NumPy implementation of the Keras equations, and default initializers."""

import math
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnlab.initializers import constant
from rnnlab.layers import GRU, LSTM, RNN, Conv1D, Dense, SimpleRNN
from rnnlab.models import Sequential

# --- independent NumPy references (float64) ------------------------------------------------


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def _run(step, x, carry, return_sequences, go_backwards):
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    outs = []
    for t in steps:
        carry, y = step(carry, x[:, t])
        outs.append(y)
    return (np.stack(outs, axis=1) if return_sequences else outs[-1]), carry


def np_simple_rnn(x, w, u, b, return_sequences=False, go_backwards=False):
    def step(h, xt):
        h = np.tanh(xt @ w + h @ u + b)
        return h, h

    return _run(step, x, np.zeros((x.shape[0], u.shape[0])), return_sequences, go_backwards)


def np_lstm(x, w, u, b, return_sequences=False, go_backwards=False):
    n = u.shape[0]

    def step(carry, xt):
        h, c = carry
        z = xt @ w + h @ u + b
        i = _sigmoid(z[:, :n])
        f = _sigmoid(z[:, n : 2 * n])
        g = np.tanh(z[:, 2 * n : 3 * n])
        o = _sigmoid(z[:, 3 * n :])
        c = f * c + i * g
        h = o * np.tanh(c)
        return (h, c), h

    zeros = np.zeros((x.shape[0], n))
    return _run(step, x, (zeros, zeros), return_sequences, go_backwards)


def np_gru(x, w, u, b, reset_after, return_sequences=False, go_backwards=False):
    n = u.shape[0]

    def step(h, xt):
        if reset_after:
            b_in, b_rec = b[0], b[1]
            xw = xt @ w + b_in
            hu = h @ u + b_rec
            z = _sigmoid(xw[:, :n] + hu[:, :n])
            r = _sigmoid(xw[:, n : 2 * n] + hu[:, n : 2 * n])
            cand = np.tanh(xw[:, 2 * n :] + r * hu[:, 2 * n :])
        else:
            xw = xt @ w + b
            z = _sigmoid(xw[:, :n] + h @ u[:, :n])
            r = _sigmoid(xw[:, n : 2 * n] + h @ u[:, n : 2 * n])
            cand = np.tanh(xw[:, 2 * n :] + (r * h) @ u[:, 2 * n :])
        h = z * h + (1 - z) * cand
        return h, h

    return _run(step, x, np.zeros((x.shape[0], n)), return_sequences, go_backwards)


def np_conv1d(x, kernel, bias, strides, padding, dilation):
    """Keras/TensorFlow Conv1D: x (B, T, C), kernel (k, C, F)."""
    k = kernel.shape[0]
    t = x.shape[1]
    span = (k - 1) * dilation + 1
    if padding == "valid":
        left = right = 0
    elif padding == "same":
        out_len = -(-t // strides)
        total = max((out_len - 1) * strides + span - t, 0)
        left, right = total // 2, total - total // 2
    elif padding == "causal":
        left, right = span - 1, 0
    else:
        raise AssertionError(padding)
    xp = np.pad(x, ((0, 0), (left, right), (0, 0)))
    out_len = (xp.shape[1] - span) // strides + 1
    out = np.zeros((x.shape[0], out_len, kernel.shape[2]))
    for o in range(out_len):
        for j in range(k):
            out[:, o] += xp[:, o * strides + j * dilation] @ kernel[j]
    return out + bias


# --- helpers -------------------------------------------------------------------------------

RNG = np.random.default_rng(1234)
X_SEQ = RNG.normal(size=(3, 7, 2)).astype(np.float32)
UNITS = 4


def _random_weights(model, seed):
    rng = np.random.default_rng(seed)
    return [(0.5 * rng.normal(size=w.shape)).astype(np.float32) for w in model.get_weights()]


def _built(layer, input_shape):
    model = Sequential([layer])
    # input_shape without the batch axis, as a user gives it
    model.build((None, *input_shape))
    return model


# --- output shapes and parameter counts ----------------------------------------------------


@pytest.mark.parametrize(
    ("make", "input_shape", "output_shape", "count"),
    [
        (lambda: SimpleRNN(1), (None, 1), (None, 1), 3),
        (lambda: SimpleRNN(20, return_sequences=True), (None, 1), (None, None, 20), 440),
        (lambda: SimpleRNN(20), (None, 20), (None, 20), 820),
        (lambda: SimpleRNN(5, return_sequences=True), (9, 3), (None, 9, 5), 5 * (3 + 5 + 1)),
        (lambda: LSTM(1), (None, 1), (None, 1), 12),
        (lambda: LSTM(20, return_sequences=True), (None, 1), (None, None, 20), 1760),
        (lambda: LSTM(20), (None, 20), (None, 20), 3280),
        (lambda: GRU(1), (None, 1), (None, 1), 12),
        (lambda: GRU(20, return_sequences=True), (None, 1), (None, None, 20), 1380),
        (lambda: GRU(20), (None, 20), (None, 20), 2520),
        (lambda: GRU(1, reset_after=False), (None, 1), (None, 1), 9),
        (lambda: GRU(20, reset_after=False), (None, 1), (None, 20), 3 * 20 * (1 + 20 + 1)),
        (lambda: Conv1D(20, 4, strides=2), (None, 1), (None, None, 20), 100),
        (lambda: Conv1D(20, 4, strides=2), (50, 1), (None, 24, 20), 100),
        (lambda: Conv1D(20, 4, strides=2, padding="same"), (50, 1), (None, 25, 20), 100),
        (lambda: Conv1D(20, 4, strides=2, padding="causal"), (51, 1), (None, 26, 20), 100),
        (lambda: Conv1D(8, 3, dilation_rate=2), (10, 3), (None, 6, 8), 3 * 3 * 8 + 8),
        (lambda: Dense(1), (20,), (None, 1), 21),
        (lambda: Dense(10), (20,), (None, 10), 210),
        (lambda: Dense(10), (None, 20), (None, None, 10), 210),
        (lambda: Dense(3, use_bias=False), (4,), (None, 3), 12),
    ],
)
def test_output_shape_and_param_count(make, input_shape, output_shape, count):
    layer = make()
    model = _built(layer, input_shape)
    assert layer.output_shape == output_shape
    assert model.output_shape == output_shape
    assert layer.count_params() == count
    assert model.count_params() == count
    assert sum(w.size for w in layer.get_weights()) == count


@pytest.mark.parametrize(
    ("make", "in_shape", "shapes"),
    [
        (lambda: SimpleRNN(20), (None, 1), [(1, 20), (20, 20), (20,)]),
        (lambda: LSTM(20), (None, 1), [(1, 80), (20, 80), (80,)]),
        (lambda: GRU(20), (None, 1), [(1, 60), (20, 60), (2, 60)]),
        (lambda: GRU(20, reset_after=False), (None, 1), [(1, 60), (20, 60), (60,)]),
        (lambda: Conv1D(20, 4), (None, 1), [(4, 1, 20), (20,)]),
        (lambda: Dense(10), (20,), [(20, 10), (10,)]),
    ],
    ids=["simple_rnn", "lstm", "gru_reset_after", "gru_reset_before", "conv1d", "dense"],
)
def test_get_weights_keras_order_and_shapes(make, in_shape, shapes):
    layer = make()
    model = _built(layer, in_shape)
    weights = layer.get_weights()
    assert [w.shape for w in weights] == shapes
    assert all(isinstance(w, np.ndarray) for w in weights)
    names = ["kernel", "recurrent_kernel", "bias"] if len(shapes) == 3 else ["kernel", "bias"]
    assert sorted(model.params[layer.name]) == sorted(names)
    for name, w in zip(names, weights, strict=True):
        np.testing.assert_array_equal(w, np.asarray(model.params[layer.name][name]))


# --- forward values against NumPy ----------------------------------------------------------

RECURRENT = {
    "simple_rnn": (SimpleRNN, {}, np_simple_rnn),
    "lstm": (LSTM, {}, np_lstm),
    "gru_reset_after": (GRU, {"reset_after": True}, partial(np_gru, reset_after=True)),
    "gru_reset_before": (GRU, {"reset_after": False}, partial(np_gru, reset_after=False)),
}


@pytest.mark.parametrize("kind", list(RECURRENT))
@pytest.mark.parametrize(
    ("return_sequences", "go_backwards"),
    [(False, False), (True, False), (True, True)],
    ids=["last", "sequences", "sequences_backwards"],
)
def test_recurrent_forward_matches_numpy(kind, return_sequences, go_backwards):
    cls, extra, reference = RECURRENT[kind]
    model = Sequential(
        [
            cls(
                UNITS,
                return_sequences=return_sequences,
                go_backwards=go_backwards,
                input_shape=(None, 2),
                **extra,
            )
        ]
    )
    weights = _random_weights(model, seed=5)
    model.set_weights(weights)
    # the pure forward pass (predict's extra machinery is tested in test_models.py)
    got = np.asarray(jax.jit(model.apply)(model.params, jnp.asarray(X_SEQ)))
    want, _ = reference(
        X_SEQ.astype(np.float64),
        *weights,
        return_sequences=return_sequences,
        go_backwards=go_backwards,
    )
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_stacked_recurrent_model_matches_numpy():
    model = Sequential(
        [
            LSTM(UNITS, return_sequences=True, input_shape=(None, 2)),
            GRU(3),
            Dense(2),
        ]
    )
    weights = _random_weights(model, seed=9)
    model.set_weights(weights)
    x = X_SEQ.astype(np.float64)
    h1, _ = np_lstm(x, *weights[0:3], return_sequences=True)
    h2, _ = np_gru(h1, *weights[3:6], True)
    want = h2 @ weights[6] + weights[7]
    np.testing.assert_allclose(model.predict(X_SEQ), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(model(X_SEQ)), want, rtol=1e-5, atol=1e-5)


def test_return_state_gives_final_states():
    rng = np.random.default_rng(3)
    layer = LSTM(UNITS, return_state=True)
    out, h, c = layer(X_SEQ)
    weights = [np.asarray(w, np.float64) for w in layer.get_weights()]
    want, (want_h, want_c) = np_lstm(X_SEQ.astype(np.float64), *weights)
    np.testing.assert_allclose(np.asarray(out), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(h), want_h, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(c), want_c, rtol=1e-5, atol=1e-5)
    # initial_state is used when given: start from a random (h, c)
    h0 = rng.normal(size=(3, UNITS)).astype(np.float32)
    c0 = rng.normal(size=(3, UNITS)).astype(np.float32)
    out2, _, _ = layer(X_SEQ, initial_state=(jnp.asarray(h0), jnp.asarray(c0)))
    assert not np.allclose(np.asarray(out2), np.asarray(out), atol=1e-4)


def test_simple_rnn_constant_initializers_hand_computed():
    model = Sequential(
        [
            SimpleRNN(
                1,
                return_sequences=True,
                kernel_initializer=constant(0.5),
                recurrent_initializer=constant(0.5),
                bias_initializer=constant(0.0),
                input_shape=(None, 1),
            )
        ]
    )
    y = model.predict(np.array([[[1.0], [1.0]]], np.float32))
    h1 = math.tanh(0.5)
    h2 = math.tanh(0.5 + 0.5 * math.tanh(0.5))
    np.testing.assert_allclose(y[0, :, 0], [h1, h2], rtol=1e-6)


def test_lstm_constant_initializers_hand_computed():
    # All weights 0.1, zero bias except the forget gate (unit_forget_bias) at 1.
    layer = LSTM(
        1,
        kernel_initializer=constant(0.1),
        recurrent_initializer=constant(0.1),
        input_shape=(None, 1),
    )
    model = Sequential([layer])
    np.testing.assert_allclose(layer.get_weights()[2], [0.0, 1.0, 0.0, 0.0])
    y = model.predict(np.array([[[2.0]]], np.float32))
    z = 0.1 * 2.0  # x @ W for every gate; h0 = c0 = 0
    i, o = 1 / (1 + math.exp(-z)), 1 / (1 + math.exp(-z))
    g = math.tanh(z)
    c = i * g  # forget gate times c0 = 0
    np.testing.assert_allclose(y, [[o * math.tanh(c)]], rtol=1e-6)


@pytest.mark.parametrize("padding", ["valid", "same", "causal"])
@pytest.mark.parametrize("strides", [1, 2])
@pytest.mark.parametrize("dilation", [1, 2])
@pytest.mark.parametrize("time", [9, 10])
def test_conv1d_matches_numpy(padding, strides, dilation, time):
    rng = np.random.default_rng(strides * 10 + dilation)
    x = rng.normal(size=(2, time, 3)).astype(np.float32)
    kernel = rng.normal(size=(3, 3, 4)).astype(np.float32)
    bias = rng.normal(size=(4,)).astype(np.float32)
    layer = Conv1D(4, 3, strides=strides, padding=padding, dilation_rate=dilation)
    layer.build((None, time, 3))
    got = np.asarray(
        layer.apply({"kernel": jnp.asarray(kernel), "bias": jnp.asarray(bias)}, jnp.asarray(x))
    )
    want = np_conv1d(x.astype(np.float64), kernel, bias, strides, padding, dilation)
    assert got.shape == want.shape == layer.compute_output_shape((2, time, 3))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    ("padding", "expected"),
    [
        ("valid", [3.0, 5.0, 7.0]),
        # TF "same": pad_total = 1, all of it on the right for an even kernel
        ("same", [3.0, 5.0, 7.0, 4.0]),
        ("causal", [1.0, 3.0, 5.0, 7.0]),
    ],
)
def test_conv1d_hand_computed_paddings(padding, expected):
    model = Sequential(
        [
            Conv1D(
                1,
                2,
                padding=padding,
                kernel_initializer=constant(1.0),
                bias_initializer=constant(0.0),
                input_shape=(None, 1),
            )
        ]
    )
    y = model.predict(np.array([[[1.0], [2.0], [3.0], [4.0]]], np.float32))
    np.testing.assert_allclose(y[0, :, 0], expected, rtol=1e-6)


def test_conv1d_causal_never_sees_the_future():
    layer = Conv1D(2, 3, padding="causal", dilation_rate=2)
    x = np.random.default_rng(0).normal(size=(1, 12, 1)).astype(np.float32)
    y = np.asarray(layer(x))
    x2 = x.copy()
    x2[:, 7:] += 10.0  # change only steps 7..11
    y2 = np.asarray(layer(x2))
    np.testing.assert_array_equal(y[:, :7], y2[:, :7])
    assert not np.allclose(y[:, 7:], y2[:, 7:])


def test_conv1d_activation_and_tuple_arguments():
    layer = Conv1D(2, (3,), strides=(1,), activation="relu", input_shape=(None, 1))
    model = Sequential([layer])
    kernel = np.array([[[1.0, -1.0]], [[1.0, -1.0]], [[1.0, -1.0]]], np.float32)
    model.set_weights([kernel, np.zeros(2, np.float32)])
    y = model.predict(np.array([[[1.0], [2.0], [3.0]]], np.float32))
    np.testing.assert_allclose(y, [[[6.0, 0.0]]])


def test_dense_forward_2d_and_per_time_step():
    rng = np.random.default_rng(7)
    w = rng.normal(size=(2, 3)).astype(np.float32)
    b = rng.normal(size=(3,)).astype(np.float32)
    model = Sequential([Dense(3, activation="tanh", input_shape=(None, 2))])
    model.set_weights([w, b])
    np.testing.assert_allclose(model.predict(X_SEQ), np.tanh(X_SEQ @ w + b), rtol=1e-5, atol=1e-6)
    flat = Sequential([Dense(3, input_shape=(2,))])
    flat.set_weights([w, b])
    np.testing.assert_allclose(flat.predict(X_SEQ[:, 0]), X_SEQ[:, 0] @ w + b, rtol=1e-5, atol=1e-6)


def test_rnn_unroll_true_matches_scan():
    base = SimpleRNN(UNITS, return_sequences=True)
    unrolled = SimpleRNN(UNITS, return_sequences=True, unroll=True)
    ref = base(X_SEQ)
    got = unrolled.apply(base.params, jnp.asarray(X_SEQ))
    np.testing.assert_allclose(np.asarray(got), np.asarray(ref), rtol=1e-6, atol=1e-6)


def test_generic_rnn_layer_with_builtin_cell():
    from rnnlab.core.cells import GRUCell

    layer = RNN(GRUCell(UNITS), return_sequences=True)
    y = layer(X_SEQ)
    weights = [np.asarray(w, np.float64) for w in layer.get_weights()]
    want, _ = np_gru(X_SEQ.astype(np.float64), *weights, True, return_sequences=True)
    np.testing.assert_allclose(np.asarray(y), want, rtol=1e-5, atol=1e-5)


# --- default initializers ------------------------------------------------------------------


def _glorot_limit(fan_in, fan_out):
    return math.sqrt(6.0 / (fan_in + fan_out))


def _check_uniform(w, limit):
    w = np.asarray(w)
    assert np.all(np.abs(w) <= limit + 1e-7)
    # really spread over the range, not zeros or a tiny scale
    assert np.max(np.abs(w)) > 0.5 * limit


def _check_rows_orthonormal(u):
    u = np.asarray(u, np.float64)
    np.testing.assert_allclose(u @ u.T, np.eye(u.shape[0]), atol=1e-5)


def test_default_initializers_dense():
    layer = Dense(10)
    _built(layer, (20,))
    kernel, bias = layer.get_weights()
    _check_uniform(kernel, _glorot_limit(20, 10))
    np.testing.assert_array_equal(bias, np.zeros(10))


def test_default_initializers_conv1d():
    layer = Conv1D(20, 4)
    _built(layer, (None, 1))
    kernel, bias = layer.get_weights()
    # fan_in = kernel_size * channels, fan_out = kernel_size * filters (Keras)
    _check_uniform(kernel, _glorot_limit(4 * 1, 4 * 20))
    np.testing.assert_array_equal(bias, np.zeros(20))


@pytest.mark.parametrize(
    ("make", "gates"),
    [
        (lambda: SimpleRNN(20), 1),
        (lambda: LSTM(20), 4),
        (lambda: GRU(20), 3),
        (lambda: GRU(20, reset_after=False), 3),
    ],
    ids=["simple_rnn", "lstm", "gru_reset_after", "gru_reset_before"],
)
def test_default_initializers_recurrent(make, gates):
    layer = make()
    _built(layer, (None, 20))
    kernel, recurrent, bias = layer.get_weights()
    _check_uniform(kernel, _glorot_limit(20, gates * 20))
    assert recurrent.shape == (20, gates * 20)
    _check_rows_orthonormal(recurrent)
    if gates == 4:
        np.testing.assert_array_equal(bias[20:40], np.ones(20))
        np.testing.assert_array_equal(bias[:20], np.zeros(20))
        np.testing.assert_array_equal(bias[40:], np.zeros(40))
    else:
        np.testing.assert_array_equal(bias, np.zeros(bias.shape))


def test_lstm_unit_forget_bias_false_keeps_zero_bias():
    layer = LSTM(20, unit_forget_bias=False)
    _built(layer, (None, 1))
    np.testing.assert_array_equal(layer.get_weights()[2], np.zeros(80))


def test_simple_rnn_square_recurrent_kernel_is_orthogonal_both_ways():
    layer = SimpleRNN(20)
    _built(layer, (None, 1))
    u = np.asarray(layer.get_weights()[1], np.float64)
    np.testing.assert_allclose(u @ u.T, np.eye(20), atol=1e-5)
    np.testing.assert_allclose(u.T @ u, np.eye(20), atol=1e-5)


def test_initial_weights_differ_between_layers_and_gates():
    a, b = LSTM(20), LSTM(20)
    _built(a, (None, 1))
    _built(b, (None, 1))
    assert not np.allclose(a.get_weights()[0], b.get_weights()[0])
    assert not np.allclose(a.get_weights()[1], b.get_weights()[1])
    kernel = a.get_weights()[0]
    assert not np.allclose(kernel[:, :20], kernel[:, 20:40])


def test_standalone_layer_call_builds_and_reuses_weights():
    layer = GRU(UNITS)
    y1 = np.asarray(layer(X_SEQ))
    w = layer.get_weights()
    y2 = np.asarray(layer(X_SEQ))
    np.testing.assert_array_equal(y1, y2)
    for a, b in zip(w, layer.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert jax.tree.leaves(layer.params)
