"""Tests for the functional API: keras.Input, layers on symbolic tensors, keras.Model."""

import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras
from rnnlab.layers import (
    LSTM,
    Add,
    Average,
    Concatenate,
    Dense,
    Maximum,
    Minimum,
    Multiply,
    SimpleRNN,
    Subtract,
)


def _data(n=64, steps=12, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, steps, 1)).astype(np.float32)
    return x, x[:, -3:, 0].sum(axis=1, keepdims=True).repeat(10, axis=1)


def _sequential():
    return keras.Sequential(
        [keras.Input(shape=(None, 1)), LSTM(5, return_sequences=True), LSTM(5), Dense(10)]
    )


def _functional():
    inputs = keras.Input(shape=(None, 1))
    h = LSTM(5, return_sequences=True)(inputs)
    return keras.Model(inputs, Dense(10)(LSTM(5)(h)))


def test_functional_and_sequential_chapter_lstm_train_to_the_same_weights():
    x, y = _data()
    trained = []
    for build in (_sequential, _functional):
        keras.utils.set_random_seed(3)
        model = build()
        first = [w.copy() for w in model.get_weights()]
        model.compile(optimizer="adam", loss="mse")
        history = model.fit(
            x, y, epochs=2, batch_size=16, validation_data=(x[:8], y[:8]), verbose=0
        )
        trained.append((first, model.get_weights(), history.history, model.predict(x[:4])))
    (w0s, ws, hs, ps), (w0f, wf, hf, pf) = trained
    for a, b in zip(w0s, w0f, strict=True):
        np.testing.assert_array_equal(a, b)  # same initial weights from the same seed
    for a, b in zip(ws, wf, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(hs["loss"], hf["loss"], rtol=1e-5)
    np.testing.assert_allclose(ps, pf, rtol=1e-5, atol=1e-6)


def test_model_layers_inputs_outputs_and_pure_apply():
    inputs = keras.Input(shape=(7, 2), name="series")
    h = SimpleRNN(3, name="rnn")(inputs)
    out = Dense(1, name="head")(h)
    model = keras.Model(inputs, out, name="tiny")
    assert [layer.name for layer in model.layers] == ["series", "rnn", "head"]
    assert model.input_shape == (None, 7, 2) and model.output_shape == (None, 1)
    assert model.get_layer("rnn") is h.node.layer
    assert model.count_params() == (2 * 3 + 3 * 3 + 3) + 4
    x = np.random.default_rng(0).normal(size=(5, 7, 2)).astype(np.float32)
    p = model.params
    w, u, b = (np.asarray(p["rnn"][k]) for k in ("kernel", "recurrent_kernel", "bias"))
    state = np.zeros((5, 3), np.float32)
    for t in range(7):  # NumPy reference of SimpleRNN + Dense
        state = np.tanh(x[:, t] @ w + state @ u + b)
    want = state @ np.asarray(p["head"]["kernel"]) + np.asarray(p["head"]["bias"])
    got = jax.jit(model.apply)(p, jnp.asarray(x))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.predict(x), want, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model(x), want, rtol=1e-5, atol=1e-5)


def test_a_shared_layer_has_one_set_of_weights_and_the_sum_of_both_gradients():
    a, b = keras.Input(shape=(3,), name="a"), keras.Input(shape=(3,), name="b")
    shared = Dense(2, name="shared")
    out = Add()([shared(a), shared(b)])
    model = keras.Model([a, b], out)
    assert [layer.name for layer in model.layers] == ["a", "b", "shared", "add"]
    assert model.count_params() == 8
    xa = np.random.default_rng(1).normal(size=(4, 3)).astype(np.float32)
    xb = np.random.default_rng(2).normal(size=(4, 3)).astype(np.float32)

    def loss(params):
        return jnp.sum(model.apply(params, [xa, xb]) ** 2)

    grad = jax.grad(loss)(model.params)["shared"]["kernel"]
    kernel = np.asarray(model.params["shared"]["kernel"], np.float64)
    bias = np.asarray(model.params["shared"]["bias"], np.float64)

    def numpy_loss(k):
        return np.sum((xa @ k + bias + xb @ k + bias) ** 2)

    eps, fd = 1e-4, np.zeros_like(kernel)
    for i in np.ndindex(kernel.shape):
        step = np.zeros_like(kernel)
        step[i] = eps
        fd[i] = (numpy_loss(kernel + step) - numpy_loss(kernel - step)) / (2 * eps)
    np.testing.assert_allclose(grad, fd, rtol=1e-3, atol=1e-3)


def test_summary_shows_the_connected_to_column():
    a = keras.Input(shape=(3,), name="a")
    b = keras.Input(shape=(2,), name="b")
    joined = Concatenate(name="join")([a, b])
    shared = Dense(5, name="shared")
    out = Dense(1, name="out")(shared(joined))
    model = keras.Model([a, b], out, name="net")
    lines = []
    model.summary(print_fn=lines.append)
    assert [line.rstrip() for line in lines] == [
        'Model: "net"',
        "_" * 98,
        "Layer (type)                    Output Shape         Param #     Connected to",
        "=" * 98,
        "a (InputLayer)                  [(None, 3)]          0",
        "_" * 98,
        "b (InputLayer)                  [(None, 2)]          0",
        "_" * 98,
        "join (Concatenate)              (None, 5)            0           a[0][0]",
        "                                                                 b[0][0]",
        "_" * 98,
        "shared (Dense)                  (None, 5)            30          join[0][0]",
        "_" * 98,
        "out (Dense)                     (None, 1)            6           shared[0][0]",
        "=" * 98,
        "Total params: 36",
        "Trainable params: 36",
        "Non-trainable params: 0",
        "_" * 98,
    ]


