"""Regenerate the bundled forecasting datasets (``rnnlab/apps/forecast/datasets/*.csv.gz``).

Not part of the library and never run by it: the library only reads the files this writes.
It reads the raw data from two packages on PyPI, installed in a scratch environment outside
the repository (neither is a dependency of rnnlab)::

    python -m venv /tmp/dvenv
    /tmp/dvenv/bin/pip install pandas statsmodels==0.15.0 vega_datasets==0.9.0
    /tmp/dvenv/bin/python scripts/build_forecast_datasets.py

Where each file comes from, and its licence as the source package documents it:

- ``co2``: ``statsmodels/datasets/co2/co2.csv`` (statsmodels' ``COPYRIGHT``: "This is public
  domain."; Scripps / CDIAC, U.S. Department of Energy). 59 of its 2,284 weeks are empty and
  are filled here by linear interpolation in time.
- ``elnino``: ``statsmodels/datasets/elnino/elnino.csv`` (``COPYRIGHT``: "This data is in the
  public domain."; NOAA National Weather Service, ERSST.V3B Niño 1+2), one row per year turned
  into one value per month.
- ``seattle_temps``: ``vega_datasets/_data/seattle-temps.csv`` (``dataset_info.json``: "drawn
  from public-domain NOAA data"). Local clock time: the hour skipped by the 2010-03-14
  daylight-saving change is absent and is filled here by linear interpolation.
- ``us_employment``: ``vega_datasets/_data/us-employment.csv`` (``dataset_info.json``: "initially
  published by the U.S. government, it is in the public domain"; BLS Current Employment
  Statistics). The derived ``nonfarm_change`` column is dropped and the source's misspelt
  ``trade_transportation_utilties`` is named ``trade_transportation_utilities``.

Each file is long format ``unique_id,ds,y`` sorted by ``unique_id`` then ``ds``, gzip with a
zero timestamp so that a rebuild from the same sources gives the same bytes.
"""

from __future__ import annotations

import gzip
import importlib.resources
import io
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "rnnlab" / "apps" / "forecast" / "datasets"


def _source(package: str, *parts: str) -> io.BytesIO:
    return io.BytesIO(importlib.resources.files(package).joinpath(*parts).read_bytes())


def _regular(ds: pd.Series, y: pd.Series, freq: str) -> pd.DataFrame:
    """One series on its full regular grid, the missing steps filled linearly in time."""
    s = pd.Series(y.to_numpy(float), index=pd.DatetimeIndex(ds))
    grid = pd.date_range(s.index.min(), s.index.max(), freq=freq)
    extra = s.index.difference(grid)
    if len(extra):
        raise ValueError(f"timestamps off the {freq} grid: {list(extra[:5])}")
    full = s.reindex(grid)
    filled = full.interpolate(method="time").round(3)  # the sources have 1-2 decimals
    return pd.DataFrame({"ds": grid, "y": full.fillna(filled).to_numpy()})


def co2() -> pd.DataFrame:
    raw = pd.read_csv(_source("statsmodels", "datasets", "co2", "co2.csv"))
    ds = pd.to_datetime(raw["date"].astype(str), format="%Y%m%d")
    return _regular(ds, raw["co2"], "W-SAT").assign(unique_id="co2")


def elnino() -> pd.DataFrame:
    raw = pd.read_csv(_source("statsmodels", "datasets", "elnino", "elnino.csv"))
    long = raw.melt(id_vars="YEAR", var_name="month", value_name="y")
    month = pd.to_datetime(long["month"], format="%b").dt.month
    long["ds"] = pd.to_datetime({"year": long["YEAR"], "month": month, "day": 1})
    long = long.sort_values("ds")
    return _regular(long["ds"], long["y"], "MS").assign(unique_id="nino12_sst")


def seattle_temps() -> pd.DataFrame:
    raw = pd.read_csv(_source("vega_datasets", "_data", "seattle-temps.csv"))
    ds = pd.to_datetime(raw["date"], format="%Y/%m/%d %H:%M")
    return _regular(ds, raw["temp"], "h").assign(unique_id="seattle")


def us_employment() -> pd.DataFrame:
    raw = pd.read_csv(_source("vega_datasets", "_data", "us-employment.csv"))
    raw = raw.drop(columns="nonfarm_change").rename(
        columns={"trade_transportation_utilties": "trade_transportation_utilities"}
    )
    ds = pd.to_datetime(raw.pop("month"), format="%Y-%m-%d")
    parts = [_regular(ds, raw[c], "MS").assign(unique_id=c) for c in raw.columns]
    return pd.concat(parts, ignore_index=True)


BUILDERS = {f.__name__: f for f in (co2, elnino, seattle_temps, us_employment)}


def write(name: str, frame: pd.DataFrame) -> Path:
    frame = frame[["unique_id", "ds", "y"]].sort_values(["unique_id", "ds"], kind="stable")
    if frame["y"].isna().any():
        raise ValueError(f"{name}: NaN left after filling")
    text = frame.to_csv(index=False, date_format="%Y-%m-%d %H:%M:%S", float_format="%.10g")
    if frame["ds"].dt.normalize().eq(frame["ds"]).all():
        text = text.replace(" 00:00:00", "")  # dates only: shorter and easier to read
    path = OUT / f"{name}.csv.gz"
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        out.write(text.encode())
    return path


def main() -> None:
    for name, build in BUILDERS.items():
        frame = build()
        path = write(name, frame)
        lengths = frame.groupby("unique_id").size()
        print(
            f"{name}: {frame['unique_id'].nunique()} series, lengths {lengths.min()}-"
            f"{lengths.max()}, {frame['ds'].min()} .. {frame['ds'].max()}, "
            f"{path.stat().st_size:,} bytes"
        )


if __name__ == "__main__":
    main()
