"""Real public-domain series bundled with rnnlab, to try forecasting on without a download.

Each dataset is a small gzip CSV inside the package, read through :mod:`importlib.resources`
(so it works from a wheel or a zip, and never touches the network). :func:`load` gives it in
the long format every forecasting function takes: ``unique_id`` (str), ``ds``
(datetime64[ns]), ``y`` (float64), sorted by series then time, on a regular grid, no NaN.
:func:`describe` tells what each one is, where it comes from, its licence, and the horizon and
lookback it suits. ``scripts/build_forecast_datasets.py`` rebuilds the files from the source
packages (statsmodels and vega_datasets, neither a dependency) and says what it changed.
"""

from __future__ import annotations

import importlib.resources
from dataclasses import astuple, dataclass, fields

import pandas as pd

__all__ = ["DATASETS", "DatasetInfo", "describe", "info", "load", "names"]


@dataclass(frozen=True)
class DatasetInfo:
    """What one bundled dataset is, where it is from, and how to forecast it.

    ``freq`` is the pandas alias of its step, ``length`` the number of steps of each of its
    ``series`` series (all the same length), ``season_length`` its seasonal period in steps,
    ``horizon`` and ``lookback`` the forecast and input lengths suggested for it.

    Example:
        >>> co2 = DATASETS["co2"]
        >>> co2.freq, co2.series, co2.length, co2.season_length, co2.horizon, co2.lookback
        ('W-SAT', 1, 2284, 52, 52, 156)
    """

    name: str
    description: str
    freq: str
    series: int
    length: int
    start: str
    end: str
    season_length: int
    horizon: int
    lookback: int
    source: str
    licence: str

    @property
    def file(self) -> str:
        """The name of its data file inside this package, ``<name>.csv.gz``."""
        return f"{self.name}.csv.gz"


_INFOS = (
    DatasetInfo(
        name="co2",
        description=(
            "Weekly atmospheric CO2 (ppmv) at Mauna Loa, Hawaii, Mar 1958 - Dec 2001: rising "
            "trend with a yearly cycle; the 59 missing weeks are filled by linear interpolation."
        ),
        freq="W-SAT",
        series=1,
        length=2284,
        start="1958-03-29",
        end="2001-12-29",
        season_length=52,
        horizon=52,
        lookback=156,
        source=(
            "Keeling & Whorf (2004), Scripps Institution of Oceanography, via CDIAC, Oak Ridge "
            "National Laboratory, U.S. Department of Energy; taken from statsmodels 0.15.0 "
            "(statsmodels.datasets.co2)"
        ),
        licence="Public domain (statsmodels.datasets.co2: 'This is public domain.')",
    ),
    DatasetInfo(
        name="elnino",
        description=(
            "Monthly sea surface temperature (deg C) of the Nino 1+2 region of the Pacific, "
            "Jan 1950 - Dec 2010: a yearly cycle with El Nino swings."
        ),
        freq="MS",
        series=1,
        length=732,
        start="1950-01-01",
        end="2010-12-01",
        season_length=12,
        horizon=12,
        lookback=48,
        source=(
            "NOAA National Weather Service, Climate Prediction Center, ERSST.V3B Nino 1+2 index; "
            "taken from statsmodels 0.15.0 (statsmodels.datasets.elnino)"
        ),
        licence="Public domain (statsmodels.datasets.elnino: 'This data is in the public domain.')",
    ),
    DatasetInfo(
        name="seattle_temps",
        description=(
            "Hourly air temperature (deg F) in Seattle through 2010, local time: a daily cycle "
            "on a yearly one; the hour skipped by the 2010-03-14 clock change is interpolated."
        ),
        freq="h",
        series=1,
        length=8760,
        start="2010-01-01 00:00:00",
        end="2010-12-31 23:00:00",
        season_length=24,
        horizon=24,
        lookback=168,
        source=(
            "NOAA (U.S. National Oceanic and Atmospheric Administration) hourly observations; "
            "taken from vega_datasets 0.9.0 (seattle-temps.csv)"
        ),
        licence=(
            "Public domain (vega_datasets: 'drawn from public-domain NOAA data', "
            "https://www.weather.gov/disclaimer)"
        ),
    ),
    DatasetInfo(
        name="us_employment",
        description=(
            "Monthly U.S. employment (thousands, seasonally adjusted) of 22 BLS supersectors "
            "and their totals, Jan 2006 - Dec 2015: the 2008 recession and the recovery."
        ),
        freq="MS",
        series=22,
        length=120,
        start="2006-01-01",
        end="2015-12-01",
        season_length=12,
        horizon=12,
        lookback=24,
        source=(
            "U.S. Bureau of Labor Statistics, Current Employment Statistics "
            "(https://www.bls.gov/ces/); taken from vega_datasets 0.9.0 (us-employment.csv)"
        ),
        licence=(
            "Public domain (vega_datasets: 'published by the U.S. government, it is in the "
            "public domain')"
        ),
    ),
)
DATASETS: dict[str, DatasetInfo] = {i.name: i for i in _INFOS}


def names() -> tuple[str, ...]:
    """The names of the bundled datasets, sorted.

    Example:
        >>> names()
        ('co2', 'elnino', 'seattle_temps', 'us_employment')
    """
    return tuple(sorted(DATASETS))


def info(name: str) -> DatasetInfo:
    """The :class:`DatasetInfo` of dataset ``name``; ``ValueError`` listing the names if unknown.

    Example:
        >>> info("seattle_temps").freq, info("seattle_temps").season_length
        ('h', 24)
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(
            f"unknown dataset {name!r}; the bundled datasets are: {', '.join(names())}"
        )
    return DATASETS[name]


def load(name: str) -> pd.DataFrame:
    """Dataset ``name`` as a long frame ``unique_id, ds, y`` (rows: series x steps).

    ``unique_id`` holds strings, ``ds`` is datetime64[ns] on the dataset's regular ``freq``
    grid, ``y`` float64 with no NaN; rows are sorted by ``unique_id`` then ``ds``. Each call
    reads the file again and returns a new frame the caller may change.

    Example:
        >>> df = load("co2")
        >>> df.shape, list(df.columns), str(df["ds"].dtype), float(df["y"].iloc[0])
        ((2284, 3), ['unique_id', 'ds', 'y'], 'datetime64[ns]', 316.1)
        >>> load("us_employment")["unique_id"].nunique()
        22
    """
    meta = info(name)
    data = importlib.resources.files(__name__).joinpath(meta.file)
    with data.open("rb") as raw:
        frame = pd.read_csv(
            raw, compression="gzip", dtype={"unique_id": str, "ds": str, "y": "float64"}
        )
    frame["ds"] = pd.to_datetime(frame["ds"], format="ISO8601").astype("datetime64[ns]")
    return frame


def describe() -> pd.DataFrame:
    """One row per bundled dataset: name, description, frequency, size, source and licence.

    Columns: ``name, description, freq, series, length, start, end, season_length, horizon,
    lookback, source, licence`` (``length``: steps of each series). Reads no data file.

    Example:
        >>> table = describe().set_index("name")
        >>> row = table.loc["us_employment"]
        >>> row["freq"], int(row["series"]), int(row["length"]), int(row["season_length"])
        ('MS', 22, 120, 12)
        >>> list(table.index)
        ['co2', 'elnino', 'seattle_temps', 'us_employment']
    """
    columns = [f.name for f in fields(DatasetInfo)]
    return pd.DataFrame([astuple(DATASETS[n]) for n in names()], columns=columns)
