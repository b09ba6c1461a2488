"""Tests for rnnlab.models.Sequential: the chapter's summaries, training, evaluate/predict,
compilation caching, reproducibility and the functional core."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.test_util import check_grads

import rnnlab
from rnnlab.data import generate_time_series
from rnnlab.layers import GRU, LSTM, Conv1D, Dense, SimpleRNN
from rnnlab.losses import mean_absolute_error, mean_squared_error
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD, Adam

# --- the chapter's summaries ---------------------------------------------------------------

RULE = "_" * 65
DOUBLE = "=" * 65
HEADER = "Layer (type)                 Output Shape              Param #"


def _summary_text(model):
    lines = []
    model.summary(print_fn=lines.append)
    return "\n".join(lines)


def _chapter_models():
    """The chapter's eight models, built in the chapter's order."""
    models = []
    m = Sequential()
    m.add(SimpleRNN(units=1, input_shape=(None, 1)))
    models.append(m)
    m = Sequential()
    m.add(SimpleRNN(units=20, return_sequences=True, input_shape=(None, 1)))
    m.add(SimpleRNN(units=20))
    m.add(Dense(units=1))
    models.append(m)
    m = Sequential()
    m.add(SimpleRNN(units=20, return_sequences=True, input_shape=(None, 1)))
    m.add(SimpleRNN(units=20))
    m.add(Dense(units=10))
    models.append(m)
    m = Sequential()
    m.add(LSTM(units=1, input_shape=(None, 1)))
    models.append(m)
    m = Sequential()
    m.add(LSTM(units=20, return_sequences=True, input_shape=(None, 1)))
    m.add(LSTM(units=20))
    m.add(Dense(units=10))
    models.append(m)
    m = Sequential()
    m.add(GRU(units=1, input_shape=(None, 1)))
    models.append(m)
    m = Sequential()
    m.add(GRU(20, return_sequences=True, input_shape=(None, 1)))
    m.add(GRU(20))
    m.add(Dense(10))
    models.append(m)
    m = Sequential()
    m.add(Conv1D(filters=20, kernel_size=4, strides=2, padding="valid", input_shape=(None, 1)))
    m.add(GRU(20, return_sequences=True))
    m.add(GRU(20))
    m.add(Dense(10))
    models.append(m)
    return models


# (model name, [(row line, count)], total) — rows exactly as tf.keras 2 prints them.
CHAPTER_SUMMARIES = [
    ("sequential", [("simple_rnn (SimpleRNN)       (None, 1)                 3", 3)], "3"),
    (
        "sequential_1",
        [
            ("simple_rnn_1 (SimpleRNN)     (None, None, 20)          440", 440),
            ("simple_rnn_2 (SimpleRNN)     (None, 20)                820", 820),
            ("dense (Dense)                (None, 1)                 21", 21),
        ],
        "1,281",
    ),
    (
        "sequential_2",
        [
            ("simple_rnn_3 (SimpleRNN)     (None, None, 20)          440", 440),
            ("simple_rnn_4 (SimpleRNN)     (None, 20)                820", 820),
            ("dense_1 (Dense)              (None, 10)                210", 210),
        ],
        "1,470",
    ),
    ("sequential_3", [("lstm (LSTM)                  (None, 1)                 12", 12)], "12"),
    (
        "sequential_4",
        [
            ("lstm_1 (LSTM)                (None, None, 20)          1760", 1760),
            ("lstm_2 (LSTM)                (None, 20)                3280", 3280),
            ("dense_2 (Dense)              (None, 10)                210", 210),
        ],
        "5,250",
    ),
    ("sequential_5", [("gru (GRU)                    (None, 1)                 12", 12)], "12"),
    (
        "sequential_6",
        [
            ("gru_1 (GRU)                  (None, None, 20)          1380", 1380),
            ("gru_2 (GRU)                  (None, 20)                2520", 2520),
            ("dense_3 (Dense)              (None, 10)                210", 210),
        ],
        "4,110",
    ),
    (
        "sequential_7",
        [
            ("conv1d (Conv1D)              (None, None, 20)          100", 100),
            ("gru_3 (GRU)                  (None, None, 20)          2520", 2520),
            ("gru_4 (GRU)                  (None, 20)                2520", 2520),
            ("dense_4 (Dense)              (None, 10)                210", 210),
        ],
        "5,350",
    ),
]


def test_chapter_summaries_exact(fresh_names):
    models = _chapter_models()
    assert len(models) == len(CHAPTER_SUMMARIES)
    for model, (name, rows, total) in zip(models, CHAPTER_SUMMARIES, strict=True):
        expected = [f'Model: "{name}"', RULE, HEADER, DOUBLE]
        for i, (line, _) in enumerate(rows):
            expected += [line, DOUBLE if i == len(rows) - 1 else RULE]
        expected += [
            f"Total params: {total}",
            f"Trainable params: {total}",
            "Non-trainable params: 0",
            RULE,
        ]
        assert _summary_text(model) == "\n".join(expected)
        assert model.count_params() == sum(c for _, c in rows)
        assert [layer.count_params() for layer in model.layers] == [c for _, c in rows]
    assert [m.count_params() for m in models] == [3, 1281, 1470, 12, 5250, 12, 4110, 5350]


def test_summary_without_print_fn_prints(fresh_names, capsys):
    Sequential([SimpleRNN(1, input_shape=(None, 1))]).summary()
    out = capsys.readouterr().out
    assert "simple_rnn (SimpleRNN)       (None, 1)                 3\n" in out
    assert "Total params: 3\n" in out


def test_clear_session_resets_names(fresh_names):
    first = Sequential([SimpleRNN(1, input_shape=(None, 1)), Dense(1)])
    assert first.name == "sequential"
    assert [layer.name for layer in first.layers] == ["simple_rnn", "dense"]
    rnnlab.utils.clear_session()
    again = Sequential([SimpleRNN(1, input_shape=(None, 1))])
    assert again.name == "sequential"
    assert again.layers[0].name == "simple_rnn"


# --- training the chapter's stacked RNN ----------------------------------------------------


@pytest.fixture(scope="module")
def series_data():
    series = generate_time_series(1000, 51, seed=0)
    x, y = series[:, :50], series[:, -1]
    return x[:800], y[:800], x[800:], y[800:]


@pytest.fixture(scope="module")
def trained_stacked(series_data):
    x_train, y_train, x_val, y_val = series_data
    rnnlab.utils.set_random_seed(0)
    model = Sequential()
    model.add(SimpleRNN(units=20, return_sequences=True, input_shape=(None, 1)))
    model.add(SimpleRNN(units=20))
    model.add(Dense(units=1))
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x_train, y_train, epochs=4, verbose=0, validation_data=(x_val, y_val))
    return model, history


def test_stacked_rnn_beats_naive_baseline(series_data, trained_stacked):
    _, _, x_val, y_val = series_data
    model, _ = trained_stacked
    naive = np.mean(mean_squared_error(y_val, x_val[:, -1]))
    y_pred = model.predict(x_val)
    model_mse = np.mean(mean_squared_error(y_val, y_pred))
    assert 0.01 < naive < 0.05  # the chapter's baseline is 0.020
    assert model_mse < 0.5 * naive


def test_history_one_value_per_epoch(trained_stacked):
    model, history = trained_stacked
    assert set(history.history) == {"loss", "val_loss"}
    assert len(history.history["loss"]) == 4
    assert len(history.history["val_loss"]) == 4
    assert history.epoch == [0, 1, 2, 3]
    assert all(isinstance(v, float) and np.isfinite(v) for v in history.history["loss"])
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.history is history


def test_last_val_loss_is_evaluate_of_final_weights(series_data, trained_stacked):
    _, _, x_val, y_val = series_data
    model, history = trained_stacked
    assert history.history["val_loss"][-1] == pytest.approx(model.evaluate(x_val, y_val), rel=1e-5)


def test_evaluate_equals_mean_of_per_sample_loss(series_data, trained_stacked):
    _, _, x_val, y_val = series_data
    model, _ = trained_stacked
    loss = model.evaluate(x_val, y_val)
    assert isinstance(loss, float)
    expected = float(np.mean(mean_squared_error(y_val, model.predict(x_val))))
    assert loss == pytest.approx(expected, abs=1e-6)
    # The chunk size is an implementation detail: same value with any batch_size.
    assert model.evaluate(x_val, y_val, batch_size=7) == pytest.approx(expected, abs=1e-6)


def test_predict_returns_numpy_of_output_shape(series_data, trained_stacked):
    _, _, x_val, _ = series_data
    model, _ = trained_stacked
    y = model.predict(x_val)
    assert type(y) is np.ndarray
    assert y.shape == (200, 1)
    assert y.dtype == np.float32
    # predict in small batches gives the same numbers
    np.testing.assert_allclose(model.predict(x_val, batch_size=64), y, rtol=1e-5, atol=1e-6)


def test_jit_apply_equals_predict(series_data, trained_stacked):
    _, _, x_val, _ = series_data
    model, _ = trained_stacked
    y = jax.jit(model.apply)(model.params, jnp.asarray(x_val))
    np.testing.assert_allclose(np.asarray(y), model.predict(x_val), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(model(x_val)), model.predict(x_val), rtol=1e-5, atol=1e-6)


def test_params_are_a_plain_dict_pytree(trained_stacked):
    model, _ = trained_stacked
    params = model.params
    assert type(params) is dict
    assert set(params) == {layer.name for layer in model.layers}
    rnn1, rnn2, dense = model.layers
    assert set(params[rnn1.name]) == {"kernel", "recurrent_kernel", "bias"}
    assert set(params[rnn2.name]) == {"kernel", "recurrent_kernel", "bias"}
    assert set(params[dense.name]) == {"kernel", "bias"}
    leaves = jax.tree.leaves(params)
    assert len(leaves) == 8
    assert sum(leaf.size for leaf in leaves) == model.count_params() == 1281
    assert params[rnn2.name]["recurrent_kernel"].shape == (20, 20)


def test_predict_and_evaluate_do_not_recompile(series_data, trained_stacked):
    _, _, x_val, y_val = series_data
    model, _ = trained_stacked
    model.predict(x_val)
    size = model.predict_fn._cache_size()
    model.predict(x_val)
    model.predict(x_val[:150])  # same power-of-two bucket as 200 samples
    assert model.predict_fn._cache_size() == size
    model.evaluate(x_val, y_val)
    ev = model.trainer.evaluate_fn._cache_size()
    model.evaluate(x_val, y_val)
    assert model.trainer.evaluate_fn._cache_size() == ev


def test_multistep_model_predicts_ten_values(series_data):
    series = generate_time_series(96, 60, seed=1)
    x, y = series[:, :50], series[:, -10:, 0]
    model = Sequential(
        [
            Conv1D(20, 4, strides=2, padding="valid", input_shape=(None, 1)),
            GRU(20, return_sequences=True),
            GRU(20),
            Dense(10),
        ],
        seed=0,
    )
    model.compile(optimizer=Adam(learning_rate=0.01), loss="mse")
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    y_pred = model.predict(x[:17])
    assert y_pred.shape == (17, 10)
    assert model.evaluate(x, y) == pytest.approx(
        float(np.mean(mean_squared_error(y, model.predict(x)))), abs=1e-6
    )


# --- predict equals the pure forward pass --------------------------------------------------


@pytest.mark.parametrize(
    ("go_backwards", "return_sequences", "stacked"),
    [
        (False, False, False),
        (False, True, False),
        (True, False, False),
        (True, True, False),
        (False, False, True),
        (True, False, True),
    ],
    ids=["last", "sequences", "backwards_last", "backwards_sequences", "stacked", "stacked_back"],
)
def test_predict_equals_apply(go_backwards, return_sequences, stacked):
    _check_predict_equals_apply(SimpleRNN, go_backwards, return_sequences, stacked)


def test_predict_equals_apply_lstm():
    _check_predict_equals_apply(LSTM, False, True, True)


def _check_predict_equals_apply(cls, go_backwards, return_sequences, stacked):
    x = np.random.default_rng(4).normal(size=(3, 7, 2)).astype(np.float32)
    layers = [
        cls(
            4,
            return_sequences=return_sequences or stacked,
            go_backwards=go_backwards,
            input_shape=(None, 2),
        )
    ]
    if stacked:
        layers.append(cls(3))
    model = Sequential(layers, seed=0)
    expected = np.asarray(jax.jit(model.apply)(model.params, jnp.asarray(x)))
    got = model.predict(x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# --- a small model for the remaining checks ------------------------------------------------

SMALL_X = np.random.default_rng(0).normal(size=(40, 6, 1)).astype(np.float32)
SMALL_Y = (SMALL_X[:, -2:, 0].sum(axis=1, keepdims=True) * 0.5).astype(np.float32)
FLAT_X = SMALL_X[:, :, 0]


def _small_model(seed=0, **compile_kwargs):
    """A cheap-to-compile model on the flattened series (Dense(4, tanh) -> Dense(1))."""
    model = Sequential([Dense(4, activation="tanh", input_shape=(6,)), Dense(1)], seed=seed)
    compile_kwargs.setdefault("optimizer", "adam")
    compile_kwargs.setdefault("loss", "mse")
    model.compile(**compile_kwargs)
    return model


def test_metrics_history_keys_and_evaluate_list():
    model = _small_model(metrics=["mae"])
    assert model.metrics_names == ["loss", "mae"]
    x_val, y_val = FLAT_X[:10], SMALL_Y[:10]
    # one full batch: the reported train loss/metric are those of the initial weights
    before = model.evaluate(FLAT_X, SMALL_Y)
    history = model.fit(
        FLAT_X, SMALL_Y, batch_size=40, epochs=1, verbose=0, validation_data=(x_val, y_val)
    )
    assert set(history.history) == {"loss", "mae", "val_loss", "val_mae"}
    assert history.history["loss"][0] == pytest.approx(before[0], rel=1e-5)
    assert history.history["mae"][0] == pytest.approx(before[1], rel=1e-5)
    result = model.evaluate(x_val, y_val)
    assert isinstance(result, list)
    assert len(result) == 2
    pred = model.predict(x_val)
    assert result[0] == pytest.approx(float(np.mean(mean_squared_error(y_val, pred))), abs=1e-6)
    assert result[1] == pytest.approx(float(np.mean(mean_absolute_error(y_val, pred))), abs=1e-6)
    assert history.history["val_loss"][0] == pytest.approx(result[0], rel=1e-5)
    assert history.history["val_mae"][0] == pytest.approx(result[1], rel=1e-5)


def test_validation_split_holds_out_the_last_fraction():
    split = _small_model(seed=5)
    h_split = split.fit(
        FLAT_X, SMALL_Y, validation_split=0.25, shuffle=False, epochs=2, batch_size=8, verbose=0
    )
    explicit = _small_model(seed=5)
    h_explicit = explicit.fit(
        FLAT_X[:30],
        SMALL_Y[:30],
        validation_data=(FLAT_X[30:], SMALL_Y[30:]),
        shuffle=False,
        epochs=2,
        batch_size=8,
        verbose=0,
    )
    assert set(h_split.history) == {"loss", "val_loss"}
    assert h_split.history == h_explicit.history
    for a, b in zip(split.get_weights(), explicit.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert h_split.history["val_loss"][-1] == pytest.approx(
        split.evaluate(FLAT_X[30:], SMALL_Y[30:]), rel=1e-5
    )


def test_targets_of_shape_n_are_aligned_to_n_1():
    a = _small_model(seed=2, optimizer=SGD(0.05))
    b = _small_model(seed=2, optimizer=SGD(0.05))
    a.fit(FLAT_X, SMALL_Y, epochs=1, shuffle=False, verbose=0)
    b.fit(FLAT_X, SMALL_Y[:, 0], epochs=1, shuffle=False, verbose=0)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(wa, wb)
    assert a.evaluate(FLAT_X, SMALL_Y[:, 0]) == pytest.approx(a.evaluate(FLAT_X, SMALL_Y))


def test_frozen_layer_is_not_trained_and_summary_counts_it():
    model = Sequential([SimpleRNN(3, input_shape=(None, 1)), Dense(1)], seed=0)
    model.layers[0].trainable = False
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    lines = _summary_text(model).splitlines()
    assert lines[-4:-1] == [
        "Total params: 19",
        "Trainable params: 4",
        "Non-trainable params: 15",
    ]
    model.fit(SMALL_X, SMALL_Y, epochs=1, batch_size=20, verbose=0)
    after = model.get_weights()
    for a, b in zip(before[:3], after[:3], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(before[3], after[3])


# --- optimizers in compile: one hand-computed step -----------------------------------------


def _dense_model(seed=0):
    return Sequential([Dense(2, input_shape=(3,))], seed=seed)


DENSE_X = np.random.default_rng(1).normal(size=(8, 3)).astype(np.float32)
DENSE_Y = np.random.default_rng(2).normal(size=(8, 2)).astype(np.float32)


def _mse_grads(model, params, x, y):
    def loss(p):
        return jnp.mean(jnp.mean((model.apply(p, x) - y) ** 2, axis=-1))

    return jax.grad(loss)(params)


@pytest.mark.parametrize(
    ("optimizer", "lr"),
    [(Adam(lr=0.005), 0.005), ("adam", 0.001)],
    ids=["Adam(lr=0.005)", "adam"],
)
def test_first_adam_step_moves_by_lr_times_sign(optimizer, lr):
    model = _dense_model()
    model.compile(optimizer=optimizer, loss="mse")
    assert isinstance(model.optimizer, Adam)
    assert model.optimizer.learning_rate == pytest.approx(lr)
    before = jax.tree.map(np.asarray, model.params)
    grads = _mse_grads(model, model.params, DENSE_X, DENSE_Y)
    model.fit(DENSE_X, DENSE_Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for layer in model.layers:
        for name in ("kernel", "bias"):
            g = np.asarray(grads[layer.name][name])
            step = np.asarray(model.params[layer.name][name]) - before[layer.name][name]
            np.testing.assert_allclose(step, -lr * np.sign(g), rtol=1e-3, atol=1e-7)


def test_optax_sgd_transformation_step():
    model = _dense_model()
    model.compile(optimizer=optax.sgd(0.01), loss="mse")
    before = model.params
    grads = _mse_grads(model, before, DENSE_X, DENSE_Y)
    model.fit(DENSE_X, DENSE_Y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    expected = jax.tree.map(lambda p, g: p - 0.01 * g, before, grads)
    for got, want in zip(jax.tree.leaves(model.params), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-6, atol=1e-7)


def test_last_partial_batch_is_trained():
    n, lr = 33, 0.1
    rng = np.random.default_rng(3)
    x = rng.normal(size=(n, 5)).astype(np.float32)
    y = rng.normal(size=(n, 1)).astype(np.float32)
    model = Sequential([Dense(3, activation="tanh", input_shape=(5,)), Dense(1)], seed=11)
    model.compile(optimizer=SGD(learning_rate=lr), loss="mse")
    p0 = model.params

    def loss(p, xb, yb):
        return jnp.mean(jnp.mean((model.apply(p, xb) - yb) ** 2, axis=-1))

    l1, g1 = jax.value_and_grad(loss)(p0, x[:32], y[:32])
    p1 = jax.tree.map(lambda p, g: p - lr * g, p0, g1)
    l2, g2 = jax.value_and_grad(loss)(p1, x[32:], y[32:])  # the mean over the 1 remaining sample
    p2 = jax.tree.map(lambda p, g: p - lr * g, p1, g2)

    history = model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    for got, want in zip(jax.tree.leaves(model.params), jax.tree.leaves(p2), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-6)
    # the second step really moved the weights (so dropping it would fail above)
    moved = max(
        float(np.max(np.abs(np.asarray(a) - np.asarray(b))))
        for a, b in zip(jax.tree.leaves(p2), jax.tree.leaves(p1), strict=True)
    )
    assert moved > 1e-4
    assert history.history["loss"][0] == pytest.approx((32 * float(l1) + float(l2)) / 33, rel=1e-5)


def test_fewer_samples_than_one_batch():
    flat, y = FLAT_X[:5], SMALL_Y[:5]
    model = Sequential([Dense(1, input_shape=(6,))], seed=0)
    model.compile(optimizer=optax.sgd(0.1), loss="mse")
    before = model.params
    grads = _mse_grads(model, before, flat, y)
    model.fit(flat, y, epochs=1, verbose=0)  # default batch_size 32 > 5 samples
    expected = jax.tree.map(lambda p, g: p - 0.1 * g, before, grads)
    for got, want in zip(jax.tree.leaves(model.params), jax.tree.leaves(expected), strict=True):
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-5, atol=1e-7)
    assert model.evaluate(flat, y, batch_size=32) == pytest.approx(
        float(np.mean(mean_squared_error(y, model.predict(flat)))), abs=1e-6
    )


def test_fit_twice_does_not_recompile():
    model = _small_model(seed=1)
    model.fit(FLAT_X, SMALL_Y, epochs=2, batch_size=16, verbose=0)
    epoch_fn = model.trainer.train_epoch
    size = epoch_fn._cache_size()
    assert size == 1  # both epochs ran on one compilation
    model.fit(FLAT_X, SMALL_Y, epochs=2, batch_size=16, verbose=0)
    assert model.trainer.train_epoch is epoch_fn
    assert epoch_fn._cache_size() == size


# --- reproducibility ------------------------------------------------------------------------


def _build_and_fit(seed=None, recurrent=True):
    first = SimpleRNN(3, input_shape=(None, 1)) if recurrent else Dense(3, input_shape=(6,))
    model = Sequential([first, Dense(1)], seed=seed)
    model.compile(optimizer="adam", loss="mse")
    x = SMALL_X if recurrent else FLAT_X
    history = model.fit(x, SMALL_Y, epochs=2, batch_size=8, verbose=0)  # shuffled
    return model.get_weights(), history.history


def _same_weights(a, b):
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def _fresh_rnn_weights(seed=None):
    return Sequential([SimpleRNN(3, input_shape=(None, 1)), Dense(1)], seed=seed).get_weights()


def test_set_random_seed_reproduces_weights_and_history():
    rnnlab.utils.set_random_seed(7)
    initial = _fresh_rnn_weights()
    rnnlab.utils.set_random_seed(7)
    w1, h1 = _build_and_fit()
    rnnlab.utils.set_random_seed(7)
    w2, h2 = _build_and_fit()
    assert _same_weights(w1, w2)
    assert h1 == h2
    assert not _same_weights(w1, initial)  # training changed them
    rnnlab.utils.set_random_seed(8)
    assert not _same_weights(_fresh_rnn_weights(), initial)


def test_sequential_seed_reproduces_independently_of_global_seed():
    rnnlab.utils.set_random_seed(1)
    w1, h1 = _build_and_fit(seed=3, recurrent=False)
    rnnlab.utils.set_random_seed(2)
    w2, h2 = _build_and_fit(seed=3, recurrent=False)
    assert _same_weights(w1, w2)
    assert h1 == h2
    assert _same_weights(_fresh_rnn_weights(seed=3), _fresh_rnn_weights(seed=3))
    assert not _same_weights(_fresh_rnn_weights(seed=3), _fresh_rnn_weights(seed=4))


def test_seeded_initial_weights_differ_between_seeds():
    a = Sequential([LSTM(4, input_shape=(None, 1))], seed=0).get_weights()
    b = Sequential([LSTM(4, input_shape=(None, 1))], seed=0).get_weights()
    c = Sequential([LSTM(4, input_shape=(None, 1))], seed=1).get_weights()
    assert _same_weights(a, b)
    assert not np.array_equal(a[0], c[0])
    assert not np.array_equal(a[1], c[1])


# --- functional core ------------------------------------------------------------------------


def test_grad_of_loss_over_apply_matches_finite_differences():
    model = Sequential([SimpleRNN(3, input_shape=(None, 1)), Dense(1)], seed=4)
    x, y = jnp.asarray(SMALL_X[:4]), jnp.asarray(SMALL_Y[:4])

    def loss(params):
        return jnp.mean((model.apply(params, x) - y) ** 2)

    grads = jax.grad(loss)(model.params)
    assert jax.tree.structure(grads) == jax.tree.structure(model.params)
    check_grads(
        jax.jit(loss), (model.params,), order=1, modes=["rev"], atol=2e-2, rtol=2e-2, eps=1e-2
    )


def test_model_apply_inside_user_training_step():
    model = Sequential([GRU(3, input_shape=(None, 1)), Dense(1)], seed=6)
    x, y = jnp.asarray(SMALL_X), jnp.asarray(SMALL_Y)

    @jax.jit
    def step(params):
        loss, grads = jax.value_and_grad(lambda p: jnp.mean((model.apply(p, x) - y) ** 2))(params)
        return jax.tree.map(lambda p, g: p - 0.1 * g, params, grads), loss

    params = model.params
    losses = []
    for _ in range(5):
        params, loss = step(params)
        losses.append(float(loss))
    assert losses[-1] < losses[0]


# --- sequences of another length ------------------------------------------------------------


def test_trained_model_accepts_other_sequence_lengths():
    series = generate_time_series(64, 36, seed=2)
    x20, y = series[:, :20], series[:, 20]
    model = Sequential([SimpleRNN(5, input_shape=(None, 1)), Dense(1)], seed=0)
    model.compile(optimizer="adam", loss="mse")
    model.fit(x20, y, epochs=1, verbose=0)
    x35 = series[:, :35]
    y35 = model.predict(x35)
    assert y35.shape == (64, 1)
    np.testing.assert_allclose(
        y35, np.asarray(jax.jit(model.apply)(model.params, x35)), rtol=1e-5, atol=1e-6
    )
    # the series' last 15 steps matter: changing them changes the forecast
    changed = x35.copy()
    changed[:, 20:] += 0.5
    assert not np.allclose(model.predict(changed), y35, atol=1e-4)


def test_model_built_from_data_accepts_other_sequence_lengths():
    model = Sequential([SimpleRNN(4), Dense(1)], seed=0)
    model.predict(SMALL_X)  # builds the model from 6-step data, as fit would
    longer = np.concatenate([SMALL_X, SMALL_X], axis=1)  # 12 steps
    assert model.predict(longer).shape == (40, 1)
