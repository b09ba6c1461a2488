"""Tests for rnnlab.apps.forecast.baselines: forecasts and MASE scales against hand numbers."""

import re

import numpy as np
import pytest

from rnnlab.apps.forecast.baselines import (
    baseline_columns,
    insample_scale,
    naive_forecast,
    seasonal_naive_forecast,
)

Y = np.array([10.0, 20.0, 30.0, 11.0, 21.0, 31.0, 12.0])  # season 3, T = 7


def test_naive_repeats_last_value():
    np.testing.assert_array_equal(naive_forecast(Y, 3), [12.0, 12.0, 12.0])
    out = naive_forecast([4, 5], 1)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [5.0])


def test_seasonal_naive_repeats_last_season():
    # last season = Y[4:7] = [21, 31, 12]; steps 1..7 cycle through it
    np.testing.assert_array_equal(
        seasonal_naive_forecast(Y, 7, 3), [21.0, 31.0, 12.0, 21.0, 31.0, 12.0, 21.0]
    )
    np.testing.assert_array_equal(seasonal_naive_forecast(Y, 2, 3), [21.0, 31.0])


def test_seasonal_naive_season_one_is_naive_and_short_history_falls_back():
    np.testing.assert_array_equal(seasonal_naive_forecast(Y, 4, 1), naive_forecast(Y, 4))
    # T = 7 < season 12: naive
    np.testing.assert_array_equal(seasonal_naive_forecast(Y, 3, 12), [12.0, 12.0, 12.0])
    # T == season: the whole history is the season
    np.testing.assert_array_equal(seasonal_naive_forecast(Y[:3], 4, 3), [10.0, 20.0, 30.0, 10.0])


def test_insample_scale_by_hand():
    # |11-10|, |21-20|, |31-30|, |12-11| -> mean 1
    assert insample_scale(Y, 3) == 1.0
    # season 1: |10|,|10|,|19|,|10|,|10|,|19| -> 78 / 6 = 13
    assert insample_scale(Y, 1) == 13.0
    y = np.array([2.0, 5.0, 1.0, 9.0, 4.0])
    # season 2: |1-2|, |9-5|, |4-1| = 1, 4, 3 -> 8/3
    assert insample_scale(y, 2) == pytest.approx(8.0 / 3.0, rel=1e-15)


def test_insample_scale_fallbacks():
    y = np.array([2.0, 5.0, 1.0])
    # T = 3 <= season 3: season 1 -> (3 + 4) / 2
    assert insample_scale(y, 3) == 3.5
    assert insample_scale(y, 10) == 3.5
    assert np.isnan(insample_scale(np.array([7.0]), 3))
    assert np.isnan(insample_scale(np.array([]), 1))
    assert insample_scale(np.full(5, 4.0), 2) == 0.0
    assert isinstance(insample_scale(y, 1), float)


def test_baseline_columns_by_hand():
    hist = [Y, Y[:5], np.array([3.0])]
    cols = baseline_columns(hist, horizon=4, season=3)
    assert set(cols) == {"naive", "seasonal_naive", "mase_scale"}
    np.testing.assert_array_equal(cols["naive"], [[12.0] * 4, [21.0] * 4, [3.0] * 4])
    np.testing.assert_array_equal(
        cols["seasonal_naive"],
        [[21.0, 31.0, 12.0, 21.0], [30.0, 11.0, 21.0, 30.0], [3.0] * 4],
    )
    # Y[:5]: |11-10|, |21-20| -> 1 ; [3.0]: undefined
    np.testing.assert_array_equal(cols["mase_scale"], [1.0, 1.0, np.nan])
    for i, h in enumerate(hist):  # the same as the one-history functions
        np.testing.assert_array_equal(cols["seasonal_naive"][i], seasonal_naive_forecast(h, 4, 3))


def test_baseline_columns_empty_list():
    cols = baseline_columns([], horizon=2, season=3)
    assert cols["naive"].shape == (0, 2) and cols["mase_scale"].shape == (0,)


def test_errors_are_exact():
    with pytest.raises(
        ValueError, match=re.escape("naive_forecast: horizon must be a positive integer, got 0")
    ):
        naive_forecast(Y, 0)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "seasonal_naive_forecast: season must be a positive integer, got 2.0 (float)"
        ),
    ):
        seasonal_naive_forecast(Y, 2, 2.0)
    with pytest.raises(
        TypeError,
        match=re.escape("insample_scale: season must be a positive integer, got True (bool)"),
    ):
        insample_scale(Y, True)
    with pytest.raises(
        ValueError,
        match=re.escape("naive_forecast: history is empty; at least one observed value is needed"),
    ):
        naive_forecast([], 2)
    with pytest.raises(
        ValueError,
        match=re.escape("seasonal_naive_forecast: history must be 1-D (T,), got shape (2, 2)"),
    ):
        seasonal_naive_forecast(np.ones((2, 2)), 2, 1)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "insample_scale: history has 2 non-finite value(s) (NaN or inf) at positions [1, 3]"
        ),
    ):
        insample_scale(np.array([1.0, np.nan, 2.0, np.inf]), 1)
    with pytest.raises(
        ValueError,
        match=re.escape(
            "baseline_columns: history is empty; at least one observed value is needed "
            "(histories[1])"
        ),
    ):
        baseline_columns([Y, np.array([])], 2, 3)
    with pytest.raises(
        TypeError,
        match=re.escape(
            "baseline_columns: histories must be a sequence of 1-D arrays (one per series and "
            "cutoff), got one 1-D array of shape (7,); wrap it in a list"
        ),
    ):
        baseline_columns(Y, 2, 3)
