"""forecast.frame: prepare() of CSV files and DataFrames into a Panel, every bad input's message."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast.frame import (
    ForecastDataError,
    Panel,
    future_ds,
    infer_freq,
    prepare,
)

FILL = "pass fill='interpolate', 'ffill' or 'zero' to"


def panel_frame(n: int = 6, freq: str = "h", ids=("a", "b"), start="2024-01-01") -> pd.DataFrame:
    """Long format: series ``ids`` of ``n`` steps each, y = 0, 1, 2, ... over all rows."""
    ds = pd.date_range(start, periods=n, freq=freq)
    return pd.DataFrame(
        {
            "unique_id": np.repeat(list(ids), n),
            "ds": np.tile(ds, len(ids)),
            "y": np.arange(n * len(ids), dtype=float),
        }
    )


def fails(message: str, *args, **kwargs) -> None:
    with pytest.raises(ForecastDataError, match=f"^{re.escape(message)}$"):
        prepare(*args, **kwargs)


def write(tmp_path, text: str):
    path = tmp_path / "data.csv"
    path.write_text(text)
    return path


# --- what comes out ------------------------------------------------------------------------


def test_many_series_are_sorted_by_id_then_time_and_ids_become_text():
    df = panel_frame(4, ids=(10, 2))
    shuffled = df.sample(frac=1, random_state=0)
    p = prepare(shuffled)
    assert isinstance(p, Panel) and p.ids == ("10", "2") and p.freq == "h" and len(p) == 2
    np.testing.assert_array_equal(p.y[0], [0, 1, 2, 3])
    np.testing.assert_array_equal(p.y[1], [4, 5, 6, 7])
    assert p.y[0].dtype == np.float64 and not p.y[0].flags.writeable
    assert p.starts == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-01"))
    assert p.lengths.tolist() == [4, 4] and p.lengths.dtype == np.int64
    assert p.futr[0].shape == (4, 0) and p.hist[1].shape == (4, 0) and p.dropped == ()


def test_one_series_without_id_column_is_named_after_its_target():
    df = pd.DataFrame(
        {"date": pd.date_range("2024-01-01", periods=3, freq="D"), "sales": [1, 2, 3]}
    )
    p = prepare(df, time_col="date", target_col="sales")
    assert p.ids == ("sales",) and p.freq == "D"
    np.testing.assert_array_equal(p.y[0], [1.0, 2.0, 3.0])
    assert prepare(panel_frame(3, ids=("a",)), id_col=None).ids == ("y",)


def test_csv_path_keeps_ids_as_text_and_parses_timestamps(tmp_path):
    path = write(tmp_path, "store,ds,y\n007,2024-01-02,2\n007,2024-01-01,1\n7,2024-01-01,5\n")
    p = prepare(path, id_col="store", freq="D")
    assert p.ids == ("007", "7")
    np.testing.assert_array_equal(p.y[0], [1, 2])
    assert prepare(str(path), id_col="store", freq="D").ids == ("007", "7")


def test_covariates_travel_with_their_rows():
    df = panel_frame(3).assign(price=np.arange(6) * 10.0, temp=np.arange(6) * -1.0, flag=True)
    p = prepare(df.iloc[::-1], futr_exog=["price", "flag"], hist_exog="temp")
    assert p.futr_names == ("price", "flag") and p.hist_names == ("temp",)
    np.testing.assert_array_equal(p.futr[1], [[30, 1], [40, 1], [50, 1]])
    np.testing.assert_array_equal(p.hist[0], [[0], [-1], [-2]])


@pytest.mark.parametrize(
    ("freq", "expected"),
    [
        ("h", "h"),
        ("30min", "30min"),
        ("2h", "2h"),
        ("D", "D"),
        ("B", "B"),
        ("W-SAT", "W-SAT"),
        ("W", "W-SUN"),
        ("MS", "MS"),
        ("ME", "ME"),
        ("QS", "QS-JAN"),
        ("QE", "QE-DEC"),
        ("YS", "YS-JAN"),
        ("YE", "YE-DEC"),
    ],
)
def test_frequency_is_inferred_with_and_without_gaps(freq, expected):
    df = panel_frame(12, freq=freq)
    assert prepare(df).freq == expected
    gappy = df.drop(index=[3, 4, 15])  # a gap in each series, not the same one
    p = prepare(gappy, fill="zero")
    assert p.freq == expected and p.lengths.tolist() == [12, 12]
    assert p.y[0][3] == 0 and p.y[1][3] == 0 and p.y[1][2] == 14
    assert infer_freq(pd.DatetimeIndex(gappy["ds"].iloc[:9])) == expected


@pytest.mark.parametrize(
    ("given", "data_freq", "expected"),
    [("H", "h", "h"), ("M", "ME", "ME"), ("A", "YE", "YE-DEC"), ("W-SAT", "W-SAT", "W-SAT"),
     ("T", "min", "min"), ("Q", "QE", "QE-DEC"), ("Y", "YE", "YE-DEC"), ("MS", "MS", "MS")],
)  # fmt: skip
def test_given_frequency_accepts_old_and_new_aliases(given, data_freq, expected):
    assert prepare(panel_frame(5, freq=data_freq), freq=given).freq == expected


def test_yearly_integers_in_the_time_column_are_years():
    p = prepare(pd.DataFrame({"year": [2001, 2000, 2002], "y": [2, 1, 3]}), time_col="year")
    assert p.freq == "YS-JAN" and p.starts == (pd.Timestamp("2000-01-01"),)
    np.testing.assert_array_equal(p.y[0], [1, 2, 3])


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


# --- Panel ---------------------------------------------------------------------------------


def test_panel_ds_index_of_head_and_to_frame():
    df = panel_frame(5, freq="MS").assign(p=lambda d: d["y"] * 2)
    p = prepare(df, futr_exog=["p"])
    assert list(p.ds(1)) == list(pd.date_range("2024-01-01", periods=5, freq="MS"))
    assert p.index_of(1, pd.Timestamp("2024-03-01")) == 2
    with pytest.raises(
        ForecastDataError,
        match=re.escape(
            "2024-03-15 00:00:00 is not a timestamp of series 'b', which runs from "
            "2024-01-01 00:00:00 to 2024-05-01 00:00:00 at freq 'MS'"
        ),
    ):
        p.index_of(1, "2024-03-15")
    h = p.head([2, 4])
    assert h.lengths.tolist() == [2, 4] and h.futr[1].shape == (4, 1) and h.freq == "MS"
    np.testing.assert_array_equal(h.y[1], [5, 6, 7, 8])
    with pytest.raises(ValueError, match=re.escape("ends must hold one integer per series")):
        p.head([0, 4])
    frame = p.to_frame()
    assert list(frame.columns) == ["unique_id", "ds", "y", "p"]
    pd.testing.assert_frame_equal(
        frame, df.astype({"unique_id": object}), check_dtype=False, check_index_type=False
    )
    again = prepare(frame, futr_exog=["p"])
    assert again.ids == p.ids and all(
        np.array_equal(a, b) for a, b in zip(again.y, p.y, strict=True)
    )


def test_future_ds():
    assert list(future_ds(pd.Timestamp("2024-01-01 23:00"), "h", 2)) == list(
        pd.to_datetime(["2024-01-02 00:00", "2024-01-02 01:00"])
    )
    assert list(future_ds(pd.Timestamp("2023-12-31"), "ME", 2)) == list(
        pd.to_datetime(["2024-01-31", "2024-02-29"])
    )
    with pytest.raises(
        ForecastDataError, match=re.escape("horizon must be an integer >= 1; got 0")
    ):
        future_ds(pd.Timestamp("2024-01-01"), "D", 0)


# --- bad input: every message exactly ------------------------------------------------------


def test_missing_columns_list_the_columns_present():
    df = panel_frame(3)
    present = "its columns are 'unique_id', 'ds', 'y'"
    fails(f"column 'date' (time_col) is not in the data; {present}", df, time_col="date")
    fails(f"column 'sales' (target_col) is not in the data; {present}", df, target_col="sales")
    fails(f"column 'price' (futr_exog) is not in the data; {present}", df, futr_exog=["price"])
    fails(f"column 'temp' (hist_exog) is not in the data; {present}", df, hist_exog=["temp"])
    fails(
        "column 'store' (id_col) is not in the data; its columns are 'ds', 'y'",
        df.drop(columns="unique_id"),
        id_col="store",
    )
    fails(
        "column 'ds' (time_col) is not in the data; its columns are 'unique_id', 'y' "
        "(it is the index: pass data.reset_index())",
        df.set_index("ds"),
    )
    fails("column 'y' is given as both target_col and futr_exog", df, futr_exog=["y"])
    fails("futr_exog names a column twice: ['y', 'y']", df, futr_exog=["y", "y"])


def test_non_numeric_values_name_series_rows_and_values(tmp_path):
    df = panel_frame(4).astype({"y": object})
    df.loc[[5, 6, 7], "y"] = ["abc", "1,5", None]
    df.loc[2, "y"] = "n/a!"
    fails(
        "series 'a': column 'y' (target_col) has values that are not numbers at row 2: 'n/a!'; "
        "1 more series has them too",
        df,
    )
    fails(
        "series 'b': column 'y' (target_col) has values that are not numbers at rows 5, 6: "
        "'abc', '1,5'",
        df.drop(index=2),
    )
    path = write(tmp_path, "ds,y,price\n2024-01-01,1,3\n2024-01-02,2,cheap\n2024-01-03,3,x\n")
    fails(
        "series 'y': column 'price' (futr_exog) has values that are not numbers at lines 3, 4: "
        "'cheap', 'x'",
        path,
        futr_exog=["price"],
    )
    fails(
        "series 'a': column 'y' (target_col) has infinite values at row 1",
        panel_frame(3).assign(y=[0, np.inf, 0, 0, 0, 0]),
    )


def test_unparsable_and_empty_timestamps_name_their_lines(tmp_path):
    path = write(
        tmp_path, "unique_id,ds,y\na,2024-01-01,1\nb,2024-01-01,2\nb,2024-13-01,3\nb,soon,4\n"
    )
    fails(
        "series 'b': column 'ds' (time_col) has values that are not timestamps at lines 4, 5: "
        "'2024-13-01', 'soon'",
        path,
    )
    path = write(tmp_path, "unique_id,ds,y\na,2024-01-01,1\na,,2\n")
    fails("series 'a': column 'ds' (time_col) is empty at line 3", path)
    fails(
        "column 'ds' (time_col) holds numbers, not timestamps; convert it first "
        "(e.g. pd.to_datetime(data[...], unit='s'))",
        pd.DataFrame({"ds": [1.5, 2.5], "y": [1, 2]}),
    )
    fails(
        "column 'unique_id' (id_col) is empty at rows 1, 2",
        panel_frame(3).assign(unique_id=["a", None, np.nan, "b", "b", "b"]),
    )


def test_duplicate_timestamps():
    df = panel_frame(4)
    df.loc[6, "ds"] = df.loc[5, "ds"]
    fails("series 'b' has duplicate timestamps: 2024-01-01 01:00:00 at rows 5, 6", df)


def test_irregular_and_mixed_frequencies():
    df = panel_frame(6)
    df.loc[9, "ds"] += pd.Timedelta("30min")
    fails(
        "series 'b' has irregular timestamps: most steps are 'h' apart, but row 9 "
        "(2024-01-01 03:30:00) is not on that grid",
        df,
    )
    mixed = pd.concat([panel_frame(5, ids=("a",)), panel_frame(5, freq="D", ids=("b", "c"))])
    fails(
        "series 'a' has frequency 'h' but series 'b' has 'D'; all series must share one frequency",
        mixed,
    )
    weekly = pd.concat([panel_frame(5, "W-SUN", ("a",)), panel_frame(5, "W-MON", ("b",))])
    fails(
        "series 'a' has frequency 'W-SUN' but series 'b' has 'W-MON'; all series must share "
        "one frequency",
        weekly,
    )
    fails(
        "series 'a' does not follow freq 'D': rows 1, 2 (2024-01-01 01:00:00, 2024-01-01 "
        "02:00:00) are not a whole number of 'D' steps after its first timestamp 2024-01-01 "
        "00:00:00; 1 more series has them too",
        panel_frame(3),
        freq="D",
    )
    fails(
        "series 'y' does not follow freq 'W-SUN': rows 0, 1 (2024-01-06 00:00:00, 2024-01-13 "
        "00:00:00) are not on the 'W-SUN' grid",
        panel_frame(2, "W-SAT", ("a",)).drop(columns="unique_id"),
        freq="W",
    )
    fails("every series has a single timestamp; pass freq=", panel_frame(1))
    fails(
        "freq 'fortnightly' is not a pandas frequency alias (such as 'h', '30min', 'D', "
        "'W-SAT', 'MS')",
        panel_frame(3),
        freq="fortnightly",
    )


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


def test_arguments_and_data_that_are_not_usable(tmp_path):
    fails(
        "fill must be one of 'interpolate', 'ffill', 'zero' or None; got 'linear'",
        panel_frame(3),
        fill="linear",
    )
    fails("the data has no rows", panel_frame(3).iloc[:0])
    fails("data must be a pandas DataFrame or the path of a CSV file; got dict", {"y": [1]})
    fails(f"no such file: {tmp_path / 'none.csv'}", tmp_path / "none.csv")
    fails(f"{write(tmp_path, '')} is empty", tmp_path / "data.csv")
