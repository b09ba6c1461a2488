"""Data in: one or many series from a CSV file or a DataFrame, checked, as a :class:`Panel`.

:func:`prepare` reads long-format data (``unique_id``, ``ds``, ``y`` and covariate
columns; the names are arguments) and rejects, before any training, whatever a
forecast cannot use, with a :class:`ForecastDataError` that names the column, the
series and the rows as the user sees them (a CSV's line numbers, header = line 1; a
DataFrame's index labels): missing columns, values that are not numbers or not
timestamps, duplicate timestamps, irregular or mixed frequencies, gaps and NaN
(``fill=`` opts into filling those), series that are too short (``drop_short=`` skips
them). Every check is vectorised over the rows of the whole panel; a Python loop over
series runs only where the frequency has to be inferred from uneven steps (months).

The frequency helpers live in :mod:`.calendar` and are re-exported here.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .calendar import (
    DAY,
    SHOW,
    ForecastDataError,
    _are,
    _candidates,
    _canonical,
    _infer,
    _values,
    _Where,
    fixed_step,
    future_ds,
    infer_freq,
    parse_freq,
)

__all__ = [
    "FILLS",
    "ForecastDataError",
    "Panel",
    "future_ds",
    "infer_freq",
    "parse_freq",
    "prepare",
]

FILLS = ("interpolate", "ffill", "zero")


@dataclass(frozen=True, eq=False)
class Panel:
    """Series checked by :func:`prepare`, sorted by id, each regular at ``freq`` without NaN.

    ``y[i]`` is float64 (T_i,), ``futr[i]`` (T_i, n_futr) and ``hist[i]`` (T_i, n_hist);
    all are read-only. ``dropped`` names the series that ``drop_short=True`` left out.

    Example:
        >>> p = prepare(pd.DataFrame({"ds": pd.date_range("2024-01-01", periods=3, freq="D"),
        ...                           "y": [1.0, 2.0, 3.0]}))
        >>> p.ids, p.freq, p.lengths.tolist(), str(p.ds(0)[-1].date())
        (('y',), 'D', [3], '2024-01-03')
    """

    ids: tuple[str, ...]
    freq: str
    starts: tuple[pd.Timestamp, ...]
    y: tuple[np.ndarray, ...]
    futr: tuple[np.ndarray, ...]
    hist: tuple[np.ndarray, ...]
    futr_names: tuple[str, ...] = ()
    hist_names: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        """int64 (S,): the number of steps of each series."""
        return np.array([len(v) for v in self.y], dtype=np.int64)

    def ds(self, i: int) -> pd.DatetimeIndex:
        """The timestamps of series ``i``: (T_i,)."""
        return pd.date_range(self.starts[i], periods=len(self.y[i]), freq=parse_freq(self.freq))

    def index_of(self, i: int, when: pd.Timestamp) -> int:
        """The position of timestamp ``when`` in series ``i``; an error if it is not one."""
        ds = self.ds(i)
        pos = int(ds.get_indexer([pd.Timestamp(when)])[0])
        if pos < 0:
            raise ForecastDataError(
                f"{pd.Timestamp(when)} is not a timestamp of series {self.ids[i]!r}, which runs "
                f"from {ds[0]} to {ds[-1]} at freq {self.freq!r}"
            )
        return pos

    def head(self, ends: Sequence[int] | np.ndarray) -> Panel:
        """The panel with series ``i`` cut to its first ``ends[i]`` steps (1 <= ends[i] <= T_i)."""
        ends = np.asarray(ends)
        lengths = self.lengths
        if ends.shape != lengths.shape or not ((ends >= 1) & (ends <= lengths)).all():
            raise ValueError(
                f"ends must hold one integer per series in [1, length]; got {ends.tolist()} "
                f"for lengths {lengths.tolist()}"
            )
        cut = [slice(0, int(e)) for e in ends]
        return replace(
            self,
            y=tuple(v[c] for v, c in zip(self.y, cut, strict=True)),
            futr=tuple(v[c] for v, c in zip(self.futr, cut, strict=True)),
            hist=tuple(v[c] for v, c in zip(self.hist, cut, strict=True)),
        )

    def to_frame(self) -> pd.DataFrame:
        """Long format: ``unique_id``, ``ds``, ``y``, then the futr and hist columns."""
        lengths = self.lengths
        frame = pd.DataFrame(
            {
                "unique_id": np.repeat(np.array(self.ids, dtype=object), lengths),
                "ds": (
                    self.ds(0).append([self.ds(i) for i in range(1, len(self))])
                    if len(self)
                    else pd.DatetimeIndex([])
                ),
                "y": np.concatenate(self.y) if len(self) else np.zeros(0),
            }
        )
        for names, parts in ((self.futr_names, self.futr), (self.hist_names, self.hist)):
            if names:
                frame[list(names)] = np.concatenate(parts)
        return frame


def prepare(
    data: pd.DataFrame | str | os.PathLike,
    *,
    time_col: str = "ds",
    target_col: str = "y",
    id_col: str | None = "unique_id",
    freq: str | None = None,
    fill: str | None = None,
    futr_exog: Sequence[str] = (),
    hist_exog: Sequence[str] = (),
    min_length: int | Mapping[str, int] | None = None,
    drop_short: bool = False,
) -> Panel:
    """Check long-format series (a DataFrame or a CSV path) and make them a :class:`Panel`.

    Without ``id_col`` in the data (and ``id_col`` left at ``"unique_id"``, or None) the
    data is one series named after ``target_col``. ``freq`` (an alias) is inferred when
    None and must then be the same for every series. ``fill`` (``"interpolate"``: linear
    in time, the ends held at the nearest value; ``"ffill"``: forward, then backward at
    the start; ``"zero"``) inserts the missing timestamps and fills them and NaN, in the
    target and covariates. ``min_length`` is a number of steps, or a mapping of named
    parts whose sum is needed (``{"lookback": 48, "horizon": 12}``), named in the error.

    Example:
        >>> df = pd.DataFrame({"unique_id": ["b", "b", "a", "a", "a"],
        ...                    "ds": ["2024-01-01", "2024-01-02"] + ["2024-01-01", "2024-01-03",
        ...                           "2024-01-04"], "y": [5, 6, 1, None, 4]})
        >>> p = prepare(df, freq="D", fill="interpolate")
        >>> p.ids, [v.tolist() for v in p.y]
        (('a', 'b'), [[1.0, 2.0, 3.0, 4.0], [5.0, 6.0]])
    """
    futr_exog, hist_exog = _names("futr_exog", futr_exog), _names("hist_exog", hist_exog)
    if fill is not None and fill not in FILLS:
        raise ForecastDataError(
            f"fill must be one of {', '.join(map(repr, FILLS))} or None; got {fill!r}"
        )
    need = _need(min_length)
    off = parse_freq(freq) if freq is not None else None
    frame, where = _read(data, id_col)
    single = id_col is None or (id_col == "unique_id" and id_col not in frame.columns)
    columns = [(time_col, "time_col"), (target_col, "target_col")]
    columns += [] if single else [(id_col, "id_col")]
    columns += [(c, "futr_exog") for c in futr_exog] + [(c, "hist_exog") for c in hist_exog]
    _check_columns(frame, columns)
    if not len(frame):
        raise ForecastDataError("the data has no rows")

    if single:
        codes, ids = np.zeros(len(frame), np.int64), (str(target_col),)
    else:
        codes, ids = _series_codes(frame[id_col], id_col, where)
    ts = _timestamps(frame[time_col], time_col, codes, ids, where)
    names = [target_col, *futr_exog, *hist_exog]
    roles = ["target_col"] + ["futr_exog"] * len(futr_exog) + ["hist_exog"] * len(hist_exog)
    vals = np.stack(
        [_numbers(frame[c], c, r, codes, ids, where) for c, r in zip(names, roles, strict=True)],
        axis=1,
    )

    order = np.lexsort((ts.asi8, codes))  # by id, then time; stable for equal rows
    codes, ts, vals = codes[order], ts[order], vals[order]
    where = where.sorted(order)
    _check_duplicates(ts, codes, ids, where)
    first = np.r_[0, np.flatnonzero(np.diff(codes)) + 1]
    freq = off.freqstr if off is not None else _panel_freq(ts, codes, first, ids, where)
    pos, at = _positions(ts, codes, first, freq, ids, where)

    jump = np.diff(pos) * (codes[1:] == codes[:-1])
    if fill is None:
        _check_gaps(jump, pos, ts, codes, freq, at, ids, where)
        _check_nan(vals, names, roles, codes, ids, where)
    lengths = pos[np.r_[first[1:], len(pos)] - 1] + 1
    if fill is not None and ((jump > 1).any() or np.isnan(vals).any()):
        _check_empty(vals, names, roles, first, ids)
        offsets = np.r_[0, np.cumsum(lengths)]
        full = np.full((offsets[-1], vals.shape[1]), np.nan)
        full[offsets[codes] + pos] = vals
        codes = np.repeat(np.arange(len(ids)), lengths)
        vals = _fill(full, codes, at(codes, np.arange(offsets[-1]) - offsets[codes]), fill)

    keep = np.ones(len(ids), bool)
    if need is not None:
        keep = _check_length(lengths, need, ids, drop_short)
    split = np.cumsum(lengths)[:-1]
    parts = [
        np.split(np.ascontiguousarray(vals[:, cols]), split)
        for cols in (0, slice(1, 1 + len(futr_exog)), slice(1 + len(futr_exog), None))
    ]
    for part in parts:
        for v in part:
            v.flags.writeable = False
    pick = np.flatnonzero(keep)
    return Panel(
        ids=tuple(ids[i] for i in pick),
        freq=freq,
        starts=tuple(ts[first[i]] for i in pick),
        y=tuple(parts[0][i] for i in pick),
        futr=tuple(parts[1][i] for i in pick),
        hist=tuple(parts[2][i] for i in pick),
        futr_names=tuple(map(str, futr_exog)),
        hist_names=tuple(map(str, hist_exog)),
        dropped=tuple(ids[i] for i in np.flatnonzero(~keep)),
    )


_FILL_HINT = "pass fill='interpolate', 'ffill' or 'zero' to"


def _names(arg: str, names: Sequence[str] | str) -> tuple:
    names = (names,) if isinstance(names, str) else tuple(names)
    if len(set(names)) < len(names):
        raise ForecastDataError(f"{arg} names a column twice: {list(names)}")
    return names


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


def _read(data: object, id_col: str | None) -> tuple[pd.DataFrame, _Where]:
    if isinstance(data, pd.DataFrame):
        return data, _Where(data.index, "row")
    if not isinstance(data, str | os.PathLike):
        raise ForecastDataError(
            f"data must be a pandas DataFrame or the path of a CSV file; got {type(data).__name__}"
        )
    path = os.fspath(data)
    try:  # ids stay text: "007" is not the number 7
        frame = pd.read_csv(path, dtype=None if id_col is None else {id_col: str}, low_memory=False)
    except FileNotFoundError:
        raise ForecastDataError(f"no such file: {path}") from None
    except pd.errors.EmptyDataError:
        raise ForecastDataError(f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as e:
        raise ForecastDataError(f"{path} cannot be read as CSV: {e}") from None
    return frame, _Where(range(2, len(frame) + 2), "line")  # the header is line 1


def _check_columns(frame: pd.DataFrame, columns: list[tuple[object, str]]) -> None:
    present = list(frame.columns)
    seen: dict[object, str] = {}
    for col, role in columns:
        if col in seen:
            raise ForecastDataError(f"column {col!r} is given as both {seen[col]} and {role}")
        seen[col] = role
        if col not in frame.columns:
            hint = " (it is the index: pass data.reset_index())" if col == frame.index.name else ""
            raise ForecastDataError(
                f"column {col!r} ({role}) is not in the data; its columns are "
                f"{', '.join(map(repr, present))}{hint}"
            )
        if present.count(col) > 1:
            raise ForecastDataError(f"the data has {present.count(col)} columns named {col!r}")


def _report(mask: np.ndarray, codes: np.ndarray, ids: Sequence[str]) -> tuple[str, np.ndarray, str]:
    """The first series with a flagged row, its flagged positions, and 'n more series' words."""
    bad = np.flatnonzero(mask)
    mine = bad[codes[bad] == codes[bad[0]]]
    more = len(np.unique(codes[bad])) - 1
    tail = f"; {more} more series {'has' if more == 1 else 'have'} them too" if more else ""
    return ids[codes[bad[0]]], mine, tail


def _series_codes(raw: pd.Series, id_col: str, where: _Where) -> tuple[np.ndarray, tuple]:
    """Series codes 0..S-1 in the order of the ids as text, and those ids."""
    empty = raw.isna().to_numpy()
    if empty.any():
        raise ForecastDataError(
            f"column {id_col!r} (id_col) is empty at {where(np.flatnonzero(empty))}"
        )
    codes, uniques = pd.factorize(raw)
    text = np.array([str(u) for u in uniques], dtype=object)
    order = np.argsort(text, kind="stable")
    if len(set(text)) < len(text):
        raise ForecastDataError(
            f"column {id_col!r} (id_col) has different ids that read the same as text"
        )
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[codes].astype(np.int64), tuple(text[order])


def _timestamps(col: pd.Series, name: str, codes, ids, where: _Where) -> pd.DatetimeIndex:
    if pd.api.types.is_datetime64_any_dtype(col):
        parsed = col
    elif pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = v[~np.isnan(v)]
        if not ((ok == np.round(ok)) & (ok >= 1000) & (ok <= 9999)).all():
            raise ForecastDataError(
                f"column {name!r} (time_col) holds numbers, not timestamps; convert it first "
                "(e.g. pd.to_datetime(data[...], unit='s'))"
            )
        parsed = pd.to_datetime(col.astype("Int64").astype(str), format="%Y", errors="coerce")
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # "could not infer format": the rows say which
                parsed = pd.to_datetime(col, errors="coerce")
        except (ValueError, TypeError) as e:
            raise ForecastDataError(f"column {name!r} (time_col): {e}") from None
    empty = col.isna().to_numpy()
    bad = pd.isna(parsed).to_numpy() & ~empty
    if bad.any():
        series, rows, tail = _report(bad, codes, ids)
        raise ForecastDataError(
            f"series {series!r}: column {name!r} (time_col) has values that are not timestamps"
            f" at {where(rows)}: {_values(list(col.to_numpy()[rows]))}{tail}"
        )
    if empty.any():
        series, rows, tail = _report(empty, codes, ids)
        raise ForecastDataError(
            f"series {series!r}: column {name!r} (time_col) is empty at {where(rows)}{tail}"
        )
    return pd.DatetimeIndex(parsed).as_unit("ns")


def _numbers(col: pd.Series, name: str, role: str, codes, ids, where: _Where) -> np.ndarray:
    """float64 (N,) of a target or covariate column, NaN where empty."""
    if pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
        v = col.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        num = pd.to_numeric(col, errors="coerce")
        bad = (num.isna() & col.notna()).to_numpy()
        if bad.any():
            series, rows, tail = _report(bad, codes, ids)
            raise ForecastDataError(
                f"series {series!r}: column {name!r} ({role}) has values that are not numbers"
                f" at {where(rows)}: {_values(list(col.to_numpy()[rows]))}{tail}"
            )
        v = num.to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isinf(v).any():
        series, rows, tail = _report(np.isinf(v), codes, ids)
        raise ForecastDataError(
            f"series {series!r}: column {name!r} ({role}) has infinite values at "
            f"{where(rows)}{tail}"
        )
    return v


def _check_duplicates(ts: pd.DatetimeIndex, codes, ids, where: _Where) -> None:
    dup = np.r_[False, (codes[1:] == codes[:-1]) & (ts.asi8[1:] == ts.asi8[:-1])]
    if dup.any():
        series, rows, tail = _report(dup, codes, ids)
        pairs = ", ".join(f"{ts[r]} at {where(np.array([r - 1, r]))}" for r in rows[:SHOW])
        raise ForecastDataError(f"series {series!r} has duplicate timestamps: {pairs}{tail}")


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
