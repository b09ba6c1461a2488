"""Tests for the RNN toolbox layers: Input, Flatten, Reshape, Activation, RepeatVector,
Dropout, LayerNormalization, BatchNormalization, TimeDistributed, Bidirectional, Masking.

Shapes and parameter counts are Keras's; values are checked against NumPy or against
the inner layers run by hand; masks against the unpadded sequences run one by one."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import rnnlab
from rnnlab.layers import (
    GRU,
    LSTM,
    Activation,
    BatchNormalization,
    Bidirectional,
    Dense,
    Dropout,
    Flatten,
    Input,
    InputLayer,
    LayerNormalization,
    Masking,
    RepeatVector,
    Reshape,
    SimpleRNN,
    TimeDistributed,
)
from rnnlab.models import Sequential

RNG = np.random.default_rng(7)


def _built(layers, input_shape):
    model = Sequential(layers if isinstance(layers, list) else [layers])
    model.build((None, *input_shape))
    return model


def _pad(seqs, length, padding="post"):
    """Zero-pad a list of (time_i, features) arrays to (n, length, features) and the mask."""
    x = np.zeros((len(seqs), length, seqs[0].shape[-1]), np.float32)
    mask = np.zeros((len(seqs), length), bool)
    for i, s in enumerate(seqs):
        sl = slice(0, len(s)) if padding == "post" else slice(length - len(s), length)
        x[i, sl] = s
        mask[i, sl] = True
    return x, mask


LENGTHS = (5, 2)
SEQS = [RNG.normal(size=(n, 2)).astype(np.float32) for n in LENGTHS]


# --- shapes and parameter counts -------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "input_shape", "output_shape", "count"),
    [
        (lambda: TimeDistributed(Dense(10)), (None, 20), (None, None, 10), 210),
        (lambda: TimeDistributed(Dense(10)), (7, 20), (None, 7, 10), 210),
        (lambda: Bidirectional(LSTM(20)), (None, 1), (None, 40), 3520),
        (
            lambda: Bidirectional(LSTM(20, return_sequences=True)),
            (None, 1),
            (None, None, 40),
            3520,
        ),
        (lambda: Bidirectional(GRU(8), merge_mode="sum"), (None, 3), (None, 8), 2 * 3 * 8 * 13),
        (lambda: Bidirectional(SimpleRNN(5), merge_mode="ave"), (None, 1), (None, 5), 70),
        (lambda: BatchNormalization(), (None, 20), (None, None, 20), 80),
        (lambda: BatchNormalization(), (20,), (None, 20), 80),
        (lambda: BatchNormalization(center=False), (20,), (None, 20), 60),
        (lambda: LayerNormalization(), (None, 20), (None, None, 20), 40),
        (lambda: LayerNormalization(scale=False), (20,), (None, 20), 20),
        (lambda: Flatten(), (4, 5), (None, 20), 0),
        (lambda: Flatten(), (None, 3), (None, None), 0),
        (lambda: Reshape((-1, 2)), (8,), (None, 4, 2), 0),
        (lambda: Reshape((2, 6)), (3, 4), (None, 2, 6), 0),
        (lambda: Reshape((-1, 2)), (None, 4), (None, None, 2), 0),
        (lambda: RepeatVector(3), (5,), (None, 3, 5), 0),
        (lambda: Activation("relu"), (None, 3), (None, None, 3), 0),
        (lambda: Dropout(0.5), (None, 3), (None, None, 3), 0),
        (lambda: Masking(), (None, 3), (None, None, 3), 0),
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


def test_batch_normalization_summary_counts_moving_stats_as_non_trainable():
    model = _built([BatchNormalization()], (None, 20))
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Total params: 80" in text
    assert "Trainable params: 40" in text
    assert "Non-trainable params: 40" in text
    assert model.trainable_labels()[model.layers[0].name] == {
        "gamma": "train",
        "beta": "train",
        "moving_mean": "freeze",
        "moving_variance": "freeze",
    }


def test_bidirectional_summary_names_and_weight_order(fresh_names):
    model = _built([Bidirectional(LSTM(20))], (None, 1))
    bidi = model.layers[0]
    assert bidi.name == "bidirectional"
    assert bidi.forward_layer.name == "forward_lstm"
    assert bidi.backward_layer.name == "backward_lstm"
    assert not bidi.forward_layer.go_backwards and bidi.backward_layer.go_backwards
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "bidirectional (Bidirectional)" in text and "(None, 40)" in text
    assert "Total params: 3,520" in text and "Non-trainable params: 0" in text
    weights = bidi.get_weights()
    assert [w.shape for w in weights] == [(1, 80), (20, 80), (80,)] * 2
    params = model.params[bidi.name]
    expected = [params[d][n] for d in ("forward", "backward") for n in LSTM.weight_names]
    for got, want in zip(weights, expected, strict=True):
        np.testing.assert_array_equal(got, np.asarray(want))
    # The two directions start from different weights, and the inner layers see them.
    assert not np.array_equal(weights[0], weights[3])
    np.testing.assert_array_equal(bidi.backward_layer.get_weights()[1], weights[4])
    # params_with_weights puts a get_weights list back in place (set_weights applies it).
    new = [w + 1.0 for w in weights]
    back = bidi.params_with_weights(new)
    np.testing.assert_array_equal(np.asarray(back["backward"]["bias"]), new[5])
    bidi.set_weights(new)
    np.testing.assert_array_equal(model.params[bidi.name]["forward"]["kernel"], new[0])


def test_batch_normalization_and_time_distributed_weights(fresh_names):
    model = _built([TimeDistributed(Dense(10)), BatchNormalization()], (None, 20))
    td, bn = model.layers
    assert td.name == "time_distributed"
    assert [w.shape for w in td.get_weights()] == [(20, 10), (10,)]
    np.testing.assert_array_equal(td.layer.get_weights()[0], td.get_weights()[0])
    gamma, beta, mean, var = bn.get_weights()
    np.testing.assert_array_equal(gamma, np.ones(10))
    np.testing.assert_array_equal(beta, np.zeros(10))
    np.testing.assert_array_equal(mean, np.zeros(10))
    np.testing.assert_array_equal(var, np.ones(10))


# --- simple layers against NumPy -------------------------------------------------------------


def test_input_first_in_sequential_builds_the_model():
    model = Sequential([Input(shape=(None, 1)), SimpleRNN(20)])
    assert model.built
    assert model.input_shape == (None, None, 1)
    assert model.output_shape == (None, 20)
    assert len(model.layers) == 1 and model.count_params() == 440
    model2 = Sequential([InputLayer(input_shape=(6,)), Dense(2)])
    assert model2.output_shape == (None, 2)
    x = RNG.normal(size=(3, 6)).astype(np.float32)
    layer = InputLayer(shape=(6,))
    np.testing.assert_array_equal(np.asarray(layer(x)), x)
    assert InputLayer(batch_shape=(None, 4, 2)).input_shape_arg == (None, 4, 2)


def test_flatten_reshape_repeat_activation_values():
    x = RNG.normal(size=(2, 3, 4)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(Flatten()(x)), x.reshape(2, 12))
    np.testing.assert_array_equal(
        np.asarray(Flatten(data_format="channels_first")(x)),
        np.transpose(x, (0, 2, 1)).reshape(2, 12),
    )
    np.testing.assert_array_equal(np.asarray(Reshape((-1, 3))(x)), x.reshape(2, 4, 3))
    np.testing.assert_array_equal(np.asarray(Reshape((12,))(x)), x.reshape(2, 12))
    v = x[:, 0]
    np.testing.assert_array_equal(np.asarray(RepeatVector(5)(v)), np.repeat(v[:, None], 5, 1))
    np.testing.assert_allclose(np.asarray(Activation("tanh")(x)), np.tanh(x), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(Activation("relu")(x)), np.maximum(x, 0))
    model = Sequential([Flatten(input_shape=(3, 4)), RepeatVector(2), Reshape((2, 3, 4))])
    np.testing.assert_array_equal(model.predict(x), np.stack([x, x], axis=1))


def test_layer_normalization_values():
    layer = LayerNormalization(epsilon=1e-3)
    model = _built(layer, (None, 5))
    gamma = RNG.normal(size=5).astype(np.float32)
    beta = RNG.normal(size=5).astype(np.float32)
    model.set_weights([gamma, beta])
    x = RNG.normal(loc=3.0, scale=2.0, size=(4, 6, 5)).astype(np.float32)
    mean = x.mean(-1, keepdims=True)
    var = x.var(-1, keepdims=True)
    want = (x - mean) / np.sqrt(var + 1e-3) * gamma + beta
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-4, atol=1e-4)


def test_time_distributed_values_and_mask_passthrough():
    x = RNG.normal(size=(3, 4, 5)).astype(np.float32)
    model = Sequential(
        [Masking(input_shape=(None, 5)), TimeDistributed(Dense(2, activation="tanh"))]
    )
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model.predict(x), np.tanh(x @ kernel + bias), atol=1e-6)
    x[0, 2:] = 0.0
    _, mask, _ = model.forward(model.params, jnp.asarray(x))
    np.testing.assert_array_equal(np.asarray(mask), np.any(x != 0, axis=-1))


# --- BatchNormalization ----------------------------------------------------------------------


def test_batch_normalization_fit_updates_moving_stats_and_predict_uses_them():
    x = RNG.normal(loc=2.0, scale=3.0, size=(10, 3)).astype(np.float32)
    y = RNG.normal(size=(10, 1)).astype(np.float32)
    model = Sequential([BatchNormalization(input_shape=(3,)), Dense(1)], seed=0)
    model.compile(optimizer=optax.sgd(0.1), loss="mse")
    bn = model.layers[0]
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    # Batches x[0:4], x[4:8], x[8:10]; the last is padded with zero-weight rows that
    # must not count: the moving averages follow the real rows only (biased variance).
    mean, var = np.zeros(3), np.ones(3)
    for b in (x[0:4], x[4:8], x[8:10]):
        mean = 0.99 * mean + 0.01 * b.mean(0)
        var = 0.99 * var + 0.01 * b.var(0)
    gamma, beta, moving_mean, moving_var = bn.get_weights()
    np.testing.assert_allclose(moving_mean, mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(moving_var, var, rtol=1e-5, atol=1e-6)
    assert not np.allclose(gamma, 1.0) and not np.allclose(beta, 0.0)  # these train
    kernel, bias = model.layers[1].get_weights()
    want = ((x - moving_mean) / np.sqrt(moving_var + 1e-3) * gamma + beta) @ kernel + bias
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.evaluate(x, y), np.mean((want - y) ** 2), rtol=1e-4)


def test_batch_normalization_padded_rows_do_not_count():
    bn = BatchNormalization(momentum=0.9)
    params = bn.init_params(jax.random.key(0), (None, 4))
    x = jnp.asarray(RNG.normal(size=(6, 4)), jnp.float32)
    junk = jnp.asarray(RNG.normal(loc=50.0, size=(3, 4)), jnp.float32)
    train = jax.jit(lambda p, x, w: bn.apply_train(p, x, sample_weight=w))
    y_ref, upd_ref = train(params, x, None)
    weight = jnp.concatenate([jnp.ones(6), jnp.zeros(3)])
    y_pad, upd_pad = train(params, jnp.concatenate([x, junk]), weight)
    np.testing.assert_allclose(np.asarray(y_pad[:6]), np.asarray(y_ref), rtol=1e-5, atol=1e-5)
    for name in ("moving_mean", "moving_variance"):
        np.testing.assert_allclose(
            np.asarray(upd_pad[name]), np.asarray(upd_ref[name]), rtol=1e-5, atol=1e-6
        )
    xn = np.asarray(x)
    np.testing.assert_allclose(np.asarray(upd_ref["moving_mean"]), 0.1 * xn.mean(0), atol=1e-6)
    np.testing.assert_allclose(
        np.asarray(upd_ref["moving_variance"]), 0.9 + 0.1 * xn.var(0), rtol=1e-5
    )


def test_batch_normalization_masked_steps_do_not_count():
    bn = BatchNormalization(momentum=0.0)
    params = bn.init_params(jax.random.key(0), (None, None, 2))
    x, mask = _pad(SEQS, 5)
    x[~mask] = 100.0  # junk on masked steps
    _, upd = jax.jit(lambda p, x, m: bn.apply_train(p, x, mask=m))(params, x, mask)
    real = np.concatenate(SEQS)
    np.testing.assert_allclose(np.asarray(upd["moving_mean"]), real.mean(0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(upd["moving_variance"]), real.var(0), rtol=1e-5)
    # The same through TimeDistributed: the mask becomes per-row weights of the inner layer.
    td = TimeDistributed(BatchNormalization(momentum=0.0))
    _, upd_td = jax.jit(lambda p, x, m: td.apply_train(p, x, mask=m))(params, x, mask)
    np.testing.assert_allclose(np.asarray(upd_td["moving_mean"]), real.mean(0), rtol=1e-5)


def test_batch_normalization_gradients_do_not_reach_moving_stats():
    model = Sequential([BatchNormalization(input_shape=(3,)), Dense(1)], seed=1)
    bn = model.layers[0]
    x = jnp.asarray(RNG.normal(size=(8, 3)), jnp.float32)

    def loss(params):
        y, _, updates = model.forward(params, x, training=True, sample_weight=jnp.ones(8))
        return jnp.sum(y**2) + sum(jnp.sum(v) for v in updates[bn.name].values())

    grads = jax.jit(jax.grad(loss))(model.params)[bn.name]
    assert np.all(np.asarray(grads["moving_mean"]) == 0)
    assert np.all(np.asarray(grads["moving_variance"]) == 0)
    assert np.any(np.asarray(grads["gamma"]) != 0)
    # Inference uses the moving statistics (identity-like at init: mean 0, variance 1).
    y_inf = bn.apply(model.params[bn.name], x)
    np.testing.assert_allclose(np.asarray(y_inf), np.asarray(x) / np.sqrt(1.001), rtol=1e-5)


def test_fit_updates_moving_stats_inside_wrappers():
    model = Sequential(
        [
            Bidirectional(SimpleRNN(2, return_sequences=True), input_shape=(None, 1)),
            TimeDistributed(BatchNormalization()),
            Dense(1),
        ],
        seed=6,
    )
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    x = RNG.normal(size=(8, 4, 1)).astype(np.float32)
    model.fit(x, np.ones((8, 4, 1), np.float32), batch_size=8, epochs=1, verbose=0)
    after = model.get_weights()
    assert model.trainable_labels()[model.layers[1].name]["moving_mean"] == "freeze"
    assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


# --- Bidirectional ---------------------------------------------------------------------------


def _merge(mode, a, b):
    return {
        "concat": lambda: np.concatenate([a, b], -1),
        "sum": lambda: a + b,
        "mul": lambda: a * b,
        "ave": lambda: (a + b) / 2,
    }[mode]()


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
def test_bidirectional_equals_two_hand_run_directions(return_sequences):
    x = jnp.asarray(RNG.normal(size=(3, 6, 2)), jnp.float32)
    modes = ["concat", "sum", "mul", "ave"]
    bidis = [Bidirectional(LSTM(4, return_sequences=return_sequences), m) for m in modes]
    model = _built(bidis[0], (None, 2))
    params = model.params[bidis[0].name]
    for b in bidis[1:]:
        b.build((None, None, 2))
    fwd = LSTM(4, return_sequences=return_sequences)
    bwd = LSTM(4, return_sequences=return_sequences, go_backwards=True)

    @jax.jit
    def run(p, x):
        merged = [b.apply(p, x) for b in bidis]
        return merged, fwd.apply(p["forward"], x), bwd.apply(p["backward"], x)

    merged, y, y_rev = jax.tree.map(np.asarray, run(params, x))
    if return_sequences:
        y_rev = y_rev[:, ::-1]
    for mode, got in zip(modes, merged, strict=True):
        np.testing.assert_allclose(got, _merge(mode, y, y_rev), atol=1e-6, err_msg=mode)
    np.testing.assert_allclose(model.predict(np.asarray(x)), merged[0], atol=1e-6)


def test_bidirectional_simple_rnn_against_numpy():
    x = RNG.normal(size=(2, 5, 3)).astype(np.float32)
    model = _built(Bidirectional(SimpleRNN(4, return_sequences=True)), (None, 3))
    w = [np.asarray(a, np.float64) for a in model.get_weights()]

    def run(kernel, rec, bias, steps):
        h, out = np.zeros((2, 4)), {}
        for t in steps:
            h = np.tanh(x[:, t] @ kernel + h @ rec + bias)
            out[t] = h
        return np.stack([out[t] for t in range(5)], axis=1)

    want = np.concatenate([run(*w[:3], range(5)), run(*w[3:], range(4, -1, -1))], -1)
    np.testing.assert_allclose(model.predict(x), want, atol=1e-5)


def test_bidirectional_return_state_and_backward_layer():
    bidi = Bidirectional(LSTM(3, return_state=True))
    out = bidi(np.ones((2, 4, 1), np.float32))
    assert [tuple(o.shape) for o in out] == [(2, 6)] + [(2, 3)] * 4
    np.testing.assert_allclose(np.asarray(out[0][:, :3]), np.asarray(out[1]), atol=1e-6)
    custom = Bidirectional(LSTM(3), backward_layer=GRU(2, go_backwards=True))
    assert _built(custom, (None, 1)).output_shape == (None, 5)
    assert not custom.go_backwards and Bidirectional(GRU(2, go_backwards=True)).go_backwards
    two = Bidirectional(SimpleRNN(2), merge_mode=None)(np.ones((1, 3, 1), np.float32))
    assert len(two) == 2 and two[0].shape == (1, 2)


# --- masking ---------------------------------------------------------------------------------

RECURRENT = {"simple_rnn": SimpleRNN, "lstm": LSTM, "gru": GRU}


@pytest.mark.parametrize("kind", list(RECURRENT))
def test_masked_padded_batch_matches_sequences_one_by_one(kind):
    # Two models (return_sequences True and False) with the same recurrent weights.
    seq_model = Sequential(
        [Masking(input_shape=(None, 2)), RECURRENT[kind](3, return_sequences=True)], seed=3
    )
    last_model = Sequential([Masking(input_shape=(None, 2)), RECURRENT[kind](3)], seed=4)
    last_model.set_weights(seq_model.get_weights())
    rnn = seq_model.layers[1]
    weights = seq_model.params[rnn.name]

    def run(p, xb):
        """Outputs, final carry, and a loss over the real steps (with its gradient)."""

        def loss(p):
            y_seq, mask, _ = seq_model.forward({**seq_model.params, rnn.name: p}, xb)
            y_last, _, _ = last_model.forward(
                {**last_model.params, last_model.layers[1].name: p}, xb
            )
            if mask is not None:
                y_seq = y_seq * mask[..., None]
            return jnp.sum(jnp.sin(y_seq)) + jnp.sum(jnp.cos(y_last)), (y_seq, y_last)

        (value, (y_seq, y_last)), grad = jax.value_and_grad(loss, has_aux=True)(p)
        carry = rnn._run(p, xb, mask=seq_model.layers[0].compute_mask(None, xb))[1]
        return y_seq, y_last, carry, value, grad

    run = jax.jit(run)
    x, _ = _pad(SEQS, 6)
    y_seq, y_last, carry, value, grad = run(weights, jnp.asarray(x))
    total, grad_sum = 0.0, jax.tree.map(jnp.zeros_like, weights)
    for i, s in enumerate(SEQS):
        one_seq, one_last, one_carry, one_value, one_grad = run(weights, jnp.asarray(s[None]))
        np.testing.assert_allclose(y_seq[i, : len(s)], one_seq[0], atol=1e-6)
        assert np.all(np.asarray(y_seq[i, len(s) :]) == 0)  # masked steps output zeros
        np.testing.assert_allclose(y_last[i], one_last[0], atol=1e-6)
        for a, b in zip(jax.tree.leaves(carry), jax.tree.leaves(one_carry), strict=True):
            np.testing.assert_allclose(np.asarray(a)[i], np.asarray(b)[0], atol=1e-6)
        total += float(one_value)
        grad_sum = jax.tree.map(jnp.add, grad_sum, one_grad)
    np.testing.assert_allclose(float(value), total, rtol=1e-5)
    for a, b in zip(jax.tree.leaves(grad), jax.tree.leaves(grad_sum), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-4, atol=1e-6)


def test_masking_pre_padding_gives_the_same_final_output():
    model = Sequential([Masking(input_shape=(None, 2)), GRU(3)], seed=4)
    post, _ = _pad(SEQS, 6, "post")
    pre, _ = _pad(SEQS, 6, "pre")
    np.testing.assert_allclose(model.predict(pre), model.predict(post), atol=1e-6)


def test_predict_agrees_with_the_pure_forward_pass_on_masked_models():
    # predict may pad the time axis with masked steps: every layer must honour them.
    x = RNG.normal(size=(3, 5, 2)).astype(np.float32)
    for layers in (
        [Masking(-1.0, input_shape=(None, 2)), SimpleRNN(3)],
        [
            Masking(input_shape=(None, 2)),
            Bidirectional(GRU(3, return_sequences=True)),
            LayerNormalization(),
            TimeDistributed(Dense(1)),
        ],
    ):
        model = Sequential(layers, seed=8)
        # Non-zero biases: zero padding would otherwise leave a state at zero.
        model.params = jax.tree.map(
            lambda w: jnp.asarray(RNG.normal(size=w.shape), jnp.float32), model.params
        )
        want = jax.jit(model.apply)(model.params, jnp.asarray(x))
        np.testing.assert_allclose(model.predict(x), np.asarray(want), atol=1e-5)


def test_masking_zeroes_masked_steps_and_computes_mask():
    layer = Masking(mask_value=-1.0)
    x = np.array([[[1.0, -1.0], [-1.0, -1.0], [0.0, 2.0]]], np.float32)
    np.testing.assert_array_equal(np.asarray(layer.compute_mask(None, x)), [[True, False, True]])
    np.testing.assert_array_equal(np.asarray(layer(x)), x * np.array([1, 0, 1])[None, :, None])
    incoming = jnp.asarray([[False, True, True]])
    np.testing.assert_array_equal(
        np.asarray(layer.compute_mask(incoming, x)), [[False, False, True]]
    )


@pytest.mark.parametrize("return_sequences", [False, True], ids=["last", "sequences"])
def test_fit_and_evaluate_on_padded_batch_match_unpadded_sequences(return_sequences):
    model = Sequential(
        [
            Masking(input_shape=(None, 2)),
            Bidirectional(SimpleRNN(3, return_sequences=return_sequences)),
            Dense(1),
        ],
        seed=5,
    )
    model.compile(optimizer=optax.sgd(0.05), loss="mse")
    x, mask = _pad(SEQS, 6)
    if return_sequences:
        y = RNG.normal(size=(len(SEQS), 6, 1)).astype(np.float32)
        y[~mask] = 1e3  # targets on padded steps must be ignored
        ys = [y[i : i + 1, :n] for i, n in enumerate(LENGTHS)]
        weights = np.array(LENGTHS, float)  # the loss averages over real steps
    else:
        y = RNG.normal(size=(len(SEQS), 1)).astype(np.float32)
        ys = [y[i : i + 1] for i in range(len(SEQS))]
        weights = np.ones(len(SEQS))

    def unpadded_loss():
        losses = [model.evaluate(s[None], t) for s, t in zip(SEQS, ys, strict=True)]
        return float(np.average(losses, weights=weights))

    before = unpadded_loss()
    np.testing.assert_allclose(model.evaluate(x, y), before, rtol=1e-5)
    history = model.fit(x, y, batch_size=len(SEQS), epochs=1, shuffle=False, verbose=0)
    np.testing.assert_allclose(history.history["loss"][0], before, rtol=1e-5)
    after = unpadded_loss()
    assert after != pytest.approx(before)
    np.testing.assert_allclose(model.evaluate(x, y), after, rtol=1e-5)


# --- dropout ---------------------------------------------------------------------------------


def test_dropout_layer_off_in_inference_on_in_training():
    x = RNG.normal(size=(16, 4)).astype(np.float32)
    y = RNG.normal(size=(16, 1)).astype(np.float32)
    model = Sequential([Dense(8, input_shape=(4,)), Dropout(0.5), Dense(1)], seed=0)
    plain = Sequential([Dense(8, input_shape=(4,)), Dense(1)], seed=1)
    plain.set_weights(model.get_weights())
    np.testing.assert_array_equal(model.predict(x), model.predict(x))
    np.testing.assert_allclose(model.predict(x), plain.predict(x), atol=1e-6)
    model.compile(optimizer=optax.sgd(0.0), loss="mse")  # no update: compare the losses
    plain_loss = float(np.mean((plain.predict(x) - y) ** 2))
    np.testing.assert_allclose(model.evaluate(x, y), plain_loss, rtol=1e-5)
    xj = jnp.asarray(x)
    infer = np.asarray(model.apply(model.params, xj))
    train = np.asarray(model.apply(model.params, xj, training=True, key=jax.random.key(0)))
    again = np.asarray(model.apply(model.params, xj, training=True, key=jax.random.key(0)))
    other = np.asarray(model.apply(model.params, xj, training=True, key=jax.random.key(1)))
    assert not np.allclose(train, infer)
    np.testing.assert_array_equal(train, again)
    assert not np.allclose(train, other)
    history = model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    assert history.history["loss"][0] != pytest.approx(plain_loss, rel=1e-4)


def test_dropout_keeps_about_one_minus_rate_and_rescales():
    rate = 0.3
    layer = Dropout(rate)
    x = jnp.ones((400, 500))
    y = np.asarray(layer.apply({}, x, training=True, key=jax.random.key(0)))
    kept = y != 0
    assert abs(kept.mean() - (1 - rate)) < 0.01
    np.testing.assert_allclose(y[kept], 1 / (1 - rate), rtol=1e-6)
    off = layer.apply({}, x, training=False, key=jax.random.key(0))
    np.testing.assert_array_equal(np.asarray(off), np.asarray(x))
    eager = np.asarray(layer(np.ones((50, 40), np.float32), training=True))
    assert 0 < np.count_nonzero(eager) < eager.size
    np.testing.assert_array_equal(np.asarray(layer(np.ones((5, 4), np.float32))), 1.0)
    shared = Dropout(0.5, noise_shape=(None, 1, None))
    z = np.asarray(shared.apply({}, jnp.ones((4, 6, 8)), training=True, key=jax.random.key(2)))
    assert np.all(z == z[:, :1])  # the same features dropped at every time step


@pytest.mark.parametrize("kind", list(RECURRENT))
def test_rnn_dropout_training_only(kind):
    x = jnp.asarray(RNG.normal(size=(4, 5, 2)), jnp.float32)
    layer = RECURRENT[kind](3, dropout=0.4, recurrent_dropout=0.4)
    model = Sequential([layer], seed=2)
    model.build((None, None, 2))
    plain = Sequential([RECURRENT[kind](3)], seed=3)
    plain.build((None, None, 2))
    plain.set_weights(model.get_weights())
    infer = np.asarray(model.apply(model.params, x))
    np.testing.assert_allclose(infer, np.asarray(plain.apply(plain.params, x)), atol=1e-6)
    train = np.asarray(model.apply(model.params, x, training=True, key=jax.random.key(0)))
    assert not np.allclose(train, infer)


def test_bidirectional_passes_dropout_keys_to_both_directions():
    x = jnp.asarray(RNG.normal(size=(4, 5, 2)), jnp.float32)
    bidi = Bidirectional(SimpleRNN(3, return_sequences=True, dropout=0.5), merge_mode=None)
    params = bidi.init_params(jax.random.key(0), (None, None, 2))
    bidi.build((None, None, 2))
    run = jax.jit(lambda p, x, k: bidi.apply(p, x, training=True, key=k))
    infer = jax.jit(lambda p, x: bidi.apply(p, x))(params, x)
    train = run(params, x, jax.random.key(1))
    for got, want in zip(train, infer, strict=True):  # both directions drop
        assert not np.allclose(np.asarray(got), np.asarray(want))
    np.testing.assert_array_equal(np.asarray(run(params, x, jax.random.key(1))[1]), train[1])


def test_fit_with_dropout_is_reproducible_from_the_seed():
    x = RNG.normal(size=(12, 5, 1)).astype(np.float32)
    y = RNG.normal(size=(12, 1)).astype(np.float32)

    def run():
        rnnlab.utils.set_random_seed(123)
        model = Sequential(
            [
                SimpleRNN(4, dropout=0.3, recurrent_dropout=0.3, input_shape=(None, 1)),
                Dropout(0.2),
                Dense(1),
            ]
        )
        model.compile(optimizer="sgd", loss="mse")
        history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
        return history.history["loss"], model.get_weights()

    loss_a, weights_a = run()
    loss_b, weights_b = run()
    assert loss_a == loss_b
    for a, b in zip(weights_a, weights_b, strict=True):
        np.testing.assert_array_equal(a, b)


# --- argument validation ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: Dropout(1.0), ["Dropout", "rate", "[0, 1)"]),
        (lambda: Dropout(-0.1), ["Dropout", "rate"]),
        (lambda: Dropout(0.1, noise_shape=(None, 0)), ["Dropout", "noise_shape"]),
        (lambda: RepeatVector(0), ["RepeatVector", "n", "positive"]),
        (lambda: Reshape((-1, -1)), ["Reshape", "target_shape", "-1"]),
        (lambda: Reshape((0, 2)), ["Reshape", "target_shape"]),
        (lambda: Bidirectional(Dense(3)), ["Bidirectional", "recurrent", "Dense"]),
        (
            lambda: Bidirectional(LSTM(3), merge_mode="max"),
            ["Bidirectional", "merge_mode", "'max'", "'concat'", "'ave'"],
        ),
        (
            lambda: Bidirectional(LSTM(3), backward_layer=LSTM(3)),
            ["Bidirectional", "go_backwards"],
        ),
        (
            lambda: Bidirectional(
                LSTM(3), merge_mode="sum", backward_layer=LSTM(2, go_backwards=True)
            ),
            ["Bidirectional", "units"],
        ),
        (lambda: BatchNormalization(momentum=2.0), ["BatchNormalization", "momentum"]),
        (lambda: LayerNormalization(epsilon=0.0), ["LayerNormalization", "epsilon"]),
        (lambda: Activation("nope"), ["Activation", "unknown activation"]),
        (lambda: InputLayer(), ["InputLayer", "shape"]),
        (lambda: Input(shape=(None, 0)), ["shape", "positive"]),
        (lambda: Flatten(data_format="nchw"), ["Flatten", "data_format"]),
    ],
)
def test_argument_errors_name_the_layer_and_argument(make, words):
    with pytest.raises((ValueError, TypeError)) as info:
        make()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    ("layers", "input_shape", "words"),
    [
        ([Reshape((5, 2))], (3, 3), ["Reshape", "9 values", "(5, 2)"]),
        ([RepeatVector(2)], (None, 3), ["RepeatVector", "(batch, features)"]),
        ([TimeDistributed(Dense(2))], (4,), ["TimeDistributed", "3-D"]),
        ([Masking()], (4,), ["Masking", "(batch, time, features)"]),
        ([Bidirectional(LSTM(2))], (4,), ["LSTM", "(batch, time, features)"]),
        ([Bidirectional(LSTM(2), merge_mode=None)], (None, 1), ["merge_mode=None"]),
        ([BatchNormalization()], (None, None), ["BatchNormalization", "None"]),
        ([Dropout(0.1, noise_shape=(None, 2))], (None, 3), ["Dropout", "noise_shape"]),
    ],
)
def test_shape_errors_name_the_layer(layers, input_shape, words):
    with pytest.raises(ValueError) as info:
        _built(layers, input_shape)
    for word in words:
        assert word in str(info.value)


def test_a_wrapped_layer_shares_its_weights_with_the_wrapper():
    # As in Keras, a layer owns its weights: wrapping it shares them, no copy is made.
    dense = Dense(2)
    Sequential([dense], name="plain").build((None, 3))
    wrapped = Sequential([TimeDistributed(dense, input_shape=(None, 3))], name="wrapped")
    assert wrapped.layers[0].params is dense.params
    dense.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_array_equal(wrapped.get_weights()[0], np.ones((3, 2)))
    assert math.isclose(Dropout(0.25).rate, 0.25)
