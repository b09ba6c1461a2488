"""forecast.calendar: frequency aliases, calendar sin/cos features checked by hand, seasons."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast.calendar import (
    ForecastDataError,
    calendar_features,
    calendar_names,
    fixed_step,
    infer_freq,
    parse_freq,
    season_length,
)

S3 = np.sqrt(3) / 2  # sin 60° = cos 30°


def features(stamps: list[str], freq: str) -> dict[str, np.ndarray]:
    x = calendar_features(pd.DatetimeIndex(stamps), freq)
    assert x.dtype == np.float32 and x.shape == (len(stamps), len(calendar_names(freq)))
    return dict(zip(calendar_names(freq), x.T, strict=True))


def test_hourly_features_are_hour_of_day_and_day_of_week():
    # 2024-01-01 is a Monday (day 0); 2024-01-07 a Sunday (day 6).
    f = features(["2024-01-01 06:00", "2024-01-01 18:00", "2024-01-07 00:00"], "h")
    assert list(f) == ["hour_sin", "hour_cos", "dow_sin", "dow_cos"]
    np.testing.assert_allclose(f["hour_sin"], [1, -1, 0], atol=1e-6)
    np.testing.assert_allclose(f["hour_cos"], [0, 0, 1], atol=1e-6)
    np.testing.assert_allclose(f["dow_sin"], [0, 0, np.sin(2 * np.pi * 6 / 7)], atol=1e-6)
    np.testing.assert_allclose(f["dow_cos"], [1, 1, np.cos(2 * np.pi * 6 / 7)], atol=1e-6)


def test_half_hours_count_as_fractions_of_an_hour():
    f = features(["2024-01-01 02:00", "2024-01-01 04:00", "2024-01-01 07:30"], "30min")
    # 2h of 24 = 30°, 4h = 60°, 7.5h = 112.5°
    np.testing.assert_allclose(f["hour_sin"], [0.5, S3, np.sin(np.radians(112.5))], atol=1e-6)
    np.testing.assert_allclose(f["hour_cos"], [S3, 0.5, np.cos(np.radians(112.5))], atol=1e-6)


def test_daily_features_are_day_of_week_and_day_of_year():
    # 2024 is a leap year: day 92 of 366 is 2024-04-01 (a Monday), Dec 31 is day 366.
    f = features(["2024-01-01", "2024-04-01", "2024-12-31", "2023-12-31"], "D")
    assert list(f) == ["dow_sin", "dow_cos", "doy_sin", "doy_cos"]
    angle = 2 * np.pi * np.array([0 / 366, 91 / 366, 365 / 366, 364 / 365])
    np.testing.assert_allclose(f["doy_sin"], np.sin(angle), atol=1e-6)
    np.testing.assert_allclose(f["doy_cos"], np.cos(angle), atol=1e-6)
    np.testing.assert_allclose(f["dow_cos"][:2], [1, 1], atol=1e-6)
    assert calendar_names("B") == ("dow_sin", "dow_cos", "doy_sin", "doy_cos")


def test_weekly_monthly_quarterly_and_yearly_features():
    f = features(["2023-01-01", "2023-07-02"], "W-SUN")  # days 0 and 182 of 365
    assert list(f) == ["woy_sin", "woy_cos"]
    np.testing.assert_allclose(
        f["woy_sin"], np.sin(2 * np.pi * np.array([0, 182]) / 365), atol=1e-6
    )
    f = features(["2024-01-01", "2024-04-01", "2024-07-01", "2024-10-01"], "MS")
    np.testing.assert_allclose(f["month_sin"], [0, 1, 0, -1], atol=1e-6)
    np.testing.assert_allclose(f["month_cos"], [1, 0, -1, 0], atol=1e-6)
    f = features(["2024-03-31", "2024-06-30", "2024-09-30"], "QE")
    np.testing.assert_allclose(f["quarter_sin"], [0, 1, 0], atol=1e-6)
    np.testing.assert_allclose(f["quarter_cos"], [1, 0, -1], atol=1e-6)
    x = calendar_features(pd.DatetimeIndex(["2020-01-01", "2021-01-01"]), "YS")
    assert x.shape == (2, 0) and x.dtype == np.float32 and calendar_names("A") == ()


def test_features_are_bounded_for_a_long_index():
    ds = pd.date_range("2020-01-01", periods=5000, freq="17min")
    x = calendar_features(ds, "17min")
    assert x.shape == (5000, 4) and np.abs(x).max() <= 1
    np.testing.assert_allclose(x[:, 0] ** 2 + x[:, 1] ** 2, 1, atol=1e-6)


@pytest.mark.parametrize(
    ("freq", "season"),
    [("h", 24), ("H", 24), ("2h", 12), ("30min", 48), ("15min", 96), ("T", 1440), ("s", 3600),
     ("D", 7), ("2D", 1), ("B", 5), ("W", 52), ("W-SAT", 52), ("2W", 26), ("14D", 26),
     ("MS", 12), ("ME", 12), ("M", 12), ("3MS", 4), ("SMS", 24), ("QS", 4), ("Q", 4),
     ("QE-DEC", 4), ("YS", 1), ("Y", 1), ("A", 1), ("bh", 8)],
)  # fmt: skip
def test_season_length(freq, season):
    assert season_length(freq) == season


@pytest.mark.parametrize(
    ("alias", "canonical"),
    [("h", "h"), ("H", "h"), ("4H", "4h"), ("30min", "30min"), ("15T", "15min"), ("S", "s"),
     ("D", "D"), ("B", "B"), ("W", "W-SUN"), ("W-SAT", "W-SAT"), ("MS", "MS"), ("ME", "ME"),
     ("M", "ME"), ("BM", "BME"), ("QS", "QS-JAN"), ("Q", "QE-DEC"), ("Q-NOV", "QE-NOV"),
     ("YS", "YS-JAN"), ("AS", "YS-JAN"), ("Y", "YE-DEC"), ("A", "YE-DEC"), ("A-JUN", "YE-JUN")],
)  # fmt: skip
def test_parse_freq_reads_old_and_new_aliases(alias, canonical):
    assert parse_freq(alias).freqstr == canonical


def test_bad_aliases_and_fixed_steps():
    with pytest.raises(
        ForecastDataError,
        match=re.escape(
            "freq 'X' is not a pandas frequency alias (such as 'h', '30min', 'D', 'W-SAT', 'MS')"
        ),
    ):
        parse_freq("X")
    with pytest.raises(ForecastDataError, match=re.escape("got ''")):
        parse_freq("")
    assert fixed_step("h") == 3600 * 10**9 and fixed_step("2D") == 2 * 86400 * 10**9
    assert fixed_step("D", tz="Europe/Paris") is None and fixed_step("W") is None


def test_infer_freq_of_one_series_names_the_irregular_rows():
    months = ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01", "2024-04-15", "2024-05-01"]
    ds = pd.DatetimeIndex(months)  # most steps are 31 days: months
    with pytest.raises(
        ForecastDataError,
        match=re.escape(
            "series 'shop' has irregular timestamps: most steps are 'MS' apart, but row 13 "
            "(2024-04-15 00:00:00) is not on that grid"
        ),
    ):
        infer_freq(ds, "shop", rows=[9, 10, 11, 12, 13, 14])
    assert infer_freq(pd.DatetimeIndex(["2024-01-05", "2024-01-08", "2024-01-10"])) == "B"
    assert infer_freq(pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 00:30"])) == "30min"
    with pytest.raises(ForecastDataError, match=re.escape("series 'a' has 1 timestamp")):
        infer_freq(pd.DatetimeIndex(["2024-01-01"]), "a")
