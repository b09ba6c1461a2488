"""predict: chunking, time-axis bucketing for iterative forecasting, no recompilation."""

import numpy as np
import pytest

import rnnlab as keras
from rnnlab.layers import GRU, LSTM, Conv1D, Dense, SimpleRNN


@pytest.mark.parametrize("layer", [SimpleRNN, LSTM, GRU])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_masked_left_padding_equals_the_plain_forward(layer, return_sequences):
    x = np.random.default_rng(0).normal(size=(5, 37, 2)).astype(np.float32)
    model = keras.Sequential(
        [
            layer(6, return_sequences=True, input_shape=(None, 2)),
            layer(6, return_sequences=return_sequences),
            Dense(3),
        ]
    )
    assert model._time_padding(x) == 11  # 37 -> 48 steps
    expected = np.asarray(model.apply(model.params, x))
    got = model.predict(x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_iterative_forecasting_reuses_one_compiled_function():
    model = keras.Sequential(
        [LSTM(8, return_sequences=True, input_shape=(None, 1)), LSTM(8), Dense(1)]
    )
    x = np.random.default_rng(1).normal(size=(4, 50, 1)).astype(np.float32)
    for _ in range(10):  # lengths 50..59 share the 64-step bucket
        y = model.predict(x)
        x = np.concatenate([x, y[:, None, :]], axis=1)
    assert x.shape == (4, 60, 1)
    assert model.predict_fn._cache_size() == 1


def test_conv_models_are_not_padded_in_time():
    # Padding would change a convolution's output near the start: no bucketing.
    model = keras.Sequential([Conv1D(4, 3, input_shape=(None, 1)), GRU(4)])
    x = np.ones((2, 20, 1), np.float32)
    assert model._time_padding(x) == 0
    np.testing.assert_allclose(
        model.predict(x), np.asarray(model.apply(model.params, x)), atol=1e-6
    )


def test_predict_chunks_match_one_big_batch():
    model = keras.Sequential([GRU(5, input_shape=(None, 1)), Dense(2)])
    x = np.random.default_rng(2).normal(size=(70, 16, 1)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, batch_size=32), model.predict(x), atol=1e-6)
    assert model.predict(x[:3], batch_size=32).shape == (3, 2)
