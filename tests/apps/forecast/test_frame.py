"""forecast.frame: prepare() of CSV files and DataFrames into a Panel, the Panel, its arguments.

The messages of each check are tested beside the module that holds it: test_frame_columns,
test_frame_freq and test_frame_missing.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast.frame import (
    ForecastDataError,
    Panel,
    future_ds,
    prepare,
)

from .frame_inputs import fails, panel_frame, write

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
