"""forecast.frame_columns through prepare(): columns, ids, timestamps, numbers, duplicates."""

from __future__ import annotations

import numpy as np
import pandas as pd

from rnnlab.apps.forecast.frame import prepare

from .frame_inputs import fails, panel_frame, write


def test_yearly_integers_in_the_time_column_are_years():
    p = prepare(pd.DataFrame({"year": [2001, 2000, 2002], "y": [2, 1, 3]}), time_col="year")
    assert p.freq == "YS-JAN" and p.starts == (pd.Timestamp("2000-01-01"),)
    np.testing.assert_array_equal(p.y[0], [1, 2, 3])


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
