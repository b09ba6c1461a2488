"""forecast.metrics_interval: quantile column names, pinball, coverage, width by hand."""

import re

import numpy as np
import pytest

from rnnlab.apps.forecast.metrics_interval import (
    coverage,
    parse_quantile_column,
    pinball,
    quantile_column,
    width,
)
from rnnlab.apps.forecast.metrics_point import mae

from .hand_numbers import approx


# ---------------------------------------------------------------- quantile column names
def test_quantile_column_names():
    assert quantile_column(0.1) == "y_hat_q10"
    assert quantile_column(0.05) == "y_hat_q5"
    assert quantile_column(0.9) == "y_hat_q90"
    assert quantile_column(0.975) == "y_hat_q97.5"
    assert quantile_column(0.025) == "y_hat_q2.5"
    assert quantile_column(0.001) == "y_hat_q0.1"
    assert quantile_column(1 - 0.1) == "y_hat_q90"  # 0.9000000000000001 -> same name


def test_parse_quantile_column_round_trips():
    for q in (0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975, 0.995):
        assert parse_quantile_column(quantile_column(q)) == q
    for name in ("y_hat", "y", "y_hat_q", "y_hat_q05", "y_hat_q100", "y_hat_q0", "y_hat_qx", 3):
        assert parse_quantile_column(name) is None


def test_quantile_column_rejects_out_of_range():
    for q in (0, 1, 1.5, -0.1, True):
        with pytest.raises(
            ValueError,
            match=re.escape(
                f"quantile_column: q must be a number strictly between 0 and 1, got {q!r}"
            ),
        ):
            quantile_column(q)


def test_pinball_each_quantile_by_hand():
    y = np.array([10.0, 10.0, 10.0])
    p = np.array([8.0, 10.0, 13.0])  # y - p = 2, 0, -3
    assert pinball(y, p, 0.1) == approx((0.1 * 2 + 0 + 0.9 * 3) / 3)
    assert pinball(y, p, 0.5) == approx((0.5 * 2 + 0 + 0.5 * 3) / 3)
    assert pinball(y, p, 0.9) == approx((0.9 * 2 + 0 + 0.1 * 3) / 3)
    assert pinball(y, p, 0.5) == approx(mae(y, p) / 2)


def test_coverage_and_width_by_hand():
    y = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    lo = np.array([0.0, 2.0, 3.5, 0.0, 5.0])
    hi = np.array([1.0, 3.0, 4.0, 3.0, 5.0])
    # inside (closed): 1 in [0,1] yes, 2 in [2,3] yes, 3 < 3.5 no, 4 > 3 no, 5 in [5,5] yes
    assert coverage(y, lo, hi) == approx(3 / 5)
    assert width(lo, hi) == approx((1 + 1 + 0.5 + 3 + 0) / 5)


def test_interval_errors_are_exact():
    with pytest.raises(
        ValueError,
        match=re.escape("pinball: q must be a number strictly between 0 and 1, got 90"),
    ):
        pinball([1.0], [1.0], 90)
    with pytest.raises(ValueError, match=re.escape("coverage: lo > hi in 1 of 2 entries")):
        coverage([1.0, 2.0], [0.0, 3.0], [2.0, 2.5])
    with pytest.raises(
        ValueError,
        match=re.escape("width: lo and hi must have the same shape, got (1,) and (2,)"),
    ):
        width([0.0], [1.0, 2.0])
