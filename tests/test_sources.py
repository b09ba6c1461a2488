"""Tests for rnnlab.training.sources: fit/evaluate on data that gathers its own batches."""

import re
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from rnnlab.layers import Dense, SimpleRNN
from rnnlab.models import Sequential
from rnnlab.optimizers import SGD
from rnnlab.training.sources import ArraySource, is_source

LOOKBACK, HORIZON = 6, 2


@dataclass(frozen=True)
class _TakeWindows:
    """Windows of one long series: inputs series[t:t+6], targets series[t+6:t+8]."""

    lookback: int
    horizon: int

    def __call__(self, series, starts, idx):
        t = starts[idx]
        x = jax.vmap(lambda s: jax.lax.dynamic_slice(series, (s, 0), (self.lookback, 1)))(t)
        y = jax.vmap(lambda s: jax.lax.dynamic_slice(series[:, 0], (s,), (self.horizon,)))(
            t + self.lookback
        )
        return x, y


@dataclass(frozen=True)
class _Windows:
    series: np.ndarray  # (T, 1)
    starts: np.ndarray  # (n,)

    @property
    def arrays(self):
        return self.series, self.starts

    @property
    def take(self):
        return _TakeWindows(LOOKBACK, HORIZON)

    @property
    def sample_shapes(self):
        return (LOOKBACK, 1), (HORIZON,)

    def __len__(self):
        return len(self.starts)


def _materialised(src):
    x = np.stack([src.series[t : t + LOOKBACK] for t in src.starts])
    y = np.stack([src.series[t + LOOKBACK : t + LOOKBACK + HORIZON, 0] for t in src.starts])
    return x, y


@pytest.fixture(scope="module")
def series():
    rng = np.random.default_rng(0)
    t = np.arange(80, dtype=np.float32)
    return (np.sin(t / 4) + 0.1 * rng.standard_normal(80)).astype(np.float32)[:, None]


def _model():
    model = Sequential([SimpleRNN(4, input_shape=(None, 1)), Dense(HORIZON)], seed=1)
    model.compile(optimizer=SGD(learning_rate=0.05), loss="mse")
    return model


def test_a_window_source_trains_and_evaluates_as_its_materialised_windows(series):
    train = _Windows(series, np.arange(0, 50, dtype=np.int32))
    val = _Windows(series, np.arange(50, 80 - LOOKBACK - HORIZON + 1, dtype=np.int32))
    a, b = _model(), _model()
    ha = a.fit(train, batch_size=8, epochs=3, validation_data=val, verbose=0)
    hb = b.fit(*_materialised(train), batch_size=8, epochs=3, validation_data=_materialised(val))
    np.testing.assert_allclose(ha.history["loss"], hb.history["loss"], rtol=1e-6)
    np.testing.assert_allclose(ha.history["val_loss"], hb.history["val_loss"], rtol=1e-6)
    for wa, wb in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    assert a.evaluate(val) == pytest.approx(a.evaluate(*_materialised(val)), rel=1e-6)


def test_a_fresh_source_of_the_same_kind_reuses_the_compiled_epoch(series):
    model = _model()
    model.fit(_Windows(series, np.arange(0, 40, dtype=np.int32)), batch_size=8, verbose=0)
    take = _TakeWindows(LOOKBACK, HORIZON)
    epoch = model.trainer.epoch_fn(model.trainable_labels(), take=take)
    model.fit(_Windows(series, np.arange(1, 41, dtype=np.int32)), batch_size=8, verbose=0)
    assert model.trainer.epoch_fn(model.trainable_labels(), take=take) is epoch
    assert epoch._cache_size() == 1


def test_array_source_is_the_plain_arrays():
    x = np.linspace(-1, 1, 12, dtype=np.float32).reshape(6, 2)
    y = (x @ np.array([[1.0], [-2.0]], np.float32)).astype(np.float32)
    a = Sequential([Dense(1, input_shape=(2,))], seed=0)
    b = Sequential([Dense(1, input_shape=(2,))], seed=0)
    for m in (a, b):
        m.compile(optimizer=SGD(learning_rate=0.1), loss="mse")
    a.fit(ArraySource(x, y), batch_size=4, epochs=2, verbose=0)
    b.fit(x, y, batch_size=4, epochs=2, verbose=0)
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    assert is_source(ArraySource(x, y)) and not is_source(x) and not is_source(jnp.zeros(2))


def test_bad_uses_of_a_source_are_refused_before_training(series):
    model = _model()
    src = _Windows(series, np.arange(0, 10, dtype=np.int32))
    x, y = _materialised(src)
    cases = [
        (
            dict(x=src, y=y),
            "fit: y must be None when x is a data source (_Windows), which yields its own "
            "targets; got y of type ndarray",
        ),
        (
            dict(x=src, validation_split=0.2),
            "fit: validation_split needs arrays; with a data source (_Windows) pass "
            "validation_data as a source",
        ),
        (
            dict(x=src, validation_data=(x, y)),
            "fit: validation_data must be of the same kind as x (both arrays, or sources that "
            "gather alike), got x: _Windows, validation_data: tuple",
        ),
        (
            dict(x=x, y=y, validation_data=src),
            "fit: validation_data must be of the same kind as x (both arrays, or sources that "
            "gather alike), got x: ndarray, validation_data: _Windows",
        ),
        (
            dict(x=_Windows(series, np.zeros(0, np.int32))),
            "fit: x (_Windows) has no samples",
        ),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=re.escape(message)):
            model.fit(**kwargs, verbose=0)
    wrong = Sequential([SimpleRNN(3, input_shape=(None, 1)), Dense(3)])
    wrong.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=re.escape("but the model outputs (n, 3)")):
        wrong.fit(src, verbose=0)
