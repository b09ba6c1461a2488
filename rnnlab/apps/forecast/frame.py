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

This module holds the entry points; the checks are in three modules, in the order
:func:`prepare` runs them: :mod:`.frame_columns` (reading, columns, ids, timestamps,
numbers, duplicates), :mod:`.frame_freq` (the shared frequency, each row's step) and
:mod:`.frame_missing` (gaps, NaN, filling, series length). The frequency helpers live
in :mod:`.calendar` and are re-exported here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from .calendar import (  # DAY, SHOW and fixed_step: importable from here before the split
    DAY,  # noqa: F401
    SHOW,  # noqa: F401
    ForecastDataError,
    fixed_step,  # noqa: F401
    future_ds,
    infer_freq,
    parse_freq,
)
from .frame_columns import (
    _check_columns,
    _check_duplicates,
    _names,
    _numbers,
    _read,
    _series_codes,
    _timestamps,
)
from .frame_freq import _panel_freq, _positions
from .frame_missing import (
    FILLS,
    _check_empty,
    _check_gaps,
    _check_length,
    _check_nan,
    _fill,
    _need,
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
