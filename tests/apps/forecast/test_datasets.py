"""forecast.datasets: every bundled series loads in the long format, on its grid, with the
values of its source, described with source and licence, small, and read without a network."""

from __future__ import annotations

import dataclasses
import importlib.resources
import re
import socket
import tomllib
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rnnlab.apps.forecast import datasets
from rnnlab.apps.forecast.calendar import season_length
from rnnlab.apps.forecast.frame import prepare

ROOT = Path(__file__).resolve().parents[3]
NAMES = ("co2", "elnino", "seattle_temps", "us_employment")
# name: (freq, series, steps per series, first ds, last ds), read off the source files
EXPECTED = {
    "co2": ("W-SAT", 1, 2284, "1958-03-29", "2001-12-29"),
    "elnino": ("MS", 1, 732, "1950-01-01", "2010-12-01"),
    "seattle_temps": ("h", 1, 8760, "2010-01-01 00:00", "2010-12-31 23:00"),
    "us_employment": ("MS", 22, 120, "2006-01-01", "2015-12-01"),
}
EMPLOYMENT_IDS = [
    "construction",
    "durable_goods",
    "education_and_health_services",
    "financial_activities",
    "goods_producing",
    "government",
    "information",
    "leisure_and_hospitality",
    "manufacturing",
    "mining_and_logging",
    "nondurable_goods",
    "nonfarm",
    "other_services",
    "private",
    "private_service_providing",
    "professional_and_business_services",
    "retail_trade",
    "service_providing",
    "trade_transportation_utilities",
    "transportation_and_warehousing",
    "utilities",
    "wholesale_trade",
]
# name: (horizon, lookback) suggested
SUGGESTED = {
    "co2": (52, 156),
    "elnino": (12, 48),
    "seattle_temps": (24, 168),
    "us_employment": (12, 24),
}


def test_names_are_the_four_bundled_datasets():
    assert datasets.names() == NAMES
    assert tuple(sorted(datasets.DATASETS)) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_each_dataset_is_long_format_on_a_regular_grid(name):
    freq, n_series, length, first, last = EXPECTED[name]
    df = datasets.load(name)
    assert list(df.columns) == ["unique_id", "ds", "y"]
    assert pd.api.types.is_string_dtype(df["unique_id"])
    assert all(isinstance(u, str) for u in df["unique_id"].unique())
    assert df["ds"].dtype == np.dtype("datetime64[ns]")
    assert df["y"].dtype == np.float64
    assert not df.isna().any().any()
    assert np.isfinite(df["y"].to_numpy()).all()
    assert df.index.equals(pd.RangeIndex(len(df)))
    assert len(df) == n_series * length
    # sorted by series, then time
    ids = df["unique_id"].to_numpy()
    assert list(ids) == sorted(ids)
    assert df["unique_id"].nunique() == n_series
    for uid, part in df.groupby("unique_id", sort=False):
        grid = pd.date_range(first, last, freq=freq)
        assert len(grid) == length, uid
        assert pd.DatetimeIndex(part["ds"]).equals(grid.astype("datetime64[ns]")), uid


@pytest.mark.parametrize("name", NAMES)
def test_prepare_infers_the_frequency_and_season_the_registry_states(name):
    info = datasets.info(name)
    panel = prepare(datasets.load(name))
    assert panel.freq == info.freq == EXPECTED[name][0]
    assert season_length(panel.freq) == info.season_length
    assert len(panel) == info.series
    assert panel.lengths.tolist() == [info.length] * info.series
    assert str(panel.starts[0]) == str(pd.Timestamp(info.start))
    assert str(panel.ds(0)[-1]) == str(pd.Timestamp(info.end))
    # room for five backtest windows of `horizon` after a first training window
    assert info.length >= info.lookback + 6 * info.horizon


def _at(df, uid, when):
    row = df[(df["unique_id"] == uid) & (df["ds"] == pd.Timestamp(when))]
    assert len(row) == 1, (uid, when)
    return float(row["y"].iloc[0])


