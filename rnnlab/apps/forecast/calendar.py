"""The time axis: frequency aliases, their inference, and calendar features from timestamps.

:func:`parse_freq` reads the aliases of pandas 2.2 and 3 and the older spellings that
pandas 3 rejects (``"H"``, ``"T"``, ``"M"``, ``"Q"``, ``"A"``/``"Y"``…), so a user's
``freq="M"`` works whichever pandas is installed. :func:`calendar_features` gives the
sin/cos position of each timestamp in the cycles that fit the frequency (hour of day and
day of week below a day; day of week and of year for days; the year for weeks; month of
year; quarter), and :func:`season_length` the seasonal period a seasonal-naive forecast
and MASE use.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from pandas.tseries.offsets import BaseOffset, Tick

__all__ = [
    "ForecastDataError",
    "calendar_features",
    "calendar_names",
    "fixed_step",
    "future_ds",
    "infer_freq",
    "parse_freq",
    "season_length",
]

SHOW = 5  # how many rows, values or timestamps an error lists
DAY = 86_400 * 10**9  # ns
_WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
# Aliases that pandas 2.2 deprecated and pandas 3 rejects, mapped to the names both accept.
_OLD_ALIASES = {
    "H": "h", "BH": "bh", "CBH": "cbh", "T": "min", "S": "s", "L": "ms", "U": "us",
    "N": "ns", "M": "ME", "BM": "BME", "CBM": "CBME", "SM": "SME", "Q": "QE",
    "BQ": "BQE", "Y": "YE", "A": "YE", "BY": "BYE", "BA": "BYE", "AS": "YS", "BAS": "BYS",
}  # fmt: skip


class ForecastDataError(ValueError):
    """Input data a forecast cannot use; the message names the column, series and rows."""


def parse_freq(freq: str | BaseOffset) -> BaseOffset:
    """The pandas offset of a frequency alias, old spellings (``"H"``, ``"M"``, ``"A"``) too.

    Example:
        >>> parse_freq("H").freqstr, parse_freq("M").freqstr, parse_freq("W").freqstr
        ('h', 'ME', 'W-SUN')
    """
    if isinstance(freq, BaseOffset):
        return freq
    if not isinstance(freq, str) or not freq.strip():
        raise ForecastDataError(
            f"freq must be a pandas frequency alias such as 'h', 'D', 'W-SUN' or 'MS'; got {freq!r}"
        )
    text = freq.strip()
    match = re.fullmatch(r"(\d*)([A-Za-z]+)(-\w+)?", text)
    if match:
        n, base, anchor = match.groups()
        text = f"{n}{_OLD_ALIASES.get(base, base)}{anchor or ''}"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas 2.2 warns about its own old aliases
            return to_offset(text)
    except ValueError:
        raise ForecastDataError(
            f"freq {freq!r} is not a pandas frequency alias (such as 'h', '30min', 'D', "
            "'W-SAT', 'MS')"
        ) from None


def fixed_step(freq: str | BaseOffset, tz: object = None) -> int | None:
    """The step of a fixed-length frequency in ns (``"h"``, ``"30min"``, ``"D"``), else None.

    A day is fixed only without a time zone: across a DST change it lasts 23 or 25 hours.

    Example:
        >>> fixed_step("30min"), fixed_step("D"), fixed_step("MS")
        (1800000000000, 86400000000000, None)
    """
    off = parse_freq(freq)
    if type(off) is pd.offsets.Day:  # a Tick in pandas 2, a calendar day in pandas 3
        return off.n * DAY if tz is None else None
    return int(off.nanos) if isinstance(off, Tick) else None


def future_ds(last: pd.Timestamp, freq: str, horizon: int) -> pd.DatetimeIndex:
    """The ``horizon`` timestamps after ``last`` at ``freq``: (horizon,).

    Example:
        >>> list(future_ds(pd.Timestamp("2024-01-31"), "MS", 2).strftime("%Y-%m-%d"))
        ['2024-02-01', '2024-03-01']
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise ForecastDataError(f"horizon must be an integer >= 1; got {horizon!r}")
    off = parse_freq(freq)
    return pd.date_range(pd.Timestamp(last) + off, periods=int(horizon), freq=off)


class _Where:
    """Rows named as the user sees them: a CSV's line numbers or a DataFrame's labels.

    ``order`` maps positions (after sorting) to rows of ``labels``, so a million labels
    are never permuted unless an error names some.
    """

    def __init__(self, labels: Sequence, word: str = "row", order: np.ndarray | None = None):
        self.labels, self.word, self.order = labels, word, order

    def sorted(self, order: np.ndarray) -> _Where:
        return _Where(self.labels, self.word, order if self.order is None else self.order[order])

    def __call__(self, positions: np.ndarray) -> str:
        rows = np.asarray(positions[:SHOW])
        rows = rows if self.order is None else self.order[rows]
        shown = ", ".join(str(self.labels[int(r)]) for r in rows)
        more = f" and {len(positions) - SHOW} more" if len(positions) > SHOW else ""
        return f"{self.word}{'s' if len(positions) > 1 else ''} {shown}{more}"


