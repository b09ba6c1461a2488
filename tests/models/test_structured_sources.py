"""Data sources (``rnnlab.training.Source``) for models of several inputs and outputs.

A source keeps its data compact and gathers each batch inside the compiled epoch; for a
two-input, two-output functional model here it cuts ``(lookback,)`` windows out of one
long series plus a per-window feature. The reference is the same windows laid out as
arrays (a NumPy loop) and given to ``fit`` directly: weights and History must be equal.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax.numpy as jnp
import numpy as np
import pytest

import rnnlab as keras

LOOKBACK = 8


@dataclass(frozen=True)
class _Gather:
    """``take``: windows of ``series`` starting at ``starts[idx]``, the feature rows, and
    the two targets (the next value; the mean of the next two)."""

    lookback: int

    def __call__(self, x_data, y_data, idx):
        series, starts, feature = x_data
        first = starts[idx]
        steps = first[:, None] + jnp.arange(self.lookback)[None, :]
        windows = series[steps][..., None]  # (batch, lookback, 1)
        nxt = series[first + self.lookback]
        after = series[first + self.lookback + 1]
        return [windows, feature[idx]], [nxt[:, None], ((nxt + after) / 2)[:, None]]


@dataclass(frozen=True)
class WindowSource:
    series: np.ndarray
    starts: np.ndarray
    feature: np.ndarray
    shapes: tuple = (((LOOKBACK, 1), (2,)), ((1,), (1,)))

    @property
    def arrays(self):
        return (self.series, self.starts, self.feature), None

    @property
    def take(self):
        return _Gather(LOOKBACK)

    @property
    def sample_shapes(self):
        return self.shapes

    def __len__(self):
        return len(self.starts)


def build(seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    seq = keras.Input((LOOKBACK, 1), name="seq")
    feat = keras.Input((2,), name="feat")
    h = keras.layers.Concatenate()([keras.layers.Flatten()(seq), feat])
    h = keras.layers.Dense(6, activation="tanh", name="hidden")(h)
    nxt = keras.layers.Dense(1, name="next")(h)
    two = keras.layers.Dense(1, name="two")(h)
    model = keras.Model([seq, feat], [nxt, two], name="windows")
    model.compile("adam", loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], []])
    return model


@pytest.fixture(scope="module")
def source():
    rng = np.random.default_rng(0)
    series = np.sin(np.arange(120) / 5).astype(np.float32) + 0.1 * rng.normal(size=120).astype(
        np.float32
    )
    starts = np.arange(0, 120 - LOOKBACK - 1, dtype=np.int32)
    feature = np.stack([starts / 120, np.cos(starts)], axis=1).astype(np.float32)
    return WindowSource(series, starts, feature)


def as_arrays(src: WindowSource):
    """The same samples, laid out one window per row by a plain loop."""
    windows = np.stack([src.series[s : s + LOOKBACK] for s in src.starts])[..., None]
    nxt = np.array([src.series[s + LOOKBACK] for s in src.starts])[:, None]
    ahead = [src.series[s + LOOKBACK : s + LOOKBACK + 2] for s in src.starts]
    two = np.array([(a[0] + a[1]) / 2 for a in ahead])
    return [windows, src.feature], [nxt, two[:, None].astype(np.float32)]


def test_fit_on_a_source_equals_fit_on_its_arrays(source):
    x, y = as_arrays(source)
    fit = {"epochs": 2, "batch_size": 16, "verbose": 0}
    # Each built and fitted right after its seed: the fit's shuffle key is the next one.
    by_source = build()
    h1 = by_source.fit(source, validation_data=source, **fit)
    by_arrays = build()
    h2 = by_arrays.fit(x, y, validation_data=(x, y), **fit)
    assert sorted(h1.history) == sorted(h2.history)
    assert "next_mae" in h1.history and "val_two_loss" in h1.history
    for key in h2.history:
        np.testing.assert_allclose(h1.history[key], h2.history[key], rtol=1e-6, err_msg=key)
    for a, b in zip(by_source.get_weights(), by_arrays.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    got = by_source.evaluate(source, verbose=0, return_dict=True)
    want = by_arrays.evaluate(x, y, verbose=0, return_dict=True)
    assert got == pytest.approx(want, rel=1e-6)


@pytest.mark.parametrize(
    ("shapes", "message"),
    [
        (
            (((LOOKBACK, 1),), ((1,), (1,))),
            "fit: x (WindowSource) gives 1 input shapes in sample_shapes, but the model has 2 "
            "inputs ['seq', 'feat']; give one shape per input, in that order",
        ),
        (
            (((LOOKBACK, 1), (3,)), ((1,), (1,))),
            "fit: the input 'feat' of x has shape (111, 3), but the model's input 'feat' "
            "expects (None, 2)",
        ),
        (
            (((LOOKBACK, 1), (2,)), ((1,), (2,))),
            "fit: the targets of x for the output 'two' has shape (111, 2), but the model "
            "outputs (n, 1); targets must match the model's output shape",
        ),
    ],
)
def test_bad_source_shapes_are_named(source, shapes, message):
    bad = WindowSource(source.series, source.starts, source.feature, shapes)
    with pytest.raises(ValueError) as err:
        build().fit(bad, epochs=1, verbose=0)
    assert str(err.value) == message
