"""forecast.metrics_point: MAE, RMSE, MAPE, sMAPE and MASE against hand numbers."""

import math
import re

import numpy as np
import pytest

from rnnlab.apps.forecast.metrics_point import mae, mape, mase, rmse, smape

from .hand_numbers import approx

# ---------------------------------------------------------------- per-array metrics
Y = np.array([2.0, 4.0, 0.0, 5.0])
F = np.array([3.0, 1.0, 1.0, 5.0])  # errors 1, 3, 1, 0


def test_mae_rmse_by_hand():
    assert mae(Y, F) == approx(5 / 4)
    assert rmse(Y, F) == approx(math.sqrt((1 + 9 + 1 + 0) / 4))
    assert mae(Y.reshape(2, 2), F.reshape(2, 2)) == approx(5 / 4)  # any shape


def test_mape_skips_zeros_and_counts_them():
    value, skipped = mape(Y, F)
    assert skipped == 1
    assert value == approx(100 * (1 / 2 + 3 / 4 + 0 / 5) / 3)
    value, skipped = mape([0.0, 0.0], [1.0, 2.0])
    assert math.isnan(value) and skipped == 2
    assert mape([4.0], [-1.0]) == (125.0, 0)


def test_smape_m4_convention_and_zero_terms():
    # terms: 200*1/5, 200*3/5, 200*1/1, 200*0/10
    assert smape(Y, F) == approx((40 + 120 + 200 + 0) / 4)
    # 0/0 is skipped, not counted as 0: only 200*1/3 remains
    assert smape([0.0, 2.0], [0.0, 1.0]) == approx(200 / 3)
    assert math.isnan(smape([0.0, 0.0], [0.0, 0.0]))
    # opposite signs: |y| + |f| in the denominator, so at most 200
    assert smape([1.0], [-1.0]) == 200.0


def test_mase_with_hand_computed_seasonal_scale():
    # history 1, 5, 2, 7, 4, 6; season-2 naive in-sample errors:
    # |2-1|, |7-5|, |4-2|, |6-7| = 1, 2, 2, 1 -> scale 1.5
    scale = (1 + 2 + 2 + 1) / 4
    y, f = np.array([5.0, 8.0]), np.array([4.0, 5.0])  # errors 1, 3
    assert mase(y, f, scale) == approx((1 + 3) / 2 / 1.5)
    # per-series scales broadcast: (S, H) with (S, 1)
    ys, fs = np.array([[1.0, 2.0], [3.0, 3.0]]), np.array([[2.0, 2.0], [1.0, 7.0]])
    assert mase(ys, fs, np.array([[0.5], [2.0]])) == approx(
        ((1 + 0) / 2 / 0.5 + (2 + 4) / 2 / 2) / 2
    )


def test_point_errors_are_exact():
    with pytest.raises(
        ValueError, match=re.escape("mae: y and y_hat must have the same shape, got (2,) and (3,)")
    ):
        mae([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=re.escape("rmse: y is empty")):
        rmse([], [])
    with pytest.raises(
        ValueError, match=re.escape("mase: scale must be positive and finite, got [0.0]")
    ):
        mase([1.0], [2.0], 0.0)
    with pytest.raises(
        ValueError, match=re.escape("mase: scale must be positive and finite, got [nan]")
    ):
        mase([1.0, 2.0], [2.0, 2.0], np.array([1.0, np.nan]))