def _are(rows: Sequence) -> str:
    return "is" if len(rows) == 1 else "are"


def _values(values: Sequence) -> str:
    return ", ".join(str(v) if isinstance(v, pd.Timestamp) else repr(v) for v in values[:SHOW])


def _candidates(step: int, ds: pd.DatetimeIndex) -> list[str]:
    """Frequencies whose usual step is ``step`` ns, the likeliest first."""
    days, rest = divmod(step, DAY)
    if rest or not days:
        return [to_offset(pd.Timedelta(step)).freqstr]
    m = ds[0].month - 1
    if 28 <= days <= 31:
        names = ["MS", "ME", "BMS", "BME"]
    elif 89 <= days <= 92:  # the anchors pandas names: QS-JAN..MAR, QE-OCT..DEC
        names = [f"QS-{_MONTHS[m % 3]}", f"QE-{_MONTHS[9 + m % 3]}"]
    elif 365 <= days <= 366:
        names = [f"YS-{_MONTHS[m]}", f"YE-{_MONTHS[m]}"]
    else:
        names = []
    if days % 7 == 0:
        k = days // 7
        names.append(f"{k if k > 1 else ''}W-{_WEEKDAYS[ds[0].day_of_week]}")
    weekdays = ds.day_of_week
    monday_after_friday = (weekdays[:-1] == 4) & (np.diff(ds.asi8) == 3 * DAY)
    if days <= 3 and (weekdays < 5).all() and monday_after_friday.any():
        names.append("B")
    return [*names, f"{days if days > 1 else ''}D"]


def _off_grid(ds: pd.DatetimeIndex, freq: str) -> np.ndarray:
    """Positions of the timestamps (sorted) not on the grid of ``freq`` that starts at ds[0]."""
    step = fixed_step(freq, ds.tz)
    if step is not None:
        return np.flatnonzero((ds.asi8 - ds.asi8[0]) % step)
    grid = pd.date_range(ds[0], ds[-1], freq=parse_freq(freq)).as_unit("ns")
    return np.flatnonzero(grid.get_indexer(ds) < 0)


def _canonical(freq: str) -> str:
    """The alias pandas 3 infers: quarters anchored QS-JAN..MAR and QE-OCT..DEC (pandas 2.2
    may infer QS-OCT for the same quarters)."""
    off = parse_freq(freq)
    if isinstance(off, pd.offsets.QuarterBegin | pd.offsets.BQuarterBegin):
        off = type(off)(n=off.n, startingMonth=(off.startingMonth - 1) % 3 + 1)
    elif isinstance(off, pd.offsets.QuarterEnd | pd.offsets.BQuarterEnd):
        off = type(off)(n=off.n, startingMonth=(off.startingMonth - 1) % 3 + 10)
    return off.freqstr


def infer_freq(
    ds: pd.DatetimeIndex, series: str = "series", *, rows: Sequence | None = None
) -> str:
    """The regular frequency of one series' sorted timestamps, gaps allowed: a pandas alias.

    Where the steps are uneven (gaps), the most common step names the frequency and every
    timestamp must lie on its grid. ``rows`` (labels, one per timestamp) name the rows in
    the error raised for irregular timestamps.

    Example:
        >>> infer_freq(pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-05"]))
        'D'
    """
    ds = pd.DatetimeIndex(ds).as_unit("ns")
    where = _Where(list(rows) if rows is not None else range(len(ds)))
    return _infer(ds, series, where)


def _infer(ds: pd.DatetimeIndex, series: str, where: _Where) -> str:
    if len(ds) < 2:
        raise ForecastDataError(
            f"series {series!r} has {len(ds)} timestamp; its frequency cannot be inferred: "
            "pass freq="
        )
    steps = np.diff(ds.asi8)
    if (steps <= 0).any():
        raise ForecastDataError(f"the timestamps of series {series!r} must increase strictly")
    if len(ds) >= 3:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas 3 warns that infer_freq will change type
            found = pd.infer_freq(ds)
        if found is not None:
            return _canonical(found if isinstance(found, str) else found.freqstr)
    values, counts = np.unique(steps, return_counts=True)
    candidates = _candidates(int(values[np.argmax(counts)]), ds)  # ties: the smallest step
    for freq in candidates:
        if not len(_off_grid(ds, freq)):
            return _canonical(freq)
    bad = _off_grid(ds, candidates[0])
    raise ForecastDataError(
        f"series {series!r} has irregular timestamps: most steps are {_canonical(candidates[0])!r}"
        f" apart, but {where(bad)} ({_values(list(ds[bad]))}) {_are(bad)} not on that grid"
    )


