"""forecast.frame_freq through prepare(): the frequency inferred, given, irregular or mixed."""

from __future__ import annotations

import pandas as pd
import pytest

from rnnlab.apps.forecast.frame import infer_freq, prepare

from .frame_inputs import fails, panel_frame


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
