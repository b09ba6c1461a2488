"""The panel's frequency and each row's step on it, for :func:`.frame.prepare`.

:func:`_panel_freq` infers the one frequency every series shares (the alias names and
per-series inference are :mod:`.calendar`'s); :func:`_positions` numbers each row's step in
its series on that frequency's grid, refusing rows off the grid, and gives the times of
any steps, which the gap check and the filling need for steps no row holds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .calendar import (
    DAY,
    ForecastDataError,
    _are,
    _candidates,
    _canonical,
    _infer,
    _values,
    _Where,
    fixed_step,
    parse_freq,
)
from .frame_columns import _report


def _panel_freq(ts: pd.DatetimeIndex, codes, first, ids, where: _Where) -> str:
    """The frequency shared by every series (those of 3+ timestamps vote), else an error."""
    count = np.diff(np.r_[first, len(codes)])
    t = ts.asi8
    voters = np.flatnonzero(count >= 3) if (count >= 3).any() else np.flatnonzero(count >= 2)
    if not len(voters):
        raise ForecastDataError("every series has a single timestamp; pass freq=")
    multi = np.flatnonzero(count >= 2)
    same = codes[1:] == codes[:-1]
    steps = np.diff(t)  # the step into row i + 1; a series' steps end at its last row
    # Steps across two series are masked out, so each reduceat segment is one series' steps.
    lo = np.minimum.reduceat(np.where(same, steps, np.iinfo(np.int64).max), first[multi])
    hi = np.maximum.reduceat(np.where(same, steps, -1), first[multi])
    lo, hi = lo[np.searchsorted(multi, voters)], hi[np.searchsorted(multi, voters)]
    # Regular steps that name a fixed or weekly frequency need no per-series inference;
    # uneven ones (months, business days, gaps) go through infer_freq one series at a time.
    days, rest = np.divmod(lo, DAY)
    simple = (lo == hi) & ((rest > 0) | (days < 28) | (days % 7 == 0))
    found: dict[str, int] = {}
    weekday = ts[first[voters]].day_of_week
    for step, day in set(zip(lo[simple].tolist(), weekday[simple].tolist(), strict=True)):
        s = voters[simple][(lo[simple] == step) & (weekday[simple] == day)][0]
        f = _canonical(_candidates(step, ts[first[s] : first[s] + 2])[0])
        found[f] = min(found.get(f, s), s)
    for s in voters[~simple]:
        a, b = first[s], first[s] + count[s]
        f = _infer(ts[a:b], ids[s], where.sorted(np.arange(a, b)))
        found[f] = min(found.get(f, s), s)
    if len(found) > 1:
        (f0, s0), (f1, s1) = sorted(found.items(), key=lambda kv: kv[1])[:2]
        raise ForecastDataError(
            f"series {ids[s0]!r} has frequency {f0!r} but series {ids[s1]!r} has {f1!r}; "
            "all series must share one frequency"
        )
    return next(iter(found))


def _positions(ts: pd.DatetimeIndex, codes, first, freq: str, ids, where: _Where):
    """Each row's step number in its series, and ``at(series, steps)``: their times (ns)."""
    t = ts.asi8
    step = fixed_step(freq, ts.tz)
    if step:
        base = t[first]
        rel = t - base[codes]
        bad, pos = rel % step != 0, rel // step

        def at(s: np.ndarray, p: np.ndarray) -> np.ndarray:
            return base[s] + p * step

    else:  # calendar steps: one shared grid (months, weeks, business days) to look up
        grid = pd.date_range(ts.min(), ts.max(), freq=parse_freq(freq)).as_unit("ns")
        idx = grid.get_indexer(ts)
        base, g = idx[first], grid.asi8
        bad, pos = idx < 0, idx - base[codes]

        def at(s: np.ndarray, p: np.ndarray) -> np.ndarray:
            return g[base[s] + p]

    if bad.any():
        series, rows, tail = _report(bad, codes, ids)
        start = ts[first[codes[rows[0]]]]
        grid_words = (
            f"a whole number of {freq!r} steps after its first timestamp {start}"
            if step
            else f"on the {freq!r} grid"
        )
        raise ForecastDataError(
            f"series {series!r} does not follow freq {freq!r}: {where(rows)} "
            f"({_values(list(ts[rows]))}) {_are(rows)} not {grid_words}{tail}"
        )
    return pos.astype(np.int64), at