@pytest.mark.parametrize(
    ("layer", "reference"),
    [
        (Add, lambda a, b, c: a + b + c),
        (Multiply, lambda a, b, c: a * b * c),
        (Average, lambda a, b, c: (a + b + c) / 3),
        (Maximum, lambda a, b, c: np.maximum(np.maximum(a, b), c)),
        (Minimum, lambda a, b, c: np.minimum(np.minimum(a, b), c)),
        (lambda: Concatenate(axis=1), lambda a, b, c: np.concatenate([a, b, c], axis=1)),
    ],
)
def test_merge_layers_in_a_model_against_numpy(layer, reference):
    inputs = [keras.Input(shape=(4, 2)) for _ in range(3)]
    model = keras.Model(inputs, layer()(inputs))
    rng = np.random.default_rng(0)
    xs = [rng.normal(size=(3, 4, 2)).astype(np.float32) for _ in range(3)]
    np.testing.assert_allclose(model.apply(model.params, xs), reference(*xs), rtol=1e-6)


def test_subtract_takes_exactly_two_inputs():
    a, b = keras.Input(shape=(2,)), keras.Input(shape=(2,))
    np.testing.assert_allclose(Subtract()([np.ones((1, 2)), np.full((1, 2), 3.0)]), [[-2, -2]])
    with pytest.raises(
        ValueError, match=r"Subtract 'subtract_\d+': expects exactly 2 inputs, got 3"
    ):
        Subtract()([a, b, a])


def test_incompatible_shapes_are_refused_while_the_graph_is_built():
    a, b = keras.Input(shape=(3,)), keras.Input(shape=(4,))
    with pytest.raises(
        ValueError, match=re.escape("inputs must have the same shape, got (None, 3), (None, 4)")
    ):
        Add(name="plus")([a, b])
    seq = keras.Input(shape=(5, 2))
    with pytest.raises(ValueError, match=re.escape("inputs must match on every axis but axis -1")):
        Concatenate()([seq, keras.Input(shape=(6, 2))])
    dense = Dense(2, name="d")
    dense(a)
    with pytest.raises(ValueError, match="Dense 'd': expected 3 features"):
        dense(b)  # built for 3 features, called on 4


def test_an_output_not_reachable_from_the_inputs_and_an_unused_input_are_refused():
    a, b = keras.Input(shape=(3,), name="in_a"), keras.Input(shape=(3,), name="in_b")
    out = Dense(1, name="head")(Add(name="both")([a, b]))
    with pytest.raises(
        ValueError,
        match=re.escape(
            "Model: output not reachable from the inputs: it needs the Input 'in_b' "
            "((None, 3)), which is not among the model's inputs (path: in_b -> both -> head); "
            "add it to inputs"
        ),
    ):
        keras.Model(a, out)
    c = keras.Input(shape=(3,), name="in_c")
    with pytest.raises(ValueError, match="Model: input 'in_c' is not used to compute any output"):
        keras.Model([a, b, c], out)
    with pytest.raises(ValueError, match=re.escape("every input must be a keras.Input tensor")):
        keras.Model(Add()([a, b]), out)


def test_dict_inputs_by_name_and_their_errors():
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(3,), name="b")
    model = keras.Model({"a": a, "b": b}, Concatenate()([a, b]))
    xa, xb = np.ones((2, 2), np.float32), np.zeros((2, 3), np.float32)
    np.testing.assert_array_equal(model({"a": xa, "b": xb}), np.concatenate([xa, xb], 1))
    with pytest.raises(
        ValueError,
        match=re.escape("Model: input key 'c' names no input; the inputs are ['a', 'b']"),
    ):
        model({"a": xa, "b": xb, "c": xb})
    with pytest.raises(ValueError, match=re.escape("Model: no data for the input 'b'")):
        model({"a": xa})
    with pytest.raises(ValueError, match=re.escape("predict: x is one array, but the model has 2")):
        model.predict(xa)


def test_a_symbolic_tensor_has_no_values():
    t = keras.Input(shape=(3,))
    with pytest.raises(TypeError, match="cannot be used as a Python bool"):
        bool(t)
    with pytest.raises(TypeError, match="is symbolic: it has no values"):
        np.asarray(t)


def test_weights_files_round_trip_and_whole_model_files_load_back(tmp_path):
    x = keras.Input(shape=(3,))
    model = keras.Model(x, Dense(2)(x), name="net")
    before = model.get_weights()
    model.save_weights(tmp_path / "net.weights.h5")
    model.set_weights([np.zeros_like(w) for w in before])
    model.load_weights(tmp_path / "net.weights.h5")
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    model.save(tmp_path / "net.keras")  # more: tests/saving/test_functional_files.py
    loaded = keras.models.load_model(tmp_path / "net.keras")
    for a, b in zip(before, loaded.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
