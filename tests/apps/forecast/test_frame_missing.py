"""forecast.frame_missing through prepare(): gaps, NaN, fill modes, min_length, drop_short."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast.frame import prepare

from .frame_inputs import FILL, fails, panel_frame

# --- filling -------------------------------------------------------------------------------


def gappy_frame() -> pd.DataFrame:
    """Series a: hourly 0..5 with 02:00 missing and y NaN at 00:00 and 04:00; b complete."""
    a = pd.DataFrame(
        {
            "unique_id": "a",
            "ds": pd.to_datetime(
                [
                    "2024-01-01 00:00",
                    "2024-01-01 01:00",
                    "2024-01-01 03:00",
                    "2024-01-01 04:00",
                    "2024-01-01 05:00",
                ]
            ),
            "y": [np.nan, 1.0, 7.0, np.nan, 11.0],
            "x": [1.0, np.nan, 3.0, 4.0, np.nan],
        }
    )
    b = pd.DataFrame(
        {"unique_id": "b", "ds": pd.date_range("2024-01-01", periods=3, freq="h"),
         "y": [5.0, 6.0, 7.0], "x": [0.0, 0.0, 0.0]}
    )  # fmt: skip
    return pd.concat([b, a], ignore_index=True)


@pytest.mark.parametrize(
    ("fill", "y", "x"),
    [
        # interpolate: linear in time between neighbours, the ends held at the nearest value
        ("interpolate", [1, 1, 4, 7, 9, 11], [1, 5 / 3, 7 / 3, 3, 4, 4]),
        # ffill: forward, and backward for the start
        ("ffill", [1, 1, 1, 7, 7, 11], [1, 1, 1, 3, 4, 4]),
        ("zero", [0, 1, 0, 7, 0, 11], [1, 0, 0, 3, 4, 0]),
    ],
)
def test_fill_modes_insert_the_gaps_and_fill_nan(fill, y, x):
    p = prepare(gappy_frame(), hist_exog=["x"], fill=fill)
    assert p.ids == ("a", "b") and p.lengths.tolist() == [6, 3]
    np.testing.assert_allclose(p.y[0], y)
    np.testing.assert_allclose(p.hist[0][:, 0], x)
    np.testing.assert_array_equal(p.y[1], [5, 6, 7])  # b untouched by a's gaps
    assert list(p.ds(0)) == list(pd.date_range("2024-01-01", periods=6, freq="h"))


def test_interpolation_is_linear_in_time_not_in_steps():
    # Monthly: Feb and Mar missing between Jan 1 (0) and Apr 1 (91); Feb 1 is 31 days in.
    df = pd.DataFrame({"ds": pd.to_datetime(["2024-01-01", "2024-04-01"]), "y": [0.0, 91.0]})
    p = prepare(df, freq="MS", fill="interpolate")
    np.testing.assert_allclose(p.y[0], [0.0, 31.0, 60.0, 91.0])


def test_vectorised_fill_matches_a_per_series_numpy_loop():
    rng = np.random.default_rng(0)
    df = panel_frame(300, freq="30min", ids=[f"s{i:03d}" for i in range(200)])
    df["y"] = rng.normal(size=len(df))
    df["z"] = rng.normal(size=len(df))
    df.loc[rng.random(len(df)) < 0.1, "y"] = np.nan
    df.loc[rng.random(len(df)) < 0.05, "z"] = np.nan
    df = df.drop(index=df.index[rng.random(len(df)) < 0.1]).sample(frac=1, random_state=1)
    p = prepare(df, futr_exog=["z"], fill="interpolate", min_length=2)
    full = pd.date_range("2024-01-01", periods=300, freq="30min")
    for i, sid in enumerate(p.ids):
        part = df[df["unique_id"] == sid].sort_values("ds")
        grid = pd.date_range(part["ds"].iloc[0], part["ds"].iloc[-1], freq="30min")
        assert list(p.ds(i)) == list(grid) and set(grid) <= set(full)
        t = grid.as_unit("ns").asi8.astype(float)
        for col, got in (("y", p.y[i]), ("z", p.futr[i][:, 0])):
            ok = part[col].notna().to_numpy()
            known = part["ds"].to_numpy()[ok].astype("datetime64[ns]").astype(np.int64)
            want = np.interp(t, known.astype(float), part[col].to_numpy()[ok])
            np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_min_length_and_drop_short():
    df = pd.concat([panel_frame(8, ids=("a", "c")), panel_frame(5, ids=("b", "d"))])
    fails(
        "series 'b' has 5 observations; lookback + horizon needs at least 7 (lookback 4 + "
        "horizon 3); 1 more series is too short ('d'); pass drop_short=True to skip such series",
        df,
        min_length={"lookback": 4, "horizon": 3},
    )
    fails(
        "series 'b' has 5 observations; at least 6 are needed (min_length=6); 1 more series is "
        "too short ('d'); pass drop_short=True to skip such series",
        df,
        min_length=6,
    )
    p = prepare(df, min_length={"lookback": 4, "horizon": 3}, drop_short=True)
    assert p.ids == ("a", "c") and p.dropped == ("b", "d") and p.lengths.tolist() == [8, 8]
    fails(
        "every series is too short: lookback + horizon needs at least 9 (lookback 6 + "
        "horizon 3), and the longest, series 'a', has 8",
        df,
        min_length={"lookback": 6, "horizon": 3},
        drop_short=True,
    )
    fails("min_length['horizon'] must be an integer >= 0; got 1.5", df, min_length={"horizon": 1.5})


def test_gaps_list_the_first_missing_timestamps():
    df = panel_frame(12).drop(index=[2, 3, 5, 6, 7, 8, 9, 14])
    fails(
        "series 'a' misses 7 timestamps at freq 'h': 2024-01-01 02:00:00, 2024-01-01 03:00:00, "
        "2024-01-01 05:00:00, 2024-01-01 06:00:00, 2024-01-01 07:00:00, ... (after rows 1, 4); "
        f"1 more series has them too; {FILL} insert and fill them",
        df,
    )
    monthly = pd.DataFrame({"ds": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-04-01"])})
    fails(
        f"series 'y' misses 1 timestamp at freq 'MS': 2024-03-01 00:00:00 (after row 1); {FILL} "
        "insert and fill them",
        monthly.assign(y=1.0),
    )


def test_nan_in_target_and_covariates():
    df = panel_frame(4).assign(p=[1.0, 2, 3, 4, 5, np.nan, np.nan, 8])
    fails(
        f"series 'b': column 'p' (futr_exog) has missing values (NaN) at rows 5, 6; {FILL} fill "
        "them",
        df,
        futr_exog=["p"],
    )
    df.loc[[1, 3], "y"] = np.nan
    fails(
        f"series 'a': column 'y' (target_col) has missing values (NaN) at rows 1, 3; {FILL} "
        "fill them",
        df,
        futr_exog=["p"],
    )
    fails(
        "series 'b': column 'p' (hist_exog) has no values at all, nothing to fill it from",
        df.assign(p=[1.0] * 4 + [np.nan] * 4),
        hist_exog=["p"],
        fill="ffill",
    )
