"""Custom cells the Keras way (issue 14, item 7): Keras-style cells in ``keras.layers.RNN``,
Keras's cell layers inside them and on their own, ``StackedRNNCells``, and clear errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.core import cells as core


class LNSimpleRNNCell(keras.layers.Layer):
    """Notebook 15's layer-normalized cell, verbatim."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.state_size = units
        self.output_size = units
        self.simple_rnn_cell = keras.layers.SimpleRNNCell(units, activation=None)
        self.layer_norm = keras.layers.LayerNormalization()
        self.activation = keras.activations.get(activation)

    def call(self, inputs, states):
        outputs, new_states = self.simple_rnn_cell(inputs, states)  # noqa: RUF059 (verbatim)
        norm_outputs = self.activation(self.layer_norm(outputs))
        return norm_outputs, [norm_outputs]


class MinimalRNNCell(keras.layers.Layer):
    """Keras's documented example cell, with add_weight: h' = tanh(x W + h U)."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(
            shape=(self.units, self.units), initializer="orthogonal", name="recurrent_kernel"
        )

    def call(self, inputs, states):
        h = jnp.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
        return h, [h]


def _series(n=32, steps=6, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, 1)).astype(np.float32)
    return x, np.cumsum(x, axis=1).astype(np.float32)


def _ln_reference(x, params, epsilon=1e-3):
    """NumPy: h_t = tanh(LN(x_t W + h_{t-1} U + b)), the LN over the features."""
    w, u, b = params["simple_rnn_cell/kernel"], params["simple_rnn_cell/recurrent_kernel"], params[
        "simple_rnn_cell/bias"
    ]  # fmt: skip
    gamma, beta = params["layer_norm/gamma"], params["layer_norm/beta"]
    h = np.zeros((x.shape[0], w.shape[1]))
    outs = []
    for t in range(x.shape[1]):
        z = x[:, t] @ w + h @ u + b
        mean, var = z.mean(-1, keepdims=True), z.var(-1, keepdims=True)
        h = np.tanh((z - mean) / np.sqrt(var + epsilon) * gamma + beta)
        outs.append(h)
    return np.stack(outs, axis=1)


def test_ln_cell_scan_equals_numpy_loop_and_python_loop_over_call():
    rnn = keras.layers.RNN(LNSimpleRNNCell(5), return_sequences=True)
    x, _ = _series(4, 7)
    params = rnn.init_params(jax.random.key(0), (None, None, 1))
    rng = np.random.default_rng(1)
    params = {k: jnp.asarray(rng.normal(size=v.shape), jnp.float32) for k, v in params.items()}
    y = np.asarray(rnn.apply(params, jnp.asarray(x)))
    reference = _ln_reference(x.astype(np.float64), {k: np.asarray(v) for k, v in params.items()})
    np.testing.assert_allclose(y, reference, rtol=1e-4, atol=1e-5)
    # the same cell object stepped by hand, eagerly, with those weights
    cell = rnn.cell.layer
    cell.params = params
    states, outs = [jnp.zeros((4, 5))], []
    for t in range(x.shape[1]):
        out, states = cell(x[:, t], states)
        outs.append(out)
    np.testing.assert_allclose(np.stack(outs, 1), y, rtol=1e-5, atol=1e-6)


def test_notebook_ln_cell_model_counts_and_trains():
    model = keras.models.Sequential(
        [
            keras.layers.RNN(LNSimpleRNNCell(20), return_sequences=True, input_shape=[None, 1]),
            keras.layers.RNN(LNSimpleRNNCell(20), return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(1)),
        ],
        seed=0,
    )
    # SimpleRNN's 440 and 820 plus LayerNormalization's 40, as in Keras
    assert [layer.count_params() for layer in model.layers] == [480, 860, 21]
    x, y = _series(64)
    shapes = [w.shape for w in model.get_weights()]
    assert shapes[:5] == [(1, 20), (20, 20), (20,), (20,), (20,)]  # Keras's order
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.8 * losses[0]
    assert [w.shape for w in model.get_weights()] == shapes  # training does not reorder them


def test_keras_cell_with_add_weight_trains_like_the_pure_jax_cell():
    x, y = _series(32)
    pure = keras.Sequential(
        [
            keras.layers.RNN(core.SimpleRNNCell(4, use_bias=False), input_shape=(None, 1)),
            keras.layers.Dense(6),
        ]
    )
    custom = keras.Sequential(
        [keras.layers.RNN(MinimalRNNCell(4), input_shape=(None, 1)), keras.layers.Dense(6)]
    )
    custom.set_weights(pure.get_weights())
    initial = custom.get_weights()
    y_last = y[:, -1, 0:1].repeat(6, axis=1)
    for model in (pure, custom):
        model.compile(optimizer="adam", loss="mse")
        model.key_stream = keras.utils.KeyStream(3)
        model.fit(x, y_last, epochs=3, batch_size=8, verbose=0)
    for a, b in zip(pure.get_weights(), custom.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    assert not np.allclose(custom.get_weights()[0], initial[0])


def test_lstm_cell_in_rnn_is_the_built_in_lstm():
    x, _ = _series(3, 5)
    rnn = keras.layers.RNN(keras.layers.LSTMCell(8), return_sequences=True)
    lstm = keras.layers.LSTM(8, return_sequences=True)
    y_lstm = lstm(x)
    rnn(x)
    rnn.set_weights(lstm.get_weights())
    np.testing.assert_allclose(rnn(x), y_lstm, rtol=1e-6, atol=1e-6)
    assert rnn.fused_path()  # the built-in cell: the fast path
    assert [w.shape for w in rnn.get_weights()] == [(1, 32), (8, 32), (32,)]


def test_lstm_and_gru_cell_layers_step_with_keras_states():
    x = np.ones((2, 3), np.float32)
    lstm = keras.layers.LSTMCell(4)
    out, (h, c) = lstm(x, [np.zeros((2, 4)), np.zeros((2, 4))])
    carry, y = lstm.cell(lstm.params, (jnp.zeros((2, 4)), jnp.zeros((2, 4))), x)
    np.testing.assert_allclose(out, y)
    np.testing.assert_allclose(h, y)
    np.testing.assert_allclose(c, carry[1])
    assert lstm.state_size == [4, 4]
    gru_out, [gru_h] = keras.layers.GRUCell(4)(x, [np.zeros((2, 4))])
    np.testing.assert_allclose(gru_out, gru_h)


def test_stacked_cells_equal_two_stacked_rnn_layers():
    x, _ = _series(3, 5)
    stacked = keras.layers.RNN(
        keras.layers.StackedRNNCells([keras.layers.LSTMCell(4), keras.layers.SimpleRNNCell(3)]),
        return_state=True,
    )
    first = keras.layers.LSTM(4, return_sequences=True, return_state=True)
    second = keras.layers.SimpleRNN(3, return_state=True)
    seq, h1_ref, c1_ref = first(x)
    y_ref, h_ref = second(seq)
    out, h1, c1, h2 = stacked(x)
    stacked.set_weights(first.get_weights() + second.get_weights())
    out, h1, c1, h2 = stacked(x)
    np.testing.assert_allclose(out, y_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h2, h_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h1, h1_ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c1, c1_ref, rtol=1e-5, atol=1e-6)
    assert stacked.cell.layer.state_size == [[4, 4], 3]
    # a list of cells is a StackedRNNCells, as in Keras
    listed = keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.SimpleRNNCell(3)])
    listed(x)
    listed.set_weights(stacked.get_weights())
    np.testing.assert_allclose(listed(x), out, rtol=1e-6)


def test_get_initial_state_go_backwards_and_return_state():
    class OnesStart(MinimalRNNCell):
        def get_initial_state(self, batch_size=None):
            return [jnp.ones((batch_size, self.units))]

    x, _ = _series(2, 4)
    rnn = keras.layers.RNN(OnesStart(3), return_state=True, go_backwards=True)
    out, state = rnn(x)
    params = rnn.params
    h = np.ones((2, 3))
    for t in reversed(range(4)):
        h = np.tanh(
            x[:, t] @ np.asarray(params["kernel"]) + h @ np.asarray(params["recurrent_kernel"])
        )
    np.testing.assert_allclose(out, h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state, h, rtol=1e-5, atol=1e-6)


def test_a_cell_without_state_size_is_refused():
    class NoState(keras.layers.Layer):
        def call(self, inputs, states):
            return inputs, states

    with pytest.raises(ValueError) as info:
        keras.layers.RNN(NoState(name="no_state"))
    assert str(info.value) == (
        "RNN: cell NoState 'no_state' has no state_size; a Keras-style cell needs state_size "
        "(an integer, or a list of integers, one per state) and call(inputs, states) -> "
        "(output, new_states)"
    )


def test_a_cell_returning_the_wrong_structure_is_refused_at_build_time():
    class OnlyOutput(MinimalRNNCell):
        def call(self, inputs, states):
            return super().call(inputs, states)[0]  # forgets the states

    rnn = keras.layers.RNN(OnlyOutput(3, name="only_output"))
    with pytest.raises(ValueError) as info:
        keras.Sequential([rnn], name="m").build((None, None, 2))
    assert str(info.value) == (
        "OnlyOutput 'only_output': call(inputs, states) must return (output, new_states) "
        "with new_states matching state_size 3 ((None, 3)); it returned one tensor of shape "
        "(None, 3)"
    )


def test_a_cell_returning_too_few_states_is_refused():
    class LosesC(keras.layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.state_size = [4, 4]
            self.lstm = keras.layers.LSTMCell(4)

        def call(self, inputs, states):
            out, (h, _c) = self.lstm(inputs, states)
            return out, [h]

    with pytest.raises(
        ValueError, match=r"it returned 2 tensors of shapes \(None, 4\), \(None, 4\)$"
    ):
        keras.layers.RNN(LosesC(name="loses_c"))(np.ones((2, 3, 1), np.float32))


def test_training_reaches_a_cells_call_and_its_dropout_uses_the_layers_key():
    seen = []

    class DropCell(MinimalRNNCell):
        def __init__(self, units, **kwargs):
            super().__init__(units, **kwargs)
            self.drop = keras.layers.Dropout(0.5)

        def call(self, inputs, states, training=None):
            seen.append(training)
            h = jnp.tanh(inputs @ self.kernel + states[0] @ self.recurrent_kernel)
            return self.drop(h), [h]

    rnn = keras.layers.RNN(DropCell(16), return_sequences=True)
    x = jnp.asarray(_series(4, 5)[0])
    params = rnn.init_params(jax.random.key(0), (None, None, 1))
    seen.clear()
    plain = rnn.apply(params, x)
    assert seen == [False]  # the step is traced once per run
    a, _ = rnn.apply_train(params, x, key=jax.random.key(1))
    b, _ = rnn.apply_train(params, x, key=jax.random.key(1))
    c, _ = rnn.apply_train(params, x, key=jax.random.key(2))
    assert seen[1:] == [True, True, True]
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c) and not np.allclose(a, plain)
    dropped = np.asarray(a) == 0
    assert (dropped == dropped[:, :1]).all()  # one mask for the whole sequence


class _PureLNCell:
    """The LN cell's computation as a pure-JAX rnnlab cell over the same built-in pieces."""

    def __init__(self, units):
        self.units = units
        self.core = core.SimpleRNNCell(units, activation=None)
        self.norm = keras.layers.LayerNormalization()
        self.norm.build((None, units))

    def init(self, key, input_dim):
        return {
            "rnn": self.core.init(key, input_dim),
            "ln": self.norm.init_params(key, (None, self.units)),
        }

    def initial_carry(self, batch_size, dtype=jnp.float32):
        return jnp.zeros((batch_size, self.units), dtype)

    def __call__(self, params, carry, x):
        _, z = self.core(params["rnn"], carry, x)
        h = jnp.tanh(self.norm.apply(params["ln"], z))
        return h, h


