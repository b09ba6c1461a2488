"""What a series misses, for :func:`.frame.prepare`: timestamps, values and length.

Without ``fill=``, a gap in the timestamps or a NaN value is refused with an error that
lists the first of them and says how to fill them; with it, :func:`_fill` fills them within
each series (linear in time, forward or zero) after :func:`_check_empty` refuses a column
with nothing to fill from. :func:`_need` reads ``min_length`` and :func:`_check_length`
refuses, or with ``drop_short`` leaves out, the series shorter than that.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from .calendar import SHOW, ForecastDataError, _values, _Where
from .frame_columns import _report

FILLS = ("interpolate", "ffill", "zero")  # the fill= modes, in the order errors list them

_FILL_HINT = "pass fill='interpolate', 'ffill' or 'zero' to"


def _to_times(ns: np.ndarray, tz: object) -> list[pd.Timestamp]:
    times = pd.to_datetime(ns, utc=tz is not None)
    return list(times.tz_convert(tz) if tz is not None else times)


def _check_gaps(jump, pos, ts: pd.DatetimeIndex, codes, freq: str, at, ids, where: _Where) -> None:
    after_gap = np.r_[False, jump > 1]
    if not after_gap.any():
        return
    series, rows, tail = _report(after_gap, codes, ids)
    total = int((jump[rows - 1] - 1).sum())
    shown: list[int] = []
    for r in rows:
        shown.extend(range(pos[r - 1] + 1, min(pos[r], pos[r - 1] + 1 + SHOW)))
        if len(shown) >= SHOW:
            break
    shown = shown[:SHOW]
    times = _to_times(at(np.full(len(shown), codes[rows[0]]), np.array(shown)), ts.tz)
    more = ", ..." if total > len(shown) else ""
    raise ForecastDataError(
        f"series {series!r} misses {total} timestamp{'s' if total > 1 else ''} at freq {freq!r}: "
        f"{_values(times)}{more} (after {where(rows - 1)}){tail}; {_FILL_HINT} insert and fill them"
    )


def _check_nan(vals: np.ndarray, names, roles, codes, ids, where: _Where) -> None:
    for j, (name, role) in enumerate(zip(names, roles, strict=True)):
        nan = np.isnan(vals[:, j])
        if nan.any():
            series, rows, tail = _report(nan, codes, ids)
            raise ForecastDataError(
                f"series {series!r}: column {name!r} ({role}) has missing values (NaN) at "
                f"{where(rows)}{tail}; {_FILL_HINT} fill them"
            )


def _check_empty(vals: np.ndarray, names, roles, first, ids) -> None:
    has = np.logical_or.reduceat(~np.isnan(vals), first, axis=0)  # (S, C)
    if not has.all():
        s, j = np.argwhere(~has)[0]
        raise ForecastDataError(
            f"series {ids[s]!r}: column {names[j]!r} ({roles[j]}) has no values at all, "
            "nothing to fill it from"
        )


def _fill(v: np.ndarray, seg: np.ndarray, t: np.ndarray, how: str) -> np.ndarray:
    """NaN of (N, C) rows sorted by series ``seg`` filled within each series; ``t`` ns (N,)."""
    n = len(v)
    idx = np.arange(n)
    for j in range(v.shape[1]):
        col = v[:, j]
        ok = ~np.isnan(col)
        if ok.all():
            continue
        if how == "zero":
            col[~ok] = 0.0
            continue
        # The nearest valid row before and after each row, kept only inside the same series.
        prev = np.maximum.accumulate(np.where(ok, idx, -1)).clip(0)
        nxt = np.minimum.accumulate(np.where(ok, idx, n)[::-1])[::-1].clip(max=n - 1)
        has_prev = ok[prev] & (seg[prev] == seg)
        has_next = ok[nxt] & (seg[nxt] == seg)
        edge = np.where(has_prev, col[prev], col[nxt])  # ffill, backward at the start
        if how == "interpolate":
            span = (t[nxt] - t[prev]).astype(np.float64)
            w = np.divide((t - t[prev]).astype(np.float64), span, out=np.zeros(n), where=span > 0)
            edge = np.where(has_prev & has_next, col[prev] + w * (col[nxt] - col[prev]), edge)
        col[~ok] = edge[~ok]
    return v


def _need(min_length: int | Mapping[str, int] | None) -> tuple[int, str] | None:
    """(steps needed, the phrase an error says it in) from ``min_length``."""
    if min_length is None:
        return None
    parts = dict(min_length) if isinstance(min_length, Mapping) else {"": min_length}
    for name, n in parts.items():
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 0:
            raise ForecastDataError(
                f"min_length{f'[{name!r}]' if name else ''} must be an integer >= 0; got {n!r}"
            )
    total = int(sum(parts.values()))
    if "" in parts:
        return total, f"at least {total} are needed (min_length={total})"
    detail = f" ({' + '.join(f'{k} {v}' for k, v in parts.items())})" if len(parts) > 1 else ""
    return total, f"{' + '.join(parts)} needs at least {total}{detail}"


def _check_length(lengths: np.ndarray, need: tuple[int, str], ids, drop_short: bool) -> np.ndarray:
    """Which series are long enough; an error for a short one unless ``drop_short``."""
    n, phrase = need
    short = np.flatnonzero(lengths < n)
    if not len(short):
        return np.ones(len(ids), bool)
    if not drop_short:
        s, others = short[0], short[1:]
        listed = ", ".join(repr(ids[i]) for i in others[:SHOW]) + (
            ", ..." if len(others) > SHOW else ""
        )
        verb = "is" if len(others) == 1 else "are"
        more = f"; {len(others)} more series {verb} too short ({listed})" if len(others) else ""
        raise ForecastDataError(
            f"series {ids[s]!r} has {lengths[s]} observation{'s' if lengths[s] != 1 else ''}; "
            f"{phrase}{more}; pass drop_short=True to skip such series"
        )
    if len(short) == len(ids):
        s = int(np.argmax(lengths))
        raise ForecastDataError(
            f"every series is too short: {phrase}, and the longest, series {ids[s]!r}, "
            f"has {lengths[s]}"
        )
    return lengths >= n