def test_values_are_the_sources_and_gaps_are_linear_in_time():
    co2 = datasets.load("co2")
    assert _at(co2, "co2", "1958-03-29") == 316.1
    assert _at(co2, "co2", "2001-12-29") == 371.5
    # statsmodels' co2.csv: 1958-05-03 316.9, 05-10 empty, 05-17 317.5
    assert _at(co2, "co2", "1958-05-10") == pytest.approx((316.9 + 317.5) / 2, abs=1e-9)
    # 05-24 317.9, then 5 empty weeks, 07-05 315.8: steps of (315.8 - 317.9) / 6
    step = (315.8 - 317.9) / 6
    for k, week in enumerate(pd.date_range("1958-05-31", periods=5, freq="W-SAT"), 1):
        assert _at(co2, "co2", week) == pytest.approx(round(317.9 + k * step, 3), abs=1e-9)

    temps = datasets.load("seattle_temps")
    assert _at(temps, "seattle", "2010-01-01 00:00") == 39.4
    assert _at(temps, "seattle", "2010-12-31 23:00") == 39.6
    # the clock-change hour: 02:00 43.0 and 04:00 42.2 in the source, 03:00 absent
    assert _at(temps, "seattle", "2010-03-14 03:00") == pytest.approx(42.6, abs=1e-9)

    nino = datasets.load("elnino")
    assert _at(nino, "nino12_sst", "1950-01-01") == 23.11
    assert _at(nino, "nino12_sst", "1950-02-01") == 24.2
    assert _at(nino, "nino12_sst", "2010-12-01") == 22.07

    jobs = datasets.load("us_employment")
    assert sorted(jobs["unique_id"].unique()) == EMPLOYMENT_IDS
    assert _at(jobs, "nonfarm", "2006-01-01") == 135450
    assert _at(jobs, "nonfarm", "2015-12-01") == 143093
    assert _at(jobs, "government", "2006-01-01") == 21847
    assert _at(jobs, "wholesale_trade", "2006-01-01") == 5840.4


def test_describe_lists_every_dataset_with_source_and_licence():
    table = datasets.describe()
    assert list(table.columns) == [f.name for f in dataclasses.fields(datasets.DatasetInfo)]
    assert {"name", "description", "freq", "series", "length", "season_length", "horizon",
            "lookback", "source", "licence"} <= set(table.columns)  # fmt: skip
    assert tuple(table["name"]) == NAMES
    for row in table.itertuples():
        freq, n_series, length, _, _ = EXPECTED[row.name]
        assert (row.freq, row.series, row.length) == (freq, n_series, length)
        for text in (row.description, row.source, row.licence):
            assert isinstance(text, str) and text.strip() and "\n" not in text
        assert "public domain" in row.licence.lower()
        assert (row.horizon, row.lookback) == SUGGESTED[row.name]
    co2 = table.set_index("name").loc["co2"]
    assert (co2["horizon"], co2["lookback"]) == (52, 156)  # the example
    assert "interpolat" in co2["description"]


def test_unknown_name_is_an_error_listing_the_names():
    msg = (
        "unknown dataset 'co3'; the bundled datasets are: co2, elnino, seattle_temps, us_employment"
    )
    with pytest.raises(ValueError, match=re.escape(msg)):
        datasets.load("co3")
    with pytest.raises(ValueError, match=re.escape(msg)):
        datasets.info("co3")
    with pytest.raises(ValueError, match=re.escape("unknown dataset 2; the bundled")):
        datasets.load(2)


def test_the_files_are_small_and_exactly_the_registered_ones():
    here = importlib.resources.files(datasets.__name__)
    files = sorted(p.name for p in here.iterdir() if p.name.endswith(".csv.gz"))
    assert files == sorted(datasets.DATASETS[n].file for n in NAMES)
    total = sum(len(here.joinpath(f).read_bytes()) for f in files)
    assert 10_000 < total < 200_000  # 63 KB when built; the issue allows a few MB at most


def test_the_files_ship_in_the_wheel():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data = config["tool"]["setuptools"]["package-data"]
    assert "*.csv.gz" in package_data["rnnlab.apps.forecast.datasets"]


def test_loading_uses_no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("datasets.load opened a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    assert sum(len(datasets.load(n)) for n in NAMES) == 2284 + 732 + 8760 + 22 * 120


def test_each_load_is_a_fresh_frame_and_the_registry_is_frozen():
    first = datasets.load("elnino")
    first.loc[0, "y"] = -1.0
    assert datasets.load("elnino")["y"].iloc[0] == 23.11
    with pytest.raises(dataclasses.FrozenInstanceError):
        datasets.DATASETS["co2"].horizon = 1