# Each cycle: its name and the position (in [0, 1)) of every timestamp in it.
_CYCLES = {
    "hour": lambda ds: (ds.hour + ds.minute / 60 + ds.second / 3600) / 24,
    "dow": lambda ds: ds.day_of_week / 7,
    "doy": lambda ds: (ds.day_of_year - 1) / (365 + ds.is_leap_year),
    "woy": lambda ds: (ds.day_of_year - 1) / (365 + ds.is_leap_year),  # weeks: place in the year
    "month": lambda ds: (ds.month - 1) / 12,
    "quarter": lambda ds: (ds.quarter - 1) / 4,
}
_KIND_CYCLES = {
    "subdaily": ("hour", "dow"),
    "daily": ("dow", "doy"),
    "weekly": ("woy",),
    "monthly": ("month",),
    "quarterly": ("quarter",),
    "yearly": (),
}
_O = pd.offsets
_CALENDAR_KINDS = (
    ((_O.BusinessHour, _O.CustomBusinessHour), "subdaily"),
    ((_O.BusinessDay, _O.CustomBusinessDay), "daily"),
    ((_O.Week,), "weekly"),
    ((_O.QuarterBegin, _O.QuarterEnd, _O.BQuarterBegin, _O.BQuarterEnd, _O.FY5253Quarter),
     "quarterly"),
    ((_O.YearBegin, _O.YearEnd, _O.BYearBegin, _O.BYearEnd, _O.FY5253, _O.Easter), "yearly"),
    ((_O.MonthBegin, _O.MonthEnd, _O.BusinessMonthBegin, _O.BusinessMonthEnd,
      _O.CustomBusinessMonthBegin, _O.CustomBusinessMonthEnd, _O.SemiMonthBegin,
      _O.SemiMonthEnd, _O.WeekOfMonth, _O.LastWeekOfMonth), "monthly"),
)  # fmt: skip


def _kind(off: BaseOffset) -> str:
    step = fixed_step(off)
    if step is not None:
        return "subdaily" if step < DAY else "daily" if step < 7 * DAY else "weekly"
    for classes, kind in _CALENDAR_KINDS:
        if isinstance(off, classes):
            return kind
    raise ForecastDataError(f"freq {off.freqstr!r} is not supported")


def calendar_names(freq: str) -> tuple[str, ...]:
    """The names of :func:`calendar_features`' columns at ``freq``: sin/cos pairs.

    Example:
        >>> calendar_names("h"), calendar_names("MS"), calendar_names("YS")
        (('hour_sin', 'hour_cos', 'dow_sin', 'dow_cos'), ('month_sin', 'month_cos'), ())
    """
    cycles = _KIND_CYCLES[_kind(parse_freq(freq))]
    return tuple(f"{c}_{f}" for c in cycles for f in ("sin", "cos"))


def calendar_features(ds: pd.DatetimeIndex | Sequence, freq: str) -> np.ndarray:
    """float32 (T, F): sin and cos of each timestamp's place in the cycles that fit ``freq``.

    The columns are :func:`calendar_names`: hour of day (minutes as fractions) and day of
    week below a day; day of week and day of year for days; the place in the year for weeks;
    month of year for months; quarter for quarters; none for years (F = 0).

    Example:
        >>> x = calendar_features(pd.DatetimeIndex(["2024-01-01 06:00"]), "h")  # a Monday
        >>> x.dtype, (x.round(3) + 0.0).tolist()
        (dtype('float32'), [[1.0, 0.0, 0.0, 1.0]])
    """
    ds = pd.DatetimeIndex(ds)
    cycles = _KIND_CYCLES[_kind(parse_freq(freq))]
    columns = []
    for cycle in cycles:
        angle = 2 * np.pi * np.asarray(_CYCLES[cycle](ds), dtype=np.float64)
        columns += [np.sin(angle), np.cos(angle)]
    if not columns:
        return np.zeros((len(ds), 0), np.float32)
    return np.stack(columns, axis=1).astype(np.float32)


def season_length(freq: str) -> int:
    """The seasonal period, in steps, of a seasonal-naive forecast and of MASE at ``freq``.

    A day of sub-daily steps (an hour of steps under a minute), a week of days (5 business
    days), a year of weeks (52), months (12) or quarters (4); 1 for years, and where the
    steps do not divide the period (``"2D"``).

    Example:
        >>> [season_length(f) for f in ("h", "30min", "D", "B", "W-SAT", "MS", "M", "Q", "A")]
        [24, 48, 7, 5, 52, 12, 12, 4, 1]
    """
    off = parse_freq(freq)
    kind = _kind(off)
    step = fixed_step(off)
    if step is not None:
        if kind == "subdaily":
            period = DAY if step >= 60 * 10**9 else 3600 * 10**9
        else:
            period = 7 * DAY if kind == "daily" else 52 * 7 * DAY
        return period // step if period % step == 0 else 1
    n = abs(off.n) or 1
    if isinstance(off, _O.SemiMonthBegin | _O.SemiMonthEnd):
        per = 24
    else:
        per = {"subdaily": 8, "daily": 5, "weekly": 52, "monthly": 12, "quarterly": 4}.get(kind, 1)
    return per // n if per % n == 0 else 1
