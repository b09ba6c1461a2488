"""Tests for forecast.inputs: the network's inputs and targets per strategy, by hand loops."""

import jax
import numpy as np
import pytest

from rnnlab.apps.forecast.inputs import (
    PanelSource,
    PanelTake,
    input_shape,
    model_inputs,
    model_targets,
    window_width,
)

L, H, C, U = 5, 3, 4, 2  # lookback, horizon, channels, unknown channels (y + one past-only)


@pytest.fixture(scope="module")
def windows():
    rng = np.random.default_rng(0)
    return rng.standard_normal((6, L + H, C)).astype(np.float32)


def _relative(w):
    """The target channel minus each window's last input value (the anchor)."""
    w = w.copy()
    w[..., 0] -= w[:, L - 1, 0][:, None]
    return w


def test_direct_inputs_hide_the_unknown_channels_of_the_horizon_and_flag_it(windows):
    x = np.asarray(model_inputs("direct", windows, L, U))
    assert x.shape == (6, L + H, C + 1)
    rel = _relative(windows)
    for n in range(6):
        for t in range(L + H):
            for c in range(C):
                hidden = t >= L and c < U
                assert x[n, t, c] == (0.0 if hidden else rel[n, t, c])
            assert x[n, t, C] == float(t >= L)


def test_advanced_inputs_pair_each_steps_past_with_the_next_steps_known_channels(windows):
    for strategy in ("recursive", "seq2seq"):
        x = np.asarray(model_inputs(strategy, windows, L, U))
        assert x.shape == (6, L, C)
        rel = _relative(windows)
        for t in range(L):
            np.testing.assert_array_equal(x[:, t, :U], rel[:, t, :U])
            np.testing.assert_array_equal(x[:, t, U:], windows[:, t + 1, U:])


def test_targets_per_strategy(windows):
    q = 3
    windows = _relative(windows)
    direct = np.asarray(model_targets("direct", windows, L, H, q))
    assert direct.shape == (6, H, q)
    np.testing.assert_array_equal(direct[..., 1], windows[:, L:, 0])
    rec = np.asarray(model_targets("recursive", windows, L, H, q))
    np.testing.assert_array_equal(rec[:, 0, 2], windows[:, L, 0])
    seq = np.asarray(model_targets("seq2seq", windows, L, H, q))
    assert seq.shape == (6, L, H, q)
    for t in range(L):
        for k in range(H):
            np.testing.assert_array_equal(seq[:, t, k, 0], windows[:, t + 1 + k, 0])


def test_the_compiled_gather_equals_slicing_then_the_same_transforms():
    rng = np.random.default_rng(1)
    values = rng.standard_normal((3, 20, C)).astype(np.float32)
    index = np.array([[0, 0], [2, 12], [1, 7], [2, 3]], np.int32)
    for strategy in ("direct", "recursive", "seq2seq"):
        take = PanelTake(strategy, L, H, U, outputs=2)
        x, y = jax.jit(take)(values, index, np.array([3, 1]))
        width = window_width(strategy, L, H)
        w = np.stack([values[s, t : t + width] for s, t in index[[3, 1]]])
        np.testing.assert_array_equal(x, model_inputs(strategy, w, L, U))
        np.testing.assert_array_equal(y, model_targets(strategy, w, L, H, 2))
        src = PanelSource(values, index, take)
        assert src.sample_shapes == (x.shape[1:], y.shape[1:])
        assert input_shape(strategy, L, H, C) == x.shape[1:]
    assert PanelTake("direct", L, H, U, 2) == PanelTake("direct", L, H, U, 2)
    assert hash(PanelTake("direct", L, H, U, 2)) == hash(PanelTake("direct", L, H, U, 2))


def test_seasonal_base_forecast_and_targets_relative_to_it(windows):
    from rnnlab.apps.forecast.inputs import base_forecast

    season = 2
    rel = _relative(windows)
    base = np.asarray(base_forecast("direct", windows, L, H, season))
    for k in range(H):  # the value one season before step k, within the lookback
        np.testing.assert_array_equal(base[:, k], rel[:, L - season + k % season, 0])
    y = np.asarray(model_targets("direct", windows, L, H, 1, season))[..., 0]
    np.testing.assert_allclose(y, rel[:, L:, 0] - base, rtol=1e-6)
    rec = np.asarray(base_forecast("recursive", windows, L, H, season))
    np.testing.assert_array_equal(rec[:, 0], rel[:, L - season, 0])
    assert not np.asarray(base_forecast("direct", windows, L, H, 0)).any()