def test_the_keras_ln_cell_compiles_to_the_work_of_the_pure_jax_cell():
    x, y = (jnp.asarray(a) for a in _series(8, 10))

    def flops(cell):
        rnn = keras.layers.RNN(cell, return_sequences=True)
        params = rnn.init_params(jax.random.key(0), (None, None, 1))

        def loss(p):
            return jnp.mean((rnn.apply(p, x, training=True)[..., :1] - y) ** 2)

        return jax.jit(jax.grad(loss)).lower(params).compile().cost_analysis()["flops"]

    assert flops(LNSimpleRNNCell(6)) == flops(_PureLNCell(6))


def test_a_keras_style_cell_in_bidirectional():
    x, _ = _series(3, 6)
    bi = keras.layers.Bidirectional(keras.layers.RNN(LNSimpleRNNCell(4)))
    y = np.asarray(bi(x))
    assert y.shape == (3, 8) and bi.count_params() == 2 * (4 * (1 + 4 + 1) + 8)
    one_way = keras.layers.RNN(LNSimpleRNNCell(4))
    one_way(x)
    one_way.params = bi.params["forward"]
    np.testing.assert_allclose(y[:, :4], one_way(x), rtol=1e-5, atol=1e-6)
    one_way.params = bi.params["backward"]
    np.testing.assert_allclose(y[:, 4:], one_way(x[:, ::-1]), rtol=1e-5, atol=1e-6)
